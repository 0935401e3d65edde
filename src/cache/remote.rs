//! The shared remote cache: library prefixes, build-cache entries, zig's per-target libc
//! and vendored projects' staged installs kept as OCI artifacts in a registry (`MUSLBUILD_REMOTE_CACHE=oci://HOST[:PORT]/REPO`, or `[cache] remote`),
//! so that a fresh CI machine takes what another one built.
//!
//! An entry is one image manifest tagged `<kind>-<key>` (the local cache key): a config
//! blob with the entry's facts, one tar.gz layer of the published entry folder (its
//! contents record included), and annotations naming the recipe or artifact, version,
//! target and toolchain, which `cache ls --remote` lists. The remote is trusted no more than
//! the local cache: every blob is checked against its digest, the folder is unpacked by
//! `sys::unpack` (no path escapes), every file is hashed against the entry's own contents
//! record, and only then is it published here by rename like any entry.
//!
//! A registry that is down or refuses access is said once and then left alone for the
//! run: the build goes on locally. With `--remote-cache-required` it is an error.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::cache::{COMPLETE, CONTENTS, Cache, check_unpacked};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::sys::hash::{Hasher, sha256_hex};
use crate::sys::process::Supervisor;
use crate::sys::registry::{BlobSource, Client, Reference};
use crate::sys::ui::Ui;

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const ARTIFACT_TYPE: &str = "application/vnd.muslbuild.cache-entry.v1";
const CONFIG: &str = "application/vnd.muslbuild.cache-entry.config.v1+json";
const LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// The most one entry may weigh when downloaded (a library prefix is tens of MB, a
/// build tree several hundred); it goes through a file, never memory.
const MAX_ENTRY_BYTES: u64 = 2 << 30;

/// The annotation keys an entry carries; `cache ls --remote` shows them.
pub(crate) const KEY: &str = "muslbuild.key";
pub(crate) const KIND: &str = "muslbuild.kind";
/// Where a library prefix was built, as named and with links resolved: text files naming
/// either are relocated on the way in.
pub(crate) const PREFIX: &str = "muslbuild.prefix";
pub(crate) const REAL_PREFIX: &str = "muslbuild.prefix.real";

/// What kind of entry: a library prefix (`libs/`), an artifact (`builds/`), the libc
/// zig builds for a target (`zig/`, `toolchain::zig_libc`), or a vendored project's
/// staged install (`vendor/<entry>/install`, `libs::vendor`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Lib,
    Build,
    ZigLibc,
    VendorInstall,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Lib, Kind::Build, Kind::ZigLibc, Kind::VendorInstall];

    fn name(self) -> &'static str {
        match self {
            Kind::Lib => "lib",
            Kind::Build => "build",
            Kind::ZigLibc => "zig",
            Kind::VendorInstall => "vendor",
        }
    }

    fn folder(self) -> &'static str {
        match self {
            Kind::Lib => "libs",
            Kind::Build => "builds",
            Kind::ZigLibc => "zig",
            Kind::VendorInstall => "vendor",
        }
    }
}

/// Where the remote cache is and how it may be used, as the user configured it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RemoteConfig {
    /// `oci://HOST[:PORT]/REPO`, as written.
    pub(crate) url: String,
    pub(crate) read_only: bool,
}

impl RemoteConfig {
    /// The registry and repository of `oci://HOST[:PORT]/REPO`.
    pub(crate) fn reference(&self) -> Result<Reference> {
        let bad = || {
            Error::usage(
                format!("`{}` is not a remote cache location", self.url),
                "write oci://HOST[:PORT]/REPOSITORY, e.g. oci://registry.example.com/team/muslbuild-cache or oci://127.0.0.1:5000/cache",
            )
        };
        let rest = self.url.strip_prefix("oci://").ok_or_else(bad)?;
        if rest.contains('@') || !rest.contains('/') {
            return Err(bad());
        }
        let last = rest.rsplit('/').next().unwrap_or("");
        if last.contains(':') {
            return Err(bad());
        }
        Reference::parse(rest).map_err(|_| bad())
    }
}

/// The remote cache of a run: one client, and whether it was found unusable.
pub(crate) struct Remote {
    config: RemoteConfig,
    required: bool,
    client: Mutex<Client>,
    /// Set at the first failure to reach or use the registry: said once, then skipped.
    down: AtomicBool,
    ui: Ui,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Remote({})", self.config.url)
    }
}

/// One entry as `cache ls --remote` lists it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Listed {
    pub(crate) tag: String,
    pub(crate) digest: String,
    pub(crate) size: u64,
    pub(crate) annotations: BTreeMap<String, String>,
}

