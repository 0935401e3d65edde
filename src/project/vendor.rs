//! A project's C libraries and vendored projects: its `[lib.NAME]` and `[vendor.NAME]`
//! tables as `libs` recipes, and a vendored project's programs taken from its install
//! through the shared tail.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::config::{self, Project};
use crate::context::Ctx;
use crate::dist_folder::Dist;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::libs::{self, Recipe};
use crate::pipeline::{Built, Caching, MadeBy, TargetJob};
use crate::sys::ui::Ui;
use crate::target::Target;
use crate::toolchain;

/// (vendored project, target) -> the root its install is read from.
pub(crate) fn vendor_roots<'a>(
    builds: impl IntoIterator<Item = (&'a config::VendorProject, &'a libs::Prepared)>,
) -> BTreeMap<(String, Target), PathBuf> {
    let mut roots = BTreeMap::new();
    for (v, prepared) in builds {
        for outcome in prepared.outcomes.iter().filter(|o| o.name == v.name) {
            roots.insert(
                (v.name.clone(), outcome.target),
                vendor_install_root(outcome),
            );
        }
    }
    roots
}

/// The folder a vendored project's install lies in for one target: its staged install
/// (the `DESTDIR` root), whose layout is the installed one (`/usr/share/x` at
/// `<root>/usr/share/x`).
fn vendor_install_root(outcome: &libs::LibOutcome) -> PathBuf {
    outcome
        .staged
        .clone()
        .unwrap_or_else(|| outcome.prefix.clone())
}

/// Where installed path `source` (`/etc/foo.conf`) of vendored project `name` lies on
/// this machine for `target`: the install's root and the path under it.
pub(crate) fn vendor_installed_path(
    roots: &BTreeMap<(String, Target), PathBuf>,
    name: &str,
    target: Target,
    source: &str,
) -> Result<(PathBuf, String)> {
    let root = roots.get(&(name.to_string(), target)).ok_or_else(|| {
        Error::usage(
            format!("vendored project `{name}` is not built for {target}"),
            "an image's vendor-files come from [vendor.NAME] projects this build installs",
        )
    })?;
    let relative = source.trim_start_matches('/');
    Ok((root.clone(), relative.to_string()))
}

/// What vendored program `program` is made of, per target: its project and the
/// libraries that project declares, less those the link check found this program does
/// not use (recorded with the staged install as `unused_by_program`; an install
/// recorded before that check keeps them all).
pub(crate) fn program_components(
    v: &config::VendorProject,
    prepared: &libs::Prepared,
    program: &str,
) -> Vec<(Target, Vec<crate::sbom::Component>)> {
    prepared
        .components_with_projects()
        .into_iter()
        .map(|(target, components)| {
            let unused: Vec<String> = prepared
                .outcomes
                .iter()
                .find(|o| o.name == v.name && o.target == target)
                .and_then(|o| o.staged.as_ref())
                .and_then(|staged| std::fs::read(staged.join(crate::cache::COMPLETE)).ok())
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .and_then(|r| serde_json::from_value(r["unused_by_program"][program].clone()).ok())
                .unwrap_or_default();
            let linked = components
                .into_iter()
                .filter(|c| !unused.contains(&c.name))
                .collect();
            (target, linked)
        })
        .collect()
}

/// One installed program of a vendored project, for one target: from the project's
/// prefix (`bin/` or `sbin/`) through staging and verification into dist.
/// What the link check found for a vendored project (recorded with its staged install,
/// so a cached build warns as the first one did): a warning, or with `--strict` an error.
pub(crate) fn unused_libraries(
    v: &config::VendorProject,
    prepared: &libs::Prepared,
    strict: bool,
    ui: Ui,
) -> Result<()> {
    for outcome in prepared.outcomes.iter().filter(|o| o.name == v.name) {
        let Some(staged) = &outcome.staged else {
            continue;
        };
        let record = std::fs::read(staged.join(crate::cache::COMPLETE)).unwrap_or_default();
        let unused: Vec<String> = serde_json::from_slice::<serde_json::Value>(&record)
            .ok()
            .and_then(|r| serde_json::from_value(r["unused_libraries"].clone()).ok())
            .unwrap_or_default();
        for line in unused {
            let message = format!(
                "vendored project `{}` for {}: {line}",
                v.name, outcome.target
            );
            let help = "its configure did not find it (see the check above, and config.log in the build tree); pass the library's paths in `configure.args` or fix the check, or drop it from `libs`";
            if strict {
                return Err(Error::UnusedLibrary {
                    message,
                    help: help.into(),
                });
            }
            ui.warn(format_args!("{message}\nhelp: {help}"));
        }
    }
    Ok(())
}

