//! Reading the archive families, tar (plain or compressed), zip and Debian packages (an
//! `ar` archive around a compressed tar), entry by entry into the checks of `Unpacker`.

use std::io::Read;
use std::path::Path;

use super::Unpacker;
use crate::error::{Error, Result};

impl Unpacker<'_> {
    pub(super) fn tar(&mut self, reader: impl Read) -> Result<()> {
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

    /// A Debian binary package: `debian-binary`, `control.tar.*`, then `data.tar.*`,
    /// members of an `ar` archive. Only the files (`data.tar`) are unpacked.
    pub(super) fn deb(&mut self, reader: &mut impl Read) -> Result<()> {
        let mut archive = ar::Archive::new(reader);
        while let Some(member) = archive.next_entry() {
            let member = member.map_err(|e| self.read_error(e))?;
            let name = String::from_utf8_lossy(member.header().identifier()).into_owned();
            match name.as_str() {
                "data.tar.xz" => return self.tar(lzma_rust2::XzReader::new(member, true)),
                "data.tar.gz" => return self.tar(flate2::read::MultiGzDecoder::new(member)),
                "data.tar" => return self.tar(member),
                other if other.starts_with("data.tar") => {
                    return Err(self.refuse(
                        other,
                        "is compressed in a way muslbuild does not read (it reads xz and gzip)",
                    ));
                }
                _ => {}
            }
        }
        Err(self.refuse(
            "data.tar",
            "is missing: this is not a Debian binary package",
        ))
    }

    /// Zip's central directory is at the end, so the whole file is read into memory
    /// through the hashing reader first (wheels are tens of MB); nothing is read twice.
    pub(super) fn zip(&mut self, reader: &mut impl Read) -> Result<()> {
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
