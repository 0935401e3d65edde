//! The shared remote cache against a real registry (Debian's `docker-registry`, started
//! on 127.0.0.1 by each test): machine A (the shared warm test cache) builds the readline
//! repl for three targets and fills the remote; machine B (a fresh `MUSLBUILD_HOME`)
//! takes every library from it and runs no configure or make; a blob changed in the
//! registry's storage is refused and its entry made locally; a registry that is down
//! costs one warning, or exit 14 with `--remote-cache-required`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::libs::test_sources;
use crate::registry::Registry;
use crate::support::{TestEnv, example, require, run_binary, stderr, stdout, success};

const TARGETS: [&str; 3] = ["x86_64", "aarch64", "armv7"];

/// `muslbuild` with the remote cache at `url`, network allowed (the registry is on
/// 127.0.0.1), and `home` as its cache.
pub(crate) fn with_remote(env: &TestEnv, home: &Path, url: &str) -> Command {
    let mut cmd = env.muslbuild();
    cmd.env("MUSLBUILD_HOME", home)
        .env("MUSLBUILD_REMOTE_CACHE", url)
        .env_remove("MUSLBUILD_REMOTE_CACHE_READ_ONLY")
        .env_remove("MUSLBUILD_OFFLINE")
        .env("HOME", env.path())
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("XDG_RUNTIME_DIR");
    cmd
}

fn build_repl(cmd: &mut Command) -> &mut Command {
    cmd.args(["-v", "--target", "x86_64,aarch64,armv7"])
        .args([
            "--toolchain",
            "musl-gcc",
            "--lib",
            "readline",
            "--source-dir",
        ])
        .arg(test_sources())
        .arg(example("repl.c"))
}

/// Lines `-v` echoed for a configure or make run.
pub(crate) fn configure_or_make(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("+ "))
        .filter(|l| l.contains("configure") || l.split_whitespace().any(|w| w.ends_with("make")))
        .collect()
}

