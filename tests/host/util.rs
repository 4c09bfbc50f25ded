//! Shared helpers for the integration tests: the emulator harness, and the real `openai-ft`
//! binary run in a clean environment and within a deadline, its output parsed and checked for
//! leaked keys.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use openai_ft_emulator::Flavor;
/// The emulator and the keys it accepts: the one harness the emulator's own tests use too. Every
/// run checks that none of the keys shows up in stdout or stderr.
pub use openai_ft_emulator::harness::{
    ADMIN_KEY, ADMIN_KEY_NO_OWNER, ADMIN_KEY_READ_ONLY, ALL_KEYS, API_VERSION, Emulator,
    PROJECT_KEY, scratch_dir,
};
use serde_json::Value;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_openai-ft");

/// The test-only host running the test component (`host/examples/openai-ft-test-host.rs`),
/// beside the binary: `cargo test` builds examples unless a `--test` filter leaves them out.
pub fn test_host_bin() -> std::path::PathBuf {
    let bin = std::path::Path::new(BIN);
    let path = bin.with_file_name("examples").join("openai-ft-test-host");
    assert!(
        path.is_file(),
        "{} not found: build it with cargo build -p openai-ft --example openai-ft-test-host",
        path.display()
    );
    path
}

/// The one-example supervised training file most tests upload.
pub const SUPERVISED: &str = include_str!("../data/supervised.jsonl");

/// The path of a file in `tests/data/`, for the `path` input of the `file` commands.
pub fn data(name: &str) -> String {
    format!("{}/../tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// How long a run may take unless a test says otherwise: a hang is a failure, not a stuck CI.
pub const DEADLINE: Duration = Duration::from_secs(120);

/// A run of the binary being prepared.
pub struct Cmd {
    program: std::path::PathBuf,
    args: Vec<String>,
    env: BTreeMap<String, String>,
    stdin: Option<Vec<u8>>,
    dir: Option<PathBuf>,
    deadline: Duration,
}

/// `openai-ft <args>` with an empty environment (plus PATH), no stdin unless given.
pub fn openai_ft(args: &[&str]) -> Cmd {
    run_of(BIN.into(), args)
}

/// `openai-ft-test-host <args>`, like [`openai_ft`].
pub fn test_host(args: &[&str]) -> Cmd {
    run_of(test_host_bin(), args)
}

fn run_of(program: std::path::PathBuf, args: &[&str]) -> Cmd {
    let mut env = BTreeMap::new();
    if let Ok(path) = std::env::var("PATH") {
        env.insert("PATH".into(), path);
    }
    Cmd {
        program,
        args: args.iter().map(|s| s.to_string()).collect(),
        env,
        stdin: None,
        dir: None,
        deadline: DEADLINE,
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

    /// Runs it in `dir` (for relative paths).
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Kills it, and fails the test, if it runs longer than `deadline` (default [`DEADLINE`]).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Runs it to the end (or its deadline).
    pub fn run(self) -> Outcome {
        self.spawn().wait()
    }

    /// Starts it; [`Running::wait`] collects the outcome.
    pub fn spawn(self) -> Running {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .env_clear()
            .envs(&self.env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = &self.dir {
            cmd.current_dir(dir);
        }
        cmd.stdin(if self.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let started = Instant::now();
        let mut child = cmd.spawn().expect("openai-ft starts");
        if let Some(bytes) = self.stdin {
            let mut stdin = child.stdin.take().expect("stdin");
            // The binary may refuse before reading everything; a broken pipe is fine then.
            let _ = stdin.write_all(&bytes);
        }
        let drain = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut out = Vec::new();
                let _ = pipe.read_to_end(&mut out);
                out
            })
        };
        let stdout = drain(Box::new(child.stdout.take().expect("stdout")));
        let stderr = drain(Box::new(child.stderr.take().expect("stderr")));
        Running {
            child,
            stdout,
            stderr,
            started,
            deadline: self.deadline,
        }
    }
}

/// A run under way.
pub struct Running {
    child: Child,
    stdout: JoinHandle<Vec<u8>>,
    stderr: JoinHandle<Vec<u8>>,
    started: Instant,
    deadline: Duration,
}

impl Running {
    /// Waits for the end, killing the run at its deadline (which fails the test), and checks
    /// that no key shows in what it printed.
    pub fn wait(mut self) -> Outcome {
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("openai-ft can be waited for") {
                break Some(status);
            }
            if self.started.elapsed() > self.deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let elapsed = self.started.elapsed();
        let text = |h: JoinHandle<Vec<u8>>| {
            String::from_utf8_lossy(&h.join().expect("pipe reader")).into_owned()
        };
        let outcome = Outcome {
            code: status.and_then(|s| s.code()),
            stdout: text(self.stdout),
            stderr: text(self.stderr),
            elapsed,
        };
        assert!(
            status.is_some(),
            "openai-ft was still running after {:?} and was killed; stderr: {}",
            self.deadline,
            outcome.stderr
        );
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
    /// From start to exit, wall time.
    pub elapsed: Duration,
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

/// Today plus `days`, as `YYYY-MM-DD`.
pub fn date_in(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let z = now.div_euclid(86_400) + days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}-{m:02}-{d:02}", yoe + era * 400 + i64::from(m <= 2))
}
