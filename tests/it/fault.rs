//! The fault suite: concurrent builds into one dist, hostile names, kill -9 and
//! SIGINT/SIGTERM during a build, debris of dead processes, and the smaller defects. After
//! each case dist/ must agree with manifest.json and SHA256SUMS
//! (`support::assert_dist_consistent`) and the cache must pass `muslbuild cache verify`
//! (`support::assert_cache_verifies`). Builds use the distribution's musl-gcc: the
//! fastest toolchain to start. The figures in the README's "Reliability" section are the
//! lines these tests print (`cargo test --features real --test it fault -- --nocapture`).

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use crate::install::{ARCHIVE, ENTRY, Fixture, INSTALL_ARGS, good_archive, sha256};
use crate::support::{
    TestEnv, assert_cache_verifies, assert_dist_consistent, example, require, run_binary, stderr,
    stdout, success,
};

const CONCURRENT_BUILDS: usize = 4;
const CONCURRENT_ROUNDS: usize = 10;

fn musl_gcc() {
    require("musl-gcc", "musl-tools");
}

/// `muslbuild -t x86_64 --toolchain musl-gcc ARGS` in `env`.
fn build(env: &TestEnv) -> Command {
    let mut cmd = env.muslbuild();
    cmd.args(["-t", "x86_64", "--toolchain", "musl-gcc"]);
    cmd
}

/// A C file that takes the compiler a few seconds: many functions to optimise.
fn slow_source(env: &TestEnv) -> PathBuf {
    let mut text = String::from("#include <stdio.h>\n");
    for i in 0..700 {
        text.push_str(&format!(
            "int f{i}(int x) {{ int y = x; for (int i = 0; i < {}; i++) y = y * {} ^ (y >> 3); return y + ROUND; }}\n",
            i % 7 + 3,
            i + 3
        ));
    }
    text.push_str("int main(int c, char **v) { long s = 0;\n");
    for i in 0..700 {
        text.push_str(&format!("  s += f{i}(c);\n"));
    }
    text.push_str("  printf(\"%ld\\n\", s); return 0; }\n");
    env.write("slow.c", &text)
}

/// Processes (not zombies) whose command line mentions `marker`: what a killed build
/// could have left running. The reaper works asynchronously, so each one found is given
/// until the event deadline to end (woken by its exit, not polled).
fn assert_no_stray_processes(marker: &Path) {
    let lingering: Vec<String> = processes_mentioning(marker)
        .into_iter()
        .filter(|(pid, _)| !crate::support::exits_within_deadline(*pid))
        .map(|(pid, cmdline)| format!("{pid}: {cmdline}"))
        .collect();
    assert!(
        lingering.is_empty(),
        "processes outlived muslbuild:\n{}",
        lingering.join("\n")
    );
}

/// Live (not zombie) processes other than this one whose command line mentions `marker`.
fn processes_mentioning(marker: &Path) -> Vec<(u32, String)> {
    let marker = marker.as_os_str().as_bytes();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let state = stat.rsplit(") ").next().and_then(|s| s.chars().next());
        if state == Some('Z') || state.is_none() {
            continue;
        }
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if cmdline.windows(marker.len()).any(|w| w == marker) {
            found.push((pid, String::from_utf8_lossy(&cmdline).replace('\0', " ")));
        }
    }
    found
}

/// Waits until muslbuild (run with `-v`) echoes the command that compiles `source`, the
/// moment before it starts the compiler. Returns the reader of the rest of its stderr.
fn wait_for_compiler(child: &mut Child, source: &Path) -> std::thread::JoinHandle<String> {
    crate::support::wait_for_line(
        child.stderr.take().expect("stderr is piped"),
        &format!("{} ", source.display()),
        "no compiler started",
    )
}

