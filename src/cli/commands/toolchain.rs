//! `muslbuild toolchain list|install|remove|prune|doctor`: which compiler (and which Go)
//! each target would be built with, and the toolchains muslbuild installs in its cache.

use serde::Serialize;

use crate::cli::print::Printer;
use crate::cli::{
    TargetArgs, ToolchainCommand, ToolchainInstallArgs, ToolchainListArgs, ToolchainRemoveArgs,
    checks,
};
use crate::context::Ctx;
use crate::error::Result;
use crate::pipeline::go::{self, GoListing};
use crate::sys::progress;
use crate::target::Target;
use crate::toolchain::install::{self as installer, InstallOptions};
use crate::toolchain::manifest::{ManifestProvider, Want};
use crate::toolchain::{self, Verdict};

pub(crate) fn run(command: &ToolchainCommand, out: &mut Printer, ctx: &Ctx) -> Result<()> {
    match command {
        ToolchainCommand::List(args) => list(args, out, ctx),
        ToolchainCommand::Install(args) => install(args, out, ctx),
        ToolchainCommand::Remove(args) => remove(args, out, ctx),
        ToolchainCommand::Prune(args) => {
            let manifest = installer::load_manifest(args.manifest.as_deref(), &ctx.env)?;
            let removed = crate::toolchain::installed::prune(&manifest, &ctx.cache)?;
            if removed.is_empty() && ctx.ui.says_progress() {
                eprintln!("muslbuild: nothing to prune");
            }
            out.report(&removed, || {
                removed
                    .iter()
                    .map(|path| format!("removed: {}\n", path.display()))
                    .collect()
            })
        }
        ToolchainCommand::Doctor(args) => {
            let manifest = installer::load_manifest(args.manifest.as_deref(), &ctx.env)?;
            out.text(&crate::toolchain::doctor::doctor(&manifest, ctx)?)
        }
    }
}

/// One candidate toolchain for one target, as `toolchain list` shows it.
#[derive(Serialize)]
struct CandidateRow {
    target: Target,
    provider: String,
    origin: String,
    command: String,
    version: String,
    /// False until the candidate is probed (`--probe`, or a build for the target): its
    /// `usable` and `version` are then unknown.
    probed: bool,
    usable: bool,
    reason: Option<String>,
    /// What `--toolchain auto` picks (C toolchains only), once the candidates before it
    /// are known to be unusable.
    auto: bool,
    /// What a build uses: the `auto` pick for C, the Go `go::resolve` picks for Go.
    used: bool,
}

impl CandidateRow {
    /// The row that says no candidate can be used, and why.
    fn none(target: Target, provider: &str, reason: String) -> CandidateRow {
        CandidateRow {
            target,
            provider: provider.into(),
            origin: String::new(),
            command: String::new(),
            version: String::new(),
            probed: true,
            usable: false,
            reason: Some(reason),
            auto: false,
            used: false,
        }
    }
}

/// Every C toolchain and Go per target, with the verdicts already known: listing spawns
/// no compiler (a zig's first probe for a target builds its libc), `--probe` does. The
/// listing is what the command is for, so `-q` does not hide it.
fn list(args: &ToolchainListArgs, out: &mut Printer, ctx: &Ctx) -> Result<()> {
    let targets = if args.targets.is_empty() {
        Target::ALL.to_vec()
    } else {
        checks::targets(&TargetArgs {
            targets: args.targets.clone(),
        })?
    };
    let request = checks::toolchain_request(&args.toolchain)?;
    if args.probe {
        probe_all(&targets, &request, ctx)?;
    }
    let gos = go::list(args.toolchain.go.as_deref(), ctx);
    let mut rows = Vec::new();
    for &target in &targets {
        rows.extend(c_rows(target, &request, ctx));
        rows.extend(go_rows(target, &gos, &args.toolchain, ctx));
    }
    if out.is_json() {
        return out.json(&rows);
    }
    let (go, c): (Vec<&CandidateRow>, Vec<&CandidateRow>) =
        rows.iter().partition(|r| r.provider == "go");
    out.text(&c_lines(&c))?;
    out.text(&go_lines(&go))?;
    let installed = crate::toolchain::installed::list_installed(&ctx.cache);
    if !installed.is_empty() {
        let dir = ctx.cache.dir("toolchains");
        out.text(&format!("\ninstalled in {}:\n", dir.display()))?;
        for line in installed {
            out.text(&format!("  {line}\n"))?;
        }
    }
    Ok(())
}

