//! `muslbuild toolchain install` (download + sha256 + unpack + publish) of a
//! musl-cross-style archive from a loopback server, against `curl` alone, `curl` +
//! `sha256sum`, and `curl` + `sha256sum` + `tar x` (the same work by hand); then a build
//! with the toolchain installed and MUSLBUILD_OFFLINE=1 (the server stopped).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use xshell::cmd;

use super::{Bench, count_arg};
use crate::Result;
use crate::measure::{Series, ratio, time};

const RUNS: usize = 3;
const ROOT: &str = "aarch64-linux-musl-cross";

pub fn run(b: &Bench, args: &[String]) -> Result {
    let size_mb = count_arg(args, 256)?;
    let work = b.sh.create_temp_dir()?;
    let archive = make_archive(b, work.path(), size_mb)?;
    let sha = cmd!(b.sh, "sha256sum {archive}").quiet().read()?;
    let sha = sha
        .split_whitespace()
        .next()
        .ok_or("no sha256sum output")?
        .to_string();
    let bytes = std::fs::metadata(&archive)?.len();
    let server = serve(archive.clone())?;
    let url = format!("http://{}/{ROOT}.tgz", server.addr);
    let host = cmd!(b.sh, "uname -m").quiet().read()?;
    let manifest = work.path().join("manifest.toml");
    std::fs::write(
        &manifest,
        format!(
            "[[toolchain]]\nname = \"musl-cross-bench-aarch64\"\nprovider = \"musl-cross\"\nversion = \"bench\"\n\
             host = \"{host}\"\ntargets = [\"aarch64\"]\nurls = [\"{url}\"]\nsha256 = \"{sha}\"\nsize = {bytes}\n\
             format = \"tar.gz\"\nroot = \"{ROOT}\"\nprefix = \"aarch64-linux-musl\"\n"
        ),
    )?;
    let fetched = work.path().join("curl.out");
    let checked = format!("{sha}  {}\n", fetched.display());
    let manual = work.path().join("manual");
    let home = work.path().join("home");
    let muslbuild = &b.muslbuild;
    let (mut curl, mut curl_sha, mut by_hand, mut download, mut install) = (
        Series::default(),
        Series::default(),
        Series::default(),
        Vec::new(),
        Series::default(),
    );
    for _ in 0..RUNS {
        let (result, sample) = time(|| cmd!(b.sh, "curl -sf -o {fetched} {url}").quiet().run());
        result?;
        curl.push(sample);
        let (result, sample) = time(|| -> xshell::Result<()> {
            cmd!(b.sh, "curl -sf -o {fetched} {url}").quiet().run()?;
            cmd!(b.sh, "sha256sum -c --quiet")
                .stdin(&checked)
                .quiet()
                .run()
        });
        result?;
        curl_sha.push(sample);
        let _ = std::fs::remove_dir_all(&manual);
        std::fs::create_dir_all(&manual)?;
        let (result, sample) = time(|| -> xshell::Result<()> {
            cmd!(b.sh, "curl -sf -o {fetched} {url}").quiet().run()?;
            cmd!(b.sh, "sha256sum -c --quiet")
                .stdin(&checked)
                .quiet()
                .run()?;
            cmd!(b.sh, "tar -C {manual} -xzf {fetched}").quiet().run()
        });
        result?;
        by_hand.push(sample);
        let _ = std::fs::remove_dir_all(&home);
        let (result, sample) = time(|| {
            cmd!(
                b.sh,
                "{muslbuild} toolchain install aarch64 --provider musl-cross"
            )
            .env("MUSLBUILD_HOME", &home)
            .env("MUSLBUILD_MANIFEST", &manifest)
            .quiet()
            .ignore_stdout()
            .read_stderr()
        });
        install.push(sample);
        // muslbuild reports its download phase (fetch + inline sha256 + fsync) itself.
        download
            .push(download_seconds(&result?).ok_or("no `downloaded … in Ns` line from muslbuild")?);
    }
    let download = crate::measure::median(download);
    let mib = bytes as f64 / 1048576.0;
    let row = |what: &str, seconds: f64| {
        println!(
            "  {what:<32} {seconds:>6.2} s  {:>7.1} MiB/s",
            mib / seconds
        )
    };
    println!("archive: {mib:.0} MiB over 127.0.0.1 (median of {RUNS})");
    row("curl download only", curl.wall());
    row("curl + sha256sum", curl_sha.wall());
    row("muslbuild download (+ sha256)", download);
    row("curl + sha256sum + tar x", by_hand.wall());
    row("muslbuild toolchain install", install.wall());
    println!(
        "  speed muslbuild download / curl download:          {}",
        ratio(curl.wall(), download)
    );
    println!(
        "  speed muslbuild download / curl + sha256sum:       {}",
        ratio(curl_sha.wall(), download)
    );
    println!(
        "  speed muslbuild install  / curl + sha256sum + tar: {}",
        ratio(by_hand.wall(), install.wall())
    );

    drop(server);
    let out = work.path().join("dist");
    let hello = b.example("hello.c");
    let offline_build = || {
        cmd!(
            b.sh,
            "{muslbuild} -q --toolchain musl-cross --target aarch64 --out-dir {out} {hello}"
        )
        .env("MUSLBUILD_HOME", &home)
        .env("MUSLBUILD_OFFLINE", "1")
        .quiet()
        .run()
    };
    let (result, first) = time(offline_build);
    result?;
    let (result, second) = time(offline_build);
    result?;
    println!(
        "offline build of examples/hello.c for aarch64 (server stopped, MUSLBUILD_OFFLINE=1):"
    );
    println!(
        "  first (probes the toolchain) {:.3} s, second {:.3} s",
        first.wall, second.wall
    );
    Ok(())
}

