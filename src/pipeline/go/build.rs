//! Building a Go package for one target: the `go build` command, its cache key, and
//! every target through the shared tail (`pipeline`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::flags::{go_join, merge_user_flags, refused};
use super::package::GoProgram;
use super::toolchain::GoToolchain;
use crate::context::Ctx;
use crate::dist_folder::Dist;
use crate::error::{Error, Result};
use crate::libs;
use crate::sys::key::{CacheKey, KeyKind, Places};

use crate::pipeline::{Built, Caching, MadeBy, TargetJob};
use crate::sys::process::Cmd;
use crate::target::{GoArch, Target};
use crate::toolchain::{self, Flavor, Toolchain};

/// The tags that make `net` and `os/user` pure Go (no glibc resolver, no getpwnam).
pub(crate) const STATIC_TAGS: &[&str] = &["netgo", "osusergo"];

/// What decides a build beyond the package and target: the user's additions, `--cgo`,
/// the job budget.
#[derive(Clone, Debug, Default)]
pub(crate) struct GoSettings {
    /// `--ldflags` values, each a list in Go's quoting (`-X main.version=1.2`).
    pub(crate) ldflags: Vec<String>,
    /// `--tags` values (comma- or space-separated lists).
    pub(crate) tags: Vec<String>,
    /// Extra `go build` flags from the command line (`--goflags`).
    pub(crate) go_args: Vec<String>,
    /// The user's `GOFLAGS`; merged, then passed on without what muslbuild took out.
    pub(crate) goflags: Option<String>,
    pub(crate) offline: bool,
    /// `go build -p`: this build's share of the `-j` budget.
    pub(crate) jobs: Option<usize>,
    /// Keep the symbol table and DWARF (muslbuild strips by default: `-s -w`).
    pub(crate) no_strip: bool,
    /// Where `go` keeps its build cache when the environment gives it none.
    pub(crate) gocache: Option<PathBuf>,
    pub(crate) cgo: Option<Cgo>,
}

impl GoSettings {
    /// Settings from the environment: `GOFLAGS`, and a build cache in muslbuild's cache
    /// when `go` would find none.
    fn from_ctx(ctx: &Ctx) -> GoSettings {
        GoSettings {
            goflags: ctx.env.goflags().map(str::to_string),
            gocache: (!ctx.env.has_go_cache_dir()).then(|| ctx.cache.dir("go-build")),
            ..GoSettings::default()
        }
    }
}

/// cgo's C side, the same for every target: include and library folders, libraries, and
/// the user's `CGO_CFLAGS` / `CGO_LDFLAGS` (after muslbuild's, so they win).
#[derive(Clone, Debug, Default)]
pub(crate) struct CgoFlags {
    pub(crate) include_dirs: Vec<PathBuf>,
    pub(crate) lib_dirs: Vec<PathBuf>,
    pub(crate) libs: Vec<String>,
    pub(crate) cflags: Vec<String>,
    pub(crate) ldflags: Vec<String>,
}

/// `--cgo` for one target: its musl toolchain, and the C side with the C libraries
/// muslbuild built for it (`--lib zlib`).
#[derive(Clone, Debug)]
pub(crate) struct Cgo {
    pub(crate) toolchain: Toolchain,
    pub(crate) flags: CgoFlags,
}

/// What a front end says about one Go program beyond its package: `muslbuild FILE`'s
/// flags or a project's `[[go]]` entry.
#[derive(Debug, Default)]
pub(crate) struct GoOptions {
    /// `--go`: this `go` and no other.
    pub(crate) go: Option<PathBuf>,
    pub(crate) ldflags: Vec<String>,
    pub(crate) tags: Vec<String>,
    /// `--goflags`, already split.
    pub(crate) go_args: Vec<String>,
    pub(crate) offline: bool,
    pub(crate) no_strip: bool,
    /// `--cgo`, with the C side's own settings; `plan` adds the environment's
    /// `CGO_CFLAGS` / `CGO_LDFLAGS`.
    pub(crate) cgo: Option<CgoFlags>,
}

/// One Go program ready to build for any target: the package, the `go` that builds it,
/// its settings, and cgo's C side.
pub(crate) struct GoPlan {
    pub(crate) program: GoProgram,
    pub(crate) go: GoToolchain,
    pub(crate) settings: GoSettings,
    pub(crate) cgo: Option<CgoFlags>,
}

