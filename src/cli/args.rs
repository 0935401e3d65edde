//! Every command-line flag of every subcommand (clap definitions only); `cli::run` turns
//! them into work.

use std::ffi::OsStr;
use std::path::PathBuf;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Args, Parser, Subcommand};

use crate::target::Target;

const EXAMPLES: &str = "\
Examples:
  muslbuild --target aarch64 hello.c            dist/aarch64/hello, static, verified
  muslbuild --target all hello.c --run          build for all eleven targets and run each (qemu)
  muslbuild -t x86_64,armv7 -o server -Iinclude -DNDEBUG src/*.c -lm
  muslbuild verify dist/armv7/hello --target armv7
  muslbuild -t x86_64,armv6 --lib readline repl.c  ncurses + readline per target (cached), linked statically
  muslbuild lib list                            the library recipes
  muslbuild toolchain list                      what each target would be built with
  muslbuild image --tag hello:1.0 --oci-archive dist/hello.tar
                                                multi-arch FROM scratch image of dist/
  muslbuild toolchain install aarch64 armv7     download, verify and install toolchains
  muslbuild init && muslbuild build             a muslbuild.toml project: every artifact, every target, the image
  muslbuild targets                             every accepted target name
  muslbuild cache stats                         sizes of the cache folders; `cache prune --max-size 2G` bounds them
  muslbuild completions bash > ~/.local/share/bash-completion/completions/muslbuild
                                                tab completion (also zsh, fish, elvish, powershell)

Exit codes: 0 ok, 1 internal, 2 usage, 3 bad input file, 4 compile/link error,
5 verification failed, 6 no usable toolchain, 7 --run failed, 8 file system,
9 download or checksum failure, 10 a library could not be built, 11 muslbuild.toml is
invalid, 12 a required program is missing or too old, 13 the image cannot be made as asked,
14 a registry unreachable, refusing the credentials or failing a push,
130/143 interrupted by SIGINT/SIGTERM (children killed, temporary files removed).
See the README for the full table.";

#[derive(Debug, Parser)]
#[command(
    name = "muslbuild",
    version,
    about = "Build fully static, tiny Linux executables for every Linux platform at once",
    long_about = "Build fully static, tiny Linux executables from C sources for every Linux platform at once\n\
                  (x86_64, aarch64, armv7, i386, armv5, armv6, riscv64, ppc64le, s390x, mips64el, loongarch64),\n\
                  prove each one is static, of the right architecture and within its CPU baseline, and write them\n\
                  to dist/<target>/<name>.\n\
                  Toolchains are found automatically (musl-cross gcc, zig, or the distribution's musl-gcc).",
    after_help = EXAMPLES,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,

    #[command(subcommand)]
    pub(crate) command: Option<Command>,

    #[command(flatten)]
    pub(crate) build: BuildArgs,
}

/// `--target`'s value as written (one name, an alias or a comma-separated list, parsed
/// once by `Target::parse_list` where the command checks its flags), offering the
/// canonical names and `all` to shell completion.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TargetNames;

impl TypedValueParser for TargetNames {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let names = Target::ALL
            .into_iter()
            .map(|t| PossibleValue::new(t.name()));
        Some(Box::new(names.chain([PossibleValue::new("all")])))
    }
}

#[derive(Debug, Args, Clone, Default)]
pub(crate) struct GlobalArgs {
    /// Print every command run (copy-pastable) and stream build logs
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    pub(crate) verbose: bool,

    /// Print only errors
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,

    /// Print a machine-readable JSON report on stdout
    #[arg(long, global = true)]
    pub(crate) json: bool,

    /// Never download: use only installed toolchains and cached files (also MUSLBUILD_OFFLINE=1)
    #[arg(long, global = true)]
    pub(crate) offline: bool,

    /// Fail (exit 14) instead of building locally when the remote cache
    /// (MUSLBUILD_REMOTE_CACHE, `[cache] remote`) cannot be reached or refuses access
    #[arg(long, global = true)]
    pub(crate) remote_cache_required: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub(crate) struct TargetArgs {
    /// Target(s): x86_64, aarch64, armv7, i386, armv5, armv6, riscv64, ppc64le, s390x,
    /// mips64el, loongarch64, `all`, or any alias (amd64, arm64, armhf, 386, armel,
    /// linux/arm/v6, ppc64el, mips64le, loong64, GNU/Rust triples; `muslbuild targets`
    /// lists them); comma-separated or repeated. Default: this machine's
    #[arg(short = 't', long = "target", value_name = "TARGET", value_parser = TargetNames, hide_possible_values = true)]
    pub(crate) targets: Vec<String>,
}

#[derive(Debug, Args, Clone, Default)]
pub(crate) struct ToolchainArgs {
    /// Which toolchain to use: auto, musl-cross, zig, musl-gcc, or a path to a compiler
    #[arg(
        long,
        value_name = "auto|musl-cross|zig|musl-gcc|PATH",
        default_value = "auto"
    )]
    pub(crate) toolchain: String,

    /// Use this C compiler (with arguments, e.g. "zig cc -target aarch64-linux-musl") for every target
    #[arg(long, value_name = "CC")]
    pub(crate) cc: Option<String>,

    /// Use this Go: the `go` binary or its GOROOT (default: $GOROOT, then `go` on PATH)
    #[arg(long = "go", value_name = "PATH")]
    pub(crate) go: Option<PathBuf>,
}

#[derive(Debug, Args, Clone, Default)]
pub(crate) struct BuildArgs {
    /// C source files (`.c`), or one Go command: a folder (`.`, `./cmd/server`) or its
    /// `.go` files
    #[arg(value_name = "INPUT")]
    pub(crate) inputs: Vec<PathBuf>,

    #[command(flatten)]
    pub(crate) targets: TargetArgs,

    #[command(flatten)]
    pub(crate) toolchain: ToolchainArgs,

    /// Build at most N things at once (default: the number of CPUs)
    #[arg(short = 'j', long, value_name = "N")]
    pub(crate) jobs: Option<usize>,

    /// Name of the executable (default: the first source's file name without `.c`)
    #[arg(short = 'o', long = "output", value_name = "NAME")]
    pub(crate) output: Option<String>,

    /// Where artifacts go: DIR/<target>/<name>, DIR/manifest.json, DIR/SHA256SUMS
    #[arg(long, value_name = "DIR", default_value = "dist")]
    pub(crate) out_dir: PathBuf,

    /// Add a header search directory
    #[arg(short = 'I', value_name = "DIR")]
    pub(crate) include: Vec<PathBuf>,

    /// Define a macro (NAME or NAME=VALUE)
    #[arg(short = 'D', value_name = "NAME[=VALUE]")]
    pub(crate) define: Vec<String>,

    /// Add a library search directory
    #[arg(short = 'L', value_name = "DIR")]
    pub(crate) lib_dir: Vec<PathBuf>,

    /// Link a library (-lm)
    #[arg(short = 'l', value_name = "LIB")]
    pub(crate) link: Vec<String>,

    /// Extra compiler flags, after $CFLAGS (split like a shell would)
    #[arg(long, value_name = "FLAGS", allow_hyphen_values = true)]
    pub(crate) cflags: Vec<String>,

    /// Extra linker flags, after $LDFLAGS (split like a shell would)
    #[arg(long, value_name = "FLAGS", allow_hyphen_values = true)]
    pub(crate) ldflags: Vec<String>,

    /// Keep symbols (default: stripped at link time)
    #[arg(long)]
    pub(crate) no_strip: bool,

    /// An artifact that names a folder of this machine (the cache, this folder, the
    /// temporary or home folder: a path that is not there in a scratch image) is an
    /// error (exit 5), not a warning
    #[arg(long)]
    pub(crate) strict: bool,

    /// Print the plan without building: the targets, each target's toolchain (kind,
    /// path, version), the libraries and every artifact x target with its output path
    /// (as JSON with --json)
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// Write no SPDX SBOM beside each artifact (dist/<target>/<name>.spdx.json)
    #[arg(long)]
    pub(crate) no_sbom: bool,

    /// Who supplies the artifacts, for their SBOMs: `Organization: NAME` or `Person: NAME`
    #[arg(long, value_name = "WHO")]
    pub(crate) sbom_supplier: Option<String>,

    #[command(flatten)]
    pub(crate) libs: LibArgs,

    /// Go: the program contains C; build it with CGO_ENABLED=1, the target's musl
    /// toolchain as CC and a static external link (-I/-L/-l/-D/--cflags feed cgo)
    #[arg(long)]
    pub(crate) cgo: bool,

    /// Go: build tags, added to netgo,osusergo (comma-separated)
    #[arg(long, value_name = "TAGS")]
    pub(crate) tags: Vec<String>,

    /// Go: extra `go build` flags, after muslbuild's and $GOFLAGS (e.g. "-gcflags=-B")
    #[arg(long, value_name = "FLAGS", allow_hyphen_values = true)]
    pub(crate) goflags: Vec<String>,

    /// Run each artifact after the build (qemu-user for foreign targets), with an empty
    /// environment in an empty directory; arguments after `--` are passed to it
    #[arg(long)]
    pub(crate) run: bool,

    /// Arguments for --run
    #[arg(last = true, value_name = "ARGS")]
    pub(crate) run_args: Vec<String>,
}

/// C libraries built per target and linked statically (docs/libraries.md).
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct LibArgs {
    /// Build these libraries (and their dependencies) for each target and link them:
    /// openssl, zlib, zstd, xz, bzip2, pcre2, libevent, expat, sqlite, ncurses, readline
    /// (`muslbuild lib list`); comma-separated or repeated
    #[arg(long = "lib", value_name = "NAME")]
    pub(crate) libs: Vec<String>,

    /// A vendored library: a folder built with its own build system (guessed when not
    /// given), linked as -lNAME
    #[arg(
        long = "vendor-lib",
        value_name = "NAME=DIR[:autotools|configure|make|cmake|meson]"
    )]
    pub(crate) vendor_libs: Vec<String>,

    /// A TOML file of [[library]] tables in the recipe format (vendored libraries with
    /// dependencies, arguments, link names)
    #[arg(long = "lib-file", value_name = "FILE")]
    pub(crate) lib_files: Vec<PathBuf>,

    /// A folder of source archives, found by name or sha256 (offline builds; also
    /// $MUSLBUILD_SOURCE_DIRS)
    #[arg(long = "source-dir", value_name = "DIR")]
    pub(crate) source_dirs: Vec<PathBuf>,

    /// Keep a failed library build's whole tree (its path is printed)
    #[arg(long)]
    pub(crate) keep_failed: bool,

    /// Linux UAPI headers (linux/, asm/) of this version for every C compile — programs,
    /// libraries, cgo — instead of each toolchain's own: 6.1, or `toolchain` (the
    /// default). Taken from Debian's linux-libc-dev package of each target's
    /// architecture, found in --source-dir folders (`muslbuild lib list` shows versions)
    #[arg(long, value_name = "VERSION")]
    pub(crate) kernel_headers: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum LibCommand {
    /// List the library recipes: versions, build systems, dependencies, link names
    List(LibListArgs),

    /// Build libraries for each target into the cache (without a program)
    Build(LibBuildArgs),

    /// Build (or find) libraries for one target and print CC, CFLAGS, LDFLAGS,
    /// PKG_CONFIG_LIBDIR… as `export` lines for another build system
    Env(LibBuildArgs),
}

#[derive(Debug, Args)]
pub(crate) struct LibListArgs {
    #[command(flatten)]
    pub(crate) libs: LibArgs,
}

#[derive(Debug, Args)]
pub(crate) struct LibBuildArgs {
    /// Library names (also --lib)
    #[arg(value_name = "NAME")]
    pub(crate) names: Vec<String>,

    #[command(flatten)]
    pub(crate) targets: TargetArgs,

    #[command(flatten)]
    pub(crate) toolchain: ToolchainArgs,

    /// Build at most N things at once (default: the number of CPUs)
    #[arg(short = 'j', long, value_name = "N")]
    pub(crate) jobs: Option<usize>,

    #[command(flatten)]
    pub(crate) libs: LibArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// List every target and its names in each scheme (GNU, zig, Rust, Go, OCI, ELF)
    Targets,

    /// Check that files are static executables of the right architecture
    Verify(VerifyArgs),

    /// Print the SPDX SBOM written beside an artifact (dist/<target>/<name>)
    Sbom(SbomArgs),

    /// Find, probe and list toolchains
    #[command(subcommand)]
    Toolchain(ToolchainCommand),

    /// Build everything muslbuild.toml describes (or the named artifacts) for every
    /// target, then its [image]; unchanged artifacts come from the build cache
    Build(ProjectArgs),

    /// Write a commented starter muslbuild.toml (never overwrites)
    Init,

    /// Build C libraries (ncurses, readline, zlib, vendored) per target
    #[command(subcommand)]
    Lib(LibCommand),

    /// Pack the artifacts in dist/ into a FROM-scratch multi-arch OCI image (layout folder,
    /// optionally an oci-archive) and write dist/Dockerfile for docker buildx
    Image(Box<ImageArgs>),

    /// Inspect, check and bound the cache (builds, libraries, logs, sources, toolchains)
    #[command(subcommand)]
    Cache(CacheCommand),

    /// Print the tab-completion script for a shell
    ///
    /// It completes subcommands, options and target names. Bash: `muslbuild completions
    /// bash > ~/.local/share/bash-completion/completions/muslbuild`; zsh: the output as
    /// `_muslbuild` in a folder of $fpath; fish: as
    /// ~/.config/fish/completions/muslbuild.fish.
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell the script is for
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// `muslbuild cache …`; each command lives in `commands::cache`.
#[derive(Debug, Subcommand)]
pub(crate) enum CacheCommand {
    /// Show the size of each cache folder
    Stats,

    /// Keep builds/, libs/, logs/ and zig/ (zig's per-target libc) under a size bound,
    /// removing the least recently used entries first
    Prune(CachePruneArgs),

    /// Hash every file of every cache entry and compare it with what the entry recorded
    /// when it was published; names each damaged file (exit 8 when one is)
    Verify,

    /// List the library, build and zig libc entries: this machine's, or with --remote
    /// those of the shared remote cache (MUSLBUILD_REMOTE_CACHE, `[cache] remote`) with
    /// their annotations
    Ls(CacheLsArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CacheLsArgs {
    /// List the shared remote cache's entries (exit 14 when it cannot be reached)
    #[arg(long)]
    pub(crate) remote: bool,
}

#[derive(Debug, Args)]
pub(crate) struct CachePruneArgs {
    /// The bound for builds/, libs/, logs/ and zig/ together: bytes, or K/M/G/T (binary
    /// units); default 5GiB
    #[arg(long, value_name = "SIZE")]
    pub(crate) max_size: Option<String>,
}

#[derive(Debug, Args, Clone, Default)]
pub(crate) struct ProjectArgs {
    /// Only these artifacts (no image); default: everything, then the image
    #[arg(value_name = "NAME")]
    pub(crate) names: Vec<String>,

    /// The project file
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        default_value = "muslbuild.toml"
    )]
    pub(crate) file: PathBuf,

    /// Targets instead of the file's [project] targets
    #[arg(short = 't', long = "target", value_name = "TARGET", value_parser = TargetNames, hide_possible_values = true)]
    pub(crate) targets: Vec<String>,

    /// Toolchain instead of the file's [project] toolchain: auto, musl-cross, zig,
    /// musl-gcc, or a path to a compiler
    #[arg(long, value_name = "auto|musl-cross|zig|musl-gcc|PATH")]
    pub(crate) toolchain: Option<String>,

    /// Linux UAPI headers instead of the file's [project] kernel-headers: a version
    /// (6.1), or `toolchain` for each toolchain's own
    #[arg(long, value_name = "VERSION")]
    pub(crate) kernel_headers: Option<String>,

    /// Build at most N things at once (default: the number of CPUs)
    #[arg(short = 'j', long, value_name = "N")]
    pub(crate) jobs: Option<usize>,

    /// Build a second time into a temporary folder, without the build cache, and fail
    /// unless every artifact and the image index are byte for byte the same
    #[arg(long)]
    pub(crate) check_reproducible: bool,

    /// Print the plan without building: the targets, each target's toolchain (kind,
    /// path, version), the libraries and every artifact x target with its output path
    /// (as JSON with --json)
    #[arg(long, conflicts_with = "check_reproducible")]
    pub(crate) dry_run: bool,

    /// A folder of source archives, found by name or sha256, looked in before the file's
    /// [project] source-dirs (offline builds; also $MUSLBUILD_SOURCE_DIRS)
    #[arg(long = "source-dir", value_name = "DIR")]
    pub(crate) source_dirs: Vec<PathBuf>,

    /// Keep a failed library or vendored build's whole tree (its path is printed)
    #[arg(long)]
    pub(crate) keep_failed: bool,

    /// Warnings are errors: a declared library that no vendored program uses (exit 10),
    /// an artifact that names a folder of this machine — the cache, the project, the
    /// temporary or home folder — (exit 5)
    #[arg(long)]
    pub(crate) strict: bool,

    /// Write no SPDX SBOM beside each artifact (overrides the file's `sbom`)
    #[arg(long)]
    pub(crate) no_sbom: bool,

    /// Who supplies the artifacts, for their SBOMs: `Organization: NAME` or `Person: NAME`
    #[arg(long, value_name = "WHO")]
    pub(crate) sbom_supplier: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SbomArgs {
    /// The artifact, e.g. dist/aarch64/repl
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// ELF files to check, or a folder muslbuild wrote (dist/): every artifact its
    /// manifest.json lists
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,

    /// Expected target (default: whatever the ELF header says, checked for being static)
    #[arg(short = 't', long = "target", value_name = "TARGET", value_parser = TargetNames, hide_possible_values = true)]
    pub(crate) target: Option<String>,

    /// Also check each file's sha256 against its SBOM (FILE.spdx.json)
    #[arg(long)]
    pub(crate) sbom: bool,

    /// A file that names a folder of this machine (the muslbuild cache, this folder, the
    /// temporary or home folder) fails (exit 5); without it, such paths are reported
    #[arg(long)]
    pub(crate) strict: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ToolchainCommand {
    /// Show every toolchain found or installed per target, at once: the probe verdicts
    /// already known, which one `--toolchain auto` uses, and what is not probed yet
    /// (`--probe` probes it)
    List(ToolchainListArgs),

    /// Download, verify (sha256) and install toolchains into the cache
    Install(ToolchainInstallArgs),

    /// Remove installed toolchains, by name or by target
    Remove(ToolchainRemoveArgs),

    /// Delete leftovers of interrupted installs, partial downloads, and installed
    /// toolchains the manifest no longer lists
    Prune(ToolchainManifestArgs),

    /// Explain, per target, what works, what is missing, and the command that fixes it
    Doctor(ToolchainManifestArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ToolchainInstallArgs {
    /// Target(s) to install a toolchain for (any `muslbuild targets` name, `all`), or `go`
    #[arg(required = true, value_name = "TARGET")]
    pub(crate) targets: Vec<String>,

    /// Which kind of toolchain: musl-cross (GCC sets) or zig (one install for every target)
    #[arg(long, value_name = "musl-cross|zig", value_parser = ["musl-cross", "zig"])]
    pub(crate) provider: Option<String>,

    /// Install this local archive instead of downloading (checked against the manifest's
    /// sha256, or --sha256)
    #[arg(long, value_name = "ARCHIVE")]
    pub(crate) from: Option<PathBuf>,

    /// The sha256 the --from archive must have
    #[arg(long, value_name = "HEX", requires = "from")]
    pub(crate) sha256: Option<String>,

    #[command(flatten)]
    pub(crate) manifest: ToolchainManifestArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ToolchainRemoveArgs {
    /// Installed toolchain names (as `toolchain list` shows them) or targets
    #[arg(required = true, value_name = "NAME|TARGET")]
    pub(crate) names: Vec<String>,

    /// Only remove toolchains of this kind
    #[arg(long, value_name = "musl-cross|zig|go", value_parser = ["musl-cross", "zig", "go"])]
    pub(crate) provider: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ToolchainManifestArgs {
    /// Toolchain manifest to use instead of the built-in one (also MUSLBUILD_MANIFEST)
    #[arg(long, value_name = "FILE")]
    pub(crate) manifest: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ToolchainListArgs {
    /// Target(s) to list: any `muslbuild targets` name, `all`; comma-separated or
    /// repeated. Default: every target
    #[arg(short = 't', long = "target", value_name = "TARGET")]
    pub(crate) targets: Vec<String>,

    /// Also probe every candidate not probed yet (can it link a static musl
    /// executable?), showing progress per target. A zig's first probe for a target
    /// builds that target's libc: a minute or more each, once
    #[arg(long)]
    pub(crate) probe: bool,

    #[command(flatten)]
    pub(crate) toolchain: ToolchainArgs,
}

/// `muslbuild image merge`.
#[derive(Debug, Subcommand, Clone)]
pub(crate) enum ImageCommand {
    /// Merge OCI layouts or oci-archive tars (e.g. one per architecture, made on different
    /// machines) into one multi-arch image, offline
    Merge(ImageMergeArgs),
}

#[derive(Debug, Args, Clone)]
pub(crate) struct ImageMergeArgs {
    /// OCI layout folders or oci-archive tars to merge
    #[arg(value_name = "INPUT", required = true)]
    pub(crate) inputs: Vec<PathBuf>,

    /// Write the merged image as one oci-archive tar
    #[arg(long, value_name = "FILE")]
    pub(crate) oci_archive: Option<PathBuf>,

    /// Write the merged image into this OCI layout folder
    #[arg(long, value_name = "DIR")]
    pub(crate) oci_layout: Option<PathBuf>,

    /// The merged image's tag in the layout/archive [default: latest]
    #[arg(long)]
    pub(crate) tag: Option<String>,

    #[command(flatten)]
    pub(crate) push: PushArgs,
}

/// Where and how `image` and `image merge` push.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct PushArgs {
    /// Then push the image to a registry: HOST[:PORT]/REPOSITORY[:TAG] (credentials from
    /// REGISTRY_AUTH_FILE or Docker's config.json)
    #[arg(long, value_name = "REF")]
    pub(crate) push: Option<String>,

    /// Push over plain HTTP to this registry host (loopback hosts always may); repeatable
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    pub(crate) insecure_registries: Vec<String>,

    /// Ask the registry to mount a missing blob from this repository on it (cross-repository
    /// mount) before uploading it; repeatable
    #[arg(long = "mount-from", value_name = "REPOSITORY")]
    pub(crate) mount_from: Vec<String>,
}

/// Flags of `muslbuild image`; they fill an `ImageSpec` (over the project's `[image]`).
#[derive(Debug, Args, Clone, Default)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct ImageArgs {
    #[command(subcommand)]
    pub(crate) command: Option<ImageCommand>,

    /// The dist folder to read (manifest.json) and to write the Dockerfile into
    /// [default: dist, or the project's out-dir in a project folder]
    #[arg(long, value_name = "DIR")]
    pub(crate) out_dir: Option<PathBuf>,

    /// Merge these dist folders (each with its manifest.json, e.g. one per CI runner)
    /// into one image instead of reading OUT_DIR; the image goes to OUT_DIR/image
    #[arg(long, value_name = "DIST_DIR", num_args = 1..)]
    pub(crate) from: Vec<PathBuf>,

    /// Targets to include (default: every target in the dist manifest)
    #[arg(short = 't', long = "target", value_name = "TARGET", value_parser = TargetNames, hide_possible_values = true)]
    pub(crate) targets: Vec<String>,

    /// Artifact to ship, as NAME or NAME=/PATH (default: all, at /NAME); repeatable
    #[arg(short = 'a', long = "artifact", value_name = "NAME[=/PATH]")]
    pub(crate) artifacts: Vec<String>,

    /// Folder in the image for artifacts given without a path
    #[arg(long, value_name = "DIR")]
    pub(crate) bin_dir: Option<String>,

    /// Write the OCI image layout here (default: OUT_DIR/image)
    #[arg(long, value_name = "DIR")]
    pub(crate) oci_layout: Option<PathBuf>,

    /// Also write the image as one oci-archive tar
    #[arg(long, value_name = "FILE")]
    pub(crate) oci_archive: Option<PathBuf>,

    /// Name of the image in the layout (org.opencontainers.image.ref.name) [default: latest]
    #[arg(long, value_name = "TAG")]
    pub(crate) tag: Option<String>,

    /// Entrypoint: a JSON array (["/srv","-v"]) or one word; repeat to append words
    /// (default: the artifact, when there is one)
    #[arg(long, value_name = "ARG|JSON", allow_hyphen_values = true)]
    pub(crate) entrypoint: Vec<String>,

    /// Default arguments: a JSON array or one word; repeat to append words
    #[arg(long, value_name = "ARG|JSON", allow_hyphen_values = true)]
    pub(crate) cmd: Vec<String>,

    /// Environment variable KEY=VALUE; repeatable
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub(crate) env: Vec<String>,

    /// Working directory (absolute)
    #[arg(short = 'w', long, value_name = "DIR")]
    pub(crate) workdir: Option<String>,

    /// Exposed port: PORT or PORT/tcp|udp|sctp; repeatable
    #[arg(short = 'p', long = "port", value_name = "PORT[/PROTO]")]
    pub(crate) ports: Vec<String>,

    /// Label KEY=VALUE; repeatable
    #[arg(short = 'l', long = "label", value_name = "KEY=VALUE")]
    pub(crate) labels: Vec<String>,

    /// User (name, uid or uid:gid) [default: 65532:65532 with --passwd]
    #[arg(short = 'u', long, value_name = "USER")]
    pub(crate) user: Option<String>,

    /// Add this machine's CA bundle as /etc/ssl/certs/ca-certificates.crt
    #[arg(long)]
    pub(crate) ca_certs: bool,

    /// Add /etc/passwd and /etc/group with root and the non-root user `nonroot` (65532)
    #[arg(long)]
    pub(crate) passwd: bool,

    /// Add this machine's /usr/share/zoneinfo
    #[arg(long)]
    pub(crate) zoneinfo: bool,

    /// Do not write OUT_DIR/Dockerfile
    #[arg(long)]
    pub(crate) no_dockerfile: bool,

    /// Attach no SPDX SBOM to each platform manifest (and write none to OUT_DIR/sbom)
    #[arg(long)]
    pub(crate) no_sbom: bool,

    #[command(flatten)]
    pub(crate) push: PushArgs,

    /// A file or folder to copy into the image:
    /// source=PATH,path=/PATH[,mode=0644][,uid=N][,gid=N]; repeatable
    #[arg(long = "file", value_name = "source=PATH,path=/PATH")]
    pub(crate) files: Vec<String>,

    /// A path of a vendored project's install, per platform:
    /// vendor=NAME,source=/PATH[,path=/PATH][,mode=…][,uid=N][,gid=N]; repeatable
    #[arg(long = "vendor-file", value_name = "vendor=NAME,source=/PATH")]
    pub(crate) vendor_files: Vec<String>,

    /// An empty folder: /PATH, or path=/PATH[,mode=0755][,uid=N][,gid=N]; repeatable
    #[arg(long = "dir", value_name = "/PATH|path=/PATH,…")]
    pub(crate) dirs: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn completions_is_a_subcommand_and_target_takes_any_spelling() {
        let cli = Cli::try_parse_from(["muslbuild", "completions", "bash"]).unwrap();
        assert!(
            matches!(cli.command, Some(Command::Completions(ref c)) if c.shell == clap_complete::Shell::Bash),
            "{cli:?}"
        );
        assert!(Cli::try_parse_from(["muslbuild", "completions", "tcsh"]).is_err());
        // Completion offers the canonical names; the flag still takes lists and aliases.
        let cli = Cli::try_parse_from(["muslbuild", "-t", "armhf,linux/arm64", "a.c"]).unwrap();
        assert_eq!(cli.build.targets.targets, vec!["armhf,linux/arm64"]);
    }

    #[test]
    fn global_flags_may_come_before_a_subcommand() {
        let cli = Cli::try_parse_from(["muslbuild", "-q", "targets"]).unwrap();
        assert!(cli.global.quiet);
        assert!(matches!(cli.command, Some(Command::Targets)));
        assert!(cli.build.inputs.is_empty());
        let cli = Cli::try_parse_from(["muslbuild", "-v", "toolchain", "list"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Toolchain(_))));
    }

    #[test]
    fn short_flags_take_attached_values() {
        let cli = Cli::try_parse_from([
            "muslbuild",
            "-Iinc",
            "-DX=1",
            "-lm",
            "-Llib",
            "-t",
            "arm64",
            "a.c",
            "--",
            "x",
        ])
        .unwrap();
        assert_eq!(cli.build.include, vec![PathBuf::from("inc")]);
        assert_eq!(cli.build.define, vec!["X=1"]);
        assert_eq!(cli.build.link, vec!["m"]);
        assert_eq!(cli.build.lib_dir, vec![PathBuf::from("lib")]);
        assert_eq!(cli.build.targets.targets, vec!["arm64"]);
        assert_eq!(cli.build.run_args, vec!["x"]);
    }

    #[test]
    fn library_flags_and_commands_parse() {
        let cli = Cli::try_parse_from([
            "muslbuild",
            "--lib",
            "readline,zlib",
            "--vendor-lib",
            "greet=vendor/greet:make",
            "--source-dir",
            "src",
            "a.c",
        ])
        .unwrap();
        assert_eq!(cli.build.libs.libs, vec!["readline,zlib"]);
        assert_eq!(cli.build.libs.vendor_libs, vec!["greet=vendor/greet:make"]);
        let cli = Cli::try_parse_from(["muslbuild", "lib", "env", "readline", "--target", "armv7"])
            .unwrap();
        match cli.command {
            Some(Command::Lib(LibCommand::Env(args))) => {
                assert_eq!(args.names, vec!["readline"]);
                assert_eq!(args.targets.targets, vec!["armv7"]);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
