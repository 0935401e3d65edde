//! `muslbuild image`: the flags become the image room's options; the project (if any)
//! supplies the base `[image]`.

use crate::cli::ImageArgs;
use crate::cli::ImageCommand;
use crate::cli::print::Printer;
use crate::context::Ctx;
use crate::error::Result;
use crate::image;

pub(crate) fn run(args: &ImageArgs, out: &mut Printer, ctx: &Ctx) -> Result<()> {
    if let Some(ImageCommand::Merge(merge)) = &args.command {
        if merge.push.is_none() && !merge.insecure_registries.is_empty() {
            return Err(crate::error::Error::usage(
                "--insecure-registry is only for --push",
                "add --push REF, or drop --insecure-registry",
            ));
        }
        let report = image::merge::run_merge(
            &image::merge::MergeOptions {
                inputs: merge.inputs.clone(),
                tag: merge.tag.clone(),
                oci_archive: merge.oci_archive.clone(),
                oci_layout: merge.oci_layout.clone(),
                push: merge
                    .push
                    .as_ref()
                    .map(|reference| image::push::PushOptions {
                        reference: reference.clone(),
                        insecure_registries: merge.insecure_registries.clone(),
                    }),
            },
            ctx,
        )?;
        return out.report(&report, || report.human());
    }
    if args.push.is_none() && !args.insecure_registries.is_empty() {
        return Err(crate::error::Error::usage(
            "--insecure-registry is only for --push",
            "add --push REF, or drop --insecure-registry",
        ));
    }
    if let Some(reference) = &args.push {
        // Checked before the image is made: a typo must not cost a build.
        image::registry::Reference::parse(reference)?;
    }
    let report = crate::project::image(&image_options(args), ctx)?;
    let Some(reference) = &args.push else {
        return out.report(&report, || report.human());
    };
    let options = image::push::PushOptions {
        reference: reference.clone(),
        insecure_registries: args.insecure_registries.clone(),
    };
    let pushed = image::push::push(&report.oci_layout, &report.tag, &options, ctx)?;
    #[derive(serde::Serialize)]
    struct Both<'a> {
        image: &'a image::ImageReport,
        push: &'a image::push::PushReport,
    }
    out.report(
        &Both {
            image: &report,
            push: &pushed,
        },
        || format!("{}{}", report.human(), pushed.human()),
    )
}

/// The image room's own copy of the flags.
fn image_options(args: &ImageArgs) -> image::ImageOverrides {
    let ImageArgs {
        out_dir,
        from,
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
        no_sbom,
        files,
        vendor_files,
        dirs,
        push: _,
        insecure_registries: _,
        command: _,
    } = args.clone();
    image::ImageOverrides {
        out_dir,
        from,
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
        no_sbom,
        files,
        vendor_files,
        dirs,
    }
}
