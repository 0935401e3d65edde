//! The build cache in `<cache>/builds/`: one verified artifact per (inputs key, target).
//! The key covers what is known before building (the exact command line, the sources'
//! contents, the toolchain fingerprint, library prefixes whose names carry their keys);
//! what is only known after (the headers a compiler read, from its depfile) is recorded in
//! the entry with each file's sha256 (named by the words its key uses for the checkout and
//! the cache, so an entry from another machine is checked against this one's files) and
//! checked on every lookup. A hit spawns nothing:
//! the artifact is copied into dist's staging, verified again, and renamed into place.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cache::remote::{Kind, Remote};
use crate::cache::{self, Cache};
use crate::context::Ctx;
use crate::error::{Error, OutputPlace, Result};
use crate::sys::key::{CacheKey, KeyKind, Places};
use crate::target::Target;

/// Bumped when what a key covers changes, so old entries are not reused.
pub(crate) const LOGIC: &str = "muslbuild-builds-1";

const ARTIFACT: &str = "artifact";
const DEPS: &str = "deps.json";

/// A file the build read, and its content's sha256 at the time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Dep {
    #[serde(with = "crate::cache::os_path")]
    pub(crate) path: PathBuf,
    pub(crate) sha256: String,
}

/// One artifact's entry in the build cache.
pub(crate) struct BuildEntry {
    dir: PathBuf,
    /// The cache it is in, which remembers the entries it found intact.
    cache: Cache,
    name: String,
    target: Target,
    /// Its name in the shared remote cache: the key with the artifact's name and target,
    /// as the local folder's name has them.
    remote_key: String,
    /// The folders its recorded files are named by, as its key names them: an entry made
    /// in one checkout and home is checked against the same files in another.
    places: Places,
}

impl BuildEntry {
    pub(crate) fn new(cache: &Cache, name: &str, target: Target, key: &str) -> BuildEntry {
        BuildEntry {
            dir: cache
                .dir("builds")
                .join(format!("{name}-{target}-{}", &key[..32])),
            cache: cache.clone(),
            name: name.to_string(),
            target,
            remote_key: CacheKey::new(KeyKind::RemoteBuild)
                .part("name", name)
                .part("target", target.name())
                .part("key", key)
                .finish(),
            places: Places::new(),
        }
    }

    /// The entry with the files it records named by `places`' words.
    pub(crate) fn with_places(mut self, places: Places) -> BuildEntry {
        self.places = places;
        self
    }

    /// `hello for aarch64`: what a wait on another process's build of it names.
    fn what(&self) -> String {
        format!("{} for {}", self.name, self.target)
    }

    /// Takes the entry from the shared remote cache when this machine has none and the
    /// remote has it (checked and published like a local one); its recorded inputs are
    /// then checked by `lookup_with_deps` as always.
    fn take_from_remote(&self, remote: &Remote) -> Result<()> {
        let _lock = self.cache.lock_entry(&self.dir, &self.what())?;
        if self.cache.is_complete(&self.dir) {
            return Ok(());
        }
        let is_build_record = |record: &str| record == LOGIC;
        remote.fetch(
            &self.cache,
            Kind::Build,
            &self.remote_key,
            &self.dir,
            &is_build_record,
        )?;
        Ok(())
    }

    /// Sends the published entry to the shared remote cache (when one is writable and
    /// lacks it); `toolchain` is what made it, for `cache ls --remote`.
    pub(crate) fn send_to_remote(&self, toolchain: &str, ctx: &Ctx) -> Result<()> {
        let Some(remote) = ctx.remote() else {
            return Ok(());
        };
        if !remote.writable() || !self.cache.is_complete(&self.dir) {
            return Ok(());
        }
        let annotations = [
            (
                "org.opencontainers.image.title",
                format!("{} for {}", self.name, self.target),
            ),
            ("muslbuild.artifact", self.name.clone()),
            ("muslbuild.target", self.target.name().to_string()),
            ("muslbuild.toolchain", toolchain.to_string()),
        ];
        remote.store(
            &self.cache,
            Kind::Build,
            &self.remote_key,
            &self.dir,
            &annotations,
        )
    }

