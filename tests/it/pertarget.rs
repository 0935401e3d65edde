//! Per-target tables and target placeholders. In the real-toolchain tier: a small project
//! whose `[lib.NAME]` and `[vendor.NAME]` each take a table per target (make arguments,
//! flags, `env`, placeholders), built for x86_64, aarch64 and armv7 and run under qemu.
//! The built-in OpenSSL recipe names each target in Configure's own words with the same
//! tables (tests/it/recipes.rs: its assembler and a TLS handshake on the three targets).
//!
//! In the heavy tier: OpenSSL 3 from Debian's source package as a project's own
//! `[lib.openssl]`, built with its assembler for x86_64 and armv7, each target named in
//! OpenSSL's own words (`linux-x86_64`, `linux-armv4`) by a `[lib.openssl.target.TARGET]`
//! table, and a TLS client linking it that verifies a loopback `openssl s_server`'s
//! certificate (under qemu for the foreign targets). The project file is
//! `tests/openssl/muslbuild.toml`. The same build carries the build-path check's real case:
//! x86_64 is configured as a new user would (`--openssldir={prefix}/ssl`), so its client
//! names the library's prefix in the cache: a warning naming the library, a manifest
//! entry, and with `--strict` exit 5; armv7, configured for `/etc/ssl`, names nothing.

use std::path::Path;
use std::process::Command;

use crate::support::{
    TestEnv, binary_command, certificates, repo_root, require, reversing_tls_server, run_binary,
    stderr, stdout, success,
};

/// (target, qemu, the module only OpenSSL's assembler for that target makes)
/// (aarch64, and the built-in recipe on all three, are tests/it/recipes.rs.)
const TARGETS: [(&str, Option<&str>, &str); 2] = [
    ("x86_64", None, "libcrypto-lib-aesni-x86_64.o"),
    (
        "armv7",
        Some("qemu-arm-static"),
        "libcrypto-lib-bsaes-armv7.o",
    ),
];

const ARCHIVE: &str = "openssl_3.0.17.orig.tar.gz";

/// `<dir>`: the project file and client from tests/openssl, the sources unpacked.
fn project(dir: &Path) {
    for file in ["muslbuild.toml", "tls_client.c"] {
        std::fs::copy(repo_root().join("tests/openssl").join(file), dir.join(file)).unwrap();
    }
    let archive = repo_root().join("target/test-sources").join(ARCHIVE);
    assert!(
        archive.is_file(),
        "prerequisite {} is missing: run `cargo xtask setup` (it runs `apt-get source --download-only openssl`)",
        archive.display()
    );
    success(
        Command::new(require("tar", "tar"))
            .arg("-xf")
            .arg(&archive)
            .arg("-C")
            .arg(dir),
    );
}

fn build_json(env: &TestEnv, root: &Path, args: &[&str]) -> (serde_json::Value, String) {
    let output = success(
        env.muslbuild()
            .current_dir(root)
            .args(["build", "-j2", "--json"])
            .args(args),
    );
    let report = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("--json report: {e}\n{}", stdout(&output)));
    (report, stderr(&output))
}

