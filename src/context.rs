//! `Ctx`: what every command shares — the environment snapshot, the cache, the `-j`
//! budget, how much to print, and how to download. `cli` makes it once from the parsed
//! arguments and passes it down by reference, so nothing process-wide stands beside it.

use crate::cache::Cache;
use crate::env::Env;
use crate::jobs::Jobs;
use crate::sys::download;

pub struct Ctx {
    pub env: Env,
    pub cache: Cache,
    pub jobs: Jobs,
    pub ui: Ui,
    pub net: download::Settings,
}

impl Ctx {
    pub fn new(env: Env, ui: Ui, net: download::Settings, jobs: usize) -> Ctx {
        let cache = Cache::new(env.cache_root());
        Ctx {
            env,
            cache,
            jobs: Jobs::new(jobs),
            ui,
            net,
        }
    }
}

/// How much muslbuild says on stderr: `-q` only errors, `-v` also every command it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Verbosity {
    Quiet,
    #[default]
    Normal,
    Verbose,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Ui {
    pub verbosity: Verbosity,
}

impl Ui {
    /// Progress and status lines are shown (not `-q`).
    pub fn says_progress(&self) -> bool {
        self.verbosity >= Verbosity::Normal
    }

    /// Every command is echoed, copy-pastable (`-v`).
    pub fn echoes_commands(&self) -> bool {
        self.verbosity >= Verbosity::Verbose
    }
}
