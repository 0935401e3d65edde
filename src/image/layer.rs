//! One deterministic layer: a tar of the image's files, gzip-compressed. Everything that
//! could make two builds differ is fixed here: entries sorted by path, owner 0 (unless an
//! entry says otherwise), one mtime for every entry, no user or group names, a gzip
//! header with mtime 0, no file name and OS "unknown", and one compression level.

use std::collections::BTreeMap;
use std::io::Write;

use flate2::{Compression, GzBuilder};

use crate::error::{Error, Result};

/// What an entry of the layer is. Bytes are held in memory: scratch images are small,
/// and it keeps the layer a pure function of its inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum EntryKind {
    File(Vec<u8>),
    Dir,
    Symlink(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) kind: EntryKind,
    pub(crate) mode: u32,
    pub(crate) uid: u64,
    pub(crate) gid: u64,
}

/// The layer's file tree, keyed by its path inside the image without the leading `/`
/// (`etc/passwd`), which is how layer tars name entries.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tree {
    entries: BTreeMap<String, Entry>,
}

impl Tree {
    pub(crate) fn new() -> Tree {
        Tree::default()
    }

    /// Adds an entry at an absolute image path and every parent folder it needs (0755,
    /// root). The same path twice is an error naming both origins, so an artifact can
    /// never silently replace `/etc/passwd` or the other way round.
    pub(crate) fn insert(&mut self, image_path: &str, entry: Entry, origin: &str) -> Result<()> {
        let path = normalize(image_path)?;
        let mut parent = String::new();
        let parts: Vec<&str> = path.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            if !parent.is_empty() {
                parent.push('/');
            }
            parent.push_str(part);
            match self.entries.get(&parent) {
                Some(Entry {
                    kind: EntryKind::Dir,
                    ..
                }) => {}
                Some(_) => {
                    return Err(Error::ImageContent {
                        message: format!(
                            "`/{parent}` is a file in the image, but {origin} needs it to be a folder"
                        ),
                        help: "give the artifact another path in the image (NAME=/PATH)".into(),
                    });
                }
                None => {
                    self.entries.insert(
                        parent.clone(),
                        Entry {
                            kind: EntryKind::Dir,
                            mode: 0o755,
                            uid: 0,
                            gid: 0,
                        },
                    );
                }
            }
        }
        match self.entries.get(&path) {
            Some(existing) if existing.kind == EntryKind::Dir && entry.kind == EntryKind::Dir => {
                self.entries.insert(path, entry);
                Ok(())
            }
            Some(_) => Err(Error::ImageContent {
                message: format!("`/{path}` is in the image twice ({origin} and an earlier entry)"),
                help: "give each artifact its own path in the image (NAME=/PATH), and do not ship files that --ca-certs, --passwd or --zoneinfo already add".into(),
            }),
            None => {
                self.entries.insert(path, entry);
                Ok(())
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, image_path: &str) -> bool {
        normalize(image_path).is_ok_and(|p| self.entries.contains_key(&p))
    }

    pub(crate) fn paths(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// `(/path, uid, gid)` of each entry not owned by root whose folder has another
    /// owner: what a Dockerfile needs one `COPY --chown` for.
    pub(crate) fn owned_paths(&self) -> Vec<(String, u64, u64)> {
        let mut out = Vec::new();
        for (path, entry) in &self.entries {
            if entry.uid == 0 && entry.gid == 0 {
                continue;
            }
            let parent = path.rsplit_once('/').map(|(p, _)| p);
            let same_as_parent = parent
                .and_then(|p| self.entries.get(p))
                .is_some_and(|p| (p.uid, p.gid) == (entry.uid, entry.gid));
            if !same_as_parent {
                out.push((format!("/{path}"), entry.uid, entry.gid));
            }
        }
        out
    }

    pub(crate) fn get(&self, image_path: &str) -> Option<&Entry> {
        self.entries.get(&normalize(image_path).ok()?)
    }

    /// The uncompressed tar; its sha256 is the layer's diff_id.
    pub(crate) fn to_tar(&self, mtime: u64) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, entry) in &self.entries {
            let mut header = tar::Header::new_ustar();
            header.set_mode(entry.mode);
            header.set_uid(entry.uid);
            header.set_gid(entry.gid);
            header.set_mtime(mtime);
            // Empty names make every extractor use the numeric ids, as a scratch image
            // has no passwd of its own to map names through.
            let _ = header.set_username("");
            let _ = header.set_groupname("");
            let result = match &entry.kind {
                EntryKind::File(bytes) => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_size(bytes.len() as u64);
                    builder.append_data(&mut header, path, bytes.as_slice())
                }
                EntryKind::Dir => {
                    header.set_entry_type(tar::EntryType::Directory);
                    header.set_size(0);
                    builder.append_data(&mut header, format!("{path}/"), std::io::empty())
                }
                EntryKind::Symlink(target) => {
                    header.set_entry_type(tar::EntryType::Symlink);
                    header.set_size(0);
                    builder.append_link(&mut header, path, target)
                }
            };
            // Writing into a Vec cannot fail; paths were checked by `normalize`.
            result.expect("tar entry into memory");
        }
        builder.into_inner().expect("tar into memory")
    }
}

