//! meson, driven like every other build system: everything it must know about the target
//! goes into a cross file generated per build (compiler, `ar`, `strip`, `pkg-config`
//! confined to the declared libraries, `exe_wrapper`, `[host_machine]` from the target
//! table, muslbuild's flags and defaults as `[built-in options]`), and the build machine's
//! C compiler into a native file, for `native: true` generators. Defaults sit in the
//! cross file rather than on the command line so that a project's own `-D` arguments
//! (`configure.args`) override them without meson refusing an option given twice.
//! Pure text and version facts; `step` runs the commands.

use std::path::{Path, PathBuf};

use super::host::HostTools;
use super::job::LibBuild;
use super::recipe::BuildSystem;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::target::Target;
use crate::toolchain::Flavor;

/// meson before this has no `prefer_static`, which keeps a project's `dependency()` from
/// choosing a shared library when a static one is there.
pub(crate) const OLDEST: Version = Version(0, 63, 0);
/// meson before this stops at "Unable to detect linker" with `zig cc` (its `-Wl,--version`
/// answers `zig ld`, which older meson does not know).
pub(crate) const OLDEST_WITH_ZIG: Version = Version(1, 6, 0);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Version(pub(crate) u32, pub(crate) u32, pub(crate) u32);

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// `meson --version` prints `1.0.1` (or `1.7.0rc1`).
pub(crate) fn parse_version(text: &str) -> Option<Version> {
    let mut parts = text.trim().split('.').map(|p| {
        let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<u32>().ok()
    });
    let major = parts.next()??;
    let minor = parts.next()??;
    let patch = parts.next().flatten().unwrap_or(0);
    Some(Version(major, minor, patch))
}

/// Whether this meson can build with this toolchain; the error names why and the way out.
pub(crate) fn check_version(
    meson: &Path,
    said: &str,
    uses_zig: bool,
    needed_by: &str,
) -> Result<()> {
    let version = parse_version(said);
    let too_old = |why: String, help: String| Error::HostToolTooOld {
        path: meson.to_path_buf(),
        version: format!("meson {}", said.trim()),
        needed_by: needed_by.to_string(),
        why: why.into(),
        help: help.into(),
    };
    match version {
        Some(v) if v < OLDEST => Err(too_old(
            format!("muslbuild needs meson {OLDEST} or newer (for `prefer_static`)"),
            "install a newer meson: `python3 -m pip install meson` (or your distribution's backports)".into(),
        )),
        Some(v) if uses_zig && v < OLDEST_WITH_ZIG => Err(too_old(
            format!("meson before {OLDEST_WITH_ZIG} cannot tell zig's linker (`Unable to detect linker`)"),
            format!("install meson {OLDEST_WITH_ZIG} or newer (`python3 -m pip install meson`), or build it with a GCC toolchain: `toolchain = \"musl-gcc\"` (Debian's musl-gcc and GNU cross gcc with musl's specs) or `\"musl-cross\"`"),
        )),
        Some(_) => Ok(()),
        None => Err(too_old(
            "its `--version` is not a version muslbuild can read".into(),
            "check that `meson` on PATH is meson (`meson --version` prints e.g. 1.0.1)".into(),
        )),
    }
}

/// Before any build starts: the meson found can build every meson job about to run,
/// each with its toolchain (asked once, only when one is about to run).
pub(crate) fn check_before_builds<'a>(
    jobs: impl IntoIterator<Item = &'a LibBuild>,
    host: &HostTools,
    ctx: &Ctx,
) -> Result<()> {
    let jobs: Vec<&LibBuild> = jobs
        .into_iter()
        .filter(|j| j.recipe.build == BuildSystem::Meson)
        .collect();
    let (Some(first), Some(meson)) = (jobs.first(), host.tools.get("meson")) else {
        return Ok(());
    };
    let said = ctx.command(meson).arg("--version").output()?.stdout_text();
    let with_zig = jobs.iter().find(|j| j.toolchain.flavor == Flavor::Zig);
    let needed_by = match with_zig {
        Some(job) => format!(
            "{} for {} with {}",
            job.recipe.subject(),
            job.target(),
            job.toolchain.label()
        ),
        None => first.recipe.subject(),
    };
    check_version(meson, &said, with_zig.is_some(), &needed_by)
}

