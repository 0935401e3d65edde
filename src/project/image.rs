//! The project's image step: `[image]` with the project's defaults, made only when the
//! artifacts or settings changed since the image in the layout; and `muslbuild image` in
//! a project folder.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::config::{self, Project};
use super::report::{Freshness, ImageOutcome, Written};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::image::{ImageOverrides, ImageReport, ImageSpec};
use crate::libs;
use crate::sys::key::{CacheKey, KeyKind};
use crate::target::Target;
use crate::toolchain;

/// The Dockerfile's sha256 (it is small) and the archive's size, inode and mtime (it
/// appears by rename, so a rewrite changes the inode).
fn written_stamps(report: &ImageReport) -> Vec<Written> {
    let written = |path: &PathBuf, hashed: bool| Written {
        path: path.clone(),
        hashed,
        stamp: file_stamp(path, hashed),
    };
    let mut out = Vec::new();
    out.extend(report.dockerfile.iter().map(|p| written(p, true)));
    out.extend(report.oci_archive.iter().map(|p| written(p, false)));
    out.extend(report.sboms.iter().map(|s| written(&s.path, true)));
    out
}

fn file_stamp(path: &Path, hash: bool) -> String {
    use std::os::unix::fs::MetadataExt;
    if hash {
        return std::fs::read(path)
            .map(|b| crate::sys::hash::sha256_hex(&b))
            .unwrap_or_default();
    }
    std::fs::metadata(path)
        .map(|m| format!("{} {} {}.{}", m.len(), m.ino(), m.mtime(), m.mtime_nsec()))
        .unwrap_or_default()
}

/// What the image record in the cache holds: the outcome, with its human lines.
#[derive(Serialize, Deserialize)]
struct ImageRecord {
    outcome: ImageOutcome,
    human: String,
    #[serde(default)]
    written: Vec<Written>,
}

/// `image::make`, skipped when the same artifacts and settings made the image now in
/// the layout (compressing megabytes of Go binaries at level 9 is most of a no-op
/// rebuild's time otherwise). The key covers the spec, the dist manifest (every
/// artifact's sha256), `SOURCE_DATE_EPOCH`, and the size and mtime of the host files the
/// essentials copy.
pub(crate) fn make_image(
    spec: &ImageSpec,
    out_dir: &Path,
    vendor: crate::image::VendorPaths<'_>,
    extras_key: &str,
    bypass_cache: bool,
    ctx: &Ctx,
) -> Result<ImageOutcome> {
    let (env, cache) = (&ctx.env, &ctx.cache);
    let manifest = std::fs::read(out_dir.join(crate::dist_folder::MANIFEST)).unwrap_or_default();
    let mut key = spec_parts(spec, CacheKey::new(KeyKind::Image))
        .part("extras", extras_key)
        .part("out-dir", out_dir.as_os_str().as_encoded_bytes())
        .part("manifest", manifest)
        .part("source-date-epoch", env.source_date_epoch().to_string());
    let mut host_files: Vec<PathBuf> = Vec::new();
    if spec.ca_certs {
        host_files.extend(env.get("SSL_CERT_FILE").map(PathBuf::from));
        host_files.extend(
            crate::image::essentials::HOST_CA_BUNDLES
                .iter()
                .map(PathBuf::from),
        );
    }
    if spec.zoneinfo {
        host_files.push(crate::image::essentials::HOST_ZONEINFO.into());
    }
    for file in host_files {
        let meta = std::fs::metadata(&file).ok();
        let modified = meta
            .as_ref()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos().to_string());
        key = key.group("host-file", |k| {
            k.part("path", file.as_os_str().as_encoded_bytes())
                .maybe("modified-ns", modified)
                .maybe("size", meta.map(|m| m.len().to_string()))
        });
    }
    let key = key.finish();
    let record_path = cache
        .dir("builds")
        .join(format!("image-{}.json", &key[..32]));
    if !bypass_cache
        && let Some(record) = std::fs::read(&record_path)
            .ok()
            .and_then(|b| serde_json::from_slice::<ImageRecord>(&b).ok())
        && image_in_place(&record.outcome, &record.written)
    {
        let mut outcome = record.outcome;
        outcome.state = Freshness::Cached;
        outcome.human = record.human;
        return Ok(outcome);
    }
    let report = crate::image::make(spec, out_dir, vendor, ctx)?;
    let mut outcome = ImageOutcome::made(&report);
    outcome.written = written_stamps(&report);
    if !bypass_cache {
        std::fs::create_dir_all(cache.dir("builds")).map_err(Error::io(
            "cannot create the cache directory",
            cache.dir("builds"),
        ))?;
        let record = ImageRecord {
            outcome: outcome.clone(),
            human: outcome.human.clone(),
            written: outcome.written.clone(),
        };
        crate::sys::fs::write_atomic(
            ctx.temps(),
            &record_path,
            &serde_json::to_vec(&record).expect("record serialises"),
        )?;
    }
    Ok(outcome)
}

