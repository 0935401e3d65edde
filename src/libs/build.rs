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
use crate::env::Env;
use crate::error::{Error, Result};
use crate::sys::process::{self as cmd, Cmd};
use crate::target::Target;
use crate::toolchain::{Flavor, Toolchain};

/// Whether a build makes libraries (linked later into programs) or a project's programs
/// (artifacts): they differ in position independence, section GC and stripping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Libraries,
    Programs,
}

/// Size first: zig needs an `-O` level or it builds with the UB sanitizer; sections let the
/// final link drop unused code.
pub const SIZE_CFLAGS: &[&str] = &["-Os", "-ffunction-sections", "-fdata-sections"];
/// Static libraries are position-independent, so a consumer that links `-fPIE -pie` (a
/// common hardening default) links them as well as a non-PIE one does.
pub const LIB_PIC: &str = "-fPIC";
/// clang (zig cc) makes these errors; old configure scripts' tests then fail for the
/// wrong reason ("Cannot find terminal libraries"). Distributions pass the same.
pub const CLANG_COMPAT: &[&str] = &[
    "-Wno-error=implicit-function-declaration",
    "-Wno-error=implicit-int",
    "-Wno-error=int-conversion",
    "-Wno-error=incompatible-function-pointer-types",
];

/// `CFLAGS` of a build (before the recipe's own): size, sections, `-fPIC` for libraries,
/// clang's compatibility flags with zig.
pub fn cflags(tc: &Toolchain, output: Output) -> Vec<String> {
    let mut flags: Vec<String> = SIZE_CFLAGS.iter().map(|s| s.to_string()).collect();
    if output == Output::Libraries {
        flags.push(LIB_PIC.into());
    }
    if tc.flavor == Flavor::Zig {
        flags.extend(CLANG_COMPAT.iter().map(|s| s.to_string()));
    }
    flags
}

/// `LDFLAGS` of a build (before `-L` and the recipe's own): static, `-Os` (zig reads the
/// level at link time too); programs also get section GC and the strip decision.
pub fn ldflags(tc: &Toolchain, output: Output, strip: bool) -> Vec<String> {
    let mut flags = vec!["-static".to_string(), "-Os".to_string()];
    if output == Output::Programs {
        // The same as -static for gcc and clang, but libtool passes it through: it takes
        // -static to mean "static libtool libraries" and links libc dynamically.
        flags.insert(1, "--static".into());
        flags.push("-Wl,--gc-sections".into());
        flags.extend(strip_flags(tc, strip).iter().map(|s| s.to_string()));
    }
    flags
}

/// The one place that decides how a vendored program loses its symbols: at link time,
/// since no strip that reads the target's ELF is guaranteed to exist (the host's cannot
/// read foreign binaries and zig has none). zig drops the symbol table by itself at `-Os`;
/// only `-g` makes it keep symbols.
pub fn strip_flags(tc: &Toolchain, strip: bool) -> &'static [&'static str] {
    match (strip, tc.flavor) {
        (true, _) => &["-s"],
        (false, Flavor::Zig) => &["-g"],
        (false, Flavor::Gcc) => &[],
    }
}

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
    /// Their names, in the same order (`{prefix:NAME}` in arguments).
    pub dep_names: Vec<String>,
    /// Verified archives, filled in before any build starts.
    pub archives: Vec<PathBuf>,
    /// The dependency closure's link names, dependents first (`-lreadline -lhistory
    /// -lncursesw -ltinfow`): a vendored build's `LIBS`, so that configure's link tests
    /// (`AC_SEARCH_LIBS(initscr, ncursesw)`) link the whole static closure.
    pub dep_libs: Vec<String>,
    /// A vendored folder's content hash (empty for archives).
    pub content: String,
}

impl Job {
    pub fn target(&self) -> Target {
        self.toolchain.target
    }

    pub fn output(&self) -> Output {
        if self.recipe.is_project() {
            Output::Programs
        } else {
            Output::Libraries
        }
    }

