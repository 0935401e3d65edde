//! C libraries built per target with real toolchains, run under qemu-user: readline
//! (over ncurses) with two providers, ncurses' compiled-in terminals, zlib round trips, a
//! vendored library the test writes, and the ways a library build must fail. Library
//! prefixes live in the shared test cache, so each (library, target, toolchain) is built
//! once per run whichever test needs it first.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{TestEnv, example, repo_root, require, run_binary, stderr, stdout, success};

const ALL: [(&str, Option<&str>); 3] = [
    ("x86_64", None),
    ("aarch64", Some("qemu-aarch64-static")),
    ("armv7", Some("qemu-arm-static")),
];

/// The Debian source packages `scripts/setup-test-env.sh` downloads.
pub(crate) fn test_sources() -> PathBuf {
    let dir = repo_root().join("target/test-sources");
    for file in [
        "ncurses_6.4.orig.tar.gz",
        "readline_8.2.orig.tar.gz",
        "zlib_1.2.13.dfsg.orig.tar.bz2",
    ] {
        assert!(
            dir.join(file).is_file(),
            "prerequisite {} is missing: run scripts/setup-test-env.sh (it downloads Debian's ncurses, readline and zlib sources)",
            dir.join(file).display()
        );
    }
    dir
}

/// Three of the newer targets, one per kind of trap: i386 (32-bit x86, i686 baseline),
/// armv6 (ARM1176, VFPv2 hard float, no Thumb-2) and riscv64 (a config.sub that must
/// know the triple).
const NEWER: [(&str, Option<&str>); 3] = [
    ("i386", Some("qemu-i386-static")),
    ("armv6", Some("qemu-arm-static")),
    ("riscv64", Some("qemu-riscv64-static")),
];

fn qemu_for(target: &str) -> Option<&'static str> {
    ALL.iter()
        .chain(NEWER.iter())
        .find(|(t, _)| *t == target)
        .and_then(|(_, q)| *q)
}

fn built_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains(": built in"))
        .collect()
}

fn run_readline_everywhere(toolchain: &str, targets: &[&str]) {
    let env = TestEnv::new();
    let list = targets.join(",");
    let args = [
        "--target",
        &list,
        "--toolchain",
        toolchain,
        "--lib",
        "readline",
        "--source-dir",
    ];
    let mut cold = env.muslbuild();
    cold.args(args).arg(test_sources()).arg(example("repl.c"));
    success(&mut cold);
    for target in targets {
        let binary = env.path().join("dist").join(target).join("repl");
        let output = run_binary(qemu_for(target), &binary, b"hello from muslbuild\n");
        assert!(
            output.status.success(),
            "{target} ({toolchain}): {output:?}"
        );
        assert!(
            stdout(&output).contains("echo: hello from muslbuild"),
            "{target} ({toolchain}) did not echo the line: {}",
            stdout(&output)
        );
    }

    // The same command again: every library comes from the cache, nothing is rebuilt.
    let mut warm = env.muslbuild();
    warm.args(args).arg(test_sources()).arg(example("repl.c"));
    let output = success(&mut warm);
    let text = stderr(&output);
    for target in targets {
        for lib in ["ncurses 6.4", "readline 8.2"] {
            let line = format!("library {lib} for {target}: cached");
            assert!(
                text.contains(&line),
                "warm build did not report `{line}`:\n{text}"
            );
        }
    }
    assert!(
        built_lines(&text).is_empty(),
        "warm build rebuilt libraries:\n{text}"
    );
}

#[test]
fn readline_repl_echoes_on_every_target_with_gnu_cross_and_musl_specs() {
    require("qemu-aarch64-static", "qemu-user-static");
    require("qemu-arm-static", "qemu-user-static");
    run_readline_everywhere("musl-gcc", &["x86_64", "aarch64", "armv7"]);
}

#[test]
fn readline_repl_echoes_on_every_target_with_zig() {
    require("qemu-aarch64-static", "qemu-user-static");
    require("qemu-arm-static", "qemu-user-static");
    run_readline_everywhere("zig", &["x86_64", "aarch64", "armv7"]);
}

