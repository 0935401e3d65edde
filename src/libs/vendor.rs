//! Vendored projects (`[vendor.NAME]`): programs configured for where they run
//! (`--prefix=/usr --sysconfdir=/etc --localstatedir=/var --runstatedir=/run`), installed
//! with `DESTDIR` into a staging folder whose tree the artifacts come from.
//!
//! Each (project, target) keeps one entry in `<cache>/vendor/`, named by the key of its
//! configure inputs (the configure script, arguments, flags, environment, toolchain,
//! dependencies' keys; not the sources, not `programs`):
//!
//! - `build/`: the configured build tree. Autotools (VPATH), cmake and meson build out of tree,
//!   reading the folder in place, so file times are the user's own and `make` sees an
//!   edit by its time; a plain Makefile (or a tree that needs `bootstrap`, a newer
//!   `config.sub`, or was configured in place) builds in a copy, synced by size and time,
//!   times kept.
//! - `configured`: written once configure succeeded; a later build runs only `make`
//!   (`meson compile`, which sets itself up again when a `meson.build` changed).
//! - `install/`: the staged install (`DESTDIR` root), published by rename, with a record
//!   of the folder's content hash it was made from. The same hash again runs nothing.

use std::path::{Path, PathBuf};

use super::job::LibBuild;
use super::recipe::{BuildSystem, Recipe};
use super::source;
use super::step::{self, Runner, TargetRun};
use crate::cache::{self, Cache};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::sys::download::sha256_file;
use crate::sys::key::{CacheKey, KeyKind};
use crate::target::Target;

const CONFIGURED: &str = "configured";

/// The entry of a project for one toolchain: its configure key and the folder it is
/// configured from. The key names no folder of this machine; the entry does, as its
/// configured tree reads the project's folder in place: two checkouts of one project
/// never share a tree.
pub(crate) fn entry(cache: &Cache, recipe: &Recipe, target: Target, key: &str) -> PathBuf {
    let tree = CacheKey::new(KeyKind::VendorTree)
        .part("key", key)
        .maybe(
            "folder",
            recipe
                .path
                .as_ref()
                .map(|p| p.as_os_str().as_encoded_bytes()),
        )
        .finish();
    cache
        .dir("vendor")
        .join(format!("{}-{}-{}", recipe.name, target.name(), &tree[..16]))
}

/// The staged install (the `DESTDIR` root: `usr/bin/…`, `etc/…`) of a project's entry.
pub(crate) fn install_root(entry: &Path) -> PathBuf {
    entry.join("install")
}

/// The files whose contents decide how a project is configured: its configure script
/// and what generates it, or the top-level CMakeLists.txt. A plain Makefile has none
/// (make reads it again every time), nor has meson: its build files regenerate the
/// build themselves when a `meson.build` changes, inside `meson compile`.
pub(crate) fn configure_inputs(recipe: &Recipe) -> Result<String> {
    let Some(dir) = &recipe.path else {
        return Ok(String::new());
    };
    let names: &[&str] = match recipe.build {
        BuildSystem::Autotools | BuildSystem::Configure => {
            &["configure", "configure.ac", "configure.in"]
        }
        BuildSystem::Cmake => &["CMakeLists.txt"],
        BuildSystem::Make | BuildSystem::Meson => &[],
    };
    let mut parts = Vec::new();
    for name in names {
        let path = dir.join(name);
        if path.is_file() {
            parts.push(format!("{name} {}", sha256_file(&path)?));
        }
    }
    Ok(parts.join("\n"))
}

/// Whether the staged install was made from the folder's current contents, and is
/// intact (the cache's contents record, checked like every other entry).
pub(crate) fn is_current(cache: &Cache, job: &LibBuild) -> bool {
    let root = install_root(&job.prefix);
    cache.is_complete(&root)
        && std::fs::read(root.join(cache::COMPLETE))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .is_some_and(|r| r["content"] == job.content.as_str())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// Configure runs in `build/` and reads the folder in place.
    OutOfTree,
    /// The folder is copied (synced) into `build/`, which is built in place.
    Copy,
}

