//! The one place processes are spawned. Every command can be printed exactly as it could
//! be pasted into a shell (`-v`), a step's output goes to a log file that a failure points
//! to (with its last lines), and "program not found" becomes our own error with a hint.
//! A non-zero exit is an error unless the caller asks for the status.
//!
//! Children die with muslbuild: each leads its own process group (so a whole `make` tree
//! can be killed at once), gets `PR_SET_PDEATHSIG`, and is registered with the run's
//! `Supervisor` (interrupts, the reaper) while it runs.
//!
//! A command may run with a binfmt_misc of its own (`binfmt.rs`), where a foreign
//! machine's executables run through qemu-user: set up in the child before exec.

pub(crate) mod binfmt;
mod supervisor;

pub use supervisor::Supervisor;

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::sys::ui::Ui;
use binfmt::{PrivateBinfmt, SetupFailure};
use supervisor::Tracked;

/// How many lines of a failed step's log are shown.
const TAIL_LINES: usize = 30;

#[derive(Clone, Debug)]
pub(crate) struct Cmd {
    program: OsString,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
    env_clear: bool,
    cwd: Option<PathBuf>,
    missing_hint: Option<String>,
    /// Arguments from this index on may go into a response file (`@file`) when the
    /// command line is too long for the kernel (gcc, clang and zig cc read them).
    response_from: Option<usize>,
    /// Registers the child while it runs, so that it dies with muslbuild.
    supervisor: Arc<Supervisor>,
    /// Whether to echo the command (`-v`) and stream a logged step's output.
    ui: Ui,
    /// Run in a binfmt_misc of its own, with these interpreters registered.
    binfmt: Option<Arc<PrivateBinfmt>>,
}

/// Above this many bytes of arguments a logged command that allows it gets a response
/// file: well below the kernel's limit for one argument (128 KiB) and for all (ARG_MAX).
const RESPONSE_FILE_ABOVE: usize = 96 * 1024;

/// Why `Cmd::try_start` could not start a command.
#[derive(Debug)]
pub(crate) enum StartFailure {
    /// Its private binfmt_misc could not be set up.
    Binfmt(SetupFailure),
    Other(std::io::Error),
}

#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: Vec<u8>,
    pub(crate) stderr: Vec<u8>,
}

impl Output {
    pub(crate) fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub(crate) fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}

impl Cmd {
    /// A command whose child `supervisor` kills with muslbuild; `ctx.command(program)`.
    pub(crate) fn under(supervisor: &Arc<Supervisor>, ui: Ui, program: impl AsRef<OsStr>) -> Cmd {
        Cmd {
            supervisor: Arc::clone(supervisor),
            ui,
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            envs: Vec::new(),
            env_clear: false,
            cwd: None,
            missing_hint: None,
            response_from: None,
            binfmt: None,
        }
    }

    /// Runs the command (and everything it starts) in a user and mount namespace of its
    /// own whose binfmt_misc has `binfmt`'s interpreters registered.
    pub(crate) fn private_binfmt(mut self, binfmt: Arc<PrivateBinfmt>) -> Cmd {
        self.binfmt = Some(binfmt);
        self
    }

    /// The arguments added after this call may be passed in a response file (`@file`)
    /// when the command line is long: only for programs that read them (compilers).
    pub(crate) fn response_file_allowed(mut self) -> Cmd {
        self.response_from = Some(self.args.len());
        self
    }

