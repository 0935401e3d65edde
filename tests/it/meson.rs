//! `build = "meson"` on small fixtures written here (the real program, fribidi, is in
//! `corpus`): a meson library and a meson project that finds it with pkg-config, which
//! sees the declared libraries and nothing else; a failed `meson setup` that keeps
//! meson's log; a meson too old for zig refused before any build. Compilers and meson
//! are real; the old meson is a fake that only answers `--version`.

use std::path::Path;

use crate::support::{TestEnv, require, run_binary, stderr, stdout, success};

const GREET_MESON: &str = "project('greet', 'c', version: '1.0')
lib = library('greet', 'greet.c', install: true)
install_headers('greet.h')
import('pkgconfig').generate(lib, name: 'greet', description: 'says hello')
";

/// Finds `greet` and asks for `shout` (declared, but it installs no `.pc` file) and for
/// `leak` (a `.pc` file only the caller's PKG_CONFIG_PATH has); `greet_prefix` comes
/// from `{prefix:greet}` in `configure.args`.
const HELLO_MESON: &str = "project('hello', 'c')
greet = dependency('greet')
shout = dependency('shout', required: false)
leak = dependency('leak', required: false)
greet_headers = import('fs').is_file(get_option('greet_prefix') / 'include' / 'greet.h')
defs = [
  '-DSYSCONFDIR=\"@0@\"'.format(get_option('prefix') / get_option('sysconfdir')),
  '-DLEAK=@0@'.format(leak.found() ? 1 : 0),
  '-DPLACEHOLDER=@0@'.format(greet_headers ? 1 : 0),
]
executable('hello', 'hello.c', dependencies: [greet, shout], c_args: defs, install: true)
";

fn requirements() {
    require("meson", "meson");
    require("ninja", "ninja-build");
    require("pkg-config", "pkgconf");
    require("musl-gcc", "musl-tools");
}

/// The declared libraries are built first (greet with meson, its folder guessed from
/// `meson.build`; shout with make), the project finds greet through pkg-config confined
/// to them — not the `.pc` in the caller's PKG_CONFIG_PATH — is configured for /usr and
/// /etc, static, stripped; shout, which meson did not find, is reported with meson's
/// own line.
#[test]
fn a_meson_project_links_a_meson_library_through_confined_pkg_config() {
    requirements();
    let env = TestEnv::new();
    env.write("greet/meson.build", GREET_MESON);
    env.write("greet/greet.h", "const char *greet(void);\n");
    env.write(
        "greet/greet.c",
        "#include \"greet.h\"\nconst char *greet(void) { return \"hello from greet\"; }\n",
    );
    env.write(
        "shout/Makefile",
        "libshout.a: shout.o\n\t$(AR) rcs $@ shout.o\ninstall: libshout.a\n\tmkdir -p $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include\n\tcp libshout.a $(DESTDIR)$(PREFIX)/lib/\n\tcp shout.h $(DESTDIR)$(PREFIX)/include/\n",
    );
    env.write("shout/shout.h", "int shout(void);\n");
    env.write("shout/shout.c", "int shout(void) { return 1; }\n");
    env.write("hello/meson.build", HELLO_MESON);
    env.write(
        "hello/meson_options.txt",
        "option('greet_prefix', type: 'string', value: '')\n",
    );
    env.write(
        "hello/hello.c",
        "#include <stdio.h>\n#include <greet.h>\nint main(void) { printf(\"%s sysconf=%s leak=%d placeholder=%d\\n\", greet(), SYSCONFDIR, LEAK, PLACEHOLDER); return 0; }\n",
    );
    env.write(
        "host-pc/leak.pc",
        "Name: leak\nDescription: a host library\nVersion: 1\nCflags: -DLEAKED\n",
    );
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\"]\ntoolchain = \"musl-gcc\"\n\n[lib.greet]\npath = \"greet\"\nexports = { libs = [\"greet\"], pkg_config = [\"greet\"] }\n\n[lib.shout]\npath = \"shout\"\n\n[vendor.hello]\npath = \"hello\"\nbuild = \"meson\"\nlibs = [\"greet\", \"shout\"]\nconfigure = { args = [\"-Dgreet_prefix={prefix:greet}\"] }\nprograms = [\"hello\"]\n",
    );
    let output = success(
        env.muslbuild()
            .args(["build", "--json"])
            .env("PKG_CONFIG_PATH", env.path().join("host-pc")),
    );
    let err = stderr(&output);
    assert!(
        err.contains("declared library `shout` contributed no symbol to any program (configure: `Run-time dependency shout found: NO"),
        "{err}"
    );
    assert!(!err.contains("library `greet` contributed"), "{err}");
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let artifact = &report["artifacts"][0];
    assert_eq!(artifact["verification"]["stripped"], true, "{report}");
    assert_eq!(artifact["verification"]["static"], true, "{report}");
    let file = env.path().join("dist/x86_64/hello");
    let run = run_binary(None, &file, b"");
    assert_eq!(
        stdout(&run),
        "hello from greet sysconf=/etc leak=0 placeholder=1\n",
        "{}",
        stderr(&run)
    );
    let bytes = std::fs::read(&file).unwrap();
    for path in [env.cache(), env.path().to_path_buf()] {
        let needle = path.display().to_string();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "hello contains {needle}"
        );
    }
    assert!(
        !env.path().join("hello/build.ninja").exists()
            && !env.path().join("greet/build.ninja").exists(),
        "meson wrote into a folder"
    );
}

