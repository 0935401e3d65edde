//! Building one library for one toolchain into its cache prefix: unpack (or copy the
//! vendored folder), refresh stale `config.sub`/`config.guess`, configure fully cross,
//! make, install into a staging folder, add compatibility names, then publish the prefix
//! by rename under the entry's lock. Each step logs to its own file.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::recipe::{BuildSystem, Recipe};
use super::source;
use crate::cache::{self, Cache};
use crate::cmd::Cmd;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::target::Target;
use crate::toolchain::{Flavor, Toolchain};

/// Flags every library object gets (after the toolchain's CPU flags). zig needs an `-O`
/// level or it builds with the UB sanitizer; sections let the final link drop unused code.
pub const LIB_CFLAGS: &[&str] = &["-Os", "-ffunction-sections", "-fdata-sections"];
/// zig reads the optimisation level at link time too.
pub const LIB_LDFLAGS: &[&str] = &["-static", "-Os"];

/// Where the machine's autotools-dev keeps current `config.sub`/`config.guess`.
pub const AUTOTOOLS_MISC: &str = "/usr/share/misc";

/// One library to build for one toolchain: its key, its prefix and its dependencies'.
#[derive(Clone, Debug)]
pub struct Job {
    pub recipe: Recipe,
    pub toolchain: Toolchain,
    pub key: String,
    pub prefix: PathBuf,
    /// Dependency prefixes, dependencies first (the whole closure, not just direct deps).
    pub dep_prefixes: Vec<PathBuf>,
    /// Verified archives, filled in before any build starts.
    pub archives: Vec<PathBuf>,
}

impl Job {
    pub fn target(&self) -> Target {
        self.toolchain.target
    }

    pub fn log_dir(&self, cache: &Cache) -> PathBuf {
        cache
            .dir("logs")
            .join("libs")
            .join(self.prefix.file_name().expect("prefix has a name"))
    }
}

/// Programs on the build machine, resolved once before any build starts.
#[derive(Clone, Debug, Default)]
pub struct HostTools {
    pub make: PathBuf,
    pub build_cc: Option<String>,
    pub tools: BTreeMap<String, PathBuf>,
    pub build_triple: String,
}

/// The Debian package that provides a host program, for "install it" hints.
pub fn package_for(tool: &str) -> &str {
    match tool {
        "tic" | "infocmp" => "ncurses-bin",
        "cc" | "gcc" => "gcc",
        "xz" => "xz-utils",
        "config.sub" | "config.guess" => "autotools-dev",
        "autoreconf" | "autoconf" => "autoconf",
        other => other,
    }
}

/// Finds every host program the given recipes need, or names the first missing one with
/// its package, before anything starts.
pub fn check_host_tools<'a>(
    recipes: impl IntoIterator<Item = &'a Recipe>,
    env: &Env,
) -> Result<HostTools> {
    let path = env.path().cloned().unwrap_or_default();
    let find =
        |name: &str| -> Option<PathBuf> { which::which_in(name, Some(&path), &env.cwd).ok() };
    let missing = |tool: &str, by: &str| Error::MissingHostTool {
        tool: tool.to_string(),
        package: package_for(tool).to_string(),
        needed_by: by.to_string(),
    };
    let mut host = HostTools {
        build_triple: build_triple(),
        ..HostTools::default()
    };
    let make_name = env
        .make()
        .map(|m| m.to_string_lossy().into_owned())
        .unwrap_or_else(|| "make".into());
    let mut make = None;
    for recipe in recipes {
        let by = format!("library {}", recipe.name);
        if make.is_none() {
            make = Some(find(&make_name).ok_or_else(|| missing(&make_name, &by))?);
        }
        if !recipe.sources.is_empty() {
            host.tools
                .entry("tar".into())
                .or_insert(find("tar").ok_or_else(|| missing("tar", &by))?);
        }
        for source in &recipe.sources {
            let decompressor = match source.file.rsplit('.').next() {
                Some("gz" | "tgz") => "gzip",
                Some("bz2" | "tbz2") => "bzip2",
                Some("xz" | "txz") => "xz",
                _ => continue,
            };
            let found = find(decompressor).ok_or_else(|| missing(decompressor, &by))?;
            host.tools.insert(decompressor.into(), found);
        }
        if recipe.build == BuildSystem::Cmake {
            host.tools.insert(
                "cmake".into(),
                find("cmake").ok_or_else(|| missing("cmake", &by))?,
            );
        }
        for tool in &recipe.host_tools {
            host.tools
                .insert(tool.clone(), find(tool).ok_or_else(|| missing(tool, &by))?);
        }
        if recipe.build == BuildSystem::Autotools
            && recipe.path.is_none()
            && !Path::new(AUTOTOOLS_MISC).join("config.sub").is_file()
        {
            return Err(missing("config.sub", &by));
        }
        if host.build_cc.is_none() {
            host.build_cc = match env.build_cc() {
                Some(cc) => Some(cc.to_string_lossy().into_owned()),
                None => find("cc")
                    .or_else(|| find("gcc"))
                    .map(|p| p.display().to_string()),
            };
        }
        if recipe.needs_build_cc && host.build_cc.is_none() {
            return Err(missing(
                "cc",
                &format!("{by} (a host C compiler for its build-time generators)"),
            ));
        }
    }
    host.make = make.unwrap_or_else(|| PathBuf::from(make_name));
    Ok(host)
}