impl Remote {
    pub(crate) fn new(
        config: RemoteConfig,
        required: bool,
        env: &Env,
        timeout: Duration,
        supervisor: &Arc<Supervisor>,
        ui: Ui,
    ) -> Result<Remote> {
        let reference = config.reference()?;
        let client = Client::new(reference, &[], timeout, env, supervisor, ui)?;
        let client = if config.read_only {
            client.pull_only()
        } else {
            client
        };
        Ok(Remote {
            config,
            required,
            client: Mutex::new(client),
            down: AtomicBool::new(false),
            ui,
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.config.url
    }

    pub(crate) fn writable(&self) -> bool {
        !self.config.read_only
    }

    fn client(&self) -> std::sync::MutexGuard<'_, Client> {
        self.client.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The tag of an entry: its kind and key (64 hex digits).
    pub(crate) fn tag(kind: Kind, key: &str) -> String {
        format!("{}-{key}", kind.name())
    }

    /// A failure to reach or use the registry: an error with `--remote-cache-required`,
    /// else one warning for the run, after which the remote is not asked again.
    fn unavailable(&self, err: Error) -> Result<()> {
        let reason = match &err {
            Error::Registry { message, .. } => message.clone(),
            other => other.to_string(),
        };
        if self.required {
            return Err(match self.failed(err) {
                Error::Registry { message, help } => Error::Registry {
                    message,
                    help: format!(
                        "{help}; or drop --remote-cache-required to build locally while it is away"
                    ),
                },
                other => other,
            });
        }
        if !self.down.swap(true, Ordering::SeqCst) {
            self.ui.warn(format_args!(
                "the remote cache {} cannot be used ({reason}); building locally",
                self.url()
            ));
        }
        Ok(())
    }

    /// Whether the registry failed earlier in this run (it is not asked again).
    pub(crate) fn is_down(&self) -> bool {
        self.down.load(Ordering::SeqCst)
    }

    /// Takes entry `key` from the registry into `dest` (the caller holds the entry's
    /// lock and found no local entry). `record_ok` checks the entry's completion record
    /// (it names the key); text files naming the prefix a library was built at are
    /// rewritten to `dest`. Returns whether the entry is now in place. A damaged entry is
    /// named and not used.
    pub(crate) fn fetch(
        &self,
        cache: &Cache,
        kind: Kind,
        key: &str,
        dest: &Path,
        record_ok: &dyn Fn(&str) -> bool,
    ) -> Result<bool> {
        if self.is_down() {
            return Ok(false);
        }
        let tag = Remote::tag(kind, key);
        let found = self.client().manifest(&tag, MANIFEST);
        let (digest, manifest) = match found {
            Ok(Some(found)) => found,
            Ok(None) => return Ok(false),
            Err(err) => return self.unavailable(err).map(|()| false),
        };
        let staged = match self.take(cache, kind, key, &manifest, dest, record_ok) {
            Ok(staged) => staged,
            Err(Taken::Unavailable(err)) => return self.unavailable(err).map(|()| false),
            Err(Taken::Damaged(reason)) => {
                self.ui.warn(format_args!(
                    "the remote cache entry {tag} ({digest}) is damaged: {reason}; it is not used, and is made here"
                ));
                return Ok(false);
            }
            Err(Taken::Unmovable(reason)) => {
                self.ui.warn(format_args!(
                    "the remote cache entry {tag} cannot move to this machine's cache folder: {reason}; it is made here (a build that compiles its own prefix into a program or library is shared only between machines with the same cache path: give it run-time paths instead)"
                ));
                return Ok(false);
            }
            Err(Taken::Local(err)) => return Err(err),
        };
        let (temp, record) = staged;
        cache.publish_dir(temp, dest, &record)?;
        self.ui.note(format_args!(
            "{} from the remote cache {} ({tag}, {digest})",
            dest.display(),
            self.url()
        ));
        Ok(true)
    }

    /// Downloads, checks and unpacks one entry into a temporary folder beside `dest`,
    /// returning it with its completion record.
    fn take(
        &self,
        cache: &Cache,
        kind: Kind,
        key: &str,
        manifest: &[u8],
        dest: &Path,
        record_ok: &dyn Fn(&str) -> bool,
    ) -> std::result::Result<(tempfile::TempDir, String), Taken> {
        let doc: serde_json::Value = serde_json::from_slice(manifest)
            .map_err(|e| Taken::Damaged(format!("its manifest is not JSON: {e}")))?;
        let note = |name: &str| {
            doc.pointer(&format!("/annotations/{}", name.replace('/', "~1")))
                .and_then(|v| v.as_str())
                .map(String::from)
        };
        if note(KEY).as_deref() != Some(key) || note(KIND).as_deref() != Some(kind.name()) {
            return Err(Taken::Damaged(
                "its manifest names another key or kind".into(),
            ));
        }
        let layer = doc
            .pointer("/layers/0/digest")
            .and_then(|d| d.as_str())
            .filter(|d| {
                d.strip_prefix("sha256:")
                    .is_some_and(crate::sys::hash::is_sha256_hex)
            })
            .ok_or_else(|| Taken::Damaged("its manifest names no sha256 layer".into()))?
            .to_string();
        let size = doc.pointer("/layers/0/size").and_then(|s| s.as_u64());
        if let Some(size) = size.filter(|&size| size > MAX_ENTRY_BYTES) {
            return Err(Taken::Damaged(format!(
                "its layer is {size} bytes, more than the {MAX_ENTRY_BYTES} an entry may have"
            )));
        }
        // Streamed to a file in the cache's temporary area, never held in memory: an
        // entry may be a library's build tree of several hundred MB.
        let download = cache.temp_dir("downloads").map_err(Taken::Local)?;
        let archive = download.path().join("entry.tar.gz");
        let fetched = self
            .client()
            .blob_to_file(&layer, size, MAX_ENTRY_BYTES, &archive);
        match fetched {
            Ok(true) => {}
            Ok(false) => return Err(Taken::Damaged(format!("its layer {layer} is missing"))),
            Err(Error::ChecksumMismatch { .. }) => {
                return Err(Taken::Damaged(format!(
                    "its layer's bytes do not match their digest {layer}"
                )));
            }
            Err(Error::Download { reason, .. }) => return Err(Taken::Damaged(reason)),
            Err(err @ (Error::Io { .. } | Error::OutOfRoom { .. })) => {
                return Err(Taken::Local(err));
            }
            Err(err) => return Err(Taken::Unavailable(err)),
        }
        let entry = cache.temp_dir(kind.folder()).map_err(Taken::Local)?;
        crate::sys::unpack::unpack_checked(
            &archive,
            crate::sys::unpack::Format::TarGz,
            "",
            entry.path(),
            Some(&layer["sha256:".len()..]),
            crate::sys::unpack::Limits::default(),
        )
        .map_err(|e| Taken::Damaged(e.to_string()))?;
        check_unpacked(entry.path()).map_err(|d| Taken::Damaged(d.to_string()))?;
        let complete = entry.path().join(COMPLETE);
        let record = std::fs::read_to_string(&complete).unwrap_or_default();
        if !record_ok(&record) {
            return Err(Taken::Damaged(
                "its completion record is not this entry's".into(),
            ));
        }
        for file in [complete, entry.path().join(CONTENTS)] {
            std::fs::remove_file(&file)
                .map_err(|e| Taken::Local(Error::io("cannot remove", &file)(e)))?;
        }
        let mut built_at: Vec<String> = [note(PREFIX), note(REAL_PREFIX)]
            .into_iter()
            .flatten()
            .filter(|from| Path::new(from) != dest && !from.is_empty())
            .collect();
        // The longer first: one may be a prefix of the other.
        built_at.sort_by_key(|from| std::cmp::Reverse(from.len()));
        built_at.dedup();
        for from in built_at {
            relocate(
                entry.path(),
                from.as_bytes(),
                dest.as_os_str().as_encoded_bytes(),
            )
            .map_err(Taken::Unmovable)?;
        }
        Ok((entry, record))
    }

    /// Sends a published entry to the registry unless it is read-only, unusable, or has
    /// the entry already. `annotations` name what it is.
    pub(crate) fn store(
        &self,
        cache: &Cache,
        kind: Kind,
        key: &str,
        entry: &Path,
        annotations: &[(&str, String)],
    ) -> Result<()> {
        if !self.writable() || self.is_down() {
            return Ok(());
        }
        let tag = Remote::tag(kind, key);
        match self.client().has_manifest(&tag, MANIFEST) {
            Ok(false) => {}
            Ok(true) => return Ok(()),
            Err(err) => return self.unavailable(err),
        }
        // Packed to a file, hashed as written, and sent from it: never all in memory.
        let packing = cache.temp_dir("downloads")?;
        let layer_file = packing.path().join("entry.tar.gz");
        let (layer_digest, layer_size) = pack(entry, &layer_file)?;
        let mut notes: BTreeMap<String, String> = annotations
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        notes.insert(KEY.into(), key.into());
        notes.insert(KIND.into(), kind.name().into());
        let config =
            serde_json::to_vec(&serde_json::json!({ "annotations": notes })).expect("json");
        let descriptor = |media_type: &str, digest: &str, size: u64| {
            serde_json::json!({
                "mediaType": media_type,
                "digest": digest,
                "size": size,
            })
        };
        let config_digest = format!("sha256:{}", sha256_hex(&config));
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "artifactType": ARTIFACT_TYPE,
            "config": descriptor(CONFIG, &config_digest, config.len() as u64),
            "layers": [descriptor(LAYER, &layer_digest, layer_size)],
            "annotations": notes,
        }))
        .expect("json");
        let sent = (|| {
            let mut client = self.client();
            client.upload_blob(&config_digest, BlobSource::Bytes(&config))?;
            let layer = BlobSource::File {
                path: &layer_file,
                len: layer_size,
            };
            client.upload_blob(&layer_digest, layer)?;
            client.put_manifest(&tag, MANIFEST, &manifest)
        })();
        match sent {
            Ok(()) => {
                self.ui.note(format_args!(
                    "{} sent to the remote cache {} ({tag})",
                    entry.display(),
                    self.url()
                ));
                Ok(())
            }
            Err(err) => self.unavailable(err),
        }
    }

    /// Every entry in the repository with its annotations (`cache ls --remote`). Here
    /// an unusable registry is an error: listing it is all the command does.
    pub(crate) fn list(&self) -> Result<Vec<Listed>> {
        self.list_entries().map_err(|err| self.failed(err))
    }

    /// A registry failure as the remote cache's error (exit 14).
    fn failed(&self, err: Error) -> Error {
        let reason = match &err {
            Error::Registry { message, .. } => message.clone(),
            other => other.to_string(),
        };
        Error::Registry {
            message: format!("the remote cache {} cannot be used: {reason}", self.url()),
            help: "start or fix the registry (or its credentials: REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json, ~/.docker/config.json); plain HTTP is used only for loopback hosts".into(),
        }
    }

    fn list_entries(&self) -> Result<Vec<Listed>> {
        let mut client = self.client();
        let mut out = Vec::new();
        let mut tags = client.tags()?;
        tags.sort();
        for tag in tags {
            let ours = Kind::ALL
                .iter()
                .any(|kind| tag.starts_with(&format!("{}-", kind.name())));
            if !ours {
                continue;
            }
            let Some((digest, bytes)) = client.manifest(&tag, MANIFEST)? else {
                continue;
            };
            let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            let annotations = doc
                .get("annotations")
                .and_then(|a| a.as_object())
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect();
            let size = doc
                .get("layers")
                .and_then(|l| l.as_array())
                .into_iter()
                .flatten()
                .filter_map(|l| l.get("size")?.as_u64())
                .sum();
            out.push(Listed {
                tag,
                digest,
                size,
                annotations,
            });
        }
        Ok(out)
    }
}

