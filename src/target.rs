//! The one `Target` type. Names are parsed here, once; every other naming scheme
//! (GNU prefix, zig, Go, OCI, ELF, qemu) is one row of `SPECS`, read through methods, so
//! the rest of muslbuild never compares triple strings.

use std::fmt;
use std::str::FromStr;

use object::elf as e;
use target_lexicon::{Architecture, ArmArchitecture, Mips64Architecture, Triple};

/// Declaration order is the order of `ALL`, of `--target all` and of every listing;
/// the first three came first and keep their places.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    X86_64,
    Aarch64,
    Armv7,
    I386,
    Armv5,
    Armv6,
    Riscv64,
    Ppc64le,
    S390x,
    Mips64el,
    Loongarch64,
}

/// How the ELF of a target must look; `verify` checks artifacts against it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ElfExpectation {
    pub(crate) class64: bool,
    pub(crate) little_endian: bool,
    pub(crate) machine: u16,
    /// What the ELF can say about the CPU and ABI beyond its machine.
    pub(crate) baseline: ElfBaseline,
}

/// The part of a target's pinned baseline that the ELF header or its attributes record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ElfBaseline {
    /// Nothing beyond machine, class and endianness (x86, aarch64, s390x).
    None,
    /// ARM's `.ARM.attributes` and the EABI float flag.
    Arm(ArmBaseline),
    /// `e_flags`: the n64 ABI and an ISA level no newer than `max_arch` (an `EF_MIPS_ARCH`
    /// value).
    Mips64 { max_arch: u32 },
    /// `e_flags`: the LP64D ABI (64-bit FPU registers for arguments).
    LoongArchLp64d,
    /// `e_flags`: the LP64D float ABI, not RV64E.
    RiscvLp64d,
    /// `e_flags`: the ELFv2 ABI that every ppc64le Linux uses.
    PowerElfV2,
}

/// What an ARM target's build attributes may say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ArmBaseline {
    /// Accepted `Tag_CPU_arch` values (4 v5TE, 5 v5TEJ, 7 v6KZ, 8 v6T2, 9 v6K, 10 v7).
    pub(crate) cpu_arch: &'static [u64],
    /// Accepted `Tag_FP_arch` values (0 none, 1 VFPv1, 2 VFPv2, 4 VFPv3-D16).
    pub(crate) fp_arch: &'static [u64],
    /// Thumb-2 allowed (`Tag_THUMB_ISA_use` 2).
    pub(crate) thumb2: bool,
    pub(crate) hard_float: bool,
}

/// `GOARCH` and the variable that pins its baseline (`GOARM`, `GO386`, `GOPPC64`,
/// `GOMIPS64`), if it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GoArch {
    pub goarch: &'static str,
    pub variable: Option<(&'static str, &'static str)>,
}

/// Debian's names for a target, where Debian has the architecture and a musl for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Debian {
    /// The GNU cross compiler's prefix (`gcc-<prefix>`).
    pub gnu_prefix: &'static str,
    /// musl's multiarch folder (`/usr/lib/<this>/musl-gcc.specs`).
    pub musl_multiarch: &'static str,
    /// The dpkg architecture (`musl-dev:<arch>`).
    pub arch: &'static str,
}

impl Spec {
    /// Every spelling `--target` takes for this row: its name, aliases, GNU, musl-cross
    /// and Rust triples (no spelling is in two rows).
    fn accepted(&self) -> impl Iterator<Item = &'static str> {
        [self.name, self.gnu, self.rust]
            .into_iter()
            .chain(self.aliases.iter().copied())
            .chain(self.musl_cross.iter().copied())
    }
}

