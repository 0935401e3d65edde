//! What a published entry holds and whether it still does: the contents record written
//! at publication (every file's hash, mode and stamp), the check every use makes against
//! it, the seal that lets a use of a large entry (an installed toolchain) skip most of
//! that check, and the checked one-line records (`probes/`).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::sys::hash::{file_sha256, hex};
use crate::sys::key::{CacheKey, KeyKind};

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

/// The file listing what a published entry holds (`CONTENTS_HEADER`), beside `COMPLETE`.
pub(crate) const CONTENTS: &str = ".muslbuild-contents";

/// The first line of a seal (`write_seal`).
const SEAL_HEADER: &str = "muslbuild-seal 1";

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
pub(super) fn record_contents(dir: &Path) -> Result<()> {
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

/// The stamp of one sealed item: kind, mode, size (files) and inode, mtime, ctime.
type Sealed = (char, u32, u64, (u64, i64, i64));

fn sealed_item(meta: &std::fs::Metadata) -> Sealed {
    let kind = kind_of(meta);
    let size = if kind == 'f' { meta.len() } else { 0 };
    (kind, meta.mode() & 0o7777, size, stamp_of(meta))
}

/// Seals a published entry (an installed toolchain), or one whose seal no longer held
/// and whose files all checked out: the stamps of its top-level items, of every folder
/// at any depth and of every program (a file with an execute bit), so that a use stats
/// those (a thousand for zig) instead of every file (20,000). Adding, removing or
/// renaming a file anywhere changes its folder's stamp; editing a program changes its
/// own. An edit in place of another file (a header, an archive) leaves the seal whole:
/// `cache verify`, which hashes everything, finds it. The seal is kept outside the
/// entry (`seal`), so the entry holds what it held when published. An entry with a
/// name the seal cannot hold (`%`, not UTF-8) gets none and is checked file by file.
pub(super) fn write_seal(entry: &Path, seal: &Path) -> std::io::Result<()> {
    let mut text = format!("{SEAL_HEADER}\n");
    let contents = std::fs::symlink_metadata(entry.join(CONTENTS))?;
    let files = walk(entry)?;
    let sealed = files
        .iter()
        .map(|(name, _, meta)| (name.as_str(), meta))
        .chain([(CONTENTS, &contents)]);
    for (name, meta) in sealed {
        if name.contains('%') {
            return Ok(());
        }
        let (kind, mode, size, (ino, mtime, ctime)) = sealed_item(meta);
        let program = kind == 'f' && mode & 0o111 != 0;
        if name.contains('/') && kind != 'd' && !program {
            continue;
        }
        text.push_str(&format!(
            "{kind}\t{mode:o}\t{size}\t{ino}\t{mtime}\t{ctime}\t{name}\n"
        ));
    }
    let folder = seal.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder)?;
    // Beside it, then renamed over the old one: a reader sees one seal or the other.
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".tmp-{}-seal-", std::process::id()))
        .tempfile_in(folder)?;
    std::io::Write::write_all(&mut temp, text.as_bytes())?;
    // Readable like the entry's records, for whoever may use the cache.
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    temp.persist(seal).map(drop).map_err(|e| e.error)
}

fn parse_seal_line(line: &str) -> Option<(Sealed, &str)> {
    let mut fields = line.splitn(7, '\t');
    let mut next = || fields.next();
    let kind = next()?.chars().next()?;
    let mode = u32::from_str_radix(next()?, 8).ok()?;
    let size = next()?.parse().ok()?;
    let stamp = (
        next()?.parse().ok()?,
        next()?.parse().ok()?,
        next()?.parse().ok()?,
    );
    Some(((kind, mode, size, stamp), next()?))
}

