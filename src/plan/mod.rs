//! A build as a value, made before anything reaches `dist/`: the targets, each target's
//! C toolchain resolved once for the whole run, the libraries each artifact links
//! (prepared once), the SBOM plan, and one `ArtifactPlan` per (artifact, target). The
//! two front ends only make one — `single` from `muslbuild FILE…`'s checked flags,
//! `project` from a `muslbuild.toml` — and `execute` runs every pair through its pipeline
//! (`pipeline::c`, `go`, a vendored install) into the one tail, `pipeline::finish_target`.
//! `describe` is the plan as `--dry-run` prints it.

pub(crate) mod describe;
pub(crate) mod project;
pub(crate) mod single;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::context::Ctx;
use crate::dist_folder::{Artifact, Dist};
use crate::error::{Error, Result};
use crate::libs;
use crate::pipeline::Built;
use crate::pipeline::c::{self, CProgram};
use crate::pipeline::go::{self, GoPlan};
use crate::project::ArtifactKind;
use crate::project::config::VendorProject;
use crate::target::Target;
use crate::toolchain::{self, Toolchain, ToolchainRequest};
use crate::verify::paths::PathCheck;

/// Everything one run builds, and where.
pub(crate) struct BuildPlan {
    pub(crate) targets: Vec<Target>,
    pub(crate) toolchains: Toolchains,
    pub(crate) out_dir: PathBuf,
    /// `None` with `--no-sbom` or `sbom = false`.
    pub(crate) sbom: Option<crate::sbom::Plan>,
    pub(crate) path_check: PathCheck,
    /// `--check-reproducible`'s second build: build even what the cache has, record none.
    pub(crate) bypass_cache: bool,
    /// Each library per target, reported once however many artifacts link it.
    pub(crate) libraries: Vec<libs::LibOutcome>,
    /// In build order: every C program, then every Go program, then the vendored ones;
    /// a program's targets side by side.
    pub(crate) artifacts: Vec<ArtifactPlan>,
}

/// One artifact for one target.
pub(crate) enum ArtifactPlan {
    C {
        program: Arc<CArtifact>,
        target: Target,
    },
    Go {
        program: Arc<GoArtifact>,
        target: Target,
    },
    Vendored {
        project: Arc<VendoredArtifact>,
        program: String,
        target: Target,
    },
}

/// A C program and the libraries it links.
pub(crate) struct CArtifact {
    pub(crate) program: CProgram,
    pub(crate) libraries: Libraries,
}

/// A Go program (its package, `go`, settings and cgo's C side) and cgo's libraries.
pub(crate) struct GoArtifact {
    pub(crate) plan: GoPlan,
    pub(crate) libraries: Libraries,
}

/// A vendored project, whose programs are taken from its install.
pub(crate) struct VendoredArtifact {
    pub(crate) project: VendorProject,
    pub(crate) libraries: Libraries,
}

/// The libraries one artifact links: their names, and once prepared (not with
/// `--dry-run`), their prefixes for every target.
#[derive(Default)]
pub(crate) struct Libraries {
    pub(crate) names: Vec<String>,
    pub(crate) prepared: Option<libs::Prepared>,
}

impl ArtifactPlan {
    pub(crate) fn target(&self) -> Target {
        match self {
            ArtifactPlan::C { target, .. }
            | ArtifactPlan::Go { target, .. }
            | ArtifactPlan::Vendored { target, .. } => *target,
        }
    }

    pub(crate) fn name(&self) -> &str {
        match self {
            ArtifactPlan::C { program, .. } => &program.program.name,
            ArtifactPlan::Go { program, .. } => &program.plan.program.name,
            ArtifactPlan::Vendored { program, .. } => program,
        }
    }

    pub(crate) fn kind(&self) -> ArtifactKind {
        match self {
            ArtifactPlan::C { .. } => ArtifactKind::C,
            ArtifactPlan::Go { .. } => ArtifactKind::Go,
            ArtifactPlan::Vendored { .. } => ArtifactKind::Vendor,
        }
    }

    fn libraries(&self) -> &Libraries {
        match self {
            ArtifactPlan::C { program, .. } => &program.libraries,
            ArtifactPlan::Go { program, .. } => &program.libraries,
            ArtifactPlan::Vendored { project, .. } => &project.libraries,
        }
    }

    /// Whether this artifact builds with the target's C toolchain.
    fn compiles_c(&self) -> bool {
        match self {
            ArtifactPlan::Go { program, .. } => program.plan.cgo.is_some(),
            _ => true,
        }
    }

