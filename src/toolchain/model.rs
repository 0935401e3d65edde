//! What a toolchain is: its tools (`Tool`: a program and its leading arguments), the
//! provider that found it, its flavour, and the request that decides which one a target
//! gets. No discovery or probing here, so every part of `toolchain` can use it.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Serialize;

use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::sys::key::{CacheKey, KeyKind, Places};
use crate::target::Target;

/// A program and the leading arguments that make it the tool (cc-rs's `Tool`):
/// `zig cc -target aarch64-linux-musl` is one `Tool`, not a string to split.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Tool {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<OsString>,
}

impl Tool {
    pub(crate) fn new(program: impl Into<PathBuf>) -> Tool {
        Tool {
            program: program.into(),
            args: Vec::new(),
        }
    }

    pub(crate) fn with_args<I, S>(mut self, args: I) -> Tool
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub(crate) fn command(&self, ctx: &Ctx) -> crate::sys::process::Cmd {
        ctx.command(&self.program).args(&self.args)
    }

    /// The tool as one string for `CC=` in a `./configure` environment.
    pub(crate) fn to_shell_words(&self) -> String {
        std::iter::once(self.program.as_os_str())
            .chain(self.args.iter().map(|a| a.as_os_str()))
            .map(|s| {
                let s = s.to_string_lossy();
                shlex::try_quote(&s)
                    .map(|q| q.into_owned())
                    .unwrap_or_else(|_| s.into_owned())
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Provider {
    /// `--cc`, or a `CC_<target>` / `TARGET_CC` / `CC` variable.
    Override,
    /// A musl-cross GCC set (`aarch64-linux-musl-gcc`).
    MuslCross,
    /// `zig cc -target …`.
    Zig,
    /// The distribution's musl: `musl-gcc`, or a GNU cross gcc with musl's specs file.
    MuslGcc,
}

impl Provider {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Provider::Override => "override",
            Provider::MuslCross => "musl-cross",
            Provider::Zig => "zig",
            Provider::MuslGcc => "musl-gcc",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `muslbuild zig-cc ZIG ARGS…`: runs `ZIG ARGS…` with its linker arguments translated
/// (`zigld`). Build systems get it as their `CC` (`Toolchain::cc_for_builds`); it is
/// defined here, beside its one maker, so the model does not import the translator
/// that reads it.
pub(crate) const WRAPPER_COMMAND: &str = "zig-cc";

/// How the driver takes its CPU flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Flavor {
    Gcc,
    Zig,
}

/// `--toolchain`: which provider `auto` may pick, or one compiler by path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Choice {
    Auto,
    Provider(Provider),
    Path(PathBuf),
}

impl FromStr for Choice {
    type Err = Error;

    fn from_str(s: &str) -> Result<Choice> {
        Ok(match s {
            "auto" => Choice::Auto,
            "musl-cross" => Choice::Provider(Provider::MuslCross),
            "zig" => Choice::Provider(Provider::Zig),
            "musl-gcc" | "distro" => Choice::Provider(Provider::MuslGcc),
            path if path.contains('/') => Choice::Path(PathBuf::from(path)),
            other => {
                return Err(Error::usage(
                    format!("unknown toolchain `{other}`"),
                    "use auto, musl-cross, zig, musl-gcc, or a path to a compiler (e.g. ./bin/aarch64-linux-musl-gcc)",
                ));
            }
        })
    }
}

/// A probed, usable toolchain for one target.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Toolchain {
    pub(crate) target: Target,
    pub(crate) provider: Provider,
    pub(crate) flavor: Flavor,
    /// Where it was found: `PATH`, `python3 ziglang`, `CC_aarch64_unknown_linux_musl`…
    pub(crate) origin: String,
    pub(crate) cc: Tool,
    pub(crate) ar: Tool,
    pub(crate) ranlib: Tool,
    pub(crate) version: String,
    pub(crate) fingerprint: String,
    /// Pinned Linux UAPI headers (`--kernel-headers`, `kernel-headers`); `None`: the
    /// toolchain's own, as it has them (zig's recent set, a sysroot's, or none).
    pub(crate) kernel_headers: Option<KernelHeaders>,
}

/// Linux kernel UAPI headers of a pinned version, unpacked for one kernel architecture:
/// what a compile for a target of that architecture includes as `<linux/…>` and
/// `<asm/…>`, whatever its toolchain bundles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct KernelHeaders {
    /// As pinned: `6.1`.
    pub(crate) version: String,
    /// What the headers are: `6.1.176`.
    pub(crate) release: String,
    /// The folder holding `linux/`, `asm/`, `asm-generic/`…
    pub(crate) include: PathBuf,
    /// Its top-level folders (`linux`, `asm`, …).
    pub(crate) dirs: Vec<String>,
    /// The set's identity (version, release, the package's sha256): it joins the
    /// fingerprint, so everything compiled with the headers is keyed by them.
    pub(crate) key: String,
    /// What an SBOM says of them.
    #[serde(skip)]
    pub(crate) package: crate::sbom::KernelHeadersPackage,
}

impl Toolchain {
    /// A musl-gcc toolchain that is never run, for tests of keys and plans.
    #[cfg(test)]
    pub(crate) fn musl_gcc_for_tests(target: Target, fingerprint: &str) -> Toolchain {
        Toolchain {
            target,
            provider: Provider::MuslGcc,
            flavor: Flavor::Gcc,
            origin: "test".into(),
            cc: Tool::new("/usr/bin/musl-gcc"),
            ar: Tool::new("ar"),
            ranlib: Tool::new("ranlib"),
            version: "12".into(),
            fingerprint: fingerprint.into(),
            kernel_headers: None,
        }
    }