/// `--probe`: every candidate of every target not probed yet, targets side by side
/// within `-j`, with one progress line per target.
fn probe_all(targets: &[Target], request: &toolchain::ToolchainRequest, ctx: &Ctx) -> Result<()> {
    let board = progress::Board::new(ctx.ui);
    let results = crate::jobs::per_target(targets, |target| -> Result<()> {
        let _slot = ctx.jobs.acquire();
        let line = board.line(target.name());
        let started = std::time::Instant::now();
        let mut probed = 0;
        for candidate in toolchain::candidates(target, request, ctx) {
            if toolchain::known(&candidate, ctx).is_some() {
                continue;
            }
            line.step(
                &format!("{} ({})", candidate.provider, candidate.origin),
                "probing",
            );
            toolchain::probe_announced(&candidate, ctx, false)?;
            probed += 1;
        }
        line.finish();
        if probed > 0 {
            board.println(&format!(
                "muslbuild: {target}: probed {probed} toolchain{} in {:.1}s",
                if probed == 1 { "" } else { "s" },
                started.elapsed().as_secs_f64()
            ));
        }
        Ok(())
    });
    results.into_iter().try_for_each(|(_, result)| result)
}

/// A target's candidates with their known verdicts. `auto` is starred only when every
/// candidate before it is known to be unusable; "no usable toolchain" is said only when
/// all are.
fn c_rows(target: Target, request: &toolchain::ToolchainRequest, ctx: &Ctx) -> Vec<CandidateRow> {
    let mut rows = Vec::new();
    // Whether auto's pick is settled: one picked, or one not probed yet before any.
    let mut settled = false;
    for candidate in toolchain::candidates(target, request, ctx) {
        let known = toolchain::known(&candidate, ctx);
        let (probed, version, reason) = match known {
            Some(Verdict::Usable { version, .. }) => (true, version, None),
            Some(Verdict::Unusable { version, reason }) => (true, version, Some(reason)),
            None => (false, String::new(), Some(NOT_PROBED.to_string())),
        };
        let usable = probed && reason.is_none();
        let auto = usable && !settled;
        settled |= auto || !probed;
        rows.push(CandidateRow {
            target,
            provider: candidate.provider.name().to_string(),
            origin: candidate.origin.clone(),
            command: candidate.cc.to_shell_words(),
            version,
            probed,
            usable,
            reason,
            auto,
            used: auto,
        });
    }
    if !settled {
        let reason = toolchain::no_toolchain_help(target, request);
        rows.push(CandidateRow::none(target, "none", reason));
    }
    rows
}

const NOT_PROBED: &str = "not probed yet";

/// Go builds every target with the same `go`; listed per target because a target may
/// need a newer Go than another.
fn go_rows(
    target: Target,
    gos: &[GoListing],
    args: &crate::cli::ToolchainArgs,
    ctx: &Ctx,
) -> Vec<CandidateRow> {
    let mut rows: Vec<CandidateRow> = gos
        .iter()
        .map(|listing| {
            let checked = listing
                .toolchain
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|g| g.check_supports(target).map_err(|e| e.to_string()));
            CandidateRow {
                target,
                provider: "go".into(),
                origin: listing.origin.clone(),
                command: listing.program.display().to_string(),
                version: listing
                    .toolchain
                    .as_ref()
                    .map_or_else(|_| "?".into(), |g| g.version.clone()),
                probed: true,
                usable: checked.is_ok(),
                auto: false,
                used: listing.picked && checked.is_ok(),
                reason: checked.err(),
            }
        })
        .collect();
    if !gos.iter().any(|listing| listing.picked) {
        let reason = match go::resolve(args.go.as_deref(), ctx) {
            Err(e) => format!("{e}; {}", e.help()),
            Ok(_) => "no usable Go".into(),
        };
        rows.push(CandidateRow::none(target, "go", reason));
    }
    rows
}

fn c_lines(rows: &[&CandidateRow]) -> String {
    let mut text = String::new();
    let mut current = None;
    for r in rows {
        if current != Some(r.target) {
            text += &format!("{}:\n", r.target);
            current = Some(r.target);
        }
        let reason = r.reason.as_deref().unwrap_or_default();
        if r.provider == "none" {
            text += &format!("    no usable toolchain — {reason}\n");
            continue;
        }
        let mark = if r.auto { "*" } else { " " };
        let (version, verdict) = match &r.reason {
            _ if !r.probed => ("?", NOT_PROBED.to_string()),
            None => (r.version.as_str(), "usable".to_string()),
            Some(reason) => (r.version.as_str(), format!("unusable: {reason}")),
        };
        text += &format!(
            "  {mark} {:<10} {version:<8} {}  [{}] {verdict}\n",
            r.provider, r.command, r.origin
        );
    }
    text += "\n* = what --toolchain auto uses (C, and the C side of --cgo)\n";
    if rows.iter().any(|r| !r.probed) {
        text += "not probed yet: the first build for that target probes what it needs, and \
                 `muslbuild toolchain list --probe` probes everything (a zig's first probe for a \
                 target builds that target's libc: a minute or more)\n";
    }
    text
}

