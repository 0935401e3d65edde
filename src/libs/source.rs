//! Source archives: found in the cache (`sources/<sha256>`), in local folders (by file
//! name, then by content hash), or downloaded; always verified by sha256 before use. An
//! archive whose hash does not match is an error, never a build.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::Catalog;
use super::recipe::{Recipe, SourceSpec};
use crate::cache::{self, Cache};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::sys::download::sha256_file;
use crate::sys::unpack::{self as unpack, Format, Limits};

const ARCHIVE_SUFFIXES: &[&str] = &[
    ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar",
];

/// Returns the path of a verified copy of `spec` in the cache.
pub(crate) fn obtain(
    library: &str,
    spec: &SourceSpec,
    source_dirs: &[PathBuf],
    ctx: &Ctx,
) -> Result<PathBuf> {
    let cache = &ctx.cache;
    let sha = spec.sha256.to_ascii_lowercase();
    let cached = cache.dir("sources").join(&sha);
    if std::fs::symlink_metadata(&cached).is_ok_and(|m| m.is_file()) {
        // The cache is a copy, not an authority: the name is the hash it must have.
        let actual = sha256_file(&cached)?;
        if actual == sha {
            return Ok(cached);
        }
        cache.warn_damaged(
            &cached,
            &cache::Damage {
                file: cached.clone(),
                reason: format!("has sha256 {actual}, not the {sha} it is named by"),
            },
        );
        std::fs::remove_file(&cached).map_err(Error::io("cannot remove", &cached))?;
    } else if std::fs::symlink_metadata(&cached).is_ok() {
        std::fs::remove_file(&cached).map_err(Error::io("cannot remove", &cached))?;
    }
    std::fs::create_dir_all(cache.dir("sources")).map_err(Error::io(
        "cannot create the cache directory",
        cache.dir("sources"),
    ))?;

    // By name first: a file with the upstream name is meant to be this source, so a
    // mismatch is an error, not a reason to look further.
    for dir in source_dirs {
        let candidate = dir.join(&spec.file);
        if candidate.is_file() {
            let actual = sha256_file(&candidate)?;
            if actual != sha {
                return Err(Error::SourceChecksum {
                    library: library.to_string(),
                    path: candidate,
                    expected: sha,
                    actual,
                });
            }
            copy_into_cache(cache, &candidate, &cached)?;
            return Ok(cached);
        }
    }
    // Then by content: mirrors rename files (Debian's `ncurses_6.4.orig.tar.gz`).
    for dir in source_dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !ARCHIVE_SUFFIXES.iter().any(|s| name.ends_with(s)) || !path.is_file() {
                continue;
            }
            if sha256_file(&path)? == sha {
                copy_into_cache(cache, &path, &cached)?;
                return Ok(cached);
            }
        }
    }
    if spec.urls.is_empty() {
        return Err(not_found(
            library,
            spec,
            source_dirs,
            "the recipe has no URL".into(),
        ));
    }
    let expected = crate::sys::download::Expected {
        sha256: &sha,
        size: None,
    };
    match crate::sys::download::fetch_verified(&ctx.net, ctx.ui, &spec.urls, &expected, &cached) {
        Ok(_) => Ok(cached),
        // A server that serves other bytes is worth its own error, not "not found".
        Err(err @ Error::ChecksumMismatch { .. }) => Err(err),
        Err(err) => Err(not_found(
            library,
            spec,
            source_dirs,
            format!("downloading failed: {err}"),
        )),
    }
}

/// The archives the Debian source packages in `dirs` list (`*.dsc`, their
/// `Checksums-Sha256`): sha256 → (source package, version). Files only; a `.dsc` that
/// does not parse is skipped.
pub(crate) fn debian_packages(
    dirs: &[PathBuf],
) -> std::collections::BTreeMap<String, (String, String)> {
    let mut out = std::collections::BTreeMap::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "dsc"))
        {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let field = |name: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
                    .map(|v| v.trim().to_string())
            };
            let (Some(package), Some(version)) = (field("Source"), field("Version")) else {
                continue;
            };
            let listed = text
                .lines()
                .skip_while(|l| !l.starts_with("Checksums-Sha256:"))
                .skip(1)
                .take_while(|l| l.starts_with(' '));
            for line in listed {
                if let Some(sha) = line
                    .split_whitespace()
                    .next()
                    .filter(|s| crate::sys::hash::is_sha256_hex(s))
                {
                    out.entry(sha.to_string())
                        .or_insert_with(|| (package.clone(), version.clone()));
                }
            }
        }
    }
    out
}

