//! zig's per-target libc, paid once for every machine that shares a remote cache. A
//! zig's first compile for a target builds that target's musl (37–253 s) into zig's
//! global cache (`zig env`'s `global_cache_dir`): outputs (`o/<digest>/`) and the
//! manifests (`h/`) that lead to them. Measured with zig 0.17.1, that cache is found
//! again under another cache path, but
//! - its names hash the absolute path of zig's lib folder: under another zig install
//!   path everything is rebuilt, so an entry is keyed by that path (and by zig's
//!   content, version, the target and its flags), and is shared between machines that
//!   have the same zig at the same path (the runners of one CI image, muslbuild's own
//!   install under the same `MUSLBUILD_HOME`);
//! - its manifests record each source's inode and mtime, and a zig whose lib folder has
//!   other ones (every other machine, or a reinstall) rebuilds the libc in full even
//!   though every byte is the same. So on the way in each manifest is restamped: a
//!   source whose content still has the digest zig recorded (zig's own hash, checked
//!   here) gets this machine's inode, mtime and size; any other keeps the recorded
//!   ones, and zig rebuilds what depends on it, as it would have anyway.
//!
//! With a remote cache configured, a zig's first probe for a target (the compile that
//! builds the libc):
//! - takes the libc from `zig/<key>/` in muslbuild's cache, or from the remote (checked
//!   like any entry: digest, every file's hash), and seeds zig's global cache with the
//!   files it lacks (each appears by rename), so zig finds it and builds nothing;
//! - else, when the remote is writable, runs the probe against a fresh zig cache of its
//!   own, so that what zig builds there is exactly this target's libc; publishes that as
//!   `zig/<key>/`, seeds zig's global cache with it and sends it to the remote.
//!
//! Without a remote cache nothing here runs: zig's global cache serves this machine.

use std::collections::HashMap;
use std::fs::{File, Permissions};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use siphasher::sip128::{Hasher128, SipHasher13};

use super::discover::Candidate;
use super::model::program_sha256;
use crate::cache::remote::Kind;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::sys::key::{CacheKey, KeyKind};
use crate::target::Target;

/// The zig cache folders a libc is carried in. `b/` (generated `builtin.zig`) and `z/`
/// (parsed zig sources: 19 MB compressed per target, against 2 MB for these two) zig
/// remakes in seconds; they are merged into the local zig cache, not shared.
const SHARED: &[&str] = &["o", "h"];

/// Every folder of a zig cache worth merging, outputs before the manifests that name
/// them, so zig never finds a manifest whose output is not there yet.
const MERGED: &[&str] = &["o", "b", "z", "h"];

/// The flags the probe compiles with beyond the target's: they choose the libc's
/// optimisation mode (`-Os` is muslbuild's default; `-O2` would build another libc).
pub(crate) const PROBE_FLAGS: &[&str] = &["-Os", "-static"];

/// What zig says about itself (`zig env`).
#[derive(Debug, PartialEq, Eq)]
struct ZigEnv {
    lib_dir: String,
    global_cache_dir: PathBuf,
}

/// A zig probe's libc capture: the entry's lock is held while the probe builds into
/// `zig_cache`; `finish` publishes, seeds and sends what it built.
pub(crate) struct Capture {
    key: String,
    entry: PathBuf,
    global: PathBuf,
    dir: tempfile::TempDir,
    record: String,
    annotations: Vec<(&'static str, String)>,
    _lock: File,
}

impl Capture {
    /// The zig cache the probe compiles against (`ZIG_GLOBAL_CACHE_DIR`).
    pub(crate) fn zig_cache(&self) -> &Path {
        self.dir.path()
    }

