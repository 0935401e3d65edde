//! The C pipeline for one program and one target, with the toolchain the plan resolved
//! for it: compile and link into staging in one driver call (with defaults for tiny,
//! reproducible, static executables), then the shared tail (`pipeline`). Every
//! artifact goes through the build cache: an unchanged one is restored without running
//! the compiler.

use std::path::{Path, PathBuf};

use crate::context::Ctx;
use crate::dist_folder::Dist;
use crate::error::{Error, Result};
use crate::pipeline::cache::{self, BuildEntry};
use crate::pipeline::objects::{self, ObjectJob};
use crate::pipeline::{Built, Caching, MadeBy, TargetJob};
use crate::sys::fs::Temps;
use crate::sys::key::{CacheKey, KeyKind, Places};
use crate::sys::process::Cmd;
use crate::target::Target;
use crate::toolchain::{self, Flavor, Toolchain};

/// One C program for one target, as the plan gives it: the target's toolchain (resolved
/// once for every artifact of the run), the libraries muslbuild built for it (`--lib`),
/// and whether to bypass the build cache (`--check-reproducible`'s second build: build
/// even when the cache has it, and do not record it).
pub(crate) struct CTarget<'a> {
    pub(crate) toolchain: &'a Toolchain,
    pub(crate) libraries: Option<&'a crate::libs::Prepared>,
    pub(crate) bypass_cache: bool,
}

/// Builds `program` for the target of `on.toolchain` through the shared tail.
pub(crate) fn build_one(
    program: &CProgram,
    on: &CTarget<'_>,
    dist: &Dist,
    ctx: &Ctx,
) -> Result<Built> {
    let toolchain = on.toolchain;
    let target = toolchain.target;
    let mut program = program.clone();
    if toolchain.flavor == Flavor::Zig {
        program.translate_for_zig(target, ctx)?;
    }
    if let Some(set) = on.libraries.and_then(|p| p.link_set(target)) {
        program.link_libraries(set);
    }
    let name = &program.name;
    let (key, shown) = key(&program, toolchain, ctx)?;
    let job = TargetJob {
        name,
        target,
        made_by: MadeBy {
            tool: toolchain.provider.name().to_string(),
            version: toolchain.version.clone(),
            label: toolchain.label(),
            origin: dist
                .sbom_plan()
                .map(|_| crate::toolchain::origin::origin(toolchain)),
            kernel_headers: toolchain.kernel_headers.as_ref().map(|h| h.package.clone()),
        },
        caching: Caching::Keyed {
            key,
            command: shown,
            bypass: on.bypass_cache,
            places: program.key_places(toolchain, ctx),
        },
    };
    super::finish_target(job, dist, ctx, |staged, staging| {
        if program.sources.len() > 1 {
            return build_objects_and_link(&program, toolchain, staged, staging, on, ctx);
        }
        let log = ctx.cache.log_file(&format!("{name}-{target}.log"));
        let depfile = staging.join(".deps.d");
        let cmd = command(&program, toolchain, staged, ctx)
            .arg("-MD")
            .arg("-MF")
            .arg(&depfile);
        run(cmd, &program.name, toolchain, &log, ctx)?;
        read_depfile(&depfile, ctx)
    })
}

