//! Progress of long builds (libraries, vendored projects): one live line per target on a
//! terminal, showing what is being built, the step (unpack, configure, make, install) and
//! the time spent in it; plain lines on stderr otherwise, so CI logs still say where a
//! ten-minute build is. Quiet shows nothing; `-v` streams the build logs instead, and a
//! live line would tear them.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::sys::ui::{Ui, Verbosity};

/// How progress is shown: decided once, from the verbosity and whether stderr is a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Hidden,
    Plain,
    Live,
}

impl Mode {
    /// How a run that says what `ui` allows shows progress on this stderr.
    pub(crate) fn for_ui(ui: Ui) -> Mode {
        Mode::for_output(ui.verbosity, std::io::stderr().is_terminal())
    }

    pub(crate) fn for_output(verbosity: Verbosity, stderr_is_terminal: bool) -> Mode {
        match verbosity {
            Verbosity::Quiet => Mode::Hidden,
            Verbosity::Normal if stderr_is_terminal => Mode::Live,
            _ => Mode::Plain,
        }
    }
}

/// The set of live lines of one long operation. While it draws, whatever `Ui` says is
/// printed above it.
pub(crate) struct Board {
    mode: Mode,
    ui: Ui,
    multi: Option<MultiProgress>,
    /// The board this one covers while it draws, put back when it ends.
    covered: Option<MultiProgress>,
}

impl Board {
    /// The board of a run that says what `ui` allows, on this stderr.
    pub(crate) fn new(ui: Ui) -> Board {
        Board::with_mode(Mode::for_ui(ui), ui)
    }

    pub(crate) fn with_mode(mode: Mode, ui: Ui) -> Board {
        let multi = (mode == Mode::Live)
            .then(|| MultiProgress::with_draw_target(ui.channel().draw_target()));
        let covered = multi.as_ref().and_then(|m| ui.channel().drawing(m));
        Board {
            mode,
            ui,
            multi,
            covered,
        }
    }

    /// A line for one target (`aarch64`): what it builds changes as it goes.
    pub(crate) fn line(&self, name: &str) -> Line {
        let bar = self.multi.as_ref().map(|multi| {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("  {spinner} {prefix:8} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(name.to_string());
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        });
        Line {
            name: name.to_string(),
            mode: self.mode,
            ui: self.ui,
            bar,
            current: Mutex::new(None),
        }
    }

    /// A finished result, printed above the live lines instead of through them.
    pub(crate) fn println(&self, message: &str) {
        self.ui.line(message);
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        if self.multi.is_some() {
            self.ui.channel().ended(self.covered.take());
        }
    }
}

pub(crate) struct Line {
    name: String,
    mode: Mode,
    ui: Ui,
    bar: Option<ProgressBar>,
    /// What is being built and the step it is in, with when the step started.
    current: Mutex<Option<(String, String, Instant)>>,
}

impl Line {
    /// `what` entered `step`: the live line shows it with a clock; a plain line says how
    /// long the previous step of the same thing took.
    pub(crate) fn step(&self, what: &str, step: &str) {
        let now = Instant::now();
        let previous = self
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace((what.to_string(), step.to_string(), now));
        match (&self.bar, self.mode) {
            (Some(bar), _) => {
                bar.set_message(format!("{what}: {step}"));
                bar.reset_elapsed();
                bar.set_style(
                    ProgressStyle::with_template("  {spinner} {prefix:8} {wide_msg} {elapsed:>4}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
            }
            (None, Mode::Plain) => {
                let took = previous
                    .filter(|(w, _, _)| w == what)
                    .map(|(_, s, at)| format!(" ({s} took {})", seconds(now - at)))
                    .unwrap_or_default();
                self.ui
                    .status(format_args!("{what} for {}: {step}{took}", self.name));
            }
            _ => {}
        }
    }

    /// The target's work is over: its live line goes away.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        self.finish();
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_follows_verbosity_and_terminal() {
        assert_eq!(Mode::for_output(Verbosity::Quiet, true), Mode::Hidden);
        assert_eq!(Mode::for_output(Verbosity::Normal, true), Mode::Live);
        assert_eq!(Mode::for_output(Verbosity::Normal, false), Mode::Plain);
        // -v streams the logs: a live line would tear them.
        assert_eq!(Mode::for_output(Verbosity::Verbose, true), Mode::Plain);
    }

    #[test]
    fn a_line_remembers_its_step() {
        let board = Board::with_mode(Mode::Hidden, Ui::default());
        let line = board.line("armv7");
        line.step("ncurses 6.4", "configure");
        line.step("ncurses 6.4", "make");
        let current = line.current.lock().unwrap();
        let (what, step, _) = current.as_ref().unwrap();
        assert_eq!((what.as_str(), step.as_str()), ("ncurses 6.4", "make"));
    }

    #[test]
    fn a_warning_while_the_board_draws_leaves_the_board_intact() {
        let (ui, screen) = crate::sys::ui::tests::on_screen(Verbosity::Normal);
        let board = Board::with_mode(Mode::Live, ui);
        let line = board.line("aarch64");
        line.step("zlib 1.3", "make");
        ui.warn("the cache entry x is damaged");
        board.println("muslbuild: built zlib 1.3 for x86_64");
        line.step("zlib 1.3", "install");
        let rows = screen.rows();
        assert_eq!(
            rows[..2],
            [
                "muslbuild: warning: the cache entry x is damaged",
                "muslbuild: built zlib 1.3 for x86_64"
            ]
        );
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert!(rows[2].contains("aarch64") && rows[2].contains("zlib 1.3: install"));
        drop(line);
        drop(board);
        // The board is gone: a line is said straight on.
        ui.status("done");
        assert_eq!(screen.rows().last().unwrap(), "muslbuild: done");
    }
}