    /// The flags that make compiles find the pinned kernel headers (none without any).
    /// They go after every `-I` of the program and its libraries, so a project's own
    /// copies of kernel headers still win, as they would over `/usr/include`. gcc takes
    /// them as a system folder, searched after every `-I` and before the sysroot that a
    /// musl-cross gcc keeps its own `linux/` in (Debian's musl-gcc has none). zig passes
    /// its own libc folders, its recent `linux/` among them, before any user `-isystem`
    /// (ziglang/zig#13496), so zig gets `-I` with each top-level folder declared a
    /// system header prefix: searched first, silent as system headers are. The sets
    /// share no file name with musl's headers, so musl's own are found as before.
    pub(crate) fn kernel_header_flags(&self) -> Vec<String> {
        let Some(headers) = &self.kernel_headers else {
            return Vec::new();
        };
        let dir = headers.include.display().to_string();
        match self.flavor {
            Flavor::Gcc => vec!["-isystem".into(), dir],
            Flavor::Zig => std::iter::once(format!("-I{dir}"))
                .chain(
                    headers
                        .dirs
                        .iter()
                        .map(|d| format!("--system-header-prefix={d}/")),
                )
                .collect(),
        }
    }

    /// `-ffile-prefix-map` for the pinned headers: their folder is in the cache, whose
    /// path differs per machine and must not reach an artifact (debug info, `__FILE__`).
    pub(crate) fn kernel_header_map(&self) -> Option<String> {
        self.kernel_headers.as_ref().map(|h| {
            format!(
                "-ffile-prefix-map={}=/linux-headers-{}",
                h.include.display(),
                h.release
            )
        })
    }

    /// The toolchain with `headers` pinned: its fingerprint takes their identity.
    pub(crate) fn with_kernel_headers(mut self, headers: KernelHeaders) -> Toolchain {
        self.fingerprint = CacheKey::new(KeyKind::WithKernelHeaders)
            .part("toolchain", &self.fingerprint)
            .part("kernel-headers", &headers.key)
            .finish();
        self.kernel_headers = Some(headers);
        self
    }

