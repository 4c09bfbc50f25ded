//! The host's answer to the WIT's `cache-hint`: copies of 2xx answers to hinted GETs, kept on
//! disk under the user's cache folder, so the many processes one `terraform plan` starts fetch
//! an answer they all read (the model list, for every job's shutdown dates) once instead of once
//! each. A copy is used while it is younger than the age the guest accepts (never older than
//! [`MAX_AGE`]); one process fetches while the others wait for its copy (a lock file per
//! request, waited on for a bounded time); and any failure of the cache itself (no folder, a full
//! disk, a damaged copy, a lock held too long) falls back to sending the request, so the cache can
//! only save requests, never change an answer beyond the hint's age.
//!
//! What is kept: the answer as the guest would have seen it, every configured secret already
//! redacted, and only for requests the guest hinted (it hints nothing secret). Copies are named by
//! a SHA-256 of the endpoint (flavour, base URL, API version, organisation, project), the
//! credential kind and the request line: never by a key's value, and no key is written anywhere.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use crate::bindings::wit_http as wit;
use crate::config::Endpoint;
use crate::http::{body_bytes, response_body};

/// The oldest copy ever used, whatever the guest accepts: the cache saves requests within one
/// plan, it is not a store.
pub const MAX_AGE: Duration = Duration::from_secs(300);
/// The largest answer kept; a larger one is fetched every time.
const MAX_ENTRY_BYTES: usize = 8 << 20;
/// Copies kept at most; past it the oldest go first (and every copy past [`MAX_AGE`]).
const MAX_ENTRIES: usize = 256;
/// The longest pause between two tries of a lock another process holds.
const MAX_POLL: Duration = Duration::from_millis(20);
/// What the first line of a copy starts with: the format, so an old or foreign file is a miss.
const MAGIC: &str = "openai-ft-cache 1";

/// The cache of one configuration: its folder, and the scope every copy's name includes.
#[derive(Debug)]
pub struct Cache {
    folder: PathBuf,
    /// The endpoint's identity (never a key): flavour, base, API version, organisation, project.
    scope: String,
    /// How long to wait for another process's fetch before sending one's own: the longest one
    /// request may take (connect, then the answer).
    wait: Duration,
}

impl Cache {
    /// The cache for `endpoint` in `folder`, when the configuration names one.
    pub fn new(endpoint: &Endpoint) -> Option<Self> {
        let folder = endpoint.cache_dir.clone()?;
        let logic = &endpoint.logic;
        // Everything that tells one endpoint from another, and no secret: the flavour, the base,
        // the query every request ends with (azure-classic's api-version) and the headers every
        // request carries besides the credential (organisation, project).
        let mut scope = vec![logic.flavor.name().to_owned(), logic.base.clone()];
        for (k, v) in logic.query.iter().chain(&logic.headers) {
            scope.push(format!("{k}={v}"));
        }
        Some(Self {
            folder,
            scope: scope.join("\n"),
            wait: endpoint.connect_timeout() + endpoint.timeout(),
        })
    }

    /// The answer to `request`: a copy at most `max_age` old, or `fetch()`'s, kept for the next
    /// process when it succeeded. Only a GET without a body is ever answered from a copy.
    pub fn through(
        &self,
        request: &wit::Request,
        url: &str,
        max_age: Duration,
        fetch: impl FnOnce() -> Result<wit::Response, wit::Error>,
    ) -> Result<wit::Response, wit::Error> {
        if request.method != wit::Method::Get || request.body.is_some() {
            return fetch();
        }
        let max_age = max_age.min(MAX_AGE);
        let name = self.name(request, url);
        let entry = self.folder.join(&name);
        if let Some(copy) = read_fresh(&entry, max_age) {
            return Ok(copy);
        }
        // One process fetches; the others wait for its copy. A lock that cannot be had (no
        // folder, held past the wait) costs a request, nothing else.
        let Some(_lock) = self.lock(&name) else {
            return fetch();
        };
        if let Some(copy) = read_fresh(&entry, max_age) {
            return Ok(copy);
        }
        let response = fetch()?;
        if (200..300).contains(&response.status)
            && body_bytes(&response.body).len() <= MAX_ENTRY_BYTES
        {
            // A copy that cannot be written is only a request the next process sends again.
            let _ = self.store(&entry, &response);
        }
        Ok(response)
    }

