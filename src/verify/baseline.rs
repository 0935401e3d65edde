//! The target's pinned CPU and ABI against what the ELF records of them: ARM build
//! attributes, `e_flags` on MIPS, LoongArch, RISC-V and ppc64, and in a Go binary the
//! baseline variable Go built it for (`GOARM`, `GOAMD64`, `GO386`…, from its build
//! info). Where the ELF says nothing (C on x86 or s390x, the instructions themselves)
//! nothing is claimed.

use object::elf as e;

use super::elf::{ElfFacts, MipsAbiFlags};
use crate::target::{ArmBaseline, ElfBaseline, Target};

/// Why the file needs more than `target`'s baseline; empty when it does not (or the ELF
/// cannot tell).
pub(super) fn check(facts: &ElfFacts, target: Target) -> Vec<String> {
    let mut problems = elf_records(facts, target);
    problems.extend(go(facts, target));
    problems
}

fn elf_records(facts: &ElfFacts, target: Target) -> Vec<String> {
    match target.elf().baseline {
        ElfBaseline::None => Vec::new(),
        ElfBaseline::Arm(baseline) => arm(facts, target, baseline),
        // Go's own objects carry none of these C ABI flags (its linker writes its own),
        // and GOARCH with its pinned variable decides the code; cgo's C half is
        // compiled with the target's pinned flags.
        _ if facts.go => Vec::new(),
        ElfBaseline::Mips64 { max_arch } => {
            let mut problems = mips64(facts.flags, max_arch);
            problems.extend(facts.mips.as_ref().map(mips_abiflags).unwrap_or_default());
            problems
        }
        ElfBaseline::LoongArchLp64d => loongarch(facts.flags),
        ElfBaseline::RiscvLp64d => riscv(facts.flags),
        ElfBaseline::PowerElfV2 => power(facts.flags),
    }
}

/// The baseline variable of the target's GOARCH as Go recorded it, against the one the
/// target pins: a pure Go binary carries no ARM attributes or ABI flags of its own, so
/// this is the only place a GOARM=7 program says it is not for ARMv5 boards.
fn go(facts: &ElfFacts, target: Target) -> Vec<String> {
    let Some((variable, pinned)) = target.go_arch().variable else {
        return Vec::new();
    };
    let Some(value) = facts.go_setting(variable) else {
        return Vec::new();
    };
    let platform = target.oci_platform_string();
    match go_within(variable, value, pinned) {
        Some(true) => Vec::new(),
        Some(false) => vec![format!(
            "it is Go built with {variable}={value}, beyond the {platform} baseline ({variable}={pinned}): it would die with SIGILL on boards without those instructions"
        )],
        None => vec![format!(
            "it is Go built with {variable}={value}, a value muslbuild cannot hold against the {platform} baseline ({variable}={pinned})"
        )],
    }
}

/// Whether Go code built with `variable=value` runs where `variable=pinned` does; `None`
/// when either is not a value muslbuild knows how to order.
fn go_within(variable: &str, value: &str, pinned: &str) -> Option<bool> {
    match variable {
        // `7`, `6,softfloat`: the architecture, and whether it uses the FPU (5 does not
        // unless asked, 6 and 7 do unless asked).
        "GOARM" => {
            let arm = |text: &str| -> Option<(u32, bool)> {
                let (level, float) = text.split_once(',').unwrap_or((text, ""));
                let level: u32 = level.parse().ok()?;
                let hard = match float {
                    "" => level > 5,
                    "hardfloat" => true,
                    "softfloat" => false,
                    _ => return None,
                };
                Some((level, hard))
            };
            let ((level, hard), (max, fpu)) = (arm(value)?, arm(pinned)?);
            Some(level <= max && (!hard || fpu))
        }
        // `v8.2,lse,crypto`: an ARMv8.x or v9.x level and optional extensions.
        "GOARM64" => {
            let arm64 = |text: &str| -> Option<((u32, u32), Vec<String>)> {
                let mut parts = text.split(',');
                let (major, minor) = parts.next()?.strip_prefix('v')?.split_once('.')?;
                let level = (major.parse().ok()?, minor.parse().ok()?);
                Some((level, parts.map(str::to_string).collect()))
            };
            let ((level, extensions), (max, allowed)) = (arm64(value)?, arm64(pinned)?);
            Some(level <= max && extensions.iter().all(|e| allowed.contains(e)))
        }
        _ => Some(go_rank(variable, value)? <= go_rank(variable, pinned)?),
    }
}

