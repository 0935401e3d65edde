//! A recipe's identity in a library's key: every field that changes what the build
//! makes, named one by one. The struct is taken apart field by field, so a field added
//! to `Recipe` does not compile until it is placed here, in the key or outside it.

use super::recipe::{Edit, Emulate, Recipe};
use crate::sys::key::{CacheKey, KeyKind};

/// What of `recipe` decides its build. A vendored project's `programs` only choose what
/// reaches `dist/`, so a project's identity leaves them out (`with_programs` false).
pub(super) fn recipe_identity(recipe: &Recipe, with_programs: bool) -> String {
    let Recipe {
        name,
        version,
        // Words for people and the SBOM: they change nothing in the build.
        description: _,
        license: _,
        supplier: _,
        build,
        deps,
        sources,
        subdir,
        edits,
        path,
        host_tools,
        needs_build_cc,
        configure,
        make,
        exports,
        symlinks,
        merge,
        cflags,
        ldflags,
        env,
        strip,
        prefix,
        bootstrap,
        in_tree,
        emulate,
        target,
    } = recipe;
    // A build is planned from `for_target`'s recipe, whose per-target tables are folded
    // into the fields above: one target's table is no part of another target's key.
    debug_assert!(target.is_empty(), "keyed before for_target");
    let mut key = CacheKey::new(KeyKind::Recipe)
        .part("name", name)
        .part("version", version)
        .part("build", build.name())
        .list("deps", deps);
    for source in sources {
        key = key.group("source", |k| {
            let k = k
                .part("file", &source.file)
                .list("urls", &source.urls)
                .part("sha256", &source.sha256);
            source.alternatives.iter().fold(k, |k, alt| {
                k.group("alternative", |k| {
                    let k = k
                        .part("file", &alt.file)
                        .part("sha256", &alt.sha256)
                        .part("version", &alt.version)
                        .list("urls", &alt.urls);
                    let k = if alt.host_tools.is_empty() {
                        k
                    } else {
                        k.list("host-tools", &alt.host_tools)
                    };
                    with_edits(k, &alt.edits)
                })
            })
        });
    }
    let key = key
        // Where the folder is on this machine changes no byte: a library's build copies
        // it (its content is in the prefix's key), and a project's tree is configured
        // from it in a folder of its own (`vendor::entry`).
        .flag("from-folder", path.is_some());
    // Added only when set, so recipes without them keep their keys.
    let key = match subdir {
        Some(subdir) => key.part("subdir", subdir),
        None => key,
    };
    let key = with_edits(key, edits);
    let key = key
        .list("host-tools", host_tools)
        .flag("needs-build-cc", *needs_build_cc)
        .list("configure.args", &configure.args)
        .list("make.targets", &make.targets)
        .list("make.install-targets", &make.install_targets)
        .list("make.args", &make.args)
        .list("exports.libs", &exports.libs)
        .list("exports.pkg-config", &exports.pkg_config)
        .list("exports.headers", &exports.headers)
        .list(
            "exports.programs",
            if with_programs {
                &exports.programs[..]
            } else {
                &[]
            },
        );
    let key = symlinks.iter().fold(key, |k, (path, to)| {
        k.group("symlink", |k| k.part("path", path).part("target", to))
    });
    let key = merge.iter().fold(key, |k, (archive, from)| {
        k.group("merge", |k| k.part("archive", archive).list("from", from))
    });
    let key = env.iter().fold(key, |k, (name, value)| {
        k.group("env", |k| k.part("name", name).part("value", value))
    });
    key.list("cflags", cflags)
        .list("ldflags", ldflags)
        .flag("strip", *strip)
        .maybe("prefix", prefix.as_ref())
        .list("bootstrap", bootstrap)
        .flag("in-tree", *in_tree)
        .part(
            "emulate",
            match emulate {
                Emulate::Auto => "auto",
                Emulate::On => "on",
                Emulate::Off => "off",
            },
        )
        .finish()
}

/// `key` with each edit's file, text and replacement (its `why` is for people).
fn with_edits(key: CacheKey, edits: &[Edit]) -> CacheKey {
    edits.iter().fold(key, |k, edit| {
        k.group("edit", |k| {
            k.part("file", &edit.file)
                .part("from", &edit.from)
                .part("to", &edit.to)
        })
    })
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipes_identity_names_no_folder_of_the_machine() {
        let zlib = super::super::catalog::Catalog::new(Vec::new())
            .get("zlib")
            .unwrap()
            .clone();
        let [a, b] = crate::sys::key::machines::two(|_| {});
        let from = |m: &crate::sys::key::machines::Machine| Recipe {
            sources: Vec::new(),
            path: Some(m.root.join("vendor/zlib")),
            ..zlib.clone()
        };
        assert_eq!(
            recipe_identity(&from(&a), true),
            recipe_identity(&from(&b), true)
        );
        assert_ne!(
            recipe_identity(&from(&a), true),
            recipe_identity(&zlib, true),
            "a folder is not the archives"
        );
        let mut flagged = from(&a);
        flagged.configure.args.push("--static".into());
        assert_ne!(
            recipe_identity(&flagged, true),
            recipe_identity(&from(&a), true)
        );
    }
}
