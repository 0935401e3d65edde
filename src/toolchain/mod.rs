//! Toolchains: a C compiler driver plus `ar` and `ranlib`, with the provider that found it,
//! its version, and a fingerprint used in cache keys. `discover` lists the candidates for
//! a target in the design's order; `probe` decides, once per fingerprint, whether one can
//! link a static musl executable for that target.

mod discover;
pub(crate) mod doctor;
mod fetch;
pub(crate) mod install;
pub(crate) mod installed;
pub(crate) mod manifest;
pub(crate) mod model;
pub(crate) mod origin;
pub mod probe;
mod support;
mod zig_libc;
pub mod zigld;

use std::path::Path;

pub(crate) use discover::Candidate;
pub use installed::installed_bin_dirs;
pub(crate) use model::{
    Choice, Flavor, KernelHeaders, Provider, Toolchain, ToolchainRequest, file_stamp,
};
pub(crate) use probe::python_package_program;
pub(crate) use probe::{Verdict, known, probe, probe_announced};

use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::target::Target;

/// Every candidate for `target`, in resolution order: discovery's PATH look-ups and
/// stats, given the one answer that needs a process (where Python's `ziglang` keeps zig).
pub(crate) fn candidates(target: Target, request: &ToolchainRequest, ctx: &Ctx) -> Vec<Candidate> {
    let env = &ctx.env;
    let path = env.path().cloned().unwrap_or_default();
    let find = |name: &str| which::which_in(name, Some(&path), &env.cwd).ok();
    let zig_in_python = python_package_program("ziglang", Path::new("zig"), ctx, &find);
    discover::candidates(target, request, env, &ctx.cache, zig_in_python)
}

/// Resolves the toolchain for `target`: the first candidate (in the design's order) that
/// `choice` allows and that passes the probe.
///
/// When none works and `request` allows it, installs the first verified toolchain of the
/// manifest (said on stderr) and tries again; offline, the error says what to install.
pub(crate) fn resolve(target: Target, request: &ToolchainRequest, ctx: &Ctx) -> Result<Toolchain> {
    check_can_build(target, request, ctx)?;
    match resolve_found(target, request, ctx) {
        Err(err @ Error::NoToolchain { .. }) if install::may_auto_install(request) => {
            match install::ensure_installed(target, request, ctx)? {
                Some(_) => resolve_found(target, request, ctx),
                None => Err(err),
            }
        }
        other => other,
    }
}

/// `resolve` among what is already on the machine, installing nothing.
pub(crate) fn resolve_found(
    target: Target,
    request: &ToolchainRequest,
    ctx: &Ctx,
) -> Result<Toolchain> {
    let all = candidates(target, request, ctx);
    let allowed: Vec<&Candidate> = all.iter().filter(|c| allows(request, c)).collect();
    let mut rejected = Vec::new();
    for candidate in &allowed {
        match probe(candidate, ctx)? {
            Verdict::Usable {
                version,
                fingerprint,
            } => {
                let toolchain =
                    support::with_support(candidate.toolchain(version, fingerprint), ctx)?;
                return Ok(match request.kernel_headers_for(target) {
                    Some(headers) => toolchain.with_kernel_headers(headers.clone()),
                    None => toolchain,
                });
            }
            Verdict::Unusable { reason, .. } => {
                rejected.push(format!("{} ({reason})", candidate.describe()))
            }
        }
    }
    let looked_for = if rejected.is_empty() {
        discover::looked_for(target, request)
    } else {
        format!(
            "{}; found but unusable: {}",
            discover::looked_for(target, request),
            rejected.join(", ")
        )
    };
    let others: Vec<Candidate> = all
        .iter()
        .filter(|c| !allows(request, c))
        .cloned()
        .collect();
    Err(Error::NoToolchain {
        target,
        looked_for,
        help: format!(
            "{}{}",
            no_toolchain_help(target, request),
            found_here(&others)
        ),
    })
}

