//! What a build step is given: its flags (`BuildFlags`, before a build system takes them
//! its way), the fully cross environment of configure and make, meson's, the placeholder
//! values, the compiler words and `strip`, and the only folders pkg-config may read.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::host::HostTools;
use super::job::{LibBuild, cflags, ldflags};
use super::placeholder::{self, Placeholder};
use super::recipe::BuildSystem;
use crate::env::Env;
use crate::target::Target;
use crate::toolchain::Toolchain;

/// The flags of a build, unquoted, before a build system gets them its way (`CFLAGS`
/// words for configure, lists in a meson cross file).
pub(crate) struct BuildFlags {
    /// Size, prefix maps, then the recipe's own.
    pub(crate) cflags: Vec<String>,
    /// The dependencies' `include/` folders.
    pub(crate) include_dirs: Vec<PathBuf>,
    /// Static, size, section GC (no strip: that comes after the library check).
    pub(crate) ldflags: Vec<String>,
    /// The dependencies' `lib/` folders.
    pub(crate) lib_dirs: Vec<PathBuf>,
    /// The recipe's own linker flags, after the folders.
    pub(crate) recipe_ldflags: Vec<String>,
}

/// `maps` are folders whose absolute paths must not reach the output (the build and
/// source trees).
pub(crate) fn build_flags(job: &LibBuild, host: &HostTools, maps: &[PathBuf]) -> BuildFlags {
    let tc = &job.toolchain;
    let output = job.output();
    let mut cflags = cflags(tc, output);
    for dir in maps {
        cflags.push(format!("-ffile-prefix-map={}=.", dir.display()));
    }
    // Dependencies' headers live in the cache, whose path differs per user: they are
    // named by the library instead (`/ncurses/include/curses.h`).
    for (dir, name) in job.dep_prefixes.iter().zip(&job.dep_names) {
        cflags.push(format!("-ffile-prefix-map={}=/{name}", dir.display()));
    }
    cflags.extend(tc.kernel_header_map());
    // cmake reads no CPPFLAGS: its compile lines put CFLAGS after the project's own
    // include folders, where the pinned kernel headers belong.
    if job.recipe.build == BuildSystem::Cmake {
        cflags.extend(tc.kernel_header_flags());
    }
    cflags.extend(job.recipe.cflags.iter().map(|f| expand_flag(job, host, f)));
    BuildFlags {
        cflags,
        include_dirs: job.dep_prefixes.iter().map(|p| p.join("include")).collect(),
        // Programs link with their symbols: after the install, symbols::check_and_strip
        // checks the declared libraries against them, then strips (unless `strip = false`).
        ldflags: ldflags(tc, output, false),
        lib_dirs: job.dep_prefixes.iter().map(|p| p.join("lib")).collect(),
        recipe_ldflags: job
            .recipe
            .ldflags
            .iter()
            .map(|f| expand_flag(job, host, f))
            .collect(),
    }
}

/// The process environment muslbuild passes on (`Env::passthrough_for_builds`), with the
/// dependencies' own `bin/` (ncurses' `ncursesw6-config`) before the host's on `PATH`: a
/// build that asks a `*-config` script gets the target's flags, not the host's.
pub(super) fn passed_on(job: &LibBuild, env: &Env) -> Vec<(String, OsString)> {
    let mut vars: Vec<(String, OsString)> = env.passthrough_for_builds();
    let dep_bins: Vec<PathBuf> = job
        .dep_prefixes
        .iter()
        .map(|p| p.join("bin"))
        .filter(|b| b.is_dir())
        .collect();
    if !dep_bins.is_empty()
        && let Some((_, path)) = vars.iter_mut().find(|(k, _)| k == "PATH")
    {
        let joined =
            std::env::join_paths(dep_bins.iter().cloned().chain(std::env::split_paths(path)))
                .unwrap_or_else(|_| path.clone());
        *path = joined;
    }
    vars
}

/// What every build system's steps get after the tools: pkg-config confined to the
/// declared libraries, the C locale, the reproducible date, and the recipe's own
/// variables last (they win).
pub(super) fn confined(job: &LibBuild, host: &HostTools, env: &Env) -> Vec<(String, OsString)> {
    let mut vars = Vec::new();
    let mut set = |k: &str, v: String| vars.push((k.to_string(), OsString::from(v)));
    set(
        "PKG_CONFIG_LIBDIR",
        pkg_config_libdir(&job.prefix, &job.dep_prefixes),
    );
    set("PKG_CONFIG_PATH", String::new());
    // Debian's autoconf site defaults describe the host, not the target.
    set("CONFIG_SITE", "/dev/null".into());
    set("LC_ALL", "C".into());
    set("SOURCE_DATE_EPOCH", env.source_date_epoch().to_string());
    for (k, v) in &job.recipe.env {
        set(k, expand_flag(job, host, v));
    }
    vars
}

