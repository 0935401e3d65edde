//! Files that appear whole: the atomic write, and the temporary names everything is
//! staged under (`.tmp-<pid>-…`) so that an interrupt, or a later run, can remove what a
//! stopped process left behind.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// The folders this process made temporary files or folders in, so that an interrupt can
/// remove them (`remove_own`) although no destructor runs. Owned by the process
/// `Supervisor`, shared with the cache.
#[derive(Debug, Default)]
pub struct Temps {
    parents: Mutex<Vec<PathBuf>>,
}

impl Temps {
    /// The name prefix of a temporary file or folder made in `parent`: `.tmp-<pid>-`. The
    /// pid tells a later run whether the owner is still alive (`sweep_dead_temps`).
    pub(crate) fn prefix(&self, parent: &Path) -> String {
        if let Ok(mut parents) = self.parents.lock()
            && !parents.iter().any(|p| p == parent)
        {
            parents.push(parent.to_path_buf());
        }
        own_prefix()
    }

    /// Removes this process's temporary entries in every folder it made one in: the
    /// interrupt handler's cleanup, right before it exits. The registry stays locked
    /// afterwards, so no thread starts a new temporary entry (every one asks `prefix`
    /// first) between this cleanup and the exit.
    pub(crate) fn remove_own(&self) {
        let prefix = own_prefix();
        let Ok(guard) = self.parents.lock() else {
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
}

fn own_prefix() -> String {
    format!(".tmp-{}-", std::process::id())
}

/// The owner pid of a temporary entry's name (`.tmp-<pid>-…`); `None` for other names.
pub(crate) fn temp_owner(name: &std::ffi::OsStr) -> Option<u32> {
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
pub(crate) fn sweep_dead_temps(dir: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return removed;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if let Some(pid) = temp_owner(&entry.file_name())
            && sweep_dead_temp(&path, pid)
        {
            removed.push(path);
        }
    }
    removed
}

/// Removes the temporary entry `path` owned by `pid` if that process is gone; returns
/// whether it did.
pub(crate) fn sweep_dead_temp(path: &Path, pid: u32) -> bool {
    if pid == std::process::id() || process_alive(pid) {
        return false;
    }
    let gone = match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        _ => std::fs::remove_file(path),
    };
    gone.is_ok()
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`: a reader
/// sees the old file or the new one, never half of one.
pub(crate) fn write_atomic(temps: &Temps, path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(&temps.prefix(dir))
        .tempfile_in(dir)
        .map_err(Error::io("cannot write into", dir))?;
    temp.write_all(bytes)
        .map_err(|e| Error::io("cannot write", path)(e).needing(bytes.len() as u64))?;
    // tempfile creates files 0600; outputs are meant to be read by others (and copied
    // into images) like any file the user's umask would allow.
    use std::os::unix::fs::PermissionsExt;
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(Error::io("cannot write", path))?;
    temp.persist(path)
        .map_err(|e| Error::io("cannot write", path)(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let temps = Temps::default();
        write_atomic(&temps, &path, b"one").unwrap();
        write_atomic(&temps, &path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn own_temps_are_removed_and_others_kept() {
        let dir = tempfile::tempdir().unwrap();
        let temps = Temps::default();
        let mine = dir.path().join(format!("{}x", temps.prefix(dir.path())));
        std::fs::create_dir_all(mine.join("sub")).unwrap();
        let other = dir.path().join(".tmp-1-y");
        std::fs::write(&other, b"").unwrap();
        temps.remove_own();
        assert!(!mine.exists());
        assert!(other.exists());
    }

    #[test]
    fn dead_owners_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        // pid_max is at most 2^22 on Linux: this pid cannot be running.
        let dead = dir.path().join(".tmp-4194305-abc");
        std::fs::create_dir_all(dead.join("sub")).unwrap();
        let foreign = dir.path().join(".tmp-legacy");
        std::fs::create_dir_all(&foreign).unwrap();
        assert_eq!(sweep_dead_temps(dir.path()), vec![dead.clone()]);
        assert!(foreign.is_dir(), "a name without a pid is left alone");
        assert_eq!(temp_owner(std::ffi::OsStr::new(".tmp-12-x")), Some(12));
        assert_eq!(temp_owner(std::ffi::OsStr::new(".tmp-x")), None);
    }
}