/// One target in every naming scheme: one row of `SPECS`.
struct Spec {
    target: Target,
    name: &'static str,
    /// Spellings accepted on the command line besides the name and the triples below.
    aliases: &'static [&'static str],
    /// The GNU triple that autoconf's `--host` takes.
    gnu: &'static str,
    /// musl-cross GCC prefixes, most common first (musl.cc, then `*-unknown-*`).
    musl_cross: &'static [&'static str],
    debian: Option<Debian>,
    zig: &'static str,
    zig_cpu: &'static [&'static str],
    /// zig's CPU flags for cgo's C compiles where they differ from `zig_cpu` (empty: the
    /// same).
    zig_cgo_cpu: &'static [&'static str],
    /// Macros clang predefines for this target and GCC does not, which sources read as
    /// another machine: zig compiles with them undefined, as GCC would.
    zig_undefine: &'static [&'static str],
    gcc_cpu: &'static [&'static str],
    rust: &'static str,
    /// Set wherever Go has a variable for it, so an inherited `GOAMD64=v3` or
    /// `GORISCV64=rva23u64` cannot raise the baseline.
    go: GoArch,
    oci: (&'static str, Option<&'static str>),
    elf: ElfExpectation,
    qemu: [&'static str; 2],
    /// `CMAKE_SYSTEM_PROCESSOR`; also meson's `cpu` (`uname -m`'s word for it).
    processor: &'static str,
    /// meson's `cpu_family` (its reference table's names: `arm` for every 32-bit ARM,
    /// `x86` for i686, `ppc64` and `mips64` whatever the endianness).
    meson_family: &'static str,
    /// The Linux kernel's `ARCH` (`make ARCH=arm64 headers_install`), then its `arch/`
    /// folder (`SRCARCH`): they differ on x86 only, where `ARCH` also says the word size
    /// (`x86_64`, `i386`) and both map to `arch/x86`. UAPI headers are per folder, so
    /// targets that share one (i386 and x86_64; armv5, armv6 and armv7) share them.
    linux: (&'static str, &'static str),
    /// The pinned baseline in words.
    baseline: &'static str,
}

const fn elf(
    class64: bool,
    little_endian: bool,
    machine: u16,
    baseline: ElfBaseline,
) -> ElfExpectation {
    ElfExpectation {
        class64,
        little_endian,
        machine,
        baseline,
    }
}

const fn go(goarch: &'static str, variable: Option<(&'static str, &'static str)>) -> GoArch {
    GoArch { goarch, variable }
}

const fn debian(
    gnu_prefix: &'static str,
    musl_multiarch: &'static str,
    arch: &'static str,
) -> Option<Debian> {
    Some(Debian {
        gnu_prefix,
        musl_multiarch,
        arch,
    })
}

