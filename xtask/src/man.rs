//! `cargo xtask man [DIR]`: one man page per command (`muslbuild.1`, `muslbuild-build.1`,
//! `muslbuild-toolchain-install.1`, …), rendered by clap_mangen from muslbuild's own
//! command definition, so a page never lags behind a flag. Install them with
//! `cp DIR/*.1 ~/.local/share/man/man1/` (or any folder on `manpath`).

use std::path::{Path, PathBuf};

use crate::{Result, repo_root};

pub fn run(args: &[String]) -> Result {
    let dir = match args {
        [] => repo_root().join("target/man"),
        [dir] => PathBuf::from(dir),
        _ => return Err("usage: cargo xtask man [DIR]".into()),
    };
    let pages = write_pages(&dir)?;
    println!("{} man pages in {}", pages.len(), dir.display());
    Ok(())
}

/// Writes every page into `dir` (made if missing) and returns their paths, sorted.
fn write_pages(dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(muslbuild::cli::command(), dir)?;
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "1"))
        .collect();
    pages.sort();
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command and subcommand, as `muslbuild-toolchain-install`, with its long
    /// options.
    fn commands(cmd: &clap::Command, name: &str, out: &mut Vec<(String, Vec<String>)>) {
        let longs = cmd
            .get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter_map(|a| a.get_long().map(str::to_string))
            .collect();
        out.push((name.to_string(), longs));
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            commands(sub, &format!("{name}-{}", sub.get_name()), out);
        }
    }

    #[test]
    fn a_page_per_subcommand_with_its_options_that_man_renders() {
        let dir = tempfile::tempdir().unwrap();
        let pages = write_pages(dir.path()).unwrap();
        let mut all = Vec::new();
        let mut cmd = muslbuild::cli::command();
        cmd.build();
        commands(&cmd, "muslbuild", &mut all);
        assert!(all.len() > 20, "{all:?}");
        let names: Vec<String> = pages
            .iter()
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        for (name, longs) in &all {
            assert!(names.contains(name), "no page for {name}: {names:?}");
            let page = dir.path().join(format!("{name}.1"));
            let roff = std::fs::read_to_string(&page).unwrap();
            assert!(roff.starts_with(".ie \\n(.g .ds Aq"), "{name}: not roff");
            assert!(
                roff.contains(&format!(".TH {name} 1 ")),
                "{name}: no title line"
            );
            // man-db renders it (groff's warnings go to stderr), with every option.
            let man = which("man");
            let out = std::process::Command::new(man)
                .args(["-l", "-P", "cat", "-E", "UTF-8"])
                .arg(&page)
                .env("MANWIDTH", "100")
                .output()
                .unwrap();
            // Bold and underline arrive as overstrikes (`N\bN`): keep the last letter.
            let mut text = String::new();
            for c in String::from_utf8_lossy(&out.stdout).chars() {
                if c == '\u{8}' {
                    text.pop();
                } else {
                    text.push(c);
                }
            }
            let warnings = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success() && warnings.trim().is_empty(),
                "{name}: {warnings}"
            );
            assert!(
                text.contains("NAME") && text.contains("SYNOPSIS"),
                "{name}: {text}"
            );
            for long in longs {
                assert!(
                    text.contains(&format!("--{long}")),
                    "{name}: --{long} missing from its page:\n{text}"
                );
            }
        }
        // The top page points at every subcommand's page.
        let top = std::fs::read_to_string(dir.path().join("muslbuild.1")).unwrap();
        for (name, _) in all.iter().filter(|(n, _)| n.matches('-').count() == 1) {
            let reference = format!("{}(1)", name.replace('-', "\\-"));
            assert!(
                top.contains(&reference),
                "muslbuild.1 does not name {reference}"
            );
        }
    }

    /// A program on PATH, or a failure naming the package that installs it.
    fn which(program: &str) -> PathBuf {
        std::env::var_os("PATH")
            .into_iter()
            .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
            .unwrap_or_else(|| {
                panic!("prerequisite `{program}` is missing: `cargo xtask setup` installs man-db")
            })
    }
}
