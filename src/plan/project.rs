//! `muslbuild build` as a plan: everything a `muslbuild.toml` describes (or the named
//! artifacts), for every target, then its image. The whole file is checked (`config`)
//! before anything is built; `--check-reproducible` builds a second time into a
//! temporary folder, without the build cache, and compares.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{
    ArtifactPlan, BuildPlan, CArtifact, GoArtifact, Libraries, Toolchains, VendoredArtifact,
    sbom_plan,
};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::image::ImageSpec;
use crate::libs::{self, Recipe};
use crate::pipeline::go;
use crate::project::config::{CArtifact as CDecl, GoArtifact as GoDecl, Project, VendorProject};
use crate::project::{
    ArtifactReport, Freshness, Options, Report, Reproducibility, lib_request, vendor_roots,
};
use crate::target::Target;

/// A project's plan and what its image step needs besides: the `[image]` spec (none
/// when only some artifacts are built), the vendored projects' install roots, and the
/// key of the image's files besides the artifacts.
pub(crate) struct ProjectPlan {
    pub(crate) plan: BuildPlan,
    pub(crate) image: Option<ImageSpec>,
    vendor_roots: VendorRoots,
    extras_key: String,
}

/// (vendored project, target) -> the root its install is read from.
type VendorRoots = BTreeMap<(String, Target), PathBuf>;

/// `muslbuild build` for a loaded project: the build, and with `--check-reproducible`
/// the same build again in a fresh cache, compared.
pub(crate) fn run(project: &Project, options: &Options, ctx: &Ctx) -> Result<Report> {
    if let Some(remote) = &project.remote_cache {
        ctx.use_remote_cache(remote.clone())?;
    }
    ctx.check_remote_cache_required()?;
    let report = build(project, options, &project.out_dir, false, ctx)?;
    if !options.check_reproducible {
        return Ok(report);
    }
    let temp_root = ctx.env.temp_dir();
    let temp = tempfile::Builder::new()
        .prefix("muslbuild-reproducible-")
        .tempdir_in(&temp_root)
        .map_err(Error::io(
            "cannot create a temporary directory in",
            &temp_root,
        ))?;
    // Everything again — library prefixes and vendored projects included — in a fresh
    // cache at another absolute path: what a second machine would do. Only the inputs
    // are shared: installed toolchains and verified source archives. The plan is made
    // again there: it names library prefixes and toolchain support files in the cache.
    let fresh = ctx.with_cache_at(crate::project::fresh_cache_root(&ctx.cache, temp.path())?);
    let second = build(project, options, &temp.path().join("dist"), true, &fresh)?;
    let differences = crate::project::compare(&report, &second);
    let mut report = report;
    report.reproducible = Some(Reproducibility {
        ok: differences.is_empty(),
        differences: differences.clone(),
    });
    if !differences.is_empty() {
        return Err(Error::NotReproducible {
            what: differences.join(", "),
            help: "something in the build depends on time, the folder or the machine: check __DATE__/__TIME__ in the sources and flags that embed paths; `cmp -l` on the two files shows where".into(),
        });
    }
    Ok(report)
}

/// One build of the project into `out_dir`: plan, execute, then the image.
fn build(
    project: &Project,
    options: &Options,
    out_dir: &Path,
    bypass_cache: bool,
    ctx: &Ctx,
) -> Result<Report> {
    let ProjectPlan {
        mut plan,
        image,
        vendor_roots,
        extras_key,
    } = BuildPlan::from_project(project, options, out_dir, ctx)?;
    plan.bypass_cache = bypass_cache;
    let executed = super::execute(&plan, ctx)?;
    ctx.ui.first_of(executed.errors)?;
    let vendor_paths = |name: &str, target: Target, source: &str| {
        crate::project::vendor_installed_path(&vendor_roots, name, target, source)
    };
    let image = match image {
        Some(mut spec) => {
            if out_dir != project.out_dir {
                // The comparison build writes its image beside its own artifacts.
                spec.oci_layout = Some(out_dir.join("image"));
                spec.oci_archive = None;
            }
            Some(crate::project::make_image(
                &spec,
                out_dir,
                &vendor_paths,
                &extras_key,
                bypass_cache,
                ctx,
            )?)
        }
        None => None,
    };
    let artifacts = executed
        .built
        .into_iter()
        .map(|(kind, b)| ArtifactReport {
            kind,
            state: match b.cached {
                true => Freshness::Cached,
                false => Freshness::Built,
            },
            artifact: b.artifact,
            file: b.path,
        })
        .collect();
    Ok(Report {
        project: project.file.clone(),
        out_dir: out_dir.to_path_buf(),
        targets: plan.targets,
        artifacts,
        image,
        libraries: plan.libraries,
        reproducible: None,
    })
}

