//! The Debian binary packages the tests read: the kernel headers muslbuild pins
//! (`linux-libc-dev`), one per architecture the tests build for. Their files and sha256
//! are muslbuild's own catalog (`recipes/linux-headers.toml`), read here rather than
//! copied, and they come through `apt-get download` from the machine's own apt sources.

use std::path::Path;

use sha2::{Digest, Sha256};
use xshell::{Shell, cmd};

use crate::Result;

/// The Debian architectures of the tests' targets (x86_64, aarch64, armv7).
pub const TEST_ARCHES: &[&str] = &["amd64", "arm64", "armhf"];

/// One `.deb` as the catalog pins it.
#[derive(Debug, PartialEq)]
pub struct PinnedDeb {
    /// What `apt-get download` takes: `linux-libc-dev:arm64=6.1.176-1`.
    pub spec: String,
    pub file: String,
    pub sha256: String,
}

/// The catalog's packages of every version for `arches`.
pub fn pins(catalog: &str, arches: &[&str]) -> Result<Vec<PinnedDeb>> {
    let table: toml::Table = catalog.parse()?;
    let text = |t: &toml::Table, key: &str| -> Result<String> {
        t.get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| format!("recipes/linux-headers.toml: no `{key}`").into())
    };
    let package = text(&table, "package")?;
    let mut out = Vec::new();
    let versions = table.get("version").and_then(|v| v.as_array());
    for version in versions.into_iter().flatten().filter_map(|v| v.as_table()) {
        let debian_version = text(version, "debian-version")?;
        let sets = version.get("arch").and_then(|v| v.as_array());
        for set in sets.into_iter().flatten().filter_map(|v| v.as_table()) {
            let arch = text(set, "debian")?;
            if arches.contains(&arch.as_str()) {
                out.push(PinnedDeb {
                    spec: format!("{package}:{arch}={debian_version}"),
                    file: text(set, "file")?,
                    sha256: text(set, "sha256")?,
                });
            }
        }
    }
    Ok(out)
}

/// `pin`'s file in `dir`, downloaded unless it is there with its sha256; a file of that
/// name with other bytes is replaced.
pub fn fetch(sh: &Shell, dir: &Path, pin: &PinnedDeb) -> Result {
    let path = dir.join(&pin.file);
    if std::fs::read(&path).is_ok_and(|bytes| sha256_hex(&bytes) == pin.sha256) {
        return Ok(());
    }
    let _ = std::fs::remove_file(&path);
    let _dir = sh.push_dir(dir);
    let spec = &pin.spec;
    let output = cmd!(sh, "apt-get download -qq {spec}")
        .ignore_status()
        .output()?;
    let got = std::fs::read(&path).map(|bytes| sha256_hex(&bytes));
    match got {
        Ok(actual) if actual == pin.sha256 => Ok(()),
        Ok(actual) => {
            std::fs::remove_file(&path)?;
            Err(format!(
                "{} ({}): the mirror served sha256 {actual}, not the pinned {}",
                pin.spec, pin.file, pin.sha256
            )
            .into())
        }
        Err(_) => Err(format!(
            "binary package {} ({}, sha256 {}) cannot be had: {}",
            pin.spec,
            pin.file,
            pin.sha256,
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .rfind(|l| !l.trim().is_empty())
                .unwrap_or("apt-get download said nothing")
                .trim()
        )
        .into()),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_gives_one_package_per_test_architecture() {
        let catalog =
            std::fs::read_to_string(crate::repo_root().join("recipes/linux-headers.toml")).unwrap();
        let pins = pins(&catalog, TEST_ARCHES).unwrap();
        assert_eq!(pins.len(), TEST_ARCHES.len(), "{pins:?}");
        for (pin, arch) in pins.iter().zip(TEST_ARCHES) {
            assert!(
                pin.spec.starts_with(&format!("linux-libc-dev:{arch}=")),
                "{pin:?}"
            );
            assert!(pin.file.ends_with(&format!("_{arch}.deb")), "{pin:?}");
            assert_eq!(pin.sha256.len(), 64);
        }
    }
}
