//! Cache keys you can read: a kind with its version, then named parts, hashed by the one
//! SHA-256. A reader can say which part made two builds miss each other, a change to how
//! an entry is made bumps its kind's version alone, and no two part lists hash alike.

use std::path::Path;

use crate::sys::hash::Hasher;

/// Every kind of keyed entry or record, each with its own version: bump it when what the
/// entry holds changes for the same parts, so old entries are simply not found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// A compiled C object (`builds/<name>.o-…`).
    Object,
    /// A C program compiled and linked in one command.
    CProgram,
    /// A C program linked from cached objects.
    CLink,
    /// A Go program (`go build`).
    GoProgram,
    /// A build entry's name in the remote cache.
    RemoteBuild,
    /// The source files a folder holds (by name), for a Go package folder's record.
    FolderSources,
    /// A library's (or vendored project's) installed prefix.
    LibPrefix,
    /// A vendored project's configured build tree on this machine: its prefix's key and
    /// the folder it is configured from.
    VendorTree,
    /// A vendored project's staged install as the shared remote cache names it: its
    /// configure key and its folder's content.
    VendorInstall,
    /// A library recipe as it decides a build.
    Recipe,
    /// One architecture's unpacked kernel headers.
    KernelHeaders,
    /// zig's prebuilt libc for a target.
    ZigLibc,
    /// The armv5 atomics support archive.
    SupportArchive,
    /// A toolchain's fingerprint: its probe identity and version.
    Fingerprint,
    /// A fingerprint with pinned kernel headers.
    WithKernelHeaders,
    /// A fingerprint with its support archive.
    WithSupport,
    /// What a C compiler probe probes (its record's name).
    ProbeIdentity,
    /// The check binding a C probe record to its identity.
    ProbeCheck,
    /// What a Go probe probes (its record's name).
    GoProbeIdentity,
    /// The check binding a Go probe record to its name.
    GoProbeCheck,
    /// The check of a one-line record in `probes/`.
    RecordCheck,
    /// A program's path and stamp, naming a record about it in `probes/`.
    ProgramStamp,
    /// An OCI image made from `dist/`.
    Image,
    /// The files an image adds beside the artifacts, per platform.
    ImageExtras,
}

impl KeyKind {
    fn name(self) -> &'static str {
        match self {
            KeyKind::Object => "object",
            KeyKind::CProgram => "c-program",
            KeyKind::CLink => "c-link",
            KeyKind::GoProgram => "go-program",
            KeyKind::RemoteBuild => "remote-build",
            KeyKind::FolderSources => "folder-sources",
            KeyKind::LibPrefix => "lib-prefix",
            KeyKind::VendorTree => "vendor-tree",
            KeyKind::VendorInstall => "vendor-install",
            KeyKind::Recipe => "recipe",
            KeyKind::KernelHeaders => "kernel-headers",
            KeyKind::ZigLibc => "zig-libc",
            KeyKind::SupportArchive => "support-archive",
            KeyKind::Fingerprint => "fingerprint",
            KeyKind::WithKernelHeaders => "with-kernel-headers",
            KeyKind::WithSupport => "with-support",
            KeyKind::ProbeIdentity => "probe-identity",
            KeyKind::ProbeCheck => "probe-check",
            KeyKind::GoProbeIdentity => "go-probe-identity",
            KeyKind::GoProbeCheck => "go-probe-check",
            KeyKind::RecordCheck => "record-check",
            KeyKind::ProgramStamp => "program-stamp",
            KeyKind::Image => "image",
            KeyKind::ImageExtras => "image-extras",
        }
    }

    fn version(self) -> u32 {
        match self {
            // Bumped when the way muslbuild builds libraries changes, so old prefixes
            // are not reused (3 was the last of the positional keys; 5: no folder of the
            // machine, a folder's library by its content).
            KeyKind::LibPrefix => 5,
            // 3: no folder of the checkout, the home or the compiler's install (`Places`).
            KeyKind::Object | KeyKind::CProgram | KeyKind::CLink | KeyKind::GoProgram => 3,
            // 3: the compiler by its content, not its path; 4: a gcc's parts too.
            // Probe records hold a fingerprint, so the old ones are probed again.
            KeyKind::Fingerprint | KeyKind::ProbeIdentity => 4,
            // 3: whether a recipe builds from a folder, not where that folder is.
            KeyKind::Recipe => 3,
            KeyKind::VendorTree | KeyKind::VendorInstall => 1,
            KeyKind::RemoteBuild
            | KeyKind::FolderSources
            | KeyKind::KernelHeaders
            | KeyKind::ZigLibc
            | KeyKind::SupportArchive
            | KeyKind::WithKernelHeaders
            | KeyKind::WithSupport
            | KeyKind::ProbeCheck
            | KeyKind::GoProbeIdentity
            | KeyKind::GoProbeCheck
            | KeyKind::RecordCheck
            | KeyKind::ProgramStamp
            | KeyKind::Image
            | KeyKind::ImageExtras => 2,
        }
    }
}

