//! Go overhead: muslbuild against the very `go build` it runs (same folder, environment
//! and flags, from `-v`), warm Go build cache, alternating which runs first. `miss`
//! empties muslbuild's own artifact cache (builds/) before each run, so `go build` really
//! runs; `hit` is the usual warm rebuild. Goal: ratio <= 1.05. Then the example sizes.

use xshell::cmd;

use super::{Bench, count_arg};
use crate::Result;
use crate::echoed::Echoed;
use crate::measure::{Series, ratio, time};

pub fn run(b: &Bench, args: &[String]) -> Result {
    let runs = count_arg(args, 9)?;
    let work = b.sh.create_temp_dir()?;
    // A private cache home: the benchmark empties parts of it between runs.
    let home = work.path().join("cache");
    let _env = [
        b.sh.push_env("MUSLBUILD_HOME", &home),
        b.sh.push_env("GOPROXY", "off"),
        b.sh.push_env("GOTOOLCHAIN", "local"),
        b.sh.push_env("GOFLAGS", ""),
    ];
    println!("overhead (median of {runs}, warm Go cache; wall and CPU of the process tree):");
    for (example, target, mode) in [
        ("hello", "x86_64", Mode::Miss),
        ("hello", "armv7", Mode::Miss),
        ("netuser", "x86_64", Mode::Miss),
        ("hello", "x86_64", Mode::Hit),
    ] {
        overhead(b, work.path(), &home, runs, example, target, mode)?;
    }
    println!("\nsizes (stripped, static):");
    println!(
        "{:<8} {:>10} {:>10} {:>10}",
        "example", "x86_64", "aarch64", "armv7"
    );
    let muslbuild = &b.muslbuild;
    for example in ["hello", "netuser"] {
        let out = work.path().join(format!("sizes-{example}"));
        let src = b.example(&format!("go/{example}"));
        cmd!(
            b.sh,
            "{muslbuild} -q -t x86_64,aarch64,armv7 --out-dir {out} {src}"
        )
        .quiet()
        .run()?;
        print!("{example:<8}");
        for target in ["x86_64", "aarch64", "armv7"] {
            print!(
                " {:>10}",
                std::fs::metadata(out.join(target).join(example))?.len()
            );
        }
        println!();
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// muslbuild's artifact cache emptied before each run: `go build` runs.
    Miss,
    /// The warm rebuild muslbuild's artifact cache answers.
    Hit,
}

fn overhead(
    b: &Bench,
    work: &std::path::Path,
    home: &std::path::Path,
    runs: usize,
    example: &str,
    target: &str,
    mode: Mode,
) -> Result {
    let muslbuild = &b.muslbuild;
    let src = b.example(&format!("go/{example}"));
    let out = work.join(format!("dist-{example}-{target}"));
    let forget = || std::fs::remove_dir_all(home.join("builds")).or_else(ignore_missing);
    forget()?;
    // Warm-up: fills Go's build cache and muslbuild's probe records, shows the command.
    let echo = cmd!(b.sh, "{muslbuild} -v -t {target} --out-dir {out} {src}")
        .quiet()
        .ignore_stdout()
        .read_stderr()?;
    let mut go_build = Echoed::find(&echo, |c| {
        c.program_ends_with("/go") && c.argv.get(1).is_some_and(|a| a == "build")
    })
    .ok_or("no `go build` line in `muslbuild -v` output")?;
    go_build.set_after(
        "-o",
        &work
            .join(format!("direct-{example}-{target}"))
            .to_string_lossy(),
    );
    go_build.run(&b.sh)?;
    let (mut ours, mut direct) = (Series::default(), Series::default());
    let mut ours_once = || -> Result {
        if mode == Mode::Miss {
            forget()?;
        }
        let (result, sample) = time(|| {
            cmd!(b.sh, "{muslbuild} -q -t {target} --out-dir {out} {src}")
                .quiet()
                .run()
        });
        result?;
        ours.push(sample);
        Ok(())
    };
    for i in 0..runs {
        // Alternating, so neither always runs right after the other.
        if i % 2 == 0 {
            ours_once()?;
        }
        let (result, sample) = time(|| go_build.run(&b.sh));
        result?;
        direct.push(sample);
        if i % 2 == 1 {
            ours_once()?;
        }
    }
    let what = format!(
        "{example} {}",
        if mode == Mode::Miss { "miss" } else { "hit" }
    );
    println!(
        "{what:<13} {target:<7} wall: muslbuild {:>6.0} ms  go build {:>6.0} ms  ratio {}   cpu: {:>6.0} ms  {:>6.0} ms  ratio {}",
        ours.wall() * 1e3,
        direct.wall() * 1e3,
        ratio(ours.wall(), direct.wall()),
        ours.cpu() * 1e3,
        direct.cpu() * 1e3,
        ratio(ours.cpu(), direct.cpu()),
    );
    Ok(())
}

fn ignore_missing(e: std::io::Error) -> std::io::Result<()> {
    if e.kind() == std::io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(e)
    }
}
