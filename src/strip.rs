//! Stripping a linked static executable (or static-PIE) of any target, without a
//! target `strip`: the host's cannot read foreign ELF files and `zig objcopy --strip-all`
//! is not implemented. Everything a loader maps lies inside the loadable segments, so a
//! strip keeps the file up to the end of the last loadable segment's bytes, drops every
//! section outside it (`.symtab`, `.strtab`, `.debug*`, `.comment`, …) except the ABI
//! attributes the ELF describes itself with (`.ARM.attributes`, `.riscv.attributes`, which
//! `verify` reads) — carried over, with the segment that points at them on RISC-V — and
//! writes a new section header table. Pure: bytes in, bytes out.

use std::path::Path;

use crate::error::{Error, Result};
use crate::sys::fs::Temps;

const ET_EXEC: u16 = 2;
const ET_DYN: u16 = 3;
const SHF_ALLOC: u64 = 0x2;
const SHF_INFO_LINK: u64 = 0x40;
const SHT_NOBITS: u32 = 8;
const PT_LOAD: u32 = 1;
const SHT_REL: u32 = 9;
const SHT_RELA: u32 = 4;
const SHT_STRTAB: u32 = 3;
/// `SHT_ARM_ATTRIBUTES`, `SHT_RISCV_ATTRIBUTES` (same value) and GNU's attributes:
/// non-loaded, but they say which ABI the file is for.
const SHT_PROC_ATTRIBUTES: u32 = 0x7000_0003;
const SHT_GNU_ATTRIBUTES: u32 = 0x6fff_fff5;

/// What a strip did, for the build report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stripped {
    pub(crate) bytes: Vec<u8>,
    /// The names of the sections dropped, in file order.
    pub(crate) removed: Vec<String>,
}

/// Strips `path` in place (through a temporary file beside it and a rename); returns the
/// sizes before and after. A file with nothing to drop is left untouched.
pub fn strip_file(path: &Path, temps: &Temps) -> Result<(u64, u64)> {
    let data = std::fs::read(path).map_err(Error::io("cannot read", path))?;
    let stripped = strip(&data).map_err(|reason| Error::Verify {
        path: path.to_path_buf(),
        target: None,
        reason: format!("cannot strip it: {reason}"),
        help: "muslbuild strips static executables only; set `strip = false` to keep it as linked"
            .into(),
    })?;
    if stripped.removed.is_empty() {
        return Ok((data.len() as u64, data.len() as u64));
    }
    crate::sys::fs::write_atomic(temps, path, &stripped.bytes)?;
    // write_atomic makes plain files; this one is a program.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(Error::io("cannot set the mode of", path))?;
    Ok((data.len() as u64, stripped.bytes.len() as u64))
}

/// The layout facts of one ELF file, whatever its class and byte order.
struct Layout {
    wide: bool,
    big: bool,
}

