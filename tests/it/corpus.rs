//! The corpus: real programs from Debian's source packages (less, htop, the Lua 5.4
//! interpreter, the sqlite3 shell), built as `[vendor.NAME]` projects with zig for
//! x86_64, aarch64 and armv7; fribidi with meson and the GCC toolchains; strace 6.1,
//! which needs the kernel headers of its time (`kernel-headers = "6.1"`), with musl-gcc
//! for x86_64, tracing for real (zig for aarch64 and armv7: `cargo xtask bench
//! kheaders`; tests/it/kheaders.rs compiles against the pinned headers with every
//! toolchain kind on three targets); and programs whose builds
//! run what they build (bc's generator, bzip2's test suite), for foreign targets only, so
//! the build itself runs under qemu-user. The project files are
//! `tests/corpus/<program>/`; the
//! sources are unpacked from `target/test-sources` (scripts/setup-test-env.sh puts them
//! there), never committed. Every artifact must be static and stripped, hold no cache,
//! build or temporary path, and run under qemu in an empty environment; a declared
//! readline must really be used (`--strict` makes an unused library an error, and a pty
//! shows the up-arrow recalling history).
//!
//! The real-toolchain tier (CI) builds less, lua, busybox, fribidi, bc and bzip2; htop,
//! the sqlite3 shell, strace, the corpus's second-folder rebuild and less with an unused
//! readline are the heavy tier (`cargo test --features heavy`): together they took about
//! 1,000 s of the suite's two test threads, and each mechanism they exercise has a
//! smaller test in the real tier (autotools with ncurses: less; kernel headers:
//! kheaders.rs; reproducible folders and caches: project.rs and vendor.rs; an unused
//! library: meson.rs).

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::{
    TestEnv, binary_command, repo_root, require, run_binary, stderr, stdout, success,
};

const TARGETS: [(&str, Option<&str>); 3] = [
    ("x86_64", None),
    ("aarch64", Some("qemu-aarch64-static")),
    ("armv7", Some("qemu-arm-static")),
];

fn test_sources() -> PathBuf {
    repo_root().join("target").join("test-sources")
}

/// The Debian archive a corpus program comes from; a missing one fails the test.
fn archive(name: &str) -> PathBuf {
    let path = test_sources().join(name);
    assert!(
        path.is_file(),
        "prerequisite {} is missing: run scripts/setup-test-env.sh (it runs `apt-get source --download-only` for the corpus)",
        path.display()
    );
    path
}

struct Program {
    name: &'static str,
    archive: &'static str,
}

const LESS: Program = Program {
    name: "less",
    archive: "less_590.orig.tar.gz",
};
const HTOP: Program = Program {
    name: "htop",
    archive: "htop_3.2.2.orig.tar.gz",
};
const LUA: Program = Program {
    name: "lua",
    archive: "lua5.4_5.4.4.orig.tar.gz",
};
const STRACE: Program = Program {
    name: "strace",
    archive: "strace_6.1.orig.tar.xz",
};
const BUSYBOX: Program = Program {
    name: "busybox",
    archive: "busybox_1.35.0.orig.tar.bz2",
};
const SQLITE3: Program = Program {
    name: "sqlite3",
    archive: "sqlite3_3.40.1.orig.tar.xz",
};
const FRIBIDI: Program = Program {
    name: "fribidi",
    archive: "fribidi_1.0.8.orig.tar.bz2",
};
const BC: Program = Program {
    name: "bc",
    archive: "bc_1.07.1.orig.tar.gz",
};
const BZIP2: Program = Program {
    name: "bzip2",
    archive: "bzip2_1.0.8.orig.tar.gz",
};

/// `<dir>/<program>/`: the project file from tests/corpus and the unpacked sources.
fn project(dir: &Path, program: &Program) -> PathBuf {
    let root = dir.join(program.name);
    std::fs::create_dir_all(&root).unwrap();
    std::fs::copy(
        repo_root()
            .join("tests/corpus")
            .join(program.name)
            .join("muslbuild.toml"),
        root.join("muslbuild.toml"),
    )
    .unwrap();
    success(
        Command::new(require("tar", "tar"))
            .arg("-xf")
            .arg(archive(program.archive))
            .arg("-C")
            .arg(&root),
    );
    root
}

/// `muslbuild build --strict --json` in `root` with `home` as the cache.
fn build(env: &TestEnv, root: &Path, home: &Path) -> serde_json::Value {
    build_with(env, root, home, &[])
}

