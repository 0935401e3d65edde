//! The cache and its rules: every entry appears by rename from a temporary directory
//! beside it, under a lock, and an entry without its completion record does not exist.
//! The cache is a copy, not an authority: each entry records the content hash, mode and
//! a stamp (size, inode, mtime, ctime) of every file it holds when it is published, and
//! every use compares the stamps and hashes again where one differs. A damaged entry (a
//! changed, added or missing file, a symlink in place of a folder, a folder writable by
//! others) is never used: muslbuild names the file, and the entry is rebuilt (or
//! reinstalled) and replaced. `muslbuild cache verify` hashes everything.
//! Also the atomic file write that `dist/` uses.

pub mod verify;

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// The file whose presence makes a cache directory count as complete.
pub const COMPLETE: &str = ".muslbuild-complete";

/// The file listing what a published entry holds (`CONTENTS_HEADER`), beside `COMPLETE`.
pub const CONTENTS: &str = ".muslbuild-contents";

/// The folders of the cache that hold entries.
pub const KINDS: &[&str] = &[
    "toolchains",
    "sources",
    "libs",
    "vendor",
    "builds",
    "probes",
];

#[derive(Clone, Debug)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    pub fn new(root: PathBuf) -> Cache {
        Cache { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `toolchains/`, `sources/`, `libs/`, `builds/`, `probes/`, `logs/`.
    pub fn dir(&self, kind: &str) -> PathBuf {
        self.root.join(kind)
    }

    /// Refuses a cache whose root or entry folders others may write into, or whose entry
    /// folders are symlinks (linked out of the cache): nothing in them could be trusted.
    /// The root itself may be a symlink; that is where the user chose to keep it.
    pub fn check_folders(&self) -> Result<()> {
        let refuse = |path: &Path, reason: &str| Error::CacheUnsafe {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        if let Ok(meta) = std::fs::metadata(&self.root)
            && meta.mode() & 0o002 != 0
        {
            return Err(refuse(&self.root, "is writable by others"));
        }
        for kind in KINDS.iter().chain(["locks", "logs"].iter()) {
            let dir = self.dir(kind);
            let Ok(meta) = std::fs::symlink_metadata(&dir) else {
                continue;
            };
            if meta.file_type().is_symlink() {
                return Err(refuse(&dir, "is a symlink, linked out of the cache"));
            }
            if meta.mode() & 0o002 != 0 {
                return Err(refuse(&dir, "is writable by others"));
            }
        }
        Ok(())
    }

    /// Takes an exclusive lock named `name` (held until the guard is dropped). Two
    /// processes building the same entry serialise here; the second finds it complete.
    pub fn lock(&self, name: &str) -> Result<File> {
        let dir = self.dir("locks");
        std::fs::create_dir_all(&dir)
            .map_err(Error::io("cannot create the cache directory", &dir))?;
        let path = dir.join(format!("{name}.lock"));
        let file = File::create(&path).map_err(Error::io("cannot create the lock file", &path))?;
        file.lock().map_err(Error::io("cannot lock", &path))?;
        Ok(file)
    }

    /// `lock`, saying "waiting for WHAT" on stderr when another process holds it, so a
    /// build that seems stuck says why.
    pub fn lock_announced(&self, name: &str, what: &str) -> Result<File> {
        let dir = self.dir("locks");
        std::fs::create_dir_all(&dir)
            .map_err(Error::io("cannot create the cache directory", &dir))?;
        let path = dir.join(format!("{name}.lock"));
        let file = File::create(&path).map_err(Error::io("cannot create the lock file", &path))?;
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => {
                if crate::sys::process::verbosity() >= crate::sys::process::NORMAL {
                    eprintln!(
                        "muslbuild: waiting for {what} (another muslbuild process holds {})",
                        path.display()
                    );
                }
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(Error::io("cannot lock", &path)(e));
            }
        }
        file.lock().map_err(Error::io("cannot lock", &path))?;
        Ok(file)
    }

    /// A fresh temporary directory inside `kind/`, on the same filesystem as its final
    /// place, removed on drop unless published.
    pub fn temp_dir(&self, kind: &str) -> Result<tempfile::TempDir> {
        let dir = self.dir(kind);
        std::fs::create_dir_all(&dir)
            .map_err(Error::io("cannot create the cache directory", &dir))?;
        tempfile::Builder::new()
            .prefix(&temp_prefix(&dir))
            .tempdir_in(&dir)
            .map_err(Error::io("cannot create a temporary directory in", &dir))
    }

    /// Removes what killed processes left behind in every cache folder that holds
    /// temporary entries. Cheap (one `read_dir` per folder), so every run does it.
    pub fn sweep_dead_temps(&self) {
        for kind in TEMP_KINDS {
            sweep_dead_temps(&self.dir(kind));
        }
    }
}

