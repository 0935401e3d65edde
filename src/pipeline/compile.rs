//! C compile + link: one driver call per artifact and target, with defaults for tiny,
//! reproducible, static executables.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::sys::process::Cmd;
use crate::toolchain::{Flavor, Toolchain};

/// One C program as the user described it; paths are absolute.
#[derive(Clone, Debug, Default)]
pub struct CProgram {
    pub name: String,
    pub sources: Vec<PathBuf>,
    pub include_dirs: Vec<PathBuf>,
    pub defines: Vec<String>,
    pub lib_dirs: Vec<PathBuf>,
    pub libs: Vec<String>,
    /// `CFLAGS`, then `--cflags`: after muslbuild's defaults, so they win.
    pub cflags: Vec<String>,
    pub ldflags: Vec<String>,
    pub strip: bool,
    /// Folders whose absolute path must not reach the output (`-ffile-prefix-map`).
    pub prefix_maps: Vec<PathBuf>,
    pub source_date_epoch: u64,
}

impl CProgram {
    /// Adds a target's libraries: their headers and archives come after the user's own
    /// `-I`/`-L`, and their link names after the user's `-l`, dependents first.
    pub(crate) fn link_libraries(&mut self, set: &crate::libs::LinkSet) {
        self.include_dirs.extend(set.include_dirs.iter().cloned());
        self.lib_dirs.extend(set.lib_dirs.iter().cloned());
        self.libs.extend(set.libs.iter().cloned());
    }
}

/// The defaults for small code: optimise for size and let the linker drop every function
/// and object nobody calls.
pub const SIZE_FLAGS: &[&str] = &["-Os", "-ffunction-sections", "-fdata-sections"];
pub const LINK_FLAGS: &[&str] = &["-static", "-Wl,--gc-sections"];

pub fn command(program: &CProgram, toolchain: &Toolchain, output: &Path) -> Cmd {
    let mut cmd = toolchain
        .cc
        .command()
        .response_file_allowed()
        .args(toolchain.target_flags())
        .args(SIZE_FLAGS);
    for dir in &program.prefix_maps {
        // OsString, not `display()`: a folder whose name is not UTF-8 must map too.
        let mut map = std::ffi::OsString::from("-ffile-prefix-map=");
        map.push(dir);
        map.push("=.");
        cmd = cmd.arg(map);
    }
    for dir in &program.include_dirs {
        cmd = cmd.arg("-I").arg(dir);
    }
    for define in &program.defines {
        cmd = cmd.arg(format!("-D{define}"));
    }
    cmd = cmd
        .args(&program.cflags)
        .args(&program.sources)
        .args(LINK_FLAGS);
    if program.strip {
        cmd = cmd.arg("-s");
    } else if toolchain.flavor == Flavor::Zig {
        // zig drops the symbol table by itself at -Os; only -g makes it keep symbols.
        cmd = cmd.arg("-g");
    }
    for dir in &program.lib_dirs {
        cmd = cmd.arg("-L").arg(dir);
    }
    cmd = cmd.args(&program.ldflags);
    for lib in &program.libs {
        cmd = cmd.arg(format!("-l{lib}"));
    }
    cmd.arg("-o")
        .arg(output)
        .env("SOURCE_DATE_EPOCH", program.source_date_epoch.to_string())
}

/// Compiles and links `program` into `output`; on failure the error carries the
/// compiler's own diagnostics and the log's path.
pub fn compile(program: &CProgram, toolchain: &Toolchain, output: &Path, log: &Path) -> Result<()> {
    run(command(program, toolchain, output), program, toolchain, log)
}

/// Past this many bytes of `-D` flags they go into a forced-include header.
const DEFINES_IN_HEADER_ABOVE: usize = 64 * 1024;

/// Runs a compiler command for `program` (the link itself, or a dependency scan).
pub fn run(cmd: Cmd, program: &CProgram, toolchain: &Toolchain, log: &Path) -> Result<()> {
    let dir = log.parent().unwrap_or(Path::new("."));
    let (cmd, _header) = defines_in_header(cmd, dir)?;
    match cmd.run_logged(log) {
        Ok(()) => Ok(()),
        Err(Error::CommandFailed { tail, .. }) => Err(Error::Compile {
            stage: if is_link_failure(&tail) {
                "linking"
            } else {
                "compiling"
            },
            name: program.name.clone(),
            target: toolchain.target,
            log: log.to_path_buf(),
            tail: crate::sys::process::without_command_line(&tail),
        }),
        Err(other) => Err(other),
    }
}

