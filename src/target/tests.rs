use super::*;

#[test]
fn the_table_is_in_target_order() {
    for (i, spec) in SPECS.iter().enumerate() {
        assert_eq!(spec.target as usize, i, "{}", spec.name);
        assert_eq!(Target::ALL[i], spec.target);
    }
}

#[test]
fn canonical_names_round_trip() {
    for target in Target::ALL {
        assert_eq!(target.name().parse::<Target>(), Ok(target));
    }
}

#[test]
fn no_alias_belongs_to_two_targets() {
    let mut seen: std::collections::HashMap<String, Target> = Default::default();
    for spec in &SPECS {
        for name in spec.accepted() {
            assert_eq!(name, name.to_ascii_lowercase(), "names are lower case");
            if let Some(other) = seen.insert(name.to_string(), spec.target)
                && other != spec.target
            {
                panic!("`{name}` names both {other} and {}", spec.target);
            }
            assert!(
                AMBIGUOUS.iter().all(|(n, _)| *n != name),
                "`{name}` is both an alias and ambiguous"
            );
        }
    }
}

#[test]
fn every_listed_alias_parses_to_its_target() {
    for target in Target::ALL {
        for alias in target.aliases() {
            assert_eq!(alias.parse::<Target>(), Ok(target), "alias {alias}");
            assert_eq!(
                alias.to_uppercase().parse::<Target>(),
                Ok(target),
                "alias {alias} upper"
            );
        }
        assert_eq!(target.rust_triple().parse::<Target>(), Ok(target));
        assert_eq!(target.gnu_triple().parse::<Target>(), Ok(target));
        assert_eq!(target.oci_platform_string().parse::<Target>(), Ok(target));
        for prefix in target.musl_cross_prefixes() {
            assert_eq!(prefix.parse::<Target>(), Ok(target), "prefix {prefix}");
        }
    }
    // zig's armv6 triple is the GNU name of armv7 (the CPU flag tells them apart), so
    // its triple names a target only where it is unique.
    assert_eq!("arm-linux-musleabihf".parse(), Ok(Target::Armv7));
    assert_eq!("thumb-linux-musleabihf".parse(), Ok(Target::Armv7));
    for target in Target::ALL.into_iter().filter(|&t| t != Target::Armv6) {
        assert_eq!(
            target.zig_triple().parse::<Target>(),
            Ok(target),
            "{target}"
        );
    }
}

#[test]
fn any_vendor_but_after_bare_arm() {
    assert_eq!("x86_64-pc-linux-musl".parse(), Ok(Target::X86_64));
    assert_eq!("aarch64-alpine-linux-musl".parse(), Ok(Target::Aarch64));
    assert_eq!("i686-pc-linux-musl".parse(), Ok(Target::I386));
    assert_eq!("armv6-unknown-linux-musleabihf".parse(), Ok(Target::Armv6));
    assert!("arm-alpine-linux-musleabihf".parse::<Target>().is_err());
}

#[test]
fn an_ambiguous_name_is_refused_naming_every_target_it_could_mean() {
    let err = "arm".parse::<Target>().unwrap_err();
    assert_eq!(
        err.candidates,
        vec![Target::Armv5, Target::Armv6, Target::Armv7]
    );
    assert_eq!(
        err.to_string(),
        "ambiguous target `arm`: it could mean armv5, armv6 or armv7"
    );
    assert!(
        err.help()
            .contains("`armv5` (linux/arm/v5), `armv6` (linux/arm/v6) or `armv7`"),
        "{}",
        err.help()
    );
    let err = Target::parse_list("x86_64,LINUX/ARM").unwrap_err();
    assert_eq!(err.name, "LINUX/ARM");
    assert_eq!(err.candidates.len(), 3);
    let err = "arm-unknown-linux-musleabi".parse::<Target>().unwrap_err();
    assert_eq!(err.candidates, vec![Target::Armv5, Target::Armv6]);
    assert!(err.to_string().contains("armv5 or armv6"));
}

