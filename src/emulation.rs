//! Where a target's programs can execute on this machine: natively (the host's own
//! machine), through the target's qemu-user registered in a binfmt_misc private to one
//! command (`sys::process::binfmt`), or not at all — and then why, in words an error can
//! carry. Found once per target and run (`Ctx::emulation`): the qemu-user on `PATH`, and
//! one trial start in a private binfmt_misc, which proves the kernel allows it.

use std::path::PathBuf;
use std::sync::Arc;

use crate::env::Env;
use crate::error::Lacking;
use crate::sys::process::binfmt::{PrivateBinfmt, Registration, SetupFailure, Stage};
use crate::sys::process::{Cmd, StartFailure};
use crate::target::Target;

/// How the programs of one target run here.
#[derive(Clone, Debug)]
pub(crate) enum Emulation {
    /// The host runs them itself.
    Native,
    /// Through `qemu`, registered in a private binfmt_misc by every command that asks.
    Binfmt {
        qemu: PathBuf,
        binfmt: Arc<PrivateBinfmt>,
    },
    /// Not here; a command that runs one fails, and the error says this.
    Unavailable(Unavailable),
}

/// Why this machine cannot run a target's programs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Unavailable {
    /// The build asked for none (`emulate = false`).
    Off,
    /// Neither of the target's qemu-user programs is on `PATH`.
    NoQemu { names: [&'static str; 2] },
    /// The qemu found has a path binfmt_misc cannot register (relative, a newline).
    UnusablePath { qemu: PathBuf },
    /// The kernel refused a step of the private binfmt_misc.
    Kernel {
        qemu: PathBuf,
        failure: SetupFailure,
        /// `uname -r`, for the "Linux 6.7 or newer" advice.
        release: String,
    },
    /// qemu-user itself did not start (`--version` failed).
    QemuBroken { qemu: PathBuf, status: String },
}

impl Emulation {
    /// The emulator a build system that asks should be told (cmake's
    /// `CMAKE_CROSSCOMPILING_EMULATOR`, meson's `exe_wrapper`): qemu-user when it runs
    /// here, even where the kernel allows no private binfmt_misc — a build system that
    /// runs programs through it explicitly needs no binfmt.
    pub(crate) fn emulator(&self) -> Option<&PathBuf> {
        match self {
            Emulation::Binfmt { qemu, .. }
            | Emulation::Unavailable(Unavailable::Kernel { qemu, .. }) => Some(qemu),
            Emulation::Native | Emulation::Unavailable(_) => None,
        }
    }
}

/// Whether this machine runs `target`'s executables itself: the host's own ELF machine,
/// class and endianness (an armv7 host runs armv5 and armv6 code). Every other target
/// goes through qemu-user — i386 on x86_64 too, since a kernel may be built without
/// 32-bit support, and qemu is right everywhere.
pub(crate) fn is_native(target: Target) -> bool {
    Target::host().is_some_and(|host| {
        let (h, t) = (host.elf(), target.elf());
        (h.class64, h.little_endian, h.machine) == (t.class64, t.little_endian, t.machine)
    })
}

/// The qemu-user program that runs `target`'s binaries: Debian's `qemu-user` name first,
/// then `qemu-user-static`'s.
pub(crate) fn find_qemu(target: Target, env: &Env) -> Option<PathBuf> {
    let path = env.path().cloned().unwrap_or_default();
    target
        .qemu_names()
        .into_iter()
        .find_map(|name| which::which_in(name, Some(&path), &env.cwd).ok())
}

/// How `target`'s programs run here; for a foreign target, qemu-user is looked up and a
/// trial command (`qemu --version`) is started in a private binfmt_misc.
pub(crate) fn probe(target: Target, env: &Env, trial: impl FnOnce(&PathBuf) -> Cmd) -> Emulation {
    if is_native(target) {
        return Emulation::Native;
    }
    let Some(qemu) = find_qemu(target, env) else {
        return Emulation::Unavailable(Unavailable::NoQemu {
            names: target.qemu_names(),
        });
    };
    let qemu = std::fs::canonicalize(&qemu).unwrap_or(qemu);
    let (magic, mask) = target.binfmt_magic();
    let registration = Registration {
        name: format!("muslbuild-{target}"),
        magic,
        mask,
        interpreter: qemu.clone(),
    };
    let Some(binfmt) = PrivateBinfmt::new(vec![registration]) else {
        return Emulation::Unavailable(Unavailable::UnusablePath { qemu });
    };
    let binfmt = Arc::new(binfmt);
    let started = trial(&qemu)
        .arg("--version")
        .private_binfmt(Arc::clone(&binfmt))
        .try_start();
    match started {
        Ok(status) if status.success() => Emulation::Binfmt { qemu, binfmt },
        Ok(status) => Emulation::Unavailable(Unavailable::QemuBroken {
            qemu,
            status: crate::sys::process::describe_status(status),
        }),
        Err(StartFailure::Binfmt(failure)) => Emulation::Unavailable(Unavailable::Kernel {
            qemu,
            failure,
            release: kernel_release(),
        }),
        Err(StartFailure::Other(err)) => Emulation::Unavailable(Unavailable::QemuBroken {
            qemu,
            status: format!("could not start: {err}"),
        }),
    }
}

/// `uname -r`.
fn kernel_release() -> String {
    // SAFETY: uname fills the zeroed struct it is given.
    let mut name: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut name) } != 0 {
        return "unknown".into();
    }
    // SAFETY: the kernel NUL-terminates the field.
    unsafe { std::ffi::CStr::from_ptr(name.release.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

/// Where the advice to register qemu-user for the whole machine instead goes.
const SYSTEM_WIDE: &str = "or register qemu-user for the whole machine (`apt-get install qemu-user-static binfmt-support`), which muslbuild then uses as it is";

impl Unavailable {
    /// What is missing, for the end of an error's line.
    pub(crate) fn why(&self, target: Target) -> String {
        match self {
            Unavailable::Off => "emulation is off (`emulate = false`)".into(),
            Unavailable::NoQemu {
                names: [user, user_static],
            } => {
                format!("neither `{user}` nor `{user_static}` is on PATH")
            }
            Unavailable::UnusablePath { qemu } => format!(
                "binfmt_misc cannot register `{}` (its path must be absolute, without a newline)",
                qemu.display()
            ),
            Unavailable::Kernel {
                failure, release, ..
            } => match failure.stage {
                Stage::UserNamespace | Stage::IdMap => {
                    format!("this machine allows no user namespaces ({failure})")
                }
                Stage::Mount if failure.errno == libc::ENODEV => {
                    format!("this kernel ({release}) has no binfmt_misc loaded ({failure})")
                }
                Stage::MountPropagation | Stage::Mount => format!(
                    "this kernel ({release}) cannot mount a binfmt_misc inside a user namespace ({failure})"
                ),
                Stage::Register => {
                    format!("the kernel refused to register {target}'s qemu-user ({failure})")
                }
            },
            Unavailable::QemuBroken { qemu, status } => {
                format!("`{} --version` failed ({status})", qemu.display())
            }
        }
    }

    /// The `help:` line: what to install, enable or change.
    pub(crate) fn help(&self, target: Target) -> String {
        match self {
            Unavailable::Off => format!(
                "drop `emulate = false` (the default, \"auto\", runs {target} programs through qemu-user in a binfmt_misc private to the build step)"
            ),
            Unavailable::NoQemu { .. } => format!(
                "install qemu-user: `apt-get install qemu-user-static` (Debian/Ubuntu) or `dnf install qemu-user-static`; muslbuild then runs {target} programs through it in a binfmt_misc private to the build step"
            ),
            Unavailable::UnusablePath { .. } => {
                "put qemu-user in a folder whose path has no newline".into()
            }
            Unavailable::Kernel { failure, .. } => match failure.stage {
                Stage::UserNamespace | Stage::IdMap => format!(
                    "allow user namespaces (sysctl user.max_user_namespaces > 0; kernel.unprivileged_userns_clone=1 on older Debian kernels; kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu; a container's seccomp profile may forbid them), {SYSTEM_WIDE}"
                ),
                // A module is not loaded from inside a user namespace.
                Stage::Mount if failure.errno == libc::ENODEV => format!(
                    "load it once as root (`modprobe binfmt_misc`; on Linux 6.7 or newer a user namespace may then mount its own), {SYSTEM_WIDE}"
                ),
                Stage::MountPropagation | Stage::Mount => format!(
                    "a binfmt_misc private to a user namespace needs Linux 6.7 or newer; upgrade the kernel, {SYSTEM_WIDE}"
                ),
                Stage::Register => format!(
                    "check that the qemu-user found is a working static qemu for {target}, {SYSTEM_WIDE}"
                ),
            },
            Unavailable::QemuBroken { .. } => format!(
                "reinstall qemu-user (`apt-get install --reinstall qemu-user-static`), {SYSTEM_WIDE}"
            ),
        }
    }

    /// Whether a program is what is missing (exit code 12), not a kernel feature or a
    /// setting (10).
    pub(crate) fn is_missing_program(&self) -> bool {
        matches!(self, Unavailable::NoQemu { .. })
    }

    /// All of it, as an error carries it.
    pub(crate) fn lacking(&self, target: Target) -> Box<Lacking> {
        Box::new(Lacking {
            why: self.why(target),
            help: self.help(target),
            program: self.is_missing_program(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_hosts_own_machine_runs_natively() {
        let host = Target::host().expect("muslbuild's tests run on a target it builds");
        assert!(is_native(host));
        for target in Target::ALL {
            let same = {
                let (h, t) = (host.elf(), target.elf());
                h.machine == t.machine && h.class64 == t.class64
            };
            assert_eq!(is_native(target), same, "{target}");
        }
    }

    #[test]
    fn a_missing_qemu_names_both_programs_and_the_package() {
        let empty = tempfile::tempdir().unwrap();
        let env = Env::from_vars([("PATH", empty.path().as_os_str())], empty.path().into());
        let foreign = Target::ALL
            .into_iter()
            .find(|t| !is_native(*t))
            .expect("a foreign target");
        let supervisor = crate::sys::process::Supervisor::new();
        let emulation = probe(foreign, &env, |q| {
            Cmd::under(&supervisor, crate::sys::ui::Ui::default(), q)
        });
        let Emulation::Unavailable(why) = emulation else {
            panic!("{emulation:?}");
        };
        let [user, user_static] = foreign.qemu_names();
        assert_eq!(
            why.why(foreign),
            format!("neither `{user}` nor `{user_static}` is on PATH")
        );
        assert!(why.help(foreign).contains("qemu-user-static"));
        assert!(why.is_missing_program());
    }

    #[test]
    fn a_kernel_without_private_binfmt_misc_is_told_the_version_it_needs() {
        let old = Unavailable::Kernel {
            qemu: "/usr/bin/qemu-aarch64-static".into(),
            failure: SetupFailure {
                stage: Stage::Mount,
                errno: libc::EPERM,
            },
            release: "6.1.0-18-amd64".into(),
        };
        assert_eq!(
            old.why(Target::Aarch64),
            "this kernel (6.1.0-18-amd64) cannot mount a binfmt_misc inside a user namespace (mount -t binfmt_misc: Operation not permitted (os error 1))"
        );
        assert!(old.help(Target::Aarch64).contains("Linux 6.7 or newer"));
        assert!(!old.is_missing_program());
        let no_userns = Unavailable::Kernel {
            qemu: "/usr/bin/qemu-arm-static".into(),
            failure: SetupFailure {
                stage: Stage::UserNamespace,
                errno: libc::ENOSPC,
            },
            release: "6.8.0".into(),
        };
        assert!(no_userns.why(Target::Armv7).contains("no user namespaces"));
        assert!(
            no_userns
                .help(Target::Armv7)
                .contains("max_user_namespaces")
        );
    }
}
