//! `muslbuild.toml`: the project file. Parsing turns it into a `Project` whose paths are
//! absolute, targets parsed and names checked; every problem (syntax, an unknown key, a
//! missing source, a library cycle, an artifact named twice, an image naming an artifact
//! nobody builds) is an `Error::Config` with the file, line and column, raised before any
//! build starts. `docs/project.md` is the user's page.

mod checks;
mod decl;
mod positions;
mod recipe;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;

use checks::{
    check_bootstrap, check_buildable, check_cycles, check_name, check_prefix, recipe_names,
};
use decl::{ImagePositions, OneOrMany, RawC, RawFile};
pub(crate) use positions::suggest;
use positions::{Positions, image_span};

use crate::cache::remote::RemoteConfig;
use crate::error::{Error, Result};
use crate::image::ImageSpec;
use crate::image::spec::Key;
use crate::libs::recipe::Recipe;
use crate::pipeline::c::CProgram;
use crate::target::Target;

pub(crate) const FILE_NAME: &str = "muslbuild.toml";

#[derive(Clone, Debug)]
pub(crate) struct Project {
    /// The folder holding `muslbuild.toml`; relative paths in the file start here.
    pub(crate) root: PathBuf,
    pub(crate) file: PathBuf,
    pub(crate) targets: Vec<Target>,
    pub(crate) out_dir: PathBuf,
    /// Write an SBOM beside each artifact (`sbom`, true unless set false).
    pub(crate) sbom: bool,
    /// `toolchain`, a compiler path joined to the project's folder.
    pub(crate) toolchain: crate::toolchain::Choice,
    /// `kernel-headers`: a pinned version of the Linux UAPI headers (checked), or `None`
    /// for each toolchain's own.
    pub(crate) kernel_headers: Option<String>,
    pub(crate) source_dirs: Vec<PathBuf>,
    pub(crate) c: Vec<CArtifact>,
    pub(crate) go: Vec<GoArtifact>,
    pub(crate) vendor: Vec<VendorProject>,
    /// `[lib.NAME]` tables, as the recipes `libs` builds.
    pub(crate) libs: Vec<Recipe>,
    pub(crate) image: Option<ImageSpec>,
    /// `[cache] remote` (and `read-only`), checked.
    pub(crate) remote_cache: Option<RemoteConfig>,
    /// What is worth saying but builds anyway (`file:line:column: …`), for the caller.
    pub(crate) warnings: Vec<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct CArtifact {
    pub(crate) program: CProgram,
    pub(crate) libs: Vec<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct GoArtifact {
    pub(crate) name: String,
    /// The package folder, absolute.
    pub(crate) package: PathBuf,
    pub(crate) tags: Vec<String>,
    pub(crate) ldflags: Vec<String>,
    pub(crate) cgo: bool,
    pub(crate) libs: Vec<String>,
    pub(crate) strip: bool,
}

/// A vendored project folder built with its own build system; its installed `programs`
/// are artifacts.
#[derive(Clone, Debug)]
pub(crate) struct VendorProject {
    pub(crate) name: String,
    /// Installed executables (in the prefix's `bin/` or `sbin/`) that become artifacts.
    pub(crate) programs: Vec<String>,
    /// How `libs` builds it, made once from the declaration (`recipe::vendor_recipe`).
    pub(crate) recipe: Recipe,
}

impl Project {
    /// Every artifact name, in the order builds report them.
    pub(crate) fn artifact_names(&self) -> Vec<String> {
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
pub(crate) fn find(dir: &Path) -> Option<PathBuf> {
    let path = dir.join(FILE_NAME);
    path.is_file().then_some(path)
}

/// Reads and checks a project file.
pub(crate) fn load(file: &Path) -> Result<Project> {
    let text = std::fs::read_to_string(file).map_err(Error::io("cannot read", file))?;
    parse(&text, file)
}

/// Checks `text` as the contents of `file` (whose folder is the project root).
pub(crate) fn parse(text: &str, file: &Path) -> Result<Project> {
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

    let targets = parse_targets(&raw.project.targets, text, &at)?;
    let emulate = raw.project.emulate.unwrap_or_default();
    let mut warnings = Vec::new();
    let toolchain = match &raw.project.toolchain {
        // A compiler path in the file is relative to the file's folder.
        Some(value) => match value.get_ref().parse::<crate::toolchain::Choice>() {
            Ok(crate::toolchain::Choice::Path(path)) => {
                crate::toolchain::Choice::Path(root.join(path))
            }
            Ok(choice) => choice,
            Err(e) => return Err(at.error(value.span(), e.to_string(), e.help())),
        },
        None => crate::toolchain::Choice::Auto,
    };
    let kernel_headers = match &raw.project.kernel_headers {
        Some(value) => {
            crate::libs::kheaders::check_version(value.get_ref())
                .map_err(|(message, help)| at.error(value.span(), message, help))?;
            Some(value.get_ref().clone()).filter(|v| v != crate::libs::kheaders::TOOLCHAIN_OWN)
        }
        None => None,
    };

    // Names: one namespace for every artifact, another for libraries.
    let mut artifacts: BTreeMap<String, Range<usize>> = BTreeMap::new();
    let mut claim = |name: &str, span: Range<usize>| -> Result<()> {
        crate::dist_folder::check_name(name).map_err(|reason| {
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
    // Every library a table links, for the one clash a vendored project's name can have.
    let linked = std::cell::RefCell::new(BTreeSet::new());
    let known_lib = |name: &Spanned<String>| -> Result<()> {
        linked.borrow_mut().insert(name.get_ref().clone());
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
        let decl = decl.get_ref();
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
        let per_target = per_target(&decl.target, ("lib", name), &targets, &at, &mut warnings)?;
        check_target_bootstraps(&decl.bootstrap, &decl.target, name, &at)?;
        libs.push(recipe::lib_recipe(
            name.get_ref(),
            &dir,
            decl,
            per_target,
            emulate,
        ));
    }
    check_cycles(&raw.lib, &at)?;
    for (recipe, (name, _)) in libs.iter().zip(&raw.lib) {
        check_placeholders(recipe, name, &libs, &at)?;
    }

    let mut c = Vec::new();
    for (name, decl) in &raw.c {
        let decl = decl.get_ref();
        let sources = c_sources(name, decl, &root, &at)?;
        for lib in &decl.libs {
            known_lib(lib)?;
        }
        let prefix_maps = crate::pipeline::c::prefix_maps(&root, &sources);
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
        if lib_names.contains(name.get_ref()) {
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
        let per_target = per_target(&decl.target, ("vendor", name), &targets, &at, &mut warnings)?;
        check_target_bootstraps(&decl.bootstrap, &decl.target, name, &at)?;
        let recipe = recipe::vendor_recipe(name.get_ref(), &path, decl, per_target, emulate);
        check_placeholders(&recipe, name, &libs, &at)?;
        vendor.push(VendorProject {
            name: name.get_ref().clone(),
            programs: decl.programs.iter().map(|p| p.get_ref().clone()).collect(),
            recipe,
        });
    }
    // A project may vendor a program that shares its name with a built-in recipe (its
    // own bzip2), unless it also links that library: the name would then mean both.
    let linked_built_ins = checks::built_in_closure(&linked.borrow(), &lib_names);
    for name in raw.vendor.keys() {
        if linked_built_ins.contains(name.get_ref()) {
            return Err(at.error(
                name.span(),
                format!(
                    "`{}` is both a vendored project and the built-in library of that name, which this project links",
                    name.get_ref()
                ),
                "give the [vendor.NAME] table another name",
            ));
        }
    }

    if let Some(spec) = &raw.image {
        let vendored: Vec<&str> = raw.vendor.keys().map(|k| k.get_ref().as_str()).collect();
        check_image(spec, &artifacts, &vendored, &image_positions, &root, &at)?;
    }

    let remote_cache = match raw
        .cache
        .as_ref()
        .and_then(|c| c.remote.as_ref().map(|r| (c, r)))
    {
        Some((cache, url)) => {
            let config = RemoteConfig {
                url: url.get_ref().clone(),
                read_only: cache.read_only,
            };
            config.reference().map_err(|e| {
                at.error(
                    url.span(),
                    e.to_string(),
                    "write remote = \"oci://HOST[:PORT]/REPOSITORY\"",
                )
            })?;
            Some(config)
        }
        None => None,
    };

    Ok(Project {
        remote_cache,
        out_dir: root.join(raw.project.out_dir.unwrap_or_else(|| PathBuf::from("dist"))),
        sbom: raw.project.sbom.unwrap_or(true),
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
        kernel_headers,
        c,
        go,
        vendor,
        libs,
        image: raw.image,
        warnings,
    })
}

/// A table's `[target.NAME]` tables, each name parsed as `--target` parses it; two
/// names of one target are an error, and a table for a target `[project] targets` does
/// not list a warning (its settings wait for `--target`).
fn per_target(
    tables: &decl::PerTarget,
    (kind, owner): (&str, &Spanned<String>),
    project_targets: &[Target],
    at: &Positions<'_>,
    warnings: &mut Vec<String>,
) -> Result<recipe::Targets> {
    let mut parsed: recipe::Targets = BTreeMap::new();
    let mut named: BTreeMap<Target, &Spanned<String>> = BTreeMap::new();
    // In the file's order, so that "the first" is the one written first.
    let mut in_order: Vec<_> = tables.iter().collect();
    in_order.sort_by_key(|(name, _)| name.span().start);
    for (name, settings) in in_order {
        let target: Target =
            name.get_ref()
                .parse()
                .map_err(|e: crate::target::TargetParseError| {
                    at.error(name.span(), e.to_string(), e.help())
                })?;
        if let Some(first) = named.insert(target, name) {
            let (line, column) = at.line_column(first.span().start);
            return Err(at.error(
                name.span(),
                format!(
                    "[{kind}.{}] has two tables for {target}: `{}` and `{}`",
                    owner.get_ref(),
                    first.get_ref(),
                    name.get_ref()
                ),
                format!("the first is at line {line}, column {column}; merge them into one"),
            ));
        }
        if !project_targets.is_empty() && !project_targets.contains(&target) {
            let (line, column) = at.line_column(name.span().start);
            warnings.push(format!(
                "{}:{line}:{column}: [{kind}.{}] has settings for {target}, which [project] targets does not list: they apply only when --target builds it",
                at.file.display(),
                owner.get_ref(),
            ));
        }
        parsed.insert(target, settings.clone());
    }
    Ok(parsed)
}

/// A target's `bootstrap` is the whole command where the table has none: its first
/// word is then a program name too.
fn check_target_bootstraps(
    common: &[String],
    tables: &decl::PerTarget,
    owner: &Spanned<String>,
    at: &Positions<'_>,
) -> Result<()> {
    if !common.is_empty() {
        return Ok(());
    }
    for (name, settings) in tables {
        check_bootstrap(&settings.bootstrap, owner, at).map_err(|_| {
            at.error(
                name.span(),
                format!(
                    "`bootstrap` of `{}` for {} starts with `{}`, which is not a program name",
                    owner.get_ref(),
                    name.get_ref(),
                    settings.bootstrap[0]
                ),
                "give the command as a list, one word per element: bootstrap = [\"./Configure\", \"linux-armv4\"] (it never goes through a shell)",
            )
        })?;
    }
    Ok(())
}

/// Every placeholder of a `[lib]` or `[vendor]` table (its per-target tables included)
/// is one muslbuild knows, and a `{prefix:NAME}` names a library of its closure. The
/// error points at the placeholder, found in the text from the table on.
fn check_placeholders(
    recipe: &Recipe,
    owner: &Spanned<String>,
    libs: &[Recipe],
    at: &Positions<'_>,
) -> Result<()> {
    let catalog = crate::libs::Catalog::new(libs.to_vec());
    let closure: Vec<String> = catalog
        .closure(&recipe.deps)
        .map(|c| c.iter().map(|r| r.name.clone()).collect())
        .unwrap_or_default();
    for (text, place) in recipe.placeholder_strings() {
        if let Err(problem) = crate::libs::placeholder::check(text, place, Some(&closure)) {
            let token = &text[problem.range.clone()];
            let from = owner.span().start;
            let span = at.text[from..]
                .find(token)
                .map_or(owner.span(), |i| from + i..from + i + token.len());
            return Err(at.error(span, problem.message, problem.help));
        }
    }
    Ok(())
}

/// `targets`, each target once, in the order first named.
fn parse_targets(declared: &OneOrMany, text: &str, at: &Positions<'_>) -> Result<Vec<Target>> {
    let mut targets = Vec::new();
    let target_items = declared.items(text).map_err(|span| {
        at.error(
            span,
            "`targets` is a list of target names or one string".to_string(),
            "write targets = [\"x86_64\", \"aarch64\"] or targets = \"all\"",
        )
    })?;
    for value in &target_items {
        let parsed = Target::parse_list(value.get_ref())
            .map_err(|e| at.error(value.span(), e.to_string(), e.help()))?;
        for t in parsed {
            if !targets.contains(&t) {
                targets.push(t);
            }
        }
    }
    Ok(targets)
}

/// A C program's `sources`: files and glob matches, minus `exclude`, each `.c` once.
fn c_sources(
    name: &Spanned<String>,
    decl: &RawC,
    root: &Path,
    at: &Positions<'_>,
) -> Result<Vec<PathBuf>> {
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
        let rel = path.strip_prefix(root).unwrap_or(path);
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
    Ok(sources)
}

/// `[image]` against the rest of the file: the artifacts it ships and the vendored
/// projects it takes files from exist; then the image's own checks, each pointing at the
/// key it is about.
fn check_image(
    spec: &ImageSpec,
    artifacts: &BTreeMap<String, Range<usize>>,
    vendored: &[&str],
    image_positions: &[Spanned<String>],
    root: &Path,
    at: &Positions<'_>,
) -> Result<()> {
    let text = at.text;
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
        if vendored.contains(&file.vendor.as_str()) {
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
        return Err(at.error(
            span,
            format!(
                "the image takes files from vendored project `{}`, which this file does not have",
                file.vendor
            ),
            format!(
                "`vendor` names a [vendor.NAME] table; this file has: {}",
                if vendored.is_empty() {
                    "none".to_string()
                } else {
                    vendored.join(", ")
                }
            ),
        ));
    }
    // The image module's own checks, on the file's values with the project's
    // artifacts as the default: a failure points at the key it is about.
    let defaults: Vec<String> = artifacts.keys().cloned().collect();
    crate::image::spec::check(spec, &defaults, root).map_err(|problem| {
        at.error(
            image_span(text, &problem.at),
            problem.error.to_string(),
            problem.error.help(),
        )
    })?;
    Ok(())
}

/// What `muslbuild init` writes: every section, commented, building `hello`.
pub(crate) const STARTER: &str = r#"# muslbuild.toml: what `muslbuild build` builds. Paths are relative to this file.
# docs/project.md describes every key.

[project]
# Targets: x86_64, aarch64, armv7, i386, armv5, armv6, riscv64, ppc64le, s390x,
# mips64el, loongarch64, or "all" (every one); `muslbuild targets` lists every alias.
targets = ["x86_64", "aarch64", "armv7"]
# Artifacts go to <out-dir>/<target>/<name>.
out-dir = "dist"
# auto, musl-cross, zig, musl-gcc, or a path to a compiler.
toolchain = "auto"
# Linux UAPI headers (linux/, asm/) of this version for every compile instead of each
# toolchain's own; `muslbuild lib list` shows the versions.
# kernel-headers = "6.1"
# Vendored builds that run what they build (a generator, a test suite) run the target's
# programs through qemu-user in a binfmt_misc private to each step: "auto", true, false.
# emulate = "auto"

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
# build = "make"               # autotools, configure, make, cmake or meson; guessed when left out
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
