//! The shell conventions: `muslbuild completions SHELL` prints clap's completion script,
//! which real bash loads and asks as it would on a Tab press, and nothing is read as a
//! source file or touches the cache.

use std::process::Command;

use crate::support::{TestEnv, require, stderr, stdout, success};

/// What bash completes for the words typed so far (the last one partial), with the script
/// `muslbuild completions bash` printed loaded as a user would.
fn bash_completes(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let bash = require("bash", "bash");
    let out = success(
        Command::new(bash)
            .args(["--norc", "--noprofile", "-c"])
            .arg(
                "source \"$1\"; shift; COMP_WORDS=(\"$@\"); COMP_CWORD=$(( $# - 1 )); \
                 complete -p muslbuild >/dev/null || exit 3; \
                 _muslbuild muslbuild \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"; \
                 printf '%s\\n' \"${COMPREPLY[@]}\"",
            )
            .arg("sh")
            .arg(script)
            .args(words),
    );
    stdout(&out).lines().map(str::to_string).collect()
}

#[test]
fn bash_completion_offers_subcommands_options_and_the_targets() {
    let env = TestEnv::new();
    // A cache that does not exist stays so: printing a script needs none.
    let home = env.path().join("no-cache");
    let out = success(
        env.muslbuild()
            .env("MUSLBUILD_HOME", &home)
            .args(["completions", "bash"]),
    );
    assert!(!home.exists(), "`completions` made a cache");
    assert!(
        !env.path().join("dist").exists(),
        "`completions` wrote dist/"
    );
    let script = env.path().join("muslbuild.bash");
    std::fs::write(&script, &out.stdout).unwrap();

    let targets = bash_completes(&script, &["muslbuild", "--target", ""]);
    assert_eq!(
        targets,
        [
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
            "all"
        ],
    );
    // In a subcommand too, by prefix.
    assert_eq!(
        bash_completes(&script, &["muslbuild", "build", "-t", "arm"]),
        ["armv7", "armv5", "armv6"]
    );
    assert_eq!(
        bash_completes(&script, &["muslbuild", "verify", "x", "--target", "mips"]),
        ["mips64el"]
    );
    assert!(bash_completes(&script, &["muslbuild", "comp"]).contains(&"completions".into()));
    let shells = bash_completes(&script, &["muslbuild", "completions", ""]);
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert!(shells.contains(&shell.to_string()), "{shells:?}");
    }
    let options = bash_completes(&script, &["muslbuild", "cache", "prune", "--m"]);
    assert_eq!(options, ["--max-size"]);
}

#[test]
fn every_shell_gets_a_script_and_an_unknown_one_is_a_usage_error() {
    let env = TestEnv::new();
    for (shell, marker) in [
        ("zsh", "#compdef muslbuild"),
        ("fish", "complete -c muslbuild"),
        ("elvish", "edit:completion:arg-completer[muslbuild]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = success(env.muslbuild().args(["completions", shell]));
        let text = stdout(&out);
        assert!(text.contains(marker), "{shell}: no `{marker}`:\n{text}");
        assert!(text.contains("loongarch64"), "{shell}: no target names");
    }
    let out = env
        .muslbuild()
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("bash"), "{}", stderr(&out));
}
