//! `muslbuild.toml`: the project file. Parsing turns it into a `Project` whose paths are
//! absolute, targets parsed and names checked; every problem (syntax, an unknown key, a
//! missing source, a library cycle, an artifact named twice, an image naming an artifact
//! nobody builds) is an `Error::Config` with the file, line and column, raised before any
//! build starts. `docs/project.md` is the user's page.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};
use crate::image::ImageSpec;
use crate::image::spec::Key;
use crate::pipeline::c::CProgram;
use crate::target::Target;

pub const FILE_NAME: &str = "muslbuild.toml";

/// Library names muslbuild has recipes for; a `libs` entry must be one of these or a
/// `[lib.NAME]` of the project.
pub fn recipe_names() -> Vec<String> {
    crate::libs::recipe::built_in()
        .into_iter()
        .map(|r| r.name)
        .collect()
}

/// A folder built with its own build system must say which, or show it.
fn check_buildable(
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
                "cannot tell how to build `{}` (no configure, CMakeLists.txt or Makefile in {})",
                name.get_ref(),
                dir.display()
            ),
            "add `build = \"autotools\"` (or configure, make, cmake)",
        )),
    }
}

// -----------------------------------------------------------------------------------
// The file as written
// -----------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    project: RawProject,
    #[serde(default)]
    c: BTreeMap<Spanned<String>, Spanned<RawC>>,
    #[serde(default)]
    go: BTreeMap<Spanned<String>, Spanned<RawGo>>,
    #[serde(default)]
    vendor: BTreeMap<Spanned<String>, Spanned<RawVendor>>,
    #[serde(default)]
    lib: BTreeMap<Spanned<String>, Spanned<LibDecl>>,
    image: Option<ImageSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawProject {
    /// A list, or one string (`targets = "all"`, `targets = "x86_64,armv7"`).
    #[serde(default)]
    targets: OneOrMany,
    out_dir: Option<PathBuf>,
    toolchain: Option<Spanned<String>>,
    #[serde(default)]
    source_dirs: Vec<PathBuf>,
}

/// `targets`: a list, or one string (`"all"`, `"x86_64,armv7"`). Read as a value and
/// split here, since serde's untagged enums lose toml's spans.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
struct OneOrMany(Option<Spanned<toml::Value>>);

