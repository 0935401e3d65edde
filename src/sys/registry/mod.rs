//! A client for the OCI Distribution API, as much as a push and the remote cache need:
//! image references, Basic and Bearer token authentication (with the credentials
//! `auth.rs` finds: auth files and the credential helpers they name), manifests and tags;
//! blobs, streamed to and from files, in `blob.rs`.
//!
//! Plain HTTP is used only for loopback hosts and hosts named with
//! `--insecure-registry`; everything else is HTTPS.

mod auth;
mod blob;

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::sys::process::Supervisor;
use crate::sys::ui::Ui;
use auth::Credentials;

pub(crate) use blob::BlobSource;

const DOCKER_HUB: &str = "registry-1.docker.io";

/// `HOST[:PORT]/REPOSITORY[:TAG]`, as `docker push` reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reference {
    pub(crate) registry: String,
    pub(crate) repository: String,
    pub(crate) tag: String,
}

impl Reference {
    pub(crate) fn parse(text: &str) -> Result<Reference> {
        let bad = |why: &str| {
            Error::Usage(
            format!("`{text}` is not an image reference to push to: {why}"),
            "write HOST[:PORT]/REPOSITORY[:TAG], e.g. registry.example.com/team/hello:1.0 or 127.0.0.1:5000/hello".into(),
        )
        };
        if text.contains('@') {
            return Err(bad("a push names a tag, not a digest"));
        }
        let (first, rest) = match text.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), rest.to_string())
            }
            _ if text.contains('/') => (DOCKER_HUB.to_string(), text.to_string()),
            _ => (DOCKER_HUB.to_string(), format!("library/{text}")),
        };
        let (repository, tag) = match rest.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo.to_string(), tag.to_string()),
            _ => (rest, "latest".to_string()),
        };
        if !is_repository(&repository) {
            return Err(bad(
                "a repository is lower-case letters, digits, `.`, `_`, `-` and `/`",
            ));
        }
        let tag_ok = tag.len() <= 128
            && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !tag_ok {
            return Err(bad(
                "a tag is up to 128 letters, digits, `.`, `_` and `-`, not starting with `.` or `-`",
            ));
        }
        Ok(Reference {
            registry: first,
            repository,
            tag,
        })
    }

    /// The host without its port, for the loopback check and `--insecure-registry`.
    fn host(&self) -> &str {
        let r = self.registry.as_str();
        if let Some(rest) = r.strip_prefix('[') {
            return rest.split(']').next().unwrap_or(rest);
        }
        r.rsplit_once(':').map_or(r, |(host, _)| host)
    }

    pub(crate) fn is_loopback(&self) -> bool {
        let host = self.host();
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

/// Whether `name` is a repository name: lower-case letters, digits, `.`, `_`, `-`, in
/// parts separated by `/`.
pub(crate) fn is_repository(name: &str) -> bool {
    !name.is_empty()
        && name.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        })
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}:{}", self.registry, self.repository, self.tag)
    }
}

/// One registry and repository, with the credentials and the token it has earned.
pub(crate) struct Client {
    agent: ureq::Agent,
    base: String,
    pub(crate) reference: Reference,
    /// How to authenticate when asked; a helper is replaced by its answer once run.
    credentials: Credentials,
    /// The `Authorization` value the registry last accepted (Basic or a Bearer token).
    authorization: Option<String>,
    /// What a token is asked for when the challenge names no scope.
    actions: &'static str,
    /// Blobs larger than this go up in `PATCH` chunks of this size.
    chunk_size: u64,
    /// For credential helpers, the one kind of process a registry client starts.
    supervisor: Arc<Supervisor>,
    ui: Ui,
}

/// A response's status, the headers a push reads, and its body (short: errors, tokens).
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) digest: Option<String>,
    /// `OCI-Subject`: a registry with the referrers API says so on a manifest with a
    /// `subject` (distribution-spec 1.1).
    pub(crate) oci_subject: Option<String>,
    pub(crate) body: String,
    /// The body's bytes, up to the limit the request was sent with.
    pub(crate) bytes: Vec<u8>,
}