    pub(crate) fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub(crate) fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub(crate) fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Cmd {
        self.envs
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Start from an empty environment: only variables given with `env` are passed.
    pub(crate) fn env_clear(mut self) -> Cmd {
        self.env_clear = true;
        self
    }

    pub(crate) fn current_dir(mut self, dir: impl Into<PathBuf>) -> Cmd {
        self.cwd = Some(dir.into());
        self
    }

    /// What to tell the user when the program does not exist (e.g. the package name).
    pub(crate) fn missing_hint(mut self, hint: impl Into<String>) -> Cmd {
        self.missing_hint = Some(hint.into());
        self
    }

    /// The same program, environment and folder with other arguments: a sibling command
    /// (`go list` beside `go build`) that must see exactly what the first one sees.
    pub(crate) fn with_args<I, S>(&self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        Cmd {
            response_from: self.response_from.filter(|&i| i <= args.len()),
            args,
            ..self.clone()
        }
    }

    pub(crate) fn get_args(&self) -> &[OsString] {
        &self.args
    }

    /// The command as it can be pasted into a POSIX shell.
    pub(crate) fn display(&self) -> String {
        let mut parts = Vec::new();
        if let Some(dir) = &self.cwd {
            parts.push(format!("cd {} &&", quote(dir.as_os_str())));
        }
        if self.env_clear {
            parts.push("env -i".to_string());
        }
        for (k, v) in &self.envs {
            parts.push(format!("{}={}", k.to_string_lossy(), quote(v)));
        }
        parts.push(quote(&self.program));
        parts.extend(self.args.iter().map(|a| quote(a)));
        parts.join(" ")
    }

    /// The arguments to pass, with a response file holding the tail when the command
    /// line is too long (kept alive by the returned guard until the child has run).
    fn argv(&self, dir: &Path) -> Result<(Vec<OsString>, Option<tempfile::NamedTempFile>)> {
        let from = match self.response_from {
            Some(from)
                if self.args.iter().map(|a| a.len() + 1).sum::<usize>() > RESPONSE_FILE_ABOVE =>
            {
                from
            }
            _ => return Ok((self.args.clone(), None)),
        };
        let mut file = tempfile::Builder::new()
            .prefix(&self.supervisor.temps().prefix(dir))
            .suffix(".rsp")
            .tempfile_in(dir)
            .map_err(Error::io("cannot write a response file in", dir))?;
        file.write_all(&response_file(&self.args[from..]))
            .map_err(Error::io("cannot write", file.path()))?;
        let mut argv = self.args[..from].to_vec();
        let mut at = OsString::from("@");
        at.push(file.path());
        argv.push(at);
        Ok((argv, Some(file)))
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        let parent = std::process::id();
        let binfmt = self.binfmt.clone();
        // SAFETY: only async-signal-safe calls (setpgid, the namespace set-up's unshare,
        // open, write, close and mount on buffers made before the fork, prctl, getppid,
        // _exit) run between fork and exec.
        unsafe {
            command.pre_exec(move || {
                if libc::setpgid(0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if let Some(binfmt) = &binfmt {
                    binfmt.enter().map_err(SetupFailure::packed)?;
                }
                // After the namespaces: a change of credentials may clear the setting.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
                // The parent may have died before the line above took effect.
                if libc::getppid() as u32 != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
        if self.env_clear {
            command.env_clear();
        }
        for (k, v) in &self.envs {
            command.env(k, v);
        }
        if let Some(dir) = &self.cwd {
            command.current_dir(dir);
        }
        command
    }

    fn spawn_error(&self, err: std::io::Error) -> Error {
        if let Some(failure) = SetupFailure::from_spawn_error(&err) {
            return Error::CommandFailed {
                command: self.display(),
                status: format!("could not set up its private binfmt_misc: {failure}"),
                log: None,
                tail: String::new(),
            };
        }
        if err.kind() == std::io::ErrorKind::NotFound {
            Error::ProgramNotFound {
                program: self.program.to_string_lossy().into_owned(),
                help: self
                    .missing_hint
                    .clone()
                    .unwrap_or_else(|| "install it or put it on PATH".to_string()),
            }
        } else {
            Error::CommandFailed {
                command: self.display(),
                status: format!("could not start: {err}"),
                log: None,
                tail: String::new(),
            }
        }
    }

    fn announce(&self) {
        if self.ui.echoes_commands() {
            if let Some(note) = self.binfmt_note() {
                self.ui.echo(note);
            }
            self.ui.echo(self.display());
        }
    }

    /// `# emulated: ...`, the line `-v` and a step's log show before an emulated command.
    fn binfmt_note(&self) -> Option<String> {
        let binfmt = self.binfmt.as_ref()?;
        let interpreters: Vec<String> = binfmt
            .registrations()
            .iter()
            .map(|r| format!("{} -> {}", r.name, r.interpreter.display()))
            .collect();
        Some(format!(
            "# emulated: runs in a private binfmt_misc ({})",
            interpreters.join(", ")
        ))
    }

    /// Starts the command with its output discarded and waits for it, to learn whether it
    /// can start at all: a private binfmt_misc that cannot be set up comes back as what
    /// failed, for an error that says what the machine lacks.
    pub(crate) fn try_start(&self) -> std::result::Result<ExitStatus, StartFailure> {
        let mut command = self.command();
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let reaper = self.supervisor.reaper();
        command.args(&self.args);
        let mut child = command.spawn().map_err(|err| {
            SetupFailure::from_spawn_error(&err)
                .map_or(StartFailure::Other(err), StartFailure::Binfmt)
        })?;
        let _tracked = self.supervisor.track(child.id() as i32, reaper, None);
        child.wait().map_err(StartFailure::Other)
    }

    /// Runs to completion, capturing stdout and stderr, and returns them whatever the
    /// exit status.
    pub(crate) fn output_any_status(&self) -> Result<Output> {
        self.announce();
        let mut command = self.command();
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        command.stdin(Stdio::null());
        let (child, _tracked) = self.spawn(&mut command, None)?;
        let output = child.wait_with_output().map_err(|e| self.spawn_error(e))?;
        Ok(Output {
            status: output.status,
            stdout: output.stdout,
            stderr: output.stderr,
        })
    }

    /// `output_any_status` with `input` written to the child's stdin (a credential
    /// helper reads the server's address there), from a second thread so that a child
    /// that answers before it has read all cannot block on a full pipe.
    pub(crate) fn output_with_input(&self, input: &[u8]) -> Result<Output> {
        self.announce();
        let mut command = self.command();
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let (mut child, _tracked) = self.spawn(&mut command, None)?;
        let mut stdin = child.stdin.take().expect("piped");
        let input = input.to_vec();
        // A child that exits without reading makes the write fail: its status says more.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let output = child.wait_with_output().map_err(|e| self.spawn_error(e))?;
        let _ = writer.join();
        Ok(Output {
            status: output.status,
            stdout: output.stdout,
            stderr: output.stderr,
        })
    }

    /// Runs to completion; a non-zero exit is an error carrying the captured stderr.
    pub(crate) fn output(&self) -> Result<Output> {
        let output = self.output_any_status()?;
        if !output.status.success() {
            return Err(Error::CommandFailed {
                command: self.display(),
                status: describe_status(output.status),
                log: None,
                tail: tail(
                    &format!("{}{}", output.stdout_text(), output.stderr_text()),
                    TAIL_LINES,
                ),
            });
        }
        Ok(output)
    }

    /// Runs one step of a longer job with stdout and stderr written to `log` (streamed to
    /// stderr too under `-v`). On failure the error shows the log's last lines and path.
    pub(crate) fn run_logged(&self, log: &Path) -> Result<()> {
        let status = self.status_logged(log)?;
        if !status.success() {
            return Err(Error::CommandFailed {
                command: self.display(),
                status: describe_status(status),
                log: Some(log.to_path_buf()),
                tail: log_tail(log),
            });
        }
        Ok(())
    }

    /// Like `run_logged`, but returns the exit status instead of failing on it.
    pub(crate) fn status_logged(&self, log: &Path) -> Result<ExitStatus> {
        self.announce();
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir)
                .map_err(Error::io("cannot create the log directory", dir))?;
        }
        let mut file = File::create(log).map_err(Error::io("cannot create the log file", log))?;
        let _ = writeln!(file, "$ {}", self.display());
        if let Some(note) = self.binfmt_note() {
            let _ = writeln!(file, "{note}");
        }
        let mut command = self.command();
        command.stdin(Stdio::null());
        if self.ui.echoes_commands() {
            command.stdout(Stdio::piped()).stderr(Stdio::piped());
            let (mut child, _tracked) = self.spawn(&mut command, log.parent())?;
            let out = child.stdout.take().expect("piped");
            let err = child.stderr.take().expect("piped");
            let file = std::sync::Mutex::new(file);
            std::thread::scope(|scope| {
                scope.spawn(|| tee(out, &file));
                scope.spawn(|| tee(err, &file));
            });
            child.wait().map_err(|e| self.spawn_error(e))
        } else {
            let clone = file
                .try_clone()
                .map_err(Error::io("cannot write the log file", log))?;
            command.stdout(Stdio::from(clone)).stderr(Stdio::from(file));
            let (mut child, _tracked) = self.spawn(&mut command, log.parent())?;
            child.wait().map_err(|e| self.spawn_error(e))
        }
    }

    /// Starts the child and registers its process group until the guard is dropped
    /// (after the caller has waited for it). A response file, when the command allows
    /// one and is long, goes into `scratch` (the log's folder of a logged step).
    fn spawn(&self, command: &mut Command, scratch: Option<&Path>) -> Result<(Child, Tracked)> {
        let reaper = self.supervisor.reaper();
        let (argv, response_file) = match scratch {
            Some(dir) => self.argv(dir)?,
            None => (self.args.clone(), None),
        };
        command.args(argv);
        let child = command.spawn().map_err(|e| self.spawn_error(e))?;
        let tracked = self
            .supervisor
            .track(child.id() as i32, reaper, response_file);
        Ok((child, tracked))
    }
}

/// Hands this process over to `program` (`exec`), the way the `zig-cc` wrapper gives
/// way to zig: zig stays in the build's process group, takes its signals, and its exit
/// status is the build's. Not a child, so no `Supervisor`: the wrapper runs before one
/// exists, and the build that called it is supervised already. When the arguments past
/// the first `keep` are too long for one command line (a response file was expanded),
/// they go into a response file in `temp_dir` and `program` runs as a child until it
/// ends (the file must outlive it). Returns the code to exit with.
pub(crate) fn replace_process(
    program: &OsStr,
    args: &[OsString],
    keep: usize,
    temp_dir: &Path,
) -> Result<u8> {
    let not_started = |err| not_started(program, err);
    if fits_on_command_line(args) {
        return Err(not_started(Command::new(program).args(args).exec()));
    }
    run_to_end(program, args, keep, temp_dir)
}

/// Runs `program` as a child until it ends, the arguments past the first `keep` in a
/// response file when they are too long for one command line (see `replace_process`).
/// Returns its exit code, or 128 + the signal that ended it.
pub(crate) fn run_to_end(
    program: &OsStr,
    args: &[OsString],
    keep: usize,
    temp_dir: &Path,
) -> Result<u8> {
    let not_started = |err| not_started(program, err);
    let keep = keep.min(args.len());
    if fits_on_command_line(args) {
        let status = Command::new(program)
            .args(args)
            .status()
            .map_err(not_started)?;
        return Ok(exit_code(status));
    }
    let mut file = tempfile::Builder::new()
        .prefix(".muslbuild-zig-cc-")
        .suffix(".rsp")
        .tempfile_in(temp_dir)
        .map_err(Error::io("cannot write a response file in", temp_dir))?;
    file.write_all(&response_file(&args[keep..]))
        .map_err(Error::io("cannot write", file.path()))?;
    let mut at = OsString::from("@");
    at.push(file.path());
    let status = Command::new(program)
        .args(&args[..keep])
        .arg(at)
        .status()
        .map_err(not_started)?;
    Ok(exit_code(status))
}

fn fits_on_command_line(args: &[OsString]) -> bool {
    args.iter().map(|a| a.len() + 1).sum::<usize>() <= RESPONSE_FILE_ABOVE
}

fn not_started(program: &OsStr, err: std::io::Error) -> Error {
    Error::CommandFailed {
        command: quote(program),
        status: format!("could not start: {err}"),
        log: None,
        tail: String::new(),
    }
}

fn exit_code(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code.clamp(0, 255) as u8,
        (None, Some(signal)) => (128 + signal).clamp(0, 255) as u8,
        _ => 1,
    }
}

/// Arguments in the response-file syntax gcc (libiberty) and clang share: separated by
/// newlines, with every whitespace, quote and backslash escaped by a backslash. Bytes
/// are written as they are, so non-UTF-8 paths survive.
fn response_file(args: &[OsString]) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    let mut out = Vec::new();
    for arg in args {
        for &b in arg.as_bytes() {
            if b.is_ascii_whitespace() || matches!(b, b'\'' | b'"' | b'\\') {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b'\n');
    }
    out
}

fn tee(mut from: impl Read, file: &std::sync::Mutex<File>) {
    let mut buf = [0u8; 8192];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 {
            break;
        }
        let _ = std::io::stderr().write_all(&buf[..n]);
        let _ = file.lock().map(|mut f| f.write_all(&buf[..n]));
    }
}

pub(crate) fn describe_status(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}{}", signal_name(signal)),
        _ => status.to_string(),
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        4 => " (SIGILL: an instruction this CPU does not have)",
        6 => " (SIGABRT)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        _ => "",
    }
}

