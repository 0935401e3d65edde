//! Safe unpacking of an archive into an empty folder. Every entry is checked before
//! anything is written for it: absolute paths, `..`, entries that pass through a symlink,
//! symlinks whose target leaves the root, hard links to anything not already unpacked,
//! device files, sparse files and named pipes are refused. A symlink's target is resolved
//! for real, component by component through the links already unpacked (as the kernel's
//! `RESOLVE_BENEATH` would), when it is made and again once every entry exists, so a
//! chain of links cannot climb out. The archive is re-hashed while it is read when its
//! hash is known, and the unpacked size and entry count are capped (`Limits`) against
//! decompression bombs. Modes are reduced to 0755/0644, so nothing is setuid or
//! world-writable; files keep their archived mtimes (release tarballs must not look older
//! than their autotools inputs). Nothing here follows a link that the archive made:
//! files are created with `O_CREAT | O_EXCL | O_NOFOLLOW`.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    #[serde(rename = "tar.gz")]
    TarGz,
    #[serde(rename = "tar.xz")]
    TarXz,
    #[serde(rename = "tar.bz2")]
    TarBz2,
    #[serde(rename = "tar")]
    Tar,
    /// A zip file; Python wheels are zips.
    #[serde(rename = "zip", alias = "whl")]
    Zip,
}

impl Format {
    /// Guesses the format from a file name (`--from FILE`).
    pub fn from_name(name: &str) -> Option<Format> {
        let name = name.to_ascii_lowercase();
        if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Some(Format::TarGz)
        } else if name.ends_with(".tar.xz") || name.ends_with(".txz") {
            Some(Format::TarXz)
        } else if name.ends_with(".tar.bz2") || name.ends_with(".tbz2") {
            Some(Format::TarBz2)
        } else if name.ends_with(".tar") {
            Some(Format::Tar)
        } else if name.ends_with(".zip") || name.ends_with(".whl") {
            Some(Format::Zip)
        } else {
            None
        }
    }

    /// The format from the first bytes (cached sources are named by hash, not suffix);
    /// anything unrecognised is taken as a plain tar, whose reader then refuses it.
    pub fn sniff(path: &Path) -> Result<Format> {
        let mut magic = [0u8; 6];
        let mut file = File::open(path).map_err(Error::io("cannot read", path))?;
        let n = file
            .read(&mut magic)
            .map_err(Error::io("cannot read", path))?;
        let magic = &magic[..n];
        Ok(if magic.starts_with(&[0x1f, 0x8b]) {
            Format::TarGz
        } else if magic.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Format::TarXz
        } else if magic.starts_with(b"BZh") {
            Format::TarBz2
        } else if magic.starts_with(b"PK\x03\x04") {
            Format::Zip
        } else {
            Format::Tar
        })
    }
}

/// Caps on what one archive may unpack to, so a small hostile download cannot fill the
/// disk. The defaults are far above any toolchain or source release (a zig release
/// unpacks to about 0.4 GB in 20,000 entries); docs/toolchains.md documents them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_entries: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 8 << 30,
            max_entries: 500_000,
        }
    }
}

/// Unpacks the entries of `archive` that lie under `root` (a folder inside the archive,
/// `""` for all of it) into `dest`, with `root` stripped. `dest` must exist.
pub fn unpack(archive: &Path, format: Format, root: &str, dest: &Path) -> Result<()> {
    unpack_checked(archive, format, root, dest, None, Limits::default())
}

