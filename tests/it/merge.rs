//! Builds made on two machines become one image: x86_64 built in one folder with one
//! `MUSLBUILD_HOME`, aarch64 and armv7 in another with a second — merged with
//! `image --from` and with `image merge` (archives, offline), each giving the digests of
//! a one-machine build; conflicts and folders that do not match their manifest refused.

use std::path::Path;
use std::process::Command;

use crate::image::{env_with_dist, failure};
use crate::support::{TestEnv, example, stderr, success};

const TAG: &str = "hello:1.0";

fn at(env: &TestEnv, folder: &str, home: &Path) -> Command {
    let dir = env.path().join(folder);
    std::fs::create_dir_all(&dir).unwrap();
    let mut cmd = env.muslbuild();
    cmd.current_dir(dir)
        .env("MUSLBUILD_HOME", home)
        .env_remove("SOURCE_DATE_EPOCH");
    cmd
}

fn json(cmd: &mut Command) -> serde_json::Value {
    serde_json::from_slice(&success(cmd.arg("--json")).stdout).unwrap()
}

fn digests(report: &serde_json::Value) -> Vec<String> {
    let mut out = vec![report["index"]["digest"].as_str().unwrap().to_string()];
    for p in report["platforms"].as_array().unwrap() {
        out.push(format!(
            "{} {}",
            p["platform"].as_str().unwrap(),
            p["manifest"]["digest"].as_str().unwrap()
        ));
    }
    out
}

#[test]
fn two_machines_merge_into_the_one_machine_image_and_conflicts_are_refused() {
    // The one-machine build: all three targets in one dist.
    let one = env_with_dist();
    let single = json(one.muslbuild().env_remove("SOURCE_DATE_EPOCH").args([
        "image",
        "--tag",
        TAG,
        "--oci-archive",
        "one.tar",
    ]));

    let env = TestEnv::new();
    let home_a = env.path().join("home-a");
    let home_b = env.path().join("home-b");
    success(
        at(&env, "a", &home_a)
            .args(["--target", "x86_64"])
            .arg(example("hello.c")),
    );
    success(
        at(&env, "b", &home_b)
            .args(["--target", "aarch64,armv7"])
            .arg(example("hello.c")),
    );

    let merged = json(at(&env, "m", &home_a).args([
        "image",
        "--tag",
        TAG,
        "--from",
        "../a/dist",
        "../b/dist",
    ]));
    assert_eq!(digests(&merged), digests(&single));
    assert_eq!(digests(&merged).len(), 4);
    assert!(
        !env.path().join("m/dist/Dockerfile").exists(),
        "a merge writes no Dockerfile"
    );
    // --from makes the image SBOMs again, from the artifacts and their own SBOMs: the
    // one-machine documents.
    for target in ["x86_64", "aarch64", "armv7"] {
        let sbom = format!("dist/sbom/image-{target}.spdx.json");
        assert_eq!(
            std::fs::read(env.path().join("m").join(&sbom)).unwrap(),
            std::fs::read(one.path().join(&sbom)).unwrap(),
            "{sbom} of --from differs from the one-machine build's"
        );
    }

    // The same from per-machine archives, offline, byte for byte the one-machine archive.
    success(at(&env, "a", &home_a).args(["image", "--tag", TAG, "--oci-archive", "a.tar"]));
    success(at(&env, "b", &home_b).args(["image", "--tag", TAG, "--oci-archive", "b.tar"]));
    let archived = json(at(&env, ".", &home_a).args([
        "image",
        "merge",
        "--tag",
        TAG,
        "--oci-archive",
        "all.tar",
        "a/a.tar",
        "b/b.tar",
    ]));
    assert_eq!(digests(&archived), digests(&single));
    assert_eq!(
        std::fs::read(env.path().join("all.tar")).unwrap(),
        std::fs::read(one.path().join("one.tar")).unwrap(),
        "the merged archive is the one-machine archive"
    );
    // layouts merge too, and skopeo reads the result
    success(at(&env, ".", &home_a).args([
        "image",
        "merge",
        "--tag",
        TAG,
        "--oci-layout",
        "all",
        "a/dist/image",
        "b/dist/image",
    ]));
    let raw = success(
        Command::new(crate::support::require("skopeo", "skopeo"))
            .args(["inspect", "--raw"])
            .arg(format!("oci:{}:{TAG}", env.path().join("all").display())),
    );
    // The platform manifests keep their bytes, so their SBOM referrers come along: the
    // merged layout names what the one-machine layout names.
    assert_eq!(
        std::fs::read(env.path().join("all/index.json")).unwrap(),
        std::fs::read(one.path().join("dist/image/index.json")).unwrap(),
        "the merged layout's tags (image and referrers) are not the one-machine layout's"
    );
    let index_hex = digests(&single)[0]["sha256:".len()..].to_string();
    assert_eq!(
        raw.stdout,
        std::fs::read(one.path().join("dist/image/blobs/sha256").join(index_hex)).unwrap()
    );

    // Machine C built another program named hello for aarch64: a conflict.
    env.write(
        "c/hello.c",
        "#include <stdio.h>\nint main(void){puts(\"other\");return 0;}\n",
    );
    success(at(&env, "c", &home_a).args(["--target", "aarch64", "hello.c"]));
    let out = at(&env, "m2", &home_a)
        .args(["image", "--from", "../b/dist", "../c/dist"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("`hello` for aarch64 differs between"),
        "{}",
        stderr(&out)
    );
    assert!(
        !env.path().join("m2/dist/image").exists(),
        "nothing written"
    );
    success(at(&env, "c", &home_a).args(["image", "--oci-archive", "c.tar"]));
    let out = at(&env, ".", &home_a)
        .args([
            "image",
            "merge",
            "--oci-archive",
            "bad.tar",
            "b/b.tar",
            "c/c.tar",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("linux/arm64 is in"),
        "{}",
        stderr(&out)
    );
    assert!(!env.path().join("bad.tar").exists(), "nothing written");
}

#[test]
fn a_folder_that_does_not_match_its_manifest_is_refused() {
    let env = env_with_dist();
    let dist = env.path().join("dist");
    // An unlisted file beside the artifacts.
    std::fs::write(dist.join("armv7/extra"), b"x").unwrap();
    let (code, err) = failure(&env, &["--from", "dist"]);
    assert_eq!(code, 3);
    assert!(
        err.contains("armv7/extra") && err.contains("not in its manifest.json"),
        "{err}"
    );
    std::fs::remove_file(dist.join("armv7/extra")).unwrap();
    // An artifact whose bytes changed after the build.
    let mut bytes = std::fs::read(dist.join("aarch64/hello")).unwrap();
    bytes.push(0);
    std::fs::write(dist.join("aarch64/hello"), bytes).unwrap();
    let (code, err) = failure(&env, &["--from", "dist", "--target", "x86_64"]);
    assert_eq!(code, 3);
    assert!(err.contains("changed since it was built"), "{err}");
}