/// Why an entry was not taken: the registry failed (said once), the entry is damaged
/// (said per entry), it is intact but names the folder it was built in where that
/// cannot be rewritten (said per entry), or this machine failed (an error).
enum Taken {
    Unavailable(Error),
    Damaged(String),
    Unmovable(String),
    Local(Error),
}

/// A published entry folder as one tar.gz in `out`: names relative to it, links kept as
/// links, no owners or times, in name order, so the same entry packs to the same bytes.
/// Returns the archive's digest (`sha256:…`, hashed as it was written) and size.
fn pack(entry: &Path, out: &Path) -> Result<(String, u64)> {
    let io = |e: std::io::Error| Error::Io {
        what: "cannot pack the cache entry",
        path: entry.to_path_buf(),
        source: e,
    };
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for item in std::fs::read_dir(entry.join(&rel)).map_err(io)? {
            let item = item.map_err(io)?;
            let name = rel.join(item.file_name());
            if item.file_type().map_err(io)?.is_dir() {
                stack.push(name.clone());
            }
            files.push(name);
        }
    }
    files.sort();
    let file = std::fs::File::create(out).map_err(Error::io("cannot write", out))?;
    let counted = Counted {
        inner: std::io::BufWriter::new(file),
        hasher: Hasher::new(),
        len: 0,
    };
    let gz = flate2::write::GzEncoder::new(counted, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    tar.follow_symlinks(false);
    for rel in &files {
        tar.append_path_with_name(entry.join(rel), rel)
            .map_err(io)?;
    }
    let mut counted = tar.into_inner().and_then(|gz| gz.finish()).map_err(io)?;
    counted
        .inner
        .flush()
        .map_err(Error::io("cannot write", out))?;
    Ok((
        format!("sha256:{}", counted.hasher.finish_hex()),
        counted.len,
    ))
}

