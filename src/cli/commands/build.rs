//! `muslbuild FILE…`: C sources, or one Go command, built for every target into `dist/`,
//! optionally run. Everything is checked (inputs, names, flags, toolchains, libraries)
//! before `dist/` is touched.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::print::{Printer, display_path};
use crate::cli::{BuildArgs, checks};
use crate::context::Ctx;
use crate::dist::{Artifact, Dist};
use crate::error::{Error, Result};
use crate::go;
use crate::libs::{self, commands::LibOptions};
use crate::pipeline::Built;
use crate::pipeline::c::{self as c_pipeline, CBuild, CProgram};
use crate::run::{RunOutcome, run_artifact};
use crate::space::human_size;
use crate::target::Target;
use crate::toolchain;

type TargetResults = Vec<(Target, Result<Built>)>;

pub(crate) fn run(args: &BuildArgs, out: &mut Printer, ctx: &Ctx) -> Result<()> {
    if !args.run && !args.run_args.is_empty() {
        return Err(Error::usage(
            "arguments after `--` are for --run, which was not given",
            "add --run to run each artifact with them",
        ));
    }
    checks::sbom_supplier(args.sbom_supplier.as_deref())?;
    let targets = checks::targets(&args.targets)?;
    let mut request = checks::toolchain_request(&args.toolchain)?;
    let is_go = args
        .inputs
        .first()
        .is_some_and(|input| go::is_go_input(input, &ctx.env.cwd));
    let lib_options = checks::lib_options(&args.libs, &[]);
    if is_go && !lib_options.is_empty() && !args.cgo {
        return Err(Error::usage(
            "--lib, --vendor-lib and --lib-file build C libraries, which only the C part of a Go program (cgo) can link",
            "add --cgo if the program calls C through `import \"C\"`",
        ));
    }
    if is_go && !args.cgo && lib_options.kernel_headers.is_some() {
        return Err(Error::usage(
            "--kernel-headers is for C compiles, and a Go program without cgo compiles no C",
            "add --cgo if the program calls C through `import \"C\"`, or drop --kernel-headers",
        ));
    }
    lib_options.pin_kernel_headers(&mut request, &targets, ctx)?;
    let (dist, results, libraries) = if is_go {
        build_go(args, &targets, &request, &lib_options, ctx)?
    } else {
        build_c(args, &targets, &request, &lib_options, ctx)?
    };
    let mut built: Vec<Built> = Vec::new();
    let mut errors = Vec::new();
    for (_, result) in results {
        match result {
            Ok(b) => built.push(b),
            Err(e) => errors.push(e),
        }
    }
    let artifacts: Vec<Artifact> = built.iter().map(|b| b.artifact.clone()).collect();
    dist.record(&artifacts)?;
    for b in &built {
        out.line(format_args!(
            "{:<24} {:>9}  {}  ({})",
            display_path(&ctx.env, &b.path),
            human_size(b.artifact.size),
            b.toolchain,
            describe_verification(&b.artifact)
        ))?;
    }
    let mut runs = Vec::new();
    if args.run && errors.is_empty() {
        for b in &built {
            let outcome = run_artifact(&b.path, b.target, &args.run_args, ctx)?;
            out.line(run_lines(&ctx.env, b, &outcome))?;
            runs.push(outcome);
        }
    }
    if out.is_json() {
        out.json(&BuildReport::new(&built, &runs, libraries.as_ref()))?;
    }
    ctx.ui.first_of(errors)?;
    match built.iter().zip(&runs).find(|(_, o)| !o.success()) {
        Some((b, outcome)) => Err(Error::Run {
            target: b.target,
            path: b.path.clone(),
            outcome: outcome.status.clone(),
        }),
        None => Ok(()),
    }
}

#[derive(Serialize)]
struct BuildReport<'a> {
    artifacts: Vec<ArtifactReport<'a>>,
    /// `--lib`: each library per target, built or taken from the cache.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    libraries: &'a [libs::LibOutcome],
}

#[derive(Serialize)]
struct ArtifactReport<'a> {
    #[serde(flatten)]
    artifact: &'a Artifact,
    /// Absolute path of the file.
    file: &'a Path,
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<&'a RunOutcome>,
}

impl<'a> BuildReport<'a> {
    fn new(
        built: &'a [Built],
        runs: &'a [RunOutcome],
        libraries: Option<&'a libs::Prepared>,
    ) -> BuildReport<'a> {
        BuildReport {
            artifacts: built
                .iter()
                .enumerate()
                .map(|(i, b)| ArtifactReport {
                    artifact: &b.artifact,
                    file: &b.path,
                    run: runs.get(i),
                })
                .collect(),
            libraries: libraries.map_or(&[], |p| p.outcomes.as_slice()),
        }
    }
}