/// A many-file program: one object per source (cached per object, compiled in parallel),
/// then one link, itself cached under the objects' hashes and the link command. Returns
/// every source and header the objects were compiled from.
fn build_objects_and_link(
    program: &CProgram,
    toolchain: &Toolchain,
    staged: &Path,
    staging: &Path,
    build: &CTarget<'_>,
    ctx: &Ctx,
) -> Result<Vec<PathBuf>> {
    let (name, target) = (&program.name, toolchain.target);
    let logs = ctx.cache.dir("logs");
    let objects_dir = staging.join(".objects");
    std::fs::create_dir_all(&objects_dir).map_err(Error::io("cannot create", &objects_dir))?;
    let mut jobs = Vec::new();
    for (i, source) in program.sources.iter().enumerate() {
        let stem = source.file_stem().unwrap_or_default().to_string_lossy();
        let file = format!("{i}-{stem}");
        let (key, _) = object_key(program, toolchain, source, ctx)?;
        let output = objects_dir.join(format!("{file}.o"));
        let depfile = objects_dir.join(format!("{file}.d"));
        let shown = source.strip_prefix(&ctx.env.cwd).unwrap_or(source);
        jobs.push(ObjectJob {
            what: format!("{}` of `{name}", shown.display()),
            cmd: object_command(program, toolchain, source, &output, ctx)
                .arg("-MD")
                .arg("-MF")
                .arg(&depfile),
            output,
            depfile,
            log: logs.join(format!("{name}-{target}-{file}.log")),
            entry: BuildEntry::new(&ctx.cache, &format!("{name}.{stem}.o"), target, &key)
                .with_places(program.key_places(toolchain, ctx)),
            toolchain: toolchain.label(),
        });
    }
    let objects = objects::build_objects(&jobs, build.bypass_cache, ctx, |job| {
        ctx.cache.pin(&job.log);
        run(job.cmd.clone(), &job.what, toolchain, &job.log, ctx)
    })?;
    let paths: Vec<PathBuf> = objects.iter().map(|o| o.path.clone()).collect();
    let cmd = link_command(program, toolchain, &paths, staged, ctx);
    let shown = cmd.display();
    let sha256: Vec<&str> = objects.iter().map(|o| o.sha256.as_str()).collect();
    let key = link_key(program, toolchain, &sha256, ctx);
    let entry = BuildEntry::new(&ctx.cache, &format!("{name}.link"), target, &key);
    if !entry.restore_hit(build.bypass_cache, staged, (name, target), &shown, ctx)? {
        let log = ctx.cache.log_file(&format!("{name}-{target}.log"));
        run(cmd, name, toolchain, &log, ctx)?;
        if !build.bypass_cache {
            entry.store(&ctx.cache, staged, &[])?;
        }
    }
    let mut deps: Vec<PathBuf> = objects.into_iter().flat_map(|o| o.deps).collect();
    deps.sort();
    deps.dedup();
    Ok(deps)
}

/// A link's key: the objects' sha256, the link command (library folders named by their
/// keys) with the machine's folders named by their words (`key_places`), the toolchain's
/// fingerprint and the target.
fn link_key(program: &CProgram, toolchain: &Toolchain, objects: &[&str], ctx: &Ctx) -> String {
    CacheKey::new(KeyKind::CLink)
        .part("target", toolchain.target.name())
        .part("toolchain", &toolchain.fingerprint)
        .command(
            "command",
            &link_command(program, toolchain, &[], Path::new("OUT"), ctx).display(),
            &program.key_places(toolchain, ctx),
        )
        .list("objects", objects)
        .finish()
}

/// An object's key: its compile command (prefix maps, flags, include folders), the
/// source's path and contents, the toolchain's fingerprint and the target, with the
/// machine's folders named by their words (`key_places`). The headers it reads are
/// recorded with the entry and checked on each lookup.
fn object_key(
    program: &CProgram,
    toolchain: &Toolchain,
    source: &Path,
    ctx: &Ctx,
) -> Result<(String, String)> {
    let command = object_command(program, toolchain, source, Path::new("OUT"), ctx).display();
    let key = CacheKey::new(KeyKind::Object)
        .part("target", toolchain.target.name())
        .part("toolchain", &toolchain.fingerprint)
        .command("command", &command, &program.key_places(toolchain, ctx))
        .part(
            "source",
            crate::sys::hash::file_sha256(source).map_err(Error::io("cannot read", source))?,
        )
        .finish();
    Ok((key, command))
}