/// Whether what a recorded image wrote is still there and unchanged: the layout's
/// `index.json` names the index under the image's tag, the index blob exists, and the
/// Dockerfile and archive are the ones this image wrote.
fn image_in_place(outcome: &ImageOutcome, written: &[Written]) -> bool {
    let text = |key: &str| outcome.report.get(key).and_then(|v| v.as_str());
    let (Some(layout), Some(tag)) = (text("oci_layout").map(PathBuf::from), text("tag")) else {
        return false;
    };
    let tagged = crate::sys::oci_layout::LayoutIndex::read(&layout)
        .is_ok_and(|index| index.names(&outcome.digest, tag));
    let blob = layout
        .join("blobs/sha256")
        .join(outcome.digest.trim_start_matches("sha256:"));
    tagged
        && blob.is_file()
        && written
            .iter()
            .all(|w| file_stamp(&w.path, w.hashed) == w.stamp)
}

/// The project's `[image]` with its defaults: the project's artifacts (not whatever
/// else an older build left in dist) for the project's targets, paths from the project
/// folder.
pub(crate) fn image_spec(project: &Project, mut spec: ImageSpec, targets: &[Target]) -> ImageSpec {
    if spec.artifacts.is_empty() {
        spec.artifacts = project.artifact_names();
    }
    if spec.targets.is_empty() {
        spec.targets = targets.iter().map(|t| t.name().to_string()).collect();
    }
    spec.no_sbom = !project.sbom;
    spec.oci_layout = spec.oci_layout.map(|p| project.root.join(p));
    spec.oci_archive = spec.oci_archive.map(|p| project.root.join(p));
    crate::image::spec::absolute_sources(&mut spec, &project.root);
    spec
}

