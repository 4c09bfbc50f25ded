//! Shared helpers for the integration tests: an in-process emulator, and the real `openai-ft`
//! binary run in a clean environment, its output parsed and checked for leaked keys.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

pub use openai_ft_emulator::{FaultRule, Flavor, LogEntry};
use serde_json::Value;

/// Keys the emulator accepts. Every run checks that none of them shows up in stdout or stderr.
pub const PROJECT_KEY: &str = "sk-proj-TESTKEY-project";
pub const ADMIN_KEY: &str = "sk-admin-TESTKEY-admin-01";
pub const ADMIN_KEY_NO_OWNER: &str = "sk-admin-TESTKEY-no-owner";
pub const ADMIN_KEY_READ_ONLY: &str = "sk-admin-TESTKEY-read-only";
const ALL_KEYS: &[&str] = &[
    PROJECT_KEY,
    ADMIN_KEY,
    ADMIN_KEY_NO_OWNER,
    ADMIN_KEY_READ_ONLY,
];

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_openai-ft");

/// The api-version the tests use against Azure's dated API.
pub const API_VERSION: &str = "2025-04-01-preview";

/// The one-example supervised training file most tests upload.
pub const SUPERVISED: &str = include_str!("../data/supervised.jsonl");

/// The path of a file in `tests/data/`, for the `path` input of the `file` commands.
pub fn data(name: &str) -> String {
    format!("{}/../tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// An emulator on a free loopback port, stopped when dropped.
pub struct Emulator {
    pub running: openai_ft_emulator::Running,
    pub flavor: Flavor,
}

impl Emulator {
    /// Starts an emulator whose jobs take a step every `step_ms`.
    pub fn start(step_ms: u64) -> Self {
        Self::with(|c| c.step_ms = step_ms)
    }

    pub fn with(configure: impl FnOnce(&mut openai_ft_emulator::Config)) -> Self {
        let mut config = openai_ft_emulator::Config {
            api_keys: vec![PROJECT_KEY.into()],
            admin_keys: vec![ADMIN_KEY.into()],
            admin_keys_no_owner: vec![ADMIN_KEY_NO_OWNER.into()],
            admin_keys_read_only: vec![ADMIN_KEY_READ_ONLY.into()],
            step_ms: 20,
            ..Default::default()
        };
        configure(&mut config);
        let flavor = config.flavor;
        Self {
            running: openai_ft_emulator::start(config).expect("emulator starts"),
            flavor,
        }
    }

    /// An emulator of `flavor` whose jobs take a step every `step_ms`.
    pub fn flavored(flavor: Flavor, step_ms: u64) -> Self {
        Self::with(|c| {
            c.flavor = flavor;
            c.step_ms = step_ms;
        })
    }

    /// The URL of an API call on this flavour, with the api-version Azure's dated API requires.
    fn full(&self, path: &str) -> String {
        match self.flavor {
            Flavor::AzureClassic => {
                let sep = if path.contains('?') { '&' } else { '?' };
                format!("{}{path}{sep}api-version={API_VERSION}", self.url())
            }
            _ => format!("{}{path}", self.url()),
        }
    }

    pub fn url(&self) -> String {
        self.running.url()
    }

    /// Adds a fault from its control-endpoint JSON form.
    pub fn fault(&self, rule: Value) {
        self.running
            .add_fault(FaultRule::from_json(&rule).expect("valid fault rule"));
    }

    /// How many times `"METHOD /path"` was requested.
    pub fn count(&self, key: &str) -> u64 {
        self.running.requests().get(key).copied().unwrap_or(0)
    }

    /// Every request in order.
    pub fn log(&self) -> Vec<LogEntry> {
        self.running.request_log()
    }

    /// Calls the emulator's API directly (to set things up), with the project key.
    pub fn api(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = self.full(path);
        let auth = format!(
            "Bearer {}",
            if path.contains("/permissions") {
                ADMIN_KEY
            } else {
                PROJECT_KEY
            }
        );
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut response = match (method, body) {
            ("GET", _) => agent.get(&url).header("authorization", &auth).call(),
            ("DELETE", _) => agent.delete(&url).header("authorization", &auth).call(),
            (_, Some(b)) => agent.post(&url).header("authorization", &auth).send_json(b),
            (_, None) => agent.post(&url).header("authorization", &auth).send_empty(),
        }
        .expect("emulator answers");
        response.body_mut().read_json().expect("json answer")
    }

    /// Uploads `content` as a fine-tune file and returns its id.
    pub fn upload(&self, name: &str, content: &str) -> String {
        let boundary = "testboundary";
        let body = format!(
            "--{boundary}\r\ncontent-disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n\
             --{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             content-type: application/octet-stream\r\n\r\n{content}\r\n--{boundary}--\r\n"
        );
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut response = agent
            .post(self.full("/files"))
            .header("authorization", format!("Bearer {PROJECT_KEY}"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .send(body.as_bytes())
            .expect("upload answers");
        let file: Value = response.body_mut().read_json().expect("json answer");
        file["id"].as_str().expect("file id").to_owned()
    }
}

/// A run of the binary being prepared.
pub struct Cmd {
    args: Vec<String>,
    env: BTreeMap<String, String>,
    stdin: Option<Vec<u8>>,
}

/// `openai-ft <args>` with an empty environment (plus PATH), no stdin unless given.
pub fn openai_ft(args: &[&str]) -> Cmd {
    let mut env = BTreeMap::new();
    if let Ok(path) = std::env::var("PATH") {
        env.insert("PATH".into(), path);
    }
    Cmd {
        args: args.iter().map(|s| s.to_string()).collect(),
        env,
        stdin: None,
    }
}

impl Cmd {
    /// Points the binary at `emulator` with the project key, configured as users of that API
    /// flavour would.
    pub fn against(self, emulator: &Emulator) -> Self {
        match emulator.flavor {
            Flavor::OpenAi => self
                .env("OPENAI_BASE_URL", &emulator.url())
                .env("OPENAI_API_KEY", PROJECT_KEY),
            Flavor::Azure => self
                .env("AZURE_OPENAI_ENDPOINT", &emulator.running.endpoint())
                .env("AZURE_OPENAI_API_KEY", PROJECT_KEY),
            Flavor::AzureClassic => self
                .env("OPENAI_FT_FLAVOR", "azure-classic")
                .env("AZURE_OPENAI_ENDPOINT", &emulator.running.endpoint())
                .env("AZURE_OPENAI_API_KEY", PROJECT_KEY)
                .env("OPENAI_API_VERSION", API_VERSION),
        }
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// The input object as JSON on stdin.
    pub fn input(self, value: Value) -> Self {
        self.stdin(value.to_string())
    }

    pub fn run(self) -> Outcome {
        let mut cmd = Command::new(BIN);
        cmd.args(&self.args)
            .env_clear()
            .envs(&self.env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = cmd.spawn().expect("openai-ft starts");
        if let Some(bytes) = self.stdin {
            let mut stdin = child.stdin.take().expect("stdin");
            // The binary may refuse before reading everything; a broken pipe is fine then.
            let _ = stdin.write_all(&bytes);
        }
        let out = child.wait_with_output().expect("openai-ft finishes");
        let outcome = Outcome {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        for key in ALL_KEYS {
            assert!(
                !outcome.stdout.contains(key),
                "a key leaked to stdout: {}",
                outcome.stdout
            );
            assert!(
                !outcome.stderr.contains(key),
                "a key leaked to stderr: {}",
                outcome.stderr
            );
        }
        outcome
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Asserts success and that stdout is exactly one flat JSON object of strings; returns it.
    pub fn json(&self) -> BTreeMap<String, String> {
        assert_eq!(
            self.code,
            Some(0),
            "expected success, stderr: {}",
            self.stderr
        );
        assert!(
            self.stdout.ends_with('\n') && self.stdout.trim_end().lines().count() == 1,
            "one line: {:?}",
            self.stdout
        );
        serde_json::from_str(&self.stdout).expect("stdout is a JSON object of strings")
    }

    /// Asserts failure with status 1, nothing on stdout, and returns the error line: the last
    /// stderr line, which must start with `openai-ft: `.
    pub fn error(&self) -> String {
        assert_eq!(
            self.code,
            Some(1),
            "expected exit 1; stdout: {} stderr: {}",
            self.stdout,
            self.stderr
        );
        assert_eq!(self.stdout, "", "nothing on stdout on error");
        let last = self.stderr.lines().last().expect("an error line");
        last.strip_prefix("openai-ft: ")
            .expect("error line prefix")
            .to_owned()
    }

    /// Like [`error`](Self::error), and also asserts the error is the only stderr line.
    pub fn only_error(&self) -> String {
        let line = self.error();
        assert_eq!(
            self.stderr.lines().count(),
            1,
            "one stderr line: {}",
            self.stderr
        );
        line
    }
}
