//! `muslbuild image`: the artifacts listed in `dist/manifest.json`, plus the `ImageSpec`,
//! become an OCI layout, optionally an `oci-archive`, and `dist/Dockerfile`. Every input
//! is checked (artifact names, targets, files still matching their recorded sha256)
//! before anything is written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::Args;
use serde::{Deserialize, Serialize};

use crate::cache::{sha256_hex, write_atomic};
use crate::env::Env;
use crate::error::{Error, OutputPlace, Result};
use crate::image::ImageSpec;
use crate::image::beneath::{self, Refusal};
use crate::image::dockerfile::{self, Copies};
use crate::image::essentials;
use crate::image::layer::{Entry, EntryKind, Tree, normalize};
use crate::image::layout::{check_layout_dir, prepare_archive, write_archive, write_layout};
use crate::image::oci::{self, BlobRef, ImageConfig, ImageInput, PlatformImage};
use crate::image::spec;
use crate::target::Target;

/// Flags of `muslbuild image`; they fill an `ImageSpec` (over the project's `[image]`).
#[derive(Debug, Args, Clone, Default)]
pub struct ImageArgs {
    /// The dist folder to read (manifest.json) and to write the Dockerfile into
    /// [default: dist, or the project's out-dir in a project folder]
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,

    /// Targets to include (default: every target in the dist manifest)
    #[arg(short = 't', long = "target", value_name = "TARGET")]
    pub targets: Vec<String>,

    /// Artifact to ship, as NAME or NAME=/PATH (default: all, at /NAME); repeatable
    #[arg(short = 'a', long = "artifact", value_name = "NAME[=/PATH]")]
    pub artifacts: Vec<String>,

    /// Folder in the image for artifacts given without a path
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<String>,

    /// Write the OCI image layout here (default: OUT_DIR/image)
    #[arg(long, value_name = "DIR")]
    pub oci_layout: Option<PathBuf>,

    /// Also write the image as one oci-archive tar
    #[arg(long, value_name = "FILE")]
    pub oci_archive: Option<PathBuf>,

    /// Name of the image in the layout (org.opencontainers.image.ref.name) [default: latest]
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,

    /// Entrypoint: a JSON array (["/srv","-v"]) or one word; repeat to append words
    /// (default: the artifact, when there is one)
    #[arg(long, value_name = "ARG|JSON", allow_hyphen_values = true)]
    pub entrypoint: Vec<String>,

    /// Default arguments: a JSON array or one word; repeat to append words
    #[arg(long, value_name = "ARG|JSON", allow_hyphen_values = true)]
    pub cmd: Vec<String>,

    /// Environment variable KEY=VALUE; repeatable
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,

    /// Working directory (absolute)
    #[arg(short = 'w', long, value_name = "DIR")]
    pub workdir: Option<String>,

    /// Exposed port: PORT or PORT/tcp|udp|sctp; repeatable
    #[arg(short = 'p', long = "port", value_name = "PORT[/PROTO]")]
    pub ports: Vec<String>,

    /// Label KEY=VALUE; repeatable
    #[arg(short = 'l', long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,

    /// User (name, uid or uid:gid) [default: 65532:65532 with --passwd]
    #[arg(short = 'u', long, value_name = "USER")]
    pub user: Option<String>,

    /// Add this machine's CA bundle as /etc/ssl/certs/ca-certificates.crt
    #[arg(long)]
    pub ca_certs: bool,

    /// Add /etc/passwd and /etc/group with root and the non-root user `nonroot` (65532)
    #[arg(long)]
    pub passwd: bool,

    /// Add this machine's /usr/share/zoneinfo
    #[arg(long)]
    pub zoneinfo: bool,

    /// Do not write OUT_DIR/Dockerfile
    #[arg(long)]
    pub no_dockerfile: bool,

    /// A file or folder to copy into the image:
    /// source=PATH,path=/PATH[,mode=0644][,uid=N][,gid=N]; repeatable
    #[arg(long = "file", value_name = "source=PATH,path=/PATH")]
    pub files: Vec<String>,

    /// A path of a vendored project's install, per platform:
    /// vendor=NAME,source=/PATH[,path=/PATH][,mode=…][,uid=N][,gid=N]; repeatable
    #[arg(long = "vendor-file", value_name = "vendor=NAME,source=/PATH")]
    pub vendor_files: Vec<String>,

    /// An empty folder: /PATH, or path=/PATH[,mode=0755][,uid=N][,gid=N]; repeatable
    #[arg(long = "dir", value_name = "/PATH|path=/PATH,…")]
    pub dirs: Vec<String>,
}