    /// Pairs of one C or Go program build side by side, every target on its own thread.
    fn same_program(&self, other: &ArtifactPlan) -> bool {
        match (self, other) {
            (ArtifactPlan::C { program: a, .. }, ArtifactPlan::C { program: b, .. }) => {
                Arc::ptr_eq(a, b)
            }
            (ArtifactPlan::Go { program: a, .. }, ArtifactPlan::Go { program: b, .. }) => {
                Arc::ptr_eq(a, b)
            }
            _ => false,
        }
    }
}

/// Each target's C toolchain, resolved once per run for every artifact, library and
/// cgo build of that target. A target whose toolchain cannot be had fails alone: the
/// first of its artifacts carries the error, the other targets still build.
pub(crate) struct Toolchains {
    per_target: Vec<(Target, Resolved)>,
}

enum Resolved {
    Found(Box<Toolchain>),
    /// Taken by the first artifact that needs it.
    Failed(Mutex<Option<Error>>),
}

impl Toolchains {
    /// No C is compiled (pure Go).
    pub(crate) fn none() -> Toolchains {
        Toolchains {
            per_target: Vec::new(),
        }
    }

    /// Every target's toolchain, concurrently (a cold zig's first probe for a target
    /// builds its libc: about a minute each), each holding one slot of the `-j` budget.
    pub(crate) fn resolve(targets: &[Target], request: &ToolchainRequest, ctx: &Ctx) -> Toolchains {
        let per_target = crate::jobs::per_target(targets, |target| {
            let _slot = ctx.jobs.acquire();
            match toolchain::resolve(target, request, ctx) {
                Ok(found) => Resolved::Found(Box::new(found)),
                Err(err) => Resolved::Failed(Mutex::new(Some(err))),
            }
        });
        Toolchains { per_target }
    }

    /// Every target's toolchain, for the libraries built for all of them: the first
    /// target that has none is the run's error.
    pub(crate) fn all(&self) -> Result<Vec<Toolchain>> {
        let mut all = Vec::new();
        for (_, resolved) in &self.per_target {
            match resolved {
                Resolved::Found(found) => all.push((**found).clone()),
                Resolved::Failed(err) => return Err(take(err)),
            }
        }
        Ok(all)
    }

    /// `target`'s toolchain; `Some(Err)` for the first asker when it has none, `None`
    /// for the next ones (the error is said once).
    fn get(&self, target: Target) -> Option<Result<&Toolchain>> {
        let (_, resolved) = self.per_target.iter().find(|(t, _)| *t == target)?;
        match resolved {
            Resolved::Found(found) => Some(Ok(&**found)),
            Resolved::Failed(err) => {
                let taken = err.lock().unwrap_or_else(|e| e.into_inner()).take();
                taken.map(Err)
            }
        }
    }

    /// For `--dry-run`: each target's toolchain or why it has none.
    pub(crate) fn outcomes(
        &self,
    ) -> impl Iterator<Item = (Target, std::result::Result<&Toolchain, String>)> {
        self.per_target.iter().map(|(target, resolved)| {
            let outcome = match resolved {
                Resolved::Found(found) => Ok(&**found),
                Resolved::Failed(err) => Err(err
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .as_ref()
                    .map_or_else(String::new, ToString::to_string)),
            };
            (*target, outcome)
        })
    }
}

fn take(err: &Mutex<Option<Error>>) -> Error {
    err.lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .expect("a failed resolution is reported once, before anything builds")
}

/// What `execute` did: every artifact in `dist/` (with its kind), and every failure.
/// `dist/manifest.json` already lists the artifacts.
pub(crate) struct Executed {
    pub(crate) built: Vec<(ArtifactKind, Built)>,
    pub(crate) errors: Vec<Error>,
}

