//! Downloads: a URL to a file, verified by sha256 (and size) before anyone may use it.
//! Toolchain installs and library sources both fetch through it.
//!
//! The shape follows rustup: fetch into `<dest>.part` beside the destination, hash while
//! writing, compare, then rename. A `.part` left by a killed process is resumed with a
//! `Range` request; it never counts as the file. Connection errors, timeouts, truncated
//! bodies and 5xx answers are retried with backoff; 4xx answers move on to the next URL.

use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::sys::ui::Ui;

/// What the caller knows of the file to fetch.
#[derive(Clone, Debug)]
pub(crate) struct Expected<'a> {
    pub(crate) sha256: &'a str,
    pub(crate) size: Option<u64>,
}

/// How downloads behave: made once from the environment and `--offline` (the Ctx's `net`).
#[derive(Clone, Debug)]
pub(crate) struct NetSettings {
    /// Base URLs tried before each file's own URLs (`MUSLBUILD_MIRROR`).
    pub(crate) mirrors: Vec<String>,
    /// Refuse to touch the network (`--offline`, `MUSLBUILD_OFFLINE=1`).
    pub(crate) offline: bool,
    /// Connect timeout, and the longest a read may wait for a byte.
    pub(crate) timeout: Duration,
    /// Attempts per URL after the first.
    pub(crate) retries: u32,
    pub(crate) max_redirects: u32,
    /// Draw a progress bar (only when stderr is a terminal).
    pub(crate) progress: bool,
    /// The most bytes a file of unknown size may have (a manifest entry's `max-size`):
    /// an endless body stops here instead of filling the disk.
    pub(crate) max_size: u64,
    /// `--remote-cache-required`: a remote cache that cannot be used is an error, not a
    /// warning.
    pub(crate) remote_cache_required: bool,
}

/// `max_size` when nothing else is said: larger than any toolchain archive.
pub(crate) const DEFAULT_MAX_SIZE: u64 = 512 << 20;

impl Default for NetSettings {
    fn default() -> NetSettings {
        NetSettings {
            mirrors: Vec::new(),
            offline: false,
            timeout: Duration::from_secs(30),
            retries: 4,
            max_redirects: 8,
            progress: false,
            max_size: DEFAULT_MAX_SIZE,
            remote_cache_required: false,
        }
    }
}

impl NetSettings {
    pub(crate) fn from_env(env: &Env) -> NetSettings {
        let default = NetSettings::default();
        NetSettings {
            mirrors: env.mirrors(),
            offline: env.offline(),
            timeout: env.http_timeout().unwrap_or(default.timeout),
            retries: env.http_retries().unwrap_or(default.retries),
            max_redirects: default.max_redirects,
            progress: std::io::stderr().is_terminal(),
            max_size: default.max_size,
            remote_cache_required: false,
        }
    }
}

/// Downloads `urls` (mirrors first, then the file's own) to `dest`, which appears by
/// rename only once its sha256 (and size, when known) match. Returns the URL the bytes
/// came from (a mirror's, when a mirror served them), `None` when `dest` was already there.
pub(crate) fn fetch_verified(
    settings: &NetSettings,
    ui: Ui,
    urls: &[String],
    expected: &Expected<'_>,
    dest: &Path,
) -> Result<Option<String>> {
    let want = expected.sha256.to_ascii_lowercase();
    if !crate::sys::hash::is_sha256_hex(&want) {
        return Err(Error::usage(
            format!("`{}` is not a sha256 (64 hex digits)", expected.sha256),
            "give the file's sha256 as printed by `sha256sum`",
        ));
    }
    let name = file_name(dest);
    let dir = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(Error::io("cannot create the download directory", dir))?;

    // Two processes fetching the same file: the second waits, then finds it in place.
    let lock_path = with_suffix(dest, ".lock");
    let lock =
        File::create(&lock_path).map_err(Error::io("cannot create the lock file", &lock_path))?;
    lock.lock().map_err(Error::io("cannot lock", &lock_path))?;

    if dest.is_file() {
        if sha256_file(dest)? == want {
            return Ok(None);
        }
        std::fs::remove_file(dest).map_err(Error::io("cannot remove the stale download", dest))?;
    }
    let candidates = candidate_urls(urls, &settings.mirrors);
    if settings.offline {
        return Err(Error::Offline {
            what: format!("`{name}`"),
            help: format!(
                "run once without --offline / MUSLBUILD_OFFLINE to fetch it from {}, or put the file (sha256 {want}) at {}",
                candidates.first().map(String::as_str).unwrap_or("its URL"),
                dest.display()
            ),
        });
    }
    if candidates.is_empty() {
        return Err(Error::Download {
            url: name,
            reason: "no URL to fetch it from".into(),
            help: "add a URL or a mirror".into(),
        });
    }

    let part = with_suffix(dest, ".part");
    let agent = agent(settings);
    let mut errors = Vec::new();
    for url in &candidates {
        match fetch_one(&agent, url, &want, expected.size, &part, settings, ui) {
            Ok(()) => {
                std::fs::rename(&part, dest)
                    .map_err(Error::io("cannot move the download into place", dest))?;
                return Ok(Some(url.clone()));
            }
            Err(err) => {
                if candidates.len() > 1 {
                    ui.status(&err);
                }
                errors.push(err);
            }
        }
    }
    Err(report_failures(errors))
}