/// Each recipe with alternative sources takes the archive at hand: its own when the
/// cache or a source folder has it, else the first alternative found there, else its
/// own (to download). The choice is part of the recipe, so of its key and version.
pub(crate) fn with_sources_at_hand(
    mut catalog: Catalog,
    source_dirs: &[PathBuf],
    cache: &Cache,
) -> Result<Catalog> {
    for recipe in catalog.all_mut() {
        if recipe.sources.iter().any(|s| !s.alternatives.is_empty()) {
            *recipe = choose_at_hand(recipe, source_dirs, cache)?;
        }
    }
    Ok(catalog)
}

/// `recipe` with each source that has alternatives replaced by the archive at hand (see
/// `with_sources_at_hand`). Looks by cache entry and file name first, and hashes
/// the source folders' archives only when neither finds one.
pub(crate) fn choose_at_hand(
    recipe: &Recipe,
    source_dirs: &[PathBuf],
    cache: &Cache,
) -> Result<Recipe> {
    let mut chosen = recipe.clone();
    let mut hashes: Option<Vec<String>> = None;
    for source in &mut chosen.sources {
        if source.alternatives.is_empty() {
            continue;
        }
        let candidates: Vec<(&str, String)> =
            std::iter::once((source.file.as_str(), source.sha256.clone()))
                .chain(
                    source
                        .alternatives
                        .iter()
                        .map(|a| (a.file.as_str(), a.sha256.clone())),
                )
                .map(|(file, sha)| (file, sha.to_ascii_lowercase()))
                .collect();
        let by_name = candidates.iter().position(|(file, sha)| {
            cache.dir("sources").join(sha).is_file()
                || source_dirs.iter().any(|d| d.join(file).is_file())
        });
        let found = match by_name {
            Some(i) => Some(i),
            None => {
                let hashes = match &hashes {
                    Some(h) => h,
                    None => hashes.insert(folder_archive_hashes(source_dirs)?),
                };
                candidates.iter().position(|(_, sha)| hashes.contains(sha))
            }
        };
        if let Some(i) = found.filter(|&i| i > 0) {
            let alternative = source.alternatives[i - 1].clone();
            chosen.version = alternative.version;
            chosen.host_tools.extend(alternative.host_tools);
            chosen.edits.extend(alternative.edits);
            *source = SourceSpec {
                file: alternative.file,
                urls: alternative.urls,
                sha256: alternative.sha256,
                alternatives: Vec::new(),
            };
        }
    }
    Ok(chosen)
}

fn folder_archive_hashes(source_dirs: &[PathBuf]) -> Result<Vec<String>> {
    let mut hashes = Vec::new();
    for dir in source_dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for path in entries.filter_map(|e| e.ok()).map(|e| e.path()) {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if ARCHIVE_SUFFIXES.iter().any(|s| name.ends_with(s)) && path.is_file() {
                hashes.push(sha256_file(&path)?);
            }
        }
    }
    Ok(hashes)
}

fn not_found(library: &str, spec: &SourceSpec, source_dirs: &[PathBuf], reason: String) -> Error {
    let mut archive = format!("`{}`, sha256 {}", spec.file, spec.sha256);
    for alternative in &spec.alternatives {
        archive.push_str(&format!(
            "; or {} `{}`, sha256 {}",
            alternative.version, alternative.file, alternative.sha256
        ));
    }
    Error::SourceNotFound {
        library: library.to_string(),
        archive,
        looked_in: source_dirs.to_vec(),
        reason,
    }
}

