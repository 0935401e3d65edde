//! The one `Target` type. Names are parsed here, once; every other naming scheme
//! (GNU prefix, zig, Go, OCI, ELF) is a method, so the rest of muslbuild never compares
//! triple strings.

use std::fmt;
use std::str::FromStr;

use target_lexicon::{Architecture, ArmArchitecture, Environment, OperatingSystem, Triple};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    X86_64,
    Aarch64,
    Armv7,
}

/// How the ELF of a target must look; `verify` checks artifacts against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ElfExpectation {
    pub(crate) class64: bool,
    pub(crate) little_endian: bool,
    pub(crate) machine: u16,
    /// ARM only: `Tag_CPU_arch` value the ABI baseline needs (10 = ARMv7).
    pub(crate) arm_cpu_arch: Option<u8>,
}

impl Target {
    pub(crate) const ALL: [Target; 3] = [Target::X86_64, Target::Aarch64, Target::Armv7];

    pub fn name(self) -> &'static str {
        match self {
            Target::X86_64 => "x86_64",
            Target::Aarch64 => "aarch64",
            Target::Armv7 => "armv7",
        }
    }

    /// The target of the machine muslbuild runs on, if it is one muslbuild builds for.
    pub fn host() -> Option<Target> {
        match Triple::host().architecture {
            Architecture::X86_64 => Some(Target::X86_64),
            Architecture::Aarch64(_) => Some(Target::Aarch64),
            Architecture::Arm(ArmArchitecture::Armv7) => Some(Target::Armv7),
            _ => None,
        }
    }

    /// Rust's triple; also the suffix of cc-rs style `CC_<triple>` variables.
    pub(crate) fn rust_triple(self) -> &'static str {
        match self {
            Target::X86_64 => "x86_64-unknown-linux-musl",
            Target::Aarch64 => "aarch64-unknown-linux-musl",
            Target::Armv7 => "armv7-unknown-linux-musleabihf",
        }
    }

    /// The GNU triple that autoconf's `--host` and musl-cross prefixes use.
    pub(crate) fn gnu_triple(self) -> &'static str {
        match self {
            Target::X86_64 => "x86_64-linux-musl",
            Target::Aarch64 => "aarch64-linux-musl",
            Target::Armv7 => "armv7l-linux-musleabihf",
        }
    }

    /// Every prefix a musl-cross GCC set may use for this target, most common first:
    /// the musl.cc naming, then the `*-unknown-linux-musl` naming of newer prebuilt sets.
    pub(crate) fn musl_cross_prefixes(self) -> &'static [&'static str] {
        match self {
            Target::X86_64 => &["x86_64-linux-musl", "x86_64-unknown-linux-musl"],
            Target::Aarch64 => &["aarch64-linux-musl", "aarch64-unknown-linux-musl"],
            Target::Armv7 => &[
                "armv7l-linux-musleabihf",
                "arm-linux-musleabihf",
                "armv7-linux-musleabihf",
                "armv7-unknown-linux-musleabihf",
            ],
        }
    }

    /// Debian's GNU cross compiler prefix (plus the musl specs of `musl-dev:<arch>`).
    pub(crate) fn debian_gnu_prefix(self) -> &'static str {
        match self {
            Target::X86_64 => "x86_64-linux-gnu",
            Target::Aarch64 => "aarch64-linux-gnu",
            Target::Armv7 => "arm-linux-gnueabihf",
        }
    }

    /// The multiarch directory name of musl in Debian (`/usr/lib/<this>/musl-gcc.specs`).
    pub(crate) fn debian_musl_multiarch(self) -> &'static str {
        match self {
            Target::X86_64 => "x86_64-linux-musl",
            Target::Aarch64 => "aarch64-linux-musl",
            Target::Armv7 => "arm-linux-musleabihf",
        }
    }

    /// The Debian architecture, for `apt-get install musl-dev:<arch>` hints.
    pub(crate) fn debian_arch(self) -> &'static str {
        match self {
            Target::X86_64 => "amd64",
            Target::Aarch64 => "arm64",
            Target::Armv7 => "armhf",
        }
    }

    pub(crate) fn zig_triple(self) -> &'static str {
        match self {
            Target::X86_64 => "x86_64-linux-musl",
            Target::Aarch64 => "aarch64-linux-musl",
            Target::Armv7 => "arm-linux-musleabihf",
        }
    }

    /// Compiler flags that pin the CPU baseline whatever the toolchain's default is.
    /// armv7 means Debian armhf / `linux/arm/v7`: ARMv7-A, Thumb-2, VFPv3-D16, hard
    /// float, no NEON (zig's default assumes NEON; boards without it die with SIGILL).
    pub(crate) fn gcc_cpu_flags(self) -> &'static [&'static str] {
        match self {
            Target::Armv7 => &[
                "-march=armv7-a",
                "-mfpu=vfpv3-d16",
                "-mfloat-abi=hard",
                "-mthumb",
            ],
            _ => &[],
        }
    }

    pub(crate) fn zig_cpu_flags(self) -> &'static [&'static str] {
        match self {
            Target::Armv7 => &["-mcpu=generic+v7a+vfp3d16-d32+thumb2-neon"],
            _ => &[],
        }
    }

    /// `GOARCH` and, for ARM, `GOARM`.
    pub(crate) fn go_arch(self) -> (&'static str, Option<&'static str>) {
        match self {
            Target::X86_64 => ("amd64", None),
            Target::Aarch64 => ("arm64", None),
            Target::Armv7 => ("arm", Some("7")),
        }
    }

    /// OCI platform as `(architecture, variant)`.
    pub(crate) fn oci_platform(self) -> (&'static str, Option<&'static str>) {
        match self {
            Target::X86_64 => ("amd64", None),
            Target::Aarch64 => ("arm64", None),
            Target::Armv7 => ("arm", Some("v7")),
        }
    }

    /// `linux/amd64`, `linux/arm/v7`: the form `docker --platform` takes.
    pub(crate) fn oci_platform_string(self) -> String {
        match self.oci_platform() {
            (arch, Some(variant)) => format!("linux/{arch}/{variant}"),
            (arch, None) => format!("linux/{arch}"),
        }
    }

    pub(crate) fn elf(self) -> ElfExpectation {
        match self {
            Target::X86_64 => ElfExpectation {
                class64: true,
                little_endian: true,
                machine: object::elf::EM_X86_64.0,
                arm_cpu_arch: None,
            },
            Target::Aarch64 => ElfExpectation {
                class64: true,
                little_endian: true,
                machine: object::elf::EM_AARCH64.0,
                arm_cpu_arch: None,
            },
            Target::Armv7 => ElfExpectation {
                class64: false,
                little_endian: true,
                machine: object::elf::EM_ARM.0,
                arm_cpu_arch: Some(10),
            },
        }
    }

    /// The qemu-user program that runs this target's binaries on another host.
    pub(crate) fn qemu_names(self) -> [&'static str; 2] {
        match self {
            Target::X86_64 => ["qemu-x86_64", "qemu-x86_64-static"],
            Target::Aarch64 => ["qemu-aarch64", "qemu-aarch64-static"],
            Target::Armv7 => ["qemu-arm", "qemu-arm-static"],
        }
    }

    /// Every spelling accepted on the command line, for `muslbuild targets` and errors.
    pub(crate) fn aliases(self) -> &'static [&'static str] {
        match self {
            Target::X86_64 => &[
                "amd64",
                "linux/amd64",
                "x86_64-linux-musl",
                "x86_64-unknown-linux-musl",
            ],
            Target::Aarch64 => &[
                "arm64",
                "linux/arm64",
                "linux/arm64/v8",
                "aarch64-linux-musl",
                "aarch64-unknown-linux-musl",
            ],
            Target::Armv7 => &[
                "armhf",
                "arm/v7",
                "linux/arm/v7",
                "armv7l-linux-musleabihf",
                "arm-linux-musleabihf",
                "armv7-linux-musleabihf",
                "armv7-unknown-linux-musleabihf",
            ],
        }
    }

    /// The target in every naming scheme at once, as `muslbuild targets` shows it.
    pub fn names(self) -> TargetNames {
        let (goarch, goarm) = self.go_arch();
        TargetNames {
            target: self,
            aliases: self.aliases(),
            gnu: self.gnu_triple(),
            musl_cross: self.musl_cross_prefixes(),
            zig: self.zig_triple(),
            rust: self.rust_triple(),
            goarch,
            goarm,
            oci: self.oci_platform_string(),
        }
    }

    /// Parses a whole `--target` value: comma-separated names, `all` for every target.
    pub(crate) fn parse_list(value: &str) -> Result<Vec<Target>, TargetParseError> {
        let mut targets = Vec::new();
        for name in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if name.eq_ignore_ascii_case("all") {
                targets.extend(Target::ALL);
            } else {
                targets.push(name.parse()?);
            }
        }
        if targets.is_empty() {
            return Err(TargetParseError {
                name: value.to_string(),
            });
        }
        Ok(targets)
    }
}

