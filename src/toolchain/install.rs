//! Installing toolchains into the cache: `toolchain install`, and the automatic install a
//! build falls back to when no toolchain works.
//!
//! An install is: lock the entry, fetch the archive (URL with mirrors, pip, or a local
//! `--from` file), check its sha256 and size, unpack it safely into a temporary folder
//! beside the entry, add the musl.cc tool names where the set uses other ones, and
//! publish it with one rename and its completion record. Nothing earlier counts as
//! installed, so a process killed at any point leaves no half toolchain behind.

use std::path::{Path, PathBuf};

use super::fetch::{pip_fetch, verify_local};
use super::installed::{InstallRecord, lock_name, read_record};
use super::manifest::{Entry, Manifest, ManifestProvider, Want};
use super::model::{Choice, Provider, ToolchainRequest};
use crate::context::Ctx;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::sys::download::{self as download, Expected, NetSettings};
use crate::sys::unpack::{self, Format};
use crate::target::Target;

/// `toolchain install` settings besides the targets.
#[derive(Clone, Debug, Default)]
pub(crate) struct InstallOptions {
    pub(crate) provider: Option<ManifestProvider>,
    /// A local archive to install instead of downloading.
    pub(crate) from: Option<PathBuf>,
    /// The sha256 `--from` must have, when the manifest has none (or another file).
    pub(crate) sha256: Option<String>,
    /// `--manifest FILE`; else `MUSLBUILD_MANIFEST`; else the built-in one.
    pub(crate) manifest: Option<PathBuf>,
}

/// What an install did: the toolchain now installed, and whether this run installed it.
#[derive(Clone, Debug)]
pub(crate) struct Installation {
    pub(crate) record: InstallRecord,
    /// False when it was installed already (by an earlier run or a concurrent one).
    pub(crate) fresh: bool,
}

pub(crate) fn load_manifest(path: Option<&Path>, env: &Env) -> Result<Manifest> {
    let from_env = env.manifest();
    Manifest::load(path.or(from_env.as_deref()))
}

/// `muslbuild toolchain install TARGET...`: one toolchain per target (a zig install covers
/// several); each is installed once.
pub(crate) fn install(
    wants: &[Want],
    options: &InstallOptions,
    ctx: &Ctx,
) -> Result<Vec<Installation>> {
    if wants.is_empty() {
        return Err(Error::usage(
            "no target to install a toolchain for",
            "name targets: `muslbuild toolchain install aarch64 armv7` (or `go`)",
        ));
    }
    if options.sha256.is_some() && options.from.is_none() {
        return Err(Error::usage(
            "--sha256 needs --from ARCHIVE",
            "`muslbuild toolchain install aarch64 --from ./aarch64-linux-musl-cross.tgz --sha256 HASH`",
        ));
    }
    let manifest = load_manifest(options.manifest.as_deref(), &ctx.env)?;
    let mut outcomes: Vec<Installation> = Vec::new();
    for &want in wants {
        if outcomes.iter().any(|o| {
            o.record.covers(want) && options.provider.is_none_or(|p| o.record.provider == p)
        }) {
            continue;
        }
        let entries = choose(&manifest, want, Target::host(), options)?;
        let outcome = install_first(
            &entries,
            options.from.as_deref(),
            options.sha256.as_deref(),
            ctx,
        )?;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// The entries to try for `want`, best first: with `--from`, the one entry the file is;
/// else every verified entry in manifest order (a later one is the fallback when an
/// earlier one cannot be fetched).
fn choose<'m>(
    manifest: &'m Manifest,
    want: Want,
    host: Option<Target>,
    options: &InstallOptions,
) -> Result<Vec<&'m Entry>> {
    let candidates = manifest.candidates(want, host, options.provider);
    if candidates.is_empty() {
        let provider = options
            .provider
            .map(|p| format!(" from provider {}", p.name()))
            .unwrap_or_default();
        return Err(Error::usage(
            format!(
                "the toolchain manifest ({}) lists nothing for {want}{provider} on a {} host",
                manifest.path.display(),
                host.map_or("unsupported", |h| h.name())
            ),
            "`muslbuild toolchain doctor` lists what is installable; or install a local archive with --from FILE --sha256 HASH and a manifest entry describing its layout",
        ));
    }
    if let Some(from) = &options.from {
        // A --from file named like an entry's archive is that entry.
        let name = from
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(entry) = candidates.iter().find(|e| e.file_name() == name) {
            return Ok(vec![entry]);
        }
        if options.sha256.is_some() {
            return Ok(vec![candidates[0]]);
        }
        if let Some(entry) = candidates.iter().find(|e| e.verified()) {
            return Ok(vec![entry]);
        }
        return Ok(vec![candidates[0]]);
    }
    let verified: Vec<&Entry> = candidates
        .iter()
        .copied()
        .filter(|e| e.verified())
        .collect();
    match verified.is_empty() {
        false => Ok(verified),
        true => Err(unverified(candidates[0], &format!(" for {want}"))),
    }
}

