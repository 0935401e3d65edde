//! Turns a parsed command line into work and prints the results. Human output goes to
//! stdout (one line per artifact), progress and errors to stderr, `--json` replaces the
//! human output with one JSON document on stdout.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cache::Cache;
use crate::cli::{
    BuildArgs, Cli, Command, GlobalArgs, LibArgs, LibCommand, ProjectArgs, TargetArgs,
    ToolchainArgs, ToolchainCommand, ToolchainInstallArgs, ToolchainManifestArgs,
    ToolchainRemoveArgs, VerifyArgs,
};
use crate::context::Ctx;
use crate::dist::{Artifact, Dist};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::go;
use crate::jobs::Jobs;
use crate::libs::{self, commands::LibOptions};
use crate::pipeline::Built;
use crate::pipeline::c::{self as build, CBuild, CProgram};
use crate::run::{RunOutcome, run_artifact};
use crate::sys::download;
use crate::sys::ui::human_size;
use crate::sys::ui::{Ui, Verbosity};
use crate::target::Target;
use crate::toolchain::install::{self as toolchain_install, InstallOptions};
use crate::toolchain::manifest::{ManifestProvider, Want};
use crate::toolchain::{self, Choice, Verdict};
use crate::toolchain::{doctor as toolchain_doctor, installed as toolchain_installed};
use crate::verify;

pub fn run(cli: Cli, env: Env) -> Result<()> {
    let mut settings = download::NetSettings::from_env(&env);
    settings.offline |= cli.global.offline;
    crate::sys::legacy::configure(settings);
    let cache = transitional_ctx(&env, 1).cache;
    cache.sweep_dead_temps();
    cache.check_folders()?;
    match &cli.command {
        Some(Command::Targets) => targets(&cli.global),
        Some(Command::Verify(args)) => verify_files(&cli.global, args, &env),
        Some(Command::Toolchain(ToolchainCommand::List(args))) => {
            toolchain_list(&cli.global, &args.targets, &args.toolchain, &env, &cache)
        }
        Some(Command::Lib(command)) => lib_command(&cli.global, command, &env, &cache),
        Some(Command::Image(args)) => image(&cli.global, args, &env, &cache),
        Some(Command::Build(args)) => build_project(&cli.global, args, &env, &cache),
        Some(Command::Cache(command)) => {
            crate::cli::commands::cache::run(&cli.global, command, &cache)
        }
        Some(Command::Init) => {
            for path in crate::project::init(&env.cwd, transitional_ctx(&env, 1).temps())? {
                if !cli.global.quiet {
                    println!("wrote {}", display_path(&env, &path));
                }
            }
            if !cli.global.quiet {
                println!("next: muslbuild build");
            }
            Ok(())
        }
        Some(Command::Toolchain(ToolchainCommand::Install(args))) => {
            install_toolchains(&cli.global, args, &env, &cache)
        }
        Some(Command::Toolchain(ToolchainCommand::Remove(args))) => {
            remove_toolchains(&cli.global, args, &cache)
        }
        Some(Command::Toolchain(ToolchainCommand::Prune(args))) => {
            prune_toolchains(&cli.global, args, &env, &cache)
        }
        Some(Command::Toolchain(ToolchainCommand::Doctor(args))) => {
            let manifest = toolchain_install::load_manifest(args.manifest.as_deref(), &env)?;
            print!(
                "{}",
                toolchain_doctor::doctor(&manifest, &transitional_ctx(&env, 1))?
            );
            Ok(())
        }
        // `muslbuild` alone in a project folder builds the project.
        None if cli.build.inputs.is_empty() && crate::project::config::find(&env.cwd).is_some() => {
            let args = ProjectArgs {
                file: crate::project::config::FILE_NAME.into(),
                targets: cli.build.targets.targets.clone(),
                jobs: cli.build.jobs,
                ..ProjectArgs::default()
            };
            build_project(&cli.global, &args, &env, &cache)
        }
        None => build_inputs(&cli.global, &cli.build, &env, &cache),
    }
}

