//! The SPDX 2.3 JSON document of one artifact: the artifact, the toolchain that built it,
//! musl, and every library it links statically, with their relations. Keys are written
//! sorted and nothing depends on the clock, so the bytes are a function of the facts.

use serde_json::{Value, json};

use super::{Component, KernelHeadersPackage, SourceFile, Subject};
use crate::sys::hash::sha256_hex;
use crate::sys::time::rfc3339;
use crate::verify::gobuild::{GoBuildInfo, GoModule};

pub(crate) const ARTIFACT_ID: &str = "SPDXRef-Package-artifact";
pub(crate) const TOOLCHAIN_ID: &str = "SPDXRef-Package-toolchain";
const LIBC_ID: &str = "SPDXRef-Package-libc";
const KERNEL_HEADERS_ID: &str = "SPDXRef-Package-kernel-headers";
const NOASSERTION: &str = "NOASSERTION";

/// The document's bytes (pretty JSON and a final newline).
pub(crate) fn document(
    subject: &Subject<'_>,
    sources: &[SourceFile],
    components: &[Component],
    go: Option<&GoBuildInfo>,
    epoch: u64,
) -> Vec<u8> {
    let mut packages = vec![artifact(subject), toolchain(subject), libc(subject)];
    // What made the artifact (toolchain, sources) is related both ways a reader needs:
    // by the precise SPDX relationship, and by `DEPENDS_ON` from the artifact ("depends
    // on the presence of B in order to build", SPDX 2.3 §11.1), which is what tools walk
    // from the described package (the NTIA checker follows DESCRIBES, CONTAINS,
    // DEPENDS_ON and the links) — without it both are floating.
    let mut relationships = vec![
        relation("SPDXRef-DOCUMENT", "DESCRIBES", ARTIFACT_ID),
        relation(TOOLCHAIN_ID, "BUILD_TOOL_OF", ARTIFACT_ID),
        built_with(TOOLCHAIN_ID, "BUILD_TOOL_OF"),
        relation(ARTIFACT_ID, "STATIC_LINK", LIBC_ID),
    ];
    for (i, source) in sources.iter().enumerate() {
        let id = format!("SPDXRef-Package-source-{i}");
        packages.push(source_file(&id, source, subject.supplier));
        relationships.push(relation(ARTIFACT_ID, "GENERATED_FROM", &id));
        relationships.push(built_with(&id, "GENERATED_FROM"));
    }
    if let Some(go) = go {
        if let Some(main) = &go.main {
            let id = "SPDXRef-Package-go-main";
            packages.push(go_module(id, main, subject.supplier));
            relationships.push(relation(ARTIFACT_ID, "GENERATED_FROM", id));
            relationships.push(built_with(id, "GENERATED_FROM"));
        }
        for (i, dep) in go.deps.iter().enumerate() {
            let id = format!("SPDXRef-Package-go-{i}");
            packages.push(go_module(&id, dep, None));
            relationships.push(relation(ARTIFACT_ID, "STATIC_LINK", &id));
        }
    }
    for (i, component) in components.iter().enumerate() {
        let id = format!("SPDXRef-Package-lib-{i}");
        packages.push(library(&id, component));
        relationships.push(relation(ARTIFACT_ID, "STATIC_LINK", &id));
    }
    if let Some(headers) = subject.kernel_headers {
        packages.push(kernel_headers(headers));
        // Compiled in (constants, structure layouts), never linked.
        relationships.push(relation(
            KERNEL_HEADERS_ID,
            "BUILD_DEPENDENCY_OF",
            ARTIFACT_ID,
        ));
    }
    // The namespace must be unique per document and reproducible: derived from what the
    // document says, never from a random id or the time.
    let content = serde_json::to_vec(&(&packages, &relationships)).expect("JSON serialises");
    let mut doc = document_head(
        &format!("{}-{}", subject.name, subject.target),
        &content,
        epoch,
    );
    doc["packages"] = Value::Array(packages);
    doc["relationships"] = Value::Array(relationships);
    to_bytes(&doc)
}

