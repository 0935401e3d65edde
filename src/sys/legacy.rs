//! SHIMS, to be deleted with `cli/app.rs`: process-wide copies of what the `Ctx` carries
//! (the supervisor, verbosity, download settings, the cache's memory of checked entries),
//! for `main` and `cli/app.rs`, which make several `Ctx`s per run (`Ctx::new`) instead of
//! one. Nothing else uses them: every other room takes the Ctx.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use crate::cache::Seen;
use crate::sys::download::NetSettings;
use crate::sys::process::supervisor::Supervisor;

static SUPERVISOR: OnceLock<Arc<Supervisor>> = OnceLock::new();
static VERBOSITY: AtomicU8 = AtomicU8::new(NORMAL);
static NET: OnceLock<NetSettings> = OnceLock::new();
static SEEN: OnceLock<Arc<Seen>> = OnceLock::new();

pub const QUIET: u8 = 0;
pub const NORMAL: u8 = 1;
pub const VERBOSE: u8 = 2;

/// `Supervisor::start()`, remembered for the shims.
pub fn handle_interrupts() {
    let _ = SUPERVISOR.set(Supervisor::start());
}

pub fn wait_if_interrupted() {
    supervisor().wait_if_interrupted();
}

pub(crate) fn supervisor() -> Arc<Supervisor> {
    Arc::clone(SUPERVISOR.get_or_init(Supervisor::new))
}

pub fn set_verbosity(level: u8) {
    VERBOSITY.store(level, Ordering::Relaxed);
}

pub(crate) fn verbosity() -> u8 {
    VERBOSITY.load(Ordering::Relaxed)
}

pub(crate) fn configure(settings: NetSettings) {
    let _ = NET.set(settings);
}

pub(crate) fn net() -> NetSettings {
    NET.get().cloned().unwrap_or_default()
}

pub(crate) fn seen() -> Arc<Seen> {
    Arc::clone(SEEN.get_or_init(Default::default))
}
