//! Every target, one after another from a cold cache (muslbuild's and zig's): the first
//! zig compile (zig builds the target's musl), the hello's size with zig and with the
//! distribution's musl-gcc where this machine has it, the Go hello's size, the library
//! recipes (ncurses, readline, zlib) with zig and their time, and the readline repl's size.
//! Then the hello image over every platform built. Heavy: run it niced, not in CI.

use std::path::Path;

use super::Bench;
use crate::Result;
use crate::measure::time;

/// Every target `--target all` means, in its order.
const TARGETS: [&str; 11] = [
    "x86_64",
    "aarch64",
    "armv7",
    "i386",
    "armv5",
    "armv6",
    "riscv64",
    "ppc64le",
    "s390x",
    "mips64el",
    "loongarch64",
];

pub fn run(b: &Bench, args: &[String]) -> Result {
    let targets: Vec<&str> = match args.first() {
        Some(list) => list.split(',').collect(),
        None => TARGETS.to_vec(),
    };
    let sources = b.sources()?;
    let source_dir = sources.to_string_lossy().into_owned();
    let work = b.sh.create_temp_dir()?;
    let home = work.path().join("cache");
    let _home = b.sh.push_env("MUSLBUILD_HOME", &home);
    // zig keeps its per-target musl in its global cache: a private one makes the first
    // compile per target really the first.
    let _zig =
        b.sh.push_env("ZIG_GLOBAL_CACHE_DIR", work.path().join("zig-cache"));
    let app = work.path().join("app");
    std::fs::create_dir_all(&app)?;
    for file in ["hello.c", "repl.c"] {
        std::fs::copy(b.example(file), app.join(file))?;
    }
    let go_hello = b.example("go/hello").to_string_lossy().into_owned();

    println!(
        "| target | first zig compile (s) | hello, zig (bytes) | hello, musl-gcc (bytes) | Go hello (bytes) | ncurses + readline + zlib, zig (s) | repl (bytes) |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut measured = Vec::new();
    for target in targets {
        // One target's failure is a row of its own, not the end of an hour's run.
        match row(b, &app, target, &go_hello, &source_dir) {
            Ok(row) => {
                println!("{row}");
                measured.push(target);
            }
            Err(e) => {
                let first = e.to_string();
                let first = first.lines().next().unwrap_or_default().to_string();
                println!("| {target} | failed: {first} | | | | | |");
            }
        }
    }

    if measured.is_empty() {
        return Ok(());
    }
    // The hello image over every platform measured: zig's hellos alone in one dist.
    let image = work.path().join("image");
    std::fs::create_dir_all(&image)?;
    std::fs::copy(b.example("hello.c"), image.join("hello.c"))?;
    let list = measured.join(",");
    b.muslbuild(
        &image,
        &["--target", &list, "--toolchain", "zig", "hello.c"],
    )?;
    let report = b.muslbuild(&image, &["image", "--json", "--tag", "hello:bench"])?;
    let report: serde_json::Value = serde_json::from_str(&report)?;
    let platforms = report["platforms"].as_array().map_or(0, Vec::len);
    let total = report["index"]["size"].as_u64().unwrap_or(0)
        + report["platforms"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["total_size"].as_u64())
            .sum::<u64>();
    println!(
        "hello image over {platforms} platforms (index, manifests, configs, layers): {total} bytes"
    );
    Ok(())
}

/// One target's row: every step in turn, from its first zig compile on.
fn row(b: &Bench, app: &Path, target: &str, go_hello: &str, source_dir: &str) -> Result<String> {
    let (result, first) = time(|| {
        b.muslbuild(
            app,
            &[
                "--target",
                target,
                "--toolchain",
                "zig",
                "-o",
                "hello-zig",
                "hello.c",
            ],
        )
    });
    result?;
    let zig_size = size(app, target, "hello-zig")?;
    let gcc = [
        "--target",
        target,
        "--toolchain",
        "musl-gcc",
        "-o",
        "hello-gcc",
        "hello.c",
    ];
    let gcc_size = match b.muslbuild(app, &gcc) {
        Ok(_) => size(app, target, "hello-gcc")?.to_string(),
        Err(_) => "—".to_string(),
    };
    b.muslbuild(app, &["--target", target, "-o", "hello-go", go_hello])?;
    let go_size = size(app, target, "hello-go")?;
    let libs = [
        "lib",
        "build",
        "readline",
        "zlib",
        "--target",
        target,
        "--toolchain",
        "zig",
        "--source-dir",
        source_dir,
    ];
    let (result, libs) = time(|| b.muslbuild(app, &libs));
    result?;
    b.muslbuild(
        app,
        &[
            "--target",
            target,
            "--toolchain",
            "zig",
            "--lib",
            "readline",
            "--source-dir",
            source_dir,
            "repl.c",
        ],
    )?;
    let repl_size = size(app, target, "repl")?;
    Ok(format!(
        "| {target} | {:.1} | {zig_size} | {gcc_size} | {go_size} | {:.0} | {repl_size} |",
        first.wall, libs.wall
    ))
}

fn size(app: &Path, target: &str, name: &str) -> Result<u64> {
    Ok(std::fs::metadata(app.join("dist").join(target).join(name))?.len())
}