/// The layer blob of the entry tagged `tag` in the registry's storage.
pub(crate) fn layer_blob(storage: &Path, repository: &str, tag: &str) -> PathBuf {
    let v2 = storage.join("docker/registry/v2");
    let blob = |digest: &str| {
        let hex = digest.trim_start_matches("sha256:");
        v2.join("blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    };
    let link = v2
        .join("repositories")
        .join(repository)
        .join("_manifests/tags")
        .join(tag)
        .join("current/link");
    let manifest_digest = std::fs::read_to_string(&link).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(blob(manifest_digest.trim())).unwrap()).unwrap();
    blob(manifest["layers"][0]["digest"].as_str().unwrap())
}

pub(crate) fn remote_entries(env: &TestEnv, home: &Path, url: &str) -> Vec<serde_json::Value> {
    let listed = success(with_remote(env, home, url).args(["cache", "ls", "--remote", "--json"]));
    serde_json::from_slice::<serde_json::Value>(&listed.stdout)
        .unwrap_or_else(|e| panic!("cache ls --remote --json: {e}\n{}", stdout(&listed)))
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_fresh_machine_takes_every_library_from_the_remote_cache_and_refuses_a_tampered_entry() {
    require("qemu-aarch64-static", "qemu-user-static");
    require("qemu-arm-static", "qemu-user-static");
    let registry = Registry::start(None);
    let url = format!("oci://{}/team/muslbuild-cache", registry.host());

    // Machine A: the shared warm cache; what it has, it sends.
    let a = TestEnv::new();
    success(build_repl(&mut with_remote(&a, &a.cache(), &url)));
    let entries = remote_entries(&a, &a.cache(), &url);
    for target in TARGETS {
        for (recipe, version) in [("ncurses", "6.4"), ("readline", "8.2")] {
            let found = entries.iter().any(|e| {
                let n = &e["annotations"];
                n["muslbuild.kind"] == "lib"
                    && n["muslbuild.recipe"] == recipe
                    && n["org.opencontainers.image.version"] == version
                    && n["muslbuild.target"] == target
                    && n["muslbuild.toolchain"]
                        .as_str()
                        .is_some_and(|t| t.starts_with("musl-gcc"))
                    && e["tag"].as_str().is_some_and(|t| t.starts_with("lib-"))
            });
            assert!(found, "no remote entry for {recipe} {target}: {entries:#?}");
        }
        assert!(
            entries
                .iter()
                .any(|e| e["annotations"]["muslbuild.artifact"] == "repl"
                    && e["annotations"]["muslbuild.target"] == target),
            "no build entry for repl {target}"
        );
    }

    // Machine B: nothing local; every library comes from the registry.
    let b = TestEnv::new();
    let home = b.path().join("home");
    let output = success(build_repl(&mut with_remote(&b, &home, &url)));
    let text = stderr(&output);
    for target in TARGETS {
        for lib in ["ncurses 6.4", "readline 8.2"] {
            let line = format!("library {lib} for {target}: from the remote cache");
            assert!(text.contains(&line), "no `{line}`:\n{text}");
        }
    }
    assert_eq!(configure_or_make(&text), Vec::<&str>::new(), "{text}");
    // A's programs too: their keys and the files their entries record name no folder of
    // A (its working folder, its home), so B compiles and links nothing.
    let compiled: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("+ ") && l.contains("repl.c"))
        .collect();
    assert_eq!(compiled, Vec::<&str>::new(), "{text}");
    crate::support::assert_cache_verifies(&home);
    // The prefix names where it is on this machine, not where it was built.
    let pc = std::fs::read_dir(home.join("libs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("ncurses-6.4-x86_64")
        })
        .unwrap()
        .join("lib/pkgconfig/ncursesw.pc");
    let pc = std::fs::read_to_string(pc).unwrap();
    assert!(
        pc.contains(&format!("prefix={}", home.join("libs").display())),
        "{pc}"
    );
    for (target, qemu) in [
        ("x86_64", None),
        ("aarch64", Some("qemu-aarch64-static")),
        ("armv7", Some("qemu-arm-static")),
    ] {
        let binary = b.path().join("dist").join(target).join("repl");
        let ran = run_binary(qemu, &binary, b"from the remote\n");
        assert!(
            stdout(&ran).contains("echo: from the remote"),
            "{target}: {ran:?}"
        );
    }

    // Machine B again from nothing, at the same place, after someone changed the layer of
    // its x86_64 program's entry in the registry's storage: the change is seen, the
    // entry is not used, and the program is linked here.
    let x86_64 = remote_entries(&b, &home, &url)
        .into_iter()
        .filter(|e| {
            e["annotations"]["muslbuild.artifact"] == "repl"
                && e["annotations"]["muslbuild.target"] == "x86_64"
        })
        .map(|e| e["tag"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    // One entry: A's and B's keys name no folder of either machine.
    assert_eq!(x86_64.len(), 1, "{x86_64:?}");
    for tag in &x86_64 {
        let tampered = layer_blob(&registry.storage(), "team/muslbuild-cache", tag);
        let mut bytes = std::fs::read(&tampered).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x55;
        std::fs::write(&tampered, bytes).unwrap();
    }
    std::fs::remove_dir_all(&home).unwrap();
    std::fs::remove_dir_all(b.path().join("dist")).unwrap();
    let output = success(build_repl(&mut with_remote(&b, &home, &url)));
    let text = stderr(&output);
    assert!(
        text.contains("warning: the remote cache entry build-")
            && text.contains("is damaged: its layer's bytes do not match their digest"),
        "{text}"
    );
    let linked: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("+ ") && l.contains("/usr/bin/musl-gcc") && l.contains("repl.c"))
        .collect();
    assert_eq!(linked.len(), 1, "x86_64 linked here:\n{text}");
    for target in ["aarch64", "armv7"] {
        assert!(
            text.contains(&format!("repl for {target} from the build cache")),
            "{target} not from the remote entry:\n{text}"
        );
    }
    assert_eq!(configure_or_make(&text), Vec::<&str>::new(), "{text}");
    let ran = run_binary(None, &b.path().join("dist/x86_64/repl"), b"again\n");
    assert!(stdout(&ran).contains("echo: again"), "{ran:?}");
}

#[test]
fn a_registry_that_is_down_costs_one_warning_unless_it_is_required() {
    let env = TestEnv::new();
    // A port nothing listens on any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("oci://127.0.0.1:{port}/cache");
    let hello = example("hello.c");
    let output = success(
        with_remote(&env, &env.cache(), &url)
            .args([
                "--target",
                "x86_64,aarch64,armv7",
                "--toolchain",
                "musl-gcc",
            ])
            .arg(&hello),
    );
    let text = stderr(&output);
    let warnings = text.matches("warning: the remote cache").count();
    assert_eq!(warnings, 1, "{text}");
    assert!(
        text.contains(&format!("remote cache {url} cannot be used")),
        "{text}"
    );
    for target in TARGETS {
        assert!(env.path().join("dist").join(target).join("hello").is_file());
    }

    let output = with_remote(&env, &env.cache(), &url)
        .args([
            "--remote-cache-required",
            "--target",
            "x86_64",
            "--toolchain",
            "musl-gcc",
        ])
        .arg(&hello)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(14), "{output:?}");
    let text = stderr(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with(&format!(
            "muslbuild: error: the remote cache {url} cannot be used"
        )),
        "{text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("help: ") && l.contains("--remote-cache-required")),
        "{text}"
    );
}

#[test]
fn a_registry_that_refuses_access_costs_one_warning_and_credentials_open_it() {
    let htpasswd = require("htpasswd", "apache2-utils");
    let env = TestEnv::new();
    let users = env.path().join("htpasswd");
    let made = success(Command::new(htpasswd).args(["-Bbn", "ci", "s3cret"]));
    std::fs::write(&users, &made.stdout).unwrap();
    let registry = Registry::start(Some(&users));
    let url = format!("oci://{}/cache", registry.host());
    let hello = example("hello.c");
    let home = env.path().join("home");
    let build = |auth: Option<&Path>| {
        let mut cmd = with_remote(&env, &home, &url);
        cmd.args(["--target", "x86_64,aarch64", "--toolchain", "musl-gcc"])
            .arg(&hello);
        if let Some(file) = auth {
            cmd.env("REGISTRY_AUTH_FILE", file);
        }
        success(&mut cmd)
    };
    let text = stderr(&build(None));
    assert_eq!(
        text.matches("warning: the remote cache").count(),
        1,
        "{text}"
    );
    assert!(text.contains("requires credentials"), "{text}");
    assert_eq!(registry.count("PUT"), 0);

    // With credentials from the auth file, the warm machine sends what it built.
    let auth = env.write(
        "auth.json",
        &format!(
            r#"{{"auths":{{"{}":{{"auth":"Y2k6czNjcmV0"}}}}}}"#,
            registry.host()
        ),
    );
    let text = stderr(&build(Some(&auth)));
    assert!(!text.contains("warning"), "{text}");
    assert_eq!(
        registry.count("PUT"),
        2 * 3,
        "two entries: config, layer, manifest"
    );
}

#[test]
fn a_read_only_remote_cache_from_the_project_file_sends_nothing() {
    let registry = Registry::start(None);
    let env = TestEnv::new();
    std::fs::copy(example("hello.c"), env.path().join("hello.c")).unwrap();
    env.write(
        "muslbuild.toml",
        &format!(
            "[project]\ntargets = [\"x86_64\"]\ntoolchain = \"musl-gcc\"\n\n[c.hello]\nsources = [\"hello.c\"]\n\n[cache]\nremote = \"oci://{}/cache\"\nread-only = true\n",
            registry.host()
        ),
    );
    // A fresh cache: the build entry is asked for before the program is built.
    let mut cmd = env.muslbuild();
    cmd.env("MUSLBUILD_HOME", env.path().join("home"))
        .env_remove("MUSLBUILD_OFFLINE")
        .env_remove("MUSLBUILD_REMOTE_CACHE")
        .arg("build");
    success(&mut cmd);
    assert!(env.path().join("dist/x86_64/hello").is_file());
    // Asked (HEAD or GET), never written.
    assert_eq!(registry.count("PUT") + registry.count("POST"), 0);
    assert!(registry.count("GET") + registry.count("HEAD") > 0);

    // A remote cache that is not an oci:// location is a config error with its line.
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\"]\n\n[c.hello]\nsources = [\"hello.c\"]\n\n[cache]\nremote = \"https://127.0.0.1/cache\"\n",
    );
    let mut cmd = env.muslbuild();
    let output = cmd.arg("build").output().unwrap();
    assert_eq!(output.status.code(), Some(11));
    let text = stderr(&output);
    assert!(
        text.contains("muslbuild.toml:8:10:") && text.contains("not a remote cache location"),
        "{text}"
    );
}

