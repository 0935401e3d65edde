//! Safe unpacking of a verified archive into an empty folder. Every entry is checked
//! before anything is written for it: absolute paths, `..`, entries that pass through a
//! symlink, symlinks whose target leaves the root, hard links to anything not already
//! unpacked, and device files are refused. Modes are reduced to 0755/0644, so nothing is
//! setuid or world-writable. Nothing here follows a link that the archive made.

use std::collections::HashSet;
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
        } else if name.ends_with(".zip") || name.ends_with(".whl") {
            Some(Format::Zip)
        } else {
            None
        }
    }
}

/// Unpacks the entries of `archive` that lie under `root` (a folder inside the archive,
/// `""` for all of it) into `dest`, with `root` stripped. `dest` must exist.
pub fn unpack(archive: &Path, format: Format, root: &str, dest: &Path) -> Result<()> {
    let file = File::open(archive).map_err(Error::io("cannot read", archive))?;
    let reader = std::io::BufReader::with_capacity(256 * 1024, file);
    let mut out = Unpacker {
        archive,
        dest,
        root: normal_components(root),
        links: HashSet::new(),
        files: HashSet::new(),
        count: 0,
    };
    match format {
        Format::TarGz => out.tar(flate2::read::MultiGzDecoder::new(reader)),
        Format::TarXz => out.tar(lzma_rust2::XzReader::new(reader, true)),
        Format::Zip => out.zip(),
    }?;
    if out.count == 0 {
        return Err(Error::UnsafeArchive {
            archive: archive.to_path_buf(),
            entry: root.to_string(),
            reason: "does not exist: the archive holds nothing under it".into(),
        });
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
    count: usize,
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
            if self.links.contains(dir) {
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

    fn file(&mut self, rel: &Path, mode: u32, content: &mut dyn Read) -> Result<()> {
        let path = self.dest.join(rel);
        self.make_parent(&path)?;
        self.clear(rel, &path)?;
        let mode = if mode & 0o111 != 0 { 0o755 } else { 0o644 };
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&path)
            .map_err(Error::io("cannot create", &path))?;
        std::io::copy(content, &mut file).map_err(|e| self.read_error(e))?;
        // The umask may have cut bits off; the sanitised mode is what counts.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(Error::io("cannot set the mode of", &path))?;
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
        // Resolve the target lexically from the link's folder; entries never pass through
        // links, so the lexical answer is the real one.
        let mut depth: Vec<&std::ffi::OsStr> =
            rel.parent().map(|p| p.iter().collect()).unwrap_or_default();
        for component in target.components() {
            match component {
                Component::Normal(part) => depth.push(part),
                Component::CurDir => {}
                Component::ParentDir => {
                    if depth.pop().is_none() {
                        return Err(self.refuse(
                            name,
                            format!(
                                "is a symlink to `{}`, which leaves the archive's root",
                                target.display()
                            ),
                        ));
                    }
                }
                _ => return Err(self.refuse(name, "is a symlink with a strange target")),
            }
        }
        let path = self.dest.join(rel);
        self.make_parent(&path)?;
        self.clear(rel, &path)?;
        std::os::unix::fs::symlink(target, &path)
            .map_err(Error::io("cannot create the symlink", &path))?;
        self.links.insert(rel.to_path_buf());
        self.count += 1;
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
                    self.file(&rel, mode, &mut entry)?;
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
                other => {
                    return Err(self.refuse(&name, format!("has an unsupported type ({other:?})")));
                }
            }
        }
        Ok(())
    }

    fn zip(&mut self) -> Result<()> {
        let file = File::open(self.archive).map_err(Error::io("cannot read", self.archive))?;
        let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| {
            self.read_error(std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        })?;
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).map_err(|e| {
                self.read_error(std::io::Error::new(std::io::ErrorKind::InvalidData, e))
            })?;
            let name = entry
                .name()
                .map_err(|e| {
                    self.read_error(std::io::Error::new(std::io::ErrorKind::InvalidData, e))
                })?
                .into_owned();
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
                    entry
                        .read_to_string(&mut target)
                        .map_err(|e| self.read_error(e))?;
                    self.symlink(&name, &rel, Path::new(&target))?;
                }
                0 | 0o100000 => self.file(&rel, mode, &mut entry)?,
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
    fn missing_root_is_an_error() {
        let (_dir, result) = try_unpack(&[("a/x", T::Regular, "", b"x")], "b");
        assert!(result.unwrap_err().to_string().contains("holds nothing"));
    }
}