impl BuildPlan {
    /// The plan of `project` with `options` into `out_dir`. Everything that can be
    /// refused is, before any work starts (names, targets, Go flags, host tools, offline
    /// sources); then each target's toolchain, then the libraries and vendored projects
    /// for every target, then the image's files besides the artifacts.
    pub(crate) fn from_project(
        project: &Project,
        options: &Options,
        out_dir: &Path,
        ctx: &Ctx,
    ) -> Result<ProjectPlan> {
        let env = &ctx.env;
        let chosen = Selection::of(project, options)?;
        let targets = targets(project, options)?;
        // Kernel headers only matter where C is compiled: a Go-only project needs none.
        let kernel_headers = match chosen.compiles_c() {
            true => options.kernel_headers.as_deref(),
            false => Some(libs::kheaders::TOOLCHAIN_OWN),
        };
        let choice = options
            .toolchain
            .clone()
            .unwrap_or_else(|| project.toolchain.clone());
        let request = crate::project::toolchain_request(
            project,
            choice,
            options.cc.clone(),
            kernel_headers,
            &targets,
            ctx,
        )?;
        // Only a whole build makes the image.
        let image_spec = match options.names.is_empty() {
            true => project.image.clone().map(|spec| {
                let mut spec = crate::project::image_spec(project, spec, &targets);
                spec.no_sbom |= options.no_sbom;
                spec
            }),
            false => None,
        };
        let vendor_recipes: Vec<Recipe> =
            chosen.vendored.iter().map(|v| v.recipe.clone()).collect();
        check_vendored_host_tools(project, &vendor_recipes, &targets, env)?;
        let go_plans = go_programs(project, &chosen.names, &targets, options, ctx)?;
        let wanted = chosen.libraries();
        if !wanted.is_empty() && (!options.dry_run || ctx.net.offline) {
            // Sources before toolchains (a cold zig's probes take minutes); a dry run
            // downloads nothing, offline it still says what is missing.
            let mut request = lib_request(project, wanted.clone(), None, options.keep_failed, env);
            request.vendored.extend(vendor_recipes);
            libs::obtain_sources_first(&request, &targets, ctx)?;
        }
        let toolchains = match chosen.compiles_c() {
            true => Toolchains::resolve(&targets, &request, ctx),
            false => Toolchains::none(),
        };
        let mut preparing = Preparing {
            project,
            options,
            toolchains: match wanted.is_empty() || options.dry_run {
                true => Vec::new(),
                false => toolchains.all()?,
            },
            outcomes: Vec::new(),
            ctx,
        };
        let (artifacts, installs) = chosen.pairs(go_plans, &targets, &mut preparing)?;
        let (vendor_roots, extras_key) = image_inputs(
            image_spec.as_ref(),
            &installs,
            &targets,
            options.dry_run,
            env,
        )?;
        let project_root = env.cwd.join(&project.root);
        let plan = BuildPlan {
            sbom: (project.sbom && !options.no_sbom).then(|| {
                sbom_plan(
                    &artifacts,
                    options.sbom_supplier.clone(),
                    &project.root,
                    ctx,
                )
            }),
            path_check: crate::verify::paths::PathCheck::of_machine(
                env,
                ctx.cache.root(),
                &project_root,
                options.strict,
            ),
            targets,
            toolchains,
            out_dir: out_dir.to_path_buf(),
            bypass_cache: false,
            libraries: preparing.outcomes,
            artifacts,
        };
        Ok(ProjectPlan {
            plan,
            image: image_spec,
            vendor_roots,
            extras_key,
        })
    }
}