/// The refusal of an entry whose sha256 cannot be known.
fn unverified(entry: &Entry, what_for: &str) -> Error {
    Error::Unverified {
        what: format!(
            "{} {}{what_for} ({})",
            entry.provider.name(),
            entry.version,
            entry
                .unverified
                .as_deref()
                .unwrap_or("no sha256 in the manifest")
        ),
        url: entry.source(),
    }
}

/// Installs the first of `entries` that can be fetched: a download failure (exit 9) of
/// one is reported and the next is tried; the first failure is returned if all fail.
fn install_first(
    entries: &[&Entry],
    from: Option<&Path>,
    sha256: Option<&str>,
    ctx: &Ctx,
) -> Result<Installation> {
    let mut first_error = None;
    for (i, entry) in entries.iter().enumerate() {
        match install_entry(entry, from, sha256, ctx) {
            Ok(outcome) => return Ok(outcome),
            Err(err) if err.exit_code() == crate::error::exit::DOWNLOAD => {
                if let Some(next) = entries.get(i + 1) {
                    ctx.ui.status(format_args!(
                        "{err}; trying {} {} ({}) instead",
                        next.provider.name(),
                        next.version,
                        next.source()
                    ));
                    first_error.get_or_insert(err);
                } else {
                    return Err(first_error.unwrap_or(err));
                }
            }
            Err(err) => return Err(err),
        }
    }
    Err(first_error.unwrap_or_else(|| Error::usage("no toolchain to install", "name a target")))
}

/// Installs one manifest entry (once, under its lock).
/// An entry already installed: as it is, unless `from` names another archive than the
/// one it was installed from (an explicit archive is never ignored: it is verified, and
/// it is the installed one or the install is refused).
fn already_installed(
    entry: &Entry,
    from: Option<&Path>,
    sha256: Option<&str>,
    record: InstallRecord,
) -> Result<Installation> {
    if let Some(path) = from {
        let Some(expected) = sha256 else {
            return Err(unverified(entry, ""));
        };
        verify_local(path, expected, None)?;
        if *expected != record.sha256 {
            return Err(Error::usage(
                format!(
                    "{} is already installed from {} (sha256 {}), and `{}` is another archive (sha256 {expected})",
                    entry.name,
                    record.source,
                    record.sha256,
                    path.display()
                ),
                format!(
                    "to replace it: `muslbuild toolchain remove {}`, then install the archive again",
                    entry.name
                ),
            ));
        }
    }
    Ok(Installation {
        record,
        fresh: false,
    })
}

/// The archive to unpack, verified: where it is, where its bytes came from (for the
/// record), and whether it was downloaded (then removed once unpacked).
struct Obtained {
    archive: PathBuf,
    source: String,
    downloaded: bool,
}

fn obtain_archive(
    entry: &Entry,
    from: Option<&Path>,
    sha256: &str,
    size: Option<u64>,
    ctx: &Ctx,
) -> Result<Obtained> {
    let obtained = |archive, source, downloaded| Obtained {
        archive,
        source,
        downloaded,
    };
    Ok(match from {
        Some(path) => {
            verify_local(path, sha256, size)?;
            obtained(path.to_path_buf(), path.display().to_string(), false)
        }
        None if entry.pip.is_some() => {
            obtained(pip_fetch(entry, sha256, size, ctx)?, entry.source(), true)
        }
        None => {
            let path = ctx.cache.dir("downloads").join(entry.file_name());
            let net = NetSettings {
                max_size: entry.max_size.unwrap_or(download::DEFAULT_MAX_SIZE),
                ..ctx.net.clone()
            };
            // The record names where the bytes came from: a mirror, when one served them.
            let served_by = download::fetch_verified(
                &net,
                ctx.ui,
                &entry.urls,
                &Expected { sha256, size },
                &path,
            )?;
            obtained(path, served_by.unwrap_or_else(|| entry.source()), true)
        }
    })
}

