//! Docker credential helpers (`credsStore`, `credHelpers` in `config.json`) run by
//! `image --push` against a real registry (Debian's `docker-registry` on 127.0.0.1) that
//! wants Basic credentials. The helper is a FAKE `docker-credential-fakehelper` script in
//! a folder put first on muslbuild's PATH: what is under test is that muslbuild runs the
//! right one, the way Docker does, and uses or reports its answer.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::image::env_with_dist;
use crate::registry::{FakeRegistry, Registry, json_push, push};
use crate::support::{TestEnv, require, stderr, success};

/// FAKE: `docker-credential-fakehelper` — logs its arguments and stdin to `calls`, then
/// answers as `FAKE_HELPER_MODE` says: `ok` (ci:s3cret), `token` (an identity token),
/// `missing` (Docker's "not found"), `fail` (an error on stderr).
fn fake_helper(bin: &Path, calls: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(bin).unwrap();
    let helper = bin.join("docker-credential-fakehelper");
    let script = format!(
        r#"#!/bin/sh
server=$(cat)
printf 'argv=%s stdin=%s\n' "$*" "$server" >> '{calls}'
case "$FAKE_HELPER_MODE" in
ok) printf '{{"ServerURL":"%s","Username":"ci","Secret":"s3cret"}}\n' "$server";;
token) printf '{{"ServerURL":"%s","Username":"<token>","Secret":"rt-1"}}\n' "$server";;
missing) echo "credentials not found in native keychain"; exit 1;;
*) echo "the keychain is locked" >&2; echo "more detail" >&2; exit 1;;
esac
"#,
        calls = calls.display()
    );
    std::fs::write(&helper, script).unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
}

struct Setup {
    env: TestEnv,
    bin: PathBuf,
    calls: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let env = env_with_dist();
        let bin = env.path().join("fake-bin");
        let calls = env.path().join("helper-calls");
        fake_helper(&bin, &calls);
        Setup { env, bin, calls }
    }

    /// `image --push reference` with `config` as `$DOCKER_CONFIG/config.json`, the fake
    /// helper's folder first on PATH.
    fn push(&self, reference: &str, config: &str, mode: &str) -> Command {
        let docker = self.env.path().join("docker");
        std::fs::create_dir_all(&docker).unwrap();
        std::fs::write(docker.join("config.json"), config).unwrap();
        let mut path = OsString::from(&self.bin);
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap_or_default());
        let mut cmd = push(&self.env, reference, None);
        cmd.env("DOCKER_CONFIG", &docker)
            .env("PATH", path)
            .env("FAKE_HELPER_MODE", mode);
        cmd
    }

    fn calls(&self) -> Vec<String> {
        let calls = std::fs::read_to_string(&self.calls).unwrap_or_default();
        std::fs::remove_file(&self.calls).ok();
        calls.lines().map(String::from).collect()
    }
}

/// The first error line and whether a `help:` line follows, of a push that must fail
/// with exit 14.
fn refused(cmd: &mut Command) -> String {
    let output = cmd.output().unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(14), "{text}");
    assert!(
        text.lines().any(|l| l.starts_with("help: ")),
        "no help line:\n{text}"
    );
    text.lines()
        .find(|l| l.starts_with("muslbuild: error: "))
        .unwrap_or_else(|| panic!("{text}"))
        .to_string()
}

