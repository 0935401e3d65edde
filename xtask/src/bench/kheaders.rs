//! strace 6.1 with the pinned 6.1 kernel headers (tests/corpus/strace, `kernel-headers =
//! "6.1"`): the whole matrix the tests sample — zig and musl-gcc (Debian's; its GNU cross
//! gcc + musl specs off x86_64) for x86_64, aarch64 and armv7 — each cell cold in a cache
//! of its own (zig's own cache stays warm), with its wall and CPU time, the artifact's
//! size and `strace -V` run (under qemu off x86_64). Against it, in the same run: the
//! hand-written build the pin replaces for musl-gcc on x86_64 (`./configure
//! CPPFLAGS=-isystem <the same headers>` and `make -j2`), and the ratio.

use std::path::Path;

use xshell::cmd;

use super::{Bench, checked};
use crate::Result;
use crate::measure::{Sample, ratio, time};

const TOOLCHAINS: [&str; 2] = ["zig", "musl-gcc"];
const TARGETS: [(&str, Option<&str>); 3] = [
    ("x86_64", None),
    ("aarch64", Some("qemu-aarch64-static")),
    ("armv7", Some("qemu-arm-static")),
];
const ARCHIVE: &str = "strace_6.1.orig.tar.xz";

pub fn run(b: &Bench, args: &[String]) -> Result {
    let sources = b.sources()?;
    if !sources.join(ARCHIVE).is_file() {
        return Err(format!(
            "{} has no {ARCHIVE}: run `cargo xtask setup`",
            sources.display()
        )
        .into());
    }
    let wanted: Vec<&str> = match args.first() {
        Some(list) => list.split(',').collect(),
        None => TARGETS.iter().map(|t| t.0).collect(),
    };
    let work = b.root.join("target/tmp/bench-kheaders");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let _env = [
        b.sh.push_env("MUSLBUILD_OFFLINE", "1"),
        b.sh.push_env("MUSLBUILD_SOURCE_DIRS", &sources),
    ];
    println!("strace 6.1, kernel-headers = \"6.1\", each cold (-j2):");
    println!(
        "  {:<9} {:<8} {:>9} {:>9} {:>11}  strace -V",
        "toolchain", "target", "wall s", "cpu s", "size"
    );
    let mut muslbuild_x86 = None;
    for toolchain in TOOLCHAINS {
        for (target, qemu) in TARGETS.iter().filter(|t| wanted.contains(&t.0)) {
            let cell = work.join(format!("{toolchain}-{target}"));
            let project = unpacked_project(b, &cell, &sources)?;
            let home = cell.join("home");
            let _home = b.sh.push_env("MUSLBUILD_HOME", &home);
            let (built, sample) = time(|| {
                b.muslbuild(
                    &project,
                    &["build", "--toolchain", toolchain, "-t", target, "-j2"],
                )
            });
            let line = match built {
                Ok(_) => {
                    let binary = project.join("dist").join(target).join("strace");
                    let size = std::fs::metadata(&binary)?.len();
                    let version = run_version(b, *qemu, &binary);
                    if (toolchain, *target) == ("musl-gcc", "x86_64") {
                        muslbuild_x86 = Some((sample, home.clone()));
                    }
                    format!(
                        "{:>9.1} {:>9.1} {:>11}  {version}",
                        sample.wall,
                        sample.cpu,
                        format!("{size} B")
                    )
                }
                Err(e) => format!(
                    "failed after {:.1} s: {}",
                    sample.wall,
                    e.to_string().lines().next().unwrap_or_default()
                ),
            };
            println!("  {toolchain:<9} {target:<8} {line}");
        }
    }
    if let Some((ours, home)) = muslbuild_x86 {
        let by_hand = hand_written(b, &work, &sources, &home)?;
        println!(
            "musl-gcc x86_64 against ./configure + make -j2 with the same headers by hand: {:.1} s vs {:.1} s wall, ratio {}",
            ours.wall,
            by_hand.wall,
            ratio(ours.wall, by_hand.wall)
        );
    }
    Ok(())
}

/// A copy of tests/corpus/strace with the sources unpacked beside it.
fn unpacked_project(b: &Bench, cell: &Path, sources: &Path) -> Result<std::path::PathBuf> {
    let project = cell.join("strace");
    std::fs::create_dir_all(&project)?;
    std::fs::copy(
        b.root.join("tests/corpus/strace/muslbuild.toml"),
        project.join("muslbuild.toml"),
    )?;
    let archive = sources.join(ARCHIVE);
    checked(cmd!(b.sh, "tar -xf {archive} -C {project}"))?;
    Ok(project)
}

fn run_version(b: &Bench, qemu: Option<&str>, binary: &Path) -> String {
    let output = match qemu {
        Some(q) => checked(cmd!(b.sh, "{q} {binary} -V")),
        None => checked(cmd!(b.sh, "{binary} -V")),
    };
    match output {
        Ok(text) => text.lines().next().unwrap_or_default().to_string(),
        Err(e) => format!(
            "FAILED: {}",
            e.to_string().lines().next().unwrap_or_default()
        ),
    }
}

/// What a user without the pin writes for musl-gcc on x86_64: the headers unpacked by
/// hand (here: the set muslbuild unpacked), configure with them as a system folder, make.
fn hand_written(b: &Bench, work: &Path, sources: &Path, home: &Path) -> Result<Sample> {
    let headers = std::fs::read_dir(home.join("libs"))?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("linux-headers-"))
        })
        .ok_or("the musl-gcc x86_64 cell left no linux-headers entry")?
        .join("include");
    let dir = work.join("by-hand");
    std::fs::create_dir_all(&dir)?;
    let archive = sources.join(ARCHIVE);
    checked(cmd!(b.sh, "tar -xf {archive} -C {dir}"))?;
    let build = dir.join("build");
    std::fs::create_dir_all(&build)?;
    let _dir = b.sh.push_dir(&build);
    let cppflags = format!("-isystem {}", headers.display());
    let (result, sample) = time(|| -> Result {
        checked(cmd!(
            b.sh,
            "../strace-6.1/configure --host=x86_64-linux-musl --build=x86_64-pc-linux-gnu CC=musl-gcc CPPFLAGS={cppflags} CFLAGS=-Os LDFLAGS=-static --enable-mpers=no --disable-gcc-Werror"
        ))?;
        checked(cmd!(b.sh, "make -j2"))?;
        Ok(())
    });
    result?;
    Ok(sample)
}
