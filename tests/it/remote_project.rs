//! A whole project through the shared remote cache (a real `docker-registry` on
//! 127.0.0.1, real musl-gcc and GNU cross gcc, real qemu): C programs, a many-file C
//! program, a `[lib.NAME]` and a `[vendor.NAME]` that links it, for three targets.
//! Machine A (one checkout, home and cache) builds and fills the registry; machine B
//! (another checkout path, home and cache) takes everything and builds nothing, with
//! byte-identical artifacts; an edit of the vendored project on B builds it there; a
//! vendored install whose layer was changed in the registry is refused and built locally.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::registry::Registry;
use crate::remote_cache::{configure_or_make, layer_blob, remote_entries, with_remote};
use crate::support::{
    TestEnv, assert_cache_verifies, require, run_binary, stderr, stdout, success,
};

const TARGETS: [(&str, Option<&str>); 3] = [
    ("x86_64", None),
    ("aarch64", Some("qemu-aarch64-static")),
    ("armv7", Some("qemu-arm-static")),
];
const ARTIFACTS: [&str; 3] = ["hello", "calc", "tool"];

/// The project, written into `dir`: a plain-make library, a plain-make project of two
/// sources linking it, a one-file and a two-file C program.
fn write_project(dir: &Path) {
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\", \"aarch64\", \"armv7\"]\ntoolchain = \"musl-gcc\"\n\n\
         [c.hello]\nsources = [\"hello.c\"]\n\n\
         [c.calc]\nsources = [\"calc/main.c\", \"calc/ops.c\"]\n\n\
         [lib.greet]\npath = \"greet\"\nbuild = \"make\"\n\n\
         [vendor.tool]\npath = \"tool\"\nbuild = \"make\"\nlibs = [\"greet\"]\nprograms = [\"tool\"]\n",
    );
    write(
        "hello.c",
        "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n",
    );
    write(
        "calc/main.c",
        "#include <stdio.h>\nint twice(int);\nint main(void) { printf(\"%d\\n\", twice(21)); return 0; }\n",
    );
    write("calc/ops.c", "int twice(int x) { return 2 * x; }\n");
    write(
        "greet/Makefile",
        "libgreet.a: greet.c greet.h\n\t$(CC) $(CFLAGS) -c greet.c -o greet.o && $(AR) rcs $@ greet.o\n\
         install: libgreet.a\n\tmkdir -p $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include\n\
         \tcp libgreet.a $(DESTDIR)$(PREFIX)/lib/ && cp greet.h $(DESTDIR)$(PREFIX)/include/\n",
    );
    write("greet/greet.h", "const char *greet(void);\n");
    write(
        "greet/greet.c",
        "const char *greet(void) { return \"hello\"; }\n",
    );
    write(
        "tool/Makefile",
        "tool: main.o words.o\n\t$(CC) $(CFLAGS) $(LDFLAGS) -o tool main.o words.o $(LIBS)\n\
         main.o: main.c\n\t$(CC) $(CFLAGS) $(CPPFLAGS) -c main.c\n\
         words.o: words.c\n\t$(CC) $(CFLAGS) $(CPPFLAGS) -c words.c\n\
         install: tool\n\tmkdir -p $(DESTDIR)$(PREFIX)/bin && cp tool $(DESTDIR)$(PREFIX)/bin/\n",
    );
    write(
        "tool/main.c",
        "#include <stdio.h>\n#include <greet.h>\nconst char *word(void);\nint main(void) { printf(\"%s %s\\n\", greet(), word()); return 0; }\n",
    );
    write(
        "tool/words.c",
        "const char *word(void) { return \"one\"; }\n",
    );
}

/// One machine: its checkout, its `HOME` and its muslbuild cache.
struct Machine {
    checkout: PathBuf,
    home: PathBuf,
    cache: PathBuf,
}