impl OneOrMany {
    /// Each item with its own span (found in the text inside the value's span).
    fn items(&self, text: &str) -> std::result::Result<Vec<Spanned<String>>, Range<usize>> {
        let Some(value) = &self.0 else {
            return Ok(Vec::new());
        };
        let span = value.span();
        match value.get_ref() {
            toml::Value::String(one) => Ok(vec![Spanned::new(span, one.clone())]),
            toml::Value::Array(items) => {
                let mut out = Vec::new();
                let mut from = span.start;
                for item in items {
                    let toml::Value::String(item) = item else {
                        return Err(span);
                    };
                    let at = text[from..span.end]
                        .find(item.as_str())
                        .map_or(span.clone(), |i| {
                            let start = from + i - 1;
                            start..start + item.len() + 2
                        });
                    from = at.end.min(span.end);
                    out.push(Spanned::new(at, item.clone()));
                }
                Ok(out)
            }
            _ => Err(span),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawC {
    /// Files or glob patterns (`src/*.c`), relative to the project folder.
    sources: Vec<Spanned<String>>,
    /// Glob patterns of files the `sources` patterns must not take (`src/luac.c`).
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    include: Vec<PathBuf>,
    #[serde(default)]
    defines: Vec<String>,
    #[serde(default)]
    cflags: Vec<String>,
    #[serde(default)]
    ldflags: Vec<String>,
    /// Recipe or `[lib.NAME]` names: built per target, headers and archives added.
    #[serde(default)]
    libs: Vec<Spanned<String>>,
    /// Plain `-l` names the toolchain already has (`m`, `pthread`).
    #[serde(default)]
    link: Vec<String>,
    #[serde(default = "yes")]
    strip: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawGo {
    package: Spanned<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    ldflags: Vec<String>,
    #[serde(default)]
    cgo: bool,
    /// C libraries for the cgo part, built per target like a C program's.
    #[serde(default)]
    libs: Vec<Spanned<String>>,
    #[serde(default = "yes")]
    strip: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawVendor {
    path: Spanned<PathBuf>,
    build: Option<Spanned<String>>,
    #[serde(default)]
    libs: Vec<Spanned<String>>,
    #[serde(default)]
    configure: ArgsDecl,
    #[serde(default)]
    make: MakeDecl,
    /// Installed executables (found in the prefix's `bin/` or `sbin/`) that become
    /// artifacts.
    programs: Vec<Spanned<String>>,
    #[serde(default)]
    cflags: Vec<String>,
    #[serde(default)]
    ldflags: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default = "yes")]
    strip: bool,
    prefix: Option<Spanned<String>>,
    #[serde(default)]
    bootstrap: Vec<String>,
    #[serde(default)]
    host_tools: Vec<String>,
    /// Build in a copy of the folder, for a build system that cannot build out of tree.
    #[serde(default)]
    in_tree: bool,
}

fn yes() -> bool {
    true
}

/// A vendored library, `[lib.NAME]`: the recipe format of `docs/libraries.md` without
/// `name` (the table's key) and with `path` relative to the project folder.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibDecl {
    pub path: Spanned<PathBuf>,
    pub build: Option<Spanned<String>>,
    pub version: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub deps: Vec<Spanned<String>>,
    #[serde(default, alias = "host-tools")]
    pub host_tools: Vec<String>,
    #[serde(default, alias = "needs-build-cc")]
    pub needs_build_cc: bool,
    #[serde(default)]
    pub configure: ArgsDecl,
    #[serde(default)]
    pub make: MakeDecl,
    #[serde(default)]
    pub exports: ExportsDecl,
    #[serde(default)]
    pub symlinks: BTreeMap<String, String>,
    #[serde(default)]
    pub cflags: Vec<String>,
    #[serde(default)]
    pub ldflags: Vec<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    #[serde(default = "yes")]
    pub strip: bool,
    pub prefix: Option<Spanned<String>>,
    #[serde(default)]
    pub bootstrap: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgsDecl {
    #[serde(default)]
    pub args: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MakeDecl {
    #[serde(default)]
    pub targets: Vec<String>,
    #[serde(default)]
    pub install_targets: Vec<String>,
    #[serde(default)]
    pub args: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportsDecl {
    #[serde(default)]
    pub libs: Vec<String>,
    #[serde(default)]
    pub pkg_config: Vec<String>,
    #[serde(default)]
    pub headers: Vec<String>,
    /// Not a key of `[lib.NAME]`: filled from a `[vendor.NAME]`'s `programs`.
    #[serde(skip)]
    pub programs: Vec<String>,
}

/// Only the positions of `[image] artifacts`, read in a second pass so `ImageSpec` stays
/// the plain struct `muslbuild image` uses.
#[derive(Deserialize)]
struct ImagePositions {
    image: Option<ImageArtifacts>,
}

#[derive(Deserialize)]
struct ImageArtifacts {
    #[serde(default)]
    artifacts: Vec<Spanned<String>>,
}

// -----------------------------------------------------------------------------------
// The project as muslbuild builds it
// -----------------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub struct Project {
    /// The folder holding `muslbuild.toml`; relative paths in the file start here.
    pub root: PathBuf,
    pub file: PathBuf,
    pub targets: Vec<Target>,
    pub out_dir: PathBuf,
    pub toolchain: String,
    pub source_dirs: Vec<PathBuf>,
    pub c: Vec<CArtifact>,
    pub go: Vec<GoArtifact>,
    pub vendor: Vec<VendorProject>,
    /// `[lib.NAME]`, name first, paths absolute.
    pub libs: Vec<(String, LibDecl)>,
    pub image: Option<ImageSpec>,
}

#[derive(Clone, Debug)]
pub struct CArtifact {
    pub program: CProgram,
    pub libs: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct GoArtifact {
    pub name: String,
    /// The package folder, absolute.
    pub package: PathBuf,
    pub tags: Vec<String>,
    pub ldflags: Vec<String>,
    pub cgo: bool,
    pub libs: Vec<String>,
    pub strip: bool,
}

/// A vendored project folder built with its own build system; its installed `programs`
/// are artifacts.
#[derive(Clone, Debug)]
pub struct VendorProject {
    pub name: String,
    pub path: PathBuf,
    pub build: Option<String>,
    pub libs: Vec<String>,
    pub configure_args: Vec<String>,
    pub make: MakeDecl,
    pub programs: Vec<String>,
    pub cflags: Vec<String>,
    pub ldflags: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub strip: bool,
    /// The runtime prefix (`/usr` when not given), absolute.
    pub prefix: Option<String>,
    pub bootstrap: Vec<String>,
    pub host_tools: Vec<String>,
    pub in_tree: bool,
}

impl Project {
    /// Every artifact name, in the order builds report them.
    pub fn artifact_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.c.iter().map(|c| c.program.name.clone()).collect();
        names.extend(self.go.iter().map(|g| g.name.clone()));
        for v in &self.vendor {
            names.extend(v.programs.iter().cloned());
        }
        names
    }
}

/// Looks for `muslbuild.toml` in `dir` (not in its parents: a build must not pick up a
/// file the user did not mean).
pub fn find(dir: &Path) -> Option<PathBuf> {
    let path = dir.join(FILE_NAME);
    path.is_file().then_some(path)
}

/// Reads and checks a project file.
pub fn load(file: &Path) -> Result<Project> {
    let text = std::fs::read_to_string(file).map_err(Error::io("cannot read", file))?;
    parse(&text, file)
}

/// Checks `text` as the contents of `file` (whose folder is the project root).
pub fn parse(text: &str, file: &Path) -> Result<Project> {
    let root = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let at = Positions { text, file };
    let raw: RawFile = toml::from_str(text).map_err(|e| at.toml_error(&e))?;
    let image_positions: Vec<Spanned<String>> = toml::from_str::<ImagePositions>(text)
        .ok()
        .and_then(|p| p.image)
        .map(|i| i.artifacts)
        .unwrap_or_default();

    let mut targets = Vec::new();
    let target_items = raw.project.targets.items(text).map_err(|span| {
        at.error(
            span,
            "`targets` is a list of target names or one string".to_string(),
            "write targets = [\"x86_64\", \"aarch64\"] or targets = \"all\"",
        )
    })?;
    for value in &target_items {
        let parsed = Target::parse_list(value.get_ref()).map_err(|e| {
            at.error(
                value.span(),
                e.to_string(),
                "targets are x86_64, aarch64, armv7, or `all` (`muslbuild targets` lists every alias)",
            )
        })?;
        for t in parsed {
            if !targets.contains(&t) {
                targets.push(t);
            }
        }
    }
    let toolchain = match &raw.project.toolchain {
        Some(value) => {
            value
                .get_ref()
                .parse::<crate::toolchain::Choice>()
                .map_err(|e| at.error(value.span(), e.to_string(), e.help()))?;
            value.get_ref().clone()
        }
        None => "auto".into(),
    };

    // Names: one namespace for every artifact, another for libraries.
    let mut artifacts: BTreeMap<String, Range<usize>> = BTreeMap::new();
    let mut claim = |name: &str, span: Range<usize>| -> Result<()> {
        crate::dist::check_name(name).map_err(|reason| {
            at.error(
                span.clone(),
                format!("artifact name {name:?} {reason}"),
                "an artifact name is a file name: letters, digits, `-`, `_`, `.`",
            )
        })?;
        check_name(name, "artifact").map_err(|m| {
            at.error(
                span.clone(),
                m,
                "an artifact name is a file name: letters, digits, `-`, `_`, `.`",
            )
        })?;
        if let Some(first) = artifacts.get(name) {
            let (line, column) = at.line_column(first.start);
            return Err(at.error(
                span,
                format!("artifact `{name}` is named twice"),
                format!(
                    "it is first named at line {line}, column {column}; each artifact is one file in dist/<target>/, so rename one of them"
                ),
            ));
        }
        artifacts.insert(name.to_string(), span);
        Ok(())
    };
    for name in raw.c.keys() {
        claim(name.get_ref(), name.span())?;
    }
    for name in raw.go.keys() {
        claim(name.get_ref(), name.span())?;
    }
    for decl in raw.vendor.values() {
        for program in &decl.get_ref().programs {
            claim(program.get_ref(), program.span())?;
        }
    }

    let lib_names: BTreeSet<String> = raw.lib.keys().map(|k| k.get_ref().clone()).collect();
    let known_lib = |name: &Spanned<String>| -> Result<()> {
        if lib_names.contains(name.get_ref()) || recipe_names().contains(name.get_ref()) {
            return Ok(());
        }
        let mut known = recipe_names();
        known.extend(lib_names.iter().cloned());
        let hint = suggest(name.get_ref(), known.iter().map(String::as_str))
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        Err(at.error(
            name.span(),
            format!("unknown library `{}`", name.get_ref()),
            format!(
                "{hint}libraries are recipes ({}) or a [lib.NAME] table in this file",
                recipe_names().join(", ")
            ),
        ))
    };

    let mut libs = Vec::new();
    for (name, decl) in &raw.lib {
        check_name(name.get_ref(), "library").map_err(|m| {
            at.error(
                name.span(),
                m,
                "a library name is letters, digits, `-`, `_`, `+`, `.`",
            )
        })?;
        let mut decl = decl.get_ref().clone();
        for dep in &decl.deps {
            known_lib(dep)?;
        }
        let dir = root.join(decl.path.get_ref());
        if dir.is_dir() {
            check_buildable(name, &dir, &decl.build, &at)?;
        }
        if !dir.is_dir() {
            return Err(at.error(
                decl.path.span(),
                format!(
                    "library `{}`: `{}` is not a folder",
                    name.get_ref(),
                    decl.path.get_ref().display()
                ),
                "`path` is relative to the folder of muslbuild.toml",
            ));
        }
        check_prefix(decl.prefix.as_ref(), &at)?;
        check_bootstrap(&decl.bootstrap, name, &at)?;
        decl.path = Spanned::new(decl.path.span(), dir);
        libs.push((name.get_ref().clone(), decl));
    }
    check_cycles(&raw.lib, &at)?;

    let mut c = Vec::new();
    for (name, decl) in &raw.c {
        let decl = decl.get_ref();
        if decl.sources.is_empty() {
            return Err(at.error(
                name.span(),
                format!("C program `{}` has no sources", name.get_ref()),
                "add `sources = [\"src/main.c\"]`",
            ));
        }
        let excludes = decl
            .exclude
            .iter()
            .map(|p| glob::Pattern::new(p))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| {
                at.error(
                    name.span(),
                    format!("`exclude` of `{}`: {e}", name.get_ref()),
                    "`exclude` takes glob patterns relative to muslbuild.toml, e.g. \"src/luac.c\" or \"src/test_*.c\"",
                )
            })?;
        let excluded = |path: &Path| {
            let rel = path.strip_prefix(&root).unwrap_or(path);
            excludes.iter().any(|p| p.matches_path(rel))
        };
        let mut sources: Vec<PathBuf> = Vec::new();
        for source in &decl.sources {
            let pattern = source.get_ref();
            let matched: Vec<PathBuf> = if pattern.contains(['*', '?', '[']) {
                let full = root.join(pattern).display().to_string();
                let paths = glob::glob(&full).map_err(|e| {
                    at.error(
                        source.span(),
                        format!("`{pattern}` is not a valid glob pattern: {e}"),
                        "use `*`, `?`, `[abc]` and `**/`, e.g. \"src/*.c\"",
                    )
                })?;
                let mut found: Vec<PathBuf> = paths
                    .filter_map(|p| p.ok())
                    .filter(|p| p.is_file() && !excluded(p))
                    .collect();
                found.sort();
                if found.is_empty() {
                    return Err(at.error(
                        source.span(),
                        format!("`{pattern}` matches no file"),
                        "patterns are relative to the folder of muslbuild.toml; `exclude` may have removed every match",
                    ));
                }
                found
            } else {
                let path = root.join(pattern);
                if !path.is_file() {
                    return Err(at.error(
                        source.span(),
                        format!("source file `{pattern}` does not exist"),
                        "paths are relative to the folder of muslbuild.toml",
                    ));
                }
                if excluded(&path) {
                    continue;
                }
                vec![path]
            };
            for path in matched {
                if path.extension().is_none_or(|e| e != "c") {
                    return Err(at.error(
                        source.span(),
                        format!("`{}` is not a C source file", path.display()),
                        "list `.c` files; headers are found through `include`",
                    ));
                }
                if !sources.contains(&path) {
                    sources.push(path);
                }
            }
        }
        for lib in &decl.libs {
            known_lib(lib)?;
        }
        let mut prefix_maps = vec![root.clone()];
        for source in &sources {
            let dir = source.parent().expect("a file has a folder").to_path_buf();
            if !prefix_maps.contains(&dir) {
                prefix_maps.push(dir);
            }
        }
        c.push(CArtifact {
            program: CProgram {
                name: name.get_ref().clone(),
                sources,
                include_dirs: decl.include.iter().map(|d| root.join(d)).collect(),
                defines: decl.defines.clone(),
                lib_dirs: Vec::new(),
                libs: decl.link.clone(),
                cflags: decl.cflags.clone(),
                ldflags: decl.ldflags.clone(),
                strip: decl.strip,
                prefix_maps,
                source_date_epoch: 0,
            },
            libs: decl.libs.iter().map(|l| l.get_ref().clone()).collect(),
        });
    }

    let mut go = Vec::new();
    for (name, decl) in &raw.go {
        let decl = decl.get_ref();
        let package = root.join(decl.package.get_ref());
        if !package.is_dir() {
            return Err(at.error(
                decl.package.span(),
                format!("Go package `{}` is not a folder", decl.package.get_ref()),
                "`package` is the package's folder relative to muslbuild.toml, e.g. \"./cmd/server\"",
            ));
        }
        if !decl.libs.is_empty() && !decl.cgo {
            return Err(at.error(
                decl.libs[0].span(),
                format!(
                    "Go program `{}` lists C libraries without cgo",
                    name.get_ref()
                ),
                "add `cgo = true`: C libraries are linked into the cgo part of a program",
            ));
        }
        for lib in &decl.libs {
            known_lib(lib)?;
        }
        go.push(GoArtifact {
            name: name.get_ref().clone(),
            package,
            tags: decl.tags.clone(),
            ldflags: decl.ldflags.clone(),
            cgo: decl.cgo,
            libs: decl.libs.iter().map(|l| l.get_ref().clone()).collect(),
            strip: decl.strip,
        });
    }

    let mut vendor = Vec::new();
    for (name, decl) in &raw.vendor {
        let decl = decl.get_ref();
        let path = root.join(decl.path.get_ref());
        if !path.is_dir() {
            return Err(at.error(
                decl.path.span(),
                format!("`{}` is not a folder", decl.path.get_ref().display()),
                "`path` is relative to the folder of muslbuild.toml",
            ));
        }
        check_buildable(name, &path, &decl.build, &at)?;
        for lib in &decl.libs {
            known_lib(lib)?;
        }
        if decl.programs.is_empty() {
            return Err(at.error(
                name.span(),
                format!("vendored project `{}` lists no programs", name.get_ref()),
                "add `programs = [\"NAME\"]`: the installed executables that become artifacts",
            ));
        }
        if lib_names.contains(name.get_ref()) || recipe_names().contains(name.get_ref()) {
            return Err(at.error(
                name.span(),
                format!(
                    "`{}` is both a vendored project and a library",
                    name.get_ref()
                ),
                "give the [vendor.NAME] table another name",
            ));
        }
        check_prefix(decl.prefix.as_ref(), &at)?;
        check_bootstrap(&decl.bootstrap, name, &at)?;
        vendor.push(VendorProject {
            name: name.get_ref().clone(),
            path,
            build: decl.build.as_ref().map(|b| b.get_ref().clone()),
            libs: decl.libs.iter().map(|l| l.get_ref().clone()).collect(),
            configure_args: decl.configure.args.clone(),
            make: decl.make.clone(),
            programs: decl.programs.iter().map(|p| p.get_ref().clone()).collect(),
            cflags: decl.cflags.clone(),
            ldflags: decl.ldflags.clone(),
            env: decl.env.clone(),
            strip: decl.strip,
            prefix: decl.prefix.as_ref().map(|p| p.get_ref().clone()),
            bootstrap: decl.bootstrap.clone(),
            host_tools: decl.host_tools.clone(),
            in_tree: decl.in_tree,
        });
    }

    if let Some(spec) = &raw.image {
        for (i, item) in spec.artifacts.iter().enumerate() {
            let name = item.split_once('=').map_or(item.as_str(), |(n, _)| n);
            if artifacts.contains_key(name) {
                continue;
            }
            let span = image_positions.get(i).map(|s| s.span()).unwrap_or(0..0);
            let hint = suggest(name, artifacts.keys().map(String::as_str))
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            let declared: Vec<&str> = artifacts.keys().map(String::as_str).collect();
            return Err(at.error(
                span,
                format!("the image ships artifact `{name}`, which this file does not build"),
                format!(
                    "{hint}the artifacts are: {}",
                    if declared.is_empty() {
                        "none".to_string()
                    } else {
                        declared.join(", ")
                    }
                ),
            ));
        }
        for (i, file) in spec.vendor_files.iter().enumerate() {
            if raw.vendor.keys().any(|k| k.get_ref() == &file.vendor) {
                continue;
            }
            let span = image_span(
                text,
                &[
                    Key::Field("vendor-files"),
                    Key::Index(i),
                    Key::Field("vendor"),
                ],
            );
            let vendored: Vec<&str> = raw.vendor.keys().map(|k| k.get_ref().as_str()).collect();
            return Err(at.error(
                span,
                format!("the image takes files from vendored project `{}`, which this file does not have", file.vendor),
                format!(
                    "`vendor` names a [vendor.NAME] table; this file has: {}",
                    if vendored.is_empty() { "none".to_string() } else { vendored.join(", ") }
                ),
            ));
        }
        // The image module's own checks, on the file's values with the project's
        // artifacts as the default: a failure points at the key it is about.
        let defaults: Vec<String> = artifacts.keys().cloned().collect();
        crate::image::spec::check(spec, &defaults, &root).map_err(|problem| {
            at.error(
                image_span(text, &problem.at),
                problem.error.to_string(),
                problem.error.help(),
            )
        })?;
    }

    Ok(Project {
        out_dir: root.join(raw.project.out_dir.unwrap_or_else(|| PathBuf::from("dist"))),
        source_dirs: raw
            .project
            .source_dirs
            .iter()
            .map(|d| root.join(d))
            .collect(),
        root,
        file: file.to_path_buf(),
        targets,
        toolchain,
        c,
        go,
        vendor,
        libs,
        image: raw.image,
    })
}

/// A runtime prefix is where programs will run: an absolute path.
fn check_prefix(prefix: Option<&Spanned<String>>, at: &Positions<'_>) -> Result<()> {
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
fn check_bootstrap(bootstrap: &[String], name: &Spanned<String>, at: &Positions<'_>) -> Result<()> {
    match bootstrap.first() {
        Some(program) if program.is_empty() || program.contains(' ') => Err(at.error(
            name.span(),
            format!("`bootstrap` of `{}` starts with `{program}`, which is not a program name", name.get_ref()),
            "give the command as a list, one word per element: bootstrap = [\"autoreconf\", \"-fi\"] (it never goes through a shell)",
        )),
        _ => Ok(()),
    }
}

fn check_build_system(build: &Spanned<String>, at: &Positions<'_>) -> Result<()> {
    const SYSTEMS: &[&str] = &["autotools", "configure", "make", "cmake"];
    if SYSTEMS.contains(&build.get_ref().as_str()) {
        return Ok(());
    }
    let hint = suggest(build.get_ref(), SYSTEMS.iter().copied())
        .map(|s| format!("did you mean `{s}`? "))
        .unwrap_or_default();
    Err(at.error(
        build.span(),
        format!("unknown build system `{}`", build.get_ref()),
        format!("{hint}use autotools, configure, make or cmake, or leave `build` out to guess it from the folder"),
    ))
}

fn check_name(name: &str, what: &str) -> std::result::Result<(), String> {
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
fn check_cycles(
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

/// The closest known word, when it is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(word, k), k))
        .filter(|(score, _)| *score >= 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// The span of a value in `[image]` (`ports`, 2 -> the third port), or of the nearest
/// enclosing one found; the `[image]` table when none is.
fn image_span(text: &str, keys: &[Key]) -> Range<usize> {
    use toml::de::{DeTable, DeValue};
    let Ok(root) = DeTable::parse(text) else {
        return 0..0;
    };
    let Some(image) = root.get_ref().iter().find(|(k, _)| k.get_ref() == "image") else {
        return 0..0;
    };
    let mut span = image.0.span();
    let mut value = image.1;
    for key in keys {
        let next = match (key, value.get_ref()) {
            (Key::Field(name), DeValue::Table(table)) => table
                .iter()
                .find(|(k, _)| k.get_ref() == *name)
                .map(|(_, v)| v),
            (Key::Index(i), DeValue::Array(items)) => items.get(*i),
            _ => None,
        };
        match next {
            Some(next) => {
                span = next.span();
                value = next;
            }
            None => break,
        }
    }
    span
}

struct Positions<'a> {
    text: &'a str,
    file: &'a Path,
}

impl Positions<'_> {
    fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rfind('\n')
            .map_or(before.chars().count(), |i| before[i + 1..].chars().count())
            + 1;
        (line, column)
    }

    fn error(
        &self,
        span: Range<usize>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Error {
        let (line, column) = if span == (0..0) && self.text.is_empty() {
            (0, 0)
        } else {
            self.line_column(span.start)
        };
        Error::Config {
            file: self.file.to_path_buf(),
            line,
            column,
            message: message.into(),
            help: help.into(),
        }
    }

    /// toml's own errors, with a did-you-mean for unknown keys.
    fn toml_error(&self, e: &toml::de::Error) -> Error {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim().to_string();
        if let Some(rest) = message.strip_prefix("unknown field `")
            && let Some((key, expected)) = rest.split_once('`')
        {
            let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
            let hint = match suggest(key, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? "),
                None => String::new(),
            };
            return self.error(
                span,
                format!("unknown key `{key}`"),
                format!(
                    "{hint}the keys allowed here are: {} (docs/project.md)",
                    known.join(", ")
                ),
            );
        }
        self.error(
            span,
            message,
            "fix the TOML at that position (docs/project.md describes the file)",
        )
    }
}

/// What `muslbuild init` writes: every section, commented, building `hello`.
pub const STARTER: &str = r#"# muslbuild.toml: what `muslbuild build` builds. Paths are relative to this file.
# docs/project.md describes every key.

[project]
# Targets: x86_64, aarch64, armv7, or "all".
targets = ["x86_64", "aarch64", "armv7"]
# Artifacts go to <out-dir>/<target>/<name>.
out-dir = "dist"
# auto, musl-cross, zig, musl-gcc, or a path to a compiler.
toolchain = "auto"

# A C program: `[c.NAME]` builds dist/<target>/NAME.
[c.hello]
sources = ["hello.c"]
# include = ["include"]
# defines = ["NDEBUG"]
# cflags = ["-Wall"]
# ldflags = []
# libs = ["readline"]          # recipes (ncurses, readline, zlib) or [lib.NAME] below
# link = ["m"]                 # plain -l libraries the toolchain has

# A Go program: `[go.NAME]`.
# [go.server]
# package = "./cmd/server"
# tags = []
# ldflags = ["-X main.version=1.0"]
# cgo = false

# A vendored C library, built per target with its own build system.
# [lib.greet]
# path = "vendor/greet"
# build = "make"               # autotools, configure, make or cmake; guessed when left out
# deps = ["zlib"]
# exports = { libs = ["greet"] }

# A vendored project whose installed executables become artifacts: configured for
# --prefix=/usr --sysconfdir=/etc, installed with DESTDIR, stripped.
# [vendor.tool]
# path = "vendor/tool"
# build = "autotools"
# libs = ["readline"]
# configure = { args = ["--disable-docs"] }
# programs = ["toold", "toolctl"]
# bootstrap = ["autoreconf", "-fi"]    # a checkout without ./configure
# host-tools = ["flex", "bison"]       # checked before anything is built

# A FROM-scratch multi-arch OCI image of the artifacts (docs/images.md).
# [image]
# tag = "hello:1.0"
# artifacts = ["hello"]
# oci-archive = "dist/hello.tar"
# files = [{ source = "hello.conf", path = "/etc/hello.conf", mode = "0644" }]
# vendor-files = [{ vendor = "tool", source = "/etc/tool.conf" }]
# dirs = [{ path = "/run" }, { path = "/var/lib/tool", mode = "0700", uid = 65532, gid = 65532 }]
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn project(files: &[(&str, &str)], toml: &str) -> (tempfile::TempDir, Result<Project>) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let file = dir.path().join(FILE_NAME);
        let result = parse(toml, &file);
        (dir, result)
    }

    fn config_error(result: Result<Project>) -> (usize, usize, String, String) {
        match result {
            Err(Error::Config {
                line,
                column,
                message,
                help,
                ..
            }) => (line, column, message, help),
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn sources_take_globs_and_excludes_and_targets_a_string() {
        let files = [
            ("src/a.c", ""),
            ("src/b.c", ""),
            ("src/luac.c", ""),
            ("src/x.h", ""),
        ];
        let (dir, result) = project(
            &files,
            "[project]\ntargets = \"all\"\n[c.x]\nsources = [\"src/*.c\"]\nexclude = [\"src/luac.c\"]\n",
        );
        let p = result.unwrap();
        assert_eq!(p.targets.len(), 3);
        assert_eq!(
            p.c[0].program.sources,
            [dir.path().join("src/a.c"), dir.path().join("src/b.c")]
        );
        let (_dir, result) = project(&files, "[c.x]\nsources = [\"lib/*.c\"]\n");
        let (line, column, message, _) = config_error(result);
        assert_eq!((line, column), (2, 12));
        assert!(message.contains("matches no file"), "{message}");
    }

    #[test]
    fn vendor_prefix_must_be_absolute_and_bootstrap_a_program() {
        let files = [("t/Makefile", "all:\n")];
        let (_d, result) = project(
            &files,
            "[vendor.t]\npath = \"t\"\nprograms = [\"t\"]\nprefix = \"opt/t\"\n",
        );
        let (line, _, message, _) = config_error(result);
        assert_eq!(line, 4);
        assert!(message.contains("not an absolute path"), "{message}");
        let (_d, result) = project(
            &files,
            "[vendor.t]\npath = \"t\"\nprograms = [\"t\"]\nbootstrap = [\"autoreconf -fi\"]\n",
        );
        let (_, _, message, help) = config_error(result);
        assert!(message.contains("not a program name"), "{message}");
        assert!(help.contains("never goes through a shell"), "{help}");
        let (_d, result) = project(
            &files,
            "[vendor.t]\npath = \"t\"\nprograms = [\"t\"]\nprefix = \"/opt/t\"\nstrip = false\ncflags = [\"-DX\"]\nhost-tools = [\"flex\"]\nenv = { A = \"b\" }\n",
        );
        let v = &result.unwrap().vendor[0];
        assert_eq!(v.prefix.as_deref(), Some("/opt/t"));
        assert!(!v.strip);
        assert_eq!(v.host_tools, ["flex"]);
    }

    #[test]
    fn the_starter_file_parses() {
        let (_dir, result) = project(&[("hello.c", "int main(){return 0;}")], STARTER);
        let p = result.unwrap();
        assert_eq!(p.targets.len(), 3);
        assert_eq!(p.artifact_names(), ["hello"]);
        assert!(p.out_dir.ends_with("dist"));
    }

    #[test]
    fn unknown_key_has_position_and_suggestion() {
        let (_d, r) = project(&[], "[c.hello]\nsrcs = [\"a.c\"]\n");
        let (line, column, message, help) = config_error(r);
        assert_eq!((line, column), (2, 1));
        assert_eq!(message, "unknown key `srcs`");
        assert!(help.starts_with("did you mean `sources`?"), "{help}");
    }

    #[test]
    fn syntax_error_has_position() {
        let (_d, r) = project(&[], "[project]\ntargets = [\"x86_64\"\n");
        let (line, _, _, _) = config_error(r);
        assert!(line >= 2);
    }

    #[test]
    fn artifact_named_twice() {
        let (_d, r) = project(
            &[("a.c", ""), ("cmd/a/main.go", "package main")],
            "[c.a]\nsources = [\"a.c\"]\n[go.a]\npackage = \"cmd/a\"\n",
        );
        let (line, column, message, help) = config_error(r);
        assert_eq!((line, column), (3, 5));
        assert_eq!(message, "artifact `a` is named twice");
        assert!(help.contains("line 1, column 4"), "{help}");
    }

    #[test]
    fn library_cycle() {
        let (_d, r) = project(
            &[("x/Makefile", ""), ("y/Makefile", "")],
            "[lib.x]\npath = \"x\"\ndeps = [\"y\"]\n\n[lib.y]\npath = \"y\"\ndeps = [\"x\"]\n",
        );
        let (line, column, message, _) = config_error(r);
        assert_eq!((line, column), (1, 6));
        assert_eq!(message, "library dependency cycle: x -> y -> x");
    }

    #[test]
    fn image_names_a_missing_artifact() {
        let (_d, r) = project(
            &[("hello.c", "")],
            "[c.hello]\nsources = [\"hello.c\"]\n[image]\nartifacts = [\"hello\", \"helo=/bin/x\"]\n",
        );
        let (line, column, message, help) = config_error(r);
        assert_eq!((line, column), (4, 23));
        assert!(message.contains("`helo`"), "{message}");
        assert!(help.starts_with("did you mean `hello`?"), "{help}");
    }

    #[test]
    fn unknown_library_and_missing_source() {
        let (_d, r) = project(
            &[("a.c", "")],
            "[c.a]\nsources = [\"a.c\"]\nlibs = [\"readlin\"]\n",
        );
        let (line, column, message, help) = config_error(r);
        assert_eq!(
            (line, column, message.as_str()),
            (3, 9, "unknown library `readlin`")
        );
        assert!(help.starts_with("did you mean `readline`?"), "{help}");
        let (_d, r) = project(&[], "[c.a]\nsources = [\"nope.c\"]\n");
        let (line, column, _, _) = config_error(r);
        assert_eq!((line, column), (2, 12));
    }

    #[test]
    fn go_libraries_need_cgo() {
        let (_d, r) = project(
            &[("cmd/x/main.go", "package main")],
            "[go.x]\npackage = \"cmd/x\"\nlibs = [\"zlib\"]\n",
        );
        let (line, column, message, _) = config_error(r);
        assert_eq!((line, column), (3, 9));
        assert!(message.contains("without cgo"), "{message}");
    }

    #[test]
    fn bad_target_has_position() {
        let (_d, r) = project(&[], "[project]\ntargets = [\"x86_64\", \"mips\"]\n");
        let (line, column, _, _) = config_error(r);
        assert_eq!((line, column), (2, 22));
    }

    #[test]
    fn every_image_check_runs_at_load_with_its_position() {
        let c = "[c.hello]\nsources = [\"hello.c\"]\n[c.tool]\nsources = [\"hello.c\"]\n[vendor.v]\npath = \"v\"\nprograms = [\"vd\"]\n";
        let files = [("hello.c", ""), ("v/Makefile", ""), ("conf/app.conf", "x")];
        for (image, line, column, needle) in [
            ("ports = [\"80\", \"http\"]", 9, 16, "not a port"),
            (
                "artifacts = [\"hello=/bin/x\", \"tool=/bin/x\"]",
                9,
                30,
                "twice",
            ),
            (
                "bin-dir = \"/etc\"\npasswd = true\nartifacts = [\"hello\", \"tool\", \"vd=/etc/passwd\"]",
                10,
                10,
                "twice",
            ),
            ("tag = \"bad tag\"", 9, 7, "not a valid image tag"),
            (
                "files = [{ source = \"conf/nope.conf\", path = \"/etc/app.conf\" }]",
                9,
                21,
                "does not exist",
            ),
            (
                "dirs = [{ path = \"/var/../etc\" }]",
                9,
                18,
                "not a valid path",
            ),
            (
                "vendor-files = [{ vendor = \"w\", source = \"/etc/w.conf\" }]",
                9,
                28,
                "vendored project `w`",
            ),
            (
                "[[image.dirs]]\npath = \"/run\"\n[[image.dirs]]\npath = \"/run\"",
                12,
                8,
                "twice",
            ),
            (
                "files = [{ source = \"conf/app.conf\", path = \"/etc/app.conf\", mode = \"0999\" }]",
                9,
                69,
                "octal mode",
            ),
        ] {
            let (_d, r) = project(&files, &format!("{c}[image]\n{image}\n"));
            let (l, col, message, help) = config_error(r);
            assert!(message.contains(needle), "{image}: {message}");
            assert_eq!((l, col), (line, column), "{image}: {message}");
            assert!(!help.is_empty());
        }
        let (_d, r) = project(
            &files,
            &format!(
                "{c}[image]\nfiles = [{{ source = \"conf/app.conf\", path = \"/etc/app.conf\", mode = 0o640 }}]\ndirs = [{{ path = \"/run\" }}]\n"
            ),
        );
        let spec = r.unwrap().image.unwrap();
        assert_eq!(spec.files[0].mode, Some(crate::image::Mode(0o640)));
    }

    #[test]
    fn unknown_image_key_is_caught_too() {
        let (_d, r) = project(&[], "[image]\ntagg = \"x\"\n");
        let (_, _, message, help) = config_error(r);
        assert_eq!(message, "unknown key `tagg`");
        assert!(help.starts_with("did you mean `tag`?"), "{help}");
    }
}
