//! Checks on declared values that serde cannot make: names, prefixes, bootstrap
//! commands, build systems, library cycles, and the near-miss suggestions errors carry.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use toml::Spanned;

use super::decl::LibDecl;
use super::positions::{Positions, suggest};
use crate::error::Result;

/// Library names muslbuild has recipes for; a `libs` entry must be one of these or a
/// `[lib.NAME]` of the project.
pub(crate) fn recipe_names() -> Vec<String> {
    crate::libs::catalog::built_in()
        .into_iter()
        .map(|r| r.name)
        .collect()
}

/// The built-in recipes among `linked` (a project's own `[lib.NAME]`s, in `own`, are not
/// built-in), with the built-in recipes they depend on.
pub(crate) fn built_in_closure(
    linked: &std::collections::BTreeSet<String>,
    own: &std::collections::BTreeSet<String>,
) -> std::collections::BTreeSet<String> {
    let built_in = crate::libs::catalog::built_in();
    let mut todo: Vec<String> = linked
        .iter()
        .filter(|n| !own.contains(*n))
        .cloned()
        .collect();
    let mut found = std::collections::BTreeSet::new();
    while let Some(name) = todo.pop() {
        if let Some(recipe) = built_in.iter().find(|r| r.name == name)
            && found.insert(name)
        {
            todo.extend(recipe.deps.iter().filter(|d| !own.contains(*d)).cloned());
        }
    }
    found
}

/// A folder built with its own build system must say which, or show it.
pub(super) fn check_buildable(
    name: &Spanned<String>,
    dir: &Path,
    build: &Option<Spanned<String>>,
    at: &Positions<'_>,
) -> Result<()> {
    match build {
        Some(build) => check_build_system(build, at),
        None if crate::libs::BuildSystem::detect(dir).is_some() => Ok(()),
        None => Err(at.error(
            name.span(),
            format!(
                "cannot tell how to build `{}` (no configure, meson.build, CMakeLists.txt or Makefile in {})",
                name.get_ref(),
                dir.display()
            ),
            "add `build = \"autotools\"` (or configure, make, cmake, meson)",
        )),
    }
}

/// A runtime prefix is where programs will run: an absolute path.
pub(super) fn check_prefix(prefix: Option<&Spanned<String>>, at: &Positions<'_>) -> Result<()> {
    match prefix {
        Some(p) if !p.get_ref().starts_with('/') => Err(at.error(
            p.span(),
            format!("`prefix = \"{}\"` is not an absolute path", p.get_ref()),
            "the prefix is where the programs will run, e.g. \"/usr\" (the default) or \"/opt/NAME\"",
        )),
        _ => Ok(()),
    }
}

/// `bootstrap` is a command as argv (never run through a shell): a program and its
/// arguments.
pub(super) fn check_bootstrap(
    bootstrap: &[String],
    name: &Spanned<String>,
    at: &Positions<'_>,
) -> Result<()> {
    match bootstrap.first() {
        Some(program) if program.is_empty() || program.contains(' ') => Err(at.error(
            name.span(),
            format!("`bootstrap` of `{}` starts with `{program}`, which is not a program name", name.get_ref()),
            "give the command as a list, one word per element: bootstrap = [\"autoreconf\", \"-fi\"] (it never goes through a shell)",
        )),
        _ => Ok(()),
    }
}

pub(super) fn check_build_system(build: &Spanned<String>, at: &Positions<'_>) -> Result<()> {
    const SYSTEMS: &[&str] = &["autotools", "configure", "make", "cmake", "meson"];
    if SYSTEMS.contains(&build.get_ref().as_str()) {
        return Ok(());
    }
    let hint = suggest(build.get_ref(), SYSTEMS.iter().copied())
        .map(|s| format!("did you mean `{s}`? "))
        .unwrap_or_default();
    Err(at.error(
        build.span(),
        format!("unknown build system `{}`", build.get_ref()),
        format!("{hint}use autotools, configure, make, cmake or meson, or leave `build` out to guess it from the folder"),
    ))
}

pub(super) fn check_name(name: &str, what: &str) -> std::result::Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+'));
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}` is not a valid {what} name"))
    }
}

/// A cycle among `[lib.NAME]` dependencies, reported at the library where it closes.
pub(super) fn check_cycles(
    libs: &BTreeMap<Spanned<String>, Spanned<LibDecl>>,
    at: &Positions<'_>,
) -> Result<()> {
    let deps: BTreeMap<&str, Vec<&str>> = libs
        .iter()
        .map(|(k, v)| {
            (
                k.get_ref().as_str(),
                v.get_ref()
                    .deps
                    .iter()
                    .map(|d| d.get_ref().as_str())
                    .collect(),
            )
        })
        .collect();
    fn visit<'a>(
        name: &'a str,
        deps: &BTreeMap<&'a str, Vec<&'a str>>,
        stack: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if done.contains(name) {
            return None;
        }
        if let Some(i) = stack.iter().position(|n| *n == name) {
            let mut cycle = stack[i..].to_vec();
            cycle.push(name);
            return Some(cycle);
        }
        stack.push(name);
        for dep in deps.get(name).into_iter().flatten() {
            if let Some(cycle) = visit(dep, deps, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(name);
        None
    }
    let mut done = BTreeSet::new();
    for name in deps.keys() {
        if let Some(cycle) = visit(name, &deps, &mut Vec::new(), &mut done) {
            let (key, _) = libs
                .iter()
                .find(|(k, _)| k.get_ref() == cycle[0])
                .expect("a cycle starts at a declared library");
            return Err(at.error(
                key.span(),
                format!("library dependency cycle: {}", cycle.join(" -> ")),
                "a library cannot depend on itself, even through others; remove one of the `deps` entries",
            ));
        }
    }
    Ok(())
}
