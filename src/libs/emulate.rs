//! Build steps that run the target's programs — a Makefile's generator built with `$(CC)`,
//! a hand-written configure script's test programs, a test suite run by `make all`, a
//! cmake `try_run`. For a foreign target each step (configure, make, install) runs in a
//! binfmt_misc private to it where the target's qemu-user is registered, and build systems
//! that ask are told the emulator (`exe_wrapper`). Where this machine cannot, a step that
//! fails by running such a program is named with the program and what is missing.

use std::path::{Path, PathBuf};

use super::job::LibBuild;
use super::recipe::Emulate;
use crate::context::Ctx;
use crate::emulation::{self, Emulation, Unavailable};
use crate::error::{Error, Result};
use crate::target::Target;

/// How `job`'s steps run the target's programs: the machine's answer, unless the build
/// says `emulate = false`.
pub(crate) fn for_job(ctx: &Ctx, job: &LibBuild) -> Emulation {
    if job.recipe.emulate == Emulate::Off {
        // Not even asked: with emulation off, nothing is started to find out.
        return if emulation::is_native(job.target()) {
            Emulation::Native
        } else {
            Emulation::Unavailable(Unavailable::Off)
        };
    }
    ctx.emulation(job.target()).clone()
}

/// The emulator to name to a build system that runs the target's programs itself:
/// cmake's `CMAKE_CROSSCOMPILING_EMULATOR`, meson's `exe_wrapper` — qemu-user for a
/// foreign target, `None` for the host's own or with `emulate = false`.
pub(crate) fn exe_wrapper(ctx: &Ctx, job: &LibBuild) -> Option<PathBuf> {
    for_job(ctx, job).emulator().cloned()
}

/// `emulate = true` on a machine that cannot emulate: refused before anything is built.
pub(crate) fn check_required<'a>(
    ctx: &Ctx,
    jobs: impl IntoIterator<Item = &'a LibBuild>,
) -> Result<()> {
    for job in jobs {
        if job.recipe.emulate != Emulate::On {
            continue;
        }
        if let Emulation::Unavailable(why) = ctx.emulation(job.target()) {
            let target = job.target();
            return Err(Error::EmulationUnavailable {
                subject: job.recipe.subject(),
                target,
                lacking: why.lacking(target),
            });
        }
    }
    Ok(())
}

/// A failed step's error when it failed by running one of the target's programs that
/// this machine cannot run (the step's log shows the kernel's "Exec format error", or a
/// shell reading the program as a script); `None` for any other failure.
pub(crate) fn foreign_program_failure(
    ctx: &Ctx,
    job: &LibBuild,
    step: &'static str,
    log: &Path,
    dir: &Path,
) -> Option<Error> {
    let Emulation::Unavailable(why) = for_job(ctx, job) else {
        return None;
    };
    let text = std::fs::read(log).ok()?;
    let target = job.target();
    let program = foreign_program(&String::from_utf8_lossy(&text), dir, target)?;
    Some(Error::ForeignProgram {
        subject: job.recipe.subject(),
        target,
        step,
        program,
        log: log.to_path_buf(),
        lacking: why.lacking(target),
    })
}

/// The program a build log shows failing to execute, as the log names it (or relative to
/// the step's folder when found there): a line with the kernel's ENOEXEC ("Exec format
/// error", bash's "cannot execute binary file"), or a POSIX shell's or make's fallback
/// of running it as a script (`./gen: 1: Syntax error: …`), which counts only when the
/// file is there and is one of `target`'s executables.
fn foreign_program(log: &str, dir: &Path, target: Target) -> Option<String> {
    let mut folders: Vec<PathBuf> = vec![dir.to_path_buf()];
    for line in log.lines() {
        if let Some(entered) = entered_folder(line) {
            folders.push(entered);
            continue;
        }
        // cmake does not even try without an emulator: `try_run() invoked in
        // cross-compiling mode, please set the following cache variables appropriately`.
        if line
            .to_ascii_lowercase()
            .contains("try_run() invoked in cross-compiling mode")
        {
            return Some("try_run's test program".into());
        }
        let parts: Vec<&str> = line.split(": ").map(str::trim).collect();
        // `sh: 1: ./gen: Exec format error`, bash's `./gen: cannot execute binary file:
        // Exec format error`, Python's `OSError: [Errno 8] Exec format error: './gen'`: the
        // program is the part next to the kernel's words.
        let enoexec = parts.iter().position(|p| {
            p.contains("Exec format error") || p.contains("cannot execute binary file")
        });
        // `./gen: 1: Syntax error: …` — the shell's line number after the file's name.
        let read_as_script = parts.len() >= 3 && parts[1].parse::<u32>().is_ok();
        let candidates = match enoexec {
            Some(i) => [i.checked_sub(1), Some(i + 1)]
                .into_iter()
                .flatten()
                .filter_map(|j| parts.get(j).copied())
                .collect(),
            None if read_as_script => vec![parts[0]],
            None => continue,
        };
        let says_enoexec = enoexec.is_some();
        for candidate in candidates {
            let name = candidate.trim_matches(['\'', '"', '`']).trim();
            if name.is_empty() || name.contains(' ') {
                continue;
            }
            // `./gen` in `bc/` is `bc/gen`.
            let found = folders
                .iter()
                .rev()
                .map(|f| {
                    f.join(name)
                        .components()
                        .filter(|c| *c != std::path::Component::CurDir)
                        .collect::<PathBuf>()
                })
                .find(|p| is_target_executable(p, target));
            match found {
                Some(path) => {
                    return Some(
                        path.strip_prefix(dir)
                            .map(|p| p.display().to_string())
                            .unwrap_or_else(|_| name.to_string()),
                    );
                }
                // Gone already (a configure script removes its test programs), but the
                // kernel's own words name it: the shell's and make's name is the program.
                None if says_enoexec && looks_like_a_path(name) => {
                    return Some(name.to_string());
                }
                None => {}
            }
        }
    }
    None
}

