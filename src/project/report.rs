//! What `muslbuild build` did, for `cli` to print: each artifact (built or restored), the
//! image, the libraries, and the reproducibility check.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::dist_folder::Artifact;
use crate::image::ImageReport;
use crate::libs;
use crate::target::Target;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ArtifactKind {
    C,
    Go,
    Vendor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Freshness {
    /// A compiler, configure or `go build` ran.
    Built,
    /// Restored from the build cache; nothing ran.
    Cached,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct ArtifactReport {
    pub(crate) kind: ArtifactKind,
    pub(crate) state: Freshness,
    #[serde(flatten)]
    pub(crate) artifact: Artifact,
    /// Absolute path of the file.
    pub(crate) file: PathBuf,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Reproducibility {
    pub(crate) ok: bool,
    /// What differed: `x86_64/hello`, `image index`.
    pub(crate) differences: Vec<String>,
}

/// Everything `muslbuild build` did: the human lines and the `--json` document.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) project: PathBuf,
    pub(crate) out_dir: PathBuf,
    pub(crate) targets: Vec<Target>,
    pub(crate) artifacts: Vec<ArtifactReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) image: Option<ImageOutcome>,
    /// The C libraries (recipes and vendored) the artifacts link, per target.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) libraries: Vec<libs::LibOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reproducible: Option<Reproducibility>,
}

impl Report {
    pub(crate) fn built(&self) -> usize {
        self.artifacts
            .iter()
            .filter(|a| a.state == Freshness::Built)
            .count()
    }

    pub(crate) fn human(&self, cwd: &Path) -> String {
        let mut out = String::new();
        for a in &self.artifacts {
            let state = match a.state {
                Freshness::Built => "built ",
                Freshness::Cached => "cached",
            };
            out.push_str(&format!(
                "{state} {:<28} {:>9}  {}{}\n",
                a.file.strip_prefix(cwd).unwrap_or(&a.file).display(),
                crate::space::human_size(a.artifact.size),
                a.artifact.toolchain_version_label(),
                if a.artifact.verification.stripped {
                    ""
                } else {
                    ", not stripped"
                }
            ));
        }
        if let Some(image) = &self.image {
            if image.state == Freshness::Cached {
                out.push_str("cached ");
            }
            out.push_str(&image.human);
        }
        let built = self.built();
        out.push_str(&format!(
            "{} artifacts for {} targets: {built} built, {} cached\n",
            self.artifacts.len(),
            self.targets.len(),
            self.artifacts.len() - built
        ));
        if let Some(r) = &self.reproducible
            && r.ok
        {
            {
                out.push_str(
                    "reproducible: a second build without the cache gave the same bytes\n",
                );
            }
        }
        out
    }
}

impl Artifact {
    /// `zig 0.17.1`; Go records its version as `go 1.27.3` (`+ zig 0.17.1` with cgo).
    fn toolchain_version_label(&self) -> String {
        if self.toolchain_version.starts_with(&self.toolchain) || self.toolchain.starts_with("go") {
            self.toolchain_version.clone()
        } else {
            format!("{} {}", self.toolchain, self.toolchain_version)
        }
    }
}

/// The image, made now or found unchanged in its layout.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ImageOutcome {
    pub(crate) state: Freshness,
    /// The image index digest, `sha256:…`.
    pub(crate) digest: String,
    /// `muslbuild image`'s report (index, per-platform manifests, layers, sizes, paths).
    #[serde(flatten)]
    pub(crate) report: serde_json::Value,
    #[serde(skip_serializing, default)]
    pub(super) human: String,
    /// What the image wrote besides the layout (Dockerfile, archive), as it was then:
    /// anything else there now (another `muslbuild image` with other flags) is rewritten.
    #[serde(skip_serializing, default)]
    pub(super) written: Vec<Written>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Written {
    pub(super) path: PathBuf,
    /// By content (small files), else by size, inode and mtime.
    pub(super) hashed: bool,
    pub(super) stamp: String,
}

impl ImageOutcome {
    pub(super) fn made(report: &ImageReport) -> ImageOutcome {
        ImageOutcome {
            state: Freshness::Built,
            digest: report.index.digest.clone(),
            report: serde_json::to_value(report).expect("image report serialises"),
            human: report.human(),
            written: Vec::new(),
        }
    }
}
