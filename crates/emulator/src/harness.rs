//! The test harness (feature `harness`), shared by the emulator's own tests and the host's: an
//! in-process emulator with one set of known keys, a tiny blocking client, and on drop the
//! emulator's response journal saved under `target/tmp/emulator-journals/`, where
//! `tests/python/test_emulator_spec.py` checks every response against the spec.
//!
//! It is test code: it panics (with a message) wherever a test would fail.

use crate::{Config, Flavor, LogEntry, Mount, Running, start};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Keys the emulator accepts. Short and marked as test keys, so nothing mistakes them for real
/// ones; the host's tests check that none of them ever shows up in the binary's output.
pub const PROJECT_KEY: &str = "sk-proj-TESTKEY-project";
pub const ADMIN_KEY: &str = "sk-admin-TESTKEY-admin-01";
pub const ADMIN_KEY_NO_OWNER: &str = "sk-admin-TESTKEY-no-owner";
pub const ADMIN_KEY_READ_ONLY: &str = "sk-admin-TESTKEY-read-only";
pub const ALL_KEYS: &[&str] = &[
    PROJECT_KEY,
    ADMIN_KEY,
    ADMIN_KEY_NO_OWNER,
    ADMIN_KEY_READ_ONLY,
];

/// The api-version the tests use against Azure's dated API.
pub const API_VERSION: &str = "2025-04-01-preview";

/// A configuration with every test key and `step_ms`.
pub fn config(step_ms: u64) -> Config {
    Config {
        api_keys: vec![PROJECT_KEY.into()],
        admin_keys: vec![ADMIN_KEY.into()],
        admin_keys_no_owner: vec![ADMIN_KEY_NO_OWNER.into()],
        admin_keys_read_only: vec![ADMIN_KEY_READ_ONLY.into()],
        step_ms,
        ..Config::default()
    }
}

/// An emulator on a free loopback port, stopped (and its journal saved) when dropped.
pub struct Emulator {
    pub running: Running,
    pub flavor: Flavor,
    agent: ureq::Agent,
}

/// A response: status, parsed JSON body (or the raw text as a JSON string), and headers.
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `error` object, asserting the status first.
    pub fn error(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "unexpected status, body: {}",
            self.body
        );
        let e = &self.body["error"];
        for key in ["message", "type", "param", "code"] {
            assert!(
                e.get(key).is_some(),
                "error body lacks {key}: {}",
                self.body
            );
        }
        e
    }

    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "unexpected status, body: {}", self.body);
        &self.body
    }
}

impl Emulator {
    /// Starts an emulator whose jobs take a step every `step_ms`.
    pub fn start(step_ms: u64) -> Self {
        Self::with(|c| c.step_ms = step_ms)
    }

    /// An emulator of `flavor` whose jobs take a step every `step_ms`.
    pub fn flavored(flavor: Flavor, step_ms: u64) -> Self {
        Self::with(|c| {
            c.flavor = flavor;
            c.step_ms = step_ms;
        })
    }

    /// Starts an emulator from [`config`]`(20)` as changed by `configure`.
    pub fn with(configure: impl FnOnce(&mut Config)) -> Self {
        let mut config = config(20);
        configure(&mut config);
        let flavor = config.flavor;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into();
        Self {
            running: start(config).expect("emulator starts"),
            flavor,
            agent,
        }
    }

    /// The API base URL of the flavour (`…/v1`, `…/openai/v1` or `…/openai`).
    pub fn url(&self) -> String {
        self.running.url()
    }

    /// Adds a fault rule (or an array of them) in its control-endpoint JSON form.
    pub fn fault(&self, rule: Value) {
        self.control_post("/_emulator/faults", &rule).ok();
    }

    /// Moves the manual clock (`Config::manual_clock_ms`) on by `ms` milliseconds.
    pub fn advance(&self, ms: u64) {
        self.running.advance(ms);
    }

    /// How many times `"METHOD /path"` was requested.
    pub fn count(&self, key: &str) -> u64 {
        self.running.requests().get(key).copied().unwrap_or(0)
    }

    /// Every count, as `GET /_emulator/requests` answers.
    pub fn counts(&self) -> Value {
        self.get_as(None, "/_emulator/requests").ok().clone()
    }

    /// Every request in order.
    pub fn log(&self) -> Vec<LogEntry> {
        self.running.request_log()
    }

