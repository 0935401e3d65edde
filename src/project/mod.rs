//! `muslbuild build`: everything a `muslbuild.toml` describes, for every target, through
//! the same pipelines as single builds (`build` for C, with its cache), then the image.
//! The whole file is checked (`config`) before anything is built; `--check-reproducible`
//! builds a second time into a temporary folder, without the build cache, and compares.

pub mod config;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cache::Cache;
use crate::dist::{Artifact, Dist};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::go;
use crate::image::{ImageOverrides, ImageReport, ImageSpec};
use crate::jobs::Jobs;
use crate::libs::{self, Recipe};
use crate::pipeline::c::{self as build, Built, CBuild};
use crate::target::Target;
use crate::toolchain::{self, Choice};
use config::Project;

/// How `muslbuild build` was asked to run, over what the file says.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Only these artifacts (and no image); empty means everything.
    pub names: Vec<String>,
    /// Replaces `[project] targets` when not empty.
    pub targets: Vec<Target>,
    /// Replaces `[project] toolchain`.
    pub toolchain: Option<String>,
    pub cc: Option<String>,
    pub jobs: usize,
    pub check_reproducible: bool,
    /// `--offline`: Go downloads no modules either.
    pub offline: bool,
    /// `--keep-failed`: a failed library or vendored build keeps its tree.
    pub keep_failed: bool,
    /// `--strict`: a declared library no vendored program uses is an error.
    pub strict: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    C,
    Go,
    Vendor,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// A compiler, configure or `go build` ran.
    Built,
    /// Restored from the build cache; nothing ran.
    Cached,
}

#[derive(Clone, Debug, Serialize)]
pub struct ArtifactReport {
    pub kind: Kind,
    pub state: State,
    #[serde(flatten)]
    pub artifact: Artifact,
    /// Absolute path of the file.
    pub file: PathBuf,
}

#[derive(Clone, Debug, Serialize)]
pub struct Reproducibility {
    pub ok: bool,
    /// What differed: `x86_64/hello`, `image index`.
    pub differences: Vec<String>,
}

/// The image, made now or found unchanged in its layout.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ImageOutcome {
    pub state: State,
    /// The image index digest, `sha256:…`.
    pub digest: String,
    /// `muslbuild image`'s report (index, per-platform manifests, layers, sizes, paths).
    #[serde(flatten)]
    pub report: serde_json::Value,
    #[serde(skip_serializing, default)]
    human: String,
    /// What the image wrote besides the layout (Dockerfile, archive), as it was then:
    /// anything else there now (another `muslbuild image` with other flags) is rewritten.
    #[serde(skip_serializing, default)]
    written: Vec<Written>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Written {
    path: PathBuf,
    /// By content (small files), else by size, inode and mtime.
    hashed: bool,
    stamp: String,
}

impl ImageOutcome {
    fn made(report: &ImageReport) -> ImageOutcome {
        ImageOutcome {
            state: State::Built,
            digest: report.index.digest.clone(),
            report: serde_json::to_value(report).expect("image report serialises"),
            human: report.human(),
            written: Vec::new(),
        }
    }
}

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
    out
}

