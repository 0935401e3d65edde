use std::process::ExitCode;

use clap::Parser;
use muslbuild::{app, cli::Cli, cmd, env::Env, print_error};

fn main() -> ExitCode {
    let cli = Cli::parse();
    cmd::set_verbosity(match (cli.global.quiet, cli.global.verbose) {
        (true, _) => cmd::QUIET,
        (_, true) => cmd::VERBOSE,
        _ => cmd::NORMAL,
    });
    match app::run(cli, Env::from_process()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            print_error(&err);
            ExitCode::from(err.exit_code())
        }
    }
}