    /// After a usable probe: what zig built goes into zig's global cache (so this
    /// machine's builds find it), into `zig/<key>/` and to the remote.
    pub(crate) fn finish(self, ctx: &Ctx) -> Result<()> {
        let dir = self.dir.path();
        seed(dir, &self.global, MERGED, None)?;
        let items = std::fs::read_dir(dir).map_err(Error::io("cannot read", dir))?;
        for item in items.flatten() {
            let name = item.file_name();
            if !SHARED.iter().any(|s| name == *s) {
                let path = item.path();
                let removed = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                removed.map_err(Error::io("cannot remove", &path))?;
            }
        }
        ctx.cache.publish_dir(self.dir, &self.entry, &self.record)?;
        if let Some(remote) = ctx.remote() {
            let annotations: Vec<(&str, String)> = self
                .annotations
                .iter()
                .map(|(k, v)| (*k, v.clone()))
                .collect();
            remote.store(
                &ctx.cache,
                Kind::ZigLibc,
                &self.key,
                &self.entry,
                &annotations,
            )?;
        }
        Ok(())
    }
}

/// Before a zig probe for its target (`version` from `zig version`): seeds zig's global
/// cache with the target's libc when muslbuild's cache or the remote has it; returns a
/// `Capture` when this probe should build it for the remote instead. Nothing without a
/// remote cache, or for a zig that cannot say where its lib folder is.
pub(crate) fn before_probe(
    candidate: &Candidate,
    version: &str,
    flags: &[String],
    ctx: &Ctx,
) -> Result<Option<Capture>> {
    let Some(remote) = ctx.remote().filter(|remote| !remote.is_down()) else {
        return Ok(None);
    };
    let zig = &candidate.cc.program;
    let Some(env) = zig_env(zig, ctx) else {
        return Ok(None);
    };
    let Some(content) = program_sha256(zig, ctx) else {
        return Ok(None);
    };
    let target = candidate.target;
    let key = libc_key(&content, version, &env.lib_dir, target, flags);
    let cache = &ctx.cache;
    let entry = cache.dir("zig").join(&key);
    let title = format!("zig {version} libc for {target}");
    let lock = cache.lock_announced(&format!("zig-{key}"), &title)?;
    if !cache.is_complete(&entry) {
        let names_key = |record: &str| {
            serde_json::from_str::<serde_json::Value>(record)
                .ok()
                .and_then(|r| r.get("key")?.as_str().map(|k| k == key))
                .unwrap_or(false)
        };
        remote.fetch(cache, Kind::ZigLibc, &key, &entry, &names_key)?;
    }
    if cache.is_complete(&entry) {
        seed(
            &entry,
            &env.global_cache_dir,
            SHARED,
            Some(Path::new(&env.lib_dir)),
        )?;
        crate::cache::mark_used(&entry);
        return Ok(None);
    }
    // A registry that failed the fetch above is said and left alone: no capture for it.
    if !remote.writable() || remote.is_down() {
        return Ok(None);
    }
    let record = serde_json::json!({
        "key": key,
        "zig": version,
        "target": target.name(),
        "lib_dir": env.lib_dir,
    })
    .to_string();
    Ok(Some(Capture {
        dir: cache.temp_dir("zig")?,
        annotations: vec![
            ("org.opencontainers.image.title", title),
            ("org.opencontainers.image.version", version.to_string()),
            ("muslbuild.target", target.name().to_string()),
            ("muslbuild.toolchain", format!("zig {version}")),
            ("muslbuild.zig.lib-dir", env.lib_dir.clone()),
        ],
        key,
        entry,
        global: env.global_cache_dir,
        record,
        _lock: lock,
    }))
}

/// `zig env`: where zig's lib folder and its global cache are, as the probe and the
/// builds will see them (the same environment).
fn zig_env(zig: &Path, ctx: &Ctx) -> Option<ZigEnv> {
    let output = ctx.command(zig).arg("env").output().ok()?;
    parse_zig_env(&output.stdout_text())
}

/// Reads `lib_dir` and `global_cache_dir` from `zig env`: ZON (`.lib_dir = "…"`, zig
/// 0.14 and later) or JSON (`"lib_dir": "…"`, earlier).
fn parse_zig_env(text: &str) -> Option<ZigEnv> {
    let value = |name: &str| -> Option<String> {
        let at = text
            .find(&format!("{name}\""))
            .or_else(|| text.find(&format!(".{name} ")))?;
        let rest = &text[at + name.len() + 1..];
        let rest = &rest[rest.find(['=', ':'])? + 1..];
        let rest = rest.trim_start().strip_prefix('"')?;
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(out),
                '\\' => out.push(chars.next()?),
                c => out.push(c),
            }
        }
        None
    };
    Some(ZigEnv {
        lib_dir: value("lib_dir")?,
        global_cache_dir: PathBuf::from(value("global_cache_dir")?),
    })
}

/// A libc entry's key: zig's content and version, the target and its flags — and the
/// absolute path of zig's lib folder, which names every file of zig's cache (see the
/// module's comment): bytes that differ with it, so it stays, and the entry is shared
/// between machines that have the same zig at the same path. No folder of the checkout
/// or of muslbuild's cache is in it (a zig installed in the cache is the exception its
/// lib folder makes).
fn libc_key(
    content: &str,
    version: &str,
    lib_dir: &str,
    target: Target,
    flags: &[String],
) -> String {
    CacheKey::new(KeyKind::ZigLibc)
        .part("zig-sha256", content)
        .part("zig-version", version)
        .part("zig-lib-dir", lib_dir)
        .part("target", target.name())
        .list("target-flags", flags)
        .list("probe-flags", PROBE_FLAGS)
        .finish()
}