/// Where each vendored project's install lies per target, and the key of every
/// platform's image files besides the artifacts: checked before dist/ is touched (a
/// vendored file is known only once its project is installed; not with `--dry-run`).
fn image_inputs(
    spec: Option<&ImageSpec>,
    installs: &[Arc<VendoredArtifact>],
    targets: &[Target],
    dry_run: bool,
    env: &crate::env::Env,
) -> Result<(VendorRoots, String)> {
    let roots = vendor_roots(
        installs
            .iter()
            .filter_map(|v| Some((&v.project, v.libraries.prepared.as_ref()?))),
    );
    let vendor_paths = |name: &str, target: Target, source: &str| {
        crate::project::vendor_installed_path(&roots, name, target, source)
    };
    let key = match (spec, dry_run) {
        (Some(spec), false) => crate::image::check_extras(spec, targets, &vendor_paths, env)?,
        _ => String::new(),
    };
    Ok((roots, key))
}

/// The project's artifacts a build makes: all, or the named ones.
struct Selection<'a> {
    names: Vec<String>,
    c: Vec<&'a CDecl>,
    go: Vec<&'a GoDecl>,
    vendored: Vec<&'a VendorProject>,
}

impl<'a> Selection<'a> {
    fn of(project: &'a Project, options: &Options) -> Result<Selection<'a>> {
        let names = selected(project, &options.names)?;
        Ok(Selection {
            c: project
                .c
                .iter()
                .filter(|c| names.contains(&c.program.name))
                .collect(),
            go: project
                .go
                .iter()
                .filter(|g| names.contains(&g.name))
                .collect(),
            vendored: project
                .vendor
                .iter()
                .filter(|v| v.programs.iter().any(|p| names.contains(p)))
                .collect(),
            names,
        })
    }

    fn compiles_c(&self) -> bool {
        !self.c.is_empty() || !self.vendored.is_empty() || self.go.iter().any(|g| g.cgo)
    }

    /// Every library and vendored project the selection needs, each once.
    fn libraries(&self) -> Vec<String> {
        let mut wanted: Vec<String> = Vec::new();
        for c in &self.c {
            wanted.extend(c.libs.iter().cloned());
        }
        for g in &self.go {
            wanted.extend(g.libs.iter().cloned());
        }
        wanted.extend(self.vendored.iter().map(|v| v.recipe.name.clone()));
        wanted.sort();
        wanted.dedup();
        wanted
    }

    /// One pair per (artifact, target): C programs, Go programs, then vendored
    /// programs (target by target, as their installs are read), each artifact's
    /// libraries and vendored projects prepared for every target before anything reaches
    /// dist/ (a prefix already built costs a completion check). Also the vendored
    /// projects, for the image's files.
    fn pairs(
        &self,
        go_plans: Vec<go::GoPlan>,
        targets: &[Target],
        preparing: &mut Preparing<'_>,
    ) -> Result<(Vec<ArtifactPlan>, Vec<Arc<VendoredArtifact>>)> {
        let mut artifacts = Vec::new();
        for c in &self.c {
            let mut program = c.program.clone();
            program.source_date_epoch = preparing.ctx.env.source_date_epoch();
            let program = Arc::new(CArtifact {
                program,
                libraries: preparing.libraries(c.libs.clone(), None)?,
            });
            artifacts.extend(targets.iter().map(|&target| ArtifactPlan::C {
                program: program.clone(),
                target,
            }));
        }
        for (plan, g) in go_plans.into_iter().zip(&self.go) {
            let program = Arc::new(GoArtifact {
                plan,
                libraries: preparing.libraries(g.libs.clone(), None)?,
            });
            artifacts.extend(targets.iter().map(|&target| ArtifactPlan::Go {
                program: program.clone(),
                target,
            }));
        }
        let mut installs = Vec::new();
        for v in &self.vendored {
            let libraries = preparing.libraries(vec![v.name.clone()], Some(v.recipe.clone()))?;
            if let Some(prepared) = &libraries.prepared {
                let strict = preparing.options.strict;
                crate::project::unused_libraries(v, prepared, strict, preparing.ctx.ui)?;
            }
            let install = Arc::new(VendoredArtifact {
                project: (*v).clone(),
                libraries,
            });
            for &target in targets {
                for program in v.programs.iter().filter(|p| self.names.contains(p)) {
                    artifacts.push(ArtifactPlan::Vendored {
                        project: install.clone(),
                        program: program.clone(),
                        target,
                    });
                }
            }
            installs.push(install);
        }
        Ok((artifacts, installs))
    }
}

/// Each artifact's library set, built for every target with the plan's toolchains
/// (not with `--dry-run`); every library reported once in `outcomes`.
struct Preparing<'a> {
    project: &'a Project,
    options: &'a Options,
    toolchains: Vec<crate::toolchain::Toolchain>,
    outcomes: Vec<libs::LibOutcome>,
    ctx: &'a Ctx,
}