#[test]
fn a_fresh_machine_compiles_only_the_changed_object_of_a_many_file_program() {
    let registry = Registry::start(None);
    let url = format!("oci://{}/objects", registry.host());
    let env = TestEnv::new();
    let home = env.path().join("home");
    env.write(
        "main.c",
        "int twice(int);\nint main(void) { return twice(0); }\n",
    );
    env.write("twice.c", "int twice(int x) { return 2 * x; }\n");
    let build = || {
        let mut cmd = with_remote(&env, &home, &url);
        cmd.args([
            "-v",
            "--target",
            "x86_64",
            "--toolchain",
            "musl-gcc",
            "-o",
            "prog",
        ])
        .args(["main.c", "twice.c"]);
        stderr(&success(&mut cmd))
    };
    let compiles = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("+ ") && l.contains(" -c ") && l.contains(".c "))
            .filter(|l| l.contains("main.c") || l.contains("twice.c"))
            .count()
    };
    let text = build();
    assert_eq!(compiles(&text), 2, "{text}");

    // The same checkout on a fresh machine (the same paths), one file edited: the other
    // object comes from the remote cache, checked against its recorded source.
    std::fs::remove_dir_all(&home).unwrap();
    env.write("twice.c", "int twice(int x) { return x + x; }\n");
    let text = build();
    assert_eq!(compiles(&text), 1, "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("prog.main.o-x86_64") && l.contains("from the remote cache")),
        "{text}"
    );
    assert!(env.path().join("dist/x86_64/prog").is_file());
}