fn quote(s: &OsStr) -> String {
    let s = s.to_string_lossy();
    shlex::try_quote(&s)
        .map(|q| q.into_owned())
        .unwrap_or_else(|_| format!("{s:?}"))
}

pub(crate) fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A log's tail without the `$ command` line a logged step's log starts with: the error
/// shows the command already.
pub(crate) fn without_command_line(tail: &str) -> String {
    tail.lines()
        .filter(|l| !l.starts_with("$ "))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn log_tail(log: &Path) -> String {
    std::fs::read(log)
        .map(|bytes| tail(&String::from_utf8_lossy(&bytes), TAIL_LINES))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(program: &str) -> Cmd {
        Cmd::under(&Supervisor::new(), Ui::default(), program)
    }

    #[test]
    fn display_is_pasteable() {
        let cmd = cmd("cc")
            .args(["-DMSG=a b", "x.c"])
            .env("SOURCE_DATE_EPOCH", "0")
            .current_dir("/tmp/my dir");
        assert_eq!(
            cmd.display(),
            "cd '/tmp/my dir' && SOURCE_DATE_EPOCH=0 cc '-DMSG=a b' x.c"
        );
    }

    #[test]
    fn input_reaches_stdin_and_the_status_comes_back() {
        let out = cmd("sh")
            .args(["-c", "read x; echo \"got $x\"; exit 3"])
            .output_with_input(b"127.0.0.1:5000\n")
            .unwrap();
        assert_eq!(out.stdout_text(), "got 127.0.0.1:5000\n");
        assert_eq!(out.status.code(), Some(3));
    }

    #[test]
    fn missing_program_is_our_error_with_hint() {
        let err = cmd("muslbuild-no-such-program")
            .missing_hint("apt-get install nothing")
            .output()
            .unwrap_err();
        match err {
            Error::ProgramNotFound { program, help } => {
                assert_eq!(program, "muslbuild-no-such-program");
                assert_eq!(help, "apt-get install nothing");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn failed_logged_step_points_to_its_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("step.log");
        let err = cmd("sh")
            .args(["-c", "echo first; echo last >&2; exit 3"])
            .run_logged(&log)
            .unwrap_err();
        match err {
            Error::CommandFailed {
                status,
                log: Some(path),
                tail,
                ..
            } => {
                assert_eq!(status, "exit status 3");
                assert_eq!(path, log);
                assert!(tail.ends_with("first\nlast"), "{tail}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn response_files_escape_what_would_split_an_argument() {
        let args: Vec<OsString> = ["-DMSG=\"a b\"", "x\\y.c", "plain"]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(
            response_file(&args),
            b"-DMSG=\\\"a\\ b\\\"\nx\\\\y.c\nplain\n"
        );
    }

    #[test]
    fn the_command_line_is_dropped_from_a_tail() {
        assert_eq!(
            without_command_line("$ cc x.c\nx.c:1: error"),
            "x.c:1: error"
        );
    }

    #[test]
    fn tail_keeps_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
    }
}