fn copy_into_cache(cache: &Cache, from: &Path, to: &Path) -> Result<()> {
    let dir = to.parent().expect("cache path has a parent");
    let temp = tempfile::Builder::new()
        .prefix(&cache.temp_prefix(dir))
        .tempfile_in(dir)
        .map_err(Error::io("cannot write into", dir))?;
    std::fs::copy(from, temp.path()).map_err(Error::io("cannot copy", from))?;
    temp.persist(to)
        .map_err(|e| Error::io("cannot write", to)(e.error))?;
    Ok(())
}

/// Unpacks `archive` into `dest` and returns the folder holding the sources (the
/// archive's single top-level folder, as release tarballs have). It goes through the
/// toolchain unpacker's checks (no escaping paths or links, no devices, caps), and a
/// cached archive is hashed again while it is read: `sources/<sha256>` is named by its
/// hash, so a file changed since it was verified fails here and is never built.
pub(crate) fn unpack(archive: &Path, dest: &Path, log: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dest).map_err(Error::io("cannot create", dest))?;
    let expected = archive
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit()));
    let format = Format::sniff(archive)?;
    let _ = std::fs::write(
        log,
        format!(
            "unpacking {} ({format:?}) into {}\n",
            archive.display(),
            dest.display()
        ),
    );
    unpack::unpack_checked(archive, format, "", dest, expected, Limits::default())?;
    let entries: Vec<PathBuf> = std::fs::read_dir(dest)
        .map_err(Error::io("cannot read", dest))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    match entries.as_slice() {
        [single] if std::fs::symlink_metadata(single).is_ok_and(|m| m.is_dir()) => {
            Ok(single.clone())
        }
        _ => Ok(dest.to_path_buf()),
    }
}

/// A hash of a vendored folder's contents (relative paths, file bytes, the executable
/// bit, symlink targets), so editing a file rebuilds the library. `.git` is skipped.
pub(crate) fn hash_folder(dir: &Path) -> Result<String> {
    let mut hasher = Sha256::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let abs = dir.join(&rel);
        let mut entries: Vec<_> = std::fs::read_dir(&abs)
            .map_err(Error::io("cannot read", &abs))?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name() != ".git")
            .collect();
        entries.sort_by_key(|e| e.file_name());
        // Subfolders are pushed in reverse so they pop in name order.
        let mut subdirs = Vec::new();
        for entry in entries {
            let rel_path = rel.join(entry.file_name());
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).map_err(Error::io("cannot read", &path))?;
            let name = rel_path.to_string_lossy().into_owned();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).map_err(Error::io("cannot read", &path))?;
                hasher.update(format!("L {name}\0{}\0", target.display()));
            } else if meta.is_dir() {
                hasher.update(format!("D {name}\0"));
                subdirs.push(rel_path);
            } else {
                use std::os::unix::fs::PermissionsExt;
                let exec = meta.permissions().mode() & 0o111 != 0;
                let bytes = std::fs::read(&path).map_err(Error::io("cannot read", &path))?;
                hasher.update(format!("F {name}\0{exec}\0{}\0", bytes.len()));
                hasher.update(&bytes);
            }
        }
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(crate::sys::hash::hex(&hasher.finalize()))
}

/// Copies a vendored folder (without `.git`) so builds never write into the user's tree.
/// File times and modes are kept: with new times in copy order, automake's rebuild rules
/// would fire (aclocal, automake, makeinfo run inside the build, or fail when absent).
pub(crate) fn copy_folder(from: &Path, to: &Path) -> Result<()> {
    sync_folder(from, to, false).map(|_| ())
}

