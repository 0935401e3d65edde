//! `muslbuild image --push` against a real registry (Debian's `docker-registry`,
//! distribution 2.8) started by each test on 127.0.0.1 with its own storage, and checked
//! with skopeo; a proxy that stops passing requests on stands for a registry that goes
//! away mid-push. Two cases use a fake registry (`FakeRegistry`, below): a 500 on a blob
//! upload, which a real one cannot be told to give, and Bearer-token auth, which
//! Debian's registry offers only with a token server and TLS certificates.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::image::{env_with_dist, failure};
use crate::support::{TestEnv, require, stdout, success, wait_for_line};

/// A `docker-registry serve` child on a free loopback port, killed on drop.
pub(crate) struct Registry {
    child: Child,
    port: u16,
    access_log: PathBuf,
    dir: tempfile::TempDir,
}

impl Registry {
    /// `htpasswd`: a file of bcrypt users (made by `htpasswd -B`); the registry then
    /// wants Basic credentials for every request.
    pub(crate) fn start(htpasswd: Option<&Path>) -> Registry {
        let program = require("docker-registry", "docker-registry");
        let dir = tempfile::tempdir().unwrap();
        // A port the kernel just handed out and nobody holds; the registry binds it next.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut config = format!(
            "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.path().join("storage").display()
        );
        if let Some(file) = htpasswd {
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: muslbuild-test\n    path: {}\n",
                file.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let access_log = dir.path().join("access.log");
        let mut child = Command::new(program)
            .arg("serve")
            .arg(&config_path)
            .stdout(std::fs::File::create(&access_log).unwrap())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = child.stderr.take().unwrap();
        // Dropped: the background reader keeps draining the log.
        let _ = wait_for_line(log, "listening on", "docker-registry start");
        Registry {
            child,
            port,
            access_log,
            dir,
        }
    }

