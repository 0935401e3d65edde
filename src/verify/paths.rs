//! Build-machine folders inside an artifact's bytes: a path into the cache, the project,
//! the temporary folder or the home folder exists only where the program was built, so
//! a program that opens it (a CA bundle under a library's prefix, a data folder under
//! the checkout) fails in a FROM scratch image. Pure: the caller says which folders, and
//! what a hit inside the cache is.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What a scanned folder is, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FolderKind {
    Cache,
    Project,
    Temporary,
    Home,
}

impl FolderKind {
    fn describe(self) -> &'static str {
        match self {
            FolderKind::Cache => "the muslbuild cache",
            FolderKind::Project => "the project folder",
            FolderKind::Temporary => "the temporary folder",
            FolderKind::Home => "the home folder",
        }
    }
}

/// A folder of the build machine that no artifact should name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Folder {
    pub(crate) path: PathBuf,
    pub(crate) kind: FolderKind,
}

/// Folders programs name at run time (`/tmp/x.sock`, `/usr/share/…`), or so short that
/// a run-time path could start with them: not scanned, even when a build folder is one.
const RUNTIME_FOLDERS: &[&str] = &[
    "/var/tmp",
    "/var/lib",
    "/var/cache",
    "/var/run",
    "/usr/local",
    "/usr/lib",
    "/usr/share",
    "/usr/src",
    "/dev/shm",
];

/// What the tail checks every artifact for: the folders, and whether a hit is an error.
#[derive(Clone, Debug, Default)]
pub(crate) struct PathCheck {
    folders: Vec<Folder>,
    /// `--strict`: a hit is an error, not a warning.
    pub(crate) strict: bool,
}

impl PathCheck {
    /// The folders worth scanning for among `candidates`: absolute, at least two deep,
    /// not a folder programs name at run time (`/tmp`, `/root`, `/usr/local` are not
    /// scanned; `/tmp/build-1`, `/home/al/.cache/muslbuild` are). A folder reached
    /// through a link is scanned under both names.
    pub(crate) fn new(candidates: Vec<Folder>, strict: bool) -> PathCheck {
        let mut folders: Vec<Folder> = Vec::new();
        for folder in candidates {
            let real = std::fs::canonicalize(&folder.path).ok();
            for path in std::iter::once(folder.path.clone()).chain(real) {
                if is_specific(&path) && !folders.iter().any(|f| f.path == path) {
                    folders.push(Folder {
                        path,
                        kind: folder.kind,
                    });
                }
            }
        }
        PathCheck { folders, strict }
    }

    /// The build machine's folders: the cache, the project (or the folder a build of
    /// single files runs in), the temporary folder and the home folder.
    pub(crate) fn of_machine(
        env: &crate::env::Env,
        cache_root: &Path,
        project: &Path,
        strict: bool,
    ) -> PathCheck {
        let mut candidates = vec![
            Folder {
                path: cache_root.to_path_buf(),
                kind: FolderKind::Cache,
            },
            Folder {
                path: project.to_path_buf(),
                kind: FolderKind::Project,
            },
            Folder {
                path: env.temp_dir(),
                kind: FolderKind::Temporary,
            },
        ];
        candidates.extend(env.home().map(|path| Folder {
            path,
            kind: FolderKind::Home,
        }));
        PathCheck::new(candidates, strict)
    }

    pub(crate) fn folders(&self) -> &[Folder] {
        &self.folders
    }
}

fn is_specific(path: &Path) -> bool {
    let text = path.to_string_lossy();
    path.is_absolute()
        && path.components().count() >= 3
        && !text.contains(char::is_whitespace)
        && !RUNTIME_FOLDERS
            .iter()
            .any(|f| text.trim_end_matches('/') == *f)
}

/// One string in an artifact that names a build-machine folder, and where it points:
/// what the manifest records and `verify` reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildPath {
    /// The string as it is in the file (up to the first byte that ends a path).
    pub string: String,
    /// What it points into: `library openssl`, `the project folder`…
    pub origin: String,
}

/// A string found, with the folder it starts with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Hit<'a> {
    pub(crate) string: String,
    pub(crate) folder: &'a Folder,
}

