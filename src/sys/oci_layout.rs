//! Reading an OCI image layout's `index.json` (and the image indexes it names) as
//! `oci_spec`'s `ImageIndex`: one reader for push, merge, writing a layout, the
//! project's "is the image still there" check and dist's recovery, so which entry
//! carries which tag is answered in one place. Each caller words its own errors: the
//! same broken layout means "make the image first" to a push and "not a layout" to a
//! merge.

use std::path::Path;

use oci_spec::image::{ANNOTATION_REF_NAME, Descriptor, ImageIndex};

/// Why a layout's `index.json` could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The file is not there, or not readable.
    Unreadable(std::io::Error),
    /// The bytes are not an image index.
    Invalid(serde_json::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Unreadable(e) => e.fmt(f),
            ReadError::Invalid(e) => e.fmt(f),
        }
    }
}

/// A layout's top-level index: every entry names an image (or a referrers index) by the
/// tag in its `org.opencontainers.image.ref.name` annotation.
#[derive(Clone, Debug)]
pub(crate) struct LayoutIndex {
    index: ImageIndex,
}

impl LayoutIndex {
    /// The `index.json` in the layout folder `layout`.
    pub(crate) fn read(layout: &Path) -> Result<LayoutIndex, ReadError> {
        let bytes = std::fs::read(layout.join("index.json")).map_err(ReadError::Unreadable)?;
        LayoutIndex::parse(&bytes).map_err(ReadError::Invalid)
    }

    /// An `index.json` already in memory (an `oci-archive`'s).
    pub(crate) fn parse(bytes: &[u8]) -> Result<LayoutIndex, serde_json::Error> {
        parse_index(bytes).map(|index| LayoutIndex { index })
    }

    pub(crate) fn entries(&self) -> &[Descriptor] {
        self.index.manifests()
    }

    pub(crate) fn into_entries(self) -> Vec<Descriptor> {
        self.index.manifests().clone()
    }

    /// The entry tagged `tag`.
    pub(crate) fn tagged(&self, tag: &str) -> Option<&Descriptor> {
        self.entries().iter().find(|d| ref_name(d) == Some(tag))
    }

    /// Whether the layout names `digest` (`sha256:…`) under `tag`.
    pub(crate) fn names(&self, digest: &str, tag: &str) -> bool {
        self.entries()
            .iter()
            .any(|d| d.digest().to_string() == digest && ref_name(d) == Some(tag))
    }
}

/// An image index blob (an image's index over its platforms, or a referrers index).
pub(crate) fn parse_index(bytes: &[u8]) -> Result<ImageIndex, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// The tag an entry of a layout's index carries.
pub(crate) fn ref_name(entry: &Descriptor) -> Option<&str> {
    entry
        .annotations()
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_REF_NAME))
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn index() -> Vec<u8> {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:{HEX}","size":3,"annotations":{{"org.opencontainers.image.ref.name":"latest"}}}}]}}"#
        )
        .into_bytes()
    }

    #[test]
    fn the_tagged_entry_is_found_by_its_ref_name() {
        let index = LayoutIndex::parse(&index()).unwrap();
        let digest = format!("sha256:{HEX}");
        assert_eq!(index.tagged("latest").unwrap().digest().to_string(), digest);
        assert!(index.tagged("other").is_none());
        assert!(index.names(&digest, "latest"));
        assert!(!index.names(&digest, "other"));
        assert!(!index.names("sha256:00", "latest"));
    }

    #[test]
    fn a_missing_file_and_bad_bytes_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            LayoutIndex::read(dir.path()),
            Err(ReadError::Unreadable(_))
        ));
        std::fs::write(dir.path().join("index.json"), b"not json").unwrap();
        assert!(matches!(
            LayoutIndex::read(dir.path()),
            Err(ReadError::Invalid(_))
        ));
        std::fs::write(dir.path().join("index.json"), index()).unwrap();
        assert_eq!(LayoutIndex::read(dir.path()).unwrap().entries().len(), 1);
    }
}