/// A FAKE zig for the orchestration of zig's per-target libc (`toolchain::zig_libc`): a
/// real zig's first probe for a target builds its libc for a minute or more. This one
/// answers `version` and `env` (its lib folder from `FAKE_ZIG_LIB`), "builds a libc"
/// into `$ZIG_GLOBAL_CACHE_DIR` when that cache lacks it (and says so in its call log),
/// and links by copying a static executable made by the real musl-gcc.
fn fake_zig(dir: &Path, calls: &Path, linked: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let zig = bin.join("zig");
    let script = format!(
        r#"#!/bin/sh
PATH=/usr/bin:/bin
echo "$*" >> '{calls}'
lib="${{FAKE_ZIG_LIB:-/opt/fake-zig/lib}}"
case "$1" in
version) echo 0.17.1; exit 0;;
env) printf '.{{\n    .lib_dir = "%s",\n    .global_cache_dir = "%s",\n}}\n' "$lib" "$ZIG_GLOBAL_CACHE_DIR"; exit 0;;
cc) ;;
*) exit 1;;
esac
c="$ZIG_GLOBAL_CACHE_DIR"
if [ ! -f "$c/h/libc-manifest" ]; then
  mkdir -p "$c/o/0123abcd" "$c/h" "$c/z"
  echo "libc for $lib" > "$c/o/0123abcd/libc.a"
  echo manifest > "$c/h/libc-manifest"
  echo parsed > "$c/z/sources"
  echo "built libc in $c" >> '{calls}'
