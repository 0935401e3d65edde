//! Toolchain install against a real HTTP server on 127.0.0.1 that serves a real, working
//! musl-cross-style toolchain built here (wrappers around the GNU aarch64 cross gcc with
//! Debian's musl specs). Every fault case checks a clear error, that nothing counts as
//! installed afterwards, and that a rerun against a good server succeeds.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::http::{Fault, Server};
use crate::support::{TestEnv, example, require, run_binary, stderr, stdout, success};

pub const ARCHIVE: &str = "aarch64-linux-musl-cross.tgz";
pub const ENTRY: &str = "musl-cross-test-aarch64";
/// The install every case here exercises: the fixture's aarch64 set, by provider.
pub const INSTALL_ARGS: [&str; 5] = [
    "toolchain",
    "install",
    "aarch64",
    "--provider",
    "musl-cross",
];
const ROOT: &str = "aarch64-linux-musl-cross";

type TarEntry = (String, tar::EntryType, String, Vec<u8>, u32);

pub fn sha256(bytes: &[u8]) -> String {
    muslbuild::sys::hash::sha256_hex(bytes)
}

fn host() -> &'static str {
    muslbuild::target::Target::host()
        .expect("tests run on a supported host")
        .name()
}

/// The entries of a musl-cross-style set: `bin/aarch64-linux-musl-{gcc,ar,ranlib,strip}`
/// wrapping the GNU cross tools with musl's specs, plus a few MB of incompressible
/// payload so that a download takes long enough to interrupt.
fn toolchain_entries() -> Vec<TarEntry> {
    let gcc = require("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu");
    let specs = Path::new("/usr/lib/aarch64-linux-musl/musl-gcc.specs");
    assert!(
        specs.is_file(),
        "prerequisite {} is missing: run scripts/setup-test-env.sh (it installs musl-dev:arm64)",
        specs.display()
    );
    let mut entries: Vec<TarEntry> = vec![
        (
            format!("{ROOT}/"),
            tar::EntryType::Directory,
            String::new(),
            Vec::new(),
            0o755,
        ),
        (
            format!("{ROOT}/bin/"),
            tar::EntryType::Directory,
            String::new(),
            Vec::new(),
            0o755,
        ),
    ];
    let script = |body: String| format!("#!/bin/sh\n{body}\n").into_bytes();
    entries.push((
        format!("{ROOT}/bin/aarch64-linux-musl-gcc"),
        tar::EntryType::Regular,
        String::new(),
        script(format!(
            "exec {} -specs {} \"$@\"",
            gcc.display(),
            specs.display()
        )),
        0o755,
    ));
    for tool in ["ar", "ranlib", "strip"] {
        let real = require(
            &format!("aarch64-linux-gnu-{tool}"),
            "binutils-aarch64-linux-gnu",
        );
        entries.push((
            format!("{ROOT}/bin/aarch64-linux-musl-{tool}"),
            tar::EntryType::Regular,
            String::new(),
            script(format!("exec {} \"$@\"", real.display())),
            0o755,
        ));
    }
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let payload: Vec<u8> = (0..3 * 1024 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    entries.push((
        format!("{ROOT}/share/payload.bin"),
        tar::EntryType::Regular,
        String::new(),
        payload,
        0o644,
    ));
    entries
}

/// A tar.gz written with raw headers, so hostile names and links survive.
fn tar_gz(entries: &[TarEntry]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, kind, link, data, mode) in entries {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_entry_type(*kind);
        header.set_mode(*mode);
        header.set_size(data.len() as u64);
        header.set_mtime(0);
        if !link.is_empty() {
            header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        header.set_cksum();
        builder.append(&header, data.as_slice()).unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    gz.finish().unwrap()
}

/// The same bytes every time (fixed mtimes), so it is built once per test run.
pub fn good_archive() -> Vec<u8> {
    static GOOD: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    GOOD.get_or_init(|| tar_gz(&toolchain_entries())).clone()
}

pub struct Fixture {
    pub env: TestEnv,
    pub server: Server,
    pub home: PathBuf,
}

impl Fixture {
    pub fn new() -> Fixture {
        let env = TestEnv::new();
        let home = env.path().join("home");
        Fixture {
            env,
            server: Server::start(),
            home,
        }
    }

    /// Serves `archive` at /ARCHIVE and writes a manifest listing it with `sha` (its
    /// real sha256 unless told otherwise) at the given URL (the server's by default).
    pub fn serve(&self, archive: &[u8], sha: Option<&str>, url: Option<&str>) -> PathBuf {
        let served = self.server.add(ARCHIVE, archive.to_vec());
        self.manifest(
            &sha.map(str::to_string).unwrap_or_else(|| sha256(archive)),
            archive.len() as u64,
            url.unwrap_or(&served),
        )
    }

    pub fn manifest(&self, sha: &str, size: u64, url: &str) -> PathBuf {
        let text = format!(
            r#"[[toolchain]]
name = "{ENTRY}"
provider = "musl-cross"
version = "test-1"
host = "{}"
targets = ["aarch64"]
urls = ["{url}"]
sha256 = "{sha}"
size = {size}
format = "tar.gz"
root = "{ROOT}"
prefix = "aarch64-linux-musl"
"#,
            host()
        );
        self.env.write("manifest.toml", &text)
    }

    pub fn muslbuild(&self) -> Command {
        let mut cmd = self.env.muslbuild();
        cmd.env("MUSLBUILD_HOME", &self.home)
            .env("MUSLBUILD_MANIFEST", self.env.path().join("manifest.toml"))
            .env("MUSLBUILD_HTTP_TIMEOUT", "2")
            .env("MUSLBUILD_HTTP_RETRIES", "2")
            .env_remove("MUSLBUILD_MIRROR")
            .env_remove("MUSLBUILD_OFFLINE");
        cmd
    }

    /// `muslbuild toolchain install aarch64 --provider musl-cross` against this fixture.
    pub fn install_command(&self) -> Command {
        let mut cmd = self.muslbuild();
        cmd.args(INSTALL_ARGS);
        cmd
    }

    pub fn install(&self) -> Output {
        self.install_command().output().unwrap()
    }

    /// Toolchain entries that count as installed (visible and complete).
    pub fn installed(&self) -> Vec<String> {
        let Ok(dir) = std::fs::read_dir(self.home.join("toolchains")) else {
            return Vec::new();
        };
        let mut names: Vec<String> = dir
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        names
    }

    pub fn assert_nothing_installed(&self) {
        assert_eq!(
            self.installed(),
            Vec::<String>::new(),
            "a failed install left an entry behind"
        );
        let complete = std::fs::read_dir(self.home.join("toolchains"))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| {
                !e.file_name().to_string_lossy().starts_with('.')
                    && e.path().join(".muslbuild-complete").exists()
            })
            .count();
        assert_eq!(complete, 0);
    }

    /// Builds hello.c for aarch64 with the installed musl-cross set and runs it under qemu.
    fn build_and_run_hello(&self, extra_env: &[(&str, &str)]) {
        let out = self.env.path().join("dist");
        let mut cmd = self.muslbuild();
        cmd.args([
            "--toolchain",
            "musl-cross",
            "--target",
            "aarch64",
            "--out-dir",
        ])
        .arg(&out)
        .arg(example("hello.c"));
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        success(&mut cmd);
        let binary = out.join("aarch64").join("hello");
        let run = run_binary(Some("qemu-aarch64-static"), &binary, b"");
        assert_eq!(
            stdout(&run).trim(),
            "Hello World",
            "stderr: {}",
            stderr(&run)
        );
    }

    /// The rerun every fault case ends with: a good server, a good manifest, success.
    fn rerun_succeeds(&self) {
        self.server.fault(ARCHIVE, Fault::None);
        self.serve(&good_archive(), None, None);
        let output = self.install();
        assert!(output.status.success(), "rerun failed: {}", stderr(&output));
        assert_eq!(self.installed(), vec![ENTRY.to_string()]);
        assert!(
            self.home
                .join("toolchains")
                .join(ENTRY)
                .join("bin/aarch64-linux-musl-gcc")
                .is_file()
        );
    }
}

fn assert_download_error(output: &Output, needle: &str) -> String {
    let err = stderr(output);
    assert_eq!(
        output.status.code(),
        Some(9),
        "expected exit 9 (download), stderr:\n{err}"
    );
    assert!(
        err.contains("muslbuild: error:") && err.contains("help:"),
        "not a muslbuild error:\n{err}"
    );
    assert!(
        err.contains(needle),
        "stderr should mention `{needle}`:\n{err}"
    );
    err
}

#[test]
fn installs_from_loopback_then_builds_and_runs_hello_for_aarch64() {
    let f = Fixture::new();
    let archive = good_archive();
    f.serve(&archive, None, None);
    let output = f.install();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(f.installed(), vec![ENTRY.to_string()]);
    assert_eq!(f.server.requests(ARCHIVE), 1);

    // The installed set is listed with its source and hash.
    let list = success(
        f.muslbuild()
            .args(["toolchain", "list", "--target", "aarch64"]),
    );
    let text = stdout(&list);
    assert!(
        text.contains(ENTRY)
            && text.contains(&sha256(&archive))
            && text.contains(&f.server.url(ARCHIVE)),
        "{text}"
    );

    // A second install is a no-op; nothing is fetched again.
    success(&mut f.install_command());
    assert_eq!(f.server.requests(ARCHIVE), 1);

    // Built offline with the installed toolchain: no network touched.
    f.build_and_run_hello(&[("MUSLBUILD_OFFLINE", "1")]);
    assert_eq!(f.server.requests(ARCHIVE), 1);

    // Removed, it is gone.
    success(f.muslbuild().args(["toolchain", "remove", "aarch64"]));
    assert!(f.installed().is_empty());
}

#[test]
fn a_build_installs_its_missing_toolchain_unless_offline() {
    let f = Fixture::new();
    f.serve(&good_archive(), None, None);

    let out = f.env.path().join("dist");
    let offline = f
        .muslbuild()
        .env("MUSLBUILD_OFFLINE", "1")
        .args([
            "--toolchain",
            "musl-cross",
            "--target",
            "aarch64",
            "--out-dir",
        ])
        .arg(&out)
        .arg(example("hello.c"))
        .output()
        .unwrap();
    let err = stderr(&offline);
    assert_eq!(offline.status.code(), Some(6), "{err}");
    assert!(
        err.contains("muslbuild toolchain install aarch64"),
        "the offline error must say what to install:\n{err}"
    );
    assert_eq!(f.server.requests(ARCHIVE), 0);
    f.assert_nothing_installed();

    let mut cmd = f.muslbuild();
    cmd.args([
        "--toolchain",
        "musl-cross",
        "--target",
        "aarch64",
        "--out-dir",
    ])
    .arg(&out)
    .arg(example("hello.c"));
    let built = success(&mut cmd);
    assert!(
        stderr(&built).contains("installing"),
        "an automatic install must be announced:\n{}",
        stderr(&built)
    );
    assert_eq!(f.installed(), vec![ENTRY.to_string()]);
    let run = run_binary(Some("qemu-aarch64-static"), &out.join("aarch64/hello"), b"");
    assert_eq!(stdout(&run).trim(), "Hello World");
}

#[test]
fn wrong_sha256_is_refused_and_the_file_deleted() {
    let f = Fixture::new();
    let archive = good_archive();
    let wrong = sha256(b"not the archive");
    f.serve(&archive, Some(&wrong), None);
    let output = f.install();
    let err = assert_download_error(&output, "checksum mismatch");
    assert!(
        err.contains(&wrong)
            && err.contains(&sha256(&archive))
            && err.contains(&f.server.url(ARCHIVE)),
        "{err}"
    );
    let downloads: Vec<_> = std::fs::read_dir(f.home.join("downloads"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| !n.to_string_lossy().ends_with(".lock"))
        .collect();
    assert!(
        downloads.is_empty(),
        "the bad file must be deleted: {downloads:?}"
    );
    f.assert_nothing_installed();
    f.rerun_succeeds();
}

#[test]
fn truncated_body_fails_then_resumes() {
    let f = Fixture::new();
    f.serve(&good_archive(), None, None);
    f.server.fault(ARCHIVE, Fault::Truncate(100_000));
    let output = f.install();
    assert_download_error(&output, "gave up after 3 attempts");
    f.assert_nothing_installed();
    f.rerun_succeeds();
    // Each attempt resumed where the last one broke off.
    assert!(
        f.server
            .ranges()
            .iter()
            .any(|r| r.starts_with("bytes=100000-")),
        "{:?}",
        f.server.ranges()
    );
}

#[test]
fn not_found_is_a_clear_error() {
    let f = Fixture::new();
    f.serve(&good_archive(), None, None);
    f.server.fault(ARCHIVE, Fault::NotFound);
    let output = f.install();
    assert_download_error(&output, "HTTP 404");
    assert_eq!(f.server.requests(ARCHIVE), 1, "a 404 is not retried");
    f.assert_nothing_installed();
    f.rerun_succeeds();
}

#[test]
fn server_errors_are_retried() {
    let f = Fixture::new();
    f.serve(&good_archive(), None, None);
    f.server.fault(ARCHIVE, Fault::ServerError(2));
    let output = f.install();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("HTTP 500"),
        "retries are reported:\n{}",
        stderr(&output)
    );
    assert_eq!(f.server.requests(ARCHIVE), 3);
    assert_eq!(f.installed(), vec![ENTRY.to_string()]);

    // More 500s than retries: a clear error, and a later run succeeds.
    let g = Fixture::new();
    g.serve(&good_archive(), None, None);
    g.server.fault(ARCHIVE, Fault::ServerError(10));
    assert_download_error(&g.install(), "HTTP 500");
    g.assert_nothing_installed();
    g.rerun_succeeds();
}

#[test]
fn a_stalled_server_times_out() {
    let f = Fixture::new();
    f.serve(&good_archive(), None, None);
    f.server.fault(ARCHIVE, Fault::Stall(50_000));
    let output = f
        .muslbuild()
        .env("MUSLBUILD_HTTP_TIMEOUT", "1")
        .env("MUSLBUILD_HTTP_RETRIES", "1")
        .args(INSTALL_ARGS)
        .output()
        .unwrap();
    // The stall outlasts every attempt, so only the timeout can have ended the download.
    assert_download_error(&output, "timed out");
    f.assert_nothing_installed();
    f.rerun_succeeds();
}

#[test]
fn connection_refused_is_a_clear_error() {
    let f = Fixture::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let archive = good_archive();
    f.serve(
        &archive,
        None,
        Some(&format!("http://127.0.0.1:{port}/{ARCHIVE}")),
    );
    let output = f
        .muslbuild()
        .env("MUSLBUILD_HTTP_RETRIES", "1")
        .args(INSTALL_ARGS)
        .output()
        .unwrap();
    assert_download_error(&output, &format!("127.0.0.1:{port}"));
    f.assert_nothing_installed();

    // A mirror that has the file saves the day.
    f.server.add(&format!("mirror/{ARCHIVE}"), archive);
    let output = f
        .muslbuild()
        .env("MUSLBUILD_MIRROR", format!("{}/mirror", f.server.base()))
        .args(INSTALL_ARGS)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(f.server.requests(&format!("mirror/{ARCHIVE}")), 1);
    assert_eq!(f.installed(), vec![ENTRY.to_string()]);
}

#[test]
fn killed_mid_download_leaves_nothing_installed_and_the_rerun_resumes() {
    let f = Fixture::new();
    f.serve(&good_archive(), None, None);
    f.server.fault(ARCHIVE, Fault::Throttle(400_000));
    let mut child = f
        .install_command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let part = f.home.join("downloads").join(format!("{ARCHIVE}.part"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0) < 200_000 {
        assert!(Instant::now() < deadline, "the download never started");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the install ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    f.assert_nothing_installed();
    f.rerun_succeeds();
    assert!(
        f.server
            .ranges()
            .iter()
            .any(|r| r.starts_with("bytes=") && !r.starts_with("bytes=0-")),
        "the rerun should resume: {:?}",
        f.server.ranges()
    );
    f.build_and_run_hello(&[]);
}

#[test]
fn two_concurrent_installs_download_once() {
    let f = Fixture::new();
    f.serve(&good_archive(), None, None);
    f.server.fault(ARCHIVE, Fault::Throttle(4_000_000));
    let spawn = || {
        f.install_command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
    }
    assert_eq!(
        f.server.requests(ARCHIVE),
        1,
        "the toolchain was downloaded more than once"
    );
    assert_eq!(f.installed(), vec![ENTRY.to_string()]);
}

#[test]
fn hostile_archives_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    let absolute = outside.path().join("absolute-evil");
    let cases: Vec<(&str, Vec<TarEntry>)> = vec![
        (
            "`..`",
            vec![(
                format!("{ROOT}/../../dotdot-evil"),
                tar::EntryType::Regular,
                String::new(),
                b"x".to_vec(),
                0o644,
            )],
        ),
        (
            "absolute path",
            vec![(
                absolute.display().to_string(),
                tar::EntryType::Regular,
                String::new(),
                b"x".to_vec(),
                0o644,
            )],
        ),
        (
            "leaves the archive's root",
            vec![
                (
                    format!("{ROOT}/lib/up"),
                    tar::EntryType::Symlink,
                    "../../../../../..".into(),
                    Vec::new(),
                    0o777,
                ),
                (
                    format!("{ROOT}/lib/up/tmp/symlink-evil"),
                    tar::EntryType::Regular,
                    String::new(),
                    b"x".to_vec(),
                    0o644,
                ),
            ],
        ),
        (
            "hard link",
            vec![(
                format!("{ROOT}/bin/passwd"),
                tar::EntryType::Link,
                "/etc/passwd".into(),
                Vec::new(),
                0o644,
            )],
        ),
        (
            "hard link",
            vec![(
                format!("{ROOT}/bin/up"),
                tar::EntryType::Link,
                format!("{ROOT}/../../outside"),
                Vec::new(),
                0o644,
            )],
        ),
    ];
    for (needle, hostile) in cases {
        let f = Fixture::new();
        let mut entries = toolchain_entries();
        entries.splice(2..2, hostile);
        f.serve(&tar_gz(&entries), None, None);
        let output = f.install();
        let err = assert_download_error(&output, "refusing to unpack");
        assert!(err.contains(needle), "{needle}: {err}");
        f.assert_nothing_installed();
        assert!(!absolute.exists(), "an absolute entry was written");
        for name in ["dotdot-evil", "tmp/symlink-evil"] {
            assert!(
                !f.home.join(name).exists() && !Path::new("/").join(name).exists(),
                "{name} was written outside"
            );
        }
        let stray: Vec<_> = std::fs::read_dir(f.home.join("toolchains"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(stray.is_empty(), "temporary folders left: {stray:?}");
        f.rerun_succeeds();
    }
}

#[test]
fn install_from_a_local_archive_is_verified() {
    let f = Fixture::new();
    let archive = good_archive();
    let file = f.env.path().join(ARCHIVE);
    std::fs::write(&file, &archive).unwrap();
    // Listed in the manifest under a URL nobody serves: --from never touches it.
    f.manifest(
        &sha256(&archive),
        archive.len() as u64,
        "http://127.0.0.1:9/nowhere.tgz",
    );

    let wrong = f
        .install_command()
        .arg("--from")
        .arg(&file)
        .args(["--sha256", &sha256(b"x")])
        .output()
        .unwrap();
    assert_download_error(&wrong, "checksum mismatch");
    f.assert_nothing_installed();

    success(
        f.muslbuild()
            .env("MUSLBUILD_OFFLINE", "1")
            .args(INSTALL_ARGS)
            .arg("--from")
            .arg(&file),
    );
    assert_eq!(f.installed(), vec![ENTRY.to_string()]);
    assert!(file.is_file(), "--from must not delete the user's file");
}

#[test]
fn prune_clears_leftovers_of_killed_installs() {
    let f = Fixture::new();
    f.serve(&good_archive(), None, None);
    let toolchains = f.home.join("toolchains");
    let downloads = f.home.join("downloads");
    // What a SIGKILL between writing the record and the rename leaves: a complete-looking
    // temporary folder. It must not count, and prune removes it.
    let stale = toolchains.join(format!(".tmp-{ENTRY}-abc123"));
    std::fs::create_dir_all(stale.join("bin")).unwrap();
    std::fs::write(stale.join(".muslbuild-complete"), "{}").unwrap();
    std::fs::write(
        stale.join("bin/aarch64-linux-musl-gcc"),
        "#!/bin/sh\nexit 1\n",
    )
    .unwrap();
    std::fs::create_dir_all(&downloads).unwrap();
    std::fs::write(downloads.join(format!("{ARCHIVE}.part")), b"partial").unwrap();
    f.assert_nothing_installed();
    success(f.muslbuild().args(["toolchain", "prune"]));
    assert!(!stale.exists());
    assert!(!downloads.join(format!("{ARCHIVE}.part")).exists());
}

#[test]
fn a_failing_entry_falls_back_to_the_next_verified_one() {
    let f = Fixture::new();
    let archive = good_archive();
    let url = f.server.add(ARCHIVE, archive.clone());
    let good = f.manifest(&sha256(&archive), archive.len() as u64, &url);
    let text = std::fs::read_to_string(&good).unwrap();
    let broken = text
        .replace(ENTRY, "musl-cross-gone")
        .replace(&url, &f.server.url("gone.tgz"));
    f.env.write("manifest.toml", &format!("{broken}\n{text}"));
    let output = f
        .muslbuild()
        .args(["toolchain", "install", "aarch64"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("HTTP 404") && err.contains("instead"),
        "the fallback must be reported:\n{err}"
    );
    assert_eq!(f.installed(), vec![ENTRY.to_string()]);
}

#[test]
fn doctor_says_what_is_missing_and_how_to_fix_it() {
    let f = Fixture::new();
    f.serve(&good_archive(), None, None);
    // Nothing on PATH: no compiler, no zig, no qemu, no go.
    let empty = f.env.path().join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let doctor = || {
        let output = success(
            f.muslbuild()
                .env("PATH", &empty)
                .env_remove("GOROOT")
                .args(["toolchain", "doctor"]),
        );
        stdout(&output)
    };
    let text = doctor();
    assert!(
        text.contains("missing: no usable toolchain; fix: `muslbuild toolchain install aarch64`"),
        "{text}"
    );
    assert!(text.contains("apt-get install qemu-user-static"), "{text}");
    assert!(text.contains("muslbuild toolchain install go"), "{text}");

    success(f.muslbuild().args(["toolchain", "install", "aarch64"]));
    let text = doctor();
    let aarch64 = text.split("aarch64:").nth(1).unwrap_or_default();
    assert!(aarch64.contains("auto musl-cross"), "{text}");
    assert!(
        text.contains(ENTRY),
        "the installed toolchain is listed:\n{text}"
    );
}

#[test]
fn redirects_are_followed_but_bounded() {
    let f = Fixture::new();
    let archive = good_archive();
    f.serve(&archive, None, None);
    f.server.add("moved/real.tgz", archive);
    f.server
        .fault(ARCHIVE, Fault::Redirect("moved/real.tgz".into()));
    let output = f.install();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(f.server.requests("moved/real.tgz"), 1);

    let g = Fixture::new();
    g.serve(&good_archive(), None, None);
    g.server.fault(ARCHIVE, Fault::Redirect("loop".into()));
    g.server.fault("loop", Fault::Redirect(ARCHIVE.into()));
    assert_download_error(&g.install(), "redirect");
    assert!(
        g.server.requests(ARCHIVE) <= 10,
        "redirects must be bounded"
    );
    g.assert_nothing_installed();
    g.rerun_succeeds();
}