impl Layout {
    /// How the configured marker names it.
    fn name(self) -> &'static str {
        match self {
            Layout::OutOfTree => "out-of-tree",
            Layout::Copy => "copy",
        }
    }
}

/// Out of tree where the build system supports it and the folder can be used as it is.
fn layout(recipe: &Recipe, src: &Path, target: Target, ctx: &Ctx) -> Result<Layout> {
    Ok(match recipe.build {
        _ if recipe.in_tree => Layout::Copy,
        BuildSystem::Cmake | BuildSystem::Meson => Layout::OutOfTree,
        BuildSystem::Autotools
            if recipe.bootstrap.is_empty()
                // VPATH configure refuses a folder configured in place.
                && !src.join("config.status").exists()
                && !needs_new_config_sub(src, target, ctx)? =>
        {
            Layout::OutOfTree
        }
        _ => Layout::Copy,
    })
}

/// Whether a `config.sub` in the folder rejects the target (it must then be replaced,
/// which is never done in the user's tree).
fn needs_new_config_sub(src: &Path, target: Target, ctx: &Ctx) -> Result<bool> {
    let probe = ctx.cache.temp_dir("vendor")?;
    let log = probe.path().join("config-scripts.log");
    let copy = probe.path().join("tree");
    let mut found = Vec::new();
    for name in ["config.sub", "build-aux/config.sub", "config/config.sub"] {
        let sub = src.join(name);
        if sub.is_file() {
            let dest = copy.join(name);
            std::fs::create_dir_all(dest.parent().expect("has a parent"))
                .map_err(Error::io("cannot create", &copy))?;
            std::fs::copy(&sub, &dest).map_err(Error::io("cannot copy", &sub))?;
            found.push(dest);
        }
    }
    if found.is_empty() {
        return Ok(false);
    }
    Ok(!step::refresh_config_scripts(ctx, &copy, target, &log)?.is_empty())
}

/// Builds a project's programs for one toolchain unless its staged install is current;
/// returns whether anything ran.
pub(crate) fn build(job: &LibBuild, run: &TargetRun<'_>) -> Result<bool> {
    let cache = &run.ctx.cache;
    let _lock = job.lock(cache)?;
    if is_current(cache, job) {
        return Ok(false);
    }
    // The build tree stays in the cache anyway (the next build continues in it);
    // --keep-failed says where.
    build_locked(job, run).map(|()| true).map_err(|err| {
        let tree = job.prefix.join("build");
        if run.keep_failed && tree.is_dir() {
            run.ctx.ui.status(format_args!(
                "kept the failed build of {} for {} in {}",
                job.recipe.subject(),
                job.target(),
                tree.display()
            ));
            err.with_kept(tree)
        } else {
            err
        }
    })
}