/// The same with more arguments (`--toolchain`, `--target`).
fn build_with(env: &TestEnv, root: &Path, home: &Path, args: &[&str]) -> serde_json::Value {
    let output = success(
        env.muslbuild()
            .current_dir(root)
            .env("MUSLBUILD_HOME", home)
            .env("MUSLBUILD_SOURCE_DIRS", test_sources())
            .args(["build", "--strict", "--json"])
            .args(args),
    );
    let err = stderr(&output);
    // --strict already fails on it; this names the other way it could show.
    assert!(!err.contains("contributed no symbol"), "{err}");
    serde_json::from_str(&stdout(&output)).unwrap()
}

fn artifact(root: &Path, target: &str, name: &str) -> PathBuf {
    root.join("dist").join(target).join(name)
}

/// Static, stripped, right machine, and no cache, build or temporary folder in its bytes.
fn check_clean(binary: &Path, target: &str, forbidden: &[&Path]) {
    let bytes = std::fs::read(binary).unwrap();
    let facts = muslbuild::verify::read_facts(&bytes).unwrap();
    assert!(
        facts.interpreter.is_none() && facts.needed.is_empty(),
        "{binary:?} is dynamic"
    );
    assert!(facts.stripped, "{binary:?} is not stripped");
    let verified = muslbuild::verify::verify_bytes(binary, &bytes, Some(target.parse().unwrap()));
    assert!(verified.ok, "{binary:?}: {:?}", verified.problems);
    for dir in forbidden {
        let needle = dir.display().to_string();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{binary:?} contains the path {needle}"
        );
    }
    for needle in ["/.cache/muslbuild", "muslbuild-test-cache"] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{binary:?} contains `{needle}`"
        );
    }
}

/// Runs `binary` (under qemu for foreign targets) with only `TERM` set, in a pty, typing
/// `keys` one chunk at a time, each after the program's next `prompt`; returns what the
/// terminal showed.
fn run_in_pty(qemu: Option<&str>, binary: &Path, prompt: &str, keys: &[&[u8]]) -> String {
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: 24,
        ws_col: 80,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two fds; the name and termios pointers may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty failed");
    // SAFETY: openpty returned two fresh descriptors that nothing else owns.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut cmd = binary_command(qemu, binary);
    cmd.env_clear()
        .env("TERM", "vt100")
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    let mut child = cmd.spawn().expect("spawn in a pty");
    drop(cmd);
    let mut writer = std::fs::File::from(master.try_clone().unwrap());
    let mut reader = std::fs::File::from(master);
    let (shown_tx, shown) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        // EIO once the child has closed its side.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || shown_tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut screen = Vec::new();
    let deadline = std::time::Instant::now() + crate::support::EVENT_DEADLINE;
    for (typed, chunk) in keys.iter().enumerate() {
        // Each line is typed once the program has asked for it: readline is listening.
        while count(&screen, prompt.as_bytes()) <= typed {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match shown.recv_timeout(left) {
                Ok(bytes) => screen.extend_from_slice(&bytes),
                Err(_) => {
                    child.kill().ok();
                    panic!(
                        "{binary:?}: prompt {} (`{prompt}`) never came:\n{}",
                        typed + 1,
                        String::from_utf8_lossy(&screen)
                    );
                }
            }
        }
        writer.write_all(chunk).unwrap();
    }
    if !crate::support::exits_within_deadline(child.id()) {
        child.kill().ok();
        panic!("{binary:?} did not exit in a pty");
    }
    child.wait().unwrap();
    drop(writer);
    screen.extend(shown.iter().flatten());
    String::from_utf8_lossy(&screen).into_owned()
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

fn require_qemu() {
    require("qemu-aarch64-static", "qemu-user-static");
    require("qemu-arm-static", "qemu-user-static");
    require("python3", "python3 with the ziglang package");
}

#[test]
fn less_shows_a_file_for_every_target() {
    require_qemu();
    let env = TestEnv::new();
    let root = project(env.path(), &LESS);
    build(&env, &root, &env.cache());
    let text = env.write("notes.txt", "first line\nsecond line\n");
    for (target, qemu) in TARGETS {
        let binary = artifact(&root, target, "less");
        check_clean(&binary, target, &[&env.cache(), env.path()]);
        let mut cmd = match qemu {
            Some(q) => {
                let mut c = Command::new(require(q, "qemu-user-static"));
                c.arg(&binary);
                c
            }
            None => Command::new(&binary),
        };
        let output = success(cmd.env_clear().env("TERM", "vt100").arg("-FX").arg(&text));
        assert_eq!(stdout(&output), "first line\nsecond line\n", "{target}");
    }
}

#[test]
#[cfg_attr(
    not(feature = "heavy"),
    ignore = "heavy tier: cargo test --features heavy"
)]
fn htop_reports_its_version_for_every_target() {
    require_qemu();
    require("autoreconf", "autoconf");
    let env = TestEnv::new();
    let root = project(env.path(), &HTOP);
    build(&env, &root, &env.cache());
    for (target, qemu) in TARGETS {
        let binary = artifact(&root, target, "htop");
        check_clean(&binary, target, &[&env.cache(), env.path()]);
        let output = run_binary_args(qemu, &binary, &["--version"]);
        assert!(
            stdout(&output).starts_with("htop 3.2.2"),
            "{target}: {output:?}"
        );
    }
}

