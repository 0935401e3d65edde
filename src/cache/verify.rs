//! `muslbuild cache verify`: every published entry in the cache checked against what it
//! recorded when it was published, every file hashed (like `nix-store --verify
//! --check-contents`): toolchains, library prefixes, build outputs and vendored projects'
//! staged installs by their contents records, `sources/<sha256>` by their names, probe records by their checks. It only
//! reads; a damaged entry is never used, and the next build that needs it makes it again.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cache::{self, Cache, Depth};
use crate::error::{Error, Result};

/// One damaged thing: the entry (or file) and what is wrong, naming the file.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Finding {
    pub(crate) entry: PathBuf,
    pub(crate) problem: String,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Checked {
    pub(crate) kind: &'static str,
    pub(crate) entries: usize,
}

#[derive(Clone, Debug, Default, Serialize)]
pub(crate) struct Report {
    /// Entries checked, per kind (`toolchains`, `libs`, `builds`, `sources`, `probes`).
    pub(crate) checked: Vec<Checked>,
    pub(crate) damaged: Vec<Finding>,
}

impl Report {
    pub(crate) fn total(&self) -> usize {
        self.checked.iter().map(|c| c.entries).sum()
    }

    /// Ok when nothing is damaged; otherwise the error that names the first.
    pub(crate) fn into_result(self) -> Result<Report> {
        match self.damaged.first() {
            None => Ok(self),
            Some(first) => Err(Error::CacheDamaged {
                count: self.damaged.len(),
                first: format!("{}: {}", first.entry.display(), first.problem),
            }),
        }
    }
}

/// Checks a probe record (`probes/<identity>.json`) written by a room above the cache:
/// `None` when the record is not of its kind, else whether it is intact. The rooms that
/// write records pass their checks in, so the cache knows no record format.
pub(crate) type ProbeCheck = fn(identity: &str, text: &str) -> Option<bool>;

pub(crate) fn verify(cache: &Cache, probe_checks: &[ProbeCheck]) -> Report {
    let mut report = Report::default();
    // A vendored project's entry holds its configured tree (machine-local, recorded by
    // nothing) beside its staged install, which is published like any entry.
    let installs = || {
        visible(&cache.dir("vendor"))
            .into_iter()
            .map(|entry| entry.join("install"))
            .collect::<Vec<_>>()
    };
    for kind in ["toolchains", "libs", "builds", "zig", "vendor"] {
        let mut count = 0;
        let entries = match kind {
            "vendor" => installs(),
            _ => visible(&cache.dir(kind)),
        };
        for entry in entries {
            // An entry without its completion record does not exist (and is never used).
            if std::fs::symlink_metadata(entry.join(cache::COMPLETE)).is_err()
                && !std::fs::symlink_metadata(&entry).is_ok_and(|m| m.file_type().is_symlink())
            {
                continue;
            }
            count += 1;
            if let Err(damage) = cache::check_entry(&entry, Depth::Contents) {
                report.damaged.push(Finding {
                    entry,
                    problem: damage.to_string(),
                });
            }
        }
        report.checked.push(Checked {
            kind,
            entries: count,
        });
    }
    let mut sources = 0;
    for path in visible(&cache.dir("sources")) {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.len() != 64 || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        sources += 1;
        let problem = match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() => match crate::sys::hash::file_sha256(&path) {
                Ok(actual) if actual == name => continue,
                Ok(actual) => format!("has sha256 {actual}, not the one it is named by"),
                Err(e) => format!("cannot be read: {e}"),
            },
            Ok(_) => "is not a regular file (a symlink or folder)".to_string(),
            Err(e) => format!("cannot be read: {e}"),
        };
        report.damaged.push(Finding {
            entry: path,
            problem,
        });
    }
    report.checked.push(Checked {
        kind: "sources",
        entries: sources,
    });
    let mut probes = 0;
    for path in visible(&cache.dir("probes")) {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Some(identity) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".json"))
        else {
            // One-line records (where a program inside a Python package is).
            if text.lines().nth(1).is_some_and(|l| l.starts_with("check ")) {
                probes += 1;
                if let Err(damage) = cache::read_checked_text(&path, &text) {
                    report.damaged.push(Finding {
                        entry: path,
                        problem: damage.reason,
                    });
                }
            }
            continue;
        };
        if let Some(intact) = probe_checks.iter().find_map(|check| check(identity, &text)) {
            probes += 1;
            if !intact {
                report.damaged.push(Finding {
                    entry: path,
                    problem: "was changed since it was written (its check does not match)".into(),
                });
            }
        }
    }
    report.checked.push(Checked {
        kind: "probes",
        entries: probes,
    });
    report
}

/// The entries of a cache folder, without temporary ones (`.tmp-*`, `.part`).
fn visible(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    paths.sort();
    paths
}

/// The human lines: one per damaged entry, then the summary.
pub(crate) fn render(report: &Report) -> String {
    let mut out = String::new();
    for finding in &report.damaged {
        out.push_str(&format!(
            "damaged {}: {}\n",
            finding.entry.display(),
            finding.problem
        ));
    }
    let kinds: Vec<String> = report
        .checked
        .iter()
        .map(|c| format!("{} {}", c.kind, c.entries))
        .collect();
    out.push_str(&format!(
        "checked {} entries ({}): {} damaged\n",
        report.total(),
        kinds.join(", "),
        report.damaged.len()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_kind_of_damage() {
        let root = tempfile::tempdir().unwrap();
        let cache = Cache::open(
            root.path().to_path_buf(),
            Default::default(),
            Default::default(),
        );
        let temp = cache.temp_dir("builds").unwrap();
        std::fs::write(temp.path().join("artifact"), b"\x7fELF").unwrap();
        let entry = cache.dir("builds").join("hello");
        cache.publish_dir(temp, &entry, "x").unwrap();
        std::fs::create_dir_all(cache.dir("sources")).unwrap();
        let source = cache
            .dir("sources")
            .join(crate::sys::hash::sha256_hex(b"src"));
        std::fs::write(&source, b"src").unwrap();
        let report = verify(&cache, &[]);
        assert!(report.damaged.is_empty(), "{report:?}");
        assert_eq!(report.total(), 2);

        std::fs::write(entry.join("artifact"), b"\x7fELG").unwrap();
        std::fs::write(&source, b"other").unwrap();
        let report = verify(&cache, &[]);
        let text = render(&report);
        assert_eq!(report.damaged.len(), 2, "{text}");
        assert!(text.contains("artifact` changed its content"), "{text}");
        assert!(text.contains("not the one it is named by"), "{text}");
        assert!(report.into_result().is_err());
    }
}
