//! `muslbuild lib list|build|env`: the library recipes, building them into the cache, and
//! the variables another build system needs to use them.

use crate::cli::print::Printer;
use crate::cli::{LibBuildArgs, LibCommand, checks};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::libs;
use crate::libs::commands::LibOptions;
use crate::target::Target;
use crate::toolchain;

pub(crate) fn run(command: &LibCommand, out: &mut Printer, ctx: &Ctx) -> Result<()> {
    match command {
        LibCommand::List(args) => {
            let text = libs::commands::list(&checks::lib_options(&args.libs, &[]), &ctx.env)?;
            // Listed even with --json, which it has no document for.
            if !out.is_quiet() {
                out.text(&text)?;
            }
            Ok(())
        }
        LibCommand::Build(args) => {
            let (options, targets, mut request) = checked(args)?;
            libs::obtain_sources_first(&options.request(&ctx.env)?, &targets, ctx)?;
            options.pin_kernel_headers(&mut request, &targets, ctx)?;
            let toolchains = crate::plan::Toolchains::resolve(&targets, &request, ctx).all()?;
            let prepared = libs::commands::build(&options, &toolchains, ctx)?;
            out.report(&prepared.outcomes, || {
                prepared
                    .outcomes
                    .iter()
                    .map(|o| format!("{:<8} {:<24} {}\n", o.target, o.label, o.prefix.display()))
                    .collect()
            })
        }
        LibCommand::Env(args) => {
            let (options, targets, request) = checked(args)?;
            let [target] = targets[..] else {
                return Err(Error::usage(
                    "`lib env` prints the variables for one target",
                    "give a single --target (`muslbuild targets` lists them)",
                ));
            };
            libs::obtain_sources_first(&options.request(&ctx.env)?, &targets, ctx)?;
            let mut request = request;
            options.pin_kernel_headers(&mut request, &targets, ctx)?;
            let toolchain = toolchain::resolve(target, &request, ctx)?;
            // The export lines are the command's whole point: printed even with -q.
            out.text(&libs::commands::env_lines(&options, &toolchain, ctx)?)
        }
    }
}

fn checked(args: &LibBuildArgs) -> Result<(LibOptions, Vec<Target>, toolchain::ToolchainRequest)> {
    Ok((
        checks::lib_options(&args.libs, &args.names),
        checks::targets(&args.targets)?,
        checks::toolchain_request(&args.toolchain)?,
    ))
}