/// An SPDX 2.3 document's head: its namespace is a hash of `content`, its date
/// `SOURCE_DATE_EPOCH`, so the same inputs give the same bytes.
pub(crate) fn document_head(name: &str, content: &[u8], epoch: u64) -> Value {
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": format!(
            "https://spdx.org/spdxdocs/muslbuild/{name}-{}",
            sha256_hex(content)
        ),
        "creationInfo": {
            "created": rfc3339(epoch),
            "creators": [format!("Tool: muslbuild-{}", env!("CARGO_PKG_VERSION"))],
        },
    })
}

/// Pretty JSON with a final newline, as every SBOM file is written.
pub(crate) fn to_bytes(doc: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(doc).expect("JSON serialises");
    bytes.push(b'\n');
    bytes
}

fn artifact(subject: &Subject<'_>) -> Value {
    json!({
        "SPDXID": ARTIFACT_ID,
        "name": subject.name,
        // An artifact has no release number of its own: its content names it.
        "versionInfo": format!("sha256:{}", subject.sha256),
        "supplier": subject.supplier.unwrap_or(NOASSERTION),
        "downloadLocation": NOASSERTION,
        "filesAnalyzed": false,
        "primaryPackagePurpose": "APPLICATION",
        "checksums": [{"algorithm": "SHA256", "checksumValue": subject.sha256}],
        "comment": format!("static Linux executable for {}", subject.target),
        "licenseConcluded": NOASSERTION,
        "licenseDeclared": NOASSERTION,
        "copyrightText": NOASSERTION,
    })
}

/// A source file, as a package: SPDX 2.3 files must carry a SHA-1, which muslbuild does
/// not compute.
fn source_file(id: &str, source: &SourceFile, supplier: Option<&str>) -> Value {
    json!({
        "SPDXID": id,
        "name": source.name,
        "versionInfo": format!("sha256:{}", source.sha256),
        "supplier": supplier.unwrap_or(NOASSERTION),
        "downloadLocation": NOASSERTION,
        "filesAnalyzed": false,
        "primaryPackagePurpose": "SOURCE",
        "checksums": [{"algorithm": "SHA256", "checksumValue": source.sha256}],
        "licenseConcluded": NOASSERTION,
        "licenseDeclared": NOASSERTION,
        "copyrightText": NOASSERTION,
        "externalRefs": [purl(&format!("pkg:generic/{}@sha256:{}", percent_encode(&source.name), source.sha256))],
    })
}

/// A Go module from the build info, with its `pkg:golang` purl and `go.sum` hash.
fn go_module(id: &str, module: &GoModule, supplier: Option<&str>) -> Value {
    let path: Vec<String> = module.path.split('/').map(percent_encode).collect();
    let mut package = json!({
        "SPDXID": id,
        "name": module.path,
        "versionInfo": module.version,
        "supplier": supplier.unwrap_or(NOASSERTION),
        "downloadLocation": NOASSERTION,
        "filesAnalyzed": false,
        "primaryPackagePurpose": "LIBRARY",
        "licenseConcluded": NOASSERTION,
        "licenseDeclared": NOASSERTION,
        "copyrightText": NOASSERTION,
        "externalRefs": [purl(&format!(
            "pkg:golang/{}@{}",
            path.join("/"),
            percent_encode(&module.version)
        ))],
    });
    if let Some(sum) = module.sum.as_deref().filter(|s| !s.is_empty()) {
        package["comment"] = json!(format!("go.sum: {sum}"));
    }
    package
}