    /// Whether nothing needs to run: a library's prefix is complete; a project's staged
    /// install was made from the folder's current contents.
    pub fn is_current(&self) -> bool {
        if self.recipe.is_project() {
            super::vendor::is_current(self)
        } else {
            cache::is_complete(&self.prefix)
        }
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
        "autoreconf" | "autoconf" | "autoheader" => "autoconf",
        "aclocal" => "automake",
        "libtoolize" => "libtool",
        "makeinfo" => "texinfo",
        "pkg-config" | "pkgconf" => "pkgconf",
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
        let by = recipe.subject();
        if make.is_none() {
            make = Some(find(&make_name).ok_or_else(|| missing(&make_name, &by))?);
        }
        // Source archives are unpacked in-process (`toolchain::unpack`): no `tar`,
        // `gzip`, `bzip2` or `xz` is needed.
        if recipe.build == BuildSystem::Cmake {
            host.tools.insert(
                "cmake".into(),
                find("cmake").ok_or_else(|| missing("cmake", &by))?,
            );
        }
        for tool in recipe.host_tools.iter().chain(recipe.bootstrap.first()) {
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
pub fn build_triple() -> String {
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
    /// `--keep-failed`: a failed library build keeps its whole temporary tree.
    pub keep_failed: bool,
    /// This target's progress line.
    pub progress: &'a crate::sys::progress::Line,
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
    let _lock = lock(cache, job)?;
    if cache::is_complete(&job.prefix) {
        return Ok(false);
    }
    let logs = fresh_logs(job, cache)?;
    let work = cache.temp_dir("libs")?;
    let result = build_in(job, settings, work.path(), &logs);
    match result {
        Err(err) if settings.keep_failed => {
            let kept = work.keep();
            if cmd::verbosity() >= cmd::NORMAL {
                eprintln!(
                    "muslbuild: kept the failed build of {} for {} in {}",
                    job.recipe.subject(),
                    job.target(),
                    kept.display()
                );
            }
            Err(err.with_kept(kept))
        }
        other => other.map(|()| true),
    }
}

/// The entry's lock; a wait on another process says so.
pub fn lock(cache: &Cache, job: &Job) -> Result<std::fs::File> {
    cache.lock_announced(
        &format!("lib-{}", job.key),
        &format!("{} for {}", job.recipe.subject(), job.target()),
    )
}

fn fresh_logs(job: &Job, cache: &Cache) -> Result<PathBuf> {
    let logs = job.log_dir(cache);
    if logs.exists() {
        std::fs::remove_dir_all(&logs).map_err(Error::io("cannot clear the old logs", &logs))?;
    }
    std::fs::create_dir_all(&logs).map_err(Error::io("cannot create the log directory", &logs))?;
    Ok(logs)
}

fn build_in(job: &Job, settings: &Settings<'_>, work: &Path, logs: &Path) -> Result<()> {
    let cache = settings.cache;
    settings.progress.step(&job.recipe.label(), "unpack");
    let src = prepare_tree(job, work, logs)?;
    check_configure_script(&job.recipe, &src)?;
    let stage = work.join("stage");
    let runner = Runner {
        job,
        settings,
        src: &src,
        dir: &src,
        logs,
        prefix: job.prefix.display().to_string(),
        maps: vec![work.to_path_buf()],
    };
    runner.configure()?;
    runner.compile()?;
    runner.install(&stage)?;
    let staged = stage.join(job.prefix.strip_prefix("/").unwrap_or(&job.prefix));
    if !staged.is_dir() {
        return Err(runner.failure(
            "install",
            format!("nothing was installed under {}", job.prefix.display()),
        ));
    }
    finish_prefix(job, &staged, logs)?;
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
    )
}

/// An autotools or configure build needs `./configure`; a checkout without one needs a
/// `bootstrap` command first.
pub fn check_configure_script(recipe: &Recipe, src: &Path) -> Result<()> {
    if matches!(
        recipe.build,
        BuildSystem::Autotools | BuildSystem::Configure
    ) && !src.join("configure").is_file()
    {
        let hint = if recipe.bootstrap.is_empty() {
            "add `bootstrap = [\"autoreconf\", \"-fi\"]` (run in a copy of the folder before configure) for a checkout that has only configure.ac, or set `build` to make or cmake"
        } else {
            "the `bootstrap` command ran but made no ./configure; check what it generates"
        };
        return Err(Error::LibrarySpec {
            origin: format!("for {}", recipe.subject()),
            reason: format!(
                "{} has no ./configure to run (build = \"{}\")",
                src.display(),
                recipe.build.name()
            ),
            help: hint.into(),
        });
    }
    Ok(())
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
    bootstrap(job, &src, logs)?;
    if job.recipe.build == BuildSystem::Autotools {
        refresh_config_scripts(&src, job.target(), &logs.join("config-scripts.log"))?;
    }
    Ok(src)
}

/// Runs the recipe's `bootstrap` command (argv, never a shell) in `tree`, a copy.
pub fn bootstrap(job: &Job, tree: &Path, logs: &Path) -> Result<()> {
    let Some((program, args)) = job.recipe.bootstrap.split_first() else {
        return Ok(());
    };
    let log = logs.join("bootstrap.log");
    Cmd::new(program)
        .args(args)
        .current_dir(tree)
        .env("LC_ALL", "C")
        .run_logged(&log)
        .map_err(|err| match err {
            Error::CommandFailed { tail, .. } => Error::LibraryBuild {
                subject: job.recipe.subject(),
                target: job.target(),
                step: "bootstrap",
                log,
                tail: without_command(&tail),
                kept: Vec::new(),
            },
            other => other,
        })
}

fn without_command(tail: &str) -> String {
    crate::sys::process::without_command_line(tail)
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
        if std::fs::symlink_metadata(&guess).is_ok_and(|m| m.is_file())
            && misc.join("config.guess").is_file()
        {
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
    for (archive, from) in &job.recipe.merge {
        merge_archives(job, &staged.join(archive), from, staged, logs)?;
    }
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
                subject: job.recipe.subject(),
                target: job.target(),
                step: "install",
                log: logs.join("install.log"),
                tail: format!(
                    "the install step did not produce lib/lib{lib}.a (exported as -l{lib})"
                ),
                kept: Vec::new(),
            });
        }
    }
    Ok(())
}