/// The targets, one row each, in `Target` order.
const SPECS: [Spec; 11] = [
    Spec {
        target: Target::X86_64,
        name: "x86_64",
        aliases: &["x86-64", "amd64", "linux/amd64"],
        gnu: "x86_64-linux-musl",
        musl_cross: &["x86_64-linux-musl", "x86_64-unknown-linux-musl"],
        debian: debian("x86_64-linux-gnu", "x86_64-linux-musl", "amd64"),
        zig: "x86_64-linux-musl",
        zig_cpu: &[],
        zig_cgo_cpu: &[],
        zig_undefine: &[],
        gcc_cpu: &[],
        rust: "x86_64-unknown-linux-musl",
        go: go("amd64", Some(("GOAMD64", "v1"))),
        oci: ("amd64", None),
        elf: elf(true, true, e::EM_X86_64.0, ElfBaseline::None),
        qemu: ["qemu-x86_64", "qemu-x86_64-static"],
        processor: "x86_64",
        meson_family: "x86_64",
        linux: ("x86_64", "x86"),
        baseline: "x86-64",
    },
    Spec {
        target: Target::Aarch64,
        name: "aarch64",
        aliases: &["arm64", "linux/arm64", "arm64/v8", "linux/arm64/v8"],
        gnu: "aarch64-linux-musl",
        musl_cross: &["aarch64-linux-musl", "aarch64-unknown-linux-musl"],
        debian: debian("aarch64-linux-gnu", "aarch64-linux-musl", "arm64"),
        zig: "aarch64-linux-musl",
        zig_cpu: &[],
        zig_cgo_cpu: &[],
        zig_undefine: &[],
        gcc_cpu: &[],
        rust: "aarch64-unknown-linux-musl",
        go: go("arm64", Some(("GOARM64", "v8.0"))),
        oci: ("arm64", None),
        elf: elf(true, true, e::EM_AARCH64.0, ElfBaseline::None),
        qemu: ["qemu-aarch64", "qemu-aarch64-static"],
        processor: "aarch64",
        meson_family: "aarch64",
        linux: ("arm64", "arm64"),
        baseline: "ARMv8-A",
    },
    Spec {
        target: Target::Armv7,
        name: "armv7",
        aliases: &[
            "armv7l",
            "armhf",
            "arm/v7",
            "linux/arm/v7",
            "thumb-linux-musleabihf",
        ],
        gnu: "armv7l-linux-musleabihf",
        musl_cross: &[
            "armv7l-linux-musleabihf",
            "arm-linux-musleabihf",
            "armv7-linux-musleabihf",
            "armv7-unknown-linux-musleabihf",
        ],
        debian: debian("arm-linux-gnueabihf", "arm-linux-musleabihf", "armhf"),
        // Thumb-2, as Debian's armhf is built: zig ignores `-mthumb`, its `thumb` triple
        // makes the program and the musl zig builds for it Thumb code (hello 5,316 ->
        // 4,092 bytes).
        zig: "thumb-linux-musleabihf",
        // zig's default assumes NEON; boards without it die with SIGILL.
        zig_cpu: &["-mcpu=generic+v7a+vfp3d16-d32+thumb2-neon"],
        // Go compiles runtime/cgo's assembly, ARM code, with `-marm`, which zig ignores:
        // cgo's compiles ask for ARM mode here; the link (zig's musl, libraries) stays
        // Thumb-2, and the two interwork on every ARMv7.
        zig_cgo_cpu: &["-mcpu=generic+v7a+vfp3d16-d32+thumb2-neon-thumb_mode"],
        zig_undefine: &[],
        gcc_cpu: &[
            "-march=armv7-a",
            "-mfpu=vfpv3-d16",
            "-mfloat-abi=hard",
            "-mthumb",
        ],
        rust: "armv7-unknown-linux-musleabihf",
        go: go("arm", Some(("GOARM", "7"))),
        oci: ("arm", Some("v7")),
        elf: elf(
            false,
            true,
            e::EM_ARM.0,
            ElfBaseline::Arm(ArmBaseline {
                cpu_arch: &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
                fp_arch: &[0, 1, 2, 4],
                thumb2: true,
                hard_float: true,
            }),
        ),
        qemu: ["qemu-arm", "qemu-arm-static"],
        processor: "armv7l",
        meson_family: "arm",
        linux: ("arm", "arm"),
        baseline: "ARMv7-A, Thumb-2, VFPv3-D16, hard float, no NEON (Debian armhf)",
    },
    Spec {
        target: Target::I386,
        name: "i386",
        aliases: &[
            "i686",
            "x86",
            "386",
            "linux/386",
            "i386-linux-musl",
            "x86-linux-musl",
        ],
        gnu: "i686-linux-musl",
        musl_cross: &["i686-linux-musl", "i686-unknown-linux-musl"],
        debian: debian("i686-linux-gnu", "i386-linux-musl", "i386"),
        zig: "x86-linux-musl",
        zig_cpu: &["-mcpu=i686"],
        zig_cgo_cpu: &[],
        zig_undefine: &[],
        gcc_cpu: &["-march=i686"],
        rust: "i686-unknown-linux-musl",
        // Go's default GO386=sse2 needs a Pentium 4; the baseline is the Pentium Pro.
        go: go("386", Some(("GO386", "softfloat"))),
        oci: ("386", None),
        elf: elf(false, true, e::EM_386.0, ElfBaseline::None),
        qemu: ["qemu-i386", "qemu-i386-static"],
        processor: "i686",
        meson_family: "x86",
        linux: ("i386", "x86"),
        baseline: "i686, no MMX or SSE (Pentium Pro)",
    },
    Spec {
        target: Target::Armv5,
        name: "armv5",
        aliases: &["armv5te", "armv5l", "armel", "arm/v5", "linux/arm/v5"],
        gnu: "armv5l-linux-musleabi",
        musl_cross: &[
            "armv5l-linux-musleabi",
            "arm-linux-musleabi",
            "armv5te-linux-musleabi",
            "armv5te-unknown-linux-musleabi",
        ],
        debian: debian("arm-linux-gnueabi", "arm-linux-musleabi", "armel"),
        zig: "arm-linux-musleabi",
        zig_cpu: &["-mcpu=arm926ej_s"],
        zig_cgo_cpu: &[],
        zig_undefine: &[],
        gcc_cpu: &["-march=armv5te", "-mfloat-abi=soft", "-marm"],
        rust: "armv5te-unknown-linux-musleabi",
        go: go("arm", Some(("GOARM", "5"))),
        oci: ("arm", Some("v5")),
        elf: elf(
            false,
            true,
            e::EM_ARM.0,
            ElfBaseline::Arm(ArmBaseline {
                cpu_arch: &[1, 2, 3, 4, 5],
                fp_arch: &[0],
                thumb2: false,
                hard_float: false,
            }),
        ),
        qemu: ["qemu-arm", "qemu-arm-static"],
        processor: "armv5te",
        meson_family: "arm",
        linux: ("arm", "arm"),
        baseline: "ARMv5TE (ARM926EJ-S), soft float, no FPU (Debian armel)",
    },
    Spec {
        target: Target::Armv6,
        name: "armv6",
        aliases: &[
            "armv6l",
            "arm/v6",
            "linux/arm/v6",
            "armv6l-linux-musleabihf",
        ],
        gnu: "armv6-linux-musleabihf",
        musl_cross: &["armv6-linux-musleabihf", "arm-unknown-linux-musleabihf"],
        // Debian's armel is v5 soft float and its armhf is v7: neither is an armv6.
        debian: None,
        zig: "arm-linux-musleabihf",
        zig_cpu: &["-mcpu=arm1176jzf_s"],
        zig_cgo_cpu: &[],
        zig_undefine: &[],
        gcc_cpu: &["-march=armv6kz", "-mfpu=vfpv2", "-mfloat-abi=hard", "-marm"],
        // Rust's `arm-unknown-linux-musleabihf` is this: ARMv6, VFPv2, hard float.
        rust: "arm-unknown-linux-musleabihf",
        go: go("arm", Some(("GOARM", "6"))),
        oci: ("arm", Some("v6")),
        elf: elf(
            false,
            true,
            e::EM_ARM.0,
            ElfBaseline::Arm(ArmBaseline {
                cpu_arch: &[1, 2, 3, 4, 5, 6, 7, 9],
                fp_arch: &[0, 1, 2],
                thumb2: false,
                hard_float: true,
            }),
        ),
        qemu: ["qemu-arm", "qemu-arm-static"],
        processor: "armv6l",
        meson_family: "arm",
        linux: ("arm", "arm"),
        baseline: "ARMv6 (ARM1176JZF-S, Raspberry Pi 1 and Zero), VFPv2, hard float, no Thumb-2",
    },
    Spec {
        target: Target::Riscv64,
        name: "riscv64",
        aliases: &["riscv64gc", "linux/riscv64"],
        gnu: "riscv64-linux-musl",
        musl_cross: &["riscv64-linux-musl", "riscv64-unknown-linux-musl"],
        debian: debian("riscv64-linux-gnu", "riscv64-linux-musl", "riscv64"),
        zig: "riscv64-linux-musl",
        zig_cpu: &["-mcpu=baseline_rv64"],
        zig_cgo_cpu: &[],
        zig_undefine: &[],
        gcc_cpu: &["-march=rv64gc", "-mabi=lp64d"],
        rust: "riscv64gc-unknown-linux-musl",
        go: go("riscv64", Some(("GORISCV64", "rva20u64"))),
        oci: ("riscv64", None),
        elf: elf(true, true, e::EM_RISCV.0, ElfBaseline::RiscvLp64d),
        qemu: ["qemu-riscv64", "qemu-riscv64-static"],
        processor: "riscv64",
        meson_family: "riscv64",
        linux: ("riscv", "riscv"),
        baseline: "RV64GC, LP64D",
    },
    Spec {
        target: Target::Ppc64le,
        name: "ppc64le",
        aliases: &["ppc64el", "powerpc64le", "linux/ppc64le"],
        gnu: "powerpc64le-linux-musl",
        musl_cross: &["powerpc64le-linux-musl", "powerpc64le-unknown-linux-musl"],
        debian: debian("powerpc64le-linux-gnu", "powerpc64le-linux-musl", "ppc64el"),
        zig: "powerpc64le-linux-musl",
        zig_cpu: &["-mcpu=pwr8"],
        zig_cgo_cpu: &[],
        // Darwin's names for big-endian PowerPC, which clang also defines on little-endian
        // Linux. Byte-order checks written for Darwin take `__ppc__` to mean big-endian,
        // and a database engine built that way read its own pages backwards. GCC, which
        // Linux sources are tested with, defines neither here.
        zig_undefine: &["__ppc__", "__POWERPC__"],
        gcc_cpu: &["-mcpu=power8"],
        rust: "powerpc64le-unknown-linux-musl",
        go: go("ppc64le", Some(("GOPPC64", "power8"))),
        oci: ("ppc64le", None),
        elf: elf(true, true, e::EM_PPC64.0, ElfBaseline::PowerElfV2),
        qemu: ["qemu-ppc64le", "qemu-ppc64le-static"],
        processor: "ppc64le",
        meson_family: "ppc64",
        linux: ("powerpc", "powerpc"),
        baseline: "POWER8, ELFv2",
    },
    Spec {
        target: Target::S390x,
        name: "s390x",
        aliases: &["linux/s390x"],
        gnu: "s390x-linux-musl",
        musl_cross: &["s390x-linux-musl", "s390x-unknown-linux-musl"],
        debian: debian("s390x-linux-gnu", "s390x-linux-musl", "s390x"),
        zig: "s390x-linux-musl",
        zig_cpu: &["-mcpu=z196"],
        zig_cgo_cpu: &[],
        zig_undefine: &[],
        gcc_cpu: &["-march=z196"],
        rust: "s390x-unknown-linux-musl",
        go: go("s390x", None),
        oci: ("s390x", None),
        elf: elf(true, false, e::EM_S390.0, ElfBaseline::None),
        qemu: ["qemu-s390x", "qemu-s390x-static"],
        processor: "s390x",
        meson_family: "s390x",
        linux: ("s390", "s390"),
        baseline: "z196 (arch9), big-endian",
    },
    Spec {
        target: Target::Mips64el,
        name: "mips64el",
        aliases: &["mips64le", "linux/mips64le", "mips64el-linux-muslabi64"],
        gnu: "mips64el-linux-musl",
        musl_cross: &["mips64el-linux-musl", "mips64el-unknown-linux-muslabi64"],
        // Debian's musl names its folder after the CPU alone (debian/rules: MUSL_TRIPLE).
        debian: debian("mips64el-linux-gnuabi64", "mips64el-linux-musl", "mips64el"),
        zig: "mips64el-linux-muslabi64",
        // n64 code is PIC whatever is asked (implicit -mabicalls); saying so keeps zig
        // from passing -fno-PIC, which clang ignores with a warning on every compile.
        zig_cpu: &["-mcpu=mips64r2", "-fPIC"],
        zig_cgo_cpu: &[],
        zig_undefine: &[],
        gcc_cpu: &["-march=mips64r2", "-mabi=64"],
        rust: "mips64el-unknown-linux-muslabi64",
        go: go("mips64le", Some(("GOMIPS64", "hardfloat"))),
        oci: ("mips64le", None),
        elf: elf(
            true,
            true,
            e::EM_MIPS.0,
            ElfBaseline::Mips64 {
                max_arch: e::EF_MIPS_ARCH_64R2.0,
            },
        ),
        qemu: ["qemu-mips64el", "qemu-mips64el-static"],
        processor: "mips64el",
        meson_family: "mips64",
        linux: ("mips", "mips"),
        baseline: "MIPS64r2, n64 ABI, hard float",
    },
    Spec {
        target: Target::Loongarch64,
        name: "loongarch64",
        aliases: &["loong64", "linux/loong64"],
        gnu: "loongarch64-linux-musl",
        musl_cross: &["loongarch64-linux-musl", "loongarch64-unknown-linux-musl"],
        // Debian's loong64 is a ports architecture without a musl.
        debian: None,
        zig: "loongarch64-linux-musl",
        // zig's default CPU (la464) uses LSX/LASX, which the LA64 baseline and Debian's
        // qemu-loongarch64 lack: SIGILL. generic_la64 alone has no FPU, so LLVM falls back
        // to the soft-float ABI (LP64S, warning on every file): f and d give LP64D.
        zig_cpu: &["-mcpu=generic_la64+f+d"],
        zig_cgo_cpu: &[],
        zig_undefine: &[],
        gcc_cpu: &["-march=loongarch64", "-mabi=lp64d"],
        rust: "loongarch64-unknown-linux-musl",
        go: go("loong64", None),
        oci: ("loong64", None),
        elf: elf(true, true, e::EM_LOONGARCH.0, ElfBaseline::LoongArchLp64d),
        qemu: ["qemu-loongarch64", "qemu-loongarch64-static"],
        processor: "loongarch64",
        meson_family: "loongarch64",
        linux: ("loongarch", "loongarch"),
        baseline: "LA64 base (no LSX/LASX), LP64D",
    },
];

