//! `muslbuild build`: everything muslbuild.toml describes (or the named artifacts), for
//! every target, then its image.

use std::path::Path;

use crate::cli::print::{Printer, display_path};
use crate::cli::{GlobalArgs, ProjectArgs, TargetArgs, checks};
use crate::context::Ctx;
use crate::error::{Error, Result};

pub(crate) fn run(
    args: &ProjectArgs,
    global: &GlobalArgs,
    out: &mut Printer,
    ctx: &Ctx,
) -> Result<()> {
    let env = &ctx.env;
    let file = checks::absolute(env, &args.file);
    if !file.is_file() {
        return Err(Error::usage(
            format!("`{}` does not exist", args.file.display()),
            "run `muslbuild init` to write a starter muslbuild.toml, or point --file at one",
        ));
    }
    // Without --target the file's [project] targets apply, not this machine's.
    let targets = if args.targets.is_empty() {
        Vec::new()
    } else {
        checks::targets(&TargetArgs {
            targets: args.targets.clone(),
        })?
    };
    let options = crate::project::Options {
        names: args.names.clone(),
        targets,
        toolchain: args.toolchain.as_deref().map(str::parse).transpose()?,
        cc: None,
        kernel_headers: match &args.kernel_headers {
            Some(version) => {
                crate::libs::kheaders::check_version(version)
                    .map_err(|(message, help)| Error::usage(message, help))?;
                Some(version.clone())
            }
            None => None,
        },
        check_reproducible: args.check_reproducible,
        offline: global.offline,
        keep_failed: args.keep_failed,
        strict: args.strict,
        no_sbom: args.no_sbom,
        sbom_supplier: checks::sbom_supplier(args.sbom_supplier.as_deref())?,
        dry_run: args.dry_run,
    };
    let mut project =
        crate::project::config::load(&file).map_err(|e| relative_position(e, &env.cwd))?;
    project.source_dirs.splice(
        0..0,
        args.source_dirs
            .iter()
            .map(|dir| checks::absolute(env, dir)),
    );
    for warning in &project.warnings {
        ctx.ui.warn(warning);
    }
    if args.dry_run {
        let planned =
            crate::plan::BuildPlan::from_project(&project, &options, &project.out_dir, ctx)
                .map_err(|e| relative_position(e, &env.cwd))?;
        let plan = crate::plan::describe::Description::of(&planned.plan);
        return out.report(&plan, || plan.human(|p| display_path(env, p)));
    }
    let report = crate::plan::project::run(&project, &options, ctx)
        .map_err(|e| relative_position(e, &env.cwd))?;
    out.report(&report, || report.human(&env.cwd))
}

/// Positions read best as the user would type the path: `muslbuild.toml:3:9`.
fn relative_position(err: Error, cwd: &Path) -> Error {
    match err {
        Error::Config {
            file,
            line,
            column,
            message,
            help,
        } => Error::Config {
            file: file
                .strip_prefix(cwd)
                .map(Path::to_path_buf)
                .unwrap_or(file),
            line,
            column,
            message,
            help,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn a_config_position_names_the_file_as_typed() {
        let err = Error::Config {
            file: PathBuf::from("/work/app/muslbuild.toml"),
            line: 3,
            column: 9,
            message: "unknown key".into(),
            help: "remove it".into(),
        };
        match relative_position(err, Path::new("/work/app")) {
            Error::Config { file, line, .. } => {
                assert_eq!(file, PathBuf::from("muslbuild.toml"));
                assert_eq!(line, 3);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
