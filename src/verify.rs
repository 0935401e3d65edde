//! ELF checks: is this file a static executable for this target? Pure: it parses bytes
//! with the `object` crate and never executes what it reads.

use std::path::{Path, PathBuf};

use object::elf;
use object::read::elf::{
    AttributeReader, AttributesSection, Dyn, FileHeader, ProgramHeader, SectionHeader,
};
use object::{Endianness, FileKind};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::sys::hash::sha256_hex;
use crate::target::Target;

/// What an ELF file is, read from its headers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ElfFacts {
    pub class64: bool,
    pub little_endian: bool,
    pub machine: u16,
    pub executable: bool,
    pub interpreter: Option<String>,
    pub needed: Vec<String>,
    /// `ET_DYN` with no interpreter and no needed libraries: a static-pie.
    pub static_pie: bool,
    pub stripped: bool,
    pub arm: Option<ArmAttributes>,
    /// Linked by Go's own linker from pure Go (a `.go.buildinfo` section and no
    /// `.ARM.attributes`): no C code, so no C float ABI to match.
    pub pure_go: bool,
    /// Linked with glibc, read from what glibc's own startup code and libc.a leave in
    /// every program and musl never does: the `NT_GNU_ABI_TAG` note of glibc's `crt1.o`
    /// (in a `PT_NOTE` segment, so it survives stripping the section headers) or one of
    /// glibc's `__libc_*` sections (`__libc_freeres_fn`, `__libc_IO_vtables`, …).
    pub glibc: Option<String>,
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

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub path: PathBuf,
    /// The target the file was checked against (given, or read from the ELF machine).
    pub target: Option<Target>,
    pub size: u64,
    pub sha256: String,
    pub stripped: bool,
    pub static_pie: bool,
    pub ok: bool,
    pub problems: Vec<String>,
    #[serde(skip)]
    pub(crate) help: String,
}

impl Report {
    pub(crate) fn into_result(self) -> Result<Report> {
        if self.ok {
            return Ok(self);
        }
        Err(Error::Verify {
            path: self.path.clone(),
            target: self.target,
            reason: self.problems.join("; "),
            help: self.help.clone(),
        })
    }
}

/// Reads and checks one file. Never fails for what the file contains: that is in the
/// report; fails only when the file cannot be read.
pub(crate) fn verify_file(path: &Path, target: Option<Target>) -> Result<Report> {
    let bytes = std::fs::read(path).map_err(Error::io("cannot read", path))?;
    Ok(verify_bytes(path, &bytes, target))
}

pub fn verify_bytes(path: &Path, bytes: &[u8], target: Option<Target>) -> Report {
    let mut report = Report {
        path: path.to_path_buf(),
        target,
        size: bytes.len() as u64,
        sha256: sha256_hex(bytes),
        stripped: false,
        static_pie: false,
        ok: false,
        problems: Vec::new(),
        help: String::new(),
    };
    let facts = match read_facts(bytes) {
        Ok(facts) => facts,
        Err(reason) => {
            report.problems.push(reason);
            report.help = "muslbuild verifies Linux ELF executables; give it the built program, not a source, object or script".into();
            return report;
        }
    };
    report.stripped = facts.stripped;
    report.static_pie = facts.static_pie;
    let target = target.or_else(|| target_of_machine(facts.machine));
    report.target = target;
    let (problems, help) = check(&facts, target);
    report.ok = problems.is_empty();
    report.problems = problems;
    report.help = help;
    report
}

pub(crate) fn target_of_machine(machine: u16) -> Option<Target> {
    Target::ALL.into_iter().find(|t| t.elf().machine == machine)
}

pub(crate) fn machine_name(machine: u16) -> String {
    match machine {
        m if m == elf::EM_X86_64.0 => "x86-64".into(),
        m if m == elf::EM_AARCH64.0 => "AArch64".into(),
        m if m == elf::EM_ARM.0 => "32-bit ARM".into(),
        m if m == elf::EM_386.0 => "i386".into(),
        m if m == elf::EM_RISCV.0 => "RISC-V".into(),
        other => format!("ELF machine {other}"),
    }
}

