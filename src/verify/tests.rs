use super::elf::read_arm_attributes;
use super::*;
use object::Endianness;
use object::elf;

fn attributes_section(pairs: &[(u8, u8)], cpu_name: &str) -> Vec<u8> {
    let mut file_attrs = vec![5u8];
    file_attrs.extend(cpu_name.as_bytes());
    file_attrs.push(0);
    for (tag, value) in pairs {
        file_attrs.extend([*tag, *value]);
    }
    let mut sub = vec![1u8];
    sub.extend(((file_attrs.len() + 5) as u32).to_le_bytes());
    sub.extend(file_attrs);
    let mut vendor = b"aeabi\0".to_vec();
    vendor.extend(sub);
    let mut out = vec![b'A'];
    out.extend(((vendor.len() + 4) as u32).to_le_bytes());
    out.extend(vendor);
    out
}

#[test]
fn arm_attributes_are_read() {
    let data = attributes_section(&[(6, 10), (7, b'A'), (9, 2), (10, 4), (12, 1)], "7-A");
    let mut attrs = ArmAttributes::default();
    read_arm_attributes::<elf::FileHeader32<Endianness>>(Endianness::Little, &data, &mut attrs)
        .unwrap();
    assert_eq!(attrs.cpu_arch, Some(10));
    assert_eq!(attrs.cpu_arch_profile, Some(u64::from(b'A')));
    assert_eq!(attrs.thumb_isa_use, Some(2));
    assert_eq!(attrs.fp_arch, Some(4));
    assert_eq!(attrs.advanced_simd_arch, Some(1));

    // A section shorter than its own length field is refused, not half read.
    let result = read_arm_attributes::<elf::FileHeader32<Endianness>>(
        Endianness::Little,
        &data[..data.len() - 1],
        &mut ArmAttributes::default(),
    );
    assert!(result.is_err());
}

fn arm_facts(attrs: ArmAttributes) -> ElfFacts {
    ElfFacts {
        class64: false,
        little_endian: true,
        machine: elf::EM_ARM.0,
        flags: elf::EF_ARM_EABI_VER5.0,
        executable: true,
        interpreter: None,
        needed: vec![],
        static_pie: false,
        stripped: true,
        arm: Some(attrs),
        mips: None,
        pure_go: false,
        go: false,
        go_settings: vec![],
        glibc: None,
    }
}

/// A pure Go binary for `target` with these `build` settings from its build info.
fn go_facts(target: Target, settings: &[(&str, &str)]) -> ElfFacts {
    let arm = (target.elf().machine == elf::EM_ARM.0).then(ArmAttributes::default);
    ElfFacts {
        pure_go: true,
        go: true,
        go_settings: settings
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        arm,
        ..facts_of(target, 0)
    }
}