impl Preparing<'_> {
    fn libraries(&mut self, names: Vec<String>, vendored: Option<Recipe>) -> Result<Libraries> {
        if names.is_empty() || self.options.dry_run {
            return Ok(Libraries {
                names,
                prepared: None,
            });
        }
        let keep_failed = self.options.keep_failed;
        let request = lib_request(
            self.project,
            names.clone(),
            vendored,
            keep_failed,
            &self.ctx.env,
        );
        libs::check_names(&request)?;
        let prepared = libs::prepare(&request, &self.toolchains, self.ctx)?;
        super::gather(&mut self.outcomes, &prepared);
        Ok(Libraries {
            names,
            prepared: Some(prepared),
        })
    }
}

/// Vendored projects' host tools (their `host-tools`, their `bootstrap` program, and
/// their libraries' recipes') are checked before any work starts, as recipes' are.
fn check_vendored_host_tools(
    project: &Project,
    vendor_recipes: &[Recipe],
    targets: &[Target],
    env: &crate::env::Env,
) -> Result<()> {
    if vendor_recipes.is_empty() {
        return Ok(());
    }
    let mut all = project.libs.clone();
    all.extend(vendor_recipes.iter().cloned());
    let catalog = libs::Catalog::new(all);
    let wanted: Vec<String> = vendor_recipes.iter().map(|r| r.name.clone()).collect();
    // As each target builds them: its own table added (a `bootstrap` given per target
    // names its program there).
    let resolved: Vec<Recipe> = catalog
        .closure(&wanted)?
        .into_iter()
        .flat_map(|recipe| targets.iter().map(move |&t| recipe.for_target(t)))
        .collect();
    libs::host::check_host_tools(&resolved, env)?;
    for recipe in &resolved {
        libs::vendor::check_buildable(recipe)?;
    }
    Ok(())
}

/// The artifacts to build: all, or the named ones (each checked).
fn selected(project: &Project, names: &[String]) -> Result<Vec<String>> {
    let all = project.artifact_names();
    for name in names {
        if !all.contains(name) {
            let hint = crate::project::config::suggest(name, all.iter().map(String::as_str))
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            return Err(Error::usage(
                format!(
                    "`{}` builds no artifact named `{name}`",
                    project.file.display()
                ),
                format!("{hint}the artifacts are: {}", all.join(", ")),
            ));
        }
    }
    Ok(all
        .into_iter()
        .filter(|n| names.is_empty() || names.contains(n))
        .collect())
}

fn targets(project: &Project, options: &Options) -> Result<Vec<Target>> {
    if !options.targets.is_empty() {
        return Ok(options.targets.clone());
    }
    if !project.targets.is_empty() {
        return Ok(project.targets.clone());
    }
    Ok(vec![Target::host().ok_or_else(|| {
        Error::usage(
            "this machine's architecture is not a muslbuild target",
            "set `targets` in [project], or give --target",
        )
    })?])
}

/// Every selected Go program read and its flags checked, before anything is built.
fn go_programs(
    project: &Project,
    names: &[String],
    targets: &[Target],
    options: &Options,
    ctx: &Ctx,
) -> Result<Vec<go::GoPlan>> {
    let mut plans = Vec::new();
    for g in project.go.iter().filter(|g| names.contains(&g.name)) {
        let mut program = go::package(std::slice::from_ref(&g.package), &project.root)?;
        program.name = g.name.clone();
        let options = go::GoOptions {
            ldflags: g.ldflags.clone(),
            tags: g.tags.clone(),
            offline: options.offline || ctx.env.offline(),
            no_strip: !g.strip,
            cgo: g.cgo.then(go::CgoFlags::default),
            ..go::GoOptions::default()
        };
        let plan = go::plan(program, options, targets[0], ctx)?;
        for &target in targets {
            plan.go.check_supports(target)?;
        }
        plans.push(plan);
    }
    Ok(plans)
}