fn toolchain(subject: &Subject<'_>) -> Value {
    // Who makes the compiler each provider runs; a `--cc` override could be anything.
    let supplier = match subject.tool {
        "zig" => "Organization: Zig Software Foundation",
        "musl-gcc" | "musl-cross" => "Organization: GNU Project",
        "go" | "go+cgo" => "Organization: Google LLC",
        _ => NOASSERTION,
    };
    let origin = subject.origin.cloned().unwrap_or_default();
    let purl_text = origin.purl.unwrap_or_else(|| {
        format!(
            "pkg:generic/{}@{}",
            percent_encode(subject.tool),
            percent_encode(subject.tool_version)
        )
    });
    let mut comment = format!(
        "the C toolchain's provider as muslbuild names it: {}",
        subject.tool
    );
    if let Some(source) = &origin.source {
        comment.push_str(&format!("; installed from {source}"));
    }
    let download = origin
        .source
        .as_deref()
        .filter(|s| s.starts_with("https://") || s.starts_with("http://"));
    let mut package = json!({
        "SPDXID": TOOLCHAIN_ID,
        "name": subject.tool,
        "versionInfo": subject.tool_version,
        "supplier": supplier,
        "downloadLocation": download.unwrap_or(NOASSERTION),
        "filesAnalyzed": false,
        "primaryPackagePurpose": "APPLICATION",
        "comment": comment,
        "licenseConcluded": NOASSERTION,
        "licenseDeclared": NOASSERTION,
        "copyrightText": NOASSERTION,
        "externalRefs": [purl(&purl_text)],
    });
    // The sha256 of the wheel or archive the toolchain was installed from.
    if let Some(sha256) = origin.sha256 {
        package["checksums"] = json!([{"algorithm": "SHA256", "checksumValue": sha256}]);
    }
    package
}

fn libc(subject: &Subject<'_>) -> Value {
    let origin = subject.origin.cloned().unwrap_or_default();
    let version = origin.musl_version.as_deref().unwrap_or(NOASSERTION);
    let purl_text = origin
        .musl_purl
        .unwrap_or_else(|| match &origin.musl_version {
            Some(v) => format!("pkg:generic/musl@{}", percent_encode(v)),
            None => "pkg:generic/musl".into(),
        });
    json!({
        "SPDXID": LIBC_ID,
        "name": "musl",
        "versionInfo": version,
        "supplier": "Person: Rich Felker",
        "downloadLocation": "https://musl.libc.org/",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "LIBRARY",
        "licenseConcluded": "MIT",
        "licenseDeclared": "MIT",
        "copyrightText": NOASSERTION,
        "externalRefs": [purl(&purl_text)],
    })
}

fn library(id: &str, component: &Component) -> Value {
    let source = component.sources.first();
    let url = source.and_then(|s| s.url.as_deref());
    let mut purl_text = format!("pkg:generic/{}@{}", component.name, component.version);
    if let Some(url) = url {
        purl_text.push_str("?download_url=");
        purl_text.push_str(&percent_encode(url));
    }
    let mut checksums: Vec<Value> = component
        .sources
        .iter()
        .map(|s| json!({"algorithm": "SHA256", "checksumValue": s.sha256}))
        .collect();
    checksums.truncate(1);
    let mut comment = format!("recipe sha256: {}", component.recipe_sha256);
    if let Some(tree) = &component.tree_sha256 {
        comment.push_str(&format!("; vendored tree sha256: {tree}"));
    }
    let license = component.license.as_deref().unwrap_or(NOASSERTION);
    let mut package = json!({
        "SPDXID": id,
        "name": component.name,
        "versionInfo": component.version,
        "supplier": component.supplier.as_deref().unwrap_or(NOASSERTION),
        "downloadLocation": url.unwrap_or(NOASSERTION),
        "filesAnalyzed": false,
        "primaryPackagePurpose": "LIBRARY",
        "licenseConcluded": license,
        "licenseDeclared": license,
        "copyrightText": NOASSERTION,
        "comment": comment,
        "externalRefs": [purl(&purl_text)],
    });
    // Where a Debian source package lists the archive, its purl comes first: what
    // scanners match against the distribution's security tracker.
    if let Some((name, version)) = source.and_then(|s| s.debian.as_ref()) {
        let vendor = if version.contains("ubuntu") {
            "ubuntu"
        } else {
            "debian"
        };
        package["externalRefs"] = json!([
            purl(&format!(
                "pkg:deb/{vendor}/{}@{}?arch=source",
                percent_encode(name),
                percent_encode(version)
            )),
            purl(&purl_text),
        ]);
    }
    if !checksums.is_empty() {
        package["checksums"] = Value::Array(checksums);
    }
    package
}