impl ImageArgs {
    /// Flags over a base spec (the project's `[image]`): a flag given wins, lists given
    /// replace, switches only turn on.
    pub fn apply(&self, mut spec: ImageSpec) -> Result<ImageSpec> {
        if !self.targets.is_empty() {
            spec.targets = self.targets.clone();
        }
        if !self.artifacts.is_empty() {
            spec.artifacts = self.artifacts.clone();
        }
        if !self.entrypoint.is_empty() {
            spec.entrypoint = Some(words(&self.entrypoint, "--entrypoint")?);
        }
        if !self.cmd.is_empty() {
            spec.cmd = Some(words(&self.cmd, "--cmd")?);
        }
        if !self.env.is_empty() {
            spec.env = self.env.clone();
        }
        if !self.ports.is_empty() {
            spec.ports = self.ports.clone();
        }
        for label in &self.labels {
            let (key, value) = label.split_once('=').ok_or_else(|| {
                Error::usage(
                    format!("label `{label}` has no `=`"),
                    "write labels as --label KEY=VALUE",
                )
            })?;
            spec.labels.insert(key.to_string(), value.to_string());
        }
        spec.tag = self.tag.clone().or(spec.tag);
        spec.bin_dir = self.bin_dir.clone().or(spec.bin_dir);
        spec.workdir = self.workdir.clone().or(spec.workdir);
        spec.user = self.user.clone().or(spec.user);
        spec.oci_layout = self.oci_layout.clone().or(spec.oci_layout);
        spec.oci_archive = self.oci_archive.clone().or(spec.oci_archive);
        spec.ca_certs |= self.ca_certs;
        spec.passwd |= self.passwd;
        spec.zoneinfo |= self.zoneinfo;
        if self.no_dockerfile {
            spec.dockerfile = Some(false);
        }
        if !self.files.is_empty() {
            spec.files = entries(
                &self.files,
                "--file",
                "source=conf/app.conf,path=/etc/app.conf,mode=0644",
            )?;
        }
        if !self.vendor_files.is_empty() {
            spec.vendor_files = entries(
                &self.vendor_files,
                "--vendor-file",
                "vendor=NAME,source=/etc/NAME.conf",
            )?;
        }
        if !self.dirs.is_empty() {
            let dirs: Vec<String> = self
                .dirs
                .iter()
                .map(|d| {
                    if d.contains('=') {
                        d.clone()
                    } else {
                        format!("path={d}")
                    }
                })
                .collect();
            spec.dirs = entries(
                &dirs,
                "--dir",
                "/run, or path=/var/lib/NAME,mode=0700,uid=65532,gid=65532",
            )?;
        }
        Ok(spec)
    }
}

/// `key=value,key=value` flags read as the project file's tables, so a flag and a table
/// accept the same keys and give the same errors.
fn entries<T: serde::de::DeserializeOwned>(
    values: &[String],
    flag: &str,
    example: &str,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for value in values {
        let mut table = serde_json::Map::new();
        for pair in value.split(',') {
            let Some((key, item)) = pair.split_once('=') else {
                return Err(Error::usage(
                    format!("{flag} `{value}`: `{pair}` is not KEY=VALUE"),
                    format!("write {flag} {example}"),
                ));
            };
            let item = match (key, item.parse::<u32>()) {
                ("uid" | "gid", Ok(n)) => serde_json::Value::from(n),
                _ => serde_json::Value::from(item),
            };
            table.insert(key.to_string(), item);
        }
        out.push(
            serde_json::from_value(serde_json::Value::Object(table)).map_err(|e| {
                Error::usage(
                    format!("{flag} `{value}`: {e}"),
                    format!("write {flag} {example}"),
                )
            })?,
        );
    }
    Ok(out)
}

/// `["/srv","-v"]` (JSON) or a single word, per flag; flags append.
fn words(values: &[String], flag: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for value in values {
        if value.trim_start().starts_with('[') {
            let list: Vec<String> = serde_json::from_str(value).map_err(|e| {
                Error::usage(
                    format!("{flag} `{value}` is not a JSON array of strings: {e}"),
                    format!("write {flag} '[\"/srv\",\"--port\",\"80\"]', or repeat {flag} once per word"),
                )
            })?;
            out.extend(list);
        } else {
            out.push(value.clone());
        }
    }
    Ok(out)
}

/// The fields of a `dist/manifest.json` entry this command needs; the rest (toolchain,
/// verification) is ignored, so the manifest can grow without breaking images.
#[derive(Clone, Debug, Deserialize)]
pub struct DistArtifact {
    pub name: String,
    pub target: String,
    /// Relative to the dist folder.
    pub path: String,
    pub sha256: String,
}

#[derive(Clone, Debug, Deserialize)]
struct DistManifest {
    artifacts: Vec<DistArtifact>,
}

pub fn read_dist_manifest(out_dir: &Path) -> Result<Vec<DistArtifact>> {
    let path = out_dir.join(crate::dist::MANIFEST);
    let bytes = beneath::read(out_dir, crate::dist::MANIFEST).map_err(|e| match e {
        Refusal::NotFound => Error::ImageInput {
            message: format!("`{}` does not exist", path.display()),
            help: "build first (muslbuild --target all hello.c), or point --out-dir at the dist folder".into(),
        },
        Refusal::Io(source) => Error::Io { what: "cannot read", path: path.clone(), source },
        _ => Error::ImageInput {
            message: format!("`{}` is not a regular file", path.display()),
            help: "rebuild to rewrite it (muslbuild --target all …); muslbuild follows no link in the dist folder".into(),
        },
    })?;
    let manifest: DistManifest = serde_json::from_slice(&bytes).map_err(|e| Error::ImageInput {
        message: format!("`{}` is not a muslbuild dist manifest: {e}", path.display()),
        help: "rebuild to rewrite it (muslbuild --target all …)".into(),
    })?;
    Ok(manifest.artifacts)
}

