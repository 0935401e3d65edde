//! What an image holds (`ImageSpec`: `[image]`, and the flags of `muslbuild image`), and
//! every check of it that needs no dist folder: each value (tag, targets,
//! ports, env, paths, modes) and the image paths the spec's own entries claim (artifacts,
//! files, folders, essentials), so that two entries at one path are found before anything
//! is built. `muslbuild image` runs it on the flags; the project file runs it on
//! `[image]` and turns the failing key into `file:line:column`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::image::checks::{artifact_path, check_env, check_workdir, normalize_port};
use crate::image::essentials;
use crate::image::layer::normalize;
use crate::image::oci::validate_tag;
use crate::target::Target;

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
    /// No SBOM per platform (`--no-sbom`, the project's `sbom = false`); not a key of
    /// `[image]`, as the project's one switch covers artifacts and image alike.
    #[serde(skip)]
    pub(crate) no_sbom: bool,
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

/// One step of the way to a value in `[image]`: `ports`, `2` -> `ports[2]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Key {
    Field(&'static str),
    Index(usize),
}

/// A problem and the key of `[image]` it is about.
#[derive(Debug)]
pub(crate) struct Problem {
    pub(crate) at: Vec<Key>,
    pub(crate) error: Box<Error>,
}

/// What an entry puts at its path, for telling clashes from folders that merge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Claim {
    /// A file or link.
    File,
    /// An explicit `dirs` entry.
    Dir,
    /// A folder copied whole (zoneinfo, a project folder), or a vendored path that may be
    /// either: its content is only known when the image is made, where `Tree` catches a
    /// clash inside it.
    Folder,
}

struct Entry {
    path: String,
    claim: Claim,
    origin: String,
    at: Vec<Key>,
}

/// Checks `spec`. `default_artifacts` are the artifacts shipped when `artifacts` is empty
/// (the project's, or what dist lists); `base` is the folder relative `files` sources
/// start from.
pub(crate) fn check(
    spec: &ImageSpec,
    default_artifacts: &[String],
    base: &Path,
) -> std::result::Result<(), Problem> {
    check_values(spec)?;
    check_clashes(&claims(spec, default_artifacts, base)?)
}

/// The error of the value at `keys`.
fn at(keys: Vec<Key>) -> impl FnOnce(Error) -> Problem {
    move |error: Error| Problem {
        at: keys,
        error: Box::new(error),
    }
}

/// The single values: tag, targets, bin-dir, env, workdir, ports.
fn check_values(spec: &ImageSpec) -> std::result::Result<(), Problem> {
    use Key::{Field, Index};
    if let Some(tag) = &spec.tag {
        validate_tag(tag).map_err(at(vec![Field("tag")]))?;
    }
    for (i, value) in spec.targets.iter().enumerate() {
        Target::parse_list(value)
            .map_err(Error::from)
            .map_err(at(vec![Field("targets"), Index(i)]))?;
    }
    let bin_dir = spec.bin_dir.as_deref().unwrap_or("/");
    if bin_dir != "/" {
        normalize(bin_dir).map_err(at(vec![Field("bin-dir")]))?;
    }
    for (i, env) in spec.env.iter().enumerate() {
        check_env(env).map_err(at(vec![Field("env"), Index(i)]))?;
    }
    if let Some(dir) = &spec.workdir {
        check_workdir(dir).map_err(at(vec![Field("workdir")]))?;
    }
    for (i, port) in spec.ports.iter().enumerate() {
        normalize_port(port).map_err(at(vec![Field("ports"), Index(i)]))?;
    }
    Ok(())
}