/// The cache folders in which entries are staged (`<kind>/.tmp-<pid>-*`).
pub const TEMP_KINDS: &[&str] = &[
    "builds",
    "libs",
    "logs",
    "probes",
    "sources",
    "toolchains",
    "downloads",
];

/// Every folder this process made a temporary entry in, so that an interrupt can remove
/// them (`remove_own_temps`) although no destructor runs.
static TEMP_PARENTS: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// The name prefix of a temporary file or folder made in `parent`: `.tmp-<pid>-`. The
/// pid tells a later run whether the owner is still alive (`sweep_dead_temps`).
pub fn temp_prefix(parent: &Path) -> String {
    if let Ok(mut parents) = TEMP_PARENTS.lock()
        && !parents.iter().any(|p| p == parent)
    {
        parents.push(parent.to_path_buf());
    }
    format!(".tmp-{}-", std::process::id())
}

/// The owner pid of a temporary entry's name (`.tmp-<pid>-…`); `None` for other names.
pub fn temp_owner(name: &std::ffi::OsStr) -> Option<u32> {
    let rest = name.to_str()?.strip_prefix(".tmp-")?;
    let (pid, _) = rest.split_once('-')?;
    pid.parse().ok()
}

fn process_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    alive || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Removes `.tmp-<pid>-*` entries of `dir` whose process is gone. Entries without a pid
/// are left alone: nothing tells whether their owner still runs.
pub fn sweep_dead_temps(dir: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return removed;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if let Some(pid) = temp_owner(&entry.file_name())
            && sweep_dead_temps_one(&path, pid)
        {
            removed.push(path);
        }
    }
    removed
}

/// Removes the temporary entry `path` owned by `pid` if that process is gone; returns
/// whether it did.
pub fn sweep_dead_temps_one(path: &Path, pid: u32) -> bool {
    if pid == std::process::id() || process_alive(pid) {
        return false;
    }
    let gone = match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        _ => std::fs::remove_file(path),
    };
    gone.is_ok()
}

/// Removes this process's temporary entries in every folder it made one in: the
/// interrupt handler's cleanup, right before it exits, when no destructor will run. The
/// registry stays locked afterwards, so no thread starts a new temporary entry (every
/// one asks `temp_prefix` first) between this cleanup and the exit.
pub fn remove_own_temps() {
    let prefix = format!(".tmp-{}-", std::process::id());
    let Ok(guard) = TEMP_PARENTS.lock() else {
        return;
    };
    let parents = guard.clone();
    std::mem::forget(guard);
    for parent in parents {
        let Ok(entries) = std::fs::read_dir(&parent) else {
            continue;
        };
        for entry in entries.flatten() {
            if !entry.file_name().to_string_lossy().starts_with(&prefix) {
                continue;
            }
            let path = entry.path();
            let _ = match entry.file_type() {
                Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
                _ => std::fs::remove_file(&path),
            };
        }
    }
}

/// Notes that a cache entry was just used, for `cache prune`'s least-recently-used
/// order: the entry folder's mtime is its last use (one `futimens`, no extra file in
/// the entry).
pub fn mark_used(entry: &Path) {
    if let Ok(dir) = File::open(entry) {
        let _ = dir.set_modified(std::time::SystemTime::now());
    }
}

