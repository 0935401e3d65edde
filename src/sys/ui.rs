//! What muslbuild tells the person at the terminal, and how much (`-q`, `-v`): the one
//! voice on stderr. Every status line, warning and error below `cli/` is said through
//! `Ui`, which knows when the progress board is drawing: a line said then is printed
//! above the board (its live lines cleared, the line printed, the board drawn again)
//! instead of through it, as cargo's `Shell` and uv's `Printer` do.

use std::fmt::Display;
use std::io::Write;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressDrawTarget};

use crate::error::{Error, Result};

/// How much muslbuild says on stderr: `-q` only errors, `-v` also every command it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) enum Verbosity {
    Quiet,
    #[default]
    Normal,
    Verbose,
}

/// Where said lines go, and the board drawing there now, if any. There is one for the
/// process's stderr, which is as process-wide as stderr itself; a test makes its own to
/// read what was said.
pub(crate) struct Channel {
    live: Mutex<Option<MultiProgress>>,
    sink: Sink,
}

enum Sink {
    Stderr,
    #[cfg(test)]
    Screen(tests::Screen),
}

static STDERR: Channel = Channel {
    live: Mutex::new(None),
    sink: Sink::Stderr,
};

impl Channel {
    fn write(&self, text: &str) {
        match &self.sink {
            Sink::Stderr => {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{text}");
            }
            #[cfg(test)]
            Sink::Screen(screen) => screen.print(text),
        }
    }

    /// Says `text` on its own lines, above the board if one is drawing.
    fn say(&self, text: &str) {
        let live = self.live.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match live {
            Some(board) => board.suspend(|| self.write(text)),
            None => self.write(text),
        }
    }

    /// Where a board drawing on this channel draws.
    pub(crate) fn draw_target(&self) -> ProgressDrawTarget {
        match &self.sink {
            Sink::Stderr => ProgressDrawTarget::stderr(),
            #[cfg(test)]
            Sink::Screen(screen) => ProgressDrawTarget::term_like(Box::new(screen.clone())),
        }
    }

    /// `board` draws now: lines said until `ended` are printed above it. Returns the one
    /// it covers (a board inside another's work), to be put back when it ends.
    pub(crate) fn drawing(&self, board: &MultiProgress) -> Option<MultiProgress> {
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(board.clone())
    }

    pub(crate) fn ended(&self, covered: Option<MultiProgress>) {
        *self.live.lock().unwrap_or_else(|p| p.into_inner()) = covered;
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Ui {
    pub(crate) verbosity: Verbosity,
    channel: &'static Channel,
}

impl Default for Ui {
    fn default() -> Ui {
        Ui::new(Verbosity::default())
    }
}

impl std::fmt::Debug for Ui {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ui")
            .field("verbosity", &self.verbosity)
            .finish_non_exhaustive()
    }
}

impl Ui {
    /// Saying as much as `verbosity` allows, on the process's stderr.
    pub(crate) fn new(verbosity: Verbosity) -> Ui {
        Ui {
            verbosity,
            channel: &STDERR,
        }
    }

    /// Progress and status lines are shown (not `-q`).
    pub(crate) fn says_progress(&self) -> bool {
        self.verbosity >= Verbosity::Normal
    }

    /// Every command is echoed, copy-pastable (`-v`).
    pub(crate) fn echoes_commands(&self) -> bool {
        self.verbosity >= Verbosity::Verbose
    }

    pub(crate) fn channel(&self) -> &'static Channel {
        self.channel
    }

    /// `muslbuild: WHAT`, unless `-q`: what muslbuild is doing or has done.
    pub(crate) fn status(&self, what: impl Display) {
        if self.says_progress() {
            self.channel.say(&format!("muslbuild: {what}"));
        }
    }

    /// `muslbuild: warning: WHAT`, unless `-q`.
    pub(crate) fn warn(&self, what: impl Display) {
        if self.says_progress() {
            self.channel.say(&format!("muslbuild: warning: {what}"));
        }
    }

    /// `muslbuild: WHAT`, only with `-v`: where a result came from, an option rewritten.
    pub(crate) fn note(&self, what: impl Display) {
        if self.echoes_commands() {
            self.channel.say(&format!("muslbuild: {what}"));
        }
    }

    /// `+ COMMAND`, only with `-v`: a command as it could be pasted into a shell.
    pub(crate) fn echo(&self, command: impl Display) {
        if self.echoes_commands() {
            self.channel.say(&format!("+ {command}"));
        }
    }

    /// A line as it is, unless `-q` (a board's finished results).
    pub(crate) fn line(&self, text: impl Display) {
        if self.says_progress() {
            self.channel.say(&text.to_string());
        }
    }

    /// A line said whatever the verbosity: why the process stops.
    pub(crate) fn always(&self, text: impl Display) {
        self.channel.say(&text.to_string());
    }

    /// `muslbuild: error: …`, the tool's own output (diagnostics, a log tail) if any,
    /// then `help: …`, whatever the verbosity.
    pub(crate) fn error(&self, err: &Error) {
        self.channel.say(&err.report());
    }

