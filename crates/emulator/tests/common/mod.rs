//! Test harness shared by the integration tests: starts an in-process emulator with known keys,
//! offers a tiny blocking client, and on drop saves the emulator's response journal under
//! `target/tmp/emulator-journals/` so `tests/python/test_emulator_spec.py` can check it against the spec.

#![allow(dead_code)]

use openai_ft_emulator::{Config, Running, start};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub const PROJECT_KEY: &str = "sk-proj-test-0123XYZW";
pub const ADMIN_KEY: &str = "sk-admin-test-0123QRST";
pub const NO_OWNER_KEY: &str = "sk-admin-noowner-012345";
pub const READ_ONLY_KEY: &str = "sk-admin-readonly-01234";

pub struct Emu {
    pub running: Running,
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

pub fn config(step_ms: u64) -> Config {
    Config {
        api_keys: vec![PROJECT_KEY.to_string()],
        admin_keys: vec![ADMIN_KEY.to_string()],
        admin_keys_no_owner: vec![NO_OWNER_KEY.to_string()],
        admin_keys_read_only: vec![READ_ONLY_KEY.to_string()],
        step_ms,
        ..Config::default()
    }
}

impl Emu {
    pub fn start() -> Emu {
        Emu::with(config(10))
    }

    pub fn with(config: Config) -> Emu {
        let running = start(config).expect("emulator starts");
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into();
        Emu { running, agent }
    }

    fn finish(&self, resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Resp {
        let mut resp = resp.expect("request completes");
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let text = resp.body_mut().read_to_string().expect("body reads");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Resp {
            status,
            body,
            headers,
        }
    }

    fn auth(key: Option<&str>) -> Option<String> {
        key.map(|k| format!("Bearer {k}"))
    }

    /// GET `path` (below the base, e.g. `/v1/models`) with an optional bearer key.
    pub fn get_as(&self, key: Option<&str>, path: &str) -> Resp {
        let mut req = self.agent.get(format!("{}{path}", self.running.base()));
        if let Some(a) = Self::auth(key) {
            req = req.header("Authorization", a);
        }
        self.finish(req.call())
    }

    pub fn get(&self, path: &str) -> Resp {
        self.get_as(Some(PROJECT_KEY), path)
    }

    pub fn post_as(&self, key: Option<&str>, path: &str, body: Option<&Value>) -> Resp {
        let mut req = self.agent.post(format!("{}{path}", self.running.base()));
        if let Some(a) = Self::auth(key) {
            req = req.header("Authorization", a);
        }
        match body {
            Some(b) => self.finish(
                req.header("Content-Type", "application/json")
                    .send(b.to_string()),
            ),
            None => self.finish(req.send_empty()),
        }
    }

    pub fn post(&self, path: &str, body: &Value) -> Resp {
        self.post_as(Some(PROJECT_KEY), path, Some(body))
    }

    pub fn delete_as(&self, key: Option<&str>, path: &str) -> Resp {
        let mut req = self.agent.delete(format!("{}{path}", self.running.base()));
        if let Some(a) = Self::auth(key) {
            req = req.header("Authorization", a);
        }
        self.finish(req.call())
    }

    /// Multipart upload to `/v1/files`.
    pub fn upload_as(
        &self,
        key: Option<&str>,
        filename: &str,
        purpose: &str,
        content: &str,
    ) -> Resp {
        let b = "----emulatortestboundary";
        let body = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n{purpose}\r\n--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n{content}\r\n--{b}--\r\n"
        );
        let mut req = self
            .agent
            .post(format!("{}/v1/files", self.running.base()))
            .header("Content-Type", format!("multipart/form-data; boundary={b}"));
        if let Some(a) = Self::auth(key) {
            req = req.header("Authorization", a);
        }
        self.finish(req.send(body))
    }

    pub fn upload(&self, filename: &str, content: &str) -> Value {
        self.upload_as(Some(PROJECT_KEY), filename, "fine-tune", content)
            .ok()
            .clone()
    }

    /// Uploads `rows` valid supervised examples and returns the file id.
    pub fn training_file(&self, rows: usize) -> String {
        self.upload("train.jsonl", &sft_rows(rows))["id"]
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
        let mut req = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.running.base()));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let result = match body {
            Some(b) => {
                let req = req
                    .header("Content-Type", "application/json")
                    .body(b.to_string())
                    .expect("request builds");
                self.agent.run(req)
            }
            None => self.agent.run(req.body(()).expect("request builds")),
        };
        self.finish(result)
    }

    /// Multipart upload of a fine-tune file to `path` (e.g. `/openai/v1/files`) with `headers`.
    pub fn upload_to(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        filename: &str,
        content: &str,
    ) -> Resp {
        let b = "----emulatortestboundary";
        let body = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n{content}\r\n--{b}--\r\n"
        );
        let mut req = self
            .agent
            .post(format!("{}{path}", self.running.base()))
            .header("Content-Type", format!("multipart/form-data; boundary={b}"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.finish(req.send(body))
    }

    pub fn control_post(&self, path: &str, body: &Value) -> Resp {
        self.post_as(None, path, Some(body))
    }

    pub fn fault(&self, rule: Value) {
        self.control_post("/_emulator/faults", &rule).ok();
    }

    pub fn counts(&self) -> Value {
        self.get_as(None, "/_emulator/requests").ok().clone()
    }
}

impl Drop for Emu {
    fn drop(&mut self) {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("emulator-journals");
        if std::fs::create_dir_all(&dir).is_ok() {
            let name = std::thread::current()
                .name()
                .unwrap_or("test")
                .replace("::", "-");
            static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let file = dir.join(format!("{}-{name}-{n}.json", env!("CARGO_CRATE_NAME")));
            let journal = serde_json::to_vec(&self.running.journal()).unwrap_or_default();
            let _ = std::fs::write(file, journal);
        }
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