    pub(crate) fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The registry's storage folder (`docker/registry/v2/…`).
    pub(crate) fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// Requests of this method the registry has answered so far.
    pub(crate) fn count(&self, method: &str) -> usize {
        std::fs::read_to_string(&self.access_log)
            .unwrap()
            .lines()
            .filter(|l| l.contains(&format!("\"{method} /v2/")))
            .count()
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn push(env: &TestEnv, reference: &str, auth_file: Option<&Path>) -> Command {
    let mut cmd = env.muslbuild();
    // The SBOM referrers have their own test (`pushed_sbom_referrers_…`).
    cmd.args([
        "image",
        "--tag",
        "hello:1.0",
        "--no-sbom",
        "--push",
        reference,
    ])
    // Pushing is network use; the registry is on 127.0.0.1.
    .env_remove("MUSLBUILD_OFFLINE")
    .env("HOME", env.path())
    .env_remove("DOCKER_CONFIG")
    .env_remove("XDG_RUNTIME_DIR")
    .env_remove("SOURCE_DATE_EPOCH");
    match auth_file {
        Some(file) => cmd.env("REGISTRY_AUTH_FILE", file),
        None => cmd.env_remove("REGISTRY_AUTH_FILE"),
    };
    cmd
}

pub(crate) fn json_push(cmd: &mut Command) -> serde_json::Value {
    let output = success(cmd.arg("--json"));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("--json report: {e}\n{}", stdout(&output)))
}

fn skopeo() -> Command {
    Command::new(require("skopeo", "skopeo"))
}

#[test]
fn push_lists_three_platforms_copies_back_and_an_unchanged_push_uploads_nothing() {
    let registry = Registry::start(None);
    let env = env_with_dist();
    let reference = format!("{}/team/hello:1.0", registry.host());

    let first = json_push(&mut push(&env, &reference, None));
    let index = first["image"]["index"]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(first["push"]["digest"], index.as_str());
    // three layers and three configs; three manifests and the index
    assert_eq!(first["push"]["blobs_uploaded"], 6, "{first}");
    assert_eq!(first["push"]["manifests_put"], 4, "{first}");

    let raw = success(
        skopeo()
            .args(["inspect", "--raw", "--tls-verify=false"])
            .arg(format!("docker://{reference}")),
    );
    let listed: serde_json::Value = serde_json::from_slice(&raw.stdout).unwrap();
    let platforms: Vec<String> = listed["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let p = &m["platform"];
            let variant = p["variant"]
                .as_str()
                .map(|v| format!("/{v}"))
                .unwrap_or_default();
            format!(
                "{}/{}{variant}",
                p["os"].as_str().unwrap(),
                p["architecture"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64", "linux/arm/v7"]);

    // Copied back byte for byte: the index digest is the one the layout holds.
    let copy = env.path().join("copy");
    success(
        skopeo()
            .args(["copy", "--all", "--src-tls-verify=false"])
            .arg(format!("docker://{reference}"))
            .arg(format!("oci:{}:hello:1.0", copy.display())),
    );
    let copied: serde_json::Value =
        serde_json::from_slice(&std::fs::read(copy.join("index.json")).unwrap()).unwrap();
    assert_eq!(copied["manifests"][0]["digest"], index.as_str());

    let (puts, posts) = (registry.count("PUT"), registry.count("POST"));
    let again = json_push(&mut push(&env, &reference, None));
    assert_eq!(again["push"]["digest"], index.as_str());
    assert_eq!(again["push"]["blobs_uploaded"], 0, "{again}");
    assert_eq!(again["push"]["manifests_put"], 0, "{again}");
    assert_eq!(again["push"]["blobs_present"], 6, "{again}");
    // The registry's own log agrees: no upload session, no PUT.
    assert_eq!(
        (registry.count("PUT"), registry.count("POST")),
        (puts, posts)
    );

    // Per-architecture archives merged offline and pushed: the same image, the same digest.
    for (targets, archive) in [("x86_64", "x86.tar"), ("aarch64,armv7", "arm.tar")] {
        success(env.muslbuild().env_remove("SOURCE_DATE_EPOCH").args([
            "image",
            "--tag",
            "hello:1.0",
            "--target",
            targets,
            "--oci-layout",
            "part",
            "--oci-archive",
            archive,
        ]));
    }
    let merged_ref = format!("{}/team/merged:1.0", registry.host());
    let merged = json_push(
        env.muslbuild()
            .env_remove("MUSLBUILD_OFFLINE")
            .env("HOME", env.path())
            .args([
                "image",
                "merge",
                "--tag",
                "hello:1.0",
                "--push",
                &merged_ref,
            ])
            .args(["x86.tar", "arm.tar"]),
    );
    assert_eq!(merged["index"]["digest"], index.as_str(), "{merged}");
    assert_eq!(merged["push"]["digest"], index.as_str(), "{merged}");
    assert_eq!(merged["push"]["blobs_uploaded"], 6, "{merged}");
}

#[test]
fn pushed_sbom_referrers_are_listed_under_the_referrers_tag_and_fetchable() {
    // distribution 2.8 has no referrers API: the push falls back to the tag schema.
    let registry = Registry::start(None);
    let env = env_with_dist();
    let reference = format!("{}/team/hello:1.0", registry.host());
    let push_with_sboms = || {
        let mut cmd = env.muslbuild();
        cmd.args(["image", "--tag", "hello:1.0", "--push", &reference])
            .env_remove("MUSLBUILD_OFFLINE")
            .env("HOME", env.path())
            .env_remove("DOCKER_CONFIG")
            .env_remove("REGISTRY_AUTH_FILE")
            .env_remove("SOURCE_DATE_EPOCH");
        cmd
    };
    let first = json_push(&mut push_with_sboms());
    let base = format!("http://{}/v2/team/hello", registry.host());
    let agent = ureq::Agent::new_with_defaults();
    let get = |url: String, accept: &str| -> Vec<u8> {
        agent
            .get(&url)
            .header("Accept", accept)
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
            .body_mut()
            .read_to_vec()
            .unwrap()
    };
    for (i, target) in ["x86_64", "aarch64", "armv7"].into_iter().enumerate() {
        let manifest = first["image"]["platforms"][i]["manifest"]["digest"]
            .as_str()
            .unwrap();
        let listed: serde_json::Value = serde_json::from_slice(&get(
            format!("{base}/manifests/{}", manifest.replacen(':', "-", 1)),
            "application/vnd.oci.image.index.v1+json",
        ))
        .unwrap();
        let referrer = listed["manifests"][0]["digest"].as_str().unwrap();
        let artifact: serde_json::Value = serde_json::from_slice(&get(
            format!("{base}/manifests/{referrer}"),
            "application/vnd.oci.image.manifest.v1+json",
        ))
        .unwrap();
        assert_eq!(artifact["subject"]["digest"], manifest, "{target}");
        assert_eq!(artifact["artifactType"], "application/spdx+json");
        let document = get(
            format!(
                "{base}/blobs/{}",
                artifact["layers"][0]["digest"].as_str().unwrap()
            ),
            "*/*",
        );
        assert_eq!(
            document,
            std::fs::read(
                env.path()
                    .join(format!("dist/sbom/image-{target}.spdx.json"))
            )
            .unwrap(),
            "{target}: the registry's SBOM is not the one in dist/sbom"
        );
    }
    // Pushed again: nothing changes, and the registry is not written to.
    let puts = registry.count("PUT");
    let again = json_push(&mut push_with_sboms());
    assert_eq!(again["push"]["manifests_put"], 0, "{again}");
    assert_eq!(registry.count("PUT"), puts);
}

#[test]
fn a_registry_refusing_the_sbom_referrers_still_gets_the_image_and_the_error_says_so() {
    // FAKE: a registry that has every blob, takes the image's manifests and its tag, and
    // refuses every manifest after the tag (the SBOM referrers, which come last) with
    // the 400 an OCI 1.0-only registry gives an artifact manifest.
    let tagged = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen_tag = tagged.clone();
    let fake = FakeRegistry::start(move |seen, _| {
        let close = "Content-Length: 0\r\nConnection: close\r\n\r\n";
        let manifest_put = seen.method == "PUT" && seen.target.contains("/manifests/");
        if manifest_put && seen_tag.load(std::sync::atomic::Ordering::SeqCst) {
            return "HTTP/1.1 400 Bad Request\r\nContent-Length: 16\r\nConnection: close\r\n\r\nMANIFEST_INVALID".into();
        }
        if manifest_put && seen.target.ends_with("/manifests/1.0") {
            seen_tag.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        match seen.method.as_str() {
            "HEAD" if seen.target.contains("/blobs/") => format!("HTTP/1.1 200 OK\r\n{close}"),
            "PUT" => format!("HTTP/1.1 201 Created\r\n{close}"),
            _ => format!("HTTP/1.1 404 Not Found\r\n{close}"),
        }
    });
    let env = env_with_dist();
    let output = env
        .muslbuild()
        .args(["image", "--tag", "hello:1.0", "--push"])
        .arg(format!("127.0.0.1:{}/hello:1.0", fake.port))
        .env_remove("MUSLBUILD_OFFLINE")
        .env("HOME", env.path())
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(14), "{err}");
    assert!(
        err.contains("is pushed, but not the SBOM of sha256:") && err.contains("--no-sbom"),
        "{err}"
    );
    assert!(
        tagged.load(std::sync::atomic::Ordering::SeqCst),
        "the tag was not pushed"
    );
}

#[test]
fn push_needs_credentials_and_reads_them_from_the_auth_file() {
    let htpasswd_program = require("htpasswd", "apache2-utils");
    let env = env_with_dist();
    let users = env.path().join("htpasswd");
    let made = success(Command::new(htpasswd_program).args(["-Bbn", "ci", "s3cret"]));
    std::fs::write(&users, &made.stdout).unwrap();
    let registry = Registry::start(Some(&users));
    let reference = format!("{}/hello:1.0", registry.host());

    let output = push(&env, &reference, None).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(14),
        "{}",
        crate::support::stderr(&output)
    );
    let err = crate::support::stderr(&output);
    assert!(
        err.contains("401") && err.contains("requires credentials"),
        "{err}"
    );
    assert!(err.contains("help: log in with `docker login"), "{err}");

    let wrong = env.write(
        "wrong.json",
        &format!(
            r#"{{"auths":{{"{}":{{"username":"ci","password":"nope"}}}}}}"#,
            registry.host()
        ),
    );
    let output = push(&env, &reference, Some(&wrong)).output().unwrap();
    assert_eq!(output.status.code(), Some(14));
    assert!(crate::support::stderr(&output).contains("refused the credentials"));

    // Docker's config.json form: base64 of user:password under the host.
    let auth = env.write(
        "auth.json",
        &format!(
            r#"{{"auths":{{"{}":{{"auth":"Y2k6czNjcmV0"}}}}}}"#,
            registry.host()
        ),
    );
    let pushed = json_push(&mut push(&env, &reference, Some(&auth)));
    assert_eq!(pushed["push"]["blobs_uploaded"], 6, "{pushed}");
    success(
        skopeo()
            .args([
                "inspect",
                "--raw",
                "--tls-verify=false",
                "--creds",
                "ci:s3cret",
            ])
            .arg(format!("docker://{reference}")),
    );
}

#[test]
fn a_registry_that_is_down_or_fails_a_blob_gives_a_clear_error() {
    let env = env_with_dist();
    // A port nothing listens on any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = push(&env, &format!("127.0.0.1:{port}/hello"), None)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(14));
    let err = crate::support::stderr(&output);
    assert!(
        err.contains("cannot be reached") && err.contains("help: check that the registry runs"),
        "{err}"
    );

    let fake = FakeRegistry::failing_blobs();
    let output = push(&env, &format!("127.0.0.1:{}/hello", fake.port), None)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(14));
    let err = crate::support::stderr(&output);
    assert!(
        err.contains("answered 500 to the upload of") && err.contains("blob store is broken"),
        "{err}"
    );
    assert!(err.contains("help: the registry failed"), "{err}");
    // `failure` checks the one-line error + help shape of usage errors too
    let (code, err) = failure(&env, &["--push", "127.0.0.1:1/Bad"]);
    assert_eq!(code, 2, "{err}");
}

/// A loopback proxy in front of a real registry that passes `requests` requests through,
/// then stops listening: a registry that goes away in the middle of a push.
fn dying_proxy(registry_port: u16, requests: usize) -> u16 {
    proxy(registry_port, requests, |_| None)
}

/// FAKE fault: a loopback proxy in front of a real registry that answers the first blob
/// upload (`PUT …/blobs/uploads/…`) with a 500 of its own and passes everything else
/// through: a registry that fails one blob once.
fn failing_once_proxy(registry_port: u16) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let blob_puts = std::sync::Arc::new(AtomicUsize::new(0));
    let count = blob_puts.clone();
    let port = proxy(registry_port, usize::MAX, move |head| {
        (head.starts_with("PUT ") && head.contains("/blobs/uploads/") && count.fetch_add(1, Ordering::SeqCst) == 0)
            .then(|| "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 20\r\nConnection: close\r\n\r\nblob store is broken".to_string())
    });
    (port, blob_puts)
}

/// Relays `requests` requests (one per connection) to the registry; `answer` may answer
/// one itself instead, from its request line and headers.
fn proxy(
    registry_port: u16,
    requests: usize,
    answer: impl Fn(&str) -> Option<String> + Send + 'static,
) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(client) = stream else { break };
            let mut reader = BufReader::new(client.try_clone().unwrap());
            let mut head = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if !line.to_ascii_lowercase().starts_with("connection:") {
                    head.push_str(&line);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let mut out = client;
            if let Some(reply) = answer(&head) {
                let _ = out.write_all(reply.as_bytes());
                continue;
            }
            // One request per connection both ways, so the registry's answer ends at EOF.
            let mut upstream = std::net::TcpStream::connect(("127.0.0.1", registry_port)).unwrap();
            upstream.write_all(head.as_bytes()).unwrap();
            upstream.write_all(b"Connection: close\r\n\r\n").unwrap();
            upstream.write_all(&body).unwrap();
            let mut answer = Vec::new();
            let _ = upstream.read_to_end(&mut answer);
            let _ = out.write_all(&answer);
        }
    });
    port
}