/// One shipped artifact's bytes, trusting nothing the dist folder says: its recorded
/// path must be `<target>/<name>`, read without following a link; its bytes must still
/// have the recorded sha256 and be a static executable of the target, verified again.
fn read_artifact(
    out_dir: &Path,
    manifest_path: &Path,
    artifact: &DistArtifact,
    target: Target,
) -> Result<Vec<u8>> {
    let name = &artifact.name;
    let expected = crate::dist::Dist::relative_path(target, name);
    let refused = |why: String| Error::ImageInput {
        message: format!(
            "`{}` lists `{}` for artifact `{name}` ({target}): {why}",
            manifest_path.display(),
            artifact.path.escape_debug()
        ),
        help: format!(
            "muslbuild records each artifact as <target>/<name> inside the dist folder; rebuild ({}) to rewrite the manifest",
            rebuild_hint(target)
        ),
    };
    if let Err(Refusal::NotPlain(why)) = beneath::plain_components(&artifact.path) {
        return Err(refused(format!(
            "not a plain path inside the dist folder ({why})"
        )));
    }
    if artifact.path != expected {
        return Err(refused(format!("muslbuild writes it at `{expected}`")));
    }
    let source = out_dir.join(&expected);
    let bytes = beneath::read(out_dir, &expected).map_err(|e| match e {
        Refusal::NotFound => Error::MissingArtifact {
            name: name.clone(),
            target,
            manifest: manifest_path.to_path_buf(),
            help: format!("the manifest lists `{expected}` but the file is gone; rebuild it"),
        },
        Refusal::Symlink(link) => Error::ImageInput {
            message: format!(
                "`{}` is a symbolic link; muslbuild image packs only regular files inside the dist folder",
                out_dir.join(link).display()
            ),
            help: format!(
                "remove it and rebuild ({}), so dist holds the verified artifact itself",
                rebuild_hint(target)
            ),
        },
        Refusal::NotRegular(_) | Refusal::NotPlain(_) => Error::ImageInput {
            message: format!("`{}` is not a regular file", source.display()),
            help: format!("remove it and rebuild ({})", rebuild_hint(target)),
        },
        Refusal::Io(e) => Error::Io {
            what: "cannot read the artifact",
            path: source.clone(),
            source: e,
        },
    })?;
    if sha256_hex(&bytes) != artifact.sha256 {
        return Err(Error::ImageInput {
            message: format!(
                "`{}` changed since it was built (its sha256 differs from {})",
                source.display(),
                manifest_path.display()
            ),
            help: "rebuild so the manifest and the verified artifact agree, then run `muslbuild image` again".into(),
        });
    }
    // The hash only proves the file matches the manifest, and the manifest is a file
    // anyone with write access to dist can edit: what goes into the image is checked
    // for what it is.
    crate::verify::verify_bytes(&source, &bytes, Some(target)).into_result()?;
    Ok(bytes)
}

fn rebuild_hint(target: Target) -> String {
    format!("muslbuild build, or muslbuild --target {target} …")
}

/// What `muslbuild image` made: printed for people, or as JSON with `--json`.
#[derive(Clone, Debug, Serialize)]
pub struct ImageReport {
    pub tag: String,
    pub index: BlobRef,
    pub platforms: Vec<PlatformImage>,
    pub oci_layout: PathBuf,
    pub oci_archive: Option<PathBuf>,
    pub dockerfile: Option<PathBuf>,
}

impl ImageReport {
    pub fn human(&self) -> String {
        let mut out = format!(
            "image {}  index {} ({} bytes)\n",
            self.tag, self.index.digest, self.index.size
        );
        for p in &self.platforms {
            out.push_str(&format!(
                "  {:<13} manifest {}  layer {} bytes, total {} bytes\n",
                p.platform, p.manifest.digest, p.layer.size, p.total_size
            ));
        }
        out.push_str(&format!("  OCI layout   {}\n", self.oci_layout.display()));
        if let Some(archive) = &self.oci_archive {
            out.push_str(&format!("  oci-archive  {}\n", archive.display()));
        }
        if let Some(dockerfile) = &self.dockerfile {
            out.push_str(&format!("  Dockerfile   {}\n", dockerfile.display()));
        }
        out
    }
}

/// A plan checked against dist: per target, the artifacts to copy and where.
struct Plan {
    targets: Vec<Target>,
    /// (name, image path)
    artifacts: Vec<(String, String)>,
    /// (target, name) -> dist entry
    files: BTreeMap<(Target, String), DistArtifact>,
}

