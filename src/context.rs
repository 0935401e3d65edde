//! `Ctx`: what every command shares — the environment snapshot, the cache, the `-j`
//! budget, how much to print, and how to download. `cli` makes it once from the parsed
//! arguments and passes it down by reference, so nothing process-wide stands beside it.

use crate::cache::Cache;
use crate::env::Env;
use crate::jobs::Jobs;
use crate::sys::download;
use crate::sys::ui::Ui;

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
