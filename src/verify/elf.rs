//! Reading what an ELF file is from its bytes: headers, segments, sections and ARM
//! build attributes, with the `object` crate. Nothing here judges the file.

use object::elf;
use object::read::elf::{
    AttributeReader, AttributesSection, Dyn, FileHeader, ProgramHeader, SectionHeader,
};
use object::{Endianness, FileKind};
use serde::Serialize;

/// What an ELF file is, read from its headers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ElfFacts {
    pub class64: bool,
    pub little_endian: bool,
    pub machine: u16,
    /// `e_flags`: the ABI and ISA level on MIPS, the float ABI on LoongArch and RISC-V,
    /// the ELF ABI version on ppc64.
    pub flags: u32,
    pub executable: bool,
    pub interpreter: Option<String>,
    pub needed: Vec<String>,
    /// `ET_DYN` with no interpreter and no needed libraries: a static-pie.
    pub static_pie: bool,
    pub stripped: bool,
    pub arm: Option<ArmAttributes>,
    /// MIPS: the `PT_MIPS_ABIFLAGS` record (a segment, so stripping keeps it).
    pub mips: Option<MipsAbiFlags>,
    /// Linked by Go's own linker from pure Go (a `.go.buildinfo` section and no
    /// `.ARM.attributes`): no C code, so no C float ABI to match.
    pub pure_go: bool,
    /// Built by Go (a `.go.buildinfo` section), with or without cgo: Go's own objects do
    /// not carry the C ABI flags of MIPS, LoongArch, RISC-V or ppc64 in `e_flags`.
    pub go: bool,
    /// The `build` settings Go recorded in that section (`GOARCH=arm`, `GOARM=7`…): the
    /// baseline Go compiled for, which nothing else in a Go binary states.
    pub go_settings: Vec<(String, String)>,
    /// Linked with glibc, read from what glibc's own startup code and libc.a leave in
    /// every program and musl never does: the `NT_GNU_ABI_TAG` note of glibc's `crt1.o`
    /// (in a `PT_NOTE` segment, so it survives stripping the section headers) or one of
    /// glibc's `__libc_*` sections (`__libc_freeres_fn`, `__libc_IO_vtables`, …).
    pub glibc: Option<String>,
}

/// What a MIPS file's `.MIPS.abiflags` says about the CPU it needs (`Elf_MIPS_ABIFlags_v0`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MipsAbiFlags {
    pub isa_level: u8,
    pub isa_rev: u8,
    /// `Val_GNU_MIPS_ABI_FP_*`: 1 double, 2 single, 3 soft, 6/7 FP64.
    pub fp_abi: u8,
    /// `AFL_ASE_*` bits: the extensions used (MSA is 0x100).
    pub ases: u32,
}

/// The `aeabi` build attributes that decide whether an ARM binary runs on a board.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ArmAttributes {
    pub cpu_arch: Option<u64>,
    pub cpu_arch_profile: Option<u64>,
    pub fp_arch: Option<u64>,
    pub advanced_simd_arch: Option<u64>,
    pub thumb_isa_use: Option<u64>,
    pub hard_float: bool,
}

pub fn read_facts(bytes: &[u8]) -> std::result::Result<ElfFacts, String> {
    match FileKind::parse(bytes) {
        Ok(FileKind::Elf32) => facts::<elf::FileHeader32<Endianness>>(bytes),
        Ok(FileKind::Elf64) => facts::<elf::FileHeader64<Endianness>>(bytes),
        _ => Err("it is not an ELF file".to_string()),
    }
}