/// The order of the values of Go's single-axis baseline variables, oldest CPUs first.
fn go_rank(variable: &str, value: &str) -> Option<u32> {
    let listed = |values: &[&str]| values.iter().position(|v| *v == value).map(|i| i as u32);
    match variable {
        "GOAMD64" => value.strip_prefix('v')?.parse().ok(),
        "GOPPC64" => value.strip_prefix("power")?.parse().ok(),
        "GORISCV64" => value.strip_prefix("rva")?.strip_suffix("u64")?.parse().ok(),
        // SSE2 needs a Pentium 4; softfloat runs on the i686 baseline.
        "GO386" => listed(&["softfloat", "sse2"]),
        // Pure Go with softfloat uses no FPU and runs on any MIPS64; there is no C ABI
        // in it to disagree with the hard-float one.
        "GOMIPS64" => listed(&["softfloat", "hardfloat"]),
        _ => None,
    }
}

fn arm(facts: &ElfFacts, target: Target, want: ArmBaseline) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(arm) = &facts.arm else {
        return problems;
    };
    let platform = target.oci_platform_string();
    if let Some(v) = arm.cpu_arch.filter(|v| !want.cpu_arch.contains(v)) {
        problems.push(format!(
            "it is built for {} (Tag_CPU_arch {v}), beyond the {platform} baseline",
            arm_arch_name(v),
        ));
    }
    if arm.cpu_arch_profile.is_some_and(|p| p == u64::from(b'M')) {
        problems.push(format!(
            "it is built for a microcontroller (ARM M profile), not {platform}"
        ));
    }
    if !want.thumb2 && arm.thumb_isa_use == Some(2) {
        problems.push(format!(
            "it uses Thumb-2 (Tag_THUMB_ISA_use 2), which {platform} boards do not have: SIGILL"
        ));
    }
    if let Some(v) = arm.advanced_simd_arch.filter(|v| *v > 0) {
        problems.push(format!(
            "it requires NEON (Tag_Advanced_SIMD_arch {v}), which the {platform} baseline does not guarantee: it would die with SIGILL on boards without it"
        ));
    }
    if let Some(v) = arm.fp_arch.filter(|v| !want.fp_arch.contains(v)) {
        problems.push(if want.fp_arch == [0] {
            format!(
                "it uses a floating-point unit ({}, Tag_FP_arch {v}), which {platform} boards do not have",
                arm_fp_name(v)
            )
        } else {
            format!(
                "it requires a floating-point unit beyond {} (Tag_FP_arch {v}: {})",
                arm_fp_name(*want.fp_arch.iter().max().unwrap_or(&0)),
                arm_fp_name(v)
            )
        });
    }
    // Go's internal linker never sets the EABI float flag; pure Go calls no C, so the C
    // ABI flag says nothing about it.
    if want.hard_float && !arm.hard_float && !facts.pure_go {
        problems.push(format!(
            "it uses the soft-float ABI, not {platform}'s hard-float ABI"
        ));
    }
    if !want.hard_float && arm.hard_float {
        problems.push(format!(
            "it uses the hard-float ABI, not {platform}'s soft-float ABI (musleabi)"
        ));
    }
    problems
}

/// ARM IHI 0045, `Tag_CPU_arch`.
fn arm_arch_name(v: u64) -> String {
    let name = match v {
        0 => "a pre-ARMv4 architecture",
        1 => "ARMv4",
        2 => "ARMv4T",
        3 => "ARMv5T",
        4 => "ARMv5TE",
        5 => "ARMv5TEJ",
        6 => "ARMv6",
        7 => "ARMv6KZ",
        8 => "ARMv6T2 (Thumb-2)",
        9 => "ARMv6K",
        10 => "ARMv7",
        11 => "ARMv6-M",
        12 => "ARMv6S-M",
        13 => "ARMv7E-M",
        14 => "ARMv8-A",
        _ => return format!("an architecture newer than ARMv8-A ({v})"),
    };
    name.to_string()
}

/// ARM IHI 0045, `Tag_FP_arch`.
fn arm_fp_name(v: u64) -> &'static str {
    match v {
        0 => "no FPU",
        1 => "VFPv1",
        2 => "VFPv2",
        3 => "VFPv3 with 32 registers",
        4 => "VFPv3-D16",
        5 => "VFPv4 with 32 registers",
        6 => "VFPv4-D16",
        7 => "ARMv8 FP",
        _ => "a newer FPU",
    }
}

