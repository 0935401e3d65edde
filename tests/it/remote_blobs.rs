//! A remote cache entry's layer comes down as a stream into a file, and a transfer that
//! breaks off is resumed with `Range`. Machine A sends hello's build entry to a real
//! registry (Debian's `docker-registry` on 127.0.0.1); its manifest and layer are then
//! served to machine B by the loopback server of `http.rs`, which cuts or stalls the
//! layer on purpose (a real registry cannot be told to).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::http::{Fault, Server};
use crate::registry::Registry;
use crate::support::{TestEnv, example, stderr, success};

/// `muslbuild -v` building hello for x86_64 with musl-gcc, the remote cache at `url`.
fn hello(env: &TestEnv, url: &str) -> Command {
    build(env, url, "hello.c")
}

/// `muslbuild -v` building `source` for x86_64 with musl-gcc, the remote cache at `url`.
fn build(env: &TestEnv, url: &str, source: &str) -> Command {
    let mut cmd = env.muslbuild();
    cmd.env("MUSLBUILD_HOME", env.path().join("home"))
        .env("MUSLBUILD_REMOTE_CACHE", url)
        .env_remove("MUSLBUILD_REMOTE_CACHE_READ_ONLY")
        .env_remove("MUSLBUILD_OFFLINE")
        .env("HOME", env.path())
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("XDG_RUNTIME_DIR")
        .args(["-v", "--target", "x86_64", "--toolchain", "musl-gcc"])
        .arg(source);
    cmd
}

/// One entry as the registry stored it: its tag, manifest bytes, layer digest and bytes.
#[derive(Clone)]
struct Stored {
    tag: String,
    manifest: Vec<u8>,
    layer_digest: String,
    layer: Vec<u8>,
}

fn stored_build_entry(storage: &Path, repository: &str) -> Stored {
    let v2 = storage.join("docker/registry/v2");
    let blob = |digest: &str| {
        let hex = digest.trim_start_matches("sha256:");
        std::fs::read(
            v2.join("blobs/sha256")
                .join(&hex[..2])
                .join(hex)
                .join("data"),
        )
        .unwrap()
    };
    let tags = v2
        .join("repositories")
        .join(repository)
        .join("_manifests/tags");
    let tag = std::fs::read_dir(&tags)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|t| t.starts_with("build-"))
        .expect("a build entry in the registry");
    let link = std::fs::read_to_string(tags.join(&tag).join("current/link")).unwrap();
    let manifest = blob(link.trim());
    let doc: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    let layer_digest = doc["layers"][0]["digest"].as_str().unwrap().to_string();
    let layer = blob(&layer_digest);
    Stored {
        tag,
        manifest,
        layer_digest,
        layer,
    }
}

/// Machine A fills a real registry with hello's entry; returns the env (same checkout
/// and home path for B: a program's key holds them) and A's program.
fn machine_a() -> (TestEnv, Stored, Vec<u8>) {
    let registry = Registry::start(None);
    let env = TestEnv::new();
    std::fs::copy(example("hello.c"), env.path().join("hello.c")).unwrap();
    let url = format!("oci://{}/cache", registry.host());
    success(&mut hello(&env, &url));
    let built = std::fs::read(env.path().join("dist/x86_64/hello")).unwrap();
    let stored = stored_build_entry(&registry.storage(), "cache");
    (env, stored, built)
}

/// A fresh machine B at the same paths, its remote cache the loopback server serving
/// `stored` (read-only: the server takes no uploads).
fn machine_b(env: &TestEnv, stored: &Stored, fault: Fault) -> (Server, Command, String) {
    let _ = std::fs::remove_dir_all(env.path().join("home"));
    let _ = std::fs::remove_dir_all(env.path().join("dist"));
    let server = Server::start();
    server.add(
        &format!("v2/cache/manifests/{}", stored.tag),
        stored.manifest.clone(),
    );
    let blob_path = format!("v2/cache/blobs/{}", stored.layer_digest);
    server.add(&blob_path, stored.layer.clone());
    server.fault(&blob_path, fault);
    let url = format!(
        "oci://{}/cache",
        server.base().trim_start_matches("http://")
    );
    let mut cmd = hello(env, &url);
    cmd.env("MUSLBUILD_REMOTE_CACHE_READ_ONLY", "1");
    (server, cmd, blob_path)
}

