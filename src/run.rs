//! `--run`: executes an artifact as a FROM scratch container would see it — empty
//! environment, empty working directory — natively for the host's arch, under qemu-user
//! otherwise.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::context::Ctx;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::sys::process::describe_status;
use crate::target::Target;

#[derive(Clone, Debug, Serialize)]
pub(crate) struct RunOutcome {
    pub(crate) exit_code: Option<i32>,
    pub(crate) status: String,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    /// The emulator used, if any.
    pub(crate) runner: Option<PathBuf>,
}

impl RunOutcome {
    pub(crate) fn success(&self) -> bool {
        self.exit_code == Some(0)
    }
}

/// The qemu-user binary for `target`, or `None` when it runs natively here.
pub(crate) fn runner(target: Target, env: &Env) -> Result<Option<PathBuf>> {
    if Target::host() == Some(target) {
        return Ok(None);
    }
    let path = env.path().cloned().unwrap_or_default();
    for name in target.qemu_names() {
        if let Ok(found) = which::which_in(name, Some(&path), &env.cwd) {
            return Ok(Some(found));
        }
    }
    Err(Error::ProgramNotFound {
        program: target.qemu_names()[0].to_string(),
        help: format!(
            "--run needs qemu-user to run {target} binaries here: `apt-get install qemu-user-static` (Debian/Ubuntu) or `dnf install qemu-user-static`"
        ),
    })
}

pub(crate) fn run_artifact(
    artifact: &Path,
    target: Target,
    args: &[String],
    ctx: &Ctx,
) -> Result<RunOutcome> {
    let env = &ctx.env;
    let runner = runner(target, env)?;
    let temp_root = env.temp_dir();
    let workdir = tempfile::tempdir_in(&temp_root)
        .map_err(Error::io("cannot create a temporary directory", &temp_root))?;
    let artifact = std::path::absolute(artifact).map_err(Error::io("cannot find", artifact))?;
    let cmd = match &runner {
        Some(qemu) => ctx.command(qemu).arg(&artifact),
        None => ctx.command(&artifact),
    };
    let output = cmd
        .args(args)
        .env_clear()
        .current_dir(workdir.path())
        .output_any_status()?;
    Ok(RunOutcome {
        exit_code: output.status.code(),
        status: describe_status(output.status),
        stdout: output.stdout_text(),
        stderr: output.stderr_text(),
        runner,
    })
}