/// A writer that hashes and counts what goes through it.
struct Counted<W> {
    inner: W,
    hasher: Hasher,
    len: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Rewrites `from` (the prefix an entry was built at) to `to` in the text files of an
/// unpacked library prefix (`.pc` files, `*-config` scripts). A binary file naming it
/// cannot be rewritten safely: the entry is then not used.
fn relocate(dir: &Path, from: &[u8], to: &[u8]) -> std::result::Result<(), String> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        let items = std::fs::read_dir(&folder).map_err(|e| e.to_string())?;
        for item in items {
            let item = item.map_err(|e| e.to_string())?;
            let kind = item.file_type().map_err(|e| e.to_string())?;
            let path = item.path();
            if kind.is_dir() {
                stack.push(path);
                continue;
            }
            if !kind.is_file() {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
            if !bytes.windows(from.len()).any(|w| w == from) {
                continue;
            }
            if bytes.contains(&0) {
                return Err(format!(
                    "`{}` is a binary file naming the folder it was built in",
                    path.display()
                ));
            }
            let mut out = Vec::with_capacity(bytes.len());
            let mut rest = bytes.as_slice();
            while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
                out.extend_from_slice(&rest[..at]);
                out.extend_from_slice(to);
                rest = &rest[at + from.len()..];
            }
            out.extend_from_slice(rest);
            std::fs::write(&path, out).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_oci_urls_of_a_repository() {
        let config = |url: &str| RemoteConfig {
            url: url.into(),
            read_only: false,
        };
        let r = config("oci://127.0.0.1:5000/team/cache")
            .reference()
            .unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("127.0.0.1:5000", "team/cache")
        );
        for bad in [
            "127.0.0.1:5000/cache",
            "oci://127.0.0.1:5000",
            "oci://127.0.0.1:5000/cache:tag",
            "oci://127.0.0.1:5000/Cache",
        ] {
            assert!(config(bad).reference().is_err(), "{bad}");
        }
    }

