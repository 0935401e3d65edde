//! `muslbuild FILE…`: C sources, or one Go command, built for every target into `dist/`,
//! optionally run. Everything is checked (inputs, names, flags, toolchains, libraries)
//! before `dist/` is touched.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::print::{Printer, display_path};
use crate::cli::{BuildArgs, checks};
use crate::context::Ctx;
use crate::dist_folder::Artifact;
use crate::error::{Error, Result};
use crate::libs;
use crate::pipeline::Built;
use crate::pipeline::c::{self as c_pipeline, CProgram};
use crate::pipeline::go;
use crate::plan::BuildPlan;
use crate::plan::describe::Description;
use crate::plan::single::{self, Program};
use crate::run::{RunOutcome, run_artifact};
use crate::space::human_size;
use crate::target::Target;

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
    let program = match is_go {
        true => Program::Go(go_program(args, &targets, ctx)?),
        false => Program::C(c_program(args, c_sources(&args.inputs, ctx)?, ctx)?),
    };
    let plan = BuildPlan::from_args(
        single::Args {
            program,
            targets,
            request,
            libs: lib_options,
            out_dir: checks::absolute(&ctx.env, &args.out_dir),
            no_sbom: args.no_sbom,
            sbom_supplier: args.sbom_supplier.clone(),
            strict: args.strict,
            dry_run: args.dry_run,
        },
        ctx,
    )?;
    if args.dry_run {
        let plan = Description::of(&plan);
        return out.report(&plan, || plan.human(|p| display_path(&ctx.env, p)));
    }
    let executed = crate::plan::execute(&plan, ctx)?;
    let built: Vec<Built> = executed.built.into_iter().map(|(_, b)| b).collect();
    let errors = executed.errors;
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
        out.json(&BuildReport::new(&built, &runs, &plan.libraries))?;
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
        libraries: &'a [libs::LibOutcome],
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
            libraries,
        }
    }
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
    let prefix_maps = c_pipeline::prefix_maps(&env.cwd, &sources);
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
fn go_program(args: &BuildArgs, targets: &[Target], ctx: &Ctx) -> Result<go::GoPlan> {
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
    go::plan(program, options, targets[0], ctx)
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
