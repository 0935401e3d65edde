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
use crate::project::config::Project;
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
    vendor_roots: BTreeMap<(String, Target), PathBuf>,
    extras_key: String,
}

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
    crate::error::first_of(executed.errors)?;
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
        let names = selected(project, &options.names)?;
        let targets = targets(project, options)?;
        let c: Vec<_> = project
            .c
            .iter()
            .filter(|c| names.contains(&c.program.name))
            .collect();
        let go_decls: Vec<_> = project
            .go
            .iter()
            .filter(|g| names.contains(&g.name))
            .collect();
        let vendored: Vec<_> = project
            .vendor
            .iter()
            .filter(|v| v.programs.iter().any(|p| names.contains(p)))
            .collect();
        // Kernel headers only matter where C is compiled: a Go-only project needs none.
        let compiles_c = !c.is_empty() || !vendored.is_empty() || go_decls.iter().any(|g| g.cgo);
        let kernel_headers = match compiles_c {
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
        let image_spec = if options.names.is_empty() {
            project
                .image
                .clone()
                .map(|spec| crate::project::image_spec(project, spec, &targets))
                .map(|mut spec| {
                    spec.no_sbom |= options.no_sbom;
                    spec
                })
        } else {
            None
        };
        let vendor_recipes: Vec<Recipe> = vendored.iter().map(|v| v.recipe.clone()).collect();
        check_vendored_host_tools(project, &vendor_recipes, &targets, env)?;
        let go_plans = go_programs(project, &names, &targets, options, ctx)?;
        // Libraries and vendored projects first, for every target, before anything
        // reaches dist/: a prefix that is already built costs a completion check.
        let mut wanted: Vec<String> = Vec::new();
        for c in &c {
            wanted.extend(c.libs.iter().cloned());
        }
        for g in &go_decls {
            wanted.extend(g.libs.iter().cloned());
        }
        wanted.extend(vendor_recipes.iter().map(|r| r.name.clone()));
        wanted.sort();
        wanted.dedup();
        if !wanted.is_empty() {
            // Offline, a library source nobody can have is said before any toolchain is
            // looked for (a cold zig's probes take minutes).
            let mut request = lib_request(project, wanted.clone(), None, options.keep_failed, env);
            request.vendored.extend(vendor_recipes.iter().cloned());
            libs::check_sources_at_hand(&request, &targets, ctx)?;
        }
        let toolchains = match compiles_c {
            true => Toolchains::resolve(&targets, &request, ctx),
            false => Toolchains::none(),
        };
        let lib_toolchains = match wanted.is_empty() || options.dry_run {
            true => Vec::new(),
            false => toolchains.all()?,
        };
        let mut libraries: Vec<libs::LibOutcome> = Vec::new();
        // One library set per artifact, built for every target; each library is
        // reported once.
        let mut prepare = |names: Vec<String>, vendored: Option<Recipe>| -> Result<Libraries> {
            if names.is_empty() || options.dry_run {
                return Ok(Libraries {
                    names,
                    prepared: None,
                });
            }
            let request = lib_request(project, names.clone(), vendored, options.keep_failed, env);
            libs::check_names(&request)?;
            let prepared = libs::prepare(&request, &lib_toolchains, ctx)?;
            super::gather(&mut libraries, &prepared);
            Ok(Libraries {
                names,
                prepared: Some(prepared),
            })
        };
        let mut artifacts = Vec::new();
        for c in &c {
            let mut program = c.program.clone();
            program.source_date_epoch = env.source_date_epoch();
            let program = Arc::new(CArtifact {
                program,
                libraries: prepare(c.libs.clone(), None)?,
            });
            artifacts.extend(targets.iter().map(|&target| ArtifactPlan::C {
                program: program.clone(),
                target,
            }));
        }
        for (plan, g) in go_plans.into_iter().zip(&go_decls) {
            let program = Arc::new(GoArtifact {
                plan,
                libraries: prepare(g.libs.clone(), None)?,
            });
            artifacts.extend(targets.iter().map(|&target| ArtifactPlan::Go {
                program: program.clone(),
                target,
            }));
        }
        let mut installs = Vec::new();
        for v in &vendored {
            let libraries = prepare(vec![v.name.clone()], Some(v.recipe.clone()))?;
            if let Some(prepared) = &libraries.prepared {
                crate::project::unused_libraries(v, prepared, options.strict, ctx.ui)?;
            }
            let project = Arc::new(VendoredArtifact {
                project: (*v).clone(),
                libraries,
            });
            for &target in &targets {
                for program in v.programs.iter().filter(|p| names.contains(p)) {
                    artifacts.push(ArtifactPlan::Vendored {
                        project: project.clone(),
                        program: program.clone(),
                        target,
                    });
                }
            }
            installs.push(project);
        }
        // Every platform's image files besides the artifacts (a vendored file is known
        // only now that its project is installed) are checked before dist/ is touched.
        let vendor_roots = vendor_roots(
            installs
                .iter()
                .filter_map(|v| Some((&v.project, v.libraries.prepared.as_ref()?))),
        );
        let vendor_paths = |name: &str, target: Target, source: &str| {
            crate::project::vendor_installed_path(&vendor_roots, name, target, source)
        };
        let extras_key = match (&image_spec, options.dry_run) {
            (Some(spec), false) => crate::image::check_extras(spec, &targets, &vendor_paths, env)?,
            _ => String::new(),
        };
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
            libraries,
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
