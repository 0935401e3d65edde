//! `muslbuild image`: the flags become the image room's options; the project (if any)
//! supplies the base `[image]`.

use crate::cli::ImageArgs;
use crate::cli::ImageCommand;
use crate::cli::print::Printer;
use crate::context::Ctx;
use crate::error::Result;
use crate::image;

/// `--mount-from` names a repository on the registry pushed to.
fn check_mount_sources(sources: &[String]) -> Result<()> {
    match sources
        .iter()
        .find(|s| !crate::sys::registry::is_repository(s))
    {
        Some(bad) => Err(crate::error::Error::usage(
            format!("`{bad}` is not a repository to mount blobs from"),
            "name a repository on the same registry, e.g. --mount-from team/base",
        )),
        None => Ok(()),
    }
}

pub(crate) fn run(args: &ImageArgs, out: &mut Printer, ctx: &Ctx) -> Result<()> {
    if let Some(ImageCommand::Merge(merge)) = &args.command {
        if merge.push.is_none()
            && !(merge.insecure_registries.is_empty() && merge.mount_from.is_empty())
        {
            return Err(crate::error::Error::usage(
                "--insecure-registry and --mount-from are only for --push",
                "add --push REF, or drop them",
            ));
        }
        check_mount_sources(&merge.mount_from)?;
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
                        mount_from: merge.mount_from.clone(),
                    }),
            },
            ctx,
        )?;
        return out.report(&report, || report.human());
    }
    if args.push.is_none() && !(args.insecure_registries.is_empty() && args.mount_from.is_empty()) {
        return Err(crate::error::Error::usage(
            "--insecure-registry and --mount-from are only for --push",
            "add --push REF, or drop them",
        ));
    }
    check_mount_sources(&args.mount_from)?;
    if let Some(reference) = &args.push {
        // Checked before the image is made: a typo must not cost a build.
        crate::sys::registry::Reference::parse(reference)?;
    }
    let report = crate::project::image(&image_options(args), ctx)?;
    let Some(reference) = &args.push else {
        return out.report(&report, || report.human());
    };
    let options = image::push::PushOptions {
        reference: reference.clone(),
        insecure_registries: args.insecure_registries.clone(),
        mount_from: args.mount_from.clone(),
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
        mount_from: _,
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
