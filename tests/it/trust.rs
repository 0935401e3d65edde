//! The fault suite for what muslbuild trusts: hostile archives (made here by generators:
//! link chains, hard links, devices, pipes, sparse files, a decompression bomb) given to
//! `toolchain install --from` and as a library's source, and a cache tampered with in
//! each way the cache can be (a replaced source archive, a flipped byte in a build
//! output, an edited string in a library's `.a`, a probe record forged for a glibc gcc).
//! Each case checks the exit code and message, that nothing was installed or used, and
//! what `cache verify` says. The README's "Reliability" figures come from here.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{TestEnv, example, require, run_binary, stderr, stdout, success};

type Entry = (String, tar::EntryType, String, Vec<u8>);

fn sha256(bytes: &[u8]) -> String {
    muslbuild::sys::hash::sha256_hex(bytes)
}

fn entry(name: &str, kind: tar::EntryType, link: &str, data: &[u8]) -> Entry {
    (name.to_string(), kind, link.to_string(), data.to_vec())
}

/// A tar written with raw headers, so hostile names, links and types survive.
fn tar(entries: &[Entry]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, kind, link, data) in entries {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_entry_type(*kind);
        header.set_mode(0o755);
        header.set_size(data.len() as u64);
        header.set_mtime(0);
        if !link.is_empty() {
            header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        header.set_cksum();
        builder.append(&header, data.as_slice()).unwrap();
    }
    builder.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, bytes).unwrap();
    gz.finish().unwrap()
}

const ROOT: &str = "x86_64-linux-musl-cross";

/// What a toolchain archive needs to install (the manifest's layout), so a refusal can
/// only come from the hostile entries added to it.
fn base_entries() -> Vec<Entry> {
    vec![
        entry(&format!("{ROOT}/"), tar::EntryType::Directory, "", b""),
        entry(&format!("{ROOT}/bin/"), tar::EntryType::Directory, "", b""),
        entry(
            &format!("{ROOT}/bin/x86_64-linux-musl-gcc"),
            tar::EntryType::Regular,
            "",
            b"#!/bin/sh\nexit 1\n",
        ),
    ]
}

/// The issue's chain: links made first (`a/…/h/l -> ../../../../../../../..`, the
/// root), then a link through them that climbs one level more than the lexical path
/// shows.
fn link_chain() -> Vec<Entry> {
    let deep = format!("{ROOT}/a/b/c/d/e/f/g/h");
    let up8 = "../../../../../../../..";
    vec![
        entry(&format!("{deep}/"), tar::EntryType::Directory, "", b""),
        entry(&format!("{deep}/l"), tar::EntryType::Symlink, up8, b""),
        entry(
            &format!("{ROOT}/esc"),
            tar::EntryType::Symlink,
            &format!("a/b/c/d/e/f/g/h/l/{up8}/.."),
            b"",
        ),
    ]
}

/// A GNU sparse entry: 512 stored bytes that claim to be a 1 MiB file of holes.
fn sparse_tar() -> Vec<u8> {
    let mut out = tar(&base_entries());
    out.truncate(out.len() - 1024);
    let mut header = tar::Header::new_gnu();
    let name = format!("{ROOT}/sparse");
    header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    header.set_entry_type(tar::EntryType::GNUSparse);
    header.set_mode(0o644);
    header.set_size(512);
    let gnu = header.as_gnu_mut().unwrap();
    gnu.set_real_size(1 << 20);
    gnu.sparse[0] = tar::GnuSparseHeader {
        offset: *b"00003777000\0",
        numbytes: *b"00000001000\0",
    };
    header.set_cksum();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&[0u8; 512]);
    out.extend_from_slice(&[0u8; 1024]);
    out
}

