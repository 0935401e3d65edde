//! Recipes: what a library is (name, version, sources, build system, arguments,
//! dependencies, exports), as data. The built-in ones live in `recipes/` and are embedded;
//! a project's vendored libraries use the same struct with a folder instead of archives.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::placeholder::{self, Place};
use crate::error::{Error, Result};
use crate::target::Target;

pub(super) const BUILT_IN: &[(&str, &str)] = &[
    ("bzip2.toml", include_str!("../../recipes/bzip2.toml")),
    ("expat.toml", include_str!("../../recipes/expat.toml")),
    ("libevent.toml", include_str!("../../recipes/libevent.toml")),
    ("ncurses.toml", include_str!("../../recipes/ncurses.toml")),
    ("openssl.toml", include_str!("../../recipes/openssl.toml")),
    ("pcre2.toml", include_str!("../../recipes/pcre2.toml")),
    ("readline.toml", include_str!("../../recipes/readline.toml")),
    ("sqlite.toml", include_str!("../../recipes/sqlite.toml")),
    ("xz.toml", include_str!("../../recipes/xz.toml")),
    ("zlib.toml", include_str!("../../recipes/zlib.toml")),
    ("zstd.toml", include_str!("../../recipes/zstd.toml")),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum BuildSystem {
    /// An autoconf `./configure`: `--host`, `--build`, `--prefix`, `DESTDIR` install.
    Autotools,
    /// A hand-written `./configure` that takes `--prefix` but not `--host` (zlib); the
    /// compiler comes from `CC`/`AR`/`RANLIB` in the environment.
    Configure,
    /// A plain Makefile: `make CC=… AR=… CFLAGS=…`, then `make install PREFIX=…`.
    Make,
    /// CMake with a toolchain given by `CMAKE_C_COMPILER` and friends.
    Cmake,
    /// meson with a generated cross file (`libs::meson`): `meson setup` out of tree,
    /// `meson compile`, `meson install --destdir`.
    Meson,
}

impl BuildSystem {
    pub(crate) fn name(self) -> &'static str {
        match self {
            BuildSystem::Autotools => "autotools",
            BuildSystem::Configure => "configure",
            BuildSystem::Make => "make",
            BuildSystem::Cmake => "cmake",
            BuildSystem::Meson => "meson",
        }
    }

    /// Guesses from the files a folder has: a release's `configure` first (it is what the
    /// tarball was made to build with), then meson (where a project has both, meson is
    /// the one it maintains), cmake, a Makefile.
    pub(crate) fn detect(dir: &Path) -> Option<BuildSystem> {
        if dir.join("configure").is_file() {
            Some(BuildSystem::Autotools)
        } else if dir.join("meson.build").is_file() {
            Some(BuildSystem::Meson)
        } else if dir.join("CMakeLists.txt").is_file() {
            Some(BuildSystem::Cmake)
        } else if dir.join("Makefile").is_file()
            || dir.join("makefile").is_file()
            || dir.join("GNUmakefile").is_file()
        {
            Some(BuildSystem::Make)
        } else {
            None
        }
    }
}

