//! What the SBOM and provenance cost: the warm `--lib readline repl.c` build for three
//! targets (everything cached) with them against `--no-sbom`, in turn, each into its own
//! dist folder so both stay warm; the ratio of the medians (goal <= 1.05). Then the size
//! of each record per target.

use super::{Bench, count_arg};
use crate::Result;
use crate::measure::{Series, ms, ratio, time};

pub fn run(b: &Bench, args: &[String]) -> Result {
    let runs = count_arg(args, 21)?;
    let sources = b.sources()?;
    let source_dir = sources.to_string_lossy().into_owned();
    let repl = b.example("repl.c").to_string_lossy().into_owned();
    let work = b.sh.create_temp_dir()?;
    let build = |out: &str, extra: &[&str]| {
        let mut argv = vec![
            "--out-dir",
            out,
            "--target",
            "x86_64,aarch64,armv7",
            "--toolchain",
            "musl-gcc",
            "--lib",
            "readline",
            "--source-dir",
            &source_dir,
        ];
        argv.extend(extra);
        argv.push(&repl);
        b.muslbuild(work.path(), &argv)
    };
    // Warm both: libraries, build cache, and each dist folder.
    build("with", &[])?;
    build("without", &["--no-sbom"])?;
    let (mut with, mut without) = (Series::default(), Series::default());
    for _ in 0..runs {
        let (result, sample) = time(|| build("with", &[]));
        result?;
        with.push(sample);
        let (result, sample) = time(|| build("without", &["--no-sbom"]));
        result?;
        without.push(sample);
    }
    println!("warm --lib readline repl.c, 3 targets, median of {runs} in turn");
    println!(
        "{:<12} {:>10} {:>10} {:>7}",
        "", "default", "--no-sbom", "ratio"
    );
    println!(
        "{:<12} {:>10} {:>10} {:>7}",
        "wall",
        ms(with.wall()),
        ms(without.wall()),
        ratio(with.wall(), without.wall())
    );
    println!(
        "{:<12} {:>10} {:>10} {:>7}",
        "cpu",
        ms(with.cpu()),
        ms(without.cpu()),
        ratio(with.cpu(), without.cpu())
    );
    for target in ["x86_64", "aarch64", "armv7"] {
        let dir = work.path().join("with").join(target);
        let size = |suffix: &str| {
            std::fs::metadata(dir.join(format!("repl{suffix}"))).map_or(0, |m| m.len())
        };
        println!(
            "{target:<8} repl.spdx.json {} bytes, repl.intoto.json {} bytes",
            size(".spdx.json"),
            size(".intoto.json")
        );
    }
    Ok(())
}