/// Copies into zig cache `global` what it lacks of `folders` of zig cache `from`: each
/// output folder (`o/<digest>/`) by a copy renamed into place, each file (a manifest)
/// by a copy linked into place, so zig (which may be running) never sees half of one,
/// and nothing zig has is replaced. With `lib_dir` (a cache made elsewhere), each
/// manifest is restamped against that zig lib folder on its way in (`restamp`).
fn seed(from: &Path, global: &Path, folders: &[&str], lib_dir: Option<&Path>) -> Result<()> {
    let mut sources = Sources::default();
    let prefix = format!(".tmp-{}-", std::process::id());
    for folder in folders {
        let source = from.join(folder);
        let Ok(items) = std::fs::read_dir(&source) else {
            continue;
        };
        let dest = global.join(folder);
        std::fs::create_dir_all(&dest).map_err(Error::io("cannot create", &dest))?;
        for item in items {
            let item = item.map_err(Error::io("cannot read", &source))?;
            let target = dest.join(item.file_name());
            if std::fs::symlink_metadata(&target).is_ok() {
                continue;
            }
            let kind = item
                .file_type()
                .map_err(Error::io("cannot read", &item.path()))?;
            // A unique name beside it (targets seed side by side, and zig's parsed
            // sources in `z/` are the same for every target), `.tmp-<pid>-` so that a
            // killed run's leftovers are recognisably ours.
            let mut staging = tempfile::Builder::new();
            staging.prefix(&prefix);
            let placed = if kind.is_dir() {
                staging.tempdir_in(&dest).and_then(|temp| {
                    copy_into(&item.path(), temp.path())?;
                    // zig's own modes (a temporary folder starts private).
                    std::fs::set_permissions(temp.path(), Permissions::from_mode(0o755))?;
                    // Renaming over a folder fails unless it is empty: theirs stays.
                    std::fs::rename(temp.path(), &target)?;
                    let _ = temp.keep();
                    Ok(())
                })
            } else if kind.is_file() {
                staging.tempfile_in(&dest).and_then(|temp| {
                    std::fs::copy(item.path(), temp.path())?;
                    std::fs::set_permissions(temp.path(), Permissions::from_mode(0o644))?;
                    if let (Some(lib), &"h") = (lib_dir, folder) {
                        restamp_file(temp.path(), lib, &mut sources)?;
                    }
                    // A link, not a rename: never over a file zig placed meanwhile.
                    temp.persist_noclobber(&target)
                        .map(drop)
                        .map_err(|e| e.error)
                })
            } else {
                continue;
            };
            if let Err(e) = placed
                && std::fs::symlink_metadata(&target).is_err()
            {
                return Err(Error::io("cannot copy into zig's cache", &target)(e));
            }
        }
    }
    Ok(())
}

/// The key of the SipHash-1-3 (128-bit) zig 0.17 hashes file contents with in its cache
/// manifests (`std.Build.Cache.hasher_init`). Another zig's manifests (another key or
/// format) match no digest here, and are left as they are.
const ZIG_HASH_KEY: [u8; 16] = [
    0x02, 0xe9, 0xfa, 0xfe, 0xe0, 0x95, 0x81, 0x55, 0xf5, 0x5a, 0x15, 0xcb, 0x4a, 0xf4, 0x00, 0x09,
];

/// zig's manifest prefix for paths inside its lib folder (0 is the working folder, 2
/// and 3 the local and global caches).
const LIB_PREFIX: u8 = 1;

/// A manifest entry's fixed part: size, inode, mtime (ns), digest, flags.
const ENTRY_HEAD: usize = 8 + 8 + 8 + 16 + 1;

/// What a source in this machine's zig lib folder is: its stamp as zig reads it (size,
/// inode, mtime in ns) and zig's digest of its content; `None` when it cannot be read.
type Source = Option<(u64, u64, i64, [u8; 16])>;

/// The sources already read while seeding, by path (a header is named by hundreds of
/// manifests).
#[derive(Default)]
struct Sources(HashMap<PathBuf, Source>);

impl Sources {
    fn get(&mut self, path: PathBuf) -> Source {
        *self.0.entry(path).or_insert_with_key(|path| {
            let meta = std::fs::metadata(path).ok()?;
            let bytes = std::fs::read(path).ok()?;
            let mtime = meta.mtime().checked_mul(1_000_000_000)? + meta.mtime_nsec();
            Some((meta.len(), meta.ino(), mtime, zig_digest(&bytes)))
        })
    }
}