/// The fields of `{target.FIELD}` in a recipe's or project's arguments, flags and
/// environment (`Target::placeholder`), with what each gives for armv7.
pub(crate) const PLACEHOLDER_FIELDS: &[(&str, &str)] = &[
    (
        "gnu",
        "armv7l-linux-musleabihf: the GNU triple, autoconf's --host",
    ),
    ("zig", "arm-linux-musleabihf: zig's -target"),
    ("rust", "armv7-unknown-linux-musleabihf: Rust's triple"),
    ("goarch", "arm: GOARCH"),
    ("oci-arch", "arm: the OCI platform's architecture"),
    (
        "oci-variant",
        "v7: the OCI platform's variant, empty where there is none",
    ),
    ("bits", "32: the pointer width"),
    ("endian", "little (or big)"),
    (
        "linux-arch",
        "arm: the Linux kernel's ARCH (arm64, riscv, powerpc, …)",
    ),
];

/// Names that several targets could claim: refused with the candidates named, never
/// guessed.
const AMBIGUOUS: &[(&str, &[Target])] = &[
    ("arm", &[Target::Armv5, Target::Armv6, Target::Armv7]),
    ("linux/arm", &[Target::Armv5, Target::Armv6, Target::Armv7]),
    // Rust's `arm-unknown-linux-musleabi` is ARMv6 with soft float: neither armv5's
    // ISA nor armv6's float ABI.
    (
        "arm-unknown-linux-musleabi",
        &[Target::Armv5, Target::Armv6],
    ),
];