/// Why `provider` can never build `target`, whatever is installed; `None` when it can.
pub(crate) fn cannot_build(provider: Provider, target: Target) -> Option<String> {
    match provider {
        Provider::MuslGcc if Target::host() != Some(target) && target.debian().is_none() => {
            Some(format!(
                "the distribution's musl-gcc builds for the machine's own architecture, and Debian has no cross musl for {target} ({})",
                target.oci_platform_string()
            ))
        }
        _ => None,
    }
}

/// A linker option zig cannot take, as the user sees it: what passed it, and the GCC
/// toolchains that can build `target` (GNU ld takes every GNU ld option).
/// `log`, when a build step ran and failed on it, is named for the rest of its output.
pub(crate) fn linker_arg_refused(
    subject: String,
    target: Target,
    refusal: zigld::Refusal,
    log: Option<&Path>,
) -> Error {
    let mut gccs = vec![format!(
        "a musl-cross `{}-gcc` (`--toolchain musl-cross`)",
        target.gnu_triple()
    )];
    if cannot_build(Provider::MuslGcc, target).is_none() {
        gccs.push(match target.debian() {
            Some(debian) if Target::host() != Some(target) => format!(
                "Debian's `{}-gcc` with musl-dev:{}'s specs (`--toolchain musl-gcc`)",
                debian.gnu_prefix, debian.arch
            ),
            _ => "Debian's musl-gcc (`--toolchain musl-gcc`)".to_string(),
        });
    }
    Error::LinkerArgRefused(Box::new(crate::error::RefusedLinkerArg {
        subject,
        target,
        option: refusal.option,
        given: refusal.given,
        why: refusal.why,
        help: format!(
            "GNU ld takes it: link with a GCC toolchain, {}; or leave the option out{}",
            gccs.join(" or "),
            log.map(|l| format!(" (the step's log is {})", l.display()))
                .unwrap_or_default()
        ),
    }))
}

/// `--toolchain P` where P can never build the target: said before anything is looked
/// for or installed, naming the toolchains that can and the ones found here.
fn check_can_build(target: Target, request: &ToolchainRequest, ctx: &Ctx) -> Result<()> {
    let Choice::Provider(provider) = request.choice else {
        return Ok(());
    };
    if request.cc.is_some() {
        return Ok(());
    }
    let Some(reason) = cannot_build(provider, target) else {
        return Ok(());
    };
    let auto = ToolchainRequest::new(Choice::Auto, None);
    let found = found_here(&candidates(target, &auto, ctx));
    Err(Error::ToolchainCannotBuild {
        provider: provider.name(),
        target,
        reason,
        help: format!(
            "{target} builds with zig (`--toolchain zig`; `python3 -m pip install ziglang`) or a musl-cross `{}-gcc` (`--toolchain musl-cross`){found}",
            target.gnu_triple()
        ),
    })
}