fn assert_taken_from_the_remote(env: &TestEnv, text: &str, built: &[u8]) {
    assert!(
        text.lines()
            .any(|l| l.contains("from the remote cache") && l.contains("build-")),
        "{text}"
    );
    let compiled = text
        .lines()
        .filter(|l| l.starts_with("+ ") && l.contains("hello.c"))
        .count();
    assert_eq!(compiled, 0, "B compiled hello:\n{text}");
    assert_eq!(
        std::fs::read(env.path().join("dist/x86_64/hello")).unwrap(),
        built,
        "B's program is A's, byte for byte"
    );
    crate::support::assert_cache_verifies(&env.path().join("home"));
}

#[test]
fn a_cut_or_stalled_layer_is_resumed_with_range_a_layer_past_its_size_refused_and_endless_cuts_give_up()
 {
    let (env, stored, built) = machine_a();
    let half = stored.layer.len() / 2;
    assert!(half > 100, "a layer of {} bytes", stored.layer.len());

    // The connection closes after half the layer: the rest is asked for from there.
    let (server, mut cmd, blob_path) = machine_b(&env, &stored, Fault::TruncateOnce(half));
    let text = stderr(&success(&mut cmd));
    assert_eq!(server.requests(&blob_path), 2, "{text}");
    assert_eq!(server.ranges(), vec![format!("bytes={half}-")], "{text}");
    assert_taken_from_the_remote(&env, &text, &built);

    // Cut once, and then the registry does not resume (a 200 with the whole blob to
    // the `Range` request): the file starts again from the first byte.
    let (server, mut cmd, blob_path) =
        machine_b(&env, &stored, Fault::TruncateOnceThenIgnoreRange(half));
    let text = stderr(&success(&mut cmd));
    assert_eq!(server.requests(&blob_path), 2, "{text}");
    assert_eq!(server.ranges(), vec![format!("bytes={half}-")], "{text}");
    assert_taken_from_the_remote(&env, &text, &built);

    // The registry goes silent after a third of the layer: the bytes that came are
    // already in a file in the cache's temporary area (not in memory) while it waits;
    // the read times out, and the rest is asked for from there.
    let third = stored.layer.len() / 3;
    let (server, mut cmd, blob_path) = machine_b(&env, &stored, Fault::StallOnce(third));
    let child = cmd
        .env("MUSLBUILD_HTTP_TIMEOUT", "3")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let downloads = env.path().join("home/downloads");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = None;
    while seen.is_none() && Instant::now() < deadline {
        seen = std::fs::read_dir(&downloads)
            .into_iter()
            .flatten()
            .filter_map(|e| {
                let file = e.ok()?.path().join("entry.tar.gz");
                Some((file.clone(), std::fs::metadata(&file).ok()?.len()))
            })
            .find(|(_, len)| *len == third as u64);
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    let text = stderr(&output);
    assert!(output.status.success(), "{text}");
    let (file, _) =
        seen.unwrap_or_else(|| panic!("no partial layer file in {downloads:?}:\n{text}"));
    assert!(!file.exists(), "the temporary file is removed once used");
    assert_eq!(server.requests(&blob_path), 2, "{text}");
    assert_eq!(server.ranges(), vec![format!("bytes={third}-")], "{text}");
    assert_taken_from_the_remote(&env, &text, &built);

    // A manifest whose layer size is less than the blob: the download stops at the
    // size named, the entry is damaged and not used, and B compiles hello itself.
    let mut short = stored.clone();
    let mut doc: serde_json::Value = serde_json::from_slice(&short.manifest).unwrap();
    let named = stored.layer.len() as u64 - 10;
    doc["layers"][0]["size"] = named.into();
    short.manifest = serde_json::to_vec(&doc).unwrap();
    let (_server, mut cmd, _) = machine_b(&env, &short, Fault::None);
    let text = stderr(&success(&mut cmd));
    assert!(
        text.contains(&format!(
            "is damaged: the registry sent more than the {named} bytes blob {} may have",
            stored.layer_digest
        )),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("+ ") && l.contains("hello.c")),
        "{text}"
    );

    // A registry that cuts every answer short: a few resumes, then a clear error (with
    // --remote-cache-required; without, one warning and a local build).
    let (server, mut cmd, blob_path) = machine_b(&env, &stored, Fault::Truncate(16));
    let output = cmd.arg("--remote-cache-required").output().unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(14), "{text}");
    let first = text
        .lines()
        .find(|l| l.starts_with("muslbuild: error: "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        first.contains(&format!("the download of blob {}", stored.layer_digest))
            && first.contains("broke off 6 times, the last after 96 bytes"),
        "{text}"
    );
    assert!(text.lines().any(|l| l.starts_with("help: ")), "{text}");
    assert_eq!(server.requests(&blob_path), 6, "{text}");
    assert_eq!(server.ranges().len(), 5, "{text}");
}

