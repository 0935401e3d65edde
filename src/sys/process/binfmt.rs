//! A binfmt_misc private to one command: the child enters a user and mount namespace of
//! its own, mounts a fresh binfmt_misc there (Linux ≥ 6.7 lets a user namespace have
//! one) and registers interpreters for foreign ELF machines (qemu-user), then execs the
//! command. Everything the command starts inherits the namespace, so a Makefile's
//! `./gen > table.h` runs the target's `gen` under qemu; nothing changes outside it,
//! and the registration dies with the command. No root is needed.
//!
//! It is done in the child between fork and exec (`Cmd`'s pre-exec hook) rather than by
//! a re-exec of muslbuild: no second program start, no argv protocol, and the child is
//! single-threaded there, which `unshare(CLONE_NEWUSER)` requires. The price is that
//! only async-signal-safe calls may run: every byte the child writes is prepared here,
//! before the fork, and the child only calls `unshare`, `open`, `write`, `close` and
//! `mount`.
//!
//! Two user namespaces, one inside the other: registering needs the namespace's root
//! (the outer one maps the caller's uid to 0), while the build must see the caller's own
//! uid as it does today (the inner one maps it back). A binfmt_misc is found by walking
//! up the user namespaces, so the inner one uses the outer one's registrations.

use std::ffi::CStr;
use std::path::PathBuf;

/// One interpreter: executables whose first 20 bytes match `magic` under `mask` run
/// through `interpreter`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Registration {
    /// The entry's name in binfmt_misc (`muslbuild-aarch64`).
    pub(crate) name: String,
    pub(crate) magic: [u8; 20],
    pub(crate) mask: [u8; 20],
    /// An absolute path, opened by the kernel at registration (`F`), so the interpreter
    /// is found whatever the command's mounts and root.
    pub(crate) interpreter: PathBuf,
}

/// What the child of a command with a private binfmt_misc does, prepared before the fork.
#[derive(Debug)]
pub(crate) struct PrivateBinfmt {
    registrations: Vec<Registration>,
    /// `/proc/self/{uid,gid}_map` lines: outer (the caller's ids as 0) and inner (0 as the
    /// caller's ids again).
    outer_uid_map: Vec<u8>,
    outer_gid_map: Vec<u8>,
    inner_uid_map: Vec<u8>,
    inner_gid_map: Vec<u8>,
    /// What is written to `register`, one write per interpreter.
    register_lines: Vec<Vec<u8>>,
}

/// The step of the set-up that failed, for an error that says what is missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// `unshare(CLONE_NEWUSER | CLONE_NEWNS)`: user namespaces are off or restricted.
    UserNamespace,
    /// Writing `/proc/self/uid_map`, `gid_map` or `setgroups`.
    IdMap,
    /// Making the new mount namespace's mounts private.
    MountPropagation,
    /// Mounting binfmt_misc inside the namespace: Linux before 6.7 refuses it.
    Mount,
    /// Writing an entry to `register`.
    Register,
}

/// A failed set-up: where, and the `errno`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SetupFailure {
    pub(crate) stage: Stage,
    pub(crate) errno: i32,
}

impl std::fmt::Display for SetupFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.stage {
            Stage::UserNamespace => "unshare(CLONE_NEWUSER|CLONE_NEWNS)",
            Stage::IdMap => "writing /proc/self/uid_map",
            Stage::MountPropagation => "making the mounts private",
            Stage::Mount => "mount -t binfmt_misc",
            Stage::Register => "writing /proc/sys/fs/binfmt_misc/register",
        };
        write!(
            f,
            "{what}: {}",
            std::io::Error::from_raw_os_error(self.errno)
        )
    }
}

const SETGROUPS: &CStr = c"/proc/self/setgroups";
const UID_MAP: &CStr = c"/proc/self/uid_map";
const GID_MAP: &CStr = c"/proc/self/gid_map";
const ROOT: &CStr = c"/";
const BINFMT_MISC: &CStr = c"binfmt_misc";
const MOUNT_POINT: &CStr = c"/proc/sys/fs/binfmt_misc";
const REGISTER: &CStr = c"/proc/sys/fs/binfmt_misc/register";