#[test]
fn go_built_for_a_newer_baseline_is_refused_with_its_setting() {
    // Go's own linker writes no ARM attributes: its GOARM is the only record.
    let v7 = go_facts(Target::Armv7, &[("GOARCH", "arm"), ("GOARM", "7")]);
    assert!(check(&v7, Some(Target::Armv7)).0.is_empty());
    let (problems, help) = check(&v7, Some(Target::Armv5));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].contains("GOARM=7, beyond the linux/arm/v5 baseline (GOARM=5)"),
        "{problems:?}"
    );
    assert!(help.contains("armv5 target"), "{help}");
    assert_eq!(target_of(&v7), Some(Target::Armv7));
    // The oldest ARM target a GOARM fits is the one named without --target.
    let v5 = go_facts(Target::Armv5, &[("GOARM", "5")]);
    assert_eq!(target_of(&v5), Some(Target::Armv5));
    assert_eq!(
        target_of(&go_facts(Target::Armv6, &[("GOARM", "6")])),
        Some(Target::Armv6)
    );
    // ARMv6 code without the FPU still needs ARMv6; ARMv5 with the FPU needs one.
    let soft6 = go_facts(Target::Armv5, &[("GOARM", "6,softfloat")]);
    assert!(!check(&soft6, Some(Target::Armv5)).0.is_empty());
    assert!(check(&soft6, Some(Target::Armv6)).0.is_empty());
    let hard5 = go_facts(Target::Armv5, &[("GOARM", "5,hardfloat")]);
    assert!(!check(&hard5, Some(Target::Armv5)).0.is_empty());
    assert!(check(&hard5, Some(Target::Armv6)).0.is_empty());

    for (target, variable, newer, same) in [
        (Target::X86_64, "GOAMD64", "v3", "v1"),
        (Target::I386, "GO386", "sse2", "softfloat"),
        (Target::Ppc64le, "GOPPC64", "power9", "power8"),
        (Target::Riscv64, "GORISCV64", "rva22u64", "rva20u64"),
        (Target::Aarch64, "GOARM64", "v8.2", "v8.0"),
        (Target::Aarch64, "GOARM64", "v8.0,lse", "v8.0"),
    ] {
        let facts = go_facts(target, &[(variable, newer)]);
        let (problems, _) = check(&facts, Some(target));
        assert!(
            problems.len() == 1 && problems[0].contains(&format!("{variable}={newer}")),
            "{target}: {problems:?}"
        );
        assert!(
            check(&go_facts(target, &[(variable, same)]), Some(target))
                .0
                .is_empty()
        );
    }
    // Soft float runs on a MIPS64 with an FPU; a value muslbuild cannot order is refused.
    let soft = go_facts(Target::Mips64el, &[("GOMIPS64", "softfloat")]);
    assert!(check(&soft, Some(Target::Mips64el)).0.is_empty());
    let future = go_facts(Target::X86_64, &[("GOAMD64", "x5")]);
    assert!(check(&future, Some(Target::X86_64)).0[0].contains("cannot hold"));
    // Without build info (not Go, or a Go before 1.18) nothing is claimed.
    assert!(
        check(&go_facts(Target::Armv5, &[]), Some(Target::Armv5))
            .0
            .is_empty()
    );
}

#[test]
fn static_glibc_is_refused_and_dynamic_glibc_only_as_dynamic() {
    let glibc = ElfFacts {
        class64: true,
        machine: elf::EM_X86_64.0,
        arm: None,
        glibc: Some("glibc's ABI note (`.note.ABI-tag`)".into()),
        ..arm_facts(ArmAttributes::default())
    };
    let (problems, help) = check(&glibc, Some(Target::X86_64));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("static glibc executable, not musl"));
    assert!(help.contains("musl toolchain"));
    let dynamic = ElfFacts {
        interpreter: Some("/lib64/ld-linux-x86-64.so.2".into()),
        ..glibc
    };
    let (problems, _) = check(&dynamic, Some(Target::X86_64));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("dynamically linked"));
}

#[test]
fn armv7_baseline_accepted_neon_and_soft_float_refused() {
    let baseline = ArmAttributes {
        cpu_arch: Some(10),
        fp_arch: Some(4),
        advanced_simd_arch: None,
        hard_float: true,
        ..Default::default()
    };
    assert!(
        check(&arm_facts(baseline.clone()), Some(Target::Armv7))
            .0
            .is_empty()
    );
    let neon = ArmAttributes {
        advanced_simd_arch: Some(1),
        ..baseline.clone()
    };
    let (problems, help) = check(&arm_facts(neon), Some(Target::Armv7));
    assert!(problems[0].contains("NEON"), "{problems:?}");
    assert!(help.contains("VFPv3-D16"));
    let soft = ArmAttributes {
        hard_float: false,
        ..baseline.clone()
    };
    assert!(check(&arm_facts(soft.clone()), Some(Target::Armv7)).0[0].contains("soft-float"));
    let go = ElfFacts {
        pure_go: true,
        ..arm_facts(ArmAttributes {
            cpu_arch: None,
            fp_arch: None,
            ..soft
        })
    };
    assert!(
        check(&go, Some(Target::Armv7)).0.is_empty(),
        "pure Go has no float ABI flag"
    );
    let v8 = ArmAttributes {
        cpu_arch: Some(14),
        fp_arch: Some(7),
        ..baseline
    };
    assert_eq!(check(&arm_facts(v8), Some(Target::Armv7)).0.len(), 2);
}

