//! Builds made on several machines become one image.
//!
//! - `--from DIST…`: several `dist/` folders (a CI matrix's per-architecture artifacts)
//!   read as one. Each folder must be exactly what its `manifest.json` says — every
//!   entry's bytes re-hashed and verified, no unlisted file under a target's folder — and
//!   the same target and name in two folders must be the same bytes.
//! - `merge_layouts`: existing OCI layouts or `oci-archive` tars, offline: their platform
//!   manifests gathered into one index, every blob checked against its digest, one
//!   platform twice with different manifests refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use oci_spec::image::{Descriptor, MediaType, Platform};

use crate::error::{Error, Result};
use crate::image::dist_input::{DistArtifact, read_artifact, read_dist_manifest};
use crate::image::oci::{BlobRef, PlatformImage, Referrers};
use crate::sys::oci_layout::{LayoutIndex, parse_index, ref_name};
use crate::target::Target;

/// Several dist folders read as one: the entries, and the folder each comes from.
pub(crate) struct MergedDist {
    pub(crate) artifacts: Vec<DistArtifact>,
    pub(crate) origin: BTreeMap<(Target, String), PathBuf>,
}

impl MergedDist {
    pub(crate) fn dir_of(&self, target: Target, name: &str) -> &Path {
        &self.origin[&(target, name.to_string())]
    }
}

fn unlisted(dir: &Path, file: &Path) -> Error {
    Error::ImageInput {
        message: format!(
            "`{}` is in `{}` but not in its manifest.json",
            file.display(),
            dir.display()
        ),
        help: "the folder is not what its build wrote: upload the whole dist/ of one muslbuild run, or rebuild it".into(),
    }
}

/// Reads and checks every folder, then joins them.
pub(crate) fn merge_dists(dirs: &[PathBuf]) -> Result<MergedDist> {
    let mut artifacts: Vec<DistArtifact> = Vec::new();
    let mut origin: BTreeMap<(Target, String), PathBuf> = BTreeMap::new();
    let mut sums: BTreeMap<(Target, String), String> = BTreeMap::new();
    for dir in dirs {
        let manifest_path = dir.join(crate::dist_folder::MANIFEST);
        let entries = read_dist_manifest(dir)?;
        let mut listed = std::collections::BTreeSet::new();
        for entry in entries {
            let target: Target = entry.target.parse().map_err(|_| Error::ImageInput {
                message: format!(
                    "`{}` lists artifact `{}` for an unknown target `{}`",
                    manifest_path.display(),
                    entry.name,
                    entry.target
                ),
                help: "merge dist folders written by muslbuild".into(),
            })?;
            // The whole folder is checked, not only what the image ships: a folder
            // whose manifest lies about any file is not trusted for the rest.
            read_artifact(dir, &manifest_path, &entry, target)?;
            listed.insert(entry.path.clone());
            let key = (target, entry.name.clone());
            match sums.get(&key) {
                Some(sum) if *sum == entry.sha256 => continue,
                Some(_) => {
                    return Err(Error::ImageInput {
                        message: format!(
                            "`{}` for {target} differs between `{}` and `{}`",
                            entry.name,
                            origin[&key].display(),
                            dir.display()
                        ),
                        help: "each target's artifacts must come from one build: drop one of the folders, or rebuild so both hold the same bytes".into(),
                    });
                }
                None => {}
            }
            sums.insert(key.clone(), entry.sha256.clone());
            origin.insert(key, dir.clone());
            artifacts.push(entry);
        }
        for target in Target::ALL {
            let folder = dir.join(target.name());
            let Ok(files) = std::fs::read_dir(&folder) else {
                continue;
            };
            for file in files.flatten() {
                let name = file.file_name();
                let relative = format!("{}/{}", target.name(), name.to_string_lossy());
                if !name.to_string_lossy().starts_with(".tmp-")
                    && !listed.contains(&relative)
                    && !crate::dist_folder::is_record_of_listed(&relative, |a| listed.contains(a))
                {
                    return Err(unlisted(dir, &file.path()));
                }
            }
        }
    }
    Ok(MergedDist { artifacts, origin })
}