#[test]
fn a_failed_meson_setup_names_the_step_and_keeps_meson_log() {
    requirements();
    let env = TestEnv::new();
    env.write(
        "hello/meson.build",
        "project('hello', 'c')\nerror('frobnicator missing')\n",
    );
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"x86_64\"]\ntoolchain = \"musl-gcc\"\n[vendor.hello]\npath = \"hello\"\nprograms = [\"hello\"]\n",
    );
    let output = env.muslbuild().arg("build").output().unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(10), "{err}");
    assert!(
        err.contains("building project hello for x86_64 failed at `meson-setup`"),
        "{err}"
    );
    assert!(err.contains("frobnicator missing"), "{err}");
    let kept: Vec<&str> = err
        .split("kept ")
        .skip(1)
        .filter_map(|rest| rest.split([';', '\n']).next())
        .collect();
    let log = kept
        .iter()
        .find(|k| k.ends_with("meson-log.txt"))
        .unwrap_or_else(|| panic!("meson's log not kept:\n{err}"));
    let text = std::fs::read_to_string(log).unwrap();
    assert!(text.contains("frobnicator missing"), "{text}");
}

/// Debian 12's meson (1.0) cannot tell zig's linker: asked to build with zig, muslbuild
/// says so before any build, with the ways out.
#[test]
fn a_meson_too_old_for_zig_is_refused_before_any_build() {
    require("python3", "python3 with the ziglang package");
    let env = TestEnv::new();
    let fake = env.write(
        "fake/meson",
        "#!/bin/sh\n[ \"$1\" = --version ] && { echo 1.0.1; exit 0; }\necho \"fake meson: $*\" >&2\nexit 1\n",
    );
    env.write("fake/ninja", "#!/bin/sh\nexit 1\n");
    for file in [fake.clone(), env.path().join("fake/ninja")] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    env.write("hello/meson.build", "project('hello', 'c')\n");
    env.write(
        "muslbuild.toml",
        "[project]\ntargets = [\"aarch64\"]\ntoolchain = \"zig\"\n[vendor.hello]\npath = \"hello\"\nprograms = [\"hello\"]\n",
    );
    let path = format!(
        "{}:{}",
        Path::new(&fake).parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = env
        .muslbuild()
        .arg("build")
        .env("PATH", path)
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(12), "{err}");
    assert!(
        err.contains("is meson 1.0.1, too old to build project hello for aarch64 with zig"),
        "{err}"
    );
    assert!(err.contains("help: install meson 1.6.0 or newer"), "{err}");
    assert!(err.contains("musl-gcc"), "{err}");
    assert!(
        !err.contains("fake meson"),
        "meson ran past --version:\n{err}"
    );
    assert!(!err.contains("building project"), "{err}");
}