/// A musl-cross-style set: wrappers around the GNU cross gcc with musl's specs, plus
/// incompressible payload so the archive has a realistic size.
fn make_archive(b: &Bench, work: &Path, size_mb: usize) -> Result<PathBuf> {
    let bin = work.join("src").join(ROOT).join("bin");
    std::fs::create_dir_all(&bin)?;
    let gnu = |tool: &str| -> Result<String> {
        Ok(cmd!(b.sh, "which aarch64-linux-gnu-{tool}")
            .quiet()
            .read()?)
    };
    let wrapper = |name: &str, body: String| -> Result {
        use std::os::unix::fs::PermissionsExt;
        let path = bin.join(format!("aarch64-linux-musl-{name}"));
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n"))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        Ok(())
    };
    wrapper(
        "gcc",
        format!(
            "exec {} -specs /usr/lib/aarch64-linux-musl/musl-gcc.specs \"$@\"",
            gnu("gcc")?
        ),
    )?;
    for tool in ["ar", "ranlib", "strip"] {
        wrapper(tool, format!("exec {} \"$@\"", gnu(tool)?))?;
    }
    let share = work.join("src").join(ROOT).join("share");
    std::fs::create_dir_all(&share)?;
    let mut payload = vec![0u8; size_mb * 1024 * 1024];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut payload)?;
    std::fs::write(share.join("payload.bin"), payload)?;
    let archive = work.join(format!("{ROOT}.tgz"));
    let src = work.join("src");
    cmd!(b.sh, "tar -C {src} -I 'gzip -1' -cf {archive} {ROOT}")
        .quiet()
        .run()?;
    Ok(archive)
}

fn download_seconds(stderr: &str) -> Option<f64> {
    let line = stderr.lines().find(|l| l.contains("downloaded "))?;
    let after = line.split(" in ").nth(1)?;
    after.split('s').next()?.trim().parse().ok()
}

/// One file over HTTP on 127.0.0.1, for as long as the value lives.
struct Server {
    addr: std::net::SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wakes the accept loop so it sees the stop.
        let _ = std::net::TcpStream::connect(self.addr);
    }
}

fn serve(file: PathBuf) -> Result<Server> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            if stopped.load(std::sync::atomic::Ordering::SeqCst) {
                break;
            }
            let Ok(mut stream) = stream else { continue };
            let file = file.clone();
            std::thread::spawn(move || -> std::io::Result<()> {
                // The whole request head, so closing after the body never resets it.
                let mut head = Vec::new();
                let mut chunk = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = stream.read(&mut chunk)?;
                    if n == 0 {
                        return Ok(());
                    }
                    head.extend_from_slice(&chunk[..n]);
                }
                let body = std::fs::read(&file)?;
                write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                    body.len()
                )?;
                stream.write_all(&body)
            });
        }
    });
    Ok(Server { addr, stop })
}