/// The blobs of one OCI layout folder or `oci-archive` tar, and its `index.json`.
struct Source {
    path: PathBuf,
    index_json: Vec<u8>,
    files: BTreeMap<String, Vec<u8>>,
}

fn bad_input(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::ImageInput {
        message: format!("`{}`: {why}", path.display()),
        help: "merge OCI image layouts or oci-archive tars (as `muslbuild image` writes them)"
            .into(),
    }
}

impl Source {
    fn open(path: &Path) -> Result<Source> {
        let meta = std::fs::metadata(path).map_err(|e| bad_input(path, e))?;
        let mut files = BTreeMap::new();
        if meta.is_dir() {
            let blobs = path.join("blobs/sha256");
            let entries = std::fs::read_dir(&blobs).map_err(|e| bad_input(&blobs, e))?;
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if crate::sys::hash::is_sha256_hex(&name)
                    && entry.file_type().is_ok_and(|t| t.is_file())
                {
                    files.insert(name, Vec::new());
                }
            }
            let index_json = std::fs::read(path.join("index.json"))
                .map_err(|e| bad_input(path, format!("no index.json ({e})")))?;
            return Ok(Source {
                path: path.to_path_buf(),
                index_json,
                files,
            });
        }
        let file = std::fs::File::open(path).map_err(|e| bad_input(path, e))?;
        let mut index_json = None;
        let mut archive = tar::Archive::new(file);
        for entry in archive.entries().map_err(|e| bad_input(path, e))? {
            let mut entry = entry.map_err(|e| bad_input(path, e))?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = entry.path().map_err(|e| bad_input(path, e))?;
            let name = name.to_string_lossy();
            let name = name.trim_start_matches("./").to_string();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut bytes).map_err(|e| bad_input(path, e))?;
            if name == "index.json" {
                index_json = Some(bytes);
            } else if let Some(hex) = name.strip_prefix("blobs/sha256/")
                && crate::sys::hash::is_sha256_hex(hex)
            {
                files.insert(hex.to_string(), bytes);
            }
        }
        Ok(Source {
            path: path.to_path_buf(),
            index_json: index_json
                .ok_or_else(|| bad_input(path, "no index.json in the archive"))?,
            files,
        })
    }

    /// A blob's bytes, checked against its digest.
    fn blob(&self, digest: &str) -> Result<Vec<u8>> {
        let hex = digest
            .strip_prefix("sha256:")
            .filter(|h| self.files.contains_key(*h))
            .ok_or_else(|| bad_input(&self.path, format!("blob {digest} is missing")))?;
        let bytes = match &self.files[hex] {
            b if b.is_empty() && self.path.is_dir() => {
                let file = self.path.join("blobs/sha256").join(hex);
                std::fs::read(&file).map_err(|e| bad_input(&file, e))?
            }
            b => b.clone(),
        };
        if crate::sys::hash::sha256_hex(&bytes) != hex {
            return Err(bad_input(
                &self.path,
                format!("blob {digest} does not match its digest"),
            ));
        }
        Ok(bytes)
    }
}

fn parse(bytes: &[u8], path: &Path, what: &str) -> Result<serde_json::Value> {
    serde_json::from_slice(bytes).map_err(|e| bad_input(path, format!("{what} is not JSON: {e}")))
}

fn index(bytes: &[u8], path: &Path, what: &str) -> Result<oci_spec::image::ImageIndex> {
    parse_index(bytes).map_err(|e| bad_input(path, format!("{what} is not JSON: {e}")))
}

