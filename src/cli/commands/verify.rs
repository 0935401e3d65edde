//! `muslbuild verify FILE…` (or a folder muslbuild wrote: the files its manifest lists):
//! each file checked for being a static executable of the
//! expected (or its own) architecture, and for strings naming this machine's folders
//! (reported; with `--strict` a failure); with `--sbom`, also for being the file its
//! SBOM describes.

use std::path::PathBuf;

use crate::cli::VerifyArgs;
use crate::cli::checks;
use crate::cli::print::Printer;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::space::human_size;
use crate::target::Target;
use crate::verify;

pub(crate) fn run(args: &VerifyArgs, out: &mut Printer, ctx: &Ctx) -> Result<()> {
    let target = args
        .target
        .as_deref()
        .map(str::parse::<Target>)
        .transpose()?;
    let check = crate::verify::paths::PathCheck::of_machine(
        &ctx.env,
        ctx.cache.root(),
        &ctx.env.cwd,
        args.strict,
    );
    let mut reports = Vec::new();
    for file in &named_files(&args.files, ctx)? {
        let path = checks::absolute(&ctx.env, file);
        if !path.exists() {
            return Err(Error::NoSuchFile {
                path: file.clone(),
                help:
                    "check the path: `muslbuild verify` takes executables, e.g. dist/x86_64/hello"
                        .into(),
            });
        }
        if !path.is_file() {
            return Err(Error::Io {
                what: "cannot read",
                path: file.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file"),
            });
        }
        let mut report = verify::verify_file(&path, target)?;
        report.path = file.clone();
        let bytes = std::fs::read(&path).map_err(Error::io("cannot read", &path))?;
        report.build_paths = crate::pipeline::build_paths(&bytes, &check, &ctx.cache);
        if check.strict && !report.build_paths.is_empty() {
            report.ok = false;
            report.problems.push(format!(
                "it names folders of the build machine: {}",
                crate::verify::paths::summary(&report.build_paths)
            ));
            if report.help.is_empty() {
                report.help = crate::error::BUILD_PATHS_HELP.into();
            }
        }
        if let Some(problem) = args
            .sbom
            .then(|| sbom_problem(&path, &report.sha256))
            .flatten()
        {
            report.ok = false;
            report.problems.push(problem);
            if report.help.is_empty() {
                report.help =
                    "rebuild it (muslbuild writes the SBOM with the artifact), or find out what changed the file"
                        .into();
            }
        }
        reports.push(report);
    }
    out.report(&reports, || reports.iter().map(human_line).collect())?;
    ctx.ui.first_of(
        reports
            .into_iter()
            .filter(|r| !r.ok)
            .map(|r| r.into_result().unwrap_err())
            .collect(),
    )
}

/// The files to check: each one named, and for a folder muslbuild wrote (`dist/`), the
/// artifacts its `manifest.json` lists, in its order.
fn named_files(files: &[PathBuf], ctx: &Ctx) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for file in files {
        let path = checks::absolute(&ctx.env, file);
        if !path.is_dir() {
            out.push(file.clone());
            continue;
        }
        match crate::dist_folder::listed_artifacts(&path) {
            Some(listed) if !listed.is_empty() => out.extend(
                listed
                    .iter()
                    .map(|artifact| file.join(artifact.strip_prefix(&path).unwrap_or(artifact))),
            ),
            Some(_) => {
                return Err(Error::usage(
                    format!(
                        "`{}` lists no artifacts in its manifest.json",
                        file.display()
                    ),
                    "build something into it first (`muslbuild build`), or name the executables",
                ));
            }
            None => {
                return Err(Error::usage(
                    format!("`{}` is a folder without a manifest.json", file.display()),
                    "name the executables (dist/x86_64/hello), or a folder muslbuild wrote: it lists its artifacts in manifest.json",
                ));
            }
        }
    }
    Ok(out)
}

/// Why the SBOM beside `path` does not describe the file's bytes, if it does not.
fn sbom_problem(path: &std::path::Path, sha256: &str) -> Option<String> {
    let sbom = crate::dist_folder::sbom_path(path);
    let Ok(bytes) = std::fs::read(&sbom) else {
        return Some(format!("no SBOM at {}", sbom.display()));
    };
    match crate::sbom::recorded_sha256(&bytes) {
        None => Some(format!("{} is not an SBOM muslbuild wrote", sbom.display())),
        Some(recorded) if recorded != sha256 => Some(format!(
            "its sha256 {sha256} is not the one its SBOM records ({recorded}): the file changed after the build"
        )),
        Some(_) => None,
    }
}

fn human_line(r: &verify::Report) -> String {
    if !r.ok {
        return format!("FAIL {}  {}\n", r.path.display(), r.problems.join("; "));
    }
    let target = r.target.map_or("?".to_string(), |t| t.to_string());
    let linking = if r.static_pie { "static-pie" } else { "static" };
    let symbols = if r.stripped {
        "stripped"
    } else {
        "not stripped"
    };
    let mut line = format!(
        "ok   {}  {target} {linking}, {symbols}, {}  sha256:{}\n",
        r.path.display(),
        human_size(r.size),
        r.sha256
    );
    for found in &r.build_paths {
        line.push_str(&format!(
            "     names a build-machine path: {} ({})\n",
            found.string, found.origin
        ));
    }
    line
}