/// One error for every URL that failed: a checksum mismatch first (someone served bytes
/// that are not the file), else the first URL tried (a mirror, when one is set), each
/// failure named with its own URL.
fn report_failures(mut errors: Vec<Error>) -> Error {
    let pos = errors
        .iter()
        .position(|e| matches!(e, Error::ChecksumMismatch { .. }))
        .unwrap_or(0);
    let main = errors.remove(pos);
    if errors.is_empty() {
        return main;
    }
    let others: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    match main {
        Error::Download { url, reason, help } => Error::Download {
            url,
            reason: format!("{reason}; also {}", others.join("; ")),
            help,
        },
        other => other,
    }
}

/// The mirrors' URLs for each file (`<mirror>/<file name>`), then the file's own URLs.
pub(crate) fn candidate_urls(urls: &[String], mirrors: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for mirror in mirrors {
        for url in urls {
            if let Some(name) = url.rsplit('/').next().filter(|n| !n.is_empty()) {
                let candidate = format!("{}/{name}", mirror.trim_end_matches('/'));
                if !out.contains(&candidate) {
                    out.push(candidate);
                }
            }
        }
    }
    for url in urls {
        if !out.contains(url) {
            out.push(url.clone());
        }
    }
    out
}

fn agent(settings: &NetSettings) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(settings.max_redirects)
        .timeout_connect(Some(settings.timeout))
        .timeout_per_read(Some(settings.timeout))
        .user_agent(concat!("muslbuild/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

/// Why one attempt failed: worth another try (the partial file is kept for a resume), or
/// not.
enum Failure {
    Retry(String),
    Fatal(Error),
}

fn fetch_one(
    agent: &ureq::Agent,
    url: &str,
    want: &str,
    size: Option<u64>,
    part: &Path,
    settings: &NetSettings,
    ui: Ui,
) -> Result<()> {
    let mut attempt = 0;
    loop {
        match attempt_once(agent, url, want, size, part, settings, ui) {
            Ok(()) => return Ok(()),
            Err(Failure::Fatal(err)) => return Err(err),
            Err(Failure::Retry(reason)) if attempt < settings.retries => {
                let delay =
                    Duration::from_millis(250u64 << attempt.min(5)).min(Duration::from_secs(8));
                ui.status(format_args!(
                    "{url}: {reason}; retrying in {:.1}s",
                    delay.as_secs_f64()
                ));
                std::thread::sleep(delay);
                attempt += 1;
            }
            Err(Failure::Retry(reason)) => {
                return Err(Error::Download {
                    url: url.to_string(),
                    reason: format!("{reason} (gave up after {} attempts)", attempt + 1),
                    help: "check the network or the server; set MUSLBUILD_MIRROR=URL to fetch from a mirror, or rerun later (a partial download is resumed)".into(),
                });
            }
        }
    }
}

/// One file's transfer: where it comes from, where it goes, how big it may be.
struct Transfer<'a> {
    url: &'a str,
    part: &'a Path,
    /// The size the manifest lists, when it lists one.
    size: Option<u64>,
    /// The most bytes the file may have: its size, or the settings' cap.
    limit: u64,
    settings: &'a NetSettings,
}

impl Transfer<'_> {
    fn io_fatal(&self, what: &'static str) -> impl Fn(std::io::Error) -> Failure + use<> {
        let path = self.part.to_path_buf();
        move |e: std::io::Error| Failure::Fatal(Error::io(what, path.clone())(e))
    }

    /// The partial file, and how much of it a resume may keep (nothing past the limit).
    fn open_part(&self) -> Result<(File, u64), Failure> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.part)
            .map_err(self.io_fatal("cannot write"))?;
        let mut have = file.metadata().map_err(self.io_fatal("cannot read"))?.len();
        if have > self.limit {
            file.set_len(0).map_err(self.io_fatal("cannot write"))?;
            have = 0;
        }
        Ok((file, have))
    }

    /// Where the body starts in the file, from the answer to a request that asked for
    /// the bytes from `have` on: 0 for a whole file, `have` for the range asked.
    fn resume_point(
        &self,
        response: &ureq::http::Response<ureq::Body>,
        have: u64,
        file: &mut File,
    ) -> Result<u64, Failure> {
        let status = response.status().as_u16();
        match status {
            200 => Ok(0),
            206 => match content_range_start(
                response
                    .headers()
                    .get("content-range")
                    .and_then(|v| v.to_str().ok()),
            ) {
                Some(start) if start == have => Ok(have),
                _ => {
                    file.set_len(0).map_err(self.io_fatal("cannot write"))?;
                    Err(Failure::Retry(
                        "the server answered the range request with another range".into(),
                    ))
                }
            },
            416 => {
                file.set_len(0).map_err(self.io_fatal("cannot write"))?;
                Err(Failure::Retry(
                    "the server refused to resume the partial download".into(),
                ))
            }
            408 | 429 | 500..=599 => Err(Failure::Retry(format!("HTTP {status}"))),
            _ => Err(Failure::Fatal(Error::Download {
                url: self.url.to_string(),
                reason: format!("HTTP {status}{}", response.status().canonical_reason().map(|r| format!(" {r}")).unwrap_or_default()),
                help: "check the URL; set MUSLBUILD_MIRROR=URL to fetch from a mirror that has the file".into(),
            })),
        }
    }

    /// The hash of the first `start` bytes already on disk (a resume), the rest of the
    /// file cut; the file positioned at `start`.
    fn keep_first(&self, file: &mut File, start: u64) -> Result<Sha256, Failure> {
        let mut hasher = Sha256::new();
        if start > 0 {
            file.seek(SeekFrom::Start(0))
                .map_err(self.io_fatal("cannot read"))?;
            let mut reader = (&mut *file).take(start);
            std::io::copy(&mut reader, &mut hasher).map_err(self.io_fatal("cannot read"))?;
        } else {
            file.set_len(0).map_err(self.io_fatal("cannot write"))?;
        }
        file.seek(SeekFrom::Start(start))
            .map_err(self.io_fatal("cannot write"))?;
        Ok(hasher)
    }

    /// Copies the body into the file after `start`, hashed on the way; the bytes now in
    /// the file. A broken transfer is worth a retry; a body past the limit is not.
    fn copy_body(
        &self,
        mut body: impl Read,
        mut file: File,
        pipe: &HashPipe,
        start: u64,
        bar: Option<&indicatif::ProgressBar>,
    ) -> Result<u64, Failure> {
        let mut written = start;
        loop {
            let mut buf = pipe.buffer();
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = file.sync_data();
                    if let Some(bar) = bar {
                        bar.abandon();
                    }
                    let timed_out = e.kind() == std::io::ErrorKind::TimedOut
                        || e.to_string().contains("timeout");
                    return Err(Failure::Retry(if timed_out {
                        format!(
                            "timed out: no data for {:.1}s after {written} bytes",
                            self.settings.timeout.as_secs_f64()
                        )
                    } else {
                        format!("the transfer broke off after {written} bytes: {e}")
                    }));
                }
            };
            if written + n as u64 > self.limit {
                drop(file);
                let _ = std::fs::remove_file(self.part);
                return Err(Failure::Fatal(self.too_big()));
            }
            buf.truncate(n);
            file.write_all(&buf)
                .map_err(self.io_fatal("cannot write"))?;
            pipe.push(buf);
            written += n as u64;
            if let Some(bar) = bar {
                bar.set_position(written);
            }
        }
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        if let Some(size) = self.size.filter(|&size| written < size) {
            return Err(Failure::Retry(format!(
                "the body ended after {written} of {size} bytes"
            )));
        }
        file.sync_all().map_err(self.io_fatal("cannot write"))?;
        Ok(written)
    }

    fn too_big(&self) -> Error {
        let limit = self.limit;
        Error::Download {
            url: self.url.to_string(),
            reason: match self.size {
                Some(size) => format!("the server sent more than the expected {size} bytes"),
                None => format!(
                    "the server sent more than {limit} bytes, the most a file of unknown size may have"
                ),
            },
            help: match self.size {
                Some(_) => "the file on the server is not the one the manifest lists; use another mirror".into(),
                None => "give the manifest entry its `size`, or raise its `max-size` (docs/toolchains.md)".into(),
            },
        }
    }
}