    /// The file name of `request`'s copy: a hash of the scope, the credential kind and the
    /// request line, so nothing about it (a model name, a query) is readable from the folder.
    fn name(&self, request: &wit::Request, url: &str) -> String {
        let credential = match request.credential {
            wit::Credential::Project => "project",
            wit::Credential::Admin => "admin",
            wit::Credential::Management => "management",
        };
        let mut hash = Sha256::new();
        for part in [self.scope.as_str(), credential, url] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Takes the lock of copy `name`, waiting at most [`Cache::wait`] for another process.
    fn lock(&self, name: &str) -> Option<File> {
        create_private_dir(&self.folder).ok()?;
        let path = self.folder.join(format!("{name}.lock"));
        let file = private_file(OpenOptions::new().create(true).truncate(false).write(true))
            .open(&path)
            .ok()?;
        let deadline = Instant::now() + self.wait;
        let mut pause = Duration::from_millis(1);
        loop {
            match file.try_lock() {
                Ok(()) => {
                    // Pruning spares a lock in use: its time says so.
                    let _ = file.set_modified(SystemTime::now());
                    return Some(file);
                }
                Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(MAX_POLL);
                }
                Err(_) => return None,
            }
        }
    }

    /// Writes `response` as the copy at `entry` (aside, then renamed, so a reader never sees a
    /// half-written copy), then prunes the folder.
    fn store(&self, entry: &Path, response: &wit::Response) -> std::io::Result<()> {
        let head = serde_json::json!({
            "stored": unix_now(),
            "status": response.status,
            "headers": response.headers,
        });
        let staged = entry.with_extension(format!("{}.tmp", std::process::id()));
        let written = (|| {
            let mut file = private_file(OpenOptions::new().create(true).truncate(true).write(true))
                .open(&staged)?;
            writeln!(file, "{MAGIC} {head}")?;
            file.write_all(body_bytes(&response.body))?;
            file.sync_data()?;
            fs::rename(&staged, entry)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&staged);
        }
        written?;
        prune(&self.folder);
        Ok(())
    }
}

/// The copy at `entry` if it is younger than `max_age` (and not from the future: a clock set
/// back makes every copy a miss); anything unreadable or damaged is a miss.
fn read_fresh(entry: &Path, max_age: Duration) -> Option<wit::Response> {
    let mut bytes = Vec::new();
    File::open(entry).ok()?.read_to_end(&mut bytes).ok()?;
    let split = bytes.iter().position(|&b| b == b'\n')?;
    let head = std::str::from_utf8(&bytes[..split]).ok()?;
    let head: serde_json::Value = serde_json::from_str(head.strip_prefix(MAGIC)?.trim()).ok()?;
    let stored = head["stored"].as_u64()?;
    let now = unix_now();
    if stored > now || now - stored >= max_age.as_secs() {
        return None;
    }
    let headers: Vec<(String, String)> = serde_json::from_value(head["headers"].clone()).ok()?;
    Some(wit::Response {
        status: u16::try_from(head["status"].as_u64()?).ok()?,
        headers,
        body: response_body(bytes.split_off(split + 1)),
    })
}