/// A foreign target's build step runs in a user and mount namespace of its own, where
/// the target's program runs under qemu-user; it still dies with muslbuild: `kill -9`
/// (the reaper kills its process group) and SIGINT (exit 130). The program is an armv7
/// sleeper the Makefile builds and runs; it says when it runs.
#[test]
fn kill_9_and_sigint_during_an_emulated_step_leave_no_process() {
    musl_gcc();
    require("qemu-arm-static", "qemu-user-static");
    require("arm-linux-gnueabihf-gcc", "gcc-arm-linux-gnueabihf");
    let env = TestEnv::new();
    let started = env.path().join("started");
    env.write(
        "slow/sleeper.c",
        "#include <stdio.h>\n#include <stdlib.h>\n#include <unistd.h>\n\
         int main(int argc, char **argv) { fclose(fopen(argv[2], \"w\")); sleep(atoi(argv[1])); return 0; }\n",
    );
    env.write(
        "slow/Makefile",
        &format!(
            "all: sleeper\n\t$(CURDIR)/sleeper 30 '{}'\nsleeper: sleeper.c\n\t$(CC) $(CFLAGS) $(LDFLAGS) -o sleeper sleeper.c\ninstall:\n\ttrue\n",
            started.display()
        ),
    );
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"armv7\"]\ntoolchain = \"musl-gcc\"\n[vendor.slow]\npath = \"slow\"\nbuild = \"make\"\nprograms = [\"sleeper\"]\n",
    );
    for (signal, code) in [(libc::SIGKILL, None), (libc::SIGINT, Some(130))] {
        std::fs::remove_file(&started).ok();
        let home = env.path().join(format!("home-{signal}"));
        let child = spawn_quiet(env.muslbuild().env("MUSLBUILD_HOME", &home).arg("build"));
        crate::support::wait_for_file(&started, "the armv7 sleeper never ran");
        let running = processes_mentioning(&home);
        assert!(
            running
                .iter()
                .any(|(_, cmdline)| cmdline.contains("qemu-arm") && cmdline.contains("sleeper 30")),
            "the sleeper is not running under qemu: {running:?}"
        );
        kill(&child, signal);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), code, "{}", stderr(&out));
        assert_no_stray_processes(&home);
    }
}

/// Temporary entries of process `pid` under `dir` (one level).
fn temps_of(dir: &Path, pid: u32) -> Vec<PathBuf> {
    let prefix = format!(".tmp-{pid}-");
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect()
}

fn kill(child: &Child, signal: i32) {
    // SAFETY: sends a signal to a child this test started and has not waited for.
    unsafe {
        libc::kill(child.id() as i32, signal);
    }
}

fn spawn_quiet(cmd: &mut Command) -> Child {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn muslbuild")
}

#[test]
fn concurrent_builds_into_one_dist_lose_no_entry() {
    musl_gcc();
    let env = TestEnv::new();
    let hello = example("hello.c");
    let mut lost = 0;
    for round in 0..CONCURRENT_ROUNDS {
        let dist = env.path().join(format!("dist-{round}"));
        let children: Vec<Child> = (0..CONCURRENT_BUILDS)
            .map(|k| {
                build(&env)
                    .arg("-o")
                    .arg(format!("app{k}"))
                    .arg("--out-dir")
                    .arg(&dist)
                    .arg(&hello)
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", stderr(&out));
        }
        let entries = assert_dist_consistent(&dist);
        lost += CONCURRENT_BUILDS - entries;
    }
    assert_cache_verifies(&env.cache());
    println!(
        "figure: concurrent builds: {CONCURRENT_ROUNDS} rounds of {CONCURRENT_BUILDS} parallel builds into one dist, {lost} entries lost"
    );
    assert_eq!(lost, 0);
}

#[test]
fn image_reads_dist_under_its_lock() {
    // While another process holds the dist lock (a build recording), `image` waits for
    // it instead of reading a half-updated manifest.
    musl_gcc();
    let env = TestEnv::new();
    let dist = env.path().join("dist");
    success(
        build(&env)
            .arg("--out-dir")
            .arg(&dist)
            .arg(example("hello.c")),
    );
    let holder = std::fs::File::open(&dist).unwrap();
    holder.lock().unwrap();
    let mut image = env.muslbuild();
    image
        .args(["image", "--tag", "hello:1", "--out-dir"])
        .arg(&dist)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = image.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(700));
    assert!(
        child.try_wait().unwrap().is_none(),
        "image read dist/ while its lock was held"
    );
    drop(holder);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_dist_consistent(&dist);
}

#[test]
fn names_with_control_characters_or_slashes_are_refused_everywhere() {
    musl_gcc();
    let env = TestEnv::new();
    let dist = env.path().join("dist");
    for name in ["evil\nffff  x86_64/hello", "a/b", "..", "tab\there"] {
        let out = build(&env)
            .arg("-o")
            .arg(name)
            .arg("--out-dir")
            .arg(&dist)
            .arg(example("hello.c"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("is not a file name") && stderr(&out).contains("help:"),
            "{}",
            stderr(&out)
        );
    }
    assert!(!dist.exists(), "a refused name created dist/");

    // The project file: C, Go and vendored programs, each with its position (exit 11).
    env.write("hello.c", "int main(void) { return 0; }\n");
    std::fs::create_dir_all(env.path().join("vendor/x")).unwrap();
    env.write("vendor/x/Makefile", "all:\n");
    for (table, line) in [
        ("[c.\"evil\\nname\"]\nsources = [\"hello.c\"]\n", 4),
        (
            "[vendor.x]\npath = \"vendor/x\"\nprograms = [\"ok\", \"bad\\u0007bell\"]\n",
            6,
        ),
    ] {
        env.write(
            "muslbuild.toml",
            &format!("[project]\ntargets = [\"x86_64\"]\n\n{table}"),
        );
        let out = env.muslbuild().arg("build").output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(11), "{err}");
        assert!(
            err.contains(&format!("muslbuild.toml:{line}:")) && err.contains("control character"),
            "{err}"
        );
    }
    assert!(!dist.exists());
}