/// Builds every (artifact, target) of `plan` into its `dist/`, then records the ones
/// that landed in the manifest. A failed pair leaves nothing and stops no other.
pub(crate) fn execute(plan: &BuildPlan, ctx: &Ctx) -> Result<Executed> {
    let dist = Dist::prepare(&plan.out_dir, ctx)?
        .with_sbom(plan.sbom.clone())
        .with_path_check(plan.path_check.clone());
    let mut executed = Executed {
        built: Vec::new(),
        errors: Vec::new(),
    };
    for group in plan.artifacts.chunk_by(ArtifactPlan::same_program) {
        let kind = group[0].kind();
        let results: Vec<Option<Result<Built>>> = match &group[0] {
            ArtifactPlan::Vendored { .. } => group
                .iter()
                .map(|pair| build_pair(plan, pair, 1, &dist, ctx))
                .collect(),
            first => {
                let share = match first {
                    ArtifactPlan::Go { .. } => go::share_of(ctx.jobs.total(), group.len()),
                    _ => 1,
                };
                let targets: Vec<Target> = group.iter().map(ArtifactPlan::target).collect();
                crate::jobs::per_target(&targets, |target| {
                    let pair = group
                        .iter()
                        .find(|p| p.target() == target)
                        .expect("a target of the group");
                    let _held: Vec<_> = (0..share).map(|_| ctx.jobs.acquire()).collect();
                    build_pair(plan, pair, share, &dist, ctx)
                })
                .into_iter()
                .map(|(_, result)| result)
                .collect()
            }
        };
        for result in results.into_iter().flatten() {
            match result {
                Ok(built) => executed.built.push((kind, built)),
                Err(err) => executed.errors.push(err),
            }
        }
    }
    let artifacts: Vec<Artifact> = executed
        .built
        .iter()
        .map(|(_, b)| b.artifact.clone())
        .collect();
    dist.record(&artifacts)?;
    Ok(executed)
}

/// One (artifact, target) through its pipeline; `None` when its target has no toolchain
/// and an earlier pair said so.
fn build_pair(
    plan: &BuildPlan,
    pair: &ArtifactPlan,
    share: usize,
    dist: &Dist,
    ctx: &Ctx,
) -> Option<Result<Built>> {
    let target = pair.target();
    let toolchain = match pair.compiles_c() {
        true => match plan.toolchains.get(target)? {
            Ok(found) => Some(found),
            Err(err) => return Some(Err(err)),
        },
        false => None,
    };
    let libraries = pair.libraries().prepared.as_ref();
    let bypass_cache = plan.bypass_cache;
    Some(match pair {
        ArtifactPlan::C { program, .. } => {
            let on = c::CTarget {
                toolchain: toolchain.expect("C compiles with a toolchain"),
                libraries,
                bypass_cache,
            };
            c::build_one(&program.program, &on, dist, ctx)
        }
        ArtifactPlan::Go { program, .. } => {
            let on = go::GoTarget {
                target,
                toolchain,
                libraries,
                share,
                bypass_cache,
            };
            go::build_one(&program.plan, &on, dist, ctx)
        }
        ArtifactPlan::Vendored {
            project, program, ..
        } => crate::project::install_vendored(
            &project.project,
            program,
            toolchain.expect("a vendored project builds with a toolchain"),
            libraries.expect("a vendored project is prepared before it is installed"),
            dist,
            ctx,
        ),
    })
}

/// What the SBOMs say: per artifact, the libraries it links on each target and, for C,
/// its sources named from `root`.
pub(crate) fn sbom_plan(
    artifacts: &[ArtifactPlan],
    supplier: Option<String>,
    root: &std::path::Path,
    ctx: &Ctx,
) -> crate::sbom::Plan {
    let mut plan = crate::sbom::Plan::new(ctx.env.source_date_epoch());
    plan.command = ctx.env.portable_command_line();
    plan.supplier = supplier;
    let mut seen: Vec<&str> = Vec::new();
    for pair in artifacts {
        let name = pair.name();
        if seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let prepared = pair.libraries().prepared.as_ref();
        match pair {
            ArtifactPlan::C { program, .. } => {
                plan.add(
                    name,
                    prepared.map(libs::Prepared::components).unwrap_or_default(),
                );
                plan.add_sources(name, &program.program.sources, root);
            }
            ArtifactPlan::Go { .. } => {
                plan.add(
                    name,
                    prepared.map(libs::Prepared::components).unwrap_or_default(),
                );
            }
            ArtifactPlan::Vendored { project, .. } => {
                if let Some(prepared) = prepared {
                    plan.add(
                        name,
                        crate::project::program_components(&project.project, prepared, name),
                    );
                }
            }
        }
    }
    plan
}

/// Adds what `prepared` reports to `all`, each library per target once.
fn gather(all: &mut Vec<libs::LibOutcome>, prepared: &libs::Prepared) {
    for o in &prepared.outcomes {
        if !all.iter().any(|l| l.name == o.name && l.target == o.target) {
            all.push(o.clone());
        }
    }
}