impl Machine {
    fn new(env: &TestEnv, name: &str, checkout: &str) -> Machine {
        let root = env.path().join(name);
        Machine {
            checkout: root.join(checkout),
            home: root.join("home"),
            cache: root.join("cache"),
        }
    }

    /// `muslbuild -v build` here, with the remote cache; its stderr.
    fn build(&self, env: &TestEnv, url: &str) -> String {
        let mut cmd = with_remote(env, &self.cache, url);
        cmd.current_dir(&self.checkout)
            .env("HOME", &self.home)
            .args(["-v", "build"]);
        stderr(&success(&mut cmd))
    }

    fn artifact(&self, target: &str, name: &str) -> PathBuf {
        self.checkout.join("dist").join(target).join(name)
    }
}

/// `from`'s checkout, without its `dist/`, as `to`'s (file times new: a fresh clone).
fn copy_checkout(from: &Machine, to: &Machine) {
    std::fs::create_dir_all(to.checkout.parent().unwrap()).unwrap();
    success(
        Command::new("cp")
            .arg("-r")
            .arg(&from.checkout)
            .arg(&to.checkout),
    );
    std::fs::remove_dir_all(to.checkout.join("dist")).unwrap();
}

/// What each artifact prints, run natively or under qemu.
fn check_runs(machine: &Machine, tool_says: &str) {
    for (target, qemu) in TARGETS {
        for (name, says) in [("hello", "hi\n"), ("calc", "42\n"), ("tool", tool_says)] {
            let ran = run_binary(qemu, &machine.artifact(target, name), b"");
            assert_eq!(stdout(&ran), says, "{name} for {target}: {ran:?}");
        }
    }
}

/// The `-v` lines of processes that are not a fresh machine finding its toolchain (the
/// compiler's version and parts, its probe compile in the cache's `probes/`, the look
/// for Python's zig): what a build ran.
fn build_processes<'a>(text: &'a str, cache: &Path) -> Vec<&'a str> {
    let probes = cache.join("probes").display().to_string();
    text.lines()
        .filter(|l| l.starts_with("+ "))
        .filter(|l| {
            !(l.contains(&probes)
                || l.contains("-print-")
                || l.contains("-dumpversion")
                || (l.contains("python3 -c") && !l.contains("make")))
        })
        .collect()
}