fn file_stamp(path: &Path, hash: bool) -> String {
    use std::os::unix::fs::MetadataExt;
    if hash {
        return std::fs::read(path)
            .map(|b| crate::cache::sha256_hex(&b))
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

/// Everything `muslbuild build` did: the human lines and the `--json` document.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub project: PathBuf,
    pub out_dir: PathBuf,
    pub targets: Vec<Target>,
    pub artifacts: Vec<ArtifactReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageOutcome>,
    /// The C libraries (recipes and vendored) the artifacts link, per target.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub libraries: Vec<libs::LibOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reproducible: Option<Reproducibility>,
}

impl Report {
    pub fn built(&self) -> usize {
        self.artifacts
            .iter()
            .filter(|a| a.state == State::Built)
            .count()
    }

    pub fn human(&self, cwd: &Path) -> String {
        let mut out = String::new();
        for a in &self.artifacts {
            let state = match a.state {
                State::Built => "built ",
                State::Cached => "cached",
            };
            out.push_str(&format!(
                "{state} {:<28} {:>9}  {}{}\n",
                a.file.strip_prefix(cwd).unwrap_or(&a.file).display(),
                crate::sys::ui::human_size(a.artifact.size),
                a.artifact.toolchain_version_label(),
                if a.artifact.verification.stripped {
                    ""
                } else {
                    ", not stripped"
                }
            ));
        }
        if let Some(image) = &self.image {
            if image.state == State::Cached {
                out.push_str("cached ");
            }
            out.push_str(&image.human);
        }
        let built = self.built();
        out.push_str(&format!(
            "{} artifacts for {} targets: {built} built, {} cached\n",
            self.artifacts.len(),
            self.targets.len(),
            self.artifacts.len() - built
        ));
        if let Some(r) = &self.reproducible
            && r.ok
        {
            {
                out.push_str(
                    "reproducible: a second build without the cache gave the same bytes\n",
                );
            }
        }
        out
    }
}

impl Artifact {
    /// `zig 0.17.1`; Go records its version as `go 1.27.3` (`+ zig 0.17.1` with cgo).
    fn toolchain_version_label(&self) -> String {
        if self.toolchain_version.starts_with(&self.toolchain) || self.toolchain.starts_with("go") {
            self.toolchain_version.clone()
        } else {
            format!("{} {}", self.toolchain, self.toolchain_version)
        }
    }
}

/// `muslbuild build` in `project_file`'s folder.
pub fn run(project_file: &Path, options: &Options, env: &Env, cache: &Cache) -> Result<Report> {
    let project = config::load(project_file)?;
    let report = build(&project, options, &project.out_dir, false, env, cache)?;
    if !options.check_reproducible {
        return Ok(report);
    }
    let temp = tempfile::Builder::new()
        .prefix("muslbuild-reproducible-")
        .tempdir()
        .map_err(Error::io(
            "cannot create a temporary directory in",
            std::env::temp_dir(),
        ))?;
    // Everything again — library prefixes and vendored projects included — in a fresh
    // cache at another absolute path: what a second machine would do. Only the inputs
    // are shared: installed toolchains and verified source archives.
    let fresh = fresh_cache(cache, temp.path())?;
    let second = build(
        &project,
        options,
        &temp.path().join("dist"),
        true,
        env,
        &fresh,
    )?;
    let differences = compare(&report, &second);
    let mut report = report;
    report.reproducible = Some(Reproducibility {
        ok: differences.is_empty(),
        differences: differences.clone(),
    });
    if !differences.is_empty() {
        return Err(Error::NotReproducible {
            what: differences.join(", "),
            help: "something in the build depends on time, the folder or the machine: check __DATE__/__TIME__ in the sources and flags that embed paths; `cmp -l` on the two files shows where".into(),
        });
    }
    Ok(report)
}

/// A cache under `dir` whose `toolchains/` and `sources/` are the user's (installed
/// toolchains; verified, content-addressed archives) and everything else is empty.
fn fresh_cache(cache: &Cache, dir: &Path) -> Result<Cache> {
    let root = dir.join("cache");
    std::fs::create_dir_all(&root).map_err(Error::io("cannot create", &root))?;
    for shared in ["toolchains", "sources"] {
        let original = cache.dir(shared);
        std::fs::create_dir_all(&original).map_err(Error::io("cannot create", &original))?;
        let link = root.join(shared);
        std::os::unix::fs::symlink(&original, &link).map_err(Error::io("cannot create", &link))?;
    }
    Ok(Cache::new(root))
}

fn compare(first: &Report, second: &Report) -> Vec<String> {
    let mut differences = Vec::new();
    for a in &first.artifacts {
        let other = second
            .artifacts
            .iter()
            .find(|b| b.artifact.path == a.artifact.path);
        if other.is_none_or(|b| b.artifact.sha256 != a.artifact.sha256) {
            differences.push(a.artifact.path.clone());
        }
    }
    if let (Some(a), Some(b)) = (&first.image, &second.image)
        && a.digest != b.digest
    {
        differences.push("image index".into());
    }
    differences
}

/// The artifacts to build: all, or the named ones (each checked).
fn selected(project: &Project, names: &[String]) -> Result<Vec<String>> {
    let all = project.artifact_names();
    for name in names {
        if !all.contains(name) {
            let hint = config::suggest(name, all.iter().map(String::as_str))
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            return Err(Error::usage(
                format!(
                    "`{}` builds no artifact named `{name}`",
                    project.file.display()
                ),
                format!("{hint}the artifacts are: {}", all.join(", ")),
            ));
        }
    }
    Ok(all
        .into_iter()
        .filter(|n| names.is_empty() || names.contains(n))
        .collect())
}

fn targets(project: &Project, options: &Options) -> Result<Vec<Target>> {
    let targets = if !options.targets.is_empty() {
        options.targets.clone()
    } else if !project.targets.is_empty() {
        project.targets.clone()
    } else {
        vec![Target::host().ok_or_else(|| {
            Error::usage(
                "this machine's architecture is not a muslbuild target",
                "set `targets` in [project], or give --target",
            )
        })?]
    };
    Ok(targets)
}

fn build(
    project: &Project,
    options: &Options,
    out_dir: &Path,
    bypass_cache: bool,
    env: &Env,
    cache: &Cache,
) -> Result<Report> {
    let names = selected(project, &options.names)?;
    let targets = targets(project, options)?;
    let choice: Choice = match &options.toolchain {
        Some(flag) => flag.parse()?,
        // A compiler path in the file is relative to the file's folder.
        None => match project.toolchain.parse()? {
            Choice::Path(path) => Choice::Path(project.root.join(path)),
            other => other,
        },
    };
    let request = toolchain::ToolchainRequest {
        choice,
        cc: options.cc.clone(),
    };
    let image_spec = if options.names.is_empty() {
        project
            .image
            .clone()
            .map(|spec| image_spec(project, spec, &targets))
    } else {
        None
    };
    // Vendored projects' host tools (their `host-tools`, their `bootstrap` program, and
    // their libraries' recipes') are checked before any work starts, as recipes' are.
    let vendor_recipes: Vec<Recipe> = project
        .vendor
        .iter()
        .filter(|v| v.programs.iter().any(|p| names.contains(p)))
        .map(|v| v.recipe.clone())
        .collect();
    if !vendor_recipes.is_empty() {
        let mut all = project.libs.clone();
        all.extend(vendor_recipes.iter().cloned());
        let catalog = libs::Catalog::new(all);
        let wanted: Vec<String> = vendor_recipes.iter().map(|r| r.name.clone()).collect();
        let closure = catalog.closure(&wanted)?;
        libs::host::check_host_tools(closure.iter().copied(), env)?;
        for recipe in closure {
            libs::vendor::check_buildable(recipe)?;
        }
    }
    let go_programs = go_programs(project, &names, &targets, options, env, cache)?;
    // Libraries and vendored projects first, for every target, before anything reaches
    // dist/: a prefix that is already built costs a completion check.
    let wants_toolchains = project
        .c
        .iter()
        .any(|c| names.contains(&c.program.name) && !c.libs.is_empty())
        || project
            .vendor
            .iter()
            .any(|v| v.programs.iter().any(|p| names.contains(p)))
        || project
            .go
            .iter()
            .any(|g| names.contains(&g.name) && !g.libs.is_empty());
    let toolchains = if wants_toolchains {
        targets
            .iter()
            .map(|&t| toolchain::resolve(t, &request, env, cache))
            .collect::<Result<Vec<_>>>()?
    } else {
        Vec::new()
    };
    let mut libraries: Vec<libs::LibOutcome> = Vec::new();
    let mut c_libraries: Vec<Option<libs::Prepared>> = Vec::new();
    for c in &project.c {
        if !names.contains(&c.program.name) || c.libs.is_empty() {
            c_libraries.push(None);
            continue;
        }
        let request = lib_request(project, c.libs.clone(), None, options.keep_failed, env);
        libs::check_names(&request)?;
        let prepared = libs::prepare(
            &request,
            &toolchains,
            &libs::transitional_ctx(env, options.jobs),
        )?;
        for o in &prepared.outcomes {
            if !libraries
                .iter()
                .any(|l| l.name == o.name && l.target == o.target)
            {
                libraries.push(o.clone());
            }
        }
        c_libraries.push(Some(prepared));
    }
    // cgo's C libraries, per Go program and target.
    let mut go_libraries: Vec<BTreeMap<Target, go::CgoInputs>> = Vec::new();
    for (program, ..) in &go_programs {
        let g = project
            .go
            .iter()
            .find(|g| g.name == program.name)
            .expect("planned from the project");
        let mut map = BTreeMap::new();
        if !g.libs.is_empty() {
            let request = lib_request(project, g.libs.clone(), None, options.keep_failed, env);
            libs::check_names(&request)?;
            let prepared = libs::prepare(
                &request,
                &toolchains,
                &libs::transitional_ctx(env, options.jobs),
            )?;
            for (target, set) in &prepared.link_sets {
                map.insert(
                    *target,
                    go::CgoInputs {
                        include_dirs: set.include_dirs.clone(),
                        lib_dirs: set.lib_dirs.clone(),
                        libs: set.libs.clone(),
                        ..go::CgoInputs::default()
                    },
                );
            }
            for o in prepared.outcomes {
                if !libraries
                    .iter()
                    .any(|l| l.name == o.name && l.target == o.target)
                {
                    libraries.push(o);
                }
            }
        }
        go_libraries.push(map);
    }
    let mut vendor_builds = Vec::new();
    for v in &project.vendor {
        if !v.programs.iter().any(|p| names.contains(p)) {
            continue;
        }
        let request = lib_request(
            project,
            vec![v.name.clone()],
            Some(v.recipe.clone()),
            options.keep_failed,
            env,
        );
        libs::check_names(&request)?;
        let prepared = libs::prepare(
            &request,
            &toolchains,
            &libs::transitional_ctx(env, options.jobs),
        )?;
        for o in &prepared.outcomes {
            if !libraries
                .iter()
                .any(|l| l.name == o.name && l.target == o.target)
            {
                libraries.push(o.clone());
            }
        }
        unused_libraries(v, &prepared, options.strict)?;
        vendor_builds.push((v, prepared));
    }

    // Every platform's image files besides the artifacts (a vendored file is known only
    // now that its project is installed) are checked before dist/ is touched.
    let vendor_roots = vendor_roots(&vendor_builds);
    let vendor_paths = |name: &str, target: Target, source: &str| {
        vendor_installed_path(&vendor_roots, name, target, source)
    };
    let extras_key = match &image_spec {
        Some(spec) => crate::image::check_extras(spec, &targets, &vendor_paths, env)?,
        None => String::new(),
    };

    let jobs = Jobs::new(options.jobs.max(1));
    let dist = Dist::prepare(out_dir)?;
    let mut reports = Vec::new();
    let mut errors = Vec::new();
    let mut keep = |kind: Kind, results: Vec<(Target, Result<Built>)>, reports: &mut Vec<_>| {
        for (_, result) in results {
            match result {
                Ok(b) => reports.push(ArtifactReport {
                    kind,
                    state: if b.cached {
                        State::Cached
                    } else {
                        State::Built
                    },
                    artifact: b.artifact,
                    file: b.path,
                }),
                Err(e) => errors.push(e),
            }
        }
    };
    for (c, prepared) in project.c.iter().zip(&c_libraries) {
        if !names.contains(&c.program.name) {
            continue;
        }
        let mut program = c.program.clone();
        program.source_date_epoch = env.source_date_epoch();
        let results = build::build_c(
            &CBuild {
                program: &program,
                targets: &targets,
                toolchain: &request,
                jobs: &jobs,
                bypass_cache,
                libraries: prepared.as_ref(),
            },
            &dist,
            env,
            cache,
        );
        keep(Kind::C, results, &mut reports);
    }
    for ((program, settings, cgo), libraries) in go_programs.iter().zip(&go_libraries) {
        let (go, settings) = (&settings.0, &settings.1);
        let results = go::build_all(
            &go::GoBuild {
                program,
                targets: &targets,
                go,
                settings,
                cgo: cgo.as_ref().map(|inputs| (&request, inputs)),
                libraries,
                jobs: &jobs,
                bypass_cache,
            },
            &dist,
            env,
            cache,
        );
        keep(Kind::Go, results, &mut reports);
    }
    for (v, prepared) in &vendor_builds {
        for tc in &toolchains {
            for program in v.programs.iter().filter(|p| names.contains(p)) {
                match install_vendored(v, program, tc, prepared, &dist) {
                    Ok(report) => reports.push(report),
                    Err(e) => errors.push(e),
                }
            }
        }
    }
    let artifacts: Vec<Artifact> = reports.iter().map(|r| r.artifact.clone()).collect();
    dist.record(&artifacts)?;
    if let Some(first) = errors.into_iter().reduce(|first, other| {
        crate::print_error(&other);
        first
    }) {
        return Err(first);
    }

    let image = match image_spec {
        Some(mut spec) => {
            if out_dir != project.out_dir {
                // The comparison build writes its image beside its own artifacts.
                spec.oci_layout = Some(out_dir.join("image"));
                spec.oci_archive = None;
            }
            Some(make_image(
                &spec,
                out_dir,
                &vendor_paths,
                &extras_key,
                bypass_cache,
                env,
                cache,
            )?)
        }
        None => None,
    };
    Ok(Report {
        project: project.file.clone(),
        out_dir: out_dir.to_path_buf(),
        targets,
        artifacts: reports,
        image,
        libraries,
        reproducible: None,
    })
}

/// `image::make`, skipped when the same artifacts and settings made the image now in
/// the layout (compressing megabytes of Go binaries at level 9 is most of a no-op
/// rebuild's time otherwise). The key covers the spec, the dist manifest (every
/// artifact's sha256), `SOURCE_DATE_EPOCH`, and the size and mtime of the host files the
/// essentials copy.
fn make_image(
    spec: &ImageSpec,
    out_dir: &Path,
    vendor: crate::image::VendorPaths<'_>,
    extras_key: &str,
    bypass_cache: bool,
    env: &Env,
    cache: &Cache,
) -> Result<ImageOutcome> {
    let manifest = std::fs::read(out_dir.join(crate::dist::MANIFEST)).unwrap_or_default();
    let mut parts = vec![
        crate::pipeline::cache::LOGIC.as_bytes().to_vec(),
        format!("{spec:?}").into_bytes(),
        extras_key.as_bytes().to_vec(),
        out_dir.display().to_string().into_bytes(),
        manifest,
        env.source_date_epoch().to_string().into_bytes(),
    ];
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
        let stamp = std::fs::metadata(&file)
            .map(|m| format!("{:?} {}", m.modified().ok(), m.len()))
            .unwrap_or_default();
        parts.push(format!("{} {stamp}", file.display()).into_bytes());
    }
    let key = crate::cache::key(parts);
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
        outcome.state = State::Cached;
        outcome.human = record.human;
        return Ok(outcome);
    }
    let report = crate::image::make(spec, out_dir, vendor, env)?;
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
        crate::cache::write_atomic(
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
    let tagged = std::fs::read(layout.join("index.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|index| {
            index["manifests"].as_array().map(|manifests| {
                manifests.iter().any(|m| {
                    m["digest"] == outcome.digest.as_str()
                        && m["annotations"]["org.opencontainers.image.ref.name"] == tag
                })
            })
        })
        .unwrap_or(false);
    let blob = layout
        .join("blobs/sha256")
        .join(outcome.digest.trim_start_matches("sha256:"));
    tagged
        && blob.is_file()
        && written
            .iter()
            .all(|w| file_stamp(&w.path, w.hashed) == w.stamp)
}

