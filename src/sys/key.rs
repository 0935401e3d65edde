//! Cache keys you can read: a kind with its version, then named parts, hashed by the one
//! SHA-256. A reader can say which part made two builds miss each other, a change to how
//! an entry is made bumps its kind's version alone, and no two part lists hash alike.

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
            // are not reused (3 was the last of the positional keys).
            KeyKind::LibPrefix => 4,
            KeyKind::Object
            | KeyKind::CProgram
            | KeyKind::CLink
            | KeyKind::GoProgram
            | KeyKind::RemoteBuild
            | KeyKind::FolderSources
            | KeyKind::Recipe
            | KeyKind::KernelHeaders
            | KeyKind::ZigLibc
            | KeyKind::SupportArchive
            | KeyKind::Fingerprint
            | KeyKind::WithKernelHeaders
            | KeyKind::WithSupport
            | KeyKind::ProbeIdentity
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

    /// The key: 64 hex digits.
    pub(crate) fn finish(self) -> String {
        self.0.finish_hex()
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
