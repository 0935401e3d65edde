//! Every platform's files besides the artifacts: the scratch essentials (CA bundle,
//! passwd, zoneinfo), the spec's host files, vendored projects' installed files and empty
//! folders, as `Tree`s; and the check that reads them all before a build touches dist.

use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::error::{Error, Result};
use crate::image::checks::artifact_path;
use crate::image::essentials;
use crate::image::layer::{Entry, EntryKind, Tree};
use crate::image::spec::ImageSpec;
use crate::sys::hash::sha256_hex;
use crate::sys::key::{CacheKey, KeyKind};
use crate::target::Target;

/// The scratch essentials, as one tree every platform's tree starts from.
pub(crate) fn essentials_tree(spec: &ImageSpec, env: &Env) -> Result<Tree> {
    let mut tree = Tree::new();
    if spec.ca_certs {
        essentials::add_ca_bundle(&mut tree, &ca_bundle(env)?)?;
    }
    if spec.passwd {
        essentials::add_passwd(&mut tree)?;
    }
    if spec.zoneinfo {
        essentials::add_zoneinfo(&mut tree, Path::new(essentials::HOST_ZONEINFO))?;
    }
    Ok(tree)
}

/// Where a vendored project's installed path (`/etc/foo.conf`) lies on this machine for
/// one target: `(vendor, target, installed path)` -> (the install's root folder, the
/// path under it). The project supplies it; outside a project there is no vendored
/// project to ask.
pub(crate) type VendorPaths<'a> = &'a dyn Fn(&str, Target, &str) -> Result<(PathBuf, String)>;

/// For `muslbuild image` outside a project.
pub(crate) fn no_vendored_projects(vendor: &str, _: Target, _: &str) -> Result<(PathBuf, String)> {
    Err(Error::usage(
        format!(
            "--vendor-file names vendored project `{vendor}`, but there is no muslbuild.toml here"
        ),
        "run `muslbuild image` in the project folder, whose [vendor.NAME] tables name the vendored projects",
    ))
}

/// This machine's CA bundle (`SSL_CERT_FILE` first).
fn ca_bundle(env: &Env) -> Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = env
        .get("SSL_CERT_FILE")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.extend(essentials::HOST_CA_BUNDLES.iter().map(PathBuf::from));
    essentials::find_ca_bundle(&candidates)
}

/// Every platform's files besides the artifacts: the essentials, the spec's files,
/// its vendored files (from that platform's own build) and its folders, last so their
/// modes and owners win over folders the others made.
pub(crate) fn extras_tree(
    spec: &ImageSpec,
    essentials: &Tree,
    target: Target,
    vendor: VendorPaths<'_>,
    env: &Env,
) -> Result<Tree> {
    let mut tree = essentials.clone();
    for file in &spec.files {
        let source = env.cwd.join(&file.source);
        if std::fs::symlink_metadata(&source).is_err() {
            return Err(Error::ImageContent {
                message: format!("image file `{}` does not exist", source.display()),
                help: "`source` is relative to the folder of muslbuild.toml (to the working folder for --file)".into(),
            });
        }
        let owner = Owner {
            mode: file.mode.map(|m| m.0),
            uid: file.uid,
            gid: file.gid,
        };
        add_host(
            &mut tree,
            &source,
            &file.path,
            owner,
            &format!("file `{}`", file.source.display()),
        )?;
    }
    for file in &spec.vendor_files {
        let (root, relative) = vendor(&file.vendor, target, &file.source)?;
        let source = root.join(&relative);
        // The folders on the way are the install's own, never a link out of it (the
        // last part, copied as a link, is `add_host`'s business).
        let mut folder = root.clone();
        for part in relative
            .split('/')
            .collect::<Vec<_>>()
            .split_last()
            .map_or(&[][..], |(_, f)| f)
        {
            folder.push(part);
            match std::fs::symlink_metadata(&folder) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(Error::ImageContent {
                        message: format!(
                            "`{}` of vendored project `{}` for {target} lies behind a link (`{}`)",
                            file.source,
                            file.vendor,
                            folder.display()
                        ),
                        help: "name the path the link points to; muslbuild follows no link out of an install".into(),
                    });
                }
                _ => {}
            }
        }
        if std::fs::symlink_metadata(&source).is_err() {
            return Err(Error::ImageContent {
                message: format!(
                    "vendored project `{}` installed no `{}` for {target}",
                    file.vendor, file.source
                ),
                help: format!(
                    "looked at {}; `source` is the path as the project installs it (/etc/NAME.conf, /usr/share/NAME)",
                    source.display()
                ),
            });
        }
        let owner = Owner {
            mode: file.mode.map(|m| m.0),
            uid: file.uid,
            gid: file.gid,
        };
        let origin = format!("`{}` of vendored project `{}`", file.source, file.vendor);
        add_host(&mut tree, &source, file.image_path(), owner, &origin)?;
    }
    for dir in &spec.dirs {
        let entry = Entry {
            kind: EntryKind::Dir,
            mode: dir.mode.map_or(0o755, |m| m.0),
            uid: dir.uid.into(),
            gid: dir.gid.into(),
        };
        tree.insert(&dir.path, entry, &format!("folder `{}`", dir.path))?;
    }
    Ok(tree)
}