/// Every path the image's entries claim (artifacts, essentials, files, vendored files,
/// folders), each with the key that asked for it, the modes and sources checked.
fn claims(
    spec: &ImageSpec,
    default_artifacts: &[String],
    base: &Path,
) -> std::result::Result<Vec<Entry>, Problem> {
    use Key::{Field, Index};
    let bin_dir = spec.bin_dir.as_deref().unwrap_or("/");
    let mut entries = Vec::new();
    let mut claim = |path: &str, claim: Claim, origin: String, keys: Vec<Key>| {
        let path = normalize(path).map_err(at(keys.clone()))?;
        entries.push(Entry {
            path,
            claim,
            origin,
            at: keys,
        });
        Ok::<(), Problem>(())
    };
    let artifact_path = |item: &str| artifact_path(item, bin_dir);
    if spec.artifacts.is_empty() {
        let keys = if spec.bin_dir.is_some() {
            vec![Field("bin-dir")]
        } else {
            Vec::new()
        };
        for name in default_artifacts {
            let (_, path) = artifact_path(name);
            claim(
                &path,
                Claim::File,
                format!("artifact `{name}`"),
                keys.clone(),
            )?;
        }
    }
    for (i, item) in spec.artifacts.iter().enumerate() {
        let (name, path) = artifact_path(item);
        claim(
            &path,
            Claim::File,
            format!("artifact `{name}`"),
            vec![Field("artifacts"), Index(i)],
        )?;
    }
    if spec.ca_certs {
        claim(
            essentials::CA_BUNDLE_PATH,
            Claim::File,
            "--ca-certs".into(),
            vec![Field("ca-certs")],
        )?;
    }
    if spec.passwd {
        for path in ["/etc/passwd", "/etc/group"] {
            claim(path, Claim::File, "--passwd".into(), vec![Field("passwd")])?;
        }
    }
    if spec.zoneinfo {
        claim(
            essentials::HOST_ZONEINFO,
            Claim::Folder,
            "--zoneinfo".into(),
            vec![Field("zoneinfo")],
        )?;
    }
    for (i, file) in spec.files.iter().enumerate() {
        let keys = |field| vec![Field("files"), Index(i), Field(field)];
        check_mode(file.mode).map_err(at(keys("mode")))?;
        let source = base.join(&file.source);
        let kind = match std::fs::symlink_metadata(&source) {
            Ok(meta) if meta.is_dir() => Claim::Folder,
            Ok(_) => Claim::File,
            Err(_) => {
                return Err(Problem {
                    at: keys("source"),
                    error: Box::new(missing_source(&file.source, &source)),
                });
            }
        };
        claim(
            &file.path,
            kind,
            format!("file `{}`", file.source.display()),
            keys("path"),
        )?;
    }
    for (i, file) in spec.vendor_files.iter().enumerate() {
        let keys = |field| vec![Field("vendor-files"), Index(i), Field(field)];
        check_mode(file.mode).map_err(at(keys("mode")))?;
        normalize(&file.source).map_err(at(keys("source")))?;
        claim(
            file.image_path(),
            Claim::Folder,
            format!("`{}` of vendored project `{}`", file.source, file.vendor),
            keys(if file.path.is_some() {
                "path"
            } else {
                "source"
            }),
        )?;
    }
    for (i, dir) in spec.dirs.iter().enumerate() {
        let keys = |field| vec![Field("dirs"), Index(i), Field(field)];
        check_mode(dir.mode).map_err(at(keys("mode")))?;
        claim(
            &dir.path,
            Claim::Dir,
            format!("folder `{}`", dir.path),
            keys("path"),
        )?;
    }
    Ok(entries)
}

/// Two entries at one path, or an entry under a file: the later one is reported, naming
/// the earlier. Folders merge with folders, except an explicit folder listed twice.
fn check_clashes(entries: &[Entry]) -> std::result::Result<(), Problem> {
    for (i, later) in entries.iter().enumerate() {
        for earlier in &entries[..i] {
            let message = if later.path == earlier.path {
                let merge = matches!(
                    (earlier.claim, later.claim),
                    (Claim::Dir, Claim::Folder)
                        | (Claim::Folder, Claim::Dir)
                        | (Claim::Folder, Claim::Folder)
                );
                if merge {
                    continue;
                }
                format!(
                    "`/{}` is in the image twice ({} and {})",
                    later.path, earlier.origin, later.origin
                )
            } else if let Some((file, under)) = nested(earlier, later) {
                format!(
                    "`/{}` is a file in the image ({}), but {} needs it to be a folder",
                    file.path, file.origin, under.origin
                )
            } else {
                continue;
            };
            return Err(Problem {
                at: later.at.clone(),
                error: Box::new(Error::ImageContent {
                    message,
                    help: "give each entry its own path in the image; nothing replaces anything silently".into(),
                }),
            });
        }
    }
    Ok(())
}

/// (the file, the entry under it) when one is a file and the other lies beneath it.
fn nested<'a>(a: &'a Entry, b: &'a Entry) -> Option<(&'a Entry, &'a Entry)> {
    let under = |parent: &Entry, child: &Entry| {
        parent.claim == Claim::File
            && child
                .path
                .strip_prefix(&parent.path)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    if under(a, b) {
        Some((a, b))
    } else if under(b, a) {
        Some((b, a))
    } else {
        None
    }
}

fn check_mode(mode: Option<Mode>) -> Result<()> {
    match mode {
        Some(Mode(m)) if m > 0o7777 => Err(Error::usage(
            format!("mode {m:o} is not a permission mode"),
            "write an octal mode of at most four digits, such as 0644 or 0o750",
        )),
        _ => Ok(()),
    }
}

fn missing_source(written: &Path, resolved: &Path) -> Error {
    Error::ImageContent {
        message: format!(
            "image file `{}` does not exist (`{}`)",
            written.display(),
            resolved.display()
        ),
        help: "`source` is relative to the folder of muslbuild.toml (to the working folder for --file)".into(),
    }
}

