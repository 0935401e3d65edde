//! Getting a toolchain archive the manifest names when it is not a plain URL download:
//! a local `--from` file checked against its sha256, or a wheel through `pip download`.

use std::path::{Path, PathBuf};

use super::manifest::Entry;
use crate::context::Ctx;
use crate::error::{Error, Result};

pub(crate) fn verify_local(path: &Path, sha256: &str, size: Option<u64>) -> Result<()> {
    if !path.is_file() {
        return Err(Error::MissingSource {
            path: path.to_path_buf(),
        });
    }
    let actual = crate::sys::hash::file_sha256(path).map_err(Error::io("cannot read", path))?;
    if actual != sha256 {
        return Err(Error::ChecksumMismatch {
            url: path.display().to_string(),
            expected: sha256.to_string(),
            actual,
        });
    }
    let len = std::fs::metadata(path)
        .map_err(Error::io("cannot read", path))?
        .len();
    if let Some(size) = size.filter(|&s| s != len) {
        return Err(Error::Download {
            url: path.display().to_string(),
            reason: format!("it has {len} bytes, the manifest says {size}"),
            help: "check that it is the file the manifest lists".into(),
        });
    }
    Ok(())
}

/// `python3 -m pip download REQ --no-deps`: the wheel lands in a temporary folder, is
/// checked, and only then moves to `downloads/`.
pub(crate) fn pip_fetch(
    entry: &Entry,
    sha256: &str,
    size: Option<u64>,
    ctx: &Ctx,
) -> Result<PathBuf> {
    let (env, cache) = (&ctx.env, &ctx.cache);
    let requirement = entry.pip.as_deref().unwrap_or_default();
    let wheel = entry.file_name();
    let dest = cache.dir("downloads").join(&wheel);
    if dest.is_file()
        && crate::sys::hash::file_sha256(&dest).map_err(Error::io("cannot read", &dest))? == sha256
    {
        return Ok(dest);
    }
    if ctx.net.offline {
        return Err(Error::Offline {
            what: format!("`{wheel}`"),
            help: format!(
                "run once without --offline / MUSLBUILD_OFFLINE (it runs `python3 -m pip download {requirement}`), or put the wheel at {}",
                dest.display()
            ),
        });
    }
    let path = env.path().cloned().unwrap_or_default();
    let python = which::which_in("python3", Some(path), &env.cwd).map_err(|_| Error::ProgramNotFound {
        program: "python3".into(),
        help: "install python3 with pip (it fetches zig from the Python package index), or choose `--provider musl-cross`".into(),
    })?;
    let temp = cache.temp_dir("downloads")?;
    let log = cache.log_file(&format!("pip-{}.log", entry.name));
    ctx.ui.status(format_args!(
        "python3 -m pip download {requirement} (the log is {})",
        log.display()
    ));
    let run = ctx
        .command(&python)
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--dest",
        ])
        .arg(temp.path())
        .arg(requirement)
        .run_logged(&log);
    if let Err(err) = run {
        let reason = match &err {
            Error::CommandFailed { tail, status, .. } => tail
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim().to_string())
                .unwrap_or_else(|| status.clone()),
            other => other.to_string(),
        };
        return Err(Error::Download {
            url: format!("pip download {requirement}"),
            reason,
            help: format!(
                "the full log is {}; pip's index settings (PIP_INDEX_URL, pip.conf) choose the mirror",
                log.display()
            ),
        });
    }
    let got = temp.path().join(&wheel);
    if !got.is_file() {
        let found: Vec<String> = std::fs::read_dir(temp.path())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        return Err(Error::Download {
            url: format!("pip download {requirement}"),
            reason: format!("pip fetched {} instead of {wheel}", if found.is_empty() { "nothing".to_string() } else { found.join(", ") }),
            help: "the index offers another wheel for this machine; add a manifest entry for it (with its sha256) or use --provider musl-cross".into(),
        });
    }
    let actual = crate::sys::hash::file_sha256(&got).map_err(Error::io("cannot read", &got))?;
    if actual != sha256 {
        let _ = std::fs::remove_file(&got);
        return Err(Error::ChecksumMismatch {
            url: format!("pip download {requirement} ({wheel})"),
            expected: sha256.to_string(),
            actual,
        });
    }
    verify_local(&got, sha256, size)?;
    std::fs::rename(&got, &dest)
        .map_err(Error::io("cannot move the download into place", &dest))?;
    Ok(dest)
}