fn platform_target(platform: Option<&Platform>) -> Option<Target> {
    let platform = platform?;
    let (os, arch) = (platform.os(), platform.architecture());
    let name = match platform.variant() {
        Some(v) => format!("{os}/{arch}/{v}"),
        None => format!("{os}/{arch}"),
    };
    Target::ALL
        .into_iter()
        .find(|t| t.oci_platform_string() == name)
}

/// Blobs by hex digest, gathered from the inputs.
type Blobs = BTreeMap<String, Vec<u8>>;

fn hex(digest: &str) -> String {
    digest["sha256:".len().min(digest.len())..].to_string()
}

impl Source {
    /// The platform manifests this input tags (an image index's entries, or a manifest
    /// tagged directly), and its referrers tags (`sha256-<hex>` → its referrers index).
    fn platform_manifests(&self) -> Result<(Vec<Descriptor>, BTreeMap<String, String>)> {
        let input = &self.path;
        let top = LayoutIndex::parse(&self.index_json)
            .map_err(|e| bad_input(input, format!("index.json is not JSON: {e}")))?;
        let mut manifests = Vec::new();
        let mut referrer_tags: BTreeMap<String, String> = BTreeMap::new();
        for entry in top.into_entries() {
            let digest = entry.digest().to_string();
            let name = ref_name(&entry);
            if let Some(name) = name.filter(|n| crate::image::oci::is_referrers_tag(n)) {
                referrer_tags.insert(name.to_string(), digest);
                continue;
            }
            if *entry.media_type() == MediaType::ImageIndex {
                let index = index(&self.blob(&digest)?, input, &digest)?;
                manifests.extend(index.manifests().iter().cloned());
            } else {
                manifests.push(entry);
            }
        }
        Ok((manifests, referrer_tags))
    }

    /// One platform's image: its manifest, config and layers, each checked and added to
    /// `blobs`.
    fn platform_image(
        &self,
        target: Target,
        digest: &str,
        blobs: &mut Blobs,
    ) -> Result<PlatformImage> {
        let input = &self.path;
        let manifest_bytes = self.blob(digest)?;
        let parsed = parse(&manifest_bytes, input, digest)?;
        let config_digest = parsed["config"]["digest"].as_str().unwrap_or_default();
        let config_bytes = self.blob(config_digest)?;
        let config = parse(&config_bytes, input, config_digest)?;
        let mut layer = None;
        let mut total = (manifest_bytes.len() + config_bytes.len()) as u64;
        for l in parsed["layers"].as_array().into_iter().flatten() {
            let d = l["digest"].as_str().unwrap_or_default();
            let bytes = self.blob(d)?;
            total += bytes.len() as u64;
            layer.get_or_insert_with(|| BlobRef::of(&bytes));
            blobs.insert(hex(d), bytes);
        }
        let image = PlatformImage {
            target,
            platform: target.oci_platform_string(),
            manifest: BlobRef::of(&manifest_bytes),
            config: BlobRef::of(&config_bytes),
            layer: layer
                .ok_or_else(|| bad_input(input, format!("manifest {digest} has no layer")))?,
            diff_id: config["rootfs"]["diff_ids"][0]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            total_size: total,
        };
        blobs.insert(hex(config_digest), config_bytes);
        blobs.insert(hex(digest), manifest_bytes);
        Ok(image)
    }

    /// The referrers index `index_digest` of the manifest `subject`, whole: each
    /// artifact manifest with its config and layers, added to `blobs`.
    fn referrers(&self, subject: &str, index_digest: &str, blobs: &mut Blobs) -> Result<Referrers> {
        let input = &self.path;
        let index_bytes = self.blob(index_digest)?;
        let index = index(&index_bytes, input, index_digest)?;
        for referrer in index.manifests() {
            let d = &referrer.digest().to_string();
            let bytes = self.blob(d)?;
            let manifest = parse(&bytes, input, d)?;
            for part in std::iter::once(&manifest["config"])
                .chain(manifest["layers"].as_array().into_iter().flatten())
            {
                let p = part["digest"].as_str().unwrap_or_default();
                blobs.insert(hex(p), self.blob(p)?);
            }
            blobs.insert(hex(d), bytes);
        }
        let referrers = Referrers {
            subject: subject.to_string(),
            index: BlobRef::of(&index_bytes),
        };
        blobs.insert(hex(index_digest), index_bytes);
        Ok(referrers)
    }
}