#[test]
#[cfg_attr(
    not(feature = "heavy"),
    ignore = "heavy tier: cargo test --features heavy"
)]
fn readline_repl_echoes_on_i386_armv6_and_riscv64_with_zig() {
    for (_, qemu) in NEWER {
        require(qemu.unwrap(), "qemu-user-static");
    }
    let targets: Vec<&str> = NEWER.iter().map(|(t, _)| *t).collect();
    run_readline_everywhere("zig", &targets);
}

#[test]
fn ncurses_fallbacks_work_without_a_terminfo_database() {
    let env = TestEnv::new();
    success(
        env.muslbuild()
            .args([
                "--target",
                "x86_64,aarch64",
                "--toolchain",
                "musl-gcc",
                "--lib",
                "ncurses",
                "--source-dir",
            ])
            .arg(test_sources())
            .arg(example("term.c")),
    );
    let empty = tempfile::tempdir().unwrap();
    for target in ["x86_64", "aarch64"] {
        let binary = env.path().join("dist").join(target).join("term");
        let mut cmd = match qemu_for(target) {
            Some(q) => {
                let mut c = Command::new(require(q, "qemu-user-static"));
                c.arg(&binary);
                c
            }
            None => Command::new(&binary),
        };
        cmd.env_clear()
            .env("TERMINFO", "/nonexistent/terminfo")
            .env("TERMINFO_DIRS", "/nonexistent")
            .current_dir(empty.path());
        let output = cmd.output().unwrap();
        assert!(output.status.success(), "{target}: {output:?}");
        assert_eq!(
            stdout(&output).trim(),
            "xterm-256color colors=256",
            "{target}"
        );
    }

    // A terminfo database, when there is one, still comes before the fallbacks.
    let tic = require("tic", "ncurses-bin");
    let source = env.write(
        "custom.ti",
        "xterm-256color|muslbuild test entry,\n\tcolors#88, cols#80, lines#24,\n",
    );
    let db = env.path().join("terminfo");
    let status = Command::new(tic)
        .arg("-o")
        .arg(&db)
        .arg(&source)
        .status()
        .unwrap();
    assert!(status.success());
    let output = Command::new(env.path().join("dist/x86_64/term"))
        .env_clear()
        .env("TERMINFO", &db)
        .current_dir(empty.path())
        .output()
        .unwrap();
    assert_eq!(
        stdout(&output).trim(),
        "xterm-256color colors=88",
        "{output:?}"
    );
}

/// Debian's zlib tarball is repacked (not the upstream bytes the recipe pins), so it comes
/// in through the vendored-library path: the same recipe format, with a folder.
#[test]
fn zlib_round_trips_on_every_target() {
    let env = TestEnv::new();
    let status = Command::new("tar")
        .arg("-xjf")
        .arg(test_sources().join("zlib_1.2.13.dfsg.orig.tar.bz2"))
        .arg("-C")
        .arg(env.path())
        .status()
        .unwrap();
    assert!(status.success());
    env.write(
        "zlib.toml",
        r#"[[library]]
name = "zlib"
version = "1.2.13"
build = "configure"
path = "zlib-1.2.13.dfsg"
[library.configure]
args = ["--static"]
[library.make]
targets = ["libz.a"]
[library.exports]
libs = ["z"]
"#,
    );
    success(
        env.muslbuild()
            .args([
                "--target",
                "x86_64,aarch64,armv7",
                "--toolchain",
                "musl-gcc",
                "--lib-file",
                "zlib.toml",
            ])
            .arg(example("zpipe.c")),
    );
    let input: Vec<u8> = (0..200_000u32)
        .map(|i| (i % 251) as u8 ^ (i / 997) as u8)
        .collect();
    for (target, qemu) in ALL {
        let output = run_binary(
            qemu,
            &env.path().join("dist").join(target).join("zpipe"),
            &input,
        );
        assert!(output.status.success(), "{target}: {output:?}");
        let text = stdout(&output);
        assert!(
            text.starts_with("zlib 1.2.13: 200000 bytes") && text.trim_end().ends_with("ok"),
            "{target}: {text}"
        );
    }
}