fn plan(spec: &ImageSpec, dist: &[DistArtifact], manifest_path: &Path) -> Result<Plan> {
    let mut files = BTreeMap::new();
    for artifact in dist {
        // A name becomes a path in dist, in the image and in the Dockerfile: one plain
        // file name, or the manifest is not muslbuild's.
        if artifact.name.contains('/') || beneath::plain_components(&artifact.name).is_err() {
            return Err(Error::ImageInput {
                message: format!(
                    "`{}` lists an artifact named `{}`, which is not a file name",
                    manifest_path.display(),
                    artifact.name.escape_debug()
                ),
                help: "muslbuild writes only file names there; rebuild to rewrite the manifest"
                    .into(),
            });
        }
        // An entry with a target this version does not know cannot be in the image.
        if let Ok(target) = artifact.target.parse::<Target>() {
            files.insert((target, artifact.name.clone()), artifact.clone());
        }
    }
    let targets: Vec<Target> = if spec.targets.is_empty() {
        files
            .keys()
            .map(|(t, _)| *t)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    } else {
        let mut t = Vec::new();
        for value in &spec.targets {
            t.extend(Target::parse_list(value)?);
        }
        t.sort();
        t.dedup();
        t
    };
    if targets.is_empty() {
        return Err(Error::ImageInput {
            message: format!("`{}` lists no artifacts", manifest_path.display()),
            help: "build something first (muslbuild --target all hello.c)".into(),
        });
    }
    let bin_dir = spec.bin_dir.clone().unwrap_or_else(|| "/".into());
    let names: Vec<String> = if spec.artifacts.is_empty() {
        files
            .keys()
            .filter(|(t, _)| targets.contains(t))
            .map(|(_, n)| n.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    } else {
        spec.artifacts.clone()
    };
    let mut artifacts = Vec::new();
    for item in names {
        let (name, image_path) = spec::artifact_path(&item, &bin_dir);
        normalize(&image_path)?;
        for target in &targets {
            if !files.contains_key(&(*target, name.clone())) {
                let known: BTreeSet<&str> = files
                    .keys()
                    .filter(|(t, _)| t == target)
                    .map(|(_, n)| n.as_str())
                    .collect();
                let listed = if known.is_empty() {
                    format!("it lists nothing for {target}")
                } else {
                    format!(
                        "it lists for {target}: {}",
                        known.into_iter().collect::<Vec<_>>().join(", ")
                    )
                };
                return Err(Error::MissingArtifact {
                    name: name.clone(),
                    target: *target,
                    manifest: manifest_path.to_path_buf(),
                    help: format!(
                        "{listed}; build it first (muslbuild --target {target} …), or choose what to ship with --artifact NAME and --target"
                    ),
                });
            }
        }
        artifacts.push((name, image_path));
    }
    Ok(Plan {
        targets,
        artifacts,
        files,
    })
}

fn runtime_config(spec: &ImageSpec, plan: &Plan) -> Result<ImageConfig> {
    for env in &spec.env {
        spec::check_env(env)?;
    }
    if let Some(dir) = &spec.workdir {
        spec::check_workdir(dir)?;
    }
    let mut ports = Vec::new();
    for port in &spec.ports {
        ports.push(normalize_port(port)?);
    }
    ports.sort();
    ports.dedup();
    let entrypoint = match (&spec.entrypoint, plan.artifacts.as_slice()) {
        (Some(e), _) => Some(e.clone()),
        (None, [(_, path)]) => Some(vec![path.clone()]),
        (None, _) => None,
    };
    let user = spec.user.clone().or_else(|| {
        spec.passwd
            .then(|| format!("{}:{}", essentials::NONROOT_UID, essentials::NONROOT_UID))
    });
    Ok(ImageConfig {
        entrypoint,
        cmd: spec.cmd.clone(),
        env: spec.env.clone(),
        working_dir: spec.workdir.clone(),
        exposed_ports: ports,
        labels: spec.labels.clone(),
        user,
    })
}

/// `8080` -> `8080/tcp`; the protocol part is checked, as Docker does.
pub fn normalize_port(port: &str) -> Result<String> {
    let (number, proto) = port.split_once('/').unwrap_or((port, "tcp"));
    let proto = proto.to_ascii_lowercase();
    match (number.parse::<u16>(), proto.as_str()) {
        (Ok(n), "tcp" | "udp" | "sctp") if n > 0 => Ok(format!("{n}/{proto}")),
        _ => Err(Error::usage(
            format!("`{port}` is not a port"),
            "a port is 8080, 8080/tcp, 53/udp or 9000/sctp (--port, or `ports` in [image])",
        )),
    }
}

/// The scratch essentials, as one tree every platform's tree starts from.
fn essentials_tree(spec: &ImageSpec, env: &Env) -> Result<Tree> {
    let mut tree = Tree::new();
    if spec.ca_certs {
        essentials::add_ca_bundle(&mut tree, &ca_bundle(env)?)?;
    }
    if spec.passwd {
        essentials::add_passwd(&mut tree)?;
    }
    if spec.zoneinfo {
        essentials::add_zoneinfo(&mut tree, Path::new(essentials::HOST_ZONEINFO))?;
    }
    Ok(tree)
}

/// Where a vendored project's installed path (`/etc/foo.conf`) lies on this machine for
/// one target: `(vendor, target, installed path)` -> (the install's root folder, the
/// path under it). The project supplies it; outside a project there is no vendored
/// project to ask.
pub type VendorPaths<'a> = &'a dyn Fn(&str, Target, &str) -> Result<(PathBuf, String)>;

/// For `muslbuild image` outside a project.
pub fn no_vendored_projects(vendor: &str, _: Target, _: &str) -> Result<(PathBuf, String)> {
    Err(Error::usage(
        format!(
            "--vendor-file names vendored project `{vendor}`, but there is no muslbuild.toml here"
        ),
        "run `muslbuild image` in the project folder, whose [vendor.NAME] tables name the vendored projects",
    ))
}

/// This machine's CA bundle (`SSL_CERT_FILE` first).
fn ca_bundle(env: &Env) -> Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = env
        .get("SSL_CERT_FILE")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.extend(essentials::HOST_CA_BUNDLES.iter().map(PathBuf::from));
    essentials::find_ca_bundle(&candidates)
}

