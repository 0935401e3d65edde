//! Go: flags, package reading, version parsing, the build command.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::build::*;
use super::flags::*;
use super::package::*;
use super::toolchain::*;
use crate::error::Error;
use crate::target::Target;
use crate::toolchain::Toolchain;

/// `build::command` under a test context of its own.
fn command(
    program: &GoProgram,
    target: Target,
    go: &GoToolchain,
    settings: &GoSettings,
    output: &Path,
) -> crate::error::Result<crate::sys::process::Cmd> {
    let ctx = crate::context::Ctx::for_tests(Path::new("/nonexistent"));
    super::build::command(program, target, go, settings, output, &ctx)
}

fn program() -> GoProgram {
    GoProgram {
        name: "server".into(),
        dir: PathBuf::from("/src/app"),
        package: vec![OsString::from("./cmd/server")],
        vendored: false,
        module: None,
        cgo_file: None,
    }
}

fn go() -> GoToolchain {
    GoToolchain {
        go: PathBuf::from("/usr/local/go/bin/go"),
        goroot: PathBuf::from("/usr/local/go"),
        version: "go1.27.3".into(),
        origin: "PATH".into(),
    }
}

fn shown(settings: &GoSettings, target: Target) -> String {
    command(
        &program(),
        target,
        &go(),
        settings,
        Path::new("/out/server"),
    )
    .unwrap()
    .display()
}

#[test]
fn defaults_are_static_stripped_and_reproducible() {
    let text = shown(&GoSettings::default(), Target::Armv7);
    assert_eq!(
        text,
        "cd /src/app && GOOS=linux GOARCH=arm GOFLAGS='' GOARM=7 CGO_ENABLED=0 /usr/local/go/bin/go build -trimpath '-ldflags=-s -w -buildid=' '-tags=netgo,osusergo' '-buildvcs=false' -o /out/server ./cmd/server"
    );
    assert!(!shown(&GoSettings::default(), Target::X86_64).contains("GOARM"));
}

#[test]
fn user_additions_are_appended() {
    let settings = GoSettings {
        ldflags: vec!["-X 'main.version=1.2 beta'".into()],
        tags: vec!["prod,extra".into()],
        goflags: Some("-tags=fromenv -ldflags=-X=main.commit=abc -mod=mod -count=1".into()),
        jobs: Some(1),
        ..GoSettings::default()
    };
    let text = shown(&settings, Target::X86_64);
    assert!(
        text.contains(
            r#""-ldflags=-s -w -buildid= -X=main.commit=abc -X 'main.version=1.2 beta'""#
        ),
        "{text}"
    );
    assert!(
        text.contains("-tags=netgo,osusergo,fromenv,prod,extra"),
        "{text}"
    );
    assert!(text.contains("GOFLAGS='-mod=mod -count=1'"), "{text}");
    assert!(text.contains("-p=1"), "{text}");
}

#[test]
fn vendor_dir_means_mod_vendor_unless_the_user_says() {
    let vendored = GoProgram {
        vendored: true,
        ..program()
    };
    let cmd = command(
        &vendored,
        Target::X86_64,
        &go(),
        &GoSettings::default(),
        Path::new("/o"),
    )
    .unwrap()
    .display();
    assert!(cmd.contains(" '-mod=vendor' "), "{cmd}");
    let settings = GoSettings {
        goflags: Some("-mod=readonly".into()),
        ..GoSettings::default()
    };
    let cmd = command(&vendored, Target::X86_64, &go(), &settings, Path::new("/o"))
        .unwrap()
        .display();
    assert!(!cmd.contains("-mod=vendor"), "{cmd}");
}