/// Appends the members of the `from` archives to `archive` (quick append: a member name
/// that exists in both is kept twice rather than replaced), then rebuilds its index.
fn merge_archives(
    job: &Job,
    archive: &Path,
    from: &[String],
    staged: &Path,
    logs: &Path,
) -> Result<()> {
    let tc = &job.toolchain;
    let log = logs.join("merge.log");
    let fail = |tail: String| Error::LibraryBuild {
        subject: job.recipe.subject(),
        target: job.target(),
        step: "merge",
        log: log.clone(),
        tail,
        kept: Vec::new(),
    };
    if !archive.is_file() {
        return Err(fail(format!("{} was not installed", archive.display())));
    }
    for (i, name) in from.iter().enumerate() {
        let source = staged.join(name);
        if !source.is_file() {
            return Err(fail(format!("{} was not installed", source.display())));
        }
        let members = staged.join(format!(".merge-{i}"));
        std::fs::create_dir_all(&members).map_err(Error::io("cannot create", &members))?;
        let run = |cmd: Cmd, what: &str| {
            cmd.run_logged(&logs.join(format!("merge-{i}-{what}.log")))
                .map_err(|e| match e {
                    Error::CommandFailed { tail, .. } => fail(without_command(&tail)),
                    other => other,
                })
        };
        run(
            tc.ar.command().arg("x").arg(&source).current_dir(&members),
            "extract",
        )?;
        let mut objects: Vec<PathBuf> = std::fs::read_dir(&members)
            .map_err(Error::io("cannot read", &members))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        objects.sort();
        run(
            tc.ar.command().arg("q").arg(archive).args(&objects),
            "append",
        )?;
        run(tc.ranlib.command().arg(archive), "index")?;
        std::fs::remove_dir_all(&members).map_err(Error::io("cannot remove", &members))?;
    }
    Ok(())
}

