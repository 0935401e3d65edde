//! Stand-in entry point on the `image` branch until the lead's `cli`/`app` are merged:
//! only `muslbuild image`, with the same error format (`muslbuild: error:` + `help:`)
//! and exit codes. On merge, `Command::Image(ImageArgs)` joins the lead's `Command`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use muslbuild::env::Env;
use muslbuild::image::{ImageArgs, ImageSpec};

#[derive(Parser)]
#[command(name = "muslbuild", version)]
struct Cli {
    /// Print a machine-readable JSON report on stdout
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Pack the artifacts in dist/ into a FROM-scratch multi-arch OCI image
    Image(ImageArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = Env::from_process();
    let Command::Image(args) = cli.command;
    match muslbuild::image::run(&args, ImageSpec::default(), &env) {
        Ok(report) => {
            if cli.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("report serialises")
                );
            } else {
                print!("{}", report.human());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("muslbuild: error: {e}");
            if let Some(details) = e.details() {
                eprintln!("{details}");
            }
            eprintln!("help: {}", e.help());
            ExitCode::from(e.exit_code())
        }
    }
}
