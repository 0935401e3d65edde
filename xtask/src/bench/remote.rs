//! The shared remote cache and pushes, against Debian's `docker-registry` started here on
//! 127.0.0.1 with its own storage.
//!
//! - A cold build of the readline repl for three targets on a fresh machine (an empty
//!   `MUSLBUILD_HOME`) with a warm remote cache, against the same cold build without
//!   one. Goal: ratio <= 0.05.
//! - `image --push` of an unchanged image against its first push (a new repository each
//!   time, so nothing is there yet); `bench remote push` runs this part alone.
//! - `bench remote libc [TARGETS]`: hello with zig on a fresh machine (home, zig cache,
//!   zig copied anew to the same path) with a warm remote cache against without one:
//!   zig's per-target libc. Goal: ratio <= 0.1.
//! - `bench remote project [TARGETS]`: a project of every kind (two C programs, one of
//!   two files, a `[lib.NAME]`, a `[vendor.NAME]` linking it and readline) cold on
//!   machine B (another checkout path, a fresh home) with machine A's remote cache,
//!   against the same cold build without one. Goal: ratio <= 0.05.
//! - `bench remote tls [TARGETS]`: the same for tests/openssl (OpenSSL 3 as a
//!   `[lib.openssl]` with its assembler, a TLS client linking it).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Bench, count_arg};
use crate::Result;
use crate::measure::{Series, median, ratio, time};

/// `docker-registry serve` on a free port, killed on drop.
struct Registry {
    child: Child,
    port: u16,
}

