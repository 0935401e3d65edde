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
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Format {
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
    /// A Debian binary package: an `ar` archive whose `data.tar.*` member holds the files.
    #[serde(rename = "deb")]
    Deb,
}

impl Format {
    /// Guesses the format from a file name (`--from FILE`).
    pub(crate) fn from_name(name: &str) -> Option<Format> {
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
        } else if name.ends_with(".deb") {
            Some(Format::Deb)
        } else {
            None
        }
    }

    /// The format from the first bytes (cached sources are named by hash, not suffix);
    /// anything unrecognised is taken as a plain tar, whose reader then refuses it.
    pub(crate) fn sniff(path: &Path) -> Result<Format> {
        let mut magic = [0u8; 8];
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
        } else if magic.starts_with(b"!<arch>\n") {
            Format::Deb
        } else {
            Format::Tar
        })
    }
}

/// Caps on what one archive may unpack to, so a small hostile download cannot fill the
/// disk. The defaults are far above any toolchain or source release (a zig release
/// unpacks to about 0.4 GB in 20,000 entries); docs/toolchains.md documents them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    pub(crate) max_bytes: u64,
    pub(crate) max_entries: u64,
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
/// `""` for all of it) into `dest`, with `root` stripped. `dest` must exist. With
/// `expected`, the archive's bytes are hashed again as they are read: when they are not
/// that sha256 (the file changed since it was verified), the unpack is an error, so the
/// caller discards the folder and nothing from it is used.
pub(crate) fn unpack_checked(
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
        Format::Deb => out.deb(&mut reader),
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

mod formats;
mod links;
#[cfg(test)]
mod tests;
