//! From inputs to a verified artifact in `dist/`. Every kind of program (C, Go, a
//! vendored project's program) ends in the same tail, written once here: stage, verify,
//! store in the build cache, install into `dist/`, describe it for the manifest (`plan`
//! runs every target concurrently within the `-j` budget). `c` is the C pipeline,
//! `go` the Go pipeline beside it, `cache` the build cache.

pub(crate) mod c;
pub(crate) mod cache;
pub(crate) mod go;
pub(crate) mod objects;

use std::path::{Path, PathBuf};

use crate::cache::Cache;
use crate::context::Ctx;
use crate::dist_folder::{Artifact, Dist, Verification};
use crate::error::{Error, Result};
use crate::target::Target;
use crate::verify;
use crate::verify::paths::{self, BuildPath, FolderKind, PathCheck};

use self::cache::BuildEntry;

/// One target's artifact, installed in `dist/`.
pub(crate) struct Built {
    pub(crate) target: Target,
    pub(crate) path: PathBuf,
    pub(crate) artifact: Artifact,
    /// What built it, for the summary line: `zig 0.17.1`, `go 1.27.3 + zig 0.17.1`.
    pub(crate) toolchain: String,
    /// Reused: restored from the build cache (no compiler, configure or `go build` ran),
    /// or a vendored project's install that was already built.
    pub(crate) cached: bool,
}

/// Who made an artifact: the manifest's `toolchain` and `toolchain_version`, and the
/// summary line's label.
pub(crate) struct MadeBy {
    pub(crate) tool: String,
    pub(crate) version: String,
    pub(crate) label: String,
    /// Where the C toolchain came from, for the SBOM (`None`: unknown, or no SBOM).
    pub(crate) origin: Option<crate::sbom::ToolOrigin>,
    /// The pinned kernel headers the C compiles used, for the SBOM.
    pub(crate) kernel_headers: Option<crate::sbom::KernelHeadersPackage>,
}

/// How an artifact relates to the build cache.
pub(crate) enum Caching {
    /// Looked up under `key` before building and stored under it after; `command` is
    /// what a hit says it was built by (under `-v`). `bypass`: build even when the cache
    /// has it, and do not record it (`--check-reproducible`'s second build).
    Keyed {
        key: String,
        command: String,
        bypass: bool,
        /// The folders the key names by words, which the entry's records use too.
        places: crate::sys::key::Places,
    },
    /// Not in the build cache (a vendored project's program: `libs` caches the whole
    /// install); `reused` says whether that install was already built.
    Outside { reused: bool },
}

/// One artifact for one target, as the tail needs it.
pub(crate) struct TargetJob<'a> {
    pub(crate) name: &'a str,
    pub(crate) target: Target,
    pub(crate) made_by: MadeBy,
    pub(crate) caching: Caching,
}