type GoPlan = (
    go::GoProgram,
    (go::GoToolchain, go::GoSettings),
    Option<go::CgoInputs>,
);

/// Every selected Go program read and its flags checked, before anything is built.
fn go_programs(
    project: &Project,
    names: &[String],
    targets: &[Target],
    options: &Options,
    env: &Env,
    cache: &Cache,
) -> Result<Vec<GoPlan>> {
    let selected: Vec<_> = project
        .go
        .iter()
        .filter(|g| names.contains(&g.name))
        .collect();
    if selected.is_empty() {
        return Ok(Vec::new());
    }
    let toolchain = go::resolve(None, env, cache)?;
    let mut plans = Vec::new();
    for g in selected {
        let mut program = go::package(std::slice::from_ref(&g.package), &project.root)?;
        program.name = g.name.clone();
        let mut settings = go::GoSettings::from_env(env, cache);
        settings.ldflags = g.ldflags.clone();
        settings.tags = g.tags.clone();
        settings.offline = options.offline || env.offline();
        settings.no_strip = !g.strip;
        for &target in targets {
            toolchain.check_supports(target)?;
        }
        go::command(
            &program,
            targets[0],
            &toolchain,
            &settings,
            Path::new("check"),
        )?;
        let cgo = g.cgo.then(|| go::CgoInputs {
            cflags: env.flags("CGO_CFLAGS"),
            ldflags: env.flags("CGO_LDFLAGS"),
            ..go::CgoInputs::default()
        });
        plans.push((program, (toolchain.clone(), settings), cgo));
    }
    Ok(plans)
}