#[test]
fn kill_9_during_a_c_build_leaves_dist_consistent_and_no_process() {
    musl_gcc();
    let env = TestEnv::new();
    let dist = env.path().join("dist");
    let slow = slow_source(&env);
    let hello = example("hello.c");
    success(
        build(&env)
            .args(["-DROUND=0", "--out-dir"])
            .arg(&dist)
            .arg(&slow),
    );
    // Kill points: early (toolchain, staging), while the compiler runs (after it
    // started), and (cache hits of an earlier round, which only copy, verify and
    // record) the install itself.
    let points: &[(u64, u64, &str)] = &[
        (1, 30, "startup"),
        (2, 50, "compile"),
        (3, 500, "compile"),
        (0, 5, "warm install"),
        (0, 15, "warm install"),
        (0, 40, "warm install"),
    ];
    let mut consistent = 0;
    let mut killed = 0;
    for (round, &(define, delay_ms, what)) in points.iter().enumerate() {
        let mut cmd = build(&env);
        cmd.arg(format!("-DROUND={define}"))
            .arg("--out-dir")
            .arg(&dist)
            .arg(&slow);
        if what == "compile" {
            cmd.arg("-v");
        }
        let mut child = spawn_quiet(&mut cmd);
        let echoed = (what == "compile").then(|| wait_for_compiler(&mut child, &slow));
        std::thread::sleep(Duration::from_millis(delay_ms));
        kill(&child, libc::SIGKILL);
        let pid = child.id();
        let mut out = child.wait_with_output().unwrap();
        if let Some(echoed) = echoed {
            out.stderr = echoed.join().unwrap().into_bytes();
        }
        // A warm run may finish before its kill: it still counts, as a round whose
        // kill came too late.
        if out.status.code().is_none() {
            killed += 1;
        } else {
            assert!(
                out.status.success(),
                "round {round} ({what}): {}",
                stderr(&out)
            );
        }
        assert_no_stray_processes(env.path());
        // The next run settles what the killed one left, before anything reads it.
        success(build(&env).arg("--out-dir").arg(&dist).arg(&hello));
        assert_dist_consistent(&dist);
        assert!(
            temps_of(&dist, pid).is_empty(),
            "the killed run's staging is still in dist/"
        );
        for kind in ["builds", "logs", "probes"] {
            assert!(temps_of(&env.cache().join(kind), pid).is_empty(), "{kind}");
        }
        assert_cache_verifies(&env.cache());
        consistent += 1;
    }
    println!(
        "figure: kill -9 during a C build: {consistent} of {} rounds ({killed} killed mid-run) left dist/ consistent, no process left",
        points.len()
    );
    assert!(killed >= 3, "too few kills landed: {killed}");
}

#[test]
fn sigint_and_sigterm_kill_the_compiler_and_remove_temporary_files() {
    musl_gcc();
    let env = TestEnv::new();
    let dist = env.path().join("dist");
    let slow = slow_source(&env);
    for (round, (signal, code)) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)]
        .into_iter()
        .enumerate()
    {
        let mut cmd = build(&env);
        cmd.arg(format!("-DROUND={}", 100 + round))
            .arg("--out-dir")
            .arg(&dist)
            .arg(&slow);
        let mut child = spawn_quiet(cmd.arg("-v"));
        let pid = child.id();
        let echoed = wait_for_compiler(&mut child, &slow);
        assert!(
            !temps_of(&dist, pid).is_empty(),
            "no staging while compiling"
        );
        std::thread::sleep(Duration::from_millis(100));
        kill(&child, signal);
        let mut out = child.wait_with_output().unwrap();
        out.stderr = echoed.join().unwrap().into_bytes();
        assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
        assert!(stderr(&out).contains("interrupted"), "{}", stderr(&out));
        let left = temps_of(&dist, pid);
        assert!(left.is_empty(), "left in dist/: {left:?}");
        assert_no_stray_processes(env.path());
    }
}

#[test]
fn debris_of_dead_processes_is_removed_by_the_next_run() {
    musl_gcc();
    let env = TestEnv::new();
    let home = env.path().join("home");
    let dist = env.path().join("dist");
    // pid_max is at most 2^22: no process has this pid.
    let dead = 4_194_305u32;
    let alive = std::process::id();
    let mut debris = vec![dist.join(format!(".tmp-{dead}-abc"))];
    for kind in ["libs", "builds", "toolchains", "logs", "downloads"] {
        debris.push(home.join(kind).join(format!(".tmp-{dead}-x")));
    }
    for dir in &debris {
        std::fs::create_dir_all(dir.join("deep")).unwrap();
        std::fs::write(dir.join("deep/file"), vec![0u8; 4096]).unwrap();
    }
    let kept = home.join("libs").join(format!(".tmp-{alive}-mine"));
    std::fs::create_dir_all(&kept).unwrap();
    success(
        build(&env)
            .env("MUSLBUILD_HOME", &home)
            .arg("--out-dir")
            .arg(&dist)
            .arg(example("hello.c")),
    );
    for dir in &debris {
        assert!(!dir.exists(), "{} was not removed", dir.display());
    }
    assert!(
        kept.exists(),
        "a live process's temporary folder was removed"
    );
    assert_dist_consistent(&dist);
    assert_cache_verifies(&home);
}

