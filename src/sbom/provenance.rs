//! The SLSA v1 provenance statement (in-toto) of one artifact: who built it (muslbuild and
//! its version), from what (target, toolchain), with which resolved inputs (C sources,
//! library sources and recipes, Go modules, with their digests). Unsigned; like the SBOM,
//! a function of those facts only (no clock, no host names), so two folders give the
//! same bytes.

use serde_json::json;

use super::{Component, SourceFile, Subject};
use crate::verify::gobuild::GoBuildInfo;

pub(crate) fn statement(
    subject: &Subject<'_>,
    sources: &[SourceFile],
    components: &[Component],
    go: Option<&GoBuildInfo>,
    command: &[String],
    epoch: u64,
) -> Vec<u8> {
    let mut toolchain = json!({
        "name": format!("toolchain:{}", subject.tool),
        "annotations": {"version": subject.tool_version},
    });
    if let Some(origin) = subject.origin {
        if let Some(purl) = &origin.purl {
            toolchain["uri"] = json!(purl);
        }
        if let Some(sha256) = &origin.sha256 {
            toolchain["digest"] = json!({"sha256": sha256});
        }
        if let Some(musl) = &origin.musl_version {
            toolchain["annotations"]["musl"] = json!(musl);
        }
    }
    let mut dependencies = vec![toolchain];
    for source in sources {
        dependencies.push(json!({
            "name": source.name,
            "digest": {"sha256": source.sha256},
        }));
    }
    for component in components {
        for source in &component.sources {
            let mut entry = json!({
                "name": format!("{}-{}", component.name, component.version),
                "digest": {"sha256": source.sha256},
            });
            if let Some(url) = &source.url {
                entry["uri"] = json!(url);
            }
            dependencies.push(entry);
        }
        dependencies.push(json!({
            "name": format!("recipe:{}", component.name),
            "digest": {"sha256": component.recipe_sha256},
        }));
    }
    if let Some(headers) = subject.kernel_headers {
        dependencies.push(json!({
            "name": format!("{}-{}", headers.package, headers.version),
            "uri": format!(
                "pkg:deb/debian/{}@{}?arch={}",
                headers.package, headers.version, headers.arch
            ),
            "digest": {"sha256": headers.sha256},
        }));
    }
    if let Some(go) = go {
        for module in go.main.iter().chain(&go.deps) {
            let mut entry = json!({
                "uri": format!("pkg:golang/{}@{}", module.path, module.version),
                "name": module.path,
            });
            if let Some(sum) = module.sum.as_deref().filter(|s| !s.is_empty()) {
                entry["annotations"] = json!({"go.sum": sum});
            }
            dependencies.push(entry);
        }
    }
    let doc = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{
            "name": format!("{}/{}", subject.target, subject.name),
            "digest": {"sha256": subject.sha256},
        }],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://muslbuild.invalid/build/v1",
                "externalParameters": {
                    "artifact": subject.name,
                    "target": subject.target.name(),
                    "toolchain": subject.tool,
                    "command": command,
                },
                "internalParameters": {"SOURCE_DATE_EPOCH": epoch},
                "resolvedDependencies": dependencies,
            },
            "runDetails": {
                "builder": {
                    "id": format!("pkg:cargo/muslbuild@{}", env!("CARGO_PKG_VERSION")),
                },
            },
        },
    });
    let mut bytes = serde_json::to_vec_pretty(&doc).expect("JSON serialises");
    bytes.push(b'\n');
    bytes
}

/// The subject's sha256 as a statement records it.
#[cfg(test)]
fn subject_sha256(statement: &[u8]) -> Option<String> {
    let doc: serde_json::Value = serde_json::from_slice(statement).ok()?;
    doc["subject"][0]["digest"]["sha256"]
        .as_str()
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Target;

    #[test]
    fn names_the_subject_and_every_input_with_its_digest() {
        let subject = Subject {
            name: "hello",
            target: Target::X86_64,
            sha256: "ab",
            tool: "zig",
            tool_version: "0.17.1",
            supplier: None,
            origin: None,
            kernel_headers: None,
        };
        let source = SourceFile {
            name: "./hello.c".into(),
            sha256: "cd".into(),
        };
        let bytes = statement(&subject, std::slice::from_ref(&source), &[], None, &[], 7);
        assert_eq!(subject_sha256(&bytes).as_deref(), Some("ab"));
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("\"./hello.c\"") && text.contains("\"SOURCE_DATE_EPOCH\": 7"));
        assert_eq!(
            bytes,
            statement(&subject, std::slice::from_ref(&source), &[], None, &[], 7)
        );
    }
}
