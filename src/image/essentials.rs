//! The few files a `FROM scratch` image lacks that real programs reach for: a CA bundle
//! for TLS, `/etc/passwd` + `/etc/group` so a non-root user has a name, and zoneinfo for
//! time zones. Each is opt-in; each comes from this machine or from fixed text.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::image::layer::{Entry, EntryKind, Tree};

/// Where Go, OpenSSL, rustls-native-certs and curl all look first on Linux.
pub(crate) const CA_BUNDLE_PATH: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Host CA bundles, most common first (Debian/Ubuntu/Alpine/Arch, Fedora/RHEL, openSUSE,
/// BSD-style).
pub(crate) const HOST_CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

pub(crate) const HOST_ZONEINFO: &str = "/usr/share/zoneinfo";

/// The non-root user `--passwd` adds: the uid/gid distroless uses, so images built either
/// way agree on who owns what.
pub(crate) const NONROOT_UID: u32 = 65532;
pub(crate) const NONROOT_NAME: &str = "nonroot";

pub(crate) fn passwd() -> String {
    // No home folder exists in a scratch image; `/nonexistent` says so honestly, as
    // Debian does for its system users.
    format!(
        "root:x:0:0:root:/root:/sbin/nologin\n{NONROOT_NAME}:x:{NONROOT_UID}:{NONROOT_UID}:{NONROOT_NAME}:/nonexistent:/sbin/nologin\n"
    )
}

pub(crate) fn group() -> String {
    format!("root:x:0:\n{NONROOT_NAME}:x:{NONROOT_UID}:\n")
}

pub(crate) fn add_passwd(tree: &mut Tree) -> Result<()> {
    tree.insert("/etc/passwd", text_file(passwd()), "--passwd")?;
    tree.insert("/etc/group", text_file(group()), "--passwd")
}

/// The first existing bundle of `candidates` (`SSL_CERT_FILE` first when set).
pub(crate) fn find_ca_bundle(candidates: &[PathBuf]) -> Result<PathBuf> {
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| Error::ImageContent {
            message: format!(
                "no CA bundle on this machine (looked at {})",
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            help: "install the ca-certificates package, or point SSL_CERT_FILE at a PEM bundle"
                .into(),
        })
}

pub(crate) fn add_ca_bundle(tree: &mut Tree, host_bundle: &Path) -> Result<()> {
    let bytes =
        std::fs::read(host_bundle).map_err(Error::io("cannot read the CA bundle", host_bundle))?;
    tree.insert(
        CA_BUNDLE_PATH,
        Entry {
            kind: EntryKind::File(bytes),
            mode: 0o644,
            uid: 0,
            gid: 0,
        },
        "--ca-certs",
    )
}

/// Copies the host's zoneinfo tree to `/usr/share/zoneinfo`, symlinks kept as symlinks
/// (Debian links `posix/` names and aliases such as `Cuba -> America/Havana`), so the
/// image is as large as the data and no larger.
pub(crate) fn add_zoneinfo(tree: &mut Tree, host_dir: &Path) -> Result<()> {
    if !host_dir.is_dir() {
        return Err(Error::ImageContent {
            message: format!("no zoneinfo on this machine (`{}` does not exist)", host_dir.display()),
            help: "install the tzdata package, or leave out --zoneinfo (Go programs can embed it with `import _ \"time/tzdata\"`)".into(),
        });
    }
    let read = |p: &Path| Error::io("cannot read zoneinfo", p.to_path_buf());
    let mut stack = vec![(host_dir.to_path_buf(), HOST_ZONEINFO.to_string())];
    while let Some((dir, image_dir)) = stack.pop() {
        tree.insert(
            &image_dir,
            Entry {
                kind: EntryKind::Dir,
                mode: 0o755,
                uid: 0,
                gid: 0,
            },
            "--zoneinfo",
        )?;
        for entry in std::fs::read_dir(&dir).map_err(read(&dir))? {
            let entry = entry.map_err(read(&dir))?;
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let image_path = format!("{image_dir}/{name}");
            let meta = std::fs::symlink_metadata(&path).map_err(read(&path))?;
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).map_err(read(&path))?;
                let Some(target) = target.to_str() else {
                    continue;
                };
                let link = Entry {
                    kind: EntryKind::Symlink(target.to_string()),
                    mode: 0o777,
                    uid: 0,
                    gid: 0,
                };
                tree.insert(&image_path, link, "--zoneinfo")?;
            } else if meta.is_dir() {
                stack.push((path, image_path));
            } else if meta.is_file() {
                let bytes = std::fs::read(&path).map_err(read(&path))?;
                tree.insert(
                    &image_path,
                    Entry {
                        kind: EntryKind::File(bytes),
                        mode: 0o644,
                        uid: 0,
                        gid: 0,
                    },
                    "--zoneinfo",
                )?;
            }
        }
    }
    Ok(())
}

fn text_file(text: String) -> Entry {
    Entry {
        kind: EntryKind::File(text.into_bytes()),
        mode: 0o644,
        uid: 0,
        gid: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_and_group_name_the_nonroot_user() {
        let mut tree = Tree::new();
        add_passwd(&mut tree).unwrap();
        assert!(
            passwd()
                .lines()
                .any(|l| l.starts_with("nonroot:x:65532:65532:"))
        );
        assert!(group().lines().any(|l| l == "nonroot:x:65532:"));
        assert!(tree.contains("/etc/passwd") && tree.contains("/etc/group"));
    }

    #[test]
    fn zoneinfo_copies_files_dirs_and_links() {
        let host = tempfile::tempdir().unwrap();
        std::fs::create_dir(host.path().join("America")).unwrap();
        std::fs::write(host.path().join("America/Havana"), b"TZif").unwrap();
        std::os::unix::fs::symlink("America/Havana", host.path().join("Cuba")).unwrap();
        let mut tree = Tree::new();
        add_zoneinfo(&mut tree, host.path()).unwrap();
        let paths: Vec<&str> = tree.paths().collect();
        assert_eq!(
            paths,
            vec![
                "usr",
                "usr/share",
                "usr/share/zoneinfo",
                "usr/share/zoneinfo/America",
                "usr/share/zoneinfo/America/Havana",
                "usr/share/zoneinfo/Cuba"
            ]
        );
        assert_eq!(
            tree.get("/usr/share/zoneinfo/Cuba").unwrap().kind,
            EntryKind::Symlink("America/Havana".into())
        );
    }

    #[test]
    fn missing_host_files_are_errors_with_help() {
        let err = find_ca_bundle(&[PathBuf::from("/nonexistent/ca.crt")]).unwrap_err();
        assert!(err.help().contains("ca-certificates"));
        let err = add_zoneinfo(&mut Tree::new(), Path::new("/nonexistent/zoneinfo")).unwrap_err();
        assert!(err.help().contains("tzdata"));
    }
}