/// The project's `[image]` with its defaults: the project's artifacts (not whatever
/// else an older build left in dist) for the project's targets, paths from the project
/// folder.
fn image_spec(project: &Project, mut spec: ImageSpec, targets: &[Target]) -> ImageSpec {
    if spec.artifacts.is_empty() {
        spec.artifacts = project.artifact_names();
    }
    if spec.targets.is_empty() {
        spec.targets = targets.iter().map(|t| t.name().to_string()).collect();
    }
    spec.oci_layout = spec.oci_layout.map(|p| project.root.join(p));
    spec.oci_archive = spec.oci_archive.map(|p| project.root.join(p));
    crate::image::spec::absolute_sources(&mut spec, &project.root);
    spec
}

/// `muslbuild image`: in a project folder the project's `[image]` (checked with the
/// rest of the file) is the base the flags override, dist is the project's `out-dir`, and
/// vendored files come from the vendored projects' installs (cached, or built now);
/// elsewhere the flags alone, over `dist`.
pub(crate) fn image(args: &ImageOverrides, env: &Env, cache: &Cache) -> Result<ImageReport> {
    let Some(file) = config::find(&env.cwd) else {
        return crate::image::run(
            args,
            ImageSpec::default(),
            &env.cwd.join("dist"),
            &crate::image::no_vendored_projects,
            env,
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
            let request = toolchain::ToolchainRequest {
                choice: match project.toolchain.parse()? {
                    Choice::Path(path) => Choice::Path(project.root.join(path)),
                    other => other,
                },
                cc: None,
            };
            let toolchain = toolchain::resolve(target, &request, env, cache)?;
            let libs = lib_request(
                &project,
                vec![v.name.clone()],
                Some(v.recipe.clone()),
                false,
                env,
            );
            libs::check_names(&libs)?;
            let prepared = libs::prepare(
                &libs,
                std::slice::from_ref(&toolchain),
                &libs::transitional_ctx(env, 1),
            )?;
            roots.borrow_mut().extend(vendor_roots(&[(v, prepared)]));
        }
        vendor_installed_path(&roots.borrow(), name, target, source)
    };
    crate::image::run(args, spec, &project.out_dir, &vendor_paths, env)
}

