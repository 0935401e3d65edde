//! The machinery every stage uses: processes, progress, hashes, downloads, archives,
//! files that appear whole.

pub mod download;
pub mod fs;
pub mod hash;
pub mod legacy;
pub mod process;
pub mod progress;
pub mod time;
pub mod ui;
pub mod unpack;
