//! The machinery every stage uses: processes, progress, downloads, archives.

pub mod download;
pub mod process;
pub mod progress;
pub mod ui;
pub mod unpack;