/// `EF_MIPS_ARCH` levels in the order each includes the one before; MIPS64r6 is not a
/// superset of r2 (it drops instructions), so it ranks apart.
fn mips_level(arch: u32) -> Option<(u8, &'static str)> {
    Some(match arch {
        a if a == e::EF_MIPS_ARCH_3.0 => (3, "MIPS III"),
        a if a == e::EF_MIPS_ARCH_4.0 => (4, "MIPS IV"),
        a if a == e::EF_MIPS_ARCH_5.0 => (5, "MIPS V"),
        a if a == e::EF_MIPS_ARCH_64.0 => (6, "MIPS64"),
        a if a == e::EF_MIPS_ARCH_64R2.0 => (7, "MIPS64r2"),
        a if a == e::EF_MIPS_ARCH_64R6.0 => (9, "MIPS64r6"),
        _ => return None,
    })
}

fn mips64(flags: u32, max_arch: u32) -> Vec<String> {
    let mut problems = Vec::new();
    if flags & e::EF_MIPS_ABI2.0 != 0 {
        problems.push("it uses the n32 ABI (EF_MIPS_ABI2), not n64".to_string());
    } else if flags & e::EF_MIPS_ABI != 0 {
        problems.push(format!(
            "it uses a 32-bit MIPS ABI (EF_MIPS_ABI {:#x}), not n64",
            flags & e::EF_MIPS_ABI
        ));
    }
    let arch = flags & e::EF_MIPS_ARCH;
    let (max, max_name) = mips_level(max_arch).unwrap_or((0, "?"));
    match mips_level(arch) {
        Some((level, _)) if level <= max => {}
        Some((_, name)) => problems.push(format!(
            "it is built for {name}, newer than the {max_name} baseline"
        )),
        None => problems.push(format!(
            "its ISA level (EF_MIPS_ARCH {arch:#x}) is not a 64-bit one up to {max_name}"
        )),
    }
    problems
}

/// `.MIPS.abiflags`: hard float, and no SIMD or release beyond MIPS64r2.
fn mips_abiflags(abi: &MipsAbiFlags) -> Vec<String> {
    let mut problems = Vec::new();
    match abi.fp_abi {
        3 => {
            problems.push("it uses soft float (MIPS ABI flags), not the hard-float n64 ABI".into())
        }
        2 => problems.push(
            "it uses single-precision float registers only, not the hard-float n64 ABI".into(),
        ),
        _ => {}
    }
    if abi.ases & 0x100 != 0 {
        problems.push("it uses MSA (MIPS SIMD), which MIPS64r2 boards do not have: SIGILL".into());
    }
    if abi.isa_level == 64 && abi.isa_rev > 2 {
        problems.push(format!(
            "its ABI flags say MIPS64r{}, newer than the MIPS64r2 baseline",
            abi.isa_rev
        ));
    }
    problems
}

fn loongarch(flags: u32) -> Vec<String> {
    match flags & e::EF_LARCH_ABI_MODIFIER_MASK {
        m if m == e::EF_LARCH_ABI_DOUBLE_FLOAT.0 => Vec::new(),
        m if m == e::EF_LARCH_ABI_SOFT_FLOAT.0 => {
            vec!["it uses the soft-float ABI (LP64S), not LP64D".to_string()]
        }
        m if m == e::EF_LARCH_ABI_SINGLE_FLOAT.0 => {
            vec!["it uses the single-float ABI (LP64F), not LP64D".to_string()]
        }
        m => vec![format!("its ABI (e_flags {m:#x}) is not LP64D")],
    }
}

fn riscv(flags: u32) -> Vec<String> {
    let mut problems = Vec::new();
    if flags & e::EF_RISCV_RVE.0 != 0 {
        problems.push("it is built for RV64E (16 registers), not RV64GC".to_string());
    }
    if flags & e::EF_RISCV_FLOAT_ABI != e::EF_RISCV_FLOAT_ABI_DOUBLE.0 {
        problems.push(format!(
            "its float ABI (e_flags {:#x}) is not LP64D, which musl's riscv64 uses",
            flags & e::EF_RISCV_FLOAT_ABI
        ));
    }
    problems
}

fn power(flags: u32) -> Vec<String> {
    // 0 means "not stated" (older tools), 2 ELFv2; 1 is the big-endian ELFv1 ABI.
    if flags & e::EF_PPC64_ABI == 1 {
        return vec!["it uses the ELFv1 ABI of big-endian PowerPC, not ELFv2".to_string()];
    }
    Vec::new()
}
