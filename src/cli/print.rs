//! What a command prints on stdout: human lines, or with `--json` one JSON document
//! instead. Progress and errors go to stderr (`sys::ui::Ui`, which knows the progress board); a
//! command never writes to stdout except through its `Printer`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::args::GlobalArgs;
use crate::env::Env;
use crate::error::{Error, Result};

/// How a command's result is shown: `--json` wins over `-q`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Human,
    /// `-q`: only what was asked for (`lib env`'s lines, a doctor's report), no status.
    Quiet,
    Json,
}

impl Format {
    pub(crate) fn of(global: &GlobalArgs) -> Format {
        match (global.json, global.quiet) {
            (true, _) => Format::Json,
            (false, true) => Format::Quiet,
            (false, false) => Format::Human,
        }
    }
}

/// A command's stdout, in the format the flags chose; written to any writer so tests can
/// read what a command would print.
pub(crate) struct Printer<W: Write = io::Stdout> {
    format: Format,
    out: W,
}

impl Printer {
    pub(crate) fn stdout(global: &GlobalArgs) -> Printer {
        Printer::new(Format::of(global), io::stdout())
    }
}

impl<W: Write> Printer<W> {
    pub(crate) fn new(format: Format, out: W) -> Printer<W> {
        Printer { format, out }
    }

    pub(crate) fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    /// Human lines are wanted (neither `-q` nor `--json`).
    pub(crate) fn is_human(&self) -> bool {
        self.format == Format::Human
    }

    /// `-q`: status lines and human reports are not wanted.
    pub(crate) fn is_quiet(&self) -> bool {
        self.format == Format::Quiet
    }

    /// The result of the command: `value` as one JSON document with `--json`, else the
    /// human text unless `-q`.
    pub(crate) fn report<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
        human: impl FnOnce() -> String,
    ) -> Result<()> {
        match self.format {
            Format::Json => self.json(value),
            Format::Human => self.text(&human()),
            Format::Quiet => Ok(()),
        }
    }

    /// One JSON document, pretty-printed.
    pub(crate) fn json<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let document = serde_json::to_string_pretty(value).expect("reports serialise");
        self.write(format_args!("{document}\n"))
    }

    /// A status line (`wrote muslbuild.toml`, `removed: …`): shown only in human format.
    pub(crate) fn line(&mut self, line: impl std::fmt::Display) -> Result<()> {
        if self.is_human() {
            self.write(format_args!("{line}\n"))?;
        }
        Ok(())
    }

    /// Text the command exists to print (export lines, a listing), whatever the format.
    pub(crate) fn text(&mut self, text: &str) -> Result<()> {
        self.write(format_args!("{text}"))
    }

    fn write(&mut self, args: std::fmt::Arguments<'_>) -> Result<()> {
        self.out
            .write_fmt(args)
            .map_err(Error::io("cannot write to", PathBuf::from("stdout")))
    }

    #[cfg(test)]
    pub(crate) fn into_inner(self) -> W {
        self.out
    }
}

/// A path as the user would type it: relative to the working directory when inside it.
pub(crate) fn display_path(env: &Env, path: &Path) -> String {
    path.strip_prefix(&env.cwd)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(format: Format, f: impl FnOnce(&mut Printer<Vec<u8>>) -> Result<()>) -> String {
        let mut printer = Printer::new(format, Vec::new());
        f(&mut printer).unwrap();
        String::from_utf8(printer.into_inner()).unwrap()
    }

    #[test]
    fn a_report_is_json_or_human_or_nothing() {
        let report = |p: &mut Printer<Vec<u8>>| p.report(&[1, 2], || "one two\n".into());
        assert_eq!(printed(Format::Json, report), "[\n  1,\n  2\n]\n");
        assert_eq!(printed(Format::Human, report), "one two\n");
        assert_eq!(printed(Format::Quiet, report), "");
    }

    #[test]
    fn status_lines_only_in_human_format_text_always() {
        let both = |p: &mut Printer<Vec<u8>>| {
            p.line("removed: x")?;
            p.text("export CC=cc\n")
        };
        assert_eq!(printed(Format::Human, both), "removed: x\nexport CC=cc\n");
        assert_eq!(printed(Format::Quiet, both), "export CC=cc\n");
        assert_eq!(printed(Format::Json, both), "export CC=cc\n");
    }
}
