//! `muslbuild build` from a muslbuild.toml: several programs for three targets and an
//! image, checked with skopeo and umoci and run; incremental rebuilds asserted on the
//! report (built or cached per artifact and target); reproducibility across two folders;
//! every config error with its position and exit code 11.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use crate::support::{TestEnv, require, run_binary, stderr, stdout, success, unpack_platform};

const TAG: &str = "demo:1.0";

/// (target, skopeo --override-arch, --override-variant, qemu)
const PLATFORMS: [(&str, &str, Option<&str>, Option<&str>); 3] = [
    ("x86_64", "amd64", None, None),
    ("aarch64", "arm64", None, Some("qemu-aarch64-static")),
    ("armv7", "arm", Some("v7"), Some("qemu-arm-static")),
];

const PROJECT: &str = r#"
[project]
targets = ["x86_64", "aarch64", "armv7"]

[c.hello]
sources = ["src/hello.c"]

[c.greet]
sources = ["src/greet.c", "src/name.c"]
include = ["include"]
defines = ["GREETING=\"hi\""]

[c.count]
sources = ["src/count.c"]

[go.server]
package = "./cmd/server"
ldflags = ["-X main.version=1.0"]

[image]
tag = "demo:1.0"
artifacts = ["hello", "greet=/bin/greet", "count=/bin/count", "server=/bin/server"]
entrypoint = ["/hello"]
"#;

fn write_project(env: &TestEnv) {
    env.write("muslbuild.toml", PROJECT);
    env.write(
        "src/hello.c",
        "#include <stdio.h>\nint main(void) { puts(\"hello from the project\"); return 0; }\n",
    );
    env.write(
        "include/name.h",
        "const char *name(void);\n#define WHO \"world\"\n",
    );
    env.write(
        "src/greet.c",
        "#include <stdio.h>\n#include \"name.h\"\nint main(void) { printf(\"%s %s\\n\", GREETING, name()); return 0; }\n",
    );
    env.write(
        "src/name.c",
        "#include \"name.h\"\nconst char *name(void) { return WHO; }\n",
    );
    env.write("go.mod", "module example.com/demo\n\ngo 1.21\n");
    env.write(
        "cmd/server/main.go",
        "package main\n\nimport \"fmt\"\n\nvar version = \"dev\"\n\nfunc main() { fmt.Println(\"server\", version) }\n",
    );
    env.write(
        "src/count.c",
        "#include <stdio.h>\nint main(int argc, char **argv) { (void)argv; printf(\"%d\\n\", argc - 1); return 0; }\n",
    );
}

fn build(env: &TestEnv, args: &[&str]) -> serde_json::Value {
    let output = success(
        env.muslbuild()
            .arg("build")
            .arg("--json")
            .args(args)
            .env_remove("SOURCE_DATE_EPOCH"),
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("--json report: {e}\n{}", stdout(&output)))
}

