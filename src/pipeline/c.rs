//! The C pipeline for one program: per target (concurrently, within the `-j` budget)
//! resolve a toolchain, compile and link into staging, verify, install into `dist/`;
//! then record the manifest. A target that fails leaves nothing in `dist/`. Every
//! artifact goes through the build cache (`incremental`): an unchanged one is restored
//! without running the compiler.

use std::path::PathBuf;

use crate::cache::Cache;
use crate::dist::{Artifact, Dist, Verification};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::jobs::Jobs;
use crate::pipeline::cache::{self as incremental, Slot};
use crate::pipeline::compile::{self as compile, CProgram};
use crate::target::Target;
use crate::toolchain::{self, Toolchain};
use crate::verify;

pub struct Built {
    pub target: Target,
    pub path: PathBuf,
    pub artifact: Artifact,
    /// What built it, for the summary line: `zig 0.17.1`, `go 1.27.3 + zig 0.17.1`.
    pub toolchain: String,
    /// Restored from the build cache: no compiler, configure or `go build` ran.
    pub cached: bool,
}

pub struct CBuild<'a> {
    pub program: &'a CProgram,
    pub targets: &'a [Target],
    pub toolchain: &'a toolchain::ToolchainRequest,
    pub jobs: &'a Jobs,
    /// Build even when the cache has the artifact, and do not record it
    /// (`--check-reproducible`'s second build).
    pub bypass_cache: bool,
    /// Per-target library prefixes (`--lib`), already built.
    pub libraries: Option<&'a crate::libs::Prepared>,
}

/// Builds every target; the results come back in the order of `targets`.
pub fn build_c(
    build: &CBuild<'_>,
    dist: &Dist,
    env: &Env,
    cache: &Cache,
) -> Vec<(Target, Result<Built>)> {
    crate::jobs::per_target(build.targets, |target| {
        let _slot = build.jobs.acquire();
        build_one(build, target, dist, env, cache)
    })
}

fn build_one(
    build: &CBuild<'_>,
    target: Target,
    dist: &Dist,
    env: &Env,
    cache: &Cache,
) -> Result<Built> {
    let toolchain = toolchain::resolve(target, build.toolchain, env, cache)?;
    let mut program = build.program.clone();
    if let Some(set) = build.libraries.and_then(|p| p.link_set(target)) {
        program.link_libraries(set);
    }
    let name = &program.name;
    let staging = dist.staging()?;
    let staged = staging.path().join(name);
    let (key, command) = key(&program, &toolchain)?;
    let slot = Slot::new(cache, name, target, &key);
    let cached =
        incremental::restore_hit(&slot, build.bypass_cache, &staged, (name, target), &command)?;
    let mut deps = Vec::new();
    if !cached {
        let log = cache.dir("logs").join(format!("{name}-{target}.log"));
        let depfile = staging.path().join(".deps.d");
        let cmd = compile::command(&program, &toolchain, &staged)
            .arg("-MD")
            .arg("-MF")
            .arg(&depfile);
        compile::run(cmd, &program, &toolchain, &log)?;
        // With several sources one depfile holds only the last one's; the others get a
        // preprocessor-only pass of their own.
        deps = read_depfile(&depfile, env)?;
        let deps_log = cache.dir("logs").join(format!("{name}-{target}.deps.log"));
        let (_, others) = program.sources.split_last().expect("a program has sources");
        for (i, source) in others.iter().enumerate() {
            let depfile = staging.path().join(format!(".deps-{i}.d"));
            let mut one = program.clone();
            one.sources = vec![source.clone()];
            let cmd = compile::command(&one, &toolchain, std::path::Path::new("/dev/null"))
                .arg("-M")
                .arg("-MF")
                .arg(&depfile);
            compile::run(cmd, &program, &toolchain, &deps_log)?;
            deps.extend(read_depfile(&depfile, env)?);
        }
    }
    let report = verify::verify_file(&staged, Some(target))?.into_result()?;
    if !cached && !build.bypass_cache {
        slot.store(cache, &staged, &deps)?;
    }
    let facts_machine = target.elf().machine;
    let artifact = Artifact {
        name: name.clone(),
        target: target.name().to_string(),
        path: Dist::relative_path(target, name),
        size: report.size,
        sha256: report.sha256.clone(),
        toolchain: toolchain.provider.name().to_string(),
        toolchain_version: toolchain.version.clone(),
        verification: Verification {
            ok: report.ok,
            is_static: true,
            static_pie: report.static_pie,
            stripped: report.stripped,
            machine: verify::machine_name(facts_machine),
        },
    };
    let path = dist.install(&staged, &artifact)?;
    Ok(Built {
        target,
        path,
        artifact,
        toolchain: toolchain.label(),
        cached,
    })
}

/// What decides the artifact before the compiler runs: the exact command line (flags,
/// include and library folders, whose cached prefixes are named by their keys), the
/// sources' contents, the toolchain's fingerprint and the target.
fn key(program: &CProgram, toolchain: &Toolchain) -> Result<(String, String)> {
    let command = compile::command(program, toolchain, std::path::Path::new("OUT")).display();
    let mut parts = vec![
        incremental::LOGIC.to_string(),
        toolchain.target.name().to_string(),
        toolchain.fingerprint.clone(),
        command.clone(),
    ];
    for source in &program.sources {
        parts.push(source.display().to_string());
        parts.push(incremental::file_sha256(source).map_err(Error::io("cannot read", source))?);
    }
    Ok((crate::cache::key(parts), command))
}

fn read_depfile(path: &std::path::Path, env: &Env) -> Result<Vec<PathBuf>> {
    let text = std::fs::read(path).map_err(Error::io("cannot read", path))?;
    Ok(incremental::parse_depfile(&text, &env.cwd))
}
