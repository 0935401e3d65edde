//! Vendored projects (`[vendor.NAME]`) built as a careful person would: configured for
//! where they run (`--prefix=/usr`, `--sysconfdir=/etc`), installed with `DESTDIR`,
//! stripped, free of cache and temporary paths, the folder read in place with its file
//! times (automake's rebuild rules never fire), the configured tree kept so an edit runs
//! only `make`. Fixtures are written here and generated with the machine's autotools at
//! test time; compilers, linkers and qemu are real.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::support::{TestEnv, require, run_binary, stderr, stdout, success};

const CONFIGURE_AC: &str = "AC_INIT([hello], [1.0])
AM_INIT_AUTOMAKE([foreign])
AC_PROG_CC
AC_CONFIG_FILES([Makefile])
AC_OUTPUT
";

const MAKEFILE_AM: &str = "bin_PROGRAMS = hello helper
hello_SOURCES = hello.c
hello_CPPFLAGS = -DSYSCONFDIR='\"$(sysconfdir)\"' -DDATADIR='\"$(datadir)\"'
helper_SOURCES = helper.c
";

const HELLO_C: &str = "#include <assert.h>
#include <stdio.h>
int main(int argc, char **argv) {
    assert(argc > 0);
    printf(\"hello 1 config=%s/hello.conf data=%s file=%s\\n\", SYSCONFDIR, DATADIR, __FILE__);
    return argv[0] == 0;
}
";

/// Programs that would only run if automake's rebuild rules fired: each one fails.
const REGENERATORS: &[&str] = &[
    "aclocal",
    "automake",
    "autoconf",
    "autoheader",
    "autom4te",
    "makeinfo",
];

fn set_mtime(path: &Path, time: SystemTime) {
    std::fs::File::open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

/// A tiny automake project as a release tarball ships it: configure, Makefile.in and
/// aclocal.m4 generated (with the machine's autotools), every file dated in the past,
/// the generated ones a day after their inputs.
fn autotools_fixture(env: &TestEnv, dir: &str) -> PathBuf {
    require("autoreconf", "autoconf");
    require("automake", "automake");
    env.write(&format!("{dir}/configure.ac"), CONFIGURE_AC);
    env.write(&format!("{dir}/Makefile.am"), MAKEFILE_AM);
    env.write(&format!("{dir}/hello.c"), HELLO_C);
    env.write(
        &format!("{dir}/helper.c"),
        "#include <stdio.h>\nint main(void) { puts(\"helper\"); return 0; }\n",
    );
    let root = env.path().join(dir);
    success(Command::new("autoreconf").arg("-fi").current_dir(&root));
    std::fs::remove_dir_all(root.join("autom4te.cache")).unwrap();
    let inputs = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    let generated = inputs + Duration::from_secs(86_400);
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        let is_input =
            ["configure.ac", "Makefile.am", "hello.c", "helper.c"].contains(&name.as_str());
        set_mtime(&path, if is_input { inputs } else { generated });
    }
    root
}

/// A folder of failing `aclocal`, `automake`, `makeinfo`… shims, put first on PATH.
fn regenerator_shims(env: &TestEnv) -> String {
    let shims = env.path().join("shims");
    std::fs::create_dir_all(&shims).unwrap();
    for name in REGENERATORS {
        let path = shims.join(name);
        std::fs::write(
            &path,
            format!("#!/bin/sh\necho \"{name} ran: the build regenerated autotools output\" >&2\nexit 1\n"),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    format!(
        "{}:{}",
        shims.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn project_file(targets: &str, toolchain: &str, programs: &str, extra: &str) -> String {
    format!(
        "[project]\ntargets = [{targets}]\ntoolchain = \"{toolchain}\"\n\n[vendor.hello]\npath = \"hello\"\nprograms = [{programs}]\n{extra}"
    )
}

fn build_json(env: &TestEnv, path_var: &str, args: &[&str]) -> serde_json::Value {
    let output = success(
        env.muslbuild()
            .args(["build", "--json"])
            .args(args)
            .env("PATH", path_var),
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("--json report: {e}\n{}", stdout(&output)))
}

fn states(report: &serde_json::Value) -> Vec<(String, String)> {
    report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                format!(
                    "{}/{}",
                    a["name"].as_str().unwrap(),
                    a["target"].as_str().unwrap()
                ),
                a["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The build's step logs for one project and target (`configure.log`, `make.log`, …),
/// found from the report's install prefix (`<cache>/vendor/<entry>/install/usr`).
fn log_dir(cache: &Path, report: &serde_json::Value, project: &str, target: &str) -> PathBuf {
    let library = report["libraries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == project && l["target"] == target)
        .unwrap_or_else(|| panic!("no {project} for {target}: {report}"));
    let staged = PathBuf::from(library["staged"].as_str().unwrap());
    let entry = staged.parent().unwrap().file_name().unwrap();
    cache.join("logs/libs").join(entry)
}

fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// What every vendored artifact must be: static, stripped, free of the cache, the
/// project folder and temporary folders, configured for /usr and /etc.
fn check_artifact(env: &TestEnv, report: &serde_json::Value, target: &str, qemu: Option<&str>) {
    let artifact = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "hello" && a["target"] == target)
        .unwrap_or_else(|| panic!("no hello for {target}: {report}"));
    assert_eq!(artifact["verification"]["stripped"], true, "{artifact}");
    let file = env.path().join("dist").join(target).join("hello");
    let bytes = std::fs::read(&file).unwrap();
    let cache = env.cache().display().to_string();
    for path in [
        cache.as_str(),
        &env.path().display().to_string(),
        "/tmp/",
        "/.tmp-",
    ] {
        assert!(!contains(&bytes, path), "{target}: hello contains {path}");
    }
    let run = run_binary(qemu, &file, b"");
    assert!(run.status.success(), "{target}: {}", stderr(&run));
    // __FILE__ through the prefix map: `./hello.c` (gcc) or `hello.c` (clang).
    let text = stdout(&run);
    assert!(
        text == "hello 1 config=/etc/hello.conf data=/usr/share file=./hello.c\n"
            || text == "hello 1 config=/etc/hello.conf data=/usr/share file=hello.c\n",
        "{target}: {text}"
    );
}

#[test]
fn autotools_project_is_configured_for_usr_stripped_and_never_regenerated() {
    let env = TestEnv::new();
    let src = autotools_fixture(&env, "hello");
    let path_var = regenerator_shims(&env);
    env.write(
        "muslbuild.toml",
        &project_file("\"x86_64\", \"aarch64\"", "musl-gcc", "\"hello\"", ""),
    );
    let report = build_json(&env, &path_var, &[]);
    check_artifact(&env, &report, "x86_64", None);
    check_artifact(&env, &report, "aarch64", Some("qemu-aarch64-static"));
    let libraries = report["libraries"].as_array().unwrap();
    assert!(
        libraries
            .iter()
            .any(|l| l["name"] == "hello" && l["stripped"] == true && l["staged"].is_string()),
        "{report}"
    );
    // Built out of tree: the folder is as it was (nothing configured or compiled in it).
    for made in ["config.status", "Makefile", "hello.o", "hello"] {
        assert!(
            !src.join(made).exists(),
            "{made} was written into the project folder"
        );
    }
    // The staged install is the DESTDIR tree, under the runtime prefix.
    let staged = PathBuf::from(
        libraries.iter().find(|l| l["name"] == "hello").unwrap()["staged"]
            .as_str()
            .unwrap(),
    );
    assert!(staged.join("usr/bin/hello").is_file() && staged.join("usr/bin/helper").is_file());

    // A one-line edit: make runs, configure does not.
    let logs = log_dir(&env.cache(), &report, "hello", "x86_64");
    let configured_at = mtime(&logs.join("configure.log"));
    let made_at = mtime(&logs.join("make.log"));
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(src.join("hello.c"), HELLO_C.replace("hello 1", "hello 2")).unwrap();
    let edited = build_json(&env, &path_var, &[]);
    assert!(
        states(&edited).iter().all(|(_, s)| s == "built"),
        "{edited}"
    );
    assert_eq!(
        mtime(&logs.join("configure.log")),
        configured_at,
        "configure ran again"
    );
    assert_ne!(mtime(&logs.join("make.log")), made_at, "make did not run");
    let run = run_binary(None, &env.path().join("dist/x86_64/hello"), b"");
    assert!(stdout(&run).starts_with("hello 2 "), "{}", stdout(&run));

    // Nothing changed: nothing runs.
    let made_at = mtime(&logs.join("make.log"));
    let noop = build_json(&env, &path_var, &[]);
    assert!(states(&noop).iter().all(|(_, s)| s == "cached"), "{noop}");

    // Only `programs` changed: nothing is built again, the new program is taken from the
    // staged install.
    env.write(
        "muslbuild.toml",
        &project_file(
            "\"x86_64\", \"aarch64\"",
            "musl-gcc",
            "\"hello\", \"helper\"",
            "",
        ),
    );
    let more = build_json(&env, &path_var, &[]);
    assert_eq!(
        mtime(&logs.join("make.log")),
        made_at,
        "make ran for a programs change"
    );
    assert!(env.path().join("dist/aarch64/helper").is_file(), "{more}");

    // A name the install did not make: the error lists what it made.
    env.write(
        "muslbuild.toml",
        &project_file("\"x86_64\"", "musl-gcc", "\"hello\", \"helo\"", ""),
    );
    let output = env
        .muslbuild()
        .arg("build")
        .env("PATH", &path_var)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("installed no program `helo`"), "{text}");
    assert!(text.contains("bin/hello, bin/helper"), "{text}");
}

#[test]
fn zig_build_of_the_same_project_is_stripped_and_clean() {
    let env = TestEnv::new();
    autotools_fixture(&env, "hello");
    let path_var = regenerator_shims(&env);
    env.write(
        "muslbuild.toml",
        &project_file("\"armv7\"", "zig", "\"hello\"", ""),
    );
    let report = build_json(&env, &path_var, &[]);
    check_artifact(&env, &report, "armv7", Some("qemu-arm-static"));
}

#[test]
fn strip_false_keeps_symbols_and_the_report_says_so() {
    let env = TestEnv::new();
    autotools_fixture(&env, "hello");
    let path_var = regenerator_shims(&env);
    env.write(
        "muslbuild.toml",
        &project_file("\"x86_64\"", "musl-gcc", "\"hello\"", "strip = false\n"),
    );
    let output = success(env.muslbuild().arg("build").env("PATH", &path_var));
    assert!(
        stdout(&output).contains("not stripped"),
        "{}",
        stdout(&output)
    );
    assert!(
        stderr(&output).contains("project hello for x86_64: built")
            && stderr(&output).contains("not stripped"),
        "{}",
        stderr(&output)
    );
    let bytes = std::fs::read(env.path().join("dist/x86_64/hello")).unwrap();
    assert!(contains(&bytes, ".symtab"), "symbols were stripped");
}

#[test]
fn a_user_prefix_in_the_arguments_or_the_prefix_key_is_honoured() {
    let env = TestEnv::new();
    autotools_fixture(&env, "hello");
    let path_var = regenerator_shims(&env);
    env.write(
        "muslbuild.toml",
        &project_file(
            "\"x86_64\"",
            "musl-gcc",
            "\"hello\"",
            "prefix = \"/opt/hello\"\nin-tree = true\n[vendor.hello.configure]\nargs = [\"--sysconfdir=/etc/hello\"]\n",
        ),
    );
    let report = build_json(&env, &path_var, &[]);
    // in-tree: built in a copy of the folder (times kept), not out of tree.
    let staged = PathBuf::from(report["libraries"][0]["staged"].as_str().unwrap());
    let tree = staged.parent().unwrap().join("build");
    assert!(
        tree.join("hello.c").is_file() && tree.join("hello").is_file(),
        "{report}"
    );
    assert_eq!(
        mtime(&tree.join("configure")),
        mtime(&env.path().join("hello/configure"))
    );
    let run = run_binary(None, &env.path().join("dist/x86_64/hello"), b"");
    assert!(
        stdout(&run).starts_with("hello 1 config=/etc/hello/hello.conf data=/opt/hello/share "),
        "{}",
        stdout(&run)
    );
    // --prefix=/usr among the project's own arguments works too.
    env.write(
        "muslbuild.toml",
        &project_file(
            "\"x86_64\"",
            "musl-gcc",
            "\"hello\"",
            "[vendor.hello.configure]\nargs = [\"--prefix=/usr\"]\n",
        ),
    );
    build_json(&env, &path_var, &[]);
    let run = run_binary(None, &env.path().join("dist/x86_64/hello"), b"");
    assert!(
        stdout(&run).contains("data=/usr/share "),
        "{}",
        stdout(&run)
    );
}

#[test]
fn a_relative_prefix_is_a_config_error_with_its_position() {
    let env = TestEnv::new();
    env.write("hello/Makefile", "all:\n");
    env.write(
        "muslbuild.toml",
        &project_file("\"x86_64\"", "musl-gcc", "\"hello\"", "prefix = \"usr\"\n"),
    );
    let output = env.muslbuild().arg("build").output().unwrap();
    assert_eq!(output.status.code(), Some(11), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("muslbuild.toml:8:10:"), "{text}");
    assert!(
        text.contains("`prefix = \"usr\"` is not an absolute path"),
        "{text}"
    );
    assert!(text.contains("help:"), "{text}");
}

#[test]
fn a_checkout_without_configure_needs_bootstrap_and_builds_with_it() {
    require("autoreconf", "autoconf");
    let env = TestEnv::new();
    env.write("hello/configure.ac", CONFIGURE_AC);
    env.write("hello/Makefile.am", MAKEFILE_AM);
    env.write("hello/hello.c", HELLO_C);
    env.write("hello/helper.c", "int main(void) { return 0; }\n");
    env.write(
        "muslbuild.toml",
        &project_file(
            "\"x86_64\"",
            "musl-gcc",
            "\"hello\"",
            "build = \"autotools\"\n",
        ),
    );
    let output = env.muslbuild().arg("build").output().unwrap();
    assert_eq!(output.status.code(), Some(10), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("has no ./configure"), "{text}");
    assert!(
        text.contains("bootstrap = [\"autoreconf\", \"-fi\"]"),
        "{text}"
    );
    assert!(!text.contains("cannot open"), "{text}");

    env.write(
        "muslbuild.toml",
        &project_file(
            "\"x86_64\"",
            "musl-gcc",
            "\"hello\"",
            "build = \"autotools\"\nbootstrap = [\"autoreconf\", \"-fi\"]\n",
        ),
    );
    success(env.muslbuild().arg("build"));
    let run = run_binary(None, &env.path().join("dist/x86_64/hello"), b"");
    assert!(
        stdout(&run).starts_with("hello 1 config=/etc/"),
        "{}",
        stdout(&run)
    );
    // The bootstrap ran in a copy: the folder still has no configure.
    assert!(!env.path().join("hello/configure").exists());
}

#[test]
fn a_missing_host_tool_is_named_before_any_work() {
    let env = TestEnv::new();
    env.write("hello/Makefile", "all:\n");
    env.write(
        "muslbuild.toml",
        &project_file(
            "\"x86_64\"",
            "musl-gcc",
            "\"hello\"",
            "host-tools = [\"flex-that-is-not-there\"]\n",
        ),
    );
    let output = env.muslbuild().arg("build").output().unwrap();
    assert_eq!(output.status.code(), Some(12), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("`flex-that-is-not-there` is needed to build project hello"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("help: install it: apt-get install"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("building"), "{}", stderr(&output));
}

#[test]
fn a_failed_configure_keeps_config_log_and_keep_failed_keeps_the_tree() {
    let env = TestEnv::new();
    env.write(
        "hello/configure",
        "#!/bin/sh\necho 'checking for the impossible... no' > config.log\necho 'configure: error: the impossible is missing' >&2\nexit 1\n",
    );
    env.write(
        "muslbuild.toml",
        &project_file(
            "\"x86_64\"",
            "musl-gcc",
            "\"hello\"",
            "build = \"autotools\"\n",
        ),
    );
    let output = env.muslbuild().arg("build").output().unwrap();
    assert_eq!(output.status.code(), Some(10), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("building project hello for x86_64 failed at `configure`"),
        "{text}"
    );
    assert!(
        text.contains("the last lines of the log are above"),
        "{text}"
    );
    let kept = text
        .split("kept ")
        .nth(1)
        .and_then(|rest| rest.split([';', '\n']).next())
        .unwrap_or_else(|| panic!("no kept config.log named: {text}"));
    assert!(kept.ends_with("config.log"), "{text}");
    assert_eq!(
        std::fs::read_to_string(kept).unwrap(),
        "checking for the impossible... no\n"
    );
    let output = env
        .muslbuild()
        .args(["build", "--keep-failed"])
        .output()
        .unwrap();
    let text = stderr(&output);
    let line = text
        .lines()
        .find(|l| l.contains("kept the failed build of project hello for x86_64 in "))
        .unwrap_or_else(|| panic!("{text}"));
    let tree = PathBuf::from(line.rsplit(" in ").next().unwrap());
    assert!(tree.join("config.log").is_file(), "{text}");

    // A library whose build fails, with --keep-failed: its whole tree stays and is named.
    env.write(
        "bad/Makefile",
        "all:\n\t@echo the build broke >&2; exit 2\n",
    );
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\"]\ntoolchain = \"musl-gcc\"\n[lib.bad]\npath = \"bad\"\n[c.main]\nsources = [\"main.c\"]\nlibs = [\"bad\"]\n",
    );
    env.write("main.c", "int main(void) { return 0; }\n");
    let output = env
        .muslbuild()
        .args(["build", "--keep-failed"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(10), "{}", stderr(&output));
    let text = stderr(&output);
    let line = text
        .lines()
        .find(|l| l.contains("kept the failed build of library bad"))
        .unwrap_or_else(|| panic!("{text}"));
    let dir = PathBuf::from(line.rsplit(" in ").next().unwrap());
    assert!(dir.join("src/bad/Makefile").is_file(), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

const GREET_MAKEFILE: &str = "libgreet.a: greet.o
\t$(AR) rcs $@ greet.o
install: libgreet.a
\tmkdir -p $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include
\tcp libgreet.a $(DESTDIR)$(PREFIX)/lib/
\tcp greet.h $(DESTDIR)$(PREFIX)/include/
";

/// A hardened consumer (`-fPIE -pie`) links a library muslbuild built: static libraries
/// are position-independent, and the result is static-pie, as verify says.
#[test]
fn a_pie_consumer_links_a_muslbuild_library_and_is_static_pie() {
    let env = TestEnv::new();
    env.write("greet/Makefile", GREET_MAKEFILE);
    env.write("greet/greet.h", "int greet(int);\n");
    // A table indexed at run time: non-PIC code reaches it with an absolute relocation.
    env.write(
        "greet/greet.c",
        "static const int table[4] = {1, 2, 42, 3};\nint greet(int i) { return table[i]; }\n",
    );
    env.write(
        "hello/Makefile",
        "all: hello\nhello: hello.c\n\t$(CC) -fPIE $(CFLAGS) -I$(GREET)/include -pie $(LDFLAGS) -o $@ hello.c $(GREET)/lib/libgreet.a\ninstall: hello\n\tmkdir -p $(DESTDIR)$(PREFIX)/bin\n\tcp hello $(DESTDIR)$(PREFIX)/bin/\n",
    );
    env.write(
        "hello/hello.c",
        "#include <stdio.h>\n#include <greet.h>\nint main(int argc, char **argv) { printf(\"%d\\n\", greet(argc + 1)); return argv[0] == 0; }\n",
    );
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\"]\ntoolchain = \"zig\"\n[lib.greet]\npath = \"greet\"\n[vendor.hello]\npath = \"hello\"\nlibs = [\"greet\"]\nprograms = [\"hello\"]\n[vendor.hello.make]\nargs = [\"GREET={prefix:greet}\"]\n",
    );
    let report = build_json(&env, &std::env::var("PATH").unwrap(), &[]);
    let artifact = &report["artifacts"][0];
    assert_eq!(artifact["verification"]["static_pie"], true, "{report}");
    let file = env.path().join("dist/x86_64/hello");
    assert_eq!(stdout(&run_binary(None, &file, b"")), "42\n");
    let verify = success(env.muslbuild().arg("verify").arg(&file));
    assert!(
        stdout(&verify).contains("static-pie"),
        "{}",
        stdout(&verify)
    );
}

/// The link tests real configure scripts run against ncurses: `-ltinfo`, `initscr` in
/// `-lncursesw`, and the headers by every name, with the libraries' flags from muslbuild.
#[test]
fn ncurses_satisfies_the_configure_checks_programs_really_run() {
    require("autoreconf", "autoconf");
    let sources = crate::support::repo_root().join("target/test-sources");
    assert!(
        sources.join("ncurses_6.4.orig.tar.gz").is_file(),
        "prerequisite {} is missing: run scripts/setup-test-env.sh",
        sources.display()
    );
    let env = TestEnv::new();
    env.write(
        "term/configure.ac",
        "AC_INIT([term], [1.0])
AM_INIT_AUTOMAKE([foreign])
AC_PROG_CC
AC_CHECK_LIB([tinfo], [tgetent], [], [AC_MSG_ERROR([no tgetent in -ltinfo])])
dnl As some configure scripts do: LIBS reset, tgetent searched in the curses library alone.
save_LIBS=$LIBS
LIBS=
AC_SEARCH_LIBS([tgetent], [ncurses], [], [AC_MSG_ERROR([no tgetent in -lncurses alone])])
LIBS=$save_LIBS
AC_SEARCH_LIBS([initscr], [ncursesw ncurses curses], [], [AC_MSG_ERROR([no initscr])])
AC_CHECK_HEADERS([curses.h ncursesw/curses.h term.h], [], [AC_MSG_ERROR([missing $ac_header])])
PKG_PROG_PKG_CONFIG
PKG_CHECK_MODULES([NCURSES], [ncursesw], [], [AC_MSG_ERROR([pkg-config found no ncursesw])])
AC_PATH_PROG([NCURSES_CONFIG], [ncursesw6-config])
case \"$NCURSES_CONFIG\" in /usr/*|\"\") AC_MSG_ERROR([not the target's ncursesw6-config: $NCURSES_CONFIG]);; esac
AC_CONFIG_FILES([Makefile])
AC_OUTPUT
",
    );
    env.write(
        "term/Makefile.am",
        "bin_PROGRAMS = term\nterm_SOURCES = term.c\n",
    );
    env.write(
        "term/term.c",
        "#include <ncursesw/curses.h>\n#include <term.h>\n#include <stdio.h>\nint main(void) { printf(\"%s\\n\", curses_version()); return 0; }\n",
    );
    success(
        Command::new("autoreconf")
            .arg("-fi")
            .current_dir(env.path().join("term")),
    );
    env.write(
        "muslbuild.toml",
        &format!(
            "[project]\ntargets = [\"x86_64\"]\ntoolchain = \"musl-gcc\"\nsource-dirs = [\"{}\"]\n[vendor.term]\npath = \"term\"\nlibs = [\"ncurses\"]\nprograms = [\"term\"]\n",
            sources.display()
        ),
    );
    let report = build_json(&env, &std::env::var("PATH").unwrap(), &[]);
    let run = run_binary(None, &env.path().join("dist/x86_64/term"), b"");
    assert!(stdout(&run).starts_with("ncurses 6.4"), "{}", stdout(&run));
    // Position-independent: no absolute 32-bit relocations, which a PIE link refuses.
    let ncurses = report["libraries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "ncurses")
        .unwrap_or_else(|| panic!("{report}"));
    let archive = Path::new(ncurses["prefix"].as_str().unwrap()).join("lib/libncursesw.a");
    let relocations = success(
        Command::new(require("readelf", "binutils"))
            .arg("-rW")
            .arg(&archive),
    );
    let text = stdout(&relocations);
    assert!(
        text.contains("R_X86_64_"),
        "no relocations read from {}",
        archive.display()
    );
    assert!(
        !text.contains("R_X86_64_32S ") && !text.contains("R_X86_64_32 "),
        "{} is not position-independent",
        archive.display()
    );
}

#[test]
fn lib_env_exports_a_cross_build() {
    let env = TestEnv::new();
    env.write("greet/Makefile", GREET_MAKEFILE);
    env.write("greet/greet.h", "int greet(int);\n");
    env.write("greet/greet.c", "int greet(int i) { return i; }\n");
    let output = success(env.muslbuild().args([
        "lib",
        "env",
        "--vendor-lib",
        "greet=greet:make",
        "--target",
        "aarch64",
        "--toolchain",
        "zig",
    ]));
    let text = stdout(&output);
    assert!(text.contains("-Wl,--gc-sections -s"), "{text}");
    assert!(
        text.contains("-Wno-error=implicit-function-declaration"),
        "{text}"
    );
    assert!(
        text.contains("export MUSLBUILD_BUILD=x86_64-pc-linux-gnu\n"),
        "{text}"
    );
    assert!(
        text.contains("export MUSLBUILD_HOST=aarch64-linux-musl\n"),
        "{text}"
    );
    let strip = text
        .lines()
        .find_map(|l| l.strip_prefix("export STRIP="))
        .unwrap();
    // A strip that reads aarch64 ELF files (binutils for aarch64, or llvm-strip).
    assert!(
        strip.ends_with("aarch64-linux-gnu-strip") || strip.contains("llvm-strip"),
        "{text}"
    );
}

/// A plain Makefile is built in a copy: file times are kept (a generated file newer than
/// its input is not regenerated), and an edit recompiles only what changed.
#[test]
fn a_plain_makefile_builds_in_a_copy_with_times_kept_and_rebuilds_only_the_edit() {
    let env = TestEnv::new();
    env.write(
        "tool/Makefile",
        "LDFLAGS = $(MYLDFLAGS)
all: tool
tool: a.o b.o
\t$(CC) $(LDFLAGS) -o $@ a.o b.o
b.c: b.in
\t@echo b.c is older than b.in: the copy lost the file times >&2; exit 1
install: tool
\tmkdir -p $(DESTDIR)$(PREFIX)/bin
\tcp tool $(DESTDIR)$(PREFIX)/bin/
",
    );
    env.write(
        "tool/a.c",
        "#include <stdio.h>\nconst char *b(void);\nint main(void) { printf(\"a1 %s\\n\", b()); return 0; }\n",
    );
    env.write("tool/b.in", "b\n");
    env.write("tool/b.c", "const char *b(void) { return \"b1\"; }\n");
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    set_mtime(&env.path().join("tool/b.in"), old);
    set_mtime(&env.path().join("tool/b.c"), old + Duration::from_secs(60));
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\"]\ntoolchain = \"musl-gcc\"\n[vendor.tool]\npath = \"tool\"\nprograms = [\"tool\"]\nmake = { args = [\"MYLDFLAGS={ldflags}\"] }\n",
    );
    let path_var = std::env::var("PATH").unwrap();
    let report = build_json(&env, &path_var, &[]);
    // The Makefile sets its own LDFLAGS from MYLDFLAGS: `{ldflags}` brought -static -s.
    assert_eq!(
        report["artifacts"][0]["verification"]["stripped"], true,
        "{report}"
    );
    let file = env.path().join("dist/x86_64/tool");
    assert_eq!(stdout(&run_binary(None, &file, b"")), "a1 b1\n");
    assert!(
        !env.path().join("tool/a.o").exists(),
        "the build wrote into the folder"
    );

    let logs = log_dir(&env.cache(), &report, "tool", "x86_64");
    std::thread::sleep(Duration::from_millis(20));
    env.write(
        "tool/a.c",
        "#include <stdio.h>\nconst char *b(void);\nint main(void) { printf(\"a2 %s\\n\", b()); return 0; }\n",
    );
    build_json(&env, &path_var, &[]);
    assert_eq!(stdout(&run_binary(None, &file, b"")), "a2 b1\n");
    let make = std::fs::read_to_string(logs.join("make.log")).unwrap();
    assert!(make.contains("a.c"), "{make}");
    assert!(!make.contains("b.c"), "b.c was compiled again:\n{make}");
}

/// cmake builds out of tree (`-B` in the cache), installs with DESTDIR under /usr, and
/// an edit runs the build, not the configure step.
#[test]
fn a_cmake_project_builds_out_of_tree_and_incrementally() {
    require("cmake", "cmake");
    let env = TestEnv::new();
    env.write(
        "calc/CMakeLists.txt",
        "cmake_minimum_required(VERSION 3.10)\nproject(calc C)\ninclude(GNUInstallDirs)\nadd_executable(calc calc.c)\ntarget_compile_definitions(calc PRIVATE SYSCONFDIR=\"${CMAKE_INSTALL_FULL_SYSCONFDIR}\")\ninstall(TARGETS calc DESTINATION ${CMAKE_INSTALL_BINDIR})\n",
    );
    env.write(
        "calc/calc.c",
        "#include <stdio.h>\nint main(void) { printf(\"calc 1 %s\\n\", SYSCONFDIR); return 0; }\n",
    );
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"aarch64\"]\ntoolchain = \"zig\"\n[vendor.calc]\npath = \"calc\"\nprograms = [\"calc\"]\n",
    );
    let path_var = std::env::var("PATH").unwrap();
    let report = build_json(&env, &path_var, &[]);
    assert_eq!(
        report["artifacts"][0]["verification"]["stripped"], true,
        "{report}"
    );
    let file = env.path().join("dist/aarch64/calc");
    let run = run_binary(Some("qemu-aarch64-static"), &file, b"");
    assert_eq!(stdout(&run), "calc 1 /etc\n");
    assert!(!env.path().join("calc/CMakeCache.txt").exists());
    let bytes = std::fs::read(&file).unwrap();
    assert!(!contains(&bytes, &env.cache().display().to_string()));

    let logs = log_dir(&env.cache(), &report, "calc", "aarch64");
    let configured_at = mtime(&logs.join("configure.log"));
    std::thread::sleep(Duration::from_millis(20));
    env.write(
        "calc/calc.c",
        "#include <stdio.h>\nint main(void) { printf(\"calc 2 %s\\n\", SYSCONFDIR); return 0; }\n",
    );
    build_json(&env, &path_var, &[]);
    let run = run_binary(Some("qemu-aarch64-static"), &file, b"");
    assert_eq!(stdout(&run), "calc 2 /etc\n");
    assert_eq!(
        mtime(&logs.join("configure.log")),
        configured_at,
        "cmake configured again"
    );
}

/// A second process that needs the entry another one is building waits for it and says
/// so; then it finds the project built and runs nothing.
#[test]
fn a_wait_on_another_build_says_what_it_waits_for() {
    let env = TestEnv::new();
    let started = env.path().join("started");
    let release = crate::support::fifo(&env.path().join("release"));
    env.write(
        "slow/Makefile",
        &format!(
            "slow: slow.c\n\ttouch '{started}'; cat '{release}' >/dev/null\n\t$(CC) $(CFLAGS) $(LDFLAGS) -o slow slow.c\ninstall: slow\n\tmkdir -p $(DESTDIR)$(PREFIX)/bin && cp slow $(DESTDIR)$(PREFIX)/bin/\n",
            started = started.display(),
            release = release.display()
        ),
    );
    env.write("slow/slow.c", "int main(void) { return 0; }\n");
    // Two projects (their own dist/) over one vendored folder: one cache entry.
    let file = format!(
        "[project]\ntargets = [\"x86_64\"]\ntoolchain = \"musl-gcc\"\n[vendor.slow]\npath = \"{}\"\nprograms = [\"slow\"]\n",
        env.path().join("slow").display()
    );
    env.write("p1/muslbuild.toml", &file);
    env.write("p2/muslbuild.toml", &file);
    let first = env
        .muslbuild()
        .current_dir(env.path().join("p1"))
        .arg("build")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    crate::support::wait_for_file(&started, "the first build never started");
    let second = env
        .muslbuild()
        .current_dir(env.path().join("p2"))
        .arg("build")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut second = second;
    // The first build is let finish only once the second says it waits for it.
    let rest = crate::support::wait_for_line(
        second.stderr.take().unwrap(),
        "muslbuild: waiting for project slow for x86_64 (another muslbuild process holds",
        "the second build never waited for the first",
    );
    // Opening the pipe for writing ends the first build's `cat`: it goes on.
    std::fs::write(&release, "").unwrap();
    let status = second.wait().unwrap();
    let mut first = first;
    assert!(first.wait().unwrap().success());
    let text = rest.join().unwrap();
    assert!(status.success(), "{text}");
    assert!(env.path().join("p2/dist/x86_64/slow").is_file());
    assert!(text.contains("project slow for x86_64: cached"), "{text}");
}

#[test]
fn a_folder_without_a_build_system_is_refused_with_help() {
    let env = TestEnv::new();
    env.write("tool/tool.c", "int main(void) { return 0; }\n");
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\"]\n[vendor.tool]\npath = \"tool\"\nprograms = [\"tool\"]\n",
    );
    let output = env.muslbuild().arg("build").output().unwrap();
    assert_eq!(output.status.code(), Some(11), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(
        text.contains("muslbuild.toml:3:9: cannot tell how to build `tool`"),
        "{text}"
    );
    assert!(text.contains("help: add `build = \"autotools\"`"), "{text}");
}

/// The same project in two folders gives the same bytes: neither folder, nor the build
/// tree in the cache (named by a key that includes the folder), reaches the artifact.
#[test]
fn the_same_project_in_two_folders_gives_the_same_bytes() {
    let sha = |env: &TestEnv| {
        autotools_fixture(env, "hello");
        let path_var = regenerator_shims(env);
        env.write(
            "muslbuild.toml",
            &project_file("\"x86_64\", \"armv7\"", "musl-gcc", "\"hello\"", ""),
        );
        let report = build_json(env, &path_var, &[]);
        let mut facts: Vec<String> = report["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["sha256"].as_str().unwrap().to_string())
            .collect();
        // The SBOM names the vendored project (with its folder's content hash) and is
        // the same from both folders too.
        let sbom = std::fs::read_to_string(env.path().join("dist/x86_64/hello.spdx.json"))
            .expect("an SBOM beside the vendored program");
        assert!(
            sbom.contains("pkg:generic/hello@") && sbom.contains("vendored tree sha256"),
            "{sbom}"
        );
        facts.push(sbom);
        facts
    };
    let (a, b) = (TestEnv::new(), TestEnv::new());
    assert_eq!(sha(&a), sha(&b));
}

/// A folder someone configured in place cannot be used for an out-of-tree build
/// (configure refuses); it is built in a copy instead, times kept.
#[test]
fn a_folder_configured_in_place_is_built_in_a_copy() {
    let env = TestEnv::new();
    let src = autotools_fixture(&env, "hello");
    // Configured and built in place for the host: its objects must not be linked.
    success(Command::new("sh").arg("./configure").current_dir(&src));
    success(Command::new("make").arg("hello-hello.o").current_dir(&src));
    let path_var = regenerator_shims(&env);
    env.write(
        "muslbuild.toml",
        &project_file("\"x86_64\"", "musl-gcc", "\"hello\"", ""),
    );
    build_json(&env, &path_var, &[]);
    let run = run_binary(None, &env.path().join("dist/x86_64/hello"), b"");
    assert!(
        stdout(&run).starts_with("hello 1 config=/etc/hello.conf"),
        "{}",
        stdout(&run)
    );
    assert!(
        !src.join("hello.o").exists(),
        "the build wrote into the folder"
    );
}

#[test]
fn a_failed_cmake_configure_keeps_cmake_logs() {
    require("cmake", "cmake");
    let env = TestEnv::new();
    env.write(
        "calc/CMakeLists.txt",
        "cmake_minimum_required(VERSION 3.10)\nproject(calc C)\nmessage(FATAL_ERROR \"frobnicator missing\")\n",
    );
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\"]\ntoolchain = \"musl-gcc\"\n[vendor.calc]\npath = \"calc\"\nprograms = [\"calc\"]\n",
    );
    let output = env.muslbuild().arg("build").output().unwrap();
    assert_eq!(output.status.code(), Some(10), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("frobnicator missing"), "{text}");
    let kept: Vec<&str> = text
        .split("kept ")
        .skip(1)
        .filter_map(|rest| rest.split([';', '\n']).next())
        .collect();
    assert!(
        kept.iter()
            .any(|k| k.ends_with("CMakeOutput.log") || k.ends_with("CMakeConfigureLog.yaml")),
        "{text}"
    );
    assert!(kept.iter().all(|k| Path::new(k).is_file()), "{text}");
}

/// A configure script from autoconf before 2.70 rejects `--runstatedir` (and never
/// mentions it): it gets the other runtime folders only.
#[test]
fn an_old_configure_script_does_not_get_runstatedir() {
    let env = TestEnv::new();
    env.write(
        "old/configure",
        r#"#!/bin/sh
srcdir=$(dirname "$0")
for a in "$@"; do
  case $a in
    --run*) echo "configure: error: unrecognized option: \`$a'" >&2; exit 1;;
    --prefix=*) prefix=${a#--prefix=};;
    --sysconfdir=*) sysconfdir=${a#--sysconfdir=};;
  esac
done
printf 'VPATH = %s\nold: old.c\n\t$(CC) $(CFLAGS) -DSYSCONFDIR=\\"%s\\" $(LDFLAGS) -o old $<\ninstall: old\n\tmkdir -p $(DESTDIR)%s/bin && cp old $(DESTDIR)%s/bin/\n' "$srcdir" "$sysconfdir" "$prefix" "$prefix" > Makefile
"#,
    );
    env.write(
        "old/old.c",
        "#include <stdio.h>\nint main(void) { puts(SYSCONFDIR); return 0; }\n",
    );
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\"]\ntoolchain = \"musl-gcc\"\n[vendor.old]\npath = \"old\"\nbuild = \"autotools\"\nprograms = [\"old\"]\n",
    );
    build_json(&env, &std::env::var("PATH").unwrap(), &[]);
    let run = run_binary(None, &env.path().join("dist/x86_64/old"), b"");
    assert_eq!(stdout(&run), "/etc\n");
}

#[test]
fn a_cache_path_with_a_space_is_refused_before_any_build() {
    let env = TestEnv::new();
    env.write("tool/Makefile", "all:\n");
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\"]\ntoolchain = \"musl-gcc\"\n[vendor.tool]\npath = \"tool\"\nprograms = [\"tool\"]\n",
    );
    let output = env
        .muslbuild()
        .arg("build")
        .env("MUSLBUILD_HOME", env.path().join("cache home"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(10), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("its path has white space"), "{text}");
    assert!(text.contains("help: set MUSLBUILD_HOME"), "{text}");
    assert!(!text.contains("building project"), "{text}");
}

/// libtool reads `-static` in LDFLAGS as "static libtool libraries" and links libc
/// dynamically; the program must still come out static.
#[test]
fn a_program_linked_through_libtool_is_static() {
    require("libtoolize", "libtool");
    let env = TestEnv::new();
    env.write(
        "lt/configure.ac",
        "AC_INIT([lt], [1.0])\nAM_INIT_AUTOMAKE([foreign])\nAC_PROG_CC\nLT_INIT([disable-shared])\nAC_CONFIG_FILES([Makefile])\nAC_OUTPUT\n",
    );
    env.write(
        "lt/Makefile.am",
        "noinst_LTLIBRARIES = libgreet.la\nlibgreet_la_SOURCES = greet.c\nbin_PROGRAMS = lt\nlt_SOURCES = lt.c\nlt_LDADD = libgreet.la\n",
    );
    env.write(
        "lt/greet.c",
        "const char *greet(void) { return \"linked by libtool\"; }\n",
    );
    env.write(
        "lt/lt.c",
        "#include <stdio.h>\nconst char *greet(void);\nint main(void) { puts(greet()); return 0; }\n",
    );
    success(
        Command::new("autoreconf")
            .arg("-fi")
            .current_dir(env.path().join("lt")),
    );
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\", \"aarch64\"]\ntoolchain = \"musl-gcc\"\n[vendor.lt]\npath = \"lt\"\nprograms = [\"lt\"]\n",
    );
    build_json(&env, &std::env::var("PATH").unwrap(), &[]);
    for (target, qemu) in [("x86_64", None), ("aarch64", Some("qemu-aarch64-static"))] {
        let run = run_binary(qemu, &env.path().join("dist").join(target).join("lt"), b"");
        assert_eq!(stdout(&run), "linked by libtool\n", "{target}");
    }
}

/// `bootstrap = ["./gen-makefile"]` names the project's own script: it is not a host
/// program to look for on PATH (no `apt-get install ./gen-makefile`), it runs in the
/// copy; a script the folder does not have is said before any build, with no apt hint.
#[test]
fn a_bootstrap_script_of_the_project_is_its_own_file_not_a_host_tool() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let script = env.write(
        "hello/gen-makefile",
        "#!/bin/sh\nprintf 'hello: hello.c\\n\\t$(CC) $(CFLAGS) $(LDFLAGS) -o $@ hello.c\\ninstall: hello\\n\\tmkdir -p $(DESTDIR)$(PREFIX)/bin\\n\\tcp hello $(DESTDIR)$(PREFIX)/bin/\\n' > Makefile\n",
    );
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    env.write(
        "hello/hello.c",
        "#include <stdio.h>\nint main(void) { puts(\"bootstrapped\"); return 0; }\n",
    );
    let file = |bootstrap: &str| {
        project_file(
            "\"x86_64\"",
            "musl-gcc",
            "\"hello\"",
            &format!("build = \"make\"\nbootstrap = [\"{bootstrap}\"]\n"),
        )
    };
    env.write("muslbuild.toml", &file("./gen-makefile"));
    success(env.muslbuild().arg("build"));
    let run = run_binary(None, &env.path().join("dist/x86_64/hello"), b"");
    assert_eq!(stdout(&run), "bootstrapped\n");
    assert!(
        !env.path().join("hello/Makefile").exists(),
        "it ran in the folder"
    );

    env.write("muslbuild.toml", &file("scripts/no-such-script"));
    let output = env.muslbuild().arg("build").output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(10), "{err}");
    assert!(
        err.contains("its `bootstrap` runs `scripts/no-such-script`, which is not a file in"),
        "{err}"
    );
    assert!(!err.contains("apt-get"), "{err}");
    assert!(!err.contains("building"), "{err}");
}
