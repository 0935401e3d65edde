//! The project's own harnesses, run with `cargo xtask …` (alias in .cargo/config.toml):
//! `bench NAME` prints one benchmark's figures as ratios against the direct compiler or the
//! hand-written equivalent, measured in the same run; `setup` installs what the
//! real-toolchain tests need; `man` writes the man pages. Commands go through `xshell`, never through a shell string
//! built from arguments.

mod bench;
mod debbin;
mod debsrc;
mod echoed;
mod man;
mod measure;
mod setup;

use std::path::PathBuf;
use std::process::ExitCode;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const USAGE: &str =
    "usage: cargo xtask bench <core|go|libs|readline|vendor|project|objects|corpus|install|sbom|remote|emulate|platforms|kheaders|busybox|all> [ARGS]
       cargo xtask man [DIR]   one man page per command and subcommand (default DIR: target/man)
       cargo xtask setup       install what the real-toolchain tests need (root)

  core [RUNS]            hello per toolchain: overhead against the compiler command, sizes
  go [RUNS]              Go overhead against the same `go build`, cache miss and hit; sizes
  libs [TARGETS]         every built-in recipe for every target, cold; programs using them run
  readline [RUNS]        ncurses + readline for three targets against a sequential script
  vendor [TARGETS]       a vendored autotools program: cold, one .c edit, no-op
  project [RUNS]         `muslbuild build` of a C + Go + image project: cold, no-op, one edit
  corpus [PROGRAMS]      tests/corpus programs: cold, edit, no-op, size against Debian's
  install [SIZE_MB]      toolchain install from 127.0.0.1 against curl (+ sha256sum, + tar)
  objects [RUNS]         a 50-file C program per object against make -j: cold, one edit, no-op
  sbom [RUNS]            a warm build with SBOM and provenance against --no-sbom
  remote [RUNS|push]     a cold repl build with a warm remote cache against none; push unchanged vs first
  emulate [RUNS [TARGET]] a cold less build with emulate = \"auto\" against false: time, same bytes
  remote libc [TARGETS]  hello with zig on fresh machines: zig's libc from a warm remote cache vs built
  remote project [TARGETS]  a project with [lib.NAME] and [vendor.NAME], cold on machine B with A's remote cache vs cold
  remote tls [TARGETS]  tests/openssl ([lib.openssl], a TLS client) the same way
  platforms [TARGETS]    every target cold: first zig compile, hello/Go/repl sizes, library recipes' time
  kheaders [TARGETS]     strace 6.1 with pinned 6.1 kernel headers, zig and musl-gcc x three targets, cold;
                         musl-gcc x86_64 against configure + make by hand
  busybox [TARGETS]      busybox defconfig with zig: muslbuild (GNU ld options translated) against make by hand

MUSLBUILD_BIN=path measures that binary instead of a fresh `cargo build --release`.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("bench") => bench::run(&args[1..]),
        Some("setup") => setup::run(&args[1..]),
        Some("man") => man::run(&args[1..]),
        _ => Err(USAGE.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root (the xtask crate sits one level below it).
fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the repository")
        .to_path_buf()
}
