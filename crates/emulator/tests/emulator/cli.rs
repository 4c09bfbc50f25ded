//! The `openai-ft-emulator` binary: first stdout line, `--ready-file`, `--help`, and one-line
//! refusals with exit 2 (bad flags) or 1 (cannot run).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_openai-ft-emulator");

/// The emulator binary, started with `args`, stopped when dropped.
struct Running {
    child: Child,
    /// The URL from its first stdout line.
    base: String,
    line: String,
}

impl Running {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .args(args)
            .env_clear()
            .stdout(Stdio::piped())
            .spawn()
            .expect("binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("first line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .expect("listening line")
            .to_string();
        Self { child, base, line }
    }

    /// GETs `path` (below the base) with a bearer `token`.
    fn get(&self, path: &str, token: &str) -> ureq::http::Response<ureq::Body> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        agent
            .get(format!("{}{path}", self.base))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .expect("request")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary with `args` and asserts it exits with `code` and exactly `stderr`.
fn assert_refused(args: &[&str], code: i32, stderr: &str) {
    let out = Command::new(BIN).args(args).output().expect("runs");
    assert_eq!(out.status.code(), Some(code), "{args:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), stderr);
}

fn json_body(resp: &mut ureq::http::Response<ureq::Body>) -> serde_json::Value {
    serde_json::from_str(&resp.body_mut().read_to_string().expect("body")).expect("json")
}

#[test]
fn first_line_is_the_listening_url_and_the_server_answers() {
    let emulator = Running::start(&[
        "--listen",
        "127.0.0.1:0",
        "--api-key",
        "sk-cli-test-0123456789",
        "--step-ms",
        "50",
        "--model-shutdown",
        "gpt-4o-mini=2027-01-01",
    ]);
    assert!(
        emulator.base.starts_with("http://127.0.0.1:"),
        "{}",
        emulator.line
    );
    let mut resp = emulator.get("/v1/models/gpt-4o-mini", "sk-cli-test-0123456789");
    let body = json_body(&mut resp);
    assert_eq!(body["shutdown_date"], "2027-01-01");
}

#[test]
fn ready_file_holds_the_url_once_listening() {
    let dir = openai_ft_emulator::harness::scratch_dir("cli-ready-file");
    let ready = dir.join("emulator.ready");
    let emulator = Running::start(&["--ready-file", ready.to_str().expect("utf-8 path")]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "no ready file after 10 s");
        std::thread::sleep(Duration::from_millis(10));
    }
    let text = std::fs::read_to_string(&ready).expect("ready file reads");
    assert_eq!(text, format!("{}\n", emulator.base));
    let names: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir lists")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        names,
        ["emulator.ready"],
        "no temporary file is left behind"
    );
}

#[test]
fn an_unwritable_ready_file_exits_1() {
    assert_refused(
        &["--ready-file", "/nonexistent-dir/emulator.ready"],
        1,
        "openai-ft-emulator: cannot write ready file \"/nonexistent-dir/emulator.ready\": No such file or directory (os error 2)\n",
    );
}

#[test]
fn help_prints_usage() {
    let out = Command::new(BIN).arg("--help").output().expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--api-key",
        "--admin-key",
        "--step-ms",
        "--latency-ms",
        "--org",
        "--state",
        "--model-shutdown",
        "--ready-file",
    ] {
        assert!(text.contains(flag), "help lacks {flag}");
    }
}

#[test]
fn bad_flags_exit_2_with_one_line() {
    for (args, msg) in [
        (
            vec!["--bogus"],
            "openai-ft-emulator: unknown flag \"--bogus\" (see --help)\n",
        ),
        (
            vec!["--step-ms", "0"],
            "openai-ft-emulator: invalid --step-ms \"0\": must be an integer >= 1\n",
        ),
        (
            vec!["--api-key"],
            "openai-ft-emulator: flag \"--api-key\" needs a value\n",
        ),
        (
            vec!["--latency-ms", "soon"],
            "openai-ft-emulator: invalid --latency-ms \"soon\": must be an integer 0-60000\n",
        ),
    ] {
        let out = Command::new(BIN).args(&args).output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), msg);
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn bad_shutdown_date_is_refused() {
    assert_refused(
        &["--model-shutdown", "gpt-4o-mini=soon"],
        1,
        "openai-ft-emulator: invalid shutdown date \"soon\" for model \"gpt-4o-mini\": expected YYYY-MM-DD\n",
    );
}

#[test]
fn flavor_azure_serves_under_openai_v1_and_takes_an_ad_token() {
    let emulator = Running::start(&[
        "--flavor",
        "azure",
        "--ad-token",
        "entra-token-for-cli-test",
        "--v1-model-dates",
        "--inference-retirement",
        "gpt-4o-mini=2027-01-01",
        "--fine-tune-retirement",
        "gpt-4o-mini=2026-12-01",
        "--lifecycle-status",
        "gpt-4o-mini=deprecating",
    ]);
    let mut resp = emulator.get("/openai/v1/models/gpt-4o-mini", "entra-token-for-cli-test");
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers().get("apim-request-id").is_some());
    let body = json_body(&mut resp);
    assert_eq!(body["deprecation"]["inference"], 1_798_761_600u64);
    assert_eq!(body["deprecation"]["fine_tune"], 1_796_083_200u64);
    assert_eq!(body["lifecycle_status"], "deprecating");
    assert!(
        body.get("shutdown_date").is_none(),
        "OpenAI's field: {body}"
    );
}

#[test]
fn the_azure_switches_take_only_their_values() {
    for (args, msg) in [
        (
            &["--v1-metadata", "lose"][..],
            "openai-ft-emulator: invalid --v1-metadata \"lose\": see --help for its values\n",
        ),
        (
            &["--v1-statuses", "openai"][..],
            "openai-ft-emulator: invalid --v1-statuses \"openai\": see --help for its values\n",
        ),
        (
            &["--training-types", "gpt-4.1"][..],
            "openai-ft-emulator: invalid --training-types \"gpt-4.1\": expected MODEL=standard,globalstandard,...\n",
        ),
    ] {
        assert_refused(args, 2, msg);
    }
    assert_refused(
        &["--training-types", "gpt-4.1=premium"],
        1,
        "openai-ft-emulator: invalid training type \"premium\" for model \"gpt-4.1\": expected some of standard, globalstandard, developer, none\n",
    );
    assert_refused(
        &["--lifecycle-status", "gpt-4.1=retired"],
        1,
        "openai-ft-emulator: invalid lifecycle status \"retired\" for model \"gpt-4.1\": expected one of preview, generally-available, deprecating, deprecated\n",
    );
}

#[test]
fn an_unknown_flavor_exits_2() {
    assert_refused(
        &["--flavor", "aws"],
        2,
        "openai-ft-emulator: invalid --flavor \"aws\": must be openai, azure or azure-classic\n",
    );
}
