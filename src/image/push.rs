//! `muslbuild image --push REF`: one tagged image of an OCI layout — its index, every
//! platform's manifest, config and layers — sent to a registry with the Distribution API.
//!
//! Every blob is asked for first (`HEAD`) and uploaded only when missing, monolithically
//! (one `POST` for a session, one `PUT` with the digest); manifests likewise, by digest;
//! the index under the tag once its parts are there, so a puller never sees a tag whose
//! parts are missing; then each platform's SBOM referrers.
//! An unchanged image therefore sends nothing but `HEAD`s. Each blob's bytes are hashed
//! again as they are read from the layout: nothing that does not match its name leaves.

use std::path::Path;
use std::time::Duration;

use oci_spec::image::ImageIndex;
use serde::Serialize;

use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::sys::hash::sha256_hex;
use crate::sys::oci_layout::{LayoutIndex, ReadError, parse_index};
use crate::sys::registry::{BlobSource, Client, Reference};

const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// What a push did: printed for people, or as JSON with `--json`.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct PushReport {
    pub(crate) reference: String,
    pub(crate) digest: String,
    pub(crate) blobs_uploaded: usize,
    pub(crate) bytes_uploaded: u64,
    pub(crate) blobs_present: usize,
    /// Blobs the registry linked from another of its repositories (`--mount-from`).
    pub(crate) blobs_mounted: usize,
    pub(crate) manifests_put: usize,
}

impl PushReport {
    pub(crate) fn human(&self) -> String {
        format!(
            "pushed {}  digest {}\n  {} blobs uploaded ({} bytes), {} already there, {} mounted, {} manifests written\n",
            self.reference,
            self.digest,
            self.blobs_uploaded,
            self.bytes_uploaded,
            self.blobs_present,
            self.blobs_mounted,
            self.manifests_put
        )
    }
}

/// The push options `muslbuild image` passes down.
#[derive(Clone, Debug, Default)]
pub(crate) struct PushOptions {
    pub(crate) reference: String,
    pub(crate) insecure_registries: Vec<String>,
    /// Repositories on the same registry a missing blob may be mounted from.
    pub(crate) mount_from: Vec<String>,
}

/// Reads `sha256:HEX` (a manifest, an index: small) from the layout, checking that the
/// bytes are what they are named.
fn read_blob(layout: &Path, digest: &str) -> Result<Vec<u8>> {
    let (hex, path) = blob_path(layout, digest)?;
    let bytes = std::fs::read(&path)
        .map_err(|e| bad_blob(format!("blob `{}` cannot be read: {e}", path.display())))?;
    if sha256_hex(&bytes) != hex {
        return Err(bad_blob(format!(
            "blob `{}` does not match its digest",
            path.display()
        )));
    }
    Ok(bytes)
}

fn blob_path<'d>(layout: &Path, digest: &'d str) -> Result<(&'d str, std::path::PathBuf)> {
    let hex = digest
        .strip_prefix("sha256:")
        .filter(|h| crate::sys::hash::is_sha256_hex(h))
        .ok_or_else(|| {
            bad_blob(format!(
                "`{digest}` in `{}` is not a sha256 digest",
                layout.display()
            ))
        })?;
    Ok((hex, layout.join("blobs/sha256").join(hex)))
}

fn bad_blob(why: String) -> Error {
    Error::ImageInput {
        message: why,
        help: "rebuild the image with `muslbuild image` (or the merge); muslbuild never pushes a blob whose bytes do not match its name".into(),
    }
}

/// The file of `sha256:HEX` in the layout, hashed as it is read (a layer is not held
/// in memory): its bytes are what they are named.
fn checked_blob(layout: &Path, digest: &str) -> Result<std::path::PathBuf> {
    let (hex, path) = blob_path(layout, digest)?;
    let actual = crate::sys::hash::file_sha256(&path)
        .map_err(|e| bad_blob(format!("blob `{}` cannot be read: {e}", path.display())))?;
    if actual != hex {
        return Err(bad_blob(format!(
            "blob `{}` does not match its digest",
            path.display()
        )));
    }
    Ok(path)
}

fn not_json(what: &str, e: serde_json::Error) -> Error {
    Error::ImageInput {
        message: format!("{what} is not valid JSON: {e}"),
        help: "rebuild the image with `muslbuild image`".into(),
    }
}

