//! Finds toolchain candidates for a target, in the design's order: overrides, musl-cross
//! GCC (on PATH or installed in the cache), zig, the distribution's musl. Finding is cheap
//! (PATH look-ups and stats; an installed toolchain by its completion record, its
//! entry checked only once `probe` gets to it); whether a candidate works is `probe`'s
//! job, and so is the one question that needs a process: where Python's `ziglang`
//! package keeps its zig.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::installed::{published, published_zigs};
use super::model::{Choice, Flavor, Provider, Tool, Toolchain, ToolchainRequest, file_stamp};
use crate::cache::Cache;
use crate::env::Env;
use crate::target::{Debian, Target};

#[derive(Clone, Debug)]
pub(crate) struct Candidate {
    pub(crate) target: Target,
    pub(crate) provider: Provider,
    pub(crate) flavor: Flavor,
    pub(crate) origin: String,
    pub(crate) cc: Tool,
    pub(crate) ar: Tool,
    pub(crate) ranlib: Tool,
    /// Size and mtime of the files that make up the compiler: a change invalidates the
    /// cached probe.
    pub(crate) stamp: String,
    /// The cache entry it is installed in, checked before it is probed or used.
    pub(crate) entry: Option<PathBuf>,
}

impl Candidate {
    fn new(
        target: Target,
        provider: Provider,
        flavor: Flavor,
        origin: impl Into<String>,
        cc: Tool,
        ar: Tool,
        ranlib: Tool,
    ) -> Candidate {
        let mut stamp = file_stamp(&cc.program);
        for arg in &cc.args {
            // A specs file is part of the compiler.
            let path = Path::new(arg);
            if path.is_absolute() && path.is_file() {
                stamp.push(' ');
                stamp.push_str(&file_stamp(path));
            }
        }
        Candidate {
            target,
            provider,
            flavor,
            origin: origin.into(),
            cc,
            ar,
            ranlib,
            stamp,
            entry: None,
        }
    }

    fn installed_in(mut self, entry: PathBuf) -> Candidate {
        self.entry = Some(entry);
        self
    }

    pub(crate) fn describe(&self) -> String {
        format!(
            "{} `{}` from {}",
            self.provider,
            self.cc.to_shell_words(),
            self.origin
        )
    }

    pub(crate) fn toolchain(&self, version: String, fingerprint: String) -> Toolchain {
        Toolchain {
            target: self.target,
            provider: self.provider,
            flavor: self.flavor,
            origin: self.origin.clone(),
            cc: self.cc.clone(),
            ar: self.ar.clone(),
            ranlib: self.ranlib.clone(),
            version,
            fingerprint,
            kernel_headers: None,
        }
    }
}

/// Every candidate for `target`, in resolution order. `zig_in_python` is the zig inside
/// Python's `ziglang` package, when there is one: finding it takes a process, so the
/// caller asks `probe` and passes the answer in.
pub(crate) fn candidates(
    target: Target,
    request: &ToolchainRequest,
    env: &Env,
    cache: &Cache,
    zig_in_python: Option<PathBuf>,
) -> Vec<Candidate> {
    let search = Search {
        target,
        host: Target::host(),
        env,
        path: env.path().cloned().unwrap_or_default(),
    };
    let mut found = Vec::new();
    found.extend(search.override_candidate(request));
    found.extend(search.musl_cross(cache));
    found.extend(search.zigs(cache, zig_in_python));
    found.extend(search.distribution_musl());
    found
}

/// Where candidates for one target are looked for.
struct Search<'a> {
    target: Target,
    host: Option<Target>,
    env: &'a Env,
    /// `PATH`, as the environment has it.
    path: std::ffi::OsString,
}

