//! `muslbuild FILE…` as a plan: one C program or one Go command, for every target.

use std::path::PathBuf;
use std::sync::Arc;

use super::{ArtifactPlan, BuildPlan, CArtifact, GoArtifact, Libraries, Toolchains, sbom_plan};
use crate::context::Ctx;
use crate::error::Result;
use crate::libs::{self, commands::LibOptions};
use crate::pipeline::c::CProgram;
use crate::pipeline::go::GoPlan;
use crate::target::Target;
use crate::toolchain::ToolchainRequest;

/// The one program of a single build, its inputs already checked.
// One value per run, moved once into the plan: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Program {
    C(CProgram),
    Go(GoPlan),
}

/// `muslbuild FILE…`'s flags, checked by `cli`.
pub(crate) struct Args {
    pub(crate) program: Program,
    pub(crate) targets: Vec<Target>,
    pub(crate) request: ToolchainRequest,
    /// `--lib`, `--vendor-lib`, `--lib-file`, `--source-dir`, `--keep-failed`.
    pub(crate) libs: LibOptions,
    pub(crate) out_dir: PathBuf,
    pub(crate) no_sbom: bool,
    pub(crate) sbom_supplier: Option<String>,
    pub(crate) strict: bool,
    /// `--dry-run`: toolchains are resolved, libraries not built.
    pub(crate) dry_run: bool,
}

impl BuildPlan {
    /// A single build's plan: the toolchains its C needs (none for pure Go), then its
    /// libraries, built for every target before anything reaches `dist/`.
    pub(crate) fn from_args(args: Args, ctx: &Ctx) -> Result<BuildPlan> {
        let compiles_c = match &args.program {
            Program::C(_) => true,
            Program::Go(plan) => plan.cgo.is_some(),
        };
        let lib_names = match compiles_c && !args.libs.is_empty() {
            true => {
                let request = args.libs.request(&ctx.env)?;
                // Sources before toolchains (a cold zig's probes take minutes); a dry run
                // downloads nothing, offline it still says what is missing.
                if !args.dry_run || ctx.net.offline {
                    libs::obtain_sources_first(&request, &args.targets, ctx)?;
                }
                request.names
            }
            false => Vec::new(),
        };
        let toolchains = match compiles_c {
            true => Toolchains::resolve(&args.targets, &args.request, ctx),
            false => Toolchains::none(),
        };
        let prepared = match lib_names.is_empty() || args.dry_run {
            true => None,
            false => libs::commands::prepare_programs(&args.libs, &toolchains.all()?, ctx)?,
        };
        let mut libraries = Vec::new();
        if let Some(prepared) = &prepared {
            super::gather(&mut libraries, prepared);
        }
        let libs = Libraries {
            names: lib_names,
            prepared,
        };
        let artifacts: Vec<ArtifactPlan> = match args.program {
            Program::C(program) => {
                let program = Arc::new(CArtifact {
                    program,
                    libraries: libs,
                });
                args.targets
                    .iter()
                    .map(|&target| ArtifactPlan::C {
                        program: program.clone(),
                        target,
                    })
                    .collect()
            }
            Program::Go(plan) => {
                let program = Arc::new(GoArtifact {
                    plan,
                    libraries: libs,
                });
                args.targets
                    .iter()
                    .map(|&target| ArtifactPlan::Go {
                        program: program.clone(),
                        target,
                    })
                    .collect()
            }
        };
        let cwd = &ctx.env.cwd;
        Ok(BuildPlan {
            sbom: (!args.no_sbom).then(|| sbom_plan(&artifacts, args.sbom_supplier, cwd, ctx)),
            path_check: crate::verify::paths::PathCheck::of_machine(
                &ctx.env,
                ctx.cache.root(),
                cwd,
                args.strict,
            ),
            targets: args.targets,
            toolchains,
            out_dir: args.out_dir,
            bypass_cache: false,
            libraries,
            artifacts,
        })
    }
}
