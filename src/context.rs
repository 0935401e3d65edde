//! `Ctx`: what every command shares — the environment snapshot, the cache, the `-j`
//! budget, how much to print, how to download, and the supervisor that takes children
//! and temporary files down with muslbuild. `cli` makes it once from the parsed
//! arguments and passes it down by reference, so nothing process-wide stands beside it.

use std::ffi::OsStr;
use std::sync::{Arc, OnceLock};

use crate::cache::Cache;
use crate::cache::remote::{Remote, RemoteConfig};
use crate::emulation::{self, Emulation};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::jobs::Jobs;
use crate::sys::download::NetSettings;
use crate::sys::fs::Temps;
use crate::sys::process::{Cmd, Supervisor};
use crate::sys::ui::Ui;
use crate::target::Target;

pub(crate) struct Ctx {
    pub(crate) env: Env,
    pub(crate) cache: Cache,
    pub(crate) jobs: Jobs,
    pub(crate) ui: Ui,
    pub(crate) net: NetSettings,
    pub(crate) supervisor: Arc<Supervisor>,
    /// The shared remote cache, once configured (environment or project file).
    remote: OnceLock<Remote>,
    /// How each target's programs run here, found the first time a build asks.
    emulation: [OnceLock<Emulation>; Target::ALL.len()],
}

impl Ctx {
    /// The run's context, with the supervisor `main` started before any thread.
    pub(crate) fn new(
        env: Env,
        ui: Ui,
        net: NetSettings,
        jobs: usize,
        supervisor: Arc<Supervisor>,
    ) -> Ctx {
        let cache = Cache::open(env.cache_root(), ui, Arc::clone(supervisor.temps()));
        Ctx {
            env,
            cache,
            jobs: Jobs::new(jobs),
            ui,
            net,
            supervisor,
            remote: OnceLock::new(),
            emulation: Default::default(),
        }
    }

    /// The same run with its cache at `root` (`--check-reproducible`'s second build).
    pub(crate) fn with_cache_at(&self, root: std::path::PathBuf) -> Ctx {
        Ctx {
            env: self.env.clone(),
            cache: Cache::open(root, self.ui, Arc::clone(self.supervisor.temps())),
            jobs: Jobs::new(self.jobs.total()),
            ui: self.ui,
            net: self.net.clone(),
            supervisor: Arc::clone(&self.supervisor),
            // A build into a fresh cache (`--check-reproducible`) takes nothing from afar.
            remote: OnceLock::new(),
            emulation: Default::default(),
        }
    }

    /// Uses the shared remote cache `config` for this run (unless `--offline`, or one is
    /// set already: the environment's wins over the project file's).
    pub(crate) fn use_remote_cache(&self, config: RemoteConfig) -> Result<()> {
        if self.net.offline || self.remote().is_some() {
            return Ok(());
        }
        let remote = Remote::new(
            config,
            self.net.remote_cache_required,
            &self.env,
            self.net.timeout.min(std::time::Duration::from_secs(10)),
            &self.supervisor,
            self.ui,
        )?;
        let _ = self.remote.set(remote);
        Ok(())
    }

    /// The shared remote cache, when one is configured.
    pub(crate) fn remote(&self) -> Option<&Remote> {
        self.remote.get()
    }

    /// `--remote-cache-required` with no remote cache to require is a mistake.
    pub(crate) fn check_remote_cache_required(&self) -> Result<()> {
        if self.net.remote_cache_required && self.remote().is_none() {
            return Err(Error::usage(
                "--remote-cache-required, but no remote cache is configured (or --offline is on)",
                "set MUSLBUILD_REMOTE_CACHE=oci://HOST/REPO or `[cache] remote` in muslbuild.toml, and drop --offline",
            ));
        }
        Ok(())
    }

    /// How `target`'s programs run on this machine (natively, through qemu-user in a
    /// private binfmt_misc, or not), found once per run.
    pub(crate) fn emulation(&self, target: Target) -> &Emulation {
        self.emulation[target as usize].get_or_init(|| {
            let found = emulation::probe(target, &self.env, |qemu| self.command(qemu));
            if let Emulation::Unavailable(why) = &found
                && self.ui.echoes_commands()
            {
                self.ui.note(format_args!(
                    "{target} programs cannot run here ({}): build steps run without emulation, and one that runs a {target} program fails naming it",
                    why.why(target)
                ));
            }
            found
        })
    }

    /// A command to run `program`: echoed under `-v`, killed with muslbuild.
    pub(crate) fn command(&self, program: impl AsRef<OsStr>) -> Cmd {
        Cmd::under(&self.supervisor, self.ui, program)
    }

    /// Where temporary files are registered (`temps().prefix(dir)`,
    /// `sys::fs::write_atomic(ctx.temps(), …)`), so an interrupt removes them.
    pub(crate) fn temps(&self) -> &Temps {
        self.supervisor.temps()
    }

    /// A quiet run whose cache and home are under `root`, with its own supervisor.
    #[cfg(test)]
    pub(crate) fn for_tests(root: &std::path::Path) -> Ctx {
        let env = Env::from_vars([("MUSLBUILD_HOME", root)], root.into());
        Ctx::new(
            env,
            Ui::default(),
            NetSettings::default(),
            2,
            Supervisor::new(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_and_the_cache_share_the_supervisor() {
        let root = tempfile::tempdir().unwrap();
        let env = Env::from_vars([("MUSLBUILD_HOME", root.path())], root.path().into());
        let ctx = Ctx::new(
            env,
            Ui::default(),
            NetSettings::default(),
            2,
            Supervisor::new(),
        );
        let temp = ctx.cache.temp_dir("libs").unwrap();
        let kept = temp.path().to_path_buf();
        std::mem::forget(temp);
        assert!(kept.is_dir());
        // The cache registered its temporary folder with the ctx's supervisor.
        ctx.temps().remove_own();
        assert!(!kept.exists());
        let out = ctx.command("sh").args(["-c", "echo hi"]).output().unwrap();
        assert_eq!(out.stdout_text(), "hi\n");
    }
}