fn write_greet_fixture(env: &TestEnv, message: &str) -> PathBuf {
    env.write("greet/greet.h", "const char *greet(void);\n");
    env.write(
        "greet/greet.c",
        &format!("#include \"greet.h\"\nconst char *greet(void) {{ return \"{message}\"; }}\n"),
    );
    env.write(
        "greet/Makefile",
        "CC ?= cc\nAR ?= ar\nPREFIX ?= /usr/local\n\nlibgreet.a: greet.o\n\t$(AR) rcs $@ greet.o\n\n\
         greet.o: greet.c greet.h\n\t$(CC) $(CFLAGS) -c greet.c -o $@\n\n\
         install: libgreet.a\n\tmkdir -p $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include\n\
         \tcp libgreet.a $(DESTDIR)$(PREFIX)/lib/\n\tcp greet.h $(DESTDIR)$(PREFIX)/include/\n",
    );
    env.write(
        "hello_greet.c",
        "#include <stdio.h>\n#include <greet.h>\nint main(void) { puts(greet()); return 0; }\n",
    )
}

#[test]
fn vendored_make_library_builds_per_target_and_links() {
    let env = TestEnv::new();
    let main = write_greet_fixture(&env, "hello from a vendored library");
    let run = |env: &TestEnv| {
        let output = success(
            env.muslbuild()
                .args([
                    "--target",
                    "x86_64,aarch64,armv7",
                    "--toolchain",
                    "musl-gcc",
                    "--vendor-lib",
                    "greet=greet:make",
                ])
                .arg(&main),
        );
        stderr(&output)
    };
    let first = run(&env);
    assert_eq!(built_lines(&first).len(), 3, "{first}");
    // stderr is not a terminal here: progress comes as plain lines, one per step.
    for target in ["x86_64", "aarch64", "armv7"] {
        for step in ["greet (vendored) for {target}: make", "(make took "] {
            let step = step.replace("{target}", target);
            assert!(
                first.contains(&step),
                "no progress line `{step}` in:\n{first}"
            );
        }
    }
    for (target, qemu) in ALL {
        let output = run_binary(
            qemu,
            &env.path().join("dist").join(target).join("hello_greet"),
            b"",
        );
        assert_eq!(
            stdout(&output).trim(),
            "hello from a vendored library",
            "{target}"
        );
    }
    assert!(built_lines(&run(&env)).is_empty());

    // The JSON report says the same, per library and target.
    let output = success(
        env.muslbuild()
            .args([
                "--json",
                "--target",
                "x86_64,aarch64,armv7",
                "--toolchain",
                "musl-gcc",
            ])
            .args(["--vendor-lib", "greet=greet:make"])
            .arg(&main),
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let libraries = report["libraries"].as_array().expect("a libraries array");
    assert_eq!(libraries.len(), 3, "{report}");
    for lib in libraries {
        assert_eq!(lib["name"], "greet", "{lib}");
        assert_eq!(lib["state"], "cached", "{lib}");
    }

    // Editing the vendored folder changes its key: rebuilt for every target.
    write_greet_fixture(&env, "edited");
    let third = run(&env);
    assert_eq!(built_lines(&third).len(), 3, "{third}");
    let output = run_binary(None, &env.path().join("dist/x86_64/hello_greet"), b"");
    assert_eq!(stdout(&output).trim(), "edited");
}

#[test]
fn unknown_library_is_refused_with_the_known_names() {
    let env = TestEnv::new();
    let output = env
        .muslbuild()
        .args(["--target", "x86_64", "--lib", "readlin"])
        .arg(example("hello.c"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(10), "{output:?}");
    let text = stderr(&output);
    assert!(
        text.contains("muslbuild: error: unknown library `readlin`"),
        "{text}"
    );
    assert!(
        text.contains(
            "help: known libraries: bzip2, expat, libevent, ncurses, openssl, pcre2, readline, sqlite, xz, zlib, zstd"
        ),
        "{text}"
    );
}

fn private_cache(env: &TestEnv) -> PathBuf {
    let dir = env.path().join("private-cache");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn complete_entries(cache: &Path, kind: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(cache.join(kind)) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join(".muslbuild-complete").exists())
        .collect()
}

#[test]
fn tampered_archive_is_never_built() {
    let env = TestEnv::new();
    let mirror = env.path().join("mirror");
    std::fs::create_dir(&mirror).unwrap();
    let mut bytes = std::fs::read(test_sources().join("ncurses_6.4.orig.tar.gz")).unwrap();
    bytes.extend_from_slice(b"tampered");
    std::fs::write(mirror.join("ncurses-6.4.tar.gz"), bytes).unwrap();
    let cache = private_cache(&env);
    let output = env
        .muslbuild()
        .env("MUSLBUILD_HOME", &cache)
        .args([
            "lib",
            "build",
            "ncurses",
            "--target",
            "x86_64",
            "--toolchain",
            "musl-gcc",
            "--source-dir",
        ])
        .arg(&mirror)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(10), "{output:?}");
    let text = stderr(&output);
    assert!(
        text.contains("is not the ncurses source muslbuild expects"),
        "{text}"
    );
    assert!(
        text.contains("expected 6931283d9ac87c5073f30b6290c4c75f21632bb4fc3603ac8100812bed248159"),
        "{text}"
    );
    assert!(
        !text.contains("building library"),
        "it started a build:\n{text}"
    );
    assert!(complete_entries(&cache, "libs").is_empty());
    let sources: Vec<_> = std::fs::read_dir(cache.join("sources"))
        .map(|d| d.collect())
        .unwrap_or_default();
    assert!(sources.is_empty(), "the tampered archive reached the cache");
}

#[test]
fn configure_failure_shows_the_log_tail() {
    let env = TestEnv::new();
    env.write(
        "broken/configure",
        "#!/bin/sh\necho \"checking for a working frobnicator... no\"\necho \"configure: error: frobnicator 2.0 is required\" >&2\nexit 1\n",
    );
    let output = env
        .muslbuild()
        .args([
            "--target",
            "x86_64",
            "--toolchain",
            "musl-gcc",
            "--vendor-lib",
            "broken=broken:autotools",
        ])
        .arg(example("hello.c"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(10), "{output:?}");
    let text = stderr(&output);
    assert!(
        text.contains("muslbuild: error: building library broken for x86_64 failed at `configure`"),
        "{text}"
    );
    assert!(
        text.contains("configure: error: frobnicator 2.0 is required"),
        "{text}"
    );
    let log = text
        .lines()
        .find_map(|l| l.split("the full log (with the command line) is ").nth(1))
        .expect("a log path")
        .split(';')
        .next()
        .unwrap();
    assert!(Path::new(log).is_file(), "{log}");
    assert!(
        std::fs::read_to_string(log)
            .unwrap()
            .contains("checking for a working frobnicator... no")
    );
    assert!(!env.path().join("dist/x86_64/hello").exists());
}

#[test]
fn missing_host_tool_is_named_before_anything_starts() {
    let env = TestEnv::new();
    // A PATH like the real one but without ncurses-bin's tic/infocmp.
    let bin = env.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for entry in std::fs::read_dir("/usr/bin")
        .unwrap()
        .filter_map(|e| e.ok())
    {
        let name = entry.file_name();
        if name != "tic" && name != "infocmp" {
            std::os::unix::fs::symlink(entry.path(), bin.join(&name)).unwrap();
        }
    }
    let mut path = vec![bin];
    let usr_dirs = [
        Path::new("/usr/bin"),
        Path::new("/bin"),
        Path::new("/usr/sbin"),
        Path::new("/sbin"),
    ];
    path.extend(
        std::env::split_paths(&std::env::var_os("PATH").unwrap())
            .filter(|p| !usr_dirs.contains(&p.as_path())),
    );
    let cache = private_cache(&env);
    let output = env
        .muslbuild()
        .env("PATH", std::env::join_paths(path).unwrap())
        .env("MUSLBUILD_HOME", &cache)
        .args([
            "lib",
            "build",
            "ncurses",
            "--target",
            "x86_64",
            "--toolchain",
            "musl-gcc",
            "--source-dir",
        ])
        .arg(test_sources())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(12), "{output:?}");
    let text = stderr(&output);
    assert!(
        text.contains(
            "muslbuild: error: `tic` is needed to build library ncurses but was not found"
        ),
        "{text}"
    );
    assert!(
        text.contains("help: install it: apt-get install ncurses-bin"),
        "{text}"
    );
    assert!(!text.contains("building library"), "{text}");
    assert!(complete_entries(&cache, "libs").is_empty());
}

#[test]
fn lib_list_and_env() {
    let env = TestEnv::new();
    let output = success(env.muslbuild().args(["lib", "list"]));
    let text = stdout(&output);
    assert!(
        text.lines()
            .any(|l| l.starts_with("ncurses") && l.contains("6.4")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("readline") && l.contains("8.2") && l.contains("ncurses")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("zlib") && l.contains("1.3.1")),
        "{text}"
    );

    let output = success(
        env.muslbuild()
            .args([
                "lib",
                "env",
                "ncurses",
                "--target",
                "aarch64",
                "--toolchain",
                "musl-gcc",
                "--source-dir",
            ])
            .arg(test_sources()),
    );
    let text = stdout(&output);
    for key in [
        "CC",
        "CFLAGS",
        "CPPFLAGS",
        "LDFLAGS",
        "LIBS",
        "PKG_CONFIG_LIBDIR",
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("export {key}="))),
            "no {key}:\n{text}"
        );
    }
    assert!(text.contains("-lncursesw -ltinfow"), "{text}");
    let libdir = text
        .lines()
        .find_map(|l| l.strip_prefix("export PKG_CONFIG_LIBDIR="))
        .unwrap();
    assert!(!libdir.contains("/usr/"), "{libdir}");
    let pc = libdir.trim_matches('\'').split(':').next().unwrap();
    assert!(Path::new(pc).join("ncursesw.pc").is_file(), "{pc}");
    assert!(Path::new(pc).join("tinfo.pc").exists(), "{pc}");
}