/// (vendored project, target) -> the root its install is read from.
fn vendor_roots(
    builds: &[(&config::VendorProject, libs::Prepared)],
) -> BTreeMap<(String, Target), PathBuf> {
    let mut roots = BTreeMap::new();
    for (v, prepared) in builds {
        for outcome in prepared.outcomes.iter().filter(|o| o.name == v.name) {
            roots.insert(
                (v.name.clone(), outcome.target),
                vendor_install_root(outcome),
            );
        }
    }
    roots
}

/// The folder a vendored project's install lies in for one target: its staged install
/// (the `DESTDIR` root), whose layout is the installed one (`/usr/share/x` at
/// `<root>/usr/share/x`).
fn vendor_install_root(outcome: &libs::LibOutcome) -> PathBuf {
    outcome
        .staged
        .clone()
        .unwrap_or_else(|| outcome.prefix.clone())
}

/// Where installed path `source` (`/etc/foo.conf`) of vendored project `name` lies on
/// this machine for `target`: the install's root and the path under it.
fn vendor_installed_path(
    roots: &BTreeMap<(String, Target), PathBuf>,
    name: &str,
    target: Target,
    source: &str,
) -> Result<(PathBuf, String)> {
    let root = roots.get(&(name.to_string(), target)).ok_or_else(|| {
        Error::usage(
            format!("vendored project `{name}` is not built for {target}"),
            "an image's vendor-files come from [vendor.NAME] projects this build installs",
        )
    })?;
    let relative = source.trim_start_matches('/');
    Ok((root.clone(), relative.to_string()))
}

