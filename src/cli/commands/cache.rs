//! `muslbuild cache stats|prune|verify`: what the cache holds, and keeping `builds/`, `libs/`
//! and `logs/` under a size bound, least recently used first (like ccache's
//! `max_size`). An entry's last use is its folder's mtime, which a cache hit refreshes
//! (`cache::mark_used`); the other folders (toolchains, sources) have their own commands.
//! Prune runs beside builds: it removes an entry only with both its locks in hand
//! (`Cache::try_take_entry`), and keeps (and names) one a running build makes or uses.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

use crate::cache::Cache;
use crate::cli::CacheCommand;
use crate::cli::print::Printer;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::space::human_size;

/// The folders `cache stats` reports, in order.
pub(crate) const STATS_KINDS: &[&str] = &["builds", "libs", "logs", "sources", "toolchains", "zig"];
/// The folders `cache prune` keeps under the bound: what builds re-create on demand.
pub(crate) const PRUNED_KINDS: &[&str] = &["builds", "libs", "logs", "zig"];
/// `cache prune` without `--max-size`.
pub(crate) const DEFAULT_MAX_SIZE: &str = "5GiB";

pub(crate) fn run(command: &CacheCommand, out: &mut Printer, ctx: &Ctx) -> Result<()> {
    let cache = &ctx.cache;
    match command {
        CacheCommand::Ls(args) if args.remote => {
            let remote = remote_of(ctx)?;
            let entries = remote.list()?;
            out.report(&entries, || {
                let mut text = format!("{}: {} entries\n", remote.url(), entries.len());
                for e in &entries {
                    let note = |k: &str| e.annotations.get(k).map_or("-", |v| v.as_str());
                    let what = match note("muslbuild.kind") {
                        "lib" => format!(
                            "{} {}",
                            note("muslbuild.recipe"),
                            note("org.opencontainers.image.version")
                        ),
                        "zig" => "libc".to_string(),
                        "vendor" => note("muslbuild.project").to_string(),
                        _ => note("muslbuild.artifact").to_string(),
                    };
                    text += &format!(
                        "  {:<5} {:<22} {:<8} {:<26} {:>10}  {}\n",
                        note("muslbuild.kind"),
                        what,
                        note("muslbuild.target"),
                        note("muslbuild.toolchain"),
                        human_size(e.size),
                        &e.tag[..e.tag.len().min(24)],
                    );
                }
                text
            })
        }
        CacheCommand::Ls(_) => {
            let listed: Vec<LocalEntry> = ["libs", "builds", "zig"]
                .iter()
                .flat_map(|&kind| {
                    entries(&cache.dir(kind))
                        .into_iter()
                        .filter(|e| {
                            crate::sys::fs::temp_owner(e.path.file_name().unwrap_or_default())
                                .is_none()
                        })
                        .map(move |e| LocalEntry {
                            kind,
                            name: e
                                .path
                                .file_name()
                                .unwrap_or_default()
                                .to_string_lossy()
                                .into(),
                            bytes: e.bytes,
                        })
                })
                .collect();
            out.report(&listed, || {
                listed
                    .iter()
                    .map(|e| {
                        format!(
                            "  {:<7} {:<48} {:>10}\n",
                            e.kind,
                            e.name,
                            human_size(e.bytes)
                        )
                    })
                    .collect()
            })
        }
        CacheCommand::Verify => {
            let report = crate::cache::verify::verify(
                cache,
                &[
                    crate::pipeline::go::check_probe_record,
                    crate::toolchain::probe::check_probe_record,
                ],
            );
            if out.is_json() {
                out.json(&report)?;
            } else if out.is_human() || !report.damaged.is_empty() {
                // Damage is shown even with -q: it is why the command fails.
                out.text(&crate::cache::verify::render(&report))?;
            }
            report.into_result().map(|_| ())
        }
        CacheCommand::Stats => {
            let stats = stats(cache);
            out.report(&stats, || {
                let mut text = format!("{}\n", cache.root().display());
                for f in &stats.folders {
                    text += &format!(
                        "  {:<12} {:>10}  {} entries\n",
                        format!("{}/", f.name),
                        human_size(f.bytes),
                        f.entries
                    );
                }
                text + &format!("  {:<12} {:>10}\n", "total", human_size(stats.total))
            })
        }
        CacheCommand::Prune(args) => {
            let max = parse_size(args.max_size.as_deref().unwrap_or(DEFAULT_MAX_SIZE))?;
            let report = prune(cache, max)?;
            out.report(&report, || {
                let mut text = String::new();
                for path in &report.removed {
                    text += &format!("removed: {}\n", path.display());
                }
                for path in &report.in_use {
                    text += &format!("in use by a running build, kept: {}\n", path.display());
                }
                text + &format!(
                    "builds/, libs/, logs/, zig/: {} (bound {}), {} removed\n",
                    human_size(report.after),
                    human_size(report.max_size),
                    human_size(report.before - report.after)
                )
            })
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct Folder {
    pub(crate) name: &'static str,
    pub(crate) bytes: u64,
    pub(crate) entries: usize,
}

/// One local entry as `cache ls` lists it.
#[derive(Debug, Serialize)]
pub(crate) struct LocalEntry {
    pub(crate) kind: &'static str,
    pub(crate) name: String,
    pub(crate) bytes: u64,
}

/// The configured remote cache: the environment's, else the project file's here.
fn remote_of(ctx: &Ctx) -> Result<&crate::cache::remote::Remote> {
    if ctx.remote().is_none()
        && let Some(file) = crate::project::config::find(&ctx.env.cwd)
        && let Some(config) = crate::project::config::load(&file)?.remote_cache
    {
        ctx.use_remote_cache(config)?;
    }
    ctx.remote().ok_or_else(|| {
        Error::usage(
            "no remote cache is configured",
            "set MUSLBUILD_REMOTE_CACHE=oci://HOST/REPO, or `[cache] remote` in muslbuild.toml (and drop --offline)",
        )
    })
}

#[derive(Debug, Serialize)]
pub(crate) struct Stats {
    pub(crate) root: PathBuf,
    pub(crate) folders: Vec<Folder>,
    pub(crate) total: u64,
}

pub(crate) fn stats(cache: &Cache) -> Stats {
    let folders: Vec<Folder> = STATS_KINDS
        .iter()
        .map(|&name| {
            let entries = entries(&cache.dir(name));
            Folder {
                name,
                bytes: entries.iter().map(|e| e.bytes).sum(),
                entries: entries.len(),
            }
        })
        .collect();
    Stats {
        root: cache.root().to_path_buf(),
        total: folders.iter().map(|f| f.bytes).sum(),
        folders,
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct PruneReport {
    pub(crate) max_size: u64,
    pub(crate) before: u64,
    pub(crate) after: u64,
    pub(crate) removed: Vec<PathBuf>,
    /// Entries the bound would have removed, kept because a running build makes or
    /// uses them.
    pub(crate) in_use: Vec<PathBuf>,
}

/// Removes the least recently used entries of `builds/`, `libs/` and `logs/` until
/// together they take at most `max` bytes. Each entry leaves only while prune holds both
/// its locks (none of them waited for: an entry a running build makes or uses is kept
/// and reported), by one rename into a temporary name before it is deleted, so an
/// interrupted prune leaves no half entry (the next run sweeps the rest).
pub(crate) fn prune(cache: &Cache, max: u64) -> Result<PruneReport> {
    cache.sweep_dead_temps();
    let mut all: Vec<Entry> = PRUNED_KINDS
        .iter()
        .flat_map(|kind| entries(&cache.dir(kind)))
        // A library build's logs are a folder per entry (`logs/libs/<entry>`), each
        // locked with its entry; `logs/libs` itself is not one.
        .flat_map(|e| {
            if e.path == cache.dir("logs").join("libs") {
                entries(&e.path)
            } else {
                vec![e]
            }
        })
        .filter(|e| crate::sys::fs::temp_owner(e.path.file_name().unwrap_or_default()).is_none())
        .collect();
    let before: u64 = all.iter().map(|e| e.bytes).sum();
    all.sort_by_key(|e| e.used);
    let mut total = before;
    let (mut removed, mut in_use) = (Vec::new(), Vec::new());
    for entry in all {
        if total <= max {
            break;
        }
        let Some(_locks) = cache.try_take_entry(&entry.path)? else {
            in_use.push(entry.path);
            continue;
        };
        remove(cache, &entry.path)?;
        total -= entry.bytes;
        removed.push(entry.path);
    }
    Ok(PruneReport {
        max_size: max,
        before,
        after: total,
        removed,
        in_use,
    })
}

struct Entry {
    path: PathBuf,
    bytes: u64,
    used: SystemTime,
}

fn entries(dir: &Path) -> Vec<Entry> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    read.flatten()
        .filter_map(|e| {
            let meta = e.path().symlink_metadata().ok()?;
            Some(Entry {
                bytes: size_of(&e.path()),
                used: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                path: e.path(),
            })
        })
        .collect()
}

/// Bytes on disk under `path`, links not followed.
fn size_of(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = path.symlink_metadata() else {
        return 0;
    };
    let own = meta.blocks() * 512;
    if !meta.is_dir() {
        return own;
    }
    own + std::fs::read_dir(path)
        .map(|read| read.flatten().map(|e| size_of(&e.path())).sum())
        .unwrap_or(0)
}

fn remove(cache: &Cache, path: &Path) -> Result<()> {
    let parent = path.parent().expect("a cache entry has a folder");
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let hidden = parent.join(format!("{}pruned-{name}", cache.temp_prefix(parent)));
    std::fs::rename(path, &hidden).map_err(Error::io("cannot remove", path))?;
    let gone = if hidden.symlink_metadata().is_ok_and(|m| m.is_dir()) {
        std::fs::remove_dir_all(&hidden)
    } else {
        std::fs::remove_file(&hidden)
    };
    gone.map_err(Error::io("cannot remove", &hidden))
}

/// `512M`, `5GiB`, `1.5G`, `100000` (bytes): binary units, as ccache and du read them.
pub(crate) fn parse_size(text: &str) -> Result<u64> {
    let bad = || {
        Error::usage(
            format!("--max-size `{text}` is not a size"),
            "give bytes or a number with K, M, G or T (binary units): --max-size 2G",
        )
    };
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let number: f64 = number.parse().map_err(|_| bad())?;
    let unit = unit.trim().to_ascii_uppercase();
    let shift = match unit.trim_end_matches("IB").trim_end_matches('B') {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(bad()),
    };
    if !number.is_finite() || number < 0.0 {
        return Err(bad());
    }
    Ok((number * (1u64 << shift) as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_binary_units() {
        assert_eq!(parse_size("100").unwrap(), 100);
        assert_eq!(parse_size("2K").unwrap(), 2048);
        assert_eq!(parse_size("512MiB").unwrap(), 512 << 20);
        assert_eq!(parse_size("1.5G").unwrap(), 3 << 29);
        assert_eq!(parse_size("5gb").unwrap(), 5 << 30);
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5X").is_err());
    }

    #[test]
    fn prune_removes_least_recently_used_first() {
        let root = tempfile::tempdir().unwrap();
        let cache = Cache::new(root.path().to_path_buf());
        let old = cache.dir("builds").join("old");
        let new = cache.dir("libs").join("new");
        for dir in [&old, &new] {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join("f"), vec![1u8; 64 * 1024]).unwrap();
        }
        let hour_ago = SystemTime::now() - std::time::Duration::from_secs(3600);
        std::fs::File::open(&old)
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
        crate::cache::mark_used(&new);
        let one = size_of(&new);
        let report = prune(&cache, one).unwrap();
        assert_eq!(report.removed, vec![old.clone()]);
        assert!(!old.exists() && new.exists());
        assert_eq!(report.after, one);
        assert_eq!(std::fs::read_dir(cache.dir("builds")).unwrap().count(), 0);
        let stats = stats(&cache);
        assert_eq!(stats.folders[1].name, "libs");
        assert_eq!(stats.folders[1].entries, 1);
    }

    /// Another holder of the locks (flock treats each open file apart, so a second
    /// `Cache` stands for another process): an entry it uses or builds is kept and
    /// named, and a library's log folder goes with its entry's locks.
    #[test]
    fn prune_keeps_what_another_run_uses_or_builds() {
        let root = tempfile::tempdir().unwrap();
        let cache = Cache::new(root.path().to_path_buf());
        let used = cache.dir("libs").join("used-x86_64-1");
        let building = cache.dir("builds").join("hello-x86_64-2");
        let idle = cache.dir("builds").join("old-x86_64-3");
        let used_logs = cache.dir("logs").join("libs").join("used-x86_64-1");
        for dir in [&used, &building, &idle, &used_logs] {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::write(dir.join("f"), b"x").unwrap();
        }
        let other = Cache::new(root.path().to_path_buf());
        assert!(!other.is_complete(&used), "looking an entry up pins it");
        let lock = other.lock_entry(&building, "hello").unwrap();
        let report = prune(&cache, 0).unwrap();
        assert_eq!(report.removed, vec![idle.clone()]);
        let mut kept = report.in_use.clone();
        kept.sort();
        let mut expected = vec![used.clone(), building.clone(), used_logs.clone()];
        expected.sort();
        assert_eq!(kept, expected);
        assert!(used.exists() && building.exists() && used_logs.exists());
        // When the other run is over, all of it goes.
        drop((other, lock));
        let report = prune(&cache, 0).unwrap();
        assert_eq!(report.removed.len(), 3, "{report:?}");
        assert!(report.in_use.is_empty());
        assert!(!used.exists() && !building.exists() && !used_logs.exists());
    }
}
