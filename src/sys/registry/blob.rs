//! Blobs between a registry and files. A remote cache entry may be hundreds of MB (a
//! library's build tree), so no blob is held in memory: an upload streams from a file
//! (one `PUT`, or `PATCH`es of the chunk size), a download streams into a file, hashed as
//! it is written. A download that breaks off (the connection closed, a body cut short, a
//! read that timed out) asks again for the rest with `Range: bytes=N-` and appends to
//! the file on a 206 (from zero on a 200), a few times, then gives up saying so; the
//! digest is checked over the whole file at the end.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::{Client, Payload};
use crate::error::{Error, Result};
use crate::sys::hash::Hasher;

/// Times a broken-off download is resumed before it is an error.
const RESUMES: u32 = 5;

/// Where a blob's bytes are: in memory (a config, a few hundred bytes) or in a file.
#[derive(Clone, Copy, Debug)]
pub(crate) enum BlobSource<'a> {
    Bytes(&'a [u8]),
    File { path: &'a Path, len: u64 },
}

impl<'a> BlobSource<'a> {
    pub(crate) fn len(&self) -> u64 {
        match self {
            BlobSource::Bytes(bytes) => bytes.len() as u64,
            BlobSource::File { len, .. } => *len,
        }
    }

    fn span(&self, offset: u64, len: u64) -> Payload<'a> {
        match *self {
            BlobSource::Bytes(bytes) => {
                Payload::Bytes(&bytes[offset as usize..(offset + len) as usize])
            }
            BlobSource::File { path, .. } => Payload::File { path, offset, len },
        }
    }
}

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

    /// Uploads `source` as blob `digest` unless the repository has it; returns whether
    /// it sent it. One `POST` for a session, then `send_blob`.
    pub(crate) fn upload_blob(&mut self, digest: &str, source: BlobSource<'_>) -> Result<bool> {
        if self.has_blob(digest)? {
            return Ok(false);
        }
        let start = self.send("POST", &self.url("blobs/uploads/"), &[], Some(&[]))?;
        let location = match (start.status, &start.location) {
            (202, Some(location)) => location.clone(),
            _ => return Err(self.failed(&format!("starting the upload of {digest}"), &start)),
        };
        self.send_blob(&location, digest, source, digest)?;
        Ok(true)
    }

    /// Sends `source` into the upload session at `location` and closes it with the
    /// digest: in one `PUT`, or past the chunk size (`MUSLBUILD_REGISTRY_CHUNK_SIZE`,
    /// default 32 MiB; proxies in front of registries often cap a request's body) in
    /// `PATCH`es of that size, each to the session's new `Location`, and a `PUT` with no
    /// body. A file is read as it is sent, one span at a time.
    pub(crate) fn send_blob(
        &mut self,
        location: &str,
        digest: &str,
        source: BlobSource<'_>,
        what: &str,
    ) -> Result<()> {
        let total = source.len();
        let mut location = location.to_string();
        let mut start = 0;
        if total > self.chunk_size {
            while start < total {
                let len = (total - start).min(self.chunk_size);
                let range = format!("{start}-{}", start + len - 1);
                let length = len.to_string();
                let reply = self.send_payload(
                    "PATCH",
                    &location,
                    &[
                        ("Content-Type", "application/octet-stream"),
                        ("Content-Range", &range),
                        ("Content-Length", &length),
                    ],
                    source.span(start, len),
                )?;
                location = match (reply.status, reply.location.clone()) {
                    (202, Some(next)) => next,
                    _ => return Err(self.failed(&format!("a chunk of {what}"), &reply)),
                };
                start += len;
            }
        }
        let separator = if location.contains('?') { '&' } else { '?' };
        let length = (total - start).to_string();
        let put = self.send_payload(
            "PUT",
            &format!("{location}{separator}digest={digest}"),
            &[
                ("Content-Type", "application/octet-stream"),
                ("Content-Length", &length),
            ],
            source.span(start, total - start),
        )?;
        if put.status != 201 {
            return Err(self.failed(&format!("the upload of {what}"), &put));
        }
        Ok(())
    }

    /// Downloads blob `digest` into `dest` (created or emptied), at most `limit` bytes
    /// (and exactly `size` when the manifest says it), checked against its digest:
    /// `Ok(false)` when the registry does not have it. A transfer that breaks off is
    /// resumed with `Range` (`RESUMES` times). Errors: `ChecksumMismatch` when the bytes
    /// are not the blob, `Download` when the registry sends more than it may, `Io` for
    /// this machine's file, `Registry` for the rest.
    pub(crate) fn blob_to_file(
        &mut self,
        digest: &str,
        size: Option<u64>,
        limit: u64,
        dest: &Path,
    ) -> Result<bool> {
        let url = self.url(&format!("blobs/{digest}"));
        let cap = size.map_or(limit, |size| size.min(limit));
        let mut file = File::create(dest).map_err(Error::io("cannot write", dest))?;
        let mut hasher = Hasher::new();
        let mut have = 0u64;
        let mut resumes = 0;
        loop {
            let range = format!("bytes={have}-");
            let headers: &[(&str, &str)] = if have > 0 { &[("Range", &range)] } else { &[] };
            let answer = self.get_streaming(&url, headers)?;
            let response = match answer {
                Ok(response) => Some(response),
                Err(reply) if reply.status == 404 && have == 0 => return Ok(false),
                // The range asked for is past the end: the server's blob is not the one
                // half-fetched (or it does not resume); start again from zero.
                Err(reply) if reply.status == 416 => None,
                Err(reply) => {
                    return Err(self.failed(&format!("a download of blob {digest}"), &reply));
                }
            };
            // Where the body starts: 0 for a whole blob (a 200), `have` for the rest asked
            // for; a 206 of another range is dropped, and the next request asks anew.
            let start = response.as_ref().map(|r| {
                let from = r
                    .headers()
                    .get("content-range")
                    .and_then(|v| v.to_str().ok())
                    .and_then(content_range_start);
                match (r.status().as_u16(), from) {
                    (206, Some(from)) if from == have => Some(have),
                    (206, _) => None,
                    _ => Some(0),
                }
            });
            if start.flatten().is_none_or(|start| start < have) {
                file.set_len(0).map_err(Error::io("cannot write", dest))?;
                file.seek(SeekFrom::Start(0))
                    .map_err(Error::io("cannot write", dest))?;
                hasher = Hasher::new();
                have = 0;
            }
            let broke = match (response, start.flatten()) {
                (Some(response), Some(start)) => {
                    let end = response.body().content_length().map(|n| start + n);
                    let mut body = response.into_body().into_reader();
                    let mut sink = Sink {
                        file: &mut file,
                        hasher: &mut hasher,
                        have: &mut have,
                        cap,
                        dest,
                    };
                    let broke = sink.copy(&mut body).map_err(|e| match e {
                        CopyFailure::Local(err) => err,
                        CopyFailure::TooBig => Error::Download {
                            url: url.clone(),
                            reason: format!(
                                "the registry sent more than the {cap} bytes blob {digest} may have"
                            ),
                            help: "the registry's blob is not the one the manifest names; check the registry".into(),
                        },
                    })?;
                    let short = end.or(size).filter(|&want| have < want);
                    broke
                        .or(short
                            .map(|want| format!("the body ended after {have} of {want} bytes")))
                }
                (Some(_), None) => {
                    Some("the registry answered with another range than asked for".to_string())
                }
                (None, _) => Some("the registry refused the range asked for".to_string()),
            };
            let Some(reason) = broke else { break };
            if resumes == RESUMES {
                return Err(Error::Registry {
                    message: format!(
                        "the download of blob {digest} from registry {} broke off {} times, the last after {have} bytes: {reason}",
                        self.reference.registry,
                        resumes + 1
                    ),
                    help: "check the network and the registry (or a proxy in front of it) and run again; each break is resumed where it stopped".into(),
                });
            }
            resumes += 1;
            self.ui.status(format_args!(
                "blob {digest}: {reason}; asking for the rest from byte {have}"
            ));
        }
        file.sync_all().map_err(Error::io("cannot write", dest))?;
        let actual = format!("sha256:{}", hasher.finish_hex());
        if actual != digest || size.is_some_and(|size| size != have) {
            return Err(Error::ChecksumMismatch {
                url,
                expected: digest.to_string(),
                actual,
            });
        }
        Ok(true)
    }
}

