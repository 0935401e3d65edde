//! What must go when muslbuild goes: the process groups of the children it has not waited
//! for, and the folders it made temporary entries in. One `Supervisor` per run, made
//! first by `main` and shared (an `Arc`) by the Ctx, every `Cmd` made from it, and the
//! thread that takes SIGINT/SIGTERM.
//!
//! Three ways a child dies with muslbuild: PR_SET_PDEATHSIG (set in `Cmd`); SIGINT and
//! SIGTERM kill every live group and remove this process's temporary files; and a forked
//! reaper, which only waits for its pipe from muslbuild to close, kills the groups still
//! registered when muslbuild dies of something it cannot catch (`kill -9`).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::sys::fs::Temps;

#[derive(Debug, Default)]
pub struct Supervisor {
    /// The process groups of the children that have not been waited for yet.
    groups: Mutex<Vec<i32>>,
    /// The write end of the reaper's pipe; the reaper starts with the first child.
    reaper: OnceLock<Option<OwnedFd>>,
    /// Set once an interrupt is being handled: the process then ends with the signal's
    /// code, whatever the build was doing.
    interrupted: AtomicBool,
    temps: Arc<Temps>,
}

/// A registered child's process group; unregistered on drop (after the caller waited).
pub(crate) struct Tracked {
    supervisor: Arc<Supervisor>,
    pgid: i32,
    reaper: Option<i32>,
    /// A response file the child reads, kept until the child has run.
    pub(crate) _response_file: Option<tempfile::NamedTempFile>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Ok(mut live) = self.supervisor.groups.lock() {
            live.retain(|&g| g != self.pgid);
        }
        tell_reaper(self.reaper, -self.pgid);
    }
}

impl Supervisor {
    /// A supervisor that does not take signals (tests, and before `start`).
    pub(crate) fn new() -> Arc<Supervisor> {
        Arc::new(Supervisor::default())
    }

    /// The run's supervisor, taking SIGINT and SIGTERM from now on: kill the children,
    /// remove this process's temporary files, exit with 128 + the signal (130, 143).
    /// Called once by `main` before any thread exists: the signals are blocked in every
    /// thread and taken by one waiting thread, so cleanup runs as ordinary code, not in a
    /// signal handler.
    pub fn start() -> Arc<Supervisor> {
        let supervisor = Supervisor::new();
        supervisor.watch_interrupts();
        supervisor
    }

    /// The folders with this process's temporary entries (removed on an interrupt).
    pub(crate) fn temps(&self) -> &Arc<Temps> {
        &self.temps
    }

    /// The reaper's pipe, starting the reaper the first time: before the first child, so
    /// that it never holds a child's pipe ends (it closes every descriptor it inherited).
    pub(crate) fn reaper(&self) -> Option<i32> {
        self.reaper
            .get_or_init(start_reaper)
            .as_ref()
            .map(|fd| fd.as_raw_fd())
    }

    /// Registers a just-started child's process group until the guard is dropped.
    pub(crate) fn track(
        self: &Arc<Self>,
        pgid: i32,
        reaper: Option<i32>,
        response_file: Option<tempfile::NamedTempFile>,
    ) -> Tracked {
        if let Ok(mut live) = self.groups.lock() {
            live.push(pgid);
        }
        tell_reaper(reaper, pgid);
        Tracked {
            supervisor: Arc::clone(self),
            pgid,
            reaper,
            _response_file: response_file,
        }
    }

    /// Kills every live child's process group (the interrupt handler's first step).
    pub(crate) fn kill_children(&self) {
        let live = self.groups.lock().map(|l| l.clone()).unwrap_or_default();
        for group in live {
            // SAFETY: sends a signal to a process group this process started and has not
            // waited for, so the id cannot have been reused.
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
        }
    }

    /// Called by `main` before it exits: while an interrupt is being handled, the build's
    /// own failure (its compiler was just killed) must not end the process first with
    /// another code; the handler exits with 130/143 once it has cleaned up.
    pub fn wait_if_interrupted(&self) {
        if self.interrupted.load(Ordering::SeqCst) {
            loop {
                std::thread::park();
            }
        }
    }

