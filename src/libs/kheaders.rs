//! Linux kernel UAPI headers of a pinned version (`--kernel-headers 6.1`,
//! `kernel-headers = "6.1"`): the catalog (`recipes/linux-headers.toml`, embedded), and
//! the unpacked set per kernel architecture, one cache entry each
//! (`libs/linux-headers-<release>-<arch>-<key>/include`), made from Debian's
//! `linux-libc-dev` package found like any library source (cache, source folders, by
//! name then sha256) and published by rename. The toolchain room only carries the result
//! (`toolchain::KernelHeaders`); every front end prepares the set before it resolves a
//! toolchain, so C programs, libraries, vendored projects and cgo all get the same one.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::recipe::SourceSpec;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::sbom::KernelHeadersPackage;
use crate::sys::key::{CacheKey, KeyKind};
use crate::sys::unpack::{self, Format, Limits};
use crate::target::Target;
use crate::toolchain::KernelHeaders;

const CATALOG: &str = include_str!("../../recipes/linux-headers.toml");
/// The value that keeps each toolchain's own headers (the default).
pub(crate) const TOOLCHAIN_OWN: &str = "toolchain";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalog {
    name: String,
    description: String,
    license: String,
    supplier: String,
    package: String,
    #[serde(rename = "version")]
    versions: Vec<Version>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Version {
    version: String,
    release: String,
    debian_version: String,
    suite: String,
    #[serde(rename = "arch")]
    arches: Vec<ArchSet>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ArchSet {
    /// The kernel's `ARCH` (`Target::linux_srcarch`).
    kernel: String,
    /// The Debian architecture whose package it is.
    debian: String,
    file: String,
    sha256: String,
}

fn catalog() -> Catalog {
    toml::from_str(CATALOG).expect("recipes/linux-headers.toml parses")
}

/// The versions muslbuild has, oldest first, with the targets each covers: for `lib
/// list` and errors.
pub(crate) fn versions() -> Vec<(String, String, Vec<Target>)> {
    catalog()
        .versions
        .iter()
        .map(|v| (v.version.clone(), v.release.clone(), covered(v)))
        .collect()
}

/// `lib list`'s lines about them: each version, what it is, the targets it covers.
pub(crate) fn listing() -> String {
    let catalog = catalog();
    let mut out = format!(
        "\n{} ({}; --kernel-headers VERSION, kernel-headers = \"VERSION\"):\n",
        catalog.name, catalog.description
    );
    for v in &catalog.versions {
        out.push_str(&format!(
            "  {:<6} {} {} {} ({}): {}\n",
            v.version,
            v.release,
            catalog.package,
            v.debian_version,
            v.suite,
            names(&covered(v))
        ));
    }
    out
}

fn covered(version: &Version) -> Vec<Target> {
    Target::ALL
        .into_iter()
        .filter(|t| version.arches.iter().any(|a| a.kernel == t.linux_srcarch()))
        .collect()
}

/// Whether `value` is a version muslbuild has (or `toolchain`); `Err` says why not, for
/// the front end to report as its kind of error (usage, or the project file's line).
pub(crate) fn check_version(value: &str) -> std::result::Result<(), (String, String)> {
    if value == TOOLCHAIN_OWN || catalog().versions.iter().any(|v| v.version == value) {
        return Ok(());
    }
    let known: Vec<String> = versions().into_iter().map(|(v, ..)| v).collect();
    Err((
        format!("unknown kernel headers version `{value}`"),
        format!(
            "muslbuild has {} (`muslbuild lib list` shows the targets each covers), or `{TOOLCHAIN_OWN}` for each toolchain's own headers",
            known.join(", ")
        ),
    ))
}

/// The set of `version` for every target in `targets`, unpacked (once per kernel
/// architecture, into the cache) before anything is built. `None` or `toolchain`: no
/// set; every toolchain keeps its own headers. Every target must have one: a target
/// the version does not cover is refused here, before any build starts.
pub(crate) fn prepare(
    version: Option<&str>,
    targets: &[Target],
    source_dirs: &[PathBuf],
    ctx: &Ctx,
) -> Result<Vec<(Target, KernelHeaders)>> {
    let Some(version) = version.filter(|v| *v != TOOLCHAIN_OWN) else {
        return Ok(Vec::new());
    };
    if let Err((message, help)) = check_version(version) {
        return Err(Error::usage(message, help));
    }
    let catalog = catalog();
    let pinned = catalog
        .versions
        .iter()
        .find(|v| v.version == version)
        .expect("checked above");
    let mut sets: Vec<(&ArchSet, KernelHeaders)> = Vec::new();
    let mut out = Vec::new();
    for &target in targets {
        let Some(arch) = pinned
            .arches
            .iter()
            .find(|a| a.kernel == target.linux_srcarch())
        else {
            return Err(Error::NoKernelHeaders {
                version: version.to_string(),
                target,
                help: format!(
                    "Debian {} builds {} {} for {} only; build {target} in a run without kernel headers pinned (its toolchain's own)",
                    pinned.suite,
                    catalog.package,
                    pinned.debian_version,
                    names(&covered(pinned))
                ),
            });
        };
        let headers = match sets.iter().find(|(a, _)| a.kernel == arch.kernel) {
            Some((_, done)) => done.clone(),
            None => {
                let headers = unpacked(&catalog, pinned, arch, source_dirs, ctx)?;
                sets.push((arch, headers.clone()));
                headers
            }
        };
        out.push((target, headers));
    }
    Ok(out)
}

fn names(targets: &[Target]) -> String {
    targets
        .iter()
        .map(|t| t.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One architecture's set: its cache entry when complete, else made from the package.
fn unpacked(
    catalog: &Catalog,
    version: &Version,
    arch: &ArchSet,
    source_dirs: &[PathBuf],
    ctx: &Ctx,
) -> Result<KernelHeaders> {
    let sha256 = arch.sha256.to_ascii_lowercase();
    let (key, name) = set_key(catalog, version, arch);
    let entry = ctx.cache.dir("libs").join(&name);
    if !ctx.cache.is_complete(&entry) {
        let what = format!("kernel headers {} for {}", version.release, arch.kernel);
        let _lock = ctx.cache.lock_announced(&name, &what)?;
        if !ctx.cache.is_complete(&entry) {
            let library = format!("kernel headers {} ({})", version.version, arch.kernel);
            let spec = SourceSpec {
                file: arch.file.clone(),
                urls: Vec::new(),
                sha256: sha256.clone(),
                alternatives: Vec::new(),
            };
            let package = super::source::obtain(&library, &spec, source_dirs, ctx).map_err(
                |err| match err {
                    Error::SourceNotFound {
                        library,
                        archive,
                        looked_in,
                        ..
                    } => Error::SourceNotFound {
                        library,
                        archive,
                        looked_in,
                        reason: format!(
                            "`apt-get download {}:{}={}` on a Debian {} machine fetches it",
                            catalog.package, arch.debian, version.debian_version, version.suite
                        ),
                    },
                    other => other,
                },
            )?;
            make_entry(&package, &sha256, &entry, &name, ctx)?;
        }
    }
    crate::cache::mark_used(&entry);
    let include = entry.join("include");
    Ok(KernelHeaders {
        version: version.version.clone(),
        release: version.release.clone(),
        dirs: top_level_dirs(&include)?,
        include,
        key,
        package: KernelHeadersPackage {
            package: catalog.package.clone(),
            version: version.debian_version.clone(),
            arch: arch.debian.clone(),
            release: version.release.clone(),
            sha256,
            license: catalog.license.clone(),
            supplier: catalog.supplier.clone(),
        },
    })
}

/// Unpacks the package's `usr/include` into a new entry, with the architecture's
/// `usr/include/<multiarch>/asm` moved to `asm/`, where compilers look for it.
fn make_entry(package: &Path, sha256: &str, entry: &Path, name: &str, ctx: &Ctx) -> Result<()> {
    let temp = ctx.cache.temp_dir("libs")?;
    let include = temp.path().join("include");
    std::fs::create_dir_all(&include).map_err(Error::io("cannot create", &include))?;
    unpack::unpack_checked(
        package,
        Format::Deb,
        "usr/include",
        &include,
        Some(sha256),
        Limits::default(),
    )?;
    let multiarch: Vec<PathBuf> = std::fs::read_dir(&include)
        .map_err(Error::io("cannot read", &include))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("asm").is_dir())
        .collect();
    let [arch_dir] = multiarch.as_slice() else {
        return Err(Error::UnsafeArchive {
            archive: package.to_path_buf(),
            entry: "usr/include/*/asm".into(),
            reason: format!(
                "is not one folder ({} found): not a linux-libc-dev package",
                multiarch.len()
            ),
        });
    };
    let asm = include.join("asm");
    std::fs::rename(arch_dir.join("asm"), &asm).map_err(Error::io("cannot move", &asm))?;
    std::fs::remove_dir(arch_dir).map_err(Error::io("cannot remove", arch_dir))?;
    let record = serde_json::json!({ "name": name, "kind": "kernel headers" });
    ctx.cache.publish_dir(
        temp,
        entry,
        &serde_json::to_string_pretty(&record).expect("json"),
    )
}

fn top_level_dirs(include: &Path) -> Result<Vec<String>> {
    let mut dirs: Vec<String> = std::fs::read_dir(include)
        .map_err(Error::io("cannot read", include))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// A set's key and its entry's name in `libs/`: the package it is unpacked from (version,
/// release, kernel `ARCH`, sha256), nothing of the machine.
fn set_key(catalog: &Catalog, version: &Version, arch: &ArchSet) -> (String, String) {
    let key = CacheKey::new(KeyKind::KernelHeaders)
        .part("version", &version.version)
        .part("release", &version.release)
        .part("kernel-arch", &arch.kernel)
        .part("sha256", arch.sha256.to_ascii_lowercase())
        .finish();
    let name = format!(
        "{}-{}-{}-{}",
        catalog.name,
        version.release,
        arch.kernel,
        &key[..16]
    );
    (key, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sets_key_is_its_package_in_any_home() {
        let catalog = catalog();
        let version = &catalog.versions[0];
        let arch = &version.arches[0];
        let [a, b] = crate::sys::key::machines::two(|_| {});
        let entry = |m: &crate::sys::key::machines::Machine| {
            let (key, name) = set_key(&catalog, version, arch);
            let places = crate::sys::key::Places::new().cache(&m.home);
            (key, places.path(&m.ctx().cache.dir("libs").join(name)))
        };
        assert_eq!(entry(&a), entry(&b));
        let other = ArchSet {
            sha256: "0".repeat(64),
            kernel: arch.kernel.clone(),
            debian: arch.debian.clone(),
            file: arch.file.clone(),
        };
        assert_ne!(set_key(&catalog, version, &other).0, entry(&a).0);
    }

    #[test]
    fn the_catalog_parses_and_names_real_architectures() {
        let catalog = catalog();
        assert!(!catalog.versions.is_empty());
        let kernels: Vec<&str> = Target::ALL.iter().map(|t| t.linux_srcarch()).collect();
        for version in &catalog.versions {
            for arch in &version.arches {
                assert!(kernels.contains(&arch.kernel.as_str()), "{}", arch.kernel);
                assert!(
                    crate::sys::hash::is_sha256_hex(&arch.sha256),
                    "{}",
                    arch.file
                );
                assert!(arch.file.contains(&version.debian_version), "{}", arch.file);
                assert!(arch.file.ends_with(&format!("_{}.deb", arch.debian)));
            }
        }
    }

    #[test]
    fn six_one_covers_nine_targets_and_names_the_rest() {
        let (_, release, targets) = versions()
            .into_iter()
            .find(|(v, ..)| v == "6.1")
            .expect("6.1 is pinned");
        assert_eq!(release, "6.1.176");
        assert_eq!(targets.len(), 9, "{targets:?}");
        assert!(!targets.contains(&Target::Riscv64));
        assert!(!targets.contains(&Target::Loongarch64));
        let dir = tempfile::tempdir().unwrap();
        let ctx = Ctx::for_tests(dir.path());
        // Refused before anything is looked for: no package is at hand here.
        let err = prepare(Some("6.1"), &[Target::Riscv64], &[], &ctx).unwrap_err();
        assert!(matches!(err, Error::NoKernelHeaders { .. }), "{err:?}");
        assert_eq!(err.exit_code(), crate::error::exit::LIBRARY);
        let help = err.help();
        assert!(help.contains("x86_64, aarch64, armv7"), "{help}");
    }

    #[test]
    fn toolchain_or_nothing_pins_nothing_and_unknown_versions_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Ctx::for_tests(dir.path());
        assert!(prepare(None, &Target::ALL, &[], &ctx).unwrap().is_empty());
        assert!(
            prepare(Some("toolchain"), &Target::ALL, &[], &ctx)
                .unwrap()
                .is_empty()
        );
        let (message, help) = check_version("5.4").unwrap_err();
        assert_eq!(message, "unknown kernel headers version `5.4`");
        assert!(help.contains("6.1"), "{help}");
    }
}