/// `unpack`, re-hashing the archive's bytes as they are read: when they are not the
/// expected sha256 (the file changed since it was verified), the unpack is an error, so
/// the caller discards the folder and nothing from it is used.
pub fn unpack_checked(
    archive: &Path,
    format: Format,
    root: &str,
    dest: &Path,
    sha256: Option<&str>,
    limits: Limits,
) -> Result<()> {
    let file = File::open(archive).map_err(Error::io("cannot read", archive))?;
    let hashing = HashingReader {
        inner: file,
        digest: crate::sys::hash::Hasher::new(),
    };
    let mut reader = std::io::BufReader::with_capacity(256 * 1024, hashing);
    let mut out = Unpacker {
        archive,
        dest,
        root: normal_components(root),
        links: HashSet::new(),
        files: HashSet::new(),
        count: 0,
        entries: 0,
        bytes: 0,
        limits,
    };
    match format {
        Format::TarGz => out.tar(flate2::read::MultiGzDecoder::new(&mut reader)),
        Format::TarXz => out.tar(lzma_rust2::XzReader::new(&mut reader, true)),
        Format::TarBz2 => out.tar(bzip2::read::MultiBzDecoder::new(&mut reader)),
        Format::Tar => out.tar(&mut reader),
        Format::Zip => out.zip(&mut reader),
    }?;
    out.check_all_links()?;
    if let Some(expected) = sha256 {
        // The rest of the file (padding after the tar's end) counts too.
        std::io::copy(&mut reader, &mut std::io::sink()).map_err(|e| out.read_error(e))?;
        let actual = reader.into_inner().digest.finish_hex();
        if !actual.eq_ignore_ascii_case(expected) {
            return Err(Error::ChecksumMismatch {
                url: archive.display().to_string(),
                expected: expected.to_ascii_lowercase(),
                actual,
            });
        }
    }
    if out.count == 0 {
        return Err(Error::UnsafeArchive {
            archive: archive.to_path_buf(),
            entry: root.to_string(),
            reason: "does not exist: the archive holds nothing under it".into(),
        });
    }
    Ok(())
}

struct HashingReader {
    inner: File,
    digest: crate::sys::hash::Hasher,
}

impl Read for HashingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digest.update(&buf[..n]);
        Ok(n)
    }
}

/// Where a symlink's target really lands, or why it leaves the root. The walk is the
/// kernel's: each component is looked up on disk (never followed out of `dest`), a link
/// met on the way is expanded in place, `..` climbs the resolved path, not the string.
/// Components that do not exist yet continue lexically; `check_all_links` repeats the
/// walk once everything exists.
fn resolve_beneath(dest: &Path, from: &Path, target: &Path) -> std::result::Result<(), String> {
    let mut resolved: Vec<OsString> = from.iter().map(|c| c.to_os_string()).collect();
    let mut pending: std::collections::VecDeque<OsString> = std::collections::VecDeque::new();
    let push_front = |pending: &mut std::collections::VecDeque<OsString>, path: &Path| {
        for component in path.iter().rev() {
            pending.push_front(component.to_os_string());
        }
    };
    if target.is_absolute() {
        return Err(format!("the absolute path `{}`", target.display()));
    }
    push_front(&mut pending, target);
    let mut followed = 0;
    while let Some(part) = pending.pop_front() {
        if part == "." {
            continue;
        }
        if part == ".." {
            if resolved.pop().is_none() {
                return Err("a place outside the archive's root".into());
            }
            continue;
        }
        resolved.push(part);
        let here: PathBuf = resolved.iter().collect();
        let path = dest.join(&here);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            followed += 1;
            if followed > 40 {
                return Err("a loop of symlinks".into());
            }
            let next = std::fs::read_link(&path).map_err(|e| format!("an unreadable link: {e}"))?;
            if next.is_absolute() {
                return Err(format!(
                    "`{}`, a link to the absolute path `{}`",
                    here.display(),
                    next.display()
                ));
            }
            resolved.pop();
            push_front(&mut pending, &next);
        }
    }
    Ok(())
}

struct Unpacker<'a> {
    archive: &'a Path,
    dest: &'a Path,
    root: Vec<String>,
    /// Symlinks made so far (relative paths): no later entry may pass through one.
    links: HashSet<PathBuf>,
    /// Regular files made so far: the only things a hard link may point to.
    files: HashSet<PathBuf>,
    /// Entries made under the root.
    count: usize,
    /// Entries read and bytes written, against `limits`.
    entries: u64,
    bytes: u64,
    limits: Limits,
}

