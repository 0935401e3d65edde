//! The eight targets beyond x86_64/aarch64/armv7, end to end with real zig and Debian's
//! qemu-user-static: one muslbuild invocation builds a C hello for every one (zig's first
//! compile per target builds its musl, so one invocation lets -j overlap them), then each
//! file is read back with the ELF facts written out here, not taken from muslbuild's own
//! table. Bad input: a binary built for a newer CPU than the target's baseline, an
//! ambiguous target name, a toolchain that cannot build a target.

use std::path::Path;

use muslbuild::verify::{read_facts, verify_bytes};

use crate::support::{TestEnv, require, run_binary, stderr, stdout, success};

/// target, ELF machine, 64-bit, little-endian, qemu-user-static program.
const NEW_TARGETS: [(&str, u16, bool, bool, &str); 8] = [
    ("i386", 3, false, true, "qemu-i386-static"),
    ("armv5", 40, false, true, "qemu-arm-static"),
    ("armv6", 40, false, true, "qemu-arm-static"),
    ("riscv64", 243, true, true, "qemu-riscv64-static"),
    ("ppc64le", 21, true, true, "qemu-ppc64le-static"),
    ("s390x", 22, true, false, "qemu-s390x-static"),
    ("mips64el", 8, true, true, "qemu-mips64el-static"),
    ("loongarch64", 258, true, true, "qemu-loongarch64-static"),
];

fn zig() -> String {
    require("python3", "python3 with the ziglang package");
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import os, ziglang; print(os.path.dirname(ziglang.__file__))",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "prerequisite python3 package ziglang is missing: run cargo xtask setup"
    );
    format!("{}/zig", String::from_utf8_lossy(&out.stdout).trim())
}

fn assert_error(output: &std::process::Output, code: i32, message: &str) -> String {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(code), "stderr:\n{err}");
    let first = err.lines().next().unwrap_or_default();
    assert!(first.starts_with("muslbuild: error: "), "{err}");
    assert!(first.contains(message), "expected `{message}` in `{first}`");
    assert!(err.lines().any(|l| l.starts_with("help: ")), "{err}");
    err
}

#[test]
fn c_hello_for_every_new_target_with_zig_static_right_elf_runs_baseline_checked() {
    zig();
    for (_, _, _, _, qemu) in NEW_TARGETS {
        require(qemu, "qemu-user-static");
    }
    let env = TestEnv::new();
    // Unique text, so the compile really runs (and could warn) even with a warm cache.
    let hello = env.write(
        "hello.c",
        &format!(
            "#include <stdio.h>\n/* {} */\nint main(void) {{ double d = 1.5; printf(\"hello %g\\n\", d * 2); return 0; }}\n",
            env.path().display()
        ),
    );
    let targets: Vec<&str> = NEW_TARGETS.iter().map(|t| t.0).collect();
    let output = success(
        env.muslbuild()
            .args(["-v", "--toolchain", "zig", "--target", &targets.join(",")])
            .arg(&hello)
            .arg("--run"),
    );
    let err = stderr(&output);
    // mips64el used to warn that -fno-PIC is ignored, loongarch64 that its ABI was
    // invalid: the pinned flags leave the compiler nothing to say.
    assert!(
        !err.to_lowercase().contains("warning"),
        "a compile warned:\n{err}"
    );
    let text = stdout(&output);
    for (target, machine, class64, little_endian, qemu) in NEW_TARGETS {
        let qemu_user = qemu.trim_end_matches("-static");
        assert!(
            text.contains(&format!("run dist/{target}/hello under {qemu_user}")),
            "{target} did not run under {qemu_user}:\n{text}"
        );
        let path = env.path().join("dist").join(target).join("hello");
        let bytes = std::fs::read(&path).unwrap();
        let facts = read_facts(&bytes).unwrap();
        assert_eq!(
            (facts.machine, facts.class64, facts.little_endian),
            (machine, class64, little_endian),
            "{target}"
        );
        assert!(
            facts.interpreter.is_none() && facts.needed.is_empty(),
            "{target} is not static"
        );
        assert!(facts.glibc.is_none(), "{target}");
        let report = verify_bytes(&path, &bytes, Some(target.parse().unwrap()));
        assert!(report.ok, "{target}: {:?}", report.problems);
        // And independently of muslbuild: qemu prints what the program computed.
        let ran = run_binary(Some(qemu), &path, b"");
        assert_eq!(stdout(&ran), "hello 3\n", "{target}");
        println!("{target:<12} {:>6} bytes", bytes.len());
    }
    // The baselines, as the ELF records them.
    let arm = |t: &str| {
        let bytes = std::fs::read(env.path().join("dist").join(t).join("hello")).unwrap();
        read_facts(&bytes).unwrap().arm.unwrap()
    };
    let v5 = arm("armv5");
    assert!(v5.cpu_arch.unwrap() <= 5, "armv5: {v5:?}");
    assert!(
        !v5.hard_float && v5.fp_arch.unwrap_or(0) == 0,
        "armv5: {v5:?}"
    );
    let v6 = arm("armv6");
    assert!(matches!(v6.cpu_arch, Some(6 | 7)), "armv6: {v6:?}");
    assert_eq!(v6.thumb_isa_use, Some(1), "armv6 has no Thumb-2");
    assert_eq!(v6.fp_arch, Some(2), "armv6 is VFPv2");
    assert!(v6.hard_float);
    let flags = |t: &str| {
        let bytes = std::fs::read(env.path().join("dist").join(t).join("hello")).unwrap();
        read_facts(&bytes).unwrap().flags
    };
    assert_eq!(flags("loongarch64") & 0x7, 0x3, "loongarch64 is LP64D");
    assert_eq!(flags("mips64el") & 0xf000_0000, 0x8000_0000, "mips64r2");
    assert_eq!(flags("mips64el") & 0x20, 0, "n64, not n32");
    let mips = read_facts(&std::fs::read(env.path().join("dist/mips64el/hello")).unwrap())
        .unwrap()
        .mips
        .expect("mips64el keeps its ABI flags segment");
    assert_eq!(
        (mips.isa_level, mips.isa_rev, mips.fp_abi),
        (64, 2, 1),
        "{mips:?}"
    );
    assert_eq!(mips.ases & 0x100, 0, "no MSA");
    assert_eq!(flags("riscv64") & 0x6, 0x4, "riscv64 is LP64D");
}

