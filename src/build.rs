//! The C pipeline for one program: per target (concurrently, within the `-j` budget)
//! resolve a toolchain, compile and link into staging, verify, install into `dist/`;
//! then record the manifest. A target that fails leaves nothing in `dist/`.

use std::path::PathBuf;

use crate::cache::Cache;
use crate::compile::{self, CProgram};
use crate::dist::{Artifact, Dist, Verification};
use crate::env::Env;
use crate::error::Result;
use crate::jobs::Jobs;
use crate::target::Target;
use crate::toolchain;
use crate::verify;

pub struct Built {
    pub target: Target,
    pub path: PathBuf,
    pub artifact: Artifact,
    /// What built it, for the summary line: `zig 0.17.1`, `go 1.27.3 + zig 0.17.1`.
    pub toolchain: String,
}

pub struct CBuild<'a> {
    pub program: &'a CProgram,
    pub targets: &'a [Target],
    pub toolchain: &'a toolchain::Request,
    pub jobs: &'a Jobs,
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
    std::thread::scope(|scope| {
        let handles: Vec<_> = build
            .targets
            .iter()
            .map(|&target| {
                scope.spawn(move || {
                    let _slot = build.jobs.acquire();
                    (target, build_one(build, target, dist, env, cache))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("build thread panicked"))
            .collect()
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
    let name = &build.program.name;
    let staging = dist.staging()?;
    let staged = staging.path().join(name);
    let log = cache.dir("logs").join(format!("{name}-{target}.log"));
    let mut program = build.program.clone();
    if let Some(set) = build.libraries.and_then(|p| p.link_set(target)) {
        program.link_libraries(set);
    }
    compile::compile(&program, &toolchain, &staged, &log)?;
    let report = verify::verify_file(&staged, Some(target))?.into_result()?;
    let path = dist.install(&staged, target, name)?;
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
    Ok(Built {
        target,
        path,
        artifact,
        toolchain: toolchain.label(),
    })
}
