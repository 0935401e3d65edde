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