impl FromStr for BuildSystem {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<BuildSystem, String> {
        match s {
            "autotools" | "autoconf" => Ok(BuildSystem::Autotools),
            "configure" => Ok(BuildSystem::Configure),
            "make" => Ok(BuildSystem::Make),
            "cmake" => Ok(BuildSystem::Cmake),
            "meson" => Ok(BuildSystem::Meson),
            other => Err(format!(
                "unknown build system `{other}` (use autotools, configure, make, cmake or meson)"
            )),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourceSpec {
    /// The upstream file name; also the first thing looked for in source folders.
    pub(crate) file: String,
    pub(crate) urls: Vec<String>,
    pub(crate) sha256: String,
    /// Other archives accepted in place of this one when it is not at hand but they are
    /// (in the cache or a source folder): a distribution's repack, another release. Each
    /// has its own hash and the version it builds, which then names the library.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) alternatives: Vec<AlternativeSource>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AlternativeSource {
    pub(crate) file: String,
    pub(crate) sha256: String,
    pub(crate) version: String,
    #[serde(default)]
    pub(crate) urls: Vec<String>,
    /// Host programs this archive's tree needs beyond the recipe's (a distribution's
    /// full source tree that generates what the release archive ships generated).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) host_tools: Vec<String>,
    /// Edits of this archive's tree, after the recipe's own: its files are not the
    /// release archive's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) edits: Vec<Edit>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigureSpec {
    /// Arguments after the ones muslbuild passes (`--prefix`, `--host`, …): to
    /// `./configure`, to `cmake`, or to `meson setup` (`-Dtests=false`). Placeholders:
    /// `{prefix}`, `{build_cc}`, `{host_tool:NAME}` (the host program's full path).
    #[serde(default)]
    pub(crate) args: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MakeSpec {
    /// What `make` builds; empty means its default target.
    #[serde(default)]
    pub(crate) targets: Vec<String>,
    /// What installs it; empty means `install`.
    #[serde(default)]
    pub(crate) install_targets: Vec<String>,
    /// Extra `VAR=value` arguments for every make call.
    #[serde(default)]
    pub(crate) args: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Exports {
    /// Link names (`-l<name>`), in link order.
    #[serde(default)]
    pub(crate) libs: Vec<String>,
    #[serde(default)]
    pub(crate) pkg_config: Vec<String>,
    #[serde(default)]
    pub(crate) headers: Vec<String>,
    /// Installed executables (in `bin/` or `sbin/`): a vendored project whose programs
    /// are artifacts (`[vendor.NAME]` in muslbuild.toml). A recipe with programs and no
    /// `libs` exports no library.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) programs: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Recipe {
    pub(crate) name: String,
    #[serde(default = "unversioned")]
    pub(crate) version: String,
    #[serde(default)]
    pub(crate) description: String,
    /// An SPDX license expression, for the SBOM. Not serialised: the recipe's JSON is
    /// part of the cache key, and the license changes nothing in the build.
    #[serde(default, skip_serializing)]
    pub(crate) license: Option<String>,
    /// Who supplies the source, as SPDX writes it (`Organization: …`, `Person: …`); for
    /// the SBOM, and outside the key for the same reason.
    #[serde(default, skip_serializing)]
    pub(crate) supplier: Option<String>,
    pub(crate) build: BuildSystem,
    #[serde(default)]
    pub(crate) deps: Vec<String>,
    #[serde(default)]
    pub(crate) sources: Vec<SourceSpec>,
    /// The folder inside the unpacked archive that is built (`expat` in a repository
    /// snapshot whose top level holds more than the library).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) subdir: Option<String>,
    /// Exact text replacements in the unpacked sources before anything runs: a built-in
    /// default a build system has no option for (OpenSSL's CA bundle path). Each `from`
    /// must occur in its file exactly once, else the build stops naming the file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) edits: Vec<Edit>,
    /// A vendored library's folder (absolute once loaded) instead of `sources`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) path: Option<PathBuf>,
    /// Programs the build runs on the build machine, checked before anything starts.
    #[serde(default)]
    pub(crate) host_tools: Vec<String>,
    /// Whether the build runs generators compiled for the build machine.
    #[serde(default)]
    pub(crate) needs_build_cc: bool,
    #[serde(default)]
    pub(crate) configure: ConfigureSpec,
    #[serde(default)]
    pub(crate) make: MakeSpec,
    #[serde(default)]
    pub(crate) exports: Exports,
    /// Compatibility names created in the prefix after install: path -> link target.
    #[serde(default)]
    pub(crate) symlinks: BTreeMap<String, String>,
    /// Archives that also carry other archives' objects, after install: archive -> the
    /// archives whose members are appended to it (ncurses' `libncursesw.a` gets
    /// `libtinfow.a`'s, so a configure that links `-lncurses` alone finds `tgetent`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) merge: BTreeMap<String, Vec<String>>,
    /// Compiler flags after muslbuild's own (so they win).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) cflags: Vec<String>,
    /// Linker flags after muslbuild's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) ldflags: Vec<String>,
    /// Variables set for every step, after muslbuild's (so they win).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) env: BTreeMap<String, String>,
    /// Programs are linked with `-s` unless this is false.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub(crate) strip: bool,
    /// Where a project's programs will run from (`--prefix`, `/usr` by default); absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) prefix: Option<String>,
    /// A command run in a copy of the folder before configure (`["autoreconf", "-fi"]`),
    /// for a checkout that has no `./configure`. Never through a shell.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) bootstrap: Vec<String>,
    /// A project whose build system does not support building out of tree (an old
    /// Makefile.in without VPATH): built in a copy of its folder instead.
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) in_tree: bool,
    /// Whether the build's steps may run the target's programs through qemu-user
    /// (`emulate`). Left out of the key when "auto", so recipes from before the setting
    /// keep their prefixes.
    #[serde(default, skip_serializing_if = "Emulate::is_auto")]
    pub(crate) emulate: Emulate,
    /// What each target adds to the settings above (`[target.aarch64]`, any name
    /// `muslbuild targets` lists). A build is planned from `for_target`'s recipe, in
    /// which this is empty: one target's table is no part of another target's key.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "per_target"
    )]
    pub(crate) target: BTreeMap<Target, TargetSettings>,
}

/// One `[[edits]]` entry: in `file` (relative to the folder that is built), `from`
/// becomes `to`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Edit {
    pub(crate) file: String,
    pub(crate) from: String,
    pub(crate) to: String,
    /// Why, for whoever reads the recipe; not part of the key.
    #[serde(default, skip_serializing)]
    pub(crate) why: String,
}

/// `emulate = "auto" | true | false`: whether a build's steps run the target's programs
/// (a Makefile's generator, a configure script's test program) through qemu-user in a
/// binfmt_misc private to the step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Emulate {
    /// Where this machine can; where it cannot, a step that runs a target program fails
    /// naming it and what is missing.
    #[default]
    Auto,
    /// Always: a machine that cannot is an error before anything is built.
    On,
    /// Never: steps run as they would without muslbuild's help.
    Off,
}

