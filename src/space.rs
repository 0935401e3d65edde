//! Which file system holds a path and how much room is left on it, for the error that
//! says a disk is full, and bytes as people read them. Reads metadata only (`stat`, `statvfs`); imports nothing of
//! muslbuild's, so `error.rs` can use it.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A file system as the user can find it: where it is mounted, and the bytes an
/// unprivileged writer may still use there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Room {
    pub mount: PathBuf,
    pub free: u64,
}

/// The file system that holds `path` (or would: the nearest folder that exists), or
/// `None` when nothing along it can be read.
pub(crate) fn room_at(path: &Path) -> Option<Room> {
    let existing = path
        .ancestors()
        .filter(|p| !p.as_os_str().is_empty())
        .find(|p| std::fs::symlink_metadata(p).is_ok())
        .unwrap_or(Path::new("."));
    let existing = std::fs::canonicalize(existing).ok()?;
    let device = std::fs::metadata(&existing).ok()?.dev();
    // The mount point is the last folder up the tree still on the same device.
    let mount = existing
        .ancestors()
        .take_while(|p| std::fs::metadata(p).is_ok_and(|m| m.dev() == device))
        .last()
        .unwrap_or(&existing)
        .to_path_buf();
    let name = CString::new(existing.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs writes one struct it is given and reads a NUL-terminated path.
    let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(name.as_ptr(), &mut stats) } != 0 {
        return None;
    }
    // The fields are 32-bit where muslbuild itself is a 32-bit program.
    #[allow(clippy::useless_conversion)]
    let free = u64::from(stats.f_bavail).saturating_mul(u64::from(stats.f_frsize));
    Some(Room { mount, free })
}

/// Whether a failed write ran out of room: the file system is full (ENOSPC) or the
/// user's quota is used up (EDQUOT).
pub(crate) fn out_of_room(error: &std::io::Error) -> Option<Shortage> {
    match error.raw_os_error() {
        Some(libc::ENOSPC) => Some(Shortage::Full),
        Some(libc::EDQUOT) => Some(Shortage::Quota),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortage {
    /// ENOSPC.
    Full,
    /// EDQUOT.
    Quota,
}

/// Bytes as people read them: `812 B`, `6.8 KiB`, `1.5 MiB`.
pub(crate) fn human_size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_path_is_measured_on_the_folder_that_would_hold_it() {
        let dir = tempfile::tempdir().unwrap();
        let room = room_at(&dir.path().join("not/yet/made")).unwrap();
        assert_eq!(room.mount, room_at(dir.path()).unwrap().mount);
        assert!(dir.path().canonicalize().unwrap().starts_with(&room.mount));
        assert_eq!(room_at(Path::new("/")).unwrap().mount, Path::new("/"));
    }

    #[test]
    fn only_enospc_and_edquot_are_out_of_room() {
        let full = std::io::Error::from_raw_os_error(libc::ENOSPC);
        assert_eq!(out_of_room(&full), Some(Shortage::Full));
        let quota = std::io::Error::from_raw_os_error(libc::EDQUOT);
        assert_eq!(out_of_room(&quota), Some(Shortage::Quota));
        let denied = std::io::Error::from_raw_os_error(libc::EACCES);
        assert_eq!(out_of_room(&denied), None);
    }
}
