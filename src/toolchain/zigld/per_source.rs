//! `cc -c a.c b.c` without `-o`: GCC writes `a.o` and `b.o`, but zig compiles every source
//! into one object named after the first (`a.o` holding `b.c`'s symbols too, and no
//! `b.o`). Makefiles that compile a whole folder in one call (`$(COMPILE.c) $^`, then
//! `ar rcs lib.a *.o`) then archive the same code twice or miss objects. The wrapper
//! runs one zig compile per source instead, each with the `-o` GCC would have chosen.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Options whose value is the next argument, so that argument is no source.
const TAKES_NEXT: &[&str] = &[
    "-o",
    "-MF",
    "-MT",
    "-MQ",
    "-include",
    "-imacros",
    "-I",
    "-isystem",
    "-idirafter",
    "-iquote",
    "-isysroot",
    "-target",
    "-L",
    "-l",
    "-D",
    "-U",
    "-Xlinker",
    "-Xclang",
    "-Xassembler",
    "-Xpreprocessor",
    "-arch",
    "--sysroot",
    "-e",
    "-T",
    "-z",
];

const SOURCE_SUFFIXES: &[&str] = &[
    ".c", ".cc", ".cp", ".cpp", ".cxx", ".c++", ".C", ".s", ".S", ".sx", ".m",
];

/// For a compile-only command line (after `zig`: `cc …`) with two or more sources and no
/// `-o`, one command line per source: the others left out, `-o STEM.o` added. `None`
/// for anything else (a link, one source, an `-o` already, `-x`, `-E`/`-S`/`-M`).
pub(crate) fn one_compile_per_source(args: &[OsString]) -> Option<Vec<Vec<OsString>>> {
    let is = |a: &OsString, flag: &str| a.as_os_str() == OsStr::new(flag);
    if !args.iter().any(|a| is(a, "-c")) {
        return None;
    }
    let stops = ["-o", "-x", "-E", "-S", "-M", "-MM"];
    if args.iter().any(|a| stops.iter().any(|s| is(a, s))) {
        return None;
    }
    let mut sources = Vec::new();
    let mut value_next = false;
    for (i, arg) in args.iter().enumerate().skip(1) {
        if value_next {
            value_next = false;
            continue;
        }
        if TAKES_NEXT.iter().any(|o| is(arg, o)) {
            value_next = true;
            continue;
        }
        let bytes = arg.as_bytes();
        let source = !bytes.starts_with(b"-")
            && SOURCE_SUFFIXES
                .iter()
                .any(|s| bytes.ends_with(s.as_bytes()) && bytes.len() > s.len());
        if source {
            sources.push(i);
        }
    }
    if sources.len() < 2 {
        return None;
    }
    Some(
        sources
            .iter()
            .map(|&own| {
                let mut line: Vec<OsString> = args
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i == own || !sources.contains(i))
                    .map(|(_, a)| a.clone())
                    .collect();
                let stem = Path::new(&args[own])
                    .file_stem()
                    .unwrap_or_default()
                    .to_os_string();
                let mut object = stem;
                object.push(".o");
                line.push("-o".into());
                line.push(object);
                line
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn each_source_gets_its_own_compile_and_the_object_gcc_would_name() {
        let got = one_compile_per_source(&words(
            "cc -target x86_64-linux-musl -O2 -I ../lib -DX=1 -c ../lib/lz.c xxhash.c -MD",
        ))
        .unwrap();
        assert_eq!(
            got,
            [
                words(
                    "cc -target x86_64-linux-musl -O2 -I ../lib -DX=1 -c ../lib/lz.c -MD -o lz.o"
                ),
                words(
                    "cc -target x86_64-linux-musl -O2 -I ../lib -DX=1 -c xxhash.c -MD -o xxhash.o"
                ),
            ]
        );
    }

    #[test]
    fn links_single_sources_named_outputs_and_values_are_left_alone() {
        for line in [
            "cc a.c b.c -o prog",
            "cc -c a.c",
            "cc -c a.c b.c -o both.o",
            "cc -c -x c a.c b.c",
            "cc -E a.c b.c",
            "cc -c -include pre.c a.c",
            "cc -c -MF deps.c a.c",
        ] {
            assert_eq!(one_compile_per_source(&words(line)), None, "{line}");
        }
    }
}
