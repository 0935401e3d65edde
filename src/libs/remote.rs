//! What `libs` shares through the remote cache (`cache::remote`): a library's installed
//! prefix (recipes and `[lib.NAME]` alike, keyed by their prefix key), and a vendored
//! project's staged install (the `DESTDIR` root), keyed by its configure key and its
//! folder's content. A project's configured build tree reads the folder in place and
//! stays on this machine: a project taken from the remote is built in full here the
//! first time one of its sources changes, then incrementally as always.
//!
//! Both are taken like any entry (digest, every file hashed against its contents
//! record, the record naming this key) and published here by rename; text files naming
//! the folder they were made in are rewritten to this machine's, binary ones make the
//! entry unusable (`cache::remote`'s `PREFIX`/`REAL_PREFIX`).

use std::path::Path;

use super::job::LibBuild;
use super::vendor;
use crate::cache::remote::{Kind, PREFIX, REAL_PREFIX};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::sys::key::{CacheKey, KeyKind};

/// Takes `job`'s prefix (a project's staged install) from the shared remote cache when
/// it has it, checked and published like a local build; returns whether it did.
pub(crate) fn take(job: &LibBuild, ctx: &Ctx) -> Result<bool> {
    let Some(remote) = ctx.remote() else {
        return Ok(false);
    };
    let _lock = job.lock(&ctx.cache)?;
    let (kind, key, dest) = shared_as(job);
    if job.recipe.is_project() {
        if vendor::is_current(&ctx.cache, job) {
            return Ok(true);
        }
        // The entry's folder holds the install beside the (local) configured tree.
        std::fs::create_dir_all(&job.prefix).map_err(Error::io("cannot create", &job.prefix))?;
    } else if ctx.cache.is_complete(&job.prefix) {
        return Ok(true);
    }
    // The record names the key it was published under (and a project's, the folder
    // content it was built from): an entry put under another tag is not this one.
    let ours = |record: &str| {
        serde_json::from_str::<serde_json::Value>(record).is_ok_and(|r| {
            r.get("key").and_then(|k| k.as_str()) == Some(job.key.as_str())
                && (!job.recipe.is_project()
                    || r.get("content").and_then(|c| c.as_str()) == Some(job.content.as_str()))
        })
    };
    remote.fetch(&ctx.cache, kind, &key, &dest, &ours)
}

/// Sends `job`'s prefix (a project's staged install), built here or found current, to
/// the shared remote cache when one is writable and lacks it.
pub(crate) fn send(job: &LibBuild, ctx: &Ctx) -> Result<()> {
    let Some(remote) = ctx.remote() else {
        return Ok(());
    };
    let (kind, key, entry) = shared_as(job);
    if job.recipe.is_project() && !vendor::is_current(&ctx.cache, job) {
        return Ok(());
    }
    let recipe = &job.recipe;
    let mut annotations = vec![
        (
            "org.opencontainers.image.title",
            format!("{} {} for {}", recipe.name, recipe.version, job.target()),
        ),
        ("org.opencontainers.image.version", recipe.version.clone()),
        (
            if recipe.is_project() {
                "muslbuild.project"
            } else {
                "muslbuild.recipe"
            },
            recipe.name.clone(),
        ),
        ("muslbuild.target", job.target().name().to_string()),
        ("muslbuild.toolchain", job.toolchain.label()),
    ];
    annotations.extend(built_at(&entry));
    remote.store(&ctx.cache, kind, &key, &entry, &annotations)
}

/// The kind, key and local folder `job`'s entry is shared as: a library's prefix under
/// its own key; a project's staged install under its configure key and folder content
/// (the configure key alone leaves the sources out, as the configured tree follows them).
fn shared_as(job: &LibBuild) -> (Kind, String, std::path::PathBuf) {
    if job.recipe.is_project() {
        let key = CacheKey::new(KeyKind::VendorInstall)
            .part("configure", &job.key)
            .part("content", &job.content)
            .finish();
        (Kind::VendorInstall, key, vendor::install_root(&job.prefix))
    } else {
        (Kind::Lib, job.key.clone(), job.prefix.clone())
    }
}

/// Where an entry was made, as named and with links resolved: the folder its text
/// files are rewritten from on another machine.
fn built_at(entry: &Path) -> [(&'static str, String); 2] {
    [
        (PREFIX, entry.display().to_string()),
        (
            REAL_PREFIX,
            std::fs::canonicalize(entry)
                .unwrap_or_else(|_| entry.to_path_buf())
                .display()
                .to_string(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::libs::{BuildSystem, Catalog, Recipe, plan, recipe};
    use crate::sys::key::machines::{self, Machine};
    use crate::target::Target;
    use crate::toolchain::Toolchain;

    /// A `[vendor.tool]` project in a machine's checkout: its configure key and the key
    /// its staged install is shared under.
    fn project_on(m: &Machine) -> (String, String) {
        let zlib = Catalog::new(Vec::new()).get("zlib").unwrap().clone();
        let tool = Recipe {
            name: "tool".into(),
            sources: Vec::new(),
            path: Some(m.root.join("tool")),
            build: BuildSystem::Configure,
            exports: recipe::Exports {
                programs: vec!["tool".into()],
                ..Default::default()
            },
            ..zlib
        };
        let jobs = plan(
            &Catalog::new(vec![tool]),
            &["tool".into()],
            &Toolchain::musl_gcc_for_tests(Target::Armv7, "f"),
            &m.ctx().cache,
        )
        .unwrap();
        (jobs[0].key.clone(), shared_as(&jobs[0]).1)
    }

    #[test]
    fn a_projects_install_is_shared_by_its_content_in_any_checkout_and_home() {
        let [a, b] = machines::two(|m| {
            m.write(&m.root, "tool/configure", "#!/bin/sh\n");
            m.write(&m.root, "tool/tool.c", "int main(void) { return 0; }\n");
        });
        let (configure_a, shared_a) = project_on(&a);
        assert_eq!(project_on(&b), (configure_a.clone(), shared_a.clone()));
        // A source edit keeps the configured tree (same configure key) but is another
        // install.
        a.write(&a.root, "tool/tool.c", "int main(void) { return 1; }\n");
        let (configure_edited, shared_edited) = project_on(&a);
        assert_eq!(configure_edited, configure_a);
        assert_ne!(shared_edited, shared_a);
    }
}