    #[test]
    fn relocation_rewrites_text_and_refuses_binaries() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("lib")).unwrap();
        let pc = dir.path().join("lib/x.pc");
        std::fs::write(&pc, "prefix=/a/libs/x\nlibdir=/a/libs/x/lib\n").unwrap();
        relocate(dir.path(), b"/a/libs/x", b"/bb/libs/x").unwrap();
        assert_eq!(
            std::fs::read_to_string(&pc).unwrap(),
            "prefix=/bb/libs/x\nlibdir=/bb/libs/x/lib\n"
        );
        std::fs::write(dir.path().join("lib/x.a"), b"\0/bb/libs/x\0").unwrap();
        assert!(relocate(dir.path(), b"/bb/libs/x", b"/c").is_err());
    }

    #[test]
    fn a_packed_entry_unpacks_to_what_its_record_lists() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("cache"));
        let temp = cache.temp_dir("libs").unwrap();
        std::fs::create_dir(temp.path().join("lib")).unwrap();
        std::fs::write(temp.path().join("lib/libx.a"), b"!<arch>\n").unwrap();
        std::os::unix::fs::symlink("libx.a", temp.path().join("lib/liby.a")).unwrap();
        let dest = cache.dir("libs").join("x");
        cache.publish_dir(temp, &dest, "{}").unwrap();
        let archive = dir.path().join("e.tar.gz");
        let (digest, size) = pack(&dest, &archive).unwrap();
        let again = dir.path().join("again.tar.gz");
        assert_eq!(
            pack(&dest, &again).unwrap(),
            (digest.clone(), size),
            "packing is deterministic"
        );
        let bytes = std::fs::read(&archive).unwrap();
        assert_eq!(bytes.len() as u64, size);
        assert_eq!(
            digest,
            format!("sha256:{}", sha256_hex(&bytes)),
            "hashed as written"
        );
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        crate::sys::unpack::unpack_checked(
            &archive,
            crate::sys::unpack::Format::TarGz,
            "",
            &out,
            None,
            crate::sys::unpack::Limits::default(),
        )
        .unwrap();
        check_unpacked(&out).unwrap();
        std::fs::write(out.join("lib/libx.a"), b"!<arch>\nchanged").unwrap();
        assert!(check_unpacked(&out).is_err());
    }
}