impl Target {
    pub(crate) const ALL: [Target; 11] = [
        Target::X86_64,
        Target::Aarch64,
        Target::Armv7,
        Target::I386,
        Target::Armv5,
        Target::Armv6,
        Target::Riscv64,
        Target::Ppc64le,
        Target::S390x,
        Target::Mips64el,
        Target::Loongarch64,
    ];

    fn spec(self) -> &'static Spec {
        &SPECS[self as usize]
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The target of the machine muslbuild runs on (as built: an i686 muslbuild says
    /// i386 even on an x86_64 kernel), if it is one muslbuild builds for.
    pub fn host() -> Option<Target> {
        match Triple::host().architecture {
            Architecture::X86_64 => Some(Target::X86_64),
            Architecture::Aarch64(_) => Some(Target::Aarch64),
            Architecture::Arm(ArmArchitecture::Armv7) => Some(Target::Armv7),
            Architecture::Arm(ArmArchitecture::Armv6) => Some(Target::Armv6),
            Architecture::Arm(ArmArchitecture::Armv5te) => Some(Target::Armv5),
            Architecture::X86_32(_) => Some(Target::I386),
            Architecture::Riscv64(_) => Some(Target::Riscv64),
            Architecture::Powerpc64le => Some(Target::Ppc64le),
            Architecture::S390x => Some(Target::S390x),
            Architecture::Mips64(Mips64Architecture::Mips64el) => Some(Target::Mips64el),
            Architecture::LoongArch64 => Some(Target::Loongarch64),
            _ => None,
        }
    }

    /// Rust's triple; also the suffix of cc-rs style `CC_<triple>` variables.
    pub(crate) fn rust_triple(self) -> &'static str {
        self.spec().rust
    }

