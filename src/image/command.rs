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
use crate::error::{Error, Result};
use crate::image::ImageSpec;
use crate::image::dockerfile::{self, Copies};
use crate::image::essentials;
use crate::image::layer::{Entry, EntryKind, Tree, normalize};
use crate::image::layout::{check_layout_dir, prepare_archive, write_archive, write_layout};
use crate::image::oci::{self, BlobRef, ImageConfig, ImageInput, PlatformImage};
use crate::target::Target;

/// Flags of `muslbuild image`; they fill an `ImageSpec` (over the project's `[image]`).
#[derive(Debug, Args, Clone, Default)]
pub struct ImageArgs {
    /// The dist folder to read (manifest.json) and to write the Dockerfile into
    #[arg(long, value_name = "DIR", default_value = "dist")]
    pub out_dir: PathBuf,

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
        Ok(spec)
    }
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
    let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::ImageInput {
            message: format!("`{}` does not exist", path.display()),
            help: "build first (muslbuild --target all hello.c), or point --out-dir at the dist folder".into(),
        },
        _ => Error::Io { what: "cannot read", path: path.clone(), source: e },
    })?;
    let manifest: DistManifest = serde_json::from_slice(&bytes).map_err(|e| Error::ImageInput {
        message: format!("`{}` is not a muslbuild dist manifest: {e}", path.display()),
        help: "rebuild to rewrite it (muslbuild --target all …)".into(),
    })?;
    Ok(manifest.artifacts)
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
        let (name, image_path) = match item.split_once('=') {
            Some((name, path)) => (name.to_string(), path.to_string()),
            None => (
                item.clone(),
                format!("{}/{item}", bin_dir.trim_end_matches('/')),
            ),
        };
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
        if env.split_once('=').is_none_or(|(k, _)| k.is_empty()) {
            return Err(Error::usage(
                format!("environment entry `{env}` is not KEY=VALUE"),
                "write --env KEY=VALUE",
            ));
        }
    }
    if let Some(dir) = &spec.workdir
        && !dir.starts_with('/')
    {
        return Err(Error::usage(
            format!("working directory `{dir}` is not absolute"),
            "write --workdir /PATH",
        ));
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
            "write --port 8080, --port 8080/tcp or --port 53/udp",
        )),
    }
}

/// The scratch essentials, as one tree every platform's tree starts from.
fn essentials_tree(spec: &ImageSpec, env: &Env) -> Result<Tree> {
    let mut tree = Tree::new();
    if spec.ca_certs {
        let mut candidates: Vec<PathBuf> = env
            .get("SSL_CERT_FILE")
            .map(PathBuf::from)
            .into_iter()
            .collect();
        candidates.extend(essentials::HOST_CA_BUNDLES.iter().map(PathBuf::from));
        let bundle = essentials::find_ca_bundle(&candidates)?;
        essentials::add_ca_bundle(&mut tree, &bundle)?;
    }
    if spec.passwd {
        essentials::add_passwd(&mut tree)?;
    }
    if spec.zoneinfo {
        essentials::add_zoneinfo(&mut tree, Path::new(essentials::HOST_ZONEINFO))?;
    }
    Ok(tree)
}

/// Builds the image the spec describes from the dist folder and writes it out.
pub fn run(args: &ImageArgs, base: ImageSpec, env: &Env) -> Result<ImageReport> {
    let spec = args.apply(base)?;
    make(&spec, &env.cwd.join(&args.out_dir), env)
}

/// The image a spec describes, from the artifacts recorded in `out_dir`: what
/// `muslbuild build` calls for a project's `[image]` once its artifacts are in dist.
pub fn make(spec: &ImageSpec, out_dir: &Path, env: &Env) -> Result<ImageReport> {
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
    oci::validate_tag(&tag)?;
    let essentials = essentials_tree(spec, env)?;
    let epoch = env.source_date_epoch();

    let mut platforms = Vec::new();
    let mut copies: Vec<(Target, Copies)> = Vec::new();
    for target in &plan.targets {
        let mut tree = essentials.clone();
        let mut target_copies = Vec::new();
        for (name, image_path) in &plan.artifacts {
            let artifact = &plan.files[&(*target, name.clone())];
            let source = out_dir.join(&artifact.path);
            let bytes = std::fs::read(&source).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Error::MissingArtifact {
                    name: name.clone(),
                    target: *target,
                    manifest: manifest_path.clone(),
                    help: format!(
                        "the manifest lists `{}` but the file is gone; rebuild it",
                        artifact.path
                    ),
                },
                _ => Error::Io {
                    what: "cannot read the artifact",
                    path: source.clone(),
                    source: e,
                },
            })?;
            if sha256_hex(&bytes) != artifact.sha256 {
                return Err(Error::ImageInput {
                    message: format!("`{}` changed since it was built (its sha256 differs from {})", source.display(), manifest_path.display()),
                    help: "rebuild so the manifest and the verified artifact agree, then run `muslbuild image` again".into(),
                });
            }
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
        let rootfs = if essentials.paths().next().is_some() {
            write_rootfs(&out_dir.join(ROOTFS), &essentials)?;
            Some(ROOTFS)
        } else {
            None
        };
        let path = out_dir.join("Dockerfile");
        write_atomic(
            &path,
            dockerfile::render(&copies, rootfs, &config).as_bytes(),
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

/// The folder in dist the Dockerfile copies the scratch essentials from.
pub const ROOTFS: &str = "rootfs";

/// Writes the essentials tree as real files for `COPY rootfs/ /`: built in a temporary
/// folder beside it, then swapped in, so a buildx run never sees half of it.
fn write_rootfs(dest: &Path, tree: &Tree) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let parent = dest.parent().expect("rootfs is inside dist");
    std::fs::create_dir_all(parent)
        .map_err(Error::io("cannot write the output directory", parent))?;
    let temp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempdir_in(parent)
        .map_err(Error::io("cannot write the output directory", parent))?;
    for path in tree.paths() {
        let entry = tree.get(&format!("/{path}")).expect("path from the tree");
        let file = temp.path().join(path);
        let io = Error::io("cannot write the output directory", &file);
        match &entry.kind {
            EntryKind::Dir => std::fs::create_dir_all(&file).map_err(io)?,
            EntryKind::File(bytes) => {
                std::fs::write(&file, bytes).map_err(io)?;
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(entry.mode))
                    .map_err(Error::io("cannot write the output directory", &file))?;
            }
            EntryKind::Symlink(target) => std::os::unix::fs::symlink(target, &file).map_err(io)?,
        }
    }
    if dest.exists() {
        std::fs::remove_dir_all(dest).map_err(Error::io("cannot replace", dest))?;
    }
    let temp = temp.keep();
    std::fs::rename(&temp, dest).map_err(|source| {
        let _ = std::fs::remove_dir_all(&temp);
        Error::Io {
            what: "cannot write the output directory",
            path: dest.to_path_buf(),
            source,
        }
    })
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
    fn ports_are_normalized() {
        assert_eq!(normalize_port("8080").unwrap(), "8080/tcp");
        assert_eq!(normalize_port("53/UDP").unwrap(), "53/udp");
        for bad in ["0", "70000", "http", "80/icmp"] {
            assert!(normalize_port(bad).is_err(), "{bad}");
        }
    }
}
