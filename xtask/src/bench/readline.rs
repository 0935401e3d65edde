//! `cargo xtask bench readline`: ncurses + readline for three targets, cold: `muslbuild lib build` (targets in
//! parallel, -j2) against benches/libs-by-hand.sh doing the same builds one after another
//! with `make -j2`. Goal: ratio <= 1.0. Then the whole `--lib readline repl.c` command
//! with everything cached (goal <= 2 s) and the example's size per target.

use xshell::cmd;

use super::{Bench, count_arg};
use crate::Result;
use crate::measure::{Series, median, ratio, time};

pub fn run(b: &Bench, args: &[String]) -> Result {
    let runs = count_arg(args, 1)?;
    let sources = b.sources()?;
    let source_dir = sources.to_string_lossy().into_owned();
    let work = b.sh.create_temp_dir()?;
    let home = work.path().join("cache");
    let _home = b.sh.push_env("MUSLBUILD_HOME", &home);
    let by_hand = b.root.join("benches/libs-by-hand.sh");
    let mut ratios = Vec::new();
    for run in 1..=runs {
        let script_root = work.path().join("script");
        for dir in [&home, &script_root] {
            let _ = std::fs::remove_dir_all(dir);
        }
        let (result, ours) = time(|| {
            b.muslbuild(
                work.path(),
                &[
                    "lib",
                    "build",
                    "readline",
                    "--target",
                    "x86_64,aarch64,armv7",
                    "--toolchain",
                    "musl-gcc",
                    "-j2",
                    "--source-dir",
                    &source_dir,
                ],
            )
        });
        result?;
        let (result, theirs) = time(|| {
            cmd!(b.sh, "bash {by_hand} {script_root} {sources}")
                .quiet()
                .ignore_stdout()
                .run()
        });
        result?;
        println!(
            "cold run {run}: muslbuild {:.1} s, sequential script {:.1} s, ratio {}",
            ours.wall,
            theirs.wall,
            ratio(ours.wall, theirs.wall)
        );
        ratios.push(ours.wall / theirs.wall);
    }
    println!(
        "cold median ratio (muslbuild / script, goal <= 1.0): {:.3}",
        median(ratios)
    );

    let app = work.path().join("app");
    std::fs::create_dir_all(&app)?;
    std::fs::copy(b.example("repl.c"), app.join("repl.c"))?;
    let args = [
        "--target",
        "x86_64,aarch64,armv7",
        "--toolchain",
        "musl-gcc",
        "--lib",
        "readline",
        "--source-dir",
        &source_dir,
        "repl.c",
    ];
    b.muslbuild(&app, &args)?;
    let mut warm = Series::default();
    for _ in 0..5 {
        let (result, sample) = time(|| b.muslbuild(&app, &args));
        result?;
        warm.push(sample);
    }
    println!(
        "warm whole command, median of 5 (goal <= 2 s): {:.3} s",
        warm.wall()
    );
    for target in ["x86_64", "aarch64", "armv7"] {
        let size = std::fs::metadata(app.join("dist").join(target).join("repl"))?.len();
        println!("size of dist/{target}/repl: {size} bytes");
    }
    Ok(())
}