/// The build machine's GNU triple for `--build`. Only its difference from `--host`
/// matters (it makes autoconf cross-compile even for the host's own arch), so it is
/// derived rather than asked of `config.guess`.
fn build_triple() -> String {
    match std::env::consts::ARCH {
        "x86_64" => "x86_64-pc-linux-gnu".into(),
        "arm" => "armv7l-unknown-linux-gnueabihf".into(),
        arch => format!("{arch}-unknown-linux-gnu"),
    }
}

pub struct Settings<'a> {
    pub cache: &'a Cache,
    pub env: &'a Env,
    pub host: &'a HostTools,
    /// The `-j` budget shared by every target building at the moment.
    pub budget: usize,
    /// How many targets are building right now (their chains not finished).
    pub active: &'a std::sync::atomic::AtomicUsize,
    /// This target's progress line.
    pub progress: &'a crate::progress::Line,
}

impl Settings<'_> {
    /// This target's share of the budget, asked when a step starts: a target whose
    /// neighbours have finished gets their share too.
    pub fn make_jobs(&self) -> usize {
        let active = self
            .active
            .load(std::sync::atomic::Ordering::Relaxed)
            .max(1);
        (self.budget / active).max(1)
    }
}

/// Builds `job` unless its prefix is already complete; returns whether it built.
pub fn build(job: &Job, settings: &Settings<'_>) -> Result<bool> {
    let cache = settings.cache;
    let _lock = cache.lock(&format!("lib-{}", job.key))?;
    if cache::is_complete(&job.prefix) {
        return Ok(false);
    }
    let logs = job.log_dir(cache);
    if logs.exists() {
        std::fs::remove_dir_all(&logs).map_err(Error::io("cannot clear the old logs", &logs))?;
    }
    std::fs::create_dir_all(&logs).map_err(Error::io("cannot create the log directory", &logs))?;
    let work = cache.temp_dir("libs")?;
    settings.progress.step(&job.recipe.label(), "unpack");
    let src = prepare_tree(job, work.path(), &logs)?;
    let stage = work.path().join("stage");
    let runner = Runner {
        job,
        settings,
        src: &src,
        stage: &stage,
        logs: &logs,
    };
    match job.recipe.build {
        BuildSystem::Autotools | BuildSystem::Configure => runner.configure_make()?,
        BuildSystem::Make => runner.make_only()?,
        BuildSystem::Cmake => runner.cmake()?,
    }
    let staged = stage.join(job.prefix.strip_prefix("/").unwrap_or(&job.prefix));
    if !staged.is_dir() {
        return Err(Error::LibraryBuild {
            library: job.recipe.name.clone(),
            target: job.target(),
            step: "install".into(),
            log: logs.join("install.log"),
            tail: format!("nothing was installed under {}", job.prefix.display()),
        });
    }
    finish_prefix(job, &staged, &logs)?;
    let entry = cache.temp_dir("libs")?;
    std::fs::remove_dir(entry.path()).map_err(Error::io("cannot prepare", entry.path()))?;
    std::fs::rename(&staged, entry.path())
        .map_err(Error::io("cannot move into place", entry.path()))?;
    let record = serde_json::json!({
        "name": job.recipe.name,
        "version": job.recipe.version,
        "target": job.target().name(),
        "toolchain": job.toolchain.label(),
        "key": job.key,
        "libs": job.recipe.link_names(),
    });
    cache::publish_dir(
        entry,
        &job.prefix,
        &serde_json::to_string_pretty(&record).expect("json"),
    )?;
    Ok(true)
}

