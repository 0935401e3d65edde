//! C compile + link: one driver call per artifact and target, with defaults for tiny,
//! reproducible, static executables.

use std::path::{Path, PathBuf};

use crate::cmd::Cmd;
use crate::error::{Error, Result};
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

/// The defaults for small code: optimise for size and let the linker drop every function
/// and object nobody calls.
pub const SIZE_FLAGS: &[&str] = &["-Os", "-ffunction-sections", "-fdata-sections"];
pub const LINK_FLAGS: &[&str] = &["-static", "-Wl,--gc-sections"];

pub fn command(program: &CProgram, toolchain: &Toolchain, output: &Path) -> Cmd {
    let mut cmd = toolchain
        .cc
        .command()
        .args(toolchain.target_flags())
        .args(SIZE_FLAGS);
    for dir in &program.prefix_maps {
        cmd = cmd.arg(format!("-ffile-prefix-map={}=.", dir.display()));
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
    match command(program, toolchain, output).run_logged(log) {
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
            tail: tail
                .lines()
                .filter(|l| !l.starts_with("$ "))
                .collect::<Vec<_>>()
                .join("\n"),
        }),
        Err(other) => Err(other),
    }
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
    fn link_failures_are_told_apart() {
        assert!(is_link_failure(
            "/usr/bin/ld: x.o: undefined reference to `foo'"
        ));
        assert!(is_link_failure("ld.lld: error: undefined symbol: foo"));
        assert!(!is_link_failure("x.c:1:1: error: expected ';'"));
    }
}