#[test]
fn dynamic_making_flags_are_refused() {
    for (goflags, args, ldflags) in [
        (Some("-buildmode=pie"), vec![], vec![]),
        (
            None,
            vec!["-buildmode".to_string(), "pie".to_string()],
            vec![],
        ),
        (None, vec!["-buildmode=c-shared".to_string()], vec![]),
        (Some("-linkshared"), vec![], vec![]),
        (None, vec![], vec!["-linkmode external".to_string()]),
        (
            None,
            vec![],
            vec!["-I /lib/ld-musl-x86_64.so.1".to_string()],
        ),
        (Some("-race"), vec![], vec![]),
    ] {
        let settings = GoSettings {
            goflags: goflags.map(str::to_string),
            go_args: args,
            ldflags,
            ..GoSettings::default()
        };
        let err = command(
            &program(),
            Target::X86_64,
            &go(),
            &settings,
            Path::new("/o"),
        )
        .unwrap_err();
        assert!(matches!(err, Error::GoFlagRefused { .. }), "{err:?}");
        assert_eq!(err.exit_code(), crate::error::exit::USAGE);
    }
    let settings = GoSettings {
        goflags: Some("-buildmode=pie".into()),
        ..GoSettings::default()
    };
    let err = command(
        &program(),
        Target::X86_64,
        &go(),
        &settings,
        Path::new("/o"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "GOFLAGS asks for `-buildmode=pie`, which makes Go link a dynamic position-independent executable with an interpreter (even with CGO_ENABLED=0), and a FROM scratch image has none"
    );
    let ok = GoSettings {
        goflags: Some("-buildmode=exe".into()),
        ..GoSettings::default()
    };
    assert!(command(&program(), Target::X86_64, &go(), &ok, Path::new("/o")).is_ok());
}

#[test]
fn cgo_uses_the_musl_toolchain_and_a_static_external_link() {
    use crate::toolchain::model::Tool;
    use crate::toolchain::{Flavor, Provider};
    let zig = Toolchain {
        target: Target::Armv7,
        provider: Provider::Zig,
        flavor: Flavor::Zig,
        origin: "PATH".into(),
        cc: Tool::new("/opt/my zig/zig").with_args(["cc", "-target", "thumb-linux-musleabihf"]),
        ar: Tool::new("/opt/my zig/zig").with_args(["ar"]),
        ranlib: Tool::new("/opt/my zig/zig").with_args(["ranlib"]),
        version: "0.17.1".into(),
        fingerprint: String::new(),
        kernel_headers: None,
    };
    let settings = GoSettings {
        ldflags: vec!["-extldflags=-Wl,-z,now".into()],
        cgo: Some(Cgo {
            toolchain: zig.clone(),
            flags: CgoFlags {
                include_dirs: vec![PathBuf::from("/p/include")],
                lib_dirs: vec![PathBuf::from("/p/lib")],
                libs: vec!["z".into()],
                cflags: vec!["-DUSER".into()],
                ldflags: vec![],
            },
        }),
        ..GoSettings::default()
    };
    let text = shown(&settings, Target::Armv7);
    // Go splits CC itself; a path with a space survives in Go's quoting. armv7's cgo
    // compiles are ARM code (Go's runtime/cgo assembly), its link the Thumb-2 musl.
    assert!(
        text.contains("CC=\"'/opt/my zig/zig' cc -target thumb-linux-musleabihf\""),
        "{text}"
    );
    assert!(text.contains("CGO_ENABLED=1"), "{text}");
    assert!(
        text.contains(
            "CGO_CFLAGS='-mcpu=generic+v7a+vfp3d16-d32+thumb2-neon-thumb_mode -O2 -I/p/include -DUSER'"
        ),
        "{text}"
    );
    assert!(
        text.contains("CGO_LDFLAGS='-mcpu=generic+v7a+vfp3d16-d32+thumb2-neon -O2 -L/p/lib -lz'"),
        "{text}"
    );
    // Elsewhere the pin is in CC, for compiles, probes and the link alike.
    let i386 = Toolchain {
        target: Target::I386,
        cc: Tool::new("/opt/zig").with_args(["cc", "-target", "x86-linux-musl"]),
        ..zig.clone()
    };
    let settings_i386 = GoSettings {
        cgo: Some(Cgo {
            toolchain: i386,
            flags: CgoFlags::default(),
        }),
        ..GoSettings::default()
    };
    let text_i386 = shown(&settings_i386, Target::I386);
    assert!(
        text_i386.contains("CC='/opt/zig cc -target x86-linux-musl -mcpu=i686'"),
        "{text_i386}"
    );
    assert!(
        text.contains(
            r#""-ldflags=-s -w -buildid= -linkmode=external '-extldflags=-static -s -Wl,-z,now'""#
        ),
        "{text}"
    );
    // Pinned kernel headers come after every include folder and the user's flags.
    let mut pinned = settings.clone();
    if let Some(cgo) = &mut pinned.cgo {
        cgo.toolchain =
            zig.clone()
                .with_kernel_headers(crate::toolchain::KernelHeaders::for_tests(
                    "/c/kh",
                    &["linux"],
                    "armhf",
                ));
    }
    let text = shown(&pinned, Target::Armv7);
    assert!(
        // armv7's cgo compiles start with the ARM-mode CPU words (Go's runtime/cgo
        // assembly is ARM code); the headers come after everything else.
        text.contains(" -O2 -I/p/include -DUSER -ffile-prefix-map=/c/kh=/linux-headers-6.1.176 -I/c/kh --system-header-prefix=linux/'"),
        "{text}"
    );
    // Without --cgo, -extldflags has no linker to go to.
    let pure = GoSettings {
        ldflags: vec!["-extldflags=-static".into()],
        ..GoSettings::default()
    };
    assert!(matches!(
        command(&program(), Target::X86_64, &go(), &pure, Path::new("/o")),
        Err(Error::GoFlagRefused { .. })
    ));
}

#[test]
fn go_quoting_round_trips() {
    let fields = vec![
        "-X".to_string(),
        "main.msg=hello world".into(),
        "it's".into(),
        String::new(),
    ];
    let joined = go_join(&fields).unwrap();
    assert_eq!(joined, "-X 'main.msg=hello world' \"it's\" ''");
    assert_eq!(go_split(&joined).unwrap(), fields);
    assert!(go_split("'open").is_none());
    assert!(go_join(&["a'b\" c".to_string()]).is_err());
}

#[test]
fn job_shares_fit_the_budget() {
    assert_eq!(share_of(2, 3), 1);
    assert_eq!(share_of(8, 3), 2);
    assert_eq!(share_of(8, 1), 8);
    assert_eq!(share_of(1, 3), 1);
    for total in 1..16 {
        for n in 1..5 {
            assert!(share_of(total, n) * n.min(total) <= total);
        }
    }
}

#[test]
fn names_follow_go() {
    assert_eq!(
        name_from_import_path("example.com/app/cmd/server"),
        "server"
    );
    assert_eq!(name_from_import_path("example.com/tool/v2"), "tool");
    assert_eq!(name_from_import_path("hello"), "hello");
    assert_eq!(name_from_import_path("v2"), "v2");
}

#[test]
fn package_clauses() {
    assert_eq!(
        package_clause("// Copyright\n/* block\n */\npackage main // cmd\n"),
        Some("main")
    );
    assert_eq!(
        package_clause("//go:build linux\n\npackage util\n"),
        Some("util")
    );
    assert_eq!(package_clause("/* x */ package main\n"), Some("main"));
    assert_eq!(package_clause("func main() {}\n"), None);
}

#[test]
fn versions() {
    assert_eq!(parse_version("go1.27.3"), Some((1, 27, 3)));
    assert_eq!(parse_version("go1.21rc2"), Some((1, 21, 0)));
    assert_eq!(parse_version("go1.19"), Some((1, 19, 0)));
    assert_eq!(parse_version("devel go1.24-abc"), None);
    let old = GoToolchain {
        version: "go1.17.13".into(),
        ..go()
    };
    let err = old.check_supports(Target::Armv7).unwrap_err();
    assert!(err.to_string().contains("too old for armv7"), "{err}");
}

#[test]
fn go_mod_asking_for_a_newer_go_is_told() {
    let log = "go: go.mod requires go >= 1.30.1 (running go 1.27.3; GOTOOLCHAIN=local)\n";
    assert_eq!(required_go(log).as_deref(), Some("1.30.1"));
    assert_eq!(required_go("main.go:1: syntax error"), None);
}

#[test]
fn unavailable_modules_are_named() {
    let log = "go: downloading example.com/foo v1.2.3\nmain.go:2:8: module lookup disabled by GOPROXY=off\n";
    assert_eq!(unavailable_module(log).as_deref(), Some("example.com/foo"));
    let log = "go: example.com/bar@v0.1.0: module lookup disabled by GOPROXY=off\n";
    assert_eq!(unavailable_module(log).as_deref(), Some("example.com/bar"));
    let log = "main.go:2:8: no required module provides package example.com/baz/x; to add it:\n";
    assert_eq!(
        unavailable_module(log).as_deref(),
        Some("example.com/baz/x")
    );
    assert_eq!(unavailable_module("main.go:3:1: syntax error"), None);
}

#[test]
fn packages_are_read_without_go() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("go.mod"),
        "module example.com/app/v3 // c\n\ngo 1.21\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("cmd/server")).unwrap();
    std::fs::write(
        root.join("cmd/server/main.go"),
        "package main\nfunc main() {}\n",
    )
    .unwrap();
    std::fs::write(root.join("cmd/server/main_test.go"), "package main_test\n").unwrap();
    std::fs::create_dir_all(root.join("lib")).unwrap();
    std::fs::write(root.join("lib/lib.go"), "package lib\n").unwrap();
    std::fs::create_dir_all(root.join("vendor")).unwrap();
    std::fs::write(root.join("vendor/modules.txt"), "").unwrap();

    let p = package(&[PathBuf::from("./cmd/server")], root).unwrap();
    assert_eq!(p.name, "server");
    assert_eq!(p.dir, root);
    assert_eq!(p.package, vec![OsString::from("./cmd/server")]);
    assert!(p.vendored);

    let p = package(&[PathBuf::from("main.go")], &root.join("cmd/server")).unwrap();
    assert_eq!(
        (p.name.as_str(), p.package.clone()),
        ("main", vec![OsString::from("main.go")])
    );

    let err = package(&[PathBuf::from("lib")], root).unwrap_err();
    assert!(err.to_string().contains("library package `lib`"), "{err}");
    let err = package(&[PathBuf::from(".")], root).unwrap_err();
    assert!(matches!(err, Error::NotGoPackage { .. }), "{err}");
    assert!(matches!(
        package(&[PathBuf::from("nope")], root),
        Err(Error::MissingSource { .. })
    ));
    assert!(is_go_input(Path::new("."), root));
    assert!(is_go_input(Path::new("cmd/server"), root));
    assert!(!is_go_input(Path::new("vendor"), root));
}

