//! Credentials for a registry, found where Docker and podman keep them: auth files
//! (`REGISTRY_AUTH_FILE`, podman's `auth.json`, Docker's `config.json`) and the credential
//! helpers those files name (`credHelpers`, `credsStore`).
//!
//! In one file Docker's order holds: `credHelpers[host]`, then `credsStore`, then the
//! `auths` entry — a configured helper decides alone, as in docker/cli, and its "not
//! found" means anonymous, not a fall back to `auths`. A helper runs only when a registry
//! asks for credentials (a 401), so an anonymous registry never starts one: Docker
//! Desktop's `credsStore: desktop` copied to a CI runner costs nothing until it matters.

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::sys::process::{Cmd, Supervisor};
use crate::sys::ui::Ui;

use super::DOCKER_HUB;

/// What a helper prints, on stdout, when it has nothing for the server (the message of
/// docker-credential-helpers' `ErrCredentialsNotFound`).
const NOT_FOUND: &str = "credentials not found in native keychain";

/// The user name a helper answers with when the secret is an identity token.
const TOKEN_USER: &str = "<token>";

/// How a registry is to be authenticated to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Credentials {
    Anonymous,
    Basic {
        user: String,
        password: String,
    },
    /// An identity (OAuth2 refresh) token: Docker's `identitytoken`, or a helper's answer
    /// for user `<token>`. Only a Bearer token service can take it.
    IdentityToken(String),
    /// A credential helper, asked on first need.
    Helper(Helper),
}

/// `docker-credential-NAME`, as an auth file names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Helper {
    pub(crate) name: String,
    /// Where it is on PATH (`None`: nowhere, said when it is needed).
    pub(crate) program: Option<PathBuf>,
    /// What it is asked for on stdin: the server address as Docker writes it.
    pub(crate) server: String,
    /// The auth file that names it, for the error messages.
    pub(crate) config: PathBuf,
}

/// Where credentials are looked for, first match wins: `REGISTRY_AUTH_FILE`, podman's
/// `$XDG_RUNTIME_DIR/containers/auth.json`, `$DOCKER_CONFIG/config.json`,
/// `~/.docker/config.json`.
pub(crate) fn auth_files(env: &Env) -> Vec<PathBuf> {
    let mut files = Vec::new();
    files.extend(env.get("REGISTRY_AUTH_FILE").map(PathBuf::from));
    files.extend(
        env.get("XDG_RUNTIME_DIR")
            .map(|d| PathBuf::from(d).join("containers/auth.json")),
    );
    match env.get("DOCKER_CONFIG") {
        Some(dir) => files.push(PathBuf::from(dir).join("config.json")),
        None => files.extend(
            env.get("HOME")
                .map(|h| PathBuf::from(h).join(".docker/config.json")),
        ),
    }
    files
}

/// The server address Docker hands a helper (and keys `credHelpers` by): the host and
/// port, or for Docker Hub its historical index URL.
pub(crate) fn server_address(registry: &str) -> &str {
    if registry == DOCKER_HUB {
        "https://index.docker.io/v1/"
    } else {
        registry
    }
}

/// Whether an `auths` or `credHelpers` key names `registry` (`https://` and paths are
/// ignored, as Docker's login writes both forms).
fn names_registry(key: &str, registry: &str) -> bool {
    let host = key
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = host.split('/').next().unwrap_or(host);
    host == registry
        || (registry == DOCKER_HUB
            && matches!(
                host,
                "index.docker.io" | "docker.io" | "registry-1.docker.io"
            ))
}

/// What one auth file says about `registry`: a helper's name, fixed credentials, or
/// nothing (the next file is asked).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Configured {
    Helper(String),
    Fixed(Credentials),
}

