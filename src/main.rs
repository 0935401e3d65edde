use std::process::ExitCode;

use clap::Parser;
use muslbuild::cli::{self, Cli};
use muslbuild::env::Env;
use muslbuild::sys::process;

fn main() -> ExitCode {
    // `muslbuild … | head` must end quietly like any Unix tool, not panic in println!.
    // SAFETY: called first, before any thread exists; SIG_DFL is always a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    process::handle_interrupts();
    let result = cli::run(Cli::parse(), Env::from_process());
    process::wait_if_interrupted();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            err.print();
            ExitCode::from(err.exit_code())
        }
    }
}