/// What decides the artifact before the compiler runs: the exact command line (flags,
/// include and library folders, whose cached prefixes are named by their keys), the
/// sources' paths and contents, the toolchain's fingerprint and the target, with the
/// machine's folders named by their words (`key_places`). Returns the key and the
/// command as it runs.
fn key(program: &CProgram, toolchain: &Toolchain, ctx: &Ctx) -> Result<(String, String)> {
    let command = command(program, toolchain, Path::new("OUT"), ctx).display();
    let places = program.key_places(toolchain, ctx);
    let mut key = CacheKey::new(KeyKind::CProgram)
        .part("target", toolchain.target.name())
        .part("toolchain", &toolchain.fingerprint)
        .command("command", &command, &places);
    for source in &program.sources {
        let sha256 =
            crate::sys::hash::file_sha256(source).map_err(Error::io("cannot read", source))?;
        key = key.group("source", |k| {
            k.path("path", source, &places).part("sha256", sha256)
        });
    }
    Ok((key.finish(), command))
}

fn read_depfile(path: &Path, ctx: &Ctx) -> Result<Vec<PathBuf>> {
    let text = std::fs::read(path).map_err(Error::io("cannot read", path))?;
    Ok(cache::parse_depfile(&text, &ctx.env.cwd))
}

/// One C program as the user described it; paths are absolute.
#[derive(Clone, Debug, Default)]
pub(crate) struct CProgram {
    pub(crate) name: String,
    pub(crate) sources: Vec<PathBuf>,
    pub(crate) include_dirs: Vec<PathBuf>,
    pub(crate) defines: Vec<String>,
    pub(crate) lib_dirs: Vec<PathBuf>,
    pub(crate) libs: Vec<String>,
    /// `CFLAGS`, then `--cflags`: after muslbuild's defaults, so they win.
    pub(crate) cflags: Vec<String>,
    pub(crate) ldflags: Vec<String>,
    pub(crate) strip: bool,
    /// Folders whose absolute path must not reach the output (`-ffile-prefix-map`).
    pub(crate) prefix_maps: Vec<PathBuf>,
    pub(crate) source_date_epoch: u64,
}

/// The folders whose absolute path must not reach a program's output: `base` (the
/// working or project folder), then each source's folder once.
pub(crate) fn prefix_maps(base: &Path, sources: &[PathBuf]) -> Vec<PathBuf> {
    let mut maps = vec![base.to_path_buf()];
    for source in sources {
        let dir = source.parent().expect("a source file has a folder");
        if !maps.iter().any(|m| m == dir) {
            maps.push(dir.to_path_buf());
        }
    }
    maps
}

impl CProgram {
    /// The folders this machine's keys of the program name by their words: the base of
    /// its prefix maps (the project's folder, or where `muslbuild FILE…` started), the
    /// cache (library prefixes, kernel headers and support archives, each named by its
    /// own key there), and the compiler, whose content the toolchain's fingerprint holds.
    /// The outputs are path-free already (prefix maps), so a moved checkout or home
    /// changes no byte and, named so, no key.
    fn key_places(&self, toolchain: &Toolchain, ctx: &Ctx) -> Places {
        let places = toolchain.key_places(Places::new().cache(ctx.cache.root()));
        match self.prefix_maps.first() {
            Some(root) => places.root(root),
            None => places,
        }
    }

    /// The user's flags as zig's linker takes them (`toolchain::zigld`): a harmless GNU
    /// ld option dropped or rewritten (said with `-v`), a meaningful one refused before
    /// anything runs. Done before the key, so the key and `-v` show what zig gets.
    fn translate_for_zig(&mut self, target: Target, ctx: &Ctx) -> Result<()> {
        let read = |path: &Path| std::fs::read(ctx.env.cwd.join(path)).ok();
        for flags in [&mut self.cflags, &mut self.ldflags] {
            let args: Vec<std::ffi::OsString> = flags.iter().map(Into::into).collect();
            let translation = toolchain::zigld::translate(&args, &read).map_err(|refusal| {
                toolchain::linker_arg_refused(format!("`{}`", self.name), target, refusal, None)
            })?;
            for note in &translation.notes {
                ctx.ui
                    .note(format_args!("`{}` for {target}: {note}", self.name));
            }
            *flags = translation
                .args
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
        }
        Ok(())
    }

