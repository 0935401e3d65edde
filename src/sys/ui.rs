//! What muslbuild tells the person at the terminal: how much (`-q`, `-v`).

/// How much muslbuild says on stderr: `-q` only errors, `-v` also every command it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) enum Verbosity {
    Quiet,
    #[default]
    Normal,
    Verbose,
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Ui {
    pub(crate) verbosity: Verbosity,
}

impl Ui {
    /// Progress and status lines are shown (not `-q`).
    pub(crate) fn says_progress(&self) -> bool {
        self.verbosity >= Verbosity::Normal
    }

    /// Every command is echoed, copy-pastable (`-v`).
    pub(crate) fn echoes_commands(&self) -> bool {
        self.verbosity >= Verbosity::Verbose
    }
}
