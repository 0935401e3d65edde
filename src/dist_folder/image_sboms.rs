//! The image SBOMs in `dist/sbom/`: replaced with the image they describe as one
//! transaction, and settled when a killed process left them describing nothing.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::*;

/// The folder of the image SBOMs, `dist/sbom/`, one `image-<target>.spdx.json` per
/// platform of the last image made from this dist.
pub(super) const IMAGE_SBOMS: &str = "sbom";
/// The intent record of an unfinished image SBOM transaction.
pub(super) const IMAGE_JOURNAL: &str = ".muslbuild-journal-image";

/// What an image SBOM transaction intends: the image (its layout, tag and index) the
/// documents describe, and each document's sha256.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ImageJournal {
    layout: PathBuf,
    tag: String,
    index: String,
    documents: Vec<String>,
}

/// Replaces the image SBOMs in `root/sbom/` with `documents` (file name, bytes; none
/// removes them), then runs `write_image` (which writes the layout they describe), as
/// one transaction: the caller holds the dist lock, an intent record names the image,
/// each document appears by rename; a kill before the image is in its layout leaves
/// documents the next lock holder removes (`recover_image_sboms`).
pub(crate) fn install_image_sboms(
    root: &Path,
    layout: &Path,
    tag: &str,
    index: &str,
    documents: &[(String, Vec<u8>)],
    temps: &Temps,
    write_image: impl FnOnce() -> Result<()>,
) -> Result<Vec<PathBuf>> {
    let dir = root.join(IMAGE_SBOMS);
    let stale: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            is_image_sbom_name(&name) && !documents.iter().any(|(n, _)| *n == name)
        })
        .collect();
    if documents.is_empty() && stale.is_empty() {
        write_image()?;
        return Ok(Vec::new());
    }
    let journal = ImageJournal {
        layout: layout.to_path_buf(),
        tag: tag.to_string(),
        index: index.to_string(),
        documents: documents.iter().map(|(_, b)| sha256_hex(b)).collect(),
    };
    write_atomic(
        temps,
        &root.join(IMAGE_JOURNAL),
        &serde_json::to_vec(&journal).expect("journal serialises"),
    )?;
    let mut written = Vec::new();
    if !documents.is_empty() {
        std::fs::create_dir_all(&dir).map_err(Error::write_output(OutputPlace::OutDir, &dir))?;
    }
    for (name, bytes) in documents {
        let path = dir.join(name);
        write_if_changed(&path, bytes, temps)?;
        written.push(path);
    }
    for path in stale {
        std::fs::remove_file(&path).map_err(Error::io("cannot remove", &path))?;
    }
    if documents.is_empty() {
        // Only when empty: a folder the user put other files in stays.
        let _ = std::fs::remove_dir(&dir);
    }
    write_image()?;
    let journal_path = root.join(IMAGE_JOURNAL);
    std::fs::remove_file(&journal_path).map_err(Error::io("cannot remove", &journal_path))?;
    Ok(written)
}

/// `image-<target>.spdx.json`: the names muslbuild writes in `dist/sbom/`.
pub(super) fn is_image_sbom_name(name: &str) -> bool {
    name.strip_prefix("image-")
        .and_then(|n| n.strip_suffix(crate::sbom::SUFFIX))
        .is_some_and(|target| Target::ALL.iter().any(|t| t.name() == target))
}

/// Settles an image SBOM transaction a killed process left: when its image is not in
/// the layout under its tag, the documents it wrote describe nothing there and go.
pub(super) fn recover_image_sboms(root: &Path) -> Result<()> {
    let journal_path = root.join(IMAGE_JOURNAL);
    let Ok(bytes) = std::fs::read(&journal_path) else {
        return Ok(());
    };
    if let Ok(journal) = serde_json::from_slice::<ImageJournal>(&bytes) {
        let landed = crate::sys::oci_layout::LayoutIndex::read(&journal.layout)
            .is_ok_and(|index| index.names(&journal.index, &journal.tag));
        let dir = root.join(IMAGE_SBOMS);
        if !landed {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let is_new = is_image_sbom_name(&name)
                    && std::fs::read(entry.path())
                        .is_ok_and(|b| journal.documents.contains(&sha256_hex(&b)));
                if is_new {
                    let path = entry.path();
                    std::fs::remove_file(&path).map_err(Error::io("cannot remove", &path))?;
                }
            }
        }
    }
    std::fs::remove_file(&journal_path).map_err(Error::io("cannot remove", &journal_path))
}
