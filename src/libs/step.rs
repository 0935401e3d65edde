//! Running a build's steps — bootstrap, configure, make, install — in the fully cross
//! environment, each logged to its own file. Shared by library builds (`build`) and
//! vendored projects (`vendor`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::build_env::{
    build_flags, cc_words, cross_env, find_strip, knows_option, meson_env, pkg_config_dirs,
    value_of,
};
use super::emulate;
use super::host::{AUTOTOOLS_MISC, HostTools};
use super::job::LibBuild;
use super::placeholder::{self, Placeholder};
use super::recipe::{BuildSystem, Recipe};
use crate::context::Ctx;
use crate::emulation::Emulation;
use crate::error::{Error, Result};
use crate::sys::process::Cmd;
use crate::target::Target;
use crate::toolchain::zigld::{self, NotesFile};

/// One target's run of builds: what every step of it shares.
pub(crate) struct TargetRun<'a> {
    pub(crate) ctx: &'a Ctx,
    pub(crate) host: &'a HostTools,
    /// How many targets are building right now (their chains not finished).
    pub(crate) active: &'a AtomicUsize,
    /// `--keep-failed`: a failed library build keeps its whole temporary tree.
    pub(crate) keep_failed: bool,
    /// This target's progress line.
    pub(crate) progress: &'a crate::sys::progress::Line,
}

impl TargetRun<'_> {
    /// This target's share of the budget, asked when a step starts: a target whose
    /// neighbours have finished gets their share too.
    pub(crate) fn make_jobs(&self) -> usize {
        let active = self.active.load(Ordering::Relaxed).max(1);
        (self.ctx.jobs.total() / active).max(1)
    }
}

/// An autotools or configure build needs `./configure`; a checkout without one needs a
/// `bootstrap` command first.
pub(crate) fn check_configure_script(recipe: &Recipe, src: &Path) -> Result<()> {
    if matches!(
        recipe.build,
        BuildSystem::Autotools | BuildSystem::Configure
    ) && !src.join("configure").is_file()
    {
        let hint = if recipe.bootstrap.is_empty() {
            "add `bootstrap = [\"autoreconf\", \"-fi\"]` (run in a copy of the folder before configure) for a checkout that has only configure.ac, or set `build` to make or cmake"
        } else {
            "the `bootstrap` command ran but made no ./configure; check what it generates"
        };
        return Err(Error::LibrarySpec {
            origin: format!("for {}", recipe.subject()),
            reason: format!(
                "{} has no ./configure to run (build = \"{}\")",
                src.display(),
                recipe.build.name()
            ),
            help: hint.into(),
        });
    }
    Ok(())
}

/// Replaces every `config.sub` that rejects the target's triple (and its
/// `config.guess`) with the machine's copies from autotools-dev.
pub(crate) fn refresh_config_scripts(
    ctx: &Ctx,
    src: &Path,
    target: Target,
    log: &Path,
) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    find_named(src, "config.sub", 3, &mut found);
    let mut notes = String::new();
    let mut replaced = Vec::new();
    let misc = Path::new(AUTOTOOLS_MISC);
    for sub in found {
        let verdict = ctx
            .command("sh")
            .arg(&sub)
            .arg(target.gnu_triple())
            .output_any_status()?;
        if verdict.status.success() {
            notes.push_str(&format!(
                "{}: knows {}\n",
                sub.display(),
                target.gnu_triple()
            ));
            continue;
        }
        let fresh = misc.join("config.sub");
        if !fresh.is_file() {
            return Err(Error::MissingHostTool {
                tool: fresh.display().to_string(),
                package: "autotools-dev".into(),
                needed_by: format!(
                    "{} (its config.sub does not know {})",
                    sub.display(),
                    target.gnu_triple()
                ),
            });
        }
        std::fs::copy(&fresh, &sub).map_err(Error::io("cannot replace", &sub))?;
        let guess = sub.with_file_name("config.guess");
        if std::fs::symlink_metadata(&guess).is_ok_and(|m| m.is_file())
            && misc.join("config.guess").is_file()
        {
            std::fs::copy(misc.join("config.guess"), &guess)
                .map_err(Error::io("cannot replace", &guess))?;
        }
        notes.push_str(&format!(
            "{}: rejected {}; replaced from {}\n",
            sub.display(),
            target.gnu_triple(),
            misc.display()
        ));
        replaced.push(sub);
    }
    let _ = std::fs::write(log, notes);
    Ok(replaced)
}