/// 9 GiB of zeros (past the 8 GiB cap) in about 10 MB: one gzip member for the headers,
/// then the same 1 MiB-of-zeros member again and again (gzip allows concatenation).
fn bomb() -> Vec<u8> {
    let size: u64 = 9 << 30;
    let mut head = tar(&base_entries());
    head.truncate(head.len() - 1024);
    let mut header = tar::Header::new_gnu();
    let name = format!("{ROOT}/share/zeros");
    header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mode(0o644);
    header.set_size(size);
    header.set_cksum();
    head.extend_from_slice(header.as_bytes());
    let mut out = gzip(&head);
    let member = gzip(&vec![0u8; 1 << 20]);
    for _ in 0..(size >> 20) {
        out.extend_from_slice(&member);
    }
    out.extend_from_slice(&gzip(&[0u8; 1024]));
    out
}

/// Every generated hostile archive (as .tar.gz bytes) and what its refusal must say.
fn hostile_archives() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let with = |extra: Vec<Entry>| {
        let mut entries = base_entries();
        entries.extend(extra);
        gzip(&tar(&entries))
    };
    let t = tar::EntryType::Symlink;
    vec![
        (
            "link chain",
            with(link_chain()),
            "leaves the archive's root",
        ),
        (
            "link made before the link it passes through",
            with(vec![
                entry(&format!("{ROOT}/d/"), tar::EntryType::Directory, "", b""),
                entry(&format!("{ROOT}/esc"), t, "d/l/../..", b""),
                entry(&format!("{ROOT}/d/l"), t, "..", b""),
            ]),
            "leaves the archive's root",
        ),
        (
            "absolute symlink",
            with(vec![entry(&format!("{ROOT}/etc"), t, "/etc", b"")]),
            "absolute path",
        ),
        (
            "symlink loop",
            with(vec![
                entry(&format!("{ROOT}/p"), t, "q", b""),
                entry(&format!("{ROOT}/q"), t, "p/..", b""),
            ]),
            "loop of symlinks",
        ),
        (
            "file written through a link",
            with(vec![
                entry(&format!("{ROOT}/lib"), t, "bin", b""),
                entry(&format!("{ROOT}/lib/x"), tar::EntryType::Regular, "", b"x"),
            ]),
            "passes through the symlink",
        ),
        (
            "hard link out",
            with(vec![entry(
                &format!("{ROOT}/passwd"),
                tar::EntryType::Link,
                "/etc/passwd",
                b"",
            )]),
            "hard link",
        ),
        (
            "hard link to a symlink",
            with(vec![
                entry(&format!("{ROOT}/up"), t, "bin", b""),
                entry(
                    &format!("{ROOT}/h"),
                    tar::EntryType::Link,
                    &format!("{ROOT}/up"),
                    b"",
                ),
            ]),
            "hard link",
        ),
        (
            "character device",
            with(vec![entry(
                &format!("{ROOT}/null"),
                tar::EntryType::Char,
                "",
                b"",
            )]),
            "device file",
        ),
        (
            "block device",
            with(vec![entry(
                &format!("{ROOT}/sda"),
                tar::EntryType::Block,
                "",
                b"",
            )]),
            "device file",
        ),
        (
            "named pipe",
            with(vec![entry(
                &format!("{ROOT}/fifo"),
                tar::EntryType::Fifo,
                "",
                b"",
            )]),
            "named pipe",
        ),
        ("sparse file", gzip(&sparse_tar()), "sparse file"),
        ("decompression bomb", bomb(), "cap of 8589934592 bytes"),
    ]
}

/// Every symlink under `dir` whose target, resolved by the kernel, lies outside `dir`.
fn links_out_of(dir: &Path) -> Vec<PathBuf> {
    let root = dir.canonicalize().unwrap();
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                let lands = path
                    .parent()
                    .unwrap()
                    .join(std::fs::read_link(&path).unwrap());
                let lexical = normalise(&lands);
                if !lexical.starts_with(&root)
                    || lands.canonicalize().is_ok_and(|c| !c.starts_with(&root))
                {
                    out.push(path);
                }
            } else if meta.is_dir() {
                stack.push(path);
            }
        }
    }
    out
}

fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn manifest(env: &TestEnv) -> PathBuf {
    env.write(
        "manifest.toml",
        &format!(
            r#"[[toolchain]]
name = "musl-cross-trust-x86_64"
provider = "musl-cross"
version = "test-1"
host = "{}"
targets = ["x86_64"]
urls = ["http://127.0.0.1:9/nowhere.tgz"]
sha256 = "{}"
format = "tar.gz"
root = "{ROOT}"
prefix = "x86_64-linux-musl"
"#,
            muslbuild::target::Target::host().unwrap().name(),
            "0".repeat(64)
        ),
    )
}

fn install_from(env: &TestEnv, home: &Path, archive: &Path, bytes: &[u8]) -> Output {
    env.muslbuild()
        .env("MUSLBUILD_HOME", home)
        .env("MUSLBUILD_MANIFEST", manifest(env))
        .args([
            "toolchain",
            "install",
            "x86_64",
            "--provider",
            "musl-cross",
            "--from",
        ])
        .arg(archive)
        .args(["--sha256", &sha256(bytes)])
        .output()
        .unwrap()
}

#[test]
fn hostile_archives_are_refused_by_toolchain_install() {
    let cases = hostile_archives();
    let mut refused = 0;
    for (what, bytes, needle) in &cases {
        let env = TestEnv::new();
        let home = env.path().join("home");
        let archive = env.path().join("hostile.tar.gz");
        std::fs::write(&archive, bytes).unwrap();
        let output = install_from(&env, &home, &archive, bytes);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(9), "{what}: {err}");
        assert!(
            err.contains("muslbuild: error: refusing to unpack") && err.contains(needle),
            "{what}: {err}"
        );
        assert!(err.contains("help:"), "{what}: {err}");
        let left: Vec<_> = std::fs::read_dir(home.join("toolchains"))
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "{what}: left in toolchains/: {left:?}");
        assert!(links_out_of(env.path()).is_empty(), "{what}: a link out");
        refused += 1;
    }
    eprintln!(
        "hostile archives: {refused} refused of {} tried",
        cases.len()
    );

    // The same harness installs an archive whose links stay inside, chains included.
    let env = TestEnv::new();
    let home = env.path().join("home");
    let mut entries = base_entries();
    entries.extend([
        entry(&format!("{ROOT}/a/b/"), tar::EntryType::Directory, "", b""),
        entry(
            &format!("{ROOT}/a/b/l"),
            tar::EntryType::Symlink,
            "../..",
            b"",
        ),
        entry(
            &format!("{ROOT}/cc"),
            tar::EntryType::Symlink,
            "a/b/l/bin/x86_64-linux-musl-gcc",
            b"",
        ),
    ]);
    let bytes = gzip(&tar(&entries));
    let archive = env.path().join("good.tar.gz");
    std::fs::write(&archive, &bytes).unwrap();
    let output = install_from(&env, &home, &archive, &bytes);
    assert!(output.status.success(), "{}", stderr(&output));
    let installed = home.join("toolchains/musl-cross-trust-x86_64");
    assert!(installed.join("cc").is_file(), "the inside chain resolves");
    assert!(links_out_of(&home).is_empty());
    success(
        env.muslbuild()
            .env("MUSLBUILD_HOME", &home)
            .args(["cache", "verify"]),
    );
}