#[test]
fn a_500_on_one_blob_is_asked_again_and_the_push_succeeds() {
    let registry = Registry::start(None);
    let env = env_with_dist();
    let (proxy, blob_puts) = failing_once_proxy(registry.port);
    let pushed = json_push(&mut push(
        &env,
        &format!("127.0.0.1:{proxy}/hello:1.0"),
        None,
    ));
    assert_eq!(
        blob_puts.load(std::sync::atomic::Ordering::SeqCst),
        7,
        "one 500, then six uploads"
    );
    assert_eq!(pushed["push"]["blobs_uploaded"], 6, "{pushed}");
    // The registry itself received each blob once: the failed PUT never reached it.
    assert_eq!(registry.count("PUT"), 6 + 4);
    success(
        skopeo()
            .args(["inspect", "--raw", "--tls-verify=false"])
            .arg(format!("docker://{}/hello:1.0", registry.host())),
    );
}

#[test]
fn a_registry_stopped_mid_push_fails_clearly_and_the_next_push_finishes_the_job() {
    let registry = Registry::start(None);
    let env = env_with_dist();
    // HEAD, POST, PUT for two blobs, then the registry is gone.
    let proxy = dying_proxy(registry.port, 6);
    let output = push(&env, &format!("127.0.0.1:{proxy}/hello:1.0"), None)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(14),
        "{}",
        crate::support::stderr(&output)
    );
    let err = crate::support::stderr(&output);
    assert!(err.contains("cannot be reached"), "{err}");
    // The index goes last: no tag names a half-pushed image.
    let reference = format!("{}/hello:1.0", registry.host());
    let inspect = skopeo()
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{reference}"))
        .output()
        .unwrap();
    assert!(
        !inspect.status.success(),
        "the tag exists after a failed push"
    );

    let resumed = json_push(&mut push(&env, &reference, None));
    assert_eq!(resumed["push"]["blobs_present"], 2, "{resumed}");
    assert_eq!(resumed["push"]["blobs_uploaded"], 4, "{resumed}");
    success(
        skopeo()
            .args(["inspect", "--raw", "--tls-verify=false"])
            .arg(format!("docker://{reference}")),
    );
}

