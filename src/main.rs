use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use muslbuild::cli::{self, Cli};
use muslbuild::env::Env;
use muslbuild::sys::process::Supervisor;

fn main() -> ExitCode {
    // `muslbuild … | head` must end quietly like any Unix tool, not panic in println!.
    // SAFETY: called first, before any thread exists; SIG_DFL is always a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let env = Env::from_process();
    // A build's compiler call through muslbuild (zig's GNU ld translation) hands over to
    // zig: no supervisor thread, no clap.
    if let Some(code) = cli::run_as_compiler(&env) {
        return code;
    }
    // Before any thread exists: it blocks SIGINT/SIGTERM, so only its own thread takes them.
    let supervisor = Supervisor::start();
    let result = cli::run(Cli::parse(), env, Arc::clone(&supervisor));
    supervisor.wait_if_interrupted();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            cli::print_error(&err);
            ExitCode::from(err.exit_code())
        }
    }
}
