//! Installing toolchains into the cache: `toolchain install`, `remove`, `prune`, `doctor`,
//! the installed part of `toolchain list`, and the automatic install a build falls back
//! to when no toolchain works.
//!
//! An install is: lock the entry, fetch the archive (URL with mirrors, pip, or a local
//! `--from` file), check its sha256 and size, unpack it safely into a temporary folder
//! beside the entry, add the musl.cc tool names where the set uses other ones, and
//! publish it with one rename and its completion record. Nothing earlier counts as
//! installed, so a process killed at any point leaves no half toolchain behind.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::manifest::{Entry, Kind, Manifest, Want};
use super::{Choice, Request};
use crate::cache::{self, Cache};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::sys::download::{self as download, Expected, Settings};
use crate::sys::process::Cmd;
use crate::sys::unpack::{self, Format};
use crate::target::Target;

/// The completion record of an installed toolchain (JSON, in `.muslbuild-complete`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Record {
    pub name: String,
    pub provider: Kind,
    pub version: String,
    pub host: String,
    pub targets: Vec<String>,
    /// The URL, `pip download …` requirement, or local file it came from.
    pub source: String,
    pub sha256: String,
    pub size: u64,
    /// Seconds since the Unix epoch.
    pub installed_at: u64,
    #[serde(skip)]
    pub dir: PathBuf,
}

impl Record {
    pub fn covers(&self, want: Want) -> bool {
        match want {
            Want::Go => self.provider == Kind::Go,
            Want::Target(t) => {
                self.provider != Kind::Go
                    && self
                        .targets
                        .iter()
                        .any(|n| n.parse::<Target>().ok() == Some(t))
            }
        }
    }

    /// One line for `toolchain list`.
    pub fn describe(&self) -> String {
        format!(
            "{} {} ({}) for {}: {} sha256 {} installed {}",
            self.provider.name(),
            self.version,
            self.name,
            if self.targets.is_empty() {
                "go".to_string()
            } else {
                self.targets.join(", ")
            },
            self.source,
            self.sha256,
            format_time(self.installed_at)
        )
    }
}

/// `toolchain install` settings besides the targets.
#[derive(Clone, Debug, Default)]
pub struct InstallOptions {
    pub provider: Option<Kind>,
    /// A local archive to install instead of downloading.
    pub from: Option<PathBuf>,
    /// The sha256 `--from` must have, when the manifest has none (or another file).
    pub sha256: Option<String>,
    /// `--manifest FILE`; else `MUSLBUILD_MANIFEST`; else the built-in one.
    pub manifest: Option<PathBuf>,
}

/// What an install did.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub record: Record,
    /// False when it was installed already (by an earlier run or a concurrent one).
    pub fresh: bool,
}

pub fn load_manifest(path: Option<&Path>, env: &Env) -> Result<Manifest> {
    let from_env = env.manifest();
    Manifest::load(path.or(from_env.as_deref()))
}

/// Download settings from the environment, plus what `main` configured (`--offline`).
fn settings(env: &Env) -> Settings {
    let global = download::settings();
    let mut settings = Settings::from_env(env);
    settings.offline |= global.offline;
    if settings.mirrors.is_empty() {
        settings.mirrors = global.mirrors;
    }
    settings
}

