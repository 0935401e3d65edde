//! zig's strict linker and the translation in front of it (`toolchain::zigld`), with the
//! real zig: the table is exactly what zig refuses, a harmless GNU ld option links and
//! is named by `-v` (a single file's `--ldflags`, a Makefile's link through the
//! `zig-cc` wrapper, its response file included), and a meaningful one is one error line
//! with a help line naming the GCC toolchains, exit 6.

use std::path::Path;
use std::process::Command;

use crate::support::{TestEnv, require, run_binary, stderr, stdout, success};

fn zig() -> String {
    require("python3", "python3 with the ziglang package");
    let out = Command::new("python3")
        .args([
            "-c",
            "import os, ziglang; print(os.path.dirname(ziglang.__file__))",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "prerequisite: python3 package ziglang (scripts/setup-test-env.sh)"
    );
    format!("{}/zig", String::from_utf8_lossy(&out.stdout).trim())
}

fn assert_refused(output: &std::process::Output, option: &str) -> String {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(6), "{err}");
    let first = err
        .lines()
        .find(|l| l.starts_with("muslbuild: error:"))
        .unwrap_or_else(|| panic!("no error line in:\n{err}"));
    assert!(
        first.contains(&format!("`{option}`")) && first.contains("zig's linker cannot take"),
        "{first}"
    );
    let help = err
        .lines()
        .find(|l| l.starts_with("help: "))
        .unwrap_or_else(|| panic!("no help line in:\n{err}"));
    assert!(
        help.contains("GNU ld takes it") && help.contains("musl-cross"),
        "{help}"
    );
    err
}

/// Each entry of the table is refused by zig as written (so it is needed), and through
/// the wrapper a dropped or rewritten one passes while a refused one stops with exit 6.
/// `-E` makes zig read its whole command line, linker arguments included, and stop.
#[test]
fn the_table_is_exactly_what_zig_refuses() {
    let zig = zig();
    let env = TestEnv::new();
    let source = env.write("m.c", "int main(void) { return 0; }\n");
    let cc = |program: &str, pre: &[&str], example: &str| {
        let mut cmd = Command::new(program);
        cmd.args(pre)
            .args(["cc", "-target", "x86_64-linux-musl", "-E", example])
            .arg(&source)
            .current_dir(env.path())
            .env_remove("MUSLBUILD_ZIG_NOTES");
        cmd.output().unwrap()
    };
    let muslbuild = env!("CARGO_BIN_EXE_muslbuild");
    let examples = muslbuild::toolchain::zigld::examples();
    assert!(examples.len() > 30, "{examples:?}");
    for (example, refused) in examples {
        let direct = cc(&zig, &[], &example);
        assert!(
            !direct.status.success() && stderr(&direct).contains("unsupported linker"),
            "zig takes `{example}` as it is: it needs no entry\n{}",
            stderr(&direct)
        );
        let wrapped = cc(muslbuild, &["zig-cc", &zig], &example);
        if refused {
            assert_eq!(
                wrapped.status.code(),
                Some(6),
                "{example}: {}",
                stderr(&wrapped)
            );
            assert!(
                stderr(&wrapped).contains("help: GNU ld takes it"),
                "{example}"
            );
        } else {
            assert!(
                wrapped.status.success(),
                "`{example}` through the wrapper: {}",
                stderr(&wrapped)
            );
            // Run by hand (no notes file), the wrapper says what it did on stderr.
            assert!(
                stderr(&wrapped).contains("muslbuild: dropped")
                    || stderr(&wrapped).contains("muslbuild: rewrote"),
                "{example}: {}",
                stderr(&wrapped)
            );
        }
    }
}

