//! busybox 1.35.0 (Debian's source) with its default configuration, built with zig per
//! target: `muslbuild build` (its link line's GNU ld options translated by the `zig-cc`
//! wrapper) against the hand-written way — the same `make defconfig`, the same zig,
//! CPU pin and flags, and `scripts/trylink` edited by hand to leave out `--warn-common`,
//! `-Map` and `--verbose`, which zig's linker refuses. Prints both times (wall and CPU),
//! their ratio (the wrapper's and muslbuild's cost), the sizes, and how many applets the
//! binary lists under qemu.
//!
//! `defconfig` less `tc`: its CBQ scheduler needs definitions Linux 6.8 removed from
//! the uapi headers, and zig's are newer; Debian's and Alpine's builds turn it off too.

use std::path::Path;

use xshell::cmd;

use super::{Bench, checked};
use crate::Result;
use crate::measure::{ratio, time};

const TARBALL: &str = "busybox_1.35.0.orig.tar.bz2";
const TREE: &str = "busybox-1.35.0";
const DEFCONFIG: &str =
    "make defconfig && sed -i -e 's/^CONFIG_TC=y/# CONFIG_TC is not set/' .config";

pub fn run(b: &Bench, args: &[String]) -> Result {
    let sources = b.sources()?;
    let targets: Vec<String> = match args.first() {
        Some(list) => list
            .split([',', ' '])
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        None => vec!["x86_64".into(), "aarch64".into(), "armv7".into()],
    };
    let specs: serde_json::Value =
        serde_json::from_str(&b.muslbuild(&b.root, &["targets", "--json"])?)?;
    let zig = zig_program(b)?;
    let work = b.sh.create_temp_dir()?;
    let jobs = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .to_string();
    println!("busybox 1.35.0 defconfig (less tc), zig, -j{jobs}; hand: make with trylink edited");
    println!(
        "| target | muslbuild wall | cpu | hand wall | cpu | wall ratio | size | hand size | applets |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for target in &targets {
        let spec = specs
            .as_array()
            .and_then(|all| all.iter().find(|s| s["target"] == target.as_str()))
            .ok_or_else(|| format!("no target `{target}`"))?;
        let dir = work.path().join(target);
        std::fs::create_dir_all(&dir)?;
        let tarball = sources.join(TARBALL);
        cmd!(b.sh, "tar -xjf {tarball} -C {dir}").quiet().run()?;
        std::fs::write(
            dir.join("muslbuild.toml"),
            format!(
                "[project]\ntargets = [\"{target}\"]\ntoolchain = \"zig\"\nsbom = false\n\n\
                 [vendor.busybox]\npath = \"{TREE}\"\nbuild = \"make\"\n\
                 bootstrap = [\"sh\", \"-c\", \"{DEFCONFIG}\"]\nprefix = \"/\"\n\
                 make = {{ args = [\"CONFIG_PREFIX=$(DESTDIR)\"] }}\nprograms = [\"busybox\"]\n"
            ),
        )?;
        let home = dir.join("cache");
        let _home = b.sh.push_env("MUSLBUILD_HOME", &home);
        let (built, ours) = time(|| b.muslbuild(&dir, &["build", "-j", &jobs]));
        built?;
        let binary = dir.join("dist").join(target).join("busybox");
        let size = std::fs::metadata(&binary)?.len();

        // By hand: a second tree, the same configuration, trylink without what zig refuses.
        let hand = work.path().join(format!("{target}-hand"));
        std::fs::create_dir_all(&hand)?;
        cmd!(b.sh, "tar -xjf {tarball} -C {hand}").quiet().run()?;
        let tree = hand.join(TREE);
        let trylink = tree.join("scripts/trylink");
        std::fs::write(
            &trylink,
            std::fs::read_to_string(&trylink)?
                .replace("-Wl,--warn-common -Wl,-Map,$EXE.map -Wl,--verbose", ""),
        )?;
        let mut cc = vec![zig.clone(), "cc".into(), "-target".into()];
        cc.push(spec["zig"].as_str().unwrap_or_default().to_string());
        cc.extend(
            spec["zig_cpu"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f.as_str().map(str::to_string)),
        );
        let cc = cc.join(" ");
        let ar = format!("{zig} ar");
        let strip = strip_for(spec);
        // muslbuild's size flags, as a careful hand would give them.
        let cflags = "CFLAGS=-Os -ffunction-sections -fdata-sections";
        let (made, by_hand) = time(|| {
            let _dir = b.sh.push_dir(&tree);
            checked(cmd!(b.sh, "sh -c {DEFCONFIG}"))?;
            checked(cmd!(
                b.sh,
                "make -j{jobs} CC={cc} AR={ar} STRIP={strip} {cflags} LDFLAGS=-static"
            ))
        });
        made?;
        let hand_size = std::fs::metadata(tree.join("busybox"))?.len();
        let applets = list_applets(b, spec, &binary)?;
        println!(
            "| {target} | {:.1} s | {:.1} s | {:.1} s | {:.1} s | {} | {:.1} KiB | {:.1} KiB | {applets} |",
            ours.wall,
            ours.cpu,
            by_hand.wall,
            by_hand.cpu,
            ratio(ours.wall, by_hand.wall),
            size as f64 / 1024.0,
            hand_size as f64 / 1024.0,
        );
    }
    Ok(())
}

fn zig_program(b: &Bench) -> Result<String> {
    let dir = checked(cmd!(
        b.sh,
        "python3 -c 'import os, ziglang; print(os.path.dirname(ziglang.__file__))'"
    ))?;
    Ok(format!("{}/zig", dir.trim()))
}

/// binutils for the target where Debian has them, the host's for x86_64.
fn strip_for(spec: &serde_json::Value) -> String {
    match spec["debian"]["gnu_prefix"].as_str() {
        Some(prefix) if spec["target"] != "x86_64" => format!("{prefix}-strip"),
        _ => "strip".into(),
    }
}

/// How many applets `busybox --list` names, run under the target's qemu.
fn list_applets(b: &Bench, spec: &serde_json::Value, binary: &Path) -> Result<usize> {
    let listed = if spec["target"] == "x86_64" {
        checked(cmd!(b.sh, "{binary} --list"))?
    } else {
        let qemu = format!("{}-static", spec["qemu"].as_str().unwrap_or_default());
        checked(cmd!(b.sh, "{qemu} {binary} --list"))?
    };
    Ok(listed.lines().count())
}