/// Before anything is built: every platform's files besides the artifacts and the
/// essentials, read, with the artifacts' paths reserved, so a missing vendored file or a
/// clash inside a copied folder stops the build before dist/ is touched. Returns the
/// sha256 of what they hold, for keying an image made from them.
pub(crate) fn check_extras(
    spec: &ImageSpec,
    targets: &[Target],
    vendor: VendorPaths<'_>,
    env: &Env,
) -> Result<String> {
    // The essentials this machine must have; their content is keyed by the caller.
    if spec.ca_certs {
        ca_bundle(env)?;
    }
    if spec.zoneinfo && !Path::new(essentials::HOST_ZONEINFO).is_dir() {
        essentials::add_zoneinfo(&mut Tree::new(), Path::new(essentials::HOST_ZONEINFO))?;
    }
    let bin_dir = spec.bin_dir.as_deref().unwrap_or("/");
    let mut key = CacheKey::new(KeyKind::ImageExtras);
    for target in targets {
        let mut tree = extras_tree(spec, &Tree::new(), *target, vendor, env)?;
        for item in &spec.artifacts {
            let (name, path) = artifact_path(item, bin_dir);
            let placeholder = Entry {
                kind: EntryKind::File(Vec::new()),
                mode: 0o755,
                uid: 0,
                gid: 0,
            };
            tree.insert(&path, placeholder, &format!("artifact `{name}`"))?;
        }
        let tar = sha256_hex(&tree.to_tar(0));
        key = key.group("platform", |k| {
            k.part("target", target.name()).part("tar", tar)
        });
    }
    Ok(key.finish())
}

#[derive(Clone, Copy)]
struct Owner {
    /// For files; `None` keeps 0755 for an executable source, else 0644.
    mode: Option<u32>,
    uid: u32,
    gid: u32,
}

/// A host file, link or folder (recursively, in name order) at `image_path`. Links are
/// copied as links and never followed, so a link in a vendored install cannot pull a host
/// file into the image.
fn add_host(
    tree: &mut Tree,
    source: &Path,
    image_path: &str,
    owner: Owner,
    origin: &str,
) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let read = |p: &Path| Error::io("cannot read", p.to_path_buf());
    let meta = std::fs::symlink_metadata(source).map_err(read(source))?;
    let (uid, gid) = (u64::from(owner.uid), u64::from(owner.gid));
    let kind = if meta.file_type().is_symlink() {
        let target = std::fs::read_link(source).map_err(read(source))?;
        let target = target.to_str().ok_or_else(|| Error::ImageContent {
            message: format!(
                "link `{}` points at a name that is not UTF-8",
                source.display()
            ),
            help: "a layer names link targets as text; replace the link".into(),
        })?;
        tree.insert(
            image_path,
            Entry {
                kind: EntryKind::Symlink(target.into()),
                mode: 0o777,
                uid,
                gid,
            },
            origin,
        )?;
        return Ok(());
    } else if meta.is_dir() {
        EntryKind::Dir
    } else if meta.is_file() {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(source)
            .map_err(read(source))?;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut bytes).map_err(read(source))?;
        EntryKind::File(bytes)
    } else {
        return Err(Error::ImageContent {
            message: format!(
                "`{}` ({origin}) is not a file, folder or link",
                source.display()
            ),
            help:
                "an image holds files, folders and links; copy a folder without devices or sockets"
                    .into(),
        });
    };
    let is_dir = kind == EntryKind::Dir;
    let mode = match (&kind, owner.mode) {
        (EntryKind::Dir, _) => 0o755,
        (_, Some(mode)) => mode,
        _ if meta.permissions().mode() & 0o111 != 0 => 0o755,
        _ => 0o644,
    };
    tree.insert(
        image_path,
        Entry {
            kind,
            mode,
            uid,
            gid,
        },
        origin,
    )?;
    if is_dir {
        let mut names: Vec<_> = std::fs::read_dir(source)
            .map_err(read(source))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<std::io::Result<_>>()
            .map_err(read(source))?;
        names.sort();
        for name in names {
            let Some(text) = name.to_str() else {
                return Err(Error::ImageContent {
                    message: format!(
                        "`{}` has a name that is not UTF-8",
                        source.join(&name).display()
                    ),
                    help: "rename it; image paths are text".into(),
                });
            };
            let child = format!("{}/{text}", image_path.trim_end_matches('/'));
            add_host(tree, &source.join(&name), &child, owner, origin)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::spec::ProjectFile;
    use crate::sys::key::machines::{self, Machine};

    #[test]
    fn the_extras_key_is_the_same_in_another_checkout_and_home() {
        let [a, b] = machines::two(|m| {
            m.write(&m.root, "etc/app.conf", "port = 8080\n");
            m.write(&m.root, "share/data/a.txt", "a\n");
        });
        let key = |m: &Machine| {
            let spec = ImageSpec {
                passwd: true,
                files: vec![
                    ProjectFile {
                        source: m.root.join("etc/app.conf"),
                        path: "/etc/app.conf".into(),
                        mode: None,
                        uid: 0,
                        gid: 0,
                    },
                    ProjectFile {
                        source: m.root.join("share/data"),
                        path: "/usr/share/app".into(),
                        mode: None,
                        uid: 0,
                        gid: 0,
                    },
                ],
                ..ImageSpec::default()
            };
            let env = Env::from_vars([("MUSLBUILD_HOME", &m.home)], m.root.clone());
            check_extras(
                &spec,
                &[Target::X86_64, Target::Aarch64],
                &no_vendored_projects,
                &env,
            )
            .unwrap()
        };
        assert_eq!(key(&a), key(&b));
        a.write(&a.root, "share/data/a.txt", "b\n");
        assert_ne!(key(&a), key(&b), "a file's content counts");
    }
}
