use super::*;

fn unpack(archive: &Path, format: Format, root: &str, dest: &Path) -> Result<()> {
    unpack_checked(archive, format, root, dest, None, Limits::default())
}

/// A tar.gz built entry by entry with raw headers, so hostile names survive (the tar
/// crate's builder refuses to write them).
fn tar_gz(entries: &[(&str, tar::EntryType, &str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, kind, link, data) in entries {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_entry_type(*kind);
        header.set_mode(0o4777);
        header.set_size(data.len() as u64);
        if !link.is_empty() {
            header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        }
        header.set_cksum();
        builder.append(&header, *data).unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    gz.finish().unwrap()
}

fn try_unpack(
    entries: &[(&str, tar::EntryType, &str, &[u8])],
    root: &str,
) -> (tempfile::TempDir, Result<()>) {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a.tar.gz");
    std::fs::write(&archive, tar_gz(entries)).unwrap();
    let dest = dir.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    let result = unpack(&archive, Format::TarGz, root, &dest);
    (dir, result)
}

use tar::EntryType as T;

type Case<'a> = (&'a [(&'a str, T, &'a str, &'a [u8])], &'a str);

#[test]
fn strips_root_and_sanitises_modes() {
    let (dir, result) = try_unpack(
        &[
            ("top/", T::Directory, "", b""),
            ("top/bin/cc", T::Regular, "", b"#!/bin/sh\n"),
            ("top/bin/c++", T::Symlink, "cc", b""),
            ("top/bin/gcc", T::Link, "top/bin/cc", b""),
            ("other/x", T::Regular, "", b"x"),
        ],
        "top",
    );
    result.unwrap();
    let out = dir.path().join("out");
    let mode = std::fs::metadata(out.join("bin/cc"))
        .unwrap()
        .permissions()
        .mode()
        & 0o7777;
    assert_eq!(mode, 0o755);
    assert_eq!(
        std::fs::read_link(out.join("bin/c++")).unwrap(),
        Path::new("cc")
    );
    assert!(out.join("bin/gcc").is_file());
    assert!(!out.join("x").exists() && !out.join("other").exists());
}

#[test]
fn refuses_hostile_entries() {
    let cases: &[Case] = &[
        (&[("a/../../evil", T::Regular, "", b"x")], "`..`"),
        (&[("/tmp/evil", T::Regular, "", b"x")], "absolute"),
        (&[("up", T::Symlink, "../..", b"")], "leaves"),
        (&[("abs", T::Symlink, "/etc", b"")], "absolute"),
        (
            &[
                ("d/l", T::Symlink, "..", b""),
                ("d/l/m", T::Symlink, "..", b""),
            ],
            "passes through the symlink",
        ),
        (
            &[
                ("l", T::Symlink, "sub", b""),
                ("sub/", T::Directory, "", b""),
                ("l/f", T::Regular, "", b"x"),
            ],
            "passes through",
        ),
        (&[("h", T::Link, "/etc/passwd", b"")], "hard link"),
        (&[("h", T::Link, "../outside", b"")], "hard link"),
        (&[("dev", T::Char, "", b"")], "device"),
    ];
    for (entries, want) in cases {
        let (_dir, result) = try_unpack(entries, "");
        let err = result.expect_err(want).to_string();
        assert!(err.contains(want), "{err} should mention {want}");
    }
}

#[test]
fn a_duplicate_entry_never_writes_through_a_link() {
    let (tmp, result) = try_unpack(
        &[("f", T::Symlink, "g", b""), ("f", T::Regular, "", b"new")],
        "",
    );
    result.unwrap();
    assert_eq!(std::fs::read(tmp.path().join("out/f")).unwrap(), b"new");
    assert!(
        !tmp.path().join("out/g").exists(),
        "the write went through the link"
    );
}

#[test]
fn zip_keeps_exec_bits_under_root() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.whl");
    let mut zip = zip::ZipWriter::new(File::create(&path).unwrap());
    let exe = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
    zip.start_file("ziglang/zig", exe).unwrap();
    std::io::Write::write_all(&mut zip, b"ELF").unwrap();
    zip.start_file(
        "ziglang/lib/a.zig",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.start_file(
        "ziglang-1.dist-info/RECORD",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.finish().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    unpack(&path, Format::Zip, "ziglang", &out).unwrap();
    assert_eq!(
        std::fs::metadata(out.join("zig"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o755
    );
    assert!(out.join("lib/a.zig").is_file());
    assert!(!out.join("RECORD").exists());
}

#[test]
fn a_chain_of_links_cannot_climb_out() {
    let deep = "a/b/c/d/e/f/g/h";
    let up8 = "../../../../../../../..";
    let link = format!("{deep}/l");
    let through = format!("{link}/{up8}/..");
    let (dir, result) = try_unpack(
        &[
            (&format!("{deep}/"), T::Directory, "", b""),
            (&link, T::Symlink, up8, b""),
            ("esc", T::Symlink, &through, b""),
        ],
        "",
    );
    let err = result.unwrap_err().to_string();
    assert!(err.contains("`esc`") && err.contains("leaves"), "{err}");
    assert!(std::fs::symlink_metadata(dir.path().join("out/esc")).is_err());
}

#[test]
fn a_link_made_before_the_link_it_passes_through_is_checked_again() {
    // `esc` is harmless while `d/l` does not exist; `d/l -> ..` alone is harmless too;
    // together `esc` is `d/l/../..`, one level above the root.
    let (_dir, result) = try_unpack(
        &[
            ("d/", T::Directory, "", b""),
            ("esc", T::Symlink, "d/l/../..", b""),
            ("d/l", T::Symlink, "..", b""),
        ],
        "",
    );
    let err = result.unwrap_err().to_string();
    assert!(err.contains("esc") && err.contains("leaves"), "{err}");
}

#[test]
fn links_inside_the_root_and_loops() {
    let (dir, result) = try_unpack(
        &[
            ("lib/", T::Directory, "", b""),
            ("lib/x.so", T::Regular, "", b"x"),
            ("bin/", T::Directory, "", b""),
            ("bin/l", T::Symlink, "../lib", b""),
            ("y", T::Symlink, "bin/l/x.so", b""),
        ],
        "",
    );
    result.unwrap();
    assert_eq!(std::fs::read(dir.path().join("out/y")).unwrap(), b"x");
    let (_dir, result) = try_unpack(
        &[("p", T::Symlink, "q", b""), ("q", T::Symlink, "p/..", b"")],
        "",
    );
    assert!(result.unwrap_err().to_string().contains("loop"));
}

#[test]
fn caps_refuse_bombs_before_writing_them() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a.tar.gz");
    let big = vec![0u8; 4096];
    std::fs::write(
        &archive,
        tar_gz(&[("a", T::Regular, "", &big), ("b", T::Regular, "", &big)]),
    )
    .unwrap();
    let limits = Limits {
        max_bytes: 6000,
        max_entries: 10,
    };
    let dest = dir.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    let err = unpack_checked(&archive, Format::TarGz, "", &dest, None, limits)
        .unwrap_err()
        .to_string();
    assert!(err.contains("cap of 6000 bytes"), "{err}");
    assert!(!dest.join("b").exists());
    let few = Limits {
        max_bytes: 1 << 20,
        max_entries: 1,
    };
    let dest = dir.path().join("out2");
    std::fs::create_dir(&dest).unwrap();
    let err = unpack_checked(&archive, Format::TarGz, "", &dest, None, few)
        .unwrap_err()
        .to_string();
    assert!(err.contains("cap of 1 entries"), "{err}");
}

#[test]
fn a_changed_archive_fails_its_hash_while_unpacking() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("a.tar.gz");
    let bytes = tar_gz(&[("x/f", T::Regular, "", b"data")]);
    std::fs::write(&archive, &bytes).unwrap();
    let good = crate::sys::hash::sha256_hex(&bytes);
    let dest = dir.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    unpack_checked(
        &archive,
        Format::TarGz,
        "",
        &dest,
        Some(&good),
        Limits::default(),
    )
    .unwrap();
    let dest = dir.path().join("out2");
    std::fs::create_dir(&dest).unwrap();
    let wrong = "0".repeat(64);
    let err = unpack_checked(
        &archive,
        Format::TarGz,
        "",
        &dest,
        Some(&wrong),
        Limits::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::ChecksumMismatch { .. }), "{err:?}");
}

#[test]
fn formats_are_sniffed_and_mtimes_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(3);
    header.set_mode(0o644);
    header.set_mtime(1_000_000_000);
    header.set_cksum();
    builder
        .append_data(&mut header, "top/configure.ac", &b"abc"[..])
        .unwrap();
    let tar = builder.into_inner().unwrap();
    let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    std::io::Write::write_all(&mut bz, &tar).unwrap();
    for (name, bytes, format) in [
        ("plain", tar.clone(), Format::Tar),
        ("bz", bz.finish().unwrap(), Format::TarBz2),
    ] {
        let archive = dir.path().join(name);
        std::fs::write(&archive, bytes).unwrap();
        assert_eq!(Format::sniff(&archive).unwrap(), format);
        let dest = dir.path().join(format!("{name}-out"));
        std::fs::create_dir(&dest).unwrap();
        unpack(&archive, format, "top", &dest).unwrap();
        let modified = std::fs::metadata(dest.join("configure.ac"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(
            modified,
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000)
        );
    }
}

#[test]
fn sparse_files_and_pipes_are_refused() {
    for (kind, want) in [(T::Fifo, "pipe"), (T::Block, "device")] {
        let (_dir, result) = try_unpack(&[("s", kind, "", b"")], "");
        let err = result.unwrap_err().to_string();
        assert!(err.contains(want), "{err}");
    }
    // A GNU sparse entry: 512 stored bytes that claim to be a 1 MiB file of holes.
    let mut header = tar::Header::new_gnu();
    header.as_old_mut().name[..6].copy_from_slice(b"sparse");
    header.set_entry_type(T::GNUSparse);
    header.set_mode(0o644);
    header.set_size(512);
    let gnu = header.as_gnu_mut().unwrap();
    gnu.set_real_size(1 << 20);
    gnu.sparse[0] = tar::GnuSparseHeader {
        offset: *b"00003777000\0",
        numbytes: *b"00000001000\0",
    };
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, &[0u8; 512][..]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("s.tar");
    std::fs::write(&archive, builder.into_inner().unwrap()).unwrap();
    let err = unpack(&archive, Format::Tar, "", dir.path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("sparse"), "{err}");
}

#[test]
fn missing_root_is_an_error() {
    let (_dir, result) = try_unpack(&[("a/x", T::Regular, "", b"x")], "b");
    assert!(result.unwrap_err().to_string().contains("holds nothing"));
}

/// A Debian binary package: `debian-binary`, `control.tar.gz`, then the data member.
fn deb(data_member: &str, data: &[u8]) -> Vec<u8> {
    let mut builder = ar::Builder::new(Vec::new());
    for (name, bytes) in [
        ("debian-binary", &b"2.0\n"[..]),
        (
            "control.tar.gz",
            &tar_gz(&[("./control", T::Regular, "", b"Package: x\n")])[..],
        ),
        (data_member, data),
    ] {
        let header = ar::Header::new(name.as_bytes().to_vec(), bytes.len() as u64);
        builder.append(&header, bytes).unwrap();
    }
    builder.into_inner().unwrap()
}

#[test]
fn a_debian_package_unpacks_its_data_member_under_a_root() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("linux-libc-dev_1_amd64.deb");
    let data = tar_gz(&[
        ("./usr/include/linux/x.h", T::Regular, "", b"#define X 1\n"),
        (
            "./usr/include/x86_64-linux-gnu/asm/y.h",
            T::Regular,
            "",
            b"y",
        ),
        ("./usr/share/doc/copyright", T::Regular, "", b"GPL"),
    ]);
    std::fs::write(&package, deb("data.tar.gz", &data)).unwrap();
    assert_eq!(Format::sniff(&package).unwrap(), Format::Deb);
    assert_eq!(Format::from_name("a_1_arm64.deb"), Some(Format::Deb));
    let dest = dir.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    let sha = crate::sys::download::sha256_file(&package).unwrap();
    unpack_checked(
        &package,
        Format::Deb,
        "usr/include",
        &dest,
        Some(&sha),
        Limits::default(),
    )
    .unwrap();
    assert_eq!(
        std::fs::read(dest.join("linux/x.h")).unwrap(),
        b"#define X 1\n"
    );
    assert!(dest.join("x86_64-linux-gnu/asm/y.h").is_file());
    assert!(!dest.join("share").exists() && !dest.join("control").exists());

    // The checks are the tar's: an escaping member in the data is refused.
    let hostile = tar_gz(&[("./usr/include/../../../etc/x", T::Regular, "", b"x")]);
    std::fs::write(&package, deb("data.tar.gz", &hostile)).unwrap();
    let out = dir.path().join("hostile");
    std::fs::create_dir(&out).unwrap();
    let err = unpack(&package, Format::Deb, "usr/include", &out).unwrap_err();
    assert!(matches!(err, Error::UnsafeArchive { .. }), "{err:?}");
}

#[test]
fn a_debian_package_muslbuild_cannot_read_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("p.deb");
    std::fs::write(&package, deb("data.tar.zst", b"zstd bytes")).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let err = unpack(&package, Format::Deb, "", &out).unwrap_err();
    assert!(
        err.to_string().contains("data.tar.zst") && format!("{err:?}").contains("xz and gzip"),
        "{err:?}"
    );
    std::fs::write(&package, b"!<arch>\n").unwrap();
    let err = unpack(&package, Format::Deb, "", &out).unwrap_err();
    assert!(
        format!("{err:?}").contains("not a Debian binary package"),
        "{err:?}"
    );
}