#[test]
#[cfg_attr(
    not(feature = "heavy"),
    ignore = "heavy tier: cargo test --features heavy"
)]
fn openssl_with_its_assembler_for_two_targets_named_in_its_own_words() {
    let env = TestEnv::new();
    let root = env.path().join("tls");
    std::fs::create_dir_all(&root).unwrap();
    project(&root);
    let (report, err) = build_json(&env, &root, &[]);

    // Each target's libcrypto holds its assembler module: Configure got the target's
    // own name (a generic target has none).
    let ar = require("ar", "binutils");
    for (target, _, module) in TARGETS {
        let library = report["libraries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == "openssl" && l["target"] == target)
            .unwrap_or_else(|| panic!("no openssl for {target} in {report}"));
        let archive = Path::new(library["prefix"].as_str().unwrap()).join("lib/libcrypto.a");
        let members = stdout(&success(Command::new(&ar).arg("t").arg(&archive)));
        assert!(
            members.lines().any(|m| m == module),
            "{target}: {module} is not in {}",
            archive.display()
        );
    }

    // The naive x86_64 configuration names the library's prefix; armv7 nothing. (It also
    // shows that the project's [lib.openssl] replaced the built-in recipe of that name,
    // whose certificate paths are all under /etc/ssl.)
    assert!(
        err.contains("warning: x86_64/tls-client names folders of the build machine"),
        "{err}"
    );
    assert!(err.contains("(the prefix of library openssl)"), "{err}");
    assert!(!err.contains("armv7/tls-client names"), "{err}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("dist/manifest.json")).unwrap()).unwrap();
    for entry in manifest["artifacts"].as_array().unwrap() {
        let found = entry["verification"]["build_paths"].as_array();
        if entry["target"] == "x86_64" {
            let found = found.unwrap_or_else(|| panic!("nothing recorded: {entry}"));
            assert!(
                found.iter().any(|p| {
                    let s = p["string"].as_str().unwrap();
                    s.contains("/libs/openssl-")
                        && s.ends_with("/ssl/cert.pem")
                        && p["origin"] == "the prefix of library openssl"
                }),
                "{entry}"
            );
        } else {
            assert!(found.is_none(), "{entry}");
        }
    }

    // Every client makes a TLS connection to a loopback server and verifies it.
    let (ca, cert, key) = certificates(env.path());
    for (target, qemu, _) in TARGETS {
        let (port, mut server, served) = reversing_tls_server(&cert, &key);
        let client = root.join("dist").join(target).join("tls-client");
        let output = binary_command(qemu, &client)
            .env_clear()
            .arg(port.to_string())
            .arg(&ca)
            .arg("localhost")
            .output()
            .unwrap();
        let status = server.wait().unwrap();
        let log = served.join().unwrap();
        assert!(
            output.status.success(),
            "{target}: {}\n{}\nserver: {log}",
            stdout(&output),
            stderr(&output)
        );
        let said = stdout(&output);
        assert!(
            said.contains("verified; server said: slt revo olleh"),
            "{target}: {said}"
        );
        assert!(status.success(), "{target}: server {status}: {log}");
    }

    // --strict: the same build, every library cached, fails on the x86_64 client.
    let output = env
        .muslbuild()
        .current_dir(&root)
        .args(["build", "--strict"])
        .output()
        .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(5), "{err}");
    assert!(
        err.contains("x86_64/tls-client for x86_64 names folders"),
        "{err}"
    );
    assert!(!err.contains("building library openssl"), "{err}");
}

const WORDS_PROJECT: &str = r#"[project]
targets = ["x86_64", "aarch64", "armv7"]
toolchain = "zig"

[lib.words]
path = "words"
version = "1.0"
build = "make"
make = { args = ["COMMON=all"] }
exports = { libs = ["words"], headers = ["words.h"] }

[lib.words.target.x86_64]
make = { args = ["OWN=linux-x86_64"] }

[lib.words.target.aarch64]
make = { args = ["OWN=linux-aarch64"] }

[lib.words.target.armv7]
make = { args = ["OWN=linux-armv4"] }
cflags = ["-DTHUMB_BUILD=1"]

[vendor.show]
path = "show"
build = "make"
libs = ["words"]
programs = ["show"]
env = { WHO = "common", ORDER = "{target.endian}" }
cflags = ["-DBITS={target.bits}"]

[vendor.show.target.armv7]
env = { WHO = "{target}/{target.linux-arch}/{target.oci-variant}" }

[vendor.show.target.aarch64]
env = { WHO = "{target.gnu}" }
"#;

const WORDS_MAKEFILE: &str = "PREFIX ?= /usr/local
libwords.a: words.o
\t$(AR) rcs $@ words.o
words.o: words.c words.h
\t$(CC) $(CFLAGS) $(CPPFLAGS) -DCOMMON='\"$(COMMON)\"' -DOWN='\"$(OWN)\"' -c words.c -o $@
install: libwords.a
\tmkdir -p $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include
\tcp libwords.a $(DESTDIR)$(PREFIX)/lib/
\tcp words.h $(DESTDIR)$(PREFIX)/include/
";

const WORDS_C: &str = r#"#include "words.h"
#ifndef THUMB_BUILD
#define THUMB_BUILD 0
#endif
const char *own_words(void) { return OWN; }
const char *common_words(void) { return COMMON; }
int thumb_build(void) { return THUMB_BUILD; }
"#;

const SHOW_MAKEFILE: &str = "PREFIX ?= /usr/local
show: show.c
\t$(CC) $(CFLAGS) $(CPPFLAGS) -DWHO='\"$(WHO)\"' -DORDER='\"$(ORDER)\"' $(LDFLAGS) -o $@ show.c $(LIBS)
install: show
\tmkdir -p $(DESTDIR)$(PREFIX)/bin
\tcp show $(DESTDIR)$(PREFIX)/bin/show
";

const SHOW_C: &str = r#"#include <stdio.h>
#include <words.h>
int main(void) {
    printf("%s %s thumb=%d who=%s order=%s bits=%d ptr=%d\n", own_words(), common_words(),
           thumb_build(), WHO, ORDER, BITS, (int)(8 * sizeof(void *)));
    return 0;
}
"#;

/// Each target's table reaches its own build only — a library's make arguments and flags,
/// a vendored program's `env` over the common entry — with the target's names put in for
/// placeholders; the programs say what they were built with, under qemu.
#[test]
fn per_target_tables_and_placeholders_reach_each_target_s_build_only() {
    let env = TestEnv::new();
    env.write("muslbuild.toml", WORDS_PROJECT);
    env.write("words/Makefile", WORDS_MAKEFILE);
    env.write(
        "words/words.h",
        "const char *own_words(void);\nconst char *common_words(void);\nint thumb_build(void);\n",
    );
    env.write("words/words.c", WORDS_C);
    env.write("show/Makefile", SHOW_MAKEFILE);
    env.write("show/show.c", SHOW_C);
    success(env.muslbuild().args(["build", "-j2"]));
    for (target, qemu, said) in [
        (
            "x86_64",
            None,
            "linux-x86_64 all thumb=0 who=common order=little bits=64 ptr=64\n",
        ),
        (
            "aarch64",
            Some("qemu-aarch64-static"),
            "linux-aarch64 all thumb=0 who=aarch64-linux-musl order=little bits=64 ptr=64\n",
        ),
        (
            "armv7",
            Some("qemu-arm-static"),
            "linux-armv4 all thumb=1 who=armv7/arm/v7 order=little bits=32 ptr=32\n",
        ),
    ] {
        let ran = run_binary(
            qemu,
            &env.path().join("dist").join(target).join("show"),
            b"",
        );
        assert_eq!(stdout(&ran), said, "{target}: {}", stderr(&ran));
    }
}
