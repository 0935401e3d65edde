//! The OCI objects of a multi-arch image, built in memory from one file tree per target:
//! per platform a layer, a config and a manifest; over them an image index; and the
//! layout's `index.json`, which names that index with `org.opencontainers.image.ref.name`.
//! Every JSON blob goes through `canonical_json`, so equal inputs give equal digests.

use std::collections::{BTreeMap, HashMap};

use oci_spec::image::{
    ANNOTATION_REF_NAME, Arch, Config, ConfigBuilder, Descriptor, DescriptorBuilder,
    ImageConfigurationBuilder, ImageIndexBuilder, ImageManifestBuilder, MediaType, Os,
    PlatformBuilder, RootFsBuilder, SCHEMA_VERSION,
};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::image::layer::{Tree, gzip};
use crate::sys::hash::sha256_hex;
use crate::target::Target;

/// The runtime settings every platform's image config carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ImageConfig {
    pub(crate) entrypoint: Option<Vec<String>>,
    pub(crate) cmd: Option<Vec<String>>,
    /// `KEY=value`, in the order given.
    pub(crate) env: Vec<String>,
    pub(crate) working_dir: Option<String>,
    /// `8080/tcp`, `53/udp`.
    pub(crate) exposed_ports: Vec<String>,
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) user: Option<String>,
}

/// What to pack: a file tree per target, one config, the tag, the timestamp.
#[derive(Clone, Debug)]
pub(crate) struct ImageInput {
    pub(crate) platforms: Vec<(Target, Tree)>,
    pub(crate) config: ImageConfig,
    /// Written as `org.opencontainers.image.ref.name` on the index in `index.json`.
    pub(crate) tag: String,
    /// Seconds since the epoch: file mtimes in the layer and the config's `created`.
    pub(crate) epoch: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct BlobRef {
    pub(crate) digest: String,
    pub(crate) size: u64,
}

impl BlobRef {
    pub(crate) fn of(bytes: &[u8]) -> BlobRef {
        BlobRef {
            digest: format!("sha256:{}", sha256_hex(bytes)),
            size: bytes.len() as u64,
        }
    }
}

/// What one platform's image is made of, for reports and tests.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct PlatformImage {
    pub(crate) target: Target,
    pub(crate) platform: String,
    pub(crate) manifest: BlobRef,
    pub(crate) config: BlobRef,
    pub(crate) layer: BlobRef,
    /// sha256 of the uncompressed layer tar (the config's `rootfs.diff_ids`).
    pub(crate) diff_id: String,
    /// manifest + config + layer: what a registry stores and a pull downloads.
    pub(crate) total_size: u64,
}

/// A finished image: every blob by hex digest, and the `index.json` that names it.
#[derive(Clone, Debug)]
pub(crate) struct Image {
    pub(crate) tag: String,
    /// The multi-arch image index, the digest a registry would show for the tag.
    pub(crate) index: BlobRef,
    pub(crate) platforms: Vec<PlatformImage>,
    pub(crate) blobs: BTreeMap<String, Vec<u8>>,
    /// The layout's top-level `index.json`.
    pub(crate) index_json: Vec<u8>,
    /// Per platform manifest with referrers (its SBOM), their index.
    pub(crate) referrers: Vec<Referrers>,
}

/// The media type of an SPDX JSON document, the artifact type of an SBOM referrer.
pub(crate) const SPDX_JSON: &str = "application/spdx+json";
/// OCI 1.1's empty descriptor: the config of an artifact manifest.
const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
pub(crate) const EMPTY_BLOB: &[u8] = b"{}";

/// The referrers of one manifest as the distribution spec's referrers tag schema keeps
/// them: an image index of artifact manifests, tagged `sha256-<hex of the subject>`. In
/// a layout the tag is an `index.json` entry (`oci:DIR:sha256-…` for skopeo); a push
/// sends the same index under the same tag where the registry has no referrers API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Referrers {
    /// `sha256:…` of the platform manifest they refer to.
    pub(crate) subject: String,
    /// The referrers index.
    pub(crate) index: BlobRef,
}

