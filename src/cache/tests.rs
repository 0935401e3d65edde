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
