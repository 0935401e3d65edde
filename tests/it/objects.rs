//! Many-file C programs: one cached object per source, compiled in parallel, one link.
//! What recompiles is counted from `-v`, which echoes every compile (`… -c SOURCE …`).

use std::path::Path;

use crate::support::{TestEnv, require, run_binary, stderr, stdout, success};

/// Ten sources and two headers: `f0.c`–`f4.c` include `low.h`, `f5.c`–`f9.c` include
/// `high.h`, `main.c` neither; the program prints the sum of every `fN()`.
fn write_fixture(env: &TestEnv) {
    env.write("low.h", "#define LOW 1\n");
    env.write("high.h", "#define HIGH 100\n");
    let mut main = String::from("#include <stdio.h>\n");
    let mut sum = String::new();
    for i in 0..10 {
        let header = if i < 5 { "low.h" } else { "high.h" };
        let constant = if i < 5 { "LOW" } else { "HIGH" };
        env.write(
            &format!("f{i}.c"),
            &format!("#include \"{header}\"\nint f{i}(void) {{ return {constant}; }}\n"),
        );
        main.push_str(&format!("int f{i}(void);\n"));
        sum.push_str(&format!(" + f{i}()"));
    }
    main.push_str(&format!(
        "int main(void) {{ printf(\"%d\\n\", 0{sum}); return 0; }}\n"
    ));
    env.write("main.c", &main);
}

fn sources() -> Vec<String> {
    let mut files = vec!["main.c".to_string()];
    files.extend((0..10).map(|i| format!("f{i}.c")));
    files
}

/// Builds the program (x86_64, zig, `-v`) from `sources` plus `extra` arguments; returns
/// how many objects compiled and what the program printed.
fn build(env: &TestEnv, sources: &[String], extra: &[&str]) -> (usize, String) {
    let output = success(
        env.muslbuild()
            .args([
                "-v",
                "--toolchain",
                "zig",
                "--target",
                "x86_64",
                "-o",
                "prog",
            ])
            .args(extra)
            .args(sources),
    );
    // A source's compile: not the Python a fresh cache asks where zig is (`python3 -c`).
    let compiles = stderr(&output)
        .lines()
        .filter(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            l.starts_with("+ ")
                && words
                    .windows(2)
                    .any(|w| w[0] == "-c" && w[1].ends_with(".c"))
        })
        .count();
    let run = run_binary(None, &env.path().join("dist/x86_64/prog"), b"");
    assert!(run.status.success());
    (compiles, stdout(&run).trim().to_string())
}

#[test]
fn only_what_changed_recompiles_and_a_removed_source_is_not_linked() {
    require("python3", "python3 with the ziglang package");
    let env = TestEnv::with_own_cache();
    write_fixture(&env);
    let files = sources();
    assert_eq!(build(&env, &files, &[]), (11, "505".to_string()));
    // Unchanged: the program's own entry, nothing compiles.
    assert_eq!(build(&env, &files, &[]), (0, "505".to_string()));
    env.write("f2.c", "#include \"low.h\"\nint f2(void) { return 2; }\n");
    assert_eq!(build(&env, &files, &[]), (1, "506".to_string()));
    // The five includers of low.h, not the others.
    env.write("low.h", "#define LOW 3\n");
    assert_eq!(build(&env, &files, &[]), (5, "514".to_string()));
    env.write("high.h", "#define HIGH 1000\n");
    assert_eq!(build(&env, &files, &[]), (5, "5014".to_string()));
    // A flag every compile sees.
    assert_eq!(
        build(&env, &files, &["--cflags", "-DUNUSED=1"]),
        (11, "5014".to_string())
    );

    // A source whose constructor prints: linked while listed, gone when removed.
    env.write(
        "extra.c",
        "#include <stdio.h>\n__attribute__((constructor)) static void hello(void) { puts(\"extra\"); }\n",
    );
    let mut with_extra = files.clone();
    with_extra.push("extra.c".to_string());
    assert_eq!(
        build(&env, &with_extra, &[]),
        (1, "extra\n5014".to_string())
    );
    assert_eq!(build(&env, &files, &[]), (0, "5014".to_string()));
}

#[test]
fn a_many_file_program_is_the_same_bytes_from_two_folders() {
    require("python3", "python3 with the ziglang package");
    let digests: Vec<Vec<Vec<u8>>> = (0..2)
        .map(|_| {
            let env = TestEnv::new();
            write_fixture(&env);
            success(
                env.muslbuild()
                    .args([
                        "--toolchain",
                        "zig",
                        "--target",
                        "x86_64,aarch64,armv7",
                        "-o",
                        "prog",
                    ])
                    .args(sources()),
            );
            ["x86_64", "aarch64", "armv7"]
                .iter()
                .map(|t| std::fs::read(env.path().join("dist").join(t).join("prog")).unwrap())
                .collect()
        })
        .collect();
    for (a, b) in digests[0].iter().zip(&digests[1]) {
        assert!(!a.is_empty());
        assert!(a == b, "the artifacts differ between the two folders");
    }
}