/// `make[2]: Entering directory '/build/bc'` (GNU make, old and new quotes).
fn entered_folder(line: &str) -> Option<PathBuf> {
    let (_, rest) = line.split_once("Entering directory ")?;
    let path = rest.trim().trim_matches(['\'', '`', '"', '‘', '’']);
    Some(PathBuf::from(path))
}

/// A word the shell would have run as a program: a path, not a shell's or make's own
/// name and not a message.
fn looks_like_a_path(word: &str) -> bool {
    word.contains('/')
        && !word.ends_with("/sh")
        && !word.ends_with("/bash")
        && !word.ends_with("/dash")
        && !word.ends_with("/make")
}

/// Whether `path` is an executable of `target` (its binfmt_misc entry would take it).
fn is_target_executable(path: &Path, target: Target) -> bool {
    use std::io::Read;
    let mut header = [0u8; 20];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut header));
    if read.is_err() {
        return false;
    }
    let (magic, mask) = target.binfmt_magic();
    (0..20).all(|i| header[i] & mask[i] == magic[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An aarch64 executable's header, and nothing after it: enough for the check.
    fn aarch64_program(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            path,
            b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\xb7\0rest of the program",
        )
        .unwrap();
    }

    #[test]
    fn bash_running_a_generator_in_a_sub_make() {
        let dir = tempfile::tempdir().unwrap();
        aarch64_program(&dir.path().join("bc/fbc"));
        let log = format!(
            "make[2]: Entering directory '{}/bc'\n./fbc -c libmath.b </dev/null >libmath.h\n/bin/bash: line 1: ./fbc: cannot execute binary file: Exec format error\nmake[2]: *** [Makefile:631: libmath.h] Error 126\n",
            dir.path().display()
        );
        assert_eq!(
            foreign_program(&log, dir.path(), Target::Aarch64).as_deref(),
            Some("bc/fbc")
        );
        // Not an armv7 program, so not found as one: the kernel's words still name it.
        assert_eq!(
            foreign_program(&log, dir.path(), Target::Armv7).as_deref(),
            Some("./fbc")
        );
    }

    #[test]
    fn make_running_a_program_as_a_script() {
        let dir = tempfile::tempdir().unwrap();
        aarch64_program(&dir.path().join("gen"));
        let log = "./gen > table.h\n./gen: 1: Syntax error: word unexpected (expecting \")\")\nmake: *** [Makefile:2: table.h] Error 2\n";
        assert_eq!(
            foreign_program(log, dir.path(), Target::Aarch64).as_deref(),
            Some("gen")
        );
        // The same words from a real shell script are an ordinary failure.
        std::fs::write(dir.path().join("gen"), "#!/bin/sh\n(\n").unwrap();
        assert_eq!(foreign_program(log, dir.path(), Target::Aarch64), None);
    }

    #[test]
    fn a_removed_test_program_is_named_by_the_kernels_words() {
        let dir = tempfile::tempdir().unwrap();
        let log = "testing noop ...\n./configure: 186: ./test-noop: Exec format error\ntested noop: no (execution failed)\n";
        assert_eq!(
            foreign_program(log, dir.path(), Target::Armv7).as_deref(),
            Some("./test-noop")
        );
        let python = "OSError: [Errno 8] Exec format error: './gen_tables'\n";
        assert_eq!(
            foreign_program(python, dir.path(), Target::Armv7).as_deref(),
            Some("./gen_tables")
        );
    }

    #[test]
    fn cmake_without_an_emulator_refuses_try_run() {
        let dir = tempfile::tempdir().unwrap();
        let log = "-- Detecting C compile features - done\nCMake Error: try_run() invoked in cross-compiling mode, please set the following cache variables appropriately:\n   PROBE_RAN (advanced)\n";
        assert_eq!(
            foreign_program(log, dir.path(), Target::Armv7).as_deref(),
            Some("try_run's test program")
        );
    }

    #[test]
    fn ordinary_failures_blame_no_program() {
        let dir = tempfile::tempdir().unwrap();
        let log = "cc -c x.c\nx.c:1:1: error: unknown type name 'foo'\nmake: *** [Makefile:3: x.o] Error 1\n";
        assert_eq!(foreign_program(log, dir.path(), Target::Aarch64), None);
    }
}
