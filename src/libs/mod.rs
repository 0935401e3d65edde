//! C libraries per target: recipes (data) -> verified sources -> one cached prefix per
//! (recipe, target, toolchain). A prefix's key hashes the recipe, its sources (or the
//! vendored folder's contents), the toolchain fingerprint, the target and its
//! dependencies' keys; a warm build only checks completion records and spawns nothing.
//! Targets build in parallel within the `-j` budget.

mod build;
mod build_env;
pub(crate) mod catalog;
pub(crate) mod commands;
pub(crate) mod emulate;
pub(crate) mod host;
mod identity;
mod job;
pub(crate) mod kheaders;
mod meson;
pub(crate) mod placeholder;
pub(crate) mod recipe;
mod remote;
pub(crate) mod source;
mod step;
pub(crate) mod symbols;
pub(crate) mod vendor;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

pub(crate) use catalog::Catalog;
pub(crate) use job::LibBuild;
pub(crate) use recipe::{BuildSystem, Recipe};

use crate::cache::{self, Cache};
use crate::context::Ctx;
use crate::error::Result;
use crate::sys::key::{CacheKey, KeyKind};
use crate::sys::progress;
use crate::target::Target;
use crate::toolchain::Toolchain;

/// What a build asks for: library names, and the vendored libraries it declares.
#[derive(Clone, Debug, Default)]
pub(crate) struct LibRequest {
    pub(crate) names: Vec<String>,
    pub(crate) vendored: Vec<Recipe>,
    /// `--source-dir`, then `MUSLBUILD_SOURCE_DIRS`.
    pub(crate) source_dirs: Vec<PathBuf>,
    /// `--keep-failed`: keep a failed build's whole tree and say where.
    pub(crate) keep_failed: bool,
}

impl LibRequest {
    pub(crate) fn catalog(&self) -> Catalog {
        Catalog::new(self.vendored.clone())
    }
}

/// What a consumer of the libraries needs for one target, in link order.
#[derive(Clone, Debug, Default)]
pub(crate) struct LinkSet {
    pub(crate) include_dirs: Vec<PathBuf>,
    pub(crate) lib_dirs: Vec<PathBuf>,
    /// `-l` names: dependents before their dependencies.
    pub(crate) libs: Vec<String>,
    pub(crate) prefixes: Vec<PathBuf>,
}

impl LinkSet {
    pub(crate) fn pkg_config_libdir(&self) -> String {
        let mut dirs = Vec::new();
        for p in &self.prefixes {
            dirs.push(p.join("lib/pkgconfig").display().to_string());
            dirs.push(p.join("share/pkgconfig").display().to_string());
        }
        dirs.join(":")
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub(crate) enum LibState {
    Built {
        seconds: f64,
    },
    Cached,
    /// Taken from the shared remote cache.
    Remote,
}

/// One line of the build report: a library for a target, built or taken from the cache.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct LibOutcome {
    /// `ncurses 6.4`, `greet (vendored)`.
    #[serde(skip)]
    pub(crate) label: String,
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) target: Target,
    pub(crate) toolchain: String,
    #[serde(flatten)]
    pub(crate) state: LibState,
    /// A library's prefix, or where a project's programs were installed (the runtime
    /// prefix inside its staged install).
    pub(crate) prefix: PathBuf,
    /// A project's staged install: the `DESTDIR` root (`usr/bin/…`, `etc/…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) staged: Option<PathBuf>,
    /// Whether a project's programs were linked stripped (`strip`, the default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stripped: Option<bool>,
    /// What an SBOM says of it.
    #[serde(skip)]
    pub(crate) component: crate::sbom::Component,
}

impl LibOutcome {
    pub(crate) fn line(&self) -> String {
        let what = match self.stripped {
            Some(_) => format!("project {}", self.label),
            None => format!("library {}", self.label),
        };
        let symbols = match self.stripped {
            Some(true) => ", stripped",
            Some(false) => ", not stripped",
            None => "",
        };
        match &self.state {
            LibState::Cached => format!("{what} for {}: cached{symbols}", self.target),
            LibState::Remote => format!("{what} for {}: from the remote cache", self.target),
            LibState::Built { seconds } => format!(
                "{what} for {}: built in {seconds:.1}s ({}{symbols})",
                self.target, self.toolchain
            ),
        }
    }
}

