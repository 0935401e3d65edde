//! `muslbuild build` of three C programs (one with readline), one Go program and an
//! image, for three targets, in a cache that also holds an installed zig: cold (new
//! folder, empty build and Go caches, warm library prefixes and probes), a no-op rebuild
//! (median; goal <= 0.01 s), one `.c` file changed — each against the cold build.

use std::path::Path;

use xshell::cmd;

use super::{Bench, count_arg};
use crate::Result;
use crate::measure::{Series, ratio, time};

const FILES: &[(&str, &str)] = &[
    (
        "src/hello.c",
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n",
    ),
    (
        "src/count.c",
        "#include <stdio.h>\nint main(int c, char **v) { (void)v; printf(\"%d\\n\", c - 1); return 0; }\n",
    ),
    (
        "src/repl.c",
        "#include <stdio.h>\n#include <stdlib.h>\n#include <readline/readline.h>\n#include <readline/history.h>\n\
         int main(void) { char *l; while ((l = readline(\"> \"))) { add_history(l); puts(l); free(l); } return 0; }\n",
    ),
    ("go.mod", "module example.com/bench\n\ngo 1.21\n"),
    (
        "cmd/server/main.go",
        "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"server\") }\n",
    ),
    (
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\", \"aarch64\", \"armv7\"]\n\n[c.hello]\nsources = [\"src/hello.c\"]\n\n\
         [c.count]\nsources = [\"src/count.c\"]\n\n[c.repl]\nsources = [\"src/repl.c\"]\nlibs = [\"readline\"]\n\n\
         [go.server]\npackage = \"./cmd/server\"\n\n[image]\ntag = \"bench:1\"\n",
    ),
];

pub fn run(b: &Bench, args: &[String]) -> Result {
    let runs = count_arg(args, 10)?;
    let work = b.sh.create_temp_dir()?;
    // A private cache home: the benchmark empties parts of it between runs.
    let home = work.path().join("home");
    // A newcomer's cache holds the zig `toolchain install` put there (20,000 files); the
    // project builds with the zig found first (Python's), which must not cost its check.
    b.install_zig(&home, work.path())?;
    let _home = b.sh.push_env("MUSLBUILD_HOME", &home);
    let _sources = b.sh.push_env("MUSLBUILD_SOURCE_DIRS", b.sources()?);
    // Libraries, probes and zig's libc, paid in a folder of their own.
    let warm = work.path().join("warm");
    write_project(&warm)?;
    build(b, &warm)?;
    for sub in ["builds", "go-build"] {
        let _ = std::fs::remove_dir_all(home.join(sub));
    }
    let project = work.path().join("project");
    write_project(&project)?;
    let (result, cold) = time(|| build(b, &project));
    let (built, total) = result?;
    let mut noop = Series::default();
    for _ in 0..runs {
        let (result, sample) = time(|| build(b, &project));
        let (rebuilt, _) = result?;
        if rebuilt != 0 {
            return Err(format!("a no-op rebuild built {rebuilt} artifacts").into());
        }
        noop.push(sample);
    }
    let count = project.join("src/count.c");
    let text = std::fs::read_to_string(&count)? + "/* changed */\n";
    std::fs::write(&count, text)?;
    let (result, one) = time(|| build(b, &project));
    let (one_built, _) = result?;
    println!(
        "muslbuild build: 3 C (one with readline) + 1 Go + image, 3 targets ({total} artifacts), zig installed in the cache"
    );
    println!("no-op: median of {}", noop.len());
    println!("| build | time | built | vs cold |\n|---|---:|---:|---:|");
    println!(
        "| cold (warm library cache) | {:.2} s | {built} | 1.000 |",
        cold.wall
    );
    println!(
        "| no-op rebuild | {:.3} s | 0 | {} |",
        noop.wall(),
        ratio(noop.wall(), cold.wall)
    );
    println!(
        "| one .c file changed | {:.2} s | {one_built} | {} |",
        one.wall,
        ratio(one.wall, cold.wall)
    );
    // The smallest project, where muslbuild's own cost is all there is: hello for three
    // targets (issue 24's case; goal: a no-op within 0.01 s with an installed zig).
    let hello = work.path().join("hello");
    std::fs::create_dir_all(&hello)?;
    std::fs::copy(b.example("hello.c"), hello.join("hello.c"))?;
    std::fs::write(
        hello.join("muslbuild.toml"),
        "[project]\ntargets = [\"x86_64\", \"aarch64\", \"armv7\"]\n\n[c.hello]\nsources = [\"hello.c\"]\n",
    )?;
    build(b, &hello)?;
    let mut noop = Series::default();
    for _ in 0..runs {
        let (result, sample) = time(|| build(b, &hello));
        if result?.0 != 0 {
            return Err("a no-op rebuild of the hello project built something".into());
        }
        noop.push(sample);
    }
    println!(
        "| no-op, hello for 3 targets (goal <= 0.010 s) | {:.3} s (CPU {:.3} s) | 0 | |",
        noop.wall(),
        noop.cpu()
    );
    Ok(())
}

fn write_project(dir: &Path) -> Result {
    for (name, text) in FILES {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap())?;
        std::fs::write(path, text)?;
    }
    Ok(())
}

/// `muslbuild build --json` in `dir`: (artifacts built, artifacts in all).
fn build(b: &Bench, dir: &Path) -> Result<(usize, usize)> {
    let muslbuild = &b.muslbuild;
    let _dir = b.sh.push_dir(dir);
    // Unset, not empty: zig refuses an empty SOURCE_DATE_EPOCH.
    let report =
        super::checked(cmd!(b.sh, "{muslbuild} build --json").env_remove("SOURCE_DATE_EPOCH"))?;
    let report: serde_json::Value = serde_json::from_str(&report)?;
    let artifacts = report["artifacts"].as_array().cloned().unwrap_or_default();
    let built = artifacts.iter().filter(|a| a["state"] == "built").count();
    Ok((built, artifacts.len()))
}
