//! `muslbuild build`: everything a `muslbuild.toml` describes, for every target, through
//! the same pipelines as single builds (`pipeline::c`, `go`, and the shared tail for
//! vendored programs), then the image (`image`). The whole file is checked (`config`)
//! before anything is built; `--check-reproducible` builds a second time into a
//! temporary folder, without the build cache, and compares. `init` writes a starter file.

pub(crate) mod config;
mod image;
mod init;
mod report;
mod vendor;

use std::path::{Path, PathBuf};

use crate::cache::Cache;
use crate::context::Ctx;
use crate::dist::{Artifact, Dist};
use crate::error::{Error, Result};
use crate::go;
use crate::libs::{self, Recipe};
use crate::pipeline::Built;
use crate::pipeline::c::{self, CBuild};
use crate::target::Target;
use crate::toolchain::{self, Choice};
use config::Project;
pub(crate) use image::image;
pub(crate) use init::init;
pub(crate) use report::{ArtifactKind, ArtifactReport, Freshness, Report, Reproducibility};
use vendor::{lib_request, unused_libraries};

/// How `muslbuild build` was asked to run, over what the file says.
#[derive(Clone, Debug, Default)]
pub(crate) struct Options {
    /// Only these artifacts (and no image); empty means everything.
    pub(crate) names: Vec<String>,
    /// Replaces `[project] targets` when not empty.
    pub(crate) targets: Vec<Target>,
    /// Replaces `[project] toolchain`.
    pub(crate) toolchain: Option<String>,
    pub(crate) cc: Option<String>,
    /// Replaces `[project] kernel-headers` (`toolchain`: each toolchain's own).
    pub(crate) kernel_headers: Option<String>,
    pub(crate) check_reproducible: bool,
    /// `--offline`: Go downloads no modules either.
    pub(crate) offline: bool,
    /// `--keep-failed`: a failed library or vendored build keeps its tree.
    pub(crate) keep_failed: bool,
    /// `--strict`: a declared library no vendored program uses, or an artifact naming a
    /// build-machine folder, is an error.
    pub(crate) strict: bool,
    /// `--no-sbom`: no SBOMs, whatever the file says.
    pub(crate) no_sbom: bool,
    /// `--sbom-supplier`, checked.
    pub(crate) sbom_supplier: Option<String>,
}