/// The result of preparing libraries for every target.
#[derive(Clone, Debug, Default)]
pub(crate) struct Prepared {
    /// Per toolchain, in the order given.
    pub(crate) link_sets: Vec<(Target, LinkSet)>,
    pub(crate) outcomes: Vec<LibOutcome>,
}

impl Prepared {
    /// Per target, the libraries a program linked with this set is made with (vendored
    /// projects apart: their programs are their own artifacts).
    pub(crate) fn components(&self) -> Vec<(Target, Vec<crate::sbom::Component>)> {
        self.components_where(|o| o.stripped.is_none())
    }

    /// Per target, a vendored project (with its folder's hash) and the libraries it
    /// declares: what its programs are made of.
    pub(crate) fn components_with_projects(&self) -> Vec<(Target, Vec<crate::sbom::Component>)> {
        self.components_where(|_| true)
    }

    fn components_where(
        &self,
        keep: impl Fn(&LibOutcome) -> bool,
    ) -> Vec<(Target, Vec<crate::sbom::Component>)> {
        self.link_sets
            .iter()
            .map(|(target, _)| {
                let linked = self
                    .outcomes
                    .iter()
                    .filter(|o| o.target == *target && keep(o))
                    .map(|o| o.component.clone())
                    .collect();
                (*target, linked)
            })
            .collect()
    }

    pub(crate) fn link_set(&self, target: Target) -> Option<&LinkSet> {
        self.link_sets
            .iter()
            .find(|(t, _)| *t == target)
            .map(|(_, s)| s)
    }
}

/// The jobs for one toolchain, dependencies first, with their keys and prefixes.
pub(crate) fn plan(
    catalog: &Catalog,
    names: &[String],
    toolchain: &Toolchain,
    cache: &Cache,
) -> Result<Vec<LibBuild>> {
    let recipes = catalog.closure(names)?;
    let mut jobs: Vec<LibBuild> = Vec::new();
    for recipe in recipes {
        // What this target builds: its own table added, the other targets' gone.
        let recipe = &recipe.for_target(toolchain.target);
        let content = match &recipe.path {
            Some(dir) => source::hash_folder(dir)?,
            None => String::new(),
        };
        let closure = catalog.closure(&recipe.deps)?;
        let dep_jobs: Vec<&LibBuild> = closure
            .iter()
            .map(|r| {
                jobs.iter()
                    .find(|j| j.recipe.name == r.name)
                    .expect("dependencies are planned first")
            })
            .collect();
        let output = if recipe.is_project() {
            job::Output::Programs
        } else {
            job::Output::Libraries
        };
        // What the build is made of, flags included: changing how libraries are compiled
        // (-fPIC) must not reuse a prefix built the old way.
        let flags = format!(
            "{}\n{}",
            job::cflags(toolchain, output).join(" "),
            // As cross_env links: with symbols, stripped after the library check.
            job::ldflags(toolchain, output, false).join(" ")
        );
        let (identity, inputs) = if recipe.is_project() {
            // A project's sources are not part of its key: its build tree stays
            // configured across edits (make sees them), and `programs` only chooses
            // what reaches dist/.
            (
                identity::recipe_identity(recipe, false),
                vendor::configure_inputs(recipe)?,
            )
        } else {
            let inputs = match &recipe.path {
                Some(_) => content.clone(),
                None => recipe
                    .sources
                    .iter()
                    .map(|s| s.sha256.to_ascii_lowercase())
                    .collect::<Vec<_>>()
                    .join(","),
            };
            (identity::recipe_identity(recipe, true), inputs)
        };
        let key = CacheKey::new(KeyKind::LibPrefix)
            .part("recipe", identity)
            .part("inputs", inputs)
            .part("flags", flags)
            .part("toolchain", &toolchain.fingerprint)
            .part("target", toolchain.target.name())
            .list("deps", dep_jobs.iter().map(|j| &j.key))
            .finish();
        let prefix = if recipe.is_project() {
            vendor::entry(cache, recipe, toolchain.target, &key)
        } else {
            cache.dir("libs").join(format!(
                "{}-{}-{}-{}",
                recipe.name,
                recipe.version,
                toolchain.target.name(),
                &key[..16]
            ))
        };
        let dep_libs = dep_jobs
            .iter()
            .rev()
            .flat_map(|j| j.recipe.link_names())
            .collect();
        jobs.push(LibBuild {
            recipe: recipe.clone(),
            toolchain: toolchain.clone(),
            key,
            prefix,
            dep_prefixes: dep_jobs.iter().map(|j| j.prefix.clone()).collect(),
            dep_names: dep_jobs.iter().map(|j| j.recipe.name.clone()).collect(),
            archives: Vec::new(),
            dep_libs,
            content,
        });
    }
    Ok(jobs)
}