/// A set-up failure crosses from the child to `spawn` as an errno (std sends only that
/// through its pipe): the stage and the real errno are packed above this base, where no
/// kernel errno lives, and unpacked by `SetupFailure::from_spawn_error`.
const PACKED_BASE: i32 = 0x4d42_0000;

impl PrivateBinfmt {
    /// Prepares the child's work for these interpreters, for the calling user. `None`
    /// when an interpreter cannot be registered at all (a path that is not absolute, or
    /// holds a newline or NUL).
    pub(crate) fn new(registrations: Vec<Registration>) -> Option<PrivateBinfmt> {
        // SAFETY: geteuid and getegid cannot fail.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let register_lines = registrations
            .iter()
            .map(register_line)
            .collect::<Option<Vec<_>>>()?;
        Some(PrivateBinfmt {
            registrations,
            outer_uid_map: format!("0 {uid} 1").into_bytes(),
            outer_gid_map: format!("0 {gid} 1").into_bytes(),
            inner_uid_map: format!("{uid} 0 1").into_bytes(),
            inner_gid_map: format!("{gid} 0 1").into_bytes(),
            register_lines,
        })
    }

    pub(crate) fn registrations(&self) -> &[Registration] {
        &self.registrations
    }

    /// Enters the namespaces and registers the interpreters. Runs in the child between
    /// fork and exec: async-signal-safe calls only, no allocation.
    ///
    /// # Safety
    /// Only in a freshly forked, single-threaded child that execs or exits next.
    pub(crate) unsafe fn enter(&self) -> Result<(), SetupFailure> {
        unsafe {
            check(
                libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS),
                Stage::UserNamespace,
            )?;
            map_ids(&self.outer_uid_map, &self.outer_gid_map)?;
            // The new mount namespace must not pass its mounts back to the caller's.
            check(
                libc::mount(
                    std::ptr::null(),
                    ROOT.as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ),
                Stage::MountPropagation,
            )?;
            check(
                libc::mount(
                    BINFMT_MISC.as_ptr(),
                    MOUNT_POINT.as_ptr(),
                    BINFMT_MISC.as_ptr(),
                    libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                    std::ptr::null(),
                ),
                Stage::Mount,
            )?;
            for line in &self.register_lines {
                write_file(REGISTER, line, Stage::Register)?;
            }
            check(libc::unshare(libc::CLONE_NEWUSER), Stage::UserNamespace)?;
            map_ids(&self.inner_uid_map, &self.inner_gid_map)
        }
    }
}

impl SetupFailure {
    /// The errno a pre-exec hook returns for this failure.
    pub(crate) fn packed(self) -> std::io::Error {
        let stage = match self.stage {
            Stage::UserNamespace => 0,
            Stage::IdMap => 1,
            Stage::MountPropagation => 2,
            Stage::Mount => 3,
            Stage::Register => 4,
        };
        std::io::Error::from_raw_os_error(PACKED_BASE + (stage << 12) + (self.errno & 0xfff))
    }

    /// The failure a spawn error carries, if it is one.
    pub(crate) fn from_spawn_error(err: &std::io::Error) -> Option<SetupFailure> {
        let code = err.raw_os_error()?.checked_sub(PACKED_BASE)?;
        let stage = match code >> 12 {
            0 => Stage::UserNamespace,
            1 => Stage::IdMap,
            2 => Stage::MountPropagation,
            3 => Stage::Mount,
            4 => Stage::Register,
            _ => return None,
        };
        Some(SetupFailure {
            stage,
            errno: code & 0xfff,
        })
    }
}

/// `:name:M::magic:mask:interpreter:F` with the magic and mask as `\xHH` escapes. The
/// first byte is the field separator: `:` unless the interpreter's path holds one.
fn register_line(r: &Registration) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let path = r.interpreter.as_os_str().as_bytes();
    if !r.interpreter.is_absolute() || path.iter().any(|&b| b == b'\n' || b == 0) {
        return None;
    }
    let separator = [b':', b'|', b'#', b'!', b'@', b'%']
        .into_iter()
        .find(|s| !path.contains(s) && !r.name.as_bytes().contains(s))?;
    let hex = |bytes: &[u8]| -> String { bytes.iter().map(|b| format!("\\x{b:02x}")).collect() };
    let mut line = Vec::new();
    for field in [
        r.name.as_bytes(),
        b"M",
        b"",
        hex(&r.magic).as_bytes(),
        hex(&r.mask).as_bytes(),
        path,
        // F: the kernel opens the interpreter now, not at each exec.
        b"F",
    ] {
        line.push(separator);
        line.extend_from_slice(field);
    }
    Some(line)
}

