//! From inputs to a verified artifact in `dist/`: the C pipeline and the build cache.

pub mod c;
pub mod cache;
pub mod compile;
