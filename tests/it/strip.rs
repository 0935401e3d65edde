//! muslbuild's own strip (src/strip.rs) on real executables: unstripped, with debug
//! info, from zig and from the GNU cross gcc + musl specs, for every target. Each one
//! must still run under qemu after the strip, pass `muslbuild verify`, and come out no
//! bigger than binutils' `strip` makes it.

use std::process::Command;

use crate::support::{TestEnv, example, require, run_binary, stdout, success};

const TARGETS: [(&str, Option<&str>, &str); 3] = [
    ("x86_64", None, "x86_64-linux-gnu-strip"),
    (
        "aarch64",
        Some("qemu-aarch64-static"),
        "aarch64-linux-gnu-strip",
    ),
    (
        "armv7",
        Some("qemu-arm-static"),
        "arm-linux-gnueabihf-strip",
    ),
];

#[test]
fn stripped_zig_and_gcc_executables_run_and_match_binutils() {
    require("python3", "python3 with the ziglang package");
    require("musl-gcc", "musl-tools");
    let env = TestEnv::new();
    for provider in ["zig", "musl-gcc"] {
        let out = format!("dist-{provider}");
        success(
            env.muslbuild()
                .env("CFLAGS", "-g")
                .args([
                    "--no-strip",
                    "--toolchain",
                    provider,
                    "--target",
                    "x86_64,aarch64,armv7",
                ])
                .args(["--out-dir", &out])
                .arg(example("hello.c")),
        );
        for (target, qemu, gnu_strip) in TARGETS {
            let binary = env.path().join(&out).join(target).join("hello");
            let linked = std::fs::read(&binary).unwrap();
            let facts = muslbuild::verify::read_facts(&linked).unwrap();
            assert!(
                !facts.stripped,
                "{provider} {target}: not linked with symbols"
            );

            let reference = env.path().join(format!("gnu-{provider}-{target}"));
            success(
                Command::new(require(
                    gnu_strip,
                    "binutils for the target (gcc cross packages)",
                ))
                .arg("-o")
                .arg(&reference)
                .arg(&binary),
            );
            let (before, after) =
                muslbuild::strip::strip_file(&binary, &Default::default()).unwrap();
            let gnu = std::fs::metadata(&reference).unwrap().len();
            println!("{provider} {target}: {before} -> {after} bytes (binutils strip: {gnu})");
            assert!(after < before, "{provider} {target}: nothing was stripped");
            assert!(
                after <= gnu + 256,
                "{provider} {target}: {after} bytes after strip, binutils makes {gnu}"
            );

            let run = run_binary(qemu, &binary, b"");
            assert_eq!(
                stdout(&run),
                "Hello World\n",
                "{provider} {target} after strip: {run:?}"
            );
            let verified = success(
                env.muslbuild()
                    .args(["verify", "--target", target, "--json"])
                    .arg(&binary),
            );
            let text = stdout(&verified);
            assert!(
                text.contains("\"stripped\": true") || text.contains("\"stripped\":true"),
                "{text}"
            );
            assert!(
                text.contains("\"ok\": true") || text.contains("\"ok\":true"),
                "{text}"
            );
        }
    }
}
