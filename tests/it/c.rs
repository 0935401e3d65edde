//! The C pipeline end to end with real toolchains (zig from Python's ziglang, Debian's
//! musl-gcc, GNU cross gcc + musl specs) and real qemu-user.

use std::path::Path;

use crate::support::{TestEnv, example, require, run_binary, stderr, stdout, success};

const TARGETS: [(&str, Option<&str>); 3] = [
    ("x86_64", None),
    ("aarch64", Some("qemu-aarch64-static")),
    ("armv7", Some("qemu-arm-static")),
];

fn require_toolchains() {
    require("python3", "python3 with the ziglang package");
    require("musl-gcc", "musl-tools");
    require("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu");
    require("arm-linux-gnueabihf-gcc", "gcc-arm-linux-gnueabihf");
    for specs in [
        "/usr/lib/aarch64-linux-musl/musl-gcc.specs",
        "/usr/lib/arm-linux-musleabihf/musl-gcc.specs",
    ] {
        assert!(
            Path::new(specs).is_file(),
            "prerequisite {specs} is missing: run scripts/setup-test-env.sh (musl-dev:arm64/armhf)"
        );
    }
}

/// Asserts a failed run: exit code, a first line `muslbuild: error: …` containing
/// `message`, and a `help:` line.
fn assert_error(output: &std::process::Output, code: i32, message: &str) -> String {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(code), "stderr:\n{err}");
    let first = err
        .lines()
        .find(|l| l.starts_with("muslbuild: error:"))
        .unwrap_or_else(|| panic!("no error line in:\n{err}"));
    assert!(first.contains(message), "expected `{message}` in `{first}`");
    assert!(
        err.lines().any(|l| l.starts_with("help: ")),
        "no help line in:\n{err}"
    );
    err
}

fn assert_dist_clean(dist: &Path) {
    if let Ok(entries) = std::fs::read_dir(dist) {
        for entry in entries {
            let name = entry.unwrap().file_name();
            assert!(
                !name.to_string_lossy().starts_with(".tmp"),
                "leftover {name:?} in {}",
                dist.display()
            );
        }
    }
}

#[test]
fn hello_for_every_target_with_every_provider_runs_under_qemu() {
    require_toolchains();
    let env = TestEnv::new();
    for provider in ["zig", "musl-gcc"] {
        let out = format!("dist-{provider}");
        let output = success(
            env.muslbuild()
                .args([
                    "--toolchain",
                    provider,
                    "--target",
                    "x86_64,aarch64,armv7",
                    "--out-dir",
                    &out,
                ])
                .arg(example("hello.c")),
        );
        let text = stdout(&output);
        for (target, qemu) in TARGETS {
            let binary = env.path().join(&out).join(target).join("hello");
            assert!(
                text.contains(&format!("{out}/{target}/hello")),
                "no line for {target} in:\n{text}"
            );
            let run = run_binary(qemu, &binary, b"");
            assert_eq!(
                stdout(&run),
                "Hello World\n",
                "{provider} {target}: {}",
                stderr(&run)
            );
            let size = std::fs::metadata(&binary).unwrap().len();
            println!("hello {target} {provider}: {size} bytes");
            if provider == "zig" && target != "aarch64" {
                assert!(
                    size <= 8 * 1024,
                    "{target} hello with zig is {size} bytes, goal is <= 8 KiB"
                );
            }
        }
        assert!(
            text.contains(&format!("{provider} ")),
            "toolchain not named in:\n{text}"
        );
        assert_dist_clean(&env.path().join(&out));
    }
}

#[test]
fn run_flag_executes_each_artifact_in_an_empty_environment() {
    require_toolchains();
    let env = TestEnv::new();
    env.write(
        "envcount.c",
        "#include <stdio.h>\nextern char **environ;\nint main(int argc, char **argv) {\n  int n = 0; while (environ[n]) n++;\n  printf(\"env=%d args=%d last=%s\\n\", n, argc - 1, argv[argc - 1]);\n  return 0;\n}\n",
    );
    let output = success(env.muslbuild().args([
        "--target",
        "x86_64,arm64,armhf",
        "envcount.c",
        "--run",
        "--",
        "a",
        "b c",
    ]));
    let text = stdout(&output);
    assert_eq!(text.matches("| env=0 args=2 last=b c").count(), 3, "{text}");
    assert!(text.contains("under qemu-aarch64"), "{text}");
    assert!(text.contains("under qemu-arm"), "{text}");
}

