//! The library-facing commands (`lib list`, `lib build`, `lib env`) and the `--lib` step
//! of a C build, from already-parsed options (`LibOptions`); their text (the recipe table,
//! the `export` lines) is made here too.

use std::path::{Path, PathBuf};

use super::{Catalog, LibRequest, LinkSet, Prepared, build_env, host, job};
use crate::context::Ctx;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::toolchain::Toolchain;

/// The library options every command that can build libraries takes.
#[derive(Clone, Debug, Default)]
pub(crate) struct LibOptions {
    /// `--lib NAME[,NAME]` (repeatable).
    pub(crate) libs: Vec<String>,
    /// `--vendor-lib NAME=DIR[:BUILD]` (repeatable).
    pub(crate) vendor_libs: Vec<String>,
    /// `--lib-file FILE.toml` (repeatable): `[[library]]` tables in the recipe format.
    pub(crate) lib_files: Vec<PathBuf>,
    /// `--source-dir DIR` (repeatable).
    pub(crate) source_dirs: Vec<PathBuf>,
    /// `--keep-failed`.
    pub(crate) keep_failed: bool,
    /// `--kernel-headers VERSION`.
    pub(crate) kernel_headers: Option<String>,
}

impl LibOptions {
    /// Resolves names, vendored libraries and source folders into a build request. A
    /// vendored library is built even when not named in `--lib`: declaring it is asking
    /// for it.
    pub(crate) fn request(&self, env: &Env) -> Result<LibRequest> {
        let mut vendored = Vec::new();
        for value in &self.vendor_libs {
            vendored.push(super::catalog::parse_vendor_flag(value, &env.cwd)?);
        }
        for file in &self.lib_files {
            vendored.extend(super::catalog::parse_lib_file(&env.cwd.join(file))?);
        }
        let mut names = split_names(&self.libs);
        for recipe in &vendored {
            if !names.contains(&recipe.name) {
                names.push(recipe.name.clone());
            }
        }
        let request = LibRequest {
            names,
            vendored,
            source_dirs: source_dirs(&self.source_dirs, env),
            keep_failed: self.keep_failed,
        };
        super::check_names(&request)?;
        Ok(request)
    }

    /// `request` with the kernel headers `--kernel-headers` pins, unpacked for every
    /// target (found in the source folders) before anything is built.
    pub(crate) fn pin_kernel_headers(
        &self,
        request: &mut crate::toolchain::ToolchainRequest,
        targets: &[crate::target::Target],
        ctx: &Ctx,
    ) -> Result<()> {
        request.kernel_headers = super::kheaders::prepare(
            self.kernel_headers.as_deref(),
            targets,
            &source_dirs(&self.source_dirs, &ctx.env),
            ctx,
        )?;
        Ok(())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.libs.is_empty() && self.vendor_libs.is_empty() && self.lib_files.is_empty()
    }
}

/// `muslbuild lib list`.
pub(crate) fn list(options: &LibOptions, env: &Env) -> Result<String> {
    let request = options.request(env)?;
    let mut text = catalog_table(&request.catalog());
    text.push_str(&super::kheaders::listing());
    Ok(text)
}

/// `muslbuild lib build`: the libraries for every toolchain, and the report.
pub(crate) fn build(options: &LibOptions, toolchains: &[Toolchain], ctx: &Ctx) -> Result<Prepared> {
    let request = options.request(&ctx.env)?;
    if request.names.is_empty() {
        return Err(Error::usage(
            "no library named",
            "name one: `muslbuild lib build readline --target armv7`",
        ));
    }
    super::prepare(&request, toolchains, ctx)
}

/// `muslbuild lib env`: builds (or finds) the libraries for one toolchain and returns the
/// `export KEY=value` lines.
pub(crate) fn env_lines(options: &LibOptions, toolchain: &Toolchain, ctx: &Ctx) -> Result<String> {
    let prepared = build(options, std::slice::from_ref(toolchain), ctx)?;
    let set = prepared
        .link_set(toolchain.target)
        .expect("a link set per toolchain");
    Ok(lib_env_lines(set, toolchain, &ctx.env))
}

/// The `--lib` step of a C build: builds what is missing, then adds the include dirs,
/// lib dirs and link names to each target's program.
pub(crate) fn prepare_programs(
    options: &LibOptions,
    toolchains: &[Toolchain],
    ctx: &Ctx,
) -> Result<Option<Prepared>> {
    if options.is_empty() {
        return Ok(None);
    }
    let request = options.request(&ctx.env)?;
    super::prepare(&request, toolchains, ctx).map(Some)
}