#[test]
fn glibc_and_foreign_triples_are_refused() {
    for name in [
        "x86_64-unknown-linux-gnu",
        "aarch64-linux-gnu",
        "arm-linux-gnueabihf",
        "armv7-unknown-linux-musleabi",
        "riscv32-linux-musl",
        "x86_64-apple-darwin",
        "linux/sparc64",
        "mips",
        "mips64",
        "ppc64",
        "i586",
        "",
        "arm/v8",
    ] {
        let err = name.parse::<Target>().unwrap_err();
        assert_eq!(err.name, name);
        assert!(err.candidates.is_empty());
        assert!(err.to_string().starts_with("unknown target"));
    }
}

#[test]
fn lists_and_all() {
    assert_eq!(Target::parse_list("all").unwrap(), Target::ALL.to_vec());
    assert_eq!(Target::ALL.len(), 11);
    assert_eq!(
        Target::parse_list("x86_64, arm64,linux/arm/v7").unwrap(),
        vec![Target::X86_64, Target::Aarch64, Target::Armv7]
    );
    assert_eq!(
        Target::parse_list("386,armel,arm/v6,ppc64el,mips64le,loong64,linux/s390x,riscv64")
            .unwrap(),
        vec![
            Target::I386,
            Target::Armv5,
            Target::Armv6,
            Target::Ppc64le,
            Target::Mips64el,
            Target::Loongarch64,
            Target::S390x,
            Target::Riscv64
        ]
    );
    assert!(Target::parse_list(",").is_err());
    let err = Target::parse_list("x86_64,sparc").unwrap_err();
    assert_eq!(err.name, "sparc");
    assert!(err.help().contains("x86_64, aarch64, armv7, i386"));
}

#[test]
fn platform_names() {
    assert_eq!(Target::Armv7.oci_platform_string(), "linux/arm/v7");
    assert_eq!(Target::Armv5.oci_platform_string(), "linux/arm/v5");
    assert_eq!(Target::Mips64el.oci_platform_string(), "linux/mips64le");
    assert_eq!(Target::Loongarch64.oci_platform_string(), "linux/loong64");
    assert_eq!(Target::I386.oci_platform_string(), "linux/386");
    assert_eq!(
        Target::Aarch64.go_arch(),
        go("arm64", Some(("GOARM64", "v8.0")))
    );
    assert_eq!(Target::Armv6.go_arch(), go("arm", Some(("GOARM", "6"))));
    assert_eq!(Target::Mips64el.go_arch().goarch, "mips64le");
    // Every ARM target pins a float ABI the triple agrees with.
    for t in [Target::Armv5, Target::Armv6, Target::Armv7] {
        let ElfBaseline::Arm(arm) = t.elf().baseline else {
            panic!("{t} has no ARM baseline")
        };
        assert_eq!(arm.hard_float, t.zig_triple().ends_with("hf"), "{t}");
    }
    assert!(!Target::S390x.elf().little_endian);
}

#[test]
fn debian_musl_folders_follow_musl_debian_rules() {
    // musl's debian/rules: `$(DEB_HOST_GNU_CPU)-linux-musl`, except arm (`…eabi`, `…eabihf`)
    // and i386; its Architecture list has no loong64, and Debian has no armv6.
    let folders: Vec<(Target, Option<&str>)> = Target::ALL
        .iter()
        .map(|t| (*t, t.debian().map(|d| d.musl_multiarch)))
        .collect();
    assert_eq!(
        folders,
        [
            (Target::X86_64, Some("x86_64-linux-musl")),
            (Target::Aarch64, Some("aarch64-linux-musl")),
            (Target::Armv7, Some("arm-linux-musleabihf")),
            (Target::I386, Some("i386-linux-musl")),
            (Target::Armv5, Some("arm-linux-musleabi")),
            (Target::Armv6, None),
            (Target::Riscv64, Some("riscv64-linux-musl")),
            (Target::Ppc64le, Some("powerpc64le-linux-musl")),
            (Target::S390x, Some("s390x-linux-musl")),
            (Target::Mips64el, Some("mips64el-linux-musl")),
            (Target::Loongarch64, None),
        ]
    );
}