/// Builds the image the spec describes from the dist folder and writes it out: the
/// flags over `base` (the project's `[image]`, or nothing), dist from `--out-dir` or
/// `default_out_dir`.
pub fn run(
    args: &ImageArgs,
    base: ImageSpec,
    default_out_dir: &Path,
    vendor: VendorPaths<'_>,
    env: &Env,
) -> Result<ImageReport> {
    let spec = args.apply(base)?;
    let out_dir = args
        .out_dir
        .as_ref()
        .map_or_else(|| default_out_dir.to_path_buf(), |d| env.cwd.join(d));
    make(&spec, &out_dir, vendor, env)
}

/// Every platform's files besides the artifacts: the essentials, the spec's files,
/// its vendored files (from that platform's own build) and its folders, last so their
/// modes and owners win over folders the others made.
pub fn extras_tree(
    spec: &ImageSpec,
    essentials: &Tree,
    target: Target,
    vendor: VendorPaths<'_>,
    env: &Env,
) -> Result<Tree> {
    let mut tree = essentials.clone();
    for file in &spec.files {
        let source = env.cwd.join(&file.source);
        if std::fs::symlink_metadata(&source).is_err() {
            return Err(Error::ImageContent {
                message: format!("image file `{}` does not exist", source.display()),
                help: "`source` is relative to the folder of muslbuild.toml (to the working folder for --file)".into(),
            });
        }
        let owner = Owner {
            mode: file.mode.map(|m| m.0),
            uid: file.uid,
            gid: file.gid,
        };
        add_host(
            &mut tree,
            &source,
            &file.path,
            owner,
            &format!("file `{}`", file.source.display()),
        )?;
    }
    for file in &spec.vendor_files {
        let (root, relative) = vendor(&file.vendor, target, &file.source)?;
        let source = root.join(&relative);
        // The folders on the way are the install's own, never a link out of it (the
        // last part, copied as a link, is `add_host`'s business).
        let mut folder = root.clone();
        for part in relative
            .split('/')
            .collect::<Vec<_>>()
            .split_last()
            .map_or(&[][..], |(_, f)| f)
        {
            folder.push(part);
            match std::fs::symlink_metadata(&folder) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(Error::ImageContent {
                        message: format!(
                            "`{}` of vendored project `{}` for {target} lies behind a link (`{}`)",
                            file.source,
                            file.vendor,
                            folder.display()
                        ),
                        help: "name the path the link points to; muslbuild follows no link out of an install".into(),
                    });
                }
                _ => {}
            }
        }
        if std::fs::symlink_metadata(&source).is_err() {
            return Err(Error::ImageContent {
                message: format!(
                    "vendored project `{}` installed no `{}` for {target}",
                    file.vendor, file.source
                ),
                help: format!(
                    "looked at {}; `source` is the path as the project installs it (/etc/NAME.conf, /usr/share/NAME)",
                    source.display()
                ),
            });
        }
        let owner = Owner {
            mode: file.mode.map(|m| m.0),
            uid: file.uid,
            gid: file.gid,
        };
        let origin = format!("`{}` of vendored project `{}`", file.source, file.vendor);
        add_host(&mut tree, &source, file.image_path(), owner, &origin)?;
    }
    for dir in &spec.dirs {
        let entry = Entry {
            kind: EntryKind::Dir,
            mode: dir.mode.map_or(0o755, |m| m.0),
            uid: dir.uid.into(),
            gid: dir.gid.into(),
        };
        tree.insert(&dir.path, entry, &format!("folder `{}`", dir.path))?;
    }
    Ok(tree)
}

/// Before anything is built: every platform's files besides the artifacts and the
/// essentials, read, with the artifacts' paths reserved, so a missing vendored file or a
/// clash inside a copied folder stops the build before dist/ is touched. Returns the
/// sha256 of what they hold, for keying an image made from them.
pub fn check_extras(
    spec: &ImageSpec,
    targets: &[Target],
    vendor: VendorPaths<'_>,
    env: &Env,
) -> Result<String> {
    // The essentials this machine must have; their content is keyed by the caller.
    if spec.ca_certs {
        ca_bundle(env)?;
    }
    if spec.zoneinfo && !Path::new(essentials::HOST_ZONEINFO).is_dir() {
        essentials::add_zoneinfo(&mut Tree::new(), Path::new(essentials::HOST_ZONEINFO))?;
    }
    let bin_dir = spec.bin_dir.as_deref().unwrap_or("/");
    let mut digests = Vec::new();
    for target in targets {
        let mut tree = extras_tree(spec, &Tree::new(), *target, vendor, env)?;
        for item in &spec.artifacts {
            let (name, path) = spec::artifact_path(item, bin_dir);
            let placeholder = Entry {
                kind: EntryKind::File(Vec::new()),
                mode: 0o755,
                uid: 0,
                gid: 0,
            };
            tree.insert(&path, placeholder, &format!("artifact `{name}`"))?;
        }
        digests.push(format!("{target} {}", sha256_hex(&tree.to_tar(0))));
    }
    Ok(sha256_hex(digests.join("\n").as_bytes()))
}

#[derive(Clone, Copy)]
struct Owner {
    /// For files; `None` keeps 0755 for an executable source, else 0644.
    mode: Option<u32>,
    uid: u32,
    gid: u32,
}

