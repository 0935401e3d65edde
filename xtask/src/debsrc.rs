//! The Debian source packages the tests build, pinned by the sha256 of their `.orig`
//! tarball, and fetched so that a partial mirror does not stop the set-up: a mirror may
//! list a newer (security) version whose files it lacks, so every version and suite apt
//! knows of that carries the pinned tarball is tried before giving up.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::Result;

/// A source package as the tests were written for it.
pub struct Pinned {
    pub package: &'static str,
    /// The Debian version asked for first.
    pub version: &'static str,
    /// The `.orig` tarball the tests unpack, and its sha256.
    pub orig: &'static str,
    pub sha256: &'static str,
}

const fn pin(
    package: &'static str,
    version: &'static str,
    orig: &'static str,
    sha256: &'static str,
) -> Pinned {
    Pinned {
        package,
        version,
        orig,
        sha256,
    }
}

/// The libraries, and the corpus of real programs the vendored-project tests build.
pub const SOURCES: &[Pinned] = &[
    pin(
        "ncurses",
        "6.4-4",
        "ncurses_6.4.orig.tar.gz",
        "6931283d9ac87c5073f30b6290c4c75f21632bb4fc3603ac8100812bed248159",
    ),
    pin(
        "readline",
        "8.2-1.3",
        "readline_8.2.orig.tar.gz",
        "3feb7171f16a84ee82ca18a36d7b9be109a52c04f492a053331d7d1095007c35",
    ),
    pin(
        "zlib",
        "1:1.2.13.dfsg-1",
        "zlib_1.2.13.dfsg.orig.tar.bz2",
        "71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1",
    ),
    pin(
        "lua5.4",
        "5.4.4-3+deb12u1",
        "lua5.4_5.4.4.orig.tar.gz",
        "164c7849653b80ae67bec4b7473b884bf5cc8d2dca05653475ec2ed27b9ebf61",
    ),
    pin(
        "sqlite3",
        "3.40.1-2+deb12u2",
        "sqlite3_3.40.1.orig.tar.xz",
        "aaa776260ab4dc976db34aa7891819484c8676b5b2783123ebc6301e2ca5d655",
    ),
    pin(
        "htop",
        "3.2.2-2",
        "htop_3.2.2.orig.tar.gz",
        "3829c742a835a0426db41bb039d1b976420c21ec65e93b35cd9bfd2d57f44ac8",
    ),
    pin(
        "strace",
        "6.1-0.1",
        "strace_6.1.orig.tar.xz",
        "2579e9cec37dbb786f6ea0bebd15f40dd561ef2bde2a2a2ecdce5963b01859fd",
    ),
    pin(
        "less",
        "590-2.1~deb12u2",
        "less_590.orig.tar.gz",
        "6aadf54be8bf57d0e2999a3c5d67b1de63808bb90deb8f77b028eafae3a08e10",
    ),
    // A meson project whose build runs generators made with the build machine's
    // compiler (`native: true`): the corpus's `build = "meson"`.
    pin(
        "fribidi",
        "1.0.8-2.1",
        "fribidi_1.0.8.orig.tar.bz2",
        "94c7b68d86ad2a9613b4dcffe7bbeb03523d63b5b37918bdf2e4ef34195c1e6c",
    ),
    // Programs whose builds run what they build (bc's generator, bzip2's test suite).
    pin(
        "bc",
        "1.07.1-3",
        "bc_1.07.1.orig.tar.gz",
        "62adfca89b0a1c0164c2cdca59ca210c1d44c3ffc46daf9931cf4942664cb02a",
    ),
    pin(
        "bzip2",
        "1.0.8-5",
        "bzip2_1.0.8.orig.tar.gz",
        "ab5a03176ee106d3f0fa90e381da478ddae405918153cca248e682cd0c4a2269",
    ),
    // OpenSSL 3 with its assembler for three targets, and a TLS client linking it
    // (tests/it/pertarget.rs: per-target tables, build paths).
    pin(
        "openssl",
        "3.0.17-1~deb12u2",
        "openssl_3.0.17.orig.tar.gz",
        "dfdd77e4ea1b57ff3a6dbde6b0bdc3f31db5ac99e7fdd4eaf9e1fbb6ec2db8ce",
    ),
    // The built-in library recipes' sources (recipes/*.toml): each recipe is tested on
    // two targets with a program using it (tests/it/recipes.rs).
    pin(
        "libevent",
        "2.1.12-stable-8",
        "libevent_2.1.12-stable.orig.tar.gz",
        "92e6de1be9ec176428fd2367677e61ceffc2ee1cb119035037a27d346b0403bb",
    ),
    pin(
        "pcre2",
        "10.42-1",
        "pcre2_10.42.orig.tar.gz",
        "c33b418e3b936ee3153de2c61cc638e7e4fe3156022a5c77d0711bcbb9d64f1f",
    ),
    pin(
        "xz-utils",
        "5.4.1-1+deb12u1",
        "xz-utils_5.4.1.orig.tar.xz",
        "5d9827aa1875b21c288f78864bb26d2650b436ea8d2cad364e4921eb6266a5a5",
    ),
    pin(
        "libzstd",
        "1.5.4+dfsg2-5",
        "libzstd_1.5.4+dfsg2.orig.tar.xz",
        "8cf4bbb65e77ec348d052c8d6230eba66d435bddf64c8b5be2fcb16880c19953",
    ),
    pin(
        "expat",
        "2.5.0-1+deb12u2",
        "expat_2.5.0.orig.tar.gz",
        "ab00ee05c7067fd10a35c5d2a4922ebba746ddd50ff83b79c828da17bbdf1757",
    ),
    pin(
        "busybox",
        "1:1.35.0-4+deb12u1",
        "busybox_1.35.0.orig.tar.bz2",
        "faeeb244c35a348a334f4a59e44626ee870fb07b6884d68c10ae8bc19f83a694",
    ),
];