/// Whether `entry` is published and intact. A damaged entry is reported once per process
/// (naming the file) and counts as absent, so the caller builds it again and
/// `publish_dir` replaces it.
pub fn is_complete(entry: &Path) -> bool {
    if !std::fs::symlink_metadata(entry.join(COMPLETE)).is_ok_and(|m| m.is_file()) {
        return false;
    }
    // Checked once per process: discovery and the build ask about the same toolchain
    // (20,000 files for zig) several times. `publish_dir` forgets what it replaces.
    if INTACT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .any(|p| p == entry)
    {
        return true;
    }
    match check_entry(entry, Depth::Stamps) {
        Ok(()) => {
            INTACT
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(entry.to_path_buf());
            true
        }
        Err(damage) => {
            warn_once(entry, &damage);
            false
        }
    }
}

/// Entries this process found intact.
static INTACT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Says once per process that an entry is damaged and will not be used.
pub fn warn_once(entry: &Path, damage: &Damage) {
    static WARNED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
    if warned.iter().any(|p| p == entry) {
        return;
    }
    warned.push(entry.to_path_buf());
    if crate::sys::process::verbosity() >= crate::sys::process::NORMAL {
        eprintln!(
            "muslbuild: warning: the cache entry {} is damaged: {damage}; it is not used, and is made again",
            entry.display()
        );
    }
}

/// Why a cache entry cannot be trusted: the file and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    pub file: PathBuf,
    pub reason: String,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` {}", self.file.display(), self.reason)
    }
}

/// How hard `check_entry` looks: stamps (and hashes where a stamp differs) on every use;
/// every file hashed for `cache verify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    Stamps,
    Contents,
}

/// One file of an entry as it was published.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Item {
    /// `f` file, `l` symlink, `d` folder.
    kind: char,
    mode: u32,
    size: u64,
    /// The content's sha256 for a file, the target for a symlink (escaped), `-` else.
    content: String,
    /// inode, mtime and ctime in nanoseconds: a write or a chmod changes one of them,
    /// and none of them can be set back by a user (ctime) without the clock. Files only.
    stamp: (u64, i64, i64),
}

/// The first line of a contents record. The rest is one line per file, sorted by name,
/// tab-separated: kind, mode (octal), size, inode, mtime ns, ctime ns, content, name. A
/// plain format because a zig toolchain has 20,000 files and every use reads it.
const CONTENTS_HEADER: &str = "muslbuild-contents 1";

/// Names and link targets with `%`, tab, CR and LF escaped, so each file is one line.
fn escape(text: &str) -> String {
    if !text.contains(['%', '\t', '\n', '\r']) {
        return text.to_string();
    }
    text.replace('%', "%25")
        .replace('\t', "%09")
        .replace('\n', "%0A")
        .replace('\r', "%0D")
}

fn format_line(name: &str, item: &Item) -> String {
    let (ino, mtime, ctime) = item.stamp;
    format!(
        "{}\t{:o}\t{}\t{ino}\t{mtime}\t{ctime}\t{}\t{name}\n",
        item.kind, item.mode, item.size, item.content
    )
}

/// The recorded files, in name order, or None when the record is not one.
fn parse_contents(text: &str) -> Option<Vec<(&str, Item)>> {
    let mut lines = text.lines();
    if lines.next()? != CONTENTS_HEADER {
        return None;
    }
    let mut out = Vec::new();
    for line in lines {
        let mut fields = line.splitn(8, '\t');
        let mut next = || fields.next();
        let kind = next()?.chars().next()?;
        let mode = u32::from_str_radix(next()?, 8).ok()?;
        let size = next()?.parse().ok()?;
        let stamp = (
            next()?.parse().ok()?,
            next()?.parse().ok()?,
            next()?.parse().ok()?,
        );
        let content = next()?.to_string();
        let name = next()?;
        out.push((
            name,
            Item {
                kind,
                mode,
                size,
                content,
                stamp,
            },
        ));
    }
    Some(out)
}

fn stamp_of(meta: &std::fs::Metadata) -> (u64, i64, i64) {
    (
        meta.ino(),
        meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
        meta.ctime() * 1_000_000_000 + meta.ctime_nsec(),
    )
}