/// `name/target` -> `built` | `cached`.
fn states(report: &serde_json::Value) -> BTreeMap<String, String> {
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

fn hashes(report: &serde_json::Value) -> BTreeMap<String, String> {
    report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["path"].as_str().unwrap().to_string(),
                a["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn all(names: &[&str], state: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for name in names {
        for (target, ..) in PLATFORMS {
            map.insert(format!("{name}/{target}"), state.to_string());
        }
    }
    map
}

fn skopeo() -> Command {
    Command::new(require("skopeo", "skopeo"))
}

fn unpack_and_run(
    env: &TestEnv,
    layout: &Path,
    arch: &str,
    variant: Option<&str>,
    qemu: Option<&str>,
) {
    let bundle = unpack_platform(env, layout, TAG, arch, variant);
    let rootfs = bundle.join("rootfs");
    for (file, want) in [
        ("hello", "hello from the project\n"),
        ("bin/greet", "hi world\n"),
        ("bin/count", "0\n"),
        ("bin/server", "server 1.0\n"),
    ] {
        let output = run_binary(qemu, &rootfs.join(file), b"");
        assert_eq!(stdout(&output), want, "{arch} {file}: {}", stderr(&output));
    }
}

#[test]
fn project_builds_everything_then_rebuilds_only_what_changed() {
    let env = TestEnv::with_own_cache();
    write_project(&env);
    let first = build(&env, &[]);
    assert_eq!(first["artifacts"].as_array().unwrap().len(), 12);
    for a in first["artifacts"].as_array().unwrap() {
        assert_eq!(a["verification"]["static"], true, "{a}");
        assert!(
            env.path()
                .join("dist")
                .join(a["path"].as_str().unwrap())
                .is_file()
        );
    }

    // The image: an index over three platforms, each unpacked and run.
    let layout = env.path().join("dist/image");
    let index = serde_json::from_slice::<serde_json::Value>(
        &success(
            skopeo()
                .args(["inspect", "--raw"])
                .arg(format!("oci:{}:{TAG}", layout.display())),
        )
        .stdout,
    )
    .unwrap();
    let platforms: Vec<String> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let p = &m["platform"];
            match p["variant"].as_str() {
                Some(v) => format!(
                    "{}/{}/{v}",
                    p["os"].as_str().unwrap(),
                    p["architecture"].as_str().unwrap()
                ),
                None => format!(
                    "{}/{}",
                    p["os"].as_str().unwrap(),
                    p["architecture"].as_str().unwrap()
                ),
            }
        })
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64", "linux/arm/v7"]);
    assert_eq!(
        first["image"]["index"]["digest"].as_str().unwrap().len(),
        71
    );
    for (_, arch, variant, qemu) in PLATFORMS {
        unpack_and_run(&env, &layout, arch, variant, qemu);
    }

    // Nothing changed: no compiler ran, the same bytes and the same image.
    let noop = build(&env, &[]);
    assert_eq!(
        states(&noop),
        all(&["hello", "greet", "count", "server"], "cached")
    );
    assert_eq!(hashes(&noop), hashes(&first));
    assert_eq!(
        noop["image"]["index"]["digest"],
        first["image"]["index"]["digest"]
    );

    // One .c file changed: that artifact alone is rebuilt, for every target.
    env.write(
        "src/count.c",
        "#include <stdio.h>\nint main(int argc, char **argv) { (void)argv; printf(\"%d args\\n\", argc - 1); return 0; }\n",
    );
    let one = build(&env, &[]);
    let mut want = all(&["hello", "greet", "server"], "cached");
    want.extend(all(&["count"], "built"));
    assert_eq!(states(&one), want);
    assert_ne!(
        one["image"]["index"]["digest"],
        first["image"]["index"]["digest"]
    );

    // A header only the depfile knows about: greet (which includes it) is rebuilt.
    env.write(
        "include/name.h",
        "const char *name(void);\n#define WHO \"project\"\n",
    );
    let header = build(&env, &[]);
    let mut want = all(&["hello", "count", "server"], "cached");
    want.extend(all(&["greet"], "built"));
    assert_eq!(states(&header), want);
    let greet = run_binary(None, &env.path().join("dist/x86_64/greet"), b"");
    assert_eq!(stdout(&greet), "hi project\n");

    // A Go file changed: only the Go program is rebuilt; a new file in its package too.
    env.write(
        "cmd/server/main.go",
        "package main\n\nimport \"fmt\"\n\nvar version = \"dev\"\n\nfunc main() { fmt.Println(\"server\", version, extra) }\n",
    );
    env.write(
        "cmd/server/extra.go",
        "package main\n\nconst extra = \"+\"\n",
    );
    let go_change = build(&env, &[]);
    let mut want = all(&["hello", "greet", "count"], "cached");
    want.extend(all(&["server"], "built"));
    assert_eq!(states(&go_change), want);
    let server = run_binary(None, &env.path().join("dist/x86_64/server"), b"");
    assert_eq!(stdout(&server), "server 1.0 +\n");

    // One artifact by name: no image.
    let named = build(&env, &["hello"]);
    assert_eq!(states(&named), all(&["hello"], "cached"));
    assert!(named.get("image").is_none());

    // The human report says the same per artifact and target.
    let output = success(env.muslbuild().arg("build"));
    let text = stdout(&output);
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("cached dist/"))
            .count(),
        12,
        "{text}"
    );
    assert!(text.contains("cached image demo:1.0"), "{text}");
    assert!(
        text.contains("12 artifacts for 3 targets: 0 built, 12 cached"),
        "{text}"
    );
}

