//! muslbuild: static, tiny Linux executables from C sources for several architectures at
//! once, verified, and written to `dist/`. `ARCHITECTURE.md` is the code map.

pub mod cache;
pub mod cli;
pub mod context;
pub mod dist;
pub mod env;
pub mod error;
pub mod go;
pub mod image;
pub mod jobs;
pub mod libs;
pub mod pipeline;
pub mod project;
pub mod run;
pub mod strip;
pub mod sys;
pub mod target;
pub mod toolchain;
pub mod verify;
