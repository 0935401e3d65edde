//! FROM-scratch multi-arch OCI images from the artifacts in `dist/`, without Docker.
//!
//! - `make`: `muslbuild image` and `muslbuild build`'s `[image]`: dist + `ImageSpec` ->
//!   everything below, checked before anything is written.
//! - `overrides`: the `muslbuild image` flags as plain values, laid over `[image]`.
//! - `spec`: the `ImageSpec` (`[image]`, and the flags) and every check of it that needs
//!   no dist folder (paths that clash);
//!   `checks`: the single-value checks it shares with `make` (ports, env, workdir).
//! - `dist_input`: the dist manifest and each artifact's bytes, re-verified.
//! - `extras`: the files besides the artifacts (essentials, host and vendored files, dirs).
//! - `layer`: one deterministic tar.gz of a file tree.
//! - `oci`: layer + config + manifest per platform, the image index over them, and the
//!   layout's `index.json`; all in memory, canonical JSON.
//! - `layout`: writes an image as an OCI layout folder or an `oci-archive` tar, atomically.
//! - `essentials`: CA bundle, passwd/group, zoneinfo.
//! - `dockerfile`: the `dist/Dockerfile` for `docker buildx`.
//! - `push`: `--push REF`, one tagged image of a layout sent with the Distribution API
//!   through `sys::registry` (references, auth files, Basic/Bearer, HTTP only on loopback).
//! - `merge`: `--from DIST…` (several dist folders as one, conflicts refused) and
//!   `image merge` (OCI layouts/archives joined offline).
//! - `beneath`: reading inside the dist folder without following a link.
//!
//! Nothing here spawns a process or reads the environment (auth files are found through
//! the `Env` snapshot); the maker takes the `Ctx`.

pub(crate) mod beneath;
pub(crate) mod checks;
pub(crate) mod dist_input;
pub(crate) mod dockerfile;
pub(crate) mod essentials;
pub(crate) mod extras;
pub(crate) mod layer;
pub(crate) mod layout;
pub(crate) mod make;
pub(crate) mod merge;
pub(crate) mod oci;
pub(crate) mod overrides;
pub(crate) mod push;
pub(crate) mod spec;

pub(crate) use extras::{VendorPaths, check_extras, no_vendored_projects};
pub(crate) use make::{ImageReport, make, run};
pub(crate) use overrides::ImageOverrides;
pub(crate) use spec::ImageSpec;
