//! Toolchains: a C compiler driver plus `ar` and `ranlib`, with the provider that found it,
//! its version, and a fingerprint used in cache keys. `discover` lists the candidates for
//! a target in the design's order; `probe` decides, once per fingerprint, whether one can
//! link a static musl executable for that target.

mod discover;
pub(crate) mod doctor;
mod fetch;
pub(crate) mod install;
pub(crate) mod installed;
pub(crate) mod manifest;
pub mod probe;

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Serialize;

pub(crate) use discover::Candidate;
pub(crate) use probe::python_package_program;
pub(crate) use probe::{Verdict, probe};

use crate::cache::Cache;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::target::Target;

/// A program and the leading arguments that make it the tool (cc-rs's `Tool`):
/// `zig cc -target aarch64-linux-musl` is one `Tool`, not a string to split.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Tool {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<OsString>,
}

impl Tool {
    pub(crate) fn new(program: impl Into<PathBuf>) -> Tool {
        Tool {
            program: program.into(),
            args: Vec::new(),
        }
    }

    pub(crate) fn with_args<I, S>(mut self, args: I) -> Tool
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub(crate) fn command(&self, ctx: &Ctx) -> crate::sys::process::Cmd {
        ctx.command(&self.program).args(&self.args)
    }

    /// The tool as one string for `CC=` in a `./configure` environment.
    pub(crate) fn to_shell_words(&self) -> String {
        std::iter::once(self.program.as_os_str())
            .chain(self.args.iter().map(|a| a.as_os_str()))
            .map(|s| {
                let s = s.to_string_lossy();
                shlex::try_quote(&s)
                    .map(|q| q.into_owned())
                    .unwrap_or_else(|_| s.into_owned())
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Provider {
    /// `--cc`, or a `CC_<target>` / `TARGET_CC` / `CC` variable.
    Override,
    /// A musl-cross GCC set (`aarch64-linux-musl-gcc`).
    MuslCross,
    /// `zig cc -target …`.
    Zig,
    /// The distribution's musl: `musl-gcc`, or a GNU cross gcc with musl's specs file.
    MuslGcc,
}

impl Provider {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Provider::Override => "override",
            Provider::MuslCross => "musl-cross",
            Provider::Zig => "zig",
            Provider::MuslGcc => "musl-gcc",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the driver takes its CPU flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Flavor {
    Gcc,
    Zig,
}

/// `--toolchain`: which provider `auto` may pick, or one compiler by path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Choice {
    Auto,
    Provider(Provider),
    Path(PathBuf),
}

impl FromStr for Choice {
    type Err = Error;

    fn from_str(s: &str) -> Result<Choice> {
        Ok(match s {
            "auto" => Choice::Auto,
            "musl-cross" => Choice::Provider(Provider::MuslCross),
            "zig" => Choice::Provider(Provider::Zig),
            "musl-gcc" | "distro" => Choice::Provider(Provider::MuslGcc),
            path if path.contains('/') => Choice::Path(PathBuf::from(path)),
            other => {
                return Err(Error::usage(
                    format!("unknown toolchain `{other}`"),
                    "use auto, musl-cross, zig, musl-gcc, or a path to a compiler (e.g. ./bin/aarch64-linux-musl-gcc)",
                ));
            }
        })
    }
}

/// A probed, usable toolchain for one target.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Toolchain {
    pub(crate) target: Target,
    pub(crate) provider: Provider,
    pub(crate) flavor: Flavor,
    /// Where it was found: `PATH`, `python3 ziglang`, `CC_aarch64_unknown_linux_musl`…
    pub(crate) origin: String,
    pub(crate) cc: Tool,
    pub(crate) ar: Tool,
    pub(crate) ranlib: Tool,
    pub(crate) version: String,
    pub(crate) fingerprint: String,
}

impl Toolchain {
    /// Flags every compile and link for this target gets, before the user's: they pin
    /// the CPU baseline whatever the toolchain's default is.
    pub(crate) fn target_flags(&self) -> Vec<String> {
        let flags = match self.flavor {
            Flavor::Zig => self.target.zig_cpu_flags(),
            Flavor::Gcc => self.target.gcc_cpu_flags(),
        };
        flags.iter().map(|s| s.to_string()).collect()
    }

    /// `zig 0.17.1`, `musl-gcc 12.2.0`: what the user sees beside an artifact.
    pub(crate) fn label(&self) -> String {
        format!("{} {}", self.provider, self.version)
    }
}

/// Every candidate for `target`, in resolution order: discovery's PATH look-ups and
/// stats, given the one answer that needs a process (where Python's `ziglang` keeps zig).
pub(crate) fn candidates(target: Target, request: &ToolchainRequest, ctx: &Ctx) -> Vec<Candidate> {
    let env = &ctx.env;
    let path = env.path().cloned().unwrap_or_default();
    let find = |name: &str| which::which_in(name, Some(&path), &env.cwd).ok();
    let zig_in_python = python_package_program("ziglang", Path::new("zig"), ctx, &find);
    discover::candidates(target, request, env, &ctx.cache, zig_in_python)
}

/// Settings that decide which toolchain a target gets.
#[derive(Clone, Debug)]
pub(crate) struct ToolchainRequest {
    pub(crate) choice: Choice,
    /// `--cc`: one compiler for every target, used as given.
    pub(crate) cc: Option<String>,
}

/// Resolves the toolchain for `target`: the first candidate (in the design's order) that
/// `choice` allows and that passes the probe.
///
/// When none works and `request` allows it, installs the first verified toolchain of the
/// manifest (said on stderr) and tries again; offline, the error says what to install.
pub(crate) fn resolve(target: Target, request: &ToolchainRequest, ctx: &Ctx) -> Result<Toolchain> {
    match resolve_found(target, request, ctx) {
        Err(err @ Error::NoToolchain { .. }) if install::may_auto_install(request) => {
            match install::ensure_installed(target, request, ctx)? {
                Some(_) => resolve_found(target, request, ctx),
                None => Err(err),
            }
        }
        other => other,
    }
}

/// `resolve` among what is already on the machine, installing nothing.
pub(crate) fn resolve_found(
    target: Target,
    request: &ToolchainRequest,
    ctx: &Ctx,
) -> Result<Toolchain> {
    let all = candidates(target, request, ctx);
    let allowed: Vec<&Candidate> = all.iter().filter(|c| allows(request, c)).collect();
    let mut rejected = Vec::new();
    for candidate in &allowed {
        match probe(candidate, ctx)? {
            Verdict::Usable {
                version,
                fingerprint,
            } => return Ok(candidate.toolchain(version, fingerprint)),
            Verdict::Unusable { reason, .. } => {
                rejected.push(format!("{} ({reason})", candidate.describe()))
            }
        }
    }
    let looked_for = if rejected.is_empty() {
        discover::looked_for(target, request)
    } else {
        format!(
            "{}; found but unusable: {}",
            discover::looked_for(target, request),
            rejected.join(", ")
        )
    };
    Err(Error::NoToolchain {
        target,
        looked_for,
        help: no_toolchain_help(target, request),
    })
}

fn allows(request: &ToolchainRequest, candidate: &Candidate) -> bool {
    if request.cc.is_some() {
        return candidate.provider == Provider::Override;
    }
    match &request.choice {
        Choice::Auto => true,
        Choice::Provider(p) => candidate.provider == *p,
        Choice::Path(_) => candidate.provider == Provider::Override,
    }
}

pub(crate) fn no_toolchain_help(target: Target, request: &ToolchainRequest) -> String {
    let arch = target.debian_arch();
    let distro = if Target::host() == Some(target) {
        "apt-get install musl-tools".to_string()
    } else {
        format!(
            "dpkg --add-architecture {arch} && apt-get update && apt-get install gcc-{} musl-dev:{arch}",
            target.debian_gnu_prefix()
        )
    };
    let mut help = format!(
        "get one with `python3 -m pip install ziglang` (zig cc covers every target), or `{distro}`, or put a musl-cross `{}-gcc` on PATH",
        target.gnu_triple()
    );
    if request.cc.is_some() || matches!(request.choice, Choice::Path(_) | Choice::Provider(_)) {
        help.push_str("; or drop --cc/--toolchain to let muslbuild pick any working one");
    }
    help.push_str("; `muslbuild toolchain list` shows what was found");
    help
}

/// The bin directories of toolchains installed in the cache (complete entries only).
/// Hidden names are an install's or a removal's temporary folders: a process killed
/// between writing the record and the rename leaves one that looks complete.
pub fn installed_bin_dirs(cache: &Cache) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(cache.dir("toolchains")) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| cache.is_complete(p))
        .map(|p| p.join("bin"))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// The `zig` of every zig installed in the cache.
pub(crate) fn installed_zigs(cache: &Cache) -> Vec<PathBuf> {
    installed_bin_dirs(cache)
        .into_iter()
        .map(|dir| dir.join("zig"))
        .filter(|p| p.is_file())
        .collect()
}

pub(crate) fn file_stamp(path: &Path) -> String {
    match std::fs::metadata(path) {
        Ok(meta) => {
            use std::os::unix::fs::MetadataExt;
            format!("{}:{}:{}", meta.len(), meta.mtime(), meta.mtime_nsec())
        }
        Err(_) => "missing".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_parse() {
        assert_eq!("auto".parse::<Choice>().unwrap(), Choice::Auto);
        assert_eq!(
            "zig".parse::<Choice>().unwrap(),
            Choice::Provider(Provider::Zig)
        );
        assert_eq!(
            "./cc".parse::<Choice>().unwrap(),
            Choice::Path(PathBuf::from("./cc"))
        );
        assert!(matches!("clang".parse::<Choice>(), Err(Error::Usage(..))));
    }

    #[test]
    fn help_names_concrete_commands() {
        let request = ToolchainRequest {
            choice: Choice::Auto,
            cc: None,
        };
        let help = no_toolchain_help(Target::Aarch64, &request);
        assert!(help.contains("pip install ziglang"), "{help}");
        assert!(help.contains("dpkg --add-architecture arm64"), "{help}");
        assert!(help.contains("musl-dev:arm64"), "{help}");
        assert!(help.contains("gcc-aarch64-linux-gnu"), "{help}");
    }
}
