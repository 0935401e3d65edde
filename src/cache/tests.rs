use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::entry::CONTENTS;
use super::*;

fn cache_at(root: &Path) -> Cache {
    Cache::new(root.to_path_buf())
}

#[test]
fn published_entry_is_complete_and_temp_is_gone() {
    let root = tempfile::tempdir().unwrap();
    let cache = cache_at(root.path());
    let temp = cache.temp_dir("libs").unwrap();
    std::fs::write(temp.path().join("lib.a"), b"x").unwrap();
    let dest = cache.dir("libs").join("entry");
    assert!(!cache.is_complete(&dest));
    cache.publish_dir(temp, &dest, "done").unwrap();
    assert!(cache.is_complete(&dest));
    let names: Vec<_> = std::fs::read_dir(cache.dir("libs"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("entry")]);
}

fn published(cache: &Cache) -> PathBuf {
    let temp = cache.temp_dir("libs").unwrap();
    std::fs::create_dir(temp.path().join("lib")).unwrap();
    std::fs::write(temp.path().join("lib/libx.a"), b"!<arch>\nx").unwrap();
    std::os::unix::fs::symlink("libx.a", temp.path().join("lib/liby.a")).unwrap();
    let dest = cache.dir("libs").join("entry");
    cache.publish_dir(temp, &dest, "done").unwrap();
    dest
}

#[test]
fn every_kind_of_tampering_is_named() {
    let root = tempfile::tempdir().unwrap();
    let cache = cache_at(root.path());
    type Tamper = fn(&Path);
    let cases: &[(&str, Tamper)] = &[
        ("changed its content", |e| {
            std::fs::write(e.join("lib/libx.a"), b"!<arch>\ny").unwrap()
        }),
        ("changed its size", |e| {
            std::fs::write(e.join("lib/libx.a"), b"!<arch>\nxy").unwrap()
        }),
        ("was added", |e| {
            std::fs::write(e.join("lib/evil.h"), b"").unwrap()
        }),
        ("is missing", |e| {
            std::fs::remove_file(e.join("lib/libx.a")).unwrap()
        }),
        ("changed its target", |e| {
            std::fs::remove_file(e.join("lib/liby.a")).unwrap();
            std::os::unix::fs::symlink("/etc/passwd", e.join("lib/liby.a")).unwrap();
        }),
        ("writable by others", |e| {
            std::fs::set_permissions(e, std::fs::Permissions::from_mode(0o777)).unwrap()
        }),
        ("changed its mode", |e| {
            std::fs::set_permissions(
                e.join("lib/libx.a"),
                std::fs::Permissions::from_mode(0o4755),
            )
            .unwrap()
        }),
        ("missing or unreadable", |e| {
            std::fs::write(e.join(CONTENTS), b"{}").unwrap()
        }),
    ];
    for (want, tamper) in cases {
        let entry = published(&cache);
        assert!(cache.is_complete(&entry));
        check_entry(&entry, Depth::Contents).unwrap();
        tamper(&entry);
        let damage = check_entry(&entry, Depth::Stamps).unwrap_err();
        assert!(damage.reason.contains(want), "{want}: {damage}");
        // (`is_complete` remembers intact entries per process; the integration
        // tests see it refuse each kind in a fresh process.)
        std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // A damaged entry is replaced by the next publish; a symlinked one is removed,
    // not followed.
    let elsewhere = root.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("keep"), b"k").unwrap();
    let entry = cache.dir("libs").join("entry");
    std::fs::remove_dir_all(&entry).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &entry).unwrap();
    assert!(
        check_entry(&entry, Depth::Stamps)
            .unwrap_err()
            .reason
            .contains("symlink")
    );
    published(&cache);
    assert!(cache.is_complete(&entry) && elsewhere.join("keep").exists());
}

#[test]
fn names_that_are_not_utf8_are_recorded() {
    use std::os::unix::ffi::OsStrExt;
    let root = tempfile::tempdir().unwrap();
    let cache = cache_at(root.path());
    let temp = cache.temp_dir("libs").unwrap();
    let odd = std::ffi::OsStr::from_bytes(b"caf\xe9.h");
    std::fs::write(temp.path().join(odd), b"x").unwrap();
    let dest = cache.dir("libs").join("odd");
    cache.publish_dir(temp, &dest, "done").unwrap();
    check_entry(&dest, Depth::Contents).unwrap();
    std::fs::write(dest.join(odd), b"y").unwrap();
    assert!(check_entry(&dest, Depth::Stamps).is_err());
}