/// busybox, a kconfig program, built by its own Makefiles with zig: its link line's GNU
/// ld options that zig refuses are dropped (and named by `-v`), its partial links
/// (`$(CC) -nostdlib -r`) pass, the project's own configuration script runs as
/// `bootstrap`, and the applets work. The translation is one table for every zig target,
/// so the suite builds one foreign target (CI's time); the project file's three are
/// `cargo xtask bench busybox`.
#[test]
fn busybox_builds_with_its_gnu_ld_link_line_and_its_applets_run_under_qemu() {
    require_qemu();
    let env = TestEnv::new();
    let root = project(env.path(), &BUSYBOX);
    let script = root.join("busybox-1.35.0/configure-applets");
    std::fs::copy(
        repo_root().join("tests/corpus/busybox/configure-applets"),
        &script,
    )
    .unwrap();
    let output = success(
        env.muslbuild()
            .current_dir(&root)
            .args(["build", "--strict", "--json", "-v", "--target", "aarch64"]),
    );
    let err = stderr(&output);
    for target in ["aarch64"] {
        for dropped in ["--warn-common", "-Map busybox_unstripped.map", "--verbose"] {
            let said = format!("project busybox for {target} (make): dropped {dropped} (");
            assert!(err.contains(&said), "`{said}` not in the -v output");
        }
    }
    for (target, qemu) in [TARGETS[1]] {
        let binary = artifact(&root, target, "busybox");
        check_clean(&binary, target, &[&env.cache(), env.path()]);
        let run = |args: &[&str]| stdout(&run_binary_args(qemu, &binary, args));
        assert_eq!(run(&["echo", "hello", target]), format!("hello {target}\n"));
        assert_eq!(run(&["seq", "3"]), "1\n2\n3\n", "{target}");
        assert_eq!(run(&["expr", "6", "*", "7"]), "42\n", "{target}");
        assert_eq!(
            run(&["basename", "/usr/bin/busybox"]),
            "busybox\n",
            "{target}"
        );
        let applets = run(&["--list"]);
        for applet in ["cat", "ls", "sort", "tr", "wc"] {
            assert!(applets.lines().any(|l| l == applet), "{target}: {applets}");
        }
    }
}

fn run_binary_args(qemu: Option<&str>, binary: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = match qemu {
        Some(q) => {
            let mut c = Command::new(require(q, "qemu-user-static"));
            c.arg(binary);
            c
        }
        None => Command::new(binary),
    };
    success(cmd.env_clear().args(args))
}

#[test]
fn lua_runs_a_script_and_its_readline_recalls_history() {
    require_qemu();
    let env = TestEnv::new();
    let root = project(env.path(), &LUA);
    build(&env, &root, &env.cache());
    let script = env.write(
        "fib.lua",
        "local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end\nprint(fib(20), _VERSION)\n",
    );
    for (target, qemu) in TARGETS {
        let binary = artifact(&root, target, "lua");
        check_clean(&binary, target, &[&env.cache(), env.path()]);
        let version = run_binary_args(qemu, &binary, &["-v"]);
        assert!(
            stdout(&version).starts_with("Lua 5.4.4"),
            "{target}: {version:?}"
        );
        let run = run_binary_args(qemu, &binary, &[script.to_str().unwrap()]);
        assert_eq!(stdout(&run), "6765\tLua 5.4\n", "{target}");
        // Up-arrow then Enter runs the line again only with readline; without it the
        // escape sequence reaches the parser.
        let screen = run_in_pty(
            qemu,
            &binary,
            "> ",
            &[b"print(6*7)\r", b"\x1b[A\r", b"os.exit(0)\r"],
        );
        assert_eq!(
            screen.matches("42\r\n").count(),
            2,
            "{target}: history not recalled:\n{screen}"
        );
    }
}

