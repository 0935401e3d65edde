//! The machinery every stage uses: processes, progress, hashes, downloads, archives,
//! files that appear whole, the OCI registry client and layout reader.

pub(crate) mod download;
pub mod fs;
pub mod hash;
pub(crate) mod key;
pub(crate) mod oci_layout;
pub mod process;
pub(crate) mod progress;
pub(crate) mod registry;
pub(crate) mod time;
pub(crate) mod ui;
pub(crate) mod unpack;
