//! A generated 50-file C program (zig) built by muslbuild against a plain Makefile that
//! runs the very object and link commands muslbuild prints under `-v`, with
//! `make -j<cores>`: cold for one target, cold for three (the Makefile once per target,
//! one after another), a one-file edit and a no-op. Goals (issue 15): cold ≤ 1.0× make,
//! edit ≤ 0.2× of cold, no-op unchanged.

use std::path::Path;

use xshell::cmd;

use super::{Bench, count_arg};
use crate::Result;
use crate::echoed::Echoed;
use crate::measure::{Sample, Series, ratio, time};

const FILES: usize = 50;
const TARGETS: [&str; 3] = ["x86_64", "aarch64", "armv7"];

pub fn run(b: &Bench, args: &[String]) -> Result {
    let runs = count_arg(args, 3)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let work = b.sh.create_temp_dir()?;
    let home = work.path().join("home");
    let _home = b.sh.push_env("MUSLBUILD_HOME", &home);
    // Probes and zig's libc for every target, paid once outside the figures.
    let warm = work.path().join("warm");
    write_program(&warm, 0)?;
    muslbuild(b, &warm, "x86_64,aarch64,armv7")?;

    let mut rounds = Vec::new();
    for round in 0..runs {
        let dir = work.path().join(format!("round-{round}"));
        write_program(&dir, 0)?;
        let makefiles: Vec<String> = TARGETS
            .iter()
            .map(|t| write_makefile(b, &dir, &home, t))
            .collect::<Result<_>>()?;
        // Every cold build starts from clean build folders and sources no compiler has
        // seen: zig caches C objects by content in its own global cache, which would
        // make the second side of the comparison warm.
        let mut salt = round * 10;
        let mut fresh = || -> Result {
            salt += 1;
            write_program(&dir, salt)?;
            for target in TARGETS {
                let _ = std::fs::remove_dir_all(dir.join(format!("build-{target}")));
            }
            let _ = std::fs::remove_dir_all(dir.join("dist"));
            let _ = std::fs::remove_dir_all(home.join("builds"));
            Ok(())
        };
        fresh()?;
        let (r, make_one) = time(|| make(b, &dir, &makefiles[0], cores));
        r?;
        fresh()?;
        let (r, make_three) = time(|| {
            makefiles
                .iter()
                .try_for_each(|m| make(b, &dir, m, cores).map(|_| ()))
        });
        r?;
        let (r, make_noop) = time(|| make(b, &dir, &makefiles[0], cores));
        r?;
        edit(&dir, round)?;
        let (r, make_edit) = time(|| make(b, &dir, &makefiles[0], cores));
        r?;
        fresh()?;
        let (r, ours_one) = time(|| muslbuild(b, &dir, "x86_64"));
        r?;
        let (r, ours_noop) = time(|| muslbuild(b, &dir, "x86_64"));
        r?;
        edit(&dir, round + 100)?;
        let (r, ours_edit) = time(|| muslbuild(b, &dir, "x86_64"));
        r?;
        fresh()?;
        let (r, ours_three) = time(|| muslbuild(b, &dir, "x86_64,aarch64,armv7"));
        r?;
        rounds.push([
            make_one, make_three, make_edit, make_noop, ours_one, ours_three, ours_edit, ours_noop,
        ]);
    }
    let series = |i: usize| -> Series {
        let mut series = Series::default();
        rounds.iter().for_each(|r: &[Sample; 8]| series.push(r[i]));
        series
    };
    println!(
        "{FILES}-file C program, zig, against a Makefile of the same commands with make -j{cores}; median of {runs}"
    );
    println!(
        "| build | muslbuild wall | make wall | ratio | muslbuild CPU | make CPU | ratio |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    let rows = [
        ("cold, x86_64", 4, 0),
        ("cold, 3 targets (make: one after another)", 5, 1),
        ("one .c edited, x86_64", 6, 2),
        ("no-op, x86_64", 7, 3),
    ];
    for (what, ours, theirs) in rows {
        let (ours, theirs) = (series(ours), series(theirs));
        println!(
            "| {what} | {:.3} s | {:.3} s | {} | {:.3} s | {:.3} s | {} |",
            ours.wall(),
            theirs.wall(),
            ratio(ours.wall(), theirs.wall()),
            ours.cpu(),
            theirs.cpu(),
            ratio(ours.cpu(), theirs.cpu()),
        );
    }
    println!(
        "one .c edited against muslbuild's cold build: {}",
        ratio(series(6).wall(), series(4).wall())
    );
    Ok(())
}

/// `common.h`, `main.c` and `FILES` sources, each with enough work for the optimiser to
/// take a noticeable while; `salt` (a comment) makes their contents new.
fn write_program(dir: &Path, salt: usize) -> Result {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("common.h"),
        "#define MIX(x, k) (((x) * (k)) ^ ((x) >> 7))\n",
    )?;
    let mut main = format!("/* {salt} */\n#include <stdio.h>\n");
    let mut calls = String::new();
    for i in 0..FILES {
        let mut text = format!("/* {salt} */\n#include \"common.h\"\n");
        for f in 0..40 {
            text.push_str(&format!(
                "static unsigned g{f}(unsigned x) {{ for (unsigned i = 0; i < {}; i++) {{ x = MIX(x, {}u); if (x % {} == 0) x += i; }} return x; }}\n",
                f % 9 + 2,
                f * 31 + i + 7,
                f + 3
            ));
        }
        text.push_str(&format!("unsigned entry{i}(unsigned x) {{\n"));
        for f in 0..40 {
            text.push_str(&format!("  x = g{f}(x);\n"));
        }
        text.push_str("  return x;\n}\n");
        std::fs::write(dir.join(format!("f{i}.c")), text)?;
        main.push_str(&format!("unsigned entry{i}(unsigned);\n"));
        calls.push_str(&format!("  x = entry{i}(x);\n"));
    }
    main.push_str(&format!(
        "int main(void) {{\n  unsigned x = 1;\n{calls}  printf(\"%u\\n\", x);\n  return 0;\n}}\n"
    ));
    std::fs::write(dir.join("main.c"), main)?;
    Ok(())
}

