//! `muslbuild image` against real tools: the hello example built for x86_64, aarch64 and
//! armv7, packed into one multi-arch image, then checked with skopeo, unpacked with umoci
//! and run (natively or in a chroot for x86_64, qemu-user for the others).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::support::{
    TestEnv, example, require, run_binary, shared_cache, stderr, stdout, success, unpack_platform,
};

const TAG: &str = "hello:1.0";

/// (target = dist folder, skopeo --override-arch, --override-variant, qemu)
const PLATFORMS: [(&str, &str, Option<&str>, Option<&str>); 3] = [
    ("x86_64", "amd64", None, None),
    ("aarch64", "arm64", None, Some("qemu-aarch64-static")),
    ("armv7", "arm", Some("v7"), Some("qemu-arm-static")),
];

/// dist/ with hello for all three targets, built once per test run by
/// `muslbuild --target all examples/hello.c` (toolchain `auto`, the shared test cache).
pub fn hello_dist() -> &'static Path {
    static DIST: OnceLock<PathBuf> = OnceLock::new();
    DIST.get_or_init(|| {
        let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("image-hello");
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).unwrap();
        let mut build = Command::new(env!("CARGO_BIN_EXE_muslbuild"));
        build
            .current_dir(&work)
            .env("MUSLBUILD_HOME", shared_cache());
        for var in [
            "CC",
            "TARGET_CC",
            "HOST_CC",
            "CFLAGS",
            "LDFLAGS",
            "SOURCE_DATE_EPOCH",
        ] {
            build.env_remove(var);
        }
        success(
            build
                .args(["--target", "x86_64,aarch64,armv7"])
                .arg(example("hello.c")),
        );
        work.join("dist")
    })
}

