//! The build plan: every target's C toolchain is resolved once per run, whatever needs
//! it (libraries, C programs, cgo), and `--dry-run` prints the plan without building.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{TestEnv, stdout, success};

/// The real zig inside Python's `ziglang` package.
fn real_zig() -> PathBuf {
    let output = Command::new("python3")
        .args([
            "-c",
            "import ziglang, os; print(os.path.dirname(ziglang.__file__))",
        ])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "the ziglang package is missing: python3 -m pip install ziglang"
    );
    PathBuf::from(stdout(&output).trim()).join("zig")
}

/// A FAKE zig that forgets: in front of the real one, it appends `probe <triple>` to
/// `probes` each time muslbuild probes it (the static-link check on `probe.c`), then
/// changes its own size, so the probe record muslbuild keeps for it no longer matches
/// and every resolution probes it again. The number of probes is the number of
/// resolutions.
fn forgetful_fake_zig(dir: &Path, probes: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let zig = bin.join("zig");
    let script = format!(
        r##"#!/bin/sh
case "$*" in
*/probe.c*)
  prev=
  for a in "$@"; do [ "$prev" = -target ] && triple="$a"; prev="$a"; done
  echo "probe $triple" >> '{probes}'
  echo "# probed" >> "$0"
  ;;
esac
exec '{real}' "$@"
"##,
        probes = probes.display(),
        real = real_zig().display(),
    );
    std::fs::write(&zig, script).unwrap();
    std::fs::set_permissions(&zig, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn write_greet_library(env: &TestEnv) {
    env.write("greet/greet.h", "const char *greet(void);\n");
    env.write(
        "greet/greet.c",
        "#include \"greet.h\"\nconst char *greet(void) { return \"hello from greet\"; }\n",
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
    );
}

/// The probes of one run, one line per probe, sorted; the log emptied for the next run.
fn probes_of_run(probes: &Path) -> Vec<String> {
    let mut lines: Vec<String> = std::fs::read_to_string(probes)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    let _ = std::fs::remove_file(probes);
    lines
}

fn with_fake_zig(env: &TestEnv, bin: &Path) -> Command {
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut cmd = env.muslbuild();
    cmd.env("PATH", path);
    cmd
}

#[test]
fn every_target_s_toolchain_is_probed_once_per_run() {
    let env = TestEnv::new();
    let probes = env.path().join("probes.log");
    let bin = forgetful_fake_zig(env.path(), &probes);
    write_greet_library(&env);
    let once_each = vec![
        "probe aarch64-linux-musl".to_string(),
        "probe x86_64-linux-musl".to_string(),
    ];

    // A C program and its library, for two targets: the library's build and the
    // program's each need the toolchain.
    success(
        with_fake_zig(&env, &bin)
            .args(["--target", "x86_64,aarch64", "--toolchain", "zig"])
            .args(["--vendor-lib", "greet=greet:make"])
            .arg("hello_greet.c"),
    );
    assert_eq!(probes_of_run(&probes), once_each);
    assert!(env.path().join("dist/aarch64/hello_greet").is_file());

    // A project: two C programs (one with the library) and a cgo Go program.
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\", \"aarch64\"]\ntoolchain = \"zig\"\n\n\
         [lib.greet]\npath = \"greet\"\nbuild = \"make\"\n\n\
         [c.hello_greet]\nsources = [\"hello_greet.c\"]\nlibs = [\"greet\"]\n\n\
         [c.plain]\nsources = [\"plain.c\"]\n\n\
         [go.server]\npackage = \"./cmd/server\"\ncgo = true\n",
    );
    env.write("plain.c", "int main(void) { return 0; }\n");
    env.write("go.mod", "module example.com/plan\n\ngo 1.21\n");
    env.write(
        "cmd/server/main.go",
        "package main\n\n// int answer(void) { return 42; }\nimport \"C\"\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(C.answer()) }\n",
    );
    success(with_fake_zig(&env, &bin).arg("build"));
    assert_eq!(probes_of_run(&probes), once_each);
    for artifact in ["hello_greet", "plain", "server"] {
        assert!(
            env.path().join("dist/x86_64").join(artifact).is_file(),
            "{artifact}"
        );
    }
}

#[test]
fn dry_run_prints_the_plan_and_builds_nothing() {
    let env = TestEnv::new();
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\", \"aarch64\"]\ntoolchain = \"zig\"\n\n\
         [c.hello]\nsources = [\"hello.c\"]\n",
    );
    env.write(
        "hello.c",
        "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n",
    );
    let output = success(env.muslbuild().args(["build", "--dry-run", "--json"]));
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        plan["targets"],
        serde_json::json!(["x86_64", "aarch64"]),
        "{plan}"
    );
    let toolchains = plan["toolchains"].as_array().expect("toolchains");
    assert_eq!(toolchains.len(), 2, "{plan}");
    for tc in toolchains {
        assert_eq!(tc["kind"], "zig", "{plan}");
        assert!(
            tc["version"].as_str().is_some_and(|v| !v.is_empty()),
            "{plan}"
        );
        assert!(
            tc["path"].as_str().is_some_and(|p| p.ends_with("zig")),
            "{plan}"
        );
    }
    let artifacts = plan["artifacts"].as_array().expect("artifacts");
    assert_eq!(artifacts.len(), 2, "{plan}");
    assert_eq!(artifacts[0]["name"], "hello");
    assert_eq!(artifacts[0]["kind"], "c");
    assert_eq!(artifacts[1]["target"], "aarch64");
    assert!(
        artifacts[1]["output"]
            .as_str()
            .is_some_and(|p| p.ends_with("dist/aarch64/hello")),
        "{plan}"
    );
    assert!(
        !env.path().join("dist").exists(),
        "a dry run built something"
    );

    // The single-file form, in words.
    let output = success(env.muslbuild().args([
        "--dry-run",
        "--target",
        "x86_64",
        "--toolchain",
        "zig",
        "hello.c",
    ]));
    let text = stdout(&output);
    assert!(text.contains("dry run: nothing is built"), "{text}");
    assert!(text.contains("x86_64/hello"), "{text}");
    assert!(
        !env.path().join("dist").exists(),
        "a dry run built something"
    );
}
