//! Where a toolchain came from, for the SBOM: the install record of one muslbuild
//! installed (the wheel's or archive's sha256 and source), Python's `ziglang` package
//! (its `dist-info` version), the musl version zig bundles (`version.h` in its
//! `lib/libc/musl`), the distribution's musl package (dpkg's status file). Reads files
//! only; anything not found stays unknown (`NOASSERTION` in the document).

use std::path::{Path, PathBuf};

use super::installed::read_record;
use super::model::{Provider, Toolchain};
use crate::sbom::ToolOrigin;

/// dpkg's record of installed packages, and the file naming the distribution.
const DPKG_STATUS: &str = "/var/lib/dpkg/status";
/// Its first line names the installed version; a few hundred bytes to read where the
/// status file is the whole system's (a multi-arch `musl-dev` has one version on every
/// architecture, so one changelog serves them all).
const MUSL_DEV_CHANGELOG: &str = "/usr/share/doc/musl-dev/changelog.Debian.gz";
const OS_RELEASE: &str = "/etc/os-release";

pub(crate) fn origin(toolchain: &Toolchain) -> ToolOrigin {
    let program = std::fs::canonicalize(&toolchain.cc.program)
        .unwrap_or_else(|_| toolchain.cc.program.clone());
    match toolchain.provider {
        Provider::Zig => zig(&program, &toolchain.version),
        Provider::MuslCross => installed(&program).unwrap_or_default(),
        Provider::MuslGcc => match toolchain.target.debian() {
            Some(debian) => distribution_musl(
                Path::new(MUSL_DEV_CHANGELOG),
                Path::new(DPKG_STATUS),
                Path::new(OS_RELEASE),
                debian.arch,
            ),
            // musl-gcc is refused for a target Debian has no musl for.
            None => ToolOrigin::default(),
        },
        Provider::Override => ToolOrigin::default(),
    }
}

/// The install record of the cache entry holding `program` (a few folders up).
fn installed(program: &Path) -> Option<ToolOrigin> {
    let record = program.ancestors().skip(1).take(4).find_map(read_record)?;
    let pypi = record.source.starts_with("pip download");
    let purl = if pypi {
        format!("pkg:pypi/{}@{}", pip_name(&record.source), record.version)
    } else {
        format!(
            "pkg:generic/{}@{}?download_url={}",
            record.provider.name(),
            record.version,
            crate::sbom::spdx::percent_encode(&record.source)
        )
    };
    Some(ToolOrigin {
        purl: Some(purl),
        sha256: Some(record.sha256),
        source: Some(record.source),
        ..ToolOrigin::default()
    })
}

/// `pip download ziglang==0.17.1` → `ziglang`.
fn pip_name(source: &str) -> String {
    let requirement = source.trim_start_matches("pip download").trim();
    requirement
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .next()
        .unwrap_or(requirement)
        .to_ascii_lowercase()
}

fn zig(program: &Path, version: &str) -> ToolOrigin {
    let dir = program.parent().unwrap_or(Path::new("/"));
    let mut origin = installed(program)
        .or_else(|| python_package(dir))
        .unwrap_or_else(|| ToolOrigin {
            purl: Some(format!("pkg:generic/zig@{version}")),
            ..ToolOrigin::default()
        });
    origin.musl_version = bundled_musl(dir);
    origin
}

/// zig inside an installed `ziglang` wheel: `site-packages/ziglang/zig` beside
/// `site-packages/ziglang-VERSION.dist-info` (pip keeps no hash of the wheel itself).
fn python_package(dir: &Path) -> Option<ToolOrigin> {
    let name = dir.file_name()?.to_str()?;
    let prefix = format!("{name}-");
    let site = dir.parent()?;
    let version = std::fs::read_dir(site)
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .find_map(|f| {
            f.strip_prefix(&prefix)?
                .strip_suffix(".dist-info")
                .map(str::to_string)
        })?;
    Some(ToolOrigin {
        purl: Some(format!("pkg:pypi/{name}@{version}")),
        source: Some(format!("the installed `{name}` package")),
        ..ToolOrigin::default()
    })
}

/// The musl version zig bundles: `#define VERSION "1.2.5"` in its musl sources.
fn bundled_musl(zig_dir: &Path) -> Option<String> {
    let header: PathBuf = zig_dir.join("lib/libc/musl/src/internal/version.h");
    let text = std::fs::read_to_string(header).ok()?;
    text.lines().find_map(|line| {
        let value = line.trim().strip_prefix("#define VERSION")?.trim();
        Some(value.trim_matches('"').to_string()).filter(|v| !v.is_empty())
    })
}

/// The version at the head of a Debian changelog: `musl (1.2.3-1) unstable; …`.
fn changelog_version(changelog: &Path) -> Option<String> {
    use std::io::Read;
    let file = std::fs::File::open(changelog).ok()?;
    let mut head = vec![0u8; 256];
    let mut decoder = flate2::read::GzDecoder::new(file);
    let mut filled = 0;
    while filled < head.len() {
        match decoder.read(&mut head[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    let text = String::from_utf8_lossy(&head[..filled]);
    let line = text.lines().next()?;
    let (_, rest) = line.split_once(" (")?;
    rest.split_once(')').map(|(v, _)| v.to_string())
}

/// The distribution's `musl-dev` for `arch` (Debian's architecture name): its version
/// (from its changelog, else dpkg's status file), and upstream musl's version without
/// the revision.
fn distribution_musl(changelog: &Path, status: &Path, os_release: &Path, arch: &str) -> ToolOrigin {
    let version = changelog_version(changelog).or_else(|| status_version(status, arch));
    let Some(version) = version else {
        return ToolOrigin::default();
    };
    let distribution = std::fs::read_to_string(os_release)
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("ID=")
                    .map(|v| v.trim_matches('"').to_string())
            })
        })
        .unwrap_or_else(|| "debian".into());
    // `1:1.2.3-1+deb12u1` → upstream `1.2.3`.
    let upstream = version.split_once(':').map_or(version.as_str(), |(_, v)| v);
    let upstream = upstream.rsplit_once('-').map_or(upstream, |(v, _)| v);
    ToolOrigin {
        musl_version: Some(upstream.to_string()),
        musl_purl: Some(format!(
            "pkg:deb/{distribution}/musl@{}?arch={arch}",
            crate::sbom::spdx::percent_encode(&version)
        )),
        ..ToolOrigin::default()
    }
}