/// Wires a package and a front end's options into a plan: finds Go, takes `GOFLAGS`
/// and `GOCACHE` from the environment, and refuses bad flags (checked by building the
/// command for `check_target`) before anything is created.
pub(crate) fn plan(
    program: GoProgram,
    options: GoOptions,
    check_target: Target,
    ctx: &Ctx,
) -> Result<GoPlan> {
    let mut settings = GoSettings::from_ctx(ctx);
    settings.ldflags = options.ldflags;
    settings.tags = options.tags;
    settings.go_args = options.go_args;
    settings.offline = options.offline;
    settings.no_strip = options.no_strip;
    let go = super::toolchain::resolve(options.go.as_deref(), ctx)?;
    command(
        &program,
        check_target,
        &go,
        &settings,
        Path::new("check"),
        ctx,
    )?;
    let cgo = options.cgo.map(|flags| {
        let from_env = |key: &str, given: Vec<String>| {
            let mut all = ctx.env.flags(key);
            all.extend(given);
            all
        };
        CgoFlags {
            cflags: from_env("CGO_CFLAGS", flags.cflags),
            ldflags: from_env("CGO_LDFLAGS", flags.ldflags),
            ..flags
        }
    });
    Ok(GoPlan {
        program,
        go,
        settings,
        cgo,
    })
}

/// Builds `program` for `target` into `output` (a temporary path the caller renames into
/// `dist/`); on failure the error carries Go's own diagnostics and the log's path.
pub(crate) fn build(
    program: &GoProgram,
    target: Target,
    go: &GoToolchain,
    settings: &GoSettings,
    output: &Path,
    log: &Path,
    ctx: &Ctx,
) -> Result<()> {
    go.check_supports(target)?;
    let mut cmd = command(program, target, go, settings, output, ctx)?;
    // cgo's compiles and its external link go through zig's wrapper (`cc_for_builds`);
    // what it did is said under -v, a refused linker option as that.
    let notes = settings.cgo.as_ref().and_then(|cgo| {
        toolchain::zigld::NotesFile::for_toolchain(
            &cgo.toolchain,
            log.with_extension("zig-notes.jsonl"),
        )
    });
    if let Some(notes) = &notes {
        notes.clear();
        cmd = cmd.env("MUSLBUILD_ZIG_NOTES", &notes.path);
    }
    let result = cmd.run_logged(log);
    let who = format!("`{}` for {target} (cgo)", program.name);
    let records = notes
        .as_ref()
        .map(|n| n.finish(ctx.ui, &who))
        .unwrap_or_default();
    match result {
        Ok(()) => Ok(()),
        Err(Error::CommandFailed { tail, .. }) => {
            let text = std::fs::read_to_string(log).unwrap_or_else(|_| tail.clone());
            if let Some(refusal) = notes
                .is_some()
                .then(|| toolchain::zigld::refusal_in(&text, &records))
                .flatten()
            {
                return Err(toolchain::linker_arg_refused(
                    format!("`{}` (cgo)", program.name),
                    target,
                    refusal,
                    Some(log),
                ));
            }
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
                tail: note + &crate::pipeline::diagnostics(&tail),
            })
        }
        Err(other) => Err(other),
    }
}

/// The `go build` command, exactly as it runs (printed by `-v`, reused by the benchmark).
pub(crate) fn command(
    program: &GoProgram,
    target: Target,
    go: &GoToolchain,
    settings: &GoSettings,
    output: &Path,
    ctx: &Ctx,
) -> Result<Cmd> {
    let user = merge_user_flags(
        settings.goflags.as_deref(),
        &settings.go_args,
        &settings.ldflags,
        &settings.tags,
    )?;
    let GoArch {
        goarch,
        variable: baseline,
    } = target.go_arch();
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
    let mut cmd = ctx
        .command(&go.go)
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
    if let Some((name, value)) = baseline {
        cmd = cmd.env(name, value);
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
            let compiler = tc.cc_for_builds(&ctx.env);
            let mut cc: Vec<String> =
                std::iter::once(compiler.program.to_string_lossy().into_owned())
                    .chain(
                        compiler
                            .args
                            .iter()
                            .map(|a| a.to_string_lossy().into_owned()),
                    )
                    .collect();
            // The CPU pin goes into CC itself so cgo's compiles, its probes and the
            // final link all get it — unless cgo's compiles need other ones than the
            // link (armv7 with zig: ARM mode for Go's runtime/cgo assembly, and a
            // Thumb-2 musl).
            let (mut cflags, mut cldflags) = match tc.cgo_compile_flags() {
                None => {
                    cc.extend(tc.target_flags());
                    (Vec::new(), Vec::new())
                }
                Some(compile) => (compile, tc.target_flags()),
            };
            // zig cc without -O is a debug build with the UB sanitizer on.
            cflags.push("-O2".to_string());
            for dir in &cgo.flags.include_dirs {
                cflags.push(format!("-I{}", dir.display()));
            }
            cflags.extend(cgo.flags.cflags.iter().cloned());
            // After every include folder: the program's own copies of kernel headers win.
            cflags.extend(tc.kernel_header_map());
            cflags.extend(tc.kernel_header_flags());
            cldflags.push("-O2".to_string());
            for dir in &cgo.flags.lib_dirs {
                cldflags.push(format!("-L{}", dir.display()));
            }
            cldflags.extend(cgo.flags.libs.iter().map(|l| format!("-l{l}")));
            cldflags.extend(cgo.flags.ldflags.iter().cloned());
            cmd = cmd
                .env("CGO_ENABLED", "1")
                .env("CC", go_join(&cc)?)
                .env("CGO_CFLAGS", go_join(&cflags)?)
                .env("CGO_LDFLAGS", go_join(&cldflags)?);
        }
    }
    Ok(cmd)
}

