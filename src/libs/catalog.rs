//! Where recipes come from and how they are found: the built-in ones, `--vendor-lib
//! NAME=DIR[:BUILD]`, `--lib-file`'s `[[library]]` tables, and the `Catalog` that resolves
//! a library's name and its dependencies' closure.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::recipe::{
    BUILT_IN, BuildSystem, ConfigureSpec, Emulate, Exports, MakeSpec, Recipe, unversioned,
};
use crate::error::{Error, Result};

/// The built-in recipes.
pub(crate) fn built_in() -> Vec<Recipe> {
    BUILT_IN
        .iter()
        .map(|(file, text)| {
            Recipe::parse(text, &format!("recipes/{file}")).expect("built-in recipes parse")
        })
        .collect()
}

/// `--vendor-lib NAME=DIR[:BUILD]`: a folder built with its own build system (guessed
/// from its files when not given), linked as `-lNAME`.
pub(crate) fn parse_vendor_flag(value: &str, cwd: &Path) -> Result<Recipe> {
    let origin = format!("`--vendor-lib {value}`");
    let usage = |reason: &str| {
        Error::LibrarySpec {
        origin: origin.clone(),
        reason: reason.to_string(),
        help: "write --vendor-lib NAME=DIR or NAME=DIR:autotools|configure|make|cmake|meson, or describe it in a --lib-file TOML".into(),
    }
    };
    let (name, rest) = value
        .split_once('=')
        .ok_or_else(|| usage("expected NAME=DIR"))?;
    let (dir, build) = match rest.rsplit_once(':') {
        Some((dir, build)) if build.parse::<BuildSystem>().is_ok() => {
            (dir, Some(build.parse::<BuildSystem>().unwrap()))
        }
        _ => (rest, None),
    };
    if dir.is_empty() {
        return Err(usage("the folder is empty"));
    }
    let dir = cwd.join(dir);
    if !dir.is_dir() {
        return Err(usage(&format!("`{}` is not a folder", dir.display())));
    }
    let build = match build.or_else(|| BuildSystem::detect(&dir)) {
        Some(b) => b,
        None => {
            return Err(usage(
                "cannot tell its build system (no configure, meson.build, CMakeLists.txt or Makefile); add :make, :autotools, :configure, :cmake or :meson",
            ));
        }
    };
    let recipe = Recipe {
        name: name.to_string(),
        version: unversioned(),
        description: format!("vendored from {}", dir.display()),
        license: None,
        supplier: None,
        build,
        deps: Vec::new(),
        sources: Vec::new(),
        subdir: None,
        edits: Vec::new(),
        path: Some(dir),
        host_tools: Vec::new(),
        needs_build_cc: false,
        configure: ConfigureSpec::default(),
        make: MakeSpec::default(),
        exports: Exports::default(),
        symlinks: BTreeMap::new(),
        merge: BTreeMap::new(),
        cflags: Vec::new(),
        ldflags: Vec::new(),
        env: BTreeMap::new(),
        strip: true,
        prefix: None,
        bootstrap: Vec::new(),
        in_tree: false,
        emulate: Emulate::Auto,
        target: BTreeMap::new(),
    };
    recipe.validate(&origin)?;
    Ok(recipe)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LibFile {
    #[serde(default)]
    library: Vec<toml::Value>,
}

/// A TOML file of `[[library]]` tables in the recipe format; a `path` is relative to the
/// file's folder. The project file (muslbuild.toml) reuses `Recipe` the same way.
pub(crate) fn parse_lib_file(path: &Path) -> Result<Vec<Recipe>> {
    let text = std::fs::read_to_string(path).map_err(Error::io("cannot read", path))?;
    let origin = format!("in `{}`", path.display());
    let file: LibFile = toml::from_str(&text).map_err(|e| Error::LibrarySpec {
        origin: origin.clone(),
        reason: e.message().to_string(),
        help: "the file holds [[library]] tables in the recipe format (docs/libraries.md)".into(),
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut recipes = Vec::new();
    for value in file.library {
        let text = toml::to_string(&value).expect("a TOML value serialises");
        let mut recipe = Recipe::parse(&text, &origin)?;
        if let Some(dir) = &recipe.path {
            let dir = base.join(dir);
            if !dir.is_dir() {
                return Err(Error::LibrarySpec {
                    origin,
                    reason: format!(
                        "library `{}`: `{}` is not a folder",
                        recipe.name,
                        dir.display()
                    ),
                    help: "a `path` is relative to the TOML file's folder".into(),
                });
            }
            recipe.path = Some(dir);
        }
        recipes.push(recipe);
    }
    Ok(recipes)
}

/// The recipes a build may use: the built-in ones, then vendored ones (which may shadow a
/// built-in name, e.g. a project's own patched zlib).
#[derive(Clone, Debug)]
pub(crate) struct Catalog {
    recipes: BTreeMap<String, Recipe>,
}

impl Catalog {
    pub(crate) fn new(vendored: Vec<Recipe>) -> Catalog {
        let mut recipes: BTreeMap<String, Recipe> = built_in()
            .into_iter()
            .map(|r| (r.name.clone(), r))
            .collect();
        for recipe in vendored {
            recipes.insert(recipe.name.clone(), recipe);
        }
        Catalog { recipes }
    }

    pub(crate) fn all_mut(&mut self) -> impl Iterator<Item = &mut Recipe> {
        self.recipes.values_mut()
    }

    pub(crate) fn all(&self) -> impl Iterator<Item = &Recipe> {
        self.recipes.values()
    }

    pub(crate) fn get(&self, name: &str) -> Result<&Recipe> {
        self.recipes.get(name).ok_or_else(|| Error::UnknownLibrary {
            name: name.to_string(),
            known: self.recipes.keys().cloned().collect(),
        })
    }

    /// `names` and everything they depend on, dependencies first.
    pub(crate) fn closure(&self, names: &[String]) -> Result<Vec<&Recipe>> {
        let mut order: Vec<&Recipe> = Vec::new();
        let mut visiting: Vec<String> = Vec::new();
        for name in names {
            self.visit(name, &mut visiting, &mut order)?;
        }
        Ok(order)
    }

    fn visit<'a>(
        &'a self,
        name: &str,
        visiting: &mut Vec<String>,
        order: &mut Vec<&'a Recipe>,
    ) -> Result<()> {
        if order.iter().any(|r| r.name == name) {
            return Ok(());
        }
        if visiting.iter().any(|n| n == name) {
            visiting.push(name.to_string());
            return Err(Error::LibrarySpec {
                origin: format!("for `{name}`"),
                reason: format!("dependency cycle {}", visiting.join(" -> ")),
                help: "remove one of the `deps` entries".into(),
            });
        }
        let recipe = self.get(name)?;
        visiting.push(name.to_string());
        for dep in &recipe.deps {
            self.visit(dep, visiting, order)?;
        }
        visiting.pop();
        order.push(recipe);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closure_puts_dependencies_first() {
        let catalog = Catalog::new(Vec::new());
        let names: Vec<&str> = catalog
            .closure(&["readline".into(), "zlib".into(), "ncurses".into()])
            .unwrap()
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, ["ncurses", "readline", "zlib"]);
    }

    #[test]
    fn unknown_library_lists_the_known_ones() {
        let catalog = Catalog::new(Vec::new());
        match catalog.closure(&["readlin".into()]) {
            Err(Error::UnknownLibrary { name, known }) => {
                assert_eq!(name, "readlin");
                assert!(known.contains(&"readline".to_string()));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn cycles_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut a =
            parse_vendor_flag(&format!("a={}:make", dir.path().display()), Path::new("/")).unwrap();
        let mut b = a.clone();
        b.name = "b".into();
        a.deps = vec!["b".into()];
        b.deps = vec!["a".into()];
        let catalog = Catalog::new(vec![a, b]);
        let err = catalog.closure(&["a".into()]).unwrap_err().to_string();
        assert!(err.contains("a -> b -> a"), "{err}");
    }

    #[test]
    fn vendor_flag_forms() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Makefile"), "all:\n").unwrap();
        let r =
            parse_vendor_flag(&format!("foo={}", dir.path().display()), Path::new("/")).unwrap();
        assert_eq!((r.name.as_str(), r.build), ("foo", BuildSystem::Make));
        let r = parse_vendor_flag(
            &format!("foo={}:cmake", dir.path().display()),
            Path::new("/"),
        )
        .unwrap();
        assert_eq!(r.build, BuildSystem::Cmake);
        assert_eq!(r.link_names(), ["foo"]);
        assert!(parse_vendor_flag("foo", Path::new("/")).is_err());
        assert!(parse_vendor_flag("foo=/no/such/dir", Path::new("/")).is_err());
        assert!(
            parse_vendor_flag(&format!("../x={}", dir.path().display()), Path::new("/")).is_err()
        );
    }

    #[test]
    fn lib_file_paths_are_relative_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("vendor")).unwrap();
        let file = dir.path().join("libs.toml");
        std::fs::write(
            &file,
            "[[library]]\nname = \"foo\"\nbuild = \"make\"\npath = \"vendor\"\ndeps = [\"zlib\"]\n[library.exports]\nlibs = [\"foo\"]\n",
        )
        .unwrap();
        let recipes = parse_lib_file(&file).unwrap();
        assert_eq!(
            recipes[0].path.as_deref(),
            Some(dir.path().join("vendor").as_path())
        );
        assert_eq!(recipes[0].deps, ["zlib"]);
    }
}
