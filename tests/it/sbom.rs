//! SBOMs and provenance beside the artifacts: checked by the SPDX project's own
//! validator and the NTIA's conformance checker, the same bytes from two folders, and
//! `verify --sbom` catching an artifact changed after the build.

use std::path::{Path, PathBuf};

use crate::support::{
    TestEnv, assert_dist_consistent, example, repo_root, require, stderr, success,
};

fn validate(sbom: &Path) {
    let pyspdxtools = require("pyspdxtools", "pip spdx-tools");
    let output = std::process::Command::new(pyspdxtools)
        .arg("-i")
        .arg(sbom)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "pyspdxtools rejects {}: {}{}",
        sbom.display(),
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
}

/// The NTIA minimum elements, as the NTIA's conformance checker reports them.
fn assert_ntia_conformant(sbom: &Path) {
    let checker = require("ntia-checker", "pip ntia-conformance-checker");
    let output = std::process::Command::new(checker)
        .args(["-r", "json"])
        .arg(sbom)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("ntia-checker printed no JSON ({e}): {}", stderr(&output)));
    assert_eq!(
        report["isNtiaConformant"],
        true,
        "{} misses NTIA minimum elements: {report:#}",
        sbom.display()
    );
}

fn hello_sbom(env: &TestEnv) -> PathBuf {
    std::fs::copy(example("hello.c"), env.path().join("hello.c")).unwrap();
    success(env.muslbuild().args(["--target", "x86_64", "hello.c"]));
    env.path().join("dist/x86_64/hello.spdx.json")
}

#[test]
fn a_c_hello_gets_a_valid_sbom_the_same_from_two_folders() {
    let (a, b) = (TestEnv::new(), TestEnv::new());
    let (first, second) = (hello_sbom(&a), hello_sbom(&b));
    validate(&first);
    let text = std::fs::read_to_string(&first).unwrap();
    assert!(
        text.contains("\"./hello.c\"") && text.contains("\"GENERATED_FROM\""),
        "the SBOM does not name the source it was compiled from: {text}"
    );
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&second).unwrap(),
        "the SBOMs of one source built in two folders differ"
    );
    let provenance = |env: &TestEnv| {
        std::fs::read(env.path().join("dist/x86_64/hello.intoto.json"))
            .expect("a provenance statement beside the artifact")
    };
    let statement = provenance(&a);
    assert_eq!(
        statement,
        provenance(&b),
        "the provenance of one source built in two folders differs"
    );
    let statement: serde_json::Value = serde_json::from_slice(&statement).unwrap();
    assert_eq!(
        statement["predicateType"], "https://slsa.dev/provenance/v1",
        "{statement:#}"
    );
    assert_dist_consistent(&a.path().join("dist"));
}

#[test]
fn no_sbom_writes_none_and_removes_a_stale_one() {
    let env = TestEnv::new();
    let sbom = hello_sbom(&env);
    assert!(sbom.is_file());
    success(
        env.muslbuild()
            .args(["--target", "x86_64", "--no-sbom", "hello.c"]),
    );
    assert!(!sbom.exists(), "--no-sbom left {}", sbom.display());
    assert!(
        !env.path().join("dist/x86_64/hello.intoto.json").exists(),
        "--no-sbom left the provenance"
    );
    assert_dist_consistent(&env.path().join("dist"));
}

#[test]
fn a_changed_artifact_fails_verify_sbom() {
    let env = TestEnv::new();
    hello_sbom(&env);
    let binary = env.path().join("dist/x86_64/hello");
    success(env.muslbuild().arg("verify").arg("--sbom").arg(&binary));
    // Same ELF, one byte of padding changed: still a static executable, another file.
    let mut bytes = std::fs::read(&binary).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&binary, bytes).unwrap();
    let output = env
        .muslbuild()
        .arg("verify")
        .arg("--sbom")
        .arg(&binary)
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "verify --sbom passed a changed file"
    );
    assert!(
        stderr(&output).contains("not the one its SBOM records"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_readline_program_names_its_libraries_on_three_targets() {
    let sources = repo_root().join("target/test-sources");
    let env = TestEnv::new();
    success(
        env.muslbuild()
            .args([
                "--target",
                "x86_64,aarch64,armv7",
                "--toolchain",
                "musl-gcc",
                "--lib",
                "readline",
                "--sbom-supplier",
                "Organization: Example Inc.",
                "--source-dir",
            ])
            .arg(&sources)
            .arg(example("repl.c")),
    );
    for target in ["x86_64", "aarch64", "armv7"] {
        let sbom = env.path().join(format!("dist/{target}/repl.spdx.json"));
        validate(&sbom);
        assert_ntia_conformant(&sbom);
        let text = std::fs::read_to_string(&sbom).unwrap();
        for purl in ["pkg:generic/readline@8.2", "pkg:generic/ncurses@6.4"] {
            assert!(text.contains(purl), "{target}: no {purl} in {text}");
        }
        assert!(text.contains("\"STATIC_LINK\""), "{target}: {text}");
    }
    assert_dist_consistent(&env.path().join("dist"));
}

#[test]
fn sbom_prints_the_document_and_refuses_what_has_none() {
    let env = TestEnv::new();
    let sbom = hello_sbom(&env);
    let output = success(env.muslbuild().args(["sbom", "dist/x86_64/hello"]));
    assert_eq!(output.stdout, std::fs::read(&sbom).unwrap());
    let output = env.muslbuild().args(["sbom", "hello.c"]).output().unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("help:"), "{}", stderr(&output));
}

#[test]
fn a_supplier_not_in_spdx_form_is_a_usage_error() {
    let env = TestEnv::new();
    std::fs::copy(example("hello.c"), env.path().join("hello.c")).unwrap();
    let output = env
        .muslbuild()
        .args(["--sbom-supplier", "Example Inc.", "hello.c"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("Organization: NAME"),
        "{}",
        stderr(&output)
    );
    assert!(
        !env.path().join("dist").exists(),
        "dist/ written before the check"
    );
}

#[test]
fn a_go_program_names_its_modules_from_its_build_info() {
    let env = TestEnv::new();
    let output = success(
        env.muslbuild()
            .env("GOPROXY", "off")
            .env("GOTOOLCHAIN", "local")
            .env_remove("GOFLAGS")
            .current_dir(example("go/vendored"))
            .arg("--out-dir")
            .arg(env.path().join("dist"))
            .args(["--target", "x86_64", "./cmd/greeter"]),
    );
    let sbom = env.path().join("dist/x86_64/greeter.spdx.json");
    validate(&sbom);
    let text = std::fs::read_to_string(&sbom).unwrap();
    for purl in [
        "pkg:golang/example.com/greet@v0.1.0",
        "pkg:golang/example.com/vendored@%28devel%29",
    ] {
        assert!(
            text.contains(purl),
            "no {purl} in {text}\n{}",
            stderr(&output)
        );
    }
    assert_dist_consistent(&env.path().join("dist"));
}