/// The pinned kernel headers: Debian's binary package, named as scanners match it
/// (`pkg:deb/debian/linux-libc-dev@6.1.176-1?arch=arm64`).
fn kernel_headers(headers: &KernelHeadersPackage) -> Value {
    json!({
        "SPDXID": KERNEL_HEADERS_ID,
        "name": headers.package,
        "versionInfo": headers.version,
        "supplier": headers.supplier,
        "downloadLocation": NOASSERTION,
        "filesAnalyzed": false,
        "primaryPackagePurpose": "SOURCE",
        "licenseConcluded": headers.license,
        "licenseDeclared": headers.license,
        "copyrightText": NOASSERTION,
        "checksums": [{"algorithm": "SHA256", "checksumValue": headers.sha256}],
        "comment": format!("Linux {} UAPI headers (linux/, asm/), compiled in", headers.release),
        "externalRefs": [purl(&format!(
            "pkg:deb/debian/{}@{}?arch={}",
            percent_encode(&headers.package),
            percent_encode(&headers.version),
            percent_encode(&headers.arch)
        ))],
    })
}

fn purl(locator: &str) -> Value {
    json!({
        "referenceCategory": "PACKAGE-MANAGER",
        "referenceType": "purl",
        "referenceLocator": locator,
    })
}

fn relation(from: &str, kind: &str, to: &str) -> Value {
    json!({
        "spdxElementId": from,
        "relationshipType": kind,
        "relatedSpdxElement": to,
    })
}

/// The artifact `DEPENDS_ON` what it was built with, pointing at the precise relation.
fn built_with(what: &str, precise: &str) -> Value {
    let mut relation = relation(ARTIFACT_ID, "DEPENDS_ON", what);
    relation["comment"] = json!(format!(
        "needed to build it, not at run time (see {precise})"
    ));
    relation
}