/// One request as a fake registry sees it.
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) authorization: Option<String>,
    pub(crate) body: String,
}

/// FAKE: a loopback HTTP server answering each request with what `answer` returns (a
/// whole HTTP/1.1 response), recording every request.
pub(crate) struct FakeRegistry {
    pub(crate) port: u16,
    pub(crate) seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
}

impl FakeRegistry {
    pub(crate) fn start(answer: impl Fn(&Seen, u16) -> String + Send + 'static) -> FakeRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                let _ = reader.read_line(&mut request);
                let mut length = 0usize;
                let mut authorization = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    if lower.starts_with("authorization:") {
                        authorization = Some(line["authorization:".len()..].trim().to_string());
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let mut parts = request.split(' ');
                let seen = Seen {
                    method: parts.next().unwrap_or_default().to_string(),
                    target: parts.next().unwrap_or_default().to_string(),
                    authorization,
                    body: String::from_utf8_lossy(&body).into_owned(),
                };
                let mut out = stream;
                let _ = out.write_all(answer(&seen, port).as_bytes());
                record.lock().unwrap().push(seen);
            }
        });
        FakeRegistry { port, seen }
    }

    /// A registry that has no blob, opens upload sessions, and answers 500 to every blob
    /// upload — what a registry with a broken storage backend does.
    fn failing_blobs() -> FakeRegistry {
        FakeRegistry::start(|seen, _| {
            match seen.method.as_str() {
                "POST" => "HTTP/1.1 202 Accepted\r\nLocation: /v2/hello/blobs/uploads/1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                "PUT" => "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 20\r\nConnection: close\r\n\r\nblob store is broken",
                _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            }
            .to_string()
        })
    }
}