/// Removes copies (and idle locks) older than [`MAX_AGE`], then the oldest copies past
/// [`MAX_ENTRIES`]. Best effort: a file another process removed first is no matter.
fn prune(folder: &Path) {
    let Ok(list) = fs::read_dir(folder) else {
        return;
    };
    let now = SystemTime::now();
    let mut copies: Vec<(SystemTime, PathBuf)> = Vec::new();
    for entry in list.flatten() {
        let path = entry.path();
        let Some(modified) = entry.metadata().and_then(|m| m.modified()).ok() else {
            continue;
        };
        let age = now.duration_since(modified).unwrap_or_default();
        if age > MAX_AGE {
            let _ = fs::remove_file(&path);
        } else if path.extension().is_none() {
            copies.push((modified, path));
        }
    }
    if copies.len() > MAX_ENTRIES {
        copies.sort();
        for (_, path) in &copies[..copies.len() - MAX_ENTRIES] {
            let _ = fs::remove_file(path);
        }
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The folder, readable by its owner only (it holds no secret, but what a user's models are
/// called is theirs).
fn create_private_dir(folder: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder)
}

fn private_file(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, 0o600);
    options
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn cache(folder: &Path) -> Cache {
        Cache {
            folder: folder.to_owned(),
            scope: "openai\nhttp://127.0.0.1:1/v1\n\n\n".into(),
            wait: Duration::from_secs(1),
        }
    }

    fn get(path: &str) -> wit::Request {
        wit::Request {
            method: wit::Method::Get,
            target: wit::Target::Api,
            path: path.into(),
            query: Vec::new(),
            body: None,
            credential: wit::Credential::Project,
            cache: Some(wit::CacheHint {
                max_age_seconds: 60,
            }),
        }
    }

    fn answer(status: u16, body: &str) -> wit::Response {
        wit::Response {
            status,
            headers: vec![("x-request-id".into(), "req_1".into())],
            body: response_body(body.as_bytes().to_vec()),
        }
    }

    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "openai-ft-cache-test-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_copy_answers_within_its_age_and_only_successes_are_kept() {
        let dir = folder("age");
        let c = cache(&dir);
        let sent = Cell::new(0);
        let fetch = |status: u16| {
            sent.set(sent.get() + 1);
            Ok(answer(status, "{\"data\":[]}"))
        };
        let url = "http://127.0.0.1:1/v1/models";
        let age = Duration::from_secs(60);
        let first = c.through(&get("/models"), url, age, || fetch(200)).unwrap();
        let again = c.through(&get("/models"), url, age, || fetch(200)).unwrap();
        assert_eq!(
            (sent.get(), body_bytes(&again.body), &again.headers),
            (1, body_bytes(&first.body), &first.headers)
        );
        // Another request, and an age of zero, are fetched.
        c.through(&get("/models/x"), &format!("{url}/x"), age, || fetch(200))
            .unwrap();
        c.through(&get("/models"), url, Duration::ZERO, || fetch(200))
            .unwrap();
        assert_eq!(sent.get(), 3);
        // An error answer is never kept.
        let u = format!("{url}/gone");
        assert_eq!(
            c.through(&get("/models/gone"), &u, age, || fetch(404))
                .unwrap()
                .status,
            404
        );
        c.through(&get("/models/gone"), &u, age, || fetch(200))
            .unwrap();
        assert_eq!(sent.get(), 5);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn writes_and_other_scopes_are_never_answered_from_a_copy() {
        let dir = folder("scope");
        let url = "http://127.0.0.1:1/v1/models";
        let age = Duration::from_secs(60);
        let sent = Cell::new(0);
        let fetch = || {
            sent.set(sent.get() + 1);
            Ok(answer(200, "{}"))
        };
        let c = cache(&dir);
        c.through(&get("/models"), url, age, fetch).unwrap();
        let mut post = get("/models");
        post.method = wit::Method::Post;
        c.through(&post, url, age, fetch).unwrap();
        let other = Cache {
            scope: "openai\nhttp://127.0.0.1:1/v1\n\norg-other\n".into(),
            ..cache(&dir)
        };
        other.through(&get("/models"), url, age, fetch).unwrap();
        let mut admin = get("/models");
        admin.credential = wit::Credential::Admin;
        c.through(&admin, url, age, fetch).unwrap();
        assert_eq!(sent.get(), 4);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn damaged_copies_and_unusable_folders_fall_back_to_the_request() {
        let dir = folder("damaged");
        let c = cache(&dir);
        let url = "http://127.0.0.1:1/v1/models";
        let age = Duration::from_secs(60);
        c.through(&get("/models"), url, age, || Ok(answer(200, "{}")))
            .unwrap();
        let name = c.name(&get("/models"), url);
        fs::write(dir.join(&name), "not a copy").unwrap();
        let fresh = c
            .through(&get("/models"), url, age, || Ok(answer(200, "{\"new\":1}")))
            .unwrap();
        assert_eq!(body_bytes(&fresh.body), b"{\"new\":1}");
        // A file where the folder should be: every request is sent.
        let blocked = folder("blocked");
        fs::write(&blocked, "").unwrap();
        let c = cache(&blocked.join("sub"));
        let sent = Cell::new(0);
        for _ in 0..2 {
            c.through(&get("/models"), url, age, || {
                sent.set(sent.get() + 1);
                Ok(answer(200, "{}"))
            })
            .unwrap();
        }
        assert_eq!(sent.get(), 2);
        let _ = fs::remove_dir_all(&dir);
        let _ = fs::remove_file(&blocked);
    }

    #[test]
    fn the_folder_is_bounded() {
        let dir = folder("bounded");
        let c = cache(&dir);
        let age = Duration::from_secs(60);
        for i in 0..MAX_ENTRIES + 10 {
            let path = format!("/models/m{i}");
            let url = format!("http://127.0.0.1:1/v1{path}");
            c.through(&get(&path), &url, age, || Ok(answer(200, "{}")))
                .unwrap();
        }
        let copies = fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_none())
            .count();
        assert_eq!(copies, MAX_ENTRIES);
        // Too large an answer is not kept.
        let big = "x".repeat(MAX_ENTRY_BYTES + 1);
        let url = "http://127.0.0.1:1/v1/models/big";
        c.through(&get("/models/big"), url, age, || Ok(answer(200, &big)))
            .unwrap();
        assert!(!dir.join(c.name(&get("/models/big"), url)).exists());
        let _ = fs::remove_dir_all(&dir);
    }
}