/// A single file's `--ldflags` with a harmless option in each form (a `-Wl,` list, a
/// `-Xlinker` pair, an option and its operand in two arguments) links for aarch64, runs,
/// and `-v` names what was dropped and shows the command zig got.
#[test]
fn a_single_file_links_with_harmless_gnu_ld_options_named_by_v() {
    let env = TestEnv::new();
    // Unique text, so the compile really runs (and its command line is shown) with the
    // suite's cache warm from an earlier run.
    env.write(
        "hello.c",
        &format!(
            "#include <stdio.h>\n/* {} */\nint main(void) {{ puts(\"hello\"); return 0; }}\n",
            env.path().display()
        ),
    );
    let output = success(env.muslbuild().args([
        "-v",
        "--target",
        "aarch64",
        "--toolchain",
        "zig",
        "--ldflags",
        "-Wl,--warn-common,--sort-common -Xlinker --stats -Wl,-Map -Wl,hello.map -Wl,--undefined=main",
        "hello.c",
    ]));
    let err = stderr(&output);
    for said in [
        "`hello` for aarch64: dropped --warn-common (it only warns about common symbols",
        "`hello` for aarch64: dropped --stats",
        "`hello` for aarch64: dropped -Map hello.map",
        "`hello` for aarch64: rewrote --undefined=main as -u main",
    ] {
        assert!(err.contains(said), "`{said}` not in:\n{err}");
    }
    let link = err
        .lines()
        .find(|l| l.starts_with("+ ") && l.contains("hello.c") && l.contains("-o "))
        .unwrap_or_else(|| panic!("no compile line in:\n{err}"));
    assert!(
        link.contains("-Wl,--sort-common") && link.contains("-Wl,-u,main"),
        "{link}"
    );
    for gone in ["--warn-common", "--stats", "-Map", "--undefined"] {
        assert!(!link.contains(gone), "{gone} reached zig: {link}");
    }
    let run = run_binary(
        Some("qemu-aarch64-static"),
        &env.path().join("dist/aarch64/hello"),
        b"",
    );
    assert_eq!(stdout(&run), "hello\n");
}

/// A meaningful option is refused before anything runs, whether the table knows it
/// (`--defsym`) or only zig does (`--no-relax`): one line, the help naming the GCC
/// toolchains, exit 6, nothing in dist/.
#[test]
fn a_meaningful_option_is_refused_naming_it_and_the_gcc_toolchains() {
    let env = TestEnv::new();
    env.write("hello.c", "int main(void) { return 0; }\n");
    let build = |ldflags: &str| {
        env.muslbuild()
            .args([
                "--target",
                "armv7",
                "--toolchain",
                "zig",
                "--ldflags",
                ldflags,
                "hello.c",
            ])
            .output()
            .unwrap()
    };
    let err = assert_refused(
        &build("-Wl,--gc-sections,--defsym,answer=42"),
        "--defsym answer=42",
    );
    assert!(
        err.contains("(as `-Wl,--gc-sections,--defsym,answer=42`)"),
        "{err}"
    );
    assert!(
        err.contains("it defines a symbol's value at link time"),
        "{err}"
    );
    assert!(err.contains("`hello` for armv7"), "{err}");
    assert!(err.contains("arm-linux-gnueabihf-gcc"), "{err}");
    let err = assert_refused(&build("-Wl,--no-relax"), "--no-relax");
    assert!(err.contains("zig's linker does not know it"), "{err}");
    assert!(!env.path().join("dist/armv7/hello").exists());
}

/// A Makefile's link goes through `CC='muslbuild zig-cc ZIG cc …'`: busybox-style
/// options (`--warn-common`, `-Map`, `--verbose`) and a response file with one more
/// are dropped; `-v` names each with the project and step; the program runs.
#[test]
fn a_makefile_links_through_the_wrapper_and_v_names_what_was_dropped() {
    let env = TestEnv::new();
    env.write(
        "tool/Makefile",
        "all: tool
tool: tool.c
\tprintf '%s\\n' -Wl,--stats tool.c > link.rsp
\t$(CC) $(CFLAGS) $(LDFLAGS) -Wl,--warn-common -Wl,-Map,tool.map -Wl,--verbose -o $@ @link.rsp
install: tool
\tmkdir -p $(DESTDIR)$(PREFIX)/bin
\tcp tool $(DESTDIR)$(PREFIX)/bin/
",
    );
    env.write(
        "tool/tool.c",
        "#include <stdio.h>\nint main(void) { puts(\"tool\"); return 0; }\n",
    );
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"aarch64\"]\ntoolchain = \"zig\"\n[vendor.tool]\npath = \"tool\"\nprograms = [\"tool\"]\n",
    );
    let output = success(env.muslbuild().args(["build", "-v"]));
    let err = stderr(&output);
    for said in [
        "project tool for aarch64 (make): dropped --warn-common",
        "project tool for aarch64 (make): dropped -Map tool.map",
        "project tool for aarch64 (make): dropped --verbose",
        "project tool for aarch64 (make): dropped --stats",
    ] {
        assert!(err.contains(said), "`{said}` not in:\n{err}");
    }
    assert!(
        err.contains(" zig-cc "),
        "the wrapper is not make's CC:\n{err}"
    );
    let run = run_binary(
        Some("qemu-aarch64-static"),
        &env.path().join("dist/aarch64/tool"),
        b"",
    );
    assert_eq!(stdout(&run), "tool\n");
}