/// gzip with a fixed header and level, so the same tar always gives the same bytes.
pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), Compression::best());
    encoder.write_all(bytes).expect("gzip into memory");
    encoder.finish().expect("gzip into memory")
}

/// `/usr/bin/x` -> `usr/bin/x`. Only absolute, plain paths: no `.`/`..` parts, no empty
/// parts, nothing that could escape the image root when a tool extracts the layer.
pub(crate) fn normalize(image_path: &str) -> Result<String> {
    let invalid = |why: &str| {
        Error::usage(
            format!("`{image_path}` is not a valid path in the image: {why}"),
            "use an absolute path such as /hello or /usr/local/bin/hello",
        )
    };
    let rest = image_path
        .strip_prefix('/')
        .ok_or_else(|| invalid("it must start with `/`"))?;
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() {
        return Err(invalid("it names the root folder"));
    }
    if rest
        .split('/')
        .any(|p| p.is_empty() || p == "." || p == "..")
    {
        return Err(invalid("it has an empty, `.` or `..` part"));
    }
    if rest.chars().any(char::is_control) {
        return Err(invalid("it contains a control character"));
    }
    Ok(rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(bytes: &[u8], mode: u32) -> Entry {
        Entry {
            kind: EntryKind::File(bytes.to_vec()),
            mode,
            uid: 0,
            gid: 0,
        }
    }

    fn names(tar: &[u8]) -> Vec<(String, u64, u64, u32)> {
        let mut archive = tar::Archive::new(tar);
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    e.path().unwrap().to_string_lossy().into_owned(),
                    h.mtime().unwrap(),
                    h.uid().unwrap(),
                    h.mode().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn entries_are_sorted_with_parents_and_fixed_metadata() {
        let mut tree = Tree::new();
        tree.insert("/usr/bin/b", file(b"b", 0o755), "b").unwrap();
        tree.insert("/etc/passwd", file(b"p", 0o644), "passwd")
            .unwrap();
        tree.insert("/a", file(b"a", 0o755), "a").unwrap();
        let tar = tree.to_tar(1234);
        assert_eq!(
            names(&tar),
            vec![
                ("a".into(), 1234, 0, 0o755),
                ("etc/".into(), 1234, 0, 0o755),
                ("etc/passwd".into(), 1234, 0, 0o644),
                ("usr/".into(), 1234, 0, 0o755),
                ("usr/bin/".into(), 1234, 0, 0o755),
                ("usr/bin/b".into(), 1234, 0, 0o755),
            ]
        );
    }

    #[test]
    fn insertion_order_does_not_change_the_bytes() {
        let mut one = Tree::new();
        one.insert("/x", file(b"x", 0o755), "x").unwrap();
        one.insert("/etc/group", file(b"g", 0o644), "g").unwrap();
        let mut two = Tree::new();
        two.insert("/etc/group", file(b"g", 0o644), "g").unwrap();
        two.insert("/x", file(b"x", 0o755), "x").unwrap();
        assert_eq!(gzip(&one.to_tar(0)), gzip(&two.to_tar(0)));
    }

    #[test]
    fn gzip_header_is_fixed() {
        let gz = gzip(b"hello");
        // magic, deflate, no flags, mtime 0, max compression, OS unknown
        assert_eq!(&gz[..10], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 255]);
    }

    #[test]
    fn duplicates_and_file_parents_are_errors() {
        let mut tree = Tree::new();
        tree.insert("/etc/passwd", file(b"p", 0o644), "--passwd")
            .unwrap();
        let err = tree
            .insert("/etc/passwd", file(b"q", 0o755), "artifact `passwd`")
            .unwrap_err();
        assert!(err.to_string().contains("twice"), "{err}");
        let err = tree
            .insert("/etc/passwd/x", file(b"q", 0o755), "artifact `x`")
            .unwrap_err();
        assert!(err.to_string().contains("needs it to be a folder"), "{err}");
    }

    #[test]
    fn paths_must_be_absolute_and_plain() {
        assert_eq!(normalize("/usr/bin/x").unwrap(), "usr/bin/x");
        for bad in ["x", "/", "/a/../b", "/a//b", "/./a"] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn symlinks_keep_their_target() {
        let mut tree = Tree::new();
        tree.insert(
            "/zone/Cuba",
            Entry {
                kind: EntryKind::Symlink("America/Havana".into()),
                mode: 0o777,
                uid: 0,
                gid: 0,
            },
            "z",
        )
        .unwrap();
        let tar = tree.to_tar(0);
        let mut archive = tar::Archive::new(tar.as_slice());
        let link = archive.entries().unwrap().nth(1).unwrap().unwrap();
        assert_eq!(
            link.link_name().unwrap().unwrap().to_str(),
            Some("America/Havana")
        );
    }
}