pub(crate) fn install_entry(
    entry: &Entry,
    from: Option<&Path>,
    sha256: Option<&str>,
    ctx: &Ctx,
) -> Result<Installation> {
    let cache = &ctx.cache;
    let dest = cache.dir("toolchains").join(&entry.name);
    let _lock = cache.lock(&lock_name(&entry.name))?;
    let sha256 = sha256
        .map(str::to_ascii_lowercase)
        .or_else(|| entry.sha256.clone());
    if cache.is_complete(&dest)
        && let Some(record) = read_record(&dest)
    {
        return already_installed(entry, from, sha256.as_deref(), record);
    }
    let Some(sha256) = sha256 else {
        return Err(unverified(entry, ""));
    };
    // The manifest's size belongs to the manifest's file only.
    let size = if sha256 == entry.sha256.clone().unwrap_or_default() {
        entry.size
    } else {
        None
    };

    let Obtained {
        archive,
        source,
        downloaded,
    } = obtain_archive(entry, from, &sha256, size, ctx)?;
    let format = from
        .and_then(|p| Format::from_name(&p.to_string_lossy()))
        .unwrap_or(entry.format);
    let size = std::fs::metadata(&archive)
        .map_err(Error::io("cannot read", &archive))?
        .len();

    ctx.ui.status(format_args!(
        "unpacking {} into {}",
        entry.name,
        dest.display()
    ));
    let toolchains = cache.dir("toolchains");
    std::fs::create_dir_all(&toolchains)
        .map_err(Error::io("cannot create the cache directory", &toolchains))?;
    let temp = tempfile::Builder::new()
        .prefix(&format!(
            "{}{}-",
            cache.temp_prefix(&toolchains),
            entry.name
        ))
        .tempdir_in(cache.dir("toolchains"))
        .map_err(Error::io(
            "cannot create a temporary directory in",
            cache.dir("toolchains"),
        ))?;
    // Hashed again while unpacking: the archive may have changed since it was verified.
    unpack::unpack_checked(
        &archive,
        format,
        &entry.root,
        temp.path(),
        Some(&sha256),
        unpack::Limits::default(),
    )?;
    normalise(entry, temp.path(), &source)?;
    let record = InstallRecord {
        name: entry.name.clone(),
        provider: entry.provider,
        version: entry.version.clone(),
        host: entry.host.clone(),
        targets: entry.targets.clone(),
        source,
        sha256,
        size,
        installed_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        dir: dest.clone(),
    };
    let json = serde_json::to_string_pretty(&record).expect("record serialises");
    cache.publish_dir(temp, &dest, &json)?;
    if downloaded {
        // Toolchains are large; the unpacked entry is what is kept.
        let _ = std::fs::remove_file(&archive);
    }
    ctx.ui.status(format_args!(
        "installed {} {} ({})",
        entry.provider.name(),
        entry.version,
        entry.name
    ));
    Ok(Installation {
        record,
        fresh: true,
    })
}

/// Called when `resolve` found nothing usable: installs the first verified manifest entry
/// for `target` (of the provider `request` asks for), unless offline, where the error
/// says what to install. Returns the record of the installed toolchain, or None when the
/// manifest has nothing verified to offer (the caller's own error then stands).
pub(crate) fn ensure_installed(
    target: Target,
    request: &ToolchainRequest,
    ctx: &Ctx,
) -> Result<Option<InstallRecord>> {
    let provider = match &request.choice {
        _ if request.cc.is_some() => None,
        Choice::Auto => None,
        Choice::Provider(Provider::MuslCross) => Some(ManifestProvider::MuslCross),
        Choice::Provider(Provider::Zig) => Some(ManifestProvider::Zig),
        Choice::Provider(_) | Choice::Path(_) => None,
    };
    let options = InstallOptions {
        provider,
        ..InstallOptions::default()
    };
    let manifest = load_manifest(None, &ctx.env)?;
    let Ok(entries) = choose(&manifest, Want::Target(target), Target::host(), &options) else {
        return Ok(None);
    };
    let entry = entries[0];
    if ctx.net.offline {
        let provider = provider
            .map(|p| format!(" --provider {}", p.name()))
            .unwrap_or_default();
        return Err(Error::NoToolchain {
            target,
            looked_for: super::discover::looked_for(target, request),
            help: format!(
                "muslbuild is offline (--offline / MUSLBUILD_OFFLINE): run `muslbuild toolchain install {target}{provider}` once while online (it fetches {} {} from {}), or install a local copy with `--from FILE`",
                entry.provider.name(),
                entry.version,
                entry.source()
            ),
        });
    }
    ctx.ui.status(format_args!(
        "no usable toolchain for {target}; installing {} {} ({}) into {}",
        entry.provider.name(),
        entry.version,
        entry.source(),
        ctx.cache.dir("toolchains").display()
    ));
    Ok(Some(install_first(&entries, None, None, ctx)?.record))
}