fn sources() -> Vec<String> {
    let mut files = vec!["main.c".to_string()];
    files.extend((0..FILES).map(|i| format!("f{i}.c")));
    files
}

/// A one-line change in one source.
fn edit(dir: &Path, n: usize) -> Result {
    let path = dir.join("f7.c");
    let text =
        std::fs::read_to_string(&path)? + &format!("unsigned edited{n}(void) {{ return {n}; }}\n");
    std::fs::write(path, text)?;
    Ok(())
}

fn muslbuild(b: &Bench, dir: &Path, target: &str) -> Result<String> {
    let files = sources();
    let mut args = vec!["--toolchain", "zig", "-t", target, "-o", "prog"];
    args.extend(files.iter().map(String::as_str));
    b.muslbuild(dir, &args)
}

/// The Makefile for `target`, written from the commands muslbuild runs: a warm-up build
/// with `-v` in a scratch copy gives one object command and the link command, whose
/// source, object and output paths become make's `$<`, `$@` and `$^`.
fn write_makefile(b: &Bench, dir: &Path, home: &Path, target: &str) -> Result<String> {
    let scratch = dir.join(format!(".scratch-{target}"));
    write_program(&scratch, 0)?;
    let bin = &b.muslbuild;
    let files = sources();
    // Without the build cache, so that the link runs (and is echoed) too.
    let _ = std::fs::remove_dir_all(home.join("builds"));
    let shown = {
        let _dir = b.sh.push_dir(&scratch);
        cmd!(
            b.sh,
            "{bin} -v --toolchain zig -t {target} -o prog {files...}"
        )
        .quiet()
        .ignore_status()
        .output()?
    };
    let stderr = String::from_utf8_lossy(&shown.stderr).into_owned();
    std::fs::remove_dir_all(&scratch)?;
    let has_object = |c: &Echoed| c.argv.iter().any(|a| a.contains("/.objects/"));
    let is_compile = |c: &Echoed| c.argv.iter().any(|a| a == "-c");
    let with_env = |c: Echoed| -> Vec<String> {
        let env = c.env.into_iter().map(|(k, v)| format!("{k}={v}"));
        env.chain(c.argv).collect()
    };
    let compile = Echoed::find(&stderr, |c| has_object(c) && is_compile(c))
        .map(with_env)
        .ok_or("no object command in muslbuild -v")?;
    let link = Echoed::find(&stderr, |c| has_object(c) && !is_compile(c))
        .map(with_env)
        .ok_or("no link command in muslbuild -v")?;
    let scratch_text = scratch.to_string_lossy().into_owned();
    let dir_text = dir.to_string_lossy().into_owned();
    let quote = |words: &[String]| -> String {
        words
            .iter()
            .map(|w| {
                let w = w.replace(&scratch_text, &dir_text);
                let plain = w
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_=,.:/+@%-".contains(c));
                if plain || w.starts_with('$') {
                    w
                } else {
                    format!("'{}'", w.replace('\'', "'\\''"))
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    // The compile: everything before `-c SOURCE`, then make's names.
    let c_at = compile.iter().position(|a| a == "-c").unwrap();
    let mut c_words: Vec<String> = compile[..c_at].to_vec();
    c_words.extend(["-c", "$<", "-o", "$@", "-MD", "-MF", "$@.d"].map(String::from));
    // The link: the objects become `$^`, the output `$@`.
    let mut l_words = Vec::new();
    let mut placed = false;
    let mut words = link.iter();
    while let Some(w) = words.next() {
        if w.contains("/.objects/") {
            if !placed {
                l_words.push("$^".to_string());
                placed = true;
            }
        } else if w == "-o" {
            words.next();
            l_words.extend(["-o".to_string(), "$@".to_string()]);
        } else {
            l_words.push(w.clone());
        }
    }
    let build = format!("build-{target}");
    let objects: Vec<String> = sources()
        .iter()
        .map(|s| format!("{build}/{}", s.replace(".c", ".o")))
        .collect();
    let makefile = format!(
        "OBJS = {objs}\n\n{build}/prog: $(OBJS)\n\t{link}\n\n{build}/%.o: %.c | {build}\n\t{compile}\n\n{build}:\n\tmkdir -p $@\n\n-include $(OBJS:.o=.o.d)\n",
        objs = objects.join(" "),
        link = quote(&l_words),
        compile = quote(&c_words),
    );
    let name = format!("Makefile.{target}");
    std::fs::write(dir.join(&name), makefile)?;
    Ok(name)
}

fn make(b: &Bench, dir: &Path, makefile: &str, cores: usize) -> Result<String> {
    let _dir = b.sh.push_dir(dir);
    let jobs = format!("-j{cores}");
    super::checked(cmd!(b.sh, "make -s -f {makefile} {jobs}"))
}