/// A library recipe whose source is an archive in a --source-dir (the same unpacker as
/// toolchains, and the same checks): the greet fixture, or the link chain.
fn greet_sources(message: &str) -> Vec<Entry> {
    let dir = "greet-1.0";
    vec![
        entry(&format!("{dir}/"), tar::EntryType::Directory, "", b""),
        entry(
            &format!("{dir}/greet.h"),
            tar::EntryType::Regular,
            "",
            b"const char *greet(void);\n",
        ),
        entry(
            &format!("{dir}/greet.c"),
            tar::EntryType::Regular,
            "",
            format!("#include \"greet.h\"\nconst char *greet(void) {{ return \"{message}\"; }}\n")
                .as_bytes(),
        ),
        entry(
            &format!("{dir}/Makefile"),
            tar::EntryType::Regular,
            "",
            b"libgreet.a: greet.o\n\t$(AR) rcs $@ greet.o\n\ngreet.o: greet.c greet.h\n\t$(CC) $(CFLAGS) -c greet.c -o $@\n\n\
install: libgreet.a\n\tmkdir -p $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include\n\
\tcp libgreet.a $(DESTDIR)$(PREFIX)/lib/\n\tcp greet.h $(DESTDIR)$(PREFIX)/include/\n",
        ),
    ]
}

/// Writes `greet.toml` pinning `archive` and puts the archive in `src/`.
fn greet_library(env: &TestEnv, archive: &[u8]) {
    std::fs::create_dir_all(env.path().join("src")).unwrap();
    std::fs::write(env.path().join("src/greet-1.0.tar.gz"), archive).unwrap();
    env.write(
        "greet.toml",
        &format!(
            r#"[[library]]
name = "greet"
version = "1.0"
build = "make"

[[library.sources]]
file = "greet-1.0.tar.gz"
urls = []
sha256 = "{}"

[library.exports]
libs = ["greet"]
headers = ["greet.h"]
"#,
            sha256(archive)
        ),
    );
    env.write(
        "hello_greet.c",
        "#include <stdio.h>\n#include <greet.h>\nint main(void) { puts(greet()); return 0; }\n",
    );
}

fn build_greet(env: &TestEnv, home: &Path, target: &str) -> Output {
    env.muslbuild()
        .env("MUSLBUILD_HOME", home)
        .args(["--target", target, "--toolchain", "musl-gcc"])
        .args([
            "--lib-file",
            "greet.toml",
            "--lib",
            "greet",
            "--source-dir",
            "src",
        ])
        .arg("hello_greet.c")
        .output()
        .unwrap()
}

#[test]
fn a_hostile_library_source_is_refused_like_a_toolchain() {
    let env = TestEnv::new();
    let home = env.path().join("home");
    let mut entries = greet_sources("hi");
    let deep = "greet-1.0/a/b/c";
    entries.extend([
        entry(&format!("{deep}/"), tar::EntryType::Directory, "", b""),
        entry(
            &format!("{deep}/l"),
            tar::EntryType::Symlink,
            "../../..",
            b"",
        ),
        entry(
            "greet-1.0/esc",
            tar::EntryType::Symlink,
            "a/b/c/l/../../../../..",
            b"",
        ),
    ]);
    greet_library(&env, &gzip(&tar(&entries)));
    let output = build_greet(&env, &home, "x86_64");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(9), "{err}");
    assert!(
        err.contains("refusing to unpack") && err.contains("greet-1.0/esc"),
        "{err}"
    );
    assert!(links_out_of(env.path()).is_empty());
    assert!(!env.path().join("dist/x86_64/hello_greet").exists());
    let prefixes: Vec<_> = std::fs::read_dir(home.join("libs"))
        .map(|d| {
            d.flatten()
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .map(|e| e.file_name())
                .collect()
        })
        .unwrap_or_default();
    assert!(prefixes.is_empty(), "{prefixes:?}");
}

fn cache_verify(env: &TestEnv, home: &Path) -> Output {
    env.muslbuild()
        .env("MUSLBUILD_HOME", home)
        .args(["cache", "verify"])
        .output()
        .unwrap()
}

/// `cache verify` fails (exit 8) naming `file`; after the next use repaired the entry,
/// it passes again.
fn assert_verify_names(env: &TestEnv, home: &Path, file: &str) {
    let output = cache_verify(env, home);
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert_eq!(output.status.code(), Some(8), "{text}");
    assert!(
        text.contains(file),
        "cache verify should name {file}:\n{text}"
    );
}

