//! `muslbuild completions SHELL`: the tab-completion script clap_complete generates from
//! the command line's own definition, so it never lags behind a new flag. `--target`
//! completes the target names (`args::TargetNames`).

use crate::cli::CompletionsArgs;
use crate::cli::print::Printer;
use crate::error::Result;

pub(crate) fn run(args: &CompletionsArgs, out: &mut Printer) -> Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(
        args.shell,
        &mut crate::cli::command(),
        "muslbuild",
        &mut script,
    );
    out.text(&String::from_utf8_lossy(&script))
}