/// A purl qualifier value: everything but unreserved characters percent-encoded.
pub(crate) fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sbom::{Source, recorded_sha256};
    use crate::target::Target;

    fn subject() -> Subject<'static> {
        Subject {
            name: "hello",
            target: Target::Aarch64,
            sha256: "ab",
            tool: "zig",
            tool_version: "0.17.1",
            supplier: None,
            origin: None,
            kernel_headers: None,
        }
    }

    #[test]
    fn the_same_facts_give_the_same_bytes_and_name_every_library() {
        let lib = Component {
            name: "zlib".into(),
            version: "1.3.1".into(),
            license: Some("Zlib".into()),
            supplier: None,
            sources: vec![Source {
                url: Some("https://example.org/z lib.tar.gz".into()),
                sha256: "cd".into(),
                debian: Some(("zlib".into(), "1:1.3.1.dfsg-1+b1".into())),
            }],
            recipe_sha256: "ef".into(),
            tree_sha256: None,
        };
        let a = document(&subject(), &[], std::slice::from_ref(&lib), None, 0);
        assert_eq!(
            a,
            document(&subject(), &[], std::slice::from_ref(&lib), None, 0)
        );
        let text = String::from_utf8(a.clone()).unwrap();
        assert!(text.contains(
            "pkg:generic/zlib@1.3.1?download_url=https%3A%2F%2Fexample.org%2Fz%20lib.tar.gz"
        ));
        assert!(text.contains("pkg:generic/zig@0.17.1"));
        assert!(text.contains("pkg:deb/debian/zlib@1%3A1.3.1.dfsg-1%2Bb1?arch=source"));
        assert!(text.contains("1970-01-01T00:00:00Z"));
        assert_eq!(recorded_sha256(&a).as_deref(), Some("ab"));
        let other = document(&subject(), &[], &[], None, 0);
        assert_ne!(a, other, "the namespace follows the content");
    }

    #[test]
    fn pinned_kernel_headers_are_a_build_dependency_named_by_their_debian_package() {
        let headers = KernelHeadersPackage {
            package: "linux-libc-dev".into(),
            version: "6.1.176-1".into(),
            arch: "arm64".into(),
            release: "6.1.176".into(),
            sha256: "ee".into(),
            license: "GPL-2.0-only WITH Linux-syscall-note".into(),
            supplier: "Organization: Debian".into(),
        };
        let with = Subject {
            kernel_headers: Some(&headers),
            ..subject()
        };
        let doc: Value = serde_json::from_slice(&document(&with, &[], &[], None, 0)).unwrap();
        let package = doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["SPDXID"] == KERNEL_HEADERS_ID)
            .expect("a package for the headers");
        assert_eq!(package["versionInfo"], "6.1.176-1");
        assert_eq!(package["checksums"][0]["checksumValue"], "ee");
        assert_eq!(
            package["externalRefs"][0]["referenceLocator"],
            "pkg:deb/debian/linux-libc-dev@6.1.176-1?arch=arm64"
        );
        assert!(doc["relationships"].as_array().unwrap().contains(&json!({
            "spdxElementId": KERNEL_HEADERS_ID,
            "relationshipType": "BUILD_DEPENDENCY_OF",
            "relatedSpdxElement": ARTIFACT_ID,
        })));
        // Without pinned headers, nothing about them.
        let plain = String::from_utf8(document(&subject(), &[], &[], None, 0)).unwrap();
        assert!(!plain.contains("linux-libc-dev"));
    }

    /// Every package is reached from the document through the relationships SBOM
    /// consumers walk (as the NTIA checker's graph does), and the build relations stay.
    #[test]
    fn every_package_is_reachable_from_the_described_artifact() {
        let sources = [SourceFile {
            name: "./hello.c".into(),
            sha256: "12".into(),
        }];
        let module = |path: &str| GoModule {
            path: path.into(),
            version: "v1.0.0".into(),
            sum: None,
        };
        let go = GoBuildInfo {
            go_version: "go1.27.3".into(),
            main: Some(module("example.com/hello")),
            deps: vec![module("example.com/dep")],
            settings: vec![],
        };
        let doc: Value =
            serde_json::from_slice(&document(&subject(), &sources, &[], Some(&go), 0)).unwrap();
        let relations: Vec<(&str, &str, &str)> = doc["relationships"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["spdxElementId"].as_str().unwrap(),
                    r["relationshipType"].as_str().unwrap(),
                    r["relatedSpdxElement"].as_str().unwrap(),
                )
            })
            .collect();
        let walked = ["DESCRIBES", "CONTAINS", "DEPENDS_ON", "STATIC_LINK"];
        let mut reached = vec!["SPDXRef-DOCUMENT"];
        let mut i = 0;
        while i < reached.len() {
            for (from, kind, to) in &relations {
                if *from == reached[i] && walked.contains(kind) && !reached.contains(to) {
                    reached.push(to);
                }
            }
            i += 1;
        }
        for package in doc["packages"].as_array().unwrap() {
            let id = package["SPDXID"].as_str().unwrap();
            assert!(reached.contains(&id), "{id} is floating: {relations:?}");
        }
        for kept in [
            (TOOLCHAIN_ID, "BUILD_TOOL_OF", ARTIFACT_ID),
            (ARTIFACT_ID, "GENERATED_FROM", "SPDXRef-Package-source-0"),
            (ARTIFACT_ID, "GENERATED_FROM", "SPDXRef-Package-go-main"),
        ] {
            assert!(relations.contains(&kept), "{kept:?} is gone");
        }
    }
}
