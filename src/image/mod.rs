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

pub mod beneath;
pub mod command;
pub mod dockerfile;
pub mod essentials;
pub mod layer;
pub mod layout;
pub mod oci;
pub mod spec;

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
    /// Files (or folders, copied whole) from the project.
    pub files: Vec<ProjectFile>,
    /// Files (or folders) from a vendored project's install, per target.
    pub vendor_files: Vec<VendorFile>,
    /// Empty folders with their mode and owner (`/run`, `/var/lib/NAME`).
    pub dirs: Vec<ImageDir>,
}

/// `[[image.files]]` / `--file`: a file or folder of the project, copied into the image.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    /// Relative to the project folder (to the working folder for `--file`).
    pub source: PathBuf,
    /// Absolute path in the image.
    pub path: String,
    /// Default: 0755 for a source with an execute bit, else 0644; folders are 0755.
    #[serde(default)]
    pub mode: Option<Mode>,
    #[serde(default)]
    pub uid: u32,
    #[serde(default)]
    pub gid: u32,
}

/// `[[image.vendor-files]]` / `--vendor-file`: a path of a `[vendor.NAME]` project's
/// install, taken for each platform from that platform's own build.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorFile {
    /// The `[vendor.NAME]` project.
    pub vendor: String,
    /// The path as installed (`/etc/foo.conf`, `/usr/share/foo`).
    pub source: String,
    /// Absolute path in the image. Default: `source`.
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub mode: Option<Mode>,
    #[serde(default)]
    pub uid: u32,
    #[serde(default)]
    pub gid: u32,
}

impl VendorFile {
    pub fn image_path(&self) -> &str {
        self.path.as_deref().unwrap_or(&self.source)
    }
}

/// `[[image.dirs]]` / `--dir`: an empty folder (or the mode and owner of one that files
/// are copied into).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageDir {
    pub path: String,
    /// Default 0755.
    #[serde(default)]
    pub mode: Option<Mode>,
    #[serde(default)]
    pub uid: u32,
    #[serde(default)]
    pub gid: u32,
}

/// A permission mode: a TOML integer (`0o640`) or a string of octal digits (`"0640"`),
/// as `chmod` and Dockerfiles write it. Checked (no more than 0o7777) by `spec::check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode(pub u32);

impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Mode, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Mode;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a mode such as 0o644 or \"0644\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Mode, E> {
                u32::try_from(v)
                    .map(Mode)
                    .map_err(|_| E::custom(format!("mode {v:o} is out of range")))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Mode, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom("a mode is not negative"))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Mode, E> {
                let digits = v.strip_prefix("0o").unwrap_or(v);
                u32::from_str_radix(digits, 8)
                    .map(Mode)
                    .map_err(|_| E::custom(format!("`{v}` is not an octal mode such as \"0644\"")))
            }
        }
        d.deserialize_any(Visitor)
    }
}