/// Unpacks the archives (or copies the vendored folder) into `work/src` and refreshes
/// stale autoconf helper scripts.
fn prepare_tree(job: &Job, work: &Path, logs: &Path) -> Result<PathBuf> {
    let src = match &job.recipe.path {
        Some(dir) => {
            let dest = work.join("src").join(&job.recipe.name);
            source::copy_folder(dir, &dest)?;
            dest
        }
        None => {
            let mut main = None;
            for (i, archive) in job.archives.iter().enumerate() {
                let dir = source::unpack(
                    archive,
                    &work.join(format!("src{i}")),
                    &logs.join("unpack.log"),
                )?;
                main.get_or_insert(dir);
            }
            main.expect("a recipe with archives has at least one")
        }
    };
    if job.recipe.build == BuildSystem::Autotools {
        refresh_config_scripts(&src, job.target(), &logs.join("config-scripts.log"))?;
    }
    Ok(src)
}

/// Replaces every `config.sub` that rejects the target's triple (and its
/// `config.guess`) with the machine's copies from autotools-dev.
pub fn refresh_config_scripts(src: &Path, target: Target, log: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    find_named(src, "config.sub", 3, &mut found);
    let mut notes = String::new();
    let mut replaced = Vec::new();
    let misc = Path::new(AUTOTOOLS_MISC);
    for sub in found {
        let verdict = Cmd::new("sh")
            .arg(&sub)
            .arg(target.gnu_triple())
            .output_any_status()?;
        if verdict.status.success() {
            notes.push_str(&format!(
                "{}: knows {}\n",
                sub.display(),
                target.gnu_triple()
            ));
            continue;
        }
        let fresh = misc.join("config.sub");
        if !fresh.is_file() {
            return Err(Error::MissingHostTool {
                tool: fresh.display().to_string(),
                package: "autotools-dev".into(),
                needed_by: format!(
                    "{} (its config.sub does not know {})",
                    sub.display(),
                    target.gnu_triple()
                ),
            });
        }
        std::fs::copy(&fresh, &sub).map_err(Error::io("cannot replace", &sub))?;
        let guess = sub.with_file_name("config.guess");
        if guess.is_file() && misc.join("config.guess").is_file() {
            std::fs::copy(misc.join("config.guess"), &guess)
                .map_err(Error::io("cannot replace", &guess))?;
        }
        notes.push_str(&format!(
            "{}: rejected {}; replaced from {}\n",
            sub.display(),
            target.gnu_triple(),
            misc.display()
        ));
        replaced.push(sub);
    }
    let _ = std::fs::write(log, notes);
    Ok(replaced)
}

fn find_named(dir: &Path, name: &str, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_file() && entry.file_name() == name {
            out.push(path);
        } else if kind.is_dir() && depth > 0 {
            find_named(&path, name, depth - 1, out);
        }
    }
}

/// Compatibility names and a check that every exported library really was installed.
fn finish_prefix(job: &Job, staged: &Path, logs: &Path) -> Result<()> {
    for (link, target) in &job.recipe.symlinks {
        let path = staged.join(link);
        if std::fs::symlink_metadata(&path).is_ok() {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(Error::io("cannot create", parent))?;
        }
        std::os::unix::fs::symlink(target, &path).map_err(Error::io("cannot create", &path))?;
    }
    for lib in job.recipe.link_names() {
        let archive = staged.join("lib").join(format!("lib{lib}.a"));
        if !archive.exists() {
            return Err(Error::LibraryBuild {
                library: job.recipe.name.clone(),
                target: job.target(),
                step: "install".into(),
                log: logs.join("install.log"),
                tail: format!(
                    "the install step did not produce lib/lib{lib}.a (exported as -l{lib})"
                ),
            });
        }
    }
    for program in &job.recipe.exports.programs {
        if !["bin", "sbin"]
            .iter()
            .any(|d| staged.join(d).join(program).is_file())
        {
            return Err(Error::LibraryBuild {
                library: job.recipe.name.clone(),
                target: job.target(),
                step: "install".into(),
                log: logs.join("install.log"),
                tail: format!("the install step did not produce bin/{program} or sbin/{program}"),
            });
        }
    }
    Ok(())
}