/// `muslbuild init`: a commented starter file (and `hello.c` for it to build, when the
/// folder has none); never overwrites.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>> {
    let file = dir.join(config::FILE_NAME);
    if file.exists() {
        return Err(Error::usage(
            format!("`{}` already exists", file.display()),
            "muslbuild init never overwrites; edit the file, or remove it first",
        ));
    }
    let mut written = Vec::new();
    let hello = dir.join("hello.c");
    if !hello.exists() {
        crate::cache::write_atomic(&hello, HELLO.as_bytes())?;
        written.push(hello);
    }
    // `create_new` so that a file appearing meanwhile is still never overwritten.
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)
        .map_err(Error::io("cannot write", &file))?;
    f.write_all(config::STARTER.as_bytes())
        .map_err(Error::io("cannot write", &file))?;
    written.push(file);
    Ok(written)
}

const HELLO: &str = "#include <stdio.h>\n\nint main(void) {\n    puts(\"hello from a static binary\");\n    return 0;\n}\n";

// -----------------------------------------------------------------------------------
// Libraries and vendored projects (src/libs)
// -----------------------------------------------------------------------------------

/// One installed program of a vendored project, for one target: from the project's
/// prefix (`bin/` or `sbin/`) through staging and verification into dist.
/// What the link check found for a vendored project (recorded with its staged install,
/// so a cached build warns as the first one did): a warning, or with `--strict` an error.
fn unused_libraries(
    v: &config::VendorProject,
    prepared: &libs::Prepared,
    strict: bool,
) -> Result<()> {
    for outcome in prepared.outcomes.iter().filter(|o| o.name == v.name) {
        let Some(staged) = &outcome.staged else {
            continue;
        };
        let record = std::fs::read(staged.join(crate::cache::COMPLETE)).unwrap_or_default();
        let unused: Vec<String> = serde_json::from_slice::<serde_json::Value>(&record)
            .ok()
            .and_then(|r| serde_json::from_value(r["unused_libraries"].clone()).ok())
            .unwrap_or_default();
        for line in unused {
            let message = format!(
                "vendored project `{}` for {}: {line}",
                v.name, outcome.target
            );
            let help = "its configure did not find it (see the check above, and config.log in the build tree); pass the library's paths in `configure.args` or fix the check, or drop it from `libs`";
            if strict {
                return Err(Error::UnusedLibrary {
                    message,
                    help: help.into(),
                });
            }
            if crate::sys::process::verbosity() >= crate::sys::process::NORMAL {
                eprintln!("muslbuild: warning: {message}\nhelp: {help}");
            }
        }
    }
    Ok(())
}