#[test]
fn a_binary_for_a_newer_cpu_than_the_baseline_is_refused() {
    let zig = zig();
    let env = TestEnv::new();
    // No libc: the files are made in a moment, without zig's per-CPU musl build.
    let start = env.write("start.c", "void _start(void) { for (;;) {} }\n");
    let link = |name: &str, args: &[&str]| {
        let out = env.path().join(name);
        success(
            std::process::Command::new(&zig)
                .arg("cc")
                .args(args)
                .args(["-nostdlib", "-static", "-o"])
                .arg(&out)
                .arg(&start),
        );
        out
    };
    let verify = |target: &str, file: &Path| {
        env.muslbuild()
            .args(["verify", "--target", target])
            .arg(file)
            .output()
            .unwrap()
    };

    // ARMv7 code (Thumb-2, VFPv3-D16) is not armv6, though it is armv7.
    let v7 = link(
        "v7",
        &[
            "-target",
            "arm-linux-musleabihf",
            "-mcpu=generic+v7a+vfp3d16-d32+thumb2-neon",
        ],
    );
    success(
        env.muslbuild()
            .args(["verify", "--target", "armv7"])
            .arg(&v7),
    );
    let err = assert_error(&verify("armv6", &v7), 5, "is not a usable armv6 executable");
    assert!(
        err.contains("ARMv7 (Tag_CPU_arch 10), beyond the linux/arm/v6 baseline"),
        "{err}"
    );
    assert!(
        err.contains("help: build it with muslbuild's armv6 target, which pins ARMv6"),
        "{err}"
    );

    // ARM1176 code is armv6 — and not armv5 (VFP, hard float).
    let v6 = link(
        "v6",
        &["-target", "arm-linux-musleabihf", "-mcpu=arm1176jzf_s"],
    );
    success(
        env.muslbuild()
            .args(["verify", "--target", "armv6"])
            .arg(&v6),
    );
    let err = assert_error(&verify("armv5", &v6), 5, "is not a usable armv5 executable");
    assert!(err.contains("hard-float ABI"), "{err}");

    // loongarch64 with generic_la64 alone: LLVM drops to the soft-float ABI.
    let la = link(
        "la",
        &["-target", "loongarch64-linux-musl", "-mcpu=generic_la64"],
    );
    let err = assert_error(
        &verify("loongarch64", &la),
        5,
        "not a usable loongarch64 executable",
    );
    assert!(err.contains("soft-float ABI (LP64S), not LP64D"), "{err}");
    let pinned = link(
        "la-pinned",
        &[
            "-target",
            "loongarch64-linux-musl",
            "-mcpu=generic_la64+f+d",
        ],
    );
    success(
        env.muslbuild()
            .args(["verify", "--target", "loongarch64"])
            .arg(&pinned),
    );

    // Without --target, verify names the oldest ARM target the file fits.
    let out = success(env.muslbuild().args(["verify", "--json"]).arg(&v6));
    assert!(
        stdout(&out).contains("\"target\": \"armv6\""),
        "{}",
        stdout(&out)
    );
}