#[test]
fn two_folders_give_the_same_bytes_and_check_reproducible_passes() {
    let a = TestEnv::new();
    let b = TestEnv::new();
    write_project(&a);
    write_project(&b);
    let ra = build(&a, &[]);
    let rb = build(&b, &["--check-reproducible"]);
    assert_eq!(hashes(&ra), hashes(&rb));
    assert_eq!(
        ra["image"]["index"]["digest"],
        rb["image"]["index"]["digest"]
    );
    assert_eq!(rb["reproducible"]["ok"], true, "{rb}");
    for (path, _) in hashes(&ra) {
        assert_eq!(
            std::fs::read(a.path().join("dist").join(&path)).unwrap(),
            std::fs::read(b.path().join("dist").join(&path)).unwrap(),
            "{path}"
        );
    }
    // The comparison build left nothing in the project's dist but the real artifacts.
    let names: Vec<String> = std::fs::read_dir(b.path().join("dist"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
fn init_writes_a_starter_that_builds_and_never_overwrites() {
    let env = TestEnv::new();
    let output = success(env.muslbuild().arg("init"));
    assert!(stdout(&output).contains("muslbuild.toml"));
    let text = std::fs::read_to_string(env.path().join("muslbuild.toml")).unwrap();
    assert!(
        text.contains("[c.hello]") && text.contains("# [image]"),
        "{text}"
    );

    // `muslbuild` alone in the folder builds the project.
    let output = success(env.muslbuild().args(["--target", "x86_64", "--json"]));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(states(&report).len(), 1, "{report}");
    let run = run_binary(None, &env.path().join("dist/x86_64/hello"), b"");
    assert_eq!(stdout(&run), "hello from a static binary\n");

    env.write("muslbuild.toml", "# mine\n");
    let output = env.muslbuild().arg("init").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("already exists"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read_to_string(env.path().join("muslbuild.toml")).unwrap(),
        "# mine\n"
    );
}

/// (file contents, `file:line:col: message` start, help start)
fn config_error(files: &[(&str, &str)], toml: &str) -> (String, String) {
    let env = TestEnv::new();
    for (name, text) in files {
        env.write(name, text);
    }
    env.write("muslbuild.toml", toml);
    let output = env.muslbuild().arg("build").output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(11), "{err}");
    assert!(!env.path().join("dist").exists(), "nothing is built: {err}");
    let mut lines = err.lines();
    let first = lines.next().unwrap().to_string();
    let help = lines.next().unwrap_or_default().to_string();
    (first, help)
}

#[test]
fn every_config_error_has_its_position_and_exit_code() {
    let c = [("a.c", "int main(void){return 0;}\n")];
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            &c,
            "[c.a]\nsources = [\"a.c\"\n",
            "muslbuild: error: muslbuild.toml:2:",
            "help: fix the TOML",
        ),
        (
            &c,
            "[c.a]\nsource = [\"a.c\"]\n",
            "muslbuild: error: muslbuild.toml:2:1: unknown key `source`",
            "help: did you mean `sources`?",
        ),
        (
            &c,
            "[projet]\ntargets = [\"all\"]\n",
            "muslbuild: error: muslbuild.toml:1:2: unknown key `projet`",
            "help: did you mean `project`?",
        ),
        (
            &[("x/Makefile", ""), ("y/Makefile", "")],
            "[lib.x]\npath = \"x\"\ndeps = [\"y\"]\n[lib.y]\npath = \"y\"\ndeps = [\"x\"]\n",
            "muslbuild: error: muslbuild.toml:1:6: library dependency cycle: x -> y -> x",
            "help: a library cannot depend on itself",
        ),
        (
            &[("a.c", ""), ("b.c", "")],
            "[c.a]\nsources = [\"a.c\"]\n[c.b]\nsources = [\"b.c\"]\n[vendor.tool]\npath = \".\"\nprograms = [\"a\"]\n",
            "muslbuild: error: muslbuild.toml:7:13: artifact `a` is named twice",
            "help: it is first named at line 1, column 4",
        ),
        (
            &c,
            "[c.a]\nsources = [\"a.c\"]\n[image]\nartifacts = [\"b\"]\n",
            "muslbuild: error: muslbuild.toml:4:14: the image ships artifact `b`, which this file does not build",
            "help: the artifacts are: a",
        ),
        (
            &c,
            "[c.a]\nsources = [\"a.c\"]\nlibs = [\"zlb\"]\n",
            "muslbuild: error: muslbuild.toml:3:9: unknown library `zlb`",
            "help: did you mean `zlib`?",
        ),
        (
            &c,
            "[project]\ntargets = [\"sparc\"]\n[c.a]\nsources = [\"a.c\"]\n",
            "muslbuild: error: muslbuild.toml:2:12: unknown target `sparc`",
            "help: valid targets are x86_64, aarch64, armv7, i386,",
        ),
        (
            &c,
            "[project]\ntargets = [\"x86_64\", \"linux/arm\"]\n[c.a]\nsources = [\"a.c\"]\n",
            "muslbuild: error: muslbuild.toml:2:22: ambiguous target `linux/arm`: it could mean armv5, armv6 or armv7",
            "help: name one: `armv5` (linux/arm/v5)",
        ),
        (
            &c,
            "[c.a]\nsources = [\"b.c\"]\n",
            "muslbuild: error: muslbuild.toml:2:12: source file `b.c` does not exist",
            "help: paths are relative",
        ),
    ];
    for (files, toml, message, help) in cases {
        let (first, second) = config_error(files, toml);
        assert!(
            first.starts_with(message),
            "{toml}\n  got: {first}\n want: {message}"
        );
        assert!(
            second.starts_with(help),
            "{toml}\n  got: {second}\n want: {help}"
        );
    }
}