#[test]
fn cache_stats_and_prune_keep_builds_libs_logs_under_the_bound() {
    musl_gcc();
    let env = TestEnv::new();
    let home = env.path().join("home");
    let run = |args: &[&str]| -> Output {
        env.muslbuild()
            .env("MUSLBUILD_HOME", &home)
            .args(args)
            .output()
            .unwrap()
    };
    for name in ["one", "two"] {
        success(
            build(&env)
                .env("MUSLBUILD_HOME", &home)
                .args(["-o", name])
                .arg(example("hello.c")),
        );
    }
    let stats = run(&["cache", "stats"]);
    assert!(stats.status.success(), "{}", stderr(&stats));
    for folder in ["builds/", "libs/", "logs/", "sources/", "toolchains/"] {
        assert!(stdout(&stats).contains(folder), "{}", stdout(&stats));
    }
    let json = run(&["--json", "cache", "stats"]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["folders"][0]["name"], "builds");
    assert_eq!(json["folders"][0]["entries"], 2);

    // `one` is used again (a cache hit), so `two` is the least recently used.
    std::thread::sleep(Duration::from_millis(20));
    success(
        build(&env)
            .env("MUSLBUILD_HOME", &home)
            .args(["-o", "one"])
            .arg(example("hello.c")),
    );
    let out = run(&["--json", "cache", "prune", "--max-size", "1T"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["removed"].as_array().unwrap().len(), 0);
    let out = run(&["--json", "cache", "prune", "--max-size", "0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let removed: Vec<String> = report["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            Path::new(p.as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let position = |prefix: &str| {
        removed
            .iter()
            .position(|n| n.starts_with(prefix) && !n.ends_with(".log"))
            .unwrap_or_else(|| panic!("{prefix} not pruned: {removed:?}"))
    };
    assert!(
        position("two-") < position("one-"),
        "least recently used first: {removed:?}"
    );
    assert_eq!(report["after"], 0);
    assert_eq!(std::fs::read_dir(home.join("builds")).unwrap().count(), 0);
    let bad = run(&["cache", "prune", "--max-size", "lots"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("help:"));
}

/// `cache prune` beside a running build: a project whose vendored program links a
/// vendored library is held inside its `make` (a fifo its Makefile reads) while prune
/// runs with no room at all. What that build uses (the library's prefix and logs) and
/// makes (its own logs) is kept and named; an idle entry of an earlier build goes. The
/// build then finishes and runs; once it is over, prune takes the rest.
#[test]
fn cache_prune_beside_a_running_build_keeps_what_it_uses() {
    musl_gcc();
    let env = TestEnv::new();
    let home = env.path().join("home");
    let started = env.path().join("started");
    let release = env.path().join("release");
    env.write("greet/greet.h", "const char *greet(void);\n");
    env.write(
        "greet/greet.c",
        "#include \"greet.h\"\nconst char *greet(void) { return \"greetings\"; }\n",
    );
    env.write(
        "greet/Makefile",
        "libgreet.a: greet.c greet.h\n\t$(CC) $(CFLAGS) -c greet.c -o greet.o && $(AR) rcs $@ greet.o\n\
         install: libgreet.a\n\tmkdir -p $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include\n\
         \tcp libgreet.a $(DESTDIR)$(PREFIX)/lib/ && cp greet.h $(DESTDIR)$(PREFIX)/include/\n",
    );
    env.write(
        "slow/Makefile",
        &format!(
            "slow: slow.c\n\tif [ -p '{release}' ]; then touch '{started}'; cat '{release}' >/dev/null; fi\n\
             \t$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) -o slow slow.c $(LIBS)\n\
             install: slow\n\tmkdir -p $(DESTDIR)$(PREFIX)/bin && cp slow $(DESTDIR)$(PREFIX)/bin/\n",
            release = release.display(),
            started = started.display()
        ),
    );
    let program = |word: &str| {
        env.write(
            "slow/slow.c",
            &format!(
                "#include <stdio.h>\n#include <greet.h>\nint main(void) {{ printf(\"%s {word}\\n\", greet()); return 0; }}\n"
            ),
        );
    };
    program("once");
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\"]\ntoolchain = \"musl-gcc\"\n\
         [lib.greet]\npath = \"greet\"\nbuild = \"make\"\n\
         [vendor.slow]\npath = \"slow\"\nbuild = \"make\"\nlibs = [\"greet\"]\nprograms = [\"slow\"]\n",
    );
    let muslbuild = || {
        let mut cmd = env.muslbuild();
        cmd.env("MUSLBUILD_HOME", &home);
        cmd
    };
    // An earlier build's entry, idle from now on.
    success(
        build(&env)
            .env("MUSLBUILD_HOME", &home)
            .arg(example("hello.c")),
    );
    success(muslbuild().arg("build"));

    // The edit makes `make` run again, and block.
    program("again");
    crate::support::fifo(&release);
    let running = muslbuild()
        .arg("build")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    crate::support::wait_for_file(&started, "the vendored build never reached make");
    let out = success(muslbuild().args(["--json", "cache", "prune", "--max-size", "0"]));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names = |key: &str| -> Vec<String> {
        report[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let path = Path::new(p.as_str().unwrap());
                let parent = path
                    .parent()
                    .unwrap()
                    .file_name()
                    .unwrap()
                    .to_string_lossy();
                format!("{parent}/{}", path.file_name().unwrap().to_string_lossy())
            })
            .collect()
    };
    let (removed, kept) = (names("removed"), names("in_use"));
    let has = |list: &[String], prefix: &str| list.iter().any(|n| n.starts_with(prefix));
    assert!(
        has(&kept, "libs/greet-") && has(&kept, "libs/slow-"),
        "kept: {kept:?}, removed: {removed:?}"
    );
    assert!(
        has(&removed, "builds/hello-x86_64-") && !has(&removed, "libs/greet-"),
        "removed: {removed:?}"
    );
    let greet: Vec<_> = std::fs::read_dir(home.join("libs"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("greet-"))
        .collect();
    assert_eq!(greet.len(), 1, "the library the build uses is gone");
    let human = success(muslbuild().args(["cache", "prune", "--max-size", "0"]));
    assert!(
        stdout(&human).contains("in use by a running build, kept: "),
        "{}",
        stdout(&human)
    );

    // Opening the pipe for writing ends the Makefile's `cat`: the build goes on.
    std::fs::write(&release, "").unwrap();
    let finished = running.wait_with_output().unwrap();
    assert!(finished.status.success(), "{}", stderr(&finished));
    let ran = run_binary(None, &env.path().join("dist/x86_64/slow"), b"");
    assert_eq!(stdout(&ran), "greetings again\n");
    assert_dist_consistent(&env.path().join("dist"));

    let out = success(muslbuild().args(["--json", "cache", "prune", "--max-size", "0"]));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["in_use"], serde_json::json!([]), "{report:#}");
    assert!(
        std::fs::read_dir(home.join("libs"))
            .unwrap()
            .flatten()
            .all(|e| !e.file_name().to_string_lossy().starts_with("greet-")),
        "{report:#}"
    );
}

/// The case: `manifest.json` truncated to `{"garbage": ` while `x86_64/hello` is
/// on disk. The next build rebuilds the records from the files (each verified again,
/// named by its SBOM) and says so, so `hello` stays in the manifest, the checksums and
/// the next image; an artifact that has no SBOM to say what built it is refused, naming
/// it, with nothing changed.
#[test]
fn a_damaged_manifest_is_rebuilt_from_the_files_never_emptied() {
    musl_gcc();
    let env = TestEnv::new();
    success(build(&env).arg(example("hello.c")));
    let dist = env.path().join("dist");
    let garbage = b"{\"garbage\": ";
    std::fs::write(dist.join("manifest.json"), garbage).unwrap();
    let other = env.write("other.c", "int main(void) { return 0; }\n");
    let out = success(build(&env).arg(&other));
    let err = stderr(&out);
    assert!(
        err.contains("manifest.json could not be read") && err.contains("(1 artifacts)"),
        "{err}"
    );
    assert_eq!(assert_dist_consistent(&dist), 2);
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    assert!(sums.contains("  x86_64/hello\n"), "{sums}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dist.join("manifest.json")).unwrap()).unwrap();
    let hello = manifest["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "x86_64/hello")
        .expect("hello's record is back");
    assert_eq!(hello["toolchain"], "musl-gcc", "{hello}");
    assert_eq!(hello["verification"]["static"], true, "{hello}");
    // The image packs both: its Dockerfile copies what each platform's layer holds.
    success(env.muslbuild().args(["image", "--no-sbom"]));
    let dockerfile = std::fs::read_to_string(dist.join("Dockerfile")).unwrap();
    for name in ["hello", "other"] {
        assert!(
            dockerfile.contains(&format!("COPY [\"x86_64/{name}\",\"/{name}\"]")),
            "the image leaves {name} out:\n{dockerfile}"
        );
    }

    // An artifact built without an SBOM cannot be recorded again: refused, untouched.
    success(build(&env).args(["--no-sbom", "-o", "bare"]).arg(&other));
    std::fs::write(dist.join("manifest.json"), garbage).unwrap();
    let sums_before = std::fs::read(dist.join("SHA256SUMS")).unwrap();
    let out = build(&env).arg(&other).output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    let first = err.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("muslbuild: error: ")
            && first.contains("manifest.json` is damaged")
            && first.contains("x86_64/bare` cannot be recorded again"),
        "{err}"
    );
    assert!(err.contains("help: nothing was changed"), "{err}");
    assert_eq!(std::fs::read(dist.join("manifest.json")).unwrap(), garbage);
    assert_eq!(std::fs::read(dist.join("SHA256SUMS")).unwrap(), sums_before);
    std::fs::remove_file(dist.join("x86_64/bare")).unwrap();
    success(build(&env).arg(&other));
    assert_eq!(assert_dist_consistent(&dist), 2);
}

/// The case: `--out-dir` on a tiny tmpfs (mounted in a mount namespace of the
/// test's own — with a user namespace when not root — so nothing is left mounted). A warm build
/// copies its 17 KiB artifact from the build cache into a dist with 8 KiB: exit 8, the
/// file system named with its mount point, the free and the needed bytes, and a help
/// that says what to free or where to write instead; no temporary file is left.
#[test]
fn a_full_disk_is_named_with_the_bytes_needed() {
    musl_gcc();
    let unshare = require("unshare", "util-linux");
    let env = TestEnv::new();
    let home = env.path().join("home");
    success(
        build(&env)
            .env("MUSLBUILD_HOME", &home)
            .arg(example("hello.c")),
    );
    let small = env.path().join("small");
    let kept = env.path().join("kept");
    std::fs::create_dir_all(&small).unwrap();
    let cmd = build(&env);
    let muslbuild = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    // Root mounts in a mount namespace of its own; anyone else first maps itself to root
    // in a user namespace. Either way the mount is private and ends with the namespace.
    // SAFETY: geteuid reads the process's effective uid and cannot fail.
    let namespaces: &[&str] = if unsafe { libc::geteuid() } == 0 {
        &["--mount"]
    } else {
        &["--user", "--map-root-user", "--mount"]
    };
    let out = Command::new(unshare)
        .args(namespaces)
        .args(["sh", "-c"])
        // The mount fails the test loudly (exit 99); the dist is copied out before the
        // namespace, and the tmpfs with it, go away.
        .arg(
            "mount -t tmpfs -o size=8k tmpfs \"$1\" || exit 99; d=\"$1\"; k=\"$2\"; shift 2; \
             \"$@\"; s=$?; cp -a \"$d/dist\" \"$k\"; exit $s",
        )
        .arg("sh")
        .arg(&small)
        .arg(&kept)
        .arg(muslbuild)
        .args(args)
        .arg("--out-dir")
        .arg(small.join("dist"))
        .arg(example("hello.c"))
        .current_dir(env.path())
        .env("MUSLBUILD_HOME", &home)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_ne!(
        out.status.code(),
        Some(99),
        "this test mounts a small tmpfs in a mount namespace (`unshare {namespaces:?}`), which this machine refuses: {err}"
    );
    assert_eq!(out.status.code(), Some(8), "{err}");
    let first = err.lines().next().unwrap_or_default();
    let mount = format!("mounted at {} is full (ENOSPC)", small.display());
    assert!(
        first.starts_with("muslbuild: error: cannot write the output directory")
            && first.contains(&mount)
            && first.contains(" free, 17.3 KiB needed"),
        "{err}"
    );
    let help = err
        .lines()
        .find(|l| l.starts_with("help: "))
        .unwrap_or_default();
    assert!(
        help.contains(&format!("free at least 17.3 KiB on {}", small.display()))
            && help.contains("--out-dir DIR"),
        "{err}"
    );
    let left: Vec<_> = walkdir(&kept);
    assert!(
        left.iter()
            .all(|p| !p.to_string_lossy().contains(".tmp-") && !p.ends_with("x86_64/hello")),
        "left in dist/: {left:?}"
    );
}

/// Every file under `dir`.
fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            found.extend(walkdir(&entry.path()));
        } else {
            found.push(entry.path());
        }
    }
    found
}

#[test]
fn install_from_over_an_installed_toolchain_is_verified_never_ignored() {
    let f = Fixture::new();
    f.serve(&good_archive(), None, None);
    let out = f.install();
    assert!(out.status.success(), "{}", stderr(&out));
    let record = f
        .home
        .join("toolchains")
        .join(ENTRY)
        .join(".muslbuild-complete");
    let before = std::fs::read(&record).unwrap();

    // Another archive: refused with the reason, the installed one untouched.
    let other = f.env.path().join("other.tgz");
    std::fs::write(&other, b"not the installed archive").unwrap();
    let out = f
        .install_command()
        .arg("--from")
        .arg(&other)
        .args(["--sha256", &sha256(b"not the installed archive")])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("already installed from") && err.contains("toolchain remove"),
        "{err}"
    );
    assert_eq!(std::fs::read(&record).unwrap(), before);

    // The wrong hash for the file: a checksum error, not "already installed".
    let out = f
        .install_command()
        .arg("--from")
        .arg(&other)
        .args(["--sha256", &sha256(b"x")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(9), "{}", stderr(&out));

    // The same archive: verified, and said to be the installed one.
    let same = f.env.path().join(ARCHIVE);
    std::fs::write(&same, good_archive()).unwrap();
    let out = f
        .install_command()
        .arg("--from")
        .arg(&same)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("the same file"), "{}", stdout(&out));
}