fn attempt_once(
    agent: &ureq::Agent,
    url: &str,
    want: &str,
    size: Option<u64>,
    part: &Path,
    settings: &NetSettings,
    ui: Ui,
) -> Result<(), Failure> {
    let transfer = Transfer {
        url,
        part,
        size,
        limit: size.unwrap_or(settings.max_size),
        settings,
    };
    let (mut file, have) = transfer.open_part()?;
    let mut request = agent.get(url);
    if have > 0 {
        request = request.header("Range", format!("bytes={have}-"));
    }
    let response = request.call().map_err(|e| classify(url, e))?;
    let start = transfer.resume_point(&response, have, &mut file)?;
    let started = std::time::Instant::now();
    let hasher = transfer.keep_first(&mut file, start)?;
    let total = size.or_else(|| response.body().content_length().map(|n| n + start));
    let bar = progress_bar(settings, ui, url, total, start);
    let pipe = HashPipe::new(hasher);
    let body = response.into_body().into_reader();
    let written = transfer.copy_body(body, file, &pipe, start, bar.as_ref())?;
    let actual = pipe.finish().finish_hex();
    if actual != want {
        let _ = std::fs::remove_file(part);
        return Err(Failure::Fatal(Error::ChecksumMismatch {
            url: url.to_string(),
            expected: want.to_string(),
            actual,
        }));
    }
    let secs = started.elapsed().as_secs_f64().max(1e-6);
    let mb = (written - start) as f64 / 1e6;
    ui.status(format_args!(
        "downloaded {mb:.1} MB in {secs:.2}s ({:.0} MB/s), sha256 verified",
        mb / secs
    ));
    Ok(())
}

