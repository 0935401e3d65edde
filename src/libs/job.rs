//! What one build is: a library (or vendored project) for one toolchain, with its key,
//! its prefix and its dependencies' — and the compiler flags its kind of output gets.
//! Everything else in `libs` reads it; it reads only the recipe.

use std::path::PathBuf;

use super::recipe::Recipe;
use crate::cache::Cache;
use crate::error::Result;
use crate::target::Target;
use crate::toolchain::{Flavor, Toolchain};

/// Whether a build makes libraries (linked later into programs) or a project's programs
/// (artifacts): they differ in position independence, section GC and stripping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Output {
    Libraries,
    Programs,
}

/// Size first: zig needs an `-O` level or it builds with the UB sanitizer; sections let the
/// final link drop unused code.
pub(crate) const SIZE_CFLAGS: &[&str] = &["-Os", "-ffunction-sections", "-fdata-sections"];
/// Static libraries are position-independent, so a consumer that links `-fPIE -pie` (a
/// common hardening default) links them as well as a non-PIE one does.
pub(crate) const LIB_PIC: &str = "-fPIC";
/// clang (zig cc) makes these errors; old configure scripts' tests then fail for the
/// wrong reason ("Cannot find terminal libraries"). Distributions pass the same.
pub(crate) const CLANG_COMPAT: &[&str] = &[
    "-Wno-error=implicit-function-declaration",
    "-Wno-error=implicit-int",
    "-Wno-error=int-conversion",
    "-Wno-error=incompatible-function-pointer-types",
];

/// `CFLAGS` of a build (before the recipe's own): size, sections, `-fPIC` for libraries,
/// clang's compatibility flags with zig.
pub(crate) fn cflags(tc: &Toolchain, output: Output) -> Vec<String> {
    let mut flags: Vec<String> = SIZE_CFLAGS.iter().map(|s| s.to_string()).collect();
    if output == Output::Libraries {
        flags.push(LIB_PIC.into());
    }
    if tc.flavor == Flavor::Zig {
        flags.extend(CLANG_COMPAT.iter().map(|s| s.to_string()));
    }
    flags
}

/// `LDFLAGS` of a build (before `-L` and the recipe's own): static, `-Os` (zig reads the
/// level at link time too); programs also get section GC and the strip decision.
pub(crate) fn ldflags(tc: &Toolchain, output: Output, strip: bool) -> Vec<String> {
    let mut flags = vec!["-static".to_string(), "-Os".to_string()];
    if output == Output::Programs {
        // The same as -static for gcc and clang, but libtool passes it through: it takes
        // -static to mean "static libtool libraries" and links libc dynamically.
        flags.insert(1, "--static".into());
        flags.push("-Wl,--gc-sections".into());
        flags.extend(strip_flags(tc, strip).iter().map(|s| s.to_string()));
    }
    flags
}

/// The one place that decides how a vendored program loses its symbols: at link time,
/// since no strip that reads the target's ELF is guaranteed to exist (the host's cannot
/// read foreign binaries and zig has none). zig drops the symbol table by itself at `-Os`;
/// only `-g` makes it keep symbols.
pub(crate) fn strip_flags(tc: &Toolchain, strip: bool) -> &'static [&'static str] {
    match (strip, tc.flavor) {
        (true, _) => &["-s"],
        (false, Flavor::Zig) => &["-g"],
        (false, Flavor::Gcc) => &[],
    }
}

/// One library to build for one toolchain: its key, its prefix and its dependencies'.
#[derive(Clone, Debug)]
pub(crate) struct LibBuild {
    pub(crate) recipe: Recipe,
    pub(crate) toolchain: Toolchain,
    pub(crate) key: String,
    pub(crate) prefix: PathBuf,
    /// Dependency prefixes, dependencies first (the whole closure, not just direct deps).
    pub(crate) dep_prefixes: Vec<PathBuf>,
    /// Their names, in the same order (`{prefix:NAME}` in arguments).
    pub(crate) dep_names: Vec<String>,
    /// Verified archives, filled in before any build starts.
    pub(crate) archives: Vec<PathBuf>,
    /// The dependency closure's link names, dependents first (`-lreadline -lhistory
    /// -lncursesw -ltinfow`): a vendored build's `LIBS`, so that configure's link tests
    /// (`AC_SEARCH_LIBS(initscr, ncursesw)`) link the whole static closure.
    pub(crate) dep_libs: Vec<String>,
    /// A vendored folder's content hash (empty for archives).
    pub(crate) content: String,
}

impl LibBuild {
    pub(crate) fn target(&self) -> Target {
        self.toolchain.target
    }

    pub(crate) fn output(&self) -> Output {
        if self.recipe.is_project() {
            Output::Programs
        } else {
            Output::Libraries
        }
    }

    /// The entry's lock; a wait on another process says so.
    pub(crate) fn lock(&self, cache: &Cache) -> Result<std::fs::File> {
        cache.lock_entry(
            &self.prefix,
            &format!("{} for {}", self.recipe.subject(), self.target()),
        )
    }

    pub(crate) fn log_dir(&self, cache: &Cache) -> PathBuf {
        cache
            .dir("logs")
            .join("libs")
            .join(self.prefix.file_name().expect("prefix has a name"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toolchain(flavor: Flavor) -> Toolchain {
        use crate::toolchain::Provider;
        use crate::toolchain::model::Tool;
        Toolchain {
            target: Target::Aarch64,
            provider: Provider::MuslGcc,
            flavor,
            origin: "test".into(),
            cc: Tool::new("cc"),
            ar: Tool::new("ar"),
            ranlib: Tool::new("ranlib"),
            version: "1".into(),
            fingerprint: "f".into(),
            kernel_headers: None,
        }
    }

    #[test]
    fn libraries_are_pic_and_programs_are_collected_and_stripped() {
        let gcc = toolchain(Flavor::Gcc);
        assert!(cflags(&gcc, Output::Libraries).contains(&"-fPIC".to_string()));
        assert!(!cflags(&gcc, Output::Programs).contains(&"-fPIC".to_string()));
        assert!(
            !cflags(&gcc, Output::Programs)
                .iter()
                .any(|f| f.starts_with("-Wno-error"))
        );
        assert_eq!(
            ldflags(&gcc, Output::Programs, true),
            ["-static", "--static", "-Os", "-Wl,--gc-sections", "-s"]
        );
        assert_eq!(
            ldflags(&gcc, Output::Programs, false),
            ["-static", "--static", "-Os", "-Wl,--gc-sections"]
        );
        assert_eq!(ldflags(&gcc, Output::Libraries, true), ["-static", "-Os"]);
        let zig = toolchain(Flavor::Zig);
        assert!(
            cflags(&zig, Output::Programs)
                .contains(&"-Wno-error=implicit-function-declaration".to_string())
        );
        // zig drops the symbol table at -Os by itself: keeping symbols takes -g.
        assert_eq!(strip_flags(&zig, false), ["-g"]);
    }
}
