//! Building one library for one toolchain into its cache prefix: unpack (or copy the
//! vendored folder), refresh stale `config.sub`/`config.guess`, configure fully cross,
//! make, install into a staging folder, add compatibility names, then publish the prefix
//! by rename under the entry's lock. Each step logs to its own file.

use std::path::{Path, PathBuf};

use super::job::LibBuild;
use super::recipe::{BuildSystem, Recipe};
use super::source;
use super::step::{self, Runner, TargetRun};
use crate::cache::Cache;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::sys::process::Cmd;

/// Builds `job` unless its prefix is already complete; returns whether it built.
pub(crate) fn build(job: &LibBuild, run: &TargetRun<'_>) -> Result<bool> {
    let cache = &run.ctx.cache;
    let _lock = job.lock(cache)?;
    if cache.is_complete(&job.prefix) {
        return Ok(false);
    }
    let logs = fresh_logs(job, cache)?;
    let work = cache.temp_dir("libs")?;
    let result = build_in(job, run, work.path(), &logs);
    match result {
        Err(err) if run.keep_failed => {
            let kept = work.keep();
            run.ctx.ui.status(format_args!(
                "kept the failed build of {} for {} in {}",
                job.recipe.subject(),
                job.target(),
                kept.display()
            ));
            Err(err.with_kept(kept))
        }
        other => other.map(|()| true),
    }
}

fn fresh_logs(job: &LibBuild, cache: &Cache) -> Result<PathBuf> {
    let logs = job.log_dir(cache);
    if logs.exists() {
        std::fs::remove_dir_all(&logs).map_err(Error::io("cannot clear the old logs", &logs))?;
    }
    std::fs::create_dir_all(&logs).map_err(Error::io("cannot create the log directory", &logs))?;
    Ok(logs)
}

fn build_in(job: &LibBuild, run: &TargetRun<'_>, work: &Path, logs: &Path) -> Result<()> {
    let cache = &run.ctx.cache;
    run.progress.step(&job.recipe.label(), "unpack");
    let src = unpack_tree(job, work, logs)?;
    let stage = work.join("stage");
    let runner = Runner {
        job,
        run,
        src: &src,
        dir: &src,
        logs,
        prefix: job.prefix.display().to_string(),
        maps: vec![work.to_path_buf()],
    };
    runner.bootstrap()?;
    if job.recipe.build == BuildSystem::Autotools {
        step::refresh_config_scripts(
            run.ctx,
            &src,
            job.target(),
            &logs.join("config-scripts.log"),
        )?;
    }
    step::check_configure_script(&job.recipe, &src)?;
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
    finish_prefix(run.ctx, job, &staged, logs)?;
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
    cache.publish_dir(
        entry,
        &job.prefix,
        &serde_json::to_string_pretty(&record).expect("json"),
    )
}

/// Unpacks the archives (or copies the vendored folder) into `work/src`.
fn unpack_tree(job: &LibBuild, work: &Path, logs: &Path) -> Result<PathBuf> {
    Ok(match &job.recipe.path {
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
            let top = main.expect("a recipe with archives has at least one");
            let dir = match &job.recipe.subdir {
                Some(subdir) => top.join(subdir),
                None => top,
            };
            if !dir.is_dir() {
                return Err(Error::LibrarySpec {
                    origin: format!("recipe `{}`", job.recipe.name),
                    reason: format!(
                        "the archive has no folder `{}`",
                        job.recipe.subdir.as_deref().unwrap_or_default()
                    ),
                    help: "`subdir` names a folder inside the archive's top-level folder".into(),
                });
            }
            apply_edits(&job.recipe, &dir)?;
            dir
        }
    })
}

/// The recipe's `edits`, each of whose `from` must occur exactly once: a release that
/// moved or changed the text stops the build instead of building the default silently.
fn apply_edits(recipe: &Recipe, dir: &Path) -> Result<()> {
    for edit in &recipe.edits {
        let path = dir.join(&edit.file);
        let text = std::fs::read_to_string(&path).map_err(Error::io("cannot read", &path))?;
        let found = text.matches(&edit.from).count();
        if found != 1 {
            return Err(Error::LibrarySpec {
                origin: format!("recipe `{}`", recipe.name),
                reason: format!(
                    "its edit of `{}` expects {:?} once, found it {found} times",
                    edit.file, edit.from
                ),
                help: "the sources differ from what the recipe was written for: update the edit for this release".into(),
            });
        }
        std::fs::write(&path, text.replacen(&edit.from, &edit.to, 1))
            .map_err(Error::io("cannot write", &path))?;
    }
    Ok(())
}

/// Compatibility names and a check that every exported library really was installed.
fn finish_prefix(ctx: &Ctx, job: &LibBuild, staged: &Path, logs: &Path) -> Result<()> {
    for (archive, from) in &job.recipe.merge {
        merge_archives(ctx, job, &staged.join(archive), from, staged, logs)?;
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
    ctx: &Ctx,
    job: &LibBuild,
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
                    Error::CommandFailed { tail, .. } => {
                        fail(crate::sys::process::without_command_line(&tail))
                    }
                    other => other,
                })
        };
        run(
            tc.ar
                .command(ctx)
                .arg("x")
                .arg(&source)
                .current_dir(&members),
            "extract",
        )?;
        let mut objects: Vec<PathBuf> = std::fs::read_dir(&members)
            .map_err(Error::io("cannot read", &members))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        objects.sort();
        run(
            tc.ar.command(ctx).arg("q").arg(archive).args(&objects),
            "append",
        )?;
        run(tc.ranlib.command(ctx).arg(archive), "index")?;
        std::fs::remove_dir_all(&members).map_err(Error::io("cannot remove", &members))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_edit(from: &str) -> Recipe {
        let mut recipe = super::super::Catalog::new(Vec::new())
            .get("openssl")
            .unwrap()
            .clone();
        recipe.edits = vec![super::super::recipe::Edit {
            file: "conf.h".into(),
            from: from.into(),
            to: "\"/etc/ssl/certs/ca-certificates.crt\"".into(),
            why: String::new(),
        }];
        recipe
    }

    #[test]
    fn an_edit_applies_once_or_stops_the_build_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let header = dir.path().join("conf.h");
        std::fs::write(&header, "#define CERT DIR \"/cert.pem\"\n#define KEY 1\n").unwrap();
        apply_edits(&with_edit("DIR \"/cert.pem\""), dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(&header).unwrap(),
            "#define CERT \"/etc/ssl/certs/ca-certificates.crt\"\n#define KEY 1\n"
        );
        // Applied already: the text is gone, and a second run says so.
        let err = apply_edits(&with_edit("DIR \"/cert.pem\""), dir.path()).unwrap_err();
        assert!(
            err.to_string().contains("its edit of `conf.h` expects"),
            "{err}"
        );
        assert!(err.to_string().contains("found it 0 times"), "{err}");
        std::fs::write(&header, "KEY KEY\n").unwrap();
        let err = apply_edits(&with_edit("KEY"), dir.path()).unwrap_err();
        assert!(err.to_string().contains("found it 2 times"), "{err}");
    }
}
