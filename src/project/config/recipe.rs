//! Config → recipe: a `[lib.NAME]` or `[vendor.NAME]` declaration becomes the `Recipe`
//! that `libs` plans, keys and builds — made once, at load, and carried as it is.
//! A recipe is part of its build's cache key, so these values must not drift.

use std::collections::BTreeMap;
use std::path::Path;

use toml::Spanned;

use super::decl::{LibDecl, RawVendor};
use crate::libs::recipe::{BuildSystem, Emulate, Exports, Recipe, TargetSettings};
use crate::target::Target;

/// A table's `[target.NAME]` tables, their names parsed (by the loader, which reports
/// a bad one with its position).
pub(super) type Targets = BTreeMap<Target, TargetSettings>;

/// What every folder built with its own build system starts from: no sources, named
/// and described after its folder, built the declared way or the way the folder shows.
fn from_folder(name: &str, dir: &Path, build: Option<&Spanned<String>>) -> Recipe {
    Recipe {
        name: name.to_string(),
        version: "vendored".into(),
        description: format!("vendored from {}", dir.display()),
        license: None,
        supplier: None,
        // checks::check_buildable passed: a valid name, or a folder whose build system shows.
        build: build
            .and_then(|b| b.get_ref().parse().ok())
            .or_else(|| BuildSystem::detect(dir))
            .unwrap_or(BuildSystem::Make),
        deps: Vec::new(),
        sources: Vec::new(),
        subdir: None,
        edits: Vec::new(),
        path: Some(dir.to_path_buf()),
        host_tools: Vec::new(),
        needs_build_cc: false,
        configure: Default::default(),
        make: Default::default(),
        exports: Exports::default(),
        symlinks: Default::default(),
        merge: Default::default(),
        cflags: Vec::new(),
        ldflags: Vec::new(),
        env: Default::default(),
        strip: true,
        prefix: None,
        bootstrap: Vec::new(),
        in_tree: false,
        emulate: Emulate::Auto,
        target: BTreeMap::new(),
    }
}

/// A `[lib.NAME]` table; `dir` is its folder, absolute; `emulate` the project's default.
pub(super) fn lib_recipe(
    name: &str,
    dir: &Path,
    decl: &LibDecl,
    target: Targets,
    emulate: Emulate,
) -> Recipe {
    let base = from_folder(name, dir, decl.build.as_ref());
    Recipe {
        version: decl.version.clone().unwrap_or(base.version.clone()),
        description: if decl.description.is_empty() {
            base.description.clone()
        } else {
            decl.description.clone()
        },
        deps: decl.deps.iter().map(|d| d.get_ref().clone()).collect(),
        host_tools: decl.host_tools.clone(),
        needs_build_cc: decl.needs_build_cc,
        configure: decl.configure.clone(),
        make: decl.make.clone(),
        exports: Exports {
            libs: decl.exports.libs.clone(),
            pkg_config: decl.exports.pkg_config.clone(),
            headers: decl.exports.headers.clone(),
            programs: Vec::new(),
        },
        symlinks: decl.symlinks.clone(),
        cflags: decl.cflags.clone(),
        ldflags: decl.ldflags.clone(),
        env: decl.env.clone(),
        strip: decl.strip,
        prefix: decl.prefix.as_ref().map(|p| p.get_ref().clone()),
        bootstrap: decl.bootstrap.clone(),
        emulate: decl.emulate.unwrap_or(emulate),
        target,
        ..base
    }
}

/// A `[vendor.NAME]` table; `dir` is its folder, absolute. Its `programs` are the
/// recipe's exports; its `libs` its dependencies; `emulate` the project's default.
pub(super) fn vendor_recipe(
    name: &str,
    dir: &Path,
    decl: &RawVendor,
    target: Targets,
    emulate: Emulate,
) -> Recipe {
    Recipe {
        deps: decl.libs.iter().map(|l| l.get_ref().clone()).collect(),
        host_tools: decl.host_tools.clone(),
        configure: decl.configure.clone(),
        make: decl.make.clone(),
        exports: Exports {
            programs: decl.programs.iter().map(|p| p.get_ref().clone()).collect(),
            ..Exports::default()
        },
        cflags: decl.cflags.clone(),
        ldflags: decl.ldflags.clone(),
        env: decl.env.clone(),
        strip: decl.strip,
        prefix: decl.prefix.as_ref().map(|p| p.get_ref().clone()),
        bootstrap: decl.bootstrap.clone(),
        in_tree: decl.in_tree,
        emulate: decl.emulate.unwrap_or(emulate),
        target,
        ..from_folder(name, dir, decl.build.as_ref())
    }
}
