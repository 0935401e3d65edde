//! Pinned Linux UAPI headers (`--kernel-headers`, `kernel-headers`): what zig and Debian's
//! musl-gcc compile with, without and with the 6.1 set, on a program that needs it (a
//! btrfs constant and the CBQ attributes that newer headers dropped, and `linux/ioctl.h`,
//! which musl-gcc has no copy of); and the ways a pin is refused before anything builds.
//! The packages are Debian's `linux-libc-dev`, which `cargo xtask setup` downloads into
//! target/test-sources.

use std::path::PathBuf;

use crate::support::{TestEnv, repo_root, require, run_binary, stderr, stdout, success};

const UAPI_PROGRAM: &str = r#"#include <stdio.h>
#include <sys/ioctl.h>
#include <linux/ioctl.h>
#include <linux/btrfs_tree.h>
#include <linux/pkt_sched.h>
#include <linux/version.h>
int main(void) {
    printf("%d %d %d.%d\n", BTRFS_EXTENT_REF_V0_KEY, TCA_CBQ_LSSOPT,
           LINUX_VERSION_CODE >> 16, (LINUX_VERSION_CODE >> 8) & 0xff);
    return 0;
}
"#;

/// The folder with Debian's `linux-libc-dev` 6.1 packages for the tests' architectures.
pub fn kernel_header_packages() -> PathBuf {
    let dir = repo_root().join("target/test-sources");
    for arch in ["amd64", "arm64", "armhf"] {
        let file = dir.join(format!("linux-libc-dev_6.1.176-1_{arch}.deb"));
        assert!(
            file.is_file(),
            "prerequisite {} is missing: run `cargo xtask setup` (it runs `apt-get download linux-libc-dev:{arch}=6.1.176-1`)",
            file.display()
        );
    }
    dir
}

fn build(env: &TestEnv, args: &[&str]) -> std::process::Output {
    env.muslbuild()
        .args(args)
        .arg("uapi.c")
        .output()
        .expect("muslbuild runs")
}

#[test]
fn zig_and_musl_gcc_compile_with_the_pinned_6_1_headers() {
    require("musl-gcc", "musl-tools");
    require("python3", "python3 with the ziglang package");
    let qemu = require("qemu-aarch64-static", "qemu-user-static");
    let qemu_arm = require("qemu-arm-static", "qemu-user-static");
    require("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu");
    let packages = kernel_header_packages();
    let env = TestEnv::new();
    env.write("uapi.c", UAPI_PROGRAM);
    // Each toolchain's own headers, as before: musl-gcc has no linux/ at all, zig's are
    // newer than 6.1.
    let gcc = build(&env, &["-t", "x86_64", "--toolchain", "musl-gcc"]);
    assert_eq!(gcc.status.code(), Some(4), "{}", stderr(&gcc));
    assert!(
        stderr(&gcc).contains("linux/ioctl.h: No such file"),
        "{}",
        stderr(&gcc)
    );
    let zig = build(&env, &["-t", "aarch64", "--toolchain", "zig"]);
    assert_eq!(zig.status.code(), Some(4), "{}", stderr(&zig));
    assert!(
        stderr(&zig).contains("BTRFS_EXTENT_REF_V0_KEY"),
        "{}",
        stderr(&zig)
    );

    // Three targets, each toolchain kind: the distribution's musl-gcc natively and as
    // the GNU cross gcc with musl's specs, and zig (whose armv7 is Thumb-2).
    for (target, toolchain, arch, runner) in [
        ("x86_64", "musl-gcc", "amd64", None),
        ("aarch64", "musl-gcc", "arm64", Some(qemu.to_str().unwrap())),
        ("aarch64", "zig", "arm64", Some(qemu.to_str().unwrap())),
        ("armv7", "zig", "armhf", Some(qemu_arm.to_str().unwrap())),
    ] {
        let pinned = [
            "-t",
            target,
            "--toolchain",
            toolchain,
            "--kernel-headers",
            "6.1",
            "--source-dir",
            packages.to_str().unwrap(),
        ];
        success(env.muslbuild().args(pinned).arg("uapi.c"));
        let binary = env.path().join("dist").join(target).join("uapi");
        let ran = run_binary(runner, &binary, b"");
        assert_eq!(stdout(&ran), "180 1 6.1\n", "{target} with {toolchain}");
        // The SBOM names the package the headers came from, by its Debian purl.
        let sbom = std::fs::read_to_string(binary.with_file_name("uapi.spdx.json")).unwrap();
        assert!(
            sbom.contains(&format!(
                "pkg:deb/debian/linux-libc-dev@6.1.176-1?arch={arch}"
            )),
            "{sbom}"
        );
        assert!(sbom.contains("BUILD_DEPENDENCY_OF"), "{sbom}");
        // Cached under a key that holds the headers: the same build again runs nothing.
        let again = success(env.muslbuild().args(pinned).args(["-v", "uapi.c"]));
        assert!(
            stderr(&again).contains(&format!("uapi for {target} from the build cache")),
            "{target}: rebuilt:\n{}",
            stderr(&again)
        );
    }
}

#[test]
fn a_pin_that_cannot_be_met_is_refused_before_anything_builds() {
    let env = TestEnv::new();
    env.write("uapi.c", UAPI_PROGRAM);
    let packages = kernel_header_packages();
    let source_dir = packages.to_str().unwrap();

    let riscv = build(
        &env,
        &[
            "-t",
            "riscv64",
            "--kernel-headers",
            "6.1",
            "--source-dir",
            source_dir,
        ],
    );
    assert_eq!(riscv.status.code(), Some(10), "{}", stderr(&riscv));
    let text = stderr(&riscv);
    assert!(
        text.contains("error: kernel headers 6.1 have no set for riscv64 (the kernel's riscv)"),
        "{text}"
    );
    assert!(text.contains("help: Debian bookworm builds"), "{text}");

    let unknown = build(&env, &["-t", "x86_64", "--kernel-headers", "5.4"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
    assert!(
        stderr(&unknown).contains("unknown kernel headers version `5.4`"),
        "{}",
        stderr(&unknown)
    );

    // No package at hand (a cache of its own, no source folder): the error says how to
    // get it, and nothing is left behind.
    let home = env.path().join("home");
    let missing = env
        .muslbuild()
        .env("MUSLBUILD_HOME", &home)
        .env_remove("MUSLBUILD_SOURCE_DIRS")
        .args(["-t", "aarch64", "--kernel-headers", "6.1", "uapi.c"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(10), "{}", stderr(&missing));
    let text = stderr(&missing);
    assert!(
        text.contains("linux-libc-dev_6.1.176-1_arm64.deb"),
        "{text}"
    );
    assert!(
        text.contains("apt-get download linux-libc-dev:arm64=6.1.176-1"),
        "{text}"
    );
    assert!(!env.path().join("dist/aarch64/uapi").exists());
    let libs = home.join("libs");
    let left: Vec<_> = std::fs::read_dir(&libs)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");

    // In a project file, the same mistake points at its line.
    std::fs::write(
        env.path().join("muslbuild.toml"),
        "[project]\ntargets = [\"x86_64\"]\nkernel-headers = \"5.4\"\n\n[c.uapi]\nsources = [\"uapi.c\"]\n",
    )
    .unwrap();
    let config = env.muslbuild().arg("build").output().unwrap();
    assert_eq!(config.status.code(), Some(11), "{}", stderr(&config));
    assert!(
        stderr(&config).contains("muslbuild.toml:3:18: unknown kernel headers version `5.4`"),
        "{}",
        stderr(&config)
    );
}
