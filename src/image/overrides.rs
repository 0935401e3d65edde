//! What `muslbuild image`'s flags say, as plain values the CLI fills in, laid over the
//! project's `[image]` spec: the image room itself knows nothing of clap.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::image::spec::ImageSpec;

/// The flags of `muslbuild image`, each `None`/empty/`false` when not given.
#[derive(Debug, Clone, Default)]
pub(crate) struct ImageOverrides {
    /// The dist folder to read and write the Dockerfile into (relative to the working folder).
    pub(crate) out_dir: Option<PathBuf>,
    /// `--from`: dist folders to merge instead of reading `out_dir`.
    pub(crate) from: Vec<PathBuf>,
    pub(crate) targets: Vec<String>,
    pub(crate) artifacts: Vec<String>,
    pub(crate) bin_dir: Option<String>,
    pub(crate) oci_layout: Option<PathBuf>,
    pub(crate) oci_archive: Option<PathBuf>,
    pub(crate) tag: Option<String>,
    pub(crate) entrypoint: Vec<String>,
    pub(crate) cmd: Vec<String>,
    pub(crate) env: Vec<String>,
    pub(crate) workdir: Option<String>,
    pub(crate) ports: Vec<String>,
    pub(crate) labels: Vec<String>,
    pub(crate) user: Option<String>,
    pub(crate) ca_certs: bool,
    pub(crate) passwd: bool,
    pub(crate) zoneinfo: bool,
    pub(crate) no_dockerfile: bool,
    /// `--no-sbom`: no SBOM per platform, whatever the project says.
    pub(crate) no_sbom: bool,
    pub(crate) files: Vec<String>,
    pub(crate) vendor_files: Vec<String>,
    pub(crate) dirs: Vec<String>,
}

impl ImageOverrides {
    /// Flags over a base spec (the project's `[image]`): a flag given wins, lists given
    /// replace, switches only turn on.
    pub(crate) fn apply(&self, mut spec: ImageSpec) -> Result<ImageSpec> {
        if !self.targets.is_empty() {
            spec.targets = self.targets.clone();
        }
        if !self.artifacts.is_empty() {
            spec.artifacts = self.artifacts.clone();
        }
        if !self.entrypoint.is_empty() {
            spec.entrypoint = Some(words(&self.entrypoint, "--entrypoint")?);
        }
        if !self.cmd.is_empty() {
            spec.cmd = Some(words(&self.cmd, "--cmd")?);
        }
        if !self.env.is_empty() {
            spec.env = self.env.clone();
        }
        if !self.ports.is_empty() {
            spec.ports = self.ports.clone();
        }
        for label in &self.labels {
            let (key, value) = label.split_once('=').ok_or_else(|| {
                Error::usage(
                    format!("label `{label}` has no `=`"),
                    "write labels as --label KEY=VALUE",
                )
            })?;
            spec.labels.insert(key.to_string(), value.to_string());
        }
        spec.tag = self.tag.clone().or(spec.tag);
        spec.bin_dir = self.bin_dir.clone().or(spec.bin_dir);
        spec.workdir = self.workdir.clone().or(spec.workdir);
        spec.user = self.user.clone().or(spec.user);
        spec.oci_layout = self.oci_layout.clone().or(spec.oci_layout);
        spec.oci_archive = self.oci_archive.clone().or(spec.oci_archive);
        spec.ca_certs |= self.ca_certs;
        spec.passwd |= self.passwd;
        spec.zoneinfo |= self.zoneinfo;
        spec.no_sbom |= self.no_sbom;
        if self.no_dockerfile {
            spec.dockerfile = Some(false);
        }
        if !self.files.is_empty() {
            spec.files = entries(
                &self.files,
                "--file",
                "source=conf/app.conf,path=/etc/app.conf,mode=0644",
            )?;
        }
        if !self.vendor_files.is_empty() {
            spec.vendor_files = entries(
                &self.vendor_files,
                "--vendor-file",
                "vendor=NAME,source=/etc/NAME.conf",
            )?;
        }
        if !self.dirs.is_empty() {
            let dirs: Vec<String> = self
                .dirs
                .iter()
                .map(|d| {
                    if d.contains('=') {
                        d.clone()
                    } else {
                        format!("path={d}")
                    }
                })
                .collect();
            spec.dirs = entries(
                &dirs,
                "--dir",
                "/run, or path=/var/lib/NAME,mode=0700,uid=65532,gid=65532",
            )?;
        }
        Ok(spec)
    }
}