impl Hit<'_> {
    /// The string below its folder (`libs/openssl-3.0.17-x86_64-…/ssl`), for the caller
    /// that knows the cache's layout.
    pub(crate) fn below_folder(&self) -> &str {
        let root = self.folder.path.to_string_lossy();
        self.string
            .get(root.trim_end_matches('/').len()..)
            .unwrap_or("")
            .trim_start_matches('/')
    }

    pub(crate) fn folder_description(&self) -> &'static str {
        self.folder.kind.describe()
    }
}

/// The longest a reported string gets: a path is rarely longer, and a run of path-like
/// bytes that is longer says enough by then.
const MAX_STRING: usize = 240;

/// Every distinct string of an ELF file's loaded bytes (what the loader maps: a path the
/// program can open is there, debug information and `.comment` are not) that starts
/// with one of the folders as a whole path (`/home/al/proj` matches `/home/al/proj/data`
/// and `/home/al/proj`, not `/home/al/project`); a string inside nested folders is the
/// innermost folder's. A file that is not ELF is scanned whole.
pub(crate) fn scan<'a>(bytes: &[u8], folders: &'a [Folder]) -> Vec<Hit<'a>> {
    let mut hits: Vec<Hit<'a>> = Vec::new();
    for range in loaded(bytes) {
        for hit in scan_range(&bytes[range], folders) {
            if !hits.iter().any(|h| h.string == hit.string) {
                hits.push(hit);
            }
        }
    }
    hits.sort_by(|a, b| a.string.cmp(&b.string));
    hits
}

/// The file ranges of the loadable segments, or the whole file when it is no ELF.
fn loaded(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    use object::{Object, ObjectSegment};
    let Ok(file) = object::File::parse(bytes) else {
        return std::iter::once(0..bytes.len()).collect();
    };
    file.segments()
        .filter_map(|segment| {
            let (offset, size) = segment.file_range();
            let start = usize::try_from(offset).ok()?;
            let end = start.checked_add(usize::try_from(size).ok()?)?;
            (end <= bytes.len() && start < end).then_some(start..end)
        })
        .collect()
}

fn scan_range<'a>(bytes: &[u8], folders: &'a [Folder]) -> Vec<Hit<'a>> {
    let mut starts: Vec<(usize, &Folder)> = Vec::new();
    for folder in folders {
        let needle = folder.path.to_string_lossy();
        let needle = needle.trim_end_matches('/');
        for at in memchr::memmem::find_iter(bytes, needle.as_bytes()) {
            let after = bytes.get(at + needle.len()).copied();
            if after.is_some_and(continues_a_name) {
                continue;
            }
            match starts.iter_mut().find(|(s, _)| *s == at) {
                Some(found) if found.1.path.as_os_str().len() < folder.path.as_os_str().len() => {
                    found.1 = folder
                }
                Some(_) => {}
                None => starts.push((at, folder)),
            }
        }
    }
    starts.sort_by_key(|(at, _)| *at);
    let mut hits: Vec<Hit<'a>> = Vec::new();
    for (at, folder) in starts {
        let end = bytes[at..]
            .iter()
            .position(|&b| !is_path_byte(b))
            .map_or(bytes.len(), |n| at + n)
            .min(at + MAX_STRING);
        let string = String::from_utf8_lossy(&bytes[at..end]).into_owned();
        if !hits.iter().any(|h| h.string == string) {
            hits.push(Hit { string, folder });
        }
    }
    hits
}

/// A byte that would make the folder's last name longer (`proj` → `project`).
fn continues_a_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._-+~".contains(&b)
}

/// A byte a path string in a program holds: printable, no space or quote (which end it
/// inside a flags string such as OpenSSL's `compiler: … -I/home/al/…`).
fn is_path_byte(b: u8) -> bool {
    b.is_ascii_graphic() && !b"\"'`<>|;,".contains(&b)
}