fn zig_digest(bytes: &[u8]) -> [u8; 16] {
    let mut hasher = SipHasher13::new_with_key(&ZIG_HASH_KEY);
    std::hash::Hasher::write(&mut hasher, bytes);
    hasher.finish128().as_bytes()
}

fn restamp_file(manifest: &Path, lib_dir: &Path, sources: &mut Sources) -> std::io::Result<()> {
    let mut bytes = std::fs::read(manifest)?;
    if restamp(&mut bytes, lib_dir, sources) > 0 {
        std::fs::write(manifest, bytes)?;
    }
    Ok(())
}

/// Gives every entry of a zig manifest (zig 0.17's format: per input its size, inode and
/// mtime as u64/u64/i64 little-endian, a 16-byte digest, a flags byte with the prefix in
/// its top six bits, the path and a zero byte; one zero byte at the end) that names a
/// file in `lib_dir` whose content has the recorded digest this machine's stamp of that
/// file. Returns how many it restamped; a manifest it cannot read to its exact end is
/// left untouched (another zig's format).
fn restamp(manifest: &mut [u8], lib_dir: &Path, sources: &mut Sources) -> usize {
    use std::os::unix::ffi::OsStrExt;
    let mut stamps: Vec<(usize, (u64, u64, i64))> = Vec::new();
    let mut at = 0;
    while at + ENTRY_HEAD < manifest.len() {
        let flags = manifest[at + ENTRY_HEAD - 1];
        let path_start = at + ENTRY_HEAD;
        let Some(len) = manifest[path_start..].iter().position(|&b| b == 0) else {
            return 0;
        };
        let path = &manifest[path_start..path_start + len];
        let (is_directory, metadata_only) = (flags & 1 != 0, flags & 2 != 0);
        if flags >> 2 == LIB_PREFIX && !is_directory && !metadata_only && !path.is_empty() {
            let recorded = &manifest[at + 24..at + 40];
            let file = lib_dir.join(std::ffi::OsStr::from_bytes(path));
            if let Some((size, inode, mtime, digest)) = sources.get(file)
                && digest == recorded
            {
                stamps.push((at, (size, inode, mtime)));
            }
        }
        at = path_start + len + 1;
    }
    if at + 1 != manifest.len() || manifest[at] != 0 {
        return 0;
    }
    for (at, (size, inode, mtime)) in &stamps {
        manifest[*at..*at + 8].copy_from_slice(&size.to_le_bytes());
        manifest[*at + 8..*at + 16].copy_from_slice(&inode.to_le_bytes());
        manifest[*at + 16..*at + 24].copy_from_slice(&mtime.to_le_bytes());
    }
    stamps.len()
}