fn find_named(dir: &Path, name: &str, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_file() && entry.file_name() == name {
            out.push(path);
        } else if kind.is_dir() && depth > 0 {
            find_named(&path, name, depth - 1, out);
        }
    }
}

/// Runs the steps of one build: configure, make, install into a staging folder.
pub(crate) struct Runner<'a> {
    pub(crate) job: &'a LibBuild,
    pub(crate) run: &'a TargetRun<'a>,
    /// The tree configure reads.
    pub(crate) src: &'a Path,
    /// Where configure and make run: `src` itself, or a separate build folder.
    pub(crate) dir: &'a Path,
    pub(crate) logs: &'a Path,
    /// `--prefix`: a library's cache prefix, or a project's runtime prefix.
    pub(crate) prefix: String,
    /// Folders whose paths must not reach the output.
    pub(crate) maps: Vec<PathBuf>,
}

impl Runner<'_> {
    /// A step's command: the cross environment, and for a foreign target a binfmt_misc
    /// of its own where the target's programs run through qemu-user.
    fn cmd(&self, program: impl AsRef<std::ffi::OsStr>) -> Cmd {
        let mut cmd = self
            .run
            .ctx
            .command(program)
            .env_clear()
            .current_dir(self.dir);
        for (k, v) in cross_env(self.job, self.run.host, &self.run.ctx.env, &self.maps) {
            cmd = cmd.env(k, v);
        }
        if let Emulation::Binfmt { binfmt, .. } = emulate::for_job(self.run.ctx, self.job) {
            cmd = cmd.private_binfmt(binfmt);
        }
        if let Some(notes) = self.zig_notes() {
            cmd = cmd.env("MUSLBUILD_ZIG_NOTES", notes.path);
        }
        cmd
    }

    /// Where the `zig-cc` wrapper records what it did to this build's linker options
    /// (zig toolchains only).
    fn zig_notes(&self) -> Option<NotesFile> {
        NotesFile::for_toolchain(
            &self.job.toolchain,
            self.logs.join("zig-linker-notes.jsonl"),
        )
    }

    /// A step's failure, as the user sees it; configure's own logs are copied beside
    /// the step logs (the build folder may go away) and named.
    pub(crate) fn failure(&self, step: &'static str, tail: String) -> Error {
        let mut kept = Vec::new();
        for (dir, name) in [
            (self.dir.to_path_buf(), "config.log"),
            (self.cmake_dir(), "CMakeFiles/CMakeError.log"),
            (self.cmake_dir(), "CMakeFiles/CMakeOutput.log"),
            (self.cmake_dir(), "CMakeFiles/CMakeConfigureLog.yaml"),
            (self.meson_dir(), "meson-logs/meson-log.txt"),
        ] {
            let found = dir.join(name);
            if found.is_file() {
                let copy = self
                    .logs
                    .join(Path::new(name).file_name().expect("a file name"));
                if std::fs::copy(&found, &copy).is_ok() {
                    kept.push(copy);
                }
            }
        }
        Error::LibraryBuild {
            subject: self.job.recipe.subject(),
            target: self.job.target(),
            step,
            log: self.logs.join(format!("{step}.log")),
            tail,
            kept,
        }
    }

    /// Runs one step holding `slots` of the `-j` budget (a make's `-j`, else one). With
    /// zig, what its wrapper dropped or rewrote is said under `-v`, and a failure that is
    /// a linker option zig cannot take is said as that.
    fn step(&self, step: &'static str, slots: usize, cmd: impl FnOnce(usize) -> Cmd) -> Result<()> {
        let held = self.run.ctx.jobs.acquire_n(slots);
        self.run.progress.step(&self.job.recipe.label(), step);
        let log = self.logs.join(format!("{step}.log"));
        let notes = self.zig_notes();
        if let Some(notes) = &notes {
            notes.clear();
        }
        let result = cmd(held.count()).run_logged(&log);
        let who = format!(
            "{} for {} ({step})",
            self.job.recipe.subject(),
            self.job.target()
        );
        let records = notes
            .as_ref()
            .map(|n| n.finish(self.run.ctx.ui, &who))
            .unwrap_or_default();
        result.map_err(|err| match err {
            Error::CommandFailed { log: Some(_), .. }
                if let Some(foreign) = emulate::foreign_program_failure(
                    self.run.ctx,
                    self.job,
                    step,
                    &log,
                    self.dir,
                ) =>
            {
                foreign
            }
            // The log's first line is the (long) command itself; the help points to it.
            Error::CommandFailed { tail, .. } => {
                let tail = crate::sys::process::without_command_line(&tail);
                match notes
                    .is_some()
                    .then(|| zigld::refusal_in(&tail, &records))
                    .flatten()
                {
                    Some(refusal) => crate::toolchain::linker_arg_refused(
                        self.job.recipe.subject(),
                        self.job.target(),
                        refusal,
                        Some(&log),
                    ),
                    None => self.failure(step, tail),
                }
            }
            other => other,
        })
    }

    /// An argument with its placeholders expanded: everything `expand_flag` knows, and
    /// the tools and flags muslbuild sets, for Makefiles that define their own in terms
    /// of other variables (`MYLDFLAGS={ldflags}`) or with flags inside (`AR={ar} rcu`).
    /// The environment is worked out once (it looks programs up on PATH), and only when
    /// an argument asks for it.
    fn expand(&self, arg: &str) -> String {
        let mut vars = None;
        placeholder::expand(arg, |p| match p {
            Placeholder::Prefix => Some(self.prefix.clone()),
            Placeholder::Variable(var) => {
                let vars = vars.get_or_insert_with(|| {
                    cross_env(self.job, self.run.host, &self.run.ctx.env, &self.maps)
                });
                Some(
                    vars.iter()
                        .rev()
                        .find(|(k, _)| k == var)
                        .map(|(_, v)| v.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                )
            }
            other => value_of(self.job, self.run.host, other),
        })
    }

    /// The recipe's `bootstrap` command (argv, never a shell), run where configure
    /// will run, in a copy of the folder, with the build's environment and its
    /// placeholders expanded: a configure step of the folder's own that `build` does
    /// not drive (`perl ./Configure {target.gnu} --prefix={prefix}`) sees `CC` and the
    /// flags.
    pub(crate) fn bootstrap(&self) -> Result<()> {
        let Some((program, args)) = self.job.recipe.bootstrap.split_first() else {
            return Ok(());
        };
        // muslbuild configures next, with --host: an autogen.sh that would run
        // configure itself is asked not to (the convention most of them honour).
        // A program named by a path (`./Configure`) is the project's own, in this copy;
        // only a bare name is a host program found on PATH.
        let program = self.expand(program);
        let program = if super::host::is_host_program(&program) {
            PathBuf::from(program)
        } else {
            self.dir.join(program)
        };
        let command = self
            .cmd(program)
            .args(args.iter().map(|a| self.expand(a)))
            .env("NOCONFIGURE", "1");
        self.step("bootstrap", 1, |_| command)
    }

    /// `make -jN` with muslbuild's variables first and the recipe's `make.args` after
    /// them, so the user's win (`AR=ar rcu`, `PREFIX=/opt/x`).
    fn make(&self, install: bool, jobs: usize) -> Cmd {
        let recipe = &self.job.recipe;
        let mut cmd = self.cmd(&self.run.host.make).arg(format!("-j{jobs}"));
        if recipe.build == BuildSystem::Make {
            cmd = cmd.args(self.make_tools());
            if install || recipe.is_project() {
                cmd = cmd.args(self.make_prefix());
            }
        }
        cmd.args(recipe.make.args.iter().map(|a| self.expand(a)))
    }

    fn install_targets(&self) -> Vec<String> {
        if self.job.recipe.make.install_targets.is_empty() {
            vec!["install".into()]
        } else {
            self.job.recipe.make.install_targets.clone()
        }
    }

    /// Plain Makefiles get the tools on make's command line (it beats `CC = gcc` or
    /// kconfig's `STRIP = $(CROSS_COMPILE)strip` in the file, which would be the host's);
    /// flags come from the environment (so the file's own `CFLAGS +=` work). `STRIP` only
    /// when one that reads the target's ELF exists: a Makefile that strips into a new
    /// file (`$(STRIP) -s a -o b`) gets nothing from `true`.
    fn make_tools(&self) -> Vec<String> {
        let tc = &self.job.toolchain;
        let env = &self.run.ctx.env;
        let mut tools = vec![
            format!("CC={}", cc_words(tc, env)),
            format!("AR={}", tc.ar.to_shell_words()),
            format!("RANLIB={}", tc.ranlib.to_shell_words()),
        ];
        if let Some(strip) = find_strip(tc, env) {
            tools.push(format!("STRIP={}", strip.display()));
        }
        tools
    }

    /// `make`'s `PREFIX`/`prefix` for plain Makefiles: at install, and for programs also
    /// at build time (a Makefile that compiles its paths in reads it then).
    fn make_prefix(&self) -> [String; 2] {
        [
            format!("PREFIX={}", self.prefix),
            format!("prefix={}", self.prefix),
        ]
    }

    fn cmake_dir(&self) -> PathBuf {
        self.separate_dir("muslbuild-cmake")
    }

    /// meson's build folder (which also holds its cross and native files).
    pub(crate) fn meson_dir(&self) -> PathBuf {
        self.separate_dir("muslbuild-meson")
    }

    /// Where a build system that builds out of tree works: the build folder, or a folder
    /// of `name` inside a tree that is built in place.
    fn separate_dir(&self, name: &str) -> PathBuf {
        if self.dir == self.src {
            self.src.join(name)
        } else {
            self.dir.to_path_buf()
        }
    }

    /// The log of the configure step's checks, which the declared-library check quotes
    /// (`checking for readline in -lreadline... no`, `Library z found: NO`).
    pub(crate) fn checks_log(&self) -> PathBuf {
        match self.job.recipe.build {
            BuildSystem::Meson => self.meson_dir().join("meson-logs/meson-log.txt"),
            _ => self.dir.join("config.log"),
        }
    }

    /// configure (autotools, configure, cmake); nothing for a plain Makefile.
    pub(crate) fn configure(&self) -> Result<()> {
        let recipe = &self.job.recipe;
        match recipe.build {
            BuildSystem::Autotools | BuildSystem::Configure => {
                let script = if self.dir == self.src {
                    PathBuf::from("./configure")
                } else {
                    self.src.join("configure")
                };
                let mut configure = self
                    .cmd("sh")
                    .arg(script)
                    .arg(format!("--prefix={}", self.prefix));
                if recipe.build == BuildSystem::Autotools {
                    if recipe.is_project() && self.prefix == "/usr" {
                        // Where a program runs, as distributions configure it.
                        configure = configure.args(["--sysconfdir=/etc", "--localstatedir=/var"]);
                        // Scripts from autoconf before 2.70 reject --runstatedir.
                        if knows_option(&self.src.join("configure"), "runstatedir") {
                            configure = configure.arg("--runstatedir=/run");
                        }
                    }
                    configure = configure
                        .arg(format!("--host={}", self.job.target().gnu_triple()))
                        .arg(format!("--build={}", self.run.host.build_triple));
                }
                // The recipe's own last: configure takes the last of a repeated option.
                configure = configure.args(recipe.configure.args.iter().map(|a| self.expand(a)));
                self.step("configure", 1, |_| configure)
            }
            BuildSystem::Make => Ok(()),
            BuildSystem::Cmake => self.cmake_configure(),
            BuildSystem::Meson => self.meson_setup(),
        }
    }

    /// make (or `cmake --build`).
    pub(crate) fn compile(&self) -> Result<()> {
        let recipe = &self.job.recipe;
        match recipe.build {
            BuildSystem::Autotools | BuildSystem::Configure | BuildSystem::Make => {
                self.step("make", self.run.make_jobs(), |jobs| {
                    self.make(false, jobs).args(&recipe.make.targets)
                })
            }
            BuildSystem::Cmake => self.step("make", self.run.make_jobs(), |jobs| {
                self.cmd("cmake")
                    .arg("--build")
                    .arg(self.cmake_dir())
                    .arg("-j")
                    .arg(jobs.to_string())
            }),
            // Verbose: the log shows each compile command, as make's does.
            BuildSystem::Meson => self.step("meson-compile", self.run.make_jobs(), |jobs| {
                self.meson_cmd()
                    .arg("compile")
                    .arg("-C")
                    .arg(self.meson_dir())
                    .arg("-j")
                    .arg(jobs.to_string())
                    .arg("--verbose")
            }),
        }
    }

    /// The install, with `DESTDIR=stage`; one job, since installing in parallel races
    /// on directory creation in some Makefiles.
    pub(crate) fn install(&self, stage: &Path) -> Result<()> {
        let destdir = format!("DESTDIR={}", stage.display());
        match self.job.recipe.build {
            BuildSystem::Autotools | BuildSystem::Configure | BuildSystem::Make => {
                self.step("install", 1, |_| {
                    self.make(true, 1).args(self.install_targets()).arg(destdir)
                })
            }
            BuildSystem::Cmake => self.step("install", 1, |_| {
                self.cmd("cmake")
                    .arg("--install")
                    .arg(self.cmake_dir())
                    .env("DESTDIR", stage)
            }),
            BuildSystem::Meson => self.step("meson-install", 1, |_| {
                self.meson_cmd()
                    .arg("install")
                    .arg("-C")
                    .arg(self.meson_dir())
                    .arg("--destdir")
                    .arg(stage)
                    .arg("--no-rebuild")
            }),
        }
    }

    /// meson with its own environment (`meson_env`), from the build folder.
    fn meson_cmd(&self) -> Cmd {
        let meson = self
            .run
            .host
            .tools
            .get("meson")
            .cloned()
            .unwrap_or_else(|| PathBuf::from("meson"));
        let mut cmd = self
            .run
            .ctx
            .command(meson)
            .env_clear()
            .current_dir(self.dir);
        for (k, v) in meson_env(self.job, self.run.host, &self.run.ctx.env) {
            cmd = cmd.env(k, v);
        }
        // meson runs the target's programs through `exe_wrapper`; scripts a project runs
        // in its own steps may start them directly.
        if let Emulation::Binfmt { binfmt, .. } = emulate::for_job(self.run.ctx, self.job) {
            cmd = cmd.private_binfmt(binfmt);
        }
        cmd
    }

    /// The cross file of this build: the toolchain, muslbuild's flags and defaults, the
    /// target. meson names sources relative to its build folder
    /// (`../../home/me/project/main.c`), so each folder kept out of the output is also
    /// mapped in that spelling.
    fn meson_cross_file(&self, build: &Path) -> super::meson::CrossFile {
        let tc = &self.job.toolchain;
        let env = &self.run.ctx.env;
        let mut maps = self.maps.clone();
        let real_build = std::fs::canonicalize(build).unwrap_or_else(|_| build.to_path_buf());
        for dir in &self.maps {
            let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
            if let Some(rel) = super::meson::relative(&real_build, &real)
                && !rel.as_os_str().is_empty()
                && !maps.contains(&rel)
            {
                maps.push(rel);
            }
        }
        let flags = build_flags(self.job, self.run.host, &maps);
        let words = |tool: &crate::toolchain::model::Tool| -> Vec<String> {
            std::iter::once(tool.program.as_os_str())
                .chain(tool.args.iter().map(|a| a.as_os_str()))
                .map(|w| w.to_string_lossy().into_owned())
                .collect()
        };
        // zig goes through muslbuild's `zig-cc` wrapper here too: a project's
        // `link_args` may carry GNU ld options zig's linker refuses.
        let mut c = words(&tc.cc_for_builds(env));
        c.extend(tc.target_flags());
        let mut c_args = flags.cflags;
        c_args.extend(
            flags
                .include_dirs
                .iter()
                .map(|d| format!("-I{}", d.display())),
        );
        // After every include folder, as CPPFLAGS has them for the other build systems.
        c_args.extend(tc.kernel_header_flags());
        let mut c_link_args = flags.ldflags;
        c_link_args.extend(flags.lib_dirs.iter().map(|d| format!("-L{}", d.display())));
        c_link_args.extend(flags.recipe_ldflags);
        let recipe = &self.job.recipe;
        super::meson::CrossFile {
            c,
            ar: words(&tc.ar),
            strip: find_strip(tc, env),
            pkg_config: self.run.host.tools.get("pkg-config").cloned(),
            exe_wrapper: emulate::exe_wrapper(self.run.ctx, self.job),
            pkg_config_libdir: pkg_config_dirs(&self.job.prefix, &self.job.dep_prefixes),
            c_args,
            c_link_args,
            options: super::meson::default_options(
                &self.prefix,
                recipe.is_project() && self.prefix == "/usr",
                !recipe.is_project(),
            ),
            target: Some(tc.target),
        }
    }

    /// `meson setup` in a fresh build folder (a folder set up before is only set up
    /// again when its settings changed or its setup never finished: it goes whole), with
    /// the machine files beside meson's own and copied into the logs.
    fn meson_setup(&self) -> Result<()> {
        let build = self.meson_dir();
        if build.exists() {
            std::fs::remove_dir_all(&build).map_err(Error::io("cannot clear", &build))?;
        }
        std::fs::create_dir_all(&build).map_err(Error::io("cannot create", &build))?;
        let cross = build.join("muslbuild-cross.ini");
        let text = self.meson_cross_file(&build).text();
        std::fs::write(&cross, &text).map_err(Error::io("cannot write", &cross))?;
        let _ = std::fs::write(self.logs.join("meson-cross.ini"), &text);
        let mut setup = self
            .meson_cmd()
            .arg("setup")
            .arg("--cross-file")
            .arg(&cross);
        if let Some(cc) = &self.run.host.build_cc {
            let words = shlex::split(cc).unwrap_or_else(|| vec![cc.clone()]);
            let native = build.join("muslbuild-native.ini");
            let text = super::meson::native_file(&words);
            std::fs::write(&native, &text).map_err(Error::io("cannot write", &native))?;
            setup = setup.arg("--native-file").arg(native);
        }
        let setup = setup.arg(&build).arg(self.src).args(
            self.job
                .recipe
                .configure
                .args
                .iter()
                .map(|a| self.expand(a)),
        );
        self.step("meson-setup", 1, |_| setup)
    }

    fn cmake_configure(&self) -> Result<()> {
        let recipe = &self.job.recipe;
        let tc = &self.job.toolchain;
        let mut roots = self
            .job
            .dep_prefixes
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>();
        if !recipe.is_project() {
            roots.push(self.job.prefix.display().to_string());
        }
        let processor = self.job.target().cmake_processor();
        let configure = self
            .cmd("cmake")
            .arg("-S")
            .arg(self.src)
            .arg("-B")
            .arg(self.cmake_dir())
            .arg("-DCMAKE_SYSTEM_NAME=Linux")
            .arg(format!("-DCMAKE_SYSTEM_PROCESSOR={processor}"))
            .arg("-DCMAKE_BUILD_TYPE=MinSizeRel")
            .arg("-DBUILD_SHARED_LIBS=OFF")
            .args((!recipe.is_project()).then_some("-DCMAKE_POSITION_INDEPENDENT_CODE=ON"))
            .arg(format!("-DCMAKE_INSTALL_PREFIX={}", self.prefix))
            .arg("-DCMAKE_INSTALL_LIBDIR=lib")
            .arg(format!("-DCMAKE_FIND_ROOT_PATH={}", roots.join(";")))
            .arg("-DCMAKE_FIND_ROOT_PATH_MODE_PROGRAM=NEVER")
            .arg("-DCMAKE_FIND_ROOT_PATH_MODE_LIBRARY=ONLY")
            .arg("-DCMAKE_FIND_ROOT_PATH_MODE_INCLUDE=ONLY")
            .arg("-DCMAKE_FIND_ROOT_PATH_MODE_PACKAGE=ONLY")
            .args(
                tc.ar
                    .args
                    .is_empty()
                    .then(|| format!("-DCMAKE_AR={}", tc.ar.program.display())),
            )
            // try_run and custom commands that run the target's programs go through it.
            .args(
                emulate::exe_wrapper(self.run.ctx, self.job)
                    .map(|qemu| format!("-DCMAKE_CROSSCOMPILING_EMULATOR={}", qemu.display())),
            )
            .args(recipe.configure.args.iter().map(|a| self.expand(a)));
        self.step("configure", 1, |_| configure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_config_sub_is_replaced_and_current_one_kept() {
        if !Path::new(AUTOTOOLS_MISC).join("config.sub").is_file() {
            panic!(
                "prerequisite /usr/share/misc/config.sub is missing: run scripts/setup-test-env.sh (it installs autotools-dev)"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("old")).unwrap();
        std::fs::create_dir(dir.path().join("new")).unwrap();
        // An old config.sub that knows no musl at all.
        std::fs::write(
            dir.path().join("old/config.sub"),
            "#!/bin/sh\necho \"Invalid configuration '$1'\" >&2\nexit 1\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("old/config.guess"), "#!/bin/sh\nexit 1\n").unwrap();
        std::fs::write(
            dir.path().join("new/config.sub"),
            "#!/bin/sh\necho \"$1\"\n",
        )
        .unwrap();
        let log = dir.path().join("log");
        let ctx = Ctx::for_tests(dir.path());
        let replaced = refresh_config_scripts(&ctx, dir.path(), Target::Armv7, &log).unwrap();
        assert_eq!(replaced, vec![dir.path().join("old/config.sub")]);
        let fresh = std::fs::read(Path::new(AUTOTOOLS_MISC).join("config.sub")).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("old/config.sub")).unwrap(),
            fresh
        );
        assert_ne!(
            std::fs::read(dir.path().join("old/config.guess")).unwrap(),
            b"#!/bin/sh\nexit 1\n"
        );
        assert_eq!(
            std::fs::read(dir.path().join("new/config.sub")).unwrap(),
            b"#!/bin/sh\necho \"$1\"\n"
        );
    }
}