/// A minimal ELF64 executable, made byte by byte: header, program headers (PT_LOAD
/// over the whole file, optional PT_INTERP and PT_DYNAMIC), interpreter string,
/// dynamic string table and dynamic array.
fn elf64(
    machine: u16,
    e_type: u16,
    interp: Option<&str>,
    needed: &[&str],
    dynamic: bool,
) -> Vec<u8> {
    const BASE: u64 = 0x400000;
    let phnum = 1 + usize::from(interp.is_some()) + usize::from(dynamic);
    let data_start = 64 + 56 * 3;
    let mut data = Vec::new();
    let interp_off = data_start + data.len();
    if let Some(i) = interp {
        data.extend(i.as_bytes());
        data.push(0);
    }
    let strtab_off = data_start + data.len();
    let mut strtab = vec![0u8];
    let mut name_offsets = Vec::new();
    for name in needed {
        name_offsets.push(strtab.len() as u64);
        strtab.extend(name.as_bytes());
        strtab.push(0);
    }
    data.extend(&strtab);
    while (data_start + data.len()) % 8 != 0 {
        data.push(0);
    }
    let dyn_off = data_start + data.len();
    let mut dyns: Vec<(u64, u64)> = name_offsets.iter().map(|&o| (1, o)).collect();
    dyns.extend([
        (5, BASE + strtab_off as u64),
        (10, strtab.len() as u64),
        (0, 0),
    ]);
    for (tag, val) in &dyns {
        data.extend(tag.to_le_bytes());
        data.extend(val.to_le_bytes());
    }
    let total = (data_start + data.len()) as u64;
    let mut out = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    out.extend(e_type.to_le_bytes());
    out.extend(machine.to_le_bytes());
    out.extend(1u32.to_le_bytes());
    out.extend((BASE + 0x100).to_le_bytes());
    out.extend(64u64.to_le_bytes());
    out.extend(0u64.to_le_bytes());
    out.extend(0u32.to_le_bytes());
    for v in [64u16, 56, phnum as u16, 64, 0, 0] {
        out.extend(v.to_le_bytes());
    }
    let mut phdr = |p_type: u32, offset: u64, size: u64| {
        out.extend(p_type.to_le_bytes());
        out.extend(5u32.to_le_bytes());
        out.extend(offset.to_le_bytes());
        out.extend((BASE + offset).to_le_bytes());
        out.extend((BASE + offset).to_le_bytes());
        out.extend(size.to_le_bytes());
        out.extend(size.to_le_bytes());
        out.extend(8u64.to_le_bytes());
    };
    phdr(1, 0, total);
    if let Some(i) = interp {
        phdr(3, interp_off as u64, i.len() as u64 + 1);
    }
    if dynamic {
        phdr(2, dyn_off as u64, (dyns.len() * 16) as u64);
    }
    out.resize(data_start, 0);
    out.extend(data);
    out
}

const X86: u16 = 62;
const AARCH64: u16 = 183;

#[test]
fn static_executable_passes() {
    let bytes = elf64(X86, 2, None, &[], false);
    let report = verify_bytes(Path::new("hello"), &bytes, Some(Target::X86_64));
    assert!(report.ok, "{:?}", report.problems);
    assert!(report.stripped);
    assert!(!report.static_pie);
    assert_eq!(report.size, bytes.len() as u64);
    assert_eq!(report.sha256, sha256_hex(&bytes));
    // Without --target, the machine decides the target.
    assert_eq!(
        verify_bytes(Path::new("hello"), &bytes, None).target,
        Some(Target::X86_64)
    );
}

#[test]
fn dynamic_executable_fails_with_the_scratch_explanation() {
    let bytes = elf64(
        X86,
        3,
        Some("/lib64/ld-linux-x86-64.so.2"),
        &["libc.so.6"],
        true,
    );
    let facts = read_facts(&bytes).unwrap();
    assert_eq!(
        facts.interpreter.as_deref(),
        Some("/lib64/ld-linux-x86-64.so.2")
    );
    assert_eq!(facts.needed, vec!["libc.so.6"]);
    let report = verify_bytes(Path::new("hello"), &bytes, Some(Target::X86_64));
    assert!(!report.ok);
    let problem = &report.problems[0];
    assert!(
        problem.contains("/lib64/ld-linux-x86-64.so.2 and libc.so.6"),
        "{problem}"
    );
    assert!(problem.contains("FROM scratch"), "{problem}");
    assert!(problem.contains("no such file or directory"), "{problem}");
}

