//! muslbuild: static, tiny Linux executables from C sources for several architectures at
//! once, verified, and written to `dist/`. `ARCHITECTURE.md` is the code map.

pub mod cache;
pub mod cli;
pub(crate) mod context;
pub(crate) mod dist_folder;
pub(crate) mod emulation;
pub mod env;
pub mod error;
#[cfg(test)]
mod floors;
pub(crate) mod image;
pub(crate) mod jobs;
pub(crate) mod libs;
pub(crate) mod pipeline;
pub(crate) mod plan;
pub(crate) mod project;
pub(crate) mod run;
pub(crate) mod sbom;
pub(crate) mod space;
pub mod strip;
pub mod sys;
pub mod target;
pub mod toolchain;
pub mod verify;