/// What a cross file says, as values.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct CrossFile {
    /// The C compiler with its leading arguments (`zig cc -target …`) and CPU flags.
    pub(crate) c: Vec<String>,
    pub(crate) ar: Vec<String>,
    pub(crate) strip: Option<PathBuf>,
    pub(crate) pkg_config: Option<PathBuf>,
    pub(crate) exe_wrapper: Option<PathBuf>,
    /// `pkg_config_libdir`: the declared libraries' `lib/pkgconfig` and `share/pkgconfig`.
    pub(crate) pkg_config_libdir: Vec<String>,
    pub(crate) c_args: Vec<String>,
    pub(crate) c_link_args: Vec<String>,
    /// `prefix`, `sysconfdir`, `buildtype`, `default_library`… in order.
    pub(crate) options: Vec<(&'static str, OptionValue)>,
    /// `[host_machine]`.
    pub(crate) target: Option<Target>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum OptionValue {
    Text(String),
    Bool(bool),
}

/// The defaults every meson build gets (`[built-in options]`, below the command line):
/// muslbuild's flags carry the optimisation (`plain` adds none, as distributions
/// configure), everything static, no PIE; programs are stripped by muslbuild after the
/// declared-library check, so meson does not strip; no wrap is downloaded.
pub(crate) fn default_options(
    prefix: &str,
    runtime_folders: bool,
    libraries: bool,
) -> Vec<(&'static str, OptionValue)> {
    let text = |s: &str| OptionValue::Text(s.to_string());
    let mut options = vec![("prefix", text(prefix))];
    if runtime_folders {
        options.push(("sysconfdir", text("/etc")));
        options.push(("localstatedir", text("/var")));
    }
    options.extend([
        // Not Debian's multiarch folder: consumers look in <prefix>/lib.
        ("libdir", text("lib")),
        ("buildtype", text("plain")),
        ("default_library", text("static")),
        ("prefer_static", OptionValue::Bool(true)),
        // Libraries go into consumers that may link `-pie`; programs gain nothing.
        ("b_staticpic", OptionValue::Bool(libraries)),
        ("b_pie", OptionValue::Bool(false)),
        ("strip", OptionValue::Bool(false)),
        ("wrap_mode", text("nodownload")),
        // The step logs are files, read without a terminal.
        ("b_colorout", text("never")),
    ]);
    options
}

/// A meson string literal.
fn quote(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('\'', "\\'")
        .replace('\n', "\\n");
    format!("'{escaped}'")
}

fn list<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<String> = items.iter().map(|i| quote(i.as_ref())).collect();
    format!("[{}]", items.join(", "))
}

fn path(p: &Path) -> String {
    quote(&p.display().to_string())
}

impl CrossFile {
    pub(crate) fn text(&self) -> String {
        let mut out = String::from(
            "# Written by muslbuild for one build; meson reads it again when it regenerates.\n\n[binaries]\n",
        );
        out.push_str(&format!("c = {}\n", list(&self.c)));
        out.push_str(&format!("ar = {}\n", list(&self.ar)));
        if let Some(strip) = &self.strip {
            out.push_str(&format!("strip = {}\n", path(strip)));
        }
        if let Some(pkg_config) = &self.pkg_config {
            // meson before 1.3 reads `pkgconfig`; later ones `pkg-config`, and accept
            // both when they agree.
            out.push_str(&format!("pkgconfig = {}\n", path(pkg_config)));
            out.push_str(&format!("pkg-config = {}\n", path(pkg_config)));
        }
        if let Some(wrapper) = &self.exe_wrapper {
            out.push_str(&format!("exe_wrapper = [{}]\n", path(wrapper)));
        }
        out.push_str("\n[built-in options]\n");
        out.push_str(&format!("c_args = {}\n", list(&self.c_args)));
        out.push_str(&format!("c_link_args = {}\n", list(&self.c_link_args)));
        for (name, value) in &self.options {
            let value = match value {
                OptionValue::Text(t) => quote(t),
                OptionValue::Bool(b) => b.to_string(),
            };
            out.push_str(&format!("{name} = {value}\n"));
        }
        out.push_str("\n[properties]\n");
        out.push_str(&format!(
            "pkg_config_libdir = {}\n",
            list(&self.pkg_config_libdir)
        ));
        if let Some(target) = self.target {
            let endian = if target.elf().little_endian {
                "little"
            } else {
                "big"
            };
            out.push_str(&format!(
                "\n[host_machine]\nsystem = 'linux'\ncpu_family = {}\ncpu = {}\nendian = '{endian}'\n",
                quote(target.meson_cpu_family()),
                quote(target.cmake_processor()),
            ));
        }
        out
    }
}

/// The native file: the build machine's C compiler (`CC_FOR_BUILD`, else `cc`), for
/// what a project builds with `native: true` and runs during the build.
pub(crate) fn native_file(build_cc: &[String]) -> String {
    format!(
        "# Written by muslbuild: the build machine's compiler.\n\n[binaries]\nc = {}\n",
        list(build_cc)
    )
}