/// The cross environment every step of a build runs in. The process environment is not
/// inherited beyond `Env::passthrough_for_builds`, so host `CFLAGS`, `PKG_CONFIG_PATH` or
/// `MAKEFLAGS` cannot leak in. `maps` are folders whose absolute paths must not reach the
/// output (the build and source trees).
pub(crate) fn cross_env(
    job: &LibBuild,
    host: &HostTools,
    env: &Env,
    maps: &[PathBuf],
) -> Vec<(String, OsString)> {
    let tc = &job.toolchain;
    let flags = build_flags(job, host, maps);
    let mut vars = passed_on(job, env);
    let mut set = |k: &str, v: String| vars.push((k.to_string(), OsString::from(v)));
    set("CC", cc_words(tc, env));
    set("AR", tc.ar.to_shell_words());
    set("RANLIB", tc.ranlib.to_shell_words());
    set(
        "STRIP",
        find_strip(tc, env).map_or_else(|| "true".into(), |p| p.display().to_string()),
    );
    // Unquoted: configure splits CFLAGS on spaces and never removes quotes.
    set("CFLAGS", flags.cflags.join(" "));
    let mut cppflags: Vec<String> = flags
        .include_dirs
        .iter()
        .map(|d| format!("-I{}", quote_path(d)))
        .collect();
    // After the libraries' headers; automake puts CPPFLAGS after the project's own
    // include folders, and configure's preprocessor checks read CPPFLAGS alone.
    cppflags.extend(tc.kernel_header_flags());
    set("CPPFLAGS", cppflags.join(" "));
    let mut ldflags = flags.ldflags;
    ldflags.extend(
        flags
            .lib_dirs
            .iter()
            .map(|d| format!("-L{}", quote_path(d))),
    );
    ldflags.extend(flags.recipe_ldflags);
    set("LDFLAGS", ldflags.join(" "));
    if job.recipe.is_vendored() && !job.dep_libs.is_empty() {
        let libs: Vec<String> = job.dep_libs.iter().map(|l| format!("-l{l}")).collect();
        set("LIBS", libs.join(" "));
    }
    if let Some(cc) = &host.build_cc {
        set("CC_FOR_BUILD", cc.clone());
        set("BUILD_CC", cc.clone());
        set("HOSTCC", cc.clone());
    }
    vars.extend(confined(job, host, env));
    vars
}

/// meson's environment: no `CC`, `CFLAGS` or `LDFLAGS` (meson would read them too, for
/// one machine or the other); everything it needs is in the cross and native files.
pub(crate) fn meson_env(job: &LibBuild, host: &HostTools, env: &Env) -> Vec<(String, OsString)> {
    let mut vars = passed_on(job, env);
    vars.extend(confined(job, host, env));
    vars
}

/// Whether a configure script takes `--OPTION`: its option parser and help spell it with
/// the dashes. The bare word is not enough — gnulib's macros set a `runstatedir`
/// variable in scripts whose autoconf (before 2.70) rejects the option.
pub(super) fn knows_option(script: &Path, option: &str) -> bool {
    let spelled = format!("--{option}");
    std::fs::read(script)
        .is_ok_and(|text| text.windows(spelled.len()).any(|w| w == spelled.as_bytes()))
}

/// `{prefix}` as a build sees it: a library's prefix in the cache, or the runtime prefix
/// a project is configured for.
pub(super) fn build_prefix(job: &LibBuild) -> String {
    if job.recipe.is_project() {
        job.recipe.runtime_prefix().to_string()
    } else {
        job.prefix.display().to_string()
    }
}

/// What a placeholder stands for in `job`'s build, except the variables muslbuild sets
/// (`{cc}`, `{cflags}`…), which only arguments take (`Runner::expand`).
pub(super) fn value_of(
    job: &LibBuild,
    host: &HostTools,
    placeholder: Placeholder<'_>,
) -> Option<String> {
    match placeholder {
        Placeholder::Prefix => Some(build_prefix(job)),
        Placeholder::DependencyPrefix(name) => job
            .dep_names
            .iter()
            .zip(&job.dep_prefixes)
            .find(|(n, _)| *n == name)
            .map(|(_, dep)| dep.display().to_string()),
        Placeholder::BuildCc => Some(host.build_cc.clone().unwrap_or_else(|| "cc".into())),
        Placeholder::HostTool(name) => Some(
            host.tools
                .get(name)
                .map_or_else(|| name.to_string(), |p| p.display().to_string()),
        ),
        Placeholder::Target(_) => placeholder::target_value(job.target(), placeholder),
        Placeholder::Variable(_) => None,
    }
}