    /// Calls the API of the flavour (`path` below [`url`](Self::url)) to set things up, with the
    /// admin key on `/permissions` paths and the project key elsewhere (plus the api-version on
    /// Azure's dated API); returns the JSON answer whatever its status.
    pub fn api(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let key = if path.contains("/permissions") {
            ADMIN_KEY
        } else {
            PROJECT_KEY
        };
        let r = self.call_as(Some(key), method, &self.api_path(path), body.as_ref());
        assert!(
            !matches!(r.body, Value::String(_)),
            "json answer: {}",
            r.body
        );
        r.body
    }

    /// Uploads `content` as a fine-tune file named `name` on the flavour's API; returns its id.
    pub fn upload(&self, name: &str, content: &str) -> String {
        let path = self.api_path("/files");
        let r = with_key(Some(PROJECT_KEY), |h| {
            self.multipart(&path, h, "fine-tune", name, content)
        });
        r.body["id"].as_str().expect("file id").to_owned()
    }

    /// The path below the base of an API call on this flavour, with the api-version Azure's dated
    /// API requires.
    fn api_path(&self, path: &str) -> String {
        let prefix = self.flavor.prefix();
        match self.flavor {
            Flavor::AzureClassic => {
                let sep = if path.contains('?') { '&' } else { '?' };
                format!("{prefix}{path}{sep}api-version={API_VERSION}")
            }
            _ => format!("{prefix}{path}"),
        }
    }

    /// GET `path` (below the base, e.g. `/v1/models`) with an optional bearer key.
    pub fn get_as(&self, key: Option<&str>, path: &str) -> Resp {
        self.call_as(key, "GET", path, None)
    }

    pub fn get(&self, path: &str) -> Resp {
        self.get_as(Some(PROJECT_KEY), path)
    }

    pub fn post_as(&self, key: Option<&str>, path: &str, body: Option<&Value>) -> Resp {
        self.call_as(key, "POST", path, body)
    }

    pub fn post(&self, path: &str, body: &Value) -> Resp {
        self.post_as(Some(PROJECT_KEY), path, Some(body))
    }

    pub fn delete_as(&self, key: Option<&str>, path: &str) -> Resp {
        self.call_as(key, "DELETE", path, None)
    }

    /// Multipart upload to `/v1/files`.
    pub fn upload_as(
        &self,
        key: Option<&str>,
        filename: &str,
        purpose: &str,
        content: &str,
    ) -> Resp {
        with_key(key, |h| {
            self.multipart("/v1/files", h, purpose, filename, content)
        })
    }

    /// Uploads a fine-tune file to `/v1/files` with the project key; returns the file object.
    pub fn upload_file(&self, filename: &str, content: &str) -> Value {
        self.upload_as(Some(PROJECT_KEY), filename, "fine-tune", content)
            .ok()
            .clone()
    }

    /// Uploads `rows` valid supervised examples and returns the file id.
    pub fn training_file(&self, rows: usize) -> String {
        self.upload_file("train.jsonl", &sft_rows(rows))["id"]
            .as_str()
            .expect("file id")
            .to_string()
    }

    pub fn create_job(&self, body: Value) -> Value {
        self.post("/v1/fine_tuning/jobs", &body).ok().clone()
    }