// One byte before each element says what it is; with every name and value
// length-prefixed, the encoding is prefix-free: two different part lists never feed the
// hasher the same bytes.
const PART: u8 = 1;
const LIST: u8 = 2;
const GROUP: u8 = 3;
const GROUP_END: u8 = 4;

/// A key being built: `CacheKey::new(KeyKind::Object).part("target", "aarch64")…finish()`.
#[must_use]
pub(crate) struct CacheKey(Hasher);

impl CacheKey {
    pub(crate) fn new(kind: KeyKind) -> CacheKey {
        CacheKey(Hasher::new())
            .part("muslbuild-cache-key", kind.name())
            .part("version", kind.version().to_string())
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.0.update(&(bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    /// One named value.
    pub(crate) fn part(mut self, name: &str, value: impl AsRef<[u8]>) -> CacheKey {
        self.0.update(&[PART]);
        self.bytes(name.as_bytes());
        self.bytes(value.as_ref());
        self
    }

    /// A named yes or no.
    pub(crate) fn flag(self, name: &str, value: bool) -> CacheKey {
        self.part(name, if value { "yes" } else { "no" })
    }

    /// A named value that may be absent (absent and empty differ).
    pub(crate) fn maybe(self, name: &str, value: Option<impl AsRef<[u8]>>) -> CacheKey {
        match value {
            Some(value) => self.part(name, value),
            None => self.list(name, std::iter::empty::<&[u8]>()),
        }
    }

    /// A named list of values, in order.
    pub(crate) fn list<I, S>(mut self, name: &str, items: I) -> CacheKey
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let items: Vec<S> = items.into_iter().collect();
        self.0.update(&[LIST]);
        self.bytes(name.as_bytes());
        self.0.update(&(items.len() as u64).to_le_bytes());
        for item in &items {
            self.bytes(item.as_ref());
        }
        self
    }

    /// A named group of parts (one source of a recipe, one file of an image).
    pub(crate) fn group(
        mut self,
        name: &str,
        parts: impl FnOnce(CacheKey) -> CacheKey,
    ) -> CacheKey {
        self.0.update(&[GROUP]);
        self.bytes(name.as_bytes());
        let mut inner = parts(self);
        inner.0.update(&[GROUP_END]);
        inner
    }

    /// A named path, with this machine's folders in it named by their words (`Places`).
    pub(crate) fn path(self, name: &str, path: &Path, places: &Places) -> CacheKey {
        self.part(name, places.path(path))
    }

    /// A named command line (or any text holding paths), with this machine's folders in
    /// it named by their words (`Places`).
    pub(crate) fn command(self, name: &str, text: &str, places: &Places) -> CacheKey {
        self.part(name, places.text(text))
    }

    /// The key: 64 hex digits.
    pub(crate) fn finish(self) -> String {
        self.0.finish_hex()
    }
}

/// The folders of this machine a key must not name, each with the word that stands for
/// it in keys: the project's root (`{root}`: the project folder, or the folder a single
/// build was started in), the cache (`{cache}`, under `MUSLBUILD_HOME`), and programs
/// whose content the key holds otherwise (the compiler, by its toolchain's
/// fingerprint). Moved to another checkout, home or install, the same build gets the same
/// key; what lies in none of them (`/usr/include`, a folder beside the checkout) stays
/// absolute, so two different folders never share a word.
#[derive(Clone, Debug, Default)]
pub(crate) struct Places {
    /// Longest first: a cache inside the checkout is named as the cache.
    places: Vec<(String, &'static str)>,
}

impl Places {
    pub(crate) fn new() -> Places {
        Places::default()
    }

    /// The project folder (or a single build's working folder): `{root}`.
    pub(crate) fn root(self, dir: &Path) -> Places {
        self.with(dir, "{root}")
    }

    /// The cache: `{cache}`.
    pub(crate) fn cache(self, dir: &Path) -> Places {
        self.with(dir, "{cache}")
    }

    /// A program (or folder) the key holds by content elsewhere, named by `word`.
    pub(crate) fn with(mut self, path: &Path, word: &'static str) -> Places {
        let path = path.to_string_lossy().trim_end_matches('/').to_string();
        // `/` (a build started at the root) would name every path: no word for it.
        if !path.is_empty() && !self.places.iter().any(|(p, _)| *p == path) {
            self.places.push((path, word));
            self.places.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        }
        self
    }

    /// `path` as a key holds it: beneath a place, its word and the rest (`{root}/src/a.c`);
    /// elsewhere the path as it is.
    pub(crate) fn path(&self, path: &Path) -> Vec<u8> {
        for (place, word) in &self.places {
            if let Ok(rest) = path.strip_prefix(place) {
                let mut bytes = word.as_bytes().to_vec();
                if !rest.as_os_str().is_empty() {
                    bytes.push(b'/');
                    bytes.extend_from_slice(rest.as_os_str().as_encoded_bytes());
                }
                return bytes;
            }
        }
        path.as_os_str().as_encoded_bytes().to_vec()
    }

    /// A path `path` wrote, on this machine: a place's word becomes its folder here.
    pub(crate) fn resolve(&self, path: &Path) -> std::path::PathBuf {
        let bytes = path.as_os_str().as_encoded_bytes();
        for (place, word) in &self.places {
            if let Some(rest) = bytes.strip_prefix(word.as_bytes())
                && (rest.is_empty() || rest[0] == b'/')
            {
                use std::os::unix::ffi::OsStringExt;
                let bytes = [place.as_bytes(), rest].concat();
                return std::path::PathBuf::from(std::ffi::OsString::from_vec(bytes));
            }
        }
        path.to_path_buf()
    }

    /// `text` (a command line as `Cmd::display` shows it, a flag, a list of words) with
    /// every place named by its word where it starts a path: at the start of a word or
    /// after `=`, `,` or `:` (`-ffile-prefix-map=DIR=.`, `-Wl,-L,DIR`), or glued to a
    /// short flag (`-IDIR`, `-LDIR`); and where the path's component ends there (`DIR`,
    /// `DIR/x`, never `DIRx`).
    pub(crate) fn text(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let (mut i, mut word) = (0, 0);
        'scan: while i < text.len() {
            if starts_path(&text[word..i]) {
                for (place, name) in &self.places {
                    let end = i + place.len();
                    if text[i..].starts_with(place.as_str()) && ends_component(text, end) {
                        out.push_str(name);
                        i = end;
                        continue 'scan;
                    }
                }
            }
            let c = text[i..].chars().next().expect("within the text");
            out.push(c);
            i += c.len_utf8();
            if is_separator(c) {
                word = i;
            }
        }
        out
    }
}

/// Characters that end one word or value and start another in a command line.
fn is_separator(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\'' | '"' | '=' | ',' | ':')
}

/// Whether a path may start after `word`, what the current word holds so far: nothing,
/// or a short flag glued to the path (`-I`, `-isystem`).
fn starts_path(word: &str) -> bool {
    word.is_empty()
        || (word.starts_with('-')
            && word.len() > 1
            && word[1..].chars().all(|c| c.is_ascii_alphabetic()))
}

fn ends_component(text: &str, end: usize) -> bool {
    match text[end..].chars().next() {
        None => true,
        Some(c) => c == '/' || is_separator(c),
    }
}

/// Two machines for tests of keys: each a checkout and a home (`MUSLBUILD_HOME`, the
/// cache) at folders of its own, of other lengths, with the same contents.
#[cfg(test)]
pub(crate) mod machines {
    use std::path::{Path, PathBuf};

