//! A vendored autotools program (less 590 from Debian's sources, with ncurses;
//! musl-gcc / GNU cross gcc + musl specs): its cold build (configure, make, install;
//! ncurses already built) against a one-line `.c` edit (only make and the install run)
//! and a no-op build. Goal: edit <= 0.10 of cold.

use xshell::cmd;

use super::Bench;
use crate::Result;
use crate::measure::{ratio, time};

pub fn run(b: &Bench, args: &[String]) -> Result {
    let sources = b.sources()?;
    let targets: Vec<&str> = match args.first() {
        Some(list) => list.split([',', ' ']).filter(|t| !t.is_empty()).collect(),
        None => vec!["x86_64", "aarch64", "armv7"],
    };
    let work = b.sh.create_temp_dir()?;
    let home =
        std::env::var_os("MUSLBUILD_HOME").map_or_else(|| work.path().join("cache"), Into::into);
    let _home = b.sh.push_env("MUSLBUILD_HOME", &home);
    let source_dir = sources.to_string_lossy().into_owned();
    println!(
        "vendored project: less 590 (autotools, ncurses), musl-gcc / GNU cross gcc + musl specs"
    );
    println!(
        "{:<8} {:>10} {:>10} {:>8} {:>10}",
        "target", "cold_s", "edit_s", "ratio", "noop_s"
    );
    for target in targets {
        let dir = work.path().join(target);
        std::fs::create_dir_all(&dir)?;
        let tarball = sources.join("less_590.orig.tar.gz");
        cmd!(b.sh, "tar -xzf {tarball} -C {dir}").quiet().run()?;
        std::fs::write(
            dir.join("muslbuild.toml"),
            format!(
                "[project]\ntargets = [\"{target}\"]\ntoolchain = \"musl-gcc\"\nsource-dirs = [\"{source_dir}\"]\n\n\
                 [vendor.less]\npath = \"less-590\"\nlibs = [\"ncurses\"]\nprograms = [\"less\"]\n"
            ),
        )?;
        b.muslbuild(
            &dir,
            &[
                "lib",
                "build",
                "ncurses",
                "--target",
                target,
                "--toolchain",
                "musl-gcc",
                "--source-dir",
                &source_dir,
            ],
        )?;
        let (result, cold) = time(|| b.muslbuild(&dir, &["build"]));
        result?;
        let version = dir.join("less-590/version.c");
        std::fs::write(
            &version,
            std::fs::read_to_string(&version)? + "int bench_edit_marker;\n",
        )?;
        let (result, edit) = time(|| b.muslbuild(&dir, &["build"]));
        result?;
        let (result, noop) = time(|| b.muslbuild(&dir, &["build"]));
        result?;
        println!(
            "{target:<8} {:>10.3} {:>10.3} {:>8} {:>10.3}",
            cold.wall,
            edit.wall,
            ratio(edit.wall, cold.wall),
            noop.wall
        );
    }
    Ok(())
}