/// The cross environment every step of a library build runs in. The process environment
/// is not inherited beyond `Env::passthrough_for_builds`, so host `CFLAGS`,
/// `PKG_CONFIG_PATH` or `MAKEFLAGS` cannot leak in.
pub fn cross_env(job: &Job, host: &HostTools, env: &Env) -> Vec<(String, OsString)> {
    let tc = &job.toolchain;
    let mut vars: Vec<(String, OsString)> = env.passthrough_for_builds();
    let mut set = |k: &str, v: String| vars.push((k.to_string(), OsString::from(v)));
    set("CC", cc_words(tc));
    set("AR", tc.ar.to_shell_words());
    set("RANLIB", tc.ranlib.to_shell_words());
    set("STRIP", strip_for(tc));
    set("CFLAGS", LIB_CFLAGS.join(" "));
    let quote = |p: &Path| {
        shlex::try_quote(&p.display().to_string())
            .map(|q| q.into_owned())
            .unwrap_or_default()
    };
    let cppflags: Vec<String> = job
        .dep_prefixes
        .iter()
        .map(|p| format!("-I{}", quote(&p.join("include"))))
        .collect();
    set("CPPFLAGS", cppflags.join(" "));
    let mut ldflags: Vec<String> = LIB_LDFLAGS.iter().map(|s| s.to_string()).collect();
    ldflags.extend(
        job.dep_prefixes
            .iter()
            .map(|p| format!("-L{}", quote(&p.join("lib")))),
    );
    set("LDFLAGS", ldflags.join(" "));
    if let Some(cc) = &host.build_cc {
        set("CC_FOR_BUILD", cc.clone());
        set("BUILD_CC", cc.clone());
        set("HOSTCC", cc.clone());
    }
    set(
        "PKG_CONFIG_LIBDIR",
        pkg_config_libdir(&job.prefix, &job.dep_prefixes),
    );
    set("PKG_CONFIG_PATH", String::new());
    // Debian's autoconf site defaults describe the host, not the target.
    set("CONFIG_SITE", "/dev/null".into());
    set("LC_ALL", "C".into());
    set("SOURCE_DATE_EPOCH", env.source_date_epoch().to_string());
    vars
}

/// `CC` with the target's CPU flags inside it, so that steps which ignore `CFLAGS` (some
/// link lines, configure's preprocessor checks) still compile for the right CPU.
pub fn cc_words(tc: &Toolchain) -> String {
    let mut words = tc.cc.to_shell_words();
    for flag in tc.target_flags() {
        words.push(' ');
        words.push_str(&flag);
    }
    words
}

/// The host `strip` cannot read foreign binaries and zig has none that works, so `STRIP`
/// is the toolchain's own when it has one, else `true` (nothing is stripped: libraries
/// keep their symbols and programs are stripped at link time with `-s`).
pub fn strip_for(tc: &Toolchain) -> String {
    if tc.flavor == Flavor::Gcc
        && let Some(name) = tc.ar.program.file_name().and_then(|n| n.to_str())
        && let Some(stem) = name.strip_suffix("-ar")
    {
        let strip = tc.ar.program.with_file_name(format!("{stem}-strip"));
        if strip.is_file() {
            return strip.display().to_string();
        }
    }
    if tc.flavor == Flavor::Gcc && Target::host() == Some(tc.target) {
        return "strip".into();
    }
    "true".into()
}

pub fn pkg_config_libdir(prefix: &Path, deps: &[PathBuf]) -> String {
    let mut dirs = Vec::new();
    for p in deps.iter().chain(std::iter::once(&prefix.to_path_buf())) {
        dirs.push(p.join("lib/pkgconfig").display().to_string());
        dirs.push(p.join("share/pkgconfig").display().to_string());
    }
    dirs.join(":")
}

struct Runner<'a> {
    job: &'a Job,
    settings: &'a Settings<'a>,
    src: &'a Path,
    stage: &'a Path,
    logs: &'a Path,
}