/// The native target and the 32-bit foreign one (its one big translation unit is the
/// suite's slowest compile; the corpus test below builds it for aarch64 too).
#[test]
#[cfg_attr(
    not(feature = "heavy"),
    ignore = "heavy tier: cargo test --features heavy"
)]
fn sqlite3_with_readline_and_zlib_natively_and_for_armv7() {
    require_qemu();
    require("tclsh", "tcl");
    let env = TestEnv::new();
    let root = project(env.path(), &SQLITE3);
    build_with(&env, &root, &env.cache(), &["--target", "x86_64,armv7"]);
    for (target, qemu) in [TARGETS[0], TARGETS[2]] {
        let binary = artifact(&root, target, "sqlite3");
        check_clean(&binary, target, &[&env.cache(), env.path()]);
        let sum = run_binary(qemu, &binary, b"select 1+1;\n");
        assert_eq!(stdout(&sum), "2\n", "{target}: {sum:?}");
        let zip = run_binary(
            qemu,
            &binary,
            b"select name, data from zipfile((select zipfile('a.txt', 'hello zip')));\n",
        );
        assert_eq!(stdout(&zip), "a.txt|hello zip\n", "{target}: {zip:?}");
        let screen = run_in_pty(
            qemu,
            &binary,
            "sqlite> ",
            &[b"select 40+2;\r", b"\x1b[A\r", b".quit\r"],
        );
        assert_eq!(
            screen.matches("42\r\n").count(),
            2,
            "{target}: history not recalled:\n{screen}"
        );
    }
}

/// The corpus's build kinds (less and htop: autotools, out of tree and bootstrapped in a
/// copy; lua: a plain Makefile in a copy) in one project file, in another folder, built
/// there with `--check-reproducible` — which builds everything again, library prefixes
/// included, in a fresh cache at another path — gives the same bytes as in the first
/// folder: two folders and two cache homes. One foreign target, and not sqlite3 (autotools
/// again, with zlib besides): three times over it was the suite's largest build
/// (858 s of one thread on a fresh clone with sqlite3), and what makes bytes differ
/// between folders and caches is the same for every target and program.
#[test]
#[cfg_attr(
    not(feature = "heavy"),
    ignore = "heavy tier: cargo test --features heavy"
)]
fn corpus_is_byte_identical_from_two_folders_and_two_cache_homes() {
    require_qemu();
    let env = TestEnv::new();
    let corpus = [&LESS, &HTOP, &LUA];
    let all = |dir: &Path| {
        let root = dir.join("corpus");
        std::fs::create_dir_all(&root).unwrap();
        let mut file = String::new();
        for program in corpus {
            let unpacked = project(&dir.join("unpacked"), program);
            let text = std::fs::read_to_string(unpacked.join("muslbuild.toml")).unwrap();
            if file.is_empty() {
                file.push_str(&text[..text.find("[vendor.").unwrap()]);
            }
            file.push_str(&text[text.find("[vendor.").unwrap()..]);
            file.push('\n');
            for entry in std::fs::read_dir(&unpacked).unwrap().flatten() {
                if entry.file_type().unwrap().is_dir() {
                    std::fs::rename(entry.path(), root.join(entry.file_name())).unwrap();
                }
            }
        }
        std::fs::write(root.join("muslbuild.toml"), file).unwrap();
        root
    };
    let first = all(&env.path().join("one"));
    build_with(&env, &first, &env.cache(), &["--target", "aarch64"]);
    let second = all(&env.path().join("two/deeper"));
    let output = success(
        env.muslbuild()
            .current_dir(&second)
            .env("MUSLBUILD_SOURCE_DIRS", test_sources())
            .args(["build", "--strict", "--check-reproducible", "--json"])
            .args(["--target", "aarch64"]),
    );
    let err = stderr(&output);
    // The comparison build made the libraries and the projects again.
    for line in [
        "building library ncurses for aarch64",
        "building library readline for aarch64",
        "building project less for aarch64",
        "building project htop for aarch64",
        "building project lua for aarch64",
    ] {
        assert!(err.contains(line), "no `{line}` in:\n{err}");
    }
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["reproducible"]["ok"], true, "{report}");
    for program in corpus {
        let a = std::fs::read(artifact(&first, "aarch64", program.name)).unwrap();
        let b = std::fs::read(artifact(&second, "aarch64", program.name)).unwrap();
        assert!(a == b, "{} differs between the two folders", program.name);
    }
}