/// Whether nothing needs to run: a library's prefix is complete; a project's staged
/// install was made from the folder's current contents.
fn is_current(cache: &Cache, job: &LibBuild) -> bool {
    if job.recipe.is_project() {
        vendor::is_current(cache, job)
    } else {
        cache.is_complete(&job.prefix)
    }
}

fn link_set(jobs: &[LibBuild]) -> LinkSet {
    let mut set = LinkSet::default();
    for job in jobs.iter().rev() {
        set.libs.extend(job.recipe.link_names());
    }
    for job in jobs.iter().filter(|j| !j.recipe.is_project()) {
        set.include_dirs.push(job.prefix.join("include"));
        set.lib_dirs.push(job.prefix.join("lib"));
        set.prefixes.push(job.prefix.clone());
    }
    set
}

/// Every source archive the request needs is obtained before any toolchain is looked
/// for: finding a missing archive after probing a cold zig for three targets took
/// minutes. Offline it must be at hand (the cache or a source folder); online it is
/// downloaded now instead of later, the same download said first when it fails. A
/// library that has a complete prefix for every target (of its name and version) is
/// built already and needs none; with a remote cache one may come built from there, so
/// online with one nothing is fetched ahead.
pub(crate) fn obtain_sources_first(
    request: &LibRequest,
    targets: &[Target],
    ctx: &Ctx,
) -> Result<()> {
    if request.names.is_empty() || (!ctx.net.offline && ctx.remote().is_some()) {
        return Ok(());
    }
    let catalog =
        source::with_sources_at_hand(request.catalog(), &request.source_dirs, &ctx.cache)?;
    for recipe in catalog.closure(&request.names)? {
        if recipe.path.is_some() || targets.iter().all(|&t| built_before(&ctx.cache, recipe, t)) {
            continue;
        }
        for spec in &recipe.sources {
            // Into the cache, where the later build finds it.
            source::obtain(&recipe.name, spec, &request.source_dirs, ctx)?;
        }
    }
    Ok(())
}

/// Whether the cache holds a complete prefix of `recipe` for `target`, whatever its key
/// (its folder is named `NAME-VERSION-TARGET-KEY`).
fn built_before(cache: &Cache, recipe: &Recipe, target: Target) -> bool {
    let stem = format!("{}-{}-{}-", recipe.name, recipe.version, target.name());
    std::fs::read_dir(cache.dir("libs")).is_ok_and(|entries| {
        entries.flatten().any(|entry| {
            entry.file_name().to_string_lossy().starts_with(&stem)
                && cache.is_complete(&entry.path())
        })
    })
}

/// Makes sure every requested library (and its dependencies) exists for every toolchain:
/// cached prefixes are taken as they are; the others are checked (host tools, sources)
/// before anything starts, then built, targets in parallel.
pub(crate) fn prepare(
    request: &LibRequest,
    toolchains: &[Toolchain],
    ctx: &Ctx,
) -> Result<Prepared> {
    let mut prepared = prepare_all(request, toolchains, ctx)?;
    // A source archive a Debian source package in a source folder lists (its `.dsc`)
    // is that package's, which its SBOM then says.
    let debian = source::debian_packages(&request.source_dirs);
    if !debian.is_empty() {
        for outcome in &mut prepared.outcomes {
            for source in &mut outcome.component.sources {
                source.debian = debian.get(&source.sha256).cloned();
            }
        }
    }
    Ok(prepared)
}