fn json(bytes: &[u8], what: &str) -> Result<serde_json::Value> {
    serde_json::from_slice(bytes).map_err(|e| not_json(what, e))
}

fn digests<'a>(value: &'a serde_json::Value, key: &str) -> Vec<(&'a str, &'a str)> {
    let list = match value.get(key) {
        Some(serde_json::Value::Array(items)) => items.iter().collect(),
        Some(one @ serde_json::Value::Object(_)) => vec![one],
        _ => Vec::new(),
    };
    list.into_iter()
        .filter_map(|d| Some((d.get("digest")?.as_str()?, d.get("mediaType")?.as_str()?)))
        .collect()
}

/// The layout's `index.json`, with a push's words for a layout that is not there.
fn read_layout_index(layout: &Path) -> Result<LayoutIndex> {
    let path = layout.join("index.json");
    LayoutIndex::read(layout).map_err(|e| match e {
        ReadError::Unreadable(e) => Error::ImageInput {
            message: format!("`{}` cannot be read: {e}", path.display()),
            help: "make the image first: `muslbuild image` writes dist/image".into(),
        },
        ReadError::Invalid(e) => not_json(&path.display().to_string(), e),
    })
}

/// An image index blob of the layout (the image's, or a referrers index).
fn read_index_blob(layout: &Path, digest: &str, what: &str) -> Result<ImageIndex> {
    parse_index(&read_blob(layout, digest)?).map_err(|e| not_json(what, e))
}

/// The digest of the index tagged `tag` in the layout's `index.json`.
fn tagged_index_digest(top: &LayoutIndex, layout: &Path, tag: &str) -> Result<String> {
    top.tagged(tag)
        .map(|d| d.digest().to_string())
        .ok_or_else(|| Error::ImageInput {
            message: format!(
                "`{}` has no image tagged `{tag}`",
                layout.join("index.json").display()
            ),
            help: "push the tag the image was made with (--tag), or make it first".into(),
        })
}

/// Per platform manifest of `index` that has referrers in the layout (its referrers tag
/// in `index.json`): the manifest's digest and its referrers index's.
fn referrers_in_layout(top: &LayoutIndex, index: &ImageIndex) -> Vec<(String, String)> {
    index
        .manifests()
        .iter()
        .filter_map(|manifest| {
            let subject = manifest.digest().to_string();
            let tag = crate::image::oci::referrers_tag(&subject);
            let referrers = top.tagged(&tag)?.digest().to_string();
            Some((subject, referrers))
        })
        .collect()
}

/// An index's entries as (digest, media type).
fn entries(index: &ImageIndex) -> Vec<(String, String)> {
    index
        .manifests()
        .iter()
        .map(|d| (d.digest().to_string(), d.media_type().to_string()))
        .collect()
}

struct Pusher<'a> {
    client: Client,
    mount_from: &'a [String],
    layout: &'a Path,
    report: PushReport,
    ui: crate::sys::ui::Ui,
    /// Blobs checked or sent so far, out of the image's (on a terminal only).
    bar: Option<indicatif::ProgressBar>,
}