/// Object files and archives an in-place build left behind (compiled for the host, or
/// for another target): a build in a copy must make its own.
fn is_object(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    [".o", ".lo", ".a", ".la", ".obj"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Brings `to` up to date with `from`: copies each file that is new or whose size or
/// modification time differs, keeping its time and mode, and leaves what the build made
/// alone. With `skip_objects`, objects and archives are not copied. Returns how many
/// files were copied.
pub(crate) fn sync_folder(from: &Path, to: &Path, skip_objects: bool) -> Result<usize> {
    std::fs::create_dir_all(to).map_err(Error::io("cannot create", to))?;
    let mut copied = 0;
    for entry in std::fs::read_dir(from).map_err(Error::io("cannot read", from))? {
        let entry = entry.map_err(Error::io("cannot read", from))?;
        if entry.file_name() == ".git" {
            continue;
        }
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let meta = std::fs::symlink_metadata(&src).map_err(Error::io("cannot read", &src))?;
        if skip_objects && meta.is_file() && is_object(&entry.file_name()) {
            continue;
        }
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&src).map_err(Error::io("cannot read", &src))?;
            if std::fs::read_link(&dst).ok().as_ref() == Some(&target) {
                continue;
            }
            let _ = std::fs::remove_file(&dst);
            std::os::unix::fs::symlink(&target, &dst).map_err(Error::io("cannot create", &dst))?;
            copied += 1;
        } else if meta.is_dir() {
            copied += sync_folder(&src, &dst, skip_objects)?;
        } else {
            let modified = meta.modified().map_err(Error::io("cannot read", &src))?;
            if let Ok(old) = std::fs::symlink_metadata(&dst)
                && old.is_file()
                && old.len() == meta.len()
                && old.modified().ok() == Some(modified)
            {
                continue;
            }
            // A read-only copy cannot be written over; a folder of that name goes too.
            match std::fs::symlink_metadata(&dst) {
                Ok(m) if m.is_dir() => {
                    let _ = std::fs::remove_dir_all(&dst);
                }
                Ok(_) => {
                    let _ = std::fs::remove_file(&dst);
                }
                Err(_) => {}
            }
            // std::fs::copy keeps the mode; futimens needs ownership, not write access.
            std::fs::copy(&src, &dst).map_err(Error::io("cannot copy", &src))?;
            std::fs::File::open(&dst)
                .and_then(|f| f.set_modified(modified))
                .map_err(Error::io("cannot set the file time of", &dst))?;
            copied += 1;
        }
    }
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(file: &str, bytes: &[u8]) -> SourceSpec {
        SourceSpec {
            file: file.into(),
            urls: Vec::new(),
            sha256: crate::sys::hash::sha256_hex(bytes),
            alternatives: Vec::new(),
        }
    }

    fn with_alternative(primary: SourceSpec, file: &str, bytes: &[u8]) -> Recipe {
        let mut source = primary;
        source
            .alternatives
            .push(super::super::recipe::AlternativeSource {
                file: file.into(),
                sha256: crate::sys::hash::sha256_hex(bytes),
                version: "1.2".into(),
                urls: Vec::new(),
                host_tools: Vec::new(),
                edits: vec![super::super::recipe::Edit {
                    file: "Makefile".into(),
                    from: "old".into(),
                    to: "new".into(),
                    why: String::new(),
                }],
            });
        let mut recipe = super::super::Catalog::new(Vec::new())
            .get("zlib")
            .unwrap()
            .clone();
        recipe.version = "1.3".into();
        recipe.sources = vec![source];
        recipe
    }

    #[test]
    fn an_alternative_is_taken_only_when_the_own_archive_is_not_at_hand() {
        let root = tempfile::tempdir().unwrap();
        let cache = Cache::open(
            root.path().join("cache"),
            crate::sys::ui::Ui::default(),
            Default::default(),
        );
        let dir = root.path().join("mirror");
        std::fs::create_dir(&dir).unwrap();
        let dirs = std::slice::from_ref(&dir);
        let recipe = with_alternative(spec("z-1.3.tar.gz", b"new"), "z_1.2.orig.tar.bz2", b"old");

        // Neither at hand: the recipe's own archive, to download.
        assert_eq!(choose_at_hand(&recipe, dirs, &cache).unwrap(), recipe);

        // The alternative under another name, found by its content.
        std::fs::write(dir.join("renamed.tar.bz2"), b"old").unwrap();
        let chosen = choose_at_hand(&recipe, dirs, &cache).unwrap();
        assert_eq!(chosen.version, "1.2");
        assert_eq!(chosen.sources[0].file, "z_1.2.orig.tar.bz2");
        assert_eq!(
            chosen.sources[0].sha256,
            crate::sys::hash::sha256_hex(b"old")
        );
        assert!(chosen.sources[0].alternatives.is_empty());
        // The alternative's tree comes with its own edits, after the recipe's.
        assert_eq!(chosen.edits.len(), recipe.edits.len() + 1);
        assert_eq!(chosen.edits.last().unwrap().file, "Makefile");

        // The own archive wins as soon as it is at hand, without the alternative's edits.
        std::fs::write(dir.join("z-1.3.tar.gz"), b"new").unwrap();
        assert_eq!(choose_at_hand(&recipe, dirs, &cache).unwrap(), recipe);
    }

    #[test]
    fn found_by_name_or_by_hash_and_cached() {
        let root = tempfile::tempdir().unwrap();
        let ctx = Ctx::for_tests(root.path());
        let dir = root.path().join("mirror");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("foo_1.0.orig.tar.gz"), b"genuine").unwrap();
        let got = obtain(
            "foo",
            &spec("foo-1.0.tar.gz", b"genuine"),
            std::slice::from_ref(&dir),
            &ctx,
        )
        .unwrap();
        assert_eq!(std::fs::read(&got).unwrap(), b"genuine");
        // Now cached: the folder is not needed any more.
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            obtain("foo", &spec("foo-1.0.tar.gz", b"genuine"), &[], &ctx).unwrap(),
            got
        );
    }

    #[test]
    fn a_replaced_cached_archive_is_discarded_and_fetched_again() {
        let root = tempfile::tempdir().unwrap();
        let ctx = Ctx::for_tests(root.path());
        let dir = root.path().join("mirror");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("foo-1.0.tar.gz"), b"genuine").unwrap();
        let spec = spec("foo-1.0.tar.gz", b"genuine");
        let got = obtain("foo", &spec, std::slice::from_ref(&dir), &ctx).unwrap();
        std::fs::write(&got, b"replaced").unwrap();
        let again = obtain("foo", &spec, std::slice::from_ref(&dir), &ctx).unwrap();
        assert_eq!(std::fs::read(again).unwrap(), b"genuine");
        std::fs::write(&got, b"replaced").unwrap();
        let err = obtain("foo", &spec, &[], &ctx).unwrap_err();
        assert!(matches!(err, Error::SourceNotFound { .. }), "{err:?}");
        assert!(!got.exists(), "the replaced archive stayed in the cache");
    }

    #[test]
    fn a_tampered_file_is_refused_and_not_cached() {
        let root = tempfile::tempdir().unwrap();
        let ctx = Ctx::for_tests(root.path());
        let dir = root.path().join("mirror");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("foo-1.0.tar.gz"), b"tampered").unwrap();
        let err = obtain(
            "foo",
            &spec("foo-1.0.tar.gz", b"genuine"),
            std::slice::from_ref(&dir),
            &ctx,
        )
        .unwrap_err();
        assert!(matches!(err, Error::SourceChecksum { .. }), "{err:?}");
        assert_eq!(
            std::fs::read_dir(ctx.cache.dir("sources")).unwrap().count(),
            0
        );
    }

    #[test]
    fn missing_source_names_the_folders() {
        let root = tempfile::tempdir().unwrap();
        let ctx = Ctx::for_tests(root.path());
        let err = obtain(
            "foo",
            &spec("foo-1.0.tar.gz", b"x"),
            &[root.path().to_path_buf()],
            &ctx,
        )
        .unwrap_err();
        assert!(matches!(err, Error::SourceNotFound { .. }), "{err:?}");
        assert!(err.help().contains(&root.path().display().to_string()));
    }

    #[test]
    fn folder_hash_sees_content_changes_but_not_git() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/a.c"), "int a;").unwrap();
        let first = hash_folder(dir.path()).unwrap();
        std::fs::create_dir_all(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join(".git/HEAD"), "x").unwrap();
        assert_eq!(hash_folder(dir.path()).unwrap(), first);
        std::fs::write(dir.path().join("src/a.c"), "int b;").unwrap();
        assert_ne!(hash_folder(dir.path()).unwrap(), first);
    }
}