#[test]
fn meson_cpu_families_are_names_meson_knows() {
    // meson's reference table of `cpu_family` values (docs/markdown/Reference-tables.md):
    // a name outside it gets a warning, and projects that test the family miss it.
    const MESON_FAMILIES: &[&str] = &[
        "aarch64",
        "arc",
        "arm",
        "avr",
        "c2000",
        "csky",
        "dspic",
        "e2k",
        "ft32",
        "ia64",
        "loongarch64",
        "m68k",
        "microblaze",
        "mips",
        "mips64",
        "msp430",
        "parisc",
        "pic24",
        "ppc",
        "ppc64",
        "riscv32",
        "riscv64",
        "rl78",
        "rx",
        "s390",
        "s390x",
        "sh4",
        "sparc",
        "sparc64",
        "wasm32",
        "wasm64",
        "x86",
        "x86_64",
    ];
    for t in Target::ALL {
        assert!(MESON_FAMILIES.contains(&t.meson_cpu_family()), "{t}");
    }
    assert_eq!(Target::Armv6.meson_cpu_family(), "arm");
    assert_eq!(Target::I386.meson_cpu_family(), "x86");
    assert_eq!(Target::Ppc64le.meson_cpu_family(), "ppc64");
    assert_eq!(Target::Mips64el.meson_cpu_family(), "mips64");
}

/// What binfmt_misc compares: the header's first 20 bytes under the mask.
fn binfmt_matches(target: Target, header: &[u8; 20]) -> bool {
    let (magic, mask) = target.binfmt_magic();
    (0..20).all(|i| header[i] & mask[i] == magic[i])
}

/// An ELF header's first 20 bytes as a linker writes them.
fn header(class64: bool, little_endian: bool, e_type: u16, machine: u16, osabi: u8) -> [u8; 20] {
    let mut h = [0u8; 20];
    h[..4].copy_from_slice(b"\x7fELF");
    h[4] = if class64 { 2 } else { 1 };
    h[5] = if little_endian { 1 } else { 2 };
    h[6] = 1;
    h[7] = osabi;
    let (t, m) = if little_endian {
        (e_type.to_le_bytes(), machine.to_le_bytes())
    } else {
        (e_type.to_be_bytes(), machine.to_be_bytes())
    };
    h[16..18].copy_from_slice(&t);
    h[18..20].copy_from_slice(&m);
    h
}

#[test]
fn binfmt_magic_is_qemus_for_the_rows_qemu_ships() {
    // Debian's qemu-user-static registrations (/usr/lib/binfmt.d), magic and mask
    // byte for byte, but for the two ABI bytes muslbuild leaves free.
    let hex = |s: &str| -> Vec<u8> {
        s.split("\\x")
            .skip(1)
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    };
    let aarch64 = hex(
        "\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00",
    );
    let arm = hex(
        "\\x7f\\x45\\x4c\\x46\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x28\\x00",
    );
    let s390x = hex(
        "\\x7f\\x45\\x4c\\x46\\x02\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x16",
    );
    let loongarch64 = hex(
        "\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\x02\\x01",
    );
    assert_eq!(Target::Aarch64.binfmt_magic().0.to_vec(), aarch64);
    assert_eq!(Target::Armv7.binfmt_magic().0.to_vec(), arm);
    assert_eq!(Target::S390x.binfmt_magic().0.to_vec(), s390x);
    assert_eq!(Target::Loongarch64.binfmt_magic().0.to_vec(), loongarch64);
    let be_mask = hex(
        "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff",
    );
    assert_eq!(Target::S390x.binfmt_magic().1.to_vec(), be_mask);
}

#[test]
fn each_targets_binfmt_entry_takes_its_executables_and_no_other_machines() {
    for target in Target::ALL {
        let elf = target.elf();
        for (e_type, osabi) in [(2, 0), (3, 0), (2, 3)] {
            let own = header(elf.class64, elf.little_endian, e_type, elf.machine, osabi);
            assert!(binfmt_matches(target, &own), "{target} e_type {e_type}");
        }
        // Relocatable objects and core files are not programs.
        let object = header(elf.class64, elf.little_endian, 1, elf.machine, 0);
        assert!(!binfmt_matches(target, &object), "{target} takes a .o");
        for other in Target::ALL {
            let o = other.elf();
            let same_machine = (o.class64, o.little_endian, o.machine)
                == (elf.class64, elf.little_endian, elf.machine);
            let theirs = header(o.class64, o.little_endian, 2, o.machine, 0);
            assert_eq!(
                binfmt_matches(target, &theirs),
                same_machine,
                "{target}'s entry and {other}'s executables"
            );
        }
    }
}