/// `go: go.mod requires go >= 1.30 (running go 1.27.3; GOTOOLCHAIN=local)`: the version
/// asked for, when Go may not fetch a newer toolchain itself.
pub(super) fn required_go(log: &str) -> Option<String> {
    log.lines().find_map(|line| {
        let rest = line.split("requires go >= ").nth(1)?;
        rest.split([' ', ')', ';'])
            .next()
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    })
}

/// The module a failed build could not download, from Go's own messages.
pub(super) fn unavailable_module(log: &str) -> Option<String> {
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

/// Why Go's cgo cannot link through zig for `target`, whatever the program: Go's own
/// compiler flags or `runtime/cgo` need what zig lacks there. `None` where it works.
pub(crate) fn zig_cgo_gap(target: Target) -> Option<&'static str> {
    match target {
        Target::Mips64el => Some(
            "Go passes -mhard-float (GOMIPS64=hardfloat) to the C compiler, and zig cc has no such MIPS feature",
        ),
        _ => None,
    }
}

/// One Go program for one target, as the plan gives it: cgo's C toolchain (resolved once
/// for every artifact of the run; `None` without cgo), the C libraries muslbuild built for
/// the target (`--lib zlib`, linked after the user's own), the build's share of the `-j`
/// budget (`go build -p`), and whether to bypass the build cache (`--check-reproducible`'s
/// second build).
pub(crate) struct GoTarget<'a> {
    pub(crate) target: Target,
    pub(crate) toolchain: Option<&'a Toolchain>,
    pub(crate) libraries: Option<&'a libs::Prepared>,
    pub(crate) share: usize,
    pub(crate) bypass_cache: bool,
}

/// `go build -p` for each of `concurrent` builds sharing a budget of `total` jobs. The
/// shares never add up to more than the budget, so acquiring them cannot deadlock.
pub(crate) fn share_of(total: usize, concurrent: usize) -> usize {
    let concurrent = concurrent.clamp(1, total.max(1));
    (total / concurrent).max(1)
}

/// Builds `plan` for one target through the shared tail. A target that fails leaves
/// nothing in `dist/`.
pub(crate) fn build_one(plan: &GoPlan, on: &GoTarget<'_>, dist: &Dist, ctx: &Ctx) -> Result<Built> {
    let (target, share) = (on.target, on.share);
    let GoPlan {
        program, go, cgo, ..
    } = plan;
    go.check_supports(target)?;
    let mut settings = plan.settings.clone();
    settings.jobs = Some(settings.jobs.unwrap_or(share));
    let mut label = go.label();
    if let Some(flags) = cgo {
        let tc = on
            .toolchain
            .expect("the plan resolves a C toolchain for every cgo build")
            .clone();
        if tc.flavor == Flavor::Zig
            && let Some(reason) = zig_cgo_gap(target)
        {
            return Err(Error::ToolchainCannotBuild {
                provider: "zig",
                target,
                reason: format!("cgo: {reason}"),
                help: format!(
                    "build {target} without --cgo, or with a GCC for it: --toolchain musl-cross or musl-gcc (`muslbuild toolchain list --target {target}` shows what is here)"
                ),
            });
        }
        label = format!("{label} + {}", tc.label());
        let mut flags = flags.clone();
        if let Some(set) = on.libraries.and_then(|p| p.link_set(target)) {
            flags.include_dirs.extend(set.include_dirs.iter().cloned());
            flags.lib_dirs.extend(set.lib_dirs.iter().cloned());
            // The user's libraries may use the recipes' ones: a static link needs them
            // first.
            flags.libs.extend(set.libs.iter().cloned());
        }
        settings.cgo = Some(Cgo {
            toolchain: tc,
            flags,
        });
    }
    let (key, command) = cache_key(program, target, go, &settings, ctx)?;
    let places = key_places(program, go, &settings, ctx);
    let job = TargetJob {
        name: &program.name,
        target,
        made_by: MadeBy {
            tool: if settings.cgo.is_some() {
                "go+cgo"
            } else {
                "go"
            }
            .into(),
            version: label.clone(),
            label,
            origin: None,
            kernel_headers: settings
                .cgo
                .as_ref()
                .and_then(|cgo| cgo.toolchain.kernel_headers.as_ref())
                .map(|h| h.package.clone()),
        },
        caching: Caching::Keyed {
            key,
            command,
            bypass: on.bypass_cache,
            places,
        },
    };
    crate::pipeline::finish_target(job, dist, ctx, |staged, _| {
        let name = &program.name;
        let log = ctx.cache.log_file(&format!("{name}-{target}.log"));
        // What the build reads, from the package's own files where that is enough (no `go`
        // spawned beside the build); else from `go list -deps`, which does not depend on
        // the build's output: running it beside the build hides most of its cost (it
        // loads every package again) behind the link.
        let user_flags: Vec<&str> = settings
            .goflags
            .iter()
            .chain(&settings.go_args)
            .map(String::as_str)
            .collect();
        // A workspace, or GOPATH mode, takes packages from elsewhere than the module.
        let elsewhere = ctx
            .env
            .get_str("GOWORK")
            .is_some_and(|v| !v.is_empty() && v != "off")
            || ctx.env.get_str("GO111MODULE") == Some("off");
        let read = if on.bypass_cache {
            None
        } else {
            super::package::local_files(program, &user_flags, elsewhere)
        };
        if let Some(files) = read {
            self::build(program, target, go, &settings, staged, &log, ctx)?;
            return Ok(files);
        }
        let (built, listed) = std::thread::scope(|scope| {
            let listing = (!on.bypass_cache)
                .then(|| scope.spawn(|| list_deps(program, target, go, &settings, ctx)));
            let built = self::build(program, target, go, &settings, staged, &log, ctx);
            let listed = listing.map(|h| h.join().expect("go list thread panicked"));
            (built, listed)
        });
        built?;
        match listed {
            Some(listed) => listed,
            None => Ok(Vec::new()),
        }
    })
}