/// `dir` as a path relative to `from` (both absolute), the way meson names sources in
/// its build files (`../../project/src/main.c`); None when either is relative.
pub(crate) fn relative(from: &Path, dir: &Path) -> Option<PathBuf> {
    if !from.is_absolute() || !dir.is_absolute() {
        return None;
    }
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = dir.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for part in &to[common..] {
        out.push(part);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_and_compared() {
        assert_eq!(parse_version("1.0.1\n"), Some(Version(1, 0, 1)));
        assert_eq!(parse_version("1.7.0rc1"), Some(Version(1, 7, 0)));
        assert_eq!(parse_version("0.63"), Some(Version(0, 63, 0)));
        assert_eq!(parse_version("meson"), None);
        let meson = Path::new("/usr/bin/meson");
        assert!(check_version(meson, "1.0.1", false, "project x").is_ok());
        let old = check_version(meson, "0.56.2", false, "project x").unwrap_err();
        assert!(old.to_string().contains("meson 0.56.2"), "{old}");
        assert!(old.to_string().contains("0.63.0"), "{old}");
        let zig = check_version(meson, "1.0.1", true, "project x for aarch64").unwrap_err();
        assert_eq!(
            zig.to_string(),
            "`/usr/bin/meson` is meson 1.0.1, too old to build project x for aarch64: meson before 1.6.0 cannot tell zig's linker (`Unable to detect linker`)"
        );
        assert!(zig.help().contains("musl-gcc"), "{}", zig.help());
        assert_eq!(zig.exit_code(), crate::error::exit::MISSING_PROGRAM);
        assert!(check_version(meson, "1.6.1", true, "project x").is_ok());
    }

    #[test]
    fn a_cross_file_says_the_target_and_confines_pkg_config() {
        let file = CrossFile {
            c: vec![
                "/z/zig".into(),
                "cc".into(),
                "-target".into(),
                "arm-linux-musleabihf".into(),
            ],
            ar: vec!["/z/zig".into(), "ar".into()],
            strip: None,
            pkg_config: Some("/usr/bin/pkg-config".into()),
            exe_wrapper: Some("/usr/bin/qemu-arm-static".into()),
            pkg_config_libdir: vec!["/c/libs/z/lib/pkgconfig".into()],
            c_args: vec!["-Os".into(), "-DNAME='it''s'".into()],
            c_link_args: vec!["-static".into()],
            options: default_options("/usr", true, false),
            target: Some(Target::Armv7),
        };
        let text = file.text();
        for line in [
            "c = ['/z/zig', 'cc', '-target', 'arm-linux-musleabihf']\n",
            "ar = ['/z/zig', 'ar']\n",
            "pkgconfig = '/usr/bin/pkg-config'\npkg-config = '/usr/bin/pkg-config'\n",
            "exe_wrapper = ['/usr/bin/qemu-arm-static']\n",
            "c_args = ['-Os', '-DNAME=\\'it\\'\\'s\\'']\n",
            "prefix = '/usr'\nsysconfdir = '/etc'\nlocalstatedir = '/var'\nlibdir = 'lib'\nbuildtype = 'plain'\ndefault_library = 'static'\nprefer_static = true\nb_staticpic = false\nb_pie = false\nstrip = false\nwrap_mode = 'nodownload'\nb_colorout = 'never'\n",
            "pkg_config_libdir = ['/c/libs/z/lib/pkgconfig']\n",
            "[host_machine]\nsystem = 'linux'\ncpu_family = 'arm'\ncpu = 'armv7l'\nendian = 'little'\n",
        ] {
            assert!(text.contains(line), "no {line:?} in:\n{text}");
        }
        assert!(!text.contains("strip = '"), "{text}");
        // No declared library: pkg-config finds nothing (never the host's .pc files).
        let bare = CrossFile {
            target: Some(Target::S390x),
            ..CrossFile::default()
        };
        assert!(bare.text().contains("pkg_config_libdir = []\n"));
        assert!(bare.text().contains("endian = 'big'\n"));
        assert!(bare.text().contains("cpu_family = 's390x'\n"));
    }

    #[test]
    fn libraries_are_pic_and_other_prefixes_get_no_runtime_folders() {
        let options = default_options("/c/libs/x", false, true);
        assert!(options.contains(&("b_staticpic", OptionValue::Bool(true))));
        assert!(!options.iter().any(|(n, _)| *n == "sysconfdir"));
    }

    #[test]
    fn relative_paths_walk_up_then_down() {
        assert_eq!(
            relative(Path::new("/c/vendor/x/build"), Path::new("/home/u/p/src")),
            Some(PathBuf::from("../../../../home/u/p/src"))
        );
        assert_eq!(
            relative(
                Path::new("/w/src/lib/muslbuild-meson"),
                Path::new("/w/src/lib")
            ),
            Some(PathBuf::from(".."))
        );
        assert_eq!(relative(Path::new("a"), Path::new("/b")), None);
    }
}