/// `muslbuild build` in `project_file`'s folder.
pub(crate) fn run(project_file: &Path, options: &Options, ctx: &Ctx) -> Result<Report> {
    let project = config::load(project_file)?;
    for warning in &project.warnings {
        ctx.ui.warn(warning);
    }
    if let Some(remote) = &project.remote_cache {
        ctx.use_remote_cache(remote.clone())?;
    }
    ctx.check_remote_cache_required()?;
    let report = build(&project, options, &project.out_dir, false, ctx)?;
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
    // are shared: installed toolchains and verified source archives.
    let fresh = ctx.with_cache_at(fresh_cache_root(&ctx.cache, temp.path())?);
    let second = build(&project, options, &temp.path().join("dist"), true, &fresh)?;
    let differences = compare(&report, &second);
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

/// A cache under `dir` whose `toolchains/` and `sources/` are the user's (installed
/// toolchains; verified, content-addressed archives) and everything else is empty.
fn fresh_cache_root(cache: &Cache, dir: &Path) -> Result<PathBuf> {
    let root = dir.join("cache");
    std::fs::create_dir_all(&root).map_err(Error::io("cannot create", &root))?;
    for shared in ["toolchains", "sources"] {
        let original = cache.dir(shared);
        std::fs::create_dir_all(&original).map_err(Error::io("cannot create", &original))?;
        let link = root.join(shared);
        std::os::unix::fs::symlink(&original, &link).map_err(Error::io("cannot create", &link))?;
    }
    Ok(root)
}

fn compare(first: &Report, second: &Report) -> Vec<String> {
    let mut differences = Vec::new();
    for a in &first.artifacts {
        let other = second
            .artifacts
            .iter()
            .find(|b| b.artifact.path == a.artifact.path);
        if other.is_none_or(|b| b.artifact.sha256 != a.artifact.sha256) {
            differences.push(a.artifact.path.clone());
        }
    }
    if let (Some(a), Some(b)) = (&first.image, &second.image)
        && a.digest != b.digest
    {
        differences.push("image index".into());
    }
    differences
}

/// The artifacts to build: all, or the named ones (each checked).
fn selected(project: &Project, names: &[String]) -> Result<Vec<String>> {
    let all = project.artifact_names();
    for name in names {
        if !all.contains(name) {
            let hint = config::suggest(name, all.iter().map(String::as_str))
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
    let targets = if !options.targets.is_empty() {
        options.targets.clone()
    } else if !project.targets.is_empty() {
        project.targets.clone()
    } else {
        vec![Target::host().ok_or_else(|| {
            Error::usage(
                "this machine's architecture is not a muslbuild target",
                "set `targets` in [project], or give --target",
            )
        })?]
    };
    Ok(targets)
}

fn build(
    project: &Project,
    options: &Options,
    out_dir: &Path,
    bypass_cache: bool,
    ctx: &Ctx,
) -> Result<Report> {
    let env = &ctx.env;
    let names = selected(project, &options.names)?;
    let targets = targets(project, options)?;
    let choice: Choice = match &options.toolchain {
        Some(flag) => flag.parse()?,
        // A compiler path in the file is relative to the file's folder.
        None => match project.toolchain.parse()? {
            Choice::Path(path) => Choice::Path(project.root.join(path)),
            other => other,
        },
    };
    // Kernel headers only matter where C is compiled: a Go-only project needs none.
    let compiles_c = project.c.iter().any(|c| names.contains(&c.program.name))
        || project
            .vendor
            .iter()
            .any(|v| v.programs.iter().any(|p| names.contains(p)))
        || project.go.iter().any(|g| names.contains(&g.name) && g.cgo);
    let kernel_headers = match compiles_c {
        true => options.kernel_headers.as_deref(),
        false => Some(libs::kheaders::TOOLCHAIN_OWN),
    };
    let request = vendor::toolchain_request(
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
            .map(|spec| image::image_spec(project, spec, &targets))
            .map(|mut spec| {
                spec.no_sbom |= options.no_sbom;
                spec
            })
    } else {
        None
    };
    // Vendored projects' host tools (their `host-tools`, their `bootstrap` program, and
    // their libraries' recipes') are checked before any work starts, as recipes' are.
    let vendor_recipes: Vec<Recipe> = project
        .vendor
        .iter()
        .filter(|v| v.programs.iter().any(|p| names.contains(p)))
        .map(|v| v.recipe.clone())
        .collect();
    if !vendor_recipes.is_empty() {
        let mut all = project.libs.clone();
        all.extend(vendor_recipes.iter().cloned());
        let catalog = libs::Catalog::new(all);
        let wanted: Vec<String> = vendor_recipes.iter().map(|r| r.name.clone()).collect();
        // As each target builds them: its own table added (a `bootstrap` given per
        // target names its program there).
        let resolved: Vec<Recipe> = catalog
            .closure(&wanted)?
            .into_iter()
            .flat_map(|recipe| targets.iter().map(|&t| recipe.for_target(t)))
            .collect();
        libs::host::check_host_tools(&resolved, env)?;
        for recipe in &resolved {
            libs::vendor::check_buildable(recipe)?;
        }
    }
    let go_programs = go_programs(project, &names, &targets, options, ctx)?;
    // Libraries and vendored projects first, for every target, before anything reaches
    // dist/: a prefix that is already built costs a completion check.
    let wants_toolchains = project
        .c
        .iter()
        .any(|c| names.contains(&c.program.name) && !c.libs.is_empty())
        || project
            .vendor
            .iter()
            .any(|v| v.programs.iter().any(|p| names.contains(p)))
        || project
            .go
            .iter()
            .any(|g| names.contains(&g.name) && !g.libs.is_empty());
    if wants_toolchains {
        // Offline, a library source nobody can have is said before any toolchain is
        // looked for (a cold zig's probes take minutes).
        let mut wanted: Vec<String> = Vec::new();
        for c in project.c.iter().filter(|c| names.contains(&c.program.name)) {
            wanted.extend(c.libs.iter().cloned());
        }
        for g in project.go.iter().filter(|g| names.contains(&g.name)) {
            wanted.extend(g.libs.iter().cloned());
        }
        wanted.extend(vendor_recipes.iter().map(|r| r.name.clone()));
        wanted.sort();
        wanted.dedup();
        let mut request = lib_request(project, wanted, None, options.keep_failed, env);
        request.vendored.extend(vendor_recipes.iter().cloned());
        libs::check_sources_at_hand(&request, &targets, ctx)?;
    }
    let toolchains = if wants_toolchains {
        targets
            .iter()
            .map(|&t| toolchain::resolve(t, &request, ctx))
            .collect::<Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    let mut libraries: Vec<libs::LibOutcome> = Vec::new();
    // One library set built for every target; each library is reported once.
    let mut prepare = |names: Vec<String>, vendored: Option<libs::Recipe>| {
        let request = lib_request(project, names, vendored, options.keep_failed, env);
        libs::check_names(&request)?;
        let prepared = libs::prepare(&request, &toolchains, ctx)?;
        for o in &prepared.outcomes {
            if !libraries
                .iter()
                .any(|l| l.name == o.name && l.target == o.target)
            {
                libraries.push(o.clone());
            }
        }
        Ok::<_, Error>(prepared)
    };
    let mut c_libraries: Vec<Option<libs::Prepared>> = Vec::new();
    for c in &project.c {
        if !names.contains(&c.program.name) || c.libs.is_empty() {
            c_libraries.push(None);
            continue;
        }
        c_libraries.push(Some(prepare(c.libs.clone(), None)?));
    }
    // cgo's C libraries, per Go program and target.
    let mut go_libraries: Vec<Option<libs::Prepared>> = Vec::new();
    for plan in &go_programs {
        let g = project
            .go
            .iter()
            .find(|g| g.name == plan.program.name)
            .expect("planned from the project");
        if g.libs.is_empty() {
            go_libraries.push(None);
            continue;
        }
        go_libraries.push(Some(prepare(g.libs.clone(), None)?));
    }
    let mut vendor_builds = Vec::new();
    for v in &project.vendor {
        if !v.programs.iter().any(|p| names.contains(p)) {
            continue;
        }
        let prepared = prepare(vec![v.name.clone()], Some(v.recipe.clone()))?;
        unused_libraries(v, &prepared, options.strict, ctx.ui)?;
        vendor_builds.push((v, prepared));
    }

    // Every platform's image files besides the artifacts (a vendored file is known only
    // now that its project is installed) are checked before dist/ is touched.
    let vendor_roots = vendor::vendor_roots(&vendor_builds);
    let vendor_paths = |name: &str, target: Target, source: &str| {
        vendor::vendor_installed_path(&vendor_roots, name, target, source)
    };
    let extras_key = match &image_spec {
        Some(spec) => crate::image::check_extras(spec, &targets, &vendor_paths, env)?,
        None => String::new(),
    };

    let sbom = (project.sbom && !options.no_sbom).then(|| {
        let mut plan = crate::sbom::Plan::new(ctx.env.source_date_epoch());
        plan.command = ctx.env.portable_command_line();
        plan.supplier = options.sbom_supplier.clone();
        for (c, prepared) in project.c.iter().zip(&c_libraries) {
            plan.add(&c.program.name, prepared_components(prepared.as_ref()));
            plan.add_sources(&c.program.name, &c.program.sources, &project.root);
        }
        for (v, prepared) in &vendor_builds {
            for program in &v.programs {
                plan.add(program, vendor::program_components(v, prepared, program));
            }
        }
        for (g, prepared) in go_programs.iter().zip(&go_libraries) {
            plan.add(&g.program.name, prepared_components(prepared.as_ref()));
        }
        plan
    });
    let project_root = ctx.env.cwd.join(&project.root);
    let dist = Dist::prepare(out_dir, ctx)?
        .with_sbom(sbom)
        .with_path_check(crate::verify::paths::PathCheck::of_machine(
            env,
            ctx.cache.root(),
            &project_root,
            options.strict,
        ));
    let mut reports = Vec::new();
    let mut errors = Vec::new();
    let mut keep = |kind: ArtifactKind, results: Vec<(Target, Result<Built>)>| {
        for (_, result) in results {
            match result {
                Ok(b) => reports.push(ArtifactReport {
                    kind,
                    state: if b.cached {
                        Freshness::Cached
                    } else {
                        Freshness::Built
                    },
                    artifact: b.artifact,
                    file: b.path,
                }),
                Err(e) => errors.push(e),
            }
        }
    };
    for (c, prepared) in project.c.iter().zip(&c_libraries) {
        if !names.contains(&c.program.name) {
            continue;
        }
        let mut program = c.program.clone();
        program.source_date_epoch = env.source_date_epoch();
        let results = c::build_c(
            &CBuild {
                program: &program,
                targets: &targets,
                toolchain: &request,
                bypass_cache,
                libraries: prepared.as_ref(),
            },
            &dist,
            ctx,
        );
        keep(ArtifactKind::C, results);
    }
    for (plan, libraries) in go_programs.iter().zip(&go_libraries) {
        let on = go::GoTargets {
            targets: &targets,
            toolchain: &request,
            libraries: libraries.as_ref(),
            bypass_cache,
        };
        keep(ArtifactKind::Go, go::build_all(plan, &on, &dist, ctx));
    }
    for (v, prepared) in &vendor_builds {
        for tc in &toolchains {
            let results = v
                .programs
                .iter()
                .filter(|p| names.contains(p))
                .map(|program| {
                    let built = vendor::install_vendored(v, program, tc, prepared, &dist, ctx);
                    (tc.target, built)
                })
                .collect();
            keep(ArtifactKind::Vendor, results);
        }
    }
    let artifacts: Vec<Artifact> = reports.iter().map(|r| r.artifact.clone()).collect();
    dist.record(&artifacts)?;
    ctx.ui.first_of(errors)?;

    let image = match image_spec {
        Some(mut spec) => {
            if out_dir != project.out_dir {
                // The comparison build writes its image beside its own artifacts.
                spec.oci_layout = Some(out_dir.join("image"));
                spec.oci_archive = None;
            }
            Some(image::make_image(
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
    Ok(Report {
        project: project.file.clone(),
        out_dir: out_dir.to_path_buf(),
        targets,
        artifacts: reports,
        image,
        libraries,
        reproducible: None,
    })
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

fn prepared_components(
    prepared: Option<&libs::Prepared>,
) -> Vec<(Target, Vec<crate::sbom::Component>)> {
    prepared.map(libs::Prepared::components).unwrap_or_default()
}