    /// Adds a target's libraries: their headers and archives come after the user's own
    /// `-I`/`-L`, and their link names after the user's `-l`, dependents first.
    pub(crate) fn link_libraries(&mut self, set: &crate::libs::LinkSet) {
        self.include_dirs.extend(set.include_dirs.iter().cloned());
        self.lib_dirs.extend(set.lib_dirs.iter().cloned());
        self.libs.extend(set.libs.iter().cloned());
    }
}

/// The defaults for small code: optimise for size and let the linker drop every function
/// and object nobody calls.
const SIZE_FLAGS: &[&str] = &["-Os", "-ffunction-sections", "-fdata-sections"];
const LINK_FLAGS: &[&str] = &["-static", "-Wl,--gc-sections"];

/// The one driver call of a single-source program: compile and link.
fn command(program: &CProgram, toolchain: &Toolchain, output: &Path, ctx: &Ctx) -> Cmd {
    let cmd = compile_flags(program, toolchain, ctx).args(&program.sources);
    link_tail(cmd, program, toolchain, output)
}

/// One source of a many-file program to its object. zig's `-g` (kept symbols) is given
/// here as in the single call, so the objects carry what that call's did.
fn object_command(
    program: &CProgram,
    toolchain: &Toolchain,
    source: &Path,
    output: &Path,
    ctx: &Ctx,
) -> Cmd {
    let mut cmd = compile_flags(program, toolchain, ctx);
    if !program.strip && toolchain.flavor == Flavor::Zig {
        cmd = cmd.arg("-g");
    }
    cmd.arg("-c")
        .arg(source)
        .arg("-o")
        .arg(output)
        .env("SOURCE_DATE_EPOCH", program.source_date_epoch.to_string())
}

/// The link of a many-file program's objects. The user's `CFLAGS` come too, as a
/// Makefile's link rule passes them (`-flto`, `-pthread` matter there).
fn link_command(
    program: &CProgram,
    toolchain: &Toolchain,
    objects: &[PathBuf],
    output: &Path,
    ctx: &Ctx,
) -> Cmd {
    let cmd = toolchain
        .cc
        .command(ctx)
        .response_file_allowed()
        .args(toolchain.target_flags())
        .args(SIZE_FLAGS)
        .args(&program.cflags)
        .args(objects);
    link_tail(cmd, program, toolchain, output)
}

/// The driver, target and size flags, prefix maps, include folders, defines and the
/// user's flags: everything that decides how a source compiles.
fn compile_flags(program: &CProgram, toolchain: &Toolchain, ctx: &Ctx) -> Cmd {
    let mut cmd = toolchain
        .cc
        .command(ctx)
        .response_file_allowed()
        .args(toolchain.target_flags())
        .args(SIZE_FLAGS);
    for dir in &program.prefix_maps {
        // OsString, not `display()`: a folder whose name is not UTF-8 must map too.
        let mut map = std::ffi::OsString::from("-ffile-prefix-map=");
        map.push(dir);
        map.push("=.");
        cmd = cmd.arg(map);
    }
    for dir in &program.include_dirs {
        cmd = cmd.arg("-I").arg(dir);
    }
    for define in &program.defines {
        cmd = cmd.arg(format!("-D{define}"));
    }
    // Pinned kernel headers after every include folder of the program, its libraries
    // and its flags: a program's own copies of kernel headers win, as over /usr/include.
    cmd.args(&program.cflags)
        .args(toolchain.kernel_header_map())
        .args(toolchain.kernel_header_flags())
}

/// Static, section GC, strip (or zig's symbols), library folders, the user's link flags,
/// libraries, the output.
fn link_tail(mut cmd: Cmd, program: &CProgram, toolchain: &Toolchain, output: &Path) -> Cmd {
    cmd = cmd.args(LINK_FLAGS);
    if program.strip {
        cmd = cmd.arg("-s");
    } else if toolchain.flavor == Flavor::Zig {
        // zig drops the symbol table by itself at -Os; only -g makes it keep symbols.
        cmd = cmd.arg("-g");
    }
    for dir in &program.lib_dirs {
        cmd = cmd.arg("-L").arg(dir);
    }
    cmd = cmd.args(&program.ldflags);
    for lib in &program.libs {
        cmd = cmd.arg(format!("-l{lib}"));
    }
    cmd.arg("-o")
        .arg(output)
        .env("SOURCE_DATE_EPOCH", program.source_date_epoch.to_string())
}