fn build_project(global: &GlobalArgs, args: &ProjectArgs, env: &Env, _cache: &Cache) -> Result<()> {
    let file = absolute(env, &args.file);
    if !file.is_file() {
        return Err(Error::usage(
            format!("`{}` does not exist", args.file.display()),
            "run `muslbuild init` to write a starter muslbuild.toml, or point --file at one",
        ));
    }
    let mut targets = Vec::new();
    if !args.targets.is_empty() {
        targets = parse_targets(&TargetArgs {
            targets: args.targets.clone(),
        })?;
    }
    if args.jobs == Some(0) {
        return Err(Error::usage(
            "-j 0 allows no work at all",
            "give -j 1 or more (default: the number of CPUs)",
        ));
    }
    let options = crate::project::Options {
        names: args.names.clone(),
        targets,
        toolchain: args.toolchain.clone(),
        cc: None,
        jobs: args.jobs.unwrap_or_else(Jobs::default_count),
        check_reproducible: args.check_reproducible,
        offline: global.offline,
        keep_failed: args.keep_failed,
        strict: args.strict,
    };
    let ctx = transitional_ctx(env, options.jobs.max(1));
    let report = crate::project::run(&file, &options, &ctx).map_err(|e| match e {
        // Positions read best as the user would type the path: `muslbuild.toml:3:9`.
        Error::Config {
            file,
            line,
            column,
            message,
            help,
        } => Error::Config {
            file: file
                .strip_prefix(&env.cwd)
                .map(Path::to_path_buf)
                .unwrap_or(file),
            line,
            column,
            message,
            help,
        },
        other => other,
    })?;
    if global.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serialises")
        );
    } else if !global.quiet {
        print!("{}", report.human(&env.cwd));
    }
    Ok(())
}

fn lib_options(args: &LibArgs, names: &[String]) -> LibOptions {
    let mut libs = args.libs.clone();
    libs.extend(names.iter().cloned());
    LibOptions {
        libs,
        vendor_libs: args.vendor_libs.clone(),
        lib_files: args.lib_files.clone(),
        source_dirs: args.source_dirs.clone(),
        keep_failed: args.keep_failed,
    }
}

fn job_count(jobs: Option<usize>) -> Result<usize> {
    if jobs == Some(0) {
        return Err(Error::usage(
            "-j 0 allows no work at all",
            "give -j 1 or more (default: the number of CPUs)",
        ));
    }
    Ok(jobs.unwrap_or_else(Jobs::default_count))
}

fn resolve_all(
    targets: &[Target],
    request: &toolchain::ToolchainRequest,
    env: &Env,
    _cache: &Cache,
) -> Result<Vec<toolchain::Toolchain>> {
    let ctx = transitional_ctx(env, 1);
    targets
        .iter()
        .map(|&t| toolchain::resolve(t, request, &ctx))
        .collect()
}

/// `muslbuild lib list|build|env`.
fn lib_command(global: &GlobalArgs, command: &LibCommand, env: &Env, cache: &Cache) -> Result<()> {
    match command {
        LibCommand::List(args) => {
            let text = libs::commands::list(&lib_options(&args.libs, &[]), env)?;
            if !global.quiet {
                print!("{text}");
            }
            Ok(())
        }
        LibCommand::Build(args) => {
            let options = lib_options(&args.libs, &args.names);
            let targets = parse_targets(&args.targets)?;
            let request = toolchain_request(&args.toolchain)?;
            let jobs = job_count(args.jobs)?;
            options.request(env)?;
            let toolchains = resolve_all(&targets, &request, env, cache)?;
            let ctx = transitional_ctx(env, jobs);
            let prepared = libs::commands::build(&options, &toolchains, &ctx)?;
            if global.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&prepared.outcomes).expect("outcomes serialise")
                );
            } else if !global.quiet {
                for o in &prepared.outcomes {
                    println!("{:<8} {:<24} {}", o.target, o.label, o.prefix.display());
                }
            }
            Ok(())
        }
        LibCommand::Env(args) => {
            let options = lib_options(&args.libs, &args.names);
            let targets = parse_targets(&args.targets)?;
            if targets.len() != 1 {
                return Err(Error::usage(
                    "`lib env` prints the variables for one target",
                    "give a single --target (x86_64, aarch64 or armv7)",
                ));
            }
            let request = toolchain_request(&args.toolchain)?;
            let jobs = job_count(args.jobs)?;
            options.request(env)?;
            let toolchain = toolchain::resolve(targets[0], &request, &transitional_ctx(env, 1))?;
            let ctx = transitional_ctx(env, jobs);
            print!("{}", libs::commands::env_lines(&options, &toolchain, &ctx)?);
            Ok(())
        }
    }
}

