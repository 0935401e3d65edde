//! The plan as `--dry-run` prints it: what would be built, for which target, with which
//! toolchain and libraries, and where it would land. A plain value: it holds no path of
//! a library prefix (nothing is built for a dry run) and runs nothing.

use std::path::PathBuf;

use serde::Serialize;

use super::{ArtifactPlan, BuildPlan};
use crate::dist_folder::Dist;
use crate::project::ArtifactKind;
use crate::target::Target;

#[derive(Serialize)]
pub(crate) struct Description {
    pub(crate) targets: Vec<Target>,
    /// The C toolchain of each target (none when nothing compiles C).
    pub(crate) toolchains: Vec<ToolchainLine>,
    pub(crate) artifacts: Vec<ArtifactLine>,
}

#[derive(Serialize)]
pub(crate) struct ToolchainLine {
    pub(crate) target: Target,
    /// `zig`, `musl-cross`, `musl-gcc`, `override`; absent when none was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) path: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) version: Option<String>,
    /// Why the target has no toolchain (its artifacts would fail).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct ArtifactLine {
    pub(crate) name: String,
    pub(crate) kind: ArtifactKind,
    pub(crate) target: Target,
    /// Where it would land: `<out-dir>/<target>/<name>`.
    pub(crate) output: PathBuf,
    /// The C libraries (or the vendored project) it links, by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) libraries: Vec<String>,
}

impl Description {
    pub(crate) fn of(plan: &BuildPlan) -> Description {
        let toolchains = plan
            .toolchains
            .outcomes()
            .map(|(target, outcome)| match outcome {
                Ok(tc) => ToolchainLine {
                    target,
                    kind: Some(tc.provider.name().to_string()),
                    path: Some(tc.cc.program.clone()),
                    version: Some(tc.version.clone()),
                    error: None,
                },
                Err(error) => ToolchainLine {
                    target,
                    kind: None,
                    path: None,
                    version: None,
                    error: Some(error),
                },
            })
            .collect();
        let artifacts = plan
            .artifacts
            .iter()
            .map(|pair: &ArtifactPlan| ArtifactLine {
                name: pair.name().to_string(),
                kind: pair.kind(),
                target: pair.target(),
                output: plan
                    .out_dir
                    .join(Dist::relative_path(pair.target(), pair.name())),
                libraries: pair.libraries().names.clone(),
            })
            .collect();
        Description {
            targets: plan.targets.clone(),
            toolchains,
            artifacts,
        }
    }

    /// One line per toolchain, then per (artifact, target).
    pub(crate) fn human(&self, shown: impl Fn(&std::path::Path) -> String) -> String {
        let names: Vec<&str> = self.targets.iter().map(|t| t.name()).collect();
        let mut lines = vec![format!(
            "dry run: nothing is built; targets: {}",
            names.join(", ")
        )];
        for tc in &self.toolchains {
            lines.push(match (&tc.kind, &tc.path, &tc.version, &tc.error) {
                (Some(kind), Some(path), Some(version), _) => format!(
                    "toolchain {:<12} {kind} {version} ({})",
                    tc.target.name(),
                    path.display()
                ),
                (.., error) => format!(
                    "toolchain {:<12} none: {}",
                    tc.target.name(),
                    error.as_deref().unwrap_or_default()
                ),
            });
        }
        for a in &self.artifacts {
            let kind = match a.kind {
                ArtifactKind::C => "c",
                ArtifactKind::Go => "go",
                ArtifactKind::Vendor => "vendor",
            };
            let libraries = match a.libraries.is_empty() {
                true => String::new(),
                false => format!("  (links {})", a.libraries.join(", ")),
            };
            lines.push(format!(
                "{:<6} {:<24} -> {}{libraries}",
                kind,
                Dist::relative_path(a.target, &a.name),
                shown(&a.output)
            ));
        }
        lines.join("\n")
    }
}