fn install_vendored(
    v: &config::VendorProject,
    program: &str,
    tc: &toolchain::Toolchain,
    prepared: &libs::Prepared,
    dist: &Dist,
) -> Result<ArtifactReport> {
    let target = tc.target;
    let outcome = prepared
        .outcomes
        .iter()
        .find(|o| o.name == v.name && o.target == target)
        .expect("prepare reports every library for every toolchain");
    let found = ["bin", "sbin"]
        .iter()
        .map(|d| outcome.prefix.join(d).join(program))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            let installed = libs::vendor::installed_programs(&outcome.prefix);
            let prefix = v.recipe.runtime_prefix();
            Error::ImageInput {
                message: format!(
                    "vendored project `{}` installed no program `{program}` for {target}",
                    v.name
                ),
                help: if installed.is_empty() {
                    format!(
                        "its install put nothing in {prefix}/bin or {prefix}/sbin (staged in {}); check the install step",
                        outcome.prefix.display()
                    )
                } else {
                    format!(
                        "its install made {} under {prefix}; list those names in `programs`",
                        installed.join(", ")
                    )
                },
            }
        })?;
    let staging = dist.staging()?;
    let staged = staging.path().join(program);
    crate::pipeline::cache::restore(&found, &staged)?;
    let report = crate::verify::verify_file(&staged, Some(target))?.into_result()?;
    let artifact = Artifact {
        name: program.to_string(),
        target: target.name().to_string(),
        path: Dist::relative_path(target, program),
        size: report.size,
        sha256: report.sha256.clone(),
        toolchain: tc.provider.name().to_string(),
        toolchain_version: tc.version.clone(),
        verification: crate::dist::Verification {
            ok: report.ok,
            is_static: true,
            static_pie: report.static_pie,
            stripped: report.stripped,
            machine: crate::verify::machine_name(target.elf().machine),
        },
    };
    let file = dist.install(&staged, &artifact)?;
    Ok(ArtifactReport {
        kind: Kind::Vendor,
        state: match outcome.state {
            libs::LibState::Cached => State::Cached,
            libs::LibState::Built { .. } => State::Built,
        },
        artifact,
        file,
    })
}

