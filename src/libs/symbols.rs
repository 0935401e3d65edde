//! Did a declared library end up in the programs? A vendored project's configure may
//! not find a library it was given (a `tgetent` search that fails, a header looked for
//! at the wrong path) and build without it, silently. After the link and before the
//! strip, the symbols each program defines are compared with each declared library's
//! archive symbol index: a library none of whose symbols is in any program contributed
//! nothing. Pure reading with the `object` crate; config.log names the failed check.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use object::read::archive::ArchiveFile;
use object::{Object, ObjectSymbol};

/// A declared library that no program used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Unused {
    pub(crate) library: String,
    /// The configure checks about it that answered "no" (`checking for readline in
    /// -lreadline... no`), from the build tree's config.log.
    pub(crate) failed_checks: Vec<String>,
}

impl Unused {
    /// One line for a warning or an error.
    pub(crate) fn describe(&self) -> String {
        let mut text = format!(
            "declared library `{}` contributed no symbol to any program",
            self.library
        );
        if let Some(check) = self.failed_checks.first() {
            text.push_str(&format!(" (configure: `{check}`)"));
        }
        text
    }
}

/// One declared library: its name, the archives it exports and header names.
#[derive(Clone, Debug)]
pub(crate) struct Declared {
    pub(crate) name: String,
    pub(crate) archives: Vec<PathBuf>,
    /// Link names and header file names, to pick its checks out of config.log.
    pub(crate) words: Vec<String>,
}

/// The global symbols an archive's index says it defines; members are read when it has
/// no index.
pub(crate) fn archive_symbols(path: &Path) -> Result<BTreeSet<Vec<u8>>, String> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let archive = ArchiveFile::parse(&*data).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut names = BTreeSet::new();
    if let Some(index) = archive
        .symbols()
        .map_err(|e| format!("{}: {e}", path.display()))?
    {
        for symbol in index.flatten() {
            names.insert(symbol.name().to_vec());
        }
        if !names.is_empty() {
            return Ok(names);
        }
    }
    for member in archive.members().flatten() {
        let Ok(bytes) = member.data(&*data) else {
            continue;
        };
        if let Ok(file) = object::File::parse(bytes) {
            names.extend(
                file.symbols()
                    .filter(|s| s.is_definition() && s.is_global())
                    .filter_map(|s| s.name_bytes().ok().map(<[u8]>::to_vec)),
            );
        }
    }
    Ok(names)
}

/// The symbols an unstripped executable defines, or None when it has no symbol table
/// (linked stripped: nothing can be said).
pub(crate) fn program_symbols(data: &[u8]) -> Option<BTreeSet<Vec<u8>>> {
    let file = object::File::parse(data).ok()?;
    let names: BTreeSet<Vec<u8>> = file
        .symbols()
        .filter(|s| s.is_definition())
        .filter_map(|s| s.name_bytes().ok().map(<[u8]>::to_vec))
        .filter(|n| !n.is_empty())
        .collect();
    (!names.is_empty()).then_some(names)
}