/// `muslbuild toolchain install TARGET...`: one toolchain per target (a zig install covers
/// several); each is installed once.
pub fn install(
    wants: &[Want],
    options: &InstallOptions,
    env: &Env,
    cache: &Cache,
) -> Result<Vec<Outcome>> {
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
    let manifest = load_manifest(options.manifest.as_deref(), env)?;
    let settings = settings(env);
    let mut outcomes: Vec<Outcome> = Vec::new();
    for &want in wants {
        if outcomes.iter().any(|o| {
            o.record.covers(want) && options.provider.is_none_or(|p| o.record.provider == p)
        }) {
            continue;
        }
        let entries = choose(&manifest, want, options)?;
        let outcome = install_first(
            &entries,
            options.from.as_deref(),
            options.sha256.as_deref(),
            &settings,
            env,
            cache,
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
    options: &InstallOptions,
) -> Result<Vec<&'m Entry>> {
    let host = Target::host();
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
    settings: &Settings,
    env: &Env,
    cache: &Cache,
) -> Result<Outcome> {
    let mut first_error = None;
    for (i, entry) in entries.iter().enumerate() {
        match install_entry(entry, from, sha256, settings, env, cache) {
            Ok(outcome) => return Ok(outcome),
            Err(err) if err.exit_code() == crate::error::exit::DOWNLOAD => {
                if let Some(next) = entries.get(i + 1) {
                    if crate::sys::process::verbosity() >= crate::sys::process::NORMAL {
                        eprintln!(
                            "muslbuild: {err}; trying {} {} ({}) instead",
                            next.provider.name(),
                            next.version,
                            next.source()
                        );
                    }
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
pub fn install_entry(
    entry: &Entry,
    from: Option<&Path>,
    sha256: Option<&str>,
    settings: &Settings,
    env: &Env,
    cache: &Cache,
) -> Result<Outcome> {
    let dest = cache.dir("toolchains").join(&entry.name);
    let _lock = cache.lock(&lock_name(&entry.name))?;
    let sha256 = sha256
        .map(str::to_ascii_lowercase)
        .or_else(|| entry.sha256.clone());
    if cache::is_complete(&dest)
        && let Some(record) = read_record(&dest)
    {
        if let Some(path) = from {
            // An explicit archive is never ignored: it is verified, and it is the
            // installed one or the install is refused.
            let Some(expected) = &sha256 else {
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
        return Ok(Outcome {
            record,
            fresh: false,
        });
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

    let downloads = cache.dir("downloads");
    let (archive, source, downloaded) = match from {
        Some(path) => {
            verify_local(path, &sha256, size)?;
            (path.to_path_buf(), path.display().to_string(), false)
        }
        None if entry.pip.is_some() => (
            pip_fetch(entry, &sha256, size, settings, env, cache)?,
            entry.source(),
            true,
        ),
        None => {
            let path = downloads.join(entry.file_name());
            let settings = Settings {
                max_size: entry.max_size.unwrap_or(download::DEFAULT_MAX_SIZE),
                ..settings.clone()
            };
            // The record names where the bytes came from: a mirror, when one served them.
            let served_by = download::fetch_verified(
                &settings,
                crate::sys::legacy::ui(),
                &entry.urls,
                &Expected {
                    sha256: &sha256,
                    size,
                },
                &path,
            )?;
            (path, served_by.unwrap_or_else(|| entry.source()), true)
        }
    };
    let format = from
        .and_then(|p| Format::from_name(&p.to_string_lossy()))
        .unwrap_or(entry.format);
    let size = std::fs::metadata(&archive)
        .map_err(Error::io("cannot read", &archive))?
        .len();

    if crate::sys::process::verbosity() >= crate::sys::process::NORMAL {
        eprintln!(
            "muslbuild: unpacking {} into {}",
            entry.name,
            dest.display()
        );
    }
    let toolchains = cache.dir("toolchains");
    std::fs::create_dir_all(&toolchains)
        .map_err(Error::io("cannot create the cache directory", &toolchains))?;
    let temp = tempfile::Builder::new()
        .prefix(&format!(
            "{}{}-",
            cache::temp_prefix(&toolchains),
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
    let record = Record {
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
    cache::publish_dir(temp, &dest, &json)?;
    if downloaded {
        // Toolchains are large; the unpacked entry is what is kept.
        let _ = std::fs::remove_file(&archive);
    }
    if crate::sys::process::verbosity() >= crate::sys::process::NORMAL {
        eprintln!(
            "muslbuild: installed {} {} ({})",
            entry.provider.name(),
            entry.version,
            entry.name
        );
    }
    Ok(Outcome {
        record,
        fresh: true,
    })
}

fn lock_name(entry: &str) -> String {
    format!("toolchain-{entry}")
}

fn verify_local(path: &Path, sha256: &str, size: Option<u64>) -> Result<()> {
    if !path.is_file() {
        return Err(Error::MissingSource {
            path: path.to_path_buf(),
        });
    }
    let actual = download::sha256_file(path)?;
    if actual != sha256 {
        return Err(Error::ChecksumMismatch {
            url: path.display().to_string(),
            expected: sha256.to_string(),
            actual,
        });
    }
    let len = std::fs::metadata(path)
        .map_err(Error::io("cannot read", path))?
        .len();
    if let Some(size) = size.filter(|&s| s != len) {
        return Err(Error::Download {
            url: path.display().to_string(),
            reason: format!("it has {len} bytes, the manifest says {size}"),
            help: "check that it is the file the manifest lists".into(),
        });
    }
    Ok(())
}

/// `python3 -m pip download REQ --no-deps`: the wheel lands in a temporary folder, is
/// checked, and only then moves to `downloads/`.
fn pip_fetch(
    entry: &Entry,
    sha256: &str,
    size: Option<u64>,
    settings: &Settings,
    env: &Env,
    cache: &Cache,
) -> Result<PathBuf> {
    let requirement = entry.pip.as_deref().unwrap_or_default();
    let wheel = entry.file_name();
    let dest = cache.dir("downloads").join(&wheel);
    if dest.is_file() && download::sha256_file(&dest)? == sha256 {
        return Ok(dest);
    }
    if settings.offline {
        return Err(Error::Offline {
            what: format!("`{wheel}`"),
            help: format!(
                "run once without --offline / MUSLBUILD_OFFLINE (it runs `python3 -m pip download {requirement}`), or put the wheel at {}",
                dest.display()
            ),
        });
    }
    let path = env.path().cloned().unwrap_or_default();
    let python = which::which_in("python3", Some(path), &env.cwd).map_err(|_| Error::ProgramNotFound {
        program: "python3".into(),
        help: "install python3 with pip (it fetches zig from the Python package index), or choose `--provider musl-cross`".into(),
    })?;
    let temp = cache.temp_dir("downloads")?;
    let log = cache.dir("logs").join(format!("pip-{}.log", entry.name));
    if crate::sys::process::verbosity() >= crate::sys::process::NORMAL {
        eprintln!(
            "muslbuild: python3 -m pip download {requirement} (the log is {})",
            log.display()
        );
    }
    let run = Cmd::new(&python)
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--dest",
        ])
        .arg(temp.path())
        .arg(requirement)
        .run_logged(&log);
    if let Err(err) = run {
        let reason = match &err {
            Error::CommandFailed { tail, status, .. } => tail
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim().to_string())
                .unwrap_or_else(|| status.clone()),
            other => other.to_string(),
        };
        return Err(Error::Download {
            url: format!("pip download {requirement}"),
            reason,
            help: format!(
                "the full log is {}; pip's index settings (PIP_INDEX_URL, pip.conf) choose the mirror",
                log.display()
            ),
        });
    }
    let got = temp.path().join(&wheel);
    if !got.is_file() {
        let found: Vec<String> = std::fs::read_dir(temp.path())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        return Err(Error::Download {
            url: format!("pip download {requirement}"),
            reason: format!("pip fetched {} instead of {wheel}", if found.is_empty() { "nothing".to_string() } else { found.join(", ") }),
            help: "the index offers another wheel for this machine; add a manifest entry for it (with its sha256) or use --provider musl-cross".into(),
        });
    }
    let actual = download::sha256_file(&got)?;
    if actual != sha256 {
        let _ = std::fs::remove_file(&got);
        return Err(Error::ChecksumMismatch {
            url: format!("pip download {requirement} ({wheel})"),
            expected: sha256.to_string(),
            actual,
        });
    }
    verify_local(&got, sha256, size)?;
    std::fs::rename(&got, &dest)
        .map_err(Error::io("cannot move the download into place", &dest))?;
    Ok(dest)
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
        Kind::MuslCross => {
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
        Kind::Zig => {
            if !tools.join("zig").is_file() {
                return Err(layout_error(
                    Path::new(&entry.bin).join("zig").display().to_string(),
                ));
            }
            if tools != bin {
                link("zig", link_target("zig"))?;
            }
        }
        Kind::Go => {
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

fn read_record(dir: &Path) -> Option<Record> {
    let text = std::fs::read_to_string(dir.join(cache::COMPLETE)).ok()?;
    let mut record: Record = serde_json::from_str(&text).ok()?;
    record.dir = dir.to_path_buf();
    Some(record)
}

/// Every installed toolchain (complete entries only), by name.
pub fn installed(cache: &Cache) -> Vec<Record> {
    let Ok(entries) = std::fs::read_dir(cache.dir("toolchains")) else {
        return Vec::new();
    };
    let mut records: Vec<Record> = entries
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| cache::is_complete(p))
        .filter_map(|p| read_record(&p))
        .collect();
    records.sort_by(|a, b| a.name.cmp(&b.name));
    records
}

/// The `go` of an installed Go toolchain, newest install first.
pub fn installed_go(cache: &Cache) -> Option<PathBuf> {
    let mut gos: Vec<Record> = installed(cache)
        .into_iter()
        .filter(|r| r.provider == Kind::Go)
        .collect();
    gos.sort_by_key(|r| std::cmp::Reverse(r.installed_at));
    gos.into_iter()
        .map(|r| r.dir.join("bin").join("go"))
        .find(|p| p.is_file())
}

/// Lines for `toolchain list`: the installed toolchains, with where they came from.
pub fn list_installed(cache: &Cache) -> Vec<String> {
    installed(cache).iter().map(Record::describe).collect()
}

/// Called when `resolve` found nothing usable: installs the first verified manifest entry
/// for `target` (of the provider `request` asks for), unless offline, where the error
/// says what to install. Returns the record of the installed toolchain, or None when the
/// manifest has nothing verified to offer (the caller's own error then stands).
pub fn ensure_installed(
    target: Target,
    request: &Request,
    env: &Env,
    cache: &Cache,
) -> Result<Option<Record>> {
    let provider = match &request.choice {
        _ if request.cc.is_some() => None,
        Choice::Auto => None,
        Choice::Provider(super::Provider::MuslCross) => Some(Kind::MuslCross),
        Choice::Provider(super::Provider::Zig) => Some(Kind::Zig),
        Choice::Provider(_) | Choice::Path(_) => None,
    };
    let settings = settings(env);
    let options = InstallOptions {
        provider,
        ..InstallOptions::default()
    };
    let manifest = load_manifest(None, env)?;
    let Ok(entries) = choose(&manifest, Want::Target(target), &options) else {
        return Ok(None);
    };
    let entry = entries[0];
    if settings.offline {
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
    if crate::sys::process::verbosity() >= crate::sys::process::NORMAL {
        eprintln!(
            "muslbuild: no usable toolchain for {target}; installing {} {} ({}) into {}",
            entry.provider.name(),
            entry.version,
            entry.source(),
            cache.dir("toolchains").display()
        );
    }
    Ok(Some(
        install_first(&entries, None, None, &settings, env, cache)?.record,
    ))
}

/// Whether `resolve` may fall back to installing: not with `--cc` or a compiler path, nor
/// for the distribution's musl-gcc.
pub fn may_auto_install(request: &Request) -> bool {
    request.cc.is_none()
        && matches!(
            request.choice,
            Choice::Auto
                | Choice::Provider(super::Provider::MuslCross)
                | Choice::Provider(super::Provider::Zig)
        )
}

/// `toolchain remove NAME|TARGET...`: removes installed toolchains by entry name, or every
/// one that covers a target (of `provider`, when given). Returns what was removed.
pub fn remove(names: &[String], provider: Option<Kind>, cache: &Cache) -> Result<Vec<Record>> {
    if names.is_empty() {
        return Err(Error::usage(
            "nothing to remove",
            "name installed toolchains or targets: `muslbuild toolchain remove aarch64` (`muslbuild toolchain list` shows them)",
        ));
    }
    let all = installed(cache);
    let mut chosen: Vec<Record> = Vec::new();
    for name in names {
        let matching: Vec<&Record> = match all.iter().find(|r| &r.name == name) {
            Some(record) => vec![record],
            None => {
                let wants = Want::parse_list(name).map_err(|_| {
                    Error::usage(
                        format!("no installed toolchain is called `{name}`"),
                        "`muslbuild toolchain list` shows the installed ones",
                    )
                })?;
                all.iter()
                    .filter(|r| {
                        wants.iter().any(|&w| r.covers(w))
                            && provider.is_none_or(|p| r.provider == p)
                    })
                    .collect()
            }
        };
        for record in matching {
            if !chosen.iter().any(|c| c.name == record.name) {
                chosen.push(record.clone());
            }
        }
    }
    for record in &chosen {
        let _lock = cache.lock(&lock_name(&record.name))?;
        remove_entry(&record.dir)?;
    }
    Ok(chosen)
}

/// Takes the entry out of view with one rename, then deletes it: a process killed
/// half-way leaves a hidden folder that `prune` clears, never a half toolchain.
fn remove_entry(dir: &Path) -> Result<()> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let hidden = parent.join(format!("{}removed-{name}", cache::temp_prefix(parent)));
    std::fs::rename(dir, &hidden).map_err(Error::io("cannot remove", dir))?;
    std::fs::remove_dir_all(&hidden).map_err(Error::io("cannot remove", &hidden))
}

/// `toolchain prune`: deletes what no install needs: leftovers of killed or failed
/// installs (temporary folders, partial downloads, archives), and installed toolchains the
/// manifest no longer lists. Returns the paths removed.
pub fn prune(manifest: &Manifest, cache: &Cache) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let toolchains = cache.dir("toolchains");
    if let Ok(entries) = std::fs::read_dir(&toolchains) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if let Some(pid) = cache::temp_owner(entry.file_name().as_os_str()) {
                // `.tmp-<pid>-…`: stale once its process is gone.
                if cache::sweep_dead_temps_one(&path, pid) {
                    removed.push(path);
                }
                continue;
            }
            if let Some(rest) = name.strip_prefix(".tmp-") {
                // `.tmp-<entry>-XXXXXX`: stale unless that entry's install holds its lock.
                let busy = manifest.entries.iter().any(|e| {
                    rest.starts_with(&format!("{}-", e.name))
                        && is_locked(cache, &lock_name(&e.name))
                });
                if !busy {
                    std::fs::remove_dir_all(&path).map_err(Error::io("cannot remove", &path))?;
                    removed.push(path);
                }
                continue;
            }
            let listed = manifest.by_name(&name).is_some();
            if !listed || !cache::is_complete(&path) {
                if is_locked(cache, &lock_name(&name)) {
                    continue;
                }
                std::fs::remove_dir_all(&path).map_err(Error::io("cannot remove", &path))?;
                removed.push(path);
            }
        }
    }
    let downloads = cache.dir("downloads");
    if let Ok(entries) = std::fs::read_dir(&downloads) {
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".lock") {
                continue;
            }
            let lock = downloads.join(format!(
                "{}.lock",
                name.strip_suffix(".part").unwrap_or(&name)
            ));
            if lock.is_file() && try_lock_file(&lock) == Some(false) {
                continue;
            }
            let result = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            result.map_err(Error::io("cannot remove", &path))?;
            removed.push(path);
        }
    }
    removed.sort();
    Ok(removed)
}

fn is_locked(cache: &Cache, name: &str) -> bool {
    let path = cache.dir("locks").join(format!("{name}.lock"));
    path.is_file() && try_lock_file(&path) == Some(false)
}

/// Some(true) if the lock was free, Some(false) if someone holds it.
fn try_lock_file(path: &Path) -> Option<bool> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .ok()?;
    match file.try_lock() {
        Ok(()) => Some(true),
        Err(std::fs::TryLockError::WouldBlock) => Some(false),
        Err(std::fs::TryLockError::Error(_)) => None,
    }
}

/// `toolchain doctor`: per target, what works, what is missing, and the command that
/// fixes it. Probes every candidate (a first zig probe per target takes a while).
pub fn doctor(manifest: &Manifest, env: &Env, cache: &Cache) -> Result<String> {
    use std::fmt::Write;
    let mut out = String::new();
    let settings = settings(env);
    let host = Target::host();
    let _ = writeln!(out, "cache: {}", cache.root().display());
    let _ = writeln!(out, "manifest: {}", manifest.path.display());
    let _ = writeln!(
        out,
        "network: {}{}",
        if settings.offline {
            "offline (nothing will be downloaded)"
        } else {
            "online"
        },
        if settings.mirrors.is_empty() {
            String::new()
        } else {
            format!(", mirrors {}", settings.mirrors.join(" "))
        }
    );
    let request = Request {
        choice: Choice::Auto,
        cc: None,
    };
    for target in Target::ALL {
        let _ = writeln!(out, "\n{target}:");
        let mut picked = false;
        for candidate in super::candidates(target, &request, env, cache) {
            match super::probe(&candidate, cache)? {
                super::Verdict::Usable { version, .. } => {
                    let mark = if picked { "ok  " } else { "auto" };
                    picked = true;
                    let _ = writeln!(
                        out,
                        "  {mark} {} {version}: {}",
                        candidate.provider,
                        candidate.describe()
                    );
                }
                super::Verdict::Unusable { reason, .. } => {
                    let _ = writeln!(out, "  bad  {}: {reason}", candidate.describe());
                }
            }
        }
        if !picked {
            let install = manifest
                .candidates(Want::Target(target), host, None)
                .into_iter()
                .find(|e| e.verified());
            let fix = match install {
                Some(entry) if settings.offline => format!(
                    "go online once and run `muslbuild toolchain install {target}` ({} {})",
                    entry.provider.name(),
                    entry.version
                ),
                Some(entry) => format!(
                    "`muslbuild toolchain install {target}` ({} {} from {}), or any build installs it",
                    entry.provider.name(),
                    entry.version,
                    entry.source()
                ),
                None => super::no_toolchain_help(target, &request),
            };
            let _ = writeln!(out, "  missing: no usable toolchain; fix: {fix}");
        }
        if host != Some(target) {
            let path = env.path().cloned().unwrap_or_default();
            let qemu = target
                .qemu_names()
                .into_iter()
                .find_map(|q| which::which_in(q, Some(&path), &env.cwd).ok());
            match qemu {
                Some(q) => {
                    let _ = writeln!(out, "  run  `--run` uses {}", q.display());
                }
                None => {
                    let _ = writeln!(
                        out,
                        "  run  missing qemu for `--run`; fix: `apt-get install qemu-user-static`"
                    );
                }
            }
        }
    }
    let _ = writeln!(out, "\ngo:");
    let path = env.path().cloned().unwrap_or_default();
    let go = env
        .get("GOROOT")
        .map(|root| PathBuf::from(root).join("bin").join("go"))
        .filter(|p| p.is_file())
        .or_else(|| which::which_in("go", Some(&path), &env.cwd).ok())
        .or_else(|| installed_go(cache));
    match go {
        Some(go) => {
            let _ = writeln!(out, "  ok   {}", go.display());
        }
        None => {
            let _ = writeln!(
                out,
                "  missing: no `go` on PATH, in GOROOT or in the cache; fix: `muslbuild toolchain install go`"
            );
        }
    }
    let installed = list_installed(cache);
    if !installed.is_empty() {
        let _ = writeln!(out, "\ninstalled:");
        for line in installed {
            let _ = writeln!(out, "  {line}");
        }
    }
    Ok(out)
}

/// `2026-11-27 21:04 UTC`, without a date crate.
fn format_time(secs: u64) -> String {
    crate::sys::time::utc_minutes(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formats() {
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_time(1_795_813_200), "2026-11-27 21:00 UTC");
    }

    #[test]
    fn unverified_entries_are_refused() {
        let manifest = Manifest::embedded();
        let options = InstallOptions {
            provider: Some(Kind::MuslCross),
            ..InstallOptions::default()
        };
        if Target::host() == Some(Target::X86_64) {
            let err = choose(&manifest, Want::Target(Target::Armv7), &options).unwrap_err();
            assert!(matches!(err, Error::Unverified { .. }), "{err:?}");
            assert_eq!(err.exit_code(), crate::error::exit::DOWNLOAD);
            let zig = choose(
                &manifest,
                Want::Target(Target::Armv7),
                &InstallOptions::default(),
            )
            .unwrap();
            assert!(zig.iter().all(|e| e.verified()) && zig[0].provider == Kind::Zig);
            // aarch64: zig first (the manifest's order), the verified musl.cc set as the
            // fallback when PyPI cannot be reached.
            let both = choose(
                &manifest,
                Want::Target(Target::Aarch64),
                &InstallOptions::default(),
            )
            .unwrap();
            let kinds: Vec<Kind> = both.iter().map(|e| e.provider).collect();
            assert_eq!(kinds, vec![Kind::Zig, Kind::MuslCross]);
        }
    }
}
