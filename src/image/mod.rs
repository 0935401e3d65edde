//! FROM-scratch multi-arch OCI images from the artifacts in `dist/`, without Docker.
//!
//! - `make`: `muslbuild image` and `muslbuild build`'s `[image]`: dist + `ImageSpec` ->
//!   everything below, checked before anything is written.
//! - `overrides`: the `muslbuild image` flags as plain values, laid over `[image]`.
//! - `spec`: every check of an `ImageSpec` that needs no dist folder (paths that clash);
//!   `checks`: the single-value checks it shares with `make` (ports, env, workdir).
//! - `dist_input`: the dist manifest and each artifact's bytes, re-verified.
//! - `extras`: the files besides the artifacts (essentials, host and vendored files, dirs).
//! - `layer`: one deterministic tar.gz of a file tree.
//! - `oci`: layer + config + manifest per platform, the image index over them, and the
//!   layout's `index.json`; all in memory, canonical JSON.
//! - `layout`: writes an image as an OCI layout folder or an `oci-archive` tar, atomically.
//! - `essentials`: CA bundle, passwd/group, zoneinfo.
//! - `dockerfile`: the `dist/Dockerfile` for `docker buildx`.
//! - `beneath`: reading inside the dist folder without following a link.
//!
//! Nothing here spawns a process or reads the environment; the maker takes an `Env`.

pub(crate) mod beneath;
pub(crate) mod checks;
pub(crate) mod dist_input;
pub(crate) mod dockerfile;
pub(crate) mod essentials;
pub(crate) mod extras;
pub(crate) mod layer;
pub(crate) mod layout;
pub(crate) mod make;
pub(crate) mod oci;
pub(crate) mod overrides;
pub(crate) mod spec;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

pub(crate) use extras::{VendorPaths, check_extras, no_vendored_projects};
pub(crate) use make::{ImageReport, make, run};
pub(crate) use overrides::ImageOverrides;

/// What an image holds and how it runs: the `[image]` section of `muslbuild.toml` and
/// the flags of `muslbuild image` are both this. Every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ImageSpec {
    /// `org.opencontainers.image.ref.name` of the image in the layout. Default `latest`.
    pub(crate) tag: Option<String>,
    /// `NAME` or `NAME=/PATH` for each artifact to ship; default: every artifact in the
    /// dist manifest, at `bin-dir/NAME`.
    pub(crate) artifacts: Vec<String>,
    /// Targets to include (any accepted target name); default: every target in dist.
    pub(crate) targets: Vec<String>,
    /// Folder in the image for artifacts given without a path. Default `/`.
    pub(crate) bin_dir: Option<String>,
    /// Exec form. Default: the artifact, when exactly one is shipped.
    pub(crate) entrypoint: Option<Vec<String>>,
    pub(crate) cmd: Option<Vec<String>>,
    /// `KEY=value`.
    pub(crate) env: Vec<String>,
    pub(crate) workdir: Option<String>,
    /// `8080`, `8080/tcp`, `53/udp`.
    pub(crate) ports: Vec<String>,
    pub(crate) labels: BTreeMap<String, String>,
    /// Default: `65532:65532` (the `nonroot` user) with `passwd`, else unset (root).
    pub(crate) user: Option<String>,
    /// Ship this machine's CA bundle as `/etc/ssl/certs/ca-certificates.crt`.
    pub(crate) ca_certs: bool,
    /// Ship `/etc/passwd` and `/etc/group` with root and `nonroot` (65532).
    pub(crate) passwd: bool,
    /// Ship this machine's `/usr/share/zoneinfo`.
    pub(crate) zoneinfo: bool,
    /// Default: `<out-dir>/image`.
    pub(crate) oci_layout: Option<PathBuf>,
    /// Also write the layout as one tar here.
    pub(crate) oci_archive: Option<PathBuf>,
    /// Write `<out-dir>/Dockerfile` for `docker buildx`. Default true.
    pub(crate) dockerfile: Option<bool>,
    /// Files (or folders, copied whole) from the project.
    pub(crate) files: Vec<ProjectFile>,
    /// Files (or folders) from a vendored project's install, per target.
    pub(crate) vendor_files: Vec<VendorFile>,
    /// Empty folders with their mode and owner (`/run`, `/var/lib/NAME`).
    pub(crate) dirs: Vec<ImageDir>,
}

/// `[[image.files]]` / `--file`: a file or folder of the project, copied into the image.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProjectFile {
    /// Relative to the project folder (to the working folder for `--file`).
    pub(crate) source: PathBuf,
    /// Absolute path in the image.
    pub(crate) path: String,
    /// Default: 0755 for a source with an execute bit, else 0644; folders are 0755.
    #[serde(default)]
    pub(crate) mode: Option<Mode>,
    #[serde(default)]
    pub(crate) uid: u32,
    #[serde(default)]
    pub(crate) gid: u32,
}

/// `[[image.vendor-files]]` / `--vendor-file`: a path of a `[vendor.NAME]` project's
/// install, taken for each platform from that platform's own build.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VendorFile {
    /// The `[vendor.NAME]` project.
    pub(crate) vendor: String,
    /// The path as installed (`/etc/foo.conf`, `/usr/share/foo`).
    pub(crate) source: String,
    /// Absolute path in the image. Default: `source`.
    #[serde(default)]
    pub(crate) path: Option<String>,
    #[serde(default)]
    pub(crate) mode: Option<Mode>,
    #[serde(default)]
    pub(crate) uid: u32,
    #[serde(default)]
    pub(crate) gid: u32,
}

impl VendorFile {
    pub(crate) fn image_path(&self) -> &str {
        self.path.as_deref().unwrap_or(&self.source)
    }
}

/// `[[image.dirs]]` / `--dir`: an empty folder (or the mode and owner of one that files
/// are copied into).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImageDir {
    pub(crate) path: String,
    /// Default 0755.
    #[serde(default)]
    pub(crate) mode: Option<Mode>,
    #[serde(default)]
    pub(crate) uid: u32,
    #[serde(default)]
    pub(crate) gid: u32,
}

/// A permission mode: a TOML integer (`0o640`) or a string of octal digits (`"0640"`),
/// as `chmod` and Dockerfiles write it. Checked (no more than 0o7777) by `spec::check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mode(pub(crate) u32);

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