    /// The first error is the command's result (its exit code); the others are said
    /// before it so none is lost.
    pub(crate) fn first_of(&self, errors: Vec<Error>) -> Result<()> {
        match errors.into_iter().reduce(|first, other| {
            self.error(&other);
            first
        }) {
            Some(first) => Err(first),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::{Arc, Mutex};

    use indicatif::{MultiProgress, ProgressBar, ProgressStyle, TermLike};

    use super::*;

    /// A terminal's rows as a person would read them, for the board and the said lines
    /// alike: what indicatif's cursor moves and clears leave on the screen.
    #[derive(Clone, Debug, Default)]
    pub(crate) struct Screen {
        state: Arc<Mutex<(Vec<String>, usize)>>,
    }

    impl Screen {
        pub(super) fn print(&self, text: &str) {
            for line in text.lines() {
                let _ = self.write_line(line);
            }
        }

        pub(crate) fn rows(&self) -> Vec<String> {
            let (rows, _) = &*self.state.lock().unwrap();
            rows.iter()
                .map(|r| r.trim_end().to_string())
                .filter(|r| !r.is_empty())
                .collect()
        }

        fn edit(&self, f: impl FnOnce(&mut Vec<String>, &mut usize)) -> std::io::Result<()> {
            let (rows, at) = &mut *self.state.lock().unwrap();
            while rows.len() <= *at {
                rows.push(String::new());
            }
            f(rows, at);
            Ok(())
        }
    }

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            80
        }
        fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
            self.edit(|_, at| *at = at.saturating_sub(n))
        }
        fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
            self.edit(|_, at| *at += n)
        }
        fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.edit(|rows, at| {
                rows[*at].push_str(s);
                *at += 1;
            })
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.edit(|rows, at| rows[*at].push_str(s))
        }
        fn clear_line(&self) -> std::io::Result<()> {
            self.edit(|rows, at| rows[*at].clear())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A `Ui` saying to a screen the test reads; the channel lives as long as the test
    /// process, as stderr's does.
    pub(crate) fn on_screen(verbosity: Verbosity) -> (Ui, Screen) {
        let screen = Screen::default();
        let channel = Box::leak(Box::new(Channel {
            live: Mutex::new(None),
            sink: Sink::Screen(screen.clone()),
        }));
        (Ui { verbosity, channel }, screen)
    }

    #[test]
    fn a_line_said_while_the_board_draws_goes_above_it() {
        let (ui, screen) = on_screen(Verbosity::Normal);
        let board = MultiProgress::with_draw_target(ui.channel().draw_target());
        let covered = ui.channel().drawing(&board);
        let bar = board.add(ProgressBar::new_spinner());
        bar.set_style(ProgressStyle::with_template("{prefix} {msg}").unwrap());
        bar.set_prefix("aarch64");
        bar.set_message("zlib: make");
        bar.tick();
        ui.warn("the remote cache is away");
        bar.tick();
        assert_eq!(
            screen.rows(),
            [
                "muslbuild: warning: the remote cache is away",
                "aarch64 zlib: make"
            ]
        );
        ui.channel().ended(covered);
    }

    #[test]
    fn each_kind_of_line_keeps_its_words_and_verbosity() {
        let (quiet, screen) = on_screen(Verbosity::Quiet);
        quiet.status("downloading");
        quiet.warn("damaged");
        quiet.note("from the cache");
        quiet.always("muslbuild: interrupted");
        assert_eq!(screen.rows(), ["muslbuild: interrupted"]);

        let (normal, screen) = on_screen(Verbosity::Normal);
        normal.status("downloading");
        normal.warn("damaged");
        normal.note("from the cache");
        normal.echo("cc -c a.c");
        assert_eq!(
            screen.rows(),
            ["muslbuild: downloading", "muslbuild: warning: damaged"]
        );

        let (verbose, screen) = on_screen(Verbosity::Verbose);
        verbose.note("from the cache");
        verbose.echo("cc -c a.c");
        assert_eq!(screen.rows(), ["muslbuild: from the cache", "+ cc -c a.c"]);
    }

    /// The rest of the library says what it says through `Ui`: a raw `eprintln!` below
    /// `cli/` would write through a live board.
    #[test]
    fn nothing_below_cli_prints_to_stderr_itself() {
        fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    if !path.ends_with("cli") {
                        walk(&path, found);
                    }
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !path.ends_with("sys/ui.rs")
                    && !path.ends_with("main.rs")
                {
                    let text = std::fs::read_to_string(&path).unwrap();
                    // Test modules may print what they like.
                    let code = text.split("#[cfg(test)]").next().unwrap_or("");
                    for (i, line) in code.lines().enumerate() {
                        if line.contains(concat!("eprint", "ln!"))
                            || line.contains(concat!("eprint", "!("))
                        {
                            found.push(format!("{}:{}", path.display(), i + 1));
                        }
                    }
                }
            }
        }
        let mut found = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert!(found.is_empty(), "raw stderr writes: {found:?}");
    }
}