/// One target's names in each scheme (`Target::names`).
#[derive(Clone, Debug, serde::Serialize)]
pub struct TargetNames {
    pub target: Target,
    pub aliases: &'static [&'static str],
    pub gnu: &'static str,
    pub musl_cross: &'static [&'static str],
    pub zig: &'static str,
    pub rust: &'static str,
    pub goarch: &'static str,
    pub goarm: Option<&'static str>,
    pub oci: String,
}

impl serde::Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown target `{name}`")]
pub struct TargetParseError {
    pub(crate) name: String,
}

impl TargetParseError {
    pub(crate) fn help(&self) -> String {
        let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
        format!(
            "valid targets are {}, `all`, or any alias listed by `muslbuild targets` (amd64, arm64, armhf, linux/arm/v7, GNU and Rust triples)",
            names.join(", ")
        )
    }
}

impl FromStr for Target {
    type Err = TargetParseError;

    fn from_str(name: &str) -> Result<Target, TargetParseError> {
        let err = || TargetParseError {
            name: name.to_string(),
        };
        let lower = name.trim().to_ascii_lowercase();
        // Short names and OCI platforms are not triples; everything else goes through
        // target-lexicon so that any spelling of a musl Linux triple is understood.
        let short = match lower.as_str() {
            "x86_64" | "x86-64" | "amd64" | "linux/amd64" => Some(Target::X86_64),
            "aarch64" | "arm64" | "linux/arm64" | "linux/arm64/v8" | "arm64/v8" => {
                Some(Target::Aarch64)
            }
            "armv7" | "armv7l" | "armhf" | "arm/v7" | "linux/arm/v7" => Some(Target::Armv7),
            _ => None,
        };
        if let Some(target) = short {
            return Ok(target);
        }
        if lower.contains('/') {
            return Err(err());
        }
        // musl-cross names the armhf set `armv7l-…`, after `uname -m`; target-lexicon
        // only knows `armv7`.
        let lexicon_name = match lower.strip_prefix("armv7l-") {
            Some(rest) => format!("armv7-{rest}"),
            None => lower.clone(),
        };
        let triple = Triple::from_str(&lexicon_name).map_err(|_| err())?;
        if triple.operating_system != OperatingSystem::Linux {
            return Err(err());
        }
        match (triple.architecture, triple.environment) {
            (Architecture::X86_64, Environment::Musl) => Ok(Target::X86_64),
            (Architecture::Aarch64(_), Environment::Musl) => Ok(Target::Aarch64),
            (
                Architecture::Arm(
                    ArmArchitecture::Armv7 | ArmArchitecture::Armv7a | ArmArchitecture::Arm,
                ),
                Environment::Musleabihf,
            ) => Ok(Target::Armv7),
            _ => Err(err()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_names_round_trip() {
        for target in Target::ALL {
            assert_eq!(target.name().parse::<Target>(), Ok(target));
        }
    }

    #[test]
    fn every_listed_alias_parses_to_its_target() {
        for target in Target::ALL {
            for alias in target.aliases() {
                assert_eq!(alias.parse::<Target>(), Ok(target), "alias {alias}");
                assert_eq!(
                    alias.to_uppercase().parse::<Target>(),
                    Ok(target),
                    "alias {alias} upper"
                );
            }
            assert_eq!(target.rust_triple().parse::<Target>(), Ok(target));
            assert_eq!(target.gnu_triple().parse::<Target>(), Ok(target));
            assert_eq!(target.zig_triple().parse::<Target>(), Ok(target));
            assert_eq!(target.oci_platform_string().parse::<Target>(), Ok(target));
            for prefix in target.musl_cross_prefixes() {
                assert_eq!(prefix.parse::<Target>(), Ok(target), "prefix {prefix}");
            }
        }
    }

    #[test]
    fn glibc_and_foreign_triples_are_refused() {
        for name in [
            "x86_64-unknown-linux-gnu",
            "aarch64-linux-gnu",
            "arm-linux-gnueabihf",
            "armv7-unknown-linux-musleabi",
            "riscv64-linux-musl",
            "x86_64-apple-darwin",
            "linux/s390x",
            "mips",
            "",
            "arm/v6",
        ] {
            let err = name.parse::<Target>().unwrap_err();
            assert_eq!(err.name, name);
        }
    }

    #[test]
    fn lists_and_all() {
        assert_eq!(Target::parse_list("all").unwrap(), Target::ALL.to_vec());
        assert_eq!(
            Target::parse_list("x86_64, arm64,linux/arm/v7").unwrap(),
            vec![Target::X86_64, Target::Aarch64, Target::Armv7]
        );
        assert!(Target::parse_list(",").is_err());
        let err = Target::parse_list("x86_64,sparc").unwrap_err();
        assert_eq!(err.name, "sparc");
        assert!(err.help().contains("x86_64, aarch64, armv7"));
    }

    #[test]
    fn platform_names() {
        assert_eq!(Target::Armv7.oci_platform_string(), "linux/arm/v7");
        assert_eq!(Target::Aarch64.go_arch(), ("arm64", None));
        assert_eq!(Target::Armv7.go_arch(), ("arm", Some("7")));
    }
}