/// Docker's order within one file: `credHelpers[host]`, `credsStore`, `auths[host]`.
pub(crate) fn configured(doc: &serde_json::Value, registry: &str) -> Option<Configured> {
    let helper = doc
        .get("credHelpers")
        .and_then(|h| h.as_object())
        .and_then(|h| h.iter().find(|(key, _)| names_registry(key, registry)))
        .and_then(|(_, name)| name.as_str())
        .or_else(|| doc.get("credsStore").and_then(|s| s.as_str()))
        .filter(|name| !name.is_empty());
    if let Some(name) = helper {
        return Some(Configured::Helper(name.to_string()));
    }
    let (_, entry) = doc
        .get("auths")
        .and_then(|a| a.as_object())?
        .iter()
        .find(|(key, _)| names_registry(key, registry))?;
    let field = |name: &str| {
        entry
            .get(name)
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
            .map(String::from)
    };
    if let Some(token) = field("identitytoken") {
        return Some(Configured::Fixed(Credentials::IdentityToken(token)));
    }
    if let Some(auth) = field("auth") {
        let decoded = BASE64
            .decode(auth.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        if let Some((user, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) {
            return Some(Configured::Fixed(Credentials::Basic {
                user: user.to_string(),
                password: password.to_string(),
            }));
        }
    }
    match (field("username"), field("password")) {
        (Some(user), Some(password)) => {
            Some(Configured::Fixed(Credentials::Basic { user, password }))
        }
        _ => None,
    }
}

/// How to authenticate to `registry`, from the first auth file that says anything about
/// it. A helper is found on PATH here but run only when needed (`Helper::get`).
pub(crate) fn credentials(env: &Env, registry: &str) -> Result<Credentials> {
    for file in auth_files(env) {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        let doc: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            Error::Usage(
                format!("`{}` is not a valid auth file: {e}", file.display()),
                "fix or remove it; it is Docker's config.json format ({\"auths\": {HOST: {\"auth\": BASE64(user:password)}}})".into(),
            )
        })?;
        match configured(&doc, registry) {
            None => continue,
            Some(Configured::Fixed(credentials)) => return Ok(credentials),
            Some(Configured::Helper(name)) => {
                if name.contains('/') {
                    return Err(Error::Usage(
                        format!(
                            "`{}` names the credential helper `{name}`, which is not a helper's name",
                            file.display()
                        ),
                        "a helper is named by the suffix of its program: `\"credsStore\": \"pass\"` runs docker-credential-pass from PATH".into(),
                    ));
                }
                let program = format!("docker-credential-{name}");
                let path = env.path().cloned().unwrap_or_default();
                return Ok(Credentials::Helper(Helper {
                    program: which::which_in(&program, Some(&path), &env.cwd).ok(),
                    name,
                    server: server_address(registry).to_string(),
                    config: file,
                }));
            }
        }
    }
    Ok(Credentials::Anonymous)
}

impl Helper {
    fn program_name(&self) -> String {
        format!("docker-credential-{}", self.name)
    }

    /// Runs `docker-credential-NAME get` with the server address on stdin (never through
    /// a shell) and reads its answer.
    pub(crate) fn get(&self, supervisor: &Arc<Supervisor>, ui: Ui) -> Result<Credentials> {
        let program = self.program.as_deref().ok_or_else(|| Error::Registry {
            message: format!(
                "the credential helper `{}` that `{}` names is not on PATH",
                self.program_name(),
                self.config.display()
            ),
            help: format!(
                "install {} (or put its folder on PATH), or remove `credsStore`/`credHelpers` from that file and log in without a helper",
                self.program_name()
            ),
        })?;
        let output = Cmd::under(supervisor, ui, program)
            .arg("get")
            .output_with_input(self.server.as_bytes())?;
        self.answer(output.status.success(), &output.stdout, &output.stderr)
    }