/// The tail every artifact goes through. `make(staged, staging_dir)` writes the artifact
/// to `staged` and returns the files the build read (recorded with the cache entry); it
/// is not called on a build-cache hit. A target that fails leaves nothing in `dist/`:
/// the artifact reaches it by one rename, after verification.
pub(crate) fn finish_target(
    job: TargetJob<'_>,
    dist: &Dist,
    ctx: &Ctx,
    make: impl FnOnce(&Path, &Path) -> Result<Vec<PathBuf>>,
) -> Result<Built> {
    let TargetJob {
        name,
        target,
        made_by,
        caching,
    } = job;
    let staging = dist.staging()?;
    let staged = staging.path().join(name);
    let (entry, cached, restored) = match &caching {
        Caching::Keyed {
            key,
            command,
            bypass,
            places,
        } => {
            let entry = BuildEntry::new(&ctx.cache, name, target, key).with_places(places.clone());
            let hit = entry.restore_hit(*bypass, &staged, (name, target), command, ctx)?;
            ((!*bypass).then_some(entry), hit, hit)
        }
        Caching::Outside { reused } => (None, *reused, false),
    };
    let mut deps = Vec::new();
    if !restored {
        deps = make(&staged, staging.path())?;
    }
    // What the build read, with sha256, for the SBOM's headers: recorded by the entry on
    // a hit, hashed now otherwise.
    let read: Vec<(PathBuf, String)> = match (&entry, dist.sbom_plan()) {
        (_, None) => Vec::new(),
        (Some(entry), Some(_)) if restored => entry
            .recorded_deps()
            .into_iter()
            .map(|d| (d.path, d.sha256))
            .collect(),
        _ => deps
            .iter()
            .filter_map(|p| Some((p.clone(), crate::sys::hash::file_sha256(p).ok()?)))
            .collect(),
    };
    let report = verify::verify_file(&staged, Some(target))?.into_result()?;
    let bytes = std::fs::read(&staged).map_err(Error::io("cannot read", &staged))?;
    let build_paths = build_paths(&bytes, dist.path_check(), &ctx.cache);
    drop(bytes);
    if !build_paths.is_empty() {
        let artifact = Dist::relative_path(target, name);
        let found = paths::summary(&build_paths);
        if dist.path_check().strict {
            return Err(Error::BuildPaths {
                artifact,
                target,
                found,
            });
        }
        ctx.ui.warn(format_args!(
            "{artifact} names folders of the build machine: {found}\nhelp: {}",
            crate::error::BUILD_PATHS_HELP
        ));
    }
    if let Some(entry) = entry {
        if !restored {
            entry.store(&ctx.cache, &staged, &deps)?;
        }
        entry.send_to_remote(&made_by.label, ctx)?;
    }
    let (origin, kernel_headers) = (made_by.origin, made_by.kernel_headers);
    let artifact = Artifact {
        name: name.to_string(),
        target: target.name().to_string(),
        path: Dist::relative_path(target, name),
        size: report.size,
        sha256: report.sha256.clone(),
        toolchain: made_by.tool,
        toolchain_version: made_by.version,
        verification: Verification {
            ok: report.ok,
            is_static: true,
            static_pie: report.static_pie,
            stripped: report.stripped,
            machine: verify::short_kind_name(target),
            build_paths,
        },
    };
    // The SBOM and provenance, unless they are off (`--no-sbom`, `sbom = false`).
    let mut sidecars = Vec::new();
    if let Some(plan) = dist.sbom_plan() {
        // A Go program names its modules itself; reading them costs no process.
        let go = artifact
            .toolchain
            .starts_with("go")
            .then(|| std::fs::read(&staged).ok())
            .flatten()
            .and_then(|elf| crate::verify::gobuild::read(&elf));
        let subject = crate::sbom::Subject {
            name,
            target,
            sha256: &artifact.sha256,
            tool: &artifact.toolchain,
            tool_version: &artifact.toolchain_version,
            supplier: plan.supplier.as_deref(),
            origin: origin.as_ref(),
            kernel_headers: kernel_headers.as_ref(),
        };
        let mut sources = plan.sources(name).to_vec();
        sources.extend(plan.headers(name, &read));
        let (sources, components) = (sources.as_slice(), plan.components(name, target));
        sidecars.push((
            crate::sbom::SUFFIX,
            crate::sbom::spdx::document(&subject, sources, components, go.as_ref(), plan.epoch),
        ));
        sidecars.push((
            crate::sbom::PROVENANCE_SUFFIX,
            crate::sbom::provenance::statement(
                &subject,
                sources,
                components,
                go.as_ref(),
                &plan.command,
                plan.epoch,
            ),
        ));
    }
    let path = dist.install(&staged, &artifact, &sidecars)?;
    Ok(Built {
        target,
        path,
        artifact,
        toolchain: made_by.label,
        cached,
    })
}

/// The strings of an artifact that name the build machine's folders, each with what
/// it points into (inside the cache: the library or project whose entry it is).
pub(crate) fn build_paths(bytes: &[u8], check: &PathCheck, cache: &Cache) -> Vec<BuildPath> {
    paths::scan(bytes, check.folders())
        .into_iter()
        .map(|hit| BuildPath {
            origin: match hit.folder.kind {
                FolderKind::Cache => crate::libs::cache_origin(cache, hit.below_folder()),
                _ => hit.folder_description().to_string(),
            },
            string: hit.string,
        })
        .collect()
}

/// A failed tool's log tail without the command line muslbuild echoed into the log (the
/// error names the log; the tail is for the tool's own diagnostics).
// The shared version belongs in sys::process; this copy goes when it is there.
pub(crate) fn diagnostics(tail: &str) -> String {
    tail.lines()
        .filter(|l| !l.starts_with("$ "))
        .collect::<Vec<_>>()
        .join("\n")
}