#[test]
fn a_mirror_is_named_in_its_failure_and_in_the_install_record() {
    let f = Fixture::new();
    let archive = good_archive();
    // The primary URL serves nothing; the mirror fails first, then has the file.
    f.manifest(
        &sha256(&archive),
        archive.len() as u64,
        &f.server.url(&format!("primary/{ARCHIVE}")),
    );
    f.server.fault(
        &format!("mirror/{ARCHIVE}"),
        crate::http::Fault::ServerError(100),
    );
    f.server.add(&format!("mirror/{ARCHIVE}"), archive.clone());
    let mirror = format!("{}/mirror", f.server.base());
    let out = f
        .muslbuild()
        .env("MUSLBUILD_MIRROR", &mirror)
        .env("MUSLBUILD_HTTP_RETRIES", "0")
        .args(INSTALL_ARGS)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(9), "{err}");
    let first = err
        .lines()
        .find(|l| l.starts_with("muslbuild: error:"))
        .unwrap();
    assert!(
        first.contains(&format!("cannot download {mirror}/{ARCHIVE}: HTTP 500")),
        "{first}"
    );
    f.assert_nothing_installed();

    f.server
        .fault(&format!("mirror/{ARCHIVE}"), crate::http::Fault::None);
    let out = f
        .muslbuild()
        .env("MUSLBUILD_MIRROR", &mirror)
        .args(INSTALL_ARGS)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let record = std::fs::read_to_string(
        f.home
            .join("toolchains")
            .join(ENTRY)
            .join(".muslbuild-complete"),
    )
    .unwrap();
    let record: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert_eq!(record["source"], format!("{mirror}/{ARCHIVE}"));
}