#[test]
fn an_entry_past_the_in_memory_limits_goes_up_in_file_spans_and_comes_back_whole() {
    let registry = Registry::start(None);
    let url = format!("oci://{}/cache", registry.host());
    let env = TestEnv::new();
    // 6 MiB that gzip cannot shrink, inside the program: its entry's layer is larger
    // than any body the client reads into memory (4 MiB).
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let data: Vec<u8> = (0..6 << 20)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let data_path = env.path().join("data.bin");
    std::fs::write(&data_path, &data).unwrap();
    env.write(
        "big.c",
        &format!(
            r#"#include <stdio.h>
extern const unsigned char blob[], blob_end[];
__asm__(".section .rodata\n.global blob\n.global blob_end\nblob:\n.incbin \"{}\"\nblob_end:\n.previous\n");
int main(void) {{
    unsigned long sum = 0;
    for (const unsigned char *p = blob; p < blob_end; p++) sum = sum * 31 + *p;
    printf("%lu %ld\n", sum, (long)(blob_end - blob));
    return 0;
}}
"#,
            data_path.display()
        ),
    );
    // Machine A sends it in PATCHes of 1 MiB, each a span of the packed file.
    let output = success(
        build(&env, &url, "big.c").env("MUSLBUILD_REGISTRY_CHUNK_SIZE", (1 << 20).to_string()),
    );
    let built = std::fs::read(env.path().join("dist/x86_64/big")).unwrap();
    let stored = stored_build_entry(&registry.storage(), "cache");
    assert!(
        stored.layer.len() > 6 << 20,
        "a layer of {} bytes",
        stored.layer.len()
    );
    assert!(
        registry.count("PATCH") >= 6,
        "{} PATCHes\n{}",
        registry.count("PATCH"),
        stderr(&output)
    );

    // Machine B, at the same paths: the layer comes down whole, into a file.
    std::fs::remove_dir_all(env.path().join("home")).unwrap();
    std::fs::remove_dir_all(env.path().join("dist")).unwrap();
    let text = stderr(&success(&mut build(&env, &url, "big.c")));
    assert!(
        text.lines()
            .any(|l| l.contains("from the remote cache") && l.contains("build-")),
        "{text}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("+ ") && l.contains("big.c")),
        "B compiled it:\n{text}"
    );
    let program = env.path().join("dist/x86_64/big");
    assert_eq!(std::fs::read(&program).unwrap(), built);
    let ran = crate::support::run_binary(None, &program, b"");
    assert!(
        crate::support::stdout(&ran)
            .trim_end()
            .ends_with(" 6291456"),
        "{ran:?}"
    );
    crate::support::assert_cache_verifies(&env.path().join("home"));
}
