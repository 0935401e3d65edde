//! One integration test binary, so the suite links once. Each module tests one stage
//! against real toolchains, qemu, skopeo and umoci; `support` holds the shared `TestEnv`.

mod c;
mod corpus;
mod fault;
mod go;
mod http;
mod image;
mod image_trust;
mod install;
mod libs;
mod merge;
mod objects;
mod project;
mod registry;
mod remote_cache;
mod sbom;
mod strip;
mod support;
mod targets;
mod trust;
mod vendor;
mod zigld;