fn prepare_all(request: &LibRequest, toolchains: &[Toolchain], ctx: &Ctx) -> Result<Prepared> {
    let (env, cache) = (&ctx.env, &ctx.cache);
    let catalog = source::with_sources_at_hand(request.catalog(), &request.source_dirs, cache)?;
    let mut plans = Vec::new();
    for tc in toolchains {
        plans.push(plan(&catalog, &request.names, tc, cache)?);
    }
    let mut prepared = Prepared::default();
    for (tc, jobs) in toolchains.iter().zip(&plans) {
        prepared.link_sets.push((tc.target, link_set(jobs)));
    }

    let mut pending: Vec<Vec<LibBuild>> = Vec::new();
    for jobs in &plans {
        let mut todo: Vec<LibBuild> = Vec::new();
        for job in jobs {
            let state = if is_current(cache, job) {
                cache::mark_used(&job.prefix);
                // A warm machine fills an empty remote cache too (one HEAD when it has it).
                remote::send(job, ctx)?;
                LibState::Cached
            } else if remote::take(job, ctx)? {
                LibState::Remote
            } else {
                todo.push(job.clone());
                continue;
            };
            let outcome = outcome(job, state);
            report(&outcome, ctx);
            prepared.outcomes.push(outcome);
        }
        if !todo.is_empty() {
            pending.push(todo);
        }
    }
    if pending.is_empty() {
        return Ok(prepared);
    }

    let recipes: Vec<&Recipe> = pending.iter().flatten().map(|j| &j.recipe).collect();
    host::check_paths_for_builds(cache, &recipes)?;
    let host = host::check_host_tools(recipes.iter().copied(), env)?;
    meson::check_before_builds(pending.iter().flatten(), &host, ctx)?;
    for job in pending.iter().flatten() {
        vendor::check_buildable(&job.recipe)?;
    }
    emulate::check_required(ctx, pending.iter().flatten())?;
    for job in pending.iter_mut().flatten() {
        job.archives = job
            .recipe
            .sources
            .iter()
            .map(|s| source::obtain(&job.recipe.name, s, &request.source_dirs, ctx))
            .collect::<Result<_>>()?;
    }

    let active = AtomicUsize::new(pending.len());
    let board = progress::Board::new(ctx.ui);
    let failed = AtomicBool::new(false);
    let results: Vec<Result<Vec<LibOutcome>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pending
            .iter()
            .map(|jobs| {
                let (host, failed, active, board) = (&host, &failed, &active, &board);
                scope.spawn(move || {
                    let line = board.line(jobs[0].target().name());
                    let run = step::TargetRun {
                        ctx,
                        host,
                        active,
                        keep_failed: request.keep_failed,
                        progress: &line,
                    };
                    let outcomes = build_chain(jobs, &run, board, failed);
                    // The other targets' share of -j grows when this one is done.
                    active.fetch_sub(1, Ordering::Relaxed);
                    outcomes
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("library build thread panicked"))
            .collect()
    });
    for result in results {
        prepared.outcomes.extend(result?);
    }
    Ok(prepared)
}

/// One target's builds in order, dependencies first; stops when any target failed.
fn build_chain(
    jobs: &[LibBuild],
    run: &step::TargetRun<'_>,
    board: &progress::Board,
    failed: &AtomicBool,
) -> Result<Vec<LibOutcome>> {
    let mut outcomes = Vec::new();
    for job in jobs {
        if failed.load(Ordering::Relaxed) {
            break;
        }
        let runs = match job.recipe.build {
            BuildSystem::Meson => "ninja",
            _ => "make",
        };
        board.println(&format!(
            "muslbuild: building {} for {} ({}, {runs} -j{}); logs in {}",
            job.recipe.subject(),
            job.target(),
            job.toolchain.label(),
            run.make_jobs(),
            job.log_dir(&run.ctx.cache).display()
        ));
        let start = Instant::now();
        let built = if job.recipe.is_project() {
            vendor::build(job, run)
        } else {
            build::build(job, run)
        };
        let state = match built {
            Ok(true) => {
                let seconds = start.elapsed().as_secs_f64();
                remote::send(job, run.ctx)?;
                LibState::Built { seconds }
            }
            Ok(false) => LibState::Cached,
            Err(err) => {
                failed.store(true, Ordering::Relaxed);
                return Err(err);
            }
        };
        let outcome = outcome(job, state);
        board.println(&format!("muslbuild: {}", outcome.line()));
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

fn outcome(job: &LibBuild, state: LibState) -> LibOutcome {
    LibOutcome {
        label: job.recipe.label(),
        name: job.recipe.name.clone(),
        version: job.recipe.version.clone(),
        target: job.target(),
        toolchain: job.toolchain.label(),
        state,
        prefix: if job.recipe.is_project() {
            vendor::install_root(&job.prefix)
                .join(job.recipe.runtime_prefix().trim_start_matches('/'))
        } else {
            job.prefix.clone()
        },
        staged: job
            .recipe
            .is_project()
            .then(|| vendor::install_root(&job.prefix)),
        stripped: job.recipe.is_project().then_some(job.recipe.strip),
        component: component(job),
    }
}

/// The recipe's hash as an SBOM names it: without the folder a vendored one was read
/// from (its content hash stands for it), so two checkouts give the same SBOM.
fn recipe_sha256(recipe: &Recipe) -> String {
    let mut portable = recipe.clone();
    if portable.path.is_some() {
        portable.path = None;
        portable.description.clear();
    }
    crate::sys::hash::sha256_hex(&serde_json::to_vec(&portable).expect("a recipe serialises"))
}

fn component(job: &LibBuild) -> crate::sbom::Component {
    let recipe = &job.recipe;
    crate::sbom::Component {
        name: recipe.name.clone(),
        version: recipe.version.clone(),
        license: recipe.license.clone(),
        supplier: recipe.supplier.clone(),
        sources: recipe
            .sources
            .iter()
            .map(|s| crate::sbom::Source {
                url: s.urls.first().cloned(),
                sha256: s.sha256.clone(),
                debian: None,
            })
            .collect(),
        recipe_sha256: recipe_sha256(recipe),
        tree_sha256: (!job.content.is_empty()).then(|| job.content.clone()),
    }
}

fn report(outcome: &LibOutcome, ctx: &Ctx) {
    ctx.ui.status(outcome.line());
}

/// What a path inside the cache (`below`: relative to its root) belongs to, as a
/// message says it: a library's prefix or build tree, a vendored project's build tree or
/// staged install — named from the entry's own record, so a leaked setting
/// (`--openssldir={prefix}/ssl`) points at the library that has it.
pub(crate) fn cache_origin(cache: &Cache, below: &str) -> String {
    let mut parts = below.split('/');
    let (kind, entry, inside) = (parts.next(), parts.next(), parts.next());
    let recorded_name = |record: PathBuf| -> Option<String> {
        let bytes = std::fs::read(record.join(cache::COMPLETE)).ok()?;
        let record: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
        record["name"].as_str().map(str::to_string)
    };
    match (kind, entry) {
        (Some("libs"), Some(entry)) if entry.starts_with(".tmp") => {
            "the temporary build tree of a library".into()
        }
        (Some("libs"), Some(entry)) => match recorded_name(cache.dir("libs").join(entry)) {
            Some(name) => format!("the prefix of library {name}"),
            None => format!("the cache's libs/{entry}"),
        },
        (Some("vendor"), Some(entry)) => {
            let folder = cache.dir("vendor").join(entry);
            let what = match inside {
                Some("install") => "the staged install",
                _ => "the build tree",
            };
            match recorded_name(vendor::install_root(&folder)) {
                Some(name) => format!("{what} of vendored project {name}"),
                None => format!("{what} in the cache's vendor/{entry}"),
            }
        }
        _ => "the muslbuild cache".into(),
    }
}

/// Fails early, with the known names, if a requested library does not exist.
pub(crate) fn check_names(request: &LibRequest) -> Result<()> {
    request.catalog().closure(&request.names).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::key::machines::{self, Machine};

    fn toolchain(target: Target, fingerprint: &str) -> Toolchain {
        Toolchain::musl_gcc_for_tests(target, fingerprint)
    }

    #[test]
    fn keys_depend_on_target_toolchain_and_dependencies() {
        let cache = Cache::new(PathBuf::from("/c"));
        let catalog = Catalog::new(Vec::new());
        let names = vec!["readline".to_string()];
        let a = plan(&catalog, &names, &toolchain(Target::X86_64, "f1"), &cache).unwrap();
        let b = plan(&catalog, &names, &toolchain(Target::X86_64, "f1"), &cache).unwrap();
        let c = plan(&catalog, &names, &toolchain(Target::X86_64, "f2"), &cache).unwrap();
        let d = plan(&catalog, &names, &toolchain(Target::Aarch64, "f1"), &cache).unwrap();
        assert_eq!(
            a.iter().map(|j| &j.recipe.name).collect::<Vec<_>>(),
            ["ncurses", "readline"]
        );
        assert_eq!(a[1].key, b[1].key);
        assert_ne!(a[1].key, c[1].key);
        assert_ne!(a[1].key, d[1].key);
        assert_eq!(a[1].dep_prefixes, vec![a[0].prefix.clone()]);
        assert!(a[1].prefix.starts_with("/c/libs"));

        // A changed dependency changes its dependents' keys.
        let mut patched = catalog.get("ncurses").unwrap().clone();
        patched.configure.args.push("--enable-something".into());
        let e = plan(
            &Catalog::new(vec![patched]),
            &names,
            &toolchain(Target::X86_64, "f1"),
            &cache,
        )
        .unwrap();
        assert_ne!(a[1].key, e[1].key);
    }

    /// A `[lib.myz]` library and a `[vendor.tool]` project from folders of a checkout,
    /// planned with a machine's cache: (library key, its prefix as keys name it,
    /// project key, its entry as keys name it).
    fn vendored_on(m: &Machine) -> (String, Vec<u8>, String, Vec<u8>) {
        let zlib = Catalog::new(Vec::new()).get("zlib").unwrap().clone();
        let myz = Recipe {
            name: "myz".into(),
            sources: Vec::new(),
            path: Some(m.root.join("vendor/myz")),
            ..zlib.clone()
        };
        let tool = Recipe {
            name: "tool".into(),
            sources: Vec::new(),
            path: Some(m.root.join("vendor/tool")),
            deps: vec!["myz".into()],
            build: BuildSystem::Configure,
            exports: recipe::Exports {
                programs: vec!["tool".into()],
                ..Default::default()
            },
            ..zlib
        };
        let catalog = Catalog::new(vec![myz, tool]);
        let cache = m.ctx().cache;
        let jobs = plan(
            &catalog,
            &["tool".into()],
            &toolchain(Target::X86_64, "f"),
            &cache,
        )
        .unwrap();
        let places = crate::sys::key::Places::new().root(&m.root).cache(&m.home);
        (
            jobs[0].key.clone(),
            places.path(&jobs[0].prefix),
            jobs[1].key.clone(),
            places.path(&jobs[1].prefix),
        )
    }

    #[test]
    fn folder_libraries_and_projects_are_keyed_the_same_in_another_checkout_and_home() {
        let [a, b] = machines::two(|m| {
            m.write(&m.root, "vendor/myz/zlib.c", "int z;\n");
            m.write(&m.root, "vendor/tool/configure", "#!/bin/sh\n");
            m.write(
                &m.root,
                "vendor/tool/tool.c",
                "int main(void) { return 0; }\n",
            );
        });
        let (lib_a, prefix_a, project_a, tree_a) = vendored_on(&a);
        let (lib_b, prefix_b, project_b, tree_b) = vendored_on(&b);
        assert_eq!(lib_a, lib_b);
        assert_eq!(prefix_a, prefix_b);
        assert_eq!(project_a, project_b);
        // A project's configured tree reads its folder in place: each checkout has its own.
        assert_ne!(tree_a, tree_b);
        // The library's sources count, through their content; the project's configure
        // script does.
        a.write(&a.root, "vendor/myz/zlib.c", "int z = 1;\n");
        let (lib_edited, _, project_after_lib, _) = vendored_on(&a);
        assert_ne!(lib_edited, lib_a);
        assert_ne!(project_after_lib, project_a, "a dependency's key counts");
        a.write(&a.root, "vendor/tool/configure", "#!/bin/sh\nexit 0\n");
        assert_ne!(vendored_on(&a).2, project_after_lib);
    }

    #[test]
    fn a_targets_table_is_part_of_that_targets_key_only() {
        let cache = Cache::new(PathBuf::from("/c"));
        let names = vec!["zlib".to_string()];
        let key = |catalog: &Catalog, target: Target| {
            plan(catalog, &names, &toolchain(target, "f"), &cache).unwrap()[0]
                .key
                .clone()
        };
        let plain = Catalog::new(Vec::new());
        let mut zlib = plain.get("zlib").unwrap().clone();
        // No table serialises as before tables existed: keys of old prefixes still hold.
        assert!(!serde_json::to_string(&zlib).unwrap().contains("\"target\""));
        zlib.target.insert(
            Target::Armv7,
            recipe::TargetSettings {
                cflags: vec!["-mno-unaligned-access".into()],
                ..Default::default()
            },
        );
        let with_armv7 = Catalog::new(vec![zlib]);
        assert_eq!(
            key(&plain, Target::Aarch64),
            key(&with_armv7, Target::Aarch64)
        );
        assert_ne!(key(&plain, Target::Armv7), key(&with_armv7, Target::Armv7));
        let jobs = plan(&with_armv7, &names, &toolchain(Target::Armv7, "f"), &cache).unwrap();
        assert_eq!(jobs[0].recipe.cflags, ["-mno-unaligned-access"]);
        assert!(jobs[0].recipe.target.is_empty());
    }

    #[test]
    fn a_path_in_the_cache_is_named_after_the_entry_it_is_in() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let entry = cache.dir("libs").join("openssl-3.0.17-x86_64-0123");
        std::fs::create_dir_all(&entry).unwrap();
        std::fs::write(entry.join(cache::COMPLETE), r#"{"name": "openssl"}"#).unwrap();
        let install = vendor::install_root(&cache.dir("vendor").join("tool-armv7-4567"));
        std::fs::create_dir_all(&install).unwrap();
        std::fs::write(install.join(cache::COMPLETE), r#"{"name": "tool"}"#).unwrap();
        let origin = |below: &str| cache_origin(&cache, below);
        assert_eq!(
            origin("libs/openssl-3.0.17-x86_64-0123/ssl/cert.pem"),
            "the prefix of library openssl"
        );
        assert_eq!(
            origin("libs/gone-1-x86_64-89ab/x"),
            "the cache's libs/gone-1-x86_64-89ab"
        );
        assert_eq!(
            origin("libs/.tmp-12-abc/src/x.c"),
            "the temporary build tree of a library"
        );
        assert_eq!(
            origin("vendor/tool-armv7-4567/build/data"),
            "the build tree of vendored project tool"
        );
        assert_eq!(
            origin("vendor/tool-armv7-4567/install/usr/share/tool"),
            "the staged install of vendored project tool"
        );
        assert_eq!(origin("builds/x"), "the muslbuild cache");
    }

    #[test]
    fn link_order_puts_dependents_first() {
        let cache = Cache::new(PathBuf::from("/c"));
        let jobs = plan(
            &Catalog::new(Vec::new()),
            &["readline".into()],
            &toolchain(Target::Armv7, "f"),
            &cache,
        )
        .unwrap();
        let set = link_set(&jobs);
        assert_eq!(set.libs, ["readline", "history", "ncursesw", "tinfow"]);
        assert_eq!(set.include_dirs.len(), 2);
    }
}
