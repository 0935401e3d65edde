//! `TestEnv`: a temporary cache, out dir and working folder per test, so tests never
//! touch the user's cache, and helpers that fail loudly (never skip) when a prerequisite
//! the CI installs is missing.

#![allow(dead_code)]

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct TestEnv {
    pub dir: tempfile::TempDir,
    /// A cache of its own instead of the shared one (`with_own_cache`).
    own_cache: bool,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        TestEnv {
            dir: tempfile::tempdir().expect("temp dir"),
            own_cache: false,
        }
    }

    /// An env whose cache is its own (`home/` in its folder), for a test that counts what
    /// is built: keys name no folder of the checkout, so the shared cache holds what
    /// earlier runs built from the same sources in other folders, and serves it.
    pub fn with_own_cache() -> TestEnv {
        TestEnv {
            own_cache: true,
            ..TestEnv::new()
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The cache lives in the shared test cache so zig's per-target libc and library
    /// builds are paid once per run, not once per test; `fresh_cache` gives a private one.
    pub fn cache(&self) -> PathBuf {
        if self.own_cache {
            self.path().join("home")
        } else {
            shared_cache()
        }
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `muslbuild ARGS` run in this env's folder with its cache.
    pub fn muslbuild(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_muslbuild"));
        cmd.current_dir(self.path())
            .env("MUSLBUILD_HOME", self.cache());
        for var in [
            "CC",
            "TARGET_CC",
            "HOST_CC",
            "CFLAGS",
            "LDFLAGS",
            "MUSLBUILD_MANIFEST",
            "MUSLBUILD_MIRROR",
        ] {
            cmd.env_remove(var);
        }
        // Tests never reach past 127.0.0.1: a test that downloads points the manifest at
        // its own loopback server and turns this off.
        cmd.env("MUSLBUILD_OFFLINE", "1");
        cmd
    }
}

pub fn shared_cache() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("muslbuild-test-cache");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn example(name: &str) -> PathBuf {
    repo_root().join("examples").join(name)
}

/// Panics with the name of the missing prerequisite: `scripts/setup-test-env.sh`
/// installs every one of them, so a missing one is a broken setup, never a skip.
pub fn require(program: &str, package: &str) -> PathBuf {
    which::which(program).unwrap_or_else(|_| {
        panic!("prerequisite `{program}` is missing: run scripts/setup-test-env.sh (it installs {package})")
    })
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs and asserts success, printing both streams when it fails.
pub fn success(cmd: &mut Command) -> Output {
    let output = cmd.output().expect("spawn");
    assert!(
        output.status.success(),
        "command failed: {:?}\nstatus: {}\nstdout:\n{}\nstderr:\n{}",
        cmd,
        output.status,
        stdout(&output),
        stderr(&output)
    );
    output
}

/// The command that runs a binary under `qemu` (`qemu-aarch64-static`, …), or natively
/// when `qemu` is None.
pub fn binary_command(qemu: Option<&str>, binary: &Path) -> Command {
    match qemu {
        Some(q) => {
            let mut c = Command::new(require(q, "qemu-user-static"));
            c.arg(binary);
            c
        }
        None => Command::new(binary),
    }
}

/// Runs a binary for `qemu` (`qemu-aarch64-static`, …) or natively when `qemu` is None.
pub fn run_binary(qemu: Option<&str>, binary: &Path, stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut cmd = binary_command(qemu, binary);
    cmd.env_clear()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn binary");
    child.stdin.take().unwrap().write_all(stdin).ok();
    child.wait_with_output().unwrap()
}

/// One platform of a multi-arch OCI layout, unpacked by umoci into a bundle folder.
/// skopeo picks the platform first (`--override-arch`): umoci refuses a tag that
/// resolves to several manifests ("tag is ambiguous"), which is what an index is.
pub fn unpack_platform(
    env: &TestEnv,
    layout: &Path,
    tag: &str,
    arch: &str,
    variant: Option<&str>,
) -> PathBuf {
    // arm/v5, arm/v6 and arm/v7 share an architecture: the variant keeps them apart.
    let platform = format!("{arch}{}", variant.unwrap_or_default());
    let single = env.path().join(format!("single-{platform}"));
    let bundle = env.path().join(format!("bundle-{platform}"));
    let mut copy = Command::new(require("skopeo", "skopeo"));
    copy.args(["--override-arch", arch]);
    if let Some(v) = variant {
        copy.args(["--override-variant", v]);
    }
    success(
        copy.arg("copy")
            .arg(format!("oci:{}:{tag}", layout.display()))
            .arg(format!("oci:{}:{tag}", single.display())),
    );
    success(
        Command::new(require("umoci", "umoci"))
            .args(["unpack", "--rootless", "--image"])
            .arg(format!("{}:{tag}", single.display()))
            .arg(&bundle),
    );
    bundle
}

/// The fault suite's other invariant: whatever a case did, the cache at `home` still
/// passes `muslbuild cache verify` (every published entry intact).
pub fn assert_cache_verifies(home: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_muslbuild"))
        .args(["cache", "verify"])
        .env("MUSLBUILD_HOME", home)
        .env("MUSLBUILD_OFFLINE", "1")
        .output()
        .expect("muslbuild runs");
    assert!(
        out.status.success(),
        "cache verify failed on {}:\n{}{}",
        home.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The fault suite's invariant: `dist/` holds exactly the files `manifest.json` lists,
/// each with the sha256 it records, and `SHA256SUMS` lists the same set with the same
/// hashes. Returns the number of artifacts.
pub fn assert_dist_consistent(dist: &Path) -> usize {
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dist.join("manifest.json")).expect("dist/manifest.json exists"),
    )
    .expect("manifest.json is JSON");
    let mut listed: Vec<(String, String)> = manifest["artifacts"]
        .as_array()
        .expect("manifest has artifacts")
        .iter()
        .map(|a| {
            (
                a["path"].as_str().unwrap().to_string(),
                a["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    listed.sort();
    let sums_text = std::fs::read_to_string(dist.join("SHA256SUMS")).expect("SHA256SUMS exists");
    let mut sums: Vec<(String, String)> = sums_text
        .lines()
        .map(|line| {
            let (sha, path) = line.split_once("  ").expect("a `SHA  PATH` line");
            (path.to_string(), sha.to_string())
        })
        .collect();
    sums.sort();
    assert_eq!(listed, sums, "manifest.json and SHA256SUMS disagree");
    let mut files = Vec::new();
    // An SBOM and a provenance statement sit beside their artifact and must describe the
    // bytes there.
    let mut sboms = Vec::new();
    for target in std::fs::read_dir(dist).unwrap().flatten() {
        let name = target.file_name().to_string_lossy().into_owned();
        if !target.file_type().unwrap().is_dir()
            || !["x86_64", "aarch64", "armv7"].contains(&name.as_str())
        {
            continue;
        }
        for file in std::fs::read_dir(target.path()).unwrap().flatten() {
            let bytes = std::fs::read(file.path()).unwrap();
            let file_name = file.file_name().to_string_lossy().into_owned();
            if let Some(artifact) = file_name.strip_suffix(".spdx.json") {
                sboms.push((format!("{name}/{artifact}"), sbom_artifact_sha256(&bytes)));
                continue;
            }
            if let Some(artifact) = file_name.strip_suffix(".intoto.json") {
                let statement: serde_json::Value =
                    serde_json::from_slice(&bytes).expect("a provenance statement is JSON");
                let sha = statement["subject"][0]["digest"]["sha256"]
                    .as_str()
                    .expect("a statement names its subject's sha256");
                sboms.push((format!("{name}/{artifact}"), sha.to_string()));
                continue;
            }
            files.push((
                format!("{name}/{}", file.file_name().to_string_lossy()),
                muslbuild::sys::hash::sha256_hex(&bytes),
            ));
        }
    }
    files.sort();
    assert_eq!(
        listed, files,
        "the files in dist/ are not what manifest.json lists"
    );
    for (artifact, recorded) in sboms {
        assert!(
            files
                .iter()
                .any(|(path, sha)| *path == artifact && *sha == recorded),
            "a record beside {artifact} describes sha256 {recorded}, not a file in dist/"
        );
    }
    assert!(
        !dist.join(".muslbuild-journal").exists(),
        "an unsettled transaction is left in dist/"
    );
    listed.len()
}

/// The artifact's sha256 as an SBOM muslbuild wrote records it.
pub fn sbom_artifact_sha256(document: &[u8]) -> String {
    let doc: serde_json::Value = serde_json::from_slice(document).expect("an SBOM is JSON");
    let artifact = doc["packages"]
        .as_array()
        .expect("an SBOM has packages")
        .iter()
        .find(|p| p["primaryPackagePurpose"] == "APPLICATION" && p["checksums"].is_array())
        .expect("an SBOM describes its artifact");
    artifact["checksums"][0]["checksumValue"]
        .as_str()
        .unwrap()
        .to_string()
}

/// How long a test waits for an event (a file appearing, a process ending) before it
/// fails naming what it waited for. Generous, so a loaded machine never fails a correct
/// build: the wait ends the moment the event happens, so nothing is timed.
pub const EVENT_DEADLINE: Duration = Duration::from_secs(180);

/// Blocks until `path` exists, woken by inotify on its folder (no polling); fails the
/// test naming `what` if EVENT_DEADLINE passes first.
pub fn wait_for_file(path: &Path, what: &str) {
    let dir = CString::new(path.parent().unwrap().as_os_str().as_bytes()).unwrap();
    // SAFETY: plain syscalls on a descriptor this function owns.
    let fd = unsafe { libc::inotify_init1(libc::IN_CLOEXEC | libc::IN_NONBLOCK) };
    assert!(fd >= 0, "inotify: {}", std::io::Error::last_os_error());
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let watch = unsafe {
        libc::inotify_add_watch(
            fd.as_raw_fd(),
            dir.as_ptr(),
            libc::IN_CREATE | libc::IN_MOVED_TO,
        )
    };
    assert!(watch >= 0, "inotify: {}", std::io::Error::last_os_error());
    let deadline = Instant::now() + EVENT_DEADLINE;
    let mut events = [0u8; 4096];
    // Checked after the watch exists, so a file made in between is not missed.
    while !path.exists() {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "{what}: {} did not appear within {EVENT_DEADLINE:?}",
            path.display()
        );
        if readable_within(fd.as_fd(), left) {
            // Drained only to re-arm the wait: which entry appeared is checked above.
            unsafe { libc::read(fd.as_raw_fd(), events.as_mut_ptr().cast(), events.len()) };
        }
    }
}

/// True once process `pid` has ended (or never existed), woken by a pidfd (no polling);
/// false if it still runs after EVENT_DEADLINE. Works for processes that are not our
/// children; a child of ours still needs `wait` to be reaped.
pub fn exits_within_deadline(pid: u32) -> bool {
    // SAFETY: pidfd_open takes a pid and flags and returns a descriptor we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return true; // ESRCH: already gone
    }
    let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    readable_within(fd.as_fd(), EVENT_DEADLINE)
}

fn readable_within(fd: BorrowedFd, timeout: Duration) -> bool {
    let mut poll = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let millis = timeout.as_millis().clamp(1, i32::MAX as u128) as i32;
    // SAFETY: one pollfd that lives across the call.
    unsafe { libc::poll(&mut poll, 1, millis) > 0 }
}

/// Reads `stream` line by line until one contains `needle` and returns everything read so
/// far; the rest of the stream is drained in the background into the returned handle,
/// so the writer never blocks. Fails naming `what` if the stream ends first.
pub fn wait_for_line(
    stream: impl std::io::Read + Send + 'static,
    needle: &str,
    what: &str,
) -> std::thread::JoinHandle<String> {
    use std::io::BufRead;
    let (seen_tx, seen_rx) = std::sync::mpsc::channel();
    let wanted = needle.to_string();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let mut told = false;
        for line in std::io::BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            text.push_str(&line);
            text.push('\n');
            if !told && line.contains(&wanted) {
                told = seen_tx.send(()).is_ok();
            }
        }
        text
    });
    match seen_rx.recv_timeout(EVENT_DEADLINE) {
        Ok(()) => reader,
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            let text = reader.join().unwrap_or_default();
            panic!("{what}: the output ended without a line with `{needle}`:\n{text}")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: no line with `{needle}` within {EVENT_DEADLINE:?}")
        }
    }
}

/// A named pipe at `path`: a fixture script's `cat PATH` blocks on it until the test
/// writes it (an event, where a loop over `[ -f PATH ]` would poll).
pub fn fifo(path: &Path) -> PathBuf {
    let name = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: mkfifo reads a NUL-terminated path.
    let made = unsafe { libc::mkfifo(name.as_ptr(), 0o600) };
    assert_eq!(
        made,
        0,
        "mkfifo {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
    path.to_path_buf()
}

/// A CA and a certificate for `localhost` it signs, made with the machine's openssl.
pub fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let openssl = require("openssl", "openssl");
    let run = |args: &[&str]| success(Command::new(&openssl).args(args).current_dir(dir));
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"],
        &ec[..],
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=muslbuild test CA",
        ],
    ]
    .concat());
    run(&[
        &["req"],
        &ec[..],
        &[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    ]
    .concat());
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}

/// A free loopback port (bound, then released for the server).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A loopback `openssl s_server -rev` with `cert` and `key` that answers one
/// connection: its port, the process, and the thread that holds its output (started
/// once it has said ACCEPT).
pub fn reversing_tls_server(
    cert: &Path,
    key: &Path,
) -> (u16, std::process::Child, std::thread::JoinHandle<String>) {
    let port = free_port();
    let mut server = Command::new(require("openssl", "openssl"))
        .args(["s_server", "-rev", "-naccept", "1", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(cert)
        .arg("-key")
        .arg(key)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let served = wait_for_line(server.stdout.take().unwrap(), "ACCEPT", "openssl s_server");
    (port, server, served)
}
