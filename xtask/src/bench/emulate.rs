//! What emulation costs a program that never runs target code: less 590 (autotools,
//! ncurses; musl-gcc / GNU cross gcc + musl specs) built cold for a foreign target with
//! `emulate = false` and with the default ("auto": every configure, make and install step
//! in a binfmt_misc private to it), rounds alternating, medians and their ratio; and the
//! artifacts of the two, which must be the same bytes. Goal: no difference beyond the
//! machine's noise, and the same bytes.

use xshell::cmd;

use super::{Bench, count_arg};
use crate::Result;
use crate::measure::{Series, ratio, time};

pub fn run(b: &Bench, args: &[String]) -> Result {
    let rounds = count_arg(args, 3)?;
    let target = args.get(1).map_or("aarch64", String::as_str);
    let sources = b.sources()?;
    let source_dir = sources.to_string_lossy().into_owned();
    let work = b.sh.create_temp_dir()?;
    let home = work.path().join("cache");
    let _home = b.sh.push_env("MUSLBUILD_HOME", &home);
    let tarball = sources.join("less_590.orig.tar.gz");
    let mut projects = Vec::new();
    for (name, setting) in [("off", "emulate = false\n"), ("auto", "")] {
        let dir = work.path().join(name);
        std::fs::create_dir_all(&dir)?;
        cmd!(b.sh, "tar -xzf {tarball} -C {dir}").quiet().run()?;
        std::fs::write(
            dir.join("muslbuild.toml"),
            format!(
                "[project]\ntargets = [\"{target}\"]\ntoolchain = \"musl-gcc\"\nsource-dirs = [\"{source_dir}\"]\n\n\
                 [vendor.less]\npath = \"less-590\"\nlibs = [\"ncurses\"]\nprograms = [\"less\"]\n{setting}"
            ),
        )?;
        projects.push((name, dir));
    }
    b.muslbuild(
        &projects[0].1,
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
    println!("less 590 for {target} (autotools, ncurses cached), musl-gcc, cold, {rounds} rounds");
    let (mut off, mut auto) = (Series::default(), Series::default());
    for _ in 0..rounds {
        for (name, dir) in &projects {
            // Cold: the project's configured tree and staged install go, ncurses stays.
            let vendor = home.join("vendor");
            if vendor.is_dir() {
                std::fs::remove_dir_all(&vendor)?;
            }
            let (result, sample) = time(|| b.muslbuild(dir, &["build"]));
            result?;
            if *name == "off" {
                off.push(sample);
            } else {
                auto.push(sample);
            }
        }
    }
    let same = std::fs::read(projects[0].1.join("dist").join(target).join("less"))?
        == std::fs::read(projects[1].1.join("dist").join(target).join("less"))?;
    println!("{:<22} {:>10} {:>10}", "emulate", "wall_s", "cpu_s");
    println!("{:<22} {:>10.3} {:>10.3}", "false", off.wall(), off.cpu());
    println!(
        "{:<22} {:>10.3} {:>10.3}",
        "auto (binfmt_misc)",
        auto.wall(),
        auto.cpu()
    );
    println!(
        "ratio auto/false: wall {}, cpu {}; same artifact bytes: {}",
        ratio(auto.wall(), off.wall()),
        ratio(auto.cpu(), off.cpu()),
        if same { "yes" } else { "NO" }
    );
    Ok(())
}