fn build_locked(job: &LibBuild, run: &TargetRun<'_>) -> Result<()> {
    let cache = &run.ctx.cache;
    let src = job
        .recipe
        .path
        .clone()
        .expect("a project is a vendored folder");
    let entry = &job.prefix;
    let tree = entry.join("build");
    std::fs::create_dir_all(&tree).map_err(Error::io("cannot create", &tree))?;
    let logs = job.log_dir(cache);
    std::fs::create_dir_all(&logs).map_err(Error::io("cannot create the log directory", &logs))?;
    let layout = layout(&job.recipe, &src, job.target(), run.ctx)?;
    let configured = entry.join(CONFIGURED);
    let read_from = match layout {
        Layout::OutOfTree => src.clone(),
        Layout::Copy => {
            run.progress.step(&job.recipe.label(), "copy");
            source::sync_folder(&src, &tree, true)?;
            tree.clone()
        }
    };
    let runner = Runner {
        job,
        run,
        src: &read_from,
        dir: &tree,
        logs: &logs,
        prefix: job.recipe.runtime_prefix().to_string(),
        maps: vec![src.clone(), tree.clone()],
    };
    // Configured the same way, or again: a folder configured in place since (VPATH no
    // longer possible) switches to a copy.
    let how = format!("{} {}", job.key, layout.name());
    if std::fs::read_to_string(&configured).ok().as_deref() != Some(how.as_str()) {
        if layout == Layout::Copy {
            runner.bootstrap()?;
            if job.recipe.build == BuildSystem::Autotools {
                step::refresh_config_scripts(
                    run.ctx,
                    &tree,
                    job.target(),
                    &logs.join("config-scripts.log"),
                )?;
            }
        }
        step::check_configure_script(&job.recipe, &read_from)?;
        runner.configure()?;
        std::fs::write(&configured, &how).map_err(Error::io("cannot write", &configured))?;
    }
    runner.compile()?;
    let stage = run.ctx.cache.temp_dir("vendor")?;
    runner.install(stage.path())?;
    let prefix = job.recipe.runtime_prefix();
    if !stage.path().join(prefix.trim_start_matches('/')).is_dir() {
        let found = installed_top(stage.path());
        return Err(runner.failure(
            "install",
            format!(
                "nothing was installed under {prefix} (the runtime prefix); the install made: {}. If the project is configured for another prefix, set `prefix` in [vendor.{}] rather than --prefix in its arguments",
                if found.is_empty() { "nothing".to_string() } else { found.join(", ") },
                job.recipe.name
            ),
        ));
    }
    // Linked with symbols: the declared libraries are checked, then stripped.
    let (unused, per_program) =
        super::symbols::check_and_strip(job, stage.path(), &runner.checks_log(), run.ctx.temps())?;
    publish(cache, job, stage, &unused, &per_program)
}

/// The top-level folders an install made, `/usr/local`-style, for an error.
fn installed_top(stage: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![stage.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let rel = path.strip_prefix(stage).unwrap_or(&path);
            if rel.components().count() >= 3 || !path.is_dir() {
                found.push(format!("/{}", rel.display()));
            } else {
                stack.push(path);
            }
        }
    }
    found.sort();
    found.truncate(8);
    found
}

/// Publishes the staged install as `install/`, with its contents record, by rename.
fn publish(
    cache: &Cache,
    job: &LibBuild,
    stage: tempfile::TempDir,
    unused_libraries: &[String],
    unused_by_program: &super::symbols::UnusedByProgram,
) -> Result<()> {
    let record = serde_json::json!({
        "unused_by_program": unused_by_program,
        "name": job.recipe.name,
        "target": job.target().name(),
        "toolchain": job.toolchain.label(),
        "key": job.key,
        "content": job.content,
        "prefix": job.recipe.runtime_prefix(),
        "unused_libraries": unused_libraries,
    });
    cache.publish_dir(
        stage,
        &install_root(&job.prefix),
        &serde_json::to_string_pretty(&record).expect("json"),
    )
}

/// The executables a staged install holds under the prefix's `bin/` and `sbin/`, for a
/// `programs` name that is not among them.
pub(crate) fn installed_programs(prefix_dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for dir in ["bin", "sbin"] {
        if let Ok(entries) = std::fs::read_dir(prefix_dir.join(dir)) {
            for e in entries.flatten() {
                names.push(format!("{dir}/{}", e.file_name().to_string_lossy()));
            }
        }
    }
    names.sort();
    names
}

/// Before any build starts: a vendored folder that needs `./configure` has one, or a
/// `bootstrap` command that will make it.
pub(crate) fn check_buildable(recipe: &Recipe) -> Result<()> {
    match &recipe.path {
        Some(dir) if recipe.bootstrap.is_empty() => step::check_configure_script(recipe, dir),
        _ => Ok(()),
    }
}