/// `; found here for riscv64: zig (python3 -m ziglang)`: the candidates discovery saw,
/// unprobed (a first zig probe builds musl: too slow for an error message).
fn found_here(candidates: &[Candidate]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for c in candidates
        .iter()
        .filter(|c| c.provider != Provider::Override)
    {
        let item = format!("{} ({})", c.provider, c.origin);
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    match (candidates.first(), seen.is_empty()) {
        (Some(first), false) => format!("; found here for {}: {}", first.target, seen.join(", ")),
        _ => String::new(),
    }
}

fn allows(request: &ToolchainRequest, candidate: &Candidate) -> bool {
    if request.cc.is_some() {
        return candidate.provider == Provider::Override;
    }
    match &request.choice {
        Choice::Auto => true,
        Choice::Provider(p) => candidate.provider == *p,
        Choice::Path(_) => candidate.provider == Provider::Override,
    }
}

pub(crate) fn no_toolchain_help(target: Target, request: &ToolchainRequest) -> String {
    let distro = match target.debian() {
        _ if Target::host() == Some(target) => ", or `apt-get install musl-tools`".to_string(),
        Some(debian) => format!(
            ", or `dpkg --add-architecture {arch} && apt-get update && apt-get install gcc-{prefix} musl-dev:{arch}`",
            arch = debian.arch,
            prefix = debian.gnu_prefix
        ),
        None => String::new(),
    };
    let mut help = format!(
        "get one with `python3 -m pip install ziglang` (zig cc covers every target){distro}, or put a musl-cross `{}-gcc` on PATH",
        target.gnu_triple()
    );
    if request.cc.is_some() || matches!(request.choice, Choice::Path(_) | Choice::Provider(_)) {
        help.push_str("; or drop --cc/--toolchain to let muslbuild pick any working one");
    }
    help.push_str("; `muslbuild toolchain list` shows what was found");
    help
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn choices_parse() {
        assert_eq!("auto".parse::<Choice>().unwrap(), Choice::Auto);
        assert_eq!(
            "zig".parse::<Choice>().unwrap(),
            Choice::Provider(Provider::Zig)
        );
        assert_eq!(
            "./cc".parse::<Choice>().unwrap(),
            Choice::Path(PathBuf::from("./cc"))
        );
        assert!(matches!("clang".parse::<Choice>(), Err(Error::Usage(..))));
    }

    #[test]
    fn musl_gcc_builds_only_where_debian_has_a_musl() {
        for target in Target::ALL {
            let impossible = cannot_build(Provider::MuslGcc, target);
            let expected = Target::host() != Some(target) && target.debian().is_none();
            assert_eq!(impossible.is_some(), expected, "{target}");
            assert_eq!(cannot_build(Provider::Zig, target), None);
            assert_eq!(cannot_build(Provider::MuslCross, target), None);
        }
        let reason = cannot_build(Provider::MuslGcc, Target::Loongarch64).unwrap();
        assert!(reason.contains("no cross musl for loongarch64"), "{reason}");
        // Debian has no armv6: its armel is v5 soft float, its armhf v7.
        assert!(cannot_build(Provider::MuslGcc, Target::Armv6).is_some());
    }

    #[test]
    fn a_refused_linker_option_names_the_gcc_toolchains_of_its_target() {
        let refusal = || zigld::Refusal {
            option: "--defsym x=1".into(),
            given: "-Wl,--defsym,x=1".into(),
            why: "it defines a symbol's value at link time".into(),
        };
        let help = |target| match linker_arg_refused("`t`".into(), target, refusal(), None) {
            Error::LinkerArgRefused(refused) => {
                assert_eq!(refused.target, target);
                refused.help
            }
            other => panic!("{other:?}"),
        };
        let aarch64 = help(Target::Aarch64);
        assert!(aarch64.contains("`aarch64-linux-musl-gcc`"), "{aarch64}");
        assert!(
            aarch64.contains("`aarch64-linux-gnu-gcc` with musl-dev:arm64's specs"),
            "{aarch64}"
        );
        // No Debian musl for loongarch64: a musl-cross gcc only.
        let loong = help(Target::Loongarch64);
        assert!(
            loong.contains("musl-cross") && !loong.contains("--toolchain musl-gcc"),
            "{loong}"
        );
        let err = linker_arg_refused("`t`".into(), Target::Armv7, refusal(), None);
        assert_eq!(err.exit_code(), 6);
        assert_eq!(
            err.to_string(),
            "`t` for armv7 passes `--defsym x=1` (as `-Wl,--defsym,x=1`), which zig's linker cannot take: it defines a symbol's value at link time"
        );
    }

    #[test]
    fn help_names_concrete_commands() {
        let request = ToolchainRequest::new(Choice::Auto, None);
        let help = no_toolchain_help(Target::Aarch64, &request);
        assert!(help.contains("pip install ziglang"), "{help}");
        assert!(help.contains("dpkg --add-architecture arm64"), "{help}");
        assert!(help.contains("musl-dev:arm64"), "{help}");
        assert!(help.contains("gcc-aarch64-linux-gnu"), "{help}");
    }
}