/// A flag or `env` value with its placeholders expanded (`{prefix:NAME}`,
/// `{target.gnu}`…).
pub(super) fn expand_flag(job: &LibBuild, host: &HostTools, text: &str) -> String {
    placeholder::expand(text, |p| value_of(job, host, p))
}

pub(super) fn quote(s: &str) -> String {
    shlex::try_quote(s)
        .map(|q| q.into_owned())
        .unwrap_or_else(|_| s.to_string())
}

pub(super) fn quote_path(p: &Path) -> String {
    quote(&p.display().to_string())
}

/// `CC` with the target's CPU flags inside it, so that steps which ignore `CFLAGS` (some
/// link lines, configure's preprocessor checks) still compile for the right CPU.
pub(crate) fn cc_words(tc: &Toolchain, env: &Env) -> String {
    let mut words = tc.cc_for_builds(env).to_shell_words();
    for flag in tc.target_flags() {
        words.push(' ');
        words.push_str(&flag);
    }
    words
}

/// A `strip` that reads the target's ELF files: the toolchain's own (`<prefix>-strip`
/// beside its `ar`), binutils for the target (`aarch64-linux-gnu-strip`), the host's for
/// the host's arch (with a GCC-like toolchain or zig alike: the format is the same), or
/// `llvm-strip`, which reads every arch. None when the machine has none of them
/// (`zig objcopy --strip-all` is not implemented): programs are then stripped at link
/// time (`-s`) only.
pub(crate) fn find_strip(tc: &Toolchain, env: &Env) -> Option<PathBuf> {
    if let Some(name) = tc.ar.program.file_name().and_then(|n| n.to_str())
        && let Some(stem) = name.strip_suffix("-ar")
    {
        let strip = tc.ar.program.with_file_name(format!("{stem}-strip"));
        if strip.is_file() {
            return Some(strip);
        }
    }
    let path = env.path().cloned().unwrap_or_default();
    let find = |name: &str| which::which_in(name, Some(&path), &env.cwd).ok();
    let mut names: Vec<String> = tc
        .target
        .debian()
        .map(|debian| format!("{}-strip", debian.gnu_prefix))
        .into_iter()
        .collect();
    if Target::host() == Some(tc.target) {
        names.push("strip".into());
    }
    names.push("llvm-strip".into());
    names.extend((13..=20).rev().map(|v| format!("llvm-strip-{v}")));
    names.iter().find_map(|n| find(n))
}

pub(crate) fn pkg_config_libdir(prefix: &Path, deps: &[PathBuf]) -> String {
    pkg_config_dirs(prefix, deps).join(":")
}

/// The only folders pkg-config may read: the dependencies' and the build's own prefix.
pub(super) fn pkg_config_dirs(prefix: &Path, deps: &[PathBuf]) -> Vec<String> {
    let mut dirs = Vec::new();
    for p in deps.iter().chain(std::iter::once(&prefix.to_path_buf())) {
        dirs.push(p.join("lib/pkgconfig").display().to_string());
        dirs.push(p.join("share/pkgconfig").display().to_string());
    }
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_option_counts_only_as_the_parser_spells_it() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("configure");
        // autoconf 2.69 with gnulib: the variable, not the option.
        std::fs::write(
            &script,
            "runstatedir\nif test \"x$runstatedir\" = x; then\n",
        )
        .unwrap();
        assert!(!knows_option(&script, "runstatedir"));
        // autoconf 2.70: the option parser's pattern.
        std::fs::write(&script, "  -runstatedir | --runstatedir | --runstatedi)\n").unwrap();
        assert!(knows_option(&script, "runstatedir"));
    }

    #[test]
    fn pkg_config_is_confined_to_the_prefixes() {
        let dirs = pkg_config_libdir(
            Path::new("/c/libs/readline"),
            &[PathBuf::from("/c/libs/ncurses")],
        );
        assert_eq!(
            dirs,
            "/c/libs/ncurses/lib/pkgconfig:/c/libs/ncurses/share/pkgconfig:/c/libs/readline/lib/pkgconfig:/c/libs/readline/share/pkgconfig"
        );
        assert!(!dirs.contains("/usr"));
    }
}
