//! What muslbuild tells the person at the terminal: how much (`-q`, `-v`), and sizes in
//! the units people read.

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

/// Bytes as people read them: `812 B`, `6.8 KiB`, `1.5 MiB`.
pub(crate) fn human_size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else if bytes < 1024 * 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}