/// Every reason the file would not run as the target's static executable, and the help
/// for the first one.
pub(crate) fn check(facts: &ElfFacts, target: Option<Target>) -> (Vec<String>, String) {
    let mut problems = Vec::new();
    let mut help = String::new();
    let Some(target) = target else {
        problems.push(format!(
            "it is a {} file, not one of muslbuild's targets",
            machine_name(facts.machine)
        ));
        return (
            problems,
            "muslbuild builds for x86_64, aarch64 and armv7; see `muslbuild targets`".into(),
        );
    };
    let want = target.elf();
    if (facts.machine, facts.class64, facts.little_endian)
        != (want.machine, want.class64, want.little_endian)
    {
        problems.push(format!(
            "it is a {}{} binary, not {target}: a {} image would fail with `exec format error`",
            if facts.class64 { "64-bit " } else { "" },
            machine_name(facts.machine),
            target.oci_platform_string()
        ));
        help = format!(
            "build it for {target} (`--target {target}`), or verify it with the target it was built for"
        );
    }
    if !facts.executable {
        problems.push("it is not an executable (a relocatable object or shared library)".into());
    }
    if let Some(interp) = &facts.interpreter {
        problems.push(format!(
            "it is dynamically linked: it needs the interpreter {interp}{}, which a FROM scratch image does not have, so it would fail there with `exec ...: no such file or directory`",
            if facts.needed.is_empty() { String::new() } else { format!(" and {}", facts.needed.join(", ")) }
        ));
    } else if !facts.needed.is_empty() {
        problems.push(format!(
            "it needs shared libraries ({}) that a FROM scratch image does not have",
            facts.needed.join(", ")
        ));
    }
    // A dynamic glibc program is refused above for being dynamic; that says enough.
    if let Some(sign) = facts
        .glibc
        .as_ref()
        .filter(|_| facts.interpreter.is_none() && facts.needed.is_empty())
    {
        problems.push(format!(
            "it is a static glibc executable, not musl (it carries {sign}): static glibc still loads NSS modules, iconv and locale files at run time, which a FROM scratch image does not have, and muslbuild promises musl"
        ));
        if help.is_empty() {
            help = "build it with a musl toolchain (`muslbuild toolchain list` shows them; a compiler that links glibc is never used); if a cached probe said otherwise, `muslbuild cache verify` names the damaged record".into();
        }
    }
    if (facts.interpreter.is_some() || !facts.needed.is_empty()) && help.is_empty() {
        help = "link it statically with a musl toolchain: `muslbuild --target <arch> file.c` does (plain `gcc` links glibc dynamically)".into();
    }
    if let (Some(arm), Some(cpu)) = (&facts.arm, want.arm_cpu_arch) {
        let before = problems.len();
        match arm.cpu_arch {
            Some(v) if v <= u64::from(cpu) => {}
            Some(v) => problems.push(format!(
                "it needs a newer ARM architecture (Tag_CPU_arch {v}) than ARMv7-A"
            )),
            None => {}
        }
        if arm.cpu_arch_profile.is_some_and(|p| p == u64::from(b'M')) {
            problems.push("it is built for a microcontroller (ARM M profile), not ARMv7-A".into());
        }
        if arm.advanced_simd_arch.is_some_and(|v| v > 0) {
            problems.push("it requires NEON, which the linux/arm/v7 baseline (VFPv3-D16) does not guarantee: it would die with SIGILL on boards without it".into());
        }
        // 0 none, 1 VFPv1, 2 VFPv2, 4 VFPv3-D16; 3 (VFPv3 with 32 registers) and later
        // need more than the armhf baseline.
        if arm.fp_arch.is_some_and(|v| !matches!(v, 0 | 1 | 2 | 4)) {
            problems.push(format!(
                "it requires a floating-point unit beyond VFPv3-D16 (Tag_FP_arch {})",
                arm.fp_arch.unwrap_or_default()
            ));
        }
        // Go's internal linker never sets the EABI float flag; GOARM=7 code uses VFP
        // itself and calls no C, so the C ABI flag says nothing about it.
        if !arm.hard_float && !facts.pure_go {
            problems.push("it uses the soft-float ABI, not armhf's hard-float ABI".into());
        }
        if problems.len() > before && help.is_empty() {
            help = "build it with muslbuild's armv7 target, which pins ARMv7-A, Thumb-2, VFPv3-D16, hard float".into();
        }
    }
    (problems, help)
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
    for segment in header.program_headers(endian, bytes).map_err(bad)? {
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
    let mut arm_attributes = false;
    for section in sections.iter() {
        let name = sections.section_name(endian, section).unwrap_or_default();
        go_buildinfo |= name == b".go.buildinfo";
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
        pure_go: go_buildinfo && !arm_attributes,
        glibc,
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
fn read_arm_attributes<H: FileHeader>(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn attributes_section(pairs: &[(u8, u8)], cpu_name: &str) -> Vec<u8> {
        let mut file_attrs = vec![5u8];
        file_attrs.extend(cpu_name.as_bytes());
        file_attrs.push(0);
        for (tag, value) in pairs {
            file_attrs.extend([*tag, *value]);
        }
        let mut sub = vec![1u8];
        sub.extend(((file_attrs.len() + 5) as u32).to_le_bytes());
        sub.extend(file_attrs);
        let mut vendor = b"aeabi\0".to_vec();
        vendor.extend(sub);
        let mut out = vec![b'A'];
        out.extend(((vendor.len() + 4) as u32).to_le_bytes());
        out.extend(vendor);
        out
    }

    #[test]
    fn arm_attributes_are_read() {
        let data = attributes_section(&[(6, 10), (7, b'A'), (9, 2), (10, 4), (12, 1)], "7-A");
        let mut attrs = ArmAttributes::default();
        read_arm_attributes::<elf::FileHeader32<Endianness>>(Endianness::Little, &data, &mut attrs)
            .unwrap();
        assert_eq!(attrs.cpu_arch, Some(10));
        assert_eq!(attrs.cpu_arch_profile, Some(u64::from(b'A')));
        assert_eq!(attrs.thumb_isa_use, Some(2));
        assert_eq!(attrs.fp_arch, Some(4));
        assert_eq!(attrs.advanced_simd_arch, Some(1));

        // A section shorter than its own length field is refused, not half read.
        let result = read_arm_attributes::<elf::FileHeader32<Endianness>>(
            Endianness::Little,
            &data[..data.len() - 1],
            &mut ArmAttributes::default(),
        );
        assert!(result.is_err());
    }

    fn arm_facts(attrs: ArmAttributes) -> ElfFacts {
        ElfFacts {
            class64: false,
            little_endian: true,
            machine: elf::EM_ARM.0,
            executable: true,
            interpreter: None,
            needed: vec![],
            static_pie: false,
            stripped: true,
            arm: Some(attrs),
            pure_go: false,
            glibc: None,
        }
    }

    #[test]
    fn static_glibc_is_refused_and_dynamic_glibc_only_as_dynamic() {
        let glibc = ElfFacts {
            class64: true,
            machine: elf::EM_X86_64.0,
            arm: None,
            glibc: Some("glibc's ABI note (`.note.ABI-tag`)".into()),
            ..arm_facts(ArmAttributes::default())
        };
        let (problems, help) = check(&glibc, Some(Target::X86_64));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("static glibc executable, not musl"));
        assert!(help.contains("musl toolchain"));
        let dynamic = ElfFacts {
            interpreter: Some("/lib64/ld-linux-x86-64.so.2".into()),
            ..glibc
        };
        let (problems, _) = check(&dynamic, Some(Target::X86_64));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("dynamically linked"));
    }

    #[test]
    fn armv7_baseline_accepted_neon_and_soft_float_refused() {
        let baseline = ArmAttributes {
            cpu_arch: Some(10),
            fp_arch: Some(4),
            advanced_simd_arch: None,
            hard_float: true,
            ..Default::default()
        };
        assert!(
            check(&arm_facts(baseline.clone()), Some(Target::Armv7))
                .0
                .is_empty()
        );
        let neon = ArmAttributes {
            advanced_simd_arch: Some(1),
            ..baseline.clone()
        };
        let (problems, help) = check(&arm_facts(neon), Some(Target::Armv7));
        assert!(problems[0].contains("NEON"), "{problems:?}");
        assert!(help.contains("VFPv3-D16"));
        let soft = ArmAttributes {
            hard_float: false,
            ..baseline.clone()
        };
        assert!(check(&arm_facts(soft.clone()), Some(Target::Armv7)).0[0].contains("soft-float"));
        let go = ElfFacts {
            pure_go: true,
            ..arm_facts(ArmAttributes {
                cpu_arch: None,
                fp_arch: None,
                ..soft
            })
        };
        assert!(
            check(&go, Some(Target::Armv7)).0.is_empty(),
            "pure Go has no float ABI flag"
        );
        let v8 = ArmAttributes {
            cpu_arch: Some(14),
            fp_arch: Some(7),
            ..baseline
        };
        assert_eq!(check(&arm_facts(v8), Some(Target::Armv7)).0.len(), 2);
    }

    /// A minimal ELF64 executable, made byte by byte: header, program headers (PT_LOAD
    /// over the whole file, optional PT_INTERP and PT_DYNAMIC), interpreter string,
    /// dynamic string table and dynamic array.
    fn elf64(
        machine: u16,
        e_type: u16,
        interp: Option<&str>,
        needed: &[&str],
        dynamic: bool,
    ) -> Vec<u8> {
        const BASE: u64 = 0x400000;
        let phnum = 1 + usize::from(interp.is_some()) + usize::from(dynamic);
        let data_start = 64 + 56 * 3;
        let mut data = Vec::new();
        let interp_off = data_start + data.len();
        if let Some(i) = interp {
            data.extend(i.as_bytes());
            data.push(0);
        }
        let strtab_off = data_start + data.len();
        let mut strtab = vec![0u8];
        let mut name_offsets = Vec::new();
        for name in needed {
            name_offsets.push(strtab.len() as u64);
            strtab.extend(name.as_bytes());
            strtab.push(0);
        }
        data.extend(&strtab);
        while (data_start + data.len()) % 8 != 0 {
            data.push(0);
        }
        let dyn_off = data_start + data.len();
        let mut dyns: Vec<(u64, u64)> = name_offsets.iter().map(|&o| (1, o)).collect();
        dyns.extend([
            (5, BASE + strtab_off as u64),
            (10, strtab.len() as u64),
            (0, 0),
        ]);
        for (tag, val) in &dyns {
            data.extend(tag.to_le_bytes());
            data.extend(val.to_le_bytes());
        }
        let total = (data_start + data.len()) as u64;
        let mut out = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        out.extend(e_type.to_le_bytes());
        out.extend(machine.to_le_bytes());
        out.extend(1u32.to_le_bytes());
        out.extend((BASE + 0x100).to_le_bytes());
        out.extend(64u64.to_le_bytes());
        out.extend(0u64.to_le_bytes());
        out.extend(0u32.to_le_bytes());
        for v in [64u16, 56, phnum as u16, 64, 0, 0] {
            out.extend(v.to_le_bytes());
        }
        let mut phdr = |p_type: u32, offset: u64, size: u64| {
            out.extend(p_type.to_le_bytes());
            out.extend(5u32.to_le_bytes());
            out.extend(offset.to_le_bytes());
            out.extend((BASE + offset).to_le_bytes());
            out.extend((BASE + offset).to_le_bytes());
            out.extend(size.to_le_bytes());
            out.extend(size.to_le_bytes());
            out.extend(8u64.to_le_bytes());
        };
        phdr(1, 0, total);
        if let Some(i) = interp {
            phdr(3, interp_off as u64, i.len() as u64 + 1);
        }
        if dynamic {
            phdr(2, dyn_off as u64, (dyns.len() * 16) as u64);
        }
        out.resize(data_start, 0);
        out.extend(data);
        out
    }

    const X86: u16 = 62;
    const AARCH64: u16 = 183;

    #[test]
    fn static_executable_passes() {
        let bytes = elf64(X86, 2, None, &[], false);
        let report = verify_bytes(Path::new("hello"), &bytes, Some(Target::X86_64));
        assert!(report.ok, "{:?}", report.problems);
        assert!(report.stripped);
        assert!(!report.static_pie);
        assert_eq!(report.size, bytes.len() as u64);
        assert_eq!(report.sha256, sha256_hex(&bytes));
        // Without --target, the machine decides the target.
        assert_eq!(
            verify_bytes(Path::new("hello"), &bytes, None).target,
            Some(Target::X86_64)
        );
    }

    #[test]
    fn dynamic_executable_fails_with_the_scratch_explanation() {
        let bytes = elf64(
            X86,
            3,
            Some("/lib64/ld-linux-x86-64.so.2"),
            &["libc.so.6"],
            true,
        );
        let facts = read_facts(&bytes).unwrap();
        assert_eq!(
            facts.interpreter.as_deref(),
            Some("/lib64/ld-linux-x86-64.so.2")
        );
        assert_eq!(facts.needed, vec!["libc.so.6"]);
        let report = verify_bytes(Path::new("hello"), &bytes, Some(Target::X86_64));
        assert!(!report.ok);
        let problem = &report.problems[0];
        assert!(
            problem.contains("/lib64/ld-linux-x86-64.so.2 and libc.so.6"),
            "{problem}"
        );
        assert!(problem.contains("FROM scratch"), "{problem}");
        assert!(problem.contains("no such file or directory"), "{problem}");
    }

    #[test]
    fn needed_libraries_without_interpreter_fail() {
        let bytes = elf64(X86, 3, None, &["libz.so.1"], true);
        let report = verify_bytes(Path::new("x"), &bytes, Some(Target::X86_64));
        assert_eq!(
            report.problems,
            vec!["it needs shared libraries (libz.so.1) that a FROM scratch image does not have"]
        );
    }

    #[test]
    fn static_pie_is_accepted() {
        let bytes = elf64(AARCH64, 3, None, &[], true);
        let report = verify_bytes(Path::new("x"), &bytes, Some(Target::Aarch64));
        assert!(report.ok, "{:?}", report.problems);
        assert!(report.static_pie);
    }

    #[test]
    fn wrong_architecture_fails() {
        let bytes = elf64(AARCH64, 2, None, &[], false);
        let report = verify_bytes(Path::new("x"), &bytes, Some(Target::X86_64));
        assert!(!report.ok);
        assert!(
            report.problems[0].contains("64-bit AArch64 binary, not x86_64"),
            "{:?}",
            report.problems
        );
        assert!(report.problems[0].contains("exec format error"));
        let err = report.into_result().unwrap_err();
        assert!(err.help().contains("--target x86_64"), "{}", err.help());
    }

    #[test]
    fn relocatable_object_is_not_an_executable() {
        let bytes = elf64(X86, 1, None, &[], false);
        let report = verify_bytes(Path::new("x.o"), &bytes, Some(Target::X86_64));
        assert_eq!(
            report.problems,
            vec!["it is not an executable (a relocatable object or shared library)"]
        );
    }

    #[test]
    fn foreign_machine_without_target_is_refused() {
        let bytes = elf64(243, 2, None, &[], false);
        let report = verify_bytes(Path::new("x"), &bytes, None);
        assert!(
            report.problems[0].contains("RISC-V"),
            "{:?}",
            report.problems
        );
    }

    #[test]
    fn not_elf() {
        let report = verify_bytes(Path::new("hello.c"), b"int main(void){}", None);
        assert!(!report.ok);
        assert_eq!(report.problems, vec!["it is not an ELF file"]);
        assert!(matches!(report.into_result(), Err(Error::Verify { .. })));
    }
}