/// `files` sources made absolute from `base`.
pub(crate) fn absolute_sources(spec: &mut ImageSpec, base: &Path) {
    for file in &mut spec.files {
        file.source = base.join(&file.source);
    }
}

/// For tests and callers that hold a spec without positions: the error alone.
pub(crate) fn check_plain(
    spec: &ImageSpec,
    default_artifacts: &[String],
    base: &Path,
) -> Result<()> {
    check(spec, default_artifacts, base).map_err(|p| *p.error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(spec: &ImageSpec, defaults: &[&str]) -> Vec<Key> {
        let defaults: Vec<String> = defaults.iter().map(|s| s.to_string()).collect();
        check(spec, &defaults, Path::new("/nonexistent"))
            .expect_err("a problem")
            .at
    }

    #[test]
    fn each_value_problem_names_its_key() {
        use Key::{Field, Index};
        let spec = ImageSpec {
            ports: vec!["80".into(), "http".into()],
            ..ImageSpec::default()
        };
        assert_eq!(at(&spec, &[]), vec![Field("ports"), Index(1)]);
        let spec = ImageSpec {
            env: vec!["NOVALUE".into()],
            ..ImageSpec::default()
        };
        assert_eq!(at(&spec, &[]), vec![Field("env"), Index(0)]);
        let spec = ImageSpec {
            dirs: vec![ImageDir {
                path: "/var/../etc".into(),
                mode: None,
                uid: 0,
                gid: 0,
            }],
            ..ImageSpec::default()
        };
        assert_eq!(at(&spec, &[]), vec![Field("dirs"), Index(0), Field("path")]);
        let spec = ImageSpec {
            vendor_files: vec![VendorFile {
                vendor: "v".into(),
                source: "etc/x.conf".into(),
                path: None,
                mode: Some(Mode(0o10000)),
                uid: 0,
                gid: 0,
            }],
            ..ImageSpec::default()
        };
        assert_eq!(
            at(&spec, &[]),
            vec![Field("vendor-files"), Index(0), Field("mode")]
        );
        let spec = ImageSpec {
            files: vec![ProjectFile {
                source: "missing.conf".into(),
                path: "/etc/x.conf".into(),
                mode: None,
                uid: 0,
                gid: 0,
            }],
            ..ImageSpec::default()
        };
        let problem = check(&spec, &[], Path::new("/nonexistent")).unwrap_err();
        assert_eq!(problem.at, vec![Field("files"), Index(0), Field("source")]);
        assert_eq!(problem.error.exit_code(), crate::error::exit::IMAGE);
    }

    #[test]
    fn clashes_are_found_and_folders_merge() {
        use Key::{Field, Index};
        // Two artifacts at one path.
        let spec = ImageSpec {
            artifacts: vec!["a=/bin/x".into(), "b=/bin/x".into()],
            ..ImageSpec::default()
        };
        assert_eq!(at(&spec, &[]), vec![Field("artifacts"), Index(1)]);
        // A default artifact on an essential: reported at the essential's key.
        let spec = ImageSpec {
            bin_dir: Some("/etc".into()),
            passwd: true,
            ..ImageSpec::default()
        };
        assert_eq!(at(&spec, &["passwd"]), vec![Field("passwd")]);
        // A folder under an artifact.
        let spec = ImageSpec {
            artifacts: vec!["a=/srv".into()],
            dirs: vec![ImageDir {
                path: "/srv/data".into(),
                mode: None,
                uid: 0,
                gid: 0,
            }],
            ..ImageSpec::default()
        };
        let problem = check(&spec, &[], Path::new("/")).unwrap_err();
        assert!(
            problem
                .error
                .to_string()
                .contains("needs it to be a folder"),
            "{}",
            problem.error
        );
        // The same folder listed twice is a clash; a folder over a copied one is not.
        let dir = |path: &str| ImageDir {
            path: path.into(),
            mode: None,
            uid: 0,
            gid: 0,
        };
        let spec = ImageSpec {
            dirs: vec![dir("/run"), dir("/run/")],
            ..ImageSpec::default()
        };
        assert_eq!(at(&spec, &[]), vec![Field("dirs"), Index(1), Field("path")]);
        let spec = ImageSpec {
            zoneinfo: true,
            vendor_files: vec![VendorFile {
                vendor: "v".into(),
                source: "/usr/share/v".into(),
                path: None,
                mode: None,
                uid: 0,
                gid: 0,
            }],
            dirs: vec![dir("/usr/share/v"), dir("/usr/share/zoneinfo")],
            ..ImageSpec::default()
        };
        assert!(check(&spec, &["v".to_string()], Path::new("/")).is_ok());
    }
}
