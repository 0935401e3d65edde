use super::*;
use crate::libs::Catalog;
use crate::libs::catalog::parse_vendor_flag;

#[test]
fn built_in_recipes_parse_and_pin_the_known_hashes() {
    let catalog = Catalog::new(Vec::new());
    let ncurses = catalog.get("ncurses").unwrap();
    assert_eq!(
        ncurses.sources[0].sha256,
        "6931283d9ac87c5073f30b6290c4c75f21632bb4fc3603ac8100812bed248159"
    );
    assert!(
        ncurses
            .configure
            .args
            .iter()
            .any(|a| a.starts_with("--with-fallbacks=linux,vt100"))
    );
    assert!(
        ncurses
            .configure
            .args
            .contains(&"--disable-stripping".to_string())
    );
    let readline = catalog.get("readline").unwrap();
    assert_eq!(
        readline.sources[0].sha256,
        "3feb7171f16a84ee82ca18a36d7b9be109a52c04f492a053331d7d1095007c35"
    );
    assert_eq!(catalog.get("zlib").unwrap().version, "1.3.1");
}

/// What the SBOM and an offline build need of every built-in recipe: a license and
/// a supplier, and an archive (its own or an alternative) that is the `.orig` tarball
/// of Debian bookworm's source package, by sha256 (xtask/src/debsrc.rs pins the same).
#[test]
fn every_built_in_recipe_is_licensed_and_found_in_debian_sources() {
    let debian = [
        (
            "bzip2",
            "ab5a03176ee106d3f0fa90e381da478ddae405918153cca248e682cd0c4a2269",
        ),
        (
            "expat",
            "ab00ee05c7067fd10a35c5d2a4922ebba746ddd50ff83b79c828da17bbdf1757",
        ),
        (
            "libevent",
            "92e6de1be9ec176428fd2367677e61ceffc2ee1cb119035037a27d346b0403bb",
        ),
        (
            "ncurses",
            "6931283d9ac87c5073f30b6290c4c75f21632bb4fc3603ac8100812bed248159",
        ),
        (
            "openssl",
            "dfdd77e4ea1b57ff3a6dbde6b0bdc3f31db5ac99e7fdd4eaf9e1fbb6ec2db8ce",
        ),
        (
            "pcre2",
            "c33b418e3b936ee3153de2c61cc638e7e4fe3156022a5c77d0711bcbb9d64f1f",
        ),
        (
            "readline",
            "3feb7171f16a84ee82ca18a36d7b9be109a52c04f492a053331d7d1095007c35",
        ),
        (
            "sqlite",
            "aaa776260ab4dc976db34aa7891819484c8676b5b2783123ebc6301e2ca5d655",
        ),
        (
            "xz",
            "5d9827aa1875b21c288f78864bb26d2650b436ea8d2cad364e4921eb6266a5a5",
        ),
        (
            "zlib",
            "71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1",
        ),
        (
            "zstd",
            "8cf4bbb65e77ec348d052c8d6230eba66d435bddf64c8b5be2fcb16880c19953",
        ),
    ];
    let catalog = Catalog::new(Vec::new());
    assert_eq!(BUILT_IN.len(), debian.len());
    for (name, sha256) in debian {
        let recipe = catalog.get(name).unwrap();
        assert!(
            recipe.license.is_some() && recipe.supplier.is_some(),
            "{name}"
        );
        let source = &recipe.sources[0];
        assert!(!source.urls.is_empty(), "{name} has no upstream URL");
        let accepted: Vec<&str> = std::iter::once(source.sha256.as_str())
            .chain(source.alternatives.iter().map(|a| a.sha256.as_str()))
            .collect();
        assert!(accepted.contains(&sha256), "{name}: {accepted:?}");
    }
}

/// OpenSSL's Configure knows every target only by its own name: a target without
/// one would configure for the build machine.
#[test]
fn openssl_names_every_target_in_configures_words() {
    let openssl = Catalog::new(Vec::new()).get("openssl").unwrap().clone();
    for target in Target::ALL {
        let words = openssl.for_target(target).bootstrap;
        let name = words.last().unwrap();
        assert!(name.starts_with("linux"), "{target}: {words:?}");
    }
    let x86 = openssl.for_target(Target::X86_64).bootstrap;
    assert_eq!(x86.last().unwrap(), "linux-x86_64");
    assert!(x86.contains(&"--openssldir=/etc/ssl".to_string()));
    assert_eq!(openssl.edits.len(), 1);
}

