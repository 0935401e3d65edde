//! The built-in library recipes on real targets: each one built with zig from Debian's
//! source packages (offline, `--source-dir`) for x86_64, aarch64 and armv7, and linked
//! into a program that uses it for real, run natively or under qemu: a compress and
//! decompress round trip (zlib, bzip2, xz, zstd), an XML parse (expat), a regex match
//! with the JIT (pcre2), an event-loop timer (libevent), an SQL query with JSON and FTS5
//! (sqlite), and a TLS client (openssl and zlib) run from a FROM scratch image that
//! verifies a loopback server with the CA bundle where `--ca-certs` puts it, no
//! environment set. The programs are in `tests/recipes/`; every target's build of all
//! eight recipes is `cargo xtask bench libs`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{
    TestEnv, binary_command, certificates, repo_root, require, reversing_tls_server, stderr,
    stdout, success, unpack_platform,
};

/// (target, qemu, OCI architecture)
const TARGETS: [(&str, Option<&str>, &str); 3] = [
    ("x86_64", None, "amd64"),
    ("aarch64", Some("qemu-aarch64-static"), "arm64"),
    ("armv7", Some("qemu-arm-static"), "arm"),
];

fn sources() -> PathBuf {
    let dir = repo_root().join("target/test-sources");
    for archive in [
        "bzip2_1.0.8.orig.tar.gz",
        "xz-utils_5.4.1.orig.tar.xz",
        "libzstd_1.5.4+dfsg2.orig.tar.xz",
        "zlib_1.2.13.dfsg.orig.tar.bz2",
        "expat_2.5.0.orig.tar.gz",
        "pcre2_10.42.orig.tar.gz",
        "libevent_2.1.12-stable.orig.tar.gz",
        "sqlite3_3.40.1.orig.tar.xz",
        "openssl_3.0.17.orig.tar.gz",
    ] {
        assert!(
            dir.join(archive).is_file(),
            "prerequisite {} is missing: run `cargo xtask setup` (it runs `apt-get source --download-only` for each recipe's package)",
            dir.join(archive).display()
        );
    }
    dir
}

/// A project in `<env>/<name>` with the programs of tests/recipes named in `programs`
/// (`[c.NAME]` tables), built for `targets`; returns the project folder and the build's
/// `--json` report.
fn build(
    env: &TestEnv,
    name: &str,
    targets: &[&str],
    programs: &str,
    files: &[&str],
) -> (PathBuf, serde_json::Value) {
    let root = env.path().join(name);
    std::fs::create_dir_all(&root).unwrap();
    for file in files {
        std::fs::copy(
            repo_root().join("tests/recipes").join(file),
            root.join(file),
        )
        .unwrap();
    }
    let targets: Vec<String> = targets.iter().map(|t| format!("\"{t}\"")).collect();
    std::fs::write(
        root.join("muslbuild.toml"),
        format!(
            "[project]\ntargets = [{}]\ntoolchain = \"zig\"\n\n{programs}",
            targets.join(", ")
        ),
    )
    .unwrap();
    let output = success(
        env.muslbuild()
            .current_dir(&root)
            .args(["build", "-j2", "--json", "--strict", "--source-dir"])
            .arg(sources()),
    );
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("--json report: {e}\n{}", stdout(&output)));
    (root, report)
}