/// Past this many bytes of `-D` flags they go into a forced-include header.
const DEFINES_IN_HEADER_ABOVE: usize = 64 * 1024;

/// Runs a compiler command (a compile, a link or both) for `what` (a program, or a
/// source of one: the error names it).
fn run(cmd: Cmd, what: &str, toolchain: &Toolchain, log: &Path, ctx: &Ctx) -> Result<()> {
    let dir = log.parent().unwrap_or(Path::new("."));
    let (cmd, _header) = defines_in_header(cmd, dir, ctx.temps())?;
    match cmd.run_logged(log) {
        Ok(()) => Ok(()),
        // An option the table does not know, refused by zig itself.
        Err(Error::CommandFailed { tail, .. })
            if let Some(refusal) = toolchain::zigld::refused_by_zig(&tail)
                && toolchain.flavor == Flavor::Zig =>
        {
            Err(toolchain::linker_arg_refused(
                format!("`{what}`"),
                toolchain.target,
                refusal,
                Some(log),
            ))
        }
        Err(Error::CommandFailed { tail, .. }) => Err(Error::Compile {
            stage: if is_link_failure(&tail) {
                "linking"
            } else {
                "compiling"
            },
            name: what.to_string(),
            target: toolchain.target,
            log: log.to_path_buf(),
            tail: super::diagnostics(&tail),
        }),
        Err(other) => Err(other),
    }
}

/// The driver passes `-D` flags on to the compiler proper on its command line, which a
/// response file does not shorten: past the limit they become `#define` lines of a
/// header given with `-include` (same meaning: `-D` is processed before `-include`).
/// Not done when a `-U` could be meant to undo one of them.
fn defines_in_header(
    cmd: Cmd,
    dir: &Path,
    temps: &Temps,
) -> Result<(Cmd, Option<tempfile::NamedTempFile>)> {
    use std::os::unix::ffi::OsStrExt;
    let define = |a: &std::ffi::OsString| a.as_bytes().starts_with(b"-D") && a.len() > 2;
    let args = cmd.get_args();
    let size: usize = args.iter().filter(|a| define(a)).map(|a| a.len() + 1).sum();
    if size <= DEFINES_IN_HEADER_ABOVE || args.iter().any(|a| a.as_bytes().starts_with(b"-U")) {
        return Ok((cmd, None));
    }
    let mut header = Vec::new();
    for arg in args.iter().filter(|a| define(a)) {
        let body = &arg.as_bytes()[2..];
        let (name, value) = match body.iter().position(|&b| b == b'=') {
            Some(i) => (&body[..i], &body[i + 1..]),
            None => (body, &b"1"[..]),
        };
        header.extend_from_slice(b"#define ");
        header.extend_from_slice(name);
        header.push(b' ');
        header.extend_from_slice(value);
        header.push(b'\n');
    }
    std::fs::create_dir_all(dir).map_err(Error::io("cannot create", dir))?;
    let mut file = tempfile::Builder::new()
        .prefix(&temps.prefix(dir))
        .suffix(".h")
        .tempfile_in(dir)
        .map_err(Error::io("cannot write a header in", dir))?;
    std::io::Write::write_all(&mut file, &header)
        .map_err(Error::io("cannot write", file.path()))?;
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    let mut placed = false;
    for arg in args {
        if define(arg) {
            if !placed {
                rest.push("-include".into());
                rest.push(file.path().into());
                placed = true;
            }
        } else {
            rest.push(arg.clone());
        }
    }
    Ok((cmd.with_args(rest), Some(file)))
}

