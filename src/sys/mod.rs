//! The machinery every stage uses: processes, progress, downloads, archives.

pub mod download;
pub mod hash;
pub mod process;
pub mod progress;
pub mod time;
pub mod ui;
pub mod unpack;
