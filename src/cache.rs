//! The cache and its one rule: every entry appears by rename from a temporary directory
//! beside it, under a lock, and an entry without its completion record does not exist.
//! Also the atomic file write that `dist/` uses.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The file whose presence makes a cache directory count as complete.
pub const COMPLETE: &str = ".muslbuild-complete";

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
                if crate::cmd::verbosity() >= crate::cmd::NORMAL {
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
            .prefix(".tmp-")
            .tempdir_in(&dir)
            .map_err(Error::io("cannot create a temporary directory in", &dir))
    }
}

pub fn is_complete(entry: &Path) -> bool {
    entry.join(COMPLETE).is_file()
}

/// Writes the completion record into `temp` and renames it to `dest`, replacing an
/// incomplete leftover. The caller holds the entry's lock.
pub fn publish_dir(temp: tempfile::TempDir, dest: &Path, record: &str) -> Result<()> {
    let record_path = temp.path().join(COMPLETE);
    std::fs::write(&record_path, record).map_err(Error::io("cannot write", &record_path))?;
    if dest.exists() {
        std::fs::remove_dir_all(dest)
            .map_err(Error::io("cannot remove the stale cache entry", dest))?;
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

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`: a reader
/// sees the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".tmp-")
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

/// ring's SHA-256 (OpenSSL's assembly, SSSE3/AVX2 on x86 without SHA-NI) is about twice
/// as fast as sha2's portable code, and every artifact is hashed after its build: on a
/// warm Go build this hash was most of muslbuild's own overhead.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A cache key: the sha256 of every part, each length-prefixed so that no two different
/// part lists hash alike.
pub fn key<I, S>(parts: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    let mut hasher = Sha256::new();
    for part in parts {
        let part = part.as_ref();
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hex(&hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_parts() {
        assert_ne!(key(["ab", "c"]), key(["a", "bc"]));
        assert_eq!(key(["a", "b"]), key(["a", "b"]));
        assert_eq!(key(["x"]).len(), 64);
    }

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

    #[test]
    fn unpublished_temp_leaves_nothing() {
        let root = tempfile::tempdir().unwrap();
        let cache = Cache::new(root.path().to_path_buf());
        drop(cache.temp_dir("libs").unwrap());
        assert_eq!(std::fs::read_dir(cache.dir("libs")).unwrap().count(), 0);
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