/// Go is shown once, for the first target; another target appears only where it needs a
/// newer Go than the first.
fn go_lines(rows: &[&CandidateRow]) -> String {
    let mut text = "\ngo (Go packages, every target):\n".to_string();
    let first = rows.first().map(|r| r.target);
    let mut problems = Vec::new();
    for r in rows {
        let reason = r.reason.as_deref().unwrap_or_default();
        if Some(r.target) != first {
            if !r.usable && r.reason.is_some() {
                problems.push(format!("{}: {reason}", r.target));
            }
        } else if r.command.is_empty() {
            text += &format!("    no usable Go — {reason}\n");
        } else {
            let verdict = match &r.reason {
                None if r.used => "usable (used)".to_string(),
                None => "usable".to_string(),
                Some(reason) => format!("unusable: {reason}"),
            };
            text += &format!(
                "    {:<10} {}  [{}] {verdict}\n",
                r.version, r.command, r.origin
            );
        }
    }
    problems.dedup();
    for problem in problems {
        text += &format!("    {problem}\n");
    }
    text
}

fn install(args: &ToolchainInstallArgs, out: &mut Printer, ctx: &Ctx) -> Result<()> {
    let mut wants = Vec::new();
    for value in &args.targets {
        for want in Want::parse_list(value)? {
            if !wants.contains(&want) {
                wants.push(want);
            }
        }
    }
    let options = InstallOptions {
        provider: args
            .provider
            .as_deref()
            .map(ManifestProvider::parse)
            .transpose()?,
        from: args.from.as_ref().map(|p| checks::absolute(&ctx.env, p)),
        sha256: args.sha256.clone(),
        manifest: (args.manifest.manifest.as_ref()).map(|p| checks::absolute(&ctx.env, p)),
    };
    let outcomes = installer::install(&wants, &options, ctx)?;
    let records: Vec<_> = outcomes.iter().map(|o| &o.record).collect();
    out.report(&records, || {
        let mut text = String::new();
        for outcome in &outcomes {
            let state = match (outcome.fresh, &args.from) {
                (true, _) => "installed",
                (false, Some(_)) => "already installed (the --from archive is the same file)",
                (false, None) => "already installed",
            };
            text += &format!("{state}: {}\n", outcome.record.describe());
        }
        text
    })
}

fn remove(args: &ToolchainRemoveArgs, out: &mut Printer, ctx: &Ctx) -> Result<()> {
    let provider = args
        .provider
        .as_deref()
        .map(ManifestProvider::parse)
        .transpose()?;
    let removed = crate::toolchain::installed::remove(&args.names, provider, &ctx.cache)?;
    if removed.is_empty() && ctx.ui.says_progress() {
        eprintln!(
            "muslbuild: no installed toolchain matched; `muslbuild toolchain list` shows them"
        );
    }
    out.report(&removed, || {
        removed
            .iter()
            .map(|record| format!("removed: {} ({})\n", record.name, record.dir.display()))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go_row(target: Target, version: &str, reason: Option<&str>, used: bool) -> CandidateRow {
        CandidateRow {
            target,
            provider: "go".into(),
            origin: "PATH".into(),
            command: "/usr/bin/go".into(),
            version: version.into(),
            probed: true,
            usable: reason.is_none(),
            reason: reason.map(str::to_string),
            auto: false,
            used,
        }
    }

    #[test]
    fn go_is_listed_once_and_other_targets_only_where_they_differ() {
        let rows = [
            go_row(Target::X86_64, "1.22.1", None, true),
            go_row(Target::Aarch64, "1.22.1", None, true),
            go_row(Target::Armv7, "1.22.1", Some("armv7 needs Go 1.23"), false),
        ];
        let text = go_lines(&rows.iter().collect::<Vec<_>>());
        assert_eq!(
            text,
            "\ngo (Go packages, every target):\n    1.22.1     /usr/bin/go  [PATH] usable (used)\n    armv7: armv7 needs Go 1.23\n"
        );
    }

    #[test]
    fn the_auto_pick_is_starred_and_a_target_without_toolchain_says_why() {
        let mut usable = go_row(Target::X86_64, "14.2", None, true);
        usable.provider = "zig".into();
        usable.auto = true;
        let none = CandidateRow::none(Target::Armv7, "none", "install one".into());
        let text = c_lines(&[&usable, &none]);
        assert!(text.starts_with("x86_64:\n  * zig        14.2     /usr/bin/go  [PATH] usable\n"));
        assert!(text.contains("armv7:\n    no usable toolchain — install one\n"));
    }
}