/// A test folder with its own copy of the hello dist.
pub fn env_with_dist() -> TestEnv {
    let env = TestEnv::new();
    copy_dir(hello_dist(), &env.path().join("dist"));
    env
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

fn image(env: &TestEnv, args: &[&str]) -> serde_json::Value {
    let output = success(
        env.muslbuild()
            .arg("image")
            .arg("--json")
            .args(args)
            .env_remove("SOURCE_DATE_EPOCH"),
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("--json report: {e}\n{}", stdout(&output)))
}

fn skopeo() -> Command {
    Command::new(require("skopeo", "skopeo"))
}

fn json_of(cmd: &mut Command) -> serde_json::Value {
    serde_json::from_slice(&success(cmd).stdout).unwrap()
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
}

#[test]
fn hello_image_validates_unpacks_and_runs_on_every_platform() {
    let env = env_with_dist();
    let report = image(&env, &["--tag", TAG, "--oci-archive", "dist/hello.tar"]);
    let layout = env.path().join("dist/image");

    // index.json names the image index by tag (and each platform's SBOM referrers
    // under its referrers tag, checked in sbom.rs).
    let top = json_of(
        skopeo()
            .args(["inspect", "--raw"])
            .arg(format!("oci:{}:{TAG}", layout.display())),
    );
    assert_eq!(top["mediaType"], "application/vnd.oci.image.index.v1+json");
    let platforms: Vec<String> = top["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let p = &m["platform"];
            format!(
                "{}/{}{}",
                p["os"].as_str().unwrap(),
                p["architecture"].as_str().unwrap(),
                p["variant"]
                    .as_str()
                    .map(|v| format!("/{v}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        platforms,
        vec!["linux/amd64", "linux/arm64", "linux/arm/v7"]
    );
    let layout_index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    assert_eq!(
        layout_index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
        TAG
    );
    assert_eq!(
        layout_index["manifests"][0]["digest"],
        report["index"]["digest"]
    );

    for (i, (target, arch, variant, qemu)) in PLATFORMS.into_iter().enumerate() {
        let ours = &report["platforms"][i];
        assert_eq!(ours["target"], target);

        let mut inspect = skopeo();
        inspect.args(["--override-arch", arch]);
        if let Some(v) = variant {
            inspect.args(["--override-variant", v]);
        }
        let info = json_of(
            inspect
                .arg("inspect")
                .arg(format!("oci:{}:{TAG}", layout.display())),
        );
        assert_eq!(info["Architecture"], arch);
        assert_eq!(
            info["Layers"][0], ours["layer"]["digest"],
            "{target}: skopeo picked another platform's layer"
        );

        let bundle = unpack_platform(&env, &layout, TAG, arch, variant);
        let runtime: serde_json::Value =
            serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
        assert_eq!(runtime["process"]["args"], serde_json::json!(["/hello"]));
        let rootfs = bundle.join("rootfs");
        let names: Vec<String> = std::fs::read_dir(&rootfs)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(
            names,
            vec!["hello"],
            "{target}: a scratch image holds only the artifact"
        );

        let output = match qemu {
            None if is_root() => success(
                Command::new(require("chroot", "coreutils"))
                    .arg(&rootfs)
                    .arg("/hello")
                    .env_clear(),
            ),
            None => run_binary(None, &rootfs.join("hello"), b""),
            Some(q) => run_binary(Some(q), &rootfs.join("hello"), b""),
        };
        assert_eq!(
            stdout(&output),
            "Hello World\n",
            "{target}: {}",
            stderr(&output)
        );

        println!(
            "hello image {:<13} layer {:>5} bytes, manifest {} + config {} + layer = {} bytes",
            ours["platform"].as_str().unwrap(),
            ours["layer"]["size"],
            ours["manifest"]["size"],
            ours["config"]["size"],
            ours["total_size"]
        );
    }
    let x86_total = report["platforms"][0]["total_size"].as_u64().unwrap();
    println!(
        "hello image index {} ({} bytes); index.json {} bytes",
        report["index"]["digest"].as_str().unwrap(),
        report["index"]["size"],
        std::fs::metadata(layout.join("index.json")).unwrap().len()
    );
    assert!(
        x86_total < 10 * 1024,
        "the whole x86_64 hello image is {x86_total} bytes, over the 10 KB goal"
    );

    // The oci-archive is the same image.
    let archive = format!(
        "oci-archive:{}",
        env.path().join("dist/hello.tar").display()
    );
    let from_archive = json_of(skopeo().args(["inspect", "--raw"]).arg(&archive));
    assert_eq!(from_archive, top);
    let info = json_of(
        skopeo()
            .args(["--override-arch", "arm64", "inspect"])
            .arg(format!("{archive}:{TAG}")),
    );
    assert_eq!(info["Layers"][0], report["platforms"][1]["layer"]["digest"]);
}

/// Every platform muslbuild builds for, in one index: skopeo lists all eleven with the
/// ARM variants, and each one unpacks with umoci and runs (natively or under qemu).
#[test]
fn one_index_over_all_eleven_platforms_and_each_runs() {
    // (target, skopeo --override-arch, --override-variant, qemu), written out here.
    let eleven: [(&str, &str, Option<&str>, Option<&str>); 11] = [
        ("x86_64", "amd64", None, None),
        ("aarch64", "arm64", None, Some("qemu-aarch64-static")),
        ("armv7", "arm", Some("v7"), Some("qemu-arm-static")),
        ("i386", "386", None, Some("qemu-i386-static")),
        ("armv5", "arm", Some("v5"), Some("qemu-arm-static")),
        ("armv6", "arm", Some("v6"), Some("qemu-arm-static")),
        ("riscv64", "riscv64", None, Some("qemu-riscv64-static")),
        ("ppc64le", "ppc64le", None, Some("qemu-ppc64le-static")),
        ("s390x", "s390x", None, Some("qemu-s390x-static")),
        ("mips64el", "mips64le", None, Some("qemu-mips64el-static")),
        (
            "loongarch64",
            "loong64",
            None,
            Some("qemu-loongarch64-static"),
        ),
    ];
    let env = TestEnv::new();
    success(
        env.muslbuild()
            .args(["-q", "--target", "all"])
            .arg(example("hello.c")),
    );
    let report = image(&env, &["--tag", TAG]);
    let layout = env.path().join("dist/image");
    let top = json_of(
        skopeo()
            .args(["inspect", "--raw"])
            .arg(format!("oci:{}:{TAG}", layout.display())),
    );
    let listed: Vec<(String, Option<String>)> = top["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let p = &m["platform"];
            assert_eq!(p["os"], "linux");
            (
                p["architecture"].as_str().unwrap().to_string(),
                p["variant"].as_str().map(str::to_string),
            )
        })
        .collect();
    let expected: Vec<(String, Option<String>)> = eleven
        .iter()
        .map(|(_, arch, variant, _)| (arch.to_string(), variant.map(str::to_string)))
        .collect();
    assert_eq!(listed, expected);

    let mut total = report["index"]["size"].as_u64().unwrap();
    for (i, (target, arch, variant, qemu)) in eleven.into_iter().enumerate() {
        let ours = &report["platforms"][i];
        assert_eq!(ours["target"], target);
        total += ours["total_size"].as_u64().unwrap();
        let rootfs = unpack_platform(&env, &layout, TAG, arch, variant).join("rootfs");
        let output = run_binary(qemu, &rootfs.join("hello"), b"");
        assert_eq!(
            stdout(&output),
            "Hello World\n",
            "{target}: {}",
            stderr(&output)
        );
    }
    println!("eleven-platform hello image: {total} bytes (index, manifests, configs, layers)");
}

#[test]
fn two_folders_give_the_same_bytes() {
    // The whole pipeline, source to image, in two folders: different absolute paths must
    // not reach the artifacts or the image.
    let build_in = |env: &TestEnv| {
        std::fs::create_dir(env.path().join("src")).unwrap();
        std::fs::copy(example("hello.c"), env.path().join("src/hello.c")).unwrap();
        success(
            env.muslbuild()
                .args(["-q", "--target", "x86_64,aarch64,armv7", "src/hello.c"])
                .env_remove("SOURCE_DATE_EPOCH"),
        );
    };
    let (one, two) = (TestEnv::new(), TestEnv::new());
    build_in(&one);
    build_in(&two);
    assert_ne!(one.path(), two.path());
    let args = [
        "--tag",
        TAG,
        "--oci-archive",
        "out/hello.tar",
        "--label",
        "b=2",
        "--label",
        "a=1",
        "--port",
        "8080",
        "--port",
        "53/udp",
    ];
    let a = image(&one, &args);
    let b = image(&two, &args);
    assert_eq!(a["index"], b["index"]);
    assert_eq!(a["platforms"], b["platforms"]);
    let read = |env: &TestEnv, p: &str| std::fs::read(env.path().join(p)).unwrap();
    for (target, ..) in PLATFORMS {
        let artifact = format!("dist/{target}/hello");
        assert_eq!(
            read(&one, &artifact),
            read(&two, &artifact),
            "{artifact} differs between the folders"
        );
    }
    assert_eq!(
        read(&one, "dist/image/index.json"),
        read(&two, "dist/image/index.json")
    );
    assert_eq!(read(&one, "out/hello.tar"), read(&two, "out/hello.tar"));
    assert_eq!(read(&one, "dist/Dockerfile"), read(&two, "dist/Dockerfile"));
    println!(
        "reproducible hello index: {}",
        a["index"]["digest"].as_str().unwrap()
    );

    // A rebuild in place changes nothing either, and leaves no stray blobs behind.
    let again = image(&one, &args);
    assert_eq!(again["index"], a["index"]);
    let blobs = std::fs::read_dir(one.path().join("dist/image/blobs/sha256"))
        .unwrap()
        .count();
    assert_eq!(
        blobs,
        1 + 3 * 3 + 3 * 3 + 1,
        "one index + (manifest, config, layer) per platform + (SBOM, its artifact \
         manifest, its referrers index) per platform + the empty config they share"
    );

    // SOURCE_DATE_EPOCH moves mtimes and `created`, identically in both folders.
    let epoch = |env: &TestEnv| {
        let out = success(
            env.muslbuild()
                .args(["image", "--json", "--oci-layout", "epoch"])
                .env("SOURCE_DATE_EPOCH", "1700000000"),
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let (ea, eb) = (epoch(&one), epoch(&two));
    assert_eq!(ea["index"], eb["index"]);
    assert_ne!(ea["index"], image(&one, &[])["index"]);
    let config = &ea["platforms"][0]["config"]["digest"].as_str().unwrap()["sha256:".len()..];
    let config: serde_json::Value =
        serde_json::from_slice(&read(&one, &format!("epoch/blobs/sha256/{config}"))).unwrap();
    assert_eq!(config["created"], "2023-11-14T22:13:20Z");
}

#[test]
fn scratch_essentials_and_settings() {
    let env = env_with_dist();
    let report = image(
        &env,
        &[
            "--tag",
            TAG,
            "--target",
            "x86_64",
            "--artifact",
            "hello=/usr/local/bin/hello",
            "--ca-certs",
            "--passwd",
            "--zoneinfo",
            "--env",
            "TZ=Europe/Paris",
            "--workdir",
            "/tmp",
            "--port",
            "8080",
            "--label",
            "org.opencontainers.image.title=hello",
            "--cmd",
            "--greeting",
            "--cmd",
            "hi",
        ],
    );
    assert_eq!(report["platforms"].as_array().unwrap().len(), 1);
    let layout = env.path().join("dist/image");
    let config = json_of(
        skopeo()
            .args(["inspect", "--config"])
            .arg(format!("oci:{}:{TAG}", layout.display())),
    );
    let c = &config["config"];
    assert_eq!(c["Entrypoint"], serde_json::json!(["/usr/local/bin/hello"]));
    assert_eq!(c["Cmd"], serde_json::json!(["--greeting", "hi"]));
    assert_eq!(c["Env"], serde_json::json!(["TZ=Europe/Paris"]));
    assert_eq!(c["WorkingDir"], "/tmp");
    assert_eq!(c["User"], "65532:65532");
    assert_eq!(c["ExposedPorts"], serde_json::json!({"8080/tcp": {}}));
    assert_eq!(c["Labels"]["org.opencontainers.image.title"], "hello");

    let rootfs = unpack_platform(&env, &layout, TAG, "amd64", None).join("rootfs");
    assert_eq!(
        std::fs::read(rootfs.join("etc/ssl/certs/ca-certificates.crt")).unwrap(),
        std::fs::read("/etc/ssl/certs/ca-certificates.crt").unwrap()
    );
    let passwd = std::fs::read_to_string(rootfs.join("etc/passwd")).unwrap();
    assert!(passwd.contains("nonroot:x:65532:65532:"), "{passwd}");
    assert!(
        std::fs::read_to_string(rootfs.join("etc/group"))
            .unwrap()
            .contains("nonroot:x:65532:")
    );
    assert!(
        std::fs::read(rootfs.join("usr/share/zoneinfo/Europe/Paris"))
            .unwrap()
            .starts_with(b"TZif")
    );
    let output = run_binary(None, &rootfs.join("usr/local/bin/hello"), b"");
    assert_eq!(stdout(&output), "Hello World\n");

    // The buildx Dockerfile copies the same essentials from dist/rootfs/<target>.
    let dockerfile = std::fs::read_to_string(env.path().join("dist/Dockerfile")).unwrap();
    assert!(
        dockerfile.contains(r#"COPY ["rootfs/x86_64/","/"]"#),
        "{dockerfile}"
    );
    assert!(
        dockerfile.contains(r#"COPY ["x86_64/hello","/usr/local/bin/hello"]"#),
        "{dockerfile}"
    );
    assert!(env.path().join("dist/rootfs/x86_64/etc/passwd").is_file());
    println!(
        "hello + CA bundle + passwd + zoneinfo: layer {} bytes",
        report["platforms"][0]["layer"]["size"]
    );
}

#[test]
fn dockerfile_copies_files_that_exist_in_dist() {
    let env = env_with_dist();
    image(&env, &[]);
    let dist = env.path().join("dist");
    let dockerfile = std::fs::read_to_string(dist.join("Dockerfile")).unwrap();
    let mut sources = 0;
    for line in dockerfile.lines().filter(|l| l.starts_with("COPY ")) {
        let args: Vec<String> = serde_json::from_str(&line["COPY ".len()..]).unwrap();
        assert!(
            dist.join(&args[0]).exists(),
            "the Dockerfile copies `{}`, which is not in dist/",
            args[0]
        );
        sources += 1;
    }
    assert_eq!(sources, 3);
    for stage in ["muslbuild-amd64", "muslbuild-arm64", "muslbuild-armv7"] {
        assert!(
            dockerfile.contains(&format!("FROM scratch AS {stage}\n")),
            "{dockerfile}"
        );
    }
    assert!(dockerfile.contains("FROM muslbuild-${TARGETARCH}${TARGETVARIANT}\n"));
}

pub fn failure(env: &TestEnv, args: &[&str]) -> (i32, String) {
    let output = env.muslbuild().arg("image").args(args).output().unwrap();
    assert!(
        !output.status.success(),
        "expected failure, got success: {}",
        stdout(&output)
    );
    let err = stderr(&output);
    assert!(err.starts_with("muslbuild: error: "), "{err}");
    assert!(err.lines().any(|l| l.starts_with("help: ")), "{err}");
    (output.status.code().unwrap(), err)
}

#[test]
fn errors_are_clear_and_write_nothing() {
    let env = env_with_dist();

    let (code, err) = failure(&env, &["--artifact", "nope"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("artifact `nope` for x86_64 is not in"),
        "{err}"
    );
    assert!(err.contains("it lists for x86_64: hello"), "{err}");

    // A layout folder that cannot be created: its parent is a file.
    std::fs::write(env.path().join("file"), b"").unwrap();
    let (code, err) = failure(&env, &["--oci-layout", "file/image"]);
    assert_eq!(code, 8, "{err}");
    assert!(err.contains("cannot write the OCI layout"), "{err}");
    let (code, err) = failure(&env, &["--oci-archive", "file/hello.tar"]);
    assert_eq!(code, 8, "{err}");
    assert!(err.contains("cannot write the OCI archive"), "{err}");

    // A folder with other files in it is never written into.
    std::fs::create_dir(env.path().join("mine")).unwrap();
    std::fs::write(env.path().join("mine/notes.txt"), b"keep").unwrap();
    let (code, err) = failure(&env, &["--oci-layout", "mine"]);
    assert_eq!(code, 13, "{err}");
    assert!(err.contains("is not an OCI image layout"), "{err}");
    assert_eq!(
        std::fs::read_dir(env.path().join("mine")).unwrap().count(),
        1
    );

    // An artifact changed after it was verified and recorded.
    std::fs::write(
        env.path().join("dist/armv7/hello"),
        b"not the verified binary",
    )
    .unwrap();
    let (code, err) = failure(&env, &[]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("changed since it was built"), "{err}");

    // Flags that make no sense.
    let (code, err) = failure(&env, &["--port", "http"]);
    assert_eq!(code, 2, "{err}");
    let (code, _) = failure(&env, &["--tag", "has space"]);
    assert_eq!(code, 2);

    // None of the failures above left an image or a Dockerfile behind.
    assert!(!env.path().join("dist/image").exists());
    assert!(!env.path().join("dist/Dockerfile").exists());

    let empty = TestEnv::new();
    let (code, err) = failure(&empty, &[]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("manifest.json` does not exist"), "{err}");
}

const DAEMON_PROJECT: &str = r#"
[project]
targets = ["x86_64", "aarch64"]

[c.hello]
sources = ["hello.c"]

[vendor.v]
path = "vendor/v"
build = "make"
programs = ["vd"]

[image]
tag = "daemon:1.0"
artifacts = ["hello=/usr/bin/hello", "vd=/usr/sbin/vd"]
entrypoint = ["/usr/sbin/vd"]
files = [{ source = "conf/app.conf", path = "/etc/app.conf", mode = "0640", uid = 65532, gid = 65532 }]
vendor-files = [
    { vendor = "v", source = "/usr/share/v/v.conf", path = "/etc/v.conf", mode = 0o600 },
    { vendor = "v", source = "/usr/share/v/data" },
]
dirs = [
    { path = "/run" },
    { path = "/var/lib/v", mode = "0700", uid = 65532, gid = 65532 },
]
"#;

/// A vendored daemon whose install has a sample config, a data folder with a copy of
/// its own binary (so each platform's layer shows it got its own target's files) and a
/// link to a host file that must stay a link.
const DAEMON_MAKEFILE: &str = "PREFIX ?= /usr/local
vd: vd.c
\t$(CC) $(CFLAGS) $(LDFLAGS) -o $@ vd.c
install: vd
\tmkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/v/data/sub
\tcp vd $(DESTDIR)$(PREFIX)/bin/vd
\tprintf 'socket /run/vd.ctl\\n' > $(DESTDIR)$(PREFIX)/share/v/v.conf
\tcp vd $(DESTDIR)$(PREFIX)/share/v/data/machine
\tprintf 'data\\n' > $(DESTDIR)$(PREFIX)/share/v/data/sub/readme
\tln -sf /etc/shadow $(DESTDIR)$(PREFIX)/share/v/data/link
";

fn write_daemon_project(env: &TestEnv) {
    env.write("muslbuild.toml", DAEMON_PROJECT);
    env.write(
        "hello.c",
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n",
    );
    env.write("conf/app.conf", "listen 8080\n");
    env.write("vendor/v/Makefile", DAEMON_MAKEFILE);
    env.write(
        "vendor/v/vd.c",
        "#include <stdio.h>\nint main(void) { puts(\"vd up\"); return 0; }\n",
    );
}

fn run_json(env: &TestEnv, args: &[&str]) -> serde_json::Value {
    let output = success(
        env.muslbuild()
            .args(args)
            .arg("--json")
            .env_remove("SOURCE_DATE_EPOCH"),
    );
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("--json report: {e}\n{}", stdout(&output)))
}

/// `(mode string, uid/gid)` of each layer entry, from GNU tar's listing of the blob.
fn layer_owners(layout: &Path, layer_digest: &str) -> Vec<(String, String, String)> {
    let blob = layout
        .join("blobs/sha256")
        .join(layer_digest.trim_start_matches("sha256:"));
    let output = success(
        Command::new(require("tar", "tar"))
            .args(["--numeric-owner", "-tvzf"])
            .arg(&blob),
    );
    stdout(&output)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f[5].to_string(), f[0].to_string(), f[1].to_string())
        })
        .collect()
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn project_image_carries_files_vendored_files_and_folders_and_image_honours_it() {
    let env = TestEnv::new();
    write_daemon_project(&env);
    let built = run_json(&env, &["build"]);
    let image = &built["image"];
    assert_eq!(image["tag"], "daemon:1.0", "{built}");
    let digest = image["digest"].as_str().unwrap().to_string();
    let dockerfile_path = env.path().join("dist/Dockerfile");
    let dockerfile = std::fs::read_to_string(&dockerfile_path).unwrap();
    for line in [
        r#"COPY ["x86_64/hello","/usr/bin/hello"]"#,
        r#"COPY ["rootfs/aarch64/","/"]"#,
        r#"COPY --chown=65532:65532 ["rootfs/x86_64/var/lib/v","/var/lib/v"]"#,
        r#"ENTRYPOINT ["/usr/sbin/vd"]"#,
    ] {
        assert!(
            dockerfile.lines().any(|l| l == line),
            "no `{line}` in\n{dockerfile}"
        );
    }

    // `muslbuild image` in the project folder makes the same image from the same [image].
    let again = run_json(&env, &["image"]);
    assert_eq!(again["tag"], "daemon:1.0");
    assert_eq!(again["index"]["digest"], digest.as_str());
    assert_eq!(
        std::fs::read_to_string(&dockerfile_path).unwrap(),
        dockerfile
    );
    // A flag overrides one key; the next build puts the project's image back, Dockerfile
    // included.
    let other = run_json(&env, &["image", "--entrypoint", "/usr/bin/hello"]);
    assert_ne!(other["index"]["digest"], digest.as_str());
    assert!(
        std::fs::read_to_string(&dockerfile_path)
            .unwrap()
            .contains(r#"ENTRYPOINT ["/usr/bin/hello"]"#)
    );
    let rebuilt = run_json(&env, &["build"]);
    assert_eq!(rebuilt["image"]["state"], "built", "{rebuilt}");
    assert_eq!(rebuilt["image"]["digest"], digest.as_str());
    assert_eq!(
        std::fs::read_to_string(&dockerfile_path).unwrap(),
        dockerfile
    );
    let noop = run_json(&env, &["build"]);
    assert_eq!(noop["image"]["state"], "cached", "{noop}");

    let layout = env.path().join("dist/image");
    for (platform, (arch, machine, qemu)) in [
        (0, ("amd64", 62u16, None)),
        (1, ("arm64", 183u16, Some("qemu-aarch64-static"))),
    ] {
        let root = unpack_platform(&env, &layout, "daemon:1.0", arch, None).join("rootfs");
        assert_eq!(
            std::fs::read_to_string(root.join("etc/app.conf")).unwrap(),
            "listen 8080\n"
        );
        assert_eq!(mode(&root.join("etc/app.conf")), 0o640, "{arch}");
        assert_eq!(
            std::fs::read_to_string(root.join("etc/v.conf")).unwrap(),
            "socket /run/vd.ctl\n"
        );
        assert_eq!(mode(&root.join("etc/v.conf")), 0o600, "{arch}");
        let copy = std::fs::read(root.join("usr/share/v/data/machine")).unwrap();
        assert_eq!(
            u16::from_le_bytes([copy[18], copy[19]]),
            machine,
            "{arch} got another target's vendored files"
        );
        assert_eq!(mode(&root.join("usr/share/v/data/machine")), 0o755);
        assert_eq!(
            std::fs::read_to_string(root.join("usr/share/v/data/sub/readme")).unwrap(),
            "data\n"
        );
        assert_eq!(
            std::fs::read_link(root.join("usr/share/v/data/link")).unwrap(),
            Path::new("/etc/shadow"),
            "a link in the install stays a link, never the host's file"
        );
        assert!(root.join("run").is_dir() && mode(&root.join("run")) == 0o755);
        assert!(root.join("var/lib/v").is_dir());
        assert_eq!(mode(&root.join("var/lib/v")), 0o700, "{arch}");
        let vd = run_binary(qemu, &root.join("usr/sbin/vd"), b"");
        assert_eq!(stdout(&vd), "vd up\n", "{arch}");

        // umoci --rootless unpacks as the current user: owners are read from the layer.
        let layer = built["image"]["platforms"][platform]["layer"]["digest"]
            .as_str()
            .unwrap();
        let owners = layer_owners(&layout, layer);
        let owner = |path: &str| {
            owners
                .iter()
                .find(|(p, ..)| p == path)
                .unwrap_or_else(|| panic!("{path} not in the layer: {owners:?}"))
                .clone()
        };
        assert_eq!(owner("var/lib/v/").2, "65532/65532");
        assert_eq!(owner("var/lib/v/").1, "drwx------");
        assert_eq!(owner("etc/app.conf").2, "65532/65532");
        assert_eq!(owner("etc/v.conf").2, "0/0");
    }

    // A vendored file the install does not have: refused before dist/ is touched.
    let manifest = std::fs::read(env.path().join("dist/manifest.json")).unwrap();
    env.write(
        "muslbuild.toml",
        &DAEMON_PROJECT.replace(
            "{ vendor = \"v\", source = \"/usr/share/v/data\" },",
            "{ vendor = \"v\", source = \"/usr/share/v/data\" },\n    { vendor = \"v\", source = \"/usr/share/v/nope\" },",
        ),
    );
    env.write(
        "hello.c",
        "#include <stdio.h>\nint main(void) { puts(\"changed\"); return 0; }\n",
    );
    let output = env.muslbuild().arg("build").output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(13), "{err}");
    assert!(
        err.contains("vendored project `v` installed no `/usr/share/v/nope` for x86_64"),
        "{err}"
    );
    let error_at = err.find("muslbuild: error:").unwrap();
    assert_eq!(
        err[error_at..].lines().count(),
        2,
        "one error line and help:\n{err}"
    );
    assert_eq!(
        std::fs::read(env.path().join("dist/manifest.json")).unwrap(),
        manifest
    );
    assert_eq!(
        std::fs::read_to_string(&dockerfile_path).unwrap(),
        dockerfile
    );
}

#[test]
fn project_image_errors_stop_the_build_with_their_position() {
    let env = TestEnv::new();
    env.write(
        "hello.c",
        "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n",
    );
    for (image, column, needle) in [
        ("ports = [\"http\"]", 10, "`http` is not a port"),
        (
            "artifacts = [\"hello=/bin/x\", \"tool=/bin/x\"]",
            30,
            "`/bin/x` is in the image twice",
        ),
        (
            "files = [{ source = \"nope.conf\", path = \"/etc/x\" }]",
            21,
            "image file `nope.conf` does not exist",
        ),
        (
            "dirs = [{ path = \"run\" }]",
            18,
            "`run` is not a valid path in the image",
        ),
    ] {
        env.write(
            "muslbuild.toml",
            &format!(
                "[c.hello]\nsources = [\"hello.c\"]\n[c.tool]\nsources = [\"hello.c\"]\n[image]\n{image}\n"
            ),
        );
        let output = env.muslbuild().arg("build").output().unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(11), "{image}: {err}");
        assert!(
            err.starts_with(&format!("muslbuild: error: muslbuild.toml:6:{column}: ")),
            "{image}: {err}"
        );
        assert!(err.contains(needle), "{image}: {err}");
        assert_eq!(err.lines().count(), 2, "{err}");
        assert!(
            !env.path().join("dist").exists(),
            "{image}: dist/ was written"
        );
    }
}

#[test]
fn file_and_folder_flags_and_their_errors() {
    let env = env_with_dist();
    env.write("conf/app.conf", "listen 80\n");
    env.write("conf/extra/a.txt", "a\n");
    let report = image(
        &env,
        &[
            "--target",
            "x86_64",
            "--file",
            "source=conf/app.conf,path=/etc/app.conf,mode=0600,uid=7,gid=8",
            "--file",
            "source=conf/extra,path=/usr/share/extra",
            "--dir",
            "/run",
            "--dir",
            "path=/var/lib/app,mode=0o700,uid=65532,gid=65532",
        ],
    );
    let layout = env.path().join("dist/image");
    let owners = layer_owners(
        &layout,
        report["platforms"][0]["layer"]["digest"].as_str().unwrap(),
    );
    for (path, mode, owner) in [
        ("etc/app.conf", "-rw-------", "7/8"),
        ("usr/share/extra/", "drwxr-xr-x", "0/0"),
        ("usr/share/extra/a.txt", "-rw-r--r--", "0/0"),
        ("run/", "drwxr-xr-x", "0/0"),
        ("var/lib/app/", "drwx------", "65532/65532"),
        ("hello", "-rwxr-xr-x", "0/0"),
    ] {
        assert!(
            owners
                .iter()
                .any(|(p, m, o)| p == path && m == mode && o == owner),
            "no {path} {mode} {owner} in {owners:?}"
        );
    }
    let root = unpack_platform(&env, &layout, "latest", "amd64", None).join("rootfs");
    assert_eq!(
        std::fs::read_to_string(root.join("etc/app.conf")).unwrap(),
        "listen 80\n"
    );
    assert_eq!(mode(&root.join("var/lib/app")), 0o700);
    let dockerfile = std::fs::read_to_string(env.path().join("dist/Dockerfile")).unwrap();
    assert!(
        dockerfile.contains(r#"COPY --chown=7:8 ["rootfs/x86_64/etc/app.conf","/etc/app.conf"]"#),
        "{dockerfile}"
    );
    assert_eq!(
        std::fs::read_to_string(env.path().join("dist/rootfs/x86_64/etc/app.conf")).unwrap(),
        "listen 80\n"
    );

    let fresh = env_with_dist();
    fresh.write("conf/app.conf", "x\n");
    for (args, code, needle) in [
        (
            vec!["--file", "source=conf/nope.conf,path=/etc/x"],
            13,
            "image file `",
        ),
        (
            vec!["--file", "source=conf/app.conf"],
            2,
            "missing field `path`",
        ),
        (
            vec!["--file", "source=conf/app.conf,path=/etc/x,owner=1"],
            2,
            "unknown field `owner`",
        ),
        (
            vec!["--dir", "/var/../etc"],
            2,
            "not a valid path in the image",
        ),
        (vec!["--dir", "path=/run,mode=99"], 2, "not an octal mode"),
        (
            vec![
                "--passwd",
                "--file",
                "source=conf/app.conf,path=/etc/passwd",
            ],
            13,
            "`/etc/passwd` is in the image twice",
        ),
        (vec!["--dir", "/run", "--dir", "/run"], 13, "twice"),
        (
            vec!["--vendor-file", "vendor=v,source=/etc/v.conf"],
            2,
            "no muslbuild.toml here",
        ),
    ] {
        let (got, err) = failure(&fresh, &args);
        assert_eq!(got, code, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!fresh.path().join("dist/image").exists(), "{args:?}");
        assert!(!fresh.path().join("dist/Dockerfile").exists(), "{args:?}");
    }
}