impl Search<'_> {
    fn find(&self, name: &str) -> Option<PathBuf> {
        which::which_in(name, Some(&self.path), &self.env.cwd).ok()
    }

    /// 1. Overrides: `--cc`, a `--toolchain` path, or the cc-rs variables.
    fn override_candidate(&self, request: &ToolchainRequest) -> Option<Candidate> {
        let (target, host, env) = (self.target, self.host, self.env);
        let find = |name: &str| self.find(name);
        let (origin, value) = match (&request.cc, &request.choice) {
            (Some(cc), _) => Some(("--cc".to_string(), OsString::from(cc))),
            (None, Choice::Path(p)) => {
                Some(("--toolchain".to_string(), p.clone().into_os_string()))
            }
            _ => env
                .tool_var("CC", target, host)
                .map(|(name, value)| (format!("${name}"), value.clone())),
        }?;
        let words = shlex::split(&value.to_string_lossy()).unwrap_or_default();
        let (program, args) = words.split_first()?;
        let program = resolve_program(program, &find, &env.cwd);
        let flavor = if program.file_name().is_some_and(|n| n == "zig") {
            Flavor::Zig
        } else {
            Flavor::Gcc
        };
        let cc = Tool::new(program.clone()).with_args(args.iter().cloned());
        let sibling = |tool: &str| -> Tool {
            if let Some((_, value)) = env.tool_var(&tool.to_ascii_uppercase(), target, host) {
                let words = shlex::split(&value.to_string_lossy()).unwrap_or_default();
                if let Some((p, a)) = words.split_first() {
                    return Tool::new(resolve_program(p, &find, &env.cwd))
                        .with_args(a.iter().cloned());
                }
            }
            if flavor == Flavor::Zig {
                return Tool::new(program.clone()).with_args([tool]);
            }
            sibling_tool(&program, tool).unwrap_or_else(|| Tool::new(tool))
        };
        let (ar, ranlib) = (sibling("ar"), sibling("ranlib"));
        Some(Candidate::new(
            target,
            Provider::Override,
            flavor,
            origin,
            cc,
            ar,
            ranlib,
        ))
    }

    /// 2. musl-cross GCC: on PATH first, then installed in the cache.
    fn musl_cross(&self, cache: &Cache) -> Vec<Candidate> {
        let mut found = Vec::new();
        let installed = published(cache);
        for prefix in self.target.musl_cross_prefixes() {
            let name = format!("{prefix}-gcc");
            // Only PATH can hold the distribution's wrapper; a set in the cache was
            // installed as musl-cross from the manifest.
            let on_path = self
                .find(&name)
                .filter(|p| !is_distro_wrapper(p))
                .map(|p| (p, "PATH", None));
            let in_cache = installed
                .iter()
                .map(|entry| (entry.join("bin").join(&name), entry))
                .find(|(gcc, _)| gcc.is_file())
                .map(|(gcc, entry)| (gcc, "the muslbuild cache", Some(entry.clone())));
            for (gcc, origin, entry) in on_path.into_iter().chain(in_cache) {
                let tool = |t: &str| sibling_tool(&gcc, t).unwrap_or_else(|| Tool::new(t));
                let (ar, ranlib) = (tool("ar"), tool("ranlib"));
                let candidate = Candidate::new(
                    self.target,
                    Provider::MuslCross,
                    Flavor::Gcc,
                    origin,
                    Tool::new(&gcc),
                    ar,
                    ranlib,
                );
                found.push(match entry {
                    Some(entry) => candidate.installed_in(entry),
                    None => candidate,
                });
            }
        }
        found
    }

    /// 3. zig: on PATH, the one inside Python's `ziglang` package, then installed ones.
    fn zigs(&self, cache: &Cache, zig_in_python: Option<PathBuf>) -> Vec<Candidate> {
        let target = self.target;
        let zigs = self
            .find("zig")
            .map(|p| (p, "PATH", None))
            .into_iter()
            .chain(zig_in_python.map(|p| (p, "python3 -m ziglang", None)))
            .chain(
                published_zigs(cache)
                    .into_iter()
                    .map(|(zig, entry)| (zig, "the muslbuild cache", Some(entry))),
            );
        zigs.map(|(zig, origin, entry)| {
            let cc = Tool::new(&zig).with_args(["cc", "-target", target.zig_triple()]);
            let ar = Tool::new(&zig).with_args(["ar"]);
            let ranlib = Tool::new(&zig).with_args(["ranlib"]);
            let candidate =
                Candidate::new(target, Provider::Zig, Flavor::Zig, origin, cc, ar, ranlib);
            match entry {
                Some(entry) => candidate.installed_in(entry),
                None => candidate,
            }
        })
        .collect()
    }

    /// 4. The distribution's musl.
    ///
    /// `musl-gcc` for the host, the GNU cross gcc with the specs file of
    /// `musl-dev:<arch>` for the others.
    fn distribution_musl(&self) -> Vec<Candidate> {
        let target = self.target;
        let mut found = Vec::new();
        if self.host == Some(target)
            && let Some(musl_gcc) = self.find("musl-gcc")
        {
            found.push(Candidate::new(
                target,
                Provider::MuslGcc,
                Flavor::Gcc,
                "PATH",
                Tool::new(musl_gcc),
                Tool::new("ar"),
                Tool::new("ranlib"),
            ));
        }
        let debian_gcc = target.debian().and_then(|debian| {
            let specs = debian_musl_specs(debian);
            let gcc = self.find(&format!("{}-gcc", debian.gnu_prefix))?;
            specs.is_file().then_some((gcc, specs))
        });
        if let Some((gcc, specs)) = debian_gcc {
            let tool = |t: &str| sibling_tool(&gcc, t).unwrap_or_else(|| Tool::new(t));
            let (ar, ranlib) = (tool("ar"), tool("ranlib"));
            let cc = Tool::new(&gcc).with_args([OsString::from("-specs"), specs.into_os_string()]);
            found.push(Candidate::new(
                target,
                Provider::MuslGcc,
                Flavor::Gcc,
                "PATH + musl-dev specs",
                cc,
                ar,
                ranlib,
            ));
        }
        found
    }
}

