//! The SPDX 2.3 document of one platform of an image: the platform manifest as a
//! package (`CONTAINER`) that contains every file of its layer (each with SHA-1, which
//! SPDX 2.3 requires of files, and sha256), and for each artifact a reference to the
//! artifact's own SBOM (`externalDocumentRefs`, the file `DESCRIBED_BY` that document).
//! Like the artifact documents, a pure function of its facts: no clock, no tag (so an
//! `image merge` under another tag carries the very bytes a one-machine build writes).

use serde_json::{Value, json};

use super::spdx;
use crate::sys::hash::{sha1_hex, sha256_hex};
use crate::target::Target;

const IMAGE_ID: &str = "SPDXRef-Package-image";
const NOASSERTION: &str = "NOASSERTION";

/// One regular file of the layer. `path` is as the layer names it (`usr/bin/hello`).
pub(crate) struct LayerFile<'a> {
    pub(crate) path: &'a str,
    pub(crate) bytes: &'a [u8],
    /// Set when the file is an artifact muslbuild built.
    pub(crate) artifact: Option<ArtifactDocument<'a>>,
}

/// An artifact in the layer and its SBOM from `dist/` (`None` when it has none, e.g. it
/// was built with `--no-sbom`).
pub(crate) struct ArtifactDocument<'a> {
    pub(crate) name: &'a str,
    pub(crate) sbom: Option<&'a [u8]>,
}

/// What the document describes: one platform manifest and its layer.
pub(crate) struct Platform<'a> {
    pub(crate) target: Target,
    /// `sha256:…` of the platform manifest (the referrer's `subject`).
    pub(crate) manifest_digest: &'a str,
    pub(crate) layer_digest: &'a str,
    pub(crate) files: Vec<LayerFile<'a>>,
    pub(crate) epoch: u64,
}

/// The document's bytes (pretty JSON, final newline).
pub(crate) fn document(platform: &Platform<'_>) -> Vec<u8> {
    let mut files = Vec::new();
    let mut relationships = vec![relation("SPDXRef-DOCUMENT", "DESCRIBES", IMAGE_ID)];
    let mut external = Vec::new();
    let mut sha1s = Vec::new();
    for (i, file) in platform.files.iter().enumerate() {
        let id = format!("SPDXRef-File-{i}");
        let sha1 = sha1_hex(file.bytes);
        let mut entry = json!({
            "SPDXID": id,
            "fileName": format!("./{}", file.path),
            "checksums": [
                {"algorithm": "SHA1", "checksumValue": sha1},
                {"algorithm": "SHA256", "checksumValue": sha256_hex(file.bytes)},
            ],
            "licenseConcluded": NOASSERTION,
            "copyrightText": NOASSERTION,
        });
        sha1s.push(sha1);
        relationships.push(relation(IMAGE_ID, "CONTAINS", &id));
        if let Some(artifact) = &file.artifact {
            entry["fileTypes"] = json!(["APPLICATION", "BINARY"]);
            let mut comment = format!("the artifact `{}`", artifact.name);
            if let Some(namespace) = artifact.sbom.and_then(namespace) {
                // `DocumentRef-` ids allow letters, digits, `.`, `+` and `-` only; the
                // artifact's name is in the comment.
                let doc_ref = format!("DocumentRef-artifact-{}", external.len());
                external.push(json!({
                    "externalDocumentId": doc_ref,
                    "spdxDocument": namespace,
                    "checksum": {
                        "algorithm": "SHA1",
                        "checksumValue": sha1_hex(artifact.sbom.unwrap_or_default()),
                    },
                }));
                relationships.push(relation(
                    &id,
                    "DESCRIBED_BY",
                    &format!("{doc_ref}:SPDXRef-DOCUMENT"),
                ));
                comment.push_str(&format!(", described by its SBOM {doc_ref}"));
            }
            entry["comment"] = json!(comment);
        }
        files.push(entry);
    }
    // SPDX 2.3 §7.9: the SHA-1 of the files' SHA-1s, sorted and concatenated.
    sha1s.sort();
    let verification = sha1_hex(sha1s.concat().as_bytes());
    let platform_name = platform.target.oci_platform_string();
    let digest_hex = platform
        .manifest_digest
        .strip_prefix("sha256:")
        .unwrap_or(platform.manifest_digest);
    let image = json!({
        "SPDXID": IMAGE_ID,
        "name": format!("image {platform_name}"),
        "versionInfo": platform.manifest_digest,
        "supplier": NOASSERTION,
        "downloadLocation": NOASSERTION,
        "filesAnalyzed": true,
        "packageVerificationCode": {"packageVerificationCodeValue": verification},
        "primaryPackagePurpose": "CONTAINER",
        "checksums": [{"algorithm": "SHA256", "checksumValue": digest_hex}],
        "comment": format!(
            "the OCI image manifest for {platform_name}; its one layer is {}",
            platform.layer_digest
        ),
        "licenseConcluded": NOASSERTION,
        "licenseDeclared": NOASSERTION,
        "copyrightText": NOASSERTION,
    });
    let content =
        serde_json::to_vec(&(&image, &files, &relationships, &external)).expect("JSON serialises");
    let name = format!("image-{}", platform.target);
    let mut doc = spdx::document_head(&name, &content, platform.epoch);
    doc["packages"] = json!([image]);
    doc["files"] = Value::Array(files);
    doc["relationships"] = Value::Array(relationships);
    if !external.is_empty() {
        doc["externalDocumentRefs"] = Value::Array(external);
    }
    spdx::to_bytes(&doc)
}

/// The `documentNamespace` of an SBOM muslbuild wrote, or `None`.
fn namespace(document: &[u8]) -> Option<String> {
    let doc: Value = serde_json::from_slice(document).ok()?;
    doc["documentNamespace"].as_str().map(str::to_string)
}

fn relation(from: &str, kind: &str, to: &str) -> Value {
    json!({
        "spdxElementId": from,
        "relationshipType": kind,
        "relatedSpdxElement": to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_with_both_hashes_and_the_artifact_sbom_referenced() {
        let sbom =
            br#"{"documentNamespace": "https://spdx.org/spdxdocs/muslbuild/hello-x86_64-ab"}"#;
        let platform = Platform {
            target: Target::X86_64,
            manifest_digest: "sha256:12",
            layer_digest: "sha256:34",
            files: vec![
                LayerFile {
                    path: "etc/passwd",
                    bytes: b"root",
                    artifact: None,
                },
                LayerFile {
                    path: "hello",
                    bytes: b"ELF",
                    artifact: Some(ArtifactDocument {
                        name: "hello",
                        sbom: Some(sbom),
                    }),
                },
            ],
            epoch: 0,
        };
        let bytes = document(&platform);
        assert_eq!(bytes, document(&platform));
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(doc["files"][0]["fileName"], "./etc/passwd");
        assert_eq!(
            doc["files"][1]["checksums"][1]["checksumValue"],
            sha256_hex(b"ELF")
        );
        assert_eq!(
            doc["externalDocumentRefs"][0]["spdxDocument"],
            "https://spdx.org/spdxdocs/muslbuild/hello-x86_64-ab"
        );
        assert_eq!(
            doc["externalDocumentRefs"][0]["checksum"]["checksumValue"],
            sha1_hex(sbom)
        );
        assert!(doc["relationships"].as_array().unwrap().contains(&relation(
            "SPDXRef-File-1",
            "DESCRIBED_BY",
            "DocumentRef-artifact-0:SPDXRef-DOCUMENT"
        )));
        assert_eq!(doc["packages"][0]["versionInfo"], "sha256:12");
    }
}