/// A host file, link or folder (recursively, in name order) at `image_path`. Links are
/// copied as links and never followed, so a link in a vendored install cannot pull a host
/// file into the image.
fn add_host(
    tree: &mut Tree,
    source: &Path,
    image_path: &str,
    owner: Owner,
    origin: &str,
) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let read = |p: &Path| Error::io("cannot read", p.to_path_buf());
    let meta = std::fs::symlink_metadata(source).map_err(read(source))?;
    let (uid, gid) = (u64::from(owner.uid), u64::from(owner.gid));
    let kind = if meta.file_type().is_symlink() {
        let target = std::fs::read_link(source).map_err(read(source))?;
        let target = target.to_str().ok_or_else(|| Error::ImageContent {
            message: format!(
                "link `{}` points at a name that is not UTF-8",
                source.display()
            ),
            help: "a layer names link targets as text; replace the link".into(),
        })?;
        tree.insert(
            image_path,
            Entry {
                kind: EntryKind::Symlink(target.into()),
                mode: 0o777,
                uid,
                gid,
            },
            origin,
        )?;
        return Ok(());
    } else if meta.is_dir() {
        EntryKind::Dir
    } else if meta.is_file() {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(source)
            .map_err(read(source))?;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes).map_err(read(source))?;
        EntryKind::File(bytes)
    } else {
        return Err(Error::ImageContent {
            message: format!(
                "`{}` ({origin}) is not a file, folder or link",
                source.display()
            ),
            help:
                "an image holds files, folders and links; copy a folder without devices or sockets"
                    .into(),
        });
    };
    let is_dir = kind == EntryKind::Dir;
    let mode = match (&kind, owner.mode) {
        (EntryKind::Dir, _) => 0o755,
        (_, Some(mode)) => mode,
        _ if meta.permissions().mode() & 0o111 != 0 => 0o755,
        _ => 0o644,
    };
    tree.insert(
        image_path,
        Entry {
            kind,
            mode,
            uid,
            gid,
        },
        origin,
    )?;
    if is_dir {
        let mut names: Vec<_> = std::fs::read_dir(source)
            .map_err(read(source))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<std::io::Result<_>>()
            .map_err(read(source))?;
        names.sort();
        for name in names {
            let Some(text) = name.to_str() else {
                return Err(Error::ImageContent {
                    message: format!(
                        "`{}` has a name that is not UTF-8",
                        source.join(&name).display()
                    ),
                    help: "rename it; image paths are text".into(),
                });
            };
            let child = format!("{}/{text}", image_path.trim_end_matches('/'));
            add_host(tree, &source.join(&name), &child, owner, origin)?;
        }
    }
    Ok(())
}

/// The image a spec describes, from the artifacts recorded in `out_dir`: what
/// `muslbuild build` calls for a project's `[image]` once its artifacts are in dist.
pub fn make(
    spec: &ImageSpec,
    out_dir: &Path,
    vendor: VendorPaths<'_>,
    env: &Env,
) -> Result<ImageReport> {
    spec::check_plain(spec, &[], &env.cwd)?;
    let manifest_path = out_dir.join(crate::dist::MANIFEST);
    // Builds change dist under its lock: reading under it, the manifest and the files
    // agree, and an interrupted build's transaction is settled first.
    let _dist_lock = out_dir
        .is_dir()
        .then(|| crate::dist::lock(out_dir))
        .transpose()?;
    let dist = read_dist_manifest(out_dir)?;
    let plan = plan(spec, &dist, &manifest_path)?;
    let config = runtime_config(spec, &plan)?;
    let tag = spec.tag.clone().unwrap_or_else(|| "latest".into());
    let essentials = essentials_tree(spec, env)?;
    let epoch = env.source_date_epoch();

    let mut platforms = Vec::new();
    let mut copies: Vec<(Target, Copies)> = Vec::new();
    let mut rootfs: Vec<(Target, Tree)> = Vec::new();
    for target in &plan.targets {
        let extras = extras_tree(spec, &essentials, *target, vendor, env)?;
        let mut tree = extras.clone();
        let mut target_copies = Vec::new();
        for (name, image_path) in &plan.artifacts {
            let artifact = &plan.files[&(*target, name.clone())];
            let bytes = read_artifact(out_dir, &manifest_path, artifact, *target)?;
            let entry = Entry {
                kind: EntryKind::File(bytes),
                mode: 0o755,
                uid: 0,
                gid: 0,
            };
            tree.insert(image_path, entry, &format!("artifact `{name}`"))?;
            target_copies.push((artifact.path.clone(), image_path.clone()));
        }
        platforms.push((*target, tree));
        copies.push((*target, target_copies));
        rootfs.push((*target, extras));
    }

    let image = oci::build(&ImageInput {
        platforms,
        config: config.clone(),
        tag: tag.clone(),
        epoch,
    })?;

    let layout_dir = spec
        .oci_layout
        .as_ref()
        .map(|p| env.cwd.join(p))
        .unwrap_or_else(|| out_dir.join("image"));
    let archive = spec.oci_archive.as_ref().map(|p| env.cwd.join(p));
    // Every destination is checked before the first is written, so a bad path leaves
    // nothing behind; then the one-file archive goes first, the layout after it.
    check_layout_dir(&layout_dir)?;
    if let Some(archive) = &archive {
        prepare_archive(archive)?;
        write_archive(archive, &image, epoch)?;
    }
    write_layout(&layout_dir, &image)?;
    let dockerfile = if spec.dockerfile.unwrap_or(true) {
        let has_rootfs = rootfs.iter().any(|(_, tree)| tree.paths().next().is_some());
        if has_rootfs {
            write_rootfs(&out_dir.join(ROOTFS), &rootfs)?;
        } else if out_dir.join(ROOTFS).is_dir() {
            // A rootfs an earlier image wrote would not match this Dockerfile.
            std::fs::remove_dir_all(out_dir.join(ROOTFS))
                .map_err(Error::io("cannot replace", out_dir.join(ROOTFS)))?;
        }
        let owned: Vec<(Target, dockerfile::Owned)> = rootfs
            .iter()
            .map(|(t, tree)| (*t, tree.owned_paths()))
            .collect();
        let path = out_dir.join("Dockerfile");
        write_atomic(
            &path,
            dockerfile::render(&copies, has_rootfs.then_some(ROOTFS), &owned, &config).as_bytes(),
        )?;
        Some(path)
    } else {
        None
    };

    Ok(ImageReport {
        tag,
        index: image.index.clone(),
        platforms: image.platforms.clone(),
        oci_layout: layout_dir,
        oci_archive: archive,
        dockerfile,
    })
}