    /// The GNU triple that autoconf's `--host` and musl-cross prefixes use.
    pub(crate) fn gnu_triple(self) -> &'static str {
        self.spec().gnu
    }

    /// Every prefix a musl-cross GCC set may use for this target, most common first:
    /// the musl.cc naming, then the `*-unknown-linux-musl` naming of newer prebuilt sets.
    pub(crate) fn musl_cross_prefixes(self) -> &'static [&'static str] {
        self.spec().musl_cross
    }

    /// Debian's GNU cross compiler and musl (`musl-dev:<arch>`), where Debian has both.
    pub(crate) fn debian(self) -> Option<Debian> {
        self.spec().debian
    }

    pub(crate) fn zig_triple(self) -> &'static str {
        self.spec().zig
    }

    /// Compiler flags that pin the CPU baseline whatever the toolchain's default is.
    pub(crate) fn gcc_cpu_flags(self) -> &'static [&'static str] {
        self.spec().gcc_cpu
    }

    /// zig's, the same way (mips64el's add `-fPIC`: see its row).
    pub(crate) fn zig_cpu_flags(self) -> &'static [&'static str] {
        self.spec().zig_cpu
    }

    /// Macros zig must not predefine for this target (`Spec::zig_undefine`).
    pub(crate) fn zig_undefined_macros(self) -> &'static [&'static str] {
        self.spec().zig_undefine
    }

    /// zig's CPU flags for cgo's C compiles, where they differ from `zig_cpu_flags`
    /// (armv7: ARM mode, which Go's runtime/cgo assembly needs).
    pub(crate) fn zig_cgo_cpu_flags(self) -> Option<&'static [&'static str]> {
        Some(self.spec().zig_cgo_cpu).filter(|flags| !flags.is_empty())
    }

    /// The pinned baseline in words, for listings and errors.
    pub(crate) fn baseline(self) -> &'static str {
        self.spec().baseline
    }

    /// `GOARCH` and the variable that pins its baseline (`GOARM=7`, `GO386=softfloat`…).
    pub(crate) fn go_arch(self) -> GoArch {
        self.spec().go
    }

    /// OCI platform as `(architecture, variant)`.
    pub(crate) fn oci_platform(self) -> (&'static str, Option<&'static str>) {
        self.spec().oci
    }

    /// `linux/amd64`, `linux/arm/v7`: the form `docker --platform` takes.
    pub(crate) fn oci_platform_string(self) -> String {
        match self.oci_platform() {
            (arch, Some(variant)) => format!("linux/{arch}/{variant}"),
            (arch, None) => format!("linux/{arch}"),
        }
    }

    pub(crate) fn elf(self) -> ElfExpectation {
        self.spec().elf
    }

    /// The first 20 bytes of this target's executables as binfmt_misc matches them:
    /// `(magic, mask)`. Class, endianness and machine must match; `e_type` may be
    /// `ET_EXEC` or `ET_DYN` (static-pie); the OS ABI and ABI version bytes are free
    /// (toolchains write 0 or 3, and 0 or 1 on mips), the padding must be zero — the
    /// shape of qemu's own `qemu-binfmt-conf.sh` entries.
    pub(crate) fn binfmt_magic(self) -> ([u8; 20], [u8; 20]) {
        let elf = self.elf();
        let mut magic = [0u8; 20];
        let mut mask = [0xffu8; 20];
        magic[..4].copy_from_slice(b"\x7fELF");
        magic[4] = if elf.class64 { 2 } else { 1 };
        magic[5] = if elf.little_endian { 1 } else { 2 };
        magic[6] = 1;
        mask[7] = 0;
        mask[8] = 0;
        let (exec, exec_mask) = ([0, 2], [0xff, 0xfe]);
        let machine = elf.machine.to_be_bytes();
        let order = |mut two: [u8; 2]| {
            if elf.little_endian {
                two.reverse();
            }
            two
        };
        magic[16..18].copy_from_slice(&order(exec));
        mask[16..18].copy_from_slice(&order(exec_mask));
        magic[18..20].copy_from_slice(&order(machine));
        (magic, mask)
    }

    /// The qemu-user programs that run this target's binaries on another host: Debian's
    /// `qemu-user` name, then `qemu-user-static`'s.
    pub(crate) fn qemu_names(self) -> [&'static str; 2] {
        self.spec().qemu
    }

    /// `CMAKE_SYSTEM_PROCESSOR` for a cross build; meson's `cpu` too.
    pub(crate) fn cmake_processor(self) -> &'static str {
        self.spec().processor
    }

    /// meson's `cpu_family` for a cross file's `[host_machine]`.
    pub(crate) fn meson_cpu_family(self) -> &'static str {
        self.spec().meson_family
    }

    /// The Linux kernel's name for the architecture, as its `ARCH=` takes it.
    pub(crate) fn linux_arch(self) -> &'static str {
        self.spec().linux.0
    }

    /// The kernel's `arch/` folder (`SRCARCH`): what a set of UAPI headers is made for.
    pub(crate) fn linux_srcarch(self) -> &'static str {
        self.spec().linux.1
    }

    /// 32 or 64: the width of a pointer (the ELF class).
    pub(crate) fn pointer_bits(self) -> u32 {
        if self.spec().elf.class64 { 64 } else { 32 }
    }

    /// `little` or `big`.
    pub(crate) fn endianness(self) -> &'static str {
        if self.spec().elf.little_endian {
            "little"
        } else {
            "big"
        }
    }

    /// The value of the build-file placeholder `{target}` (`field` None) or
    /// `{target.FIELD}`, one of `PLACEHOLDER_FIELDS`; None for another field.
    pub(crate) fn placeholder(self, field: Option<&str>) -> Option<String> {
        let value = match field {
            None => self.name().to_string(),
            Some("gnu") => self.gnu_triple().to_string(),
            Some("zig") => self.zig_triple().to_string(),
            Some("rust") => self.rust_triple().to_string(),
            Some("goarch") => self.go_arch().goarch.to_string(),
            Some("oci-arch") => self.oci_platform().0.to_string(),
            Some("oci-variant") => self.oci_platform().1.unwrap_or_default().to_string(),
            Some("bits") => self.pointer_bits().to_string(),
            Some("endian") => self.endianness().to_string(),
            Some("linux-arch") => self.linux_arch().to_string(),
            Some(_) => return None,
        };
        Some(value)
    }

    /// Spellings accepted on the command line besides the name and the GNU, musl-cross
    /// and Rust triples, for `muslbuild targets` and errors.
    pub(crate) fn aliases(self) -> &'static [&'static str] {
        self.spec().aliases
    }

    /// The target in every naming scheme at once, as `muslbuild targets` shows it.
    pub fn names(self) -> TargetNames {
        TargetNames {
            target: self,
            aliases: self.aliases(),
            gnu: self.gnu_triple(),
            musl_cross: self.musl_cross_prefixes(),
            debian: self.debian(),
            zig: self.zig_triple(),
            zig_cpu: self.zig_cpu_flags(),
            gcc_cpu: self.gcc_cpu_flags(),
            rust: self.rust_triple(),
            go: self.go_arch(),
            oci: self.oci_platform_string(),
            qemu: self.qemu_names()[0],
            linux_arch: self.linux_arch(),
            baseline: self.baseline(),
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
            return Err(TargetParseError::unknown(value));
        }
        Ok(targets)
    }

    /// The exact spelling, case aside, among one row's accepted names.
    fn by_exact_name(lower: &str) -> Option<Target> {
        SPECS
            .iter()
            .find(|s| s.accepted().any(|a| a == lower))
            .map(|s| s.target)
    }
}