    /// The cached artifact, if the entry is complete and every file it depends on still
    /// has the recorded contents, with those files (an object's source and headers, which
    /// the program's own entry records too).
    pub(crate) fn lookup_with_deps(&self) -> Option<(PathBuf, Vec<PathBuf>)> {
        if !self.cache.is_complete(&self.dir) {
            return None;
        }
        let deps: Vec<Dep> =
            serde_json::from_slice(&std::fs::read(self.dir.join(DEPS)).ok()?).ok()?;
        let deps = self.resolved(deps);
        for dep in &deps {
            if file_sha256(&dep.path).ok()? != dep.sha256 {
                return None;
            }
        }
        cache::mark_used(&self.dir);
        let paths = deps.into_iter().map(|d| d.path).collect();
        Some((self.dir.join(ARTIFACT), paths))
    }

    /// `lookup_with_deps`, after taking the entry from the shared remote cache when this
    /// machine has none.
    pub(crate) fn lookup_here_or_remote(
        &self,
        ctx: &Ctx,
    ) -> Result<Option<(PathBuf, Vec<PathBuf>)>> {
        let mut found = self.lookup_with_deps();
        if let Some(remote) = ctx.remote().filter(|_| found.is_none()) {
            self.take_from_remote(remote)?;
            found = self.lookup_with_deps();
        }
        Ok(found)
    }

    /// The files a complete entry records it was built from, with their sha256 (as
    /// `lookup` just checked them); empty when there is no record.
    pub(crate) fn recorded_deps(&self) -> Vec<Dep> {
        self.resolved(
            std::fs::read(self.dir.join(DEPS))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_default(),
        )
    }

    /// Recorded files at their paths on this machine.
    fn resolved(&self, deps: Vec<Dep>) -> Vec<Dep> {
        deps.into_iter()
            .map(|dep| Dep {
                path: self.places.resolve(&dep.path),
                sha256: dep.sha256,
            })
            .collect()
    }

    /// Records a verified artifact and what it was built from, replacing an older entry.
    pub(crate) fn store(&self, cache: &Cache, artifact: &Path, deps: &[PathBuf]) -> Result<()> {
        let mut recorded = Vec::new();
        for path in deps {
            // A file that vanished since the build (a generated header) cannot be
            // checked later: do not cache what could not be checked.
            let Ok(sha256) = file_sha256(path) else {
                return Ok(());
            };
            use std::os::unix::ffi::OsStringExt;
            recorded.push(Dep {
                path: PathBuf::from(std::ffi::OsString::from_vec(self.places.path(path))),
                sha256,
            });
        }
        recorded.sort_by(|a, b| a.path.cmp(&b.path));
        recorded.dedup();
        let _lock = cache.lock_entry(&self.dir, &self.what())?;
        let temp = cache.temp_dir("builds")?;
        let copy = temp.path().join(ARTIFACT);
        std::fs::copy(artifact, &copy).map_err(Error::io("cannot write", &copy))?;
        let deps_path = temp.path().join(DEPS);
        std::fs::write(
            &deps_path,
            serde_json::to_vec_pretty(&recorded).expect("deps serialise"),
        )
        .map_err(Error::io("cannot write", &deps_path))?;
        cache.publish_dir(temp, &self.dir, LOGIC)
    }