fn assert_warned(err: &str, file: &str) {
    assert!(
        err.contains("muslbuild: warning: the cache entry") && err.contains(file),
        "the use should name {file}:\n{err}"
    );
}

/// `dist/` holds exactly what `manifest.json` and `SHA256SUMS` say, with those hashes.
fn assert_dist_consistent(dist: &Path) {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dist.join("manifest.json")).unwrap()).unwrap();
    let mut listed: Vec<String> = Vec::new();
    for artifact in manifest["artifacts"].as_array().unwrap() {
        let path = artifact["path"].as_str().unwrap();
        let bytes = std::fs::read(dist.join(path)).unwrap();
        assert_eq!(
            artifact["sha256"].as_str().unwrap(),
            sha256(&bytes),
            "{path}"
        );
        listed.push(format!("{}  {path}", sha256(&bytes)));
    }
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    let mut sums: Vec<String> = sums.lines().map(str::to_string).collect();
    listed.sort();
    sums.sort();
    assert_eq!(listed, sums, "manifest.json and SHA256SUMS disagree");
}

fn only(dir: &Path) -> PathBuf {
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries[0].clone()
}

/// Replace bytes in a file, keeping its length.
fn edit(path: &Path, from: &[u8], to: &[u8]) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{} does not hold the string", path.display()));
    bytes[at..at + to.len()].copy_from_slice(to);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn cache_tampering_is_detected_and_never_used() {
    let env = TestEnv::new();
    let home = env.path().join("home");
    let genuine = "hello from a cached library";
    greet_library(&env, &gzip(&tar(&greet_sources(genuine))));
    let mut detected = 0;
    let tried = 4;
    // (A tampered toolchain is the fifth case, in its own test below.)

    // 1. libs/: a string edited in the cached libgreet.a.
    let first = build_greet(&env, &home, "x86_64");
    assert!(first.status.success(), "{}", stderr(&first));
    let binary = env.path().join("dist/x86_64/hello_greet");
    assert_eq!(stdout(&run_binary(None, &binary, b"")).trim(), genuine);
    success(
        env.muslbuild()
            .env("MUSLBUILD_HOME", &home)
            .args(["cache", "verify"]),
    );
    let prefix = only(&home.join("libs"));
    let archive = prefix.join("lib/libgreet.a");
    edit(&archive, b"hello from", b"EVIL  from");
    assert_verify_names(&env, &home, "lib/libgreet.a");
    std::fs::write(env.path().join("hello_greet.c"), "#include <stdio.h>\n#include <greet.h>\nint main(void) { puts(greet()); return 0; }\n/* edited */\n").unwrap();
    let output = build_greet(&env, &home, "x86_64");
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert_warned(&err, "lib/libgreet.a");
    assert_eq!(stdout(&run_binary(None, &binary, b"")).trim(), genuine);
    assert_dist_consistent(&env.path().join("dist"));
    detected += 1;

    // 2. builds/: a byte flipped in a cached build output.
    let built = std::fs::read(&binary).unwrap();
    // (The source edit above left two slots with these bytes: damage both.)
    let slots: Vec<PathBuf> = std::fs::read_dir(home.join("builds"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| std::fs::read(p.join("artifact")).is_ok_and(|b| b == built))
        .collect();
    assert!(!slots.is_empty(), "the build output is cached");
    for slot in &slots {
        let artifact = slot.join("artifact");
        let mut bytes = std::fs::read(&artifact).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 0xff;
        std::fs::write(&artifact, bytes).unwrap();
    }
    assert_verify_names(&env, &home, "artifact");
    std::fs::remove_dir_all(env.path().join("dist")).unwrap();
    let output = build_greet(&env, &home, "x86_64");
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert_warned(&err, "artifact");
    assert_eq!(
        std::fs::read(&binary).unwrap(),
        built,
        "the flipped byte was used"
    );
    detected += 1;
    // The slot this build used was made again; the other stays damaged until a build
    // uses it (or it is removed, as here).
    for slot in &slots {
        if muslbuild::cache::check_entry(slot, muslbuild::cache::Depth::Contents).is_err() {
            std::fs::remove_dir_all(slot).unwrap();
        }
    }
    assert!(
        slots.iter().any(|s| s.exists()),
        "the used slot was replaced"
    );
    assert_dist_consistent(&env.path().join("dist"));

    // 3. sources/: the cached archive replaced; the next unpack (another target) must
    // not build it. The genuine one is still in src/, so it is fetched again.
    let cached = home.join("sources").join(sha256(
        &std::fs::read(env.path().join("src/greet-1.0.tar.gz")).unwrap(),
    ));
    assert!(cached.is_file());
    std::fs::write(
        &cached,
        gzip(&tar(&greet_sources("hello from a replaced srcs"))),
    )
    .unwrap();
    assert_verify_names(&env, &home, &cached.display().to_string());
    let output = build_greet(&env, &home, "aarch64");
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert_warned(&err, &cached.display().to_string());
    let run = run_binary(
        Some("qemu-aarch64-static"),
        &env.path().join("dist/aarch64/hello_greet"),
        b"",
    );
    assert_eq!(
        stdout(&run).trim(),
        genuine,
        "the replaced archive was built"
    );
    assert_dist_consistent(&env.path().join("dist"));
    detected += 1;
    success(
        env.muslbuild()
            .env("MUSLBUILD_HOME", &home)
            .args(["cache", "verify"]),
    );

    // 4. probes/: the record of a glibc gcc edited to "usable".
    let glibc = require("gcc", "gcc");
    let probe = |env: &TestEnv| {
        env.muslbuild()
            .env("MUSLBUILD_HOME", &home)
            .args(["--target", "x86_64", "--cc"])
            .arg(&glibc)
            .args(["-o", "glibc-hello"])
            .arg(example("hello.c"))
            .output()
            .unwrap()
    };
    let refused = probe(&env);
    assert_eq!(refused.status.code(), Some(6), "{}", stderr(&refused));
    let record = std::fs::read_dir(home.join("probes"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("links glibc")))
        .expect("the glibc gcc's probe record");
    let text = std::fs::read_to_string(&record).unwrap();
    let check: serde_json::Value = serde_json::from_str(&text).unwrap();
    let forged = serde_json::json!({
        "verdict": "usable",
        "version": check["version"],
        "fingerprint": "0".repeat(64),
        "check": check["check"],
    });
    std::fs::write(&record, forged.to_string()).unwrap();
    assert_verify_names(&env, &home, &record.display().to_string());
    let output = probe(&env);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(6), "{err}");
    assert_warned(&err, &record.display().to_string());
    assert!(!env.path().join("dist/x86_64/glibc-hello").exists());
    detected += 1;

    // Forged with a valid check too (whoever can write the cache can compute it):
    // `verify` still refuses the static glibc executable, and dist/ never sees it.
    let identity = record.file_stem().unwrap().to_str().unwrap();
    let verdict = muslbuild::toolchain::probe::Verdict::Usable {
        version: check["version"].as_str().unwrap().to_string(),
        fingerprint: "0".repeat(64),
    };
    let record_bytes = serde_json::to_vec(&muslbuild::toolchain::probe::Record {
        check: muslbuild::toolchain::probe::record_check(identity, &verdict),
        verdict,
    })
    .unwrap();
    std::fs::write(&record, record_bytes).unwrap();
    success(
        env.muslbuild()
            .env("MUSLBUILD_HOME", &home)
            .args(["cache", "verify"]),
    );
    let output = probe(&env);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(5), "{err}");
    assert!(err.contains("static glibc executable, not musl"), "{err}");
    assert!(!env.path().join("dist/x86_64/glibc-hello").exists());
    let manifest = std::fs::read_to_string(env.path().join("dist/manifest.json")).unwrap();
    assert!(!manifest.contains("glibc-hello"), "{manifest}");
    assert_dist_consistent(&env.path().join("dist"));

    eprintln!("cache tampering: {detected} detected of {tried} tried");
    assert_eq!(detected, tried);
}