#[test]
fn checked_text_notices_an_edit() {
    let record = Path::new("/c/probes/ziglang-0123");
    let text = checked_text(record, "/usr/lib/python3/ziglang/zig");
    assert_eq!(
        read_checked_text(record, &text).unwrap(),
        Some("/usr/lib/python3/ziglang/zig")
    );
    let edited = text.replace("/usr/lib", "/tmp/evil");
    assert!(read_checked_text(record, &edited).is_err());
    let moved = Path::new("/c/probes/go-bin-0123");
    assert!(read_checked_text(moved, &text).is_err());
    assert_eq!(read_checked_text(record, "/old/format\n").unwrap(), None);
}

#[test]
fn a_touched_file_with_the_same_bytes_is_still_intact() {
    let root = tempfile::tempdir().unwrap();
    let cache = cache_at(root.path());
    let entry = published(&cache);
    let file = File::options()
        .write(true)
        .open(entry.join("lib/libx.a"))
        .unwrap();
    file.set_modified(std::time::UNIX_EPOCH).unwrap();
    assert!(cache.is_complete(&entry));
}

#[test]
fn folders_writable_by_others_or_linked_out_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let cache = cache_at(root.path());
    cache.check_folders().unwrap();
    std::fs::create_dir(cache.dir("libs")).unwrap();
    std::fs::set_permissions(cache.dir("libs"), std::fs::Permissions::from_mode(0o777)).unwrap();
    let err = cache.check_folders().unwrap_err().to_string();
    assert!(
        err.contains("libs") && err.contains("writable by others"),
        "{err}"
    );
    std::fs::remove_dir(cache.dir("libs")).unwrap();
    std::os::unix::fs::symlink("/tmp", cache.dir("libs")).unwrap();
    let err = cache.check_folders().unwrap_err().to_string();
    assert!(err.contains("linked out of the cache"), "{err}");
}

#[test]
fn unpublished_temp_leaves_nothing() {
    let root = tempfile::tempdir().unwrap();
    let cache = cache_at(root.path());
    drop(cache.temp_dir("libs").unwrap());
    assert_eq!(std::fs::read_dir(cache.dir("libs")).unwrap().count(), 0);
}

#[test]
fn temps_of_dead_processes_are_swept_and_live_ones_kept() {
    let root = tempfile::tempdir().unwrap();
    let cache = cache_at(root.path());
    let mine = cache.temp_dir("libs").unwrap();
    // pid_max is at most 2^22 on Linux: this pid cannot be running.
    let dead = cache.dir("libs").join(".tmp-4194305-abc");
    std::fs::create_dir_all(dead.join("sub")).unwrap();
    let foreign = cache.dir("libs").join(".tmp-legacy");
    std::fs::create_dir_all(&foreign).unwrap();
    cache.sweep_dead_temps();
    assert!(!dead.exists());
    assert!(mine.path().is_dir());
    assert!(foreign.is_dir(), "a name without a pid is left alone");
}

