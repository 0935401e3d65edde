//! Links in an archive: a symlink's target is resolved for real, component by component
//! through the links already unpacked, when it is made and again once every entry exists;
//! a hard link may only name a file already unpacked.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::Unpacker;
use crate::error::{Error, Result};

/// Where a symlink's target really lands, or why it leaves the root. The walk is the
/// kernel's: each component is looked up on disk (never followed out of `dest`), a link
/// met on the way is expanded in place, `..` climbs the resolved path, not the string.
/// Components that do not exist yet continue lexically; `check_all_links` repeats the
/// walk once everything exists.
pub(super) fn resolve_beneath(
    dest: &Path,
    from: &Path,
    target: &Path,
) -> std::result::Result<(), String> {
    let mut resolved: Vec<OsString> = from.iter().map(|c| c.to_os_string()).collect();
    let mut pending: std::collections::VecDeque<OsString> = std::collections::VecDeque::new();
    let push_front = |pending: &mut std::collections::VecDeque<OsString>, path: &Path| {
        for component in path.iter().rev() {
            pending.push_front(component.to_os_string());
        }
    };
    if target.is_absolute() {
        return Err(format!("the absolute path `{}`", target.display()));
    }
    push_front(&mut pending, target);
    let mut followed = 0;
    while let Some(part) = pending.pop_front() {
        if part == "." {
            continue;
        }
        if part == ".." {
            if resolved.pop().is_none() {
                return Err("a place outside the archive's root".into());
            }
            continue;
        }
        resolved.push(part);
        let here: PathBuf = resolved.iter().collect();
        let path = dest.join(&here);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            followed += 1;
            if followed > 40 {
                return Err("a loop of symlinks".into());
            }
            let next = std::fs::read_link(&path).map_err(|e| format!("an unreadable link: {e}"))?;
            if next.is_absolute() {
                return Err(format!(
                    "`{}`, a link to the absolute path `{}`",
                    here.display(),
                    next.display()
                ));
            }
            resolved.pop();
            push_front(&mut pending, &next);
        }
    }
    Ok(())
}

impl Unpacker<'_> {
    pub(super) fn symlink(&mut self, name: &str, rel: &Path, target: &Path) -> Result<()> {
        if target.is_absolute() {
            return Err(self.refuse(
                name,
                format!("is a symlink to the absolute path `{}`", target.display()),
            ));
        }
        self.check_link(name, rel, target)?;
        let path = self.dest.join(rel);
        self.make_parent(&path)?;
        self.clear(rel, &path)?;
        std::os::unix::fs::symlink(target, &path)
            .map_err(Error::io("cannot create the symlink", &path))?;
        self.links.insert(rel.to_path_buf());
        self.count += 1;
        Ok(())
    }

    pub(super) fn check_link(&self, name: &str, rel: &Path, target: &Path) -> Result<()> {
        let from = rel.parent().unwrap_or(Path::new(""));
        resolve_beneath(self.dest, from, target).map_err(|lands| {
            self.refuse(
                name,
                format!(
                    "is a symlink to `{}`, which resolves to {lands}: it leaves the archive's root",
                    target.display()
                ),
            )
        })
    }

    /// Once every entry exists, each link is resolved again: a link made early through a
    /// path that did not exist yet may only now reach a later link.
    pub(super) fn check_all_links(&self) -> Result<()> {
        let mut links: Vec<&PathBuf> = self.links.iter().collect();
        links.sort();
        for rel in links {
            let path = self.dest.join(rel);
            let target = std::fs::read_link(&path).map_err(Error::io("cannot read", &path))?;
            self.check_link(&rel.display().to_string(), rel, &target)?;
        }
        Ok(())
    }

    pub(super) fn hard_link(&mut self, name: &str, rel: &Path, target_name: &str) -> Result<()> {
        let target = match self.place(target_name) {
            Ok(Some(target)) if self.files.contains(&target) => target,
            _ => {
                return Err(self.refuse(name, format!("is a hard link to `{target_name}`, which is not a file unpacked from this archive")));
            }
        };
        let path = self.dest.join(rel);
        self.make_parent(&path)?;
        self.clear(rel, &path)?;
        std::fs::hard_link(self.dest.join(&target), &path)
            .map_err(Error::io("cannot create the hard link", &path))?;
        self.files.insert(rel.to_path_buf());
        self.count += 1;
        Ok(())
    }
}