impl Unpacker<'_> {
    fn refuse(&self, entry: &str, reason: impl Into<String>) -> Error {
        Error::UnsafeArchive {
            archive: self.archive.to_path_buf(),
            entry: entry.to_string(),
            reason: reason.into(),
        }
    }

    fn read_error(&self, e: std::io::Error) -> Error {
        Error::Io {
            what: "cannot unpack",
            path: self.archive.to_path_buf(),
            source: e,
        }
    }

    /// Counts an entry (and the bytes it declares) against the caps before anything is
    /// written for it.
    fn admit(&mut self, name: &str, declared: u64) -> Result<()> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(self.refuse(
                name,
                format!(
                    "is past the cap of {} entries per archive (a decompression bomb?)",
                    self.limits.max_entries
                ),
            ));
        }
        if self.bytes.saturating_add(declared) > self.limits.max_bytes {
            return Err(self.bomb(name));
        }
        Ok(())
    }

    fn bomb(&self, name: &str) -> Error {
        self.refuse(
            name,
            format!(
                "unpacks past the cap of {} bytes per archive (a decompression bomb?)",
                self.limits.max_bytes
            ),
        )
    }

    /// The entry's path below the root, or None when it lies outside the root (skipped).
    fn place(&self, name: &str) -> Result<Option<PathBuf>> {
        let mut parts = Vec::new();
        for component in Path::new(name).components() {
            match component {
                Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
                Component::CurDir => {}
                Component::ParentDir => return Err(self.refuse(name, "contains `..`")),
                Component::RootDir | Component::Prefix(_) => {
                    return Err(self.refuse(name, "is an absolute path"));
                }
            }
        }
        if parts.len() < self.root.len() || parts[..self.root.len()] != self.root[..] {
            return Ok(None);
        }
        let rel: PathBuf = parts[self.root.len()..].iter().collect();
        let mut ancestor = rel.parent();
        while let Some(dir) = ancestor.filter(|d| !d.as_os_str().is_empty()) {
            if self.links.contains(dir)
                || std::fs::symlink_metadata(self.dest.join(dir))
                    .is_ok_and(|m| m.file_type().is_symlink())
            {
                return Err(self.refuse(
                    name,
                    format!("passes through the symlink `{}`", dir.display()),
                ));
            }
            ancestor = dir.parent();
        }
        Ok(Some(rel))
    }

    /// Removes whatever an earlier entry put at `path` (never following a link), so a
    /// duplicate entry cannot write through a symlink.
    fn clear(&mut self, rel: &Path, path: &Path) -> Result<()> {
        if let Ok(meta) = std::fs::symlink_metadata(path)
            && !meta.is_dir()
        {
            std::fs::remove_file(path).map_err(Error::io("cannot replace", path))?;
        }
        self.links.remove(rel);
        self.files.remove(rel);
        Ok(())
    }

    fn make_parent(&self, path: &Path) -> Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(Error::io("cannot create", parent))?;
        }
        Ok(())
    }

    fn dir(&mut self, rel: &Path) -> Result<()> {
        let path = self.dest.join(rel);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_dir()) {
            self.clear(rel, &path)?;
        }
        std::fs::create_dir_all(&path).map_err(Error::io("cannot create", &path))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(Error::io("cannot set the mode of", &path))?;
        self.count += 1;
        Ok(())
    }

    fn file(
        &mut self,
        name: &str,
        rel: &Path,
        mode: u32,
        mtime: Option<u64>,
        content: &mut dyn Read,
    ) -> Result<()> {
        let path = self.dest.join(rel);
        self.make_parent(&path)?;
        self.clear(rel, &path)?;
        let mode = if mode & 0o111 != 0 { 0o755 } else { 0o644 };
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map_err(Error::io("cannot create", &path))?;
        // One byte past the cap tells a bomb from a file that fills it exactly.
        let room = self.limits.max_bytes - self.bytes;
        let written = std::io::copy(&mut content.take(room + 1), &mut file)
            .map_err(|e| self.read_error(e))?;
        if written > room {
            return Err(self.bomb(name));
        }
        self.bytes += written;
        // The umask may have cut bits off; the sanitised mode is what counts.
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(Error::io("cannot set the mode of", &path))?;
        if let Some(secs) = mtime {
            let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
            file.set_modified(when)
                .map_err(Error::io("cannot set the time of", &path))?;
        }
        self.files.insert(rel.to_path_buf());
        self.count += 1;
        Ok(())
    }

    fn symlink(&mut self, name: &str, rel: &Path, target: &Path) -> Result<()> {
        if target.is_absolute() {
            return Err(self.refuse(
                name,
                format!("is a symlink to the absolute path `{}`", target.display()),
            ));
        }
        self.check_link(name, rel, target)?;
        let path = self.dest.join(rel);
        self.make_parent(&path)?;
        self.clear(rel, &path)?;
        std::os::unix::fs::symlink(target, &path)
            .map_err(Error::io("cannot create the symlink", &path))?;
        self.links.insert(rel.to_path_buf());
        self.count += 1;
        Ok(())
    }

    fn check_link(&self, name: &str, rel: &Path, target: &Path) -> Result<()> {
        let from = rel.parent().unwrap_or(Path::new(""));
        resolve_beneath(self.dest, from, target).map_err(|lands| {
            self.refuse(
                name,
                format!(
                    "is a symlink to `{}`, which resolves to {lands}: it leaves the archive's root",
                    target.display()
                ),
            )
        })
    }

    /// Once every entry exists, each link is resolved again: a link made early through a
    /// path that did not exist yet may only now reach a later link.
    fn check_all_links(&self) -> Result<()> {
        let mut links: Vec<&PathBuf> = self.links.iter().collect();
        links.sort();
        for rel in links {
            let path = self.dest.join(rel);
            let target = std::fs::read_link(&path).map_err(Error::io("cannot read", &path))?;
            self.check_link(&rel.display().to_string(), rel, &target)?;
        }
        Ok(())
    }

    fn hard_link(&mut self, name: &str, rel: &Path, target_name: &str) -> Result<()> {
        let target = match self.place(target_name) {
            Ok(Some(target)) if self.files.contains(&target) => target,
            _ => {
                return Err(self.refuse(name, format!("is a hard link to `{target_name}`, which is not a file unpacked from this archive")));
            }
        };
        let path = self.dest.join(rel);
        self.make_parent(&path)?;
        self.clear(rel, &path)?;
        std::fs::hard_link(self.dest.join(&target), &path)
            .map_err(Error::io("cannot create the hard link", &path))?;
        self.files.insert(rel.to_path_buf());
        self.count += 1;
        Ok(())
    }

    fn tar(&mut self, reader: impl Read) -> Result<()> {
        let mut archive = tar::Archive::new(reader);
        let entries = archive.entries().map_err(|e| self.read_error(e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| self.read_error(e))?;
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let kind = entry.header().entry_type();
            if matches!(
                kind,
                tar::EntryType::XGlobalHeader
                    | tar::EntryType::XHeader
                    | tar::EntryType::GNULongName
                    | tar::EntryType::GNULongLink
            ) {
                continue;
            }
            self.admit(&name, entry.header().size().unwrap_or(0))?;
            let Some(rel) = self.place(&name)? else {
                continue;
            };
            match kind {
                tar::EntryType::Directory => {
                    if !rel.as_os_str().is_empty() {
                        self.dir(&rel)?;
                    }
                }
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    let mode = entry.header().mode().unwrap_or(0o644);
                    let mtime = entry.header().mtime().ok();
                    self.file(&name, &rel, mode, mtime, &mut entry)?;
                }
                tar::EntryType::Symlink => {
                    let target = entry
                        .link_name()
                        .map_err(|e| self.read_error(e))?
                        .ok_or_else(|| self.refuse(&name, "is a symlink without a target"))?;
                    self.symlink(&name, &rel, &target)?;
                }
                tar::EntryType::Link => {
                    let target = entry
                        .link_name_bytes()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default();
                    self.hard_link(&name, &rel, &target)?;
                }
                tar::EntryType::Char | tar::EntryType::Block => {
                    return Err(self.refuse(&name, "is a device file"));
                }
                tar::EntryType::Fifo => return Err(self.refuse(&name, "is a named pipe")),
                tar::EntryType::GNUSparse => {
                    return Err(self.refuse(
                        &name,
                        "is a sparse file (its holes could unpack to far more than the archive)",
                    ));
                }
                other => {
                    return Err(self.refuse(&name, format!("has an unsupported type ({other:?})")));
                }
            }
        }
        Ok(())
    }

    /// Zip's central directory is at the end, so the whole file is read into memory
    /// through the hashing reader first (wheels are tens of MB); nothing is read twice.
    fn zip(&mut self, reader: &mut impl Read) -> Result<()> {
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| self.read_error(e))?;
        let archive = self.archive;
        let invalid = |e| Error::Io {
            what: "cannot unpack",
            path: archive.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        };
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(invalid)?;
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).map_err(invalid)?;
            let name = entry.name().map_err(invalid)?.into_owned();
            self.admit(&name, entry.size())?;
            let Some(rel) = self.place(&name)? else {
                continue;
            };
            let mode = entry.unix_mode().unwrap_or(0o644);
            const S_IFMT: u32 = 0o170000;
            match mode & S_IFMT {
                _ if entry.is_dir() => {
                    if !rel.as_os_str().is_empty() {
                        self.dir(&rel)?;
                    }
                }
                0o120000 => {
                    let mut target = String::new();
                    (&mut entry)
                        .take(4096)
                        .read_to_string(&mut target)
                        .map_err(|e| self.read_error(e))?;
                    self.symlink(&name, &rel, Path::new(&target))?;
                }
                0 | 0o100000 => self.file(&name, &rel, mode, None, &mut entry)?,
                _ => return Err(self.refuse(&name, "is a device file or other special file")),
            }
        }
        Ok(())
    }
}