impl Registry {
    fn start(dir: &Path) -> Result<Registry> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let config = dir.join("registry.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
                dir.join("storage").display()
            ),
        )?;
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("docker-registry (apt install docker-registry): {e}"))?;
        let registry = Registry { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("docker-registry did not start listening within 30 s".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(registry)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `bench remote [RUNS]`: both parts; `bench remote push`: the pushes only; `bench
/// remote libc [TARGETS]`: zig's per-target libc alone.
pub fn run(b: &Bench, args: &[String]) -> Result {
    let work = b.sh.create_temp_dir()?;
    let registry = Registry::start(work.path())?;
    let host = format!("127.0.0.1:{}", registry.port);
    let _offline = b.sh.push_env("MUSLBUILD_OFFLINE", "0");
    match args.first().map(String::as_str) {
        Some("push") => {}
        Some("libc") => return zig_libc(b, &args[1..], work.path(), &host),
        Some("project") => return project(b, &args[1..], work.path(), &host),
        Some("tls") => return tls(b, &args[1..], work.path(), &host),
        _ => cold_builds(b, args, work.path(), &host)?,
    }
    pushes(b, work.path(), &host)
}

/// hello for TARGETS (default all eleven) with zig on a fresh machine: a fresh
/// `MUSLBUILD_HOME`, a fresh zig cache, and zig copied anew to the same path (what a new
/// CI runner has: the same zig at the same place, every file with another inode and
/// mtime). Without a remote cache, zig builds each target's libc; then a machine fills
/// the remote (it builds each libc once more, into a zig cache of its own, and sends
/// it); then a fresh machine takes them. Goal: with / without <= 0.1.
fn zig_libc(b: &Bench, args: &[String], work: &Path, host: &str) -> Result {
    let targets = args.first().map_or("all", String::as_str);
    let package = xshell::cmd!(
        b.sh,
        "python3 -c 'import os, ziglang; print(os.path.dirname(ziglang.__file__))'"
    )
    .quiet()
    .read()
    .map_err(|e| format!("Python's ziglang package (pip install ziglang): {e}"))?;
    let remote = format!("oci://{host}/muslbuild-cache");
    let app = work.join("app");
    std::fs::create_dir_all(&app)?;
    std::fs::copy(b.example("hello.c"), app.join("hello.c"))?;
    let zig = work.join("zig");
    let path = std::env::join_paths(std::iter::once(zig.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))?;
    let _path = b.sh.push_env("PATH", &path);
    let machine = |name: &str, with_remote: bool| -> Result<crate::measure::Sample> {
        let _ = std::fs::remove_dir_all(&zig);
        xshell::cmd!(b.sh, "cp -r {package} {zig}").quiet().run()?;
        let _home =
            b.sh.push_env("MUSLBUILD_HOME", work.join(name).join("home"));
        let _zig_cache =
            b.sh.push_env("ZIG_GLOBAL_CACHE_DIR", work.join(name).join("zig-cache"));
        let _remote = with_remote.then(|| b.sh.push_env("MUSLBUILD_REMOTE_CACHE", &remote));
        // A source of its own per machine: the remote's build entries are not what is
        // measured here, zig's libc is.
        let define = format!("-DMACHINE_{name}");
        let out = work.join(name).join("dist");
        let out = out.to_string_lossy();
        let build = [
            "--toolchain",
            "zig",
            "--target",
            targets,
            "--out-dir",
            &out,
            &define,
            "hello.c",
        ];
        let (result, sample) = time(|| b.muslbuild(&app, &build));
        result?;
        Ok(sample)
    };
    println!(
        "zig's libc: hello for `{targets}`, each machine fresh (home, zig cache, zig copied anew to the same path)"
    );
    let without = machine("without", false)?;
    let fill = machine("fill", true)?;
    let with = machine("with", true)?;
    let sent: u64 = {
        let _remote = b.sh.push_env("MUSLBUILD_REMOTE_CACHE", &remote);
        let listed: serde_json::Value =
            serde_json::from_str(&b.muslbuild(work, &["cache", "ls", "--remote", "--json"])?)?;
        listed
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["tag"].as_str().is_some_and(|t| t.starts_with("zig-")))
            .filter_map(|e| e["size"].as_u64())
            .sum()
    };
    let row = |what: &str, s: crate::measure::Sample| {
        println!("  {what:<44} wall {:>8.1} s   CPU {:>8.1} s", s.wall, s.cpu)
    };
    row("without a remote cache", without);
    row("filling it (each libc built, sent)", fill);
    row("with a warm remote cache", with);
    println!(
        "  zig libc entries in the registry: {:.1} MiB compressed",
        sent as f64 / 1048576.0
    );
    println!(
        "with / without (goal <= 0.1): wall {}, CPU {}",
        ratio(with.wall, without.wall),
        ratio(with.cpu, without.cpu)
    );
    Ok(())
}

/// The project `bench remote project` builds, written into `dir` for `targets`.
fn write_project(dir: &Path, targets: &str) -> Result {
    let files: [(&str, String); 10] = [
        (
            "muslbuild.toml",
            format!(
                "[project]\ntargets = [{}]\ntoolchain = \"musl-gcc\"\n\n\
                 [c.hello]\nsources = [\"hello.c\"]\n\n\
                 [c.calc]\nsources = [\"calc/main.c\", \"calc/ops.c\"]\n\n\
                 [lib.greet]\npath = \"greet\"\nbuild = \"make\"\n\n\
                 [vendor.tool]\npath = \"tool\"\nbuild = \"make\"\nlibs = [\"greet\", \"readline\"]\nprograms = [\"tool\"]\n",
                targets
                    .split(',')
                    .map(|t| format!("\"{t}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        (
            "hello.c",
            "#include <stdio.h>\nint main(void) { puts(\"hi\"); return 0; }\n".into(),
        ),
        (
            "calc/main.c",
            "#include <stdio.h>\nint twice(int);\nint main(void) { printf(\"%d\\n\", twice(21)); return 0; }\n".into(),
        ),
        ("calc/ops.c", "int twice(int x) { return 2 * x; }\n".into()),
        (
            "greet/Makefile",
            "libgreet.a: greet.c greet.h\n\t$(CC) $(CFLAGS) -c greet.c -o greet.o && $(AR) rcs $@ greet.o\n\
             install: libgreet.a\n\tmkdir -p $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include\n\
             \tcp libgreet.a $(DESTDIR)$(PREFIX)/lib/ && cp greet.h $(DESTDIR)$(PREFIX)/include/\n".into(),
        ),
        ("greet/greet.h", "const char *greet(void);\n".into()),
        (
            "greet/greet.c",
            "const char *greet(void) { return \"hello\"; }\n".into(),
        ),
        (
            "tool/Makefile",
            "tool: main.o words.o\n\t$(CC) $(CFLAGS) $(LDFLAGS) -o tool main.o words.o $(LIBS)\n\
             main.o: main.c\n\t$(CC) $(CFLAGS) $(CPPFLAGS) -c main.c\n\
             words.o: words.c\n\t$(CC) $(CFLAGS) $(CPPFLAGS) -c words.c\n\
             install: tool\n\tmkdir -p $(DESTDIR)$(PREFIX)/bin && cp tool $(DESTDIR)$(PREFIX)/bin/\n".into(),
        ),
        (
            "tool/main.c",
            "#include <stdio.h>\n#include <greet.h>\n#include <readline/readline.h>\n\
             const char *word(void);\n\
             int main(void) { printf(\"%s %s %x\\n\", greet(), word(), rl_readline_version); return 0; }\n".into(),
        ),
        (
            "tool/words.c",
            "const char *word(void) { return \"one\"; }\n".into(),
        ),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().ok_or("a file has a folder")?)?;
        std::fs::write(path, text)?;
    }
    Ok(())
}

/// `bench remote project [TARGETS]`: the project cold without a remote cache (a fresh
/// home), then that machine (A) fills the registry, then machine B — the project copied
/// to another path, a fresh home — builds it cold with the registry. Goal: B / cold
/// <= 0.05.
fn project(b: &Bench, args: &[String], work: &Path, host: &str) -> Result {
    let targets = args.first().map_or("x86_64,aarch64,armv7", String::as_str);
    let a = work.join("a/src/proj");
    write_project(&a, targets)?;
    println!(
        "a project (2 C programs, a [lib.NAME], a [vendor.NAME] with it and readline) for `{targets}`, musl-gcc, -j2:"
    );
    two_machines(
        b,
        work,
        host,
        &[],
        targets,
        &["hello", "calc", "tool"],
        false,
    )
}

/// `bench remote tls [TARGETS]`: tests/openssl — OpenSSL 3 as a `[lib.openssl]` built
/// from Debian's sources with its assembler (zig), and a TLS client linking it — the same
/// way. x86_64's OpenSSL is configured with its CA folder under its prefix (a folder of
/// the cache, compiled into libcrypto.a), so B refuses that entry and builds it.
fn tls(b: &Bench, args: &[String], work: &Path, host: &str) -> Result {
    let targets = args.first().map_or("x86_64,aarch64,armv7", String::as_str);
    let archive = b.sources()?.join("openssl_3.0.17.orig.tar.gz");
    if !archive.is_file() {
        return Err(format!("{} is missing: run `cargo xtask setup`", archive.display()).into());
    }
    let a = work.join("a/src/proj");
    std::fs::create_dir_all(&a)?;
    for file in ["muslbuild.toml", "tls_client.c"] {
        std::fs::copy(b.root.join("tests/openssl").join(file), a.join(file))?;
    }
    xshell::cmd!(b.sh, "tar -xf {archive} -C {a}")
        .quiet()
        .run()?;
    println!("tests/openssl ([lib.openssl] 3.0.17 and a TLS client) for `{targets}`, zig, -j2:");
    // B only takes: a writable B whose probe finds no zig libc in the registry would
    // build one into a zig cache of its own to send it, which is not what is measured.
    let extra = ["--target", targets];
    two_machines(b, work, host, &extra, targets, &["tls-client"], true)
}

/// Machine A (`work/a/src/proj`, already written) builds cold without a remote cache,
/// then sends everything; machine B (a copy at another path, a fresh home) builds cold
/// with the remote (only taking from it with `b_read_only`). Prints both, with B's
/// artifacts compared to A's byte for byte.
fn two_machines(
    b: &Bench,
    work: &Path,
    host: &str,
    extra: &[&str],
    targets: &str,
    artifacts: &[&str],
    b_read_only: bool,
) -> Result {
    let sources = b.sources()?;
    let source_dir = sources.to_string_lossy().into_owned();
    let remote = format!("oci://{host}/muslbuild-cache");
    let a = work.join("a/src/proj");
    let mut build = vec!["build", "-j2", "--source-dir", &source_dir];
    build.extend_from_slice(extra);
    let home_a = work.join("a/home");
    let (result, without) = {
        let _home = b.sh.push_env("MUSLBUILD_HOME", &home_a);
        time(|| b.muslbuild(&a, &build))
    };
    result?;
    // Machine A, warm, fills the remote cache: what it has, it sends.
    let (result, fill) = {
        let _home = b.sh.push_env("MUSLBUILD_HOME", &home_a);
        let _remote = b.sh.push_env("MUSLBUILD_REMOTE_CACHE", &remote);
        time(|| b.muslbuild(&a, &build))
    };
    result?;
    let checkout_b = work.join("b/runner/work/checkout");
    std::fs::create_dir_all(work.join("b/runner/work"))?;
    xshell::cmd!(b.sh, "cp -r {a} {checkout_b}").quiet().run()?;
    std::fs::remove_dir_all(checkout_b.join("dist"))?;
    let (result, with) = {
        let _home = b.sh.push_env("MUSLBUILD_HOME", work.join("b/home"));
        let _remote = b.sh.push_env("MUSLBUILD_REMOTE_CACHE", &remote);
        let _read_only =
            b_read_only.then(|| b.sh.push_env("MUSLBUILD_REMOTE_CACHE_READ_ONLY", "1"));
        time(|| b.muslbuild(&checkout_b, &build))
    };
    result?;
    let mut same = 0;
    for target in targets.split(',') {
        for name in artifacts {
            let at = |root: &Path| std::fs::read(root.join("dist").join(target).join(name));
            if at(&a)? != at(&checkout_b)? {
                return Err(format!("{name} for {target} differs between A and B").into());
            }
            same += 1;
        }
    }
    let row = |what: &str, s: crate::measure::Sample| {
        println!("  {what:<48} wall {:>8.2} s   CPU {:>8.2} s", s.wall, s.cpu)
    };
    row("A cold, no remote cache (fresh home)", without);
    row("A warm, sending to the remote cache", fill);
    row("B cold (other checkout, fresh home), remote", with);
    println!("  {same} artifacts byte-identical on A and B");
    println!(
        "B with the remote / A cold without (goal <= 0.05): wall {}, CPU {}",
        ratio(with.wall, without.wall),
        ratio(with.cpu, without.cpu)
    );
    Ok(())
}

fn cold_builds(b: &Bench, args: &[String], work: &Path, host: &str) -> Result {
    let runs = count_arg(args, 1)?;
    let sources = b.sources()?;
    let source_dir = sources.to_string_lossy().into_owned();
    let remote = format!("oci://{host}/muslbuild-cache");
    let app = work.join("app");
    std::fs::create_dir_all(&app)?;
    std::fs::copy(b.example("repl.c"), app.join("repl.c"))?;
    let build = [
        "--target",
        "x86_64,aarch64,armv7",
        "--toolchain",
        "musl-gcc",
        "-j2",
        "--lib",
        "readline",
        "--source-dir",
        &source_dir,
        "repl.c",
    ];

    let mut ratios = Vec::new();
    for run in 1..=runs {
        let cold_home = work.join(format!("cold-{run}"));
        let _ = std::fs::remove_dir_all(app.join("dist"));
        let (result, without) = {
            let _home = b.sh.push_env("MUSLBUILD_HOME", &cold_home);
            time(|| b.muslbuild(&app, &build))
        };
        result?;
        // The warm machine fills the remote cache (what it has, it sends).
        {
            let _home = b.sh.push_env("MUSLBUILD_HOME", &cold_home);
            let _remote = b.sh.push_env("MUSLBUILD_REMOTE_CACHE", &remote);
            b.muslbuild(&app, &build)?;
        }
        let fresh_home = work.join(format!("fresh-{run}"));
        let _ = std::fs::remove_dir_all(app.join("dist"));
        let (result, with) = {
            let _home = b.sh.push_env("MUSLBUILD_HOME", &fresh_home);
            let _remote = b.sh.push_env("MUSLBUILD_REMOTE_CACHE", &remote);
            time(|| b.muslbuild(&app, &build))
        };
        result?;
        println!(
            "run {run}: cold build without a remote cache {:.1} s, with a warm one {:.2} s, ratio {}",
            without.wall,
            with.wall,
            ratio(with.wall, without.wall)
        );
        ratios.push(with.wall / without.wall);
        for home in [cold_home, fresh_home] {
            let _ = std::fs::remove_dir_all(home);
        }
    }
    println!(
        "cold build, warm remote cache / no remote cache, median (goal <= 0.05): {:.3}",
        median(ratios)
    );

    Ok(())
}

/// The hello image for three targets: a first push (a new repository each time) against
/// a push of the same image again, and `muslbuild image` alone (what both include).
fn pushes(b: &Bench, work: &Path, host: &str) -> Result {
    let app = work.join("hello");
    std::fs::create_dir_all(&app)?;
    std::fs::copy(b.example("hello.c"), app.join("hello.c"))?;
    let _home = b.sh.push_env("MUSLBUILD_HOME", work.join("push-home"));
    b.muslbuild(
        &app,
        &[
            "--target",
            "x86_64,aarch64,armv7",
            "--toolchain",
            "musl-gcc",
            "hello.c",
        ],
    )?;
    b.muslbuild(&app, &["image", "--tag", "hello:1.0"])?;
    let (mut first, mut again, mut image_only) =
        (Series::default(), Series::default(), Series::default());
    for n in 0..7 {
        let reference = format!("{host}/hello-{n}:1.0");
        let push = ["image", "--tag", "hello:1.0", "--push", reference.as_str()];
        let (result, sample) = time(|| b.muslbuild(&app, &push));
        result?;
        first.push(sample);
        let (result, sample) = time(|| b.muslbuild(&app, &push));
        result?;
        again.push(sample);
        let (result, sample) = time(|| b.muslbuild(&app, &["image", "--tag", "hello:1.0"]));
        result?;
        image_only.push(sample);
    }
    let blobs: u64 = std::fs::read_dir(app.join("dist/image/blobs/sha256"))?
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!(
        "image --push, hello for 3 targets ({blobs} bytes of blobs), medians of 7: first {:.3} s, unchanged {:.3} s, ratio {}",
        first.wall(),
        again.wall(),
        ratio(again.wall(), first.wall())
    );
    let (first, again) = (
        first.wall() - image_only.wall(),
        again.wall() - image_only.wall(),
    );
    println!(
        "  the push alone (less `muslbuild image` without --push, {:.3} s): first {first:.3} s, unchanged {again:.3} s, ratio {}",
        image_only.wall(),
        ratio(again, first)
    );
    Ok(())
}