impl Emulate {
    fn is_auto(&self) -> bool {
        *self == Emulate::Auto
    }
}

impl Serialize for Emulate {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Emulate::Auto => serializer.serialize_str("auto"),
            Emulate::On => serializer.serialize_bool(true),
            Emulate::Off => serializer.serialize_bool(false),
        }
    }
}

impl<'de> Deserialize<'de> for Emulate {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Emulate, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Emulate;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("true, false or \"auto\"")
            }
            fn visit_bool<E: serde::de::Error>(self, on: bool) -> std::result::Result<Emulate, E> {
                Ok(if on { Emulate::On } else { Emulate::Off })
            }
            fn visit_str<E: serde::de::Error>(
                self,
                value: &str,
            ) -> std::result::Result<Emulate, E> {
                match value {
                    "auto" => Ok(Emulate::Auto),
                    other => Err(E::invalid_value(serde::de::Unexpected::Str(other), &self)),
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// What a `[target.NAME]` table adds for one target: its lists come after the common
/// ones (`configure.args`, `make.args`, `cflags`, `ldflags`, and `bootstrap`'s words,
/// which make the whole command when the common one is empty); its `env` entries win
/// over the common ones.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TargetSettings {
    #[serde(default)]
    pub(crate) configure: ArgsOnly,
    #[serde(default)]
    pub(crate) make: ArgsOnly,
    #[serde(default)]
    pub(crate) cflags: Vec<String>,
    #[serde(default)]
    pub(crate) ldflags: Vec<String>,
    #[serde(default)]
    pub(crate) env: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) bootstrap: Vec<String>,
}

/// `configure` and `make` in a target's table: only their arguments differ per target.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ArgsOnly {
    #[serde(default)]
    pub(crate) args: Vec<String>,
}

