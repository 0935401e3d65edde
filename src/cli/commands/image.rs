//! `muslbuild image`: the flags become the image room's options; the project (if any)
//! supplies the base `[image]`.

use crate::cli::ImageArgs;
use crate::cli::print::Printer;
use crate::context::Ctx;
use crate::error::Result;
use crate::image;

pub(crate) fn run(args: &ImageArgs, out: &mut Printer, ctx: &Ctx) -> Result<()> {
    let report = crate::project::image(&image_options(args), ctx)?;
    out.report(&report, || report.human())
}

/// The image room's own copy of the flags.
fn image_options(args: &ImageArgs) -> image::ImageOverrides {
    let ImageArgs {
        out_dir,
        targets,
        artifacts,
        bin_dir,
        oci_layout,
        oci_archive,
        tag,
        entrypoint,
        cmd,
        env,
        workdir,
        ports,
        labels,
        user,
        ca_certs,
        passwd,
        zoneinfo,
        no_dockerfile,
        files,
        vendor_files,
        dirs,
    } = args.clone();
    image::ImageOverrides {
        out_dir,
        targets,
        artifacts,
        bin_dir,
        oci_layout,
        oci_archive,
        tag,
        entrypoint,
        cmd,
        env,
        workdir,
        ports,
        labels,
        user,
        ca_certs,
        passwd,
        zoneinfo,
        no_dockerfile,
        files,
        vendor_files,
        dirs,
    }
}