fn is_link_failure(log: &str) -> bool {
    log.lines().any(|l| {
        l.contains("undefined reference")
            || l.contains("undefined symbol")
            || l.contains("ld: cannot find")
            || l.contains("ld.lld: error")
            || l.contains("collect2: error")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::key::machines::{self, Machine};

    #[test]
    fn many_defines_become_a_forced_include_header() {
        let dir = tempfile::tempdir().unwrap();
        let defines: Vec<String> = (0..10_000).map(|i| format!("-DNAME{i}=v{i}")).collect();
        let ctx = Ctx::for_tests(dir.path());
        let cmd = ctx
            .command("cc")
            .arg("-Os")
            .args(&defines)
            .args(["-DFLAG", "x.c"]);
        let (moved, header) = defines_in_header(cmd.clone(), dir.path(), ctx.temps()).unwrap();
        let header = header.expect("past the limit");
        let text = std::fs::read_to_string(header.path()).unwrap();
        assert!(text.starts_with("#define NAME0 v0\n"), "{text}");
        assert!(text.ends_with("#define NAME9999 v9999\n#define FLAG 1\n"));
        let args: Vec<_> = moved.get_args().to_vec();
        assert_eq!(args[0], "-Os");
        assert_eq!(args[1], "-include");
        assert_eq!(args[2], header.path().as_os_str());
        assert_eq!(args[3..], ["x.c"]);
        // A -U might undo one of them: the order matters, so nothing moves.
        let (kept, none) = defines_in_header(cmd.arg("-UNAME3"), dir.path(), ctx.temps()).unwrap();
        assert!(none.is_none());
        assert_eq!(kept.get_args().len(), 10_004);
    }

    fn pinned_6_1(include: &Path) -> crate::toolchain::KernelHeaders {
        crate::toolchain::KernelHeaders {
            key: "k61".into(),
            ..crate::toolchain::KernelHeaders::for_tests(
                include.to_str().unwrap(),
                &["asm", "linux"],
                "amd64",
            )
        }
    }

    #[test]
    fn without_kernel_headers_a_plain_hello_is_keyed_and_compiled_as_before() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Ctx::for_tests(dir.path());
        let source = dir.path().join("hello.c");
        std::fs::write(&source, "int main(void) { return 0; }\n").unwrap();
        let program = CProgram {
            name: "hello".into(),
            sources: vec![source.clone()],
            strip: true,
            ..CProgram::default()
        };
        let toolchain = Toolchain::musl_gcc_for_tests(Target::X86_64, "f");
        let (key, shown) = key(&program, &toolchain, &ctx).unwrap();
        // The command muslbuild ran before kernel headers existed, word for word: every
        // build that pins none runs what it ran.
        assert_eq!(
            shown,
            format!(
                "SOURCE_DATE_EPOCH=0 /usr/bin/musl-gcc -Os -ffunction-sections -fdata-sections {} -static '-Wl,--gc-sections' -s -o OUT",
                source.display()
            )
        );
        let pinned = toolchain.with_kernel_headers(pinned_6_1(Path::new("/c/libs/kh/include")));
        let (pinned_key, pinned_shown) = super::key(&program, &pinned, &ctx).unwrap();
        assert_ne!(pinned_key, key, "the headers are in the key");
        assert!(
            pinned_shown.contains(" -isystem /c/libs/kh/include "),
            "{pinned_shown}"
        );
    }

    #[test]
    fn kernel_headers_come_after_every_include_folder_and_flag() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Ctx::for_tests(dir.path());
        let program = CProgram {
            name: "tool".into(),
            sources: vec![dir.path().join("tool.c")],
            include_dirs: vec![PathBuf::from("/src/bundled/uapi")],
            cflags: vec!["-I/src/more".into()],
            ..CProgram::default()
        };
        let zig = Toolchain {
            flavor: Flavor::Zig,
            ..Toolchain::musl_gcc_for_tests(Target::Aarch64, "f")
        }
        .with_kernel_headers(pinned_6_1(Path::new("/c/kh")));
        let args: Vec<String> = compile_flags(&program, &zig, &ctx)
            .get_args()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let at = |flag: &str| args.iter().position(|a| a == flag).expect(flag);
        assert!(at("/src/bundled/uapi") < at("-I/c/kh"), "{args:?}");
        assert!(at("-I/src/more") < at("-I/c/kh"), "{args:?}");
        assert!(args.contains(&"--system-header-prefix=linux/".to_string()));
        assert!(args.contains(&"-ffile-prefix-map=/c/kh=/linux-headers-6.1.176".to_string()));
    }

    /// A program of two sources in a checkout, with headers of its own, a library's
    /// headers and archive in the cache, pinned kernel headers there, and its compiler
    /// installed in the home: every path a key of it could name.
    fn program_on(m: &Machine, cflags: &[&str]) -> (CProgram, Toolchain, Ctx) {
        let lib = m.home.join("libs/z-1.3-x86_64-0123456789abcdef");
        let sources = vec![m.root.join("src/main.c"), m.root.join("src/util.c")];
        let program = CProgram {
            name: "tool".into(),
            include_dirs: vec![m.root.join("include"), lib.join("include")],
            lib_dirs: vec![lib.join("lib")],
            libs: vec!["z".into()],
            cflags: std::iter::once(format!("-I{}", m.root.join("extra").display()))
                .chain(cflags.iter().map(|f| f.to_string()))
                .collect(),
            prefix_maps: prefix_maps(&m.root, &sources),
            sources,
            strip: true,
            ..CProgram::default()
        };
        let headers = m.home.join("libs/linux-headers-6.1-x86-0123/include");
        let toolchain = Toolchain {
            cc: crate::toolchain::model::Tool::new(
                m.home.join("toolchains/gcc/bin/x86_64-linux-musl-gcc"),
            ),
            ..Toolchain::musl_gcc_for_tests(Target::X86_64, "f")
        }
        .with_kernel_headers(pinned_6_1(&headers));
        (program, toolchain, m.ctx())
    }

    fn fill(m: &Machine) {
        m.write(
            &m.root,
            "src/main.c",
            "#include \"util.h\"\nint main(void) { return f(); }\n",
        );
        m.write(&m.root, "src/util.c", "int f(void) { return 0; }\n");
        m.write(&m.root, "include/util.h", "int f(void);\n");
    }

    /// The program's key, an object's and the link's, on a machine.
    fn c_keys(m: &Machine, cflags: &[&str]) -> [String; 3] {
        let (program, toolchain, ctx) = program_on(m, cflags);
        [
            key(&program, &toolchain, &ctx).unwrap().0,
            object_key(&program, &toolchain, &program.sources[1], &ctx)
                .unwrap()
                .0,
            link_key(&program, &toolchain, &["a", "b"], &ctx),
        ]
    }

    #[test]
    fn c_keys_are_the_same_in_another_checkout_and_home() {
        let [a, b] = machines::two(fill);
        assert_eq!(c_keys(&a, &[]), c_keys(&b, &[]));
        // What the machine's words stand for still counts: a flag changes every key,
        // a source's byte the program's and its object's.
        let [plain, flagged] = [c_keys(&a, &[]), c_keys(&a, &["-DY"])];
        for (plain, flagged) in plain.iter().zip(&flagged) {
            assert_ne!(plain, flagged);
        }
        a.write(&a.root, "src/util.c", "int f(void) { return 1; }\n");
        let edited = c_keys(&a, &[]);
        assert_ne!(edited[0], plain[0]);
        assert_ne!(edited[1], plain[1]);
        // An include folder outside the checkout and the home is a folder of this machine
        // only: kept as it is, so two of them never share a key.
        let (mut program, toolchain, ctx) = program_on(&a, &[]);
        let [x, y] = ["/opt/x/include", "/opt/y/include"].map(|dir| {
            program.include_dirs[0] = PathBuf::from(dir);
            key(&program, &toolchain, &ctx).unwrap().0
        });
        assert_ne!(x, y);
    }

    #[test]
    fn link_failures_are_told_apart() {
        assert!(is_link_failure(
            "/usr/bin/ld: x.o: undefined reference to `foo'"
        ));
        assert!(is_link_failure("ld.lld: error: undefined symbol: foo"));
        assert!(!is_link_failure("x.c:1:1: error: expected ';'"));
    }
}