#[test]
fn imports_are_read_from_the_import_section() {
    let text = "// Copyright\n/* block */ package main\n\n/*\n#include <stdio.h>\n*/\nimport \"C\"\nimport (\n\t\"fmt\" // print\n\tx \"example.com/app/internal/x\"\n\t_ `embed`\n\t. \"strings\"\n)\n\nimport \"os\"\n\nfunc main() { _ = \"example.com/not/an/import\" }\n";
    assert_eq!(
        imports(text).unwrap(),
        [
            "C",
            "fmt",
            "example.com/app/internal/x",
            "embed",
            "strings",
            "os"
        ]
    );
    assert_eq!(imports("package x\n").unwrap(), Vec::<String>::new());
    assert!(imports("not go").is_none());
}

#[test]
fn local_files_follow_main_module_imports_only() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("go.mod", "module example.com/app\n\ngo 1.21\n");
    write(
        "cmd/server/main.go",
        "package main\n\nimport (\n\t\"fmt\"\n\t\"example.com/app/internal/x\"\n\t\"golang.org/x/text\"\n)\n\nfunc main() { fmt.Println(x.X) }\n",
    );
    write("cmd/server/main_test.go", "package main\n");
    write(
        "internal/x/x.go",
        "package x\n\nimport \"example.com/app/internal/y\"\n\nvar X = y.Y\n",
    );
    write("internal/x/x.h", "");
    write("internal/y/y.go", "package y\n\nconst Y = 1\n");
    write("unused/u.go", "package unused\n");
    let program = package(&[PathBuf::from("cmd/server")], root).unwrap();
    let files = local_files(&program, &[], false).unwrap();
    let rel: Vec<String> = files
        .iter()
        .map(|f| f.strip_prefix(root).unwrap().display().to_string())
        .collect();
    assert_eq!(
        rel,
        [
            "cmd/server",
            "cmd/server/main.go",
            "internal/x",
            "internal/x/x.go",
            "internal/x/x.h",
            "internal/y",
            "internal/y/y.go",
        ]
    );
    // Where reading files is not enough, the caller asks Go.
    assert!(local_files(&program, &["-modfile=other.mod"], false).is_none());
    assert!(local_files(&program, &[], true).is_none());
    write(
        "internal/y/embed.go",
        "package y\n\nimport _ \"embed\"\n\n//go:embed data.txt\nvar data string\n",
    );
    assert!(local_files(&program, &[], false).is_none());
    std::fs::remove_file(root.join("internal/y/embed.go")).unwrap();
    write(
        "go.mod",
        "module example.com/app\n\nreplace golang.org/x/text => ../text\n",
    );
    assert!(local_files(&program, &[], false).is_none());
}