fn classify(url: &str, err: ureq::Error) -> Failure {
    match err {
        ureq::Error::Timeout(what) => Failure::Retry(format!("timed out ({what})")),
        // A name that does not resolve will not resolve in a second either: with no
        // network, retrying only delays the error that names the offline way out.
        ureq::Error::Io(e) if is_name_resolution(&e) => no_such_host(url, e.to_string()),
        ureq::Error::HostNotFound => no_such_host(url, "host not found".into()),
        ureq::Error::Io(e) => Failure::Retry(e.to_string()),
        ureq::Error::ConnectionFailed => Failure::Retry("connection failed".into()),
        ureq::Error::Protocol(e) => Failure::Retry(format!("protocol error: {e}")),
        other => Failure::Fatal(Error::Download {
            url: url.to_string(),
            reason: other.to_string(),
            help: "check the URL; set MUSLBUILD_MIRROR=URL to fetch from a mirror".into(),
        }),
    }
}

/// std reports a failed `getaddrinfo` with this fixed prefix (and no `ErrorKind`).
fn is_name_resolution(e: &std::io::Error) -> bool {
    e.to_string()
        .contains("failed to lookup address information")
}

fn no_such_host(url: &str, reason: String) -> Failure {
    Failure::Fatal(Error::Download {
        url: url.to_string(),
        reason: format!("{reason} (no name resolution: is there a network?)"),
        help: "check the network, or build offline (--offline) from local files".into(),
    })
}

/// `bytes 100-199/200` -> 100.
fn content_range_start(value: Option<&str>) -> Option<u64> {
    let range = value?.trim().strip_prefix("bytes ")?;
    range.split('-').next()?.trim().parse().ok()
}