/// The cross environment every step of a build runs in. The process environment is not
/// inherited beyond `Env::passthrough_for_builds`, so host `CFLAGS`, `PKG_CONFIG_PATH` or
/// `MAKEFLAGS` cannot leak in. `maps` are folders whose absolute paths must not reach the
/// output (the build and source trees).
pub fn cross_env(
    job: &Job,
    host: &HostTools,
    env: &Env,
    maps: &[PathBuf],
) -> Vec<(String, OsString)> {
    let tc = &job.toolchain;
    let output = job.output();
    let mut vars: Vec<(String, OsString)> = env.passthrough_for_builds();
    // The dependencies' own `bin/` (ncurses' `ncursesw6-config`) before the host's: a
    // configure that asks a `*-config` script gets the target's flags, not the host's.
    let dep_bins: Vec<PathBuf> = job
        .dep_prefixes
        .iter()
        .map(|p| p.join("bin"))
        .filter(|b| b.is_dir())
        .collect();
    if !dep_bins.is_empty()
        && let Some((_, path)) = vars.iter_mut().find(|(k, _)| k == "PATH")
    {
        let joined =
            std::env::join_paths(dep_bins.iter().cloned().chain(std::env::split_paths(path)))
                .unwrap_or_else(|_| path.clone());
        *path = joined;
    }
    let mut set = |k: &str, v: String| vars.push((k.to_string(), OsString::from(v)));
    set("CC", cc_words(tc));
    set("AR", tc.ar.to_shell_words());
    set("RANLIB", tc.ranlib.to_shell_words());
    set(
        "STRIP",
        find_strip(tc, env).map_or_else(|| "true".into(), |p| p.display().to_string()),
    );
    let mut cflags = cflags(tc, output);
    for dir in maps {
        // Unquoted: configure splits CFLAGS on spaces and never removes quotes.
        cflags.push(format!("-ffile-prefix-map={}=.", dir.display()));
    }
    // Dependencies' headers live in the cache, whose path differs per user: they are
    // named by the library instead (`/ncurses/include/curses.h`).
    for (dir, name) in job.dep_prefixes.iter().zip(&job.dep_names) {
        cflags.push(format!("-ffile-prefix-map={}=/{name}", dir.display()));
    }
    cflags.extend(
        job.recipe
            .cflags
            .iter()
            .map(|f| expand_dep_prefixes(job, f)),
    );
    set("CFLAGS", cflags.join(" "));
    let cppflags: Vec<String> = job
        .dep_prefixes
        .iter()
        .map(|p| format!("-I{}", quote_path(&p.join("include"))))
        .collect();
    set("CPPFLAGS", cppflags.join(" "));
    // Programs link with their symbols: after the install, symbols::check_and_strip
    // checks the declared libraries against them, then strips (unless `strip = false`).
    let mut ldflags = ldflags(tc, output, false);
    ldflags.extend(
        job.dep_prefixes
            .iter()
            .map(|p| format!("-L{}", quote_path(&p.join("lib")))),
    );
    ldflags.extend(
        job.recipe
            .ldflags
            .iter()
            .map(|f| expand_dep_prefixes(job, f)),
    );
    set("LDFLAGS", ldflags.join(" "));
    if job.recipe.is_vendored() && !job.dep_libs.is_empty() {
        let libs: Vec<String> = job.dep_libs.iter().map(|l| format!("-l{l}")).collect();
        set("LIBS", libs.join(" "));
    }
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
    for (k, v) in &job.recipe.env {
        set(k, expand_dep_prefixes(job, v));
    }
    vars
}

/// Whether a configure script mentions an option (as dh_auto_configure checks before it
/// passes `--runstatedir`).
fn knows_option(script: &Path, option: &str) -> bool {
    std::fs::read(script)
        .is_ok_and(|text| text.windows(option.len()).any(|w| w == option.as_bytes()))
}

/// Autotools and the flags in `CFLAGS`/`CPPFLAGS` split on white space: a build folder,
/// source folder or prefix with a space in its path cannot be built. Said up front.
pub fn check_paths_for_builds(cache: &Cache, recipes: &[&Recipe]) -> Result<()> {
    let spaced = |p: &Path| p.to_string_lossy().chars().any(char::is_whitespace);
    if spaced(cache.root()) {
        return Err(Error::LibrarySpec {
            origin: format!("for the cache {}", cache.root().display()),
            reason: "its path has white space, which configure scripts and compiler flags split on"
                .into(),
            help: "set MUSLBUILD_HOME (or XDG_CACHE_HOME) to a folder whose path has no spaces"
                .into(),
        });
    }
    // A library's folder is copied into the cache first; a project's is read in place
    // (and mapped out of the output by a flag).
    for recipe in recipes.iter().filter(|r| r.is_project()) {
        if let Some(dir) = recipe.path.as_ref().filter(|d| spaced(d)) {
            return Err(Error::LibrarySpec {
                origin: format!("for {}", recipe.subject()),
                reason: format!(
                    "its folder {} has white space in its path, which configure scripts and compiler flags split on",
                    dir.display()
                ),
                help: "move the project (or the vendored folder) to a path without spaces".into(),
            });
        }
    }
    Ok(())
}

/// `{prefix:NAME}`: the prefix of the dependency NAME (any library of the closure).
pub fn expand_dep_prefixes(job: &Job, arg: &str) -> String {
    let mut out = arg.to_string();
    for (name, dep) in job.dep_names.iter().zip(&job.dep_prefixes) {
        out = out.replace(&format!("{{prefix:{name}}}"), &dep.display().to_string());
    }
    out
}

