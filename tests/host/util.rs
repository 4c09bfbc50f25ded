//! Shared helpers for the integration tests: the emulator harness, and the real `openai-ft`
//! binary run in a clean environment, its output parsed and checked for leaked keys.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

pub use openai_ft_emulator::Flavor;
/// The emulator and the keys it accepts: the one harness the emulator's own tests use too. Every
/// run checks that none of the keys shows up in stdout or stderr.
pub use openai_ft_emulator::harness::{
    ADMIN_KEY, ADMIN_KEY_NO_OWNER, ADMIN_KEY_READ_ONLY, ALL_KEYS, API_VERSION, Emulator,
    PROJECT_KEY,
};
use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_openai-ft");

/// The one-example supervised training file most tests upload.
pub const SUPERVISED: &str = include_str!("../data/supervised.jsonl");

/// The path of a file in `tests/data/`, for the `path` input of the `file` commands.
pub fn data(name: &str) -> String {
    format!("{}/../tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
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