#[test]
fn bearer_token_registries_get_a_token_from_their_realm() {
    // FAKE: a token-auth registry (as GitLab's, GHCR, Docker Hub): every /v2/ request
    // without the token gets a Bearer challenge naming the realm; the realm hands out the
    // token for Basic ci:s3cret; with the token, blobs are present and manifests accepted.
    let fake = FakeRegistry::start(|seen, port| {
        let close = "Content-Length: 0\r\nConnection: close\r\n\r\n";
        if seen.target.starts_with("/token?") {
            return if seen.authorization.as_deref() == Some("Basic Y2k6czNjcmV0") {
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 19\r\nConnection: close\r\n\r\n{\"token\":\"tok-123\"}".into()
            } else {
                format!("HTTP/1.1 401 Unauthorized\r\n{close}")
            };
        }
        if seen.authorization.as_deref() != Some("Bearer tok-123") {
            return format!(
                "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"fake\",scope=\"repository:hello:pull,push\"\r\n{close}"
            );
        }
        match seen.method.as_str() {
            "HEAD" if seen.target.contains("/blobs/") => format!("HTTP/1.1 200 OK\r\n{close}"),
            "PUT" => format!("HTTP/1.1 201 Created\r\n{close}"),
            _ => format!("HTTP/1.1 404 Not Found\r\n{close}"),
        }
    });
    let env = env_with_dist();
    let auth = env.write(
        "auth.json",
        &format!(
            r#"{{"auths":{{"127.0.0.1:{}":{{"auth":"Y2k6czNjcmV0"}}}}}}"#,
            fake.port
        ),
    );
    let pushed = json_push(&mut push(
        &env,
        &format!("127.0.0.1:{}/hello", fake.port),
        Some(&auth),
    ));
    assert_eq!(pushed["push"]["blobs_present"], 6, "{pushed}");
    assert_eq!(pushed["push"]["manifests_put"], 4, "{pushed}");
    let seen = fake.seen.lock().unwrap();
    let token_asks: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.target.starts_with("/token?"))
        .collect();
    assert_eq!(token_asks.len(), 1, "one token serves the whole push");
    assert!(
        token_asks[0]
            .target
            .contains("scope=repository%3Ahello%3Apull%2Cpush"),
        "{}",
        token_asks[0].target
    );
    assert!(token_asks[0].target.contains("service=fake"));
    // every registry request but the first carried the token
    let registry: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.target.starts_with("/v2/"))
        .collect();
    assert!(
        registry[1..]
            .iter()
            .all(|s| s.authorization.as_deref() == Some("Bearer tok-123"))
    );
}