/// What a request sends: bytes in memory (manifests, configs), or a span of a file
/// (a blob: a cache entry may be hundreds of MB, so it is never read into memory).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Payload<'a> {
    Bytes(&'a [u8]),
    File {
        path: &'a Path,
        offset: u64,
        len: u64,
    },
}

/// How much of a response body `send` reads: errors, tokens, manifests, tag lists.
const SHORT_BODY: u64 = 4 << 20;

/// Retries of a request the registry answered with a 5xx, with a doubling pause.
const RETRIES_5XX: u32 = 3;

impl Client {
    pub(crate) fn new(
        reference: Reference,
        insecure: &[String],
        timeout: Duration,
        env: &Env,
        supervisor: &Arc<Supervisor>,
        ui: Ui,
    ) -> Result<Client> {
        let plain = reference.is_loopback()
            || insecure
                .iter()
                .any(|h| h == &reference.registry || h == reference.host());
        let scheme = if plain { "http" } else { "https" };
        let credentials = auth::credentials(env, &reference.registry)?;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(5)
            .timeout_connect(Some(timeout))
            .timeout_per_read(Some(timeout))
            .user_agent(concat!("muslbuild/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Ok(Client {
            agent,
            base: format!("{scheme}://{}", reference.registry),
            reference,
            credentials,
            authorization: None,
            actions: "pull,push",
            chunk_size: env.registry_chunk_size().unwrap_or(32 << 20).max(1) as u64,
            supervisor: Arc::clone(supervisor),
            ui,
        })
    }

    /// A client that only reads: tokens are asked for `pull` (a read-only CI token cannot
    /// have `push`).
    pub(crate) fn pull_only(mut self) -> Client {
        self.actions = "pull";
        self
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/v2/{}/{path}", self.base, self.reference.repository)
    }

    /// A path the registry answered with (a `Location`) as a whole URL.
    fn absolute(&self, url: &str) -> String {
        if url.starts_with('/') {
            format!("{}{url}", self.base)
        } else {
            url.to_string()
        }
    }

