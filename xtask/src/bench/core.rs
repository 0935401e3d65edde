//! hello for x86_64 per toolchain: muslbuild against the very compiler command it runs
//! (from `-v`), both compiling for real (a fresh `-D` per run), with muslbuild's
//! build-cache hit beside them, in a cache holding an installed zig (used, or passed
//! over for Python's); then hello's size per target and toolchain against a direct
//! `musl-gcc -static` and a glibc `gcc -static` build.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use xshell::cmd;

use super::{Bench, count_arg};
use crate::Result;
use crate::echoed::Echoed;
use crate::measure::{Series, ms, ratio, time};

const TARGETS: [&str; 3] = ["x86_64", "aarch64", "armv7"];

pub fn run(b: &Bench, args: &[String]) -> Result {
    let runs = count_arg(args, 15)?;
    overhead(b, runs)?;
    sizes(b)
}

fn overhead(b: &Bench, runs: usize) -> Result {
    let hello = b.example("hello.c");
    let muslbuild = &b.muslbuild;
    let nonce = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let work = b.sh.create_temp_dir()?;
    // A newcomer's cache: the zig `toolchain install` put there (20,000 files), whether
    // the build uses it or another zig found earlier in the order.
    let home = work.path().join("home");
    b.install_zig(&home, work.path())?;
    let _home = b.sh.push_env("MUSLBUILD_HOME", &home);
    // With nothing on PATH there is no Python's ziglang: the installed zig is the pick.
    let nothing = work.path().join("empty-path");
    std::fs::create_dir_all(&nothing)?;
    println!(
        "overhead: warm-toolchain build of examples/hello.c for x86_64, median of {runs}, zig installed in the cache"
    );
    println!(
        "{:<32} {:>10} {:>10} {:>7} {:>10} | CPU: {:>10} {:>10} {:>7}",
        "toolchain", "muslbuild", "direct", "ratio", "cache hit", "muslbuild", "direct", "ratio"
    );
    let cases = [
        ("zig (Python's ziglang)", "zig", None),
        ("zig (the installed one)", "zig", Some(nothing.as_path())),
        ("musl-gcc", "musl-gcc", None),
    ];
    for (label, toolchain, path) in cases {
        let dir = work.path().join(toolchain);
        std::fs::create_dir_all(&dir)?;
        let _dir = b.sh.push_dir(&dir);
        fn with_path<'a>(cmd: xshell::Cmd<'a>, path: Option<&Path>) -> xshell::Cmd<'a> {
            match path {
                Some(path) => cmd.env("PATH", path),
                None => cmd,
            }
        }
        let (mut ours, mut direct, mut hits) =
            (Series::default(), Series::default(), Series::default());
        for i in 0..runs {
            let define = format!("-DBENCH_RUN={toolchain}{i}{nonce}");
            // The untimed -v run shows the command; the direct run compiles its own -D.
            let echo = with_path(
                cmd!(
                    b.sh,
                    "{muslbuild} -v --toolchain {toolchain} --target x86_64 {define}x {hello}"
                ),
                path,
            )
            .quiet()
            .ignore_stdout()
            .read_stderr()?;
            let mut compile =
                Echoed::find(&echo, |c| c.argv.iter().any(|a| a == "-ffunction-sections"))
                    .ok_or("no compiler command in `muslbuild -v` output")?;
            compile.set_after("-o", &dir.join("direct-hello").to_string_lossy());
            compile.set_after("-MF", &dir.join("direct-hello.d").to_string_lossy());
            compile.replace_arg(&format!("{define}x"), &format!("{define}y"));
            let build = || {
                with_path(
                    cmd!(
                        b.sh,
                        "{muslbuild} -q --toolchain {toolchain} --target x86_64 {define} {hello}"
                    ),
                    path,
                )
                .quiet()
                .run()
            };
            let (result, sample) = time(build);
            result?;
            ours.push(sample);
            let (result, sample) = time(|| compile.run(&b.sh));
            result?;
            direct.push(sample);
            let (result, sample) = time(build);
            result?;
            hits.push(sample);
        }
        println!(
            "{label:<32} {:>10} {:>10} {:>7} {:>10} |      {:>10} {:>10} {:>7}",
            ms(ours.wall()),
            ms(direct.wall()),
            ratio(ours.wall(), direct.wall()),
            ms(hits.wall()),
            ms(ours.cpu()),
            ms(direct.cpu()),
            ratio(ours.cpu(), direct.cpu())
        );
    }
    Ok(())
}

fn sizes(b: &Bench) -> Result {
    let hello = b.example("hello.c");
    let muslbuild = &b.muslbuild;
    let work = b.sh.create_temp_dir()?;
    let _dir = b.sh.push_dir(work.path());
    println!("\nsize of hello (bytes; stripped, static)");
    println!(
        "{:<34}{:>10}{:>10}{:>10}",
        "build", TARGETS[0], TARGETS[1], TARGETS[2]
    );
    let size = |path: std::path::PathBuf| -> Result<u64> { Ok(std::fs::metadata(path)?.len()) };
    for toolchain in ["zig", "musl-gcc"] {
        let out = work.path().join(toolchain);
        cmd!(
            b.sh,
            "{muslbuild} -q --toolchain {toolchain} --target x86_64,aarch64,armv7 --out-dir {out} {hello}"
        )
        .quiet()
        .run()?;
        let row: Vec<u64> = TARGETS
            .iter()
            .map(|t| size(out.join(t).join("hello")))
            .collect::<Result<_>>()?;
        println!(
            "{:<34}{:>10}{:>10}{:>10}",
            format!("muslbuild --toolchain {toolchain}"),
            row[0],
            row[1],
            row[2]
        );
    }
    let mut row = Vec::new();
    for (target, compiler) in [
        ("x86_64", vec!["musl-gcc"]),
        (
            "aarch64",
            vec![
                "aarch64-linux-gnu-gcc",
                "-specs",
                "/usr/lib/aarch64-linux-musl/musl-gcc.specs",
            ],
        ),
        (
            "armv7",
            vec![
                "arm-linux-gnueabihf-gcc",
                "-specs",
                "/usr/lib/arm-linux-musleabihf/musl-gcc.specs",
            ],
        ),
    ] {
        let exe = work.path().join(format!("direct-{target}"));
        let (program, specs) = compiler.split_first().unwrap();
        cmd!(b.sh, "{program} {specs...} -static -Os -s {hello} -o {exe}")
            .quiet()
            .run()?;
        row.push(size(exe)?);
    }
    println!(
        "{:<34}{:>10}{:>10}{:>10}",
        "direct musl-gcc -static -Os -s", row[0], row[1], row[2]
    );
    let exe = work.path().join("glibc");
    cmd!(b.sh, "gcc -static -Os -s {hello} -o {exe}")
        .quiet()
        .run()?;
    println!(
        "{:<34}{:>10}{:>10}{:>10}",
        "glibc gcc -static -Os -s",
        size(exe)?,
        "-",
        "-"
    );
    Ok(())
}
