//! A client for the OCI Distribution API, as much as a push needs: image references,
//! credentials from Docker's `config.json` (or `REGISTRY_AUTH_FILE`), Basic and Bearer
//! token authentication, blob existence checks, monolithic blob uploads and manifests.
//!
//! Plain HTTP is used only for loopback hosts and hosts named with
//! `--insecure-registry`; everything else is HTTPS.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::env::Env;
use crate::error::{Error, Result};

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

/// Where credentials are looked for, first match wins: `REGISTRY_AUTH_FILE`, podman's
/// `$XDG_RUNTIME_DIR/containers/auth.json`, `$DOCKER_CONFIG/config.json`,
/// `~/.docker/config.json`.
fn auth_files(env: &Env) -> Vec<PathBuf> {
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

/// `user:password` for `registry` from the first auth file that names it.
pub(crate) fn credentials(env: &Env, registry: &str) -> Result<Option<(String, String)>> {
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
        let Some(auths) = doc.get("auths").and_then(|a| a.as_object()) else {
            continue;
        };
        let hub = registry == DOCKER_HUB;
        let entry = auths.iter().find(|(key, _)| {
            let key = key
                .trim_start_matches("https://")
                .trim_start_matches("http://");
            let key = key.split('/').next().unwrap_or(key);
            key == registry || (hub && (key == "index.docker.io" || key == "docker.io"))
        });
        let Some((_, entry)) = entry else { continue };
        if let Some(auth) = entry.get("auth").and_then(|a| a.as_str()) {
            let decoded = BASE64
                .decode(auth.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            if let Some((user, pass)) = decoded.as_deref().and_then(|d| d.split_once(':')) {
                return Ok(Some((user.to_string(), pass.to_string())));
            }
        }
        let field = |name: &str| entry.get(name).and_then(|v| v.as_str()).map(String::from);
        if let (Some(user), Some(pass)) = (field("username"), field("password")) {
            return Ok(Some((user, pass)));
        }
    }
    Ok(None)
}

/// One registry and repository, with the credentials and the token it has earned.
pub(crate) struct Client {
    agent: ureq::Agent,
    base: String,
    pub(crate) reference: Reference,
    basic: Option<String>,
    /// The `Authorization` value the registry last accepted (Basic or a Bearer token).
    authorization: Option<String>,
    /// What a token is asked for when the challenge names no scope.
    actions: &'static str,
    /// Blobs larger than this go up in `PATCH` chunks of this size.
    chunk_size: usize,
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
    ) -> Result<Client> {
        let plain = reference.is_loopback()
            || insecure
                .iter()
                .any(|h| h == &reference.registry || h == reference.host());
        let scheme = if plain { "http" } else { "https" };
        let basic = credentials(env, &reference.registry)?
            .map(|(u, p)| format!("Basic {}", BASE64.encode(format!("{u}:{p}"))));
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
            basic,
            authorization: None,
            actions: "pull,push",
            chunk_size: env.registry_chunk_size().unwrap_or(32 << 20).max(1),
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

    /// Sends one request; on a 401 answers the registry's challenge once (Basic, or a
    /// Bearer token from its realm) and sends it again.
    pub(crate) fn send(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Reply> {
        let url = if url.starts_with('/') {
            format!("{}{url}", self.base)
        } else {
            url.to_string()
        };
        self.send_limited(method, &url, headers, body, SHORT_BODY)
    }

    /// `send`, reading up to `limit` bytes of the body (a blob); a 5xx is asked again a
    /// few times, pausing longer each time, since registries fail briefly under load.
    pub(crate) fn send_limited(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        limit: u64,
    ) -> Result<Reply> {
        let mut pause = Duration::from_millis(200);
        let mut attempt = 0;
        loop {
            let mut reply = self.once(method, url, headers, body, limit)?;
            if reply.0.status == 401 {
                let challenge = reply.1.clone().unwrap_or_default();
                self.authorization = Some(self.answer(&challenge)?);
                reply = self.once(method, url, headers, body, limit)?;
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

    fn once(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        limit: u64,
    ) -> Result<(Reply, Option<String>)> {
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
        let request = request
            .body(body.map(<[u8]>::to_vec).unwrap_or_default())
            .map_err(|e| self.unreachable(e.to_string()))?;
        let mut response = self
            .agent
            .run(request)
            .map_err(|e| self.unreachable(e.to_string()))?;
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

    /// The `Authorization` value that answers a `WWW-Authenticate` challenge.
    fn answer(&self, challenge: &str) -> Result<String> {
        let (scheme, params) = challenge.split_once(' ').unwrap_or((challenge, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return self.basic.clone().ok_or_else(|| self.refused());
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
        let mut request = self.agent.get(&realm).query("scope", &scope);
        if let Some(service) = get("service") {
            request = request.query("service", &service);
        }
        if let Some(basic) = &self.basic {
            request = request.header("Authorization", basic.as_str());
        }
        let mut response = request
            .call()
            .map_err(|e| self.unreachable(format!("token service {realm}: {e}")))?;
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
        let with = if self.basic.is_some() {
            "refused the credentials"
        } else {
            "requires credentials and none were found"
        };
        Error::Registry {
            message: format!(
                "registry {} {with} for `{}` (401 Unauthorized)",
                self.reference.registry, self.reference.repository
            ),
            help: format!(
                "log in with `docker login {0}` or `podman login {0}`; muslbuild reads REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json or ~/.docker/config.json",
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

/// The few calls a cache entry needs, in the Distribution API's terms.
impl Client {
    /// Whether the repository holds blob `digest` (`HEAD`).
    pub(crate) fn has_blob(&mut self, digest: &str) -> Result<bool> {
        let reply = self.send("HEAD", &self.url(&format!("blobs/{digest}")), &[], None)?;
        match reply.status {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(self.failed(&format!("a check for blob {digest}"), &reply)),
        }
    }

    /// Uploads `bytes` as blob `digest` unless the repository has it; returns whether it
    /// sent them. One `POST` for a session, one `PUT` with the digest.
    pub(crate) fn upload_blob(&mut self, digest: &str, bytes: &[u8]) -> Result<bool> {
        if self.has_blob(digest)? {
            return Ok(false);
        }
        let start = self.send("POST", &self.url("blobs/uploads/"), &[], Some(&[]))?;
        let location = match (start.status, &start.location) {
            (202, Some(location)) => location.clone(),
            _ => return Err(self.failed(&format!("starting the upload of {digest}"), &start)),
        };
        self.send_blob(&location, digest, bytes, digest)?;
        Ok(true)
    }

    /// Sends `bytes` into the upload session at `location` and closes it with the digest:
    /// in one `PUT`, or past the chunk size (`MUSLBUILD_REGISTRY_CHUNK_SIZE`, default
    /// 32 MiB; proxies in front of registries often cap a request's body) in `PATCH`es
    /// of that size, each to the session's new `Location`, and a `PUT` with no body.
    pub(crate) fn send_blob(
        &mut self,
        location: &str,
        digest: &str,
        bytes: &[u8],
        what: &str,
    ) -> Result<()> {
        let mut location = location.to_string();
        let mut rest = bytes;
        if bytes.len() > self.chunk_size {
            let mut start = 0;
            while !rest.is_empty() {
                let (chunk, after) = rest.split_at(rest.len().min(self.chunk_size));
                let range = format!("{start}-{}", start + chunk.len() - 1);
                let length = chunk.len().to_string();
                let reply = self.send(
                    "PATCH",
                    &location,
                    &[
                        ("Content-Type", "application/octet-stream"),
                        ("Content-Range", &range),
                        ("Content-Length", &length),
                    ],
                    Some(chunk),
                )?;
                location = match (reply.status, reply.location.clone()) {
                    (202, Some(next)) => next,
                    _ => return Err(self.failed(&format!("a chunk of {what}"), &reply)),
                };
                start += chunk.len();
                rest = after;
            }
        }
        let separator = if location.contains('?') { '&' } else { '?' };
        let length = rest.len().to_string();
        let put = self.send(
            "PUT",
            &format!("{location}{separator}digest={digest}"),
            &[
                ("Content-Type", "application/octet-stream"),
                ("Content-Length", &length),
            ],
            Some(rest),
        )?;
        if put.status != 201 {
            return Err(self.failed(&format!("the upload of {what}"), &put));
        }
        Ok(())
    }

    /// Blob `digest`, at most `limit` bytes, checked against its digest: `Ok(None)` when
    /// the registry does not have it, an error naming it when its bytes are not it.
    pub(crate) fn blob(&mut self, digest: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        let url = self.url(&format!("blobs/{digest}"));
        let reply = self.send_limited("GET", &url, &[], None, limit)?;
        match reply.status {
            200 => {}
            404 => return Ok(None),
            _ => return Err(self.failed(&format!("a download of blob {digest}"), &reply)),
        }
        let actual = format!("sha256:{}", crate::sys::hash::sha256_hex(&reply.bytes));
        if actual != digest {
            return Err(Error::ChecksumMismatch {
                url,
                expected: digest.to_string(),
                actual,
            });
        }
        Ok(Some(reply.bytes))
    }

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
            Client::new(reference, insecure, Duration::from_secs(1), &env)
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
            credentials(&env, "reg.example:5000").unwrap(),
            Some(("ci".into(), "s3cret:with-colon".into()))
        );
        assert_eq!(credentials(&env, "other.example").unwrap(), None);
    }
}
