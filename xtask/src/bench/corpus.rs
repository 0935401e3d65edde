//! The corpus of real programs (tests/corpus/<program>/muslbuild.toml, Debian's source
//! tarballs from target/test-sources), per program and target: the cold build, one `.c`
//! edit (goal <= 0.10 of cold), a no-op (median; goal <= 0.3 s), and the size against
//! Debian's dynamic build — its binary plus every shared library it needs except glibc's
//! (DT_NEEDED, transitively), from the packages `apt-get download` fetches.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use xshell::cmd;

use super::Bench;
use crate::Result;
use crate::measure::{Series, ratio, time};

const TARGETS: [&str; 3] = ["x86_64", "aarch64", "armv7"];

/// (program, source tarball, file edited, Debian binary package, the program in it)
const CORPUS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "less",
        "less_590.orig.tar.gz",
        "less-590/version.c",
        "less",
        "usr/bin/less",
    ),
    (
        "htop",
        "htop_3.2.2.orig.tar.gz",
        "htop-3.2.2/Meter.c",
        "htop",
        "usr/bin/htop",
    ),
    (
        "lua",
        "lua5.4_5.4.4.orig.tar.gz",
        "lua-5.4.4/src/lua.c",
        "lua5.4",
        "usr/bin/lua5.4",
    ),
    (
        "sqlite3",
        "sqlite3_3.40.1.orig.tar.xz",
        "sqlite3-3.40.1/src/shell.c.in",
        "sqlite3",
        "usr/bin/sqlite3",
    ),
];
/// Debian packages holding the shared libraries the corpus needs.
const LIBRARY_PACKAGES: &[&str] = &[
    "libtinfo6",
    "libncursesw6",
    "libreadline8",
    "liblua5.4-0",
    "libsqlite3-0",
    "zlib1g",
    "libnl-3-200",
    "libnl-genl-3-200",
];
const GLIBC: &[&str] = &[
    "libc.so",
    "libm.so",
    "libdl.so",
    "libpthread.so",
    "ld-linux",
    "librt.so",
];

pub fn run(b: &Bench, args: &[String]) -> Result {
    let sources = b.sources()?;
    let wanted: Vec<&str> = match args.first() {
        Some(list) => list.split(',').collect(),
        None => CORPUS.iter().map(|c| c.0).collect(),
    };
    let home = std::env::var_os("BENCH_HOME")
        .map_or_else(|| b.root.join("target/tmp/bench-corpus-home"), Into::into);
    let _env = [
        b.sh.push_env("MUSLBUILD_HOME", &home),
        b.sh.push_env("MUSLBUILD_OFFLINE", "1"),
        b.sh.push_env("MUSLBUILD_SOURCE_DIRS", &sources),
    ];
    let work = b.sh.create_temp_dir()?;
    let debs = work.path().join("debs");
    println!("cache home: {}", home.display());
    println!(
        "| program | target | cold | one .c edit | edit/cold | no-op | size | Debian (dynamic + libs) | size ratio |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---|---:|");
    for program in wanted {
        let &(_, tarball, edited, _, _) = CORPUS
            .iter()
            .find(|c| c.0 == program)
            .ok_or_else(|| format!("no corpus program `{program}`"))?;
        for target in TARGETS {
            let project = work.path().join(format!("{program}-{target}"));
            std::fs::create_dir_all(&project)?;
            std::fs::copy(
                b.root
                    .join("tests/corpus")
                    .join(program)
                    .join("muslbuild.toml"),
                project.join("muslbuild.toml"),
            )?;
            let tarball = sources.join(tarball);
            cmd!(b.sh, "tar -xf {tarball} -C {project}").quiet().run()?;
            let build = || b.muslbuild(&project, &["build", "--target", target]);
            let (result, cold) = time(build);
            result?;
            let edited = project.join(edited);
            std::fs::write(
                &edited,
                std::fs::read_to_string(&edited)? + "\n/* benchmark edit */\n",
            )?;
            let (result, edit) = time(build);
            result?;
            let mut noop = Series::default();
            for _ in 0..5 {
                let (result, sample) = time(build);
                result?;
                noop.push(sample);
            }
            let size = std::fs::metadata(project.join("dist").join(target).join(program))?.len();
            let debian = match debian_size(b, program, target, &debs)? {
                Some((bytes, libs)) => (
                    format!(
                        "{:.1} KiB ({})",
                        bytes as f64 / 1024.0,
                        if libs.is_empty() {
                            "no libs".into()
                        } else {
                            libs.join(", ")
                        }
                    ),
                    ratio(size as f64, bytes as f64),
                ),
                None => ("n/a (package not downloadable)".into(), "n/a".into()),
            };
            println!(
                "| {program} | {target} | {:.1} s | {:.1} s | {} | {:.3} s | {:.1} KiB | {} | {} |",
                cold.wall,
                edit.wall,
                ratio(edit.wall, cold.wall),
                noop.wall(),
                size as f64 / 1024.0,
                debian.0,
                debian.1
            );
        }
    }
    Ok(())
}

