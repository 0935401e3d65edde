//! TEMPORARY driver on the `libs` branch so the library commands can be exercised before
//! the lead's `cli.rs`/`app.rs` land; replaced by theirs at merge time.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use muslbuild::cache::Cache;
use muslbuild::compile::{self, CProgram};
use muslbuild::env::Env;
use muslbuild::error::{Error, Result};
use muslbuild::libs::commands::{self, LibOptions};
use muslbuild::target::Target;
use muslbuild::toolchain::{self, Choice, Request};

#[derive(Parser)]
#[command(name = "muslbuild", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[arg(long, short = 't', global = true, default_value = "x86_64")]
    target: String,
    #[arg(long, global = true, default_value = "auto")]
    toolchain: String,
    #[arg(long, short = 'j', global = true)]
    jobs: Option<usize>,
    #[arg(long, short = 'v', global = true)]
    verbose: bool,
    #[arg(long, short = 'q', global = true)]
    quiet: bool,
    #[arg(long, global = true)]
    lib: Vec<String>,
    #[arg(long = "vendor-lib", global = true)]
    vendor_lib: Vec<String>,
    #[arg(long = "lib-file", global = true)]
    lib_file: Vec<PathBuf>,
    #[arg(long = "source-dir", global = true)]
    source_dir: Vec<PathBuf>,
    #[arg(long = "out-dir", default_value = "dist")]
    out_dir: PathBuf,
    inputs: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    Lib {
        #[command(subcommand)]
        command: LibCommand,
    },
}

#[derive(Subcommand)]
enum LibCommand {
    List,
    Build { names: Vec<String> },
    Env { names: Vec<String> },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    muslbuild::cmd::set_verbosity(if cli.verbose {
        2
    } else if cli.quiet {
        0
    } else {
        1
    });
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("muslbuild: error: {err}");
            if let Some(details) = err.details() {
                eprintln!("{details}");
            }
            eprintln!("help: {}", err.help());
            ExitCode::from(err.exit_code())
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let env = Env::from_process();
    let cache = Cache::new(env.cache_root());
    let jobs = cli.jobs.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    let targets: Vec<Target> = if cli.target == "all" {
        vec![Target::X86_64, Target::Aarch64, Target::Armv7]
    } else {
        Target::parse_list(&cli.target)?
    };
    let mut options = LibOptions {
        libs: cli.lib.clone(),
        vendor_libs: cli.vendor_lib.clone(),
        lib_files: cli.lib_file.clone(),
        source_dirs: cli.source_dir.clone(),
    };
    let choice: Choice = cli.toolchain.parse()?;
    let request = Request { choice, cc: None };
    let resolve =
        || -> Result<Vec<_>> { targets.iter().map(|t| toolchain::resolve(*t, &request, &env, &cache)).collect() };
    match cli.command {
        Some(Command::Lib { command: LibCommand::List }) => {
            print!("{}", commands::list(&options, &env)?);
        }
        Some(Command::Lib { command: LibCommand::Build { names } }) => {
            options.libs.extend(names);
            let prepared = commands::build(&options, &resolve()?, &env, &cache, jobs)?;
            for (target, set) in &prepared.link_sets {
                for p in &set.prefixes {
                    println!("{target} {}", p.display());
                }
            }
        }
        Some(Command::Lib { command: LibCommand::Env { names } }) => {
            options.libs.extend(names);
            let tcs = resolve()?;
            print!("{}", commands::env_lines(&options, &tcs[0], &env, &cache, jobs)?);
        }
        None => {
            let tcs = resolve()?;
            let prepared = commands::prepare_programs(&options, &tcs, &env, &cache, jobs)?;
            let source = env.cwd.join(cli.inputs.first().ok_or_else(|| Error::usage("no input", "give a .c file"))?);
            let name = source.file_stem().unwrap().to_string_lossy().into_owned();
            for tc in &tcs {
                let mut program =
                    CProgram { name: name.clone(), sources: vec![source.clone()], strip: true, ..Default::default() };
                if let Some(set) = prepared.as_ref().and_then(|p| p.link_set(tc.target)) {
                    program.link_libraries(set);
                }
                let dir = env.cwd.join(&cli.out_dir).join(tc.target.name());
                std::fs::create_dir_all(&dir).map_err(Error::io("cannot create", &dir))?;
                let out = dir.join(&name);
                compile::compile(&program, tc, &out, &cache.dir("logs").join(format!("{name}-{}.log", tc.target)))?;
                muslbuild::verify::verify_file(&out, Some(tc.target))?.into_result()?;
                eprintln!("muslbuild: {} -> {}", tc.target, out.display());
            }
        }
    }
    Ok(())
}