/// The declared libraries that none of `programs` (unstripped executables) uses. A
/// program without a symbol table makes the answer unknown: nothing is reported.
pub(crate) fn unused(
    declared: &[Declared],
    programs: &[PathBuf],
    config_log: Option<&Path>,
) -> Result<Vec<Unused>, String> {
    let mut defined: BTreeSet<Vec<u8>> = BTreeSet::new();
    for program in programs {
        let data = std::fs::read(program).map_err(|e| format!("{}: {e}", program.display()))?;
        match program_symbols(&data) {
            Some(names) => defined.extend(names),
            None => return Ok(Vec::new()),
        }
    }
    if programs.is_empty() {
        return Ok(Vec::new());
    }
    let log = config_log
        .and_then(|p| std::fs::read(p).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let mut unused = Vec::new();
    for library in declared {
        let mut used = false;
        for archive in &library.archives {
            if !archive.is_file() {
                continue;
            }
            let symbols = archive_symbols(archive)?;
            if symbols.iter().any(|s| defined.contains(s)) {
                used = true;
                break;
            }
        }
        if !used {
            unused.push(Unused {
                library: library.name.clone(),
                failed_checks: failed_checks(&log, &library.words),
            });
        }
    }
    Ok(unused)
}

/// Program file name → the declared libraries it does not use.
pub(crate) type UnusedByProgram = std::collections::BTreeMap<String, Vec<String>>;

/// Per program (by file name), the declared libraries it does not use: none of their
/// archive symbols is among the symbols it defines. A program without a symbol table is
/// left out (nothing can be said of it).
pub(crate) fn unused_by_program(
    declared: &[Declared],
    programs: &[PathBuf],
) -> Result<UnusedByProgram, String> {
    let mut libraries = Vec::new();
    for library in declared {
        let mut symbols = BTreeSet::new();
        for archive in library.archives.iter().filter(|a| a.is_file()) {
            symbols.extend(archive_symbols(archive)?);
        }
        libraries.push((library.name.clone(), symbols));
    }
    let mut out = std::collections::BTreeMap::new();
    for program in programs {
        let data = std::fs::read(program).map_err(|e| format!("{}: {e}", program.display()))?;
        let (Some(defined), Some(name)) = (
            program_symbols(&data),
            program.file_name().and_then(|n| n.to_str()),
        ) else {
            continue;
        };
        let unused: Vec<String> = libraries
            .iter()
            .filter(|(_, symbols)| !symbols.iter().any(|s| defined.contains(s)))
            .map(|(name, _)| name.clone())
            .collect();
        out.insert(name.to_string(), unused);
    }
    Ok(out)
}

/// The checks in a config.log (or meson-log.txt) that answered "no" and name one of
/// `words` (`-lreadline`, `readline.h`), as configure printed them: `checking for
/// readline in -lreadline... no`; as meson did: `Library readline found: NO`.
pub(crate) fn failed_checks(config_log: &str, words: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let mut checking: Option<&str> = None;
    for line in config_log.lines() {
        if let Some(check) = meson_no(line)
            && (words.iter().any(|w| mentions(check, w)) || names_library(check, words))
        {
            if !found.iter().any(|f| f == check) {
                found.push(check.to_string());
            }
            continue;
        }
        // config.log: `configure:5120: checking for readline in -lreadline`, later
        // `configure:5145: result: no`.
        let rest = line.split_once(": ").map_or(line, |(_, r)| r);
        if let Some(what) = rest.strip_prefix("checking ") {
            checking = Some(what);
        } else if let Some(result) = rest.strip_prefix("result: ")
            && let Some(what) = checking.take()
            && result.trim() == "no"
            && words.iter().any(|w| mentions(what, w))
        {
            let line = format!("checking {what}... no");
            if !found.contains(&line) {
                found.push(line);
            }
        }
    }
    found
}

/// A meson check that answered no: `Run-time dependency zlib found: NO (tried
/// pkgconfig)`, `Has header "readline/readline.h" : NO`.
fn meson_no(line: &str) -> Option<&str> {
    let line = line.trim_end();
    let answer = line
        .find(" found: NO")
        .map(|at| &line[at + " found: ".len()..])
        .or_else(|| line.strip_suffix(": NO").map(|_| "NO"))?;
    answer.starts_with("NO").then_some(line)
}

/// meson's `Library z found: NO` names the library by its link name (`-lz`).
fn names_library(check: &str, words: &[String]) -> bool {
    check
        .strip_prefix("Library ")
        .and_then(|rest| rest.split_once(" found"))
        .is_some_and(|(name, _)| words.iter().any(|w| *w == format!("-l{name}")))
}

/// `word` as a whole word in `text` (`-lz` must not match `-lzstd`).
fn mentions(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let boundary = |c: Option<char>| {
            c.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        };
        boundary(before) && boundary(after)
    })
}