#[test]
fn a_download_of_unknown_size_stops_at_max_size() {
    let f = Fixture::new();
    let archive = good_archive();
    let url = f.server.add(ARCHIVE, archive.clone());
    let manifest = f.manifest(&sha256(&archive), archive.len() as u64, &url);
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace(&format!("size = {}\n", archive.len()), "max-size = 1000\n");
    std::fs::write(&manifest, text).unwrap();
    let out = f.install();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(9), "{err}");
    assert!(
        err.contains("more than 1000 bytes") && err.contains("max-size"),
        "{err}"
    );
    f.assert_nothing_installed();
    assert!(
        !f.home
            .join("downloads")
            .join(format!("{ARCHIVE}.part"))
            .exists(),
        "the capped body was kept"
    );
}

#[test]
fn verify_of_a_missing_file_is_bad_input() {
    let env = TestEnv::new();
    let out = env
        .muslbuild()
        .args(["verify", "/nonexistent/hello"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("`/nonexistent/hello` does not exist"));
    assert!(stderr(&out).contains("help:"));
}

#[test]
fn verify_of_a_folder_muslbuild_did_not_write_says_what_it_takes() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path().join("bin")).unwrap();
    let out = env.muslbuild().args(["verify", "bin"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("`bin` is a folder without a manifest.json"),
        "{err}"
    );
    assert!(err.contains("help: name the executables"), "{err}");
}

