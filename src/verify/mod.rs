//! ELF checks: is this file a static executable for this target? Pure: it parses bytes
//! with the `object` crate and never executes what it reads. `elf.rs` reads the facts,
//! `baseline.rs` holds them against the target's pinned CPU and ABI, this file judges
//! the rest (static, musl, machine, class, endianness).

mod baseline;
mod elf;
pub(crate) mod gobuild;
pub(crate) mod paths;

use std::path::{Path, PathBuf};

use object::elf as e;
use serde::Serialize;

pub use self::elf::{ArmAttributes, ElfFacts, MipsAbiFlags, read_facts};
use crate::error::{Error, Result};
use crate::sys::hash::sha256_hex;
use crate::target::{ElfBaseline, Target};

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
    /// Strings naming build-machine folders (`muslbuild verify` fills it in; the ELF
    /// checks here know no folders).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub build_paths: Vec<paths::BuildPath>,
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
        build_paths: Vec::new(),
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
    let target = target.or_else(|| target_of(&facts));
    report.target = target;
    let (problems, help) = check(&facts, target);
    report.ok = problems.is_empty();
    report.problems = problems;
    report.help = help;
    report
}

/// The target a file was built for, read from it: machine, class and endianness, and
/// where several targets share those (ARM), the oldest baseline the file meets — an
/// ARMv6 file is an armv6 one, though armv7 boards run it too (for pure Go, its GOARM
/// says). Without either, or when none fits, the first in `Target::ALL` (armv7): its
/// refusal says what is missing.
pub(crate) fn target_of(facts: &ElfFacts) -> Option<Target> {
    let candidates: Vec<Target> = Target::ALL
        .into_iter()
        .filter(|t| same_kind(facts, *t))
        .collect();
    let has_arch = facts.arm.as_ref().is_some_and(|a| a.cpu_arch.is_some())
        || facts.go_setting("GOARM").is_some();
    candidates
        .iter()
        .copied()
        .filter(|t| baseline::check(facts, *t).is_empty())
        .min_by_key(|t| if has_arch { newest_arm_arch(*t) } else { 0 })
        .or_else(|| candidates.first().copied())
}

fn newest_arm_arch(target: Target) -> u64 {
    match target.elf().baseline {
        ElfBaseline::Arm(arm) => arm.cpu_arch.iter().copied().max().unwrap_or(0),
        _ => 0,
    }
}

fn same_kind(facts: &ElfFacts, target: Target) -> bool {
    let want = target.elf();
    (facts.machine, facts.class64, facts.little_endian)
        == (want.machine, want.class64, want.little_endian)
}

pub(crate) fn machine_name(machine: u16) -> String {
    match machine {
        m if m == e::EM_X86_64.0 => "x86-64".into(),
        m if m == e::EM_AARCH64.0 => "AArch64".into(),
        m if m == e::EM_ARM.0 => "ARM".into(),
        m if m == e::EM_386.0 => "i386".into(),
        m if m == e::EM_RISCV.0 => "RISC-V".into(),
        m if m == e::EM_PPC64.0 => "PowerPC64".into(),
        m if m == e::EM_PPC.0 => "PowerPC".into(),
        m if m == e::EM_S390.0 => "S/390".into(),
        m if m == e::EM_MIPS.0 => "MIPS".into(),
        m if m == e::EM_LOONGARCH.0 => "LoongArch".into(),
        other => format!("ELF machine {other}"),
    }
}

/// `32-bit ARM`, `x86-64`, `big-endian S/390`: a target's machine in a build summary,
/// naming class and byte order only where they are not the usual 64-bit little-endian.
pub(crate) fn short_kind_name(target: Target) -> String {
    let elf = target.elf();
    format!(
        "{}{}{}",
        if elf.class64 { "" } else { "32-bit " },
        if elf.little_endian { "" } else { "big-endian " },
        machine_name(elf.machine)
    )
}

/// `64-bit little-endian RISC-V`: what the ELF header says the file runs on.
fn kind_name(class64: bool, little_endian: bool, machine: u16) -> String {
    format!(
        "{}-bit {}-endian {}",
        if class64 { 64 } else { 32 },
        if little_endian { "little" } else { "big" },
        machine_name(machine)
    )
}

/// Every reason the file would not run as the target's static executable, and the help
/// for the first one.
pub(crate) fn check(facts: &ElfFacts, target: Option<Target>) -> (Vec<String>, String) {
    let mut problems = Vec::new();
    let mut help = String::new();
    let Some(target) = target else {
        problems.push(format!(
            "it is a {} file, not one of muslbuild's targets",
            kind_name(facts.class64, facts.little_endian, facts.machine)
        ));
        return (
            problems,
            "muslbuild builds for the targets `muslbuild targets` lists".into(),
        );
    };
    let want = target.elf();
    let same_kind = same_kind(facts, target);
    if !same_kind {
        problems.push(format!(
            "it is a {} binary, not {target} ({}): a {} image would fail with `exec format error`",
            kind_name(facts.class64, facts.little_endian, facts.machine),
            kind_name(want.class64, want.little_endian, want.machine),
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
    // The baseline is only worth reading in a file of the right kind.
    if same_kind {
        let baseline = baseline::check(facts, target);
        if !baseline.is_empty() && help.is_empty() {
            help = format!(
                "build it with muslbuild's {target} target, which pins {}",
                target.baseline()
            );
        }
        problems.extend(baseline);
    }
    (problems, help)
}

#[cfg(test)]
mod tests;
