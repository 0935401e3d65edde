//! Build steps that run what they build, for a foreign target: a Makefile that runs a
//! generator linked with `$(CC)`, a cmake project with `try_run` and a custom command
//! running one of its own executables. With qemu-user they run in the step's private
//! binfmt_misc (real zig, real qemu, the real kernel); without it, or with
//! `emulate = false`, the failure is one line naming the step and the program, with
//! what is missing and a documented exit code. The real programs of this kind (bc,
//! bzip2) are in `corpus.rs`.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{TestEnv, require, run_binary, stderr, stdout};

/// Prints the width of `long`: 32 on armv7, 64 on the machine that runs the tests.
const GEN_C: &str = "#include <stdio.h>
int main(int argc, char **argv) {
    FILE *out = argc > 1 ? fopen(argv[1], \"w\") : stdout;
    if (!out) return 1;
    fprintf(out, \"#define WORD_BITS %d\\n\", (int)(8 * sizeof(long)));
    return fclose(out) != 0;
}
";

const TOOL_C: &str = "#include <stdio.h>
#include \"table.h\"
#ifndef PROBED
#define PROBED 0
#endif
int main(void) {
    printf(\"probed %d, word bits %d\\n\", PROBED, WORD_BITS);
    return 0;
}
";

/// A generator linked for the target, run to write the header the program includes.
const MAKEFILE: &str = "all: tool
gen: gen.c
\t$(CC) $(CFLAGS) $(LDFLAGS) -o gen gen.c
table.h: gen
\t./gen > table.h
tool: tool.c table.h
\t$(CC) $(CFLAGS) $(LDFLAGS) -o tool tool.c
install: tool
\tmkdir -p $(DESTDIR)$(PREFIX)/bin
\tcp tool $(DESTDIR)$(PREFIX)/bin/tool
";

/// The Makefile project `gentable` for `targets`, with `extra` lines in its `[vendor]` table.
fn make_project(env: &TestEnv, targets: &str, extra: &str) {
    env.write("gentable/gen.c", GEN_C);
    env.write("gentable/tool.c", TOOL_C);
    env.write("gentable/Makefile", MAKEFILE);
    env.write(
        "muslbuild.toml",
        &format!(
            "[project]\ntargets = [{targets}]\ntoolchain = \"zig\"\n\n[vendor.gentable]\npath = \"gentable\"\nbuild = \"make\"\nprograms = [\"tool\"]\n{extra}"
        ),
    );
}

fn require_qemu() {
    require("qemu-arm-static", "qemu-user-static");
    require("python3", "python3 with the ziglang package");
}

/// A private cache home: each test's build really runs (zig's own cache stays shared).
fn build(env: &TestEnv, args: &[&str]) -> Output {
    env.muslbuild()
        .env("MUSLBUILD_HOME", env.path().join("home"))
        .arg("build")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_generator_linked_for_the_target_runs_under_qemu_and_v_says_so() {
    require_qemu();
    let env = TestEnv::new();
    make_project(&env, "\"x86_64\", \"armv7\"", "");
    let output = build(&env, &["-v"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let err = stderr(&output);
    // Only the foreign target's steps run emulated: configure-less, so make and install.
    assert_eq!(
        err.matches("+ # emulated: runs in a private binfmt_misc (muslbuild-armv7 -> /")
            .count(),
        2,
        "{err}"
    );
    assert!(!err.contains("muslbuild-x86_64"), "{err}");
    let armv7 = run_binary(
        Some("qemu-arm-static"),
        &env.path().join("dist/armv7/tool"),
        b"",
    );
    assert_eq!(stdout(&armv7), "probed 0, word bits 32\n");
    let native = run_binary(None, &env.path().join("dist/x86_64/tool"), b"");
    assert_eq!(stdout(&native), "probed 0, word bits 64\n");
}

/// The one-line error and its `help:`, nothing else, with `-q`.
fn one_error_line(output: &Output) -> (String, String) {
    let err = stderr(output);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines[0].starts_with("muslbuild: error: "), "{err}");
    assert!(lines[1].starts_with("help: "), "{err}");
    (lines[0].to_string(), lines[1].to_string())
}

#[test]
fn with_emulate_false_the_step_and_the_program_are_named_in_one_line() {
    require_qemu();
    let env = TestEnv::new();
    make_project(&env, "\"armv7\"", "emulate = false\n");
    let output = build(&env, &["-q"]);
    assert_eq!(output.status.code(), Some(10), "{}", stderr(&output));
    let (error, help) = one_error_line(&output);
    assert_eq!(
        error,
        "muslbuild: error: building project gentable for armv7 failed at `make`: it runs `gen`, a program built for armv7, which this machine cannot run: emulation is off (`emulate = false`)"
    );
    assert!(help.starts_with("help: drop `emulate = false`"), "{help}");
    assert!(help.contains("make.log"), "{help}");
    assert!(!env.path().join("dist/armv7/tool").exists());
}

/// `PATH` as the tests have it, but without any `qemu-*` program: each folder holding
/// one is replaced by a folder of links to its other programs.
fn path_without_qemu(env: &TestEnv) -> std::ffi::OsString {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for (i, dir) in std::env::split_paths(&std::env::var_os("PATH").unwrap()).enumerate() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let entries: Vec<_> = entries.flatten().collect();
        let is_qemu = |e: &std::fs::DirEntry| e.file_name().to_string_lossy().starts_with("qemu-");
        if !entries.iter().any(is_qemu) {
            dirs.push(dir);
            continue;
        }
        let farm = env.path().join(format!("path-{i}"));
        std::fs::create_dir_all(&farm).unwrap();
        for entry in entries.iter().filter(|e| !is_qemu(e)) {
            std::os::unix::fs::symlink(entry.path(), farm.join(entry.file_name())).unwrap();
        }
        dirs.push(farm);
    }
    std::env::join_paths(dirs).unwrap()
}

fn assert_names_qemu(line: &str, help: &str) {
    assert!(
        line.ends_with(
            "which this machine cannot give: neither `qemu-arm` nor `qemu-arm-static` is on PATH"
        ) || line.ends_with(
            "which this machine cannot run: neither `qemu-arm` nor `qemu-arm-static` is on PATH"
        ),
        "{line}"
    );
    assert!(help.contains("apt-get install qemu-user-static"), "{help}");
}

#[test]
fn without_qemu_user_the_program_and_the_package_are_named_with_exit_12() {
    require_qemu();
    let env = TestEnv::new();
    make_project(&env, "\"armv7\"", "");
    let path = path_without_qemu(&env);
    let output = env
        .muslbuild()
        .env("MUSLBUILD_HOME", env.path().join("home"))
        .env("PATH", &path)
        .args(["build", "-q"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(12), "{}", stderr(&output));
    let (error, help) = one_error_line(&output);
    assert!(
        error.starts_with("muslbuild: error: building project gentable for armv7 failed at `make`: it runs `gen`, a program built for armv7,"),
        "{error}"
    );
    assert_names_qemu(&error, &help);

    // `emulate = true` refuses before anything is built.
    make_project(&env, "\"armv7\"", "emulate = true\n");
    let home = env.path().join("home-required");
    let output = env
        .muslbuild()
        .env("MUSLBUILD_HOME", &home)
        .env("PATH", &path)
        .args(["build", "-q"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(12), "{}", stderr(&output));
    let (error, help) = one_error_line(&output);
    assert!(
        error.starts_with(
            "muslbuild: error: project gentable for armv7 asks for emulation (`emulate = true`)"
        ),
        "{error}"
    );
    assert_names_qemu(&error, &help);
    assert!(!home.join("vendor").exists() || is_empty(&home.join("vendor")));
}

fn is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

/// cmake refuses `try_run` in a cross build unless it knows an emulator; muslbuild
/// names qemu-user as `CMAKE_CROSSCOMPILING_EMULATOR`, which cmake also puts in front of
/// a custom command that runs one of the project's own executables.
#[test]
fn cmake_try_run_and_custom_commands_run_through_the_named_emulator() {
    require_qemu();
    require("cmake", "cmake");
    let env = TestEnv::new();
    env.write("probed/gen.c", GEN_C);
    env.write("probed/tool.c", TOOL_C);
    env.write(
        "probed/probe.c",
        "#include <stdio.h>\nint main(void) { printf(\"%d\", (int)(8 * sizeof(long))); return 0; }\n",
    );
    env.write(
        "probed/CMakeLists.txt",
        "cmake_minimum_required(VERSION 3.13)
project(probed C)
try_run(PROBE_RAN PROBE_COMPILED ${CMAKE_BINARY_DIR}/probe ${CMAKE_SOURCE_DIR}/probe.c
        RUN_OUTPUT_VARIABLE WORD_BITS)
if(NOT PROBE_COMPILED OR NOT PROBE_RAN EQUAL 0)
  message(FATAL_ERROR \"the probe did not run: ${PROBE_RAN}\")
endif()
add_executable(gen gen.c)
add_custom_command(OUTPUT table.h COMMAND gen ${CMAKE_BINARY_DIR}/table.h DEPENDS gen)
add_executable(tool tool.c ${CMAKE_BINARY_DIR}/table.h)
target_include_directories(tool PRIVATE ${CMAKE_BINARY_DIR})
target_compile_definitions(tool PRIVATE PROBED=${WORD_BITS})
install(TARGETS tool DESTINATION bin)
",
    );
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"armv7\"]\ntoolchain = \"zig\"\n\n[vendor.probed]\npath = \"probed\"\nprograms = [\"tool\"]\n",
    );
    let output = build(&env, &["-v"]);
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(err.contains("-DCMAKE_CROSSCOMPILING_EMULATOR=/"), "{err}");
    let run = run_binary(
        Some("qemu-arm-static"),
        &env.path().join("dist/armv7/tool"),
        b"",
    );
    assert_eq!(stdout(&run), "probed 32, word bits 32\n");

    // Without the emulator cmake refuses try_run; the error says what it could not run.
    let file = env.path().join("muslbuild.toml");
    let text = std::fs::read_to_string(&file).unwrap() + "emulate = false\n";
    std::fs::write(&file, text).unwrap();
    let output = build(&env, &["-q"]);
    assert_eq!(output.status.code(), Some(10), "{}", stderr(&output));
    let (error, _) = one_error_line(&output);
    assert_eq!(
        error,
        "muslbuild: error: building project probed for armv7 failed at `configure`: it runs `try_run's test program`, a program built for armv7, which this machine cannot run: emulation is off (`emulate = false`)"
    );
}

/// The private binfmt_misc needs no privilege: the same build as an ordinary user (the
/// tests' own user, or `nobody` when they run as root), with the GNU cross gcc and the
/// musl specs, which any user can run; muslbuild itself is copied to where that user
/// may execute it.
#[test]
fn an_unprivileged_user_gets_the_same_private_binfmt_misc() {
    require_qemu();
    require("arm-linux-gnueabihf-gcc", "gcc-arm-linux-gnueabihf");
    let env = TestEnv::new();
    make_project(&env, "\"armv7\"", "");
    let text = std::fs::read_to_string(env.path().join("muslbuild.toml"))
        .unwrap()
        .replace("toolchain = \"zig\"", "toolchain = \"musl-gcc\"");
    std::fs::write(env.path().join("muslbuild.toml"), text).unwrap();
    let muslbuild = env.path().join("muslbuild");
    std::fs::copy(env!("CARGO_BIN_EXE_muslbuild"), &muslbuild).unwrap();
    let mut cmd = std::process::Command::new(&muslbuild);
    cmd.current_dir(env.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("HOME", env.path())
        .env("TMPDIR", env.path())
        .env("MUSLBUILD_HOME", env.path().join("home"))
        .env("MUSLBUILD_OFFLINE", "1")
        .args(["build", "-v"]);
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        const NOBODY: u32 = 65534;
        chown_tree(env.path(), NOBODY);
        use std::os::unix::process::CommandExt;
        cmd.uid(NOBODY).gid(NOBODY);
    }
    let output = cmd.output().unwrap();
    let err = stderr(&output);
    assert!(output.status.success(), "{err}");
    assert!(
        err.contains("+ # emulated: runs in a private binfmt_misc (muslbuild-armv7 -> /"),
        "{err}"
    );
    let run = run_binary(
        Some("qemu-arm-static"),
        &env.path().join("dist/armv7/tool"),
        b"",
    );
    assert_eq!(stdout(&run), "probed 0, word bits 32\n");
}

fn chown_tree(dir: &Path, uid: u32) {
    std::os::unix::fs::chown(dir, Some(uid), Some(uid)).unwrap();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if entry.file_type().unwrap().is_dir() {
            chown_tree(&path, uid);
        } else {
            std::os::unix::fs::lchown(&path, Some(uid), Some(uid)).unwrap();
        }
    }
}