fn progress_bar(
    settings: &NetSettings,
    ui: Ui,
    url: &str,
    total: Option<u64>,
    start: u64,
) -> Option<indicatif::ProgressBar> {
    if ui.says_progress() {
        let size = total
            .map(|t| format!(" ({:.1} MB)", t as f64 / 1e6))
            .unwrap_or_default();
        let resume = if start > 0 {
            format!(", resuming at {start} bytes")
        } else {
            String::new()
        };
        ui.status(format_args!("downloading {url}{size}{resume}"));
    }
    if !settings.progress || !ui.says_progress() {
        return None;
    }
    let bar = match total {
        Some(total) => indicatif::ProgressBar::new(total),
        None => indicatif::ProgressBar::no_length(),
    };
    let style = indicatif::ProgressStyle::with_template(
        "  {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar.set_position(start);
    Some(bar)
}

use crate::sys::hash::Hasher as Sha256;

const CHUNK: usize = 256 * 1024;

/// Hashes on a second thread, so that receiving, writing and hashing overlap: on a fast
/// link SHA-256 is the slowest of the three. Buffers come back for reuse.
struct HashPipe {
    chunks: std::sync::mpsc::SyncSender<Vec<u8>>,
    spare: std::sync::mpsc::Receiver<Vec<u8>>,
    thread: std::thread::JoinHandle<Sha256>,
}

impl HashPipe {
    fn new(mut hasher: Sha256) -> HashPipe {
        let (chunks, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(8);
        let (back, spare) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            for chunk in rx {
                hasher.update(&chunk);
                let _ = back.send(chunk);
            }
            hasher
        });
        HashPipe {
            chunks,
            spare,
            thread,
        }
    }

    fn buffer(&self) -> Vec<u8> {
        let mut buf = self.spare.try_recv().unwrap_or_default();
        buf.resize(CHUNK, 0);
        buf
    }

    fn push(&self, chunk: Vec<u8>) {
        // The thread only stops when `chunks` is dropped.
        let _ = self.chunks.send(chunk);
    }

    fn finish(self) -> Sha256 {
        drop(self.chunks);
        self.thread
            .join()
            .expect("the hashing thread does not panic")
    }
}

/// The sha256 of a file, read in large chunks.
pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    crate::sys::hash::file_sha256(path).map_err(Error::io("cannot read", path))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirrors_come_first_with_the_file_name() {
        let urls = vec!["https://ziglang.org/download/0.1/zig.tar.xz".to_string()];
        let got = candidate_urls(&urls, &["http://127.0.0.1:9/m/".to_string()]);
        assert_eq!(
            got,
            vec![
                "http://127.0.0.1:9/m/zig.tar.xz".to_string(),
                urls[0].clone()
            ]
        );
    }

    #[test]
    fn a_name_that_does_not_resolve_is_not_retried() {
        let url = "https://zlib.net/zlib.tar.gz";
        let dns = std::io::Error::other(
            "failed to lookup address information: Temporary failure in name resolution",
        );
        for err in [ureq::Error::HostNotFound, ureq::Error::Io(dns)] {
            match classify(url, err) {
                Failure::Fatal(Error::Download { reason, .. }) => {
                    assert!(reason.contains("is there a network"), "{reason}")
                }
                Failure::Fatal(other) => panic!("unexpected {other:?}"),
                Failure::Retry(reason) => panic!("retried: {reason}"),
            }
        }
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert!(matches!(
            classify(url, ureq::Error::Io(reset)),
            Failure::Retry(_)
        ));
    }

    #[test]
    fn content_range_parses() {
        assert_eq!(content_range_start(Some("bytes 100-199/200")), Some(100));
        assert_eq!(content_range_start(Some("bytes */200")), None);
        assert_eq!(content_range_start(None), None);
    }

    #[test]
    fn bad_hash_is_a_usage_error_before_any_io() {
        let dir = tempfile::tempdir().unwrap();
        let err = fetch_verified(
            &NetSettings::default(),
            Ui::default(),
            &[],
            &Expected {
                sha256: "xyz",
                size: None,
            },
            &dir.path().join("f"),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Usage(..)));
    }

    #[test]
    fn offline_refuses_and_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let settings = NetSettings {
            offline: true,
            ..NetSettings::default()
        };
        let err = fetch_verified(
            &settings,
            Ui::default(),
            &["http://127.0.0.1:9/f.tgz".into()],
            &Expected {
                sha256: &"a".repeat(64),
                size: None,
            },
            &dir.path().join("f.tgz"),
        )
        .unwrap_err();
        assert!(matches!(err, Error::Offline { .. }), "{err:?}");
        assert_eq!(err.exit_code(), crate::error::exit::DOWNLOAD);
    }
}
