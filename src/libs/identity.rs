//! A recipe's identity in a library's key: every field that changes what the build
//! makes, named one by one. The struct is taken apart field by field, so a field added
//! to `Recipe` does not compile until it is placed here, in the key or outside it.

use super::recipe::{Emulate, Recipe};
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
                    k.part("file", &alt.file)
                        .part("sha256", &alt.sha256)
                        .part("version", &alt.version)
                        .list("urls", &alt.urls)
                })
            })
        });
    }
    let key = key
        .maybe(
            "path",
            path.as_ref().map(|p| p.as_os_str().as_encoded_bytes()),
        )
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