/// The driver passes `-D` flags on to the compiler proper on its command line, which a
/// response file does not shorten: past the limit they become `#define` lines of a
/// header given with `-include` (same meaning: `-D` is processed before `-include`).
/// Not done when a `-U` could be meant to undo one of them.
fn defines_in_header(cmd: Cmd, dir: &Path) -> Result<(Cmd, Option<tempfile::NamedTempFile>)> {
    use std::os::unix::ffi::OsStrExt;
    let define = |a: &std::ffi::OsString| a.as_bytes().starts_with(b"-D") && a.len() > 2;
    let args = cmd.get_args();
    let size: usize = args.iter().filter(|a| define(a)).map(|a| a.len() + 1).sum();
    if size <= DEFINES_IN_HEADER_ABOVE || args.iter().any(|a| a.as_bytes().starts_with(b"-U")) {
        return Ok((cmd, None));
    }
    let mut header = Vec::new();
    for arg in args.iter().filter(|a| define(a)) {
        let body = &arg.as_bytes()[2..];
        let (name, value) = match body.iter().position(|&b| b == b'=') {
            Some(i) => (&body[..i], &body[i + 1..]),
            None => (body, &b"1"[..]),
        };
        header.extend_from_slice(b"#define ");
        header.extend_from_slice(name);
        header.push(b' ');
        header.extend_from_slice(value);
        header.push(b'\n');
    }
    std::fs::create_dir_all(dir).map_err(Error::io("cannot create", dir))?;
    let mut file = tempfile::Builder::new()
        .prefix(&crate::cache::temp_prefix(dir))
        .suffix(".h")
        .tempfile_in(dir)
        .map_err(Error::io("cannot write a header in", dir))?;
    std::io::Write::write_all(&mut file, &header)
        .map_err(Error::io("cannot write", file.path()))?;
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    let mut placed = false;
    for arg in args {
        if define(arg) {
            if !placed {
                rest.push("-include".into());
                rest.push(file.path().into());
                placed = true;
            }
        } else {
            rest.push(arg.clone());
        }
    }
    Ok((cmd.with_args(rest), Some(file)))
}

fn is_link_failure(log: &str) -> bool {
    log.lines().any(|l| {
        l.contains("undefined reference")
            || l.contains("undefined symbol")
            || l.contains("ld: cannot find")
            || l.contains("ld.lld: error")
            || l.contains("collect2: error")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_defines_become_a_forced_include_header() {
        let dir = tempfile::tempdir().unwrap();
        let defines: Vec<String> = (0..10_000).map(|i| format!("-DNAME{i}=v{i}")).collect();
        let cmd = Cmd::new("cc")
            .arg("-Os")
            .args(&defines)
            .args(["-DFLAG", "x.c"]);
        let (moved, header) = defines_in_header(cmd.clone(), dir.path()).unwrap();
        let header = header.expect("past the limit");
        let text = std::fs::read_to_string(header.path()).unwrap();
        assert!(text.starts_with("#define NAME0 v0\n"), "{text}");
        assert!(text.ends_with("#define NAME9999 v9999\n#define FLAG 1\n"));
        let args: Vec<_> = moved.get_args().to_vec();
        assert_eq!(args[0], "-Os");
        assert_eq!(args[1], "-include");
        assert_eq!(args[2], header.path().as_os_str());
        assert_eq!(args[3..], ["x.c"]);
        // A -U might undo one of them: the order matters, so nothing moves.
        let (kept, none) = defines_in_header(cmd.arg("-UNAME3"), dir.path()).unwrap();
        assert!(none.is_none());
        assert_eq!(kept.get_args().len(), 10_004);
    }

    #[test]
    fn link_failures_are_told_apart() {
        assert!(is_link_failure(
            "/usr/bin/ld: x.o: undefined reference to `foo'"
        ));
        assert!(is_link_failure("ld.lld: error: undefined symbol: foo"));
        assert!(!is_link_failure("x.c:1:1: error: expected ';'"));
    }
}