/// The referrers tag of a manifest: `sha256:HEX` becomes `sha256-HEX`.
pub(crate) fn referrers_tag(subject: &str) -> String {
    subject.replacen(':', "-", 1)
}

/// Whether a layout tag is a referrers tag (`sha256-` and 64 hex digits).
pub(crate) fn is_referrers_tag(tag: &str) -> bool {
    tag.strip_prefix("sha256-")
        .is_some_and(crate::sys::hash::is_sha256_hex)
}

impl Image {
    /// Attaches one SPDX document per platform (`sboms`, in platform order) as an OCI
    /// 1.1 artifact manifest (`artifactType` SPDX, the empty config, the document as its
    /// one layer, `subject` the platform manifest), listed in a referrers index under
    /// the manifest's referrers tag; rewrites `index_json` to name them.
    pub(crate) fn attach_sboms(&mut self, sboms: Vec<(Target, Vec<u8>)>, epoch: u64) -> Result<()> {
        let mut add = |bytes: Vec<u8>| -> BlobRef {
            let blob = BlobRef::of(&bytes);
            self.blobs
                .insert(blob.digest["sha256:".len()..].to_string(), bytes);
            blob
        };
        let empty = add(EMPTY_BLOB.to_vec());
        let created = crate::sys::time::rfc3339(epoch);
        for (target, document) in sboms {
            let Some(platform) = self.platforms.iter().find(|p| p.target == target) else {
                continue;
            };
            let subject = platform.manifest.clone();
            let document = add(document);
            let manifest = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": MANIFEST_MEDIA_TYPE,
                "artifactType": SPDX_JSON,
                "config": {"mediaType": EMPTY_MEDIA_TYPE, "digest": empty.digest, "size": empty.size},
                "layers": [{
                    "mediaType": SPDX_JSON,
                    "digest": document.digest,
                    "size": document.size,
                    "annotations": {
                        "org.opencontainers.image.title": format!("image-{target}.spdx.json"),
                    },
                }],
                "subject": {"mediaType": MANIFEST_MEDIA_TYPE, "digest": subject.digest, "size": subject.size},
                "annotations": {"org.opencontainers.image.created": created},
            });
            let manifest = add(canonical_json(&manifest)?);
            let index = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": INDEX_MEDIA_TYPE,
                "manifests": [{
                    "mediaType": MANIFEST_MEDIA_TYPE,
                    "digest": manifest.digest,
                    "size": manifest.size,
                    "artifactType": SPDX_JSON,
                    "annotations": {"org.opencontainers.image.created": created},
                }],
            });
            let index = add(canonical_json(&index)?);
            self.referrers.push(Referrers {
                subject: subject.digest,
                index,
            });
        }
        self.index_json = layout_index(&self.index, &self.tag, &self.referrers)?;
        Ok(())
    }
}

/// Blobs by hex digest, borrowed from an `Image`.
pub(crate) type BlobsByHex<'a> = BTreeMap<String, &'a [u8]>;

impl Image {
    /// The image without its referrers: `index.json` naming only the tag, and the blobs
    /// it reaches. An `oci-archive` is this, so `oci-archive:FILE` needs no tag (skopeo,
    /// podman refuse an archive whose `index.json` names more than one thing).
    pub(crate) fn without_referrers(&self) -> Result<(Vec<u8>, BlobsByHex<'_>)> {
        let top = layout_index(&self.index, &self.tag, &[])?;
        let mut blobs = BTreeMap::new();
        let mut queue = vec![self.index.digest.clone()];
        while let Some(digest) = queue.pop() {
            let hex = digest.trim_start_matches("sha256:");
            let Some(bytes) = self.blobs.get(hex) else {
                continue;
            };
            if blobs.insert(hex.to_string(), bytes.as_slice()).is_some() {
                continue;
            }
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) {
                let children = value["manifests"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .chain(std::iter::once(&value["config"]))
                    .chain(value["layers"].as_array().into_iter().flatten());
                queue.extend(children.filter_map(|d| d["digest"].as_str().map(String::from)));
            }
        }
        Ok((top, blobs))
    }
}

