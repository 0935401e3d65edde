//! One module per subcommand, each thin: check the flags, call the room below, print.

pub(crate) mod build;
pub(crate) mod cache;
pub(crate) mod completions;
pub(crate) mod image;
pub(crate) mod init;
pub(crate) mod lib;
pub(crate) mod project;
pub(crate) mod sbom;
pub(crate) mod targets;
pub(crate) mod toolchain;
pub(crate) mod verify;
pub(crate) mod zig_cc;