    /// Flags every compile and link for this target gets, before the user's: they pin
    /// the CPU baseline whatever the toolchain's default is, and with zig they take back
    /// the macros clang predefines where GCC does not (`Target::zig_undefined_macros`).
    /// They go into `CC` itself, so a build system that drops `CPPFLAGS` keeps them.
    pub(crate) fn target_flags(&self) -> Vec<String> {
        match self.flavor {
            Flavor::Zig => with_undefines(self.target, self.target.zig_cpu_flags()),
            Flavor::Gcc => self
                .target
                .gcc_cpu_flags()
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }

    /// The flags cgo's C compiles take instead of `target_flags`, where they differ
    /// (`None`: the same for compiles and the link).
    pub(crate) fn cgo_compile_flags(&self) -> Option<Vec<String>> {
        match self.flavor {
            Flavor::Zig => self
                .target
                .zig_cgo_cpu_flags()
                .map(|cpu| with_undefines(self.target, cpu)),
            Flavor::Gcc => None,
        }
    }

    /// The compiler handed to build systems (`CC=` for configure, make, cmake, cgo): zig
    /// goes through muslbuild itself (`muslbuild zig-cc ZIG cc -target …`), which
    /// translates the GNU ld options zig's linker refuses (`zigld`); a GCC goes as it is.
    pub(crate) fn cc_for_builds(&self, env: &crate::env::Env) -> Tool {
        match (self.flavor, env.program()) {
            (Flavor::Zig, Some(muslbuild)) => Tool::new(muslbuild)
                .with_args([OsString::from(WRAPPER_COMMAND)])
                .with_args([self.cc.program.clone().into_os_string()])
                .with_args(self.cc.args.iter().cloned()),
            _ => self.cc.clone(),
        }
    }

    /// `places` with the compiler's program named `{cc}` in keys: the fingerprint holds
    /// what it is (its content and version), so where it is installed must not count.
    pub(crate) fn key_places(&self, places: Places) -> Places {
        if self.cc.program.is_absolute() {
            places.with(&self.cc.program, "{cc}")
        } else {
            places
        }
    }

    /// `zig 0.17.1`, `musl-gcc 12.2.0`: what the user sees beside an artifact.
    pub(crate) fn label(&self) -> String {
        format!("{} {}", self.provider, self.version)
    }
}

/// zig's `cpu` flags, then `-U` for each macro it must not predefine for `target`.
fn with_undefines(target: Target, cpu: &[&str]) -> Vec<String> {
    cpu.iter()
        .map(|s| s.to_string())
        .chain(
            target
                .zig_undefined_macros()
                .iter()
                .map(|m| format!("-U{m}")),
        )
        .collect()
}

/// Settings that decide which toolchain a target gets.
#[derive(Clone, Debug)]
pub(crate) struct ToolchainRequest {
    pub(crate) choice: Choice,
    /// `--cc`: one compiler for every target, used as given.
    pub(crate) cc: Option<String>,
    /// Pinned kernel headers per target (`--kernel-headers`, `kernel-headers`), already
    /// unpacked; a target not listed keeps its toolchain's own.
    pub(crate) kernel_headers: Vec<(Target, KernelHeaders)>,
}

impl ToolchainRequest {
    /// `choice` (and `cc`) with the toolchain's own kernel headers.
    pub(crate) fn new(choice: Choice, cc: Option<String>) -> ToolchainRequest {
        ToolchainRequest {
            choice,
            cc,
            kernel_headers: Vec::new(),
        }
    }