/// Every file, symlink and folder under `dir` (escaped relative names, in name order,
/// not following links), without the contents record itself.
fn walk(dir: &Path) -> std::io::Result<Vec<(String, PathBuf, std::fs::Metadata)>> {
    let mut out = Vec::new();
    let mut stack = vec![(String::new(), dir.to_path_buf())];
    while let Some((rel, abs)) = stack.pop() {
        for entry in std::fs::read_dir(&abs)? {
            let entry = entry?;
            let file_name = entry.file_name();
            // One line per file: a name that is not UTF-8 is recorded as its hex bytes.
            let part = match file_name.to_str() {
                Some(part) => escape(part),
                None => {
                    use std::os::unix::ffi::OsStrExt;
                    format!("%hex:{}", hex(file_name.as_bytes()))
                }
            };
            let name = if rel.is_empty() {
                part
            } else {
                format!("{rel}/{part}")
            };
            if name == CONTENTS {
                continue;
            }
            // `DirEntry::metadata` is an `fstatat` on the open folder, never following.
            let meta = entry.metadata()?;
            let path = entry.path();
            if meta.is_dir() {
                stack.push((name.clone(), path.clone()));
            }
            out.push((name, path, meta));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn kind_of(meta: &std::fs::Metadata) -> char {
    if meta.file_type().is_symlink() {
        'l'
    } else if meta.is_dir() {
        'd'
    } else if meta.is_file() {
        'f'
    } else {
        '?'
    }
}

fn item_of(path: &Path, meta: &std::fs::Metadata) -> std::io::Result<Item> {
    let kind = kind_of(meta);
    let content = match kind {
        'f' => file_sha256(path)?,
        'l' => escape(&std::fs::read_link(path)?.to_string_lossy()),
        'd' => "-".to_string(),
        _ => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "`{}` is neither a file, a folder nor a symlink",
                    path.display()
                ),
            ));
        }
    };
    Ok(Item {
        kind,
        mode: meta.mode() & 0o7777,
        size: if kind == 'f' { meta.len() } else { 0 },
        content,
        stamp: if kind == 'f' {
            stamp_of(meta)
        } else {
            (0, 0, 0)
        },
    })
}

/// Records the contents of a folder about to be published: every file's hash, mode and
/// stamp. Nothing in the cache is left writable by others.
fn record_contents(dir: &Path) -> Result<()> {
    let io = |e| Error::Io {
        what: "cannot record the contents of",
        path: dir.to_path_buf(),
        source: e,
    };
    let mut text = format!("{CONTENTS_HEADER}\n");
    for (name, path, meta) in walk(dir).map_err(io)? {
        let mut meta = meta;
        if !meta.file_type().is_symlink() && meta.mode() & 0o022 != 0 {
            let mode = meta.mode() & 0o7755;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                .map_err(Error::io("cannot set the mode of", &path))?;
            meta = std::fs::symlink_metadata(&path).map_err(Error::io("cannot read", &path))?;
        }
        text.push_str(&format_line(&name, &item_of(&path, &meta).map_err(io)?));
    }
    let record = dir.join(CONTENTS);
    std::fs::write(&record, text).map_err(Error::io("cannot write", &record))
}