/// Copies what folder `from` holds into the existing folder `to`.
fn copy_into(from: &Path, to: &Path) -> std::io::Result<()> {
    for item in std::fs::read_dir(from)? {
        let item = item?;
        let kind = item.file_type()?;
        let target = to.join(item.file_name());
        if kind.is_dir() {
            std::fs::create_dir(&target)?;
            copy_into(&item.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(item.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_libc_key_names_zigs_lib_folder_and_nothing_else_of_the_machine() {
        let flags = vec!["-mcpu=generic".to_string()];
        let key = |lib_dir: &str, version: &str| {
            libc_key(&"a".repeat(64), version, lib_dir, Target::Aarch64, &flags)
        };
        // Nothing of a checkout or a home goes in: two machines with the same zig at the
        // same path share it.
        assert_eq!(key("/usr/lib/zig", "0.17.1"), key("/usr/lib/zig", "0.17.1"));
        assert_ne!(key("/usr/lib/zig", "0.17.1"), key("/opt/zig/lib", "0.17.1"));
        assert_ne!(key("/usr/lib/zig", "0.17.1"), key("/usr/lib/zig", "0.17.2"));
    }

    #[test]
    fn zig_env_is_read_as_zon_or_json() {
        let zon = ".{\n    .zig_exe = \"/z/zig\",\n    .lib_dir = \"/z/lib\",\n    .std_dir = \"/z/lib/std\",\n    .global_cache_dir = \"/root/.cache/zig\",\n    .version = \"0.17.1\",\n}\n";
        let want = ZigEnv {
            lib_dir: "/z/lib".into(),
            global_cache_dir: PathBuf::from("/root/.cache/zig"),
        };
        assert_eq!(parse_zig_env(zon), Some(want));
        let json = "{\n \"zig_exe\": \"/z/zig\",\n \"lib_dir\": \"/z/a \\\"b\\\"/lib\",\n \"global_cache_dir\": \"/c/zig\"\n}";
        let env = parse_zig_env(json).unwrap();
        assert_eq!(env.lib_dir, "/z/a \"b\"/lib");
        assert_eq!(env.global_cache_dir, PathBuf::from("/c/zig"));
        assert_eq!(parse_zig_env("error: no"), None);
    }

    #[test]
    fn zigs_digest_is_its_siphash() {
        // Values of zig 0.17's `Cache.hasher_init` hashing these bytes.
        let hex = |d: [u8; 16]| crate::sys::hash::hex(&d);
        assert_eq!(hex(zig_digest(b"")), "cf1584fc7d0d7b3e683e3a99d749552a");
        assert_eq!(
            hex(zig_digest(b"int x;\n")),
            "8c713f7ac069d8814a5306ba80e52ee4"
        );
    }

    /// One manifest entry in zig 0.17's format.
    fn entry(stamp: (u64, u64, i64), digest: [u8; 16], prefix: u8, path: &str) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend(stamp.0.to_le_bytes());
        bytes.extend(stamp.1.to_le_bytes());
        bytes.extend(stamp.2.to_le_bytes());
        bytes.extend(digest);
        bytes.push(prefix << 2);
        bytes.extend(path.as_bytes());
        bytes.push(0);
        bytes
    }

    #[test]
    fn a_manifest_from_elsewhere_gets_this_machines_stamps_where_the_content_is_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("lib");
        std::fs::create_dir_all(lib.join("libc")).unwrap();
        std::fs::write(lib.join("libc/same.h"), b"int x;\n").unwrap();
        std::fs::write(lib.join("libc/changed.h"), b"int y;\n").unwrap();
        let elsewhere = (7, 424242, 1_000_000_000);
        let recorded = zig_digest(b"int x;\n");
        let same = entry(elsewhere, recorded, LIB_PREFIX, "libc/same.h");
        let rest = [
            entry(elsewhere, recorded, LIB_PREFIX, "libc/changed.h"),
            entry(elsewhere, recorded, 0, "/work/probe.c"),
            vec![0],
        ]
        .concat();
        let mut manifest = [same.clone(), rest.clone()].concat();
        let mut sources = Sources::default();
        assert_eq!(restamp(&mut manifest, &lib, &mut sources), 1);
        let meta = std::fs::metadata(lib.join("libc/same.h")).unwrap();
        let here = (
            meta.len(),
            meta.ino(),
            meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
        );
        let (restamped, kept) = manifest.split_at(same.len());
        assert_eq!(restamped, entry(here, recorded, LIB_PREFIX, "libc/same.h"));
        // The changed header and the file outside the lib folder keep their stamps.
        assert_eq!(kept, rest);
        // Not this format (a zig with text manifests): left as it is.
        let mut text = b"0\n7 424242 1000 00ff 1 libc/same.h\n".to_vec();
        assert_eq!(restamp(&mut text, &lib, &mut sources), 0);
        let mut cut = [same, rest].concat();
        cut.pop();
        assert_eq!(restamp(&mut cut, &lib, &mut sources), 0);
    }

    #[test]
    fn seeding_adds_what_zig_lacks_and_replaces_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (from, global) = (dir.path().join("from"), dir.path().join("global"));
        for (path, text) in [
            ("o/aa/libc.a", "new libc"),
            ("o/bb/crt1.o", "new crt1"),
            ("h/m1", "manifest 1"),
            ("h/m2", "manifest 2"),
            ("z/ignored", "zir"),
        ] {
            let path = from.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        std::fs::create_dir_all(global.join("o/bb")).unwrap();
        std::fs::write(global.join("o/bb/crt1.o"), "zig's own").unwrap();
        std::fs::create_dir_all(global.join("h")).unwrap();
        std::fs::write(global.join("h/m2"), "zig's own manifest").unwrap();
        seed(&from, &global, SHARED, None).unwrap();
        let read = |p: &str| std::fs::read_to_string(global.join(p)).unwrap();
        assert_eq!(read("o/aa/libc.a"), "new libc");
        assert_eq!(read("o/bb/crt1.o"), "zig's own");
        assert_eq!(read("h/m1"), "manifest 1");
        assert_eq!(read("h/m2"), "zig's own manifest");
        assert!(!global.join("z").exists(), "only the folders asked for");
        let leftovers: Vec<_> = ["o", "h"]
            .iter()
            .flat_map(|f| std::fs::read_dir(global.join(f)).unwrap())
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".tmp-")
            })
            .collect();
        assert!(leftovers.is_empty());
    }
}