const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";

#[cfg(test)]
impl Image {
    pub(crate) fn platform(&self, target: Target) -> Option<&PlatformImage> {
        self.platforms.iter().find(|p| p.target == target)
    }
}

pub(crate) fn build(input: &ImageInput) -> Result<Image> {
    validate_tag(&input.tag)?;
    let mut platforms: Vec<&(Target, Tree)> = input.platforms.iter().collect();
    platforms.sort_by_key(|(target, _)| *target);
    if let Some(w) = platforms.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(Error::usage(
            format!("{} is in the image twice", w[0].0),
            "name each target once",
        ));
    }
    if platforms.is_empty() {
        return Err(Error::usage(
            "the image has no platforms",
            "build at least one target first",
        ));
    }

    let mut blobs = BTreeMap::new();
    let mut add = |bytes: Vec<u8>| -> BlobRef {
        let blob = BlobRef::of(&bytes);
        blobs.insert(blob.digest["sha256:".len()..].to_string(), bytes);
        blob
    };

    let mut images = Vec::new();
    let mut manifest_descriptors = Vec::new();
    for (target, tree) in platforms {
        let tar = tree.to_tar(input.epoch);
        let diff_id = format!("sha256:{}", sha256_hex(&tar));
        let layer = add(gzip(&tar));
        let config = add(canonical_json(&image_config(
            *target,
            &input.config,
            &diff_id,
            input.epoch,
        )?)?);
        let manifest = ImageManifestBuilder::default()
            .schema_version(SCHEMA_VERSION)
            .media_type(MediaType::ImageManifest)
            .config(descriptor(MediaType::ImageConfig, &config)?)
            .layers(vec![descriptor(MediaType::ImageLayerGzip, &layer)?])
            .build()
            .map_err(internal)?;
        let manifest = add(canonical_json(&manifest)?);
        manifest_descriptors.push(platform_descriptor(*target, &manifest)?);
        images.push(PlatformImage {
            target: *target,
            platform: target.oci_platform_string(),
            total_size: manifest.size + config.size + layer.size,
            manifest,
            config,
            layer,
            diff_id,
        });
    }

    let (index_bytes, index_json) = index_and_layout_json(manifest_descriptors, &input.tag, &[])?;
    let index = add(index_bytes);

    Ok(Image {
        tag: input.tag.clone(),
        index,
        platforms: images,
        blobs,
        index_json,
        referrers: Vec::new(),
    })
}

/// A platform manifest's entry in an image index.
pub(crate) fn platform_descriptor(target: Target, manifest: &BlobRef) -> Result<Descriptor> {
    let (arch, variant) = target.oci_platform();
    let mut platform = PlatformBuilder::default()
        .architecture(Arch::from(arch))
        .os(Os::Linux);
    if let Some(variant) = variant {
        platform = platform.variant(variant);
    }
    let mut desc = descriptor(MediaType::ImageManifest, manifest)?;
    desc.set_platform(Some(platform.build().map_err(internal)?));
    Ok(desc)
}

/// The image index over the platform manifests (in target order), and the layout's
/// `index.json` naming it `tag` (and the referrers tags): one function, so a merge
/// makes the very bytes a one-machine build makes.
pub(crate) fn index_and_layout_json(
    manifests: Vec<Descriptor>,
    tag: &str,
    referrers: &[Referrers],
) -> Result<(Vec<u8>, Vec<u8>)> {
    let index = index_json(manifests)?;
    let top = layout_index(&BlobRef::of(&index), tag, referrers)?;
    Ok((index, top))
}