/// less declared with a readline it never calls: the link check warns, names the
/// library, and with `--strict` fails with exit 10 — also when the build is cached.
#[test]
#[cfg_attr(
    not(feature = "heavy"),
    ignore = "heavy tier: cargo test --features heavy"
)]
fn a_declared_library_no_program_uses_is_reported_and_strict_fails() {
    require_qemu();
    let env = TestEnv::new();
    let root = project(env.path(), &LESS);
    let file = root.join("muslbuild.toml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("libs = [\"ncurses\"]", "libs = [\"ncurses\", \"readline\"]");
    std::fs::write(&file, text).unwrap();
    let output = success(
        env.muslbuild()
            .current_dir(&root)
            .env("MUSLBUILD_SOURCE_DIRS", test_sources())
            .args(["build", "--target", "x86_64"]),
    );
    let err = stderr(&output);
    assert!(
        err.contains("warning: vendored project `less` for x86_64: declared library `readline` contributed no symbol to any program"),
        "{err}"
    );
    assert!(!err.contains("library `ncurses` contributed"), "{err}");
    let strict = env
        .muslbuild()
        .current_dir(&root)
        .env("MUSLBUILD_SOURCE_DIRS", test_sources())
        .args(["build", "--target", "x86_64", "--strict"])
        .output()
        .unwrap();
    let err = stderr(&strict);
    assert_eq!(strict.status.code(), Some(10), "{err}");
    assert!(
        err.contains("error: vendored project `less` for x86_64: declared library `readline`"),
        "{err}"
    );
    assert!(err.contains("help: "), "{err}");
}

/// zlib's recipe pins 1.3.1 and accepts Debian's 1.2.13 repack: offline and with neither
/// at hand, the error names both and the `--source-dir` way out, at once.
#[test]
fn zlib_offline_without_sources_names_every_accepted_archive() {
    let env = TestEnv::new();
    let output = env
        .muslbuild()
        .env("MUSLBUILD_HOME", env.path().join("home"))
        .args([
            "lib",
            "build",
            "zlib",
            "--target",
            "x86_64",
            "--toolchain",
            "zig",
        ])
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(10), "{err}");
    assert!(err.contains("zlib-1.3.1.tar.gz"), "{err}");
    assert!(
        err.contains("1.2.13 `zlib_1.2.13.dfsg.orig.tar.bz2`"),
        "{err}"
    );
    assert!(err.contains("--source-dir"), "{err}");
}