fn debian_arch(target: &str) -> &'static str {
    match target {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        _ => "armhf",
    }
}

/// Debian's program plus its non-glibc shared libraries: (bytes, library names).
fn debian_size(
    b: &Bench,
    program: &str,
    target: &str,
    debs: &Path,
) -> Result<Option<(u64, Vec<String>)>> {
    let arch = debian_arch(target);
    let root = debs.join(arch);
    let unpacked = root.join("x");
    if !root.is_dir() {
        std::fs::create_dir_all(&root)?;
        let _dir = b.sh.push_dir(&root);
        for package in CORPUS
            .iter()
            .map(|c| c.3)
            .chain(LIBRARY_PACKAGES.iter().copied())
        {
            // A package missing for an architecture leaves its row n/a.
            let _ = cmd!(b.sh, "apt-get download {package}:{arch}")
                .quiet()
                .ignore_stdout()
                .ignore_stderr()
                .run();
        }
        for deb in std::fs::read_dir(&root)?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "deb"))
        {
            cmd!(b.sh, "dpkg-deb -x {deb} {unpacked}").quiet().run()?;
        }
    }
    let path = CORPUS
        .iter()
        .find(|c| c.0 == program)
        .map(|c| c.4)
        .unwrap_or_default();
    let binary = unpacked.join(path);
    if !binary.is_file() {
        return Ok(None);
    }
    let mut sonames: BTreeMap<String, PathBuf> = BTreeMap::new();
    collect_libraries(&unpacked, &mut sonames)?;
    let mut total = std::fs::metadata(&binary)?.len();
    let mut seen = BTreeSet::new();
    let mut todo = needed(b, &binary)?;
    while let Some(name) = todo.pop() {
        if GLIBC.iter().any(|g| name.starts_with(g)) || !seen.insert(name.clone()) {
            continue;
        }
        if let Some(lib) = sonames.get(&name) {
            total += std::fs::metadata(lib)?.len();
            todo.extend(needed(b, lib)?);
        }
    }
    Ok(Some((total, seen.into_iter().collect())))
}

fn collect_libraries(dir: &Path, sonames: &mut BTreeMap<String, PathBuf>) -> Result {
    for entry in std::fs::read_dir(dir)?.flatten() {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect_libraries(&path, sonames)?;
        } else if entry.file_name().to_string_lossy().contains(".so") {
            let real = std::fs::canonicalize(&path).unwrap_or(path);
            sonames
                .entry(entry.file_name().to_string_lossy().into_owned())
                .or_insert(real);
        }
    }
    Ok(())
}

/// DT_NEEDED entries, as `readelf -d` lists them.
fn needed(b: &Bench, elf: &Path) -> Result<Vec<String>> {
    let text = cmd!(b.sh, "readelf -d {elf}").quiet().read()?;
    Ok(text
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| Some(l.split_once('[')?.1.split_once(']')?.0.to_string()))
        .collect())
}