#[test]
fn needed_libraries_without_interpreter_fail() {
    let bytes = elf64(X86, 3, None, &["libz.so.1"], true);
    let report = verify_bytes(Path::new("x"), &bytes, Some(Target::X86_64));
    assert_eq!(
        report.problems,
        vec!["it needs shared libraries (libz.so.1) that a FROM scratch image does not have"]
    );
}

#[test]
fn static_pie_is_accepted() {
    let bytes = elf64(AARCH64, 3, None, &[], true);
    let report = verify_bytes(Path::new("x"), &bytes, Some(Target::Aarch64));
    assert!(report.ok, "{:?}", report.problems);
    assert!(report.static_pie);
}

#[test]
fn wrong_architecture_fails() {
    let bytes = elf64(AARCH64, 2, None, &[], false);
    let report = verify_bytes(Path::new("x"), &bytes, Some(Target::X86_64));
    assert!(!report.ok);
    assert!(
        report.problems[0].contains(
            "64-bit little-endian AArch64 binary, not x86_64 (64-bit little-endian x86-64)"
        ),
        "{:?}",
        report.problems
    );
    assert!(report.problems[0].contains("exec format error"));
    let err = report.into_result().unwrap_err();
    assert!(err.help().contains("--target x86_64"), "{}", err.help());
}

#[test]
fn relocatable_object_is_not_an_executable() {
    let bytes = elf64(X86, 1, None, &[], false);
    let report = verify_bytes(Path::new("x.o"), &bytes, Some(Target::X86_64));
    assert_eq!(
        report.problems,
        vec!["it is not an executable (a relocatable object or shared library)"]
    );
}

#[test]
fn foreign_machine_without_target_is_refused() {
    // EM_SPARCV9: no target of muslbuild's.
    let bytes = elf64(43, 2, None, &[], false);
    let report = verify_bytes(Path::new("x"), &bytes, None);
    assert!(
        report.problems[0].contains("64-bit little-endian ELF machine 43 file"),
        "{:?}",
        report.problems
    );
}

#[test]
fn not_elf() {
    let report = verify_bytes(Path::new("hello.c"), b"int main(void){}", None);
    assert!(!report.ok);
    assert_eq!(report.problems, vec!["it is not an ELF file"]);
    assert!(matches!(report.into_result(), Err(Error::Verify { .. })));
}

fn facts_of(target: Target, flags: u32) -> ElfFacts {
    let elf = target.elf();
    ElfFacts {
        class64: elf.class64,
        little_endian: elf.little_endian,
        machine: elf.machine,
        flags,
        arm: None,
        ..arm_facts(ArmAttributes::default())
    }
}

#[test]
fn armv6_takes_arm1176_and_refuses_armv7_code() {
    // What zig -mcpu=arm1176jzf_s writes.
    let arm1176 = ArmAttributes {
        cpu_arch: Some(6),
        thumb_isa_use: Some(1),
        fp_arch: Some(2),
        hard_float: true,
        ..Default::default()
    };
    let facts = arm_facts(arm1176.clone());
    assert!(check(&facts, Some(Target::Armv6)).0.is_empty());
    assert!(check(&facts, Some(Target::Armv7)).0.is_empty());
    assert_eq!(target_of(&facts), Some(Target::Armv6));
    let v7 = arm_facts(ArmAttributes {
        cpu_arch: Some(10),
        thumb_isa_use: Some(2),
        fp_arch: Some(4),
        ..arm1176
    });
    let (problems, help) = check(&v7, Some(Target::Armv6));
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(problems[0].contains("ARMv7 (Tag_CPU_arch 10), beyond the linux/arm/v6 baseline"));
    assert!(problems[1].contains("Thumb-2"));
    assert!(problems[2].contains("beyond VFPv2"));
    assert!(help.contains("ARM1176JZF-S"), "{help}");
    assert_eq!(target_of(&v7), Some(Target::Armv7));
}

#[test]
fn armv5_is_soft_float_without_fpu() {
    let arm926 = ArmAttributes {
        cpu_arch: Some(4),
        thumb_isa_use: Some(1),
        ..Default::default()
    };
    let facts = arm_facts(arm926.clone());
    assert!(check(&facts, Some(Target::Armv5)).0.is_empty());
    assert_eq!(target_of(&facts), Some(Target::Armv5));
    // armv7 wants hard float: a v5 soft-float file is not one.
    assert!(!check(&facts, Some(Target::Armv7)).0.is_empty());
    let vfp_hard = arm_facts(ArmAttributes {
        fp_arch: Some(2),
        hard_float: true,
        ..arm926
    });
    let (problems, _) = check(&vfp_hard, Some(Target::Armv5));
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("floating-point unit (VFPv2"));
    assert!(problems[1].contains("hard-float ABI"));
}