/// What the set-up needs from apt; the real one runs `apt-cache` and `apt-get`, the
/// tests' one is a fake mirror.
pub trait Apt {
    /// `apt-cache showsrc PACKAGE`.
    fn showsrc(&self, package: &str) -> Result<String>;
    /// `apt-cache madison PACKAGE`.
    fn madison(&self, package: &str) -> Result<String>;
    /// `apt-get source --download-only PACKAGE=VERSION` in `dir` (with `-t SUITE` when
    /// given); on failure, the mirror's answer (apt's error lines).
    fn download(
        &self,
        dir: &Path,
        package: &str,
        version: &str,
        suite: Option<&str>,
    ) -> std::result::Result<(), String>;
}

/// One try: a version, from the suite apt prefers or from one suite.
#[derive(Debug, PartialEq)]
struct Attempt {
    version: String,
    suite: Option<String>,
}

/// A source stanza of `apt-cache showsrc`: its version and the files it lists (name,
/// sha256).
#[derive(Debug, PartialEq)]
struct Stanza {
    version: String,
    files: Vec<(String, String)>,
}

fn stanzas(showsrc: &str) -> Vec<Stanza> {
    let mut out = Vec::new();
    for block in showsrc.split("\n\n") {
        let mut version = None;
        let mut files = Vec::new();
        let mut in_checksums = false;
        for line in block.lines() {
            if let Some(rest) = line.strip_prefix(' ').filter(|_| in_checksums) {
                if let [sha256, _size, name] = rest.split_whitespace().collect::<Vec<_>>()[..] {
                    files.push((name.to_string(), sha256.to_string()));
                }
                continue;
            }
            in_checksums = line.trim_end() == "Checksums-Sha256:";
            if let Some(v) = line.strip_prefix("Version:") {
                version = Some(v.trim().to_string());
            }
        }
        if let Some(version) = version {
            out.push(Stanza { version, files });
        }
    }
    out
}

/// `(version, suite)` of each source entry `apt-cache madison` lists.
fn suites(madison: &str) -> Vec<(String, String)> {
    madison
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split('|').map(str::trim).collect();
            let [_, version, origin] = fields[..] else {
                return None;
            };
            let mut words = origin.split_whitespace();
            let (_uri, dist, kind) = (words.next()?, words.next()?, words.next()?);
            (kind == "Sources").then(|| {
                let suite = dist.split('/').next().unwrap_or(dist);
                (version.to_string(), suite.to_string())
            })
        })
        .collect()
}

/// Every try, in order: the pinned version first, then every other version whose stanza
/// lists the pinned tarball (in apt's order); each as apt prefers it, then from each
/// suite that lists it.
fn attempts(pin: &Pinned, showsrc: &str, madison: &str) -> Vec<Attempt> {
    let mut versions = vec![pin.version.to_string()];
    for stanza in stanzas(showsrc) {
        let carries = stanza
            .files
            .iter()
            .any(|(name, sha)| name == pin.orig && sha == pin.sha256);
        if carries && !versions.contains(&stanza.version) {
            versions.push(stanza.version);
        }
    }
    let suites = suites(madison);
    let mut out = Vec::new();
    for version in versions {
        out.push(Attempt {
            version: version.clone(),
            suite: None,
        });
        for (v, suite) in &suites {
            let attempt = Attempt {
                version: version.clone(),
                suite: Some(suite.clone()),
            };
            if *v == version && !out.contains(&attempt) {
                out.push(attempt);
            }
        }
    }
    out
}

