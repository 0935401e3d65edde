//! The library-facing commands (`lib list`, `lib build`, `lib env`) and the `--lib` step
//! of a C build, taking already-parsed options so `cli.rs` stays clap definitions only.

use std::path::PathBuf;

use super::{LibRequest, Prepared};
use crate::context::Ctx;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::toolchain::Toolchain;

/// The library options every command that can build libraries takes.
#[derive(Clone, Debug, Default)]
pub(crate) struct LibOptions {
    /// `--lib NAME[,NAME]` (repeatable).
    pub(crate) libs: Vec<String>,
    /// `--vendor-lib NAME=DIR[:BUILD]` (repeatable).
    pub(crate) vendor_libs: Vec<String>,
    /// `--lib-file FILE.toml` (repeatable): `[[library]]` tables in the recipe format.
    pub(crate) lib_files: Vec<PathBuf>,
    /// `--source-dir DIR` (repeatable).
    pub(crate) source_dirs: Vec<PathBuf>,
    /// `--keep-failed`.
    pub(crate) keep_failed: bool,
}

impl LibOptions {
    /// Resolves names, vendored libraries and source folders into a build request. A
    /// vendored library is built even when not named in `--lib`: declaring it is asking
    /// for it.
    pub(crate) fn request(&self, env: &Env) -> Result<LibRequest> {
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
        let request = LibRequest {
            names,
            vendored,
            source_dirs: super::source_dirs(&self.source_dirs, env),
            keep_failed: self.keep_failed,
        };
        super::check_names(&request)?;
        Ok(request)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.libs.is_empty() && self.vendor_libs.is_empty() && self.lib_files.is_empty()
    }
}

/// `muslbuild lib list`.
pub(crate) fn list(options: &LibOptions, env: &Env) -> Result<String> {
    let request = options.request(env)?;
    Ok(super::list(&request.catalog()))
}

/// `muslbuild lib build`: the libraries for every toolchain, and the report.
pub(crate) fn build(options: &LibOptions, toolchains: &[Toolchain], ctx: &Ctx) -> Result<Prepared> {
    let request = options.request(&ctx.env)?;
    if request.names.is_empty() {
        return Err(Error::usage(
            "no library named",
            "name one: `muslbuild lib build readline --target armv7`",
        ));
    }
    super::prepare(&request, toolchains, ctx)
}

/// `muslbuild lib env`: builds (or finds) the libraries for one toolchain and returns the
/// `export KEY=value` lines.
pub(crate) fn env_lines(options: &LibOptions, toolchain: &Toolchain, ctx: &Ctx) -> Result<String> {
    let prepared = build(options, std::slice::from_ref(toolchain), ctx)?;
    let set = prepared
        .link_set(toolchain.target)
        .expect("a link set per toolchain");
    Ok(super::env_lines(set, toolchain, &ctx.env))
}

/// The `--lib` step of a C build: builds what is missing, then adds the include dirs,
/// lib dirs and link names to each target's program.
pub(crate) fn prepare_programs(
    options: &LibOptions,
    toolchains: &[Toolchain],
    ctx: &Ctx,
) -> Result<Option<Prepared>> {
    if options.is_empty() {
        return Ok(None);
    }
    let request = options.request(&ctx.env)?;
    super::prepare(&request, toolchains, ctx).map(Some)
}
