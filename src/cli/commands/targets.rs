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
}

/// The listing is what the command is for, so `-q` does not hide it.
pub(crate) fn run(out: &mut Printer) -> Result<()> {
    let rows: Vec<TargetRow> = Target::ALL
        .iter()
        .map(|&t| TargetRow {
            names: t.names(),
            elf_machine: verify::machine_name(t.elf().machine),
        })
        .collect();
    if out.is_json() {
        return out.json(&rows);
    }
    out.text(&table(&rows))
}

fn table(rows: &[TargetRow]) -> String {
    let mut text = format!(
        "{:<8} {:<24} {:<21} {:<31} {:<17} {:<13} {:<8}\n",
        "TARGET", "GNU / musl-cross", "zig -target", "Rust", "Go", "OCI", "ELF"
    );
    for TargetRow {
        names: n,
        elf_machine,
    } in rows
    {
        let go = match n.goarm {
            Some(arm) => format!("{} GOARM={arm}", n.goarch),
            None => n.goarch.to_string(),
        };
        text += &format!(
            "{:<8} {:<24} {:<21} {:<31} {:<17} {:<13} {:<8}\n",
            n.target.name(),
            n.gnu,
            n.zig,
            n.rust,
            go,
            n.oci,
            elf_machine
        );
    }
    text.push('\n');
    for r in rows {
        text += &format!(
            "{:<8} also: {}\n",
            r.names.target.name(),
            r.names.aliases.join(", ")
        );
    }
    text + "\narmv7 means ARMv7-A, Thumb-2, VFPv3-D16, hard float, no NEON (Debian armhf, linux/arm/v7).\n"
}