/// What `resolve` looked for, for the no-toolchain error.
pub(crate) fn looked_for(target: Target, request: &ToolchainRequest) -> String {
    if let Some(cc) = &request.cc {
        return format!("--cc {cc}");
    }
    let prefixes: Vec<String> = target
        .musl_cross_prefixes()
        .iter()
        .map(|p| format!("{p}-gcc"))
        .collect();
    let mut looked = format!(
        "$CC_{} / $TARGET_CC / $CC; {} on PATH or in the cache; zig on PATH, in Python's ziglang or in the cache",
        target.rust_triple().replace('-', "_"),
        prefixes.join(", "),
    );
    if Target::host() == Some(target) {
        looked.push_str("; musl-gcc");
    }
    if let Some(debian) = target.debian() {
        looked.push_str(&format!(
            "; {}-gcc with {}",
            debian.gnu_prefix,
            debian_musl_specs(debian).display()
        ));
    }
    looked
}

pub(crate) fn debian_musl_specs(debian: Debian) -> PathBuf {
    Path::new("/usr/lib")
        .join(debian.musl_multiarch)
        .join("musl-gcc.specs")
}

fn resolve_program(program: &str, find: &dyn Fn(&str) -> Option<PathBuf>, cwd: &Path) -> PathBuf {
    if program.contains('/') {
        cwd.join(program)
    } else {
        find(program).unwrap_or_else(|| PathBuf::from(program))
    }
}

/// Debian's `musl-dev` installs `aarch64-linux-musl-gcc` as a two-line script around the
/// GNU cross gcc and musl's specs file: that is the distribution's musl (step 4), not a
/// musl-cross set, and must not jump ahead of zig in the order.
fn is_distro_wrapper(gcc: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 512];
    let Ok(mut file) = std::fs::File::open(gcc) else {
        return false;
    };
    let n = file.read(&mut head).unwrap_or(0);
    head.starts_with(b"#!") && head[..n].windows(14).any(|w| w == b"musl-gcc.specs")
}

/// `aarch64-linux-musl-gcc` -> `aarch64-linux-musl-ar` beside it, if it exists.
fn sibling_tool(cc: &Path, tool: &str) -> Option<Tool> {
    let name = cc.file_name()?.to_str()?;
    let stem = name
        .strip_suffix("-gcc")
        .or_else(|| name.strip_suffix("-cc"))?;
    let sibling = cc.with_file_name(format!("{stem}-{tool}"));
    sibling.is_file().then(|| Tool::new(sibling))
}