fn quote(s: &str) -> String {
    shlex::try_quote(s)
        .map(|q| q.into_owned())
        .unwrap_or_else(|_| s.to_string())
}

fn quote_path(p: &Path) -> String {
    quote(&p.display().to_string())
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

/// A `strip` that reads the target's ELF files: the toolchain's own (`<prefix>-strip`
/// beside its `ar`), binutils for the target (`aarch64-linux-gnu-strip`), the host's for
/// the host's arch (with a GCC-like toolchain or zig alike: the format is the same), or
/// `llvm-strip`, which reads every arch. None when the machine has none of them
/// (`zig objcopy --strip-all` is not implemented): programs are then stripped at link
/// time (`-s`) only.
pub fn find_strip(tc: &Toolchain, env: &Env) -> Option<PathBuf> {
    if let Some(name) = tc.ar.program.file_name().and_then(|n| n.to_str())
        && let Some(stem) = name.strip_suffix("-ar")
    {
        let strip = tc.ar.program.with_file_name(format!("{stem}-strip"));
        if strip.is_file() {
            return Some(strip);
        }
    }
    let path = env.path().cloned().unwrap_or_default();
    let find = |name: &str| which::which_in(name, Some(&path), &env.cwd).ok();
    let mut names = vec![format!("{}-strip", tc.target.debian_gnu_prefix())];
    if Target::host() == Some(tc.target) {
        names.push("strip".into());
    }
    names.push("llvm-strip".into());
    names.extend((13..=20).rev().map(|v| format!("llvm-strip-{v}")));
    names.iter().find_map(|n| find(n))
}

pub fn pkg_config_libdir(prefix: &Path, deps: &[PathBuf]) -> String {
    let mut dirs = Vec::new();
    for p in deps.iter().chain(std::iter::once(&prefix.to_path_buf())) {
        dirs.push(p.join("lib/pkgconfig").display().to_string());
        dirs.push(p.join("share/pkgconfig").display().to_string());
    }
    dirs.join(":")
}

/// Runs the steps of one build: configure, make, install into a staging folder.
pub struct Runner<'a> {
    pub job: &'a Job,
    pub settings: &'a Settings<'a>,
    /// The tree configure reads.
    pub src: &'a Path,
    /// Where configure and make run: `src` itself, or a separate build folder.
    pub dir: &'a Path,
    pub logs: &'a Path,
    /// `--prefix`: a library's cache prefix, or a project's runtime prefix.
    pub prefix: String,
    /// Folders whose paths must not reach the output.
    pub maps: Vec<PathBuf>,
}

