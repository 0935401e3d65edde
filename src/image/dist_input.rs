//! The dist folder as `muslbuild image` reads it: the manifest's entries, checked, and
//! each shipped artifact's bytes, trusting nothing the folder says.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::image::beneath::{self, Refusal};
use crate::image::checks::artifact_path;
use crate::image::layer::normalize;
use crate::image::spec::ImageSpec;
use crate::sys::hash::sha256_hex;
use crate::target::Target;

/// The fields of a `dist/manifest.json` entry this command needs; the rest (toolchain,
/// verification) is ignored, so the manifest can grow without breaking images.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct DistArtifact {
    pub(crate) name: String,
    pub(crate) target: String,
    /// Relative to the dist folder.
    pub(crate) path: String,
    pub(crate) sha256: String,
}

#[derive(Clone, Debug, Deserialize)]
struct DistManifest {
    artifacts: Vec<DistArtifact>,
}

pub(crate) fn read_dist_manifest(out_dir: &Path) -> Result<Vec<DistArtifact>> {
    let path = out_dir.join(crate::dist_folder::MANIFEST);
    let bytes = beneath::read(out_dir, crate::dist_folder::MANIFEST).map_err(|e| match e {
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
pub(crate) fn read_artifact(
    out_dir: &Path,
    manifest_path: &Path,
    artifact: &DistArtifact,
    target: Target,
) -> Result<Vec<u8>> {
    let name = &artifact.name;
    let expected = crate::dist_folder::Dist::relative_path(target, name);
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
        Refusal::NotRegular | Refusal::NotPlain(_) => Error::ImageInput {
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

/// A plan checked against dist: per target, the artifacts to copy and where.
pub(crate) struct Plan {
    pub(crate) targets: Vec<Target>,
    /// (name, image path)
    pub(crate) artifacts: Vec<(String, String)>,
    /// (target, name) -> dist entry
    pub(crate) files: BTreeMap<(Target, String), DistArtifact>,
}

pub(crate) fn plan(spec: &ImageSpec, dist: &[DistArtifact], manifest_path: &Path) -> Result<Plan> {
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
    if names.is_empty() {
        let wanted: Vec<&str> = targets.iter().map(|t| t.name()).collect();
        return Err(Error::ImageInput {
            message: format!(
                "`{}` lists no artifact for {}",
                manifest_path.display(),
                wanted.join(", ")
            ),
            help: format!(
                "build for it first (muslbuild --target {} …), or leave out --target to pack what was built",
                wanted.join(",")
            ),
        });
    }
    let mut artifacts = Vec::new();
    for item in names {
        let (name, image_path) = artifact_path(&item, &bin_dir);
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
