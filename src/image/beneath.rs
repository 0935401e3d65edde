//! Reading a file from inside a folder without following any symbolic link on the way:
//! each component is opened with `openat(…, O_NOFOLLOW)` relative to the one before, so a
//! link planted in `dist/` (to `/etc/shadow`, or a folder link out of it) is refused by
//! the kernel rather than by a string check that a rename could race.

use std::ffi::CString;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Why a path inside the folder could not be read.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// Not a plain relative path: absolute, `..`, `.`, an empty or control-character part.
    NotPlain(&'static str),
    /// A component is a symbolic link.
    Symlink(String),
    /// The last component is not a regular file (a folder, a device, a FIFO).
    NotRegular,
    NotFound,
    Io(std::io::Error),
}

/// `a/b/c` -> its components, when every one is a plain name.
pub(crate) fn plain_components(relative: &str) -> Result<Vec<&str>, Refusal> {
    if relative.starts_with('/') {
        return Err(Refusal::NotPlain("it is absolute"));
    }
    if relative.chars().any(char::is_control) {
        return Err(Refusal::NotPlain("it has a control character"));
    }
    let parts: Vec<&str> = relative.split('/').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == "..")
    {
        return Err(Refusal::NotPlain("it has an empty, `.` or `..` part"));
    }
    Ok(parts)
}

/// The bytes of `root/relative`, read through descriptors that never follow a link; the
/// root itself is opened normally (it is the user's choice of folder).
pub(crate) fn read(root: &Path, relative: &str) -> Result<Vec<u8>, Refusal> {
    let parts = plain_components(relative)?;
    let mut dir = open_at(None, root.as_os_str().as_bytes(), libc::O_DIRECTORY, false)
        .map_err(|e| classify(e, relative))?;
    let (last, folders) = parts.split_last().expect("split gives one part at least");
    let mut walked = String::new();
    for part in folders {
        walked.push_str(part);
        dir = open_at(Some(&dir), part.as_bytes(), libc::O_DIRECTORY, true)
            .map_err(|e| classify(e, &walked))?;
        walked.push('/');
    }
    let fd = open_at(Some(&dir), last.as_bytes(), 0, true).map_err(|e| classify(e, relative))?;
    let mut file = File::from(fd);
    let meta = file.metadata().map_err(Refusal::Io)?;
    if !meta.is_file() {
        return Err(Refusal::NotRegular);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut bytes).map_err(Refusal::Io)?;
    Ok(bytes)
}

fn open_at(
    dir: Option<&OwnedFd>,
    name: &[u8],
    flags: libc::c_int,
    no_follow: bool,
) -> std::io::Result<OwnedFd> {
    let name = CString::new(name).map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
    let mut flags = flags | libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NONBLOCK;
    if no_follow {
        flags |= libc::O_NOFOLLOW;
    }
    let dirfd = dir.map_or(libc::AT_FDCWD, |d| d.as_raw_fd());
    // SAFETY: `name` is NUL-terminated and outlives the call; `dirfd` is open or AT_FDCWD.
    let fd = unsafe { libc::openat(dirfd, name.as_ptr(), flags) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `openat` returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `O_NOFOLLOW` on a link gives `ELOOP`; `O_DIRECTORY` on a link (or a file) gives
/// `ENOTDIR`, which for a path the manifest names means the same refusal.
fn classify(e: std::io::Error, walked: &str) -> Refusal {
    match e.raw_os_error() {
        Some(libc::ELOOP) | Some(libc::ENOTDIR) => Refusal::Symlink(walked.to_string()),
        Some(libc::ENOENT) => Refusal::NotFound,
        _ => Refusal::Io(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_files_and_refuses_links_on_every_component() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("x86_64")).unwrap();
        std::fs::write(root.join("x86_64/hello"), b"elf").unwrap();
        assert_eq!(read(root, "x86_64/hello").unwrap(), b"elf");

        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"host").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.join("x86_64/link"))
            .unwrap();
        assert!(matches!(
            read(root, "x86_64/link"),
            Err(Refusal::Symlink(p)) if p == "x86_64/link"
        ));
        std::os::unix::fs::symlink(outside.path(), root.join("armv7")).unwrap();
        assert!(matches!(
            read(root, "armv7/secret"),
            Err(Refusal::Symlink(p)) if p == "armv7"
        ));
        assert!(matches!(read(root, "x86_64"), Err(Refusal::NotRegular)));
        assert!(matches!(read(root, "x86_64/nope"), Err(Refusal::NotFound)));
        for bad in [
            "/etc/passwd",
            "../etc/passwd",
            "x86_64/../x86_64/hello",
            "a//b",
            "a\nb",
        ] {
            assert!(
                matches!(read(root, bad), Err(Refusal::NotPlain(_))),
                "{bad}"
            );
        }
    }
}