unsafe fn map_ids(uid_map: &[u8], gid_map: &[u8]) -> Result<(), SetupFailure> {
    unsafe {
        // An unprivileged gid_map needs setgroups denied first; the file is missing only on
        // kernels older than 3.19, which cannot mount binfmt_misc here anyway.
        match write_file(SETGROUPS, b"deny", Stage::IdMap) {
            Err(SetupFailure { errno, .. }) if errno != libc::ENOENT => {
                return Err(SetupFailure {
                    stage: Stage::IdMap,
                    errno,
                });
            }
            _ => {}
        }
        write_file(UID_MAP, uid_map, Stage::IdMap)?;
        write_file(GID_MAP, gid_map, Stage::IdMap)
    }
}

/// One `write` of all of `bytes` (proc files take a map or an entry in one write).
unsafe fn write_file(path: &CStr, bytes: &[u8], stage: Stage) -> Result<(), SetupFailure> {
    unsafe {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        check(fd, stage)?;
        let written = libc::write(fd, bytes.as_ptr().cast(), bytes.len());
        let errno = last_errno();
        libc::close(fd);
        if written < 0 {
            return Err(SetupFailure { stage, errno });
        }
        if written as usize != bytes.len() {
            return Err(SetupFailure {
                stage,
                errno: libc::EIO,
            });
        }
        Ok(())
    }
}

fn check(rc: libc::c_int, stage: Stage) -> Result<(), SetupFailure> {
    if rc < 0 {
        return Err(SetupFailure {
            stage,
            errno: last_errno(),
        });
    }
    Ok(())
}

fn last_errno() -> i32 {
    // SAFETY: reads this thread's errno.
    unsafe { *libc::__errno_location() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration(interpreter: &str) -> Registration {
        Registration {
            name: "muslbuild-aarch64".into(),
            magic: *b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\xb7\0",
            mask: [0xff; 20],
            interpreter: interpreter.into(),
        }
    }

    #[test]
    fn the_register_line_is_the_kernels_format() {
        let line = register_line(&registration("/usr/bin/qemu-aarch64-static")).unwrap();
        assert_eq!(
            String::from_utf8(line).unwrap(),
            ":muslbuild-aarch64:M::\\x7f\\x45\\x4c\\x46\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff:/usr/bin/qemu-aarch64-static:F"
        );
    }

    #[test]
    fn a_colon_in_the_path_takes_another_separator_and_relative_paths_are_refused() {
        let line = register_line(&registration("/opt/q:emu/qemu-aarch64")).unwrap();
        assert_eq!(line[0], b'|');
        assert!(line.ends_with(b"|/opt/q:emu/qemu-aarch64|F"));
        assert!(register_line(&registration("qemu-aarch64")).is_none());
        assert!(register_line(&registration("/a\nb")).is_none());
    }

    #[test]
    fn a_failure_survives_the_trip_through_an_errno() {
        for stage in [
            Stage::UserNamespace,
            Stage::IdMap,
            Stage::MountPropagation,
            Stage::Mount,
            Stage::Register,
        ] {
            let failure = SetupFailure {
                stage,
                errno: libc::EPERM,
            };
            let err = failure.packed();
            assert_eq!(SetupFailure::from_spawn_error(&err), Some(failure));
        }
        let plain = std::io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(SetupFailure::from_spawn_error(&plain), None);
    }

    #[test]
    fn the_id_maps_send_the_caller_to_root_and_back() {
        let binfmt =
            PrivateBinfmt::new(vec![registration("/usr/bin/qemu-aarch64-static")]).unwrap();
        // SAFETY: geteuid cannot fail.
        let uid = unsafe { libc::geteuid() };
        assert_eq!(binfmt.outer_uid_map, format!("0 {uid} 1").into_bytes());
        assert_eq!(binfmt.inner_uid_map, format!("{uid} 0 1").into_bytes());
    }
}
