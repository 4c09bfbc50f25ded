//! `openai-ft job read` end to end against the emulator: typed output, API errors with the
//! troubleshooting table's advice, and the SDK retry policy.

use crate::util::*;
use serde_json::json;

const TRAINING: &str = SUPERVISED;

/// Creates a job on the emulator directly and returns its id.
fn create_job(emulator: &Emulator) -> String {
    let file = emulator.upload("train.jsonl", TRAINING);
    let job = emulator.api(
        "POST",
        "/fine_tuning/jobs",
        Some(json!({"model": "gpt-4o-mini", "training_file": file, "suffix": "read-test"})),
    );
    job["id"].as_str().expect("job id").to_owned()
}

fn read(emulator: &Emulator, id: &str) -> Outcome {
    openai_ft(&["job", "read"])
        .against(emulator)
        .input(json!({ "id": id }))
        .run()
}

#[test]
fn reads_a_job_with_one_request() {
    let emulator = Emulator::start(60_000);
    let id = create_job(&emulator);
    let out = read(&emulator, &id).json();
    assert_eq!(out["id"], id);
    assert_eq!(out["status"], "validating_files");
    assert_eq!(out["model"], "gpt-4o-mini-2024-07-18");
    assert_eq!(out["fine_tuned_model"], "");
    assert_eq!(out["finished_at"], "");
    assert_eq!(out["trained_tokens"], "");
    assert!(out["created_at"].parse::<u64>().expect("a number") > 1_700_000_000);
    assert_eq!(emulator.count(&format!("GET /v1/fine_tuning/jobs/{id}")), 1);
}

#[test]
fn a_finished_job_has_its_model_and_numbers() {
    let emulator = Emulator::start(5);
    let id = create_job(&emulator);
    let out = loop {
        let out = read(&emulator, &id).json();
        if out["status"] == "succeeded" {
            break out;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(
        out["fine_tuned_model"].starts_with("ft:gpt-4o-mini-2024-07-18:org-emulator:read-test:")
    );
    assert!(out["finished_at"].parse::<u64>().is_ok());
    assert!(out["trained_tokens"].parse::<u64>().expect("a number") > 0);
}

#[test]
fn unknown_job_is_a_404_with_the_fix() {
    let emulator = Emulator::start(20);
    let line = read(&emulator, "ftjob-nope").only_error();
    let (line, request_id) = line.rsplit_once(" (request id ").expect("a request id");
    assert_eq!(
        line,
        "api error 404 invalid_request_error (fine_tune_not_found): Could not find fine tune job: \
         ftjob-nope [param fine_tuning_job_id]; verify the id and that it exists in the \
         organisation and project of the key (OPENAI_ORG_ID, OPENAI_PROJECT_ID)"
    );
    assert!(
        request_id.starts_with("req_") && request_id.ends_with(')'),
        "{request_id}"
    );
}

#[test]
fn a_wrong_key_is_a_401_with_the_fix() {
    let emulator = Emulator::start(20);
    let line = openai_ft(&["job", "read"])
        .env("OPENAI_BASE_URL", &emulator.url())
        .env("OPENAI_API_KEY", "sk-proj-wrong-key-00000")
        .input(json!({"id": "ftjob-1"}))
        .run()
        .only_error();
    assert!(
        line.starts_with(
            "api error 401 invalid_request_error (invalid_api_key): Incorrect API key provided"
        ),
        "{line}"
    );
    assert!(line.contains("check OPENAI_API_KEY"), "{line}");
    assert!(
        !line.contains("sk-proj-wrong-key-00000"),
        "the key is masked: {line}"
    );
}

#[test]
fn a_server_error_is_retried_then_succeeds() {
    let emulator = Emulator::start(60_000);
    let id = create_job(&emulator);
    let path = format!("/v1/fine_tuning/jobs/{id}");
    emulator.fault(json!({"method": "GET", "path": path, "fault": 500, "times": 1}));
    let out = read(&emulator, &id);
    assert_eq!(out.json()["id"], id);
    assert_eq!(emulator.count(&format!("GET {path}")), 2);
    assert!(
        out.stderr.contains(&format!(
            "GET /fine_tuning/jobs/{id}: HTTP 500; retry 1 of 2 in"
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn a_429_waits_as_long_as_retry_after_says() {
    let emulator = Emulator::start(60_000);
    let id = create_job(&emulator);
    let path = format!("/v1/fine_tuning/jobs/{id}");
    emulator
        .fault(json!({"method": "GET", "path": path, "fault": 429, "retry_after": 1, "times": 1}));
    let out = read(&emulator, &id);
    assert_eq!(out.json()["id"], id);
    assert_eq!(emulator.count(&format!("GET {path}")), 2);
    assert!(
        out.stderr
            .contains("rate limited (HTTP 429); waiting to send it again; retry 1 of 2 in 1.0 s"),
        "{}",
        out.stderr
    );
}

#[test]
fn retry_after_ms_wins_over_retry_after() {
    let emulator = Emulator::start(60_000);
    let id = create_job(&emulator);
    let path = format!("/v1/fine_tuning/jobs/{id}");
    emulator.fault(json!({"method": "GET", "path": path, "fault": 429, "retry_after": 30, "retry_after_ms": 200}));
    let out = read(&emulator, &id);
    assert_eq!(out.json()["id"], id);
    assert!(
        out.stderr
            .contains("rate limited (HTTP 429); waiting to send it again; retry 1 of 2 in 0.2 s"),
        "{}",
        out.stderr
    );
}

#[test]
fn persistent_errors_stop_after_two_retries() {
    let emulator = Emulator::start(60_000);
    let path = "/v1/fine_tuning/jobs/ftjob-x";
    emulator.fault(json!({"method": "GET", "path": path, "fault": 503, "times": 5}));
    let line = read(&emulator, "ftjob-x").error();
    assert!(line.starts_with("api error 503"), "{line}");
    assert!(
        line.contains("the API had a server error; run again later"),
        "{line}"
    );
    assert_eq!(emulator.count(&format!("GET {path}")), 3);
}

#[test]
fn a_dropped_connection_is_retried() {
    let emulator = Emulator::start(60_000);
    let id = create_job(&emulator);
    let path = format!("/v1/fine_tuning/jobs/{id}");
    emulator.fault(json!({"method": "GET", "path": path, "fault": "reset", "times": 1}));
    let out = read(&emulator, &id);
    assert_eq!(out.json()["id"], id);
    assert_eq!(emulator.count(&format!("GET {path}")), 2);
}

#[test]
fn bad_ids_never_reach_the_network() {
    let emulator = Emulator::start(20);
    let line = read(&emulator, "ftjob-../../files").only_error();
    assert_eq!(
        line,
        r#"invalid id "ftjob-../../files": must be a fine-tuning job id like "ftjob-abc123""#
    );
    assert!(emulator.log().is_empty());
}
