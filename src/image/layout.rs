//! Writing an `Image` out: as an OCI image layout folder (`oci-layout`, `index.json`,
//! `blobs/sha256/…`) or as an `oci-archive` (the same layout in one tar).
//!
//! Order is what keeps readers safe: blobs first, each by rename; `index.json` last, by
//! rename, so a reader sees the old index (whose blobs are all still there) or the new
//! one (whose blobs are all already there). Blobs nothing references any more are removed
//! only after the new index is in place.

use std::collections::BTreeSet;
use std::path::Path;

use oci_spec::image::Descriptor;

use crate::error::{Error, OutputPlace, Result};
use crate::image::layer::{Entry, EntryKind, Tree};
use crate::image::oci::{Image, index_json, is_referrers_tag};
use crate::sys::fs::{Temps, write_atomic};
use crate::sys::hash::sha256_hex;
use crate::sys::oci_layout::{LayoutIndex, ReadError, parse_index, ref_name};

pub(crate) const OCI_LAYOUT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;

const WRITE_LAYOUT: OutputPlace = OutputPlace::OciLayout;

/// Checks, without writing, that `dir` may become (or already is) an OCI layout, so
/// every destination is checked before any is written. A folder holding only a layout's
/// own names (a layout being made, or one a crash left half made) counts as a layout.
pub(crate) fn check_layout_dir(dir: &Path) -> Result<()> {
    if !dir.exists() || dir.join("oci-layout").is_file() {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(Error::write_output(WRITE_LAYOUT, dir))?;
    for entry in entries {
        let name = entry
            .map_err(Error::write_output(WRITE_LAYOUT, dir))?
            .file_name();
        let name = name.to_string_lossy();
        if !matches!(name.as_ref(), "blobs" | "index.json" | "oci-layout")
            && !name.starts_with(".tmp-")
        {
            return Err(Error::ImageContent {
                message: format!("`{}` exists and is not an OCI image layout", dir.display()),
                help: "give --oci-layout an empty or new folder, or an existing OCI layout; muslbuild does not write into other folders".into(),
            });
        }
    }
    Ok(())
}

/// Writes the image into `dir`, creating it if needed. An existing layout keeps its other
/// tags (as `skopeo copy` into `oci:DIR:TAG` does); the entry with our tag is replaced.
/// A folder that has files but is not an OCI layout is refused, never written into.
pub(crate) fn write_layout(dir: &Path, image: &Image, temps: &Temps) -> Result<()> {
    check_layout_dir(dir)?;
    std::fs::create_dir_all(dir).map_err(Error::write_output(WRITE_LAYOUT, dir))?;
    // Two runs writing one layout would each keep only its own tag and collect the
    // other's blobs; a lock on the folder itself serialises them without adding a file
    // that OCI tools would see.
    let lock = std::fs::File::open(dir).map_err(Error::write_output(WRITE_LAYOUT, dir))?;
    lock.lock()
        .map_err(Error::write_output(WRITE_LAYOUT, dir))?;
    check_layout_dir(dir)?;
    // `oci-layout` first: from now on the folder says what it is.
    let layout = dir.join("oci-layout");
    if std::fs::read(&layout).ok().as_deref() != Some(OCI_LAYOUT) {
        write_atomic(temps, &layout, OCI_LAYOUT).map_err(retag)?;
    }
    let blob_dir = dir.join("blobs").join("sha256");
    std::fs::create_dir_all(&blob_dir).map_err(Error::write_output(WRITE_LAYOUT, &blob_dir))?;

    for (hex, bytes) in &image.blobs {
        let path = blob_dir.join(hex);
        // Content-addressed: a blob already there with the right bytes stays untouched.
        let present = std::fs::read(&path)
            .is_ok_and(|old| old.len() == bytes.len() && sha256_hex(&old) == *hex);
        if !present {
            write_atomic(temps, &path, bytes).map_err(retag)?;
        }
    }
    let index_path = dir.join("index.json");
    let mut manifests = other_tags(dir, &image.tag)?;
    keep_live_referrers(&mut manifests, image, &blob_dir);
    let ours = parse_index(&image.index_json).expect("our own index.json parses");
    manifests.extend(ours.manifests().iter().cloned());
    let index = if manifests.len() == ours.manifests().len() {
        image.index_json.clone()
    } else {
        index_json(manifests)?
    };
    write_atomic(temps, &index_path, &index).map_err(retag)?;

    remove_unreferenced(dir, &index);
    drop(lock);
    Ok(())
}

/// The image as an `oci-archive`: a plain tar of the layout, every entry with the image's
/// timestamp and owner 0, written beside `path` and renamed into place.
pub(crate) fn write_archive(path: &Path, image: &Image, mtime: u64, temps: &Temps) -> Result<()> {
    let bytes = archive_bytes(image, mtime);
    prepare_archive(path)?;
    write_atomic(temps, path, &bytes).map_err(|e| e.at_place(OutputPlace::OciArchive))
}

/// Creates the archive's folder and proves it writable, before anything is written.
pub(crate) fn prepare_archive(path: &Path) -> Result<()> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(Error::write_output(OutputPlace::OciArchive, parent))?;
    tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(parent)
        .map_err(Error::write_output(OutputPlace::OciArchive, path))?;
    Ok(())
}