/// fribidi with `build = "meson"` (a cross file per target, its table generators built
/// with the build machine's compiler): static, stripped, clean, and it reorders
/// right-to-left text under qemu. An edit of one source runs `meson compile` (no
/// `meson setup`) and compiles that file alone; an unchanged folder runs nothing.
#[test]
fn fribidi_built_with_meson_reorders_text_and_rebuilds_only_an_edit() {
    require("qemu-aarch64-static", "qemu-user-static");
    require("qemu-arm-static", "qemu-user-static");
    require("meson", "meson");
    require("ninja", "ninja-build");
    require("musl-gcc", "musl-tools");
    require("aarch64-linux-gnu-gcc", "gcc-aarch64-linux-gnu");
    require("arm-linux-gnueabihf-gcc", "gcc-arm-linux-gnueabihf");
    let env = TestEnv::new();
    let root = project(env.path(), &FRIBIDI);
    build(&env, &root, &env.cache());
    // CapRTL: capital letters are right-to-left characters.
    let reorder = |qemu: Option<&str>, binary: &Path| {
        let mut cmd = binary_command(qemu, binary);
        cmd.env_clear().args(["--charset", "CapRTL"]);
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"car is THE CAR in arabic\n")
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{binary:?}: {output:?}");
        stdout(&output)
    };
    for (target, qemu) in TARGETS {
        let binary = artifact(&root, target, "fribidi");
        check_clean(&binary, target, &[&env.cache(), env.path()]);
        assert_eq!(
            reorder(qemu, &binary),
            "car is RAC EHT in arabic\n",
            "{target}"
        );
    }

    let main = root.join("fribidi-1.0.8/bin/fribidi-main.c");
    let text = std::fs::read_to_string(&main).unwrap();
    let edited = text.replace(
        "Display version information and exit",
        "Say which FriBidi this is",
    );
    assert_ne!(text, edited);
    std::fs::write(&main, edited).unwrap();
    let again = |what: &str| {
        let output = success(
            env.muslbuild()
                .current_dir(&root)
                .args(["build", "--strict", "-v"]),
        );
        let err = stderr(&output);
        let commands: Vec<&str> = err.lines().filter(|l| l.starts_with("+ ")).collect();
        eprintln!("{what}: {} commands", commands.len());
        let commands = commands.join("\n");
        (err, commands)
    };
    let (err, commands) = again("edit");
    assert_eq!(commands.matches(" compile -C ").count(), 3, "{commands}");
    assert!(!commands.contains(" setup "), "set up again:\n{commands}");
    // ninja's own lines (`[1/2] … -c …/bin/fribidi-main.c`): the edited file, no other.
    assert_eq!(err.matches("fribidi-main.c.o -c ").count(), 3, "{err}");
    assert!(
        !err.contains("fribidi-bidi.c"),
        "the library was compiled again:\n{err}"
    );
    for (target, qemu) in TARGETS {
        let help = run_binary_args(qemu, &artifact(&root, target, "fribidi"), &["--help"]);
        assert!(
            stdout(&help).contains("Say which FriBidi this is"),
            "{target}: {help:?}"
        );
    }
    let (err, commands) = again("no-op");
    assert!(commands.is_empty(), "an unchanged folder ran:\n{commands}");
    assert_eq!(err.matches("project fribidi for ").count(), 3, "{err}");
    assert_eq!(err.matches(": cached, stripped").count(), 3, "{err}");
}

/// strace 6.1's project pins the 6.1 kernel headers (`kernel-headers = "6.1"`): without
/// them it builds with neither toolchain. Its SBOM names the package they came from.
fn check_strace(root: &Path, target: &str, arch: &str, env: &TestEnv) -> PathBuf {
    let binary = artifact(root, target, "strace");
    check_clean(&binary, target, &[&env.cache(), env.path()]);
    let sbom = std::fs::read_to_string(binary.with_file_name("strace.spdx.json")).unwrap();
    assert!(
        sbom.contains(&format!(
            "pkg:deb/debian/linux-libc-dev@6.1.176-1?arch={arch}"
        )),
        "{target}: {sbom}"
    );
    binary
}

#[test]
#[cfg_attr(
    not(feature = "heavy"),
    ignore = "heavy tier: cargo test --features heavy"
)]
fn strace_6_1_with_musl_gcc_and_pinned_headers_traces_a_static_hello() {
    require("musl-gcc", "musl-tools");
    crate::kheaders::kernel_header_packages();
    let env = TestEnv::new();
    let root = project(env.path(), &STRACE);
    build_with(
        &env,
        &root,
        &env.cache(),
        &["--toolchain", "musl-gcc", "--target", "x86_64"],
    );
    let strace = check_strace(&root, "x86_64", "amd64", &env);
    let version = run_binary_args(None, &strace, &["-V"]);
    assert!(
        stdout(&version).starts_with("strace -- version 6.1\n"),
        "{version:?}"
    );
    // A real trace, natively: the hello's write shows up with its bytes.
    env.write(
        "hello.c",
        "#include <unistd.h>\nint main(void) { write(1, \"traced\\n\", 7); return 0; }\n",
    );
    success(
        env.muslbuild()
            .args(["-t", "x86_64", "--toolchain", "musl-gcc", "hello.c"]),
    );
    let hello = env.path().join("dist/x86_64/hello");
    let traced = success(
        Command::new(&strace)
            .env_clear()
            .args(["-f", "-e", "trace=write,exit_group"])
            .arg(&hello),
    );
    assert_eq!(stdout(&traced), "traced\n");
    let log = stderr(&traced);
    // strace pads the result to a column: `write(1, "traced\n", 7)      = 7`.
    assert!(
        log.lines()
            .any(|l| l.starts_with("write(1, \"traced\\n\", 7)") && l.ends_with("= 7")),
        "{log}"
    );
    assert!(log.contains("exit_group(0)"), "{log}");
}