    /// Polls a job until it reaches `status` (panics after 10 s).
    pub fn wait_status(&self, job_id: &str, status: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let job = self
                .get(&format!("/v1/fine_tuning/jobs/{job_id}"))
                .ok()
                .clone();
            if job["status"] == status {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "job never reached {status}: {job}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// A succeeded supervised job with `epochs` epochs over 4 rows (batch size 2).
    pub fn succeeded_job(&self, epochs: u64) -> Value {
        let file = self.training_file(4);
        let job = self.create_job(json!({
            "model": "gpt-4o-mini", "training_file": file, "suffix": "test",
            "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": epochs, "batch_size": 2}}}
        }));
        self.wait_status(job["id"].as_str().expect("job id"), "succeeded")
    }

    /// Any request below the base, with explicit headers (e.g. Azure's `api-key`) and an optional
    /// JSON body.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Resp {
        let body = body.map(|b| ("application/json".to_string(), b.to_string()));
        self.request(method, path, headers, body)
    }

    /// Any request below the base with a body of `content_type` given as text (a hand-made
    /// multipart form, say).
    pub fn call_raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        content_type: &str,
        body: &str,
    ) -> Resp {
        self.request(
            method,
            path,
            headers,
            Some((content_type.to_string(), body.to_string())),
        )
    }

    /// Multipart upload of a fine-tune file to `path` (e.g. `/openai/v1/files`) with `headers`.
    pub fn upload_to(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        filename: &str,
        content: &str,
    ) -> Resp {
        self.multipart(path, headers, "fine-tune", filename, content)
    }

    /// POST to a control endpoint (no key).
    pub fn control_post(&self, path: &str, body: &Value) -> Resp {
        self.post_as(None, path, Some(body))
    }

    fn call_as(&self, key: Option<&str>, method: &str, path: &str, body: Option<&Value>) -> Resp {
        with_key(key, |h| self.call(method, path, h, body))
    }

    fn multipart(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        purpose: &str,
        filename: &str,
        content: &str,
    ) -> Resp {
        let b = "----emulatortestboundary";
        let field = |name: &str, value: &str| {
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
        };
        // v1's schema requires an expiry; 30 days is within every surface's range.
        let expiry = if self.flavor == Flavor::Azure && path.contains("/openai/v1/") {
            field("expires_after[anchor]", "created_at")
                + &field("expires_after[seconds]", "2592000")
        } else {
            String::new()
        };
        let body = format!(
            "{}{expiry}--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n{content}\r\n--{b}--\r\n",
            field("purpose", purpose)
        );
        let content_type = format!("multipart/form-data; boundary={b}");
        self.request("POST", path, headers, Some((content_type, body)))
    }

    /// Sends `method` to `path` below the base, with `body` as (content type, text) if any.
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(String, String)>,
    ) -> Resp {
        self.try_request(method, path, headers, body)
            .expect("request completes")
    }

    /// [`call`](Self::call), or `None` when the connection closes without an answer.
    pub fn try_call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Option<Resp> {
        let body = body.map(|b| ("application/json".to_string(), b.to_string()));
        self.try_request(method, path, headers, body)
    }

    /// Sends `method` to `path` below the base; `None` when no answer arrives.
    fn try_request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(String, String)>,
    ) -> Option<Resp> {
        let method = ureq::http::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let url = format!("{}{path}", self.running.base());
        let mut req = ureq::http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let sent = match body {
            Some((content_type, text)) => {
                let req = req.header("Content-Type", content_type).body(text);
                self.agent.run(req.expect("request builds"))
            }
            None => self.agent.run(req.body(()).expect("request builds")),
        };
        let mut resp = sent.ok()?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let text = resp.body_mut().read_to_string().expect("body reads");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Some(Resp {
            status,
            body,
            headers,
        })
    }
}

/// Runs `f` with the headers that send `key` as a bearer token (none without a key).
fn with_key<R>(key: Option<&str>, f: impl FnOnce(&[(&str, &str)]) -> R) -> R {
    match key.map(|k| format!("Bearer {k}")) {
        Some(auth) => f(&[("Authorization", &auth)]),
        None => f(&[]),
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let Some(dir) = target_tmp().map(|t| t.join("emulator-journals")) else {
            return;
        };
        if std::fs::create_dir_all(&dir).is_err() {
            return;
        }
        static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let test = std::thread::current()
            .name()
            .unwrap_or("test")
            .replace("::", "-");
        let file = dir.join(format!("{}-{test}-{n}.json", test_binary()));
        let journal = serde_json::to_vec(&self.running.journal()).unwrap_or_default();
        let _ = std::fs::write(file, journal);
    }
}

/// A fresh, empty `target/tmp/<name>` for a test's files.
pub fn scratch_dir(name: &str) -> PathBuf {
    let tmp = target_tmp().expect("tests run from a cargo target directory");
    let dir = tmp.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// `target/tmp` of the target directory the running test binary was built in (the nearest
/// ancestor holding cargo's `CACHEDIR.TAG`), or `None` outside one: what `CARGO_TARGET_TMPDIR`
/// names, which cargo sets only while compiling a test, not this library.
fn target_tmp() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let target = exe.ancestors().find(|d| d.join("CACHEDIR.TAG").is_file())?;
    Some(target.join("tmp"))
}

/// The package and test binary, e.g. `openai-ft-emulator-jobs`, so journals of two packages'
/// tests of the same name do not overwrite each other.
fn test_binary() -> String {
    let exe = std::env::current_exe().ok();
    let stem = exe
        .as_deref()
        .and_then(Path::file_stem)
        .and_then(|s| s.to_str());
    // Cargo names test binaries `<name>-<hash>`.
    let name = stem.map_or("test", |s| s.rsplit_once('-').map_or(s, |(n, _)| n));
    match std::env::var("CARGO_PKG_NAME") {
        Ok(package) => format!("{package}-{name}"),
        Err(_) => name.to_string(),
    }
}

/// `rows` valid supervised examples as JSONL.
pub fn sft_rows(rows: usize) -> String {
    (0..rows)
        .map(|i| {
            format!("{}\n", json!({"messages": [{"role": "user", "content": format!("q{i}")}, {"role": "assistant", "content": format!("a{i}")}]}))
        })
        .collect()
}
