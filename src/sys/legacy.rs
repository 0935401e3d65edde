//! SHIMS, to be deleted: process-wide copies of what the `Ctx` carries (the supervisor,
//! verbosity, download settings, the cache's memory of checked entries), for the callers
//! that are not handed a Ctx yet. `main` fills them once; every new caller takes the Ctx.
//! When `grep -rn legacy src` finds only this file, delete it.

use std::path::Path;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use crate::cache::Seen;
use crate::error::Result;
use crate::sys::download::NetSettings;
use crate::sys::process::Supervisor;
use crate::sys::ui::{Ui, Verbosity};

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

pub fn supervisor() -> Arc<Supervisor> {
    Arc::clone(SUPERVISOR.get_or_init(Supervisor::new))
}

pub fn set_verbosity(level: u8) {
    VERBOSITY.store(level, Ordering::Relaxed);
}

pub fn verbosity() -> u8 {
    VERBOSITY.load(Ordering::Relaxed)
}

pub fn ui() -> Ui {
    Ui {
        verbosity: match verbosity() {
            QUIET => Verbosity::Quiet,
            NORMAL => Verbosity::Normal,
            _ => Verbosity::Verbose,
        },
    }
}

pub fn configure(settings: NetSettings) {
    let _ = NET.set(settings);
}

pub fn net() -> NetSettings {
    NET.get().cloned().unwrap_or_default()
}

pub(crate) fn seen() -> Arc<Seen> {
    Arc::clone(SEEN.get_or_init(Default::default))
}

pub fn temp_prefix(parent: &Path) -> String {
    supervisor().temps().prefix(parent)
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::sys::fs::write_atomic(&supervisor().temps().clone(), path, bytes)
}