#[test]
fn a_compile_error_in_one_object_fails_every_target_and_leaves_dist_empty() {
    require("python3", "python3 with the ziglang package");
    let env = TestEnv::new();
    write_fixture(&env);
    env.write("f7.c", "int f7(void) { return missing_name; }\n");
    let output = env
        .muslbuild()
        .args([
            "--toolchain",
            "zig",
            "--target",
            "x86_64,aarch64,armv7",
            "-o",
            "prog",
        ])
        .args(sources())
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(4), "stderr:\n{err}");
    for target in ["x86_64", "aarch64", "armv7"] {
        assert!(
            err.contains(&format!("compiling `f7.c` of `prog` for {target} failed")),
            "{target} not named in:\n{err}"
        );
    }
    assert!(err.contains("missing_name"), "no diagnostics in:\n{err}");
    assert_dist_has_no_files(&env.path().join("dist"));
}

fn assert_dist_has_no_files(dist: &Path) {
    let Ok(entries) = std::fs::read_dir(dist) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.starts_with(".tmp"), "leftover {}", path.display());
        if path.is_dir() {
            let inside: Vec<_> = std::fs::read_dir(&path).unwrap().collect();
            assert!(inside.is_empty(), "{} holds {inside:?}", path.display());
        } else {
            // The dist transaction may leave its empty records, never an artifact.
            let text = std::fs::read_to_string(&path).unwrap();
            let empty = match name.as_str() {
                "manifest.json" => {
                    text.split_whitespace().collect::<String>() == "{\"artifacts\":[]}"
                }
                "SHA256SUMS" => text.is_empty(),
                _ => false,
            };
            assert!(empty, "{} written: {text}", path.display());
        }
    }
}

#[test]
fn kill_9_during_the_object_phase_leaves_no_object_the_cache_trusts() {
    require("python3", "python3 with the ziglang package");
    let env = TestEnv::with_own_cache();
    env.write("quick.c", "int quick(void) { return 1; }\n");
    let mut slow = String::from("#include <stdio.h>\nint quick(void);\n");
    for i in 0..700 {
        slow.push_str(&format!(
            "int f{i}(int x) {{ int y = x; for (int i = 0; i < {}; i++) y = y * {} ^ (y >> 3); return y; }}\n",
            i % 7 + 3,
            i + 3
        ));
    }
    slow.push_str("int main(int c, char **v) { long s = quick();\n");
    for i in 0..700 {
        slow.push_str(&format!("  s += f{i}(c);\n"));
    }
    slow.push_str("  printf(\"%ld\\n\", s); return 0; }\n");
    let slow = env.write("slow.c", &slow);
    // One slot: quick.c's object is compiled and stored before slow.c's compile starts.
    let args = ["-v", "-j", "1", "--toolchain", "zig", "--target", "x86_64"];
    let mut child = env
        .muslbuild()
        .args(args)
        .args(["-o", "prog", "quick.c", "slow.c"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let echoed = crate::support::wait_for_line(
        child.stderr.take().unwrap(),
        &format!(" -c {} ", slow.display()),
        "slow.c's compile did not start",
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: a signal to the child this test started and has not waited for.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    let pid = child.id();
    let status = child.wait().unwrap();
    let before = echoed.join().unwrap();
    assert!(
        status.code().is_none(),
        "finished before the kill:\n{before}"
    );
    crate::support::assert_cache_verifies(&env.cache());

    // The next run trusts quick.c's published object and compiles slow.c again: the
    // killed compile left nothing under the name a lookup reads.
    let output = success(
        env.muslbuild()
            .args(args)
            .args(["-o", "prog", "quick.c", "slow.c"]),
    );
    let compiled: Vec<String> = stderr(&output)
        .lines()
        .filter(|l| l.starts_with("+ ") && l.contains(" -c "))
        .map(String::from)
        .collect();
    assert_eq!(compiled.len(), 1, "{compiled:#?}");
    assert!(compiled[0].contains(&format!(" -c {} ", slow.display())));
    let leftovers = format!(".tmp-{pid}-");
    for dir in [env.path().join("dist"), env.cache().join("builds")] {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                !name.starts_with(&leftovers),
                "{name} left in {}",
                dir.display()
            );
        }
    }
    let run = run_binary(None, &env.path().join("dist/x86_64/prog"), b"");
    assert!(run.status.success());
}
