//! The top of the house: the command line (`args`), one `Ctx` made from it, and the
//! dispatch to one thin module per subcommand (`commands`), which checks its flags
//! (`checks`), calls the room below, and prints through one `Printer` (`print`).

mod args;
mod checks;
mod commands;
mod print;

pub use args::Cli;
pub(crate) use args::*;

use std::sync::Arc;

use crate::cache::remote::RemoteConfig;
use crate::context::Ctx;
use crate::env::Env;
use crate::error::Result;
use crate::sys::download::NetSettings;
use crate::sys::process::Supervisor;
use crate::sys::ui::{Ui, Verbosity};
use commands::{
    build, cache, completions, image, init, lib, project, sbom, targets, toolchain, verify,
};
use print::Printer;

/// The command line as clap describes it: what completion scripts and man pages
/// (`cargo xtask man`) are generated from.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

/// When muslbuild was started as a build's compiler (`muslbuild zig-cc ZIG ARGS…`), runs
/// that and returns its exit code. Called before anything else: it runs once per compile.
pub fn run_as_compiler(env: &Env) -> Option<std::process::ExitCode> {
    commands::zig_cc::run_if_called(env)
}

/// `muslbuild: error: …` and its `help:` line on stderr: how `main` ends a failed run.
pub fn print_error(err: &crate::error::Error) {
    crate::sys::ui::Ui::default().error(err);
}

/// Runs the parsed command line: the one `Ctx` is made here and passed down.
pub fn run(cli: Cli, env: Env, supervisor: Arc<Supervisor>) -> Result<()> {
    // Printing a completion script needs no cache, environment or toolchain.
    if let Some(Command::Completions(args)) = &cli.command {
        return completions::run(args, &mut Printer::stdout(&cli.global));
    }
    let ctx = context(&cli, env, supervisor)?;
    ctx.cache.sweep_dead_temps();
    ctx.cache.check_folders()?;
    let out = &mut Printer::stdout(&cli.global);
    match &cli.command {
        Some(Command::Targets) => targets::run(out),
        Some(Command::Verify(args)) => verify::run(args, out, &ctx),
        Some(Command::Sbom(args)) => sbom::run(args, out, &ctx),
        Some(Command::Toolchain(command)) => toolchain::run(command, out, &ctx),
        Some(Command::Lib(command)) => {
            ctx.check_remote_cache_required()?;
            lib::run(command, out, &ctx)
        }
        Some(Command::Image(args)) => image::run(args, out, &ctx),
        Some(Command::Build(args)) => project::run(args, &cli.global, out, &ctx),
        Some(Command::Cache(command)) => cache::run(command, out, &ctx),
        Some(Command::Init) => init::run(out, &ctx),
        Some(Command::Completions(args)) => completions::run(args, out),
        // `muslbuild` alone in a project folder builds the project.
        None if cli.build.inputs.is_empty()
            && crate::project::config::find(&ctx.env.cwd).is_some() =>
        {
            let args = ProjectArgs {
                file: crate::project::config::FILE_NAME.into(),
                targets: cli.build.targets.targets.clone(),
                jobs: cli.build.jobs,
                ..ProjectArgs::default()
            };
            project::run(&args, &cli.global, out, &ctx)
        }
        None => {
            ctx.check_remote_cache_required()?;
            build::run(&cli.build, out, &ctx)
        }
    }
}

/// The environment, the cache, `-q`/`-v`, the download settings (`--offline` over the
/// environment's) and the `-j` budget of whichever command takes one.
fn context(cli: &Cli, env: Env, supervisor: Arc<Supervisor>) -> Result<Ctx> {
    let verbosity = match (cli.global.quiet, cli.global.verbose) {
        (true, _) => Verbosity::Quiet,
        (_, true) => Verbosity::Verbose,
        _ => Verbosity::Normal,
    };
    let mut net = NetSettings::from_env(&env);
    net.offline |= cli.global.offline;
    net.remote_cache_required = cli.global.remote_cache_required;
    let remote = env.remote_cache();
    let jobs = match &cli.command {
        None => cli.build.jobs,
        Some(Command::Build(args)) => args.jobs,
        Some(Command::Lib(LibCommand::Build(args) | LibCommand::Env(args))) => args.jobs,
        Some(_) => None,
    };
    let ctx = Ctx::new(
        env,
        Ui::new(verbosity),
        net,
        checks::job_count(jobs)?,
        supervisor,
    );
    if let Some((url, read_only)) = remote {
        ctx.use_remote_cache(RemoteConfig { url, read_only })?;
    }
    Ok(ctx)
}