#[test]
fn a_second_repository_mounts_the_blobs_of_the_first_instead_of_uploading_them() {
    let registry = Registry::start(None);
    let env = env_with_dist();
    json_push(&mut push(
        &env,
        &format!("{}/team/base:1.0", registry.host()),
        None,
    ));
    let puts_before = registry.count("PUT");
    let mounted = json_push(
        push(&env, &format!("{}/team/app:1.0", registry.host()), None)
            .args(["--mount-from", "team/base"]),
    );
    assert_eq!(mounted["push"]["blobs_mounted"], 6, "{mounted}");
    assert_eq!(mounted["push"]["blobs_uploaded"], 0, "{mounted}");
    // Only the three manifests and the index were written; no blob crossed the wire.
    assert_eq!(registry.count("PUT") - puts_before, 4);
    success(
        skopeo()
            .args(["inspect", "--raw", "--tls-verify=false"])
            .arg(format!("docker://{}/team/app:1.0", registry.host())),
    );
    // A source that is not a repository name never reaches the URL.
    let output = push(&env, &format!("{}/team/app:1.0", registry.host()), None)
        .args(["--mount-from", "team/base&mount=x"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(crate::support::stderr(&output).contains("is not a repository to mount blobs from"));
}

#[test]
fn blobs_past_the_chunk_size_go_up_in_patches_and_arrive_whole() {
    let registry = Registry::start(None);
    let env = env_with_dist();
    let reference = format!("{}/chunked:1.0", registry.host());
    let pushed =
        json_push(push(&env, &reference, None).env("MUSLBUILD_REGISTRY_CHUNK_SIZE", "1000"));
    assert_eq!(pushed["push"]["blobs_uploaded"], 6, "{pushed}");
    // The layers are several KB: each went up in chunks of 1,000 bytes.
    assert!(registry.count("PATCH") >= 6, "{}", registry.count("PATCH"));
    let copied = env.path().join("copied");
    success(
        skopeo()
            .args(["copy", "--src-tls-verify=false", "--all"])
            .arg(format!("docker://{reference}"))
            .arg(format!("oci:{}:1.0", copied.display())),
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(copied.join("index.json")).unwrap()).unwrap();
    assert_eq!(index["manifests"][0]["digest"], pushed["push"]["digest"]);
}