    pub(crate) fn kernel_headers_for(&self, target: Target) -> Option<&KernelHeaders> {
        self.kernel_headers
            .iter()
            .find(|(t, _)| *t == target)
            .map(|(_, h)| h)
    }
}

#[cfg(test)]
impl KernelHeaders {
    /// Debian's 6.1 set for `arch`, unpacked at `include` (nothing is read from it).
    pub(crate) fn for_tests(include: &str, dirs: &[&str], arch: &str) -> KernelHeaders {
        KernelHeaders {
            version: "6.1".into(),
            release: "6.1.176".into(),
            include: PathBuf::from(include),
            dirs: dirs.iter().map(|d| d.to_string()).collect(),
            key: "k".into(),
            package: crate::sbom::KernelHeadersPackage {
                package: "linux-libc-dev".into(),
                version: "6.1.176-1".into(),
                arch: arch.into(),
                release: "6.1.176".into(),
                sha256: "ee".into(),
                license: "GPL-2.0-only WITH Linux-syscall-note".into(),
                supplier: "Organization: Debian".into(),
            },
        }
    }
}

/// The sha256 of a program (a compiler's content is part of every key of what it
/// builds: two of one version and path are not assumed alike), remembered per path and
/// stamp in `probes/` with a check, so it is read once (zig is 185 MB).
pub(crate) fn program_sha256(program: &Path, ctx: &Ctx) -> Option<String> {
    let record = ctx.cache.dir("probes").join(format!(
        "sha256-{}",
        &CacheKey::new(KeyKind::ProgramStamp)
            .part("program", program.as_os_str().as_encoded_bytes())
            .part("stamp", file_stamp(program))
            .finish()[..16]
    ));
    if let Ok(text) = std::fs::read_to_string(&record) {
        match crate::cache::read_checked_text(&record, &text) {
            Ok(Some(sha)) if crate::sys::hash::is_sha256_hex(sha) => return Some(sha.into()),
            Err(damage) => ctx.cache.warn_damaged(&record, &damage),
            _ => {}
        }
    }
    let sha = crate::sys::hash::file_sha256(program).ok()?;
    if std::fs::create_dir_all(ctx.cache.dir("probes")).is_ok() {
        let _ = crate::sys::fs::write_atomic(
            ctx.temps(),
            &record,
            crate::cache::checked_text(&record, &sha).as_bytes(),
        );
    }
    Some(sha)
}

pub(crate) fn file_stamp(path: &Path) -> String {
    match std::fs::metadata(path) {
        Ok(meta) => {
            use std::os::unix::fs::MetadataExt;
            format!("{}:{}:{}", meta.len(), meta.mtime(), meta.mtime_nsec())
        }
        Err(_) => "missing".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers() -> KernelHeaders {
        KernelHeaders::for_tests("/c/kh/include", &["asm", "asm-generic", "linux"], "amd64")
    }

    #[test]
    fn pinned_headers_join_the_fingerprint_by_their_key_not_their_folder() {
        let [a, b] = crate::sys::key::machines::two(|_| {});
        let pinned = |m: &crate::sys::key::machines::Machine, key: &str| {
            let include = m.home.join("libs/linux-headers-6.1-x86-0123/include");
            let headers = KernelHeaders {
                key: key.into(),
                ..KernelHeaders::for_tests(include.to_str().unwrap(), &["linux"], "amd64")
            };
            Toolchain::musl_gcc_for_tests(Target::X86_64, "f")
                .with_kernel_headers(headers)
                .fingerprint
        };
        assert_eq!(pinned(&a, "k61"), pinned(&b, "k61"));
        assert_ne!(pinned(&a, "k61"), pinned(&a, "k66"));
    }

    #[test]
    fn gcc_gets_a_system_folder_and_zig_an_include_folder_of_system_headers() {
        let gcc = Toolchain::musl_gcc_for_tests(Target::X86_64, "f");
        assert!(gcc.kernel_header_flags().is_empty());
        assert_eq!(gcc.kernel_header_map(), None);
        let pinned = gcc.clone().with_kernel_headers(headers());
        assert_eq!(pinned.kernel_header_flags(), ["-isystem", "/c/kh/include"]);
        assert_ne!(pinned.fingerprint, gcc.fingerprint);
        let zig = Toolchain {
            flavor: Flavor::Zig,
            ..gcc
        }
        .with_kernel_headers(headers());
        assert_eq!(
            zig.kernel_header_flags(),
            [
                "-I/c/kh/include",
                "--system-header-prefix=asm/",
                "--system-header-prefix=asm-generic/",
                "--system-header-prefix=linux/"
            ]
        );
        assert_eq!(
            zig.kernel_header_map().as_deref(),
            Some("-ffile-prefix-map=/c/kh/include=/linux-headers-6.1.176")
        );
    }

    #[test]
    fn zig_takes_back_darwin_powerpc_macros_on_ppc64le_and_gcc_needs_nothing_taken_back() {
        let gcc = Toolchain::musl_gcc_for_tests(Target::Ppc64le, "f");
        assert_eq!(gcc.target_flags(), ["-mcpu=power8"]);
        let zig = Toolchain {
            flavor: Flavor::Zig,
            ..gcc
        };
        assert_eq!(
            zig.target_flags(),
            ["-mcpu=pwr8", "-U__ppc__", "-U__POWERPC__"]
        );
        let aarch64 = Toolchain {
            flavor: Flavor::Zig,
            ..Toolchain::musl_gcc_for_tests(Target::Aarch64, "f")
        };
        assert!(aarch64.target_flags().iter().all(|f| !f.starts_with("-U")));
    }
}