    fn watch_interrupts(self: &Arc<Self>) {
        // SAFETY: plain sigset manipulation on a local set; called before threads exist.
        let set = unsafe {
            let mut set = std::mem::zeroed::<libc::sigset_t>();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGINT);
            libc::sigaddset(&mut set, libc::SIGTERM);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            set
        };
        let supervisor = Arc::clone(self);
        std::thread::spawn(move || {
            let mut signal = 0;
            // SAFETY: waits on the set built above, which outlives the call.
            if unsafe { libc::sigwait(&set, &mut signal) } != 0 {
                return;
            }
            let name = if signal == libc::SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            supervisor.interrupted.store(true, Ordering::SeqCst);
            // Said on the process's stderr whatever -q says: the run ends here.
            crate::sys::ui::Ui::default().always(format_args!(
                "muslbuild: interrupted by {name}: stopping, removing temporary files"
            ));
            supervisor.kill_children();
            supervisor.temps.remove_own();
            std::process::exit(128 + signal);
        });
    }
}

/// Tells the reaper a group to kill if muslbuild dies (`pgid`) or one that is done
/// (`-pgid`): one 4-byte write, atomic on a pipe.
fn tell_reaper(reaper: Option<i32>, message: i32) {
    if let Some(fd) = reaper {
        let bytes = message.to_ne_bytes();
        // SAFETY: writes 4 bytes from a live buffer to a descriptor this process owns.
        unsafe {
            libc::write(fd, bytes.as_ptr().cast(), bytes.len());
        }
    }
}

fn start_reaper() -> Option<OwnedFd> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two descriptors; CLOEXEC keeps the write end out of children,
    // so that only muslbuild's death closes it.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return None;
    }
    // SAFETY: the child runs only async-signal-safe calls (`reaper_main`) and never
    // returns into Rust code.
    match unsafe { libc::fork() } {
        0 => unsafe { reaper_main(fds[0]) },
        -1 => {
            // SAFETY: both descriptors were just created and are owned here.
            unsafe {
                libc::close(fds[0]);
                libc::close(fds[1]);
            }
            None
        }
        _ => {
            // SAFETY: the read end belongs to the reaper now; the write end is ours.
            unsafe { libc::close(fds[0]) };
            Some(unsafe { OwnedFd::from_raw_fd(fds[1]) })
        }
    }
}

/// The reaper: collects registered process groups until the pipe closes (muslbuild
/// exited or was killed), then kills those still registered. Async-signal-safe calls
/// only, no allocation: it is a fork of a multi-threaded process.
unsafe fn reaper_main(pipe: i32) -> ! {
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGTERM, libc::SIG_IGN);
        // Hold nothing of muslbuild's: no pipe of another child, no terminal, no lock.
        for fd in 0..pipe {
            libc::close(fd);
        }
        if libc::syscall(libc::SYS_close_range, pipe + 1, u32::MAX, 0) != 0 {
            for fd in pipe + 1..4096 {
                libc::close(fd);
            }
        }
        let mut groups = [0i32; 1024];
        let mut count = 0;
        let mut message = [0u8; 4];
        loop {
            let n = libc::read(pipe, message.as_mut_ptr().cast(), 4);
            if n == 4 {
                let value = i32::from_ne_bytes(message);
                if value > 0 && count < groups.len() {
                    groups[count] = value;
                    count += 1;
                } else if value < 0
                    && let Some(i) = groups[..count].iter().position(|&g| g == -value)
                {
                    groups[i] = groups[count - 1];
                    count -= 1;
                }
            } else if n < 0 && *libc::__errno_location() == libc::EINTR {
                continue;
            } else {
                break;
            }
        }
        for &group in &groups[..count] {
            libc::kill(-group, libc::SIGKILL);
        }
        libc::_exit(0)
    }
}
