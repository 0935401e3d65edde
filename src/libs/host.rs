//! What the build machine must provide before any build starts: host programs (make,
//! cmake, meson and ninja, a build C compiler, autotools-dev's scripts) and folders
//! without white space.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::recipe::{BuildSystem, Recipe};
use crate::cache::Cache;
use crate::env::Env;
use crate::error::{Error, Result};

/// Where the machine's autotools-dev keeps current `config.sub`/`config.guess`.
pub(crate) const AUTOTOOLS_MISC: &str = "/usr/share/misc";

/// Programs on the build machine, resolved once before any build starts.
#[derive(Clone, Debug, Default)]
pub(crate) struct HostTools {
    pub(crate) make: PathBuf,
    pub(crate) build_cc: Option<String>,
    pub(crate) tools: BTreeMap<String, PathBuf>,
    pub(crate) build_triple: String,
}

/// The Debian package that provides a host program, for "install it" hints.
pub(crate) fn package_for(tool: &str) -> &str {
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
        "ninja" => "ninja-build",
        other => other,
    }
}

/// Finds every host program the given recipes need, or names the first missing one with
/// its package, before anything starts.
pub(crate) fn check_host_tools<'a>(
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
        // meson runs ninja; cmake's default generator writes Makefiles.
        if make.is_none() && recipe.build != BuildSystem::Meson {
            make = Some(find(&make_name).ok_or_else(|| missing(&make_name, &by))?);
        }
        // Source archives are unpacked in-process (`sys::unpack`): no `tar`,
        // `gzip`, `bzip2` or `xz` is needed.
        let needs: &[&str] = match recipe.build {
            BuildSystem::Cmake => &["cmake"],
            BuildSystem::Meson => &["meson", "ninja"],
            _ => &[],
        };
        for tool in needs {
            host.tools.insert(
                tool.to_string(),
                find(tool).ok_or_else(|| missing(tool, &by))?,
            );
        }
        // meson's `dependency()` asks pkg-config (confined to the declared libraries);
        // without declared libraries there is nothing it could find.
        if recipe.build == BuildSystem::Meson && !host.tools.contains_key("pkg-config") {
            match find("pkg-config").or_else(|| find("pkgconf")) {
                Some(found) => {
                    host.tools.insert("pkg-config".into(), found);
                }
                None if !recipe.deps.is_empty() => {
                    return Err(missing(
                        "pkg-config",
                        &format!("{by} (meson finds its declared libraries with it)"),
                    ));
                }
                None => {}
            }
        }
        // A bootstrap program named by a path (`./Configure`, `scripts/gen.sh`) is the
        // project's own file, run in its copy of the folder; only a bare name is a host
        // program found on PATH.
        let bootstrap = recipe.bootstrap.first().filter(|p| is_host_program(p));
        for tool in recipe.host_tools.iter().chain(bootstrap) {
            host.tools
                .insert(tool.clone(), find(tool).ok_or_else(|| missing(tool, &by))?);
        }
        if let Some(program) = recipe.bootstrap.first().filter(|p| !is_host_program(p)) {
            check_own_program(recipe, program)?;
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

/// A bare program name (`autoreconf`) is the build machine's, found on `PATH`; one with
/// a `/` (`./Configure`, `scripts/gen.sh`) is a file of the project.
pub(crate) fn is_host_program(program: &str) -> bool {
    !program.contains('/')
}

/// A `bootstrap` program of the project's own (`./Configure`): it must be in the
/// project's folder, where its copy will run it.
fn check_own_program(recipe: &Recipe, program: &str) -> Result<()> {
    let Some(dir) = &recipe.path else {
        return Ok(());
    };
    let file = dir.join(program);
    if file.is_file() {
        return Ok(());
    }
    Err(Error::LibrarySpec {
        origin: format!("for {}", recipe.subject()),
        reason: format!(
            "its `bootstrap` runs `{program}`, which is not a file in {}",
            dir.display()
        ),
        help: "a bootstrap program with a `/` is the project's own file, relative to its folder; a bare name (`autoreconf`) is found on PATH".into(),
    })
}

/// The build machine's GNU triple for `--build`. Only its difference from `--host`
/// matters (it makes autoconf cross-compile even for the host's own arch), so it is
/// derived rather than asked of `config.guess`.
pub(crate) fn build_triple() -> String {
    match std::env::consts::ARCH {
        "x86_64" => "x86_64-pc-linux-gnu".into(),
        "arm" => "armv7l-unknown-linux-gnueabihf".into(),
        arch => format!("{arch}-unknown-linux-gnu"),
    }
}

/// Autotools and the flags in `CFLAGS`/`CPPFLAGS` split on white space: a build folder,
/// source folder or prefix with a space in its path cannot be built. Said up front.
pub(crate) fn check_paths_for_builds(cache: &Cache, recipes: &[&Recipe]) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_host_tool_names_its_package() {
        let recipe = super::super::Catalog::new(Vec::new())
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

    /// A folder of empty executables (fakes: only found, never run) to be PATH.
    fn path_with(programs: &[&str]) -> (tempfile::TempDir, Env) {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        for name in programs {
            let file = dir.path().join(name);
            std::fs::write(&file, "").unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let env = Env::from_vars([("PATH", dir.path().as_os_str())], PathBuf::from("/"));
        (dir, env)
    }

    #[test]
    fn meson_needs_meson_and_ninja_and_pkg_config_for_declared_libraries_but_not_make() {
        let dir = tempfile::tempdir().unwrap();
        let mut recipe = super::super::catalog::parse_vendor_flag(
            &format!("tool={}:meson", dir.path().display()),
            Path::new("/"),
        )
        .unwrap();
        let missing = |env: &Env, recipe: &Recipe| match check_host_tools([recipe], env) {
            Err(Error::MissingHostTool { tool, package, .. }) => (tool, package),
            other => panic!("unexpected {other:?}"),
        };
        let (_d, env) = path_with(&["cc"]);
        assert_eq!(missing(&env, &recipe), ("meson".into(), "meson".into()));
        let (_d, env) = path_with(&["cc", "meson"]);
        assert_eq!(
            missing(&env, &recipe),
            ("ninja".into(), "ninja-build".into())
        );
        // No make on PATH, no pkg-config: enough for a project without libraries.
        let (_d, env) = path_with(&["cc", "meson", "ninja"]);
        let host = check_host_tools([&recipe], &env).unwrap();
        assert!(host.tools.contains_key("meson") && !host.tools.contains_key("pkg-config"));
        recipe.deps = vec!["zlib".into()];
        assert_eq!(
            missing(&env, &recipe),
            ("pkg-config".into(), "pkgconf".into())
        );
        let (_d, env) = path_with(&["cc", "meson", "ninja", "pkgconf"]);
        let host = check_host_tools([&recipe], &env).unwrap();
        assert!(host.tools["pkg-config"].ends_with("pkgconf"));
    }
}