fn image(global: &GlobalArgs, args: &super::ImageArgs, env: &Env, cache: &Cache) -> Result<()> {
    let _ = cache;
    let report = crate::project::image(&args.overrides(), &transitional_ctx(env, 1))?;
    if global.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serialises")
        );
    } else if !global.quiet {
        print!("{}", report.human());
    }
    Ok(())
}

fn parse_targets(args: &TargetArgs) -> Result<Vec<Target>> {
    let mut targets = Vec::new();
    for value in &args.targets {
        for target in Target::parse_list(value)? {
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
    }
    if targets.is_empty() {
        let host = Target::host().ok_or_else(|| {
            Error::usage(
                "this machine's architecture is not a muslbuild target",
                "choose one with --target x86_64|aarch64|armv7",
            )
        })?;
        targets.push(host);
    }
    Ok(targets)
}

fn toolchain_request(args: &ToolchainArgs) -> Result<toolchain::ToolchainRequest> {
    let choice: Choice = args.toolchain.parse()?;
    if args.cc.is_some() && choice != Choice::Auto {
        return Err(Error::usage(
            "--cc and --toolchain cannot be used together",
            "--cc names one compiler for every target; --toolchain picks a provider (auto, musl-cross, zig, musl-gcc) — give one of them",
        ));
    }
    Ok(toolchain::ToolchainRequest {
        choice,
        cc: args.cc.clone(),
    })
}

fn absolute(env: &Env, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        env.cwd.join(path)
    }
}

/// Checks every input before anything is built: all must exist and be C sources.
fn c_sources(inputs: &[PathBuf], env: &Env) -> Result<Vec<PathBuf>> {
    if inputs.is_empty() {
        return Err(Error::usage(
            "nothing to build: no input files given",
            "give C sources, e.g. `muslbuild --target aarch64 hello.c`; `muslbuild --help` lists the commands",
        ));
    }
    let mut sources = Vec::new();
    for input in inputs {
        let path = absolute(env, input);
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

fn split_flags(values: &[String], what: &str) -> Result<Vec<String>> {
    let mut flags = Vec::new();
    for value in values {
        flags.extend(shlex::split(value).ok_or_else(|| {
            Error::usage(
                format!("{what} `{value}` has an unbalanced quote"),
                "quote flags the way a POSIX shell would",
            )
        })?);
    }
    Ok(flags)
}

fn c_program(args: &BuildArgs, sources: Vec<PathBuf>, env: &Env) -> Result<CProgram> {
    let name = match &args.output {
        Some(name) => output_name(name)?,
        None => {
            let stem = sources[0].file_stem().expect("a .c file has a stem");
            let name = stem.to_str().ok_or_else(|| {
                Error::usage(
                    format!(
                        "`{}` makes no artifact name: it is not valid UTF-8",
                        stem.to_string_lossy()
                    ),
                    "name the executable with -o NAME",
                )
            })?;
            derived_name(name)?
        }
    };
    let mut cflags = env.flags("CFLAGS");
    cflags.extend(split_flags(&args.cflags, "--cflags")?);
    let mut ldflags = env.flags("LDFLAGS");
    ldflags.extend(split_flags(&args.ldflags, "--ldflags")?);
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
        include_dirs: args.include.iter().map(|p| absolute(env, p)).collect(),
        defines: args.define.clone(),
        lib_dirs: args.lib_dir.iter().map(|p| absolute(env, p)).collect(),
        libs: args.link.clone(),
        cflags,
        ldflags,
        strip: !args.no_strip,
        prefix_maps,
        source_date_epoch: env.source_date_epoch(),
    })
}