/// The sealed stamp of `name` (relative) inside the open folder `folder`, not following
/// a link: `fstatat` from the entry walks half the path a lookup from `/` walks, and a
/// use of zig makes 1,300 of them.
fn sealed_item_at(folder: &std::fs::File, name: &str) -> Option<Sealed> {
    use std::os::fd::AsRawFd;
    let name = std::ffi::CString::new(name).ok()?;
    // SAFETY: a zeroed `stat` is a valid value for `fstatat` to fill.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: the folder's descriptor is open for this call, the name is NUL-terminated,
    // and `st` is a valid, exclusively borrowed buffer.
    let rc = unsafe {
        libc::fstatat(
            folder.as_raw_fd(),
            name.as_ptr(),
            &mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if rc != 0 {
        return None;
    }
    let kind = match st.st_mode & libc::S_IFMT {
        libc::S_IFLNK => 'l',
        libc::S_IFDIR => 'd',
        libc::S_IFREG => 'f',
        _ => '?',
    };
    let size = if kind == 'f' { st.st_size as u64 } else { 0 };
    let stamp = (
        st.st_ino,
        st.st_mtime * 1_000_000_000 + st.st_mtime_nsec,
        st.st_ctime * 1_000_000_000 + st.st_ctime_nsec,
    );
    Some((kind, st.st_mode & 0o7777, size, stamp))
}

/// Whether the entry's seal holds: every sealed item has its recorded stamp and the
/// top level holds exactly the sealed names (the completion and contents records among
/// them, so a new entry in the same place, or a seal left by a removed one, never
/// holds). False when there is no seal.
fn seal_holds(entry: &Path, seal: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(seal) else {
        return false;
    };
    let mut lines = text.lines();
    if lines.next() != Some(SEAL_HEADER) {
        return false;
    }
    let Ok(folder) = std::fs::File::open(entry) else {
        return false;
    };
    let mut top: Vec<&str> = Vec::new();
    for line in lines {
        let Some((want, name)) = parse_seal_line(line) else {
            return false;
        };
        if sealed_item_at(&folder, name) != Some(want) {
            return false;
        }
        if !name.contains('/') {
            top.push(name);
        }
    }
    let Ok(items) = std::fs::read_dir(entry) else {
        return false;
    };
    let mut found = Vec::with_capacity(top.len());
    for item in items {
        let Ok(item) = item else {
            return false;
        };
        match item.file_name().into_string() {
            Ok(name) => found.push(name),
            Err(_) => return false,
        }
    }
    found.sort();
    top.sort_unstable();
    found == top
}

/// The check a use makes. An entry with a seal (an installed toolchain) whose seal
/// holds is trusted on it; else every file's stamp is compared and every file whose
/// stamp differs hashed (`check_entry`), and an entry that passes is sealed again with
/// what it holds now, so the next use is cheap again (an entry copied from another
/// machine, or installed by a muslbuild without seals: checked in full once).
pub(crate) fn check_in_use(entry: &Path, seal: Option<&Path>) -> std::result::Result<(), Damage> {
    check_folder(entry)?;
    if seal.is_some_and(|seal| seal_holds(entry, seal)) {
        return Ok(());
    }
    check_entry(entry, Depth::Stamps)?;
    if let Some(seal) = seal {
        // Best effort: a cache this user may only read is checked in full every time.
        let _ = write_seal(entry, seal);
    }
    Ok(())
}

fn damage(file: &Path, reason: &str) -> Damage {
    Damage {
        file: file.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// The entry itself: a real folder, not writable by others.
fn check_folder(entry: &Path) -> std::result::Result<(), Damage> {
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
    Ok(())
}

/// Checks a published entry against its contents record: the entry is a real folder, not
/// writable by others, and holds exactly the recorded files with their modes and hashes.
/// With `Depth::Stamps` a file whose stamp matches is not read.
pub fn check_entry(entry: &Path, depth: Depth) -> std::result::Result<(), Damage> {
    check_folder(entry)?;
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

/// Checks a folder unpacked from elsewhere (the remote cache) against the contents record
/// it came with: exactly the recorded files, folders and links, every file hashed. Modes
/// and stamps are not compared: the unpacker sets its own safe modes, and publishing
/// records the entry afresh.
pub(crate) fn check_unpacked(dir: &Path) -> std::result::Result<(), Damage> {
    let damage = |file: &Path, reason: &str| Damage {
        file: file.to_path_buf(),
        reason: reason.to_string(),
    };
    let record = dir.join(CONTENTS);
    let text = std::fs::read_to_string(&record).unwrap_or_default();
    let recorded = parse_contents(&text)
        .ok_or_else(|| damage(&record, "is missing or is not a contents record"))?;
    let found = walk(dir).map_err(|e| damage(dir, &format!("cannot be read: {e}")))?;
    if found.len() != recorded.len() {
        let names: Vec<&str> = recorded.iter().map(|(n, _)| *n).collect();
        let extra = found.iter().find(|(n, ..)| !names.contains(&n.as_str()));
        return Err(match extra {
            Some((_, path, _)) => damage(path, "is not in the entry's contents record"),
            None => damage(dir, "lacks files its contents record lists"),
        });
    }
    for ((name, path, meta), (want_name, want)) in found.iter().zip(&recorded) {
        if name != want_name {
            return Err(damage(path, "is not in the entry's contents record"));
        }
        let now = item_of(path, meta).map_err(|e| damage(path, &format!("cannot be read: {e}")))?;
        if now.kind != want.kind || now.size != want.size || now.content != want.content {
            return Err(damage(path, "does not match the entry's contents record"));
        }
    }
    Ok(())
}

/// A one-line record (`probes/<name>`) followed by a check binding it to its file name,
/// so an edit is noticed: `read_checked_text` gives the line back only while it holds.
pub(crate) fn checked_text(record: &Path, line: &str) -> String {
    format!("{line}\ncheck {}\n", text_check(record, line))
}

fn text_check(record: &Path, line: &str) -> String {
    let name = record.file_name().unwrap_or_default().as_encoded_bytes();
    CacheKey::new(KeyKind::RecordCheck)
        .part("name", name)
        .part("line", line)
        .finish()
}

/// The line of a `checked_text` record: `Ok(None)` for an older record without a check
/// (looked up again, quietly), an error when the check fails.
pub(crate) fn read_checked_text<'a>(
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
