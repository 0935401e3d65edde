//! `muslbuild sbom FILE`: the SPDX document written beside an artifact, as it is on disk
//! (it is already JSON, so `--json` prints the same bytes).

use crate::cli::SbomArgs;
use crate::cli::checks;
use crate::cli::print::Printer;
use crate::context::Ctx;
use crate::error::{Error, Result};

pub(crate) fn run(args: &SbomArgs, out: &mut Printer, ctx: &Ctx) -> Result<()> {
    let path = crate::dist_folder::sbom_path(&checks::absolute(&ctx.env, &args.file));
    let text = std::fs::read_to_string(&path).map_err(|_| Error::NoSuchFile {
        path: path.clone(),
        help: format!(
            "`muslbuild sbom` takes an artifact in dist/ (e.g. dist/x86_64/hello); {} was built without an SBOM (--no-sbom, `sbom = false`) or is not an artifact",
            args.file.display()
        ),
    })?;
    out.text(&text)
}
