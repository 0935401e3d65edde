//! FROM-scratch multi-arch OCI images from the artifacts in `dist/`, without Docker.
//!
//! - `layer`: one deterministic tar.gz of a file tree.
//! - `oci`: layer + config + manifest per platform, the image index over them, and the
//!   layout's `index.json`; all in memory, canonical JSON.
//! - `layout`: writes an image as an OCI layout folder or an `oci-archive` tar, atomically.
//! - `essentials`: CA bundle, passwd/group, zoneinfo.
//! - `dockerfile`: the `dist/Dockerfile` for `docker buildx`.
//! - `command`: `muslbuild image`: `dist/manifest.json` + `ImageSpec` -> all of the above.
//!
//! Nothing here spawns a process or reads the environment; the command takes an `Env`.
//!
//! As a library, without `dist/`:
//!
//! ```no_run
//! use muslbuild::image::{FileSource, ImageConfig, ImageFile, ImageInput, Tree, build, write_layout};
//! use muslbuild::target::Target;
//!
//! let hello = |dir: &str| ImageFile {
//!     path: "/hello".into(),
//!     source: FileSource::Path(format!("dist/{dir}/hello").into()),
//!     mode: 0o755,
//! };
//! let image = build(&ImageInput {
//!     platforms: vec![
//!         (Target::X86_64, Tree::from_files(&[hello("x86_64")])?),
//!         (Target::Armv7, Tree::from_files(&[hello("armv7")])?),
//!     ],
//!     config: ImageConfig { entrypoint: Some(vec!["/hello".into()]), ..ImageConfig::default() },
//!     tag: "hello:1.0".into(),
//!     epoch: 0,
//! })?;
//! write_layout("dist/image".as_ref(), &image)?;
//! # Ok::<(), muslbuild::error::Error>(())
//! ```

pub mod command;
pub mod dockerfile;
pub mod essentials;
pub mod layer;
pub mod layout;
pub mod oci;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

pub use command::{ImageArgs, ImageReport, make, run};
pub use layer::{FileSource, ImageFile, Tree};
pub use layout::{write_archive, write_layout};
pub use oci::{Image, ImageConfig, ImageInput, build};

/// What an image holds and how it runs: the `[image]` section of `muslbuild.toml` and
/// the flags of `muslbuild image` are both this. Every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ImageSpec {
    /// `org.opencontainers.image.ref.name` of the image in the layout. Default `latest`.
    pub tag: Option<String>,
    /// `NAME` or `NAME=/PATH` for each artifact to ship; default: every artifact in the
    /// dist manifest, at `bin-dir/NAME`.
    pub artifacts: Vec<String>,
    /// Targets to include (any accepted target name); default: every target in dist.
    pub targets: Vec<String>,
    /// Folder in the image for artifacts given without a path. Default `/`.
    pub bin_dir: Option<String>,
    /// Exec form. Default: the artifact, when exactly one is shipped.
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    /// `KEY=value`.
    pub env: Vec<String>,
    pub workdir: Option<String>,
    /// `8080`, `8080/tcp`, `53/udp`.
    pub ports: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// Default: `65532:65532` (the `nonroot` user) with `passwd`, else unset (root).
    pub user: Option<String>,
    /// Ship this machine's CA bundle as `/etc/ssl/certs/ca-certificates.crt`.
    pub ca_certs: bool,
    /// Ship `/etc/passwd` and `/etc/group` with root and `nonroot` (65532).
    pub passwd: bool,
    /// Ship this machine's `/usr/share/zoneinfo`.
    pub zoneinfo: bool,
    /// Default: `<out-dir>/image`.
    pub oci_layout: Option<PathBuf>,
    /// Also write the layout as one tar here.
    pub oci_archive: Option<PathBuf>,
    /// Write `<out-dir>/Dockerfile` for `docker buildx`. Default true.
    pub dockerfile: Option<bool>,
}