/// The libraries `--lib`/`--vendor-lib`/`--lib-file` name, built (or found) for every
/// target before anything reaches `dist/`.
fn prepare_libraries(
    options: &LibOptions,
    targets: &[Target],
    request: &toolchain::ToolchainRequest,
    ctx: &Ctx,
) -> Result<Option<libs::Prepared>> {
    if options.is_empty() {
        return Ok(None);
    }
    libs::check_sources_at_hand(&options.request(&ctx.env)?, targets, ctx)?;
    let toolchains = checks::resolve_all(targets, request, ctx)?;
    libs::commands::prepare_programs(options, &toolchains, ctx)
}

fn build_c(
    args: &BuildArgs,
    targets: &[Target],
    request: &toolchain::ToolchainRequest,
    lib_options: &LibOptions,
    ctx: &Ctx,
) -> Result<(Dist, TargetResults, Option<libs::Prepared>)> {
    let sources = c_sources(&args.inputs, ctx)?;
    let program = c_program(args, sources, ctx)?;
    let libraries = prepare_libraries(lib_options, targets, request, ctx)?;
    let dist = Dist::prepare(&checks::absolute(&ctx.env, &args.out_dir), ctx)?
        .with_sbom(
            sbom_plan(args, &program.name, libraries.as_ref(), ctx).map(|mut plan| {
                plan.add_sources(&program.name, &program.sources, &ctx.env.cwd);
                plan
            }),
        )
        .with_path_check(path_check(args, ctx));
    let results = c_pipeline::build_c(
        &CBuild {
            program: &program,
            targets,
            toolchain: request,
            bypass_cache: false,
            libraries: libraries.as_ref(),
        },
        &dist,
        ctx,
    );
    Ok((dist, results, libraries))
}

/// Every input must exist and be a C source.
fn c_sources(inputs: &[PathBuf], ctx: &Ctx) -> Result<Vec<PathBuf>> {
    if inputs.is_empty() {
        return Err(Error::usage(
            "nothing to build: no input files given",
            "give C sources, e.g. `muslbuild --target aarch64 hello.c`; `muslbuild --help` lists the commands",
        ));
    }
    let mut sources = Vec::new();
    for input in inputs {
        let path = checks::absolute(&ctx.env, input);
        if !path.exists() {
            return Err(Error::MissingSource {
                path: input.clone(),
            });
        }
        if path.is_dir() || path.extension().is_none_or(|e| e != "c") {
            return Err(Error::NotCSource {
                path: input.clone(),
            });
        }
        sources.push(path);
    }
    Ok(sources)
}

fn c_program(args: &BuildArgs, sources: Vec<PathBuf>, ctx: &Ctx) -> Result<CProgram> {
    let env = &ctx.env;
    let name = match &args.output {
        Some(name) => checks::output_name(name)?,
        None => checks::derived_name(utf8_stem(&sources[0])?)?,
    };
    let mut cflags = env.flags("CFLAGS");
    cflags.extend(checks::split_flags(&args.cflags, "--cflags")?);
    let mut ldflags = env.flags("LDFLAGS");
    ldflags.extend(checks::split_flags(&args.ldflags, "--ldflags")?);
    let mut prefix_maps = vec![env.cwd.clone()];
    for source in &sources {
        let dir = source
            .parent()
            .expect("absolute path has a parent")
            .to_path_buf();
        if !prefix_maps.contains(&dir) {
            prefix_maps.push(dir);
        }
    }
    Ok(CProgram {
        name,
        sources,
        include_dirs: args
            .include
            .iter()
            .map(|p| checks::absolute(env, p))
            .collect(),
        defines: args.define.clone(),
        lib_dirs: args
            .lib_dir
            .iter()
            .map(|p| checks::absolute(env, p))
            .collect(),
        libs: args.link.clone(),
        cflags,
        ldflags,
        strip: !args.no_strip,
        prefix_maps,
        source_date_epoch: env.source_date_epoch(),
    })
}

fn utf8_stem(source: &Path) -> Result<&str> {
    let stem = source.file_stem().expect("a .c file has a stem");
    stem.to_str().ok_or_else(|| {
        Error::usage(
            format!(
                "`{}` makes no artifact name: it is not valid UTF-8",
                stem.to_string_lossy()
            ),
            "name the executable with -o NAME",
        )
    })
}

