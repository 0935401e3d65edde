//! `muslbuild.toml` as written: the serde declarations, with toml's spans kept so every
//! error can point at its line and column.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use crate::image::ImageSpec;
use crate::libs::recipe::{ConfigureSpec, Emulate, MakeSpec, TargetSettings};

/// `[lib.NAME.target.TARGET]` / `[vendor.NAME.target.TARGET]`: what one target adds,
/// keyed by any spelling of it (parsed, with its position, by the loader).
pub(super) type PerTarget = BTreeMap<Spanned<String>, TargetSettings>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    #[serde(default)]
    pub(super) project: RawProject,
    #[serde(default)]
    pub(super) c: BTreeMap<Spanned<String>, Spanned<RawC>>,
    #[serde(default)]
    pub(super) go: BTreeMap<Spanned<String>, Spanned<RawGo>>,
    #[serde(default)]
    pub(super) vendor: BTreeMap<Spanned<String>, Spanned<RawVendor>>,
    #[serde(default)]
    pub(super) lib: BTreeMap<Spanned<String>, Spanned<LibDecl>>,
    pub(super) image: Option<ImageSpec>,
    pub(super) cache: Option<RawCache>,
}

/// `[cache]`: the shared remote cache.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawCache {
    /// `oci://HOST[:PORT]/REPO`.
    pub(super) remote: Option<Spanned<String>>,
    /// Take entries from the remote cache, never send any.
    #[serde(default)]
    pub(super) read_only: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawProject {
    /// A list, or one string (`targets = "all"`, `targets = "x86_64,armv7"`).
    #[serde(default)]
    pub(super) targets: OneOrMany,
    pub(super) out_dir: Option<PathBuf>,
    pub(super) toolchain: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) source_dirs: Vec<PathBuf>,
    /// `sbom = false`: no SPDX document beside each artifact.
    pub(super) sbom: Option<bool>,
    /// `kernel-headers = "6.1"`: Linux UAPI headers of that version for every compile.
    pub(super) kernel_headers: Option<Spanned<String>>,
    /// The default `emulate` of this file's `[vendor.NAME]` and `[lib.NAME]` tables.
    pub(super) emulate: Option<Emulate>,
}

/// `targets`: a list, or one string (`"all"`, `"x86_64,armv7"`). Read as a value and
/// split here, since serde's untagged enums lose toml's spans.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub(super) struct OneOrMany(Option<Spanned<toml::Value>>);

impl OneOrMany {
    /// Each item with its own span (found in the text inside the value's span).
    pub(super) fn items(
        &self,
        text: &str,
    ) -> std::result::Result<Vec<Spanned<String>>, Range<usize>> {
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
pub(super) struct RawC {
    /// Files or glob patterns (`src/*.c`), relative to the project folder.
    pub(super) sources: Vec<Spanned<String>>,
    /// Glob patterns of files the `sources` patterns must not take (`src/luac.c`).
    #[serde(default)]
    pub(super) exclude: Vec<String>,
    #[serde(default)]
    pub(super) include: Vec<PathBuf>,
    #[serde(default)]
    pub(super) defines: Vec<String>,
    #[serde(default)]
    pub(super) cflags: Vec<String>,
    #[serde(default)]
    pub(super) ldflags: Vec<String>,
    /// Recipe or `[lib.NAME]` names: built per target, headers and archives added.
    #[serde(default)]
    pub(super) libs: Vec<Spanned<String>>,
    /// Plain `-l` names the toolchain already has (`m`, `pthread`).
    #[serde(default)]
    pub(super) link: Vec<String>,
    #[serde(default = "yes")]
    pub(super) strip: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawGo {
    pub(super) package: Spanned<String>,
    #[serde(default)]
    pub(super) tags: Vec<String>,
    #[serde(default)]
    pub(super) ldflags: Vec<String>,
    #[serde(default)]
    pub(super) cgo: bool,
    /// C libraries for the cgo part, built per target like a C program's.
    #[serde(default)]
    pub(super) libs: Vec<Spanned<String>>,
    #[serde(default = "yes")]
    pub(super) strip: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawVendor {
    pub(super) path: Spanned<PathBuf>,
    pub(super) build: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) libs: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) configure: ConfigureSpec,
    #[serde(default)]
    pub(super) make: MakeSpec,
    /// Installed executables (found in the prefix's `bin/` or `sbin/`) that become
    /// artifacts.
    pub(super) programs: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) cflags: Vec<String>,
    #[serde(default)]
    pub(super) ldflags: Vec<String>,
    #[serde(default)]
    pub(super) env: BTreeMap<String, String>,
    #[serde(default = "yes")]
    pub(super) strip: bool,
    pub(super) prefix: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) bootstrap: Vec<String>,
    #[serde(default)]
    pub(super) host_tools: Vec<String>,
    /// Build in a copy of the folder, for a build system that cannot build out of tree.
    #[serde(default)]
    pub(super) in_tree: bool,
    /// Run the target's programs through qemu-user in the build's steps (`auto`).
    pub(super) emulate: Option<Emulate>,
    #[serde(default)]
    pub(super) target: PerTarget,
}

pub(super) fn yes() -> bool {
    true
}

/// A vendored library, `[lib.NAME]`: the recipe format of `docs/libraries.md` without
/// `name` (the table's key) and with `path` relative to the project folder.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LibDecl {
    pub(super) path: Spanned<PathBuf>,
    pub(super) build: Option<Spanned<String>>,
    pub(super) version: Option<String>,
    #[serde(default)]
    pub(super) description: String,
    #[serde(default)]
    pub(super) deps: Vec<Spanned<String>>,
    #[serde(default, alias = "host-tools")]
    pub(super) host_tools: Vec<String>,
    #[serde(default, alias = "needs-build-cc")]
    pub(super) needs_build_cc: bool,
    #[serde(default)]
    pub(super) configure: ConfigureSpec,
    #[serde(default)]
    pub(super) make: MakeSpec,
    #[serde(default)]
    pub(super) exports: ExportsDecl,
    #[serde(default)]
    pub(super) symlinks: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) cflags: Vec<String>,
    #[serde(default)]
    pub(super) ldflags: Vec<String>,
    #[serde(default)]
    pub(super) env: BTreeMap<String, String>,
    #[serde(default = "yes")]
    pub(super) strip: bool,
    pub(super) prefix: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) bootstrap: Vec<String>,
    pub(super) emulate: Option<Emulate>,
    #[serde(default)]
    pub(super) target: PerTarget,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExportsDecl {
    #[serde(default)]
    pub(super) libs: Vec<String>,
    #[serde(default)]
    pub(super) pkg_config: Vec<String>,
    #[serde(default)]
    pub(super) headers: Vec<String>,
}

/// Only the positions of `[image] artifacts`, read in a second pass so `ImageSpec` stays
/// the plain struct `muslbuild image` uses.
#[derive(Deserialize)]
pub(super) struct ImagePositions {
    pub(super) image: Option<ImageArtifacts>,
}

#[derive(Deserialize)]
pub(super) struct ImageArtifacts {
    #[serde(default)]
    pub(super) artifacts: Vec<Spanned<String>>,
}