fi
prev=
for a in "$@"; do [ "$prev" = -o ] && out="$a"; prev="$a"; done
cp '{linked}' "$out"
"#,
        calls = calls.display(),
        linked = linked.display(),
    );
    std::fs::write(&zig, script).unwrap();
    std::fs::set_permissions(&zig, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

#[test]
fn zigs_libc_for_a_target_is_built_once_and_taken_from_the_remote_cache() {
    let musl_gcc = require("musl-gcc", "musl-tools");
    let registry = Registry::start(None);
    let url = format!("oci://{}/team/muslbuild-cache", registry.host());
    let env = TestEnv::new();
    let linked = env.path().join("linked");
    success(
        Command::new(musl_gcc)
            .args(["-static", "-Os"])
            .arg(example("hello.c"))
            .arg("-o")
            .arg(&linked),
    );
    let calls = env.path().join("fake-zig-calls");
    let bin = fake_zig(env.path(), &calls, &linked);
    let built = || {
        std::fs::read_to_string(&calls)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("built libc in "))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let probe = |machine: &str, lib: &str| {
        let home = env.path().join(machine).join("home");
        let zig_cache = env.path().join(machine).join("zig-cache");
        let output = with_remote(&env, &home, &url)
            .env("PATH", &bin)
            .env("ZIG_GLOBAL_CACHE_DIR", &zig_cache)
            .env("FAKE_ZIG_LIB", lib)
            .args(["-v", "toolchain", "list", "--probe", "-t", "x86_64"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(
            stdout(&output).contains("* zig"),
            "the fake zig is usable:\n{}",
            stdout(&output)
        );
        (home, zig_cache, stderr(&output))
    };

    // Machine A: the probe builds the libc into a zig cache of its own, which becomes
    // the entry sent to the remote; zig's global cache gets it too (with what zig
    // remakes in seconds, which is not shared).
    let (home_a, zig_a, _) = probe("a", "/opt/fake-zig/lib");
    let built_a = built();
    assert_eq!(built_a.len(), 1, "{built_a:?}");
    assert!(
        built_a[0].contains(&home_a.join("zig").display().to_string()),
        "{built_a:?}"
    );
    assert!(zig_a.join("o/0123abcd/libc.a").is_file());
    assert!(zig_a.join("h/libc-manifest").is_file());
    assert!(zig_a.join("z/sources").is_file());
    let entry = std::fs::read_dir(home_a.join("zig"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .expect("zig/<key>/ in muslbuild's cache");
    assert!(entry.join("o/0123abcd/libc.a").is_file());
    assert!(!entry.join("z").exists(), "z/ is not carried");
    let listed = remote_entries(&env, &home_a, &url);
    assert!(
        listed.iter().any(|e| {
            e["tag"].as_str().is_some_and(|t| t.starts_with("zig-"))
                && e["annotations"]["muslbuild.target"] == "x86_64"
                && e["annotations"]["muslbuild.zig.lib-dir"] == "/opt/fake-zig/lib"
        }),
        "{listed:#?}"
    );

    // Machine B, nothing local, the same zig at the same path: the libc comes from the
    // remote (checked like any entry) into zig's cache, and nothing is built.
    let (home_b, zig_b, err) = probe("b", "/opt/fake-zig/lib");
    assert_eq!(built(), built_a, "machine B built a libc:\n{err}");
    assert!(err.contains("from the remote cache"), "{err}");
    assert_eq!(
        std::fs::read_to_string(zig_b.join("o/0123abcd/libc.a")).unwrap(),
        "libc for /opt/fake-zig/lib\n"
    );
    assert!(zig_b.join("h/libc-manifest").is_file());
    crate::support::assert_cache_verifies(&home_b);

    // Machine C, the same zig at another path: zig's names for its libc hash that path,
    // so the entry would not be found by zig; it is not taken, and C builds its own.
    let (_, zig_c, _) = probe("c", "/home/runner/fake-zig/lib");
    assert_eq!(built().len(), 2, "{:?}", built());
    assert_eq!(
        std::fs::read_to_string(zig_c.join("o/0123abcd/libc.a")).unwrap(),
        "libc for /home/runner/fake-zig/lib\n"
    );
}