#[test]
fn mips64_wants_n64_and_no_more_than_mips64r2() {
    // zig -mcpu=mips64r2 -fPIC: noreorder, pic, cpic, mips64r2.
    let ok = facts_of(Target::Mips64el, 0x8000_0007);
    assert!(check(&ok, Some(Target::Mips64el)).0.is_empty());
    let r6 = facts_of(Target::Mips64el, elf::EF_MIPS_ARCH_64R6.0 | 7);
    assert!(check(&r6, Some(Target::Mips64el)).0[0].contains("MIPS64r6, newer than the MIPS64r2"));
    let n32 = facts_of(Target::Mips64el, 0x8000_0027);
    assert!(check(&n32, Some(Target::Mips64el)).0[0].contains("n32"));
    // The ABI flags segment: hard float, no MSA, no later release.
    let abi = MipsAbiFlags {
        isa_level: 64,
        isa_rev: 2,
        fp_abi: 1,
        ases: 0,
    };
    let with = |abi: MipsAbiFlags| ElfFacts {
        mips: Some(abi),
        ..ok.clone()
    };
    assert!(
        check(&with(abi.clone()), Some(Target::Mips64el))
            .0
            .is_empty()
    );
    let soft = with(MipsAbiFlags {
        fp_abi: 3,
        ..abi.clone()
    });
    assert!(check(&soft, Some(Target::Mips64el)).0[0].contains("soft float"));
    let msa = with(MipsAbiFlags {
        ases: 0x100,
        isa_rev: 5,
        ..abi
    });
    let (problems, _) = check(&msa, Some(Target::Mips64el));
    assert!(
        problems[0].contains("MSA") && problems[1].contains("MIPS64r5"),
        "{problems:?}"
    );
    // Go writes its own flags and picks the ABI by GOARCH.
    let go = ElfFacts { go: true, ..n32 };
    assert!(check(&go, Some(Target::Mips64el)).0.is_empty());
}

#[test]
fn loongarch_riscv_and_power_abis() {
    assert!(
        check(
            &facts_of(Target::Loongarch64, 0x43),
            Some(Target::Loongarch64)
        )
        .0
        .is_empty()
    );
    let soft = facts_of(Target::Loongarch64, 0x41);
    let (problems, help) = check(&soft, Some(Target::Loongarch64));
    assert_eq!(problems, ["it uses the soft-float ABI (LP64S), not LP64D"]);
    assert!(help.contains("no LSX/LASX"), "{help}");
    assert!(
        check(&facts_of(Target::Riscv64, 0x5), Some(Target::Riscv64))
            .0
            .is_empty()
    );
    assert!(
        check(&facts_of(Target::Riscv64, 0x1), Some(Target::Riscv64)).0[0].contains("not LP64D")
    );
    assert!(check(&facts_of(Target::Riscv64, 0xd), Some(Target::Riscv64)).0[0].contains("RV64E"));
    assert!(
        check(&facts_of(Target::Ppc64le, 2), Some(Target::Ppc64le))
            .0
            .is_empty()
    );
    assert!(check(&facts_of(Target::Ppc64le, 1), Some(Target::Ppc64le)).0[0].contains("ELFv1"));
}

#[test]
fn class_and_endianness_are_part_of_the_target() {
    // A big-endian 64-bit MIPS file is not mips64el, whatever its machine says.
    let big = ElfFacts {
        little_endian: false,
        ..facts_of(Target::Mips64el, 0x8000_0007)
    };
    let (problems, _) = check(&big, Some(Target::Mips64el));
    assert!(
        problems[0]
            .contains("64-bit big-endian MIPS binary, not mips64el (64-bit little-endian MIPS)"),
        "{problems:?}"
    );
    assert_eq!(target_of(&big), None);
    let s390x = facts_of(Target::S390x, 0);
    assert_eq!(target_of(&s390x), Some(Target::S390x));
    let i386 = facts_of(Target::I386, 0);
    assert_eq!(target_of(&i386), Some(Target::I386));
}