#[test]
fn ambiguous_names_and_toolchains_that_cannot_build_a_target_are_refused() {
    let env = TestEnv::new();
    let hello = env.write("hello.c", "int main(void) { return 0; }\n");
    let out = env
        .muslbuild()
        .args(["--target", "arm"])
        .arg(&hello)
        .output()
        .unwrap();
    let err = assert_error(
        &out,
        2,
        "ambiguous target `arm`: it could mean armv5, armv6 or armv7",
    );
    assert!(err.contains("`armv6` (linux/arm/v6)"), "{err}");

    let out = env
        .muslbuild()
        .args(["--toolchain", "musl-gcc", "--target", "loongarch64"])
        .arg(&hello)
        .output()
        .unwrap();
    let err = assert_error(&out, 6, "musl-gcc cannot build loongarch64");
    assert!(err.contains("--toolchain zig"), "{err}");
    // Nothing half-written: no artifact folder, no temporary.
    let dist = env.path().join("dist");
    assert!(!dist.join("loongarch64").exists());
    for entry in std::fs::read_dir(&dist).into_iter().flatten() {
        let name = entry.unwrap().file_name();
        assert!(
            !name.to_string_lossy().starts_with(".tmp"),
            "{name:?} left in dist/"
        );
    }

    // `targets` lists all eleven, with every scheme for the new ones.
    let text = stdout(&success(env.muslbuild().arg("targets")));
    for needle in [
        "386 GO386=softfloat",
        "linux/arm/v5",
        "arm GOARM=6",
        "-mcpu=arm1176jzf_s",
        "riscv64gc-unknown-linux-musl",
        "ppc64le GOPPC64=power8",
        "S/390 64-bit BE",
        "mips64el-linux-muslabi64",
        "mips64le GOMIPS64=hardfloat",
        "linux/loong64",
        "-mcpu=generic_la64+f+d",
        "qemu-loongarch64",
        "gcc-mips64el-linux-gnuabi64 + musl-dev:mips64el",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

/// The gcc rows of the ARM targets, as `muslbuild targets --json` gives them, through
/// Debian's ARM cross gcc (the one installed for armv7): each object says the baseline.
/// (Debian has no musl for armv6 and its armhf musl is v7 code, so this compiles only; an
/// object states its float ABI in `Tag_ABI_VFP_args`, which the linker turns into the
/// `e_flags` bit `verify` reads from executables.)
#[test]
fn gcc_flags_of_the_arm_targets_give_their_baselines() {
    let gcc = require("arm-linux-gnueabihf-gcc", "gcc-arm-linux-gnueabihf");
    let env = TestEnv::new();
    let rows: serde_json::Value =
        serde_json::from_slice(&success(env.muslbuild().args(["targets", "--json"])).stdout)
            .unwrap();
    let flags = |target: &str| -> Vec<String> {
        let row = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["target"] == target)
            .unwrap();
        serde_json::from_value(row["gcc_cpu"].clone()).unwrap()
    };
    let source = env.write("f.c", "double f(double x) { return x * 3.0; }\n");
    let attributes = |target: &str| {
        let object = env.path().join(format!("{target}.o"));
        success(
            std::process::Command::new(&gcc)
                .args(flags(target))
                .args(["-Os", "-c", "-o"])
                .arg(&object)
                .arg(&source),
        );
        let facts = read_facts(&std::fs::read(&object).unwrap()).unwrap();
        facts.arm.unwrap()
    };
    let v5 = attributes("armv5");
    assert_eq!(v5.cpu_arch, Some(4), "ARMv5TE: {v5:?}");
    assert_eq!(v5.fp_arch, None, "no FPU: {v5:?}");
    let v6 = attributes("armv6");
    assert_eq!(v6.cpu_arch, Some(7), "ARMv6KZ: {v6:?}");
    assert_eq!(v6.thumb_isa_use, Some(1), "Thumb-1 only: {v6:?}");
    assert_eq!(v6.fp_arch, Some(2), "VFPv2: {v6:?}");
    let v7 = attributes("armv7");
    assert_eq!(v7.cpu_arch, Some(10));
    assert_eq!(v7.fp_arch, Some(4), "VFPv3-D16: {v7:?}");
    assert_eq!(v7.advanced_simd_arch, None, "no NEON: {v7:?}");
}

/// armv7 is Thumb-2, as Debian's armhf: with zig (its `thumb` triple, which builds its musl
/// as Thumb too) and with the GNU cross gcc + musl specs (`-mthumb`). Read from the file:
/// `main`'s address has the Thumb bit, and so does the entry point (musl's `_start`). The
/// baseline check stays true: armv7 takes it, armv6 refuses it for Thumb-2.
#[test]
fn armv7_code_is_thumb2_with_zig_and_gcc() {
    use object::{Object, ObjectSymbol};
    let qemu = require("qemu-arm-static", "qemu-user-static");
    zig();
    require("arm-linux-gnueabihf-gcc", "gcc-arm-linux-gnueabihf");
    let env = TestEnv::new();
    let hello = crate::support::example("hello.c");
    for toolchain in ["zig", "musl-gcc"] {
        success(
            env.muslbuild()
                .args(["--target", "armv7", "--no-strip", "--toolchain", toolchain])
                .args(["-o", toolchain])
                .arg(&hello),
        );
        let path = env.path().join("dist/armv7").join(toolchain);
        let bytes = std::fs::read(&path).unwrap();
        let file = object::File::parse(&*bytes).unwrap();
        let main = file
            .symbols()
            .find(|s| s.name() == Ok("main"))
            .unwrap_or_else(|| panic!("{toolchain}: no `main` symbol"));
        assert_eq!(main.address() & 1, 1, "{toolchain}: main is ARM code");
        assert_eq!(file.entry() & 1, 1, "{toolchain}: _start is ARM code");
        let report = verify_bytes(&path, &bytes, Some("armv7".parse().unwrap()));
        assert!(
            report.problems.is_empty(),
            "{toolchain}: {:?}",
            report.problems
        );
        let v6 = verify_bytes(&path, &bytes, Some("armv6".parse().unwrap()));
        assert!(
            v6.problems.iter().any(|p| p.contains("Thumb-2")),
            "{toolchain}: {:?}",
            v6.problems
        );
        let ran = run_binary(Some(qemu.to_str().unwrap()), &path, b"");
        assert_eq!(
            stdout(&ran),
            "Hello World\n",
            "{toolchain}: {}",
            stderr(&ran)
        );
        println!(
            "armv7 hello, {toolchain}, unstripped: {} bytes",
            bytes.len()
        );
    }
}

/// zig's armv5 libc calls `__sync_*` atomics that ARMv5 lacks and zig does not define;
/// muslbuild links its own (on the kernel's user helpers). A program that allocates,
/// sets the environment and uses the atomics on bytes, halfwords and words (the byte's
/// neighbours must survive) links and runs; the file keeps the ARMv5 baseline.
#[test]
fn armv5_with_zig_links_malloc_and_sync_atomics_and_runs() {
    zig();
    let qemu = require("qemu-arm-static", "qemu-user-static");
    let env = TestEnv::new();
    let source = env.write(
        "alloc.c",
        r#"#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct packed { unsigned char before, byte, after; unsigned short half; unsigned word; };
int main(void) {
    char *copy = strdup("armv5 heap");
    char *big = malloc(1 << 20);
    if (!copy || !big || setenv("MUSLBUILD_T", copy, 1) != 0) return 1;
    memset(big, 7, 1 << 20);
    struct packed p = { 0x11, 250, 0x22, 65530, 1 };
    unsigned char old_byte = __sync_fetch_and_add(&p.byte, 10);
    unsigned short old_half = __sync_val_compare_and_swap(&p.half, 65530, 7);
    int swapped = __sync_bool_compare_and_swap(&p.word, 2, 9);
    unsigned old_word = __sync_lock_test_and_set(&p.word, 5);
    __sync_synchronize();
    printf("%s %d %u/%u %x,%x %u/%u %d %u/%u\n", getenv("MUSLBUILD_T"), big[12345],
           old_byte, p.byte, p.before, p.after, old_half, p.half, swapped, old_word, p.word);
    free(big);
    free(copy);
    return 0;
}
"#,
    );
    success(
        env.muslbuild()
            .args(["--target", "armv5", "--toolchain", "zig"])
            .arg(&source),
    );
    let binary = env.path().join("dist/armv5/alloc");
    let output = run_binary(Some(qemu.to_str().unwrap()), &binary, b"");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        stdout(&output),
        "armv5 heap 7 250/4 11,22 65530/7 0 1/5\n",
        "{}",
        stderr(&output)
    );
    let bytes = std::fs::read(&binary).unwrap();
    let report = verify_bytes(&binary, &bytes, Some("armv5".parse().unwrap()));
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(
        read_facts(&bytes).unwrap().arm.is_some(),
        "no ARM attributes"
    );
}