    /// Sends one request; on a 401 answers the registry's challenge once (Basic, or a
    /// Bearer token from its realm) and sends it again.
    pub(crate) fn send(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Reply> {
        let body = Payload::Bytes(body.unwrap_or_default());
        self.send_payload(method, url, headers, body)
    }

    /// `send` with a body that may be a span of a file; a 5xx is asked again a few
    /// times, pausing longer each time, since registries fail briefly under load.
    pub(crate) fn send_payload(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Payload<'_>,
    ) -> Result<Reply> {
        let url = self.absolute(url);
        let mut pause = Duration::from_millis(200);
        let mut attempt = 0;
        loop {
            let mut reply = self.once(method, &url, headers, body)?;
            if reply.0.status == 401 {
                let challenge = reply.1.clone().unwrap_or_default();
                self.authorization = Some(self.answer(&challenge)?);
                reply = self.once(method, &url, headers, body)?;
                if reply.0.status == 401 {
                    return Err(self.refused());
                }
            }
            if reply.0.status < 500 || attempt == RETRIES_5XX {
                return Ok(reply.0);
            }
            attempt += 1;
            std::thread::sleep(pause);
            pause *= 2;
        }
    }

    /// A `GET` whose body is left unread when it is 200 or 206 (a blob, streamed to a
    /// file by the caller); the challenge and 5xx handling are `send`'s, and any other
    /// status comes back read.
    pub(crate) fn get_streaming(
        &mut self,
        url: &str,
        headers: &[(&str, &str)],
    ) -> Result<std::result::Result<ureq::http::Response<ureq::Body>, Reply>> {
        let mut pause = Duration::from_millis(200);
        let mut attempt = 0;
        let mut answered = false;
        loop {
            let response = self.request("GET", url, headers, Payload::Bytes(&[]))?;
            let status = response.status().as_u16();
            if matches!(status, 200 | 206) {
                return Ok(Ok(response));
            }
            let (reply, challenge) = self.read_reply("GET", url, response, SHORT_BODY)?;
            if status == 401 && !answered {
                answered = true;
                self.authorization = Some(self.answer(&challenge.unwrap_or_default())?);
                continue;
            }
            if status == 401 {
                return Err(self.refused());
            }
            if status < 500 || attempt == RETRIES_5XX {
                return Ok(Err(reply));
            }
            attempt += 1;
            std::thread::sleep(pause);
            pause *= 2;
        }
    }

    fn once(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Payload<'_>,
    ) -> Result<(Reply, Option<String>)> {
        let response = self.request(method, url, headers, body)?;
        self.read_reply(method, url, response, SHORT_BODY)
    }

    /// Sends one request and returns the response with its body unread.
    fn request(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Payload<'_>,
    ) -> Result<ureq::http::Response<ureq::Body>> {
        let mut request = ureq::http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        // A Location may point elsewhere (a storage backend): the credentials and the
        // token are the registry's, and go only to the registry.
        if let Some(auth) = &self.authorization
            && url.starts_with(&format!("{}/", self.base))
        {
            request = request.header("Authorization", auth.as_str());
        }
        let bad = |e: ureq::http::Error| self.unreachable(e.to_string());
        let sent = match body {
            Payload::Bytes(bytes) => self.agent.run(request.body(bytes.to_vec()).map_err(bad)?),
            Payload::File { path, offset, len } => {
                let mut file = std::fs::File::open(path).map_err(Error::io("cannot read", path))?;
                file.seek(SeekFrom::Start(offset))
                    .map_err(Error::io("cannot read", path))?;
                if !headers
                    .iter()
                    .any(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                {
                    request = request.header("Content-Length", len);
                }
                let reader = ureq::SendBody::from_owned_reader(file.take(len));
                self.agent.run(request.body(reader).map_err(bad)?)
            }
        };
        sent.map_err(|e| self.unreachable(e.to_string()))
    }

    /// The status, the headers a client reads and up to `limit` bytes of the body; the
    /// `WWW-Authenticate` challenge beside it.
    fn read_reply(
        &self,
        method: &str,
        url: &str,
        mut response: ureq::http::Response<ureq::Body>,
        limit: u64,
    ) -> Result<(Reply, Option<String>)> {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        let challenge = header("www-authenticate");
        let location = header("location");
        let digest = header("docker-content-digest");
        let oci_subject = header("oci-subject");
        let status = response.status().as_u16();
        let bytes = if method == "HEAD" {
            Vec::new()
        } else {
            response
                .body_mut()
                .with_config()
                .limit(limit)
                .read_to_vec()
                .map_err(|e| {
                    self.unreachable(format!("reading the answer to {method} {url}: {e}"))
                })?
        };
        let body = String::from_utf8_lossy(&bytes[..bytes.len().min(1 << 16)]).into_owned();
        Ok((
            Reply {
                status,
                location,
                digest,
                oci_subject,
                body,
                bytes,
            },
            challenge,
        ))
    }

    /// The credentials, a helper run now if one is configured (once: its answer stays).
    fn resolved_credentials(&mut self) -> Result<&Credentials> {
        if let Credentials::Helper(helper) = &self.credentials {
            self.credentials = helper.get(&self.supervisor, self.ui)?;
        }
        Ok(&self.credentials)
    }

    /// The `Authorization` value that answers a `WWW-Authenticate` challenge.
    fn answer(&mut self, challenge: &str) -> Result<String> {
        let (scheme, params) = challenge.split_once(' ').unwrap_or((challenge, ""));
        let credentials = self.resolved_credentials()?.clone();
        let basic = match &credentials {
            Credentials::Basic { user, password } => Some(format!(
                "Basic {}",
                BASE64.encode(format!("{user}:{password}"))
            )),
            _ => None,
        };
        if scheme.eq_ignore_ascii_case("basic") {
            if let Credentials::IdentityToken(_) = credentials {
                return Err(Error::Registry {
                    message: format!(
                        "registry {} wants a user and password (Basic), but its credentials are an identity token",
                        self.reference.registry
                    ),
                    help: "an identity token only serves registries with a token service (Bearer); log in to this one with a user and password".into(),
                });
            }
            return basic.ok_or_else(|| self.refused());
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(self.refused());
        }
        let params = challenge_params(params);
        let get = |key: &str| {
            params
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let Some(realm) = get("realm") else {
            return Err(self.refused());
        };
        let scope = get("scope").unwrap_or_else(|| {
            format!("repository:{}:{}", self.reference.repository, self.actions)
        });
        let service = get("service");
        let asked = if let Credentials::IdentityToken(token) = &credentials {
            // An identity token is an OAuth2 refresh token: the token service trades it
            // for an access token by POST, as Docker's own client does.
            let mut form = vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", token.as_str()),
                ("client_id", "muslbuild"),
                ("scope", scope.as_str()),
            ];
            if let Some(service) = &service {
                form.push(("service", service.as_str()));
            }
            self.agent.post(&realm).send_form(form)
        } else {
            let mut request = self.agent.get(&realm).query("scope", &scope);
            if let Some(service) = &service {
                request = request.query("service", service);
            }
            if let Some(basic) = &basic {
                request = request.header("Authorization", basic.as_str());
            }
            request.call()
        };
        let mut response =
            asked.map_err(|e| self.unreachable(format!("token service {realm}: {e}")))?;
        if response.status().as_u16() != 200 {
            return Err(self.refused());
        }
        let text = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .map_err(|e| self.unreachable(format!("token service {realm}: {e}")))?;
        let body: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| self.unreachable(format!("token service {realm}: {e}")))?;
        let token = body
            .get("token")
            .or_else(|| body.get("access_token"))
            .and_then(|t| t.as_str())
            .ok_or_else(|| self.refused())?;
        Ok(format!("Bearer {token}"))
    }

    pub(crate) fn unreachable(&self, reason: String) -> Error {
        Error::Registry {
            message: format!(
                "registry {} cannot be reached: {reason}",
                self.reference.registry
            ),
            help: format!(
                "check that the registry runs and the reference's host is right; plain HTTP is used only for loopback hosts and `--insecure-registry {}`",
                self.reference.registry
            ),
        }
    }

    fn refused(&self) -> Error {
        let with = match &self.credentials {
            Credentials::Anonymous => "requires credentials and none were found",
            Credentials::Helper(_) => "requires credentials",
            _ => "refused the credentials",
        };
        Error::Registry {
            message: format!(
                "registry {} {with} for `{}` (401 Unauthorized)",
                self.reference.registry, self.reference.repository
            ),
            help: format!(
                "log in with `docker login {0}` or `podman login {0}`; muslbuild reads REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json or ~/.docker/config.json, and runs the credential helpers they name",
                self.reference.registry
            ),
        }
    }

    /// A status the push cannot go on from.
    pub(crate) fn failed(&self, what: &str, reply: &Reply) -> Error {
        if reply.status == 401 || reply.status == 403 {
            return self.refused();
        }
        let detail = reply.body.lines().next().unwrap_or("").trim();
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(": {}", detail.chars().take(200).collect::<String>())
        };
        Error::Registry {
            message: format!(
                "registry {} answered {} to {what}{detail}",
                self.reference.registry, reply.status
            ),
            help: "the registry failed or refused the upload; check its logs and push again (what it already has is not uploaded twice)".into(),
        }
    }
}