/// One target's names in each scheme (`Target::names`).
#[derive(Clone, Debug, serde::Serialize)]
pub struct TargetNames {
    pub target: Target,
    pub aliases: &'static [&'static str],
    pub gnu: &'static str,
    pub musl_cross: &'static [&'static str],
    pub debian: Option<Debian>,
    pub zig: &'static str,
    pub zig_cpu: &'static [&'static str],
    pub gcc_cpu: &'static [&'static str],
    pub rust: &'static str,
    pub go: GoArch,
    pub oci: String,
    pub qemu: &'static str,
    pub linux_arch: &'static str,
    pub baseline: &'static str,
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
#[error("{}", self.message())]
pub struct TargetParseError {
    pub(crate) name: String,
    /// The targets an ambiguous name could mean; empty for an unknown name.
    pub(crate) candidates: Vec<Target>,
}

impl TargetParseError {
    fn unknown(name: &str) -> TargetParseError {
        TargetParseError {
            name: name.to_string(),
            candidates: Vec::new(),
        }
    }

    fn message(&self) -> String {
        if self.candidates.is_empty() {
            return format!("unknown target `{}`", self.name);
        }
        let names: Vec<&str> = self.candidates.iter().map(|t| t.name()).collect();
        format!(
            "ambiguous target `{}`: it could mean {}",
            self.name,
            join_or(&names)
        )
    }