/// The layout's `index.json`: the image index under `tag`, then each referrers index
/// under its referrers tag.
fn layout_index(index: &BlobRef, tag: &str, referrers: &[Referrers]) -> Result<Vec<u8>> {
    let tagged = |blob: &BlobRef, name: String| -> Result<Descriptor> {
        let mut desc = descriptor(MediaType::ImageIndex, blob)?;
        desc.set_annotations(Some(HashMap::from([(
            ANNOTATION_REF_NAME.to_string(),
            name,
        )])));
        Ok(desc)
    };
    let mut entries = vec![tagged(index, tag.to_string())?];
    for r in referrers {
        entries.push(tagged(&r.index, referrers_tag(&r.subject))?);
    }
    index_json(entries)
}

/// An image index over the given descriptors: the layout's `index.json`, or an image's.
pub(crate) fn index_json(manifests: Vec<Descriptor>) -> Result<Vec<u8>> {
    let index = ImageIndexBuilder::default()
        .schema_version(SCHEMA_VERSION)
        .media_type(MediaType::ImageIndex)
        .manifests(manifests)
        .build()
        .map_err(internal)?;
    canonical_json(&index)
}

fn image_config(
    target: Target,
    config: &ImageConfig,
    diff_id: &str,
    epoch: u64,
) -> Result<oci_spec::image::ImageConfiguration> {
    let (arch, variant) = target.oci_platform();
    let mut builder = ImageConfigurationBuilder::default()
        .created(crate::sys::time::rfc3339(epoch))
        .architecture(Arch::from(arch))
        .os(Os::Linux)
        .config(runtime_config(config)?)
        .rootfs(
            RootFsBuilder::default()
                .typ("layers")
                .diff_ids(vec![diff_id.to_string()])
                .build()
                .map_err(internal)?,
        );
    if let Some(variant) = variant {
        builder = builder.variant(variant);
    }
    builder.build().map_err(internal)
}

fn runtime_config(config: &ImageConfig) -> Result<Config> {
    let mut builder = ConfigBuilder::default();
    if let Some(entrypoint) = &config.entrypoint {
        builder = builder.entrypoint(entrypoint.clone());
    }
    if let Some(cmd) = &config.cmd {
        builder = builder.cmd(cmd.clone());
    }
    if !config.env.is_empty() {
        builder = builder.env(config.env.clone());
    }
    if let Some(dir) = &config.working_dir {
        builder = builder.working_dir(dir.clone());
    }
    if !config.exposed_ports.is_empty() {
        builder = builder.exposed_ports(config.exposed_ports.clone());
    }
    if !config.labels.is_empty() {
        builder = builder.labels(
            config
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<HashMap<_, _>>(),
        );
    }
    if let Some(user) = &config.user {
        builder = builder.user(user.clone());
    }
    builder.build().map_err(internal)
}

fn descriptor(media_type: MediaType, blob: &BlobRef) -> Result<Descriptor> {
    DescriptorBuilder::default()
        .media_type(media_type)
        .digest(
            blob.digest
                .parse::<oci_spec::image::Digest>()
                .map_err(internal)?,
        )
        .size(blob.size)
        .build()
        .map_err(internal)
}

/// Compact JSON with every object's keys sorted. `oci-spec` keeps labels, annotations and
/// exposed ports in `HashMap`s, whose order changes from run to run; sorting here is
/// what makes the digests repeat.
pub(crate) fn canonical_json<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    fn sort(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let sorted: BTreeMap<String, serde_json::Value> =
                    map.into_iter().map(|(k, v)| (k, sort(v))).collect();
                serde_json::Value::Object(sorted.into_iter().collect())
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sort).collect())
            }
            other => other,
        }
    }
    let value = serde_json::to_value(value).map_err(internal)?;
    serde_json::to_vec(&sort(value)).map_err(internal)
}