/// Manifests and tags, in the Distribution API's terms (blobs: `blob.rs`).
impl Client {
    /// The manifest under `name` (a tag or digest) as sent, with its digest; `Ok(None)`
    /// when there is none.
    pub(crate) fn manifest(
        &mut self,
        name: &str,
        media_type: &str,
    ) -> Result<Option<(String, Vec<u8>)>> {
        let url = self.url(&format!("manifests/{name}"));
        let reply = self.send("GET", &url, &[("Accept", media_type)], None)?;
        match reply.status {
            200 => {}
            404 => return Ok(None),
            _ => return Err(self.failed(&format!("a download of manifest {name}"), &reply)),
        }
        let digest = format!("sha256:{}", crate::sys::hash::sha256_hex(&reply.bytes));
        Ok(Some((digest, reply.bytes)))
    }

    /// Whether a manifest is tagged `name` (`HEAD`).
    pub(crate) fn has_manifest(&mut self, name: &str, media_type: &str) -> Result<bool> {
        let url = self.url(&format!("manifests/{name}"));
        let reply = self.send("HEAD", &url, &[("Accept", media_type)], None)?;
        match reply.status {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(self.failed(&format!("a check for manifest {name}"), &reply)),
        }
    }

    /// Writes `bytes` as the manifest `name`.
    pub(crate) fn put_manifest(
        &mut self,
        name: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<()> {
        let url = self.url(&format!("manifests/{name}"));
        let reply = self.send("PUT", &url, &[("Content-Type", media_type)], Some(bytes))?;
        if reply.status != 201 {
            return Err(self.failed(&format!("writing manifest {name}"), &reply));
        }
        Ok(())
    }

    /// Every tag of the repository (none when it does not exist yet).
    pub(crate) fn tags(&mut self) -> Result<Vec<String>> {
        let url = self.url("tags/list?n=100000");
        let reply = self.send("GET", &url, &[], None)?;
        match reply.status {
            200 => {}
            404 => return Ok(Vec::new()),
            _ => return Err(self.failed("the tag list", &reply)),
        }
        let doc: serde_json::Value = serde_json::from_slice(&reply.bytes)
            .map_err(|e| self.unreachable(format!("its tag list is not JSON: {e}")))?;
        Ok(doc
            .get("tags")
            .and_then(|t| t.as_array())
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().map(String::from))
            .collect())
    }
}

