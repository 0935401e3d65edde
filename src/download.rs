//! Downloads: a URL to a file, verified by sha256 (and size) before anyone may use it.
//! Owned by the toolchain-install work (issue 3); the library sources (issue 4) use it too.

use std::path::Path;

use crate::error::{Error, Result};

/// What the caller knows of the file to fetch.
#[derive(Clone, Debug)]
pub struct Expected<'a> {
    pub sha256: &'a str,
    pub size: Option<u64>,
}

/// Downloads `urls` (primary first, then mirrors) to `dest`, which appears by rename only
/// once its sha256 (and size, when known) match.
pub fn fetch_verified(urls: &[String], expected: &Expected<'_>, dest: &Path) -> Result<()> {
    let _ = (expected, dest);
    Err(Error::usage(
        format!("downloading is not implemented yet ({})", urls.join(", ")),
        "put the file in a --source-dir folder",
    ))
}