/// `muslbuild lib list`: one line per recipe.
fn catalog_table(catalog: &Catalog) -> String {
    let mut rows = vec![[
        "NAME".to_string(),
        "VERSION".into(),
        "BUILD".into(),
        "DEPS".into(),
        "LINKS".into(),
        "DESCRIPTION".into(),
    ]];
    for r in catalog.all() {
        rows.push([
            r.name.clone(),
            r.version.clone(),
            r.build.name().into(),
            if r.deps.is_empty() {
                "-".into()
            } else {
                r.deps.join(",")
            },
            r.link_names()
                .iter()
                .map(|l| format!("-l{l}"))
                .collect::<Vec<_>>()
                .join(" "),
            r.description.clone(),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if i < 5 {
                out.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            } else {
                out.push_str(cell);
            }
        }
        out.push('\n');
    }
    out
}

/// `muslbuild lib env`: the variables another build system needs to compile and link
/// against the prefixes with the same toolchain, as `export KEY='value'` lines.
fn lib_env_lines(set: &LinkSet, toolchain: &Toolchain, env: &Env) -> String {
    let q = |s: &str| {
        shlex::try_quote(s)
            .map(|q| q.into_owned())
            .unwrap_or_else(|_| s.to_string())
    };
    let path = |p: &Path| q(&p.display().to_string());
    let mut cppflags: Vec<String> = set
        .include_dirs
        .iter()
        .map(|d| format!("-I{}", path(d)))
        .collect();
    cppflags.extend(toolchain.kernel_header_flags().iter().map(|f| q(f)));
    // What a vendored program gets: section GC and stripped at link time.
    let mut ldflags = job::ldflags(toolchain, job::Output::Programs, true);
    ldflags.extend(set.lib_dirs.iter().map(|d| format!("-L{}", path(d))));
    let libs: Vec<String> = set.libs.iter().map(|l| format!("-l{l}")).collect();
    let strip = build_env::find_strip(toolchain, env);
    let build_triple = host::build_triple();
    let vars = [
        ("CC", build_env::cc_words(toolchain, env)),
        ("AR", toolchain.ar.to_shell_words()),
        ("RANLIB", toolchain.ranlib.to_shell_words()),
        (
            "STRIP",
            strip
                .as_ref()
                .map_or_else(|| "true".into(), |p| p.display().to_string()),
        ),
        (
            "CFLAGS",
            job::cflags(toolchain, job::Output::Programs)
                .into_iter()
                .chain(toolchain.kernel_header_map())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        ("CPPFLAGS", cppflags.join(" ")),
        ("LDFLAGS", ldflags.join(" ")),
        ("LIBS", libs.join(" ")),
        ("PKG_CONFIG_LIBDIR", set.pkg_config_libdir()),
        ("PKG_CONFIG_PATH", String::new()),
        ("MUSLBUILD_HOST", toolchain.target.gnu_triple().to_string()),
        ("MUSLBUILD_BUILD", build_triple.clone()),
        ("BUILD", build_triple),
    ];
    let mut out = String::new();
    if strip.is_none() {
        let install = match toolchain.target.debian() {
            Some(debian) => format!("binutils-{} or llvm", debian.gnu_prefix),
            None => "llvm".to_string(),
        };
        out.push_str(&format!(
            "# no strip on this machine reads {} ELF files (install {install}): STRIP=true, and LDFLAGS has -s, which strips at link time\n",
            toolchain.target,
        ));
    }
    out.push_str("# configure as a cross build: ./configure --build=\"$MUSLBUILD_BUILD\" --host=\"$MUSLBUILD_HOST\"\n");
    for (k, v) in vars {
        out.push_str(&format!("export {k}={}\n", q(&v)));
    }
    out
}

/// The library names in a `--lib` value: repeatable and comma-separated.
fn split_names(values: &[String]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    names
}

/// Source folders: the flag's, then the environment's.
fn source_dirs(flags: &[PathBuf], env: &Env) -> Vec<PathBuf> {
    flags
        .iter()
        .map(|d| env.cwd.join(d))
        .chain(env.source_dirs())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Target;

    fn toolchain(target: Target, fingerprint: &str) -> Toolchain {
        Toolchain::musl_gcc_for_tests(target, fingerprint)
    }

    #[test]
    fn names_split_and_dedupe() {
        assert_eq!(
            split_names(&["readline,zlib".into(), "zlib".into(), " ".into()]),
            ["readline", "zlib"]
        );
    }

    #[test]
    fn list_shows_versions_and_deps() {
        let text = catalog_table(&Catalog::new(Vec::new()));
        assert!(
            text.lines()
                .any(|l| l.starts_with("readline") && l.contains("8.2") && l.contains("ncurses")),
            "{text}"
        );
        assert!(text.contains("-lz"), "{text}");
    }

    #[test]
    fn env_lines_are_shell_ready() {
        let set = LinkSet {
            include_dirs: vec![PathBuf::from("/c/libs/a/include")],
            lib_dirs: vec![PathBuf::from("/c/libs/a/lib")],
            libs: vec!["z".into()],
            prefixes: vec![PathBuf::from("/c/libs/a")],
        };
        let text = lib_env_lines(
            &set,
            &toolchain(Target::Armv7, "f"),
            &Env::from_vars([("PATH", "/nonexistent")], PathBuf::from("/")),
        );
        assert!(
            text.contains("export CPPFLAGS=-I/c/libs/a/include\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "export LDFLAGS='-static --static -Os -Wl,--gc-sections -s -L/c/libs/a/lib'\n"
            ),
            "{text}"
        );
        // No strip reads armv7 ELF on this (empty) PATH: said plainly, not just `true`.
        assert!(
            text.contains("# no strip on this machine reads armv7"),
            "{text}"
        );
        assert!(text.contains("export STRIP=true\n"), "{text}");
        assert!(text.contains("export BUILD="), "{text}");
        assert!(
            text.contains(
                "export PKG_CONFIG_LIBDIR=/c/libs/a/lib/pkgconfig:/c/libs/a/share/pkgconfig\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("-mfpu=vfpv3-d16") || text.contains("-march=armv7-a"),
            "{text}"
        );
        // Pinned kernel headers: after the libraries' headers, and mapped away.
        let headers =
            crate::toolchain::KernelHeaders::for_tests("/c/libs/kh/include", &["linux"], "armhf");
        let pinned = lib_env_lines(
            &set,
            &toolchain(Target::Armv7, "f").with_kernel_headers(headers),
            &Env::from_vars([("PATH", "/nonexistent")], PathBuf::from("/")),
        );
        assert!(
            pinned.contains("export CPPFLAGS='-I/c/libs/a/include -isystem /c/libs/kh/include'\n"),
            "{pinned}"
        );
        assert!(
            pinned.contains("-ffile-prefix-map=/c/libs/kh/include=/linux-headers-6.1.176"),
            "{pinned}"
        );
    }
}
