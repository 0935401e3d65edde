//! `muslbuild image`: the flags become the image room's options; the project (if any)
//! supplies the base `[image]`.

use crate::cli::ImageArgs;
use crate::cli::ImageCommand;
use crate::cli::PushArgs;
use crate::cli::print::Printer;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::image;

/// The push the flags ask for, checked before anything is made: a typo must not cost a
/// build.
fn push_options(args: &PushArgs) -> Result<Option<image::push::PushOptions>> {
    let Some(reference) = &args.push else {
        if args.insecure_registries.is_empty() && args.mount_from.is_empty() {
            return Ok(None);
        }
        return Err(Error::usage(
            "--insecure-registry and --mount-from are only for --push",
            "add --push REF, or drop them",
        ));
    };
    // `--mount-from` names a repository on the registry pushed to.
    if let Some(bad) = args
        .mount_from
        .iter()
        .find(|s| !crate::sys::registry::is_repository(s))
    {
        return Err(Error::usage(
            format!("`{bad}` is not a repository to mount blobs from"),
            "name a repository on the same registry, e.g. --mount-from team/base",
        ));
    }
    crate::sys::registry::Reference::parse(reference)?;
    Ok(Some(image::push::PushOptions {
        reference: reference.clone(),
        insecure_registries: args.insecure_registries.clone(),
        mount_from: args.mount_from.clone(),
    }))
}

pub(crate) fn run(args: &ImageArgs, out: &mut Printer, ctx: &Ctx) -> Result<()> {
    if let Some(ImageCommand::Merge(merge)) = &args.command {
        let report = image::merge::run_merge(
            &image::merge::MergeOptions {
                inputs: merge.inputs.clone(),
                tag: merge.tag.clone(),
                oci_archive: merge.oci_archive.clone(),
                oci_layout: merge.oci_layout.clone(),
                push: push_options(&merge.push)?,
            },
            ctx,
        )?;
        return out.report(&report, || report.human());
    }
    let push = push_options(&args.push)?;
    let report = crate::project::image(&image_options(args), ctx)?;
    let Some(options) = push else {
        return out.report(&report, || report.human());
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