#[test]
fn unknown_artifact_name_is_a_usage_error() {
    let env = TestEnv::new();
    write_project(&env);
    let output = env.muslbuild().args(["build", "helo"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("did you mean `hello`?"),
        "{}",
        stderr(&output)
    );
}

const LIBS_PROJECT: &str = r#"
[project]
targets = ["x86_64", "aarch64", "armv7"]
source-dirs = ["SOURCES"]

[c.repl]
sources = ["src/repl.c"]
libs = ["readline"]

[vendor.tool]
path = "vendor/tool"
libs = ["readline"]
programs = ["toold", "toolctl"]

[image]
tag = "demo:1.0"
"#;

const TOOL_MAKEFILE: &str = "PREFIX ?= /usr/local
all: toold toolctl
toold: toold.c
\t$(CC) $(CFLAGS) $(LDFLAGS) -o $@ toold.c
toolctl: toolctl.c
\t$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o $@ toolctl.c -lreadline -lncursesw -ltinfow
install: all
\tmkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin
\tcp toold $(DESTDIR)$(PREFIX)/sbin/toold
\tcp toolctl $(DESTDIR)$(PREFIX)/bin/toolctl
";

fn write_libs_project(env: &TestEnv) {
    let sources = crate::support::repo_root().join("target/test-sources");
    assert!(
        sources.join("readline_8.2.orig.tar.gz").is_file(),
        "prerequisite {} is missing: run scripts/setup-test-env.sh",
        sources.display()
    );
    env.write(
        "muslbuild.toml",
        &LIBS_PROJECT.replace("SOURCES", &sources.display().to_string()),
    );
    env.write(
        "src/repl.c",
        "#include <stdio.h>\n#include <stdlib.h>\n#include <readline/readline.h>\n#include <readline/history.h>\nint main(void) { char *l; while ((l = readline(\"\"))) { add_history(l); printf(\"[%s]\\n\", l); free(l); } return 0; }\n",
    );
    env.write("vendor/tool/Makefile", TOOL_MAKEFILE);
    env.write(
        "vendor/tool/toold.c",
        "#include <stdio.h>\nint main(void) { puts(\"toold up\"); return 0; }\n",
    );
    env.write(
        "vendor/tool/toolctl.c",
        "#include <stdio.h>\n#include <readline/readline.h>\nint main(void) { printf(\"toolctl readline %s\\n\", rl_library_version); return 0; }\n",
    );
}

#[test]
fn readline_and_a_vendored_project_build_run_cache_and_reproduce() {
    let a = TestEnv::new();
    write_libs_project(&a);
    let first = build(&a, &[]);
    assert_eq!(first["artifacts"].as_array().unwrap().len(), 9, "{first}");
    let kinds: Vec<&str> = first["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "vendor").count(), 6);
    assert!(
        first["libraries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["name"] == "readline"),
        "{first}"
    );
    for (target, _, _, qemu) in PLATFORMS {
        let dist = a.path().join("dist").join(target);
        let repl = run_binary(qemu, &dist.join("repl"), b"one\ntwo\n");
        assert!(
            stdout(&repl).contains("[one]") && stdout(&repl).contains("[two]"),
            "{target}: {}{}",
            stdout(&repl),
            stderr(&repl)
        );
        let tool = run_binary(qemu, &dist.join("toolctl"), b"");
        assert_eq!(stdout(&tool), "toolctl readline 8.2\n", "{target}");
        let daemon = run_binary(qemu, &dist.join("toold"), b"");
        assert_eq!(stdout(&daemon), "toold up\n", "{target}");
    }

    // Nothing changed: no compiler, no configure, no make.
    let noop = build(&a, &[]);
    assert_eq!(states(&noop), all(&["repl", "toold", "toolctl"], "cached"));

    // The vendored project changed: its programs are rebuilt, repl is not.
    a.write(
        "vendor/tool/toold.c",
        "#include <stdio.h>\nint main(void) { puts(\"toold 2\"); return 0; }\n",
    );
    let changed = build(&a, &[]);
    let mut want = all(&["repl"], "cached");
    want.extend(all(&["toold", "toolctl"], "built"));
    assert_eq!(states(&changed), want);

    // Another folder, byte for byte (C with readline, the vendored programs, the image).
    let b = TestEnv::new();
    write_libs_project(&b);
    b.write(
        "vendor/tool/toold.c",
        "#include <stdio.h>\nint main(void) { puts(\"toold 2\"); return 0; }\n",
    );
    let other = build(&b, &[]);
    assert_eq!(hashes(&other), hashes(&changed));
    assert_eq!(other["image"]["digest"], changed["image"]["digest"]);
}

/// Offline, a library whose source archive is nowhere at hand is said before any
/// toolchain work: three targets, a cold cache, and not one process spawned (`-v` echoes
/// every one) — the probes of a cold zig would take minutes.
#[test]
fn a_missing_library_source_offline_is_said_before_any_toolchain_work() {
    let env = TestEnv::new();
    env.write("hello.c", "int main(void) { return 0; }\n");
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\", \"aarch64\", \"armv7\"]\ntoolchain = \"zig\"\n\n[c.hello]\nsources = [\"hello.c\"]\nlibs = [\"zlib\"]\n",
    );
    let output = env
        .muslbuild()
        .env("MUSLBUILD_HOME", env.path().join("cold-cache"))
        .env_remove("MUSLBUILD_SOURCE_DIRS")
        .args(["build", "-v"])
        .output()
        .unwrap();
    source_missing_before_any_process(&output, "zlib", &env);
}

/// A missing library source said as one error (exit 10) with its `help:` line, which is
/// returned, before any process ran (`-v` shows each as `+ …`) and with no `dist/`.
fn source_missing_before_any_process(output: &Output, library: &str, env: &TestEnv) -> String {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(10), "{err}");
    let said = format!("muslbuild: error: no source archive for {library}");
    assert!(err.lines().any(|l| l.starts_with(&said)), "{err}");
    assert!(
        !err.lines().any(|l| l.starts_with("+ ")),
        "a process ran before the source was found missing:\n{err}"
    );
    assert!(!env.path().join("dist").exists());
    err.lines()
        .find(|l| l.starts_with("help: "))
        .unwrap_or_else(|| panic!("no help line:\n{err}"))
        .to_string()
}

/// `muslbuild build --source-dir DIR`, as the error's help says: DIR is looked in, before
/// the file's `source-dirs`.
#[test]
fn build_takes_source_folders_on_the_command_line() {
    let env = TestEnv::new();
    env.write("hello.c", "int main(void) { return 0; }\n");
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\"]\nsource-dirs = [\"from-file\"]\n\n[c.hello]\nsources = [\"hello.c\"]\nlibs = [\"zlib\"]\n",
    );
    std::fs::create_dir_all(env.path().join("archives")).unwrap();
    // A cold cache: with zlib built in the shared one, no archive would be needed.
    let output = env
        .muslbuild()
        .env("MUSLBUILD_HOME", env.path().join("cold-cache"))
        .env_remove("MUSLBUILD_SOURCE_DIRS")
        .args(["build", "--offline", "--source-dir", "archives"])
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(10), "{err}");
    let looked = err
        .lines()
        .find_map(|l| l.split_once("looked in: "))
        .map(|(_, rest)| rest.to_string())
        .unwrap_or_else(|| panic!("no folders named:\n{err}"));
    let archives = env.path().join("archives").display().to_string();
    let from_file = env.path().join("from-file").display().to_string();
    assert!(
        looked.find(&archives).unwrap() < looked.find(&from_file).unwrap(),
        "{looked}"
    );
}

