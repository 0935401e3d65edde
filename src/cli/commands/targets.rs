//! `muslbuild targets`: every target in each naming scheme, from `Target::names`.

use serde::Serialize;

use crate::cli::print::Printer;
use crate::error::Result;
use crate::target::{Target, TargetNames};
use crate::verify;

#[derive(Serialize)]
struct TargetRow {
    #[serde(flatten)]
    names: TargetNames,
    elf_machine: String,
    elf_class: u8,
    elf_endian: &'static str,
}

/// The listing is what the command is for, so `-q` does not hide it.
pub(crate) fn run(out: &mut Printer) -> Result<()> {
    let rows: Vec<TargetRow> = Target::ALL
        .iter()
        .map(|&t| {
            let elf = t.elf();
            TargetRow {
                names: t.names(),
                elf_machine: verify::machine_name(elf.machine),
                elf_class: if elf.class64 { 64 } else { 32 },
                elf_endian: if elf.little_endian { "little" } else { "big" },
            }
        })
        .collect();
    if out.is_json() {
        return out.json(&rows);
    }
    out.text(&table(&rows))
}

fn table(rows: &[TargetRow]) -> String {
    let line = |cells: [&str; 7]| {
        format!(
            "{:<11} {:<23} {:<24} {:<32} {:<26} {:<15} {}\n",
            cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6]
        )
    };
    let mut text = line([
        "TARGET",
        "GNU / musl-cross",
        "zig -target",
        "Rust",
        "Go",
        "OCI",
        "ELF",
    ]);
    for r in rows {
        let n = &r.names;
        let go = match n.go.variable {
            Some((name, value)) => format!("{} {name}={value}", n.go.goarch),
            None => n.go.goarch.to_string(),
        };
        let elf = format!(
            "{} {}-bit {}",
            r.elf_machine,
            r.elf_class,
            if r.elf_endian == "little" { "LE" } else { "BE" }
        );
        text += &line([n.target.name(), n.gnu, n.zig, n.rust, &go, &n.oci, &elf]);
    }
    text += "\nBaselines (pinned with every toolchain):\n";
    for r in rows {
        let n = &r.names;
        let zig = if n.zig_cpu.is_empty() {
            "zig default".to_string()
        } else {
            format!("zig {}", n.zig_cpu.join(" "))
        };
        let gcc = if n.gcc_cpu.is_empty() {
            "gcc default".to_string()
        } else {
            format!("gcc {}", n.gcc_cpu.join(" "))
        };
        text += &format!("{:<11} {}; {zig}; {gcc}\n", n.target.name(), n.baseline);
    }
    text += "\nRuns under / Debian cross toolchain:\n";
    for r in rows {
        let n = &r.names;
        let debian = match n.debian {
            Some(d) => format!("gcc-{} + musl-dev:{}", d.gnu_prefix, d.arch),
            None => "none in Debian".to_string(),
        };
        text += &format!("{:<11} {:<17} {debian}\n", n.target.name(), n.qemu);
    }
    text.push('\n');
    for r in rows {
        text += &format!(
            "{:<11} also: {}\n",
            r.names.target.name(),
            r.names.aliases.join(", ")
        );
    }
    text + "\n`all` means every target above; `arm` alone is ambiguous (armv5, armv6 or armv7).\n"
}