/// `muslbuild image merge`: every platform manifest of every input (each input's
/// tagged images, or all of them) joined into one index tagged `tag`.
pub(crate) fn merge_layouts(inputs: &[PathBuf], tag: &str) -> Result<crate::image::oci::Image> {
    crate::image::oci::validate_tag(tag)?;
    let mut chosen: BTreeMap<Target, (String, PathBuf)> = BTreeMap::new();
    let mut blobs = Blobs::new();
    let mut platforms = Vec::new();
    let mut referrers = Vec::new();
    for input in inputs {
        let source = Source::open(input)?;
        let (manifests, referrer_tags) = source.platform_manifests()?;
        for manifest in manifests {
            let digest = manifest.digest().to_string();
            let target = platform_target(manifest.platform().as_ref()).ok_or_else(|| {
                bad_input(input, format!("manifest {digest} has no platform muslbuild builds (linux/amd64, linux/arm64, linux/arm/v7)"))
            })?;
            match chosen.get(&target) {
                Some((same, _)) if *same == digest => continue,
                Some((other, from)) => {
                    return Err(Error::ImageInput {
                        message: format!(
                            "{} is in `{}` ({other}) and in `{}` ({digest}), with different manifests",
                            target.oci_platform_string(),
                            from.display(),
                            input.display()
                        ),
                        help: "each platform must come from one build: drop one input, or merge only the platforms each contributes (`muslbuild image --target`)".into(),
                    });
                }
                None => {}
            }
            chosen.insert(target, (digest.clone(), input.clone()));
            platforms.push(source.platform_image(target, &digest, &mut blobs)?);
            // The manifest's bytes are kept, so what refers to it (its SBOM) still does:
            // its referrers come along whole.
            let tag = crate::image::oci::referrers_tag(&digest);
            if let Some(index_digest) = referrer_tags.get(&tag) {
                referrers.push(source.referrers(&digest, index_digest, &mut blobs)?);
            }
        }
    }
    if platforms.is_empty() {
        return Err(Error::usage(
            "nothing to merge",
            "name at least one OCI layout or archive",
        ));
    }
    platforms.sort_by_key(|p| p.target);
    let order = |r: &Referrers| {
        platforms
            .iter()
            .position(|p| p.manifest.digest == r.subject)
    };
    referrers.sort_by_key(order);
    let descriptors = platforms
        .iter()
        .map(|p| crate::image::oci::platform_descriptor(p.target, &p.manifest))
        .collect::<Result<Vec<_>>>()?;
    let (index_bytes, index_json) =
        crate::image::oci::index_and_layout_json(descriptors, tag, &referrers)?;
    let index = BlobRef::of(&index_bytes);
    blobs.insert(hex(&index.digest), index_bytes);
    Ok(crate::image::oci::Image {
        tag: tag.to_string(),
        index,
        platforms,
        blobs,
        index_json,
        referrers,
    })
}

/// Where `muslbuild image merge` writes the merged image.
#[derive(Clone, Debug, Default)]
pub(crate) struct MergeOptions {
    pub(crate) inputs: Vec<PathBuf>,
    pub(crate) tag: Option<String>,
    pub(crate) oci_archive: Option<PathBuf>,
    pub(crate) oci_layout: Option<PathBuf>,
    /// `--push REF`: then push the merged image.
    pub(crate) push: Option<crate::image::push::PushOptions>,
}