fn normal_components(path: &str) -> Vec<String> {
    Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar.gz built entry by entry with raw headers, so hostile names survive (the tar
    /// crate's builder refuses to write them).
    fn tar_gz(entries: &[(&str, tar::EntryType, &str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, kind, link, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            header.set_entry_type(*kind);
            header.set_mode(0o4777);
            header.set_size(data.len() as u64);
            if !link.is_empty() {
                header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
            }
            header.set_cksum();
            builder.append(&header, *data).unwrap();
        }
        let tar = builder.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        gz.finish().unwrap()
    }

    fn try_unpack(
        entries: &[(&str, tar::EntryType, &str, &[u8])],
        root: &str,
    ) -> (tempfile::TempDir, Result<()>) {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("a.tar.gz");
        std::fs::write(&archive, tar_gz(entries)).unwrap();
        let dest = dir.path().join("out");
        std::fs::create_dir(&dest).unwrap();
        let result = unpack(&archive, Format::TarGz, root, &dest);
        (dir, result)
    }

    use tar::EntryType as T;

    type Case<'a> = (&'a [(&'a str, T, &'a str, &'a [u8])], &'a str);

    #[test]
    fn strips_root_and_sanitises_modes() {
        let (dir, result) = try_unpack(
            &[
                ("top/", T::Directory, "", b""),
                ("top/bin/cc", T::Regular, "", b"#!/bin/sh\n"),
                ("top/bin/c++", T::Symlink, "cc", b""),
                ("top/bin/gcc", T::Link, "top/bin/cc", b""),
                ("other/x", T::Regular, "", b"x"),
            ],
            "top",
        );
        result.unwrap();
        let out = dir.path().join("out");
        let mode = std::fs::metadata(out.join("bin/cc"))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777;
        assert_eq!(mode, 0o755);
        assert_eq!(
            std::fs::read_link(out.join("bin/c++")).unwrap(),
            Path::new("cc")
        );
        assert!(out.join("bin/gcc").is_file());
        assert!(!out.join("x").exists() && !out.join("other").exists());
    }

    #[test]
    fn refuses_hostile_entries() {
        let cases: &[Case] = &[
            (&[("a/../../evil", T::Regular, "", b"x")], "`..`"),
            (&[("/tmp/evil", T::Regular, "", b"x")], "absolute"),
            (&[("up", T::Symlink, "../..", b"")], "leaves"),
            (&[("abs", T::Symlink, "/etc", b"")], "absolute"),
            (
                &[
                    ("d/l", T::Symlink, "..", b""),
                    ("d/l/m", T::Symlink, "..", b""),
                ],
                "passes through the symlink",
            ),
            (
                &[
                    ("l", T::Symlink, "sub", b""),
                    ("sub/", T::Directory, "", b""),
                    ("l/f", T::Regular, "", b"x"),
                ],
                "passes through",
            ),
            (&[("h", T::Link, "/etc/passwd", b"")], "hard link"),
            (&[("h", T::Link, "../outside", b"")], "hard link"),
            (&[("dev", T::Char, "", b"")], "device"),
        ];
        for (entries, want) in cases {
            let (_dir, result) = try_unpack(entries, "");
            let err = result.expect_err(want).to_string();
            assert!(err.contains(want), "{err} should mention {want}");
        }
    }

    #[test]
    fn a_duplicate_entry_never_writes_through_a_link() {
        let (tmp, result) = try_unpack(
            &[("f", T::Symlink, "g", b""), ("f", T::Regular, "", b"new")],
            "",
        );
        result.unwrap();
        assert_eq!(std::fs::read(tmp.path().join("out/f")).unwrap(), b"new");
        assert!(
            !tmp.path().join("out/g").exists(),
            "the write went through the link"
        );
    }

    #[test]
    fn zip_keeps_exec_bits_under_root() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.whl");
        let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
        let exe = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
        zip.start_file("ziglang/zig", exe).unwrap();
        std::io::Write::write_all(&mut zip, b"ELF").unwrap();
        zip.start_file(
            "ziglang/lib/a.zig",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.start_file(
            "ziglang-1.dist-info/RECORD",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.finish().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        unpack(&path, Format::Zip, "ziglang", &out).unwrap();
        assert_eq!(
            std::fs::metadata(out.join("zig"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o755
        );
        assert!(out.join("lib/a.zig").is_file());
        assert!(!out.join("RECORD").exists());
    }

    #[test]
    fn a_chain_of_links_cannot_climb_out() {
        let deep = "a/b/c/d/e/f/g/h";
        let up8 = "../../../../../../../..";
        let link = format!("{deep}/l");
        let through = format!("{link}/{up8}/..");
        let (dir, result) = try_unpack(
            &[
                (&format!("{deep}/"), T::Directory, "", b""),
                (&link, T::Symlink, up8, b""),
                ("esc", T::Symlink, &through, b""),
            ],
            "",
        );
        let err = result.unwrap_err().to_string();
        assert!(err.contains("`esc`") && err.contains("leaves"), "{err}");
        assert!(std::fs::symlink_metadata(dir.path().join("out/esc")).is_err());
    }

    #[test]
    fn a_link_made_before_the_link_it_passes_through_is_checked_again() {
        // `esc` is harmless while `d/l` does not exist; `d/l -> ..` alone is harmless too;
        // together `esc` is `d/l/../..`, one level above the root.
        let (_dir, result) = try_unpack(
            &[
                ("d/", T::Directory, "", b""),
                ("esc", T::Symlink, "d/l/../..", b""),
                ("d/l", T::Symlink, "..", b""),
            ],
            "",
        );
        let err = result.unwrap_err().to_string();
        assert!(err.contains("esc") && err.contains("leaves"), "{err}");
    }

    #[test]
    fn links_inside_the_root_and_loops() {
        let (dir, result) = try_unpack(
            &[
                ("lib/", T::Directory, "", b""),
                ("lib/x.so", T::Regular, "", b"x"),
                ("bin/", T::Directory, "", b""),
                ("bin/l", T::Symlink, "../lib", b""),
                ("y", T::Symlink, "bin/l/x.so", b""),
            ],
            "",
        );
        result.unwrap();
        assert_eq!(std::fs::read(dir.path().join("out/y")).unwrap(), b"x");
        let (_dir, result) = try_unpack(
            &[("p", T::Symlink, "q", b""), ("q", T::Symlink, "p/..", b"")],
            "",
        );
        assert!(result.unwrap_err().to_string().contains("loop"));
    }

    #[test]
    fn caps_refuse_bombs_before_writing_them() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("a.tar.gz");
        let big = vec![0u8; 4096];
        std::fs::write(
            &archive,
            tar_gz(&[("a", T::Regular, "", &big), ("b", T::Regular, "", &big)]),
        )
        .unwrap();
        let limits = Limits {
            max_bytes: 6000,
            max_entries: 10,
        };
        let dest = dir.path().join("out");
        std::fs::create_dir(&dest).unwrap();
        let err = unpack_checked(&archive, Format::TarGz, "", &dest, None, limits)
            .unwrap_err()
            .to_string();
        assert!(err.contains("cap of 6000 bytes"), "{err}");
        assert!(!dest.join("b").exists());
        let few = Limits {
            max_bytes: 1 << 20,
            max_entries: 1,
        };
        let dest = dir.path().join("out2");
        std::fs::create_dir(&dest).unwrap();
        let err = unpack_checked(&archive, Format::TarGz, "", &dest, None, few)
            .unwrap_err()
            .to_string();
        assert!(err.contains("cap of 1 entries"), "{err}");
    }

    #[test]
    fn a_changed_archive_fails_its_hash_while_unpacking() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("a.tar.gz");
        let bytes = tar_gz(&[("x/f", T::Regular, "", b"data")]);
        std::fs::write(&archive, &bytes).unwrap();
        let good = crate::sys::hash::sha256_hex(&bytes);
        let dest = dir.path().join("out");
        std::fs::create_dir(&dest).unwrap();
        unpack_checked(
            &archive,
            Format::TarGz,
            "",
            &dest,
            Some(&good),
            Limits::default(),
        )
        .unwrap();
        let dest = dir.path().join("out2");
        std::fs::create_dir(&dest).unwrap();
        let wrong = "0".repeat(64);
        let err = unpack_checked(
            &archive,
            Format::TarGz,
            "",
            &dest,
            Some(&wrong),
            Limits::default(),
        )
        .unwrap_err();
        assert!(matches!(err, Error::ChecksumMismatch { .. }), "{err:?}");
    }

    #[test]
    fn formats_are_sniffed_and_mtimes_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(3);
        header.set_mode(0o644);
        header.set_mtime(1_000_000_000);
        header.set_cksum();
        builder
            .append_data(&mut header, "top/configure.ac", &b"abc"[..])
            .unwrap();
        let tar = builder.into_inner().unwrap();
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        std::io::Write::write_all(&mut bz, &tar).unwrap();
        for (name, bytes, format) in [
            ("plain", tar.clone(), Format::Tar),
            ("bz", bz.finish().unwrap(), Format::TarBz2),
        ] {
            let archive = dir.path().join(name);
            std::fs::write(&archive, bytes).unwrap();
            assert_eq!(Format::sniff(&archive).unwrap(), format);
            let dest = dir.path().join(format!("{name}-out"));
            std::fs::create_dir(&dest).unwrap();
            unpack(&archive, format, "top", &dest).unwrap();
            let modified = std::fs::metadata(dest.join("configure.ac"))
                .unwrap()
                .modified()
                .unwrap();
            assert_eq!(
                modified,
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000)
            );
        }
    }

    #[test]
    fn sparse_files_and_pipes_are_refused() {
        for (kind, want) in [(T::Fifo, "pipe"), (T::Block, "device")] {
            let (_dir, result) = try_unpack(&[("s", kind, "", b"")], "");
            let err = result.unwrap_err().to_string();
            assert!(err.contains(want), "{err}");
        }
        // A GNU sparse entry: 512 stored bytes that claim to be a 1 MiB file of holes.
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..6].copy_from_slice(b"sparse");
        header.set_entry_type(T::GNUSparse);
        header.set_mode(0o644);
        header.set_size(512);
        let gnu = header.as_gnu_mut().unwrap();
        gnu.set_real_size(1 << 20);
        gnu.sparse[0] = tar::GnuSparseHeader {
            offset: *b"00003777000\0",
            numbytes: *b"00000001000\0",
        };
        header.set_cksum();
        let mut builder = tar::Builder::new(Vec::new());
        builder.append(&header, &[0u8; 512][..]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("s.tar");
        std::fs::write(&archive, builder.into_inner().unwrap()).unwrap();
        let err = unpack(&archive, Format::Tar, "", dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains("sparse"), "{err}");
    }

    #[test]
    fn missing_root_is_an_error() {
        let (_dir, result) = try_unpack(&[("a/x", T::Regular, "", b"x")], "b");
        assert!(result.unwrap_err().to_string().contains("holds nothing"));
    }
}