    /// A helper's answer: JSON `{"ServerURL", "Username", "Secret"}`, "not found"
    /// (anonymous, as Docker takes it), or a failure named with its first line.
    pub(crate) fn answer(
        &self,
        success: bool,
        stdout: &[u8],
        stderr: &[u8],
    ) -> Result<Credentials> {
        let stdout = String::from_utf8_lossy(stdout);
        let stderr = String::from_utf8_lossy(stderr);
        if !success {
            if stdout.trim() == NOT_FOUND || stderr.trim() == NOT_FOUND {
                return Ok(Credentials::Anonymous);
            }
            let first = [stderr.trim(), stdout.trim()]
                .into_iter()
                .find(|t| !t.is_empty())
                .and_then(|t| t.lines().next())
                .map(|l| format!(": {}", l.chars().take(200).collect::<String>()))
                .unwrap_or_default();
            return Err(Error::Registry {
                message: format!(
                    "the credential helper `{}` failed for {}{first}",
                    self.program_name(),
                    self.server
                ),
                help: format!(
                    "run `echo {} | {} get` to see what it says (a locked keychain, an expired login?)",
                    self.server,
                    self.program_name()
                ),
            });
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            #[serde(rename = "Username", default)]
            username: String,
            #[serde(rename = "Secret", default)]
            secret: String,
        }
        let answer: Answer = serde_json::from_str(&stdout).map_err(|e| Error::Registry {
            message: format!(
                "the credential helper `{}` answered for {} with what is not its JSON: {e}",
                self.program_name(),
                self.server
            ),
            help: "a helper prints {\"ServerURL\":…,\"Username\":…,\"Secret\":…}; check that the program is a Docker credential helper".into(),
        })?;
        Ok(match (answer.username.as_str(), answer.secret) {
            (_, secret) if secret.is_empty() => Credentials::Anonymous,
            (TOKEN_USER, secret) => Credentials::IdentityToken(secret),
            (user, password) => Credentials::Basic {
                user: user.to_string(),
                password,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn a_per_registry_helper_wins_over_the_store_which_wins_over_auths() {
        let doc = json(
            r#"{"auths":{"reg.example":{"auth":"Y2k6czNjcmV0"}},"credsStore":"desktop","credHelpers":{"gcr.example":"gcloud"}}"#,
        );
        assert_eq!(
            configured(&doc, "gcr.example"),
            Some(Configured::Helper("gcloud".into()))
        );
        // A configured helper decides, even where `auths` has an entry (docker/cli).
        assert_eq!(
            configured(&doc, "reg.example"),
            Some(Configured::Helper("desktop".into()))
        );
        let doc = json(r#"{"auths":{"https://reg.example/v1/":{"auth":"Y2k6czNjcmV0"}}}"#);
        assert_eq!(
            configured(&doc, "reg.example"),
            Some(Configured::Fixed(Credentials::Basic {
                user: "ci".into(),
                password: "s3cret".into()
            }))
        );
        assert_eq!(configured(&doc, "other.example"), None);
        let doc = json(r#"{"credHelpers":{"gcr.example":"gcloud"},"credsStore":""}"#);
        assert_eq!(configured(&doc, "reg.example"), None);
    }

    #[test]
    fn an_identity_token_in_auths_is_kept_as_one() {
        let doc = json(r#"{"auths":{"reg.example":{"auth":"","identitytoken":"rt-1"}}}"#);
        assert_eq!(
            configured(&doc, "reg.example"),
            Some(Configured::Fixed(Credentials::IdentityToken("rt-1".into())))
        );
    }

    #[test]
    fn docker_hub_is_asked_for_by_its_index_url() {
        assert_eq!(server_address(DOCKER_HUB), "https://index.docker.io/v1/");
        assert_eq!(server_address("127.0.0.1:5000"), "127.0.0.1:5000");
        let doc = json(r#"{"credHelpers":{"https://index.docker.io/v1/":"hub"}}"#);
        assert_eq!(
            configured(&doc, DOCKER_HUB),
            Some(Configured::Helper("hub".into()))
        );
    }

    #[test]
    fn the_first_file_that_names_the_registry_decides() {
        let dir = tempfile::tempdir().unwrap();
        let podman = dir.path().join("auth.json");
        std::fs::write(
            &podman,
            r#"{"auths":{"reg.example":{"auth":"Y2k6czNjcmV0"}}}"#,
        )
        .unwrap();
        let docker = dir.path().join("docker");
        std::fs::create_dir(&docker).unwrap();
        std::fs::write(docker.join("config.json"), r#"{"credsStore":"fakehelper"}"#).unwrap();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        let env = Env::from_vars(
            [
                ("REGISTRY_AUTH_FILE", podman.as_os_str()),
                ("DOCKER_CONFIG", docker.as_os_str()),
                ("PATH", bin.as_os_str()),
            ],
            "/".into(),
        );
        assert!(matches!(
            credentials(&env, "reg.example").unwrap(),
            Credentials::Basic { .. }
        ));
        let Credentials::Helper(helper) = credentials(&env, "other.example").unwrap() else {
            panic!("credsStore applies to every registry");
        };
        assert_eq!(helper.name, "fakehelper");
        assert_eq!(helper.server, "other.example");
        assert_eq!(helper.program, None, "not on PATH yet");
        let err = helper.get(&Supervisor::new(), Ui::default()).unwrap_err();
        assert!(
            err.to_string().contains("docker-credential-fakehelper"),
            "{err}"
        );
        assert!(err.help().contains("install docker-credential-fakehelper"));

        let fake = bin.join("docker-credential-fakehelper");
        std::fs::write(&fake, "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let Credentials::Helper(helper) = credentials(&env, "other.example").unwrap() else {
            panic!("credsStore applies to every registry");
        };
        assert_eq!(helper.program.as_deref(), Some(fake.as_path()));
    }

    #[test]
    fn helper_answers_are_credentials_tokens_nothing_or_errors() {
        let helper = Helper {
            name: "fakehelper".into(),
            program: None,
            server: "127.0.0.1:5000".into(),
            config: "/c/config.json".into(),
        };
        assert_eq!(
            helper
                .answer(
                    true,
                    br#"{"ServerURL":"127.0.0.1:5000","Username":"ci","Secret":"s3cret"}"#,
                    b""
                )
                .unwrap(),
            Credentials::Basic {
                user: "ci".into(),
                password: "s3cret".into()
            }
        );
        assert_eq!(
            helper
                .answer(true, br#"{"Username":"<token>","Secret":"rt-1"}"#, b"")
                .unwrap(),
            Credentials::IdentityToken("rt-1".into())
        );
        assert_eq!(
            helper
                .answer(false, b"credentials not found in native keychain\n", b"")
                .unwrap(),
            Credentials::Anonymous
        );
        let err = helper
            .answer(false, b"", b"keychain is locked\nmore\n")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the credential helper `docker-credential-fakehelper` failed for 127.0.0.1:5000: keychain is locked"
        );
        assert!(helper.answer(true, b"not json", b"").is_err());
    }
}