/// zig's `cc -c` puts the support archive's members an object needs into the object, so
/// each object of a program (or a library) that uses atomics carries its own copy: two
/// such objects link (the definitions are weak) and the atomics still work.
#[test]
fn armv5_objects_that_each_use_sync_atomics_link_together() {
    zig();
    let qemu = require("qemu-arm-static", "qemu-user-static");
    let env = TestEnv::new();
    let counter = env.write(
        "counter.c",
        "int hits;\nint hit(void) { return __sync_add_and_fetch(&hits, 2); }\n",
    );
    let main = env.write(
        "twice.c",
        "#include <stdio.h>\nint hit(void);\nstatic int own;\n\
         int main(void) { hit(); int last = hit();\n\
         printf(\"%d %d\\n\", last, __sync_fetch_and_add(&own, 5) + own); return 0; }\n",
    );
    success(
        env.muslbuild()
            .args(["--target", "armv5", "--toolchain", "zig", "-o", "twice"])
            .arg(&main)
            .arg(&counter),
    );
    let output = run_binary(
        Some(qemu.to_str().unwrap()),
        &env.path().join("dist/armv5/twice"),
        b"",
    );
    assert_eq!(stdout(&output), "4 5\n", "{}", stderr(&output));
}

/// Sources that decide their byte order at compile time test names compilers predefine:
/// the GCC ones, and older ones from other systems (Darwin's `__ppc__` for big-endian
/// PowerPC). Whatever each of the eleven targets' compiles predefine must agree with the
/// order the machine has when the program runs under qemu.
#[test]
fn byte_order_names_the_compiler_predefines_agree_with_the_machine_on_every_target() {
    zig();
    let mut all: Vec<(&str, Option<&str>)> = vec![
        ("x86_64", None),
        ("aarch64", Some("qemu-aarch64-static")),
        ("armv7", Some("qemu-arm-static")),
    ];
    all.extend(NEW_TARGETS.iter().map(|t| (t.0, Some(t.4))));
    for (_, qemu) in &all {
        if let Some(qemu) = qemu {
            require(qemu, "qemu-user-static");
        }
    }
    let env = TestEnv::new();
    let probe = env.write(
        "order.c",
        r#"#include <stdio.h>
#include <string.h>
int main(void) {
    unsigned one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    const char *machine = first == 1 ? "little" : "big";
    const char *said = "nothing";
#if defined(__ppc__) || defined(__POWERPC__) || defined(__ppc64__) || \
    defined(__BIG_ENDIAN__) || defined(__ARMEB__) || defined(__AARCH64EB__) || \
    defined(__MIPSEB__) || defined(_MIPSEB) || defined(__sparc__)
    said = "big";
#endif
#if defined(__LITTLE_ENDIAN__) || defined(__ARMEL__) || defined(__AARCH64EL__) || \
    defined(__MIPSEL__) || defined(_MIPSEL) || defined(__i386__) || defined(__x86_64__)
    said = strcmp(said, "big") == 0 ? "both" : "little";
#endif
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    const char *gcc = "big";
#else
    const char *gcc = "little";
#endif
    printf("machine %s, __BYTE_ORDER__ %s, other names %s\n", machine, gcc, said);
    return 0;
}
"#,
    );
    let targets: Vec<&str> = all.iter().map(|t| t.0).collect();
    success(
        env.muslbuild()
            .args(["--toolchain", "zig", "--target", &targets.join(",")])
            .arg(&probe),
    );
    for (target, qemu) in all {
        let ran = run_binary(
            qemu,
            &env.path().join("dist").join(target).join("order"),
            b"",
        );
        let text = stdout(&ran);
        let machine = if target == "s390x" { "big" } else { "little" };
        assert!(
            text == format!("machine {machine}, __BYTE_ORDER__ {machine}, other names {machine}\n")
                || text
                    == format!(
                        "machine {machine}, __BYTE_ORDER__ {machine}, other names nothing\n"
                    ),
            "{target}: {text}"
        );
    }
}
