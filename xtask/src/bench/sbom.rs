//! What the SBOM and provenance cost: the warm `--lib readline repl.c` build for three
//! targets (everything cached) with them against `--no-sbom`, in turn, each into its own
//! dist folder so both stay warm; the ratio of the medians (goal <= 1.05). Then the warm
//! `muslbuild image` of them with its per-platform SBOMs against `--no-sbom`, and the
//! size of each record per target.

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
    // The image of those artifacts (with passwd, CA bundle and zoneinfo: the biggest file
    // list), warm (the layout already there), with its per-platform SBOMs against
    // `--no-sbom`.
    let image = |out: &str, extra: &[&str]| {
        let mut argv = vec![
            "image",
            "--out-dir",
            out,
            "--tag",
            "repl:1",
            "--passwd",
            "--ca-certs",
            "--zoneinfo",
        ];
        argv.extend(extra);
        b.muslbuild(work.path(), &argv)
    };
    image("with", &[])?;
    image("without", &["--no-sbom"])?;
    let (mut with, mut without) = (Series::default(), Series::default());
    for _ in 0..runs {
        let (result, sample) = time(|| image("with", &[]));
        result?;
        with.push(sample);
        let (result, sample) = time(|| image("without", &["--no-sbom"]));
        result?;
        without.push(sample);
    }
    println!("warm image (passwd, CA bundle, zoneinfo), 3 platforms, median of {runs} in turn");
    for (what, a, b) in [
        ("wall", with.wall(), without.wall()),
        ("cpu", with.cpu(), without.cpu()),
    ] {
        println!("{what:<12} {:>10} {:>10} {:>7}", ms(a), ms(b), ratio(a, b));
    }
    for target in ["x86_64", "aarch64", "armv7"] {
        let file = work
            .path()
            .join("with/sbom")
            .join(format!("image-{target}.spdx.json"));
        let size = std::fs::metadata(&file).map_or(0, |m| m.len());
        let files = std::fs::read(&file)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|d| d["files"].as_array().map(Vec::len))
            .unwrap_or(0);
        println!("{target:<8} image-{target}.spdx.json {size} bytes, {files} files");
    }
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