pub(crate) fn install_vendored(
    v: &config::VendorProject,
    program: &str,
    tc: &toolchain::Toolchain,
    prepared: &libs::Prepared,
    dist: &Dist,
    ctx: &Ctx,
) -> Result<Built> {
    let target = tc.target;
    let outcome = prepared
        .outcomes
        .iter()
        .find(|o| o.name == v.name && o.target == target)
        .expect("prepare reports every library for every toolchain");
    let found = ["bin", "sbin"]
        .iter()
        .map(|d| outcome.prefix.join(d).join(program))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            let installed = libs::vendor::installed_programs(&outcome.prefix);
            let prefix = v.recipe.runtime_prefix();
            Error::ImageInput {
                message: format!(
                    "vendored project `{}` installed no program `{program}` for {target}",
                    v.name
                ),
                help: if installed.is_empty() {
                    format!(
                        "its install put nothing in {prefix}/bin or {prefix}/sbin (staged in {}); check the install step",
                        outcome.prefix.display()
                    )
                } else {
                    format!(
                        "its install made {} under {prefix}; list those names in `programs`",
                        installed.join(", ")
                    )
                },
            }
        })?;
    let job = TargetJob {
        name: program,
        target,
        made_by: MadeBy {
            tool: tc.provider.name().to_string(),
            version: tc.version.clone(),
            label: tc.label(),
            origin: dist
                .sbom_plan()
                .map(|_| crate::toolchain::origin::origin(tc)),
            kernel_headers: tc.kernel_headers.as_ref().map(|h| h.package.clone()),
        },
        // From the remote cache, as from this one, nothing of it was built here.
        caching: Caching::Outside {
            reused: matches!(
                outcome.state,
                libs::LibState::Cached | libs::LibState::Remote
            ),
        },
    };
    crate::pipeline::finish_target(job, dist, ctx, |staged, _| {
        crate::pipeline::cache::restore(&found, staged)?;
        Ok(Vec::new())
    })
}

/// The toolchain request of a project's builds for `targets`: `choice`, with the
/// kernel headers `kernel_headers` pins (`--kernel-headers`, else the file's
/// `kernel-headers`) unpacked for them, looked for in the project's source folders.
pub(crate) fn toolchain_request(
    project: &Project,
    choice: crate::toolchain::Choice,
    cc: Option<String>,
    kernel_headers: Option<&str>,
    targets: &[Target],
    ctx: &crate::context::Ctx,
) -> crate::error::Result<crate::toolchain::ToolchainRequest> {
    let mut request = crate::toolchain::ToolchainRequest::new(choice, cc);
    let source_dirs = lib_request(project, Vec::new(), None, false, &ctx.env).source_dirs;
    request.kernel_headers = libs::kheaders::prepare(
        kernel_headers.or(project.kernel_headers.as_deref()),
        targets,
        &source_dirs,
        ctx,
    )?;
    Ok(request)
}

pub(crate) fn lib_request(
    project: &Project,
    names: Vec<String>,
    extra: Option<Recipe>,
    keep_failed: bool,
    env: &Env,
) -> libs::LibRequest {
    let mut vendored = project.libs.clone();
    vendored.extend(extra);
    let mut source_dirs = project.source_dirs.clone();
    source_dirs.extend(env.source_dirs());
    libs::LibRequest {
        names,
        vendored,
        source_dirs,
        keep_failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendored_paths_are_read_under_their_install_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("share/v")).unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        let roots: BTreeMap<(String, Target), PathBuf> =
            [(("v".to_string(), Target::X86_64), dir.path().to_path_buf())].into();
        let at = |source: &str| vendor_installed_path(&roots, "v", Target::X86_64, source);
        assert_eq!(at("/etc/v.conf").unwrap().1, "etc/v.conf");
        // The staged install has the installed layout: `/usr/share/v` at `usr/share/v`.
        assert_eq!(at("/usr/share/v").unwrap().1, "usr/share/v");
        assert!(vendor_installed_path(&roots, "v", Target::Aarch64, "/etc/v.conf").is_err());
    }
}