/// A Makefile whose link passes a meaningful option fails as that option, not as a
/// failed make.
#[test]
fn a_makefile_passing_a_meaningful_option_is_refused_as_that() {
    let env = TestEnv::new();
    env.write(
        "tool/Makefile",
        "tool: tool.c\n\t$(CC) $(CFLAGS) $(LDFLAGS) -Wl,-z,muldefs -o $@ tool.c\ninstall:\n",
    );
    env.write("tool/tool.c", "int main(void) { return 0; }\n");
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\"]\ntoolchain = \"zig\"\n[vendor.tool]\npath = \"tool\"\nprograms = [\"tool\"]\n",
    );
    let output = env.muslbuild().arg("build").output().unwrap();
    let err = assert_refused(&output, "-z muldefs");
    assert!(err.contains("project tool for x86_64"), "{err}");
    assert!(err.contains("Debian's musl-gcc"), "{err}");
}

/// What another build system gets from `lib env` is the wrapper too.
#[test]
fn lib_env_gives_zig_through_the_wrapper() {
    let env = TestEnv::new();
    env.write(
        "greet/Makefile",
        "libgreet.a: greet.o\n\t$(AR) rcs $@ greet.o\ninstall: libgreet.a\n\tmkdir -p $(DESTDIR)$(PREFIX)/lib\n\tcp libgreet.a $(DESTDIR)$(PREFIX)/lib/\n",
    );
    env.write("greet/greet.c", "int greet(int i) { return i; }\n");
    let output = success(env.muslbuild().args([
        "lib",
        "env",
        "--vendor-lib",
        "greet=greet:make",
        "--target",
        "x86_64",
        "--toolchain",
        "zig",
    ]));
    let text = stdout(&output);
    let cc = text
        .lines()
        .find_map(|l| l.strip_prefix("export CC="))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        cc.contains(" zig-cc ") && cc.contains("cc -target x86_64-linux-musl"),
        "{cc}"
    );
    assert!(Path::new(env!("CARGO_BIN_EXE_muslbuild")).is_file());
}

/// A Makefile that compiles a folder's sources in one call without `-o`, then archives
/// the objects by name, as GCC names them (`one.o`, `two.o`): zig alone would write one
/// `one.o` holding both and no `two.o`.
#[test]
fn sources_compiled_in_one_call_give_one_object_each_as_with_gcc() {
    let env = TestEnv::new();
    env.write(
        "parts/Makefile",
        "parts: main.c lib/one.c lib/two.c
\t$(CC) $(CFLAGS) $(CPPFLAGS) -c lib/one.c lib/two.c
\t$(AR) rcs libparts.a one.o two.o
\t$(CC) $(CFLAGS) $(LDFLAGS) -o $@ main.c libparts.a
install: parts
\tmkdir -p $(DESTDIR)$(PREFIX)/bin
\tcp parts $(DESTDIR)$(PREFIX)/bin/
",
    );
    env.write("parts/lib/one.c", "int one(void) { return 1; }\n");
    env.write("parts/lib/two.c", "int two(void) { return 2; }\n");
    env.write(
        "parts/main.c",
        "#include <stdio.h>\nint one(void);\nint two(void);\nint main(void) { printf(\"%d\\n\", one() + two()); return 0; }\n",
    );
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"aarch64\"]\ntoolchain = \"zig\"\n[vendor.parts]\npath = \"parts\"\nprograms = [\"parts\"]\n",
    );
    success(env.muslbuild().arg("build"));
    let run = run_binary(
        Some("qemu-aarch64-static"),
        &env.path().join("dist/aarch64/parts"),
        b"",
    );
    assert_eq!(stdout(&run), "3\n");
}