#[test]
fn a_killed_build_leaves_nothing_that_counts_as_built() {
    let env = TestEnv::new();
    let marker = env.path().join("may-finish");
    let started = env.path().join("started");
    env.write("slow/slow.c", "int slow(void) { return 42; }\n");
    env.write(
        "slow/configure",
        &format!(
            "#!/bin/sh\nif [ ! -f '{marker}' ]; then touch '{started}'; sleep 20; fi\n\
             for a in \"$@\"; do case $a in --prefix=*) prefix=${{a#--prefix=}};; esac; done\n\
             printf 'libslow.a: slow.c\\n\\t$(CC) $(CFLAGS) -c slow.c -o slow.o && $(AR) rcs libslow.a slow.o\\n\
             install: libslow.a\\n\\tmkdir -p $(DESTDIR)%s/lib && cp libslow.a $(DESTDIR)%s/lib/\\n' \"$prefix\" \"$prefix\" > Makefile\n",
            marker = marker.display(),
            started = started.display()
        ),
    );
    let args = [
        "lib",
        "build",
        "--vendor-lib",
        "slow=slow:autotools",
        "--target",
        "x86_64",
        "--toolchain",
        "musl-gcc",
    ];
    let cache = private_cache(&env);
    let mut child = env
        .muslbuild()
        .env("MUSLBUILD_HOME", &cache)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    crate::support::wait_for_file(&started, "the vendored configure never started");
    child.kill().unwrap(); // SIGKILL: no cleanup code runs
    child.wait().unwrap();
    let complete: Vec<_> = complete_entries(&env.cache(), "libs")
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("slow-")
        })
        .collect();
    assert!(complete.is_empty(), "{complete:?}");

    std::fs::write(&marker, "").unwrap();
    let output = success(env.muslbuild().env("MUSLBUILD_HOME", &cache).args(args));
    let text = stderr(&output);
    assert!(
        text.contains("library slow (vendored) for x86_64: built in"),
        "{text}"
    );
}

/// zlib for armv5 with zig: configure's link tests and the library's build go through
/// zig's driver with the `__sync` archive muslbuild adds (zig's armv5 malloc needs it),
/// and a program linking the library round-trips data under qemu-arm.
#[test]
fn zlib_builds_for_armv5_with_zig_and_a_program_using_it_runs() {
    let qemu = require("qemu-arm-static", "qemu-user-static");
    let env = TestEnv::new();
    success(
        env.muslbuild()
            .args(["--target", "armv5", "--toolchain", "zig", "--lib", "zlib"])
            .arg("--source-dir")
            .arg(test_sources())
            .arg(example("zpipe.c")),
    );
    let input: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
    let output = run_binary(
        Some(qemu.to_str().unwrap()),
        &env.path().join("dist/armv5/zpipe"),
        &input,
    );
    assert!(output.status.success(), "{output:?}");
    let text = stdout(&output);
    assert!(
        text.starts_with("zlib 1.2.13: 100000 bytes") && text.trim_end().ends_with("ok"),
        "{text}"
    );
}