fn facts<H: FileHeader<Endian = Endianness>>(
    bytes: &[u8],
) -> std::result::Result<ElfFacts, String> {
    let bad = |e: object::Error| format!("it is a damaged ELF file ({e})");
    let header = H::parse(bytes).map_err(bad)?;
    let endian = header.endian().map_err(bad)?;
    let e_type = header.e_type(endian);
    let mut interpreter = None;
    let mut needed = Vec::new();
    let mut has_dynamic = false;
    let mut glibc = None;
    let mut mips = None;
    for segment in header.program_headers(endian, bytes).map_err(bad)? {
        if header.e_machine(endian) == elf::EM_MIPS
            && segment.p_type(endian) == elf::PT_MIPS_ABIFLAGS
        {
            let data = segment.data(endian, bytes).map_err(|()| {
                "it is a damaged ELF file (its MIPS ABI flags lie outside it)".to_string()
            })?;
            mips = Some(mips_abiflags(data, endian).ok_or_else(|| {
                "it is a damaged ELF file (its MIPS ABI flags are too short)".to_string()
            })?);
        }
        if let Ok(Some(mut notes)) = segment.notes(endian, bytes) {
            while let Ok(Some(note)) = notes.next() {
                if note.name() == b"GNU" && note.n_type(endian) == elf::NT_GNU_ABI_TAG {
                    glibc.get_or_insert_with(|| "glibc's ABI note (`.note.ABI-tag`)".to_string());
                }
            }
        }
        if let Some(interp) = segment.interpreter(endian, bytes).map_err(bad)? {
            let interp = interp.strip_suffix(&[0]).unwrap_or(interp);
            interpreter = Some(String::from_utf8_lossy(interp).into_owned());
        }
        if let Some(entries) = segment.dynamic(endian, bytes).map_err(bad)? {
            has_dynamic = true;
            let strtab = dynamic_strings(header, endian, bytes, entries);
            for entry in entries {
                if entry.d_tag(endian) == elf::DT_NEEDED {
                    let offset = entry.d_val(endian).into();
                    let name = strtab
                        .as_ref()
                        .and_then(|s| s.get(offset as u32).ok())
                        .map(|n| String::from_utf8_lossy(n).into_owned())
                        .unwrap_or_else(|| format!("<library at string offset {offset}>"));
                    needed.push(name);
                }
            }
        }
    }
    let sections = header.sections(endian, bytes).map_err(bad)?;
    let stripped = sections
        .symbols(endian, bytes, elf::SHT_SYMTAB)
        .map_err(bad)?
        .is_empty();
    let machine = header.e_machine(endian).0;
    let mut go_buildinfo = false;
    let mut go_settings = Vec::new();
    let mut arm_attributes = false;
    for section in sections.iter() {
        let name = sections.section_name(endian, section).unwrap_or_default();
        if name == b".go.buildinfo" {
            go_buildinfo = true;
            // Build info Go 1.18 and newer write; an older one's is behind pointers and
            // says nothing here.
            go_settings = section
                .data(endian, bytes)
                .ok()
                .and_then(super::gobuild::parse)
                .map(|info| info.settings)
                .unwrap_or_default();
        }
        if name.starts_with(b"__libc_") {
            glibc.get_or_insert_with(|| {
                format!("glibc's `{}` section", String::from_utf8_lossy(name))
            });
        }
        arm_attributes |= section.sh_type(endian) == elf::SHT_ARM_ATTRIBUTES;
    }
    let arm = if machine == elf::EM_ARM.0 {
        let mut attrs = ArmAttributes {
            hard_float: header.e_flags(endian).0 & elf::EF_ARM_ABI_FLOAT_HARD != 0,
            ..ArmAttributes::default()
        };
        for section in sections.iter() {
            if section.sh_type(endian) == elf::SHT_ARM_ATTRIBUTES {
                let data = section.data(endian, bytes).map_err(bad)?;
                // Unreadable attributes could hide NEON or a newer architecture: the
                // file is damaged, like any other section that cannot be read.
                read_arm_attributes::<H>(endian, data, &mut attrs).map_err(bad)?;
            }
        }
        Some(attrs)
    } else {
        None
    };
    Ok(ElfFacts {
        class64: header.is_class_64(),
        little_endian: endian == Endianness::Little,
        machine,
        flags: header.e_flags(endian).0,
        // A shared library is ET_DYN too, but has no entry point.
        executable: e_type == elf::ET_EXEC
            || (e_type == elf::ET_DYN && header.e_entry(endian).into() != 0),
        static_pie: e_type == elf::ET_DYN
            && has_dynamic
            && interpreter.is_none()
            && needed.is_empty(),
        interpreter,
        needed,
        stripped,
        arm,
        mips,
        pure_go: go_buildinfo && !arm_attributes,
        go: go_buildinfo,
        go_settings,
        glibc,
    })
}