impl Runner<'_> {
    fn cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> Cmd {
        let mut cmd = Cmd::new(program).env_clear().current_dir(self.src);
        for (k, v) in cross_env(self.job, self.settings.host, self.settings.env) {
            cmd = cmd.env(k, v);
        }
        cmd
    }

    fn step(&self, step: &str, cmd: Cmd) -> Result<()> {
        self.settings.progress.step(&self.job.recipe.label(), step);
        let log = self.logs.join(format!("{step}.log"));
        cmd.run_logged(&log).map_err(|err| match err {
            Error::CommandFailed { tail, .. } => Error::LibraryBuild {
                library: self.job.recipe.name.clone(),
                target: self.job.target(),
                step: step.to_string(),
                log,
                // The log's first line is the (long) command itself; the help points to it.
                tail: tail
                    .lines()
                    .filter(|l| !l.starts_with("$ "))
                    .collect::<Vec<_>>()
                    .join("\n"),
            },
            other => other,
        })
    }

    fn expand(&self, arg: &str) -> String {
        let host = self.settings.host;
        let mut out = arg.replace("{prefix}", &self.job.prefix.display().to_string());
        out = out.replace("{build_cc}", host.build_cc.as_deref().unwrap_or("cc"));
        while let Some(start) = out.find("{host_tool:") {
            let Some(len) = out[start..].find('}') else {
                break;
            };
            let name = &out[start + "{host_tool:".len()..start + len];
            let path = host
                .tools
                .get(name)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| name.to_string());
            out.replace_range(start..start + len + 1, &path);
        }
        out
    }

    fn make(&self) -> Cmd {
        let jobs = self.settings.make_jobs();
        self.cmd(&self.settings.host.make)
            .arg(format!("-j{jobs}"))
            .args(self.job.recipe.make.args.iter().map(|a| self.expand(a)))
    }

    fn destdir(&self) -> String {
        format!("DESTDIR={}", self.stage.display())
    }

    fn configure_make(&self) -> Result<()> {
        let recipe = &self.job.recipe;
        let mut configure = self
            .cmd("sh")
            .arg("./configure")
            .arg(format!("--prefix={}", self.job.prefix.display()));
        if recipe.build == BuildSystem::Autotools {
            configure = configure
                .arg(format!("--host={}", self.job.target().gnu_triple()))
                .arg(format!("--build={}", self.settings.host.build_triple));
        }
        configure = configure.args(recipe.configure.args.iter().map(|a| self.expand(a)));
        self.step("configure", configure)?;
        self.step("make", self.make().args(&recipe.make.targets))?;
        let install: Vec<String> = if recipe.make.install_targets.is_empty() {
            vec!["install".into()]
        } else {
            recipe.make.install_targets.clone()
        };
        // Installing in parallel races on directory creation in some Makefiles.
        let install_cmd = self.make().arg("-j1").args(install).arg(self.destdir());
        self.step("install", install_cmd)
    }

    /// Plain Makefiles: the compiler on make's command line (it beats `CC = gcc` in the
    /// file), flags from the environment (so the file's own `CFLAGS +=` still work).
    fn make_only(&self) -> Result<()> {
        let recipe = &self.job.recipe;
        let tc = &self.job.toolchain;
        let prefix = self.job.prefix.display().to_string();
        let tools = [
            format!("CC={}", cc_words(tc)),
            format!("AR={}", tc.ar.to_shell_words()),
            format!("RANLIB={}", tc.ranlib.to_shell_words()),
        ];
        self.step("make", self.make().args(&tools).args(&recipe.make.targets))?;
        let install: Vec<String> = if recipe.make.install_targets.is_empty() {
            vec!["install".into()]
        } else {
            recipe.make.install_targets.clone()
        };
        let install_cmd = self
            .make()
            .arg("-j1")
            .args(&tools)
            .args(install)
            .arg(format!("PREFIX={prefix}"))
            .arg(format!("prefix={prefix}"))
            .arg(self.destdir());
        self.step("install", install_cmd)
    }

    fn cmake(&self) -> Result<()> {
        let recipe = &self.job.recipe;
        let tc = &self.job.toolchain;
        let build = self.src.join("muslbuild-cmake");
        let mut roots = self
            .job
            .dep_prefixes
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>();
        roots.push(self.job.prefix.display().to_string());
        let processor = match self.job.target() {
            Target::X86_64 => "x86_64",
            Target::Aarch64 => "aarch64",
            Target::Armv7 => "armv7l",
        };
        let configure = self
            .cmd("cmake")
            .arg("-S")
            .arg(self.src)
            .arg("-B")
            .arg(&build)
            .arg("-DCMAKE_SYSTEM_NAME=Linux")
            .arg(format!("-DCMAKE_SYSTEM_PROCESSOR={processor}"))
            .arg("-DCMAKE_BUILD_TYPE=MinSizeRel")
            .arg("-DBUILD_SHARED_LIBS=OFF")
            .arg(format!(
                "-DCMAKE_INSTALL_PREFIX={}",
                self.job.prefix.display()
            ))
            .arg("-DCMAKE_INSTALL_LIBDIR=lib")
            .arg(format!("-DCMAKE_FIND_ROOT_PATH={}", roots.join(";")))
            .arg("-DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER")
            .arg("-DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY")
            .arg("-DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY")
            .arg("-DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=ONLY")
            .args(
                tc.ar
                    .args
                    .is_empty()
                    .then(|| format!("-DCMAKE_AR={}", tc.ar.program.display())),
            )
            .args(recipe.configure.args.iter().map(|a| self.expand(a)));
        self.step("configure", configure)?;
        let jobs = self.settings.make_jobs();
        self.step(
            "make",
            self.cmd("cmake")
                .arg("--build")
                .arg(&build)
                .arg("-j")
                .arg(jobs.to_string()),
        )?;
        self.step(
            "install",
            self.cmd("cmake")
                .arg("--install")
                .arg(&build)
                .env("DESTDIR", self.stage),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_config_sub_is_replaced_and_current_one_kept() {
        if !Path::new(AUTOTOOLS_MISC).join("config.sub").is_file() {
            panic!(
                "prerequisite /usr/share/misc/config.sub is missing: run scripts/setup-test-env.sh (it installs autotools-dev)"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("old")).unwrap();
        std::fs::create_dir(dir.path().join("new")).unwrap();
        // An old config.sub that knows no musl at all.
        std::fs::write(
            dir.path().join("old/config.sub"),
            "#!/bin/sh\necho \"Invalid configuration '$1'\" >&2\nexit 1\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("old/config.guess"), "#!/bin/sh\nexit 1\n").unwrap();
        std::fs::write(
            dir.path().join("new/config.sub"),
            "#!/bin/sh\necho \"$1\"\n",
        )
        .unwrap();
        let log = dir.path().join("log");
        let replaced = refresh_config_scripts(dir.path(), Target::Armv7, &log).unwrap();
        assert_eq!(replaced, vec![dir.path().join("old/config.sub")]);
        let fresh = std::fs::read(Path::new(AUTOTOOLS_MISC).join("config.sub")).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("old/config.sub")).unwrap(),
            fresh
        );
        assert_ne!(
            std::fs::read(dir.path().join("old/config.guess")).unwrap(),
            b"#!/bin/sh\nexit 1\n"
        );
        assert_eq!(
            std::fs::read(dir.path().join("new/config.sub")).unwrap(),
            b"#!/bin/sh\necho \"$1\"\n"
        );
    }

    #[test]
    fn pkg_config_is_confined_to_the_prefixes() {
        let dirs = pkg_config_libdir(
            Path::new("/c/libs/readline"),
            &[PathBuf::from("/c/libs/ncurses")],
        );
        assert_eq!(
            dirs,
            "/c/libs/ncurses/lib/pkgconfig:/c/libs/ncurses/share/pkgconfig:/c/libs/readline/lib/pkgconfig:/c/libs/readline/share/pkgconfig"
        );
        assert!(!dirs.contains("/usr"));
    }

    #[test]
    fn missing_host_tool_names_its_package() {
        let recipe = super::super::recipe::Catalog::new(Vec::new())
            .get("ncurses")
            .unwrap()
            .clone();
        let env = Env::from_vars([("PATH", "/nonexistent")], PathBuf::from("/"));
        match check_host_tools([&recipe], &env) {
            Err(Error::MissingHostTool { tool, package, .. }) => {
                assert_eq!((tool.as_str(), package.as_str()), ("make", "make"))
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