#[test]
fn a_source_path_that_is_not_utf8_builds_end_to_end() {
    musl_gcc();
    use std::os::unix::ffi::OsStringExt;
    let env = TestEnv::new();
    let dir = env
        .path()
        .join(std::ffi::OsString::from_vec(b"src-\xfe".to_vec()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join(std::ffi::OsString::from_vec(b"h\xff.c".to_vec()));
    std::fs::copy(example("hello.c"), &source).unwrap();
    let dist = env.path().join("dist");
    for _ in 0..2 {
        success(
            build(&env)
                .args(["-o", "hi", "--out-dir"])
                .arg(&dist)
                .arg(&source),
        );
    }
    let run = run_binary(None, &dist.join("x86_64/hi"), b"");
    assert_eq!(stdout(&run).trim(), "Hello World");
    assert_dist_consistent(&dist);
    // Without -o the name would come from the file: refused with the way out.
    let out = build(&env).arg(&source).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("-o NAME"), "{}", stderr(&out));
}

#[test]
fn three_hundred_thousand_defines_build() {
    musl_gcc();
    let env = TestEnv::new();
    env.write(
        "defs.c",
        "#include <stdio.h>\nint main(void) { printf(\"%d %d\\n\", D0, D299999); return 0; }\n",
    );
    let defines: Vec<String> = (0..300_000).map(|i| format!("\"D{i}={i}\"")).collect();
    env.write(
        "muslbuild.toml",
        &format!(
            "[project]\ntargets = [\"x86_64\"]\ntoolchain = \"musl-gcc\"\n\n[c.defs]\nsources = [\"defs.c\"]\ndefines = [{}]\n",
            defines.join(",")
        ),
    );
    success(env.muslbuild().arg("build"));
    let run = run_binary(None, &env.path().join("dist/x86_64/defs"), b"");
    assert_eq!(stdout(&run).trim(), "0 299999");
    assert_dist_consistent(&env.path().join("dist"));
}

#[test]
fn a_long_compiler_command_line_goes_through_a_response_file() {
    // A fake compiler (orchestration only): it keeps the response file it is given.
    musl_gcc();
    let env = TestEnv::new();
    let kept = env.path().join("kept.rsp");
    let fake = env.write(
        "fake-cc",
        &format!(
            "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in @*) cp \"${{a#@}}\" '{}'; exit 1;; esac; done\nexec '{}' \"$@\"\n",
            kept.display(),
            require("musl-gcc", "musl-tools").display()
        ),
    );
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let long = "x".repeat(200);
    let mut cmd = env.muslbuild();
    cmd.args(["-t", "x86_64", "--cc"]).arg(&fake);
    for i in 0..600 {
        cmd.arg(format!("-I/include/{long}/{i}"));
    }
    cmd.arg("--cflags=-DMSG='\"a b\"'").arg(example("hello.c"));
    // (The fake passes the probe through musl-gcc, then stops at the response file:
    // gcc itself cannot take this many -I, it copies every option into one environment
    // variable for cc1.)
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        &stderr(&out)[..2000.min(stderr(&out).len())]
    );
    let text = std::fs::read_to_string(&kept).expect("the compiler got a response file");
    assert!(text.contains(&format!("/include/{long}/599")), "{text}");
    assert!(text.contains("-DMSG=\\\"a\\ b\\\""), "{text}");
}