impl ElfFacts {
    /// A `build` setting Go recorded (`GOARM`), if the file is Go and recorded it.
    pub(crate) fn go_setting(&self, key: &str) -> Option<&str> {
        super::gobuild::setting(&self.go_settings, key)
    }
}

/// `Elf_MIPS_ABIFlags_v0`: u16 version, u8 isa_level, isa_rev, gpr_size, cpr1_size,
/// cpr2_size, fp_abi, u32 isa_ext, ases, flags1, flags2.
fn mips_abiflags(data: &[u8], endian: Endianness) -> Option<MipsAbiFlags> {
    let ases = data.get(12..16)?.try_into().ok()?;
    Some(MipsAbiFlags {
        isa_level: *data.get(2)?,
        isa_rev: *data.get(3)?,
        fp_abi: *data.get(7)?,
        ases: match endian {
            Endianness::Little => u32::from_le_bytes(ases),
            Endianness::Big => u32::from_be_bytes(ases),
        },
    })
}

/// The dynamic string table, found through `DT_STRTAB` (an address) mapped back to a file
/// offset by the segment that loads it: stripped binaries may have no section headers.
fn dynamic_strings<'a, H: FileHeader<Endian = Endianness>>(
    header: &H,
    endian: Endianness,
    bytes: &'a [u8],
    entries: &[H::Dyn],
) -> Option<object::read::StringTable<'a>> {
    let find = |tag: elf::DynamicTag| {
        entries
            .iter()
            .find(|e| e.d_tag(endian) == tag)
            .map(|e| e.d_val(endian).into())
    };
    let addr = find(elf::DT_STRTAB)?;
    let size = find(elf::DT_STRSZ)?;
    for segment in header.program_headers(endian, bytes).ok()? {
        let vaddr: u64 = segment.p_vaddr(endian).into();
        let filesz: u64 = segment.p_filesz(endian).into();
        if segment.p_type(endian) == elf::PT_LOAD && addr >= vaddr && addr < vaddr + filesz {
            let offset = segment.p_offset(endian).into() + (addr - vaddr);
            return Some(object::read::StringTable::new(bytes, offset, offset + size));
        }
    }
    None
}

/// Reads the "aeabi" file-scope attributes of an `.ARM.attributes` section (ARM IHI 0045)
/// through `object`'s attribute reader; which tags hold strings is ARM's part.
pub(super) fn read_arm_attributes<H: FileHeader>(
    endian: H::Endian,
    data: &[u8],
    attrs: &mut ArmAttributes,
) -> object::Result<()> {
    let mut subsections = AttributesSection::<H>::new(endian, data)?.subsections()?;
    while let Some(subsection) = subsections.next()? {
        if subsection.vendor() != b"aeabi" {
            continue;
        }
        let mut subsubsections = subsection.subsubsections();
        while let Some(subsubsection) = subsubsections.next()? {
            if subsubsection.tag() == elf::Tag_File {
                read_file_attributes(subsubsection.attributes(), attrs)?;
            }
        }
    }
    Ok(())
}

fn read_file_attributes(
    mut reader: AttributeReader<'_>,
    attrs: &mut ArmAttributes,
) -> object::Result<()> {
    while let Some(tag) = reader.read_tag()? {
        // Tags 4, 5 and 67 and odd tags above 32 hold strings; 32 holds a number and a
        // string; the rest hold numbers.
        if tag == 32 {
            reader.read_integer()?;
            reader.read_string()?;
            continue;
        }
        if matches!(tag, 4 | 5 | 67) || (tag > 32 && tag % 2 == 1) {
            reader.read_string()?;
            continue;
        }
        let value = reader.read_integer()?;
        match tag {
            6 => attrs.cpu_arch = Some(value),
            7 => attrs.cpu_arch_profile = Some(value),
            9 => attrs.thumb_isa_use = Some(value),
            10 => attrs.fp_arch = Some(value),
            12 => attrs.advanced_simd_arch = Some(value),
            _ => {}
        }
    }
    Ok(())
}