/// `muslbuild image`: in a project folder the project's `[image]` (checked with the
/// rest of the file) is the base the flags override, dist is the project's `out-dir`, and
/// vendored files come from the vendored projects' installs (cached, or built now);
/// elsewhere the flags alone, over `dist`.
pub(crate) fn image(args: &ImageOverrides, ctx: &Ctx) -> Result<ImageReport> {
    let env = &ctx.env;
    let Some(file) = config::find(&env.cwd) else {
        return crate::image::run(
            args,
            ImageSpec::default(),
            &env.cwd.join("dist"),
            &crate::image::no_vendored_projects,
            ctx,
        );
    };
    let project = config::load(&file)?;
    let spec = image_spec(
        &project,
        project.image.clone().unwrap_or_default(),
        &project.targets,
    );
    // Prepared on first use, per (vendored project, target): a cached install spawns
    // nothing.
    let roots: RefCell<BTreeMap<(String, Target), PathBuf>> = RefCell::default();
    // Each target's toolchain resolved once, however many vendored projects it installs.
    let toolchains: RefCell<BTreeMap<Target, toolchain::Toolchain>> = RefCell::default();
    let vendor_paths = |name: &str, target: Target, source: &str| -> Result<(PathBuf, String)> {
        let key = (name.to_string(), target);
        if !roots.borrow().contains_key(&key) {
            let v = project
                .vendor
                .iter()
                .find(|v| v.name == name)
                .ok_or_else(|| {
                    Error::usage(
                        format!(
                            "`{}` has no vendored project `{name}`",
                            project.file.display()
                        ),
                        format!(
                            "--vendor-file names a [vendor.NAME] table; this file has: {}",
                            project
                                .vendor
                                .iter()
                                .map(|v| v.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
            if !toolchains.borrow().contains_key(&target) {
                let request = super::vendor::toolchain_request(
                    &project,
                    project.toolchain.clone(),
                    None,
                    None,
                    &[target],
                    ctx,
                )?;
                let found = toolchain::resolve(target, &request, ctx)?;
                toolchains.borrow_mut().insert(target, found);
            }
            let toolchain = toolchains.borrow()[&target].clone();
            let libs = super::vendor::lib_request(
                &project,
                vec![v.name.clone()],
                Some(v.recipe.clone()),
                false,
                env,
            );
            libs::check_names(&libs)?;
            let prepared = libs::prepare(&libs, std::slice::from_ref(&toolchain), ctx)?;
            roots
                .borrow_mut()
                .extend(super::vendor::vendor_roots([(v, &prepared)]));
        }
        super::vendor::vendor_installed_path(&roots.borrow(), name, target, source)
    };
    crate::image::run(args, spec, &project.out_dir, &vendor_paths, ctx)
}

/// Every field of the image's settings, by name. Taken apart field by field, so a setting
/// added to `ImageSpec` does not compile until it is placed in the key.
fn spec_parts(spec: &ImageSpec, key: CacheKey) -> CacheKey {
    let ImageSpec {
        tag,
        artifacts,
        targets,
        bin_dir,
        entrypoint,
        cmd,
        env,
        workdir,
        ports,
        labels,
        user,
        ca_certs,
        passwd,
        zoneinfo,
        oci_layout,
        oci_archive,
        dockerfile,
        files,
        vendor_files,
        dirs,
        no_sbom,
    } = spec;
    let mode = |m: &Option<crate::image::spec::Mode>| m.map(|m| format!("{:o}", m.0));
    let path = |p: &Option<PathBuf>| {
        p.as_ref()
            .map(|p| p.as_os_str().as_encoded_bytes().to_vec())
    };
    let mut key = key
        .maybe("tag", tag.as_ref())
        .list("artifacts", artifacts)
        .list("targets", targets)
        .maybe("bin-dir", bin_dir.as_ref())
        .flag("entrypoint-set", entrypoint.is_some())
        .list("entrypoint", entrypoint.iter().flatten())
        .flag("cmd-set", cmd.is_some())
        .list("cmd", cmd.iter().flatten())
        .list("env", env)
        .maybe("workdir", workdir.as_ref())
        .list("ports", ports)
        .maybe("user", user.as_ref())
        .flag("ca-certs", *ca_certs)
        .flag("passwd", *passwd)
        .flag("zoneinfo", *zoneinfo)
        .maybe("oci-layout", path(oci_layout))
        .maybe("oci-archive", path(oci_archive))
        .maybe(
            "dockerfile",
            dockerfile.map(|d| if d { "yes" } else { "no" }),
        )
        .flag("no-sbom", *no_sbom);
    for (name, value) in labels {
        key = key.group("label", |k| k.part("name", name).part("value", value));
    }
    for f in files {
        key = key.group("file", |k| {
            k.part("source", f.source.as_os_str().as_encoded_bytes())
                .part("path", &f.path)
                .maybe("mode", mode(&f.mode))
                .part("owner", format!("{}:{}", f.uid, f.gid))
        });
    }
    for f in vendor_files {
        key = key.group("vendor-file", |k| {
            k.part("vendor", &f.vendor)
                .part("source", &f.source)
                .maybe("path", f.path.as_ref())
                .maybe("mode", mode(&f.mode))
                .part("owner", format!("{}:{}", f.uid, f.gid))
        });
    }
    for d in dirs {
        key = key.group("dir", |k| {
            k.part("path", &d.path)
                .maybe("mode", mode(&d.mode))
                .part("owner", format!("{}:{}", d.uid, d.gid))
        });
    }
    key
}