#[test]
fn kill_9_during_a_library_build_leaves_no_process_and_no_debris() {
    musl_gcc();
    let env = TestEnv::new();
    let home = env.path().join("home");
    let started = env.path().join("started");
    let may_finish = env.path().join("may-finish");
    // A sleep the test can recognise: a grandchild of muslbuild (configure's child).
    let sleeper = env.path().join("bin/fault-sleep");
    std::fs::create_dir_all(sleeper.parent().unwrap()).unwrap();
    std::fs::copy(require("sleep", "coreutils"), &sleeper).unwrap();
    env.write("slow/slow.c", "int slow(void) { return 42; }\n");
    env.write(
        "slow/configure",
        &format!(
            "#!/bin/sh\nif [ ! -f '{may_finish}' ]; then touch '{started}'; '{sleeper}' 30; fi\n\
             for a in \"$@\"; do case $a in --prefix=*) prefix=${{a#--prefix=}};; esac; done\n\
             printf 'libslow.a: slow.c\\n\\t$(CC) $(CFLAGS) -c slow.c -o slow.o && $(AR) rcs libslow.a slow.o\\n\
             install: libslow.a\\n\\tmkdir -p $(DESTDIR)%s/lib && cp libslow.a $(DESTDIR)%s/lib/\\n' \"$prefix\" \"$prefix\" > Makefile\n",
            may_finish = may_finish.display(),
            started = started.display(),
            sleeper = sleeper.display(),
        ),
    );
    let dist = env.path().join("dist");
    let run = || {
        let mut cmd = build(&env);
        cmd.env("MUSLBUILD_HOME", &home)
            .args(["--vendor-lib", "slow=slow:autotools", "--out-dir"])
            .arg(&dist)
            .arg(example("hello.c"));
        cmd
    };
    let child = spawn_quiet(&mut run());
    let pid = child.id();
    crate::support::wait_for_file(&started, "configure never started");
    kill(&child, libc::SIGKILL);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), None);
    assert_no_stray_processes(env.path());
    assert!(
        !temps_of(&home.join("libs"), pid).is_empty(),
        "the killed build should have left its work folder (the next run's debris to sweep)"
    );

    std::fs::write(&may_finish, "").unwrap();
    success(&mut run());
    assert!(
        temps_of(&home.join("libs"), pid).is_empty(),
        "the killed build's work folder is still in libs/"
    );
    assert_dist_consistent(&dist);
    assert_cache_verifies(&home);
}