/// Checks a published entry against its contents record: the entry is a real folder, not
/// writable by others, and holds exactly the recorded files with their modes and hashes.
/// With `Depth::Stamps` a file whose stamp matches is not read.
pub fn check_entry(entry: &Path, depth: Depth) -> std::result::Result<(), Damage> {
    let damage = |file: &Path, reason: &str| Damage {
        file: file.to_path_buf(),
        reason: reason.to_string(),
    };
    let meta = std::fs::symlink_metadata(entry)
        .map_err(|e| damage(entry, &format!("cannot be read: {e}")))?;
    if meta.file_type().is_symlink() {
        return Err(damage(entry, "is a symlink, linked out of the cache"));
    }
    if !meta.is_dir() {
        return Err(damage(entry, "is not a folder"));
    }
    if meta.mode() & 0o002 != 0 {
        return Err(damage(entry, "is writable by others"));
    }
    let record = entry.join(CONTENTS);
    let text = std::fs::read_to_string(&record).unwrap_or_default();
    let recorded = parse_contents(&text).ok_or_else(|| {
        damage(
            &record,
            "is missing or unreadable (an entry from an older muslbuild, or edited)",
        )
    })?;
    let found = walk(entry).map_err(|e| damage(entry, &format!("cannot be read: {e}")))?;
    let mut want = recorded.iter().peekable();
    for (name, path, meta) in &found {
        // Both lists are in name order: names recorded before this one are missing.
        if let Some((missing, _)) = want.next_if(|(n, _)| *n < name.as_str()) {
            return Err(damage(&entry.join(missing), "is missing"));
        }
        let Some((_, want)) = want.next_if(|(n, _)| *n == name.as_str()) else {
            return Err(damage(path, "was added after the entry was published"));
        };
        let kind_now = kind_of(meta);
        if kind_now != want.kind {
            return Err(damage(path, "changed its kind (file, folder or symlink)"));
        }
        if kind_now != 'l' && meta.mode() & 0o7777 != want.mode {
            return Err(damage(
                path,
                &format!(
                    "changed its mode from {:o} to {:o}",
                    want.mode,
                    meta.mode() & 0o7777
                ),
            ));
        }
        if kind_now == 'd' {
            continue;
        }
        if kind_now == 'f' && meta.len() != want.size {
            return Err(damage(path, "changed its size since it was published"));
        }
        if depth == Depth::Stamps && kind_now == 'f' && want.stamp == stamp_of(meta) {
            continue;
        }
        let now = item_of(path, meta).map_err(|e| damage(path, &format!("cannot be read: {e}")))?;
        if now.content != want.content {
            return Err(damage(
                path,
                if kind_now == 'l' {
                    "changed its target since it was published"
                } else {
                    "changed its content since it was published"
                },
            ));
        }
    }
    if let Some((missing, _)) = want.next() {
        return Err(damage(&entry.join(missing), "is missing"));
    }
    Ok(())
}

/// Writes the completion record and the contents record into `temp` and renames it to
/// `dest`, replacing an incomplete or damaged leftover (a symlink is removed, never
/// followed). The caller holds the entry's lock.
pub fn publish_dir(temp: tempfile::TempDir, dest: &Path, record: &str) -> Result<()> {
    let record_path = temp.path().join(COMPLETE);
    std::fs::write(&record_path, record).map_err(Error::io("cannot write", &record_path))?;
    record_contents(temp.path())?;
    INTACT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|p| p != dest);
    match std::fs::symlink_metadata(dest) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(dest)
            .map_err(Error::io("cannot remove the stale cache entry", dest))?,
        Ok(_) => std::fs::remove_file(dest)
            .map_err(Error::io("cannot remove the stale cache entry", dest))?,
        Err(_) => {}
    }
    let temp = temp.keep();
    std::fs::rename(&temp, dest).map_err(|source| {
        let _ = std::fs::remove_dir_all(&temp);
        Error::Io {
            what: "cannot move into place",
            path: dest.to_path_buf(),
            source,
        }
    })
}

/// A one-line record (`probes/<name>`) followed by a check binding it to its file name,
/// so an edit is noticed: `read_checked_text` gives the line back only while it holds.
pub fn checked_text(record: &Path, line: &str) -> String {
    format!("{line}\ncheck {}\n", text_check(record, line))
}

fn text_check(record: &Path, line: &str) -> String {
    let name = record.file_name().unwrap_or_default().as_encoded_bytes();
    key([b"muslbuild-record-1".as_slice(), name, line.as_bytes()])
}