#[test]
fn another_machine_takes_a_whole_project_with_vendored_code_and_builds_only_an_edit() {
    for (_, qemu) in TARGETS {
        if let Some(qemu) = qemu {
            require(qemu, "qemu-user-static");
        }
    }
    require("musl-gcc", "musl-tools");
    let registry = Registry::start(None);
    let url = format!("oci://{}/team/cache", registry.host());
    let env = TestEnv::new();

    // Machine A builds everything and sends it.
    let a = Machine::new(&env, "a", "src/proj");
    write_project(&a.checkout);
    let text = a.build(&env, &url);
    assert!(
        !configure_or_make(&text).is_empty(),
        "A built nothing:\n{text}"
    );
    check_runs(&a, "hello one\n");
    let entries = remote_entries(&env, &a.cache, &url);
    for (target, _) in TARGETS {
        let has = |kind: &str, name_key: &str, name: &str| {
            entries.iter().any(|e| {
                let n = &e["annotations"];
                n["muslbuild.kind"] == kind
                    && n[name_key] == name
                    && n["muslbuild.target"] == target
                    && e["tag"]
                        .as_str()
                        .is_some_and(|t| t.starts_with(&format!("{kind}-")))
            })
        };
        assert!(
            has("lib", "muslbuild.recipe", "greet"),
            "no [lib.greet] for {target}: {entries:#?}"
        );
        assert!(
            has("vendor", "muslbuild.project", "tool"),
            "no [vendor.tool] for {target}: {entries:#?}"
        );
    }

    // Machine B: the project copied to another path, another home and cache. Every
    // entry comes from the registry; no configure, make or compile runs.
    let b = Machine::new(&env, "b", "work/checkout");
    copy_checkout(&a, &b);
    let text = b.build(&env, &url);
    for (target, _) in TARGETS {
        for what in ["library greet (vendored)", "project tool"] {
            let line = format!("{what} for {target}: from the remote cache");
            assert!(text.contains(&line), "no `{line}`:\n{text}");
        }
    }
    assert_eq!(
        build_processes(&text, &b.cache),
        Vec::<&str>::new(),
        "{text}"
    );
    assert_eq!(configure_or_make(&text), Vec::<&str>::new(), "{text}");
    for (target, _) in TARGETS {
        for name in ARTIFACTS {
            assert!(
                std::fs::read(a.artifact(target, name)).unwrap()
                    == std::fs::read(b.artifact(target, name)).unwrap(),
                "{name} for {target} differs between A and B"
            );
        }
    }
    assert_cache_verifies(&b.cache);
    check_runs(&b, "hello one\n");

    // The next identical run on B runs nothing either: the install taken is current.
    let text = b.build(&env, &url);
    assert_eq!(
        build_processes(&text, &b.cache),
        Vec::<&str>::new(),
        "{text}"
    );
    assert!(text.contains("project tool for armv7: cached"), "{text}");

    // One source of the vendored project edited on B: B has no configured tree of it,
    // so the project is configured and built there (make runs), and only it.
    std::fs::write(
        b.checkout.join("tool/words.c"),
        "const char *word(void) { return \"two\"; }\n",
    )
    .unwrap();
    let text = b.build(&env, &url);
    assert!(
        !configure_or_make(&text).is_empty(),
        "make did not run:\n{text}"
    );
    for (target, _) in TARGETS {
        assert!(
            text.contains(&format!("project tool for {target}: built")),
            "{target}:\n{text}"
        );
        assert!(
            text.contains(&format!("library greet (vendored) for {target}: cached")),
            "{target}:\n{text}"
        );
        assert_ne!(
            std::fs::read(a.artifact(target, "tool")).unwrap(),
            std::fs::read(b.artifact(target, "tool")).unwrap(),
            "tool for {target} did not change"
        );
        for name in ["hello", "calc"] {
            assert_eq!(
                std::fs::read(a.artifact(target, name)).unwrap(),
                std::fs::read(b.artifact(target, name)).unwrap(),
                "{name} for {target} changed"
            );
        }
    }
    check_runs(&b, "hello two\n");
    assert_cache_verifies(&b.cache);

    // Machine C, fresh, after someone changed the layer of A's x86_64 install in the
    // registry's storage: the change is seen, the entry is not used, the project is built
    // there, right.
    let tags: Vec<String> = remote_entries(&env, &a.cache, &url)
        .into_iter()
        .filter(|e| {
            e["annotations"]["muslbuild.project"] == "tool"
                && e["annotations"]["muslbuild.target"] == "x86_64"
        })
        .map(|e| e["tag"].as_str().unwrap().to_string())
        .collect();
    // A's install and B's edited one.
    assert_eq!(tags.len(), 2, "{tags:?}");
    for tag in &tags {
        let blob = layer_blob(&registry.storage(), "team/cache", tag);
        let mut bytes = std::fs::read(&blob).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x55;
        std::fs::write(&blob, bytes).unwrap();
    }
    let c = Machine::new(&env, "c", "proj");
    copy_checkout(&a, &c);
    let text = c.build(&env, &url);
    assert!(
        text.contains("warning: the remote cache entry vendor-")
            && text.contains("is damaged: its layer's bytes do not match their digest"),
        "{text}"
    );
    assert!(text.contains("project tool for x86_64: built"), "{text}");
    for target in ["aarch64", "armv7"] {
        assert!(
            text.contains(&format!("project tool for {target}: from the remote cache")),
            "{target}:\n{text}"
        );
    }
    let ran = run_binary(None, &c.artifact("x86_64", "tool"), b"");
    assert_eq!(stdout(&ran), "hello one\n", "{ran:?}");
    assert_cache_verifies(&c.cache);
}