/// Where a download's bytes go: the file, and its hash as they are written.
struct Sink<'a> {
    file: &'a mut File,
    hasher: &'a mut Hasher,
    have: &'a mut u64,
    cap: u64,
    dest: &'a Path,
}

enum CopyFailure {
    Local(Error),
    TooBig,
}

impl Sink<'_> {
    /// Copies `body` to the end of the file; `Some(reason)` when the transfer broke off
    /// (worth a resume), `None` when the body ended.
    fn copy(&mut self, body: &mut impl Read) -> std::result::Result<Option<String>, CopyFailure> {
        let mut buf = vec![0u8; 256 << 10];
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => return Ok(None),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Ok(Some(format!(
                        "the transfer broke off after {} bytes: {e}",
                        self.have
                    )));
                }
            };
            if *self.have + n as u64 > self.cap {
                return Err(CopyFailure::TooBig);
            }
            self.file
                .write_all(&buf[..n])
                .map_err(|e| CopyFailure::Local(Error::io("cannot write", self.dest)(e)))?;
            self.hasher.update(&buf[..n]);
            *self.have += n as u64;
        }
    }
}

/// `bytes 100-199/200` -> 100.
fn content_range_start(value: &str) -> Option<u64> {
    let range = value.trim().strip_prefix("bytes ")?;
    range.split('-').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_gives_where_the_body_starts() {
        assert_eq!(content_range_start("bytes 100-199/200"), Some(100));
        assert_eq!(content_range_start("bytes */200"), None);
        assert_eq!(content_range_start("items 1-2/3"), None);
    }

    #[test]
    fn a_file_source_is_sent_in_spans_of_the_file() {
        let source = BlobSource::File {
            path: Path::new("/x"),
            len: 10,
        };
        assert!(matches!(
            source.span(4, 6),
            Payload::File {
                offset: 4,
                len: 6,
                ..
            }
        ));
        let bytes = BlobSource::Bytes(b"0123456789");
        assert!(matches!(bytes.span(4, 2), Payload::Bytes(b"45")));
    }
}