/// `-o NAME`, checked like every artifact name (`dist::check_name`).
fn output_name(name: &str) -> Result<String> {
    crate::dist::check_name(name).map_err(|reason| {
        Error::usage(
            format!("-o {name:?} is not a file name: it {reason}"),
            "-o names the executable (dist/<target>/NAME); choose the folder with --out-dir",
        )
    })?;
    Ok(name.to_string())
}

/// A name taken from the input (a source's stem, a Go package's folder), checked like
/// `-o`.
fn derived_name(name: &str) -> Result<String> {
    crate::dist::check_name(name).map_err(|reason| {
        Error::usage(
            format!("the artifact name {name:?} (from the input) {reason}"),
            "name the executable with -o NAME",
        )
    })?;
    Ok(name.to_string())
}

type TargetResults = Vec<(Target, Result<Built>)>;

/// A Go command: everything is checked (package, flags, Go itself) before `dist/` is
/// touched.
fn build_go_inputs(
    global: &GlobalArgs,
    args: &BuildArgs,
    targets: &[Target],
    request: &toolchain::ToolchainRequest,
    ctx: &Ctx,
) -> Result<(Dist, TargetResults, Option<libs::Prepared>)> {
    let env = &ctx.env;
    let mut program = go::package(&args.inputs, &env.cwd)?;
    program.name = match &args.output {
        Some(name) => output_name(name)?,
        None => derived_name(&program.name)?,
    };
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
    let go_args = args
        .goflags
        .iter()
        .map(|v| {
            go::go_split(v).ok_or_else(|| {
                Error::usage(
                    format!("--goflags `{v}` has an unbalanced quote"),
                    "quote values with spaces: --goflags \"-gcflags='all=-N -l'\"",
                )
            })
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    let cgo = if args.cgo {
        let mut cflags: Vec<String> = args.define.iter().map(|d| format!("-D{d}")).collect();
        cflags.extend(split_flags(&args.cflags, "--cflags")?);
        Some(go::CgoFlags {
            include_dirs: args.include.iter().map(|p| absolute(env, p)).collect(),
            lib_dirs: args.lib_dir.iter().map(|p| absolute(env, p)).collect(),
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
        go_args,
        offline: global.offline || env.offline(),
        no_strip: args.no_strip,
        cgo,
    };
    let plan = go::plan(program, options, targets[0], ctx)?;
    // cgo's C libraries (`--lib`), per target, before anything reaches dist/.
    let lib_options = lib_options(&args.libs, &[]);
    let mut prepared = None;
    if args.cgo && !lib_options.is_empty() {
        lib_options.request(env)?;
        let toolchains = resolve_all(targets, request, env, &ctx.cache)?;
        prepared = libs::commands::prepare_programs(&lib_options, &toolchains, ctx)?;
    }
    let dist = Dist::prepare(&absolute(env, &args.out_dir), ctx)?;
    let on = go::GoTargets {
        targets,
        toolchain: request,
        libraries: prepared.as_ref(),
        bypass_cache: false,
    };
    let results = go::build_all(&plan, &on, &dist, ctx);
    Ok((dist, results, prepared))
}

/// A `Ctx` for the pipeline's entry points until `cli` makes the one `Ctx` itself.
fn transitional_ctx(env: &Env, jobs: usize) -> Ctx {
    let ui = Ui {
        verbosity: match crate::sys::legacy::verbosity() {
            crate::sys::legacy::QUIET => Verbosity::Quiet,
            crate::sys::legacy::NORMAL => Verbosity::Normal,
            _ => Verbosity::Verbose,
        },
    };
    Ctx::new(env.clone(), ui, crate::sys::legacy::net(), jobs)
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

fn build_inputs(global: &GlobalArgs, args: &BuildArgs, env: &Env, cache: &Cache) -> Result<()> {
    if !args.run && !args.run_args.is_empty() {
        return Err(Error::usage(
            "arguments after `--` are for --run, which was not given",
            "add --run to run each artifact with them",
        ));
    }
    let targets = parse_targets(&args.targets)?;
    let request = toolchain_request(&args.toolchain)?;
    if args.jobs == Some(0) {
        return Err(Error::usage(
            "-j 0 allows no work at all",
            "give -j 1 or more (default: the number of CPUs)",
        ));
    }
    let ctx = transitional_ctx(env, args.jobs.unwrap_or_else(Jobs::default_count));
    let jobs = &ctx.jobs;
    let is_go = args
        .inputs
        .first()
        .is_some_and(|input| go::is_go_input(input, &env.cwd));
    let lib_options = lib_options(&args.libs, &[]);
    if is_go && !lib_options.is_empty() && !args.cgo {
        return Err(Error::usage(
            "--lib, --vendor-lib and --lib-file build C libraries, which only the C part of a Go program (cgo) can link",
            "add --cgo if the program calls C through `import \"C\"`",
        ));
    }
    let mut libraries = None;
    let (dist, results) = if is_go {
        let (dist, results, prepared) = build_go_inputs(global, args, &targets, &request, &ctx)?;
        libraries = prepared;
        (dist, results)
    } else {
        let sources = c_sources(&args.inputs, env)?;
        let program = c_program(args, sources, env)?;
        // Libraries first, for every target, before anything reaches dist/.
        if !lib_options.is_empty() {
            lib_options.request(env)?;
            let toolchains = resolve_all(&targets, &request, env, cache)?;
            let ctx = transitional_ctx(env, jobs.total());
            libraries = libs::commands::prepare_programs(&lib_options, &toolchains, &ctx)?;
        }
        let dist = Dist::prepare(&absolute(env, &args.out_dir), &ctx)?;
        let results = build::build_c(
            &CBuild {
                program: &program,
                targets: &targets,
                toolchain: &request,
                bypass_cache: false,
                libraries: libraries.as_ref(),
            },
            &dist,
            &ctx,
        );
        (dist, results)
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

    let human = !global.json && !global.quiet;
    if human {
        for b in &built {
            println!(
                "{:<24} {:>9}  {}  ({})",
                display_path(env, &b.path),
                human_size(b.artifact.size),
                b.toolchain,
                describe_verification(&b.artifact)
            );
        }
    }

    let mut runs = Vec::new();
    if args.run && errors.is_empty() {
        for b in &built {
            let outcome = run_artifact(&b.path, b.target, &args.run_args, &ctx)?;
            if human {
                print_run(env, b, &outcome);
            }
            runs.push(outcome);
        }
    }

    if global.json {
        let report = BuildReport {
            artifacts: built
                .iter()
                .enumerate()
                .map(|(i, b)| ArtifactReport {
                    artifact: &b.artifact,
                    file: &b.path,
                    run: runs.get(i),
                })
                .collect(),
            libraries: libraries.as_ref().map_or(&[], |p| p.outcomes.as_slice()),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serialises")
        );
    }

    if let Some(first) = errors.into_iter().reduce(|first, other| {
        crate::print_error(&other);
        first
    }) {
        return Err(first);
    }
    if let Some((b, outcome)) = built.iter().zip(&runs).find(|(_, o)| !o.success()) {
        return Err(Error::Run {
            target: b.target,
            path: b.path.clone(),
            outcome: outcome.status.clone(),
        });
    }
    Ok(())
}

fn print_run(env: &Env, built: &Built, outcome: &RunOutcome) {
    let how = match &outcome.runner {
        Some(qemu) => format!(
            " under {}",
            qemu.file_name().unwrap_or_default().to_string_lossy()
        ),
        None => String::new(),
    };
    println!(
        "run {}{how}: {}",
        display_path(env, &built.path),
        outcome.status
    );
    for line in outcome.stdout.lines() {
        println!("  | {line}");
    }
    for line in outcome.stderr.lines() {
        println!("  ! {line}");
    }
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

fn display_path(env: &Env, path: &Path) -> String {
    path.strip_prefix(&env.cwd)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn targets(global: &GlobalArgs) -> Result<()> {
    #[derive(Serialize)]
    struct Row {
        target: Target,
        aliases: &'static [&'static str],
        gnu: &'static str,
        musl_cross: &'static [&'static str],
        zig: &'static str,
        rust: &'static str,
        goarch: &'static str,
        goarm: Option<&'static str>,
        oci: String,
        elf_machine: String,
    }
    let rows: Vec<Row> = Target::ALL
        .iter()
        .map(|&t| Row {
            target: t,
            aliases: t.aliases(),
            gnu: t.gnu_triple(),
            musl_cross: t.musl_cross_prefixes(),
            zig: t.zig_triple(),
            rust: t.rust_triple(),
            goarch: t.go_arch().0,
            goarm: t.go_arch().1,
            oci: t.oci_platform_string(),
            elf_machine: verify::machine_name(t.elf().machine),
        })
        .collect();
    if global.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("rows serialise")
        );
        return Ok(());
    }
    println!(
        "{:<8} {:<24} {:<21} {:<31} {:<17} {:<13} {:<8}",
        "TARGET", "GNU / musl-cross", "zig -target", "Rust", "Go", "OCI", "ELF"
    );
    for r in &rows {
        let go = match r.goarm {
            Some(arm) => format!("{} GOARM={arm}", r.goarch),
            None => r.goarch.to_string(),
        };
        println!(
            "{:<8} {:<24} {:<21} {:<31} {:<17} {:<13} {:<8}",
            r.target.name(),
            r.gnu,
            r.zig,
            r.rust,
            go,
            r.oci,
            r.elf_machine
        );
    }
    println!();
    for r in &rows {
        println!("{:<8} also: {}", r.target.name(), r.aliases.join(", "));
    }
    println!(
        "\narmv7 means ARMv7-A, Thumb-2, VFPv3-D16, hard float, no NEON (Debian armhf, linux/arm/v7)."
    );
    Ok(())
}

fn verify_files(global: &GlobalArgs, args: &VerifyArgs, env: &Env) -> Result<()> {
    let target = args
        .target
        .as_deref()
        .map(str::parse::<Target>)
        .transpose()?;
    let mut reports = Vec::new();
    for file in &args.files {
        let path = absolute(env, file);
        if !path.exists() {
            return Err(Error::NoSuchFile {
                path: file.clone(),
                help:
                    "check the path: `muslbuild verify` takes executables, e.g. dist/x86_64/hello"
                        .into(),
            });
        }
        if !path.is_file() {
            return Err(Error::Io {
                what: "cannot read",
                path: file.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file"),
            });
        }
        let mut report = verify::verify_file(&path, target)?;
        report.path = file.clone();
        reports.push(report);
    }
    if global.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&reports).expect("reports serialise")
        );
    } else if !global.quiet {
        for r in &reports {
            let verdict = if r.ok { "ok  " } else { "FAIL" };
            let target = r.target.map_or("?".to_string(), |t| t.to_string());
            let linking = if r.static_pie { "static-pie" } else { "static" };
            let symbols = if r.stripped {
                "stripped"
            } else {
                "not stripped"
            };
            if r.ok {
                println!(
                    "{verdict} {}  {target} {linking}, {symbols}, {}  sha256:{}",
                    r.path.display(),
                    human_size(r.size),
                    r.sha256
                );
            } else {
                println!("{verdict} {}  {}", r.path.display(), r.problems.join("; "));
            }
        }
    }
    let mut failures = reports
        .into_iter()
        .filter(|r| !r.ok)
        .map(|r| r.into_result().unwrap_err());
    match failures.next() {
        None => Ok(()),
        Some(first) => {
            for other in failures {
                crate::print_error(&other);
            }
            Err(first)
        }
    }
}

fn toolchain_list(
    global: &GlobalArgs,
    targets: &TargetArgs,
    args: &ToolchainArgs,
    env: &Env,
    cache: &Cache,
) -> Result<()> {
    #[derive(Serialize)]
    struct Row {
        target: Target,
        provider: String,
        origin: String,
        command: String,
        version: String,
        usable: bool,
        reason: Option<String>,
        /// What `--toolchain auto` picks (C toolchains only).
        auto: bool,
        /// What a build uses: the `auto` pick for C, the first usable Go for Go.
        used: bool,
    }
    let targets = if targets.targets.is_empty() {
        Target::ALL.to_vec()
    } else {
        parse_targets(targets)?
    };
    let request = toolchain_request(args)?;
    let ctx = transitional_ctx(env, 1);
    let gos = go::list(args.go.as_deref(), &ctx);
    let mut rows = Vec::new();
    for target in targets {
        let mut picked = false;
        for candidate in toolchain::candidates(target, &request, &ctx) {
            let verdict = toolchain::probe(&candidate, &ctx)?;
            let (version, usable, reason) = match verdict {
                Verdict::Usable { version, .. } => (version, true, None),
                Verdict::Unusable { version, reason } => (version, false, Some(reason)),
            };
            let auto = usable && !picked;
            picked |= auto;
            rows.push(Row {
                target,
                provider: candidate.provider.name().to_string(),
                origin: candidate.origin.clone(),
                command: candidate.cc.to_shell_words(),
                version,
                usable,
                reason,
                auto,
                used: auto,
            });
        }
        if !picked {
            rows.push(Row {
                target,
                provider: "none".into(),
                origin: String::new(),
                command: String::new(),
                version: String::new(),
                usable: false,
                reason: Some(toolchain::no_toolchain_help(target, &request)),
                auto: false,
                used: false,
            });
        }
        // Go builds every target with the same `go`; listed per target because a
        // target may need a newer Go than another.
        let mut picked_go = false;
        for listing in &gos {
            let checked = listing
                .toolchain
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|g| {
                    g.check_supports(target)
                        .map(|()| g)
                        .map_err(|e| e.to_string())
                });
            let used = checked.is_ok() && !picked_go;
            picked_go |= used;
            rows.push(Row {
                target,
                provider: "go".into(),
                origin: listing.origin.clone(),
                command: listing.program.display().to_string(),
                version: listing
                    .toolchain
                    .as_ref()
                    .map(|g| g.version.clone())
                    .unwrap_or_else(|_| "?".into()),
                usable: checked.is_ok(),
                reason: checked.err(),
                auto: false,
                used,
            });
        }
        if !picked_go {
            let reason = match go::resolve(args.go.as_deref(), &transitional_ctx(env, 1)) {
                Err(e) => format!("{e}; {}", e.help()),
                Ok(_) => "no usable Go".into(),
            };
            rows.push(Row {
                target,
                provider: "go".into(),
                origin: String::new(),
                command: String::new(),
                version: String::new(),
                usable: false,
                reason: Some(reason),
                auto: false,
                used: false,
            });
        }
    }
    if global.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("rows serialise")
        );
        return Ok(());
    }
    let mut current = None;
    // Go builds every target with the same `go`: shown once, after the C toolchains.
    let (go_rows, c_rows): (Vec<&Row>, Vec<&Row>) = rows.iter().partition(|r| r.provider == "go");
    for r in c_rows {
        if current != Some(r.target) {
            println!("{}:", r.target);
            current = Some(r.target);
        }
        if r.provider == "none" {
            println!(
                "    no usable toolchain — {}",
                r.reason.as_deref().unwrap_or_default()
            );
            continue;
        }
        let mark = if r.auto { "*" } else { " " };
        let verdict = match &r.reason {
            None => "usable".to_string(),
            Some(reason) => format!("unusable: {reason}"),
        };
        println!(
            "  {mark} {:<10} {:<8} {}  [{}] {verdict}",
            r.provider, r.version, r.command, r.origin
        );
    }
    println!("\n* = what --toolchain auto uses (C, and the C side of --cgo)");
    let first = go_rows.first().map(|r| r.target);
    let mut problems = Vec::new();
    println!("\ngo (Go packages, every target):");
    for r in &go_rows {
        if Some(r.target) != first {
            // Only a target that needs a newer Go differs from the first one.
            if let (false, Some(reason)) = (r.usable, &r.reason) {
                problems.push(format!("{}: {reason}", r.target));
            }
            continue;
        }
        if r.command.is_empty() {
            println!(
                "    no usable Go — {}",
                r.reason.as_deref().unwrap_or_default()
            );
            continue;
        }
        let verdict = match &r.reason {
            None if r.used => "usable (used)".to_string(),
            None => "usable".to_string(),
            Some(reason) => format!("unusable: {reason}"),
        };
        println!(
            "    {:<10} {}  [{}] {verdict}",
            r.version, r.command, r.origin
        );
    }
    problems.dedup();
    for problem in problems {
        println!("    {problem}");
    }
    let installed = toolchain_installed::list_installed(cache);
    if !installed.is_empty() {
        println!("\ninstalled in {}:", cache.dir("toolchains").display());
        for line in installed {
            println!("  {line}");
        }
    }
    Ok(())
}