/// Online, a library source is downloaded before any toolchain is looked for: a download
/// that fails is said before a cold zig is probed for three targets (minutes), and no
/// process runs. The single-file form, with a recipe file whose archive is on a loopback
/// server that has nothing.
#[test]
fn a_failed_source_download_is_said_before_any_toolchain_work() {
    let server = crate::http::Server::start();
    let url = server.url("tiny-1.0.tar.gz");
    let env = TestEnv::new();
    env.write("hello.c", "int main(void) { return 0; }\n");
    env.write(
        "tiny.toml",
        &format!(
            "[[library]]\nname = \"tiny\"\nversion = \"1.0\"\nbuild = \"make\"\n[[library.sources]]\nfile = \"tiny-1.0.tar.gz\"\nurls = [\"{url}\"]\nsha256 = \"{}\"\n",
            "ab".repeat(32)
        ),
    );
    let output = env
        .muslbuild()
        .env("MUSLBUILD_HOME", env.path().join("cold-cache"))
        .env_remove("MUSLBUILD_SOURCE_DIRS")
        .env_remove("MUSLBUILD_OFFLINE")
        .env("MUSLBUILD_HTTP_RETRIES", "0")
        .args([
            "-v",
            "--toolchain",
            "zig",
            "--target",
            "x86_64,aarch64,armv7",
        ])
        .args(["--lib-file", "tiny.toml", "--lib", "tiny", "hello.c"])
        .output()
        .unwrap();
    let help = source_missing_before_any_process(&output, "tiny", &env);
    assert!(
        help.contains(&format!("cannot download {url}: HTTP 404")),
        "{help}"
    );
    assert_eq!(server.requests("tiny-1.0.tar.gz"), 1, "{help}");
}