/// What decides a Go artifact before `go build` runs: the exact command and its
/// environment (flags, tags, GOARCH, cgo's compiler), Go itself (its version and its
/// program's content), the C toolchain for cgo, and the module files that pin every
/// dependency. The packages' own files are recorded after the build (`list_deps`) and
/// checked on lookup, so a warm build spawns no `go` at all. No folder of this machine
/// counts (`-trimpath` keeps them out of the output): the command names the module's
/// folder `{root}`, the cache `{cache}`, Go `{go}`, cgo's compiler `{cc}` and muslbuild
/// (zig's wrapper) `{muslbuild}`.
pub(super) fn cache_key(
    program: &GoProgram,
    target: Target,
    go: &GoToolchain,
    settings: &GoSettings,
    ctx: &Ctx,
) -> Result<(String, String)> {
    let mut settings = settings.clone();
    // `-p` changes how fast, not what; Go's build cache where, not what.
    settings.jobs = None;
    settings.gocache = None;
    let command = command(program, target, go, &settings, Path::new("OUT"), ctx)?.display();
    let places = key_places(program, go, &settings, ctx);
    let mut key = CacheKey::new(KeyKind::GoProgram)
        .part("target", target.name())
        .part("go-version", &go.version)
        .part(
            "go",
            crate::toolchain::model::program_sha256(&go.go, ctx)
                .unwrap_or_else(|| go.go.display().to_string()),
        )
        .command("command", &command, &places)
        .maybe(
            "cgo-toolchain",
            settings.cgo.as_ref().map(|cgo| &cgo.toolchain.fingerprint),
        );
    for file in ["go.mod", "go.sum", "go.work", "vendor/modules.txt"] {
        let path = program.dir.join(file);
        key = key.part(
            file,
            crate::sys::hash::file_sha256(&path).unwrap_or_default(),
        );
    }
    Ok((key.finish(), command))
}

/// The folders a Go key names by words: the module's folder `{root}`, the cache
/// `{cache}`, Go `{go}`, cgo's compiler `{cc}` and muslbuild (zig's wrapper)
/// `{muslbuild}`.
fn key_places(program: &GoProgram, go: &GoToolchain, settings: &GoSettings, ctx: &Ctx) -> Places {
    let mut places = Places::new()
        .root(&program.dir)
        .cache(ctx.cache.root())
        .with(&go.go, "{go}");
    if let Some(cgo) = &settings.cgo {
        places = cgo.toolchain.key_places(places);
    }
    if let Some(muslbuild) = ctx.env.program() {
        places = places.with(muslbuild, "{muslbuild}");
    }
    places
}

/// Every file the build read outside Go's own standard library (package folders and
/// their Go, C, assembly and embedded files), from `go list -deps` with the build's own
/// environment and tags.
fn list_deps(
    program: &GoProgram,
    target: Target,
    go: &GoToolchain,
    settings: &GoSettings,
    ctx: &Ctx,
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
    let build = command(program, target, go, settings, Path::new("OUT"), ctx)?;
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
    let log = ctx
        .cache
        .log_file(&format!("{}-{target}.deps.log", program.name));
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
