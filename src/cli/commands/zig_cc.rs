//! `muslbuild zig-cc ZIG ARGS…`: the compiler build systems get when their toolchain is
//! zig (`CC='muslbuild zig-cc /…/zig cc -target …'`). It translates the GNU ld options
//! in `ARGS` (`toolchain::zigld`), then becomes zig. It runs once per compile of every
//! vendored build, so it starts before the supervisor and clap, needs no cache, and
//! writes nothing but its notes.
//!
//! What it dropped or rewrote goes to the notes file muslbuild names in
//! `MUSLBUILD_ZIG_NOTES` (muslbuild prints it with `-v`), never to stderr: configure
//! scripts read a compiler's stderr (libtool takes any output as "option unsupported"),
//! and a build must not change with `-v`. Run by hand, without that file, it says so on
//! stderr. A refused option is said on stderr either way and ends the call with exit 6.
//! A compile of several sources without `-o` runs as one zig compile per source
//! (`zigld::one_compile_per_source`): zig would write one object for all of them.

use std::ffi::OsString;
use std::process::ExitCode;

use crate::env::Env;
use crate::error::exit;
use crate::sys::process::{replace_process, run_to_end};
use crate::toolchain::zigld::{self, Record};

/// Runs the wrapper when muslbuild was started as one; `None` otherwise.
pub(crate) fn run_if_called(env: &Env) -> Option<ExitCode> {
    match env.args() {
        [_, command, zig, args @ ..] if command == zigld::WRAPPER_COMMAND => {
            Some(run(env, zig, args))
        }
        [_, command] if command == zigld::WRAPPER_COMMAND => {
            eprintln!("muslbuild: error: `zig-cc` needs zig's path and its arguments");
            eprintln!(
                "help: muslbuild gives build systems `CC='muslbuild zig-cc /path/to/zig cc -target …'`; `muslbuild lib env` prints it"
            );
            Some(ExitCode::from(exit::USAGE))
        }
        _ => None,
    }
}

fn run(env: &Env, zig: &OsString, args: &[OsString]) -> ExitCode {
    let translation = match zigld::translate(args, &|path| std::fs::read(path).ok()) {
        Ok(translation) => translation,
        Err(refusal) => {
            record(env, &[Record::Refused(refusal.clone())]);
            let given = if refusal.given.is_empty() || refusal.given == refusal.option {
                String::new()
            } else {
                format!(" (as `{}`)", refusal.given)
            };
            eprintln!(
                "muslbuild: error: zig's linker cannot take `{}`{given}: {}",
                refusal.option, refusal.why
            );
            eprintln!(
                "help: GNU ld takes it: link with a GCC toolchain (--toolchain musl-cross or musl-gcc), or leave the option out"
            );
            return ExitCode::from(exit::NO_TOOLCHAIN);
        }
    };
    if !translation.notes.is_empty() {
        let records: Vec<Record> = translation
            .notes
            .iter()
            .cloned()
            .map(Record::Note)
            .collect();
        if !record(env, &records) {
            for note in &translation.notes {
                eprintln!("muslbuild: {note}");
            }
        }
    }
    if let Some(compiles) = zigld::one_compile_per_source(&translation.args) {
        for args in compiles {
            match run_to_end(zig, &args, 1, &env.temp_dir()) {
                Ok(0) => {}
                Ok(code) => return ExitCode::from(code),
                Err(err) => {
                    crate::sys::ui::Ui::default().error(&err);
                    return ExitCode::from(err.exit_code());
                }
            }
        }
        return ExitCode::SUCCESS;
    }
    // The zig subcommand (`cc`) stays on the command line if the rest goes into a
    // response file.
    match replace_process(zig, &translation.args, 1, &env.temp_dir()) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            crate::sys::ui::Ui::default().error(&err);
            ExitCode::from(err.exit_code())
        }
    }
}

/// Writes `records` to the notes file; false when there is none to write to.
fn record(env: &Env, records: &[Record]) -> bool {
    match env.zig_notes_file() {
        Some(path) => zigld::append_records(&path, records).is_ok(),
        None => false,
    }
}
