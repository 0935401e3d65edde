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

/// The NTIA conformance checker's JSON report on `sbom`.
fn ntia_report(sbom: &Path) -> serde_json::Value {
    let checker = require("ntia-checker", "pip ntia-conformance-checker");
    let output = std::process::Command::new(checker)
        .args(["-r", "json"])
        .arg(sbom)
        .output()
        .unwrap();
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("ntia-checker printed no JSON ({e}): {}", stderr(&output)))
}

/// Every package is reachable from the described one: the checker ignores (and names)
/// "floating" packages, which a consumer walking the document's graph never sees.
fn assert_nothing_floating(sbom: &Path) {
    let report = ntia_report(sbom);
    let floating = &report["graphValidation"]["floatingComponents"];
    assert_eq!(
        floating["floatingComponentCount"],
        0,
        "{} has packages no relationship reaches: {floating:#}",
        sbom.display()
    );
}

/// The NTIA minimum elements, as the NTIA's conformance checker reports them, for every
/// package of the document.
fn assert_ntia_conformant(sbom: &Path) {
    let report = ntia_report(sbom);
    assert_eq!(
        report["isNtiaConformant"],
        true,
        "{} misses NTIA minimum elements: {report:#}",
        sbom.display()
    );
    assert_nothing_floating(sbom);
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
    assert_nothing_floating(&first);
    let text = std::fs::read_to_string(&first).unwrap();
    assert!(
        text.contains("\"./hello.c\"") && text.contains("\"GENERATED_FROM\""),
        "the SBOM does not name the source it was compiled from: {text}"
    );
    // musl's version: zig's bundled one, or the distribution's package.
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let musl = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "musl")
        .unwrap();
    let version = musl["versionInfo"].as_str().unwrap();
    assert!(
        version.split('.').count() == 3 && version.split('.').all(|n| n.parse::<u32>().is_ok()),
        "musl's version is `{version}`"
    );
    // A zig from Python's ziglang package is that package.
    let toolchain = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["SPDXID"] == "SPDXRef-Package-toolchain")
        .unwrap();
    let purl = toolchain["externalRefs"][0]["referenceLocator"]
        .as_str()
        .unwrap();
    let ziglang = toolchain["comment"]
        .as_str()
        .is_some_and(|c| c.contains("`ziglang` package"));
    assert!(
        !ziglang || purl.starts_with("pkg:pypi/ziglang@"),
        "{toolchain:#}"
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
    // The command line, without the program's path: the same from both folders.
    assert_eq!(
        statement["predicate"]["buildDefinition"]["externalParameters"]["command"],
        serde_json::json!(["muslbuild", "--target", "x86_64", "hello.c"]),
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
        for purl in [
            "pkg:generic/readline@8.2",
            "pkg:generic/ncurses@6.4",
            // musl-gcc's musl is the distribution's musl-dev for this architecture.
            "pkg:deb/debian/musl@",
            // The source folder holds Debian's source packages (`.dsc`) listing the
            // archives used.
            "pkg:deb/debian/readline@8.2-1.3?arch=source",
            "pkg:deb/debian/ncurses@6.4-4?arch=source",
        ] {
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
    assert_nothing_floating(&sbom);
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

fn image_json(env: &TestEnv, args: &[&str]) -> serde_json::Value {
    let output = success(
        env.muslbuild()
            .args(["image", "--json", "--tag", "hello:1.0"])
            .args(args)
            .env_remove("SOURCE_DATE_EPOCH"),
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn skopeo_raw(reference: String) -> serde_json::Value {
    let output = success(
        std::process::Command::new(require("skopeo", "skopeo"))
            .args(["inspect", "--raw"])
            .arg(reference),
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn blob(layout: &Path, digest: &serde_json::Value) -> Vec<u8> {
    let hex = digest.as_str().unwrap().strip_prefix("sha256:").unwrap();
    std::fs::read(layout.join("blobs/sha256").join(hex)).unwrap()
}

/// Every regular file under `root`, as `./PATH` → sha256.
fn files_with_sha256(root: &Path) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                let relative = entry.path().strip_prefix(root).unwrap().to_owned();
                out.insert(
                    format!("./{}", relative.display()),
                    muslbuild::sys::hash::sha256_hex(&std::fs::read(entry.path()).unwrap()),
                );
            }
        }
    }
    out
}

#[test]
fn an_image_has_a_valid_sbom_per_platform_attached_to_its_manifest() {
    let env = crate::image::env_with_dist();
    let report = image_json(&env, &["--passwd", "--ca-certs", "--zoneinfo"]);
    let layout = env.path().join("dist/image");
    let platforms = report["platforms"].as_array().unwrap();
    assert_eq!(platforms.len(), 3);
    for platform in platforms {
        let target = platform["target"].as_str().unwrap();
        let manifest = &platform["manifest"]["digest"];
        let sbom = env
            .path()
            .join(format!("dist/sbom/image-{target}.spdx.json"));
        validate(&sbom);
        assert_nothing_floating(&sbom);
        let document: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&sbom).unwrap()).unwrap();

        // skopeo reads the referrers index under the manifest's referrers tag.
        let tag = manifest.as_str().unwrap().replacen(':', "-", 1);
        let referrers = skopeo_raw(format!("oci:{}:{tag}", layout.display()));
        assert_eq!(
            referrers["manifests"][0]["artifactType"], "application/spdx+json",
            "{target}: {referrers:#}"
        );
        let referrer: serde_json::Value =
            serde_json::from_slice(&blob(&layout, &referrers["manifests"][0]["digest"])).unwrap();
        assert_eq!(referrer["subject"]["digest"], *manifest, "{target}");
        assert_eq!(
            referrer["config"]["mediaType"], "application/vnd.oci.empty.v1+json",
            "{target}"
        );
        assert_eq!(
            blob(&layout, &referrer["layers"][0]["digest"]),
            std::fs::read(&sbom).unwrap(),
            "{target}: the attached SBOM is not the one in dist/sbom"
        );
        // skopeo copies the referrers whole, checking every digest on the way.
        let copy = env.path().join(format!("copy-{target}"));
        success(
            std::process::Command::new(require("skopeo", "skopeo"))
                .args(["copy", "--all"])
                .arg(format!("oci:{}:{tag}", layout.display()))
                .arg(format!("oci:{}:sbom", copy.display())),
        );

        // The artifact's own SBOM is referenced by its namespace.
        let artifact_sbom: serde_json::Value = serde_json::from_slice(
            &std::fs::read(env.path().join(format!("dist/{target}/hello.spdx.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(
            document["externalDocumentRefs"][0]["spdxDocument"], artifact_sbom["documentNamespace"],
            "{target}"
        );
    }

    // Every regular file of the unpacked amd64 image, with its sha256, and no other.
    let rootfs =
        crate::support::unpack_platform(&env, &layout, "hello:1.0", "amd64", None).join("rootfs");
    let document: serde_json::Value = serde_json::from_slice(
        &std::fs::read(env.path().join("dist/sbom/image-x86_64.spdx.json")).unwrap(),
    )
    .unwrap();
    let listed: std::collections::BTreeMap<String, String> = document["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let sha = f["checksums"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["algorithm"] == "SHA256")
                .unwrap()["checksumValue"]
                .as_str()
                .unwrap()
                .to_string();
            (f["fileName"].as_str().unwrap().to_string(), sha)
        })
        .collect();
    let present = files_with_sha256(&rootfs);
    assert!(present.contains_key("./etc/passwd") && present.contains_key("./hello"));
    assert_eq!(listed, present, "the SBOM's files are not the image's");
    assert_dist_consistent(&env.path().join("dist"));
}

#[test]
fn image_sboms_are_the_same_from_two_folders_and_no_sbom_removes_them() {
    let (a, b) = (crate::image::env_with_dist(), crate::image::env_with_dist());
    let (first, second) = (image_json(&a, &["--passwd"]), image_json(&b, &["--passwd"]));
    assert_eq!(first["index"], second["index"]);
    for target in ["x86_64", "aarch64", "armv7"] {
        let path = format!("dist/sbom/image-{target}.spdx.json");
        assert_eq!(
            std::fs::read(a.path().join(&path)).unwrap(),
            std::fs::read(b.path().join(&path)).unwrap(),
            "{path} differs between two folders"
        );
    }
    image_json(&a, &["--passwd", "--no-sbom"]);
    assert!(
        !a.path().join("dist/sbom").exists(),
        "--no-sbom left dist/sbom"
    );
    let index = std::fs::read_to_string(a.path().join("dist/image/index.json")).unwrap();
    assert!(
        !index.contains("\"sha256-"),
        "--no-sbom left referrers: {index}"
    );
    let layout = a.path().join("dist/image");
    let names = std::fs::read_dir(layout.join("blobs/sha256"))
        .unwrap()
        .count();
    assert_eq!(
        names, 10,
        "three layers, configs and manifests and the index; no SBOM blob left"
    );
}

#[test]
fn the_programs_own_headers_are_among_its_sources_on_a_miss_and_a_hit() {
    let env = TestEnv::new();
    let header = env.write("inc/greet.h", "#define GREETING \"hi\"\n");
    env.write(
        "main.c",
        "#include <stdio.h>\n#include \"greet.h\"\nint main(void){puts(GREETING);return 0;}\n",
    );
    env.write(
        "greet.c",
        "#include \"greet.h\"\nint greet(void){return sizeof GREETING - 3;}\n",
    );
    let build = |sources: &[&str]| {
        success(
            env.muslbuild()
                .args(["--target", "x86_64", "-I", "inc", "-o", "greet"])
                .args(sources),
        );
        std::fs::read(env.path().join("dist/x86_64/greet.spdx.json")).unwrap()
    };
    let sha = muslbuild::sys::hash::sha256_hex(&std::fs::read(&header).unwrap());
    for sources in [&["main.c"][..], &["main.c", "greet.c"][..]] {
        let first = build(sources);
        let text = String::from_utf8(first.clone()).unwrap();
        assert_eq!(
            text.matches("\"./inc/greet.h\"").count(),
            1,
            "{sources:?}: the header is not listed once: {text}"
        );
        assert!(text.contains(&sha), "{sources:?}: no sha256 of the header");
        assert!(
            !text.contains("stdio.h"),
            "{sources:?}: the libc's headers are musl's, not the program's"
        );
        // From the build cache: the entry's record names the same header.
        assert_eq!(
            build(sources),
            first,
            "{sources:?}: a warm build's SBOM differs"
        );
        validate(&env.path().join("dist/x86_64/greet.spdx.json"));
    }
}

#[test]
fn a_vendored_program_names_only_the_libraries_it_links() {
    let env = TestEnv::new();
    env.write(
        "tools/Makefile",
        "all: plain zipper
plain: plain.c
\t$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ plain.c
zipper: zipper.c
\t$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ zipper.c -lz
install: all
\tmkdir -p $(DESTDIR)$(PREFIX)/bin
\tcp plain zipper $(DESTDIR)$(PREFIX)/bin/
",
    );
    env.write(
        "tools/plain.c",
        "#include <stdio.h>\nint main(void){puts(\"plain\");return 0;}\n",
    );
    env.write(
        "tools/zipper.c",
        "#include <stdio.h>\n#include <zlib.h>\nint main(void){puts(zlibVersion());return 0;}\n",
    );
    env.write(
        "muslbuild.toml",
        &format!(
            "[project]\ntargets = [\"x86_64\"]\ntoolchain = \"musl-gcc\"\nsource-dirs = [\"{}\"]\n[vendor.tools]\npath = \"tools\"\nlibs = [\"zlib\"]\nprograms = [\"plain\", \"zipper\"]\n",
            repo_root().join("target/test-sources").display()
        ),
    );
    success(env.muslbuild().arg("build"));
    let sbom = |program: &str| {
        let path = env.path().join(format!("dist/x86_64/{program}.spdx.json"));
        validate(&path);
        std::fs::read_to_string(path).unwrap()
    };
    let (plain, zipper) = (sbom("plain"), sbom("zipper"));
    assert!(zipper.contains("pkg:generic/zlib@"), "{zipper}");
    assert!(
        !plain.contains("pkg:generic/zlib@"),
        "`plain` links no zlib symbol but its SBOM names zlib: {plain}"
    );
    // Both name their project.
    for text in [&plain, &zipper] {
        assert!(text.contains("pkg:generic/tools@"), "{text}");
    }
}
