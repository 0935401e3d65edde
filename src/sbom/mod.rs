//! What goes into `dist/<target>/<name>.spdx.json`: the facts the tail cannot see by
//! itself (the libraries each artifact links, gathered by the front ends before anything
//! builds) and the document made from them (`spdx.rs`). Pure data: nothing here spawns a
//! process or reads the environment, so the same facts always give the same bytes.

pub(crate) mod image;
pub(crate) mod provenance;
pub(crate) mod spdx;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::target::Target;

/// An SBOM sits beside its artifact: `dist/<target>/<name>` + this.
pub(crate) const SUFFIX: &str = ".spdx.json";
/// The SLSA provenance statement sits beside it too.
pub(crate) const PROVENANCE_SUFFIX: &str = ".intoto.json";
/// Every record written beside an artifact (and removed with `--no-sbom`).
pub(crate) const SUFFIXES: [&str; 2] = [SUFFIX, PROVENANCE_SUFFIX];

/// A library (or vendored project) an artifact is made with, as its recipe names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Component {
    pub(crate) name: String,
    pub(crate) version: String,
    /// An SPDX license expression; `None` is written `NOASSERTION`.
    pub(crate) license: Option<String>,
    /// `Organization: …` or `Person: …`; `None` is written `NOASSERTION`.
    pub(crate) supplier: Option<String>,
    pub(crate) sources: Vec<Source>,
    /// sha256 of the recipe as muslbuild keys it.
    pub(crate) recipe_sha256: String,
    /// A vendored folder's content hash.
    pub(crate) tree_sha256: Option<String>,
}

/// One source archive of a component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Source {
    pub(crate) url: Option<String>,
    pub(crate) sha256: String,
    /// The Debian source package that lists this archive: its name and version.
    pub(crate) debian: Option<(String, String)>,
}

/// The Linux kernel headers an artifact was compiled with: a Debian binary package
/// (`linux-libc-dev`) of one architecture, as pinned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KernelHeadersPackage {
    pub(crate) package: String,
    /// Debian's version (`6.1.176-1`).
    pub(crate) version: String,
    /// Debian's architecture (`arm64`).
    pub(crate) arch: String,
    /// The kernel release the headers are (`6.1.176`).
    pub(crate) release: String,
    pub(crate) sha256: String,
    pub(crate) license: String,
    pub(crate) supplier: String,
}

/// The components of every artifact a run builds, per name and target, and the
/// document's time (`SOURCE_DATE_EPOCH`, else 0): never the wall clock.
#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    pub(crate) epoch: u64,
    /// Who supplies the artifacts (`--sbom-supplier`); only the user can say.
    pub(crate) supplier: Option<String>,
    /// The command line, portable (`Env::portable_command_line`), for the provenance.
    pub(crate) command: Vec<String>,
    linked: BTreeMap<String, Vec<(Target, Vec<Component>)>>,
    sources: BTreeMap<String, Vec<SourceFile>>,
    /// The folder each artifact's sources are named relative to.
    roots: BTreeMap<String, PathBuf>,
}

/// A source file an artifact is compiled from: its path as the user names it (relative
/// to the folder the build runs in, so two folders give the same document) and sha256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SourceFile {
    pub(crate) name: String,
    pub(crate) sha256: String,
}

impl Plan {
    pub(crate) fn new(epoch: u64) -> Plan {
        Plan {
            epoch,
            supplier: None,
            command: Vec::new(),
            linked: BTreeMap::new(),
            sources: BTreeMap::new(),
            roots: BTreeMap::new(),
        }
    }

    /// Records what artifact `name` links on each target (added to what is known).
    pub(crate) fn add(&mut self, name: &str, per_target: Vec<(Target, Vec<Component>)>) {
        self.linked
            .entry(name.to_string())
            .or_default()
            .extend(per_target);
    }

    /// Records the source files artifact `name` is compiled from (`root`: the folder
    /// their names are written relative to). An unreadable file is left out: the
    /// compiler is about to say why.
    pub(crate) fn add_sources(&mut self, name: &str, files: &[PathBuf], root: &Path) {
        let list = files
            .iter()
            .filter_map(|file| {
                let bytes = std::fs::read(file).ok()?;
                let name = match file.strip_prefix(root) {
                    Ok(inside) => format!("./{}", inside.display()),
                    Err(_) => file.display().to_string(),
                };
                Some(SourceFile {
                    name,
                    sha256: crate::sys::hash::sha256_hex(&bytes),
                })
            })
            .collect();
        self.sources.insert(name.to_string(), list);
        self.roots.insert(name.to_string(), root.to_path_buf());
    }