/// The folder in dist the Dockerfile copies each platform's files besides the artifacts
/// from: `rootfs/<target>/`.
pub const ROOTFS: &str = "rootfs";

/// Writes each platform's tree as real files under `dest/<target>/` for `COPY`, modes
/// included (owners are the Dockerfile's `--chown`): built in a temporary folder beside
/// it, then swapped in, so a buildx run never sees half of it.
fn write_rootfs(dest: &Path, trees: &[(Target, Tree)]) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let parent = dest.parent().expect("rootfs is inside dist");
    std::fs::create_dir_all(parent).map_err(Error::write_output(OutputPlace::OutDir, parent))?;
    let temp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempdir_in(parent)
        .map_err(Error::write_output(OutputPlace::OutDir, parent))?;
    let mode = |file: &Path, mode: u32| {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode))
            .map_err(Error::write_output(OutputPlace::OutDir, file))
    };
    for (target, tree) in trees {
        let root = temp.path().join(target.name());
        std::fs::create_dir_all(&root).map_err(Error::write_output(OutputPlace::OutDir, &root))?;
        let mut dirs = Vec::new();
        for path in tree.paths() {
            let entry = tree.get(&format!("/{path}")).expect("path from the tree");
            let file = root.join(path);
            let io = Error::write_output(OutputPlace::OutDir, &file);
            match &entry.kind {
                EntryKind::Dir => {
                    std::fs::create_dir_all(&file).map_err(io)?;
                    dirs.push((file, entry.mode));
                }
                EntryKind::File(bytes) => {
                    std::fs::write(&file, bytes).map_err(io)?;
                    mode(&file, entry.mode)?;
                }
                EntryKind::Symlink(target) => {
                    std::os::unix::fs::symlink(target, &file).map_err(io)?
                }
            }
        }
        // Deepest first, so a folder without write permission is still filled.
        for (dir, m) in dirs.iter().rev() {
            mode(dir, *m)?;
        }
    }
    if dest.exists() {
        make_removable(dest);
        std::fs::remove_dir_all(dest).map_err(Error::io("cannot replace", dest))?;
    }
    let temp = temp.keep();
    std::fs::rename(&temp, dest).map_err(|source| {
        make_removable(&temp);
        let _ = std::fs::remove_dir_all(&temp);
        Error::WriteOutput {
            place: OutputPlace::OutDir,
            path: dest.to_path_buf(),
            source,
        }
    })
}