#[test]
fn glibc_static_is_refused_and_musl_from_every_toolchain_passes() {
    let env = TestEnv::new();
    let gcc = require("gcc", "gcc");
    let glibc = env.path().join("glibc-static");
    success(
        Command::new(&gcc)
            .args(["-static", "-Os", "-s", "-o"])
            .arg(&glibc)
            .arg(example("hello.c")),
    );
    let output = env.muslbuild().arg("verify").arg(&glibc).output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(5), "{err}");
    assert!(
        err.contains("static glibc executable, not musl") && err.contains("help:"),
        "{err}"
    );
    // Even with its section headers gone, the ABI note in its PT_NOTE segment remains.
    let bare = env.path().join("glibc-bare");
    let mut bytes = std::fs::read(&glibc).unwrap();
    bytes[0x3c..0x3e].copy_from_slice(&0u16.to_le_bytes()); // e_shnum
    bytes[0x28..0x30].copy_from_slice(&0u64.to_le_bytes()); // e_shoff
    std::fs::write(&bare, bytes).unwrap();
    let output = env.muslbuild().arg("verify").arg(&bare).output().unwrap();
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));

    // Every musl toolchain's output passes: muslbuild verifies each build itself, and
    // `verify` agrees.
    for toolchain in ["musl-gcc", "zig"] {
        let out = env.path().join(format!("dist-{toolchain}"));
        success(
            env.muslbuild()
                .args([
                    "--target",
                    "x86_64,aarch64,armv7",
                    "--toolchain",
                    toolchain,
                    "--out-dir",
                ])
                .arg(&out)
                .arg(example("hello.c")),
        );
        for target in ["x86_64", "aarch64", "armv7"] {
            success(
                env.muslbuild()
                    .arg("verify")
                    .arg(out.join(target).join("hello")),
            );
        }
    }
}