/// Whether `dir` holds the pinned tarball with its sha256; a file of that name with other
/// bytes (a download cut short) is removed.
pub fn has_pinned(dir: &Path, pin: &Pinned) -> Result<bool> {
    let path = dir.join(pin.orig);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(format!("{}: {e}", path.display()).into()),
    };
    let actual = sha256_hex(&bytes);
    if actual == pin.sha256 {
        return Ok(true);
    }
    std::fs::remove_file(&path)?;
    Ok(false)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Downloads the pinned tarball of `pin` into `dir` (with its `.dsc` where the mirror has
/// one), trying every version and suite that carries it; an error names the package,
/// every version tried and the mirror's last answer.
pub fn fetch(apt: &dyn Apt, dir: &Path, pin: &Pinned) -> Result {
    if has_pinned(dir, pin)? {
        return Ok(());
    }
    let showsrc = apt.showsrc(pin.package).unwrap_or_default();
    let madison = apt.madison(pin.package).unwrap_or_default();
    let mut tried = Vec::new();
    let mut answer = String::from("apt knows no version of it");
    for attempt in attempts(pin, &showsrc, &madison) {
        let result = apt.download(dir, pin.package, &attempt.version, attempt.suite.as_deref());
        // apt may fail on the `.dsc` or the Debian diff and still have fetched the
        // tarball, which is all the tests unpack.
        if has_pinned(dir, pin)? {
            if let Err(e) = result {
                eprintln!(
                    "xtask setup: warning: {}={}: the tarball came, the rest did not: {e}",
                    pin.package, attempt.version
                );
            }
            return Ok(());
        }
        if let Err(e) = result {
            answer = e;
        }
        tried.push(match &attempt.suite {
            Some(suite) => format!("{} ({suite})", attempt.version),
            None => attempt.version.clone(),
        });
    }
    Err(format!(
        "source package {} ({}, sha256 {}) cannot be had: tried {}; the mirror said: {}",
        pin.package,
        pin.orig,
        pin.sha256,
        if tried.is_empty() {
            "nothing".to_string()
        } else {
            tried.join(", ")
        },
        answer.lines().last().unwrap_or_default().trim()
    )
    .into())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    const SHOWSRC: &str = "Package: zlib\nVersion: 1:1.2.13.dfsg-1\nChecksums-Sha256:\n \
        aa 2399 zlib_1.2.13.dfsg-1.dsc\n \
        71fe 1239825 zlib_1.2.13.dfsg.orig.tar.bz2\nHomepage: http://zlib.net/\n\n\
        Package: zlib\nVersion: 1:1.2.13.dfsg-1+deb12u1\nChecksums-Sha256:\n \
        bb 2878 zlib_1.2.13.dfsg-1+deb12u1.dsc\n \
        71fe 1239825 zlib_1.2.13.dfsg.orig.tar.bz2\n\n\
        Package: zlib\nVersion: 1:1.3-1\nChecksums-Sha256:\n \
        cc 1 zlib_1.3.orig.tar.gz\n";
    const MADISON: &str = "      zlib | 1:1.2.13.dfsg-1 | http://m/debian bookworm/main Sources\n\
        \x20     zlib | 1:1.2.13.dfsg-1 | http://m/debian-security bookworm-security/main Sources\n\
        \x20     zlib | 1:1.2.13.dfsg-1+deb12u1 | http://m/debian-security bookworm-security/main Sources\n\
        \x20  zlib1g | 1:1.2.13.dfsg-1 | http://m/debian bookworm/main amd64 Packages\n";

    fn zlib(version: &'static str, sha256: &'static str) -> Pinned {
        pin("zlib", version, "zlib_1.2.13.dfsg.orig.tar.bz2", sha256)
    }

    #[test]
    fn attempts_start_with_the_pin_and_take_only_versions_carrying_its_tarball() {
        let got = attempts(&zlib("1:1.2.13.dfsg-1+deb12u1", "71fe"), SHOWSRC, MADISON);
        let got: Vec<(String, Option<String>)> =
            got.into_iter().map(|a| (a.version, a.suite)).collect();
        let want = [
            ("1:1.2.13.dfsg-1+deb12u1", None),
            ("1:1.2.13.dfsg-1+deb12u1", Some("bookworm-security")),
            ("1:1.2.13.dfsg-1", None),
            ("1:1.2.13.dfsg-1", Some("bookworm")),
            ("1:1.2.13.dfsg-1", Some("bookworm-security")),
        ];
        let want: Vec<(String, Option<String>)> = want
            .iter()
            .map(|(v, s)| (v.to_string(), s.map(String::from)))
            .collect();
        assert_eq!(got, want);
    }

    /// A fake mirror, as a partial one behaves: it lists every version above, but serves
    /// the files of only one (version, suite), writing the tarball with `bytes`.
    struct FakeMirror {
        serves: Option<(&'static str, Option<&'static str>)>,
        bytes: &'static [u8],
        asked: RefCell<Vec<String>>,
    }

    impl Apt for FakeMirror {
        fn showsrc(&self, _: &str) -> Result<String> {
            Ok(SHOWSRC.replace("71fe", &sha256_hex(self.bytes)))
        }
        fn madison(&self, _: &str) -> Result<String> {
            Ok(MADISON.into())
        }
        fn download(
            &self,
            dir: &Path,
            package: &str,
            version: &str,
            suite: Option<&str>,
        ) -> std::result::Result<(), String> {
            self.asked
                .borrow_mut()
                .push(format!("{package}={version} {suite:?}"));
            if self.serves == Some((version, suite)) {
                std::fs::write(dir.join("zlib_1.2.13.dfsg.orig.tar.bz2"), self.bytes).unwrap();
                return Ok(());
            }
            Err(format!(
                "W: something\nE: Failed to fetch http://m/pool/z/zlib/zlib_{version}.dsc  404  Not Found"
            ))
        }
    }

    fn sha256_of(bytes: &[u8]) -> &'static str {
        sha256_hex(bytes).leak()
    }

    #[test]
    fn fake_mirror_missing_the_newest_security_files_falls_back_to_the_main_suite() {
        let dir = tempfile_dir("fallback");
        let bytes: &[u8] = b"the orig tarball";
        let mirror = FakeMirror {
            serves: Some(("1:1.2.13.dfsg-1", Some("bookworm"))),
            bytes,
            asked: RefCell::default(),
        };
        // Pinned to the newest version, whose files this mirror lacks.
        fetch(
            &mirror,
            &dir,
            &zlib("1:1.2.13.dfsg-1+deb12u1", sha256_of(bytes)),
        )
        .unwrap();
        assert!(has_pinned(&dir, &zlib("x", sha256_of(bytes))).unwrap());
        assert_eq!(mirror.asked.borrow().len(), 4, "{:?}", mirror.asked);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fake_mirror_with_no_good_copy_fails_naming_package_versions_and_answer() {
        let dir = tempfile_dir("none");
        // Serves a tarball, but not the pinned bytes: it must not count.
        let mirror = FakeMirror {
            serves: Some(("1:1.2.13.dfsg-1", None)),
            bytes: b"other bytes",
            asked: RefCell::default(),
        };
        let err = fetch(
            &mirror,
            &dir,
            &zlib("1:1.2.13.dfsg-1", sha256_of(b"the pinned bytes")),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("source package zlib "), "{err}");
        assert!(
            err.contains("1:1.2.13.dfsg-1, 1:1.2.13.dfsg-1 (bookworm)"),
            "{err}"
        );
        assert!(err.ends_with("404  Not Found"), "{err}");
        assert!(!err.contains('\n'), "{err}");
        assert!(!dir.join("zlib_1.2.13.dfsg.orig.tar.bz2").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_tarball_already_present_with_its_hash_asks_nothing() {
        let dir = tempfile_dir("present");
        let bytes: &[u8] = b"present";
        std::fs::write(dir.join("zlib_1.2.13.dfsg.orig.tar.bz2"), bytes).unwrap();
        let mirror = FakeMirror {
            serves: None,
            bytes,
            asked: RefCell::default(),
        };
        fetch(&mirror, &dir, &zlib("1:1.2.13.dfsg-1", sha256_of(bytes))).unwrap();
        assert!(mirror.asked.borrow().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-debsrc-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn every_pin_is_a_sha256_of_its_tarball_name() {
        for pin in SOURCES {
            assert_eq!(pin.sha256.len(), 64, "{}", pin.package);
            assert!(pin.orig.starts_with(&format!("{}_", pin.package)));
            assert!(pin.orig.contains(".orig.tar."), "{}", pin.orig);
        }
    }
}
