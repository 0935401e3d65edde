//! Build-machine paths inside artifacts: a program with its checkout's data folder
//! compiled in (`-DDATADIR="<project>/data"`) builds with a warning naming it, its
//! manifest entry records the string, `verify` reports it, and `--strict` (build and
//! verify) makes it an error with exit 5 and nothing in dist/. A program without one
//! says nothing. Real zig for x86_64.

use std::path::Path;

use crate::support::{TestEnv, stderr, stdout, success};

const LEAKY_C: &str = r#"#include <stdio.h>
int main(void) {
    /* Where it would look for its data: a folder of the machine that built it. */
    printf("data in %s\n", DATADIR "/words.txt");
    return 0;
}
"#;

fn project(env: &TestEnv) -> String {
    let datadir = format!("{}/data", env.path().display());
    env.write(
        "muslbuild.toml",
        &format!(
            "[project]\ntargets = [\"x86_64\"]\ntoolchain = \"zig\"\n\n[c.leaky]\nsources = [\"leaky.c\"]\ndefines = [\"DATADIR=\\\"{datadir}\\\"\"]\n\n[c.clean]\nsources = [\"clean.c\"]\n"
        ),
    );
    env.write("leaky.c", LEAKY_C);
    env.write(
        "clean.c",
        "#include <stdio.h>\nint main(void) { puts(\"/usr/share/clean and /tmp/clean.sock\"); return 0; }\n",
    );
    format!("{datadir}/words.txt")
}

fn manifest(dist: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dist.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn a_compiled_in_build_path_is_a_warning_an_entry_and_with_strict_an_error() {
    let env = TestEnv::new();
    let leaked = project(&env);

    // --strict first: exit 5 naming artifact and string, and the artifact is not in dist.
    let out = env
        .muslbuild()
        .args(["build", "--strict"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(
        err.contains("x86_64/leaky for x86_64 names folders of the build machine"),
        "{err}"
    );
    assert!(
        err.contains(&format!("`{leaked}` (the project folder)")),
        "{err}"
    );
    assert!(err.contains("help: a path that exists only where"), "{err}");
    assert!(!env.path().join("dist/x86_64/leaky").exists());
    // The clean one was built and installed beside it.
    assert!(env.path().join("dist/x86_64/clean").is_file());

    // Without --strict: built, with a warning, and recorded.
    let out = success(env.muslbuild().arg("build"));
    let err = stderr(&out);
    assert!(
        err.contains("muslbuild: warning: x86_64/leaky names folders of the build machine"),
        "{err}"
    );
    assert!(!err.contains("x86_64/clean names"), "{err}");
    let dist = env.path().join("dist");
    let manifest = manifest(&dist);
    let entry = |name: &str| {
        manifest["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()
            .clone()
    };
    let found = &entry("leaky")["verification"]["build_paths"];
    assert_eq!(found[0]["string"], leaked.as_str(), "{manifest}");
    assert_eq!(found[0]["origin"], "the project folder");
    assert!(entry("clean")["verification"].get("build_paths").is_none());

    // A warm build (a build-cache hit) says it again.
    let out = success(env.muslbuild().arg("build"));
    assert!(
        stderr(&out).contains("x86_64/leaky names folders"),
        "{}",
        stderr(&out)
    );

    // verify reports it; --json carries it; --strict fails on it.
    let out = success(env.muslbuild().args(["verify", "dist/x86_64/leaky"]));
    let text = stdout(&out);
    assert!(text.starts_with("ok   dist/x86_64/leaky"), "{text}");
    assert!(
        text.contains(&format!(
            "names a build-machine path: {leaked} (the project folder)"
        )),
        "{text}"
    );
    let out = success(
        env.muslbuild()
            .args(["verify", "--json", "dist/x86_64/leaky"]),
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json[0]["build_paths"][0]["string"],
        leaked.as_str(),
        "{json}"
    );
    let out = env
        .muslbuild()
        .args([
            "verify",
            "--strict",
            "dist/x86_64/leaky",
            "dist/x86_64/clean",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("names folders of the build machine"));
    success(
        env.muslbuild()
            .args(["verify", "--strict", "dist/x86_64/clean"]),
    );

    // A single-file build checks the same way, with its own --strict.
    let out = env
        .muslbuild()
        .args(["--target", "x86_64", "--toolchain", "zig", "--strict"])
        .arg(format!("-DDATADIR=\"{}/data\"", env.path().display()))
        .args(["-o", "single", "--out-dir", "single-dist", "leaky.c"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(!env.path().join("single-dist/x86_64/single").exists());
}
