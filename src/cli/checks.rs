//! Checks several commands share, each written once: `-j`, `-o` and names taken from
//! the input, `--target` lists, the `--toolchain`/`--cc` choice and the toolchains it
//! resolves to, `--cflags` splitting, and paths relative to the working directory.

use std::path::{Path, PathBuf};

use crate::cli::args::{LibArgs, TargetArgs, ToolchainArgs};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::jobs::Jobs;
use crate::libs::commands::LibOptions;
use crate::target::Target;
use crate::toolchain::{self, Choice};

/// `-j N`: how many things may run at once (default: the number of CPUs).
pub(crate) fn job_count(jobs: Option<usize>) -> Result<usize> {
    if jobs == Some(0) {
        return Err(Error::usage(
            "-j 0 allows no work at all",
            "give -j 1 or more (default: the number of CPUs)",
        ));
    }
    Ok(jobs.unwrap_or_else(Jobs::default_count))
}

/// `-o NAME`, checked like every artifact name (`dist_folder::check_name`).
pub(crate) fn output_name(name: &str) -> Result<String> {
    crate::dist_folder::check_name(name).map_err(|reason| {
        Error::usage(
            format!("-o {name:?} is not a file name: it {reason}"),
            "-o names the executable (dist/<target>/NAME); choose the folder with --out-dir",
        )
    })?;
    Ok(name.to_string())
}

/// A name taken from the input (a source's stem, a Go package's folder), checked like
/// `-o`.
pub(crate) fn derived_name(name: &str) -> Result<String> {
    crate::dist_folder::check_name(name).map_err(|reason| {
        Error::usage(
            format!("the artifact name {name:?} (from the input) {reason}"),
            "name the executable with -o NAME",
        )
    })?;
    Ok(name.to_string())
}

/// The artifact's name: `-o` when given, else the one the input suggests.
pub(crate) fn artifact_name(output: Option<&str>, derived: &str) -> Result<String> {
    match output {
        Some(name) => output_name(name),
        None => derived_name(derived),
    }
}

/// Every `--target` value, aliases and `all` expanded, duplicates dropped; this machine's
/// target when none is given.
pub(crate) fn targets(args: &TargetArgs) -> Result<Vec<Target>> {
    let mut targets = Vec::new();
    for value in &args.targets {
        for target in Target::parse_list(value)? {
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
    }
    if targets.is_empty() {
        let host = Target::host().ok_or_else(|| {
            Error::usage(
                "this machine's architecture is not a muslbuild target",
                "choose one with --target (`muslbuild targets` lists them)",
            )
        })?;
        targets.push(host);
    }
    Ok(targets)
}

/// `--toolchain` and `--cc`, which exclude each other.
pub(crate) fn toolchain_request(args: &ToolchainArgs) -> Result<toolchain::ToolchainRequest> {
    let choice: Choice = args.toolchain.parse()?;
    if args.cc.is_some() && choice != Choice::Auto {
        return Err(Error::usage(
            "--cc and --toolchain cannot be used together",
            "--cc names one compiler for every target; --toolchain picks a provider (auto, musl-cross, zig, musl-gcc) — give one of them",
        ));
    }
    Ok(toolchain::ToolchainRequest::new(choice, args.cc.clone()))
}

/// `--cflags`/`--ldflags` values split like a POSIX shell would.
pub(crate) fn split_flags(values: &[String], what: &str) -> Result<Vec<String>> {
    let mut flags = Vec::new();
    for value in values {
        flags.extend(shlex::split(value).ok_or_else(|| {
            Error::usage(
                format!("{what} `{value}` has an unbalanced quote"),
                "quote flags the way a POSIX shell would",
            )
        })?);
    }
    Ok(flags)
}

/// The library flags, plus library names given as arguments (`lib build NAME…`).
pub(crate) fn lib_options(args: &LibArgs, names: &[String]) -> LibOptions {
    let mut libs = args.libs.clone();
    libs.extend(names.iter().cloned());
    LibOptions {
        libs,
        vendor_libs: args.vendor_libs.clone(),
        lib_files: args.lib_files.clone(),
        source_dirs: args.source_dirs.clone(),
        keep_failed: args.keep_failed,
        kernel_headers: args.kernel_headers.clone(),
    }
}

/// A path from the command line, relative to the working directory.
pub(crate) fn absolute(env: &Env, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        env.cwd.join(path)
    }
}

/// `--sbom-supplier`, as SPDX writes a supplier.
pub(crate) fn sbom_supplier(supplier: Option<&str>) -> Result<Option<String>> {
    let Some(supplier) = supplier else {
        return Ok(None);
    };
    crate::sbom::check_supplier(supplier).map_err(|why| {
        Error::usage(
            format!("--sbom-supplier {why}"),
            "write it as SPDX does, e.g. --sbom-supplier 'Organization: Example Inc.'",
        )
    })?;
    Ok(Some(supplier.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_jobs_is_refused_and_none_means_every_cpu() {
        assert!(matches!(job_count(Some(0)), Err(Error::Usage(..))));
        assert_eq!(job_count(Some(3)).unwrap(), 3);
        assert_eq!(job_count(None).unwrap(), Jobs::default_count());
    }

    #[test]
    fn targets_are_expanded_once_each() {
        let args = TargetArgs {
            targets: vec!["all".into(), "arm64".into()],
        };
        assert_eq!(targets(&args).unwrap(), Target::ALL.to_vec());
    }

    #[test]
    fn cc_and_a_toolchain_choice_exclude_each_other() {
        let args = ToolchainArgs {
            toolchain: "zig".into(),
            cc: Some("cc".into()),
            go: None,
        };
        assert!(matches!(toolchain_request(&args), Err(Error::Usage(..))));
    }

    #[test]
    fn an_output_name_with_a_slash_is_refused() {
        assert!(output_name("bin/x").is_err());
        assert_eq!(artifact_name(None, "hello").unwrap(), "hello");
    }
}