/// Whether `resolve` may fall back to installing: not with `--cc` or a compiler path, nor
/// for the distribution's musl-gcc.
pub(crate) fn may_auto_install(request: &ToolchainRequest) -> bool {
    request.cc.is_none()
        && matches!(
            request.choice,
            Choice::Auto | Choice::Provider(Provider::MuslCross) | Choice::Provider(Provider::Zig)
        )
}

/// Makes every installed entry look alike: `bin/<musl.cc prefix>-gcc` (and -ar, -ranlib,
/// -strip…) for musl-cross sets whatever their own naming, `bin/zig`, `bin/go`.
fn normalise(entry: &Entry, root: &Path, source: &str) -> Result<()> {
    let tools = root.join(&entry.bin);
    let bin = root.join("bin");
    let layout_error = |missing: String| Error::Download {
        url: source.to_string(),
        reason: format!("the archive has no `{missing}`"),
        help: format!(
            "the manifest's layout for `{}` (root = \"{}\", bin = \"{}\") does not match the archive",
            entry.name, entry.root, entry.bin
        ),
    };
    // Links in `bin/` point into `entry.bin`, one level up from `bin/`.
    let link_target = |name: &str| -> PathBuf {
        if tools == bin {
            PathBuf::from(name)
        } else {
            Path::new("..").join(&entry.bin).join(name)
        }
    };
    let link = |name: &str, target: PathBuf| -> Result<()> {
        std::fs::create_dir_all(&bin).map_err(Error::io("cannot create", &bin))?;
        let path = bin.join(name);
        if std::fs::symlink_metadata(&path).is_err() {
            std::os::unix::fs::symlink(&target, &path)
                .map_err(Error::io("cannot create the symlink", &path))?;
        }
        Ok(())
    };
    match entry.provider {
        ManifestProvider::MuslCross => {
            let prefix = entry.prefix.as_deref().unwrap_or_default();
            let gcc = format!("{prefix}-gcc");
            if !tools.join(&gcc).is_file() {
                return Err(layout_error(
                    Path::new(&entry.bin).join(&gcc).display().to_string(),
                ));
            }
            let names: Vec<String> = std::fs::read_dir(&tools)
                .map_err(Error::io("cannot read", &tools))?
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            for target in &entry.targets {
                let Ok(target) = target.parse::<Target>() else {
                    continue;
                };
                let canonical = target.musl_cross_prefixes()[0];
                for name in &names {
                    if let Some(tool) = name.strip_prefix(prefix).and_then(|t| t.strip_prefix('-'))
                    {
                        link(&format!("{canonical}-{tool}"), link_target(name))?;
                    }
                }
            }
        }
        ManifestProvider::Zig => {
            if !tools.join("zig").is_file() {
                return Err(layout_error(
                    Path::new(&entry.bin).join("zig").display().to_string(),
                ));
            }
            if tools != bin {
                link("zig", link_target("zig"))?;
            }
        }
        ManifestProvider::Go => {
            if !tools.join("go").is_file() {
                return Err(layout_error(
                    Path::new(&entry.bin).join("go").display().to_string(),
                ));
            }
            if tools != bin {
                link("go", link_target("go"))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unverified_entries_are_refused() {
        // The embedded manifest as an x86_64 host reads it, whatever this host is.
        let manifest = Manifest::embedded();
        let host = Some(Target::X86_64);
        let options = InstallOptions {
            provider: Some(ManifestProvider::MuslCross),
            ..InstallOptions::default()
        };
        let err = choose(&manifest, Want::Target(Target::Armv7), host, &options).unwrap_err();
        assert!(matches!(err, Error::Unverified { .. }), "{err:?}");
        assert_eq!(err.exit_code(), crate::error::exit::DOWNLOAD);
        let default = InstallOptions::default();
        let zig = choose(&manifest, Want::Target(Target::Armv7), host, &default).unwrap();
        assert!(zig.iter().all(|e| e.verified()) && zig[0].provider == ManifestProvider::Zig);
        // aarch64: zig first (the manifest's order), the verified musl.cc set as the
        // fallback when PyPI cannot be reached.
        let both = choose(&manifest, Want::Target(Target::Aarch64), host, &default).unwrap();
        let kinds: Vec<ManifestProvider> = both.iter().map(|e| e.provider).collect();
        assert_eq!(
            kinds,
            vec![ManifestProvider::Zig, ManifestProvider::MuslCross]
        );
    }
}