/// A Go command: the package, flags and Go itself are checked before `dist/` is touched.
fn build_go(
    args: &BuildArgs,
    targets: &[Target],
    request: &toolchain::ToolchainRequest,
    lib_options: &LibOptions,
    ctx: &Ctx,
) -> Result<(Dist, TargetResults, Option<libs::Prepared>)> {
    let env = &ctx.env;
    let mut program = go::package(&args.inputs, &env.cwd)?;
    program.name = checks::artifact_name(args.output.as_deref(), &program.name)?;
    let c_flags_given = !args.include.is_empty()
        || !args.define.is_empty()
        || !args.lib_dir.is_empty()
        || !args.link.is_empty()
        || !args.cflags.is_empty();
    if c_flags_given && !args.cgo {
        return Err(Error::usage(
            "-I, -D, -L, -l and --cflags only apply to the C part of a Go program",
            "add --cgo if the program contains C (import \"C\"); pure Go needs none of them",
        ));
    }
    let cgo = if args.cgo {
        let mut cflags: Vec<String> = args.define.iter().map(|d| format!("-D{d}")).collect();
        cflags.extend(checks::split_flags(&args.cflags, "--cflags")?);
        Some(go::CgoFlags {
            include_dirs: args
                .include
                .iter()
                .map(|p| checks::absolute(env, p))
                .collect(),
            lib_dirs: args
                .lib_dir
                .iter()
                .map(|p| checks::absolute(env, p))
                .collect(),
            libs: args.link.clone(),
            cflags,
            ldflags: Vec::new(),
        })
    } else {
        None
    };
    let options = go::GoOptions {
        go: args.toolchain.go.clone(),
        ldflags: args.ldflags.clone(),
        tags: args.tags.clone(),
        go_args: go_args(&args.goflags)?,
        offline: ctx.net.offline,
        no_strip: args.no_strip,
        cgo,
    };
    let plan = go::plan(program, options, targets[0], ctx)?;
    // cgo's C libraries (`--lib`), per target, before anything reaches dist/.
    let libraries = if args.cgo {
        prepare_libraries(lib_options, targets, request, ctx)?
    } else {
        None
    };
    let dist = Dist::prepare(&checks::absolute(env, &args.out_dir), ctx)?
        .with_sbom(sbom_plan(args, &plan.program.name, libraries.as_ref(), ctx))
        .with_path_check(path_check(args, ctx));
    let on = go::GoTargets {
        targets,
        toolchain: request,
        libraries: libraries.as_ref(),
        bypass_cache: false,
    };
    let results = go::build_all(&plan, &on, &dist, ctx);
    Ok((dist, results, libraries))
}

/// `--goflags` values split the way `go` splits `$GOFLAGS`.
fn go_args(values: &[String]) -> Result<Vec<String>> {
    let mut args = Vec::new();
    for value in values {
        args.extend(go::go_split(value).ok_or_else(|| {
            Error::usage(
                format!("--goflags `{value}` has an unbalanced quote"),
                "quote values with spaces: --goflags \"-gcflags='all=-N -l'\"",
            )
        })?);
    }
    Ok(args)
}

fn run_lines(env: &crate::env::Env, built: &Built, outcome: &RunOutcome) -> String {
    let how = match &outcome.runner {
        Some(qemu) => format!(
            " under {}",
            qemu.file_name().unwrap_or_default().to_string_lossy()
        ),
        None => String::new(),
    };
    let mut text = format!(
        "run {}{how}: {}",
        display_path(env, &built.path),
        outcome.status
    );
    for line in outcome.stdout.lines() {
        text += &format!("\n  | {line}");
    }
    for line in outcome.stderr.lines() {
        text += &format!("\n  ! {line}");
    }
    text
}

fn describe_verification(artifact: &Artifact) -> String {
    let v = &artifact.verification;
    let linking = if v.static_pie { "static-pie" } else { "static" };
    let symbols = if v.stripped {
        "stripped"
    } else {
        "not stripped"
    };
    format!("{} {linking}, {symbols}", v.machine)
}

/// What the SBOMs say of the libraries linked; `None` with `--no-sbom`.
fn sbom_plan(
    args: &BuildArgs,
    name: &str,
    libraries: Option<&libs::Prepared>,
    ctx: &Ctx,
) -> Option<crate::sbom::Plan> {
    if args.no_sbom {
        return None;
    }
    let mut plan = crate::sbom::Plan::new(ctx.env.source_date_epoch());
    plan.command = ctx.env.portable_command_line();
    plan.supplier = args.sbom_supplier.clone();
    if let Some(prepared) = libraries {
        plan.add(name, prepared.components());
    }
    Some(plan)
}

/// The folders no artifact of a build in this folder should name, and `--strict`.
fn path_check(args: &BuildArgs, ctx: &Ctx) -> crate::verify::paths::PathCheck {
    crate::verify::paths::PathCheck::of_machine(
        &ctx.env,
        ctx.cache.root(),
        &ctx.env.cwd,
        args.strict,
    )
}