#[test]
fn subdir_and_edits_stay_inside_an_archive() {
    let base = "name = \"x\"\nbuild = \"make\"\n[[sources]]\nfile = \"x.tgz\"\nurls = []\n\
                sha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\n";
    assert!(Recipe::parse(&format!("subdir = \"lib\"\n{base}"), "t").is_ok());
    for (bad, says) in [
        (
            "subdir = \"../up\"\n",
            "must be a folder inside the archive",
        ),
        ("subdir = \"/abs\"\n", "must be a folder inside the archive"),
        (
            "[[edits]]\nfile = \"../x.h\"\nfrom = \"a\"\nto = \"b\"\n",
            "must be inside the sources",
        ),
        (
            "[[edits]]\nfile = \"x.h\"\nfrom = \"\"\nto = \"b\"\n",
            "has an empty `from`",
        ),
    ] {
        // Top-level keys before the tables, tables after the base.
        let text = if bad.starts_with("[[") {
            format!("{base}{bad}")
        } else {
            format!("{bad}{base}")
        };
        let err = Recipe::parse(&text, "t").unwrap_err().to_string();
        assert!(err.contains(says), "{bad}: {err}");
    }
    let folder = "name = \"x\"\nbuild = \"make\"\npath = \"/src/x\"\nsubdir = \"lib\"\n";
    let err = Recipe::parse(folder, "t").unwrap_err().to_string();
    assert!(err.contains("apply to unpacked archives"), "{err}");
}

#[test]
fn a_release_configure_wins_then_meson_then_cmake() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("CMakeLists.txt"), "").unwrap();
    assert_eq!(BuildSystem::detect(dir.path()), Some(BuildSystem::Cmake));
    std::fs::write(dir.path().join("meson.build"), "").unwrap();
    assert_eq!(BuildSystem::detect(dir.path()), Some(BuildSystem::Meson));
    std::fs::write(dir.path().join("configure"), "").unwrap();
    assert_eq!(
        BuildSystem::detect(dir.path()),
        Some(BuildSystem::Autotools)
    );
    assert_eq!("meson".parse::<BuildSystem>(), Ok(BuildSystem::Meson));
    let r = parse_vendor_flag(
        &format!("foo={}:meson", dir.path().display()),
        Path::new("/"),
    )
    .unwrap();
    assert_eq!(r.build, BuildSystem::Meson);
}

#[test]
fn recipes_take_per_target_tables_under_any_target_name() {
    let head =
        "name = \"x\"\nbuild = \"make\"\npath = \"/\"\nbootstrap = [\"perl\", \"Configure\"]\n";
    let recipe = Recipe::parse(
        &format!("{head}[target.armhf]\nbootstrap = [\"linux-armv4\"]\n[target.\"linux/amd64\"]\nbootstrap = [\"linux-x86_64\"]\n"),
        "test",
    )
    .unwrap();
    assert_eq!(
        recipe.for_target(Target::Armv7).bootstrap,
        ["perl", "Configure", "linux-armv4"]
    );
    assert_eq!(
        recipe.for_target(Target::X86_64).bootstrap,
        ["perl", "Configure", "linux-x86_64"]
    );
    let err = Recipe::parse(&format!("{head}[target.arm64]\n[target.aarch64]\n"), "test")
        .unwrap_err()
        .to_string();
    assert!(err.contains("both name aarch64"), "{err}");
    let err = Recipe::parse(&format!("{head}[target.sparc]\n"), "test")
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown target `sparc`"), "{err}");
    let err = Recipe::parse(
        &format!("{head}[target.x86_64]\ncflags = [\"-DARCH={{target.arch}}\"]\n"),
        "test",
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown placeholder `{target.arch}`"),
        "{err}"
    );
    assert!(err.help().contains("did you mean"), "{}", err.help());
}

#[test]
fn a_recipe_needs_sources_or_a_folder() {
    assert!(Recipe::parse("name = \"x\"\nbuild = \"make\"\n", "test").is_err());
}