/// `key=value,key=value` flags read as the project file's tables, so a flag and a table
/// accept the same keys and give the same errors.
fn entries<T: serde::de::DeserializeOwned>(
    values: &[String],
    flag: &str,
    example: &str,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for value in values {
        let mut table = serde_json::Map::new();
        for pair in value.split(',') {
            let Some((key, item)) = pair.split_once('=') else {
                return Err(Error::usage(
                    format!("{flag} `{value}`: `{pair}` is not KEY=VALUE"),
                    format!("write {flag} {example}"),
                ));
            };
            let item = match (key, item.parse::<u32>()) {
                ("uid" | "gid", Ok(n)) => serde_json::Value::from(n),
                _ => serde_json::Value::from(item),
            };
            table.insert(key.to_string(), item);
        }
        out.push(
            serde_json::from_value(serde_json::Value::Object(table)).map_err(|e| {
                Error::usage(
                    format!("{flag} `{value}`: {e}"),
                    format!("write {flag} {example}"),
                )
            })?,
        );
    }
    Ok(out)
}

/// `["/srv","-v"]` (JSON) or a single word, per flag; flags append.
fn words(values: &[String], flag: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for value in values {
        if value.trim_start().starts_with('[') {
            let list: Vec<String> = serde_json::from_str(value).map_err(|e| {
                Error::usage(
                    format!("{flag} `{value}` is not a JSON array of strings: {e}"),
                    format!("write {flag} '[\"/srv\",\"--port\",\"80\"]', or repeat {flag} once per word"),
                )
            })?;
            out.extend(list);
        } else {
            out.push(value.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_spec() {
        let base = ImageSpec {
            tag: Some("a".into()),
            passwd: true,
            ..ImageSpec::default()
        };
        let args = ImageOverrides {
            tag: Some("b".into()),
            entrypoint: vec![r#"["/srv","-v"]"#.into(), "--fast".into()],
            labels: vec!["k=v=w".into()],
            ..ImageOverrides::default()
        };
        let spec = args.apply(base).unwrap();
        assert_eq!(spec.tag.as_deref(), Some("b"));
        assert!(spec.passwd);
        assert_eq!(spec.entrypoint.unwrap(), vec!["/srv", "-v", "--fast"]);
        assert_eq!(spec.labels["k"], "v=w");
        let bad = ImageOverrides {
            cmd: vec!["[1,2]".into()],
            ..ImageOverrides::default()
        };
        assert!(bad.apply(ImageSpec::default()).is_err());
    }

    #[test]
    fn file_and_folder_flags_read_as_the_project_tables() {
        let args = ImageOverrides {
            files: vec!["source=conf/a.conf,path=/etc/a.conf,mode=0640,uid=7".into()],
            vendor_files: vec!["vendor=v,source=/usr/share/v".into()],
            dirs: vec!["/run".into(), "path=/var/lib/v,mode=0o700,gid=9".into()],
            ..ImageOverrides::default()
        };
        let spec = args.apply(ImageSpec::default()).unwrap();
        assert_eq!(spec.files[0].source, PathBuf::from("conf/a.conf"));
        assert_eq!(spec.files[0].mode, Some(crate::image::spec::Mode(0o640)));
        assert_eq!((spec.files[0].uid, spec.files[0].gid), (7, 0));
        assert_eq!(spec.vendor_files[0].image_path(), "/usr/share/v");
        assert_eq!(spec.dirs[0].path, "/run");
        assert_eq!(spec.dirs[1].mode, Some(crate::image::spec::Mode(0o700)));
        assert_eq!(spec.dirs[1].gid, 9);
        for bad in ["mode=0755", "path=/x,size=3", "path=/x,uid=-1"] {
            let args = ImageOverrides {
                dirs: vec![bad.into()],
                ..ImageOverrides::default()
            };
            let err = args.apply(ImageSpec::default()).unwrap_err();
            assert_eq!(err.exit_code(), crate::error::exit::USAGE, "{bad}: {err}");
        }
    }
}
