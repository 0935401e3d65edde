//! `muslbuild init`: a commented starter muslbuild.toml (never overwrites).

use crate::cli::print::{Printer, display_path};
use crate::context::Ctx;
use crate::error::Result;

pub(crate) fn run(out: &mut Printer, ctx: &Ctx) -> Result<()> {
    for path in crate::project::init(&ctx.env.cwd, ctx.temps())? {
        out.line(format_args!("wrote {}", display_path(&ctx.env, &path)))?;
    }
    out.line("next: muslbuild build")
}