#[test]
fn credential_helpers_are_run_as_docker_runs_them() {
    let htpasswd = require("htpasswd", "apache2-utils");
    let setup = Setup::new();
    let users = setup.env.path().join("htpasswd");
    let made = success(Command::new(htpasswd).args(["-Bbn", "ci", "s3cret"]));
    std::fs::write(&users, &made.stdout).unwrap();
    let registry = Registry::start(Some(&users));
    let host = registry.host();
    let reference = format!("{host}/hello:1.0");

    // credsStore: the default helper for every registry, asked for the host and port.
    let pushed = json_push(&mut setup.push(&reference, r#"{"credsStore":"fakehelper"}"#, "ok"));
    assert_eq!(pushed["push"]["blobs_uploaded"], 6, "{pushed}");
    assert_eq!(setup.calls(), vec![format!("argv=get stdin={host}")]);

    // credHelpers[host] wins over credsStore (a helper that is nowhere) and over the
    // auths entry (a wrong password).
    let config = format!(
        r#"{{"auths":{{"{host}":{{"username":"ci","password":"wrong"}}}},"credsStore":"nosuchhelper","credHelpers":{{"{host}":"fakehelper"}}}}"#
    );
    json_push(&mut setup.push(&format!("{host}/other:1.0"), &config, "ok"));
    assert_eq!(setup.calls(), vec![format!("argv=get stdin={host}")]);

    // "Not found" is no credentials, as in Docker: the registry's 401 is the error.
    let store = r#"{"credsStore":"fakehelper"}"#;
    let line = refused(&mut setup.push(&reference, store, "missing"));
    assert!(
        line.contains("requires credentials and none were found"),
        "{line}"
    );

    // A helper that fails is named, with the first line it wrote on stderr.
    let line = refused(&mut setup.push(&reference, store, "fail"));
    assert_eq!(
        line,
        format!(
            "muslbuild: error: the credential helper `docker-credential-fakehelper` failed for {host}: the keychain is locked"
        )
    );

    // An identity token cannot answer a registry that wants a user and password.
    let line = refused(&mut setup.push(&reference, store, "token"));
    assert!(
        line.contains(
            "wants a user and password (Basic), but its credentials are an identity token"
        ),
        "{line}"
    );

    // A helper that is not on PATH is named.
    let line = refused(&mut setup.push(&reference, r#"{"credsStore":"nosuchhelper"}"#, "ok"));
    assert!(
        line.contains("the credential helper `docker-credential-nosuchhelper`")
            && line.contains("is not on PATH"),
        "{line}"
    );
    setup.calls();

    // A registry that asks for nothing never starts the helper (one that would fail).
    let open = Registry::start(None);
    json_push(&mut setup.push(&format!("{}/hello:1.0", open.host()), store, "fail"));
    assert_eq!(setup.calls(), Vec::<String>::new());
}

#[test]
fn a_helpers_identity_token_is_traded_for_an_access_token_at_the_realm() {
    // FAKE: a token-auth registry (as Docker Hub, GHCR): every /v2/ request without the
    // access token gets a Bearer challenge; the realm hands out `acc-9` for a POST with
    // the refresh token `rt-1` (Docker's OAuth2 flow for identity tokens), nothing else.
    let fake = FakeRegistry::start(|seen, port| {
        let close = "Content-Length: 0\r\nConnection: close\r\n\r\n";
        if seen.target.starts_with("/token") {
            let form = |pair: &str| seen.body.split('&').any(|p| p == pair);
            return if seen.method == "POST"
                && form("grant_type=refresh_token")
                && form("refresh_token=rt-1")
            {
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 24\r\nConnection: close\r\n\r\n{\"access_token\":\"acc-9\"}".into()
            } else {
                format!("HTTP/1.1 401 Unauthorized\r\n{close}")
            };
        }
        if seen.authorization.as_deref() != Some("Bearer acc-9") {
            return format!(
                "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"fake\"\r\n{close}"
            );
        }
        match seen.method.as_str() {
            "HEAD" if seen.target.contains("/blobs/") => format!("HTTP/1.1 200 OK\r\n{close}"),
            "PUT" => format!("HTTP/1.1 201 Created\r\n{close}"),
            _ => format!("HTTP/1.1 404 Not Found\r\n{close}"),
        }
    });
    let setup = Setup::new();
    let host = format!("127.0.0.1:{}", fake.port);
    let config = format!(r#"{{"credHelpers":{{"{host}":"fakehelper"}}}}"#);
    let pushed = json_push(&mut setup.push(&format!("{host}/hello"), &config, "token"));
    assert_eq!(pushed["push"]["blobs_present"], 6, "{pushed}");
    assert_eq!(pushed["push"]["manifests_put"], 4, "{pushed}");
    assert_eq!(setup.calls(), vec![format!("argv=get stdin={host}")]);
    let seen = fake.seen.lock().unwrap();
    let asks: Vec<&str> = seen
        .iter()
        .filter(|s| s.target.starts_with("/token"))
        .map(|s| s.body.as_str())
        .collect();
    assert_eq!(asks.len(), 1, "one access token serves the push");
    assert!(
        asks[0].contains("scope=repository%3Ahello%3Apull%2Cpush")
            && asks[0].contains("service=fake"),
        "{}",
        asks[0]
    );
}

#[test]
fn the_remote_cache_runs_the_helper_once_per_run_and_sends_with_its_credentials() {
    let htpasswd = require("htpasswd", "apache2-utils");
    let setup = Setup::new();
    let users = setup.env.path().join("htpasswd");
    let made = success(Command::new(htpasswd).args(["-Bbn", "ci", "s3cret"]));
    std::fs::write(&users, &made.stdout).unwrap();
    let registry = Registry::start(Some(&users));
    let docker = setup.env.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    std::fs::write(docker.join("config.json"), r#"{"credsStore":"fakehelper"}"#).unwrap();
    let mut path = OsString::from(&setup.bin);
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    let mut cmd = setup.env.muslbuild();
    cmd.env("MUSLBUILD_HOME", setup.env.path().join("home"))
        .env(
            "MUSLBUILD_REMOTE_CACHE",
            format!("oci://{}/cache", registry.host()),
        )
        .env_remove("MUSLBUILD_REMOTE_CACHE_READ_ONLY")
        .env_remove("MUSLBUILD_OFFLINE")
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("XDG_RUNTIME_DIR")
        .env("DOCKER_CONFIG", &docker)
        .env("PATH", path)
        .env("FAKE_HELPER_MODE", "ok")
        .args(["--target", "x86_64,aarch64", "--toolchain", "musl-gcc"])
        .arg(crate::support::example("hello.c"));
    let text = stderr(&success(&mut cmd));
    assert!(!text.contains("warning"), "{text}");
    assert_eq!(
        registry.count("PUT"),
        2 * 3,
        "two entries: config, layer, manifest"
    );
    assert_eq!(
        setup.calls(),
        vec![format!("argv=get stdin={}", registry.host())],
        "one client for the run, the helper asked once"
    );
}