pub(crate) fn archive_bytes(image: &Image, mtime: u64) -> Vec<u8> {
    let file = |bytes: &[u8]| Entry {
        kind: EntryKind::File(bytes.to_vec()),
        mode: 0o644,
        uid: 0,
        gid: 0,
    };
    // The SBOM referrers stay in the layout: see `Image::without_referrers`.
    let (index_json, blobs) = image.without_referrers().expect("our own index serialises");
    let mut tree = Tree::new();
    // Paths are fixed and distinct: these inserts cannot fail.
    tree.insert("/oci-layout", file(OCI_LAYOUT), "oci-layout")
        .expect("fixed path");
    tree.insert("/index.json", file(&index_json), "index.json")
        .expect("fixed path");
    for (hex, bytes) in blobs {
        tree.insert(&format!("/blobs/sha256/{hex}"), file(bytes), "blob")
            .expect("fixed path");
    }
    tree.to_tar(mtime)
}

fn retag(e: Error) -> Error {
    e.at_place(WRITE_LAYOUT)
}

/// The descriptors of an existing `index.json` that name other tags (or none).
fn other_tags(layout: &Path, tag: &str) -> Result<Vec<Descriptor>> {
    let index = match LayoutIndex::read(layout) {
        Ok(index) => index,
        Err(ReadError::Unreadable(_)) => return Ok(Vec::new()),
        Err(ReadError::Invalid(e)) => {
            return Err(Error::ImageContent {
                message: format!(
                    "`{}` is not a valid OCI index: {e}",
                    layout.join("index.json").display()
                ),
                help:
                    "remove the layout folder (or choose another with --oci-layout) and run again"
                        .into(),
            });
        }
    };
    Ok(index
        .into_entries()
        .into_iter()
        .filter(|d| ref_name(d) != Some(tag))
        .collect())
}

/// Among the other entries of `index.json`, drops the referrers tags (`sha256-…`) of
/// this image's platform manifests (the image brings its own, or none with `--no-sbom`)
/// and those whose manifest no remaining tag names any more.
fn keep_live_referrers(entries: &mut Vec<Descriptor>, image: &Image, blob_dir: &Path) {
    let mut named: BTreeSet<String> = BTreeSet::new();
    for entry in entries.iter() {
        if ref_name(entry).is_some_and(is_referrers_tag) {
            continue;
        }
        let digest = entry.digest().to_string();
        if let Some(hex) = digest.strip_prefix("sha256:")
            && let Ok(bytes) = std::fs::read(blob_dir.join(hex))
            && let Ok(index) = parse_index(&bytes)
        {
            named.extend(index.manifests().iter().map(|m| m.digest().to_string()));
        }
        named.insert(digest);
    }
    for platform in &image.platforms {
        named.remove(&platform.manifest.digest);
    }
    entries.retain(|d| match ref_name(d) {
        Some(n) if is_referrers_tag(n) => named.contains(&n.replacen('-', ":", 1)),
        _ => true,
    });
}