/// `muslbuild image merge`: the inputs joined, then written like any image (archive
/// first, layout after; each atomically). Offline: nothing here touches the network.
pub(crate) fn run_merge(options: &MergeOptions, ctx: &crate::context::Ctx) -> Result<MergeReport> {
    use crate::image::layout::{check_layout_dir, prepare_archive, write_archive, write_layout};
    let cwd = &ctx.env.cwd;
    if options.oci_archive.is_none() && options.oci_layout.is_none() && options.push.is_none() {
        return Err(Error::usage(
            "`image merge` needs somewhere to write",
            "add --oci-archive FILE, --oci-layout DIR or --push REF",
        ));
    }
    if let Some(push) = &options.push {
        crate::sys::registry::Reference::parse(&push.reference)?;
    }
    let inputs: Vec<PathBuf> = options.inputs.iter().map(|p| cwd.join(p)).collect();
    let archive = options.oci_archive.as_ref().map(|p| cwd.join(p));
    let layout = options.oci_layout.as_ref().map(|p| cwd.join(p));
    if let Some(out) = archive.iter().chain(&layout).find(|o| inputs.contains(o)) {
        return Err(Error::usage(
            format!("`{}` is both an input and the output", out.display()),
            "write the merged image to a new file or folder",
        ));
    }
    let tag = options.tag.clone().unwrap_or_else(|| "latest".into());
    let image = merge_layouts(&inputs, &tag)?;
    if let Some(dir) = &layout {
        check_layout_dir(dir)?;
    }
    if let Some(path) = &archive {
        prepare_archive(path)?;
        write_archive(path, &image, ctx.env.source_date_epoch(), ctx.temps())?;
    }
    if let Some(dir) = &layout {
        write_layout(dir, &image, ctx.temps())?;
    }
    let pushed = match &options.push {
        None => None,
        Some(push) => {
            // A push reads a layout: without --oci-layout, a temporary one.
            let temp_parent = ctx.env.temp_dir();
            let temp = match &layout {
                Some(_) => None,
                None => Some(
                    tempfile::Builder::new()
                        .prefix(&ctx.temps().prefix(&temp_parent))
                        .tempdir_in(&temp_parent)
                        .map_err(Error::io(
                            "cannot create a temporary folder in",
                            &temp_parent,
                        ))?,
                ),
            };
            let dir = match (&layout, &temp) {
                (Some(dir), _) => dir.clone(),
                (None, Some(temp)) => temp.path().join("image"),
                (None, None) => unreachable!("a layout or a temporary one"),
            };
            if temp.is_some() {
                write_layout(&dir, &image, ctx.temps())?;
            }
            Some(crate::image::push::push(&dir, &tag, push, ctx)?)
        }
    };
    Ok(MergeReport {
        push: pushed,
        tag,
        index: image.index.clone(),
        platforms: image.platforms.clone(),
        oci_layout: layout,
        oci_archive: archive,
    })
}

/// What `muslbuild image merge` wrote.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct MergeReport {
    pub(crate) tag: String,
    pub(crate) index: crate::image::oci::BlobRef,
    pub(crate) platforms: Vec<crate::image::oci::PlatformImage>,
    pub(crate) oci_layout: Option<PathBuf>,
    pub(crate) oci_archive: Option<PathBuf>,
    pub(crate) push: Option<crate::image::push::PushReport>,
}

impl MergeReport {
    pub(crate) fn human(&self) -> String {
        let mut out = format!(
            "merged {}  index {} ({} bytes)\n",
            self.tag, self.index.digest, self.index.size
        );
        for p in &self.platforms {
            out.push_str(&format!(
                "  {:<14} manifest {}\n",
                p.platform, p.manifest.digest
            ));
        }
        for (what, path) in [
            ("OCI layout ", &self.oci_layout),
            ("oci-archive", &self.oci_archive),
        ] {
            if let Some(path) = path {
                out.push_str(&format!("  {what}   {}\n", path.display()));
            }
        }
        if let Some(push) = &self.push {
            out.push_str(&push.human());
        }
        out
    }
}