    pub(crate) fn help(&self) -> String {
        if !self.candidates.is_empty() {
            let each: Vec<String> = self
                .candidates
                .iter()
                .map(|t| format!("`{t}` ({})", t.oci_platform_string()))
                .collect();
            let each: Vec<&str> = each.iter().map(String::as_str).collect();
            return format!(
                "name one: {}; `muslbuild targets` shows each one's baseline",
                join_or(&each)
            );
        }
        let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
        format!(
            "valid targets are {}, `all`, or any alias listed by `muslbuild targets` (amd64, arm64, armhf, 386, armel, linux/arm/v6, ppc64el, mips64le, loong64, GNU and Rust triples)",
            names.join(", ")
        )
    }
}

fn join_or(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

impl FromStr for Target {
    type Err = TargetParseError;

    fn from_str(name: &str) -> Result<Target, TargetParseError> {
        let lower = name.trim().to_ascii_lowercase();
        if let Some((_, candidates)) = AMBIGUOUS.iter().find(|(n, _)| *n == lower) {
            return Err(TargetParseError {
                name: name.to_string(),
                candidates: candidates.to_vec(),
            });
        }
        if let Some(target) = Target::by_exact_name(&lower) {
            return Ok(target);
        }
        // Any vendor in a four-part triple (`x86_64-pc-linux-musl`,
        // `aarch64-alpine-linux-musl`) means the same as none — except after a bare
        // `arm`, whose meaning differs between Rust (ARMv6) and GNU (any ARM) names.
        let parts: Vec<&str> = lower.split('-').collect();
        if let [arch, _vendor, "linux", env] = parts[..]
            && arch != "arm"
            && let Some(target) = Target::by_exact_name(&format!("{arch}-linux-{env}"))
        {
            return Ok(target);
        }
        Err(TargetParseError::unknown(name))
    }
}

#[cfg(test)]
mod tests;