/// `musl-dev`'s version for `arch` in dpkg's status file (installed stanzas only).
fn status_version(status: &Path, arch: &str) -> Option<String> {
    let text = std::fs::read_to_string(status).ok()?;
    // Only the stanzas of `musl-dev` are read: the file is the whole system's.
    let mut stanzas = text.match_indices("Package: musl-dev\n").map(|(at, _)| {
        let rest = &text[at..];
        &rest[..rest.find("\n\n").unwrap_or(rest.len())]
    });
    stanzas.find_map(|stanza| {
        let field = |name: &str| {
            stanza
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
        };
        let installed = field("Status").is_some_and(|s| s.ends_with(" installed"));
        (field("Package") == Some("musl-dev") && field("Architecture") == Some(arch) && installed)
            .then(|| field("Version"))
            .flatten()
            .map(str::to_string)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_distribution_musl_of_the_target_architecture() {
        let dir = tempfile::tempdir().unwrap();
        let status = dir.path().join("status");
        std::fs::write(
            &status,
            "Package: musl-dev\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.2.3-1\n\n\
             Package: musl-dev\nStatus: install ok installed\nArchitecture: arm64\nVersion: 1.2.4-2+b1\n",
        )
        .unwrap();
        let release = dir.path().join("os-release");
        std::fs::write(&release, "NAME=\"Debian\"\nID=debian\n").unwrap();
        let none = dir.path().join("no-changelog.gz");
        let arm = distribution_musl(&none, &status, &release, "arm64");
        assert_eq!(arm.musl_version.as_deref(), Some("1.2.4"));
        assert_eq!(
            arm.musl_purl.as_deref(),
            Some("pkg:deb/debian/musl@1.2.4-2%2Bb1?arch=arm64")
        );
        assert_eq!(
            distribution_musl(&none, &status, &release, "armhf"),
            ToolOrigin::default()
        );
        // The changelog, when there is one, is read first.
        let changelog = dir.path().join("changelog.Debian.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(
            &mut gz,
            b"musl (1.2.5-1) unstable; urgency=medium\n\n  * x\n",
        )
        .unwrap();
        std::fs::write(&changelog, gz.finish().unwrap()).unwrap();
        let armhf = distribution_musl(&changelog, &status, &release, "armhf");
        assert_eq!(
            armhf.musl_purl.as_deref(),
            Some("pkg:deb/debian/musl@1.2.5-1?arch=armhf")
        );
    }

    #[test]
    fn an_installed_toolchain_names_its_wheel_or_archive_with_its_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let record = |source: &str| super::super::installed::InstallRecord {
            name: "zig-0.17.1-x86_64-pypi".into(),
            provider: super::super::manifest::ManifestProvider::Zig,
            version: "0.17.1".into(),
            host: "x86_64".into(),
            targets: vec![],
            source: source.into(),
            sha256: "ab".repeat(32),
            size: 1,
            installed_at: 0,
            dir: PathBuf::new(),
        };
        let entry = dir.path().join("entry");
        std::fs::create_dir_all(entry.join("ziglang")).unwrap();
        let write = |source: &str| {
            std::fs::write(
                entry.join(crate::cache::COMPLETE),
                serde_json::to_vec(&record(source)).unwrap(),
            )
            .unwrap()
        };
        write("pip download ziglang==0.17.1");
        let wheel = zig(&entry.join("ziglang/zig"), "0.17.1");
        assert_eq!(wheel.purl.as_deref(), Some("pkg:pypi/ziglang@0.17.1"));
        assert_eq!(wheel.sha256, Some("ab".repeat(32)));
        write("https://ziglang.org/download/0.17.1/zig.tar.xz");
        let archive = zig(&entry.join("ziglang/zig"), "0.17.1");
        assert_eq!(
            archive.purl.as_deref(),
            Some(
                "pkg:generic/zig@0.17.1?download_url=https%3A%2F%2Fziglang.org%2Fdownload%2F0.17.1%2Fzig.tar.xz"
            )
        );
    }

    #[test]
    fn zig_from_a_wheel_names_the_package_and_its_bundled_musl() {
        let dir = tempfile::tempdir().unwrap();
        let zig_dir = dir.path().join("ziglang");
        std::fs::create_dir_all(zig_dir.join("lib/libc/musl/src/internal")).unwrap();
        std::fs::create_dir_all(dir.path().join("ziglang-0.17.1.dist-info")).unwrap();
        std::fs::write(
            zig_dir.join("lib/libc/musl/src/internal/version.h"),
            "#define VERSION \"1.2.5\"\n",
        )
        .unwrap();
        let origin = zig(&zig_dir.join("zig"), "0.17.1");
        assert_eq!(origin.purl.as_deref(), Some("pkg:pypi/ziglang@0.17.1"));
        assert_eq!(origin.musl_version.as_deref(), Some("1.2.5"));
        assert_eq!(pip_name("pip download ziglang==0.17.1"), "ziglang");
    }
}