/// The line of a `checked_text` record: `Ok(None)` for an older record without a check
/// (looked up again, quietly), an error when the check fails.
pub fn read_checked_text<'a>(
    record: &Path,
    text: &'a str,
) -> std::result::Result<Option<&'a str>, Damage> {
    let mut lines = text.lines();
    let line = lines.next().unwrap_or_default();
    match lines.next().and_then(|l| l.strip_prefix("check ")) {
        Some(check) if check == text_check(record, line) => Ok(Some(line)),
        Some(_) => Err(Damage {
            file: record.to_path_buf(),
            reason: "was changed since it was written (its check does not match)".into(),
        }),
        None => Ok(None),
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`: a reader
/// sees the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(&temp_prefix(dir))
        .tempfile_in(dir)
        .map_err(Error::io("cannot write into", dir))?;
    temp.write_all(bytes)
        .map_err(Error::io("cannot write", path))?;
    // tempfile creates files 0600; outputs are meant to be read by others (and copied
    // into images) like any file the user's umask would allow.
    use std::os::unix::fs::PermissionsExt;
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(Error::io("cannot write", path))?;
    temp.persist(path).map_err(|e| Error::Io {
        what: "cannot write",
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

// The hashes moved to `sys::hash`; these names stay until every caller uses that path.
pub use crate::sys::hash::{file_sha256, sha256_hex};
pub(crate) use crate::sys::hash::{hex, key};

/// Serde for a path that need not be UTF-8 (`#[serde(with = "crate::cache::os_path")]`):
/// a string when it is valid UTF-8, else an array of its bytes; both read back.
pub mod os_path {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::PathBuf;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Text(String),
        Bytes(Vec<u8>),
    }

    pub fn serialize<S: Serializer>(path: &std::path::Path, s: S) -> Result<S::Ok, S::Error> {
        match path.to_str() {
            Some(text) => Repr::Text(text.to_string()),
            None => Repr::Bytes(path.as_os_str().as_bytes().to_vec()),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        Ok(match Repr::deserialize(d)? {
            Repr::Text(text) => PathBuf::from(text),
            Repr::Bytes(bytes) => PathBuf::from(std::ffi::OsString::from_vec(bytes)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_entry_is_complete_and_temp_is_gone() {
        let root = tempfile::tempdir().unwrap();
        let cache = Cache::new(root.path().to_path_buf());
        let temp = cache.temp_dir("libs").unwrap();
        std::fs::write(temp.path().join("lib.a"), b"x").unwrap();
        let dest = cache.dir("libs").join("entry");
        assert!(!is_complete(&dest));
        publish_dir(temp, &dest, "done").unwrap();
        assert!(is_complete(&dest));
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
        publish_dir(temp, &dest, "done").unwrap();
        dest
    }

    #[test]
    fn every_kind_of_tampering_is_named() {
        let root = tempfile::tempdir().unwrap();
        let cache = Cache::new(root.path().to_path_buf());
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
            assert!(is_complete(&entry));
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
        assert!(is_complete(&entry) && elsewhere.join("keep").exists());
    }

    #[test]
    fn names_that_are_not_utf8_are_recorded() {
        use std::os::unix::ffi::OsStrExt;
        let root = tempfile::tempdir().unwrap();
        let cache = Cache::new(root.path().to_path_buf());
        let temp = cache.temp_dir("libs").unwrap();
        let odd = std::ffi::OsStr::from_bytes(b"caf\xe9.h");
        std::fs::write(temp.path().join(odd), b"x").unwrap();
        let dest = cache.dir("libs").join("odd");
        publish_dir(temp, &dest, "done").unwrap();
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
        let cache = Cache::new(root.path().to_path_buf());
        let entry = published(&cache);
        let file = File::options()
            .write(true)
            .open(entry.join("lib/libx.a"))
            .unwrap();
        file.set_modified(std::time::UNIX_EPOCH).unwrap();
        assert!(is_complete(&entry));
    }

    #[test]
    fn folders_writable_by_others_or_linked_out_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let cache = Cache::new(root.path().to_path_buf());
        cache.check_folders().unwrap();
        std::fs::create_dir(cache.dir("libs")).unwrap();
        std::fs::set_permissions(cache.dir("libs"), std::fs::Permissions::from_mode(0o777))
            .unwrap();
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
        let cache = Cache::new(root.path().to_path_buf());
        drop(cache.temp_dir("libs").unwrap());
        assert_eq!(std::fs::read_dir(cache.dir("libs")).unwrap().count(), 0);
    }

    #[test]
    fn temps_of_dead_processes_are_swept_and_live_ones_kept() {
        let root = tempfile::tempdir().unwrap();
        let cache = Cache::new(root.path().to_path_buf());
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
        assert_eq!(temp_owner(std::ffi::OsStr::new(".tmp-12-x")), Some(12));
        assert_eq!(temp_owner(std::ffi::OsStr::new(".tmp-x")), None);
    }

    #[test]
    fn write_atomic_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
