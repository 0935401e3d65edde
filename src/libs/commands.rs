//! The library-facing commands (`lib list`, `lib build`, `lib env`) and the `--lib` step
//! of a C build, taking already-parsed options so `cli.rs` stays clap definitions only.

use std::path::PathBuf;

use super::{Prepared, Request};
use crate::cache::Cache;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::pipeline::c::CProgram;
use crate::toolchain::Toolchain;

/// The library options every command that can build libraries takes.
#[derive(Clone, Debug, Default)]
pub struct LibOptions {
    /// `--lib NAME[,NAME]` (repeatable).
    pub libs: Vec<String>,
    /// `--vendor-lib NAME=DIR[:BUILD]` (repeatable).
    pub vendor_libs: Vec<String>,
    /// `--lib-file FILE.toml` (repeatable): `[[library]]` tables in the recipe format.
    pub lib_files: Vec<PathBuf>,
    /// `--source-dir DIR` (repeatable).
    pub source_dirs: Vec<PathBuf>,
    /// `--keep-failed`.
    pub keep_failed: bool,
}

impl LibOptions {
    /// Resolves names, vendored libraries and source folders into a build request. A
    /// vendored library is built even when not named in `--lib`: declaring it is asking
    /// for it.
    pub fn request(&self, env: &Env, jobs: usize) -> Result<Request> {
        let mut vendored = Vec::new();
        for value in &self.vendor_libs {
            vendored.push(super::recipe::parse_vendor_flag(value, &env.cwd)?);
        }
        for file in &self.lib_files {
            vendored.extend(super::recipe::parse_lib_file(&env.cwd.join(file))?);
        }
        let mut names = super::split_names(&self.libs);
        for recipe in &vendored {
            if !names.contains(&recipe.name) {
                names.push(recipe.name.clone());
            }
        }
        let request = Request {
            names,
            vendored,
            source_dirs: super::source_dirs(&self.source_dirs, env),
            jobs: jobs.max(1),
            keep_failed: self.keep_failed,
        };
        super::check_names(&request)?;
        Ok(request)
    }

    pub fn is_empty(&self) -> bool {
        self.libs.is_empty() && self.vendor_libs.is_empty() && self.lib_files.is_empty()
    }
}

/// `muslbuild lib list`.
pub fn list(options: &LibOptions, env: &Env) -> Result<String> {
    let request = options.request(env, 1)?;
    Ok(super::list(&request.catalog()))
}

/// `muslbuild lib build`: the libraries for every toolchain, and the report.
pub fn build(
    options: &LibOptions,
    toolchains: &[Toolchain],
    env: &Env,
    cache: &Cache,
    jobs: usize,
) -> Result<Prepared> {
    let request = options.request(env, jobs)?;
    if request.names.is_empty() {
        return Err(Error::usage(
            "no library named",
            "name one: `muslbuild lib build readline --target armv7`",
        ));
    }
    super::prepare(&request, toolchains, env, cache)
}

/// `muslbuild lib env`: builds (or finds) the libraries for one toolchain and returns the
/// `export KEY=value` lines.
pub fn env_lines(
    options: &LibOptions,
    toolchain: &Toolchain,
    env: &Env,
    cache: &Cache,
    jobs: usize,
) -> Result<String> {
    let prepared = build(options, std::slice::from_ref(toolchain), env, cache, jobs)?;
    let set = prepared
        .link_set(toolchain.target)
        .expect("a link set per toolchain");
    Ok(super::env_lines(set, toolchain, env))
}

/// The `--lib` step of a C build: builds what is missing, then adds the include dirs,
/// lib dirs and link names to each target's program.
pub fn prepare_programs(
    options: &LibOptions,
    toolchains: &[Toolchain],
    env: &Env,
    cache: &Cache,
    jobs: usize,
) -> Result<Option<Prepared>> {
    if options.is_empty() {
        return Ok(None);
    }
    let request = options.request(env, jobs)?;
    super::prepare(&request, toolchains, env, cache).map(Some)
}

impl CProgram {
    /// Adds a target's libraries: their headers and archives come after the user's own
    /// `-I`/`-L`, and their link names after the user's `-l`, dependents first.
    pub fn link_libraries(&mut self, set: &super::LinkSet) {
        self.include_dirs.extend(set.include_dirs.iter().cloned());
        self.lib_dirs.extend(set.lib_dirs.iter().cloned());
        self.libs.extend(set.libs.iter().cloned());
    }
}
