//! `muslbuild image`: the artifacts listed in `dist/manifest.json`, plus the `ImageSpec`,
//! become an OCI layout, optionally an `oci-archive`, and `dist/Dockerfile`. Every input
//! is checked (artifact names, targets, files still matching their recorded sha256)
//! before anything is written.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::context::Ctx;
use crate::error::{Error, OutputPlace, Result};
use crate::image::checks::{check_env, check_workdir, normalize_port};
use crate::image::dist_input::{Plan, plan, read_artifact, read_dist_manifest};
use crate::image::dockerfile::{self, Copies};
use crate::image::essentials;
use crate::image::extras::{VendorPaths, essentials_tree, extras_tree};
use crate::image::layer::{Entry, EntryKind, Tree};
use crate::image::layout::{check_layout_dir, prepare_archive, write_archive, write_layout};
use crate::image::merge::{MergedDist, merge_dists};
use crate::image::oci::{self, BlobRef, ImageConfig, ImageInput, PlatformImage};
use crate::image::overrides::ImageOverrides;
use crate::image::spec;
use crate::image::spec::ImageSpec;
use crate::sys::fs::write_atomic;
use crate::target::Target;

/// What `muslbuild image` made: printed for people, or as JSON with `--json`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ImageReport {
    pub(crate) tag: String,
    pub(crate) index: BlobRef,
    pub(crate) platforms: Vec<PlatformImage>,
    pub(crate) oci_layout: PathBuf,
    pub(crate) oci_archive: Option<PathBuf>,
    pub(crate) dockerfile: Option<PathBuf>,
    /// One SPDX document per platform, attached as a referrer and in `dist/sbom/`.
    pub(crate) sboms: Vec<PlatformSbom>,
}

/// A platform's SBOM: where `dist/sbom/` has it, its size, and its referrer manifest.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct PlatformSbom {
    pub(crate) target: Target,
    pub(crate) path: PathBuf,
    pub(crate) size: u64,
    /// The referrers index under the platform manifest's referrers tag.
    pub(crate) referrers: oci::Referrers,
}

impl ImageReport {
    pub(crate) fn human(&self) -> String {
        let mut out = format!(
            "image {}  index {} ({} bytes)\n",
            self.tag, self.index.digest, self.index.size
        );
        for p in &self.platforms {
            out.push_str(&format!(
                "  {:<14} manifest {}  layer {} bytes, total {} bytes\n",
                p.platform, p.manifest.digest, p.layer.size, p.total_size
            ));
        }
        for sbom in &self.sboms {
            out.push_str(&format!(
                "  SBOM {:<11} {} ({} bytes), referrers tag {}\n",
                sbom.target,
                sbom.path.display(),
                sbom.size,
                oci::referrers_tag(&sbom.referrers.subject)
            ));
        }
        out.push_str(&format!("  OCI layout    {}\n", self.oci_layout.display()));
        if let Some(archive) = &self.oci_archive {
            out.push_str(&format!("  oci-archive   {}\n", archive.display()));
        }
        if let Some(dockerfile) = &self.dockerfile {
            out.push_str(&format!("  Dockerfile    {}\n", dockerfile.display()));
        }
        out
    }
}