fn lib_request(
    project: &Project,
    names: Vec<String>,
    extra: Option<Recipe>,
    keep_failed: bool,
    env: &Env,
) -> libs::LibRequest {
    let mut vendored = project.libs.clone();
    vendored.extend(extra);
    let mut source_dirs = project.source_dirs.clone();
    source_dirs.extend(env.source_dirs());
    libs::LibRequest {
        names,
        vendored,
        source_dirs,
        keep_failed,
    }
}

/// Where a vendored project's staged install for `target` is (the `DESTDIR` root, so
/// `etc/NAME.conf`, `usr/share/NAME/…`), once `run` has built it. Image entries that copy
/// files out of a vendored project's install read from here.
pub fn staged_install(
    libraries: &[libs::LibOutcome],
    project: &str,
    target: Target,
) -> Option<PathBuf> {
    libraries
        .iter()
        .find(|o| o.name == project && o.target == target)
        .and_then(|o| o.staged.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendored_paths_are_read_under_their_install_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("share/v")).unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        let roots: BTreeMap<(String, Target), PathBuf> =
            [(("v".to_string(), Target::X86_64), dir.path().to_path_buf())].into();
        let at = |source: &str| vendor_installed_path(&roots, "v", Target::X86_64, source);
        assert_eq!(at("/etc/v.conf").unwrap().1, "etc/v.conf");
        // The staged install has the installed layout: `/usr/share/v` at `usr/share/v`.
        assert_eq!(at("/usr/share/v").unwrap().1, "usr/share/v");
        assert!(vendor_installed_path(&roots, "v", Target::Aarch64, "/etc/v.conf").is_err());
    }
}
