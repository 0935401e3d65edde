//! Go builds: one `go build` per package and target that comes out static whatever the
//! package imports. Pure Go gets `CGO_ENABLED=0` and the `netgo,osusergo` tags (otherwise
//! `net` and `os/user` link glibc dynamically on a native build); `--cgo` gets the
//! target's musl toolchain as `CC` and a forced static external link. The user's
//! `-ldflags`, `-tags` and `GOFLAGS` are merged after muslbuild's, and flags that would
//! make the result dynamic are refused before anything runs.
//!
//! `toolchain` finds and probes Go, `package` reads a package without running it,
//! `flags` merges and refuses the user's flags, `build` builds (with the build cache
//! key) through the shared tail.

mod build;
mod flags;
mod package;
mod toolchain;

pub(crate) use build::{CgoFlags, GoOptions, GoPlan, GoTarget, build_one, plan, share_of};
pub(crate) use flags::go_split;
pub(crate) use package::{is_go_input, package};
pub(crate) use toolchain::{GoListing, check_probe_record, list, resolve};

#[cfg(test)]
mod tests;