/// The step logs of a project built in `home` for `target` (one build there).
fn step_log(home: &Path, project: &str, target: &str, step: &str) -> String {
    let logs = home.join("logs/libs");
    let dir = std::fs::read_dir(&logs)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{project}-{target}-"))
        })
        .unwrap_or_else(|| panic!("no logs of {project} for {target} in {}", logs.display()));
    std::fs::read_to_string(dir.join(format!("{step}.log"))).unwrap()
}

/// bc's Makefile links `fbc` with the target's compiler and runs it to turn the math
/// library (`libmath.b`) into `libmath.h`: for aarch64 and armv7 that runs under
/// qemu-user in the make step's private binfmt_misc, and the calculator it makes knows
/// `a()` (arctangent) from that library. A fresh cache home, so the build really runs.
#[test]
fn bc_builds_its_math_library_under_qemu_and_computes_pi() {
    require_qemu();
    let env = TestEnv::new();
    let root = project(env.path(), &BC);
    let home = env.path().join("home");
    build(&env, &root, &home);
    for (target, qemu) in TARGETS.into_iter().filter(|(_, q)| q.is_some()) {
        let make = step_log(&home, "bc", target, "make");
        assert!(
            make.contains("# emulated: runs in a private binfmt_misc (muslbuild-"),
            "{target}: {make}"
        );
        assert!(
            make.contains("./fbc -c"),
            "{target}: fbc never ran:\n{make}"
        );
        for name in ["bc", "dc"] {
            check_clean(&artifact(&root, target, name), target, &[&home, env.path()]);
        }
        let pi = run_binary_args_stdin(
            qemu,
            &artifact(&root, target, "bc"),
            &["-l"],
            b"scale=20; 4*a(1)\n",
        );
        assert_eq!(stdout(&pi), "3.14159265358979323844\n", "{target}");
        let sum =
            run_binary_args_stdin(qemu, &artifact(&root, target, "dc"), &[], b"2 3 + 7 * p\n");
        assert_eq!(stdout(&sum), "35\n", "{target}");
    }
}

/// bzip2's default make target runs its own test: the bzip2 just linked compresses and
/// decompresses three sample files and `cmp` compares them with the shipped ones. For
/// armv7 that test runs under qemu-user during the build; the program then round-trips
/// a file of its own.
#[test]
fn bzip2_runs_its_test_suite_under_qemu_during_the_build() {
    require_qemu();
    let env = TestEnv::new();
    let root = project(env.path(), &BZIP2);
    let home = env.path().join("home");
    build(&env, &root, &home);
    let make = step_log(&home, "bzip2", "armv7", "make");
    assert!(
        make.contains("# emulated: runs in a private binfmt_misc (muslbuild-armv7 -> "),
        "{make}"
    );
    assert!(
        make.contains("./bzip2 -ds < sample3.bz2 > sample3.tst"),
        "{make}"
    );
    assert!(make.contains("cmp sample3.tst sample3.ref"), "{make}");
    assert!(
        make.contains("If you got this far and the 'cmp's didn't complain"),
        "{make}"
    );
    let binary = artifact(&root, "armv7", "bzip2");
    check_clean(&binary, "armv7", &[&home, env.path()]);
    check_clean(
        &artifact(&root, "armv7", "bzip2recover"),
        "armv7",
        &[&home, env.path()],
    );
    let text = "a line bzip2 compresses, again and again and again\n".repeat(50);
    let packed = run_binary_args_stdin(Some("qemu-arm-static"), &binary, &["-9"], text.as_bytes());
    assert!(
        packed.status.success() && packed.stdout.starts_with(b"BZh9"),
        "{packed:?}"
    );
    assert!(
        packed.stdout.len() < text.len() / 4,
        "{} bytes",
        packed.stdout.len()
    );
    let unpacked = run_binary_args_stdin(Some("qemu-arm-static"), &binary, &["-d"], &packed.stdout);
    assert_eq!(stdout(&unpacked), text);
}

fn run_binary_args_stdin(
    qemu: Option<&str>,
    binary: &Path,
    args: &[&str],
    input: &[u8],
) -> std::process::Output {
    let mut cmd = binary_command(qemu, binary);
    cmd.env_clear()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    // A program may stop reading early; its output is what the test compares.
    let _ = writer.join();
    output
}