/// `[target.NAME]` tables keyed by any spelling of a target; two spellings of one target
/// are refused (the second would silently replace the first).
fn per_target<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<BTreeMap<Target, TargetSettings>, D::Error> {
    use serde::de::Error as _;
    let written: BTreeMap<String, TargetSettings> = BTreeMap::deserialize(deserializer)?;
    let mut tables = BTreeMap::new();
    let mut spelled: BTreeMap<Target, String> = BTreeMap::new();
    for (name, settings) in written {
        let target: Target = name.parse().map_err(|e: crate::target::TargetParseError| {
            D::Error::custom(format!("[target.{name}]: {e}; {}", e.help()))
        })?;
        if let Some(first) = spelled.insert(target, name.clone()) {
            return Err(D::Error::custom(format!(
                "[target.{first}] and [target.{name}] both name {target}"
            )));
        }
        tables.insert(target, settings);
    }
    Ok(tables)
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

pub(super) fn unversioned() -> String {
    "vendored".to_string()
}

impl Recipe {
    pub(crate) fn parse(text: &str, origin: &str) -> Result<Recipe> {
        let recipe: Recipe = toml::from_str(text).map_err(|e| Error::LibrarySpec {
            origin: origin.to_string(),
            reason: e.message().to_string(),
            help: "see docs/libraries.md for the recipe format".into(),
        })?;
        recipe.validate(origin)?;
        Ok(recipe)
    }

    pub(super) fn validate(&self, origin: &str) -> Result<()> {
        let bad = |reason: String| Error::LibrarySpec {
            origin: origin.to_string(),
            reason,
            help: "see docs/libraries.md for the recipe format".into(),
        };
        if !valid_name(&self.name) {
            return Err(bad(format!(
                "`{}` is not a library name (letters, digits, `-`, `_`, `+`, `.`)",
                self.name
            )));
        }
        for program in &self.exports.programs {
            crate::dist_folder::check_name(program)
                .map_err(|reason| bad(format!("program name {program:?} {reason}")))?;
        }
        if self.sources.is_empty() == self.path.is_none() {
            return Err(bad(
                "a library needs either `sources` (archives) or `path` (a folder), not both".into(),
            ));
        }
        let archives = self.sources.iter().flat_map(|s| {
            std::iter::once((&s.file, &s.sha256))
                .chain(s.alternatives.iter().map(|a| (&a.file, &a.sha256)))
        });
        for (file, sha256) in archives {
            if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(format!("`{file}` has no valid sha256")));
            }
            if file.contains('/') {
                return Err(bad(format!(
                    "source file name `{file}` must not contain `/`"
                )));
            }
        }
        if let Some(prefix) = &self.prefix
            && !prefix.starts_with('/')
        {
            return Err(bad(format!(
                "`prefix = \"{prefix}\"` is not an absolute path"
            )));
        }
        for path in self
            .merge
            .iter()
            .flat_map(|(a, from)| std::iter::once(a).chain(from))
        {
            if Path::new(path).is_absolute() || path.split('/').any(|c| c == "..") {
                return Err(bad(format!(
                    "merged archive `{path}` must stay inside the prefix"
                )));
            }
        }
        for link in self.symlinks.keys() {
            if Path::new(link).is_absolute() || link.split('/').any(|c| c == "..") {
                return Err(bad(format!("symlink `{link}` must stay inside the prefix")));
            }
        }
        let inside = |path: &str| {
            !path.is_empty()
                && !Path::new(path).is_absolute()
                && !path.split('/').any(|c| c == "..")
        };
        if let Some(subdir) = &self.subdir
            && !inside(subdir)
        {
            return Err(bad(format!(
                "`subdir = \"{subdir}\"` must be a folder inside the archive"
            )));
        }
        if (self.subdir.is_some() || !self.edits.is_empty()) && self.sources.is_empty() {
            return Err(bad(
                "`subdir` and `edits` apply to unpacked archives; a folder is built as it is"
                    .into(),
            ));
        }
        let alternative_edits = self
            .sources
            .iter()
            .flat_map(|s| &s.alternatives)
            .flat_map(|a| &a.edits);
        for edit in self.edits.iter().chain(alternative_edits) {
            if !inside(&edit.file) {
                return Err(bad(format!(
                    "edited file `{}` must be inside the sources",
                    edit.file
                )));
            }
            if edit.from.is_empty() {
                return Err(bad(format!(
                    "an edit of `{}` has an empty `from`",
                    edit.file
                )));
            }
        }
        // `{prefix:NAME}` may name any library of the closure, which only the catalog
        // knows; the project file, which knows every library, checks it.
        for (text, place) in self.placeholder_strings() {
            placeholder::check(text, place, None).map_err(|problem| Error::LibrarySpec {
                origin: origin.to_string(),
                reason: format!("in `{text}`: {}", problem.message),
                help: problem.help,
            })?;
        }
        Ok(())
    }

    /// Every string that may hold placeholders, common and per target, with where it
    /// is used.
    pub(crate) fn placeholder_strings(&self) -> Vec<(&str, Place)> {
        let mut strings: Vec<(&str, Place)> = Vec::new();
        let settings = std::iter::once((
            &self.configure.args,
            &self.make.args,
            &self.bootstrap,
            &self.cflags,
            &self.ldflags,
            &self.env,
        ))
        .chain(self.target.values().map(|t| {
            (
                &t.configure.args,
                &t.make.args,
                &t.bootstrap,
                &t.cflags,
                &t.ldflags,
                &t.env,
            )
        }));
        for (configure, make, bootstrap, cflags, ldflags, env) in settings {
            for arg in configure.iter().chain(make).chain(bootstrap) {
                strings.push((arg, Place::Arguments));
            }
            for flag in cflags.iter().chain(ldflags).chain(env.values()) {
                strings.push((flag, Place::Flags));
            }
        }
        strings
    }

    /// The recipe one target builds: its `[target.NAME]` table added to the common
    /// settings, and no table left.
    pub(crate) fn for_target(&self, target: Target) -> Recipe {
        let mut resolved = self.clone();
        let tables = std::mem::take(&mut resolved.target);
        if let Some(add) = tables.get(&target) {
            resolved
                .configure
                .args
                .extend(add.configure.args.iter().cloned());
            resolved.make.args.extend(add.make.args.iter().cloned());
            resolved.cflags.extend(add.cflags.iter().cloned());
            resolved.ldflags.extend(add.ldflags.iter().cloned());
            resolved
                .env
                .extend(add.env.iter().map(|(k, v)| (k.clone(), v.clone())));
            resolved.bootstrap.extend(add.bootstrap.iter().cloned());
        }
        resolved
    }

    /// What a consumer links, `-l` names: the exports, or the library's own name.
    pub(crate) fn link_names(&self) -> Vec<String> {
        if self.exports.libs.is_empty() && !self.exports.programs.is_empty() {
            Vec::new()
        } else if self.exports.libs.is_empty() {
            vec![self.name.clone()]
        } else {
            self.exports.libs.clone()
        }
    }

    /// A vendored project (`[vendor.NAME]`): programs, no libraries; configured for its
    /// runtime prefix and kept configured between builds (`libs::vendor`).
    pub(crate) fn is_project(&self) -> bool {
        self.exports.libs.is_empty() && !self.exports.programs.is_empty()
    }

    /// The prefix a project is configured for: where its programs will run.
    pub(crate) fn runtime_prefix(&self) -> &str {
        self.prefix.as_deref().unwrap_or("/usr")
    }

    /// `library ncurses`, `project tool`: how progress lines and errors name it.
    pub(crate) fn subject(&self) -> String {
        if self.is_project() {
            format!("project {}", self.name)
        } else {
            format!("library {}", self.name)
        }
    }

    /// `ncurses 6.4`, or `greet (vendored)`: how reports name it.
    pub(crate) fn label(&self) -> String {
        if self.is_project() {
            self.name.clone()
        } else if self.is_vendored() && self.version == unversioned() {
            format!("{} (vendored)", self.name)
        } else {
            format!("{} {}", self.name, self.version)
        }
    }

    pub(crate) fn is_vendored(&self) -> bool {
        self.path.is_some()
    }
}

pub(super) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'.'))
        && !name.starts_with('.')
}

#[cfg(test)]
#[path = "recipe_tests.rs"]
mod tests;