fn runtime_config(spec: &ImageSpec, plan: &Plan) -> Result<ImageConfig> {
    for env in &spec.env {
        check_env(env)?;
    }
    if let Some(dir) = &spec.workdir {
        check_workdir(dir)?;
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

/// Builds the image the spec describes from the dist folder and writes it out: the
/// flags over `base` (the project's `[image]`, or nothing), dist from `--out-dir` or
/// `default_out_dir`.
pub(crate) fn run(
    overrides: &ImageOverrides,
    base: ImageSpec,
    default_out_dir: &Path,
    vendor: VendorPaths<'_>,
    ctx: &Ctx,
) -> Result<ImageReport> {
    let spec = overrides.apply(base)?;
    let out_dir = overrides
        .out_dir
        .as_ref()
        .map_or_else(|| default_out_dir.to_path_buf(), |d| ctx.env.cwd.join(d));
    let from: Vec<PathBuf> = overrides.from.iter().map(|d| ctx.env.cwd.join(d)).collect();
    make_from(&spec, &out_dir, &from, vendor, ctx)
}

/// The image a spec describes, from the artifacts recorded in `out_dir`: what
/// `muslbuild build` calls for a project's `[image]` once its artifacts are in dist.
pub(crate) fn make(
    spec: &ImageSpec,
    out_dir: &Path,
    vendor: VendorPaths<'_>,
    ctx: &Ctx,
) -> Result<ImageReport> {
    make_from(spec, out_dir, &[], vendor, ctx)
}

/// `make`, the artifacts read from the `from` dist folders merged (`--from`) when any are
/// given, else from `out_dir`. A merge writes no Dockerfile: its `COPY` lines would name
/// files of several folders.
fn make_from(
    spec: &ImageSpec,
    out_dir: &Path,
    from: &[PathBuf],
    vendor: VendorPaths<'_>,
    ctx: &Ctx,
) -> Result<ImageReport> {
    let env = &ctx.env;
    spec::check_plain(spec, &[], &env.cwd)?;
    // What errors about the artifact list name: the one manifest, or the merged folders.
    let manifest_path = if from.is_empty() {
        out_dir.join(crate::dist_folder::MANIFEST)
    } else {
        let dirs: Vec<String> = from.iter().map(|d| d.display().to_string()).collect();
        PathBuf::from(format!("the manifests of --from {}", dirs.join(" ")))
    };
    let _dist_locks = lock_sources(out_dir, from, ctx)?;
    let merged = (!from.is_empty()).then(|| merge_dists(from)).transpose()?;
    let dist = match &merged {
        Some(merged) => merged.artifacts.clone(),
        None => read_dist_manifest(out_dir)?,
    };
    let plan = plan(spec, &dist, &manifest_path)?;
    let config = runtime_config(spec, &plan)?;
    let tag = spec.tag.clone().unwrap_or_else(|| "latest".into());
    let essentials = essentials_tree(spec, env)?;
    let epoch = env.source_date_epoch();

    let PlatformFiles {
        platforms,
        artifact_docs,
        copies,
        rootfs,
    } = platform_files(
        spec,
        &plan,
        (out_dir, merged.as_ref()),
        &essentials,
        vendor,
        env,
    )?;

    let input = ImageInput {
        platforms,
        config: config.clone(),
        tag: tag.clone(),
        epoch,
    };
    let mut image = oci::build(&input)?;
    let documents: Vec<(Target, Vec<u8>)> = if spec.no_sbom {
        Vec::new()
    } else {
        platform_sboms(&image, &input.platforms, &artifact_docs, epoch)
    };
    image.attach_sboms(documents.clone(), epoch)?;
    drop(input);

    let layout_dir = spec
        .oci_layout
        .as_ref()
        .map(|p| env.cwd.join(p))
        .unwrap_or_else(|| out_dir.join("image"));
    let archive = spec.oci_archive.as_ref().map(|p| env.cwd.join(p));
    let destinations = Destinations {
        layout_dir: &layout_dir,
        archive: archive.as_deref(),
        out_dir,
        out_dir_locked: from.is_empty(),
    };
    let paths = destinations.write(&image, &documents, epoch, ctx)?;
    let sboms = documents
        .iter()
        .zip(paths)
        .zip(&image.referrers)
        .map(|(((target, bytes), path), referrers)| PlatformSbom {
            target: *target,
            path,
            size: bytes.len() as u64,
            referrers: referrers.clone(),
        })
        .collect();
    let dockerfile = if spec.dockerfile.unwrap_or(true) && merged.is_none() {
        Some(write_dockerfile(out_dir, &rootfs, &copies, &config, ctx)?)
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
        sboms,
    })
}

/// Builds change dist under its lock: reading under it, the manifest and the files
/// agree, and an interrupted build's transaction is settled first. The folders read are
/// `from`, or `out_dir`.
fn lock_sources(
    out_dir: &Path,
    from: &[PathBuf],
    ctx: &Ctx,
) -> Result<Vec<crate::dist_folder::DistLock>> {
    let sources: Vec<PathBuf> = if from.is_empty() {
        vec![out_dir.to_path_buf()]
    } else {
        from.to_vec()
    };
    let mut locks = Vec::new();
    for dir in &sources {
        if dir.is_dir() {
            locks.push(crate::dist_folder::lock(dir, ctx.temps(), ctx.ui)?);
        }
    }
    Ok(locks)
}

/// Each target's files: what its layer holds, and what the SBOMs and the Dockerfile
/// need to know of them.
struct PlatformFiles {
    /// The layer's tree: the artifacts and the extras.
    platforms: Vec<(Target, Tree)>,
    /// Each artifact's image path, name and SBOM (when it has one of its bytes).
    artifact_docs: Vec<(Target, ArtifactDocs)>,
    /// Each artifact's dist path and image path, for the Dockerfile's `COPY` lines.
    copies: Vec<(Target, Copies)>,
    /// The extras alone, for the Dockerfile's `rootfs/`.
    rootfs: Vec<(Target, Tree)>,
}

/// Every artifact of the plan read back from its dist folder (`out_dir`, or the merged
/// folder it comes from) and verified, placed in its target's tree beside the extras.
fn platform_files(
    spec: &ImageSpec,
    plan: &Plan,
    (out_dir, merged): (&Path, Option<&MergedDist>),
    essentials: &Tree,
    vendor: VendorPaths<'_>,
    env: &crate::env::Env,
) -> Result<PlatformFiles> {
    let mut files = PlatformFiles {
        platforms: Vec::new(),
        artifact_docs: Vec::new(),
        copies: Vec::new(),
        rootfs: Vec::new(),
    };
    for target in &plan.targets {
        let extras = extras_tree(spec, essentials, *target, vendor, env)?;
        let mut tree = extras.clone();
        let mut target_copies = Vec::new();
        let mut docs = ArtifactDocs::new();
        for (name, image_path) in &plan.artifacts {
            let artifact = &plan.files[&(*target, name.clone())];
            let dir = merged.map_or(out_dir, |m| m.dir_of(*target, name));
            let bytes = read_artifact(
                dir,
                &dir.join(crate::dist_folder::MANIFEST),
                artifact,
                *target,
            )?;
            if !spec.no_sbom {
                docs.insert(
                    crate::image::layer::normalize(image_path)?,
                    (name.clone(), artifact_sbom(dir, artifact)),
                );
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
        files.platforms.push((*target, tree));
        files.artifact_docs.push((*target, docs));
        files.copies.push((*target, target_copies));
        files.rootfs.push((*target, extras));
    }
    Ok(files)
}

/// Where an image goes: its layout, its archive, and `out_dir` (whose `sbom/` takes the
/// image's SBOMs).
struct Destinations<'a> {
    layout_dir: &'a Path,
    archive: Option<&'a Path>,
    out_dir: &'a Path,
    /// Whether `out_dir` is already locked (it is one of the dist folders read).
    out_dir_locked: bool,
}

impl Destinations<'_> {
    /// Writes the image and its SBOMs (`documents`) in one dist transaction; the paths
    /// of the SBOMs in `dist/sbom/`.
    fn write(
        &self,
        image: &oci::Image,
        documents: &[(Target, Vec<u8>)],
        epoch: u64,
        ctx: &Ctx,
    ) -> Result<Vec<PathBuf>> {
        let out_dir = self.out_dir;
        // Every destination is checked before the first is written, so a bad path leaves
        // nothing behind; then the one-file archive goes first, the layout after it.
        check_layout_dir(self.layout_dir)?;
        if let Some(archive) = self.archive {
            prepare_archive(archive)?;
        }
        // dist/sbom/ changes under dist's lock: with --from, `out_dir` is not one of the
        // folders read, so it is locked here.
        let _out_lock = if self.out_dir_locked {
            None
        } else {
            std::fs::create_dir_all(out_dir)
                .map_err(Error::write_output(OutputPlace::OutDir, out_dir))?;
            Some(crate::dist_folder::lock(out_dir, ctx.temps(), ctx.ui)?)
        };
        let named: Vec<(String, Vec<u8>)> = documents
            .iter()
            .map(|(target, bytes)| {
                (
                    format!("image-{target}{}", crate::sbom::SUFFIX),
                    bytes.clone(),
                )
            })
            .collect();
        crate::dist_folder::install_image_sboms(
            out_dir,
            self.layout_dir,
            &image.tag,
            &image.index.digest,
            &named,
            ctx.temps(),
            || {
                if let Some(archive) = self.archive {
                    write_archive(archive, image, epoch, ctx.temps())?;
                }
                write_layout(self.layout_dir, image, ctx.temps())
            },
        )
    }
}

/// `dist/Dockerfile` for `docker buildx`, and the `rootfs/` folder it copies the extra
/// files from (removed when there are none: an earlier one would not match).
fn write_dockerfile(
    out_dir: &Path,
    rootfs: &[(Target, Tree)],
    copies: &[(Target, Copies)],
    config: &ImageConfig,
    ctx: &Ctx,
) -> Result<PathBuf> {
    let has_rootfs = rootfs.iter().any(|(_, tree)| tree.paths().next().is_some());
    if has_rootfs {
        write_rootfs(&out_dir.join(ROOTFS), rootfs)?;
    } else if out_dir.join(ROOTFS).is_dir() {
        std::fs::remove_dir_all(out_dir.join(ROOTFS))
            .map_err(Error::io("cannot replace", out_dir.join(ROOTFS)))?;
    }
    let owned: Vec<(Target, dockerfile::Owned)> = rootfs
        .iter()
        .map(|(t, tree)| (*t, tree.owned_paths()))
        .collect();
    let path = out_dir.join("Dockerfile");
    write_atomic(
        ctx.temps(),
        &path,
        dockerfile::render(copies, has_rootfs.then_some(ROOTFS), &owned, config).as_bytes(),
    )?;
    Ok(path)
}

/// An image path (as the layer names it) → the artifact's name and its SBOM.
type ArtifactDocs = std::collections::BTreeMap<String, (String, Option<Vec<u8>>)>;

/// The SBOM beside an artifact in its dist folder, when it describes these bytes (read
/// without following a link, like the artifact).
fn artifact_sbom(dir: &Path, artifact: &crate::image::dist_input::DistArtifact) -> Option<Vec<u8>> {
    let relative = format!("{}{}", artifact.path, crate::sbom::SUFFIX);
    let document = crate::image::beneath::read(dir, &relative).ok()?;
    (crate::sbom::recorded_sha256(&document).as_deref() == Some(artifact.sha256.as_str()))
        .then_some(document)
}

/// One SPDX document per platform: every regular file of its layer, the artifacts'
/// SBOMs referenced.
fn platform_sboms(
    image: &oci::Image,
    trees: &[(Target, Tree)],
    artifact_docs: &[(Target, ArtifactDocs)],
    epoch: u64,
) -> Vec<(Target, Vec<u8>)> {
    use crate::sbom::image::{ArtifactDocument, LayerFile, Platform, document};
    let mut out = Vec::new();
    for platform in &image.platforms {
        let Some((_, tree)) = trees.iter().find(|(t, _)| *t == platform.target) else {
            continue;
        };
        let docs = artifact_docs
            .iter()
            .find(|(t, _)| *t == platform.target)
            .map(|(_, d)| d);
        let files = tree
            .paths()
            .filter_map(|path| {
                let entry = tree.get(&format!("/{path}"))?;
                let EntryKind::File(bytes) = &entry.kind else {
                    return None;
                };
                let artifact =
                    docs.and_then(|d| d.get(path))
                        .map(|(name, sbom)| ArtifactDocument {
                            name,
                            sbom: sbom.as_deref(),
                        });
                Some(LayerFile {
                    path,
                    bytes,
                    artifact,
                })
            })
            .collect();
        let bytes = document(&Platform {
            target: platform.target,
            manifest_digest: &platform.manifest.digest,
            layer_digest: &platform.layer.digest,
            files,
            epoch,
        });
        out.push((platform.target, bytes));
    }
    out
}

/// The folder in dist the Dockerfile copies each platform's files besides the artifacts
/// from: `rootfs/<target>/`.
pub(crate) const ROOTFS: &str = "rootfs";

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
    use crate::image::dist_input::DistArtifact;
    use serde::Deserialize;

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
    fn plan_defaults_to_every_target_and_artifact_and_names_what_is_missing() {
        let only_hello = ImageSpec {
            artifacts: vec!["hello".into()],
            ..ImageSpec::default()
        };
        let p = plan(&only_hello, &dist(), Path::new("dist/manifest.json")).unwrap();
        // Every target the dist has, not every target there is.
        assert_eq!(
            p.targets,
            vec![Target::X86_64, Target::Aarch64, Target::Armv7]
        );
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

        // A target with nothing built for it is an error, not an empty image.
        let only_x86 = vec![dist_entry("x86_64", "hello")];
        let arm = ImageSpec {
            targets: vec!["aarch64".into()],
            ..ImageSpec::default()
        };
        let err = plan(&arm, &only_x86, Path::new("m")).err().unwrap();
        assert!(err.to_string().contains("no artifact for aarch64"), "{err}");
        assert_eq!(err.exit_code(), crate::error::exit::INPUT);
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
}