/// The strings of `found`, a few of them, for a one-line message.
pub(crate) fn summary(found: &[BuildPath]) -> String {
    const SHOWN: usize = 3;
    let mut parts: Vec<String> = found
        .iter()
        .take(SHOWN)
        .map(|p| format!("`{}` ({})", p.string, p.origin))
        .collect();
    if found.len() > SHOWN {
        parts.push(format!("and {} more", found.len() - SHOWN));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(path: &str, kind: FolderKind) -> Folder {
        Folder {
            path: PathBuf::from(path),
            kind,
        }
    }

    #[test]
    fn finds_whole_folders_and_the_innermost_one() {
        let folders = [
            folder("/home/al", FolderKind::Home),
            folder("/home/al/.cache/muslbuild", FolderKind::Cache),
            folder("/home/al/proj", FolderKind::Project),
        ];
        let bytes = b"\0/home/al/.cache/muslbuild/libs/ssl-3-x86_64-ab/ssl/cert.pem\0\
compiler: cc -I/home/al/proj/include -O2\0/home/al/project/x\0/home/alice\0\
/home/al/proj\0/home/al/proj/data\"x\0/home/al/.cache/muslbuild/libs/ssl-3-x86_64-ab/ssl/cert.pem\0";
        let hits = scan(bytes, &folders);
        let found: Vec<(&str, FolderKind)> = hits
            .iter()
            .map(|h| (h.string.as_str(), h.folder.kind))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "/home/al/.cache/muslbuild/libs/ssl-3-x86_64-ab/ssl/cert.pem",
                    FolderKind::Cache
                ),
                ("/home/al/proj", FolderKind::Project),
                ("/home/al/proj/data", FolderKind::Project),
                ("/home/al/proj/include", FolderKind::Project),
                ("/home/al/project/x", FolderKind::Home),
            ]
        );
        assert_eq!(hits[0].below_folder(), "libs/ssl-3-x86_64-ab/ssl/cert.pem");
    }

    /// A 64-bit little-endian ELF whose one PT_LOAD maps `loaded`; `unloaded` follows it
    /// in the file, as debug information does.
    fn elf(loaded: &[u8], unloaded: &[u8]) -> Vec<u8> {
        let mut file = vec![0u8; 64 + 56];
        file[..7].copy_from_slice(b"\x7fELF\x02\x01\x01");
        let mut put = |at: usize, value: u64, width: usize| {
            file[at..at + width].copy_from_slice(&value.to_le_bytes()[..width]);
        };
        put(16, 2, 2); // ET_EXEC
        put(18, 62, 2); // EM_X86_64
        put(20, 1, 4);
        put(32, 64, 8); // e_phoff
        put(52, 64, 2);
        put(54, 56, 2);
        put(56, 1, 2); // one program header
        put(58, 64, 2);
        put(64, 1, 4); // PT_LOAD
        put(68, 4, 4);
        put(72, 120, 8); // p_offset
        put(80, 0x400000, 8);
        put(88, 0x400000, 8);
        put(96, loaded.len() as u64, 8);
        put(104, loaded.len() as u64, 8);
        put(112, 0x1000, 8);
        file.extend_from_slice(loaded);
        file.extend_from_slice(unloaded);
        file
    }

    #[test]
    fn only_what_the_loader_maps_is_scanned() {
        let folders = [folder("/home/al/proj", FolderKind::Project)];
        let file = elf(
            b"\0/home/al/proj/data/words\0",
            b"\0/home/al/proj/src/main.c\0(debug info)",
        );
        let hits = scan(&file, &folders);
        let found: Vec<&str> = hits.iter().map(|h| h.string.as_str()).collect();
        assert_eq!(found, ["/home/al/proj/data/words"]);
    }

    #[test]
    fn folders_programs_name_at_run_time_are_not_scanned() {
        let check = PathCheck::new(
            [
                "/tmp",
                "/root",
                "/",
                "/usr/local",
                "/var/tmp/",
                "relative/x",
                "/tmp/build 1",
            ]
            .iter()
            .map(|p| folder(p, FolderKind::Temporary))
            .chain([folder("/tmp/build-1", FolderKind::Temporary)])
            .collect(),
            false,
        );
        let paths: Vec<&Path> = check.folders().iter().map(|f| f.path.as_path()).collect();
        assert_eq!(paths, [Path::new("/tmp/build-1")]);
        let bytes = b"/tmp/x.sock\0/root/.profile\0/usr/local/share\0/tmp/build-1/a.c\0";
        let hits = scan(bytes, check.folders());
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].string, "/tmp/build-1/a.c");
    }

    #[test]
    fn a_summary_names_a_few_and_counts_the_rest() {
        let found: Vec<BuildPath> = (0..5)
            .map(|i| BuildPath {
                string: format!("/b/{i}"),
                origin: "the project folder".into(),
            })
            .collect();
        let text = summary(&found);
        assert!(
            text.starts_with("`/b/0` (the project folder), `/b/1`"),
            "{text}"
        );
        assert!(text.ends_with("and 2 more"), "{text}");
    }
}