/// Folders of a rootfs may be 0500 (a daemon's private folder): give the owner write
/// permission back so the tree can be removed.
fn make_removable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return;
    };
    if !meta.is_dir() {
        return;
    }
    let _ = std::fs::set_permissions(
        dir,
        std::fs::Permissions::from_mode(meta.permissions().mode() | 0o700),
    );
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            make_removable(&entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist_entry(target: &str, name: &str) -> DistArtifact {
        DistArtifact {
            name: name.into(),
            target: target.into(),
            path: format!("{target}/{name}"),
            sha256: String::new(),
        }
    }

    fn dist() -> Vec<DistArtifact> {
        vec![
            dist_entry("x86_64", "hello"),
            dist_entry("aarch64", "hello"),
            dist_entry("armv7", "hello"),
            dist_entry("x86_64", "tool"),
        ]
    }

    #[test]
    fn spec_deserializes_from_an_image_section() {
        #[derive(Deserialize)]
        struct Project {
            image: ImageSpec,
        }
        let project: Project = serde_json::from_value(serde_json::json!({
            "image": {
                "tag": "hello:1.0", "artifacts": ["hello=/usr/bin/hello"], "ca-certs": true,
                "entrypoint": ["/usr/bin/hello"], "ports": ["8080"], "labels": {"a": "b"}, "oci-archive": "dist/hello.tar"
            }
        }))
        .unwrap();
        assert_eq!(project.image.tag.as_deref(), Some("hello:1.0"));
        assert!(project.image.ca_certs && !project.image.passwd);
        assert_eq!(
            project.image.oci_archive,
            Some(PathBuf::from("dist/hello.tar"))
        );
        let err = serde_json::from_value::<ImageSpec>(serde_json::json!({"entrypont": ["/x"]}))
            .unwrap_err();
        assert!(
            err.to_string().contains("unknown field `entrypont`"),
            "{err}"
        );
    }

    #[test]
    fn flags_override_the_spec() {
        let base = ImageSpec {
            tag: Some("a".into()),
            passwd: true,
            ..ImageSpec::default()
        };
        let args = ImageArgs {
            tag: Some("b".into()),
            entrypoint: vec![r#"["/srv","-v"]"#.into(), "--fast".into()],
            labels: vec!["k=v=w".into()],
            ..ImageArgs::default()
        };
        let spec = args.apply(base).unwrap();
        assert_eq!(spec.tag.as_deref(), Some("b"));
        assert!(spec.passwd);
        assert_eq!(spec.entrypoint.unwrap(), vec!["/srv", "-v", "--fast"]);
        assert_eq!(spec.labels["k"], "v=w");
        let bad = ImageArgs {
            cmd: vec!["[1,2]".into()],
            ..ImageArgs::default()
        };
        assert!(bad.apply(ImageSpec::default()).is_err());
    }

    #[test]
    fn plan_defaults_to_every_target_and_artifact_and_names_what_is_missing() {
        let only_hello = ImageSpec {
            artifacts: vec!["hello".into()],
            ..ImageSpec::default()
        };
        let p = plan(&only_hello, &dist(), Path::new("dist/manifest.json")).unwrap();
        assert_eq!(p.targets, Target::ALL.to_vec());
        assert_eq!(
            p.artifacts,
            vec![("hello".to_string(), "/hello".to_string())]
        );
        let config = runtime_config(&only_hello, &p).unwrap();
        assert_eq!(config.entrypoint, Some(vec!["/hello".to_string()]));

        // `tool` exists for x86_64 only: asking for it on every target is an error
        let both = ImageSpec::default();
        let err = plan(&both, &dist(), Path::new("dist/manifest.json"))
            .err()
            .unwrap();
        assert!(
            matches!(&err, Error::MissingArtifact { name, target: Target::Aarch64, .. } if name == "tool"),
            "{err}"
        );
        assert_eq!(err.exit_code(), crate::error::exit::INPUT);

        let x86 = ImageSpec {
            targets: vec!["amd64".into()],
            bin_dir: Some("/usr/bin/".into()),
            ..ImageSpec::default()
        };
        let p = plan(&x86, &dist(), Path::new("m")).unwrap();
        assert_eq!(p.targets, vec![Target::X86_64]);
        assert_eq!(
            p.artifacts
                .iter()
                .map(|(_, p)| p.as_str())
                .collect::<Vec<_>>(),
            vec!["/usr/bin/hello", "/usr/bin/tool"]
        );
        assert_eq!(runtime_config(&x86, &p).unwrap().entrypoint, None);
    }

    #[test]
    fn passwd_defaults_the_user_to_nonroot() {
        let spec = ImageSpec {
            passwd: true,
            artifacts: vec!["hello".into()],
            ..ImageSpec::default()
        };
        let p = plan(&spec, &dist(), Path::new("m")).unwrap();
        assert_eq!(
            runtime_config(&spec, &p).unwrap().user.as_deref(),
            Some("65532:65532")
        );
        let spec = ImageSpec {
            user: Some("0".into()),
            ..spec
        };
        assert_eq!(
            runtime_config(&spec, &p).unwrap().user.as_deref(),
            Some("0")
        );
    }

    #[test]
    fn file_and_folder_flags_read_as_the_project_tables() {
        let args = ImageArgs {
            files: vec!["source=conf/a.conf,path=/etc/a.conf,mode=0640,uid=7".into()],
            vendor_files: vec!["vendor=v,source=/usr/share/v".into()],
            dirs: vec!["/run".into(), "path=/var/lib/v,mode=0o700,gid=9".into()],
            ..ImageArgs::default()
        };
        let spec = args.apply(ImageSpec::default()).unwrap();
        assert_eq!(spec.files[0].source, PathBuf::from("conf/a.conf"));
        assert_eq!(spec.files[0].mode, Some(crate::image::Mode(0o640)));
        assert_eq!((spec.files[0].uid, spec.files[0].gid), (7, 0));
        assert_eq!(spec.vendor_files[0].image_path(), "/usr/share/v");
        assert_eq!(spec.dirs[0].path, "/run");
        assert_eq!(spec.dirs[1].mode, Some(crate::image::Mode(0o700)));
        assert_eq!(spec.dirs[1].gid, 9);
        for bad in ["mode=0755", "path=/x,size=3", "path=/x,uid=-1"] {
            let args = ImageArgs {
                dirs: vec![bad.into()],
                ..ImageArgs::default()
            };
            let err = args.apply(ImageSpec::default()).unwrap_err();
            assert_eq!(err.exit_code(), crate::error::exit::USAGE, "{bad}: {err}");
        }
    }

    #[test]
    fn ports_are_normalized() {
        assert_eq!(normalize_port("8080").unwrap(), "8080/tcp");
        assert_eq!(normalize_port("53/UDP").unwrap(), "53/udp");
        for bad in ["0", "70000", "http", "80/icmp"] {
            assert!(normalize_port(bad).is_err(), "{bad}");
        }
    }
}