fn install_toolchains(
    global: &GlobalArgs,
    args: &ToolchainInstallArgs,
    env: &Env,
    _cache: &Cache,
) -> Result<()> {
    let mut wants = Vec::new();
    for value in &args.targets {
        for want in Want::parse_list(value)? {
            if !wants.contains(&want) {
                wants.push(want);
            }
        }
    }
    let options = InstallOptions {
        provider: args
            .provider
            .as_deref()
            .map(ManifestProvider::parse)
            .transpose()?,
        from: args.from.as_ref().map(|p| absolute(env, p)),
        sha256: args.sha256.clone(),
        manifest: args.manifest.manifest.as_ref().map(|p| absolute(env, p)),
    };
    let outcomes = toolchain_install::install(&wants, &options, &transitional_ctx(env, 1))?;
    if global.json {
        let records: Vec<_> = outcomes.iter().map(|o| &o.record).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&records).expect("records serialise")
        );
        return Ok(());
    }
    for outcome in outcomes {
        let state = match (outcome.fresh, &args.from) {
            (true, _) => "installed",
            (false, Some(_)) => "already installed (the --from archive is the same file)",
            (false, None) => "already installed",
        };
        println!("{state}: {}", outcome.record.describe());
    }
    Ok(())
}

fn remove_toolchains(global: &GlobalArgs, args: &ToolchainRemoveArgs, cache: &Cache) -> Result<()> {
    let provider = args
        .provider
        .as_deref()
        .map(ManifestProvider::parse)
        .transpose()?;
    let removed = toolchain_installed::remove(&args.names, provider, cache)?;
    if removed.is_empty() && !global.quiet {
        eprintln!(
            "muslbuild: no installed toolchain matched; `muslbuild toolchain list` shows them"
        );
    }
    for record in removed {
        println!("removed: {} ({})", record.name, record.dir.display());
    }
    Ok(())
}

fn prune_toolchains(
    global: &GlobalArgs,
    args: &ToolchainManifestArgs,
    env: &Env,
    cache: &Cache,
) -> Result<()> {
    let manifest = toolchain_install::load_manifest(args.manifest.as_deref(), env)?;
    let removed = toolchain_installed::prune(&manifest, cache)?;
    if removed.is_empty() && !global.quiet {
        eprintln!("muslbuild: nothing to prune");
    }
    for path in removed {
        println!("removed: {}", path.display());
    }
    Ok(())
}
