//! The corpus: real programs from Debian's source packages (less, htop, the Lua 5.4
//! interpreter, the sqlite3 shell), built as `[vendor.NAME]` projects with zig for
//! x86_64, aarch64 and armv7. The project files are `tests/corpus/<program>/`; the
//! sources are unpacked from `target/test-sources` (scripts/setup-test-env.sh puts them
//! there), never committed. Every artifact must be static and stripped, hold no cache,
//! build or temporary path, and run under qemu in an empty environment; a declared
//! readline must really be used (`--strict` makes an unused library an error, and a pty
//! shows the up-arrow recalling history).

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
const BUSYBOX: Program = Program {
    name: "busybox",
    archive: "busybox_1.35.0.orig.tar.bz2",
};
const SQLITE3: Program = Program {
    name: "sqlite3",
    archive: "sqlite3_3.40.1.orig.tar.xz",
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
    let output = success(
        env.muslbuild()
            .current_dir(root)
            .env("MUSLBUILD_HOME", home)
            .env("MUSLBUILD_SOURCE_DIRS", test_sources())
            .args(["build", "--strict", "--json"]),
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

/// busybox, a kconfig program, built by its own Makefiles with zig for every target:
/// its link line's GNU ld options that zig refuses are dropped (and named by `-v`), its
/// partial links (`$(CC) -nostdlib -r`) pass, the project's own configuration script runs
/// as `bootstrap`, and the applets work.
#[test]
fn busybox_builds_with_its_gnu_ld_link_line_and_its_applets_run_for_every_target() {
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
            .args(["build", "--strict", "--json", "-v"]),
    );
    let err = stderr(&output);
    for target in ["x86_64", "aarch64", "armv7"] {
        for dropped in ["--warn-common", "-Map busybox_unstripped.map", "--verbose"] {
            let said = format!("project busybox for {target} (make): dropped {dropped} (");
            assert!(err.contains(&said), "`{said}` not in the -v output");
        }
    }
    for (target, qemu) in TARGETS {
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

#[test]
fn sqlite3_with_readline_and_zlib_for_every_target() {
    require_qemu();
    require("tclsh", "tcl");
    let env = TestEnv::new();
    let root = project(env.path(), &SQLITE3);
    build(&env, &root, &env.cache());
    for (target, qemu) in TARGETS {
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

/// The whole corpus (less and htop: autotools, out of tree and bootstrapped in a copy;
/// lua: a plain Makefile in a copy; sqlite3: autotools with readline and zlib) in one
/// project file, in another folder, built there with `--check-reproducible` — which
/// builds everything again, library prefixes included, in a fresh cache at another path
/// — gives the same bytes as in the first folder: two folders and two cache homes.
#[test]
fn corpus_is_byte_identical_from_two_folders_and_two_cache_homes() {
    require_qemu();
    let env = TestEnv::new();
    let corpus = [&LESS, &HTOP, &LUA, &SQLITE3];
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
    build(&env, &first, &env.cache());
    let second = all(&env.path().join("two/deeper"));
    let output = success(
        env.muslbuild()
            .current_dir(&second)
            .env("MUSLBUILD_SOURCE_DIRS", test_sources())
            .args(["build", "--strict", "--check-reproducible", "--json"]),
    );
    let err = stderr(&output);
    // The comparison build made the libraries and the projects again.
    for line in [
        "building library ncurses for armv7",
        "building library readline for aarch64",
        "building library zlib for x86_64",
        "building project less for x86_64",
        "building project htop for aarch64",
        "building project lua for armv7",
        "building project sqlite3 for x86_64",
    ] {
        assert!(err.contains(line), "no `{line}` in:\n{err}");
    }
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["reproducible"]["ok"], true, "{report}");
    for program in corpus {
        for (target, _) in TARGETS {
            let a = std::fs::read(artifact(&first, target, program.name)).unwrap();
            let b = std::fs::read(artifact(&second, target, program.name)).unwrap();
            assert!(
                a == b,
                "{} for {target} differs between the two folders",
                program.name
            );
        }
    }
}

/// less declared with a readline it never calls: the link check warns, names the
/// library, and with `--strict` fails with exit 10 — also when the build is cached.
#[test]
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
