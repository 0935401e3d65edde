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
    if let Some(found) = crate::emulation::find_qemu(target, env) {
        return Ok(Some(found));
    }
    let [user, user_static] = target.qemu_names();
    Err(Error::ProgramNotFound {
        program: user.to_string(),
        help: format!(
            "--run needs qemu-user ({user} or {user_static} on PATH) to run {target} binaries here: `apt-get install qemu-user-static` (Debian/Ubuntu) or `dnf install qemu-user-static`"
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
    let mut cmd = cmd.args(args).env_clear().current_dir(workdir.path());
    if runner.is_some() && target == Target::I386 {
        // qemu-i386 (Debian's 7.2) delivers Go's preemption signal on the wrong stack, and
        // a Go program dies at start ("morestack on gsignal"); other programs ignore this.
        cmd = cmd.env("GODEBUG", "asyncpreemptoff=1");
    }
    let output = cmd.output_any_status()?;
    Ok(RunOutcome {
        exit_code: output.status.code(),
        status: describe_status(output.status),
        stdout: output.stdout_text(),
        stderr: output.stderr_text(),
        runner,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_foreign_target_names_its_qemu_and_the_package() {
        let empty = tempfile::tempdir().unwrap();
        let env = Env::from_vars(
            [("PATH", empty.path().as_os_str())],
            empty.path().to_path_buf(),
        );
        for target in Target::ALL
            .into_iter()
            .filter(|t| Target::host() != Some(*t))
        {
            let err = runner(target, &env).unwrap_err();
            let [user, _] = target.qemu_names();
            assert_eq!(err.to_string(), format!("`{user}` was not found"));
            assert!(err.help().contains("qemu-user-static"), "{}", err.help());
            assert_eq!(err.exit_code(), crate::error::exit::MISSING_PROGRAM);
        }
        // The one binary for every 32-bit ARM target, and an emulator of its own each.
        assert_eq!(Target::Armv5.qemu_names(), Target::Armv6.qemu_names());
        assert_eq!(Target::Mips64el.qemu_names()[1], "qemu-mips64el-static");
        assert_eq!(
            Target::Loongarch64.qemu_names()[1],
            "qemu-loongarch64-static"
        );
    }
}
