//! `muslbuild image` against dist folders an attacker prepared: links out of dist, paths
//! out of it, edited hashes, binaries of the wrong kind. Each case is refused with its
//! exit code and message, and nothing is written (no layout, archive or Dockerfile).

use std::path::Path;

use crate::image::{env_with_dist, failure};
use crate::support::TestEnv;

fn sha256_file(path: &Path) -> String {
    muslbuild::sys::hash::sha256_hex(&std::fs::read(path).unwrap())
}

/// Edits the dist manifest's entry for (target, name).
fn edit_entry(env: &TestEnv, target: &str, name: &str, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = env.path().join("dist/manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let entry = manifest["artifacts"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["target"] == target && a["name"] == name)
        .expect("the hello dist lists it");
    edit(entry);
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
}

/// What `muslbuild image` could have written; none of it may exist after a refusal.
fn nothing_written(env: &TestEnv) -> bool {
    ["dist/image", "dist/Dockerfile", "dist/rootfs", "out.tar"]
        .iter()
        .all(|p| !env.path().join(p).exists())
}

#[test]
fn hostile_dist_folders_are_refused_and_nothing_is_written() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret");
    std::fs::write(&secret, b"host file, not an artifact").unwrap();

    type Setup = Box<dyn Fn(&TestEnv)>;
    let cases: Vec<(&str, Setup, i32, &str)> = vec![
        (
            "a symlink artifact to a host file, its hash edited to match",
            Box::new({
                let secret = secret.clone();
                move |env| {
                    let hello = env.path().join("dist/x86_64/hello");
                    std::fs::remove_file(&hello).unwrap();
                    std::os::unix::fs::symlink(&secret, &hello).unwrap();
                    let hash = sha256_file(&secret);
                    edit_entry(env, "x86_64", "hello", |e| e["sha256"] = hash.into());
                }
            }),
            3,
            "is a symbolic link",
        ),
        (
            "a symlinked target folder holding a copy of the real artifact",
            Box::new({
                let outside = outside.path().to_path_buf();
                move |env| {
                    let real = env.path().join("dist/x86_64");
                    let moved = outside.join(format!("x86_64-{}", std::process::id()));
                    let _ = std::fs::remove_dir_all(&moved);
                    std::fs::rename(&real, &moved).unwrap();
                    std::os::unix::fs::symlink(&moved, &real).unwrap();
                }
            }),
            3,
            "is a symbolic link",
        ),
        (
            "a `..` path with the hash of the file it reaches",
            Box::new({
                let secret = secret.clone();
                move |env| {
                    let hash = sha256_file(&secret);
                    let up = format!("../../../../../../../..{}", secret.display());
                    edit_entry(env, "x86_64", "hello", |e| {
                        e["path"] = up.into();
                        e["sha256"] = hash.into();
                    });
                }
            }),
            3,
            "not a plain path inside the dist folder",
        ),
        (
            "an absolute path with the hash of the file it names",
            Box::new({
                let secret = secret.clone();
                move |env| {
                    let hash = sha256_file(&secret);
                    let path = secret.display().to_string();
                    edit_entry(env, "x86_64", "hello", |e| {
                        e["path"] = path.into();
                        e["sha256"] = hash.into();
                    });
                }
            }),
            3,
            "not a plain path inside the dist folder",
        ),
        (
            "another target's file named as this target's",
            Box::new(|env| {
                edit_entry(env, "x86_64", "hello", |e| {
                    e["path"] = "aarch64/hello".into()
                });
            }),
            3,
            "muslbuild writes it at `x86_64/hello`",
        ),
        (
            "an edited hash",
            Box::new(|env| {
                edit_entry(env, "armv7", "hello", |e| {
                    e["sha256"] = "00".repeat(32).into()
                });
            }),
            3,
            "changed since it was built",
        ),
        (
            "a wrong-architecture ELF under another target's name, hash edited",
            Box::new(|env| {
                let dist = env.path().join("dist");
                std::fs::copy(dist.join("aarch64/hello"), dist.join("x86_64/hello")).unwrap();
                let hash = sha256_file(&dist.join("x86_64/hello"));
                edit_entry(env, "x86_64", "hello", |e| e["sha256"] = hash.into());
            }),
            5,
            "is not a usable x86_64 executable",
        ),
        (
            "a script instead of an ELF, hash edited",
            Box::new(|env| {
                let hello = env.path().join("dist/armv7/hello");
                std::fs::write(&hello, b"#!/bin/sh\ncat /etc/shadow\n").unwrap();
                let hash = sha256_file(&hello);
                edit_entry(env, "armv7", "hello", |e| e["sha256"] = hash.into());
            }),
            5,
            "is not a usable armv7 executable",
        ),
        (
            "a name with a newline (a forged Dockerfile line)",
            Box::new(|env| {
                edit_entry(env, "x86_64", "hello", |e| {
                    e["name"] = "hello\nCOPY /etc/shadow /".into();
                });
            }),
            3,
            "which is not a file name",
        ),
    ];

    let tried = cases.len();
    let mut refused = 0;
    for (what, setup, code, needle) in cases {
        let env = env_with_dist();
        setup(&env);
        let (got, err) = failure(&env, &["--oci-archive", "out.tar"]);
        assert_eq!(got, code, "{what}: {err}");
        assert!(err.contains(needle), "{what}: {err}");
        assert_eq!(
            err.lines().count(),
            2,
            "{what}: one error line and help:\n{err}"
        );
        assert!(nothing_written(&env), "{what}: something was written");
        refused += 1;
    }
    println!("hostile dist/ cases refused: {refused} of {tried}");
    assert_eq!(refused, tried);
}