impl Runner<'_> {
    fn cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> Cmd {
        let mut cmd = Cmd::new(program).env_clear().current_dir(self.dir);
        for (k, v) in cross_env(self.job, self.settings.host, self.settings.env, &self.maps) {
            cmd = cmd.env(k, v);
        }
        cmd
    }

    /// A step's failure, as the user sees it; configure's own logs are copied beside
    /// the step logs (the build folder may go away) and named.
    pub fn failure(&self, step: &'static str, tail: String) -> Error {
        let mut kept = Vec::new();
        for (dir, name) in [
            (self.dir.to_path_buf(), "config.log"),
            (self.cmake_dir(), "CMakeFiles/CMakeError.log"),
            (self.cmake_dir(), "CMakeFiles/CMakeOutput.log"),
            (self.cmake_dir(), "CMakeFiles/CMakeConfigureLog.yaml"),
        ] {
            let found = dir.join(name);
            if found.is_file() {
                let copy = self
                    .logs
                    .join(Path::new(name).file_name().expect("a file name"));
                if std::fs::copy(&found, &copy).is_ok() {
                    kept.push(copy);
                }
            }
        }
        Error::LibraryBuild {
            subject: self.job.recipe.subject(),
            target: self.job.target(),
            step,
            log: self.logs.join(format!("{step}.log")),
            tail,
            kept,
        }
    }

    fn step(&self, step: &'static str, cmd: Cmd) -> Result<()> {
        self.settings.progress.step(&self.job.recipe.label(), step);
        let log = self.logs.join(format!("{step}.log"));
        cmd.run_logged(&log).map_err(|err| match err {
            // The log's first line is the (long) command itself; the help points to it.
            Error::CommandFailed { tail, .. } => self.failure(step, without_command(&tail)),
            other => other,
        })
    }

    fn expand(&self, arg: &str) -> String {
        let host = self.settings.host;
        let mut out = arg.replace("{prefix}", &self.prefix);
        // The tools and flags muslbuild sets, for Makefiles that define their own in terms
        // of other variables (`MYLDFLAGS={ldflags}`) or with flags inside (`AR={ar} rcu`).
        // The environment is worked out once (it looks programs up on PATH), and only when
        // an argument asks for it.
        let mut vars = None;
        for (name, var) in [
            ("{cc}", "CC"),
            ("{ar}", "AR"),
            ("{ranlib}", "RANLIB"),
            ("{cflags}", "CFLAGS"),
            ("{cppflags}", "CPPFLAGS"),
            ("{ldflags}", "LDFLAGS"),
            ("{libs}", "LIBS"),
        ] {
            if out.contains(name) {
                let vars = vars.get_or_insert_with(|| {
                    cross_env(self.job, host, self.settings.env, &self.maps)
                });
                let value = vars
                    .iter()
                    .rev()
                    .find(|(k, _)| k == var)
                    .map(|(_, v)| v.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out = out.replace(name, &value);
            }
        }
        out = out.replace("{build_cc}", host.build_cc.as_deref().unwrap_or("cc"));
        out = expand_dep_prefixes(self.job, &out);
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

    /// `make -jN` with muslbuild's variables first and the recipe's `make.args` after
    /// them, so the user's win (`AR=ar rcu`, `PREFIX=/opt/x`).
    fn make(&self, install: bool) -> Cmd {
        let recipe = &self.job.recipe;
        // Installing in parallel races on directory creation in some Makefiles.
        let jobs = if install {
            1
        } else {
            self.settings.make_jobs()
        };
        let mut cmd = self.cmd(&self.settings.host.make).arg(format!("-j{jobs}"));
        if recipe.build == BuildSystem::Make {
            cmd = cmd.args(self.make_tools());
            if install || recipe.is_project() {
                cmd = cmd.args(self.make_prefix());
            }
        }
        cmd.args(recipe.make.args.iter().map(|a| self.expand(a)))
    }

    fn install_targets(&self) -> Vec<String> {
        if self.job.recipe.make.install_targets.is_empty() {
            vec!["install".into()]
        } else {
            self.job.recipe.make.install_targets.clone()
        }
    }

    /// Plain Makefiles get the compiler on make's command line (it beats `CC = gcc` in
    /// the file); flags come from the environment (so the file's own `CFLAGS +=` work).
    fn make_tools(&self) -> Vec<String> {
        let tc = &self.job.toolchain;
        vec![
            format!("CC={}", cc_words(tc)),
            format!("AR={}", tc.ar.to_shell_words()),
            format!("RANLIB={}", tc.ranlib.to_shell_words()),
        ]
    }

    /// `make`'s `PREFIX`/`prefix` for plain Makefiles: at install, and for programs also
    /// at build time (a Makefile that compiles its paths in reads it then).
    fn make_prefix(&self) -> [String; 2] {
        [
            format!("PREFIX={}", self.prefix),
            format!("prefix={}", self.prefix),
        ]
    }

    fn cmake_dir(&self) -> PathBuf {
        if self.dir == self.src {
            self.src.join("muslbuild-cmake")
        } else {
            self.dir.to_path_buf()
        }
    }

    /// configure (autotools, configure, cmake); nothing for a plain Makefile.
    pub fn configure(&self) -> Result<()> {
        let recipe = &self.job.recipe;
        match recipe.build {
            BuildSystem::Autotools | BuildSystem::Configure => {
                let script = if self.dir == self.src {
                    PathBuf::from("./configure")
                } else {
                    self.src.join("configure")
                };
                let mut configure = self
                    .cmd("sh")
                    .arg(script)
                    .arg(format!("--prefix={}", self.prefix));
                if recipe.build == BuildSystem::Autotools {
                    if recipe.is_project() && self.prefix == "/usr" {
                        // Where a program runs, as distributions configure it.
                        configure = configure.args(["--sysconfdir=/etc", "--localstatedir=/var"]);
                        // Scripts from autoconf before 2.70 reject --runstatedir.
                        if knows_option(&self.src.join("configure"), "runstatedir") {
                            configure = configure.arg("--runstatedir=/run");
                        }
                    }
                    configure = configure
                        .arg(format!("--host={}", self.job.target().gnu_triple()))
                        .arg(format!("--build={}", self.settings.host.build_triple));
                }
                // The recipe's own last: configure takes the last of a repeated option.
                configure = configure.args(recipe.configure.args.iter().map(|a| self.expand(a)));
                self.step("configure", configure)
            }
            BuildSystem::Make => Ok(()),
            BuildSystem::Cmake => self.cmake_configure(),
        }
    }

    /// make (or `cmake --build`).
    pub fn compile(&self) -> Result<()> {
        let recipe = &self.job.recipe;
        match recipe.build {
            BuildSystem::Autotools | BuildSystem::Configure | BuildSystem::Make => {
                self.step("make", self.make(false).args(&recipe.make.targets))
            }
            BuildSystem::Cmake => {
                let jobs = self.settings.make_jobs();
                self.step(
                    "make",
                    self.cmd("cmake")
                        .arg("--build")
                        .arg(self.cmake_dir())
                        .arg("-j")
                        .arg(jobs.to_string()),
                )
            }
        }
    }

    /// The install, with `DESTDIR=stage`.
    pub fn install(&self, stage: &Path) -> Result<()> {
        let destdir = format!("DESTDIR={}", stage.display());
        match self.job.recipe.build {
            BuildSystem::Autotools | BuildSystem::Configure | BuildSystem::Make => self.step(
                "install",
                self.make(true).args(self.install_targets()).arg(destdir),
            ),
            BuildSystem::Cmake => self.step(
                "install",
                self.cmd("cmake")
                    .arg("--install")
                    .arg(self.cmake_dir())
                    .env("DESTDIR", stage),
            ),
        }
    }

    fn cmake_configure(&self) -> Result<()> {
        let recipe = &self.job.recipe;
        let tc = &self.job.toolchain;
        let mut roots = self
            .job
            .dep_prefixes
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>();
        if !recipe.is_project() {
            roots.push(self.job.prefix.display().to_string());
        }
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
            .arg(self.cmake_dir())
            .arg("-DCMAKE_SYSTEM_NAME=Linux")
            .arg(format!("-DCMAKE_SYSTEM_PROCESSOR={processor}"))
            .arg("-DCMAKE_BUILD_TYPE=MinSizeRel")
            .arg("-DBUILD_SHARED_LIBS=OFF")
            .args((!recipe.is_project()).then_some("-DCMAKE_POSITION_INDEPENDENT_CODE=ON"))
            .arg(format!("-DCMAKE_INSTALL_PREFIX={}", self.prefix))
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
        self.step("configure", configure)
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

    fn toolchain(flavor: Flavor) -> Toolchain {
        use crate::toolchain::{Provider, Tool};
        Toolchain {
            target: Target::Aarch64,
            provider: Provider::MuslGcc,
            flavor,
            origin: "test".into(),
            cc: Tool::new("cc"),
            ar: Tool::new("ar"),
            ranlib: Tool::new("ranlib"),
            version: "1".into(),
            fingerprint: "f".into(),
        }
    }

    #[test]
    fn libraries_are_pic_and_programs_are_collected_and_stripped() {
        let gcc = toolchain(Flavor::Gcc);
        assert!(cflags(&gcc, Output::Libraries).contains(&"-fPIC".to_string()));
        assert!(!cflags(&gcc, Output::Programs).contains(&"-fPIC".to_string()));
        assert!(
            !cflags(&gcc, Output::Programs)
                .iter()
                .any(|f| f.starts_with("-Wno-error"))
        );
        assert_eq!(
            ldflags(&gcc, Output::Programs, true),
            ["-static", "--static", "-Os", "-Wl,--gc-sections", "-s"]
        );
        assert_eq!(
            ldflags(&gcc, Output::Programs, false),
            ["-static", "--static", "-Os", "-Wl,--gc-sections"]
        );
        assert_eq!(ldflags(&gcc, Output::Libraries, true), ["-static", "-Os"]);
        let zig = toolchain(Flavor::Zig);
        assert!(
            cflags(&zig, Output::Programs)
                .contains(&"-Wno-error=implicit-function-declaration".to_string())
        );
        // zig drops the symbol table at -Os by itself: keeping symbols takes -g.
        assert_eq!(strip_flags(&zig, false), ["-g"]);
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
