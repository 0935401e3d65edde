//! One integration test binary, so the suite links once. Each module tests one stage
//! against real toolchains, qemu, skopeo and umoci; `support` holds the shared `TestEnv`.

mod buildpaths;
mod c;
mod corpus;
mod credential_helpers;
mod emulate;
mod fault;
mod go;
mod http;
mod image;
mod image_trust;
mod install;
mod kheaders;
mod libs;
mod merge;
mod meson;
mod objects;
mod pertarget;
mod plan;
mod project;
mod recipes;
mod registry;
mod remote_blobs;
mod remote_cache;
mod remote_project;
mod sbom;
mod shell;
mod strip;
mod support;
mod targets;
mod trust;
mod vendor;
mod zigld;