/// A tag as `oci:DIR:TAG`, umoci and podman accept it: the reference grammar's characters,
/// no whitespace, at most 128 characters for the tag part.
pub(crate) fn validate_tag(tag: &str) -> Result<()> {
    let ok = !tag.is_empty()
        && tag.len() <= 255
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-:/@+".contains(c))
        && tag
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(Error::usage(
            format!("`{tag}` is not a valid image tag"),
            "use letters, digits and `._-:/@`, starting with a letter or digit, e.g. --tag hello:1.0",
        ))
    }
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Error {
    Error::ImageContent {
        message: format!("cannot build the OCI image: {e}"),
        help: "this is a bug in muslbuild; please report it".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::layer::{Entry, EntryKind};

    fn tree(content: &[u8]) -> Tree {
        let mut tree = Tree::new();
        tree.insert(
            "/hello",
            Entry {
                kind: EntryKind::File(content.to_vec()),
                mode: 0o755,
                uid: 0,
                gid: 0,
            },
            "hello",
        )
        .unwrap();
        tree
    }

    fn input() -> ImageInput {
        ImageInput {
            platforms: vec![
                (Target::Armv7, tree(b"arm")),
                (Target::X86_64, tree(b"x86")),
                (Target::Aarch64, tree(b"a64")),
            ],
            config: ImageConfig {
                entrypoint: Some(vec!["/hello".into()]),
                exposed_ports: vec!["8080/tcp".into(), "53/udp".into(), "443/tcp".into()],
                labels: (0..20)
                    .map(|i| (format!("l{i}"), format!("v{i}")))
                    .collect(),
                ..ImageConfig::default()
            },
            tag: "hello:1.0".into(),
            epoch: 0,
        }
    }

    fn json(bytes: &[u8]) -> serde_json::Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[test]
    fn same_input_same_bytes() {
        // Labels and ports sit in HashMaps inside oci-spec; many entries make a
        // different iteration order between the two builds all but certain.
        let one = build(&input()).unwrap();
        let two = build(&input()).unwrap();
        assert_eq!(one.index_json, two.index_json);
        assert_eq!(one.blobs, two.blobs);
        let mut other = input();
        other.epoch = 1;
        assert_ne!(build(&other).unwrap().index, one.index);
    }

    #[test]
    fn index_lists_platforms_in_target_order_with_variants() {
        let image = build(&input()).unwrap();
        let top = json(&image.index_json);
        assert_eq!(
            top["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
            "hello:1.0"
        );
        assert_eq!(
            top["manifests"][0]["mediaType"],
            "application/vnd.oci.image.index.v1+json"
        );
        assert_eq!(top["manifests"][0]["digest"], image.index.digest.as_str());
        let index = json(&image.blobs[&image.index.digest[7..]]);
        let platforms: Vec<_> = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["platform"].clone())
            .collect();
        assert_eq!(
            platforms,
            vec![
                serde_json::json!({"architecture": "amd64", "os": "linux"}),
                serde_json::json!({"architecture": "arm64", "os": "linux"}),
                serde_json::json!({"architecture": "arm", "os": "linux", "variant": "v7"}),
            ]
        );
    }

    #[test]
    fn config_carries_settings_and_diff_id() {
        let image = build(&input()).unwrap();
        let arm = image.platform(Target::Armv7).unwrap();
        let config = json(&image.blobs[&arm.config.digest[7..]]);
        assert_eq!(config["architecture"], "arm");
        assert_eq!(config["variant"], "v7");
        assert_eq!(config["created"], "1970-01-01T00:00:00Z");
        assert_eq!(config["rootfs"]["diff_ids"][0], arm.diff_id.as_str());
        assert_eq!(config["config"]["Entrypoint"][0], "/hello");
        assert_eq!(
            config["config"]["ExposedPorts"]["53/udp"],
            serde_json::json!({})
        );
        let manifest = json(&image.blobs[&arm.manifest.digest[7..]]);
        assert_eq!(
            manifest["layers"][0]["mediaType"],
            "application/vnd.oci.image.layer.v1.tar+gzip"
        );
        assert_eq!(manifest["layers"][0]["size"], arm.layer.size);
    }

    #[test]
    fn tags() {
        for good in ["latest", "hello:1.0", "ghcr.io/me/hello:v1"] {
            validate_tag(good).unwrap();
        }
        for bad in ["", "a b", ":x", "héllo"] {
            assert!(validate_tag(bad).is_err(), "{bad}");
        }
    }
}