#[test]
fn a_tampered_toolchain_is_named_and_installed_again() {
    let env = TestEnv::new();
    let home = env.path().join("home");
    let bytes = gzip(&tar(&base_entries()));
    let archive = env.path().join("good.tar.gz");
    std::fs::write(&archive, &bytes).unwrap();
    let output = install_from(&env, &home, &archive, &bytes);
    assert!(output.status.success(), "{}", stderr(&output));
    let gcc = home.join("toolchains/musl-cross-trust-x86_64/bin/x86_64-linux-musl-gcc");
    edit(&gcc, b"exit 1", b"exit 0");
    assert_verify_names(&env, &home, "bin/x86_64-linux-musl-gcc");
    // The damaged entry does not count as installed: the next install replaces it.
    let output = install_from(&env, &home, &archive, &bytes);
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert_warned(&err, "bin/x86_64-linux-musl-gcc");
    assert_eq!(std::fs::read(&gcc).unwrap(), b"#!/bin/sh\nexit 1\n");
    success(
        env.muslbuild()
            .env("MUSLBUILD_HOME", &home)
            .args(["cache", "verify"]),
    );
}

#[test]
fn an_installed_toolchain_is_checked_only_when_the_choice_reaches_it() {
    use std::os::unix::fs::PermissionsExt;
    let musl_gcc = require("musl-gcc", "musl-tools");
    let env = TestEnv::new();
    let home = env.path().join("home");
    let bytes = gzip(&tar(&base_entries()));
    let archive = env.path().join("good.tar.gz");
    std::fs::write(&archive, &bytes).unwrap();
    let output = install_from(&env, &home, &archive, &bytes);
    assert!(output.status.success(), "{}", stderr(&output));
    // Damaged: a file added inside the installed set.
    let entry = home.join("toolchains/musl-cross-trust-x86_64");
    std::fs::write(entry.join("bin/evil"), b"").unwrap();
    // A musl-cross gcc on PATH comes before the one in the cache: the damaged entry is
    // never looked at (a zig on PATH spares an installed zig's 20,000 files the same way).
    let on_path = env.path().join("on-path");
    std::fs::create_dir_all(&on_path).unwrap();
    let gcc = on_path.join("x86_64-linux-musl-gcc");
    std::fs::write(
        &gcc,
        format!("#!/bin/sh\nexec '{}' \"$@\"\n", musl_gcc.display()),
    )
    .unwrap();
    std::fs::set_permissions(&gcc, std::fs::Permissions::from_mode(0o755)).unwrap();
    let build = |path: &Path| {
        env.muslbuild()
            .env("MUSLBUILD_HOME", &home)
            .env("PATH", path)
            .args(["--target", "x86_64", "--toolchain", "musl-cross"])
            .arg(example("hello.c"))
            .output()
            .unwrap()
    };
    // (musl-gcc is a script that runs gcc from PATH.)
    let path = std::env::join_paths([on_path.as_path(), Path::new("/usr/bin"), Path::new("/bin")])
        .unwrap();
    let output = build(Path::new(&path));
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(!err.contains("damaged"), "{err}");
    // Without it, the choice reaches the installed set: its check names the file, and
    // it is not used.
    let nothing = env.path().join("nothing");
    std::fs::create_dir_all(&nothing).unwrap();
    let output = build(&nothing);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(6), "{err}");
    assert_warned(&err, "bin/evil");
}