#[test]
fn run_failure_is_reported_with_its_status() {
    require_toolchains();
    let env = TestEnv::new();
    env.write(
        "fail.c",
        "#include <stdio.h>\nint main(void) { puts(\"bad\"); return 3; }\n",
    );
    let output = env
        .muslbuild()
        .args(["--target", "aarch64", "fail.c", "--run"])
        .output()
        .unwrap();
    assert_error(&output, 7, "exit status 3");
    assert!(stdout(&output).contains("| bad"));
}

#[test]
fn same_source_in_two_folders_gives_identical_bytes() {
    require_toolchains();
    for (provider, target) in [
        ("zig", "armv7"),
        ("musl-gcc", "x86_64"),
        ("musl-gcc", "aarch64"),
    ] {
        let mut digests = Vec::new();
        for _ in 0..2 {
            let env = TestEnv::new();
            std::fs::copy(example("hello.c"), env.path().join("hello.c")).unwrap();
            env.write("inc/greet.h", "#define GREETING __FILE__\n");
            let output = success(env.muslbuild().args([
                "--toolchain",
                provider,
                "--target",
                target,
                "-Iinc",
                "--json",
                "hello.c",
            ]));
            let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            digests.push(
                report["artifacts"][0]["sha256"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        assert_eq!(
            digests[0], digests[1],
            "{provider} {target} output differs between folders"
        );
    }
}

#[test]
fn json_report_and_manifest_agree_with_the_files() {
    require_toolchains();
    let env = TestEnv::new();
    let output = success(
        env.muslbuild()
            .args(["--json", "-t", "x86_64", "-t", "aarch64", "-o", "greeter"])
            .arg(example("hello.c")),
    );
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("stdout is JSON only");
    let artifacts = report["artifacts"].as_array().unwrap();
    assert_eq!(artifacts.len(), 2);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path().join("dist/manifest.json")).unwrap())
            .unwrap();
    let sums = std::fs::read_to_string(env.path().join("dist/SHA256SUMS")).unwrap();
    for entry in manifest["artifacts"].as_array().unwrap() {
        let path = entry["path"].as_str().unwrap();
        let bytes = std::fs::read(env.path().join("dist").join(path)).unwrap();
        let sha = muslbuild::sys::hash::sha256_hex(&bytes);
        assert_eq!(entry["sha256"], sha.as_str());
        assert_eq!(entry["size"], bytes.len());
        assert_eq!(entry["verification"]["static"], true);
        assert!(sums.contains(&format!("{sha}  {path}\n")), "{sums}");
        assert!(path.ends_with("/greeter"));
    }
}

#[test]
fn verbose_prints_pasteable_commands_and_quiet_prints_nothing() {
    require_toolchains();
    let env = TestEnv::with_own_cache();
    let output = success(
        env.muslbuild()
            .args(["-v", "--toolchain", "musl-gcc", "-DNAME=\"a b\""])
            .arg(example("hello.c")),
    );
    let err = stderr(&output);
    let line = err
        .lines()
        .find(|l| l.starts_with("+ ") && l.contains("-ffunction-sections"))
        .expect("command line");
    assert!(line.contains("'-DNAME=\"a b\"'"), "{line}");
    assert!(
        line.contains(" -static ") && line.contains(" -s "),
        "{line}"
    );
    let output = success(env.muslbuild().args(["-q"]).arg(example("hello.c")));
    assert!(output.stdout.is_empty() && output.stderr.is_empty());
}

#[test]
fn dynamically_linked_gcc_binary_is_rejected_by_verify() {
    let env = TestEnv::new();
    let gcc = require("gcc", "gcc");
    let dynamic = env.path().join("dyn-hello");
    let status = std::process::Command::new(gcc)
        .arg(example("hello.c"))
        .arg("-o")
        .arg(&dynamic)
        .status()
        .unwrap();
    assert!(status.success());
    let output = env
        .muslbuild()
        .arg("verify")
        .arg(&dynamic)
        .output()
        .unwrap();
    let err = assert_error(&output, 5, "dynamically linked");
    assert!(
        err.contains("FROM scratch") && err.contains("no such file or directory"),
        "{err}"
    );
    assert!(err.contains("ld-linux-x86-64.so.2"), "{err}");
}

#[test]
fn verify_checks_every_file_and_the_architecture() {
    require_toolchains();
    let env = TestEnv::new();
    success(
        env.muslbuild()
            .args(["-t", "x86_64,aarch64"])
            .arg(example("hello.c")),
    );
    let output = env
        .muslbuild()
        .args([
            "verify",
            "--target",
            "x86_64",
            "dist/x86_64/hello",
            "dist/aarch64/hello",
        ])
        .output()
        .unwrap();
    let err = assert_error(&output, 5, "not x86_64");
    assert!(err.contains("exec format error"), "{err}");
    let text = stdout(&output);
    assert!(
        text.contains("ok   dist/x86_64/hello  x86_64 static, stripped"),
        "{text}"
    );
    assert!(text.contains("FAIL dist/aarch64/hello"), "{text}");
    let output = success(
        env.muslbuild()
            .args(["verify", "--json", "dist/aarch64/hello"]),
    );
    let reports: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(reports[0]["target"], "aarch64");
    assert_eq!(reports[0]["ok"], true);
    assert_eq!(reports[0]["stripped"], true);
    // The folder muslbuild wrote stands for every artifact its manifest lists.
    let text = stdout(&success(env.muslbuild().args(["verify", "dist"])));
    for target in ["x86_64", "aarch64"] {
        assert!(
            text.contains(&format!("ok   dist/{target}/hello  {target} static")),
            "{text}"
        );
    }
}

#[test]
fn build_that_would_link_dynamically_leaves_nothing_in_dist() {
    require_toolchains();
    let env = TestEnv::new();
    let output = env
        .muslbuild()
        .args(["--toolchain", "musl-gcc", "-t", "x86_64"])
        .arg("--ldflags=-Wl,-Bdynamic -Wl,--dynamic-linker=/lib/ld-musl-x86_64.so.1 -Wl,-pie")
        .arg(example("hello.c"))
        .output()
        .unwrap();
    assert_error(&output, 5, "dynamically linked");
    assert!(!env.path().join("dist/x86_64/hello").exists());
    assert_dist_clean(&env.path().join("dist"));
}

#[test]
fn no_strip_keeps_symbols() {
    require_toolchains();
    let env = TestEnv::new();
    let output = success(
        env.muslbuild()
            .args(["--no-strip", "--json"])
            .arg(example("hello.c")),
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["artifacts"][0]["verification"]["stripped"], false);
}

#[test]
fn missing_source_file() {
    let env = TestEnv::new();
    let output = env.muslbuild().arg("nope.c").output().unwrap();
    assert_error(&output, 3, "source file `nope.c` does not exist");
    assert!(!env.path().join("dist").exists());
}

#[test]
fn file_that_is_not_c() {
    let env = TestEnv::new();
    env.write("notes.txt", "hello");
    let output = env.muslbuild().arg("notes.txt").output().unwrap();
    assert_error(&output, 3, "`notes.txt` is not a C source file");
}

#[test]
fn compile_error_shows_the_compilers_diagnostics() {
    require_toolchains();
    let env = TestEnv::new();
    env.write("broken.c", "int main(void) { return missing_variable; }\n");
    let output = env
        .muslbuild()
        .args(["--toolchain", "musl-gcc", "broken.c"])
        .output()
        .unwrap();
    let err = assert_error(&output, 4, "compiling `broken` for x86_64 failed");
    assert!(
        err.contains("missing_variable"),
        "compiler diagnostics missing:\n{err}"
    );
    assert!(err.contains(".log"), "log path missing:\n{err}");
    assert_dist_clean(&env.path().join("dist"));
    assert!(!env.path().join("dist/x86_64/broken").exists());
}

#[test]
fn link_error_is_named_as_such() {
    require_toolchains();
    let env = TestEnv::new();
    env.write(
        "unlinked.c",
        "void nowhere(void);\nint main(void) { nowhere(); return 0; }\n",
    );
    let output = env
        .muslbuild()
        .args(["--target", "aarch64", "unlinked.c"])
        .output()
        .unwrap();
    let err = assert_error(&output, 4, "linking `unlinked` for aarch64 failed");
    assert!(err.contains("nowhere"), "{err}");
}

#[test]
fn unknown_target_lists_the_valid_ones() {
    let env = TestEnv::new();
    let output = env
        .muslbuild()
        .args(["--target", "sparc"])
        .arg(example("hello.c"))
        .output()
        .unwrap();
    let err = assert_error(&output, 2, "unknown target `sparc`");
    assert!(err.contains("x86_64, aarch64, armv7"), "{err}");
}

#[test]
fn conflicting_options() {
    let env = TestEnv::new();
    let output = env
        .muslbuild()
        .args(["--cc", "gcc", "--toolchain", "zig"])
        .arg(example("hello.c"))
        .output()
        .unwrap();
    assert_error(&output, 2, "--cc and --toolchain cannot be used together");
    let output = env
        .muslbuild()
        .arg(example("hello.c"))
        .args(["--", "arg"])
        .output()
        .unwrap();
    assert_error(&output, 2, "arguments after `--` are for --run");
    let output = env
        .muslbuild()
        .args(["-q", "-v"])
        .arg(example("hello.c"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn unwritable_out_dir() {
    let env = TestEnv::new();
    env.write("file", "");
    let output = env
        .muslbuild()
        .args(["--out-dir", "file/dist"])
        .arg(example("hello.c"))
        .output()
        .unwrap();
    let err = assert_error(&output, 8, "cannot write the output directory `");
    assert!(err.contains("--out-dir"), "{err}");
}

#[test]
fn no_usable_toolchain_says_how_to_get_one() {
    let env = TestEnv::new();
    let empty = env.path().join("empty-bin");
    std::fs::create_dir(&empty).unwrap();
    let output = env
        .muslbuild()
        .env("PATH", &empty)
        .env("MUSLBUILD_HOME", env.path().join("cache"))
        .env("MUSLBUILD_OFFLINE", "1")
        .args(["--target", "aarch64"])
        .arg(example("hello.c"))
        .output()
        .unwrap();
    let err = assert_error(&output, 6, "no usable musl toolchain for aarch64");
    assert!(err.contains("aarch64-linux-musl-gcc"), "{err}");
    assert!(err.contains("muslbuild toolchain install aarch64"), "{err}");
    // With an explicit provider nothing is installed automatically: the help names the
    // packages and commands that provide one.
    let output = env
        .muslbuild()
        .env("PATH", &empty)
        .env("MUSLBUILD_HOME", env.path().join("cache"))
        .args(["--target", "aarch64", "--toolchain", "musl-gcc"])
        .arg(example("hello.c"))
        .output()
        .unwrap();
    let err = assert_error(&output, 6, "no usable musl toolchain for aarch64");
    assert!(err.contains("pip install ziglang"), "{err}");
    assert!(err.contains("musl-dev:arm64"), "{err}");
    let cache = muslbuild::cache::Cache::new(env.path().join("cache"));
    assert!(
        muslbuild::toolchain::installed_bin_dirs(&cache).is_empty(),
        "nothing may be installed"
    );
}

#[test]
fn glibc_compiler_override_is_refused_by_the_probe() {
    require_toolchains();
    let env = TestEnv::new();
    let output = env
        .muslbuild()
        .args(["--cc", "gcc"])
        .arg(example("hello.c"))
        .output()
        .unwrap();
    let err = assert_error(&output, 6, "no usable musl toolchain for x86_64");
    assert!(err.contains("links glibc, not musl"), "{err}");
}

#[test]
fn missing_qemu_is_named_with_its_package() {
    require_toolchains();
    let env = TestEnv::new();
    let zig = format!("{} cc -target aarch64-linux-musl", zig_path());
    let empty = env.path().join("empty-bin");
    std::fs::create_dir(&empty).unwrap();
    let output = env
        .muslbuild()
        .env("PATH", &empty)
        .args(["--target", "aarch64", "--cc", &zig, "--run"])
        .arg(example("hello.c"))
        .output()
        .unwrap();
    let err = assert_error(&output, 12, "`qemu-aarch64` was not found");
    assert!(err.contains("qemu-user-static"), "{err}");
}

fn zig_path() -> String {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import os, ziglang; print(os.path.dirname(ziglang.__file__))",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "prerequisite: python3 package ziglang (scripts/setup-test-env.sh)"
    );
    format!("{}/zig", String::from_utf8_lossy(&out.stdout).trim())
}

#[test]
fn toolchain_list_answers_at_once_and_probes_only_when_asked() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let home = env.path().join("home");
    // A FAKE zig, the only thing on PATH: it records every argument list it is run
    // with. Listing must run it for nothing (a real zig's first probe for a target
    // builds that target's libc).
    let bin = env.path().join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let calls = env.path().join("fake-zig-calls");
    let zig = bin.join("zig");
    std::fs::write(
        &zig,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\n[ \"$1\" = version ] && {{ echo 0.0.0-fake; exit 0; }}\nexit 1\n",
            calls.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&zig, std::fs::Permissions::from_mode(0o755)).unwrap();
    let list = |args: &[&str]| {
        env.muslbuild()
            .env("MUSLBUILD_HOME", &home)
            .env("PATH", &bin)
            .args(["-v", "toolchain", "list"])
            .args(args)
            .output()
            .unwrap()
    };
    let output = list(&[]);
    let (text, err) = (stdout(&output), stderr(&output));
    assert!(output.status.success(), "{err}");
    assert!(!calls.exists(), "listing ran the compiler:\n{err}");
    assert!(!err.contains(&format!("+ {}", zig.display())), "{err}");
    // Every target by default, as --help says.
    for target in ["x86_64:", "aarch64:", "armv7:", "mips64el:", "loongarch64:"] {
        assert!(text.contains(target), "{target} missing:\n{text}");
    }
    let line = text
        .lines()
        .find(|l| l.contains("-target aarch64-linux-musl"))
        .unwrap_or_else(|| panic!("no zig line for aarch64:\n{text}"));
    assert!(
        line.contains("[PATH] not probed yet") && !line.contains("* "),
        "{line}"
    );
    assert!(text.contains("toolchain list --probe"), "{text}");
    assert!(
        !text.contains("no usable toolchain"),
        "an unprobed candidate may still work:\n{text}"
    );
    let output = list(&["--json", "-t", "armv5"]);
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let zig_row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["provider"] == "zig")
        .unwrap();
    assert_eq!(zig_row["probed"], false, "{zig_row}");
    assert_eq!(zig_row["auto"], false, "{zig_row}");

    // --probe runs each candidate of the named targets once, says so per target, and
    // the verdict is then listed without running anything.
    let output = list(&["--probe", "-t", "armv5"]);
    let (text, err) = (stdout(&output), stderr(&output));
    assert!(output.status.success(), "{err}");
    let ran = std::fs::read_to_string(&calls).unwrap();
    assert!(ran.contains("cc -target arm-linux-musleabi"), "{ran}");
    assert!(
        err.contains("for armv5: probing") && err.contains("armv5: probed 1 toolchain"),
        "{err}"
    );
    assert!(text.contains("unusable: cannot link"), "{text}");
    assert!(text.contains("no usable toolchain"), "{text}");
    std::fs::remove_file(&calls).unwrap();
    let output = list(&["-t", "armv5"]);
    assert!(stdout(&output).contains("unusable: cannot link"));
    assert!(!calls.exists(), "a known verdict is not probed again");
}

#[test]
fn toolchain_list_shows_every_candidate_and_the_pick() {
    require_toolchains();
    let env = TestEnv::new();
    // Named targets: `--probe` probes every candidate (a zig musl build each, once).
    let output = success(env.muslbuild().args([
        "toolchain",
        "list",
        "--probe",
        "-t",
        "x86_64,aarch64,armv7",
    ]));
    let text = stdout(&output);
    println!("{text}");
    for target in ["x86_64:", "aarch64:", "armv7:"] {
        assert!(text.contains(target), "{text}");
    }
    let c_picks = text
        .lines()
        .filter(|l| l.starts_with("  * ") && !l.starts_with("  * go "))
        .count();
    assert_eq!(c_picks, 3, "one C toolchain picked per target:\n{text}");
    assert!(text.contains("zig "), "{text}");
    assert!(text.contains("/usr/bin/musl-gcc"), "{text}");
    assert!(
        text.contains("-specs /usr/lib/aarch64-linux-musl/musl-gcc.specs"),
        "{text}"
    );
    let output = success(
        env.muslbuild()
            .args(["toolchain", "list", "--json", "-t", "armv7"]),
    );
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert!(rows.iter().all(|r| r["target"] == "armv7"));
    assert_eq!(
        rows.iter()
            .filter(|r| r["auto"] == true && r["provider"] != "go")
            .count(),
        1
    );
}

#[test]
fn targets_table_names_every_scheme() {
    let env = TestEnv::new();
    let text = stdout(&success(env.muslbuild().arg("targets")));
    for needle in [
        "armv7l-linux-musleabihf",
        "arm-linux-musleabihf",
        "armv7-unknown-linux-musleabihf",
        "linux/arm/v7",
        "arm GOARM=7",
        "aarch64-unknown-linux-musl",
        "linux/amd64",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

#[test]
fn jobs_budget_of_one_still_builds_every_target() {
    require_toolchains();
    let env = TestEnv::new();
    success(
        env.muslbuild()
            .args([
                "-j",
                "1",
                "--target",
                "x86_64,aarch64,armv7",
                "--toolchain",
                "musl-gcc",
            ])
            .arg(example("hello.c")),
    );
    for (target, _) in TARGETS {
        assert!(env.path().join("dist").join(target).join("hello").is_file());
    }
}