    pub(crate) struct Machine {
        _dir: tempfile::TempDir,
        /// The checkout (the project's folder).
        pub(crate) root: PathBuf,
        /// `MUSLBUILD_HOME`.
        pub(crate) home: PathBuf,
    }

    impl Machine {
        /// A quiet run with this machine's home as its cache.
        pub(crate) fn ctx(&self) -> crate::context::Ctx {
            crate::context::Ctx::for_tests(&self.home)
        }

        /// Writes `text` at `rel` beneath `base` (the root or the home), folders made.
        pub(crate) fn write(&self, base: &Path, rel: &str, text: &str) -> PathBuf {
            let path = base.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        }
    }

    /// Machine A (`…/a/src/proj`, home `…/a/home`) and machine B, another user's runner
    /// (`…/runner/work/b/checkout`, home `…/users/bo/.cache/muslbuild`), each given the
    /// same contents by `fill(machine)`.
    pub(crate) fn two(fill: impl Fn(&Machine)) -> [Machine; 2] {
        let machine = |root: &str, home: &str| {
            let dir = tempfile::tempdir().unwrap();
            let machine = Machine {
                root: dir.path().join(root),
                home: dir.path().join(home),
                _dir: dir,
            };
            std::fs::create_dir_all(&machine.root).unwrap();
            std::fs::create_dir_all(&machine.home).unwrap();
            fill(&machine);
            machine
        };
        [
            machine("a/src/proj", "a/home"),
            machine("runner/work/b/checkout", "users/bo/.cache/muslbuild"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_never_run_into_each_other() {
        let key = |f: fn(CacheKey) -> CacheKey| f(CacheKey::new(KeyKind::Object)).finish();
        assert_ne!(
            key(|k| k.part("a", "bc")),
            key(|k| k.part("ab", "c")),
            "a name and its value are kept apart"
        );
        assert_ne!(
            key(|k| k.part("x", "ab").part("y", "c")),
            key(|k| k.part("x", "a").part("y", "bc"))
        );
        assert_ne!(
            key(|k| k.list("l", ["a", "b"])),
            key(|k| k.list("l", ["ab"]))
        );
        assert_ne!(
            key(|k| k.list("l", ["a"]).part("m", "b")),
            key(|k| k.list("l", ["a", "m"]))
        );
        assert_ne!(
            key(|k| k.group("g", |k| k.part("a", "1")).part("b", "2")),
            key(|k| k.group("g", |k| k.part("a", "1").part("b", "2")))
        );
        assert_ne!(
            key(|k| k.maybe("p", None::<&str>)),
            key(|k| k.maybe("p", Some("")))
        );
        assert_eq!(
            key(|k| k.part("target", "aarch64")),
            key(|k| k.part("target", "aarch64"))
        );
        assert!(crate::sys::hash::is_sha256_hex(&key(|k| k)));
    }

    #[test]
    fn places_are_named_where_a_path_starts_and_only_there() {
        let places = Places::new()
            .root(Path::new("/home/ann/src/proj"))
            .cache(Path::new("/home/ann/src/proj/.cache/"))
            .with(Path::new("/opt/zig/zig"), "{cc}");
        assert_eq!(
            places.text(
                "SOURCE_DATE_EPOCH=0 /opt/zig/zig cc -ffile-prefix-map=/home/ann/src/proj=. \
                 -I /home/ann/src/proj/include -I/home/ann/src/proj/.cache/libs/z-1/include \
                 '-Wl,-L,/home/ann/src/proj/lib' /home/ann/src/proj/a.c"
            ),
            "SOURCE_DATE_EPOCH=0 {cc} cc -ffile-prefix-map={root}=. \
                 -I {root}/include -I{cache}/libs/z-1/include \
                 '-Wl,-L,{root}/lib' {root}/a.c"
        );
        // Not a place: another folder whose name starts alike, or one that holds it.
        for other in [
            "/home/ann/src/project/a.c",
            "/srv/home/ann/src/proj/a.c",
            "-I/srv/home/ann/src/proj",
            "x/home/ann/src/proj",
        ] {
            assert_eq!(places.text(other), other);
        }
        assert_eq!(
            places.path(Path::new("/home/ann/src/proj/src/a.c")),
            b"{root}/src/a.c"
        );
        assert_eq!(places.path(Path::new("/home/ann/src/proj")), b"{root}");
        assert_eq!(
            places.path(Path::new("/home/ann/src/proj/.cache/libs/x")),
            b"{cache}/libs/x"
        );
        assert_eq!(
            places.path(Path::new("/home/ann/src/projx/a.c")),
            b"/home/ann/src/projx/a.c"
        );
        // A build started at `/` has no word for its root.
        assert_eq!(
            Places::new().root(Path::new("/")).text("/usr/include"),
            "/usr/include"
        );
    }

    #[test]
    fn kinds_keep_apart() {
        assert_ne!(
            CacheKey::new(KeyKind::Object).part("a", "b").finish(),
            CacheKey::new(KeyKind::CProgram).part("a", "b").finish()
        );
    }

    /// A `Debug` string is not a stable format, so no key is made of one: the code that
    /// builds keys names its parts instead.
    #[test]
    fn no_key_is_made_of_debug_output() {
        fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, found);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let code = text.split("#[cfg(test)]").next().unwrap_or("");
                let lines: Vec<&str> = code.lines().collect();
                for (i, line) in lines.iter().enumerate() {
                    if !line.contains("CacheKey::new(") {
                        continue;
                    }
                    // The key's statement: up to the line that ends it.
                    let statement = lines[i..]
                        .iter()
                        .take_while(|l| !l.trim_end().ends_with(';'))
                        .chain(lines[i..].iter().find(|l| l.trim_end().ends_with(';')))
                        .copied()
                        .collect::<Vec<_>>()
                        .join("\n");
                    if statement.contains(":?}") || statement.contains("{:#?}") {
                        found.push(format!("{}:{}", path.display(), i + 1));
                    }
                }
                assert!(
                    !code.contains(concat!("hash::", "key(")),
                    "{}: a positional key; build a CacheKey with named parts",
                    path.display()
                );
            }
        }
        let mut found = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        assert!(found.is_empty(), "keys made of Debug output: {found:?}");
    }
}
