//! `cargo xtask bench libs [TARGETS]`: every built-in library recipe for every target
//! (or the comma-separated TARGETS), with zig, from Debian's source packages, each
//! (target, recipe) cold in a cache of its own target (zig's own cache stays warm): wall
//! and CPU time and the bytes of its static archives. Then the programs of
//! tests/recipes linking them, built for the target and run (under qemu off x86_64): the
//! compression round trip, the XML parse, the regex, the event timer, the SQL query and
//! a TLS handshake against a loopback `openssl s_server`. A failure is a row saying so;
//! the run goes on.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};

use xshell::cmd;

use super::{Bench, checked};
use crate::Result;
use crate::measure::time;

/// The recipes in the order they are built, with zlib (which the TLS client and the
/// compression program also link).
const RECIPES: [&str; 9] = [
    "zlib", "bzip2", "xz", "zstd", "expat", "pcre2", "libevent", "sqlite", "openssl",
];

const TARGETS: [(&str, &str); 11] = [
    ("x86_64", ""),
    ("aarch64", "qemu-aarch64-static"),
    ("armv7", "qemu-arm-static"),
    ("i386", "qemu-i386-static"),
    ("armv5", "qemu-arm-static"),
    ("armv6", "qemu-arm-static"),
    ("riscv64", "qemu-riscv64-static"),
    ("ppc64le", "qemu-ppc64le-static"),
    ("s390x", "qemu-s390x-static"),
    ("mips64el", "qemu-mips64el-static"),
    ("loongarch64", "qemu-loongarch64-static"),
];

/// (program, its sources, the libraries it links, what a good run prints)
const PROGRAMS: [(&str, &str, &str, &str); 6] = [
    (
        "compress",
        "compress.c",
        "\"zlib\", \"bzip2\", \"xz\", \"zstd\"",
        "zstd: 100000",
    ),
    ("xml", "xml.c", "\"expat\"", "malformed refused=1"),
    ("regex", "regex.c", "\"pcre2\"", "posix=yes"),
    ("timer", "timer.c", "\"libevent\"", "timer fired 3 times"),
    ("sql", "sql.c", "\"sqlite\"", "threadsafe=1"),
    (
        "tls-client",
        "tls_client.c",
        "\"openssl\", \"zlib\"",
        "slt revo olleh",
    ),
];

pub fn run(b: &Bench, args: &[String]) -> Result {
    let sources = b.sources()?;
    let wanted: Vec<&str> = match args.first() {
        Some(list) => list.split(',').collect(),
        None => TARGETS.iter().map(|t| t.0).collect(),
    };
    let work = b.root.join("target/tmp/bench-libs");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let certs = certificates(b, &work)?;
    let _env = [
        b.sh.push_env("MUSLBUILD_OFFLINE", "1"),
        b.sh.push_env("MUSLBUILD_SOURCE_DIRS", &sources),
    ];
    println!("built-in recipes with zig, each cold (-j2); .a = bytes of its static archives");
    println!(
        "  {:<12} {:<9} {:>8} {:>8} {:>11}",
        "target", "recipe", "wall s", "cpu s", ".a bytes"
    );
    for (target, qemu) in TARGETS.iter().filter(|t| wanted.contains(&t.0)) {
        let cell = work.join(target);
        let home = cell.join("home");
        let _home = b.sh.push_env("MUSLBUILD_HOME", &home);
        let mut built = Vec::new();
        let (mut wall, mut cpu) = (0.0, 0.0);
        for recipe in RECIPES {
            let (result, sample) = time(|| {
                b.muslbuild(
                    &work,
                    &[
                        "lib",
                        "build",
                        recipe,
                        "--toolchain",
                        "zig",
                        "-t",
                        target,
                        "-j2",
                        "--json",
                    ],
                )
            });
            let row = match result.and_then(|json| archive_bytes(&json)) {
                Ok(bytes) => {
                    built.push(recipe);
                    wall += sample.wall;
                    cpu += sample.cpu;
                    format!("{:>8.1} {:>8.1} {bytes:>11}", sample.wall, sample.cpu)
                }
                Err(e) => format!("FAILED after {:.1} s: {}", sample.wall, first_line(&e)),
            };
            println!("  {target:<12} {recipe:<9} {row}");
        }
        println!(
            "  {target:<12} {:<9} {wall:>8.1} {cpu:>8.1}   ({} of {} recipes built)",
            "all",
            built.len(),
            RECIPES.len()
        );
        for (program, source, libs, expected) in PROGRAMS {
            let runs = libs
                .split(", ")
                .all(|l| built.contains(&l.trim_matches('"')));
            let result = if runs {
                program_row(
                    b,
                    &cell,
                    target,
                    qemu,
                    &certs,
                    (program, source, libs, expected),
                )
            } else {
                "not built: a library it links failed".to_string()
            };
            println!("  {target:<12} {program:<11} {result}");
        }
    }
    Ok(())
}