/// A toolchain-like entry in `toolchains/`: a program, a data file deep inside.
fn installed(cache: &Cache) -> PathBuf {
    let temp = cache.temp_dir("toolchains").unwrap();
    std::fs::create_dir_all(temp.path().join("bin")).unwrap();
    std::fs::create_dir_all(temp.path().join("lib/include/sys")).unwrap();
    let cc = temp.path().join("bin/cc");
    std::fs::write(&cc, b"#!/bin/sh\nexit 0\n").unwrap();
    std::fs::set_permissions(&cc, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(temp.path().join("lib/include/sys/types.h"), b"int x;\n").unwrap();
    let dest = cache.dir("toolchains").join("cc-1");
    cache.publish_dir(temp, &dest, "{}").unwrap();
    dest
}

/// Whether a fresh run (nothing remembered) finds the entry intact.
fn intact_in_a_new_run(root: &Path, entry: &Path) -> bool {
    cache_at(root).is_complete(entry)
}

#[test]
fn an_installed_toolchain_is_trusted_on_its_seal() {
    let root = tempfile::tempdir().unwrap();
    let cache = cache_at(root.path());
    let entry = installed(&cache);
    let seal = cache.seal_of(&entry).unwrap();
    assert!(seal.is_file(), "publishing seals an installed toolchain");
    assert!(seal.starts_with(cache.dir("seals")), "outside the entry");
    assert!(intact_in_a_new_run(root.path(), &entry));
    // Entries elsewhere have none: their folders' times mark their last use.
    assert_eq!(cache.seal_of(&published(&cache)), None);

    // An edit in place of a file that is neither a program nor at the top level keeps
    // the seal whole: trusted by a use, found by `cache verify`'s hashing. This is the
    // price of not statting 20,000 files per run (README "Cache").
    let header = entry.join("lib/include/sys/types.h");
    std::fs::write(&header, b"int y;\n").unwrap();
    assert!(intact_in_a_new_run(root.path(), &entry));
    let damage = check_entry(&entry, Depth::Contents).unwrap_err();
    assert!(damage.file.ends_with("types.h"), "{damage}");
}

#[test]
fn what_breaks_an_installed_toolchains_seal_is_checked_file_by_file() {
    type Tamper = fn(&Path);
    let cases: &[(&str, Tamper)] = &[
        ("a program edited in place", |e| {
            std::fs::write(e.join("bin/cc"), b"#!/bin/sh\nexit 1\n").unwrap()
        }),
        ("a file added deep inside", |e| {
            std::fs::write(e.join("lib/include/sys/evil.h"), b"").unwrap()
        }),
        ("a file replaced by a rename", |e| {
            std::fs::write(e.join("lib/include/sys/new"), b"int y;\n").unwrap();
            std::fs::rename(
                e.join("lib/include/sys/new"),
                e.join("lib/include/sys/types.h"),
            )
            .unwrap();
        }),
        ("the install record edited", |e| {
            std::fs::write(e.join(super::COMPLETE), b"{\"x\":1}").unwrap()
        }),
        ("a folder removed", |e| {
            std::fs::remove_file(e.join("lib/include/sys/types.h")).unwrap();
            std::fs::remove_dir(e.join("lib/include/sys")).unwrap();
        }),
    ];
    for (what, tamper) in cases {
        let root = tempfile::tempdir().unwrap();
        let cache = cache_at(root.path());
        let entry = installed(&cache);
        tamper(&entry);
        assert!(
            !intact_in_a_new_run(root.path(), &entry),
            "{what}: went unnoticed"
        );
    }
}

#[test]
fn an_unsealed_or_copied_toolchain_is_checked_in_full_once_then_sealed() {
    let root = tempfile::tempdir().unwrap();
    let cache = cache_at(root.path());
    let entry = installed(&cache);
    let seal = cache.seal_of(&entry).unwrap();
    // Installed by a muslbuild without seals: no seal, a full check, then a seal.
    std::fs::remove_file(&seal).unwrap();
    assert!(intact_in_a_new_run(root.path(), &entry));
    assert!(seal.is_file());
    // A seal that does not hold (here: a folder's stamp changed by a file that came
    // and went) costs one full check, which finds the files intact and seals again.
    let before = std::fs::read(&seal).unwrap();
    std::fs::write(entry.join("lib/tmp"), b"").unwrap();
    std::fs::remove_file(entry.join("lib/tmp")).unwrap();
    assert!(intact_in_a_new_run(root.path(), &entry));
    assert_ne!(std::fs::read(&seal).unwrap(), before, "sealed again");
    // A seal left by a removed toolchain never vouches for a new one in its place.
    let kept = std::fs::read(&seal).unwrap();
    std::fs::remove_dir_all(&entry).unwrap();
    let entry = installed(&cache);
    std::fs::write(&seal, &kept).unwrap();
    std::fs::write(entry.join("bin/cc"), b"#!/bin/sh\nexit 1\n").unwrap();
    assert!(!intact_in_a_new_run(root.path(), &entry));
    // Seals of toolchains no longer installed are swept.
    std::fs::remove_dir_all(&entry).unwrap();
    assert_eq!(cache.sweep_seals(), vec![seal.clone()]);
    assert!(!seal.exists());
}