impl Pusher<'_> {
    fn blob(&mut self, digest: &str, what: &str) -> Result<()> {
        let head = self.client.send(
            "HEAD",
            &self.client.url(&format!("blobs/{digest}")),
            &[],
            None,
        )?;
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        if head.status == 200 {
            self.report.blobs_present += 1;
            return Ok(());
        }
        if head.status != 404 {
            return Err(self
                .client
                .failed(&format!("a check for {what} {digest}"), &head));
        }
        // Checked now, sent later from the file: a race with a writer of the layout
        // would still be caught, by the registry's own digest check on the PUT.
        let path = checked_blob(self.layout, digest)?;
        let len = std::fs::metadata(&path)
            .map_err(|e| bad_blob(format!("blob `{}` cannot be read: {e}", path.display())))?
            .len();
        let line = format!(
            "muslbuild: uploading {what} {} ({})",
            &digest[..digest.len().min(19)],
            crate::space::human_size(len)
        );
        match &self.bar {
            Some(bar) => bar.println(line),
            None => self.ui.line(line),
        }
        let mut start = None;
        for from in self.mount_from {
            // 201: linked, nothing to send; 202: declined, with a session to upload to.
            let url = self
                .client
                .url(&format!("blobs/uploads/?mount={digest}&from={from}"));
            let reply = self.client.send("POST", &url, &[], Some(&[]))?;
            if reply.status == 201 {
                self.report.blobs_mounted += 1;
                return Ok(());
            }
            if reply.status == 202 {
                start = Some(reply);
                break;
            }
        }
        let start = match start {
            Some(start) => start,
            None => self
                .client
                .send("POST", &self.client.url("blobs/uploads/"), &[], Some(&[]))?,
        };
        let location = match (start.status, &start.location) {
            (202, Some(location)) => location.clone(),
            _ => {
                return Err(self
                    .client
                    .failed(&format!("starting the upload of {what} {digest}"), &start));
            }
        };
        let source = BlobSource::File { path: &path, len };
        self.client
            .send_blob(&location, digest, source, &format!("{what} {digest}"))?;
        self.report.blobs_uploaded += 1;
        self.report.bytes_uploaded += len;
        Ok(())
    }

    /// PUTs a manifest or index under `name` (its digest, or the tag) unless the registry
    /// already has those bytes there; says whether the registry answered `OCI-Subject`.
    fn manifest(&mut self, digest: &str, media_type: &str, name: &str) -> Result<bool> {
        let url = self.client.url(&format!("manifests/{name}"));
        let head = self
            .client
            .send("HEAD", &url, &[("Accept", media_type)], None)?;
        if head.status == 200 && head.digest.as_deref() == Some(digest) {
            return Ok(false);
        }
        if !matches!(head.status, 200 | 404) {
            return Err(self
                .client
                .failed(&format!("a check for manifest {name}"), &head));
        }
        let bytes = read_blob(self.layout, digest)?;
        let put = self
            .client
            .send("PUT", &url, &[("Content-Type", media_type)], Some(&bytes))?;
        if put.status != 201 {
            return Err(self
                .client
                .failed(&format!("writing manifest {name}"), &put));
        }
        if let Some(got) = &put.digest
            && got != digest
        {
            return Err(Error::Registry {
                message: format!(
                    "registry {} stored manifest {name} as {got}, not {digest}",
                    self.client.reference.registry
                ),
                help: "the registry rewrote the manifest; use a registry that stores OCI manifests as sent".into(),
            });
        }
        self.report.manifests_put += 1;
        Ok(put.oci_subject.is_some())
    }

    /// The referrers (SBOMs) of the platform manifest `subject`, from the layout's
    /// referrers index `index_digest`: each artifact manifest with its blobs, by digest;
    /// then, unless the registry keeps referrers itself (it answered `OCI-Subject`, or
    /// its referrers API answers), the referrers tag schema of distribution-spec 1.1:
    /// the index under `sha256-<hex>`, merged with what the registry already lists there
    /// (a signature pushed by another tool stays).
    fn referrers(&mut self, subject: &str, index_digest: &str) -> Result<()> {
        let index = read_index_blob(
            self.layout,
            index_digest,
            &format!("referrers index {index_digest}"),
        )?;
        let mut kept_by_registry = false;
        if let Some(bar) = &self.bar {
            // An artifact manifest's blobs: the empty config and the document.
            bar.inc_length(2 * index.manifests().len() as u64);
        }
        for (digest, media_type) in entries(&index) {
            kept_by_registry |= self.image(&digest, &media_type)?;
        }
        if kept_by_registry {
            return Ok(());
        }
        let api = self.client.url(&format!("referrers/{subject}"));
        if self
            .client
            .send("GET", &api, &[("Accept", INDEX)], None)?
            .status
            == 200
        {
            return Ok(());
        }
        let tag = crate::image::oci::referrers_tag(subject);
        let url = self.client.url(&format!("manifests/{tag}"));
        let remote = self.client.send("GET", &url, &[("Accept", INDEX)], None)?;
        let listed = match remote.status {
            200 => serde_json::from_str::<serde_json::Value>(&remote.body).ok(),
            404 => None,
            _ => return Err(self.client.failed(&format!("reading {tag}"), &remote)),
        };
        let Some(mut listed) = listed.filter(|l| l["manifests"].is_array()) else {
            self.manifest(index_digest, INDEX, &tag)?;
            return Ok(());
        };
        let before = listed.clone();
        let entries = listed["manifests"].as_array_mut().expect("checked above");
        for ours in index.manifests() {
            let ours = serde_json::to_value(ours).map_err(crate::image::oci::internal)?;
            if !entries.iter().any(|e| e["digest"] == ours["digest"]) {
                entries.push(ours);
            }
        }
        if listed == before {
            return Ok(());
        }
        let bytes = crate::image::oci::canonical_json(&listed)?;
        let put = self
            .client
            .send("PUT", &url, &[("Content-Type", INDEX)], Some(&bytes))?;
        if put.status != 201 {
            return Err(self.client.failed(&format!("writing {tag}"), &put));
        }
        self.report.manifests_put += 1;
        Ok(())
    }

    /// An image manifest's blobs, then the manifest itself by digest; says whether the
    /// registry answered `OCI-Subject`.
    fn image(&mut self, digest: &str, media_type: &str) -> Result<bool> {
        let bytes = read_blob(self.layout, digest)?;
        let manifest = json(&bytes, &format!("manifest {digest}"))?;
        for (blob, _) in digests(&manifest, "config") {
            self.blob(blob, "the config")?;
        }
        for (blob, _) in digests(&manifest, "layers") {
            self.blob(blob, "a layer")?;
        }
        self.manifest(digest, media_type, digest)
    }
}