    /// The files besides its sources that artifact `name`'s build read inside its folder
    /// (its own headers, from the compiler's depfiles: `deps`, path and sha256), named
    /// like its sources. Headers outside it (the libc's, a library's) belong to those
    /// packages; muslbuild's own staging (`.tmp-…`) is not the user's.
    pub(crate) fn headers(&self, name: &str, deps: &[(PathBuf, String)]) -> Vec<SourceFile> {
        let Some(root) = self.roots.get(name) else {
            return Vec::new();
        };
        let sources = self.sources(name);
        let mut out: Vec<SourceFile> = deps
            .iter()
            .filter_map(|(path, sha256)| {
                let inside = path.strip_prefix(root).ok()?;
                if inside
                    .components()
                    .any(|c| c.as_os_str().to_string_lossy().starts_with(".tmp-"))
                {
                    return None;
                }
                let name = format!("./{}", inside.display());
                (!sources.iter().any(|s| s.name == name)).then(|| SourceFile {
                    name,
                    sha256: sha256.clone(),
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out.dedup();
        out
    }

    pub(crate) fn sources(&self, name: &str) -> &[SourceFile] {
        self.sources.get(name).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn components(&self, name: &str, target: Target) -> &[Component] {
        self.linked
            .get(name)
            .and_then(|all| all.iter().find(|(t, _)| *t == target))
            .map_or(&[], |(_, c)| c.as_slice())
    }
}

/// Where the toolchain that built an artifact came from, as far as the files it was
/// installed with say (`toolchain::origin`); every field `None` when unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ToolOrigin {
    /// The toolchain's purl (`pkg:pypi/ziglang@0.17.1`); `None`: `pkg:generic/PROVIDER@VERSION`.
    pub(crate) purl: Option<String>,
    /// sha256 of the wheel or archive it was installed from.
    pub(crate) sha256: Option<String>,
    /// Where that came from: a URL, or the `pip download` requirement.
    pub(crate) source: Option<String>,
    /// The version of the musl it links (zig's bundled one, the distribution's package).
    pub(crate) musl_version: Option<String>,
    /// musl's purl when a package manager installed it (`pkg:deb/debian/musl@1.2.3-1?arch=amd64`).
    pub(crate) musl_purl: Option<String>,
}

/// The artifact a document describes.
pub(crate) struct Subject<'a> {
    pub(crate) name: &'a str,
    pub(crate) target: Target,
    pub(crate) sha256: &'a str,
    /// The manifest's `toolchain` and `toolchain_version`.
    pub(crate) tool: &'a str,
    pub(crate) tool_version: &'a str,
    pub(crate) supplier: Option<&'a str>,
    pub(crate) origin: Option<&'a ToolOrigin>,
    /// The pinned Linux kernel headers its C was compiled with.
    pub(crate) kernel_headers: Option<&'a KernelHeadersPackage>,
}

/// Checks a supplier as SPDX writes one; returns why it is refused.
pub(crate) fn check_supplier(text: &str) -> std::result::Result<(), String> {
    let who = text
        .strip_prefix("Organization: ")
        .or_else(|| text.strip_prefix("Person: "));
    match who {
        Some(name) if !name.trim().is_empty() && !name.contains('\n') => Ok(()),
        _ => Err(format!(
            "`{text}` is not `Organization: NAME` or `Person: NAME`"
        )),
    }
}

/// The toolchain (provider and version, as the manifest names them) an SBOM muslbuild
/// wrote says built its artifact.
pub(crate) fn recorded_toolchain(document: &[u8]) -> Option<(String, String)> {
    let doc: serde_json::Value = serde_json::from_slice(document).ok()?;
    let toolchain = doc["packages"]
        .as_array()?
        .iter()
        .find(|p| p["SPDXID"] == spdx::TOOLCHAIN_ID)?;
    Some((
        toolchain["name"].as_str()?.to_string(),
        toolchain["versionInfo"].as_str()?.to_string(),
    ))
}

/// The artifact's sha256 as its SBOM records it (`verify --sbom`), or `None` when the
/// document is not one muslbuild wrote.
pub(crate) fn recorded_sha256(document: &[u8]) -> Option<String> {
    let doc: serde_json::Value = serde_json::from_slice(document).ok()?;
    let artifact = doc["packages"]
        .as_array()?
        .iter()
        .find(|p| p["SPDXID"] == spdx::ARTIFACT_ID)?;
    artifact["checksums"]
        .as_array()?
        .iter()
        .find(|c| c["algorithm"] == "SHA256")
        .and_then(|c| c["checksumValue"].as_str())
        .map(str::to_string)
}
