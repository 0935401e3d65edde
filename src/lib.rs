//! muslbuild: static, tiny Linux executables from C and Go sources for several
//! architectures at once, verified, and packed into FROM-scratch OCI images.
//! `ARCHITECTURE.md` is the code map.

pub mod cache;
pub mod cmd;
pub mod compile;
pub mod download;
pub mod env;
pub mod error;
pub mod libs;
pub mod target;
pub mod toolchain;
pub mod verify;