/// A module in a checkout, Go installed in the home, cgo with a library's folders in the
/// cache and the compiler installed there too: the Go key on a machine.
fn go_key_on(m: &crate::sys::key::machines::Machine, tags: &[&str]) -> String {
    let go_bin = m.write(&m.home, "toolchains/go/bin/go", "the go program");
    let lib = m.home.join("libs/z-1.3-x86_64-0123456789abcdef");
    let program = GoProgram {
        dir: m.root.join("app"),
        module: Some((m.root.join("app"), "example.com/app".into())),
        ..program()
    };
    let go = GoToolchain {
        go: go_bin,
        goroot: m.home.join("toolchains/go"),
        ..go()
    };
    let settings = GoSettings {
        tags: tags.iter().map(|t| t.to_string()).collect(),
        gocache: Some(m.home.join("go-build")),
        cgo: Some(Cgo {
            toolchain: Toolchain {
                cc: crate::toolchain::model::Tool::new(m.home.join("toolchains/zig/zig")),
                ..Toolchain::musl_gcc_for_tests(Target::Aarch64, "f")
            },
            flags: CgoFlags {
                include_dirs: vec![lib.join("include"), m.root.join("app/include")],
                lib_dirs: vec![lib.join("lib")],
                libs: vec!["z".into()],
                ..CgoFlags::default()
            },
        }),
        ..GoSettings::default()
    };
    cache_key(&program, Target::Aarch64, &go, &settings, &m.ctx())
        .unwrap()
        .0
}

#[test]
fn the_go_key_is_the_same_in_another_checkout_and_home() {
    let [a, b] = crate::sys::key::machines::two(|m| {
        m.write(&m.root, "app/go.mod", "module example.com/app\n");
        m.write(&m.root, "app/go.sum", "");
    });
    assert_eq!(go_key_on(&a, &[]), go_key_on(&b, &[]));
    assert_ne!(
        go_key_on(&a, &[]),
        go_key_on(&a, &["extra"]),
        "a flag counts"
    );
    let before = go_key_on(&a, &[]);
    a.write(&a.root, "app/go.mod", "module example.com/app\n\ngo 1.22\n");
    assert_ne!(go_key_on(&a, &[]), before, "go.mod counts");
}
