//! `cargo xtask bench NAME`: each benchmark measures muslbuild and the thing it replaces
//! (the compiler command it runs, `go build`, a hand-written script, curl) in one run and
//! prints the ratio. None of them asserts on time.

mod busybox;
mod core;
mod corpus;
mod emulate;
mod go;
mod install;
mod kheaders;
mod libs;
mod objects;
mod platforms;
mod project;
mod readline;
mod remote;
mod sbom;
mod vendor;

use std::path::{Path, PathBuf};

use xshell::{Shell, cmd};

use crate::Result;

/// What every benchmark needs: a shell, the repository, the muslbuild binary measured.
pub struct Bench {
    pub sh: Shell,
    pub root: PathBuf,
    pub muslbuild: PathBuf,
}

impl Bench {
    fn new() -> Result<Bench> {
        let sh = Shell::new()?;
        let root = crate::repo_root();
        let muslbuild = match std::env::var_os("MUSLBUILD_BIN") {
            Some(path) => PathBuf::from(path),
            None => {
                let _dir = sh.push_dir(&root);
                cmd!(sh, "cargo build --release --quiet --package muslbuild").run()?;
                root.join("target/release/muslbuild")
            }
        };
        Ok(Bench {
            sh,
            root,
            muslbuild,
        })
    }

    pub fn example(&self, name: &str) -> PathBuf {
        self.root.join("examples").join(name)
    }

    /// The Debian source tarballs the set-up put in target/test-sources.
    pub fn sources(&self) -> Result<PathBuf> {
        let dir = self.root.join("target/test-sources");
        if !dir.join("ncurses_6.4.orig.tar.gz").is_file() {
            return Err(format!(
                "{} has no library sources: run `bash scripts/setup-test-env.sh` first",
                dir.display()
            )
            .into());
        }
        Ok(dir)
    }

    /// Installs zig into the muslbuild cache at `home` the way a newcomer's machine has
    /// it (`toolchain install`, the built-in manifest's zig entry), from the zig of
    /// Python's `ziglang` package packed as a wheel-shaped zip in `work`: no network.
    /// Returns the installed `zig`.
    pub fn install_zig(&self, home: &Path, work: &Path) -> Result<PathBuf> {
        let sh = &self.sh;
        let package = cmd!(
            sh,
            "python3 -c 'import os, ziglang; print(os.path.dirname(ziglang.__file__))'"
        )
        .quiet()
        .read()
        .map_err(|e| format!("Python's ziglang package (pip install ziglang): {e}"))?;
        let wheel = work.join("ziglang.zip");
        cmd!(sh, "python3 -m zipfile -c {wheel} {package}")
            .quiet()
            .run()?;
        let sha = cmd!(sh, "sha256sum {wheel}").quiet().read()?;
        let sha = sha.split_whitespace().next().ok_or("no sha256sum output")?;
        let muslbuild = &self.muslbuild;
        checked(
            cmd!(
                sh,
                "{muslbuild} -q toolchain install x86_64 --provider zig --from {wheel} --sha256 {sha}"
            )
            .env("MUSLBUILD_HOME", home),
        )?;
        let _ = std::fs::remove_file(&wheel);
        let zig = std::fs::read_dir(home.join("toolchains"))?
            .filter_map(|e| Some(e.ok()?.path().join("bin/zig")))
            .find(|zig| zig.is_file())
            .ok_or("`toolchain install` left no bin/zig in the cache")?;
        Ok(zig)
    }

    /// `muslbuild ARGS` in folder `dir`, quiet; its stdout.
    pub fn muslbuild(&self, dir: &Path, args: &[&str]) -> Result<String> {
        let bin = &self.muslbuild;
        let _dir = self.sh.push_dir(dir);
        checked(cmd!(self.sh, "{bin} -q {args...}"))
    }
}

/// Runs `cmd`; a failure is an error carrying the command's stderr.
pub fn checked(cmd: xshell::Cmd) -> Result<String> {
    let shown = cmd.to_string();
    let output = cmd.quiet().ignore_status().output()?;
    if !output.status.success() {
        return Err(format!(
            "`{shown}` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

pub fn run(args: &[String]) -> Result {
    let (name, rest) = args.split_first().ok_or(crate::USAGE)?;
    // `cargo xtask` runs under `cargo run`, which points LD_LIBRARY_PATH at the Rust
    // toolchain's folders; a user's shell has none, and the dynamic loader searching them
    // costs every measured process (muslbuild, gcc) 1-2 ms.
    // SAFETY: no other thread runs yet; the benchmarks start theirs later.
    unsafe { std::env::remove_var("LD_LIBRARY_PATH") };
    let names: Vec<&str> = match name.as_str() {
        "all" => vec![
            "core", "go", "project", "objects", "vendor", "readline", "install", "corpus", "sbom",
            "remote", "emulate",
        ],
        one => vec![one],
    };
    let bench = Bench::new()?;
    for name in names {
        println!("== {name}");
        match name {
            "core" => core::run(&bench, rest)?,
            "go" => go::run(&bench, rest)?,
            "libs" => libs::run(&bench, rest)?,
            "readline" => readline::run(&bench, rest)?,
            "vendor" => vendor::run(&bench, rest)?,
            "project" => project::run(&bench, rest)?,
            "objects" => objects::run(&bench, rest)?,
            "corpus" => corpus::run(&bench, rest)?,
            "install" => install::run(&bench, rest)?,
            "sbom" => sbom::run(&bench, rest)?,
            "remote" => remote::run(&bench, rest)?,
            "emulate" => emulate::run(&bench, rest)?,
            "platforms" => platforms::run(&bench, rest)?,
            "kheaders" => kheaders::run(&bench, rest)?,
            "busybox" => busybox::run(&bench, rest)?,
            other => return Err(format!("no benchmark `{other}`\n{}", crate::USAGE).into()),
        }
        println!();
    }
    Ok(())
}

/// The first argument as a count, or `default`.
fn count_arg(args: &[String], default: usize) -> Result<usize> {
    match args.first() {
        None => Ok(default),
        Some(text) => text
            .parse()
            .map_err(|_| format!("`{text}` is not a number of runs").into()),
    }
}
