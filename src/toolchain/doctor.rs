//! `toolchain doctor`: per target, what works, what is missing, and the command that fixes
//! it; then Go and the installed toolchains.

use std::path::PathBuf;

use super::installed::{installed_go, list_installed};
use super::manifest::{Manifest, Want};
use super::model::{Choice, ToolchainRequest};
use crate::context::Ctx;
use crate::error::Result;
use crate::target::Target;

/// `toolchain doctor`: per target, what works, what is missing, and the command that
/// fixes it. Probes every candidate (a first zig probe per target takes a while).
pub(crate) fn doctor(manifest: &Manifest, ctx: &Ctx) -> Result<String> {
    let (env, cache) = (&ctx.env, &ctx.cache);
    use std::fmt::Write;
    let mut out = String::new();
    let settings = &ctx.net;
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
    let request = ToolchainRequest::new(Choice::Auto, None);
    for target in Target::ALL {
        let _ = writeln!(out, "\n{target}:");
        let mut picked = false;
        for candidate in super::candidates(target, &request, ctx) {
            match super::probe(&candidate, ctx)? {
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
        .or_else(|| installed_go(cache).map(|(go, _)| go));
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