/// Pushes the image tagged `tag` in `layout` to `options.reference`.
pub(crate) fn push(
    layout: &Path,
    tag: &str,
    options: &PushOptions,
    ctx: &Ctx,
) -> Result<PushReport> {
    let reference = Reference::parse(&options.reference)?;
    if ctx.net.offline {
        return Err(Error::Offline {
            what: format!("pushing to {}", reference.registry),
            help: "drop --offline (or MUSLBUILD_OFFLINE) to push".into(),
        });
    }
    let top = read_layout_index(layout)?;
    let index_digest = tagged_index_digest(&top, layout, tag)?;
    let client = Client::new(
        reference.clone(),
        &options.insecure_registries,
        ctx.net.timeout.max(Duration::from_secs(5)),
        &ctx.env,
        &ctx.supervisor,
        ctx.ui,
    )?;
    let index = read_index_blob(layout, &index_digest, "the image index")?;
    let blob_count = entries(&index)
        .iter()
        .map(|(digest, _)| {
            let manifest = json(&read_blob(layout, digest)?, digest)?;
            Ok(digests(&manifest, "config").len() + digests(&manifest, "layers").len())
        })
        .sum::<Result<usize>>()?;
    let bar = (ctx.net.progress && ctx.ui.says_progress()).then(|| {
        let bar = indicatif::ProgressBar::new(blob_count as u64);
        let style =
            indicatif::ProgressStyle::with_template("  {bar:30} {pos}/{len} blobs pushed or found")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar
    });
    let mut pusher = Pusher {
        mount_from: &options.mount_from,
        ui: ctx.ui,
        bar,
        client,
        layout,
        report: PushReport {
            reference: reference.to_string(),
            digest: index_digest.clone(),
            blobs_uploaded: 0,
            bytes_uploaded: 0,
            blobs_present: 0,
            blobs_mounted: 0,
            manifests_put: 0,
        },
    };
    for (digest, media_type) in entries(&index) {
        if media_type != MANIFEST {
            return Err(Error::ImageInput {
                message: format!(
                    "the index lists {digest} of type `{media_type}`, which muslbuild does not push"
                ),
                help: "push images made by `muslbuild image` or `muslbuild image merge`".into(),
            });
        }
        pusher.image(&digest, &media_type)?;
    }
    pusher.manifest(&index_digest, INDEX, &reference.tag)?;
    // After the tag: a registry that refuses OCI 1.1 artifacts still gets the image.
    for (subject, referrers) in referrers_in_layout(&top, &index) {
        pusher
            .referrers(&subject, &referrers)
            .map_err(|e| match e {
                Error::Registry { message, .. } => Error::Registry {
                    message: format!(
                        "{} is pushed, but not the SBOM of {subject}: {message}",
                        pusher.report.reference
                    ),
                    help: "the registry refuses OCI 1.1 artifact manifests (`subject`, the empty config); push with --no-sbom, and keep the SBOMs from dist/sbom/".into(),
                },
                other => other,
            })?;
    }
    if let Some(bar) = &pusher.bar {
        bar.finish_and_clear();
    }
    Ok(pusher.report)
}