/// After a vendored project's install into `stage` (the `DESTDIR` root) and before it is
/// published: checks that each declared library was used by the ELF programs under the
/// runtime prefix's `bin/` and `sbin/` (linked unstripped), then strips them unless the
/// project keeps its symbols. Returns the unused libraries, described, and per program
/// the declared libraries it does not link (for its SBOM).
pub(crate) fn check_and_strip(
    job: &super::job::LibBuild,
    stage: &Path,
    config_log: &Path,
    temps: &crate::sys::fs::Temps,
) -> crate::error::Result<(Vec<String>, UnusedByProgram)> {
    let prefix = stage.join(job.recipe.runtime_prefix().trim_start_matches('/'));
    let mut programs = Vec::new();
    for dir in ["bin", "sbin"] {
        let Ok(entries) = std::fs::read_dir(prefix.join(dir)) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            let is_elf = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file())
                && std::fs::File::open(&path)
                    .and_then(|mut f| {
                        let mut magic = [0u8; 4];
                        std::io::Read::read_exact(&mut f, &mut magic).map(|()| magic)
                    })
                    .is_ok_and(|m| &m == b"\x7fELF");
            if is_elf {
                programs.push(path);
            }
        }
    }
    let declared: Vec<Declared> = job
        .recipe
        .deps
        .iter()
        .filter_map(|name| {
            let at = job.dep_names.iter().position(|n| n == name)?;
            let lib_dir = job.dep_prefixes[at].join("lib");
            let mut archives: Vec<PathBuf> = std::fs::read_dir(&lib_dir)
                .ok()?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "a"))
                .collect();
            archives.sort();
            let mut words = vec![name.clone(), format!("{name}.h")];
            for archive in &archives {
                if let Some(stem) = archive.file_stem().and_then(|s| s.to_str()) {
                    words.push(format!("-l{}", stem.trim_start_matches("lib")));
                }
            }
            Some(Declared {
                name: name.clone(),
                archives,
                words,
            })
        })
        .collect();
    let unreadable = |reason: String| {
        crate::error::Error::Verify {
        path: prefix.clone(),
        target: Some(job.target()),
        reason: format!("cannot read its symbols: {reason}"),
        help: "an installed program or a declared library's archive is not a file muslbuild can read (ELF, ar); check what the install put in bin/ and sbin/".into(),
    }
    };
    let per_program = unused_by_program(&declared, &programs).map_err(unreadable)?;
    let unused = unused(
        &declared,
        &programs,
        config_log.is_file().then_some(config_log),
    )
    .map_err(|reason| crate::error::Error::Verify {
        path: prefix.clone(),
        target: Some(job.target()),
        reason: format!("cannot read its symbols: {reason}"),
        help: "an installed program or a declared library's archive is not a file muslbuild can read (ELF, ar); check what the install put in bin/ and sbin/".into(),
    })?;
    if job.recipe.strip {
        for program in &programs {
            crate::strip::strip_file(program, temps)?;
        }
    }
    Ok((unused.iter().map(Unused::describe).collect(), per_program))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_checks_are_picked_from_config_log() {
        let log = "\
configure:5101: checking for library containing tgetent
configure:5140: result: no
configure:5150: checking for readline in -lreadline
configure:5175: /zig cc -o conftest conftest.c -lreadline >&5
ld.lld: error: undefined symbol: tgetent
configure:5180: result: no
configure:5190: checking readline.h usability
configure:5200: result: no
configure:5210: checking for zlib.h
configure:5220: result: yes
configure:5230: checking for deflate in -lz
configure:5240: result: no
configure:5250: checking for ZSTD in -lzstd
configure:5260: result: no
";
        let words = ["-lreadline", "-lhistory", "readline.h", "readline"].map(String::from);
        assert_eq!(
            failed_checks(log, &words),
            [
                "checking for readline in -lreadline... no",
                "checking readline.h usability... no"
            ]
        );
        let zlib = ["-lz", "zlib.h", "zlib"].map(String::from);
        assert_eq!(
            failed_checks(log, &zlib),
            ["checking for deflate in -lz... no"]
        );
    }

    #[test]
    fn failed_checks_are_picked_from_meson_log() {
        let log = "\
Run-time dependency zlib found: NO (tried pkgconfig and system)
Library z found: NO
Library zstd found: NO
Has header \"readline/readline.h\" : NO 
Has header \"zlib.h\" : YES 
Checking for function \"deflate\" with dependency zlib: NO 
Library readline found: YES
";
        let zlib = ["-lz", "zlib.h", "zlib"].map(String::from);
        assert_eq!(
            failed_checks(log, &zlib),
            [
                "Run-time dependency zlib found: NO (tried pkgconfig and system)",
                "Library z found: NO",
                "Checking for function \"deflate\" with dependency zlib: NO"
            ]
        );
        let readline = ["-lreadline", "readline.h", "readline"].map(String::from);
        assert_eq!(
            failed_checks(log, &readline),
            ["Has header \"readline/readline.h\" : NO"]
        );
    }

    #[test]
    fn describe_names_the_library_and_the_check() {
        let unused = Unused {
            library: "readline".into(),
            failed_checks: vec!["checking for readline in -lreadline... no".into()],
        };
        assert_eq!(
            unused.describe(),
            "declared library `readline` contributed no symbol to any program (configure: `checking for readline in -lreadline... no`)"
        );
    }
}