impl Layout {
    fn u16(&self, data: &[u8], at: usize) -> std::result::Result<u16, String> {
        let b: [u8; 2] = slice(data, at, 2)?.try_into().expect("2 bytes");
        Ok(if self.big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32(&self, data: &[u8], at: usize) -> std::result::Result<u32, String> {
        let b: [u8; 4] = slice(data, at, 4)?.try_into().expect("4 bytes");
        Ok(if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn u64(&self, data: &[u8], at: usize) -> std::result::Result<u64, String> {
        let b: [u8; 8] = slice(data, at, 8)?.try_into().expect("8 bytes");
        Ok(if self.big {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }

    /// A word: 4 bytes in ELF32, 8 in ELF64.
    fn word(&self, data: &[u8], at: usize) -> std::result::Result<u64, String> {
        if self.wide {
            self.u64(data, at)
        } else {
            self.u32(data, at).map(u64::from)
        }
    }

    fn put16(&self, out: &mut Vec<u8>, v: u16) {
        out.extend_from_slice(&if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }

    fn put32(&self, out: &mut Vec<u8>, v: u32) {
        out.extend_from_slice(&if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }

    fn put_word(&self, out: &mut Vec<u8>, v: u64) {
        if self.wide {
            out.extend_from_slice(&if self.big {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        } else {
            self.put32(out, v as u32);
        }
    }

    fn patch16(&self, out: &mut [u8], at: usize, v: u16) {
        let mut b = Vec::new();
        self.put16(&mut b, v);
        out[at..at + 2].copy_from_slice(&b);
    }

    fn patch_word(&self, out: &mut [u8], at: usize, v: u64) {
        let mut b = Vec::new();
        self.put_word(&mut b, v);
        out[at..at + b.len()].copy_from_slice(&b);
    }
}

fn slice(data: &[u8], at: usize, len: usize) -> std::result::Result<&[u8], String> {
    at.checked_add(len)
        .and_then(|end| data.get(at..end))
        .ok_or_else(|| format!("truncated at offset {at}"))
}

#[derive(Clone, Debug)]
struct Section {
    name: String,
    sh_name: u32,
    kind: u32,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
    align: u64,
    entsize: u64,
}

/// The ELF header's fields the strip reads, and where the ones it rewrites are.
struct Header {
    elf: Layout,
    phoff: usize,
    phentsize: usize,
    phnum: usize,
    ehsize: usize,
    shoff: usize,
    shentsize: usize,
    shnum: usize,
    shstrndx: usize,
    /// Where `e_shoff` is, and where `e_ehsize` and the counts after it start.
    shoff_at: usize,
    sizes_at: usize,
}

impl Header {
    fn read(data: &[u8]) -> std::result::Result<Header, String> {
        if data.get(..4) != Some(b"\x7fELF") {
            return Err("not an ELF file".into());
        }
        let elf = Layout {
            wide: match data[4] {
                1 => false,
                2 => true,
                c => return Err(format!("unknown ELF class {c}")),
            },
            big: match data.get(5) {
                Some(1) => false,
                Some(2) => true,
                _ => return Err("unknown ELF byte order".into()),
            },
        };
        let kind = elf.u16(data, 16)?;
        if kind != ET_EXEC && kind != ET_DYN {
            return Err(format!(
                "it is not a linked executable (ELF type {kind}, not EXEC or DYN)"
            ));
        }
        // Offsets of the header fields that differ between the classes.
        let (phoff_at, shoff_at, sizes_at) = if elf.wide { (32, 40, 52) } else { (28, 32, 40) };
        Ok(Header {
            phoff: elf.word(data, phoff_at)? as usize,
            shoff: elf.word(data, shoff_at)? as usize,
            ehsize: elf.u16(data, sizes_at)? as usize,
            phentsize: elf.u16(data, sizes_at + 2)? as usize,
            phnum: elf.u16(data, sizes_at + 4)? as usize,
            shentsize: elf.u16(data, sizes_at + 6)? as usize,
            shnum: elf.u16(data, sizes_at + 8)? as usize,
            shstrndx: elf.u16(data, sizes_at + 10)? as usize,
            shoff_at,
            sizes_at,
            elf,
        })
    }
}

/// A program header: where it is in the file, its type, and the bytes it covers.
#[derive(Clone, Copy)]
struct Segment {
    at: usize,
    kind: u32,
    offset: u64,
    filesz: u64,
}

fn read_segments(data: &[u8], h: &Header) -> std::result::Result<Vec<Segment>, String> {
    let elf = &h.elf;
    (0..h.phnum)
        .map(|i| {
            let at = h.phoff + i * h.phentsize;
            let kind = elf.u32(data, at)?;
            let (offset, filesz) = if elf.wide {
                (elf.u64(data, at + 8)?, elf.u64(data, at + 32)?)
            } else {
                (
                    u64::from(elf.u32(data, at + 4)?),
                    u64::from(elf.u32(data, at + 16)?),
                )
            };
            Ok(Segment {
                at,
                kind,
                offset,
                filesz,
            })
        })
        .collect()
}

/// The section headers, each with its name from the section-name table.
fn read_sections(data: &[u8], h: &Header) -> std::result::Result<Vec<Section>, String> {
    let elf = &h.elf;
    let w = if elf.wide { 8 } else { 4 };
    let mut sections = Vec::with_capacity(h.shnum);
    for i in 0..h.shnum {
        let at = h.shoff + i * h.shentsize;
        sections.push(Section {
            name: String::new(),
            sh_name: elf.u32(data, at)?,
            kind: elf.u32(data, at + 4)?,
            flags: elf.word(data, at + 8)?,
            addr: elf.word(data, at + 8 + w)?,
            offset: elf.word(data, at + 8 + 2 * w)?,
            size: elf.word(data, at + 8 + 3 * w)?,
            link: elf.u32(data, at + 8 + 4 * w)?,
            info: elf.u32(data, at + 12 + 4 * w)?,
            align: elf.word(data, at + 16 + 4 * w)?,
            entsize: elf.word(data, at + 16 + 5 * w)?,
        });
    }
    let names = &sections[h.shstrndx];
    let names = slice(data, names.offset as usize, names.size as usize)?.to_vec();
    for s in &mut sections {
        let start = s.sh_name as usize;
        let len = names
            .get(start..)
            .and_then(|rest| rest.iter().position(|&b| b == 0))
            .unwrap_or(0);
        s.name =
            String::from_utf8_lossy(names.get(start..start + len).unwrap_or_default()).into_owned();
    }
    Ok(sections)
}

/// Where the kept bytes end (everything a loader maps, and the headers themselves), and
/// the segments that move with their section instead: a segment past the loaded bytes
/// that is exactly an ABI attributes section (RISC-V's PT_RISCV_ATTRIBUTES, at the very
/// end after the debug info) — keeping the file up to it would keep the debug info's
/// bytes as a hole. Each moved segment is (its header's offset, its section's index).
fn kept_end(
    h: &Header,
    segments: &[Segment],
    sections: &[Section],
) -> (usize, Vec<(usize, usize)>) {
    let mut end = h.ehsize.max(h.phoff + h.phnum * h.phentsize);
    for s in segments {
        if s.kind == PT_LOAD && s.filesz > 0 {
            end = end.max((s.offset + s.filesz) as usize);
        }
    }
    let mut moved_segments = Vec::new();
    for s in segments {
        if s.kind == PT_LOAD || s.filesz == 0 || s.offset + s.filesz <= end as u64 {
            continue;
        }
        let attributes = sections.iter().position(|section| {
            matches!(section.kind, SHT_PROC_ATTRIBUTES | SHT_GNU_ATTRIBUTES)
                && section.flags & SHF_ALLOC == 0
                && section.offset == s.offset
                && section.size == s.filesz
        });
        match attributes {
            Some(section) => moved_segments.push((s.at, section)),
            None => end = end.max((s.offset + s.filesz) as usize),
        }
    }
    (end, moved_segments)
}

/// Which sections stay (loaded ones and ABI attributes), their new indices, and the
/// names of those that go.
struct Choice {
    kept: Vec<usize>,
    new_index: Vec<u32>,
    removed: Vec<String>,
}

fn choose(
    sections: &[Section],
    shstrndx: usize,
    end: usize,
) -> std::result::Result<Choice, String> {
    let mut new_index = vec![0u32; sections.len()];
    let mut kept: Vec<usize> = Vec::new();
    let mut removed = Vec::new();
    for (i, s) in sections.iter().enumerate().skip(1) {
        let loaded = s.flags & SHF_ALLOC != 0;
        let attributes = matches!(s.kind, SHT_PROC_ATTRIBUTES | SHT_GNU_ATTRIBUTES);
        if i != shstrndx && (loaded || attributes) {
            if loaded && s.kind != SHT_NOBITS && s.offset + s.size > end as u64 {
                return Err(format!(
                    "section {} is loaded but lies outside every segment",
                    s.name
                ));
            }
            kept.push(i);
            new_index[i] = kept.len() as u32;
        } else {
            removed.push(s.name.clone());
        }
    }
    Ok(Choice {
        kept,
        new_index,
        removed,
    })
}

/// Strips an executable's bytes. Errors are reasons, for `Error::Verify`.
pub(crate) fn strip(data: &[u8]) -> std::result::Result<Stripped, String> {
    let h = Header::read(data)?;
    if h.phnum == 0 {
        return Err("it has no program headers".into());
    }
    let unchanged = || Stripped {
        bytes: data.to_vec(),
        removed: Vec::new(),
    };
    if h.shoff == 0 {
        return Ok(unchanged());
    }
    if h.shnum == 0 || h.shstrndx >= h.shnum {
        return Err("extended section numbering is not supported".into());
    }
    let segments = read_segments(data, &h)?;
    let sections = read_sections(data, &h)?;
    let (end, moved_segments) = kept_end(&h, &segments, &sections);
    if end > data.len() {
        return Err("a segment reaches past the end of the file".into());
    }
    let choice = choose(&sections, h.shstrndx, end)?;
    // Only the section-name table itself would go: nothing to strip.
    if choice.removed.len() == 1 && choice.removed[0] == sections[h.shstrndx].name {
        return Ok(unchanged());
    }
    let mut out = data[..end].to_vec();
    let placed = place_kept(&mut out, data, &h, &sections, &choice, &moved_segments)?;
    write_section_headers(&mut out, &h, placed);
    Ok(Stripped {
        bytes: out,
        removed: choice.removed,
    })
}

fn align_to(out: &mut Vec<u8>, align: u64) {
    let align = align.max(1) as usize;
    while !out.len().is_multiple_of(align) {
        out.push(0);
    }
}

/// The kept sections with their links renumbered; the attributes sections' bytes (after
/// the segments) carried over to the end of `out`, their moved segments pointed there.
fn place_kept(
    out: &mut Vec<u8>,
    data: &[u8],
    h: &Header,
    sections: &[Section],
    choice: &Choice,
    moved_segments: &[(usize, usize)],
) -> std::result::Result<Vec<Section>, String> {
    let elf = &h.elf;
    let mut placed: Vec<Section> = Vec::with_capacity(choice.kept.len());
    for &i in &choice.kept {
        let mut s = sections[i].clone();
        let loaded = s.flags & SHF_ALLOC != 0;
        if !loaded {
            let bytes = slice(data, s.offset as usize, s.size as usize)?;
            align_to(out, s.align);
            s.offset = out.len() as u64;
            out.extend_from_slice(bytes);
            for &(at, _) in moved_segments.iter().filter(|(_, section)| *section == i) {
                elf.patch_word(out, at + if elf.wide { 8 } else { 4 }, s.offset);
            }
        }
        s.link = choice.new_index.get(s.link as usize).copied().unwrap_or(0);
        if s.flags & SHF_INFO_LINK != 0 || matches!(s.kind, SHT_REL | SHT_RELA) {
            s.info = choice.new_index.get(s.info as usize).copied().unwrap_or(0);
        }
        placed.push(s);
    }
    Ok(placed)
}

/// A new section-name table (the kept names, then its own), then the section header
/// table after it, and the ELF header pointed at both.
fn write_section_headers(out: &mut Vec<u8>, h: &Header, mut placed: Vec<Section>) {
    let elf = &h.elf;
    let mut strtab = vec![0u8];
    for s in &mut placed {
        s.sh_name = strtab.len() as u32;
        strtab.extend_from_slice(s.name.as_bytes());
        strtab.push(0);
    }
    let own_name = strtab.len() as u32;
    strtab.extend_from_slice(b".shstrtab\0");
    let strtab_offset = out.len() as u64;
    out.extend_from_slice(&strtab);
    placed.push(Section {
        name: ".shstrtab".into(),
        sh_name: own_name,
        kind: SHT_STRTAB,
        flags: 0,
        addr: 0,
        offset: strtab_offset,
        size: strtab.len() as u64,
        link: 0,
        info: 0,
        align: 1,
        entsize: 0,
    });

    align_to(out, if elf.wide { 8 } else { 4 });
    let new_shoff = out.len() as u64;
    let header_start = out.len();
    // The null section first.
    out.resize(header_start + h.shentsize, 0);
    for s in &placed {
        let start = out.len();
        elf.put32(out, s.sh_name);
        elf.put32(out, s.kind);
        elf.put_word(out, s.flags);
        elf.put_word(out, s.addr);
        elf.put_word(out, s.offset);
        elf.put_word(out, s.size);
        elf.put32(out, s.link);
        elf.put32(out, s.info);
        elf.put_word(out, s.align);
        elf.put_word(out, s.entsize);
        out.resize(start + h.shentsize, 0);
    }
    elf.patch_word(out, h.shoff_at, new_shoff);
    elf.patch16(out, h.sizes_at + 8, (placed.len() + 1) as u16);
    elf.patch16(out, h.sizes_at + 10, placed.len() as u16);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF64 little-endian executable laid out as linkers do: headers, one
    /// loadable segment holding `.text`, then `.comment`, `.symtab`, `.strtab` and
    /// `.shstrtab` after it, and the section headers last.
    fn sample(wide: bool, attributes: bool) -> Vec<u8> {
        sample_laid_out(wide, attributes, false)
    }

    /// With `attributes_segment`, the attributes come last, after 4 KiB standing for debug
    /// info, and a PT_RISCV_ATTRIBUTES-like segment points at them, as lld lays out RISC-V.
    fn sample_laid_out(wide: bool, attributes: bool, attributes_segment: bool) -> Vec<u8> {
        let elf = Layout { wide, big: false };
        let ehsize = if wide { 64 } else { 52 };
        let phentsize = if wide { 56 } else { 32 };
        let shentsize = if wide { 64 } else { 40 };
        let phnum = if attributes_segment { 2 } else { 1 };
        let text_off = ehsize + phnum * phentsize;
        let text = [0x90u8; 16];
        let mut body = vec![0u8; text_off];
        body.extend_from_slice(&text);
        let comment_off = body.len();
        body.extend_from_slice(b"zig 0.17.1\0");
        let mut attr_off = body.len();
        let attr = b"A\x10\0\0\0aeabi\0";
        if attributes && !attributes_segment {
            body.extend_from_slice(attr);
        }
        let symtab_off = body.len();
        body.extend_from_slice(&[0u8; 48]);
        let strtab_off = body.len();
        body.extend_from_slice(b"\0main\0");
        let names = b"\0.text\0.comment\0.symtab\0.strtab\0.shstrtab\0.ARM.attributes\0".to_vec();
        let names_off = body.len();
        body.extend_from_slice(&names);
        if attributes_segment {
            body.extend_from_slice(&[0xdb; 4096]);
            attr_off = body.len();
            body.extend_from_slice(attr);
        }
        while body.len() % 8 != 0 {
            body.push(0);
        }
        let shoff = body.len();
        // (name, type, flags, offset, size, link)
        let mut list = vec![
            (1u32, 1u32, 6u64, text_off, text.len(), 0u32),
            (7, 1, 0x30, comment_off, 11, 0),
            (16, 2, 0, symtab_off, 48, 4),
            (24, 3, 0, strtab_off, 6, 0),
            (32, 3, 0, names_off, names.len(), 0),
        ];
        if attributes {
            list.push((42, SHT_PROC_ATTRIBUTES, 0, attr_off, attr.len(), 0));
        }
        let mut shdrs = vec![0u8; shentsize];
        for (name, kind, flags, off, size, link) in &list {
            let start = shdrs.len();
            elf.put32(&mut shdrs, *name);
            elf.put32(&mut shdrs, *kind);
            elf.put_word(&mut shdrs, *flags);
            elf.put_word(
                &mut shdrs,
                if *kind == 1 && *flags == 6 { 0x1000 } else { 0 },
            );
            elf.put_word(&mut shdrs, *off as u64);
            elf.put_word(&mut shdrs, *size as u64);
            elf.put32(&mut shdrs, *link);
            elf.put32(&mut shdrs, 0);
            elf.put_word(&mut shdrs, 1);
            elf.put_word(&mut shdrs, 0);
            shdrs.resize(start + shentsize, 0);
        }
        body.extend_from_slice(&shdrs);
        // ELF header.
        let mut h = b"\x7fELF".to_vec();
        h.extend_from_slice(&[if wide { 2 } else { 1 }, 1, 1, 0]);
        h.resize(16, 0);
        elf.put16(&mut h, ET_EXEC);
        elf.put16(&mut h, if wide { 62 } else { 40 });
        elf.put32(&mut h, 1);
        elf.put_word(&mut h, 0x1000);
        elf.put_word(&mut h, ehsize as u64);
        elf.put_word(&mut h, shoff as u64);
        elf.put32(&mut h, 0);
        elf.put16(&mut h, ehsize as u16);
        elf.put16(&mut h, phentsize as u16);
        elf.put16(&mut h, phnum as u16);
        elf.put16(&mut h, shentsize as u16);
        elf.put16(&mut h, (list.len() + 1) as u16);
        elf.put16(&mut h, 5);
        // One PT_LOAD over headers and .text.
        let mut ph = Vec::new();
        elf.put32(&mut ph, 1);
        if wide {
            elf.put32(&mut ph, 5);
        }
        elf.put_word(&mut ph, 0);
        elf.put_word(&mut ph, 0x1000 - text_off as u64);
        elf.put_word(&mut ph, 0x1000 - text_off as u64);
        elf.put_word(&mut ph, (text_off + text.len()) as u64);
        elf.put_word(&mut ph, (text_off + text.len()) as u64);
        if !wide {
            elf.put32(&mut ph, 5);
        }
        elf.put_word(&mut ph, 0x1000);
        if attributes_segment {
            elf.put32(&mut ph, 0x7000_0003);
            if wide {
                elf.put32(&mut ph, 4);
            }
            elf.put_word(&mut ph, attr_off as u64);
            elf.put_word(&mut ph, 0);
            elf.put_word(&mut ph, 0);
            elf.put_word(&mut ph, attr.len() as u64);
            elf.put_word(&mut ph, attr.len() as u64);
            if !wide {
                elf.put32(&mut ph, 4);
            }
            elf.put_word(&mut ph, 1);
        }
        body[..ehsize].copy_from_slice(&h);
        body[ehsize..ehsize + phnum * phentsize].copy_from_slice(&ph);
        body
    }

    fn section_names(data: &[u8]) -> Vec<String> {
        use object::{Object, ObjectSection};
        let file = object::File::parse(data).expect("parses after strip");
        file.sections()
            .map(|s| s.name().unwrap_or("?").to_string())
            .collect()
    }

    #[test]
    fn symbols_debug_and_comments_go_loaded_bytes_stay() {
        for wide in [true, false] {
            let data = sample(wide, false);
            let stripped = strip(&data).unwrap();
            assert_eq!(
                stripped.removed,
                [".comment", ".symtab", ".strtab", ".shstrtab"],
                "wide={wide}"
            );
            assert!(stripped.bytes.len() < data.len());
            // Program headers and loaded bytes unchanged; only the section fields of
            // the ELF header differ.
            let (ehsize, text_end) = if wide {
                (64, 64 + 56 + 16)
            } else {
                (52, 52 + 32 + 16)
            };
            assert_eq!(stripped.bytes[ehsize..text_end], data[ehsize..text_end]);
            let names = section_names(&stripped.bytes);
            assert!(names.contains(&".text".to_string()), "{names:?}");
            assert!(!names.iter().any(|n| n == ".symtab" || n == ".comment"));
            let facts = crate::verify::read_facts(&stripped.bytes).unwrap();
            assert!(facts.stripped, "verify sees it as stripped");
        }
    }

    #[test]
    fn arm_attributes_are_kept_with_their_bytes() {
        let data = sample(false, true);
        let stripped = strip(&data).unwrap();
        let names = section_names(&stripped.bytes);
        assert!(names.contains(&".ARM.attributes".to_string()), "{names:?}");
        use object::{Object, ObjectSection};
        let file = object::File::parse(&*stripped.bytes).unwrap();
        let attrs = file.section_by_name(".ARM.attributes").unwrap();
        assert_eq!(attrs.data().unwrap(), b"A\x10\0\0\0aeabi\0");
    }

    #[test]
    fn an_attributes_segment_after_the_debug_info_moves_with_its_section() {
        use object::read::elf::{FileHeader, ProgramHeader};
        for wide in [true, false] {
            let data = sample_laid_out(wide, true, true);
            let stripped = strip(&data).unwrap().bytes;
            assert!(
                stripped.len() + 4096 < data.len(),
                "wide={wide}: the 4 KiB before the attributes stay ({} of {} bytes)",
                stripped.len(),
                data.len()
            );
            use object::{Object, ObjectSection};
            let file = object::File::parse(&*stripped).unwrap();
            let section = file.section_by_name(".ARM.attributes").unwrap();
            assert_eq!(section.data().unwrap(), b"A\x10\0\0\0aeabi\0");
            let (offset, _) = section.file_range().unwrap();
            let segment_offset = if wide {
                let header =
                    object::elf::FileHeader64::<object::Endianness>::parse(&*stripped).unwrap();
                let endian = header.endian().unwrap();
                header.program_headers(endian, &*stripped).unwrap()[1].p_offset(endian)
            } else {
                let header =
                    object::elf::FileHeader32::<object::Endianness>::parse(&*stripped).unwrap();
                let endian = header.endian().unwrap();
                u64::from(header.program_headers(endian, &*stripped).unwrap()[1].p_offset(endian))
            };
            assert_eq!(
                segment_offset, offset,
                "wide={wide}: the segment follows its section"
            );
        }
    }

    #[test]
    fn a_stripped_file_strips_to_itself() {
        let once = strip(&sample(true, false)).unwrap().bytes;
        let twice = strip(&once).unwrap();
        assert!(twice.removed.is_empty());
        assert_eq!(twice.bytes, once);
    }

    #[test]
    fn objects_and_garbage_are_refused() {
        assert!(strip(b"not an elf").unwrap_err().contains("not an ELF"));
        let mut object_file = sample(true, false);
        object_file[16] = 1; // ET_REL
        assert!(
            strip(&object_file)
                .unwrap_err()
                .contains("not a linked executable")
        );
        let data = sample(true, false);
        assert!(strip(&data[..200]).is_err());
    }
}
