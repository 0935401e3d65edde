use std::process::ExitCode;

use clap::Parser;
use muslbuild::cli::{Cli, app};
use muslbuild::sys::process as cmd;
use muslbuild::{env::Env, print_error};

fn main() -> ExitCode {
    // `muslbuild … | head` must end quietly like any Unix tool, not panic in println!.
    // SAFETY: called first, before any thread exists; SIG_DFL is always a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    cmd::handle_interrupts();
    let cli = Cli::parse();
    cmd::set_verbosity(match (cli.global.quiet, cli.global.verbose) {
        (true, _) => cmd::QUIET,
        (_, true) => cmd::VERBOSE,
        _ => cmd::NORMAL,
    });
    let result = app::run(cli, Env::from_process());
    cmd::wait_if_interrupted();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            print_error(&err);
            ExitCode::from(err.exit_code())
        }
    }
}