#[test]
fn cache_folders_writable_by_others_or_linked_out_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let home = env.path().join("home");
    let outside = env.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    std::os::unix::fs::symlink(&outside, home.join("libs")).unwrap();
    let run = || {
        env.muslbuild()
            .env("MUSLBUILD_HOME", &home)
            .args(["--target", "x86_64", "--toolchain", "musl-gcc"])
            .arg(example("hello.c"))
            .output()
            .unwrap()
    };
    let output = run();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(8), "{err}");
    assert!(
        err.contains("libs") && err.contains("linked out of the cache") && err.contains("help:"),
        "{err}"
    );
    std::fs::remove_file(home.join("libs")).unwrap();
    std::fs::create_dir(home.join("builds")).unwrap();
    std::fs::set_permissions(home.join("builds"), std::fs::Permissions::from_mode(0o777)).unwrap();
    let output = run();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(8), "{err}");
    assert!(
        err.contains("writable by others") && err.contains("chmod go-w"),
        "{err}"
    );
    assert!(!env.path().join("dist").exists(), "it built anyway");
    std::fs::set_permissions(home.join("builds"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = run();
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn an_edited_go_probe_record_is_named_and_probed_again() {
    let env = TestEnv::new();
    let home = env.path().join("home");
    let build = || {
        env.muslbuild()
            .env("MUSLBUILD_HOME", &home)
            .env("GOPROXY", "off")
            .env("GOTOOLCHAIN", "local")
            .env_remove("GOFLAGS")
            .args(["--target", "x86_64"])
            .arg(example("go/hello"))
            .output()
            .unwrap()
    };
    let first = build();
    assert!(first.status.success(), "{}", stderr(&first));
    let record = std::fs::read_dir(home.join("probes"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with("go-") && name.ends_with(".json")
        })
        .expect("the Go probe record");
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    value["goroot"] = serde_json::Value::from(env.path().join("evil-go").display().to_string());
    std::fs::write(&record, value.to_string()).unwrap();
    assert_verify_names(&env, &home, &record.display().to_string());
    let output = build();
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert_warned(&err, &record.display().to_string());
    success(
        env.muslbuild()
            .env("MUSLBUILD_HOME", &home)
            .args(["cache", "verify"]),
    );
}