/// `realm="…",service="…",scope="…"` as pairs; commas inside quotes stay.
fn challenge_params(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        out.push((key, value.to_string()));
        rest = next.trim_start_matches(',').trim();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_read_as_docker_reads_them() {
        let r = Reference::parse("127.0.0.1:5000/team/hello:1.0").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_str()),
            ("127.0.0.1:5000", "team/hello", "1.0")
        );
        assert!(r.is_loopback());
        let r = Reference::parse("hello").unwrap();
        assert_eq!(
            (r.repository.as_str(), r.tag.as_str()),
            ("library/hello", "latest")
        );
        assert!(!r.is_loopback());
        let r = Reference::parse("localhost:5000/a").unwrap();
        assert_eq!(r.tag, "latest");
        assert!(r.is_loopback());
        assert!(Reference::parse("127.0.0.1:5000/Hello").is_err());
        assert!(Reference::parse("r.example/a@sha256:00").is_err());
    }

    #[test]
    fn plain_http_only_for_loopback_or_a_named_insecure_registry() {
        let env = Env::from_vars(Vec::<(&str, &str)>::new(), "/".into());
        let client = |text: &str, insecure: &[String]| {
            let reference = Reference::parse(text).unwrap();
            Client::new(
                reference,
                insecure,
                Duration::from_secs(1),
                &env,
                &Supervisor::new(),
                Ui::default(),
            )
            .unwrap()
            .base
        };
        assert_eq!(client("127.0.0.1:5000/a", &[]), "http://127.0.0.1:5000");
        assert_eq!(client("[::1]:5000/a", &[]), "http://[::1]:5000");
        assert_eq!(
            client("reg.example:5000/a", &[]),
            "https://reg.example:5000"
        );
        assert_eq!(
            client("reg.example:5000/a", &["reg.example".into()]),
            "http://reg.example:5000"
        );
        assert_eq!(
            client("reg.example:5000/a", &["other.example".into()]),
            "https://reg.example:5000"
        );
    }

    #[test]
    fn bearer_challenge_keeps_commas_inside_quotes() {
        let p = challenge_params(
            r#"realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#,
        );
        assert_eq!(p[0], ("realm".into(), "https://auth.example/token".into()));
        assert_eq!(p[2], ("scope".into(), "repository:a/b:pull,push".into()));
    }

    #[test]
    fn credentials_come_from_the_auth_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("auth.json");
        let auth = BASE64.encode("ci:s3cret:with-colon");
        std::fs::write(
            &file,
            format!(r#"{{"auths":{{"https://reg.example:5000":{{"auth":"{auth}"}}}}}}"#),
        )
        .unwrap();
        let env = Env::from_vars([("REGISTRY_AUTH_FILE", file.as_os_str())], "/".into());
        assert_eq!(
            auth::credentials(&env, "reg.example:5000").unwrap(),
            Credentials::Basic {
                user: "ci".into(),
                password: "s3cret:with-colon".into()
            }
        );
        assert_eq!(
            auth::credentials(&env, "other.example").unwrap(),
            Credentials::Anonymous
        );
    }
}