/// Builds one program of tests/recipes for `target` with the cached libraries, runs it
/// and says what came of it (its size, or how it failed).
fn program_row(
    b: &Bench,
    cell: &Path,
    target: &str,
    qemu: &str,
    certs: &Certificates,
    (program, source, libs, expected): (&str, &str, &str, &str),
) -> String {
    let project = cell.join(program);
    let made = (|| -> Result<std::path::PathBuf> {
        std::fs::create_dir_all(&project)?;
        std::fs::copy(
            b.root.join("tests/recipes").join(source),
            project.join(source),
        )?;
        std::fs::write(
            project.join("muslbuild.toml"),
            format!(
                "[project]\ntargets = [\"{target}\"]\ntoolchain = \"zig\"\n\n[c.{program}]\nsources = [\"{source}\"]\nlibs = [{libs}]\n"
            ),
        )?;
        b.muslbuild(&project, &["build", "-j2"])?;
        Ok(project.join("dist").join(target).join(program))
    })();
    let binary = match made {
        Ok(binary) => binary,
        Err(e) => return format!("build FAILED: {}", first_line(&e)),
    };
    let size = std::fs::metadata(&binary).map(|m| m.len()).unwrap_or(0);
    let said = if program == "tls-client" {
        handshake(qemu, &binary, certs)
    } else {
        let mut command = runner(qemu, &binary);
        command
            .env_clear()
            .output()
            .map_err(|e| e.to_string())
            .and_then(|o| {
                if o.status.success() {
                    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
                } else {
                    Err(format!(
                        "{}: {}",
                        o.status,
                        String::from_utf8_lossy(&o.stderr)
                    ))
                }
            })
    };
    match said {
        Ok(text) if text.contains(expected) => {
            format!(
                "{size:>9} B  ran: {}",
                text.lines().last().unwrap_or_default()
            )
        }
        Ok(text) => format!("{size:>9} B  ran, WRONG output: {}", first_line(&text)),
        Err(e) => format!("{size:>9} B  run FAILED: {}", first_line(&e)),
    }
}

fn runner(qemu: &str, binary: &Path) -> Command {
    if qemu.is_empty() {
        Command::new(binary)
    } else {
        let mut command = Command::new(qemu);
        command.arg(binary);
        command
    }
}

struct Certificates {
    ca: std::path::PathBuf,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
}

/// A CA and a `localhost` certificate it signs, made with the machine's openssl.
fn certificates(b: &Bench, work: &Path) -> Result<Certificates> {
    let _dir = b.sh.push_dir(work);
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    checked(cmd!(
        b.sh,
        "openssl req -x509 {ec...} -keyout ca.key -out ca.pem -days 2 -subj /CN=bench-CA"
    ))?;
    checked(cmd!(
        b.sh,
        "openssl req {ec...} -keyout server.key -out server.csr -subj /CN=localhost"
    ))?;
    std::fs::write(work.join("san.ext"), "subjectAltName=DNS:localhost\n")?;
    checked(cmd!(
        b.sh,
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext"
    ))?;
    Ok(Certificates {
        ca: work.join("ca.pem"),
        cert: work.join("server.pem"),
        key: work.join("server.key"),
    })
}

/// The TLS client against a loopback `openssl s_server -rev`, the CA given the way a
/// user of a machine without it at the default path would: `SSL_CERT_FILE`.
fn handshake(
    qemu: &str,
    client: &Path,
    certs: &Certificates,
) -> std::result::Result<String, String> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut server = Command::new("openssl")
        .args(["s_server", "-rev", "-naccept", "1", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(&certs.cert)
        .arg("-key")
        .arg(&certs.key)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("openssl s_server: {e}"))?;
    // s_server listens within a few ms; the client retries its connect for a second.
    let mut outcome = Err("no attempt".to_string());
    for _ in 0..20 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let output = runner(qemu, client)
            .env_clear()
            .env("SSL_CERT_FILE", &certs.ca)
            .args([port.to_string().as_str(), "localhost"])
            .output()
            .map_err(|e| e.to_string())?;
        let err = String::from_utf8_lossy(&output.stderr).into_owned();
        outcome = if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(err.clone())
        };
        if !err.contains("tls_client: connect") {
            break;
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    outcome
}

/// The bytes of the `.a` files in the prefix `lib build --json` reports.
fn archive_bytes(json: &str) -> Result<u64> {
    let report: serde_json::Value = serde_json::from_str(json)?;
    let prefix = report
        .as_array()
        .and_then(|l| l.last())
        .and_then(|l| l["prefix"].as_str())
        .ok_or_else(|| format!("no library prefix in {report}"))?;
    let mut bytes = 0;
    for entry in std::fs::read_dir(Path::new(prefix).join("lib"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "a") && !path.is_symlink() {
            bytes += std::fs::metadata(&path)?.len();
        }
    }
    Ok(bytes)
}

fn first_line(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    text.lines()
        .find(|l| l.contains("error") || l.contains("FAILED"))
        .or_else(|| text.lines().next())
        .unwrap_or_default()
        .to_string()
}