/// Removes blobs that no descriptor reachable from `index` names. Best effort: a blob
/// left behind wastes space but breaks nothing, so errors here are not the user's problem.
fn remove_unreferenced(dir: &Path, index: &[u8]) {
    let blob_dir = dir.join("blobs").join("sha256");
    let mut seen = BTreeSet::new();
    let mut queue = vec![index.to_vec()];
    while let Some(bytes) = queue.pop() {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            continue;
        };
        let mut digests = Vec::new();
        collect_digests(&value, &mut digests);
        for digest in digests {
            let Some(hex) = digest.strip_prefix("sha256:") else {
                continue;
            };
            if seen.insert(hex.to_string())
                && let Ok(child) = std::fs::read(blob_dir.join(hex))
                && child.first() == Some(&b'{')
            {
                queue.push(child);
            }
        }
    }
    let Ok(entries) = std::fs::read_dir(&blob_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !seen.contains(&name) && !name.starts_with(".tmp-") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Every `digest` of a descriptor in a manifest, index or config (`manifests`, `config`,
/// `layers`, `subject`, `blobs`). Config blobs have no descriptors, so walking them is
/// harmless.
fn collect_digests(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if let (Some(serde_json::Value::String(d)), Some(_)) =
                (map.get("digest"), map.get("mediaType"))
            {
                out.push(d.clone());
            }
            for child in map.values() {
                collect_digests(child, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_digests(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::oci::{ImageConfig, ImageInput, build};
    use crate::target::Target;
    use oci_spec::image::ANNOTATION_REF_NAME;

    fn image(tag: &str, content: &[u8]) -> Image {
        let mut tree = Tree::new();
        tree.insert(
            "/hello",
            Entry {
                kind: EntryKind::File(content.to_vec()),
                mode: 0o755,
                uid: 0,
                gid: 0,
            },
            "hello",
        )
        .unwrap();
        build(&ImageInput {
            platforms: vec![(Target::X86_64, tree)],
            config: ImageConfig::default(),
            tag: tag.into(),
            epoch: 0,
        })
        .unwrap()
    }

    fn blob_names(dir: &Path) -> BTreeSet<String> {
        std::fs::read_dir(dir.join("blobs/sha256"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn layout_has_every_blob_and_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("image");
        let img = image("latest", b"one");
        write_layout(&out, &img, &Temps::default()).unwrap();
        assert_eq!(std::fs::read(out.join("oci-layout")).unwrap(), OCI_LAYOUT);
        assert_eq!(
            std::fs::read(out.join("index.json")).unwrap(),
            img.index_json
        );
        assert_eq!(blob_names(&out), img.blobs.keys().cloned().collect());
    }

    #[test]
    fn rebuild_replaces_the_tag_keeps_others_and_drops_stale_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("image");
        write_layout(&out, &image("latest", b"one"), &Temps::default()).unwrap();
        let other = image("other", b"two");
        write_layout(&out, &other, &Temps::default()).unwrap();
        let third = image("latest", b"three");
        write_layout(&out, &third, &Temps::default()).unwrap();
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
        let tags: Vec<_> = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                m["annotations"][ANNOTATION_REF_NAME]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(tags, vec!["other", "latest"]);
        let expected: BTreeSet<String> = other
            .blobs
            .keys()
            .chain(third.blobs.keys())
            .cloned()
            .collect();
        assert_eq!(blob_names(&out), expected);
    }

    fn with_sbom(tag: &str, content: &[u8]) -> Image {
        let mut img = image(tag, content);
        img.attach_sboms(vec![(Target::X86_64, content.to_vec())], 0)
            .unwrap();
        img
    }

    fn layout_tags(dir: &Path) -> Vec<String> {
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
        index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                m["annotations"][ANNOTATION_REF_NAME]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn referrers_follow_their_manifest_and_go_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("image");
        let other = with_sbom("other", b"two");
        write_layout(&out, &other, &Temps::default()).unwrap();
        let first = with_sbom("latest", b"one");
        write_layout(&out, &first, &Temps::default()).unwrap();
        let tag_of =
            |img: &Image| crate::image::oci::referrers_tag(&img.platforms[0].manifest.digest);
        assert_eq!(
            layout_tags(&out),
            vec![
                "other".into(),
                tag_of(&other),
                "latest".into(),
                tag_of(&first)
            ]
        );
        // A new `latest`: the old one's referrers go, `other`'s stay.
        let second = with_sbom("latest", b"three");
        write_layout(&out, &second, &Temps::default()).unwrap();
        assert_eq!(
            layout_tags(&out),
            vec![
                "other".into(),
                tag_of(&other),
                "latest".into(),
                tag_of(&second)
            ]
        );
        // The same image without SBOMs (`--no-sbom`): its referrers go.
        write_layout(&out, &image("latest", b"three"), &Temps::default()).unwrap();
        assert_eq!(
            layout_tags(&out),
            vec!["other".into(), tag_of(&other), "latest".into()]
        );
        let expected: BTreeSet<String> = other
            .blobs
            .keys()
            .chain(image("latest", b"three").blobs.keys())
            .cloned()
            .collect();
        assert_eq!(blob_names(&out), expected);
    }

    #[test]
    fn concurrent_writers_keep_both_tags_and_their_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("image");
        let images: Vec<Image> = (0..4)
            .map(|i| image(&format!("t{i}"), format!("{i}").as_bytes()))
            .collect();
        std::thread::scope(|scope| {
            for img in &images {
                let out = &out;
                scope.spawn(move || {
                    for _ in 0..5 {
                        write_layout(out, img, &Temps::default()).unwrap();
                    }
                });
            }
        });
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("index.json")).unwrap()).unwrap();
        assert_eq!(index["manifests"].as_array().unwrap().len(), 4);
        let expected: BTreeSet<String> = images
            .iter()
            .flat_map(|i| i.blobs.keys().cloned())
            .collect();
        assert_eq!(blob_names(&out), expected);
    }

    #[test]
    fn refuses_a_folder_that_is_not_a_layout() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("precious.txt"), b"x").unwrap();
        let err =
            write_layout(dir.path(), &image("latest", b"one"), &Temps::default()).unwrap_err();
        assert!(
            err.to_string().contains("is not an OCI image layout"),
            "{err}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn archive_is_the_layout_as_a_tar_without_referrers() {
        let img = with_sbom("latest", b"one");
        let tar = archive_bytes(&img, 0);
        assert_eq!(tar, archive_bytes(&img, 0));
        let names: Vec<String> = tar::Archive::new(tar.as_slice())
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        assert!(names.contains(&"oci-layout".to_string()));
        assert!(names.contains(&"index.json".to_string()));
        assert!(names.contains(&format!("blobs/sha256/{}", &img.index.digest[7..])));
        // oci-layout, index.json, blobs/, blobs/sha256/ and the image's own blobs.
        assert_eq!(names.len(), 4 + image("latest", b"one").blobs.len());
    }
}