fn run(root: &Path, target: &str, qemu: Option<&str>, program: &str) -> String {
    let binary = root.join("dist").join(target).join(program);
    let output = binary_command(qemu, &binary).env_clear().output().unwrap();
    assert!(
        output.status.success(),
        "{target}/{program}: {}\n{}",
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

/// The prefix the report names for `library` on `target`.
fn prefix(report: &serde_json::Value, library: &str, target: &str) -> PathBuf {
    let found = report["libraries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == library && l["target"] == target)
        .unwrap_or_else(|| panic!("no {library} for {target} in {report}"));
    PathBuf::from(found["prefix"].as_str().unwrap())
}

#[test]
fn compression_recipes_round_trip_on_three_targets() {
    let env = TestEnv::new();
    let (root, report) = build(
        &env,
        "compress",
        &["x86_64", "aarch64", "armv7"],
        "[c.compress]\nsources = [\"compress.c\"]\nlibs = [\"zlib\", \"bzip2\", \"xz\", \"zstd\"]\n",
        &["compress.c"],
    );
    for (target, qemu, _) in TARGETS {
        let said = run(&root, target, qemu, "compress");
        for library in ["zlib", "bzip2", "xz", "zstd"] {
            assert!(
                said.contains(&format!("{library}: 100000 -> ")),
                "{target}: {said}"
            );
        }
        assert!(
            said.contains("bzip2 1.0.8")
                && said.contains("xz 5.4.1")
                && said.contains("zstd 1.5.4"),
            "{target}: {said}"
        );
        // Static linking's details: what libzstd.pc says a static link needs.
        let pc = std::fs::read_to_string(
            prefix(&report, "zstd", target).join("lib/pkgconfig/libzstd.pc"),
        )
        .unwrap();
        assert!(pc.contains("Libs.private: -pthread"), "{target}: {pc}");
    }
}

#[test]
fn expat_parses_and_libevent_fires_timers_on_three_targets() {
    let env = TestEnv::new();
    let (root, _) = build(
        &env,
        "xml-events",
        &["x86_64", "aarch64", "armv7"],
        "[c.xml]\nsources = [\"xml.c\"]\nlibs = [\"expat\"]\n\n\
         [c.timer]\nsources = [\"timer.c\"]\nlibs = [\"libevent\"]\n",
        &["xml.c", "timer.c"],
    );
    for (target, qemu, _) in TARGETS {
        let said = run(&root, target, qemu, "xml");
        assert_eq!(
            said, "expat_2.5.0: 4 elements, lang=en, title=Static & tiny, malformed refused=1\n",
            "{target}"
        );
        let said = run(&root, target, qemu, "timer");
        assert!(
            said.starts_with("libevent 2.1.12-stable (")
                && said.ends_with("timer fired 3 times in >= 150 ms\n"),
            "{target}: {said}"
        );
    }
}

#[test]
fn pcre2_matches_with_its_jit_on_three_targets() {
    let env = TestEnv::new();
    let (root, _) = build(
        &env,
        "regex",
        &["x86_64", "aarch64", "armv7"],
        "[c.regex]\nsources = [\"regex.c\"]\nlibs = [\"pcre2\"]\n",
        &["regex.c"],
    );
    for (target, qemu, _) in TARGETS {
        // sljit has a back end for each of the three: the JIT is on, and runs.
        assert_eq!(
            run(&root, target, qemu, "regex"),
            "arch=aarch64 year=2026 jit=yes posix=yes\n",
            "{target}"
        );
    }
}

/// Its one translation unit is the suite's slowest compile: a test of its own, so the
/// other tests share the machine with it.
#[test]
fn sqlite_answers_with_json_and_fts5_on_three_targets() {
    let env = TestEnv::new();
    let (root, _) = build(
        &env,
        "sql",
        &["x86_64", "aarch64", "armv7"],
        "[c.sql]\nsources = [\"sql.c\"]\nlibs = [\"sqlite\"]\n",
        &["sql.c"],
    );
    for (target, qemu, _) in TARGETS {
        assert_eq!(
            run(&root, target, qemu, "sql"),
            "n=3 total=18068\njson=42\nfts=static binaries for every target\n\
             sqlite 3.40.1 threadsafe=1\n",
            "{target}"
        );
    }
}

/// Runs `/tls-client PORT localhost` inside `rootfs` (chroot in a user namespace of its
/// own, so no root is needed; a foreign target's qemu is copied in beside it), against
/// a loopback `openssl s_server` that answers once.
fn handshake(rootfs: &Path, qemu: Option<&str>, cert: &Path, key: &Path) -> (Output, String) {
    let (port, mut server, served) = reversing_tls_server(cert, key);
    let mut client = Command::new(require("unshare", "util-linux"));
    client
        .args(["--user", "--map-root-user"])
        .arg(require("chroot", "coreutils"))
        .arg(rootfs);
    if let Some(qemu) = qemu {
        std::fs::copy(require(qemu, "qemu-user-static"), rootfs.join(qemu)).unwrap();
        client.arg(format!("/{qemu}"));
    }
    let output = client
        .args(["/tls-client", &port.to_string(), "localhost"])
        .env_clear()
        .output()
        .unwrap();
    // A client that never connected leaves the server waiting: it is done either way.
    let _ = server.kill();
    let _ = server.wait();
    (output, served.join().unwrap())
}

/// One target's TLS client: OpenSSL built with Configure's name for the target (its
/// libcrypto holds `module`, that target's own assembler), packed into a FROM scratch
/// image with the test's CA where `--ca-certs` writes the bundle, unpacked with umoci,
/// and run there with no environment against a loopback server. One test per target:
/// each OpenSSL is the largest build of the suite, and three tests share two cores
/// better than one does.
fn tls_client_in_a_scratch_image_verifies_with_the_ca_bundle(target: &str, module: &str) {
    let (_, qemu, arch) = *TARGETS.iter().find(|t| t.0 == target).unwrap();
    let env = TestEnv::new();
    let dir = env.path().join("certs");
    std::fs::create_dir_all(&dir).unwrap();
    let (ca, cert, key) = certificates(&dir);
    let root = env.path().join("tls");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::copy(&ca, root.join("test-ca.pem")).unwrap();
    let (root, report) = build(
        &env,
        "tls",
        &[target],
        "[c.tls-client]\nsources = [\"tls_client.c\"]\nlibs = [\"openssl\", \"zlib\"]\n\n\
         [image]\ntag = \"tls:1\"\nartifacts = [\"tls-client\"]\n\
         files = [{ source = \"test-ca.pem\", path = \"/etc/ssl/certs/ca-certificates.crt\" }]\n",
        &["tls_client.c"],
    );
    // Configure was given the target's own name: a generic target has no assembler.
    let archive = prefix(&report, "openssl", target).join("lib/libcrypto.a");
    let ar = require("ar", "binutils");
    let members = stdout(&success(Command::new(&ar).arg("t").arg(&archive)));
    assert!(
        members.lines().any(|m| m == module),
        "{target}: no {module}"
    );
    let variant = (arch == "arm").then_some("v7");
    let layout = root.join("dist/image");
    let rootfs = unpack_platform(&env, &layout, "tls:1", arch, variant).join("rootfs");
    assert_eq!(
        std::fs::read(rootfs.join("etc/ssl/certs/ca-certificates.crt")).unwrap(),
        std::fs::read(&ca).unwrap(),
        "{target}"
    );
    let (output, log) = handshake(&rootfs, qemu, &cert, &key);
    let said = stdout(&output);
    assert!(
        output.status.success(),
        "{target}: {said}\n{}\nserver: {log}",
        stderr(&output)
    );
    assert!(
        said.contains(
            "verified against /etc/ssl/certs/ca-certificates.crt; server said: 2686eb60 slt revo olleh"
        ),
        "{target}: {said}"
    );
}

#[test]
fn openssl_client_in_a_scratch_image_verifies_with_the_ca_bundle_on_x86_64() {
    tls_client_in_a_scratch_image_verifies_with_the_ca_bundle(
        "x86_64",
        "libcrypto-lib-aesni-x86_64.o",
    );
}

#[test]
fn openssl_client_in_a_scratch_image_verifies_with_the_ca_bundle_on_aarch64() {
    tls_client_in_a_scratch_image_verifies_with_the_ca_bundle(
        "aarch64",
        "libcrypto-lib-aesv8-armx.o",
    );
}

#[test]
fn openssl_client_in_a_scratch_image_verifies_with_the_ca_bundle_on_armv7() {
    tls_client_in_a_scratch_image_verifies_with_the_ca_bundle(
        "armv7",
        "libcrypto-lib-bsaes-armv7.o",
    );
}