    /// On a hit (and unless the caller bypasses the cache), copies the cached artifact to
    /// `staged` and, under `-v`, says which command built it, so the command line stays
    /// visible on a warm build too; returns whether it did.
    pub(crate) fn restore_hit(
        &self,
        bypass: bool,
        staged: &Path,
        (name, target): (&str, Target),
        command: &str,
        ctx: &Ctx,
    ) -> Result<bool> {
        if bypass {
            return Ok(false);
        }
        match self.lookup_here_or_remote(ctx)?.map(|(file, _)| file) {
            Some(file) => {
                restore(&file, staged)?;
                ctx.ui.note(format_args!(
                    "{name} for {target} from the build cache, built by:\n  {command}"
                ));
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// Copies a cached artifact to `staged` (in dist's staging folder, so that installing
/// it is still a rename and dist never shares an inode with the cache).
pub(crate) fn restore(cached: &Path, staged: &Path) -> Result<()> {
    std::fs::copy(cached, staged).map_err(|e| {
        let size = std::fs::metadata(cached).map_or(0, |m| m.len());
        Error::write_output(OutputPlace::OutDir, staged)(e).needing(size)
    })?;
    Ok(())
}

/// Files whose mere presence in a Go package folder changes a build.
const SOURCE_EXTENSIONS: &[&str] = &[
    "go", "c", "h", "s", "S", "syso", "cc", "cpp", "cxx", "hh", "hpp", "m",
];

/// Whether a file's presence in a Go package folder can change a build.
pub(crate) fn is_source(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| SOURCE_EXTENSIONS.iter().any(|s| e == *s))
}

/// A file's content hash; for a folder, the hash of the sorted names of its source files,
/// so that a file added to a Go package folder (which no recorded file mentions) is
/// noticed, while `dist/` appearing beside them is not.
pub(crate) fn file_sha256(path: &Path) -> std::io::Result<String> {
    if path.is_dir() {
        let mut names: Vec<String> = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let path = entry?.path();
            if path
                .extension()
                .is_some_and(|e| SOURCE_EXTENSIONS.iter().any(|s| e == *s))
            {
                names.push(
                    path.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
        names.sort();
        return Ok(CacheKey::new(KeyKind::FolderSources)
            .list("names", names)
            .finish());
    }
    Ok(crate::sys::hash::sha256_hex(&std::fs::read(path)?))
}

/// The prerequisites in a Make-style depfile (`out.o: a.c a.h \` …), relative paths taken
/// from `cwd`, which is where the compiler ran.
pub(crate) fn parse_depfile(text: &[u8], cwd: &Path) -> Vec<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    // Bytes, not text: a path need not be UTF-8.
    let mut deps = Vec::new();
    let mut line_start = 0;
    let mut lines = Vec::new();
    let mut i = 0;
    let mut joined = Vec::with_capacity(text.len());
    while i < text.len() {
        match (text[i], text.get(i + 1), text.get(i + 2)) {
            (b'\\', Some(b'\n'), _) => {
                joined.push(b' ');
                i += 2;
            }
            (b'\\', Some(b'\r'), Some(b'\n')) => {
                joined.push(b' ');
                i += 3;
            }
            (b, ..) => {
                joined.push(b);
                i += 1;
            }
        }
    }
    for (n, &b) in joined.iter().enumerate() {
        if b == b'\n' {
            lines.push(&joined[line_start..n]);
            line_start = n + 1;
        }
    }
    lines.push(&joined[line_start..]);
    for line in lines {
        // The target is everything up to the first `: ` (a path may contain `:` itself).
        let Some(pos) = line.windows(2).position(|w| w == b": ") else {
            continue;
        };
        let mut word = Vec::new();
        let mut push = |word: &mut Vec<u8>| {
            if !word.is_empty() {
                deps.push(cwd.join(std::ffi::OsStr::from_bytes(&std::mem::take(word))));
            }
        };
        let rest = &line[pos + 2..];
        let mut k = 0;
        while k < rest.len() {
            match (rest[k], rest.get(k + 1)) {
                (b'\\', Some(b' ')) | (b'$', Some(b'$')) => {
                    word.push(rest[k + 1]);
                    k += 1;
                }
                (b' ' | b'\t' | b'\r', _) => push(&mut word),
                (b, _) => word.push(b),
            }
            k += 1;
        }
        push(&mut word);
    }
    deps.sort();
    deps.dedup();
    deps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_names_and_folder_sources_are_the_same_in_another_checkout_and_home() {
        let [a, b] = crate::sys::key::machines::two(|m| {
            m.write(&m.root, "cmd/server/main.go", "package main\n");
            m.write(&m.root, "cmd/server/util.go", "package main\n");
            m.write(&m.root, "cmd/server/README", "");
        });
        let remote = |m: &crate::sys::key::machines::Machine, key: &str| {
            BuildEntry::new(&m.ctx().cache, "server", Target::Aarch64, key).remote_key
        };
        let key = "0123456789abcdef".repeat(4);
        assert_eq!(remote(&a, &key), remote(&b, &key));
        assert_ne!(remote(&a, &key), remote(&a, &"f".repeat(64)));
        let folder = |m: &crate::sys::key::machines::Machine| {
            file_sha256(&m.root.join("cmd/server")).unwrap()
        };
        assert_eq!(folder(&a), folder(&b));
        a.write(&a.root, "cmd/server/extra.go", "package main\n");
        assert_ne!(folder(&a), folder(&b), "a source file added counts");
    }

    #[test]
    fn depfiles_parse_with_continuations_and_escapes() {
        let text = "/tmp/zig/x-a.o: a.c /usr/include/stdio.h \\\n  inc/my\\ header.h b.h\n";
        assert_eq!(
            parse_depfile(text.as_bytes(), Path::new("/w")),
            vec![
                PathBuf::from("/usr/include/stdio.h"),
                PathBuf::from("/w/a.c"),
                PathBuf::from("/w/b.h"),
                PathBuf::from("/w/inc/my header.h"),
            ]
        );
    }

    #[test]
    fn an_entry_from_another_checkout_and_home_is_checked_against_this_ones_files() {
        use crate::sys::key::machines::{self, Machine};
        let [a, b] = machines::two(|m| {
            m.write(&m.root, "src/a.h", "#define A 1\n");
            m.write(&m.home, "libs/z-1-x86_64-0123/include/z.h", "int z;\n");
        });
        let key = "0123456789abcdef".repeat(4);
        let entry = |m: &Machine| {
            let places = Places::new().root(&m.root).cache(&m.home);
            BuildEntry::new(&m.ctx().cache, "hello", Target::X86_64, &key).with_places(places)
        };
        let deps = |m: &Machine| {
            vec![
                m.root.join("src/a.h"),
                m.home.join("libs/z-1-x86_64-0123/include/z.h"),
            ]
        };
        let artifact = a.write(&a.root, "hello", "\x7fELF");
        entry(&a)
            .store(&a.ctx().cache, &artifact, &deps(&a))
            .unwrap();
        // B takes A's entry as the remote cache would hand it over.
        let (from, to) = (entry(&a).dir, entry(&b).dir);
        std::fs::create_dir_all(&to).unwrap();
        for file in std::fs::read_dir(&from).unwrap() {
            let file = file.unwrap();
            std::fs::copy(file.path(), to.join(file.file_name())).unwrap();
        }
        let (_, mut found) = entry(&b).lookup_with_deps().expect("a hit on B");
        found.sort();
        assert_eq!(found, deps(&b));
        b.write(&b.root, "src/a.h", "#define A 2\n");
        assert!(
            entry(&b).lookup_with_deps().is_none(),
            "B's own header counts"
        );
    }

    #[test]
    fn an_entry_is_a_hit_until_a_dependency_changes() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("cache"));
        let header = dir.path().join("a.h");
        std::fs::write(&header, "#define A 1\n").unwrap();
        let artifact = dir.path().join("hello");
        std::fs::write(&artifact, b"\x7fELF").unwrap();
        let key = CacheKey::new(KeyKind::Object).part("x", "x").finish();
        let entry = BuildEntry::new(&cache, "hello", Target::X86_64, &key);
        assert!(entry.lookup_with_deps().is_none());
        entry
            .store(&cache, &artifact, std::slice::from_ref(&header))
            .unwrap();
        let (hit, _) = entry.lookup_with_deps().unwrap();
        assert_eq!(std::fs::read(hit).unwrap(), b"\x7fELF");
        std::fs::write(&header, "#define A 2\n").unwrap();
        assert!(entry.lookup_with_deps().is_none());
        std::fs::remove_file(&header).unwrap();
        assert!(entry.lookup_with_deps().is_none());
    }
}
