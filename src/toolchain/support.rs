//! Link support muslbuild adds to a toolchain that lacks it. zig 0.17's armv5 libc (its
//! malloc) calls `__sync_*` atomics that ARMv5 has no instructions for and zig's
//! compiler-rt does not define, so anything that allocates fails to link. GCC's libgcc
//! defines them on the kernel's user helpers; `armv5_sync.c` does the same. It is built
//! once per toolchain into a cache entry and put into the toolchain's `cc` itself, so
//! every user of that driver gets it: C programs, library configure tests and builds,
//! cgo. ld.lld finds members whatever the archive's position; zig's `-c` copies the
//! members an object needs into it, which is why the definitions are weak (a program
//! linking two such objects of a library would otherwise see each twice).

use super::model::{Flavor, Toolchain};
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::sys::key::{CacheKey, KeyKind};
use crate::target::Target;

const ARMV5_SYNC_SOURCE: &str = include_str!("armv5_sync.c");
const ARMV5_SYNC_ARCHIVE: &str = "libmuslbuild-armv5-sync.a";

/// `toolchain` with the support archive it needs (none for most): built on first use
/// into `builds/support-<key>`, published by rename; its key joins the fingerprint, so
/// a change to the archive's source rebuilds what was linked with it.
pub(crate) fn with_support(toolchain: Toolchain, ctx: &Ctx) -> Result<Toolchain> {
    if !needs_sync_archive(&toolchain) {
        return Ok(toolchain);
    }
    let key = archive_key(&toolchain);
    let name = format!("support-{key}");
    let entry = ctx.cache.dir("builds").join(&name);
    if !ctx.cache.is_complete(&entry) {
        let _lock = ctx.cache.lock_entry(&entry, "the armv5 atomics archive")?;
        if !ctx.cache.is_complete(&entry) {
            build_sync_archive(&toolchain, &entry, ctx)?;
        }
    }
    crate::cache::mark_used(&entry);
    Ok(supported(toolchain, &entry, &key))
}

/// The archive's key: what it is built with and from (no folder: its entry in the
/// cache is named by it).
fn archive_key(toolchain: &Toolchain) -> String {
    CacheKey::new(KeyKind::SupportArchive)
        .part("archive", "armv5-sync")
        .part("toolchain", &toolchain.fingerprint)
        .part("source", ARMV5_SYNC_SOURCE)
        .finish()
}

/// `toolchain` linking the archive in `entry`: its fingerprint takes the archive's key,
/// not the entry's folder (keys name the cache `{cache}` anyway).
fn supported(mut toolchain: Toolchain, entry: &std::path::Path, key: &str) -> Toolchain {
    toolchain
        .cc
        .args
        .push(entry.join(ARMV5_SYNC_ARCHIVE).into_os_string());
    toolchain.fingerprint = CacheKey::new(KeyKind::WithSupport)
        .part("toolchain", &toolchain.fingerprint)
        .part("support-archive", key)
        .finish();
    toolchain
}

fn needs_sync_archive(toolchain: &Toolchain) -> bool {
    toolchain.flavor == Flavor::Zig && toolchain.target == Target::Armv5
}

fn build_sync_archive(toolchain: &Toolchain, entry: &std::path::Path, ctx: &Ctx) -> Result<()> {
    let temp = ctx.cache.temp_dir("builds")?;
    let source = temp.path().join("armv5_sync.c");
    std::fs::write(&source, ARMV5_SYNC_SOURCE).map_err(Error::io("cannot write", &source))?;
    let object = temp.path().join("armv5_sync.o");
    toolchain
        .cc
        .command(ctx)
        .args(toolchain.target_flags())
        .args(["-Os", "-c"])
        .arg(&source)
        .arg("-o")
        .arg(&object)
        .current_dir(temp.path())
        .output()?;
    toolchain
        .ar
        .command(ctx)
        .arg("rcs")
        .arg(temp.path().join(ARMV5_SYNC_ARCHIVE))
        .arg(&object)
        .current_dir(temp.path())
        .output()?;
    for scratch in [&source, &object] {
        std::fs::remove_file(scratch).map_err(Error::io("cannot remove", scratch))?;
    }
    ctx.cache
        .publish_dir(temp, entry, "muslbuild armv5 atomics archive")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_support_keys_are_the_same_in_another_home() {
        let zig = |fingerprint: &str| Toolchain {
            flavor: Flavor::Zig,
            ..Toolchain::musl_gcc_for_tests(Target::Armv5, fingerprint)
        };
        let [a, b] = crate::sys::key::machines::two(|_| {});
        let on = |m: &crate::sys::key::machines::Machine, fingerprint: &str| {
            let toolchain = zig(fingerprint);
            let key = archive_key(&toolchain);
            let entry = m.ctx().cache.dir("builds").join(format!("support-{key}"));
            let supported = supported(toolchain, &entry, &key);
            let places = crate::sys::key::Places::new().cache(&m.home);
            let args: Vec<String> = supported
                .cc
                .args
                .iter()
                .map(|a| places.text(&a.to_string_lossy()))
                .collect();
            (key, supported.fingerprint, args)
        };
        assert_eq!(on(&a, "f"), on(&b, "f"));
        let (key, fingerprint, _) = on(&a, "f");
        let (other_key, other_fingerprint, _) = on(&a, "g");
        assert_ne!(key, other_key, "the toolchain counts");
        assert_ne!(fingerprint, other_fingerprint);
    }

    #[test]
    fn only_zig_for_armv5_gets_the_sync_archive() {
        let toolchain = |target, flavor| Toolchain {
            flavor,
            ..Toolchain::musl_gcc_for_tests(target, "f")
        };
        assert!(needs_sync_archive(&toolchain(Target::Armv5, Flavor::Zig)));
        assert!(!needs_sync_archive(&toolchain(Target::Armv5, Flavor::Gcc)));
        for target in [Target::Armv6, Target::Armv7, Target::X86_64] {
            assert!(
                !needs_sync_archive(&toolchain(target, Flavor::Zig)),
                "{target}"
            );
        }
    }
}
