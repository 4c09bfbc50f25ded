//! `job ensure`, `read`, `cancel`, `pause`, `resume` and `list` against the emulator: the whole
//! lifecycle for each training method, one job per request whatever fails, and timeout
//! protection that holds across separate runs.

use std::collections::BTreeMap;

use crate::util::*;
use serde_json::{Value, json};

const DPO: &str = include_str!("../data/dpo.jsonl");
const REINFORCEMENT: &str = include_str!("../data/reinforcement.jsonl");

fn request(file: &str) -> Value {
    json!({"model": "gpt-4o-mini", "training_file": file, "suffix": "jobs-test", "poll_interval": "0.05"})
}

fn ensure(emulator: &Emulator, input: &Value) -> Outcome {
    openai_ft(&["job", "ensure"])
        .against(emulator)
        .input(input.clone())
        .run()
}

fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().expect("object") {
        base[k] = v.clone();
    }
    base
}

fn creates(emulator: &Emulator) -> u64 {
    emulator.count("POST /v1/fine_tuning/jobs")
}

#[test]
fn supervised_lifecycle_waits_with_progress_and_reports_the_model() {
    let emulator = Emulator::start(20);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    let input = with(
        request(&file),
        json!({"wait": "true", "hyperparameters": "{\"n_epochs\":\"2\",\"batch_size\":4}"}),
    );
    let out = ensure(&emulator, &input);
    let o = out.json();
    assert_eq!(o["status"], "succeeded");
    assert!(o["fine_tuned_model"].starts_with("ft:gpt-4o-mini-2024-07-18:org-emulator:jobs-test:"));
    assert!(o["idempotency_key"].starts_with("oaift-"));
    assert_eq!(o["timed_out"], "false");
    assert_eq!(o["created"], "true");
    let checkpoints: Vec<Value> = serde_json::from_str(&o["checkpoints"]).expect("JSON list");
    assert_eq!(checkpoints.len(), 2);
    assert!(
        checkpoints[0]["name"]
            .as_str()
            .unwrap()
            .contains(":ckpt-step-")
    );
    assert!(checkpoints[0]["step"].as_u64().unwrap() < checkpoints[1]["step"].as_u64().unwrap());
    assert!(checkpoints[0]["metrics"]["train_loss"].is_number());
    for expected in [
        "validating files",
        "queued",
        "running",
        "estimated finish",
        "checkpoint ft:",
        "succeeded: ft:",
    ] {
        assert!(
            out.stderr.contains(expected),
            "progress shows {expected:?}: {}",
            out.stderr
        );
    }
    // The request went out with `method`, numbers as numbers, and the key in metadata.
    let job = emulator.api("GET", &format!("/fine_tuning/jobs/{}", o["id"]), None);
    assert_eq!(job["method"]["type"], "supervised");
    assert_eq!(
        job["method"]["supervised"]["hyperparameters"]["n_epochs"],
        2
    );
    assert_eq!(
        job["method"]["supervised"]["hyperparameters"]["batch_size"],
        4
    );
    assert_eq!(
        job["metadata"]["openai_ft_key"],
        o["idempotency_key"].as_str()
    );
    assert_eq!(creates(&emulator), 1);
}

#[test]
fn dpo_lifecycle() {
    let emulator = Emulator::start(10);
    let file = emulator.upload("dpo.jsonl", DPO);
    let input = with(
        request(&file),
        json!({"training_method": "dpo", "wait": "true", "hyperparameters": "{\"beta\":\"0.2\",\"n_epochs\":\"1\"}"}),
    );
    let o = ensure(&emulator, &input).json();
    assert_eq!(o["status"], "succeeded");
    let job = emulator.api("GET", &format!("/fine_tuning/jobs/{}", o["id"]), None);
    assert_eq!(job["method"]["type"], "dpo");
    assert_eq!(job["method"]["dpo"]["hyperparameters"]["beta"], 0.2);
}

#[test]
fn reinforcement_lifecycle() {
    let emulator = Emulator::start(10);
    let file = emulator.upload("rft.jsonl", REINFORCEMENT);
    let grader = json!({"type": "string_check", "name": "exact", "input": "{{sample.output_text}}",
                        "reference": "{{item.reference_answer}}", "operation": "eq"});
    let input = json!({
        "model": "o4-mini", "training_file": file, "training_method": "reinforcement",
        "grader": grader.to_string(), "hyperparameters": "{\"reasoning_effort\":\"low\",\"n_epochs\":\"1\"}",
        "wait": "true", "poll_interval": "0.05",
    });
    let o = ensure(&emulator, &input).json();
    assert_eq!(o["status"], "succeeded");
    assert_eq!(o["model"], "o4-mini-2025-04-16");
    let job = emulator.api("GET", &format!("/fine_tuning/jobs/{}", o["id"]), None);
    assert_eq!(
        job["method"]["reinforcement"]["grader"]["type"],
        "string_check"
    );
    assert_eq!(
        job["method"]["reinforcement"]["hyperparameters"]["reasoning_effort"],
        "low"
    );
}

#[test]
fn ensure_twice_adopts_the_same_job() {
    let emulator = Emulator::start(60_000);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    let first = ensure(&emulator, &request(&file)).json();
    let second = ensure(&emulator, &request(&file));
    let second_out = second.json();
    assert_eq!(first["id"], second_out["id"]);
    assert_eq!(second_out["created"], "false");
    assert!(
        second.stderr.contains("already exists for this request"),
        "{}",
        second.stderr
    );
    assert_eq!(creates(&emulator), 1);
    // A different request is a different job.
    let other = ensure(&emulator, &with(request(&file), json!({"suffix": "other"}))).json();
    assert_ne!(other["id"], first["id"]);
    assert_eq!(creates(&emulator), 2);
}

#[test]
fn every_fault_on_create_still_leaves_exactly_one_job() {
    for fault in [
        json!({"fault": "commit_then_drop"}),
        json!({"fault": "reset"}),
        json!({"fault": 500}),
        json!({"fault": 502}),
        json!({"fault": 503}),
        json!({"fault": 429, "retry_after": 1}),
        json!({"fault": 429, "retry_after_ms": 100}),
        json!({"fault": "delay", "delay_ms": 200}),
    ] {
        let emulator = Emulator::start(60_000);
        let file = emulator.upload("train.jsonl", SUPERVISED);
        let mut rule = fault.clone();
        rule["method"] = json!("POST");
        rule["path"] = json!("/v1/fine_tuning/jobs");
        emulator.fault(rule);
        let out = ensure(&emulator, &request(&file));
        let id = out.json()["id"].clone();
        let jobs = emulator.api("GET", "/fine_tuning/jobs?limit=100", None);
        let all = jobs["data"].as_array().expect("list");
        assert_eq!(all.len(), 1, "fault {fault}: exactly one job exists");
        assert_eq!(
            all[0]["id"],
            id.as_str(),
            "fault {fault}: the output names it"
        );
        // Run again: still the same job.
        assert_eq!(
            ensure(&emulator, &request(&file)).json()["id"],
            id,
            "fault {fault}"
        );
    }
}

#[test]
fn commit_then_drop_is_resolved_by_lookup_not_by_reposting() {
    let emulator = Emulator::start(60_000);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    emulator.fault(
        json!({"method": "POST", "path": "/v1/fine_tuning/jobs", "fault": "commit_then_drop"}),
    );
    let out = ensure(&emulator, &request(&file));
    out.json();
    assert_adopted_after_one_create(&emulator, &out);
}

/// The create was sent once, and `out` says the lookup found what it had stored.
fn assert_adopted_after_one_create(emulator: &Emulator, out: &Outcome) {
    assert_eq!(creates(emulator), 1, "one create: {}", out.stderr);
    assert!(
        out.stderr
            .contains("found the job the failed attempt created"),
        "{}",
        out.stderr
    );
}

#[test]
fn bad_requests_are_refused_before_any_call() {
    let emulator = Emulator::start(20);
    let cases: &[(Value, &str)] = &[
        (
            json!({"training_file": "file-x"}),
            r#"missing model: set it to the base model to fine-tune, e.g. "gpt-4o-mini-2024-07-18""#,
        ),
        (
            json!({"model": "gpt-4o-mini", "training_file": "file-x", "hyperparameters": "{\"n_epochs\":\"0\"}"}),
            r#"invalid hyperparameters.n_epochs "0": must be "auto" or an integer 1-50"#,
        ),
        (
            json!({"model": "gpt-4o-mini", "training_file": "file-x", "wait": "maybe"}),
            r#"invalid wait "maybe": must be "true" or "false""#,
        ),
        (
            json!({"model": "gpt-4o-mini", "training_file": "file-x", "cancel_after_timeout": "0"}),
            r#"invalid cancel_after_timeout "0": must be an integer 1-2592000"#,
        ),
        (
            json!({"model": "gpt-4o-mini", "training_file": "file-x", "epochs": "3"}),
            r#"invalid input "epochs": unknown key; expected one of: model, training_file, validation_file, suffix, training_method, hyperparameters, grader, seed, metadata, integrations, training_type, cancel_after_timeout, wait, poll_interval, fail_on_unsuccessful, training_file_stats, price_per_million_tokens, max_billed_tokens, max_cost_usd, output"#,
        ),
    ];
    for (input, message) in cases {
        assert_eq!(
            ensure(&emulator, input).only_error(),
            *message,
            "input {input}"
        );
    }
    let sixteen: BTreeMap<String, String> =
        (0..16).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    let input = json!({"model": "gpt-4o-mini", "training_file": "file-x",
                       "metadata": serde_json::to_string(&sixteen).unwrap()});
    let line = ensure(&emulator, &input).only_error();
    assert!(
        line.starts_with(r#"invalid metadata"#) && line.contains("15"),
        "{line}"
    );
    assert!(emulator.log().is_empty(), "no request was sent");
}

#[test]
fn api_refusals_carry_the_api_message() {
    let emulator = Emulator::start(20);
    let input = json!({"model": "gpt-4o-mini", "training_file": "file-doesnotexist"});
    let line = ensure(&emulator, &input).error();
    assert!(
        line.starts_with("api error 400 invalid_request_error"),
        "{line}"
    );
    assert!(line.contains("[param training_file]"), "{line}");
    assert_eq!(creates(&emulator), 1, "a 400 is not retried");
}

#[test]
fn timeout_cancels_while_waiting() {
    let emulator = Emulator::start(60_000);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    let input = with(
        request(&file),
        json!({"wait": "true", "cancel_after_timeout": "1", "poll_interval": "0.2",
               "fail_on_unsuccessful": "false"}),
    );
    let out = ensure(&emulator, &input);
    let o = out.json();
    assert_eq!(o["status"], "cancelled");
    assert_eq!(o["timed_out"], "true");
    assert!(
        out.stderr
            .contains("past cancel_after_timeout=1; cancelling it"),
        "{}",
        out.stderr
    );
    assert_eq!(
        emulator.count(&format!("POST /v1/fine_tuning/jobs/{}/cancel", o["id"])),
        1
    );
}

#[test]
fn timeout_holds_across_separate_runs() {
    let emulator = Emulator::start(60_000);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    let input = with(request(&file), json!({"cancel_after_timeout": "2"}));
    let created = ensure(&emulator, &input).json();
    assert_eq!(created["timed_out"], "false");
    let read = |emulator: &Emulator| {
        openai_ft(&["job", "read"])
            .against(emulator)
            .input(
                json!({"idempotency_key": created["idempotency_key"], "cancel_after_timeout": "2"}),
            )
            .run()
            .json()
    };
    assert_eq!(read(&emulator)["status"], "validating_files");
    std::thread::sleep(std::time::Duration::from_millis(3_100));
    let later = read(&emulator);
    assert_eq!(later["status"], "cancelled");
    assert_eq!(later["timed_out"], "true");
    assert_eq!(later["id"], created["id"]);
    // The timed-out job is still the job for this request: no second paid job.
    let again = ensure(&emulator, &input).json();
    assert_eq!(again["id"], created["id"]);
    assert_eq!(again["timed_out"], "true");
    assert_eq!(creates(&emulator), 1);
}

#[test]
fn read_without_a_deadline_never_cancels() {
    let emulator = Emulator::start(60_000);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    let created = ensure(&emulator, &request(&file)).json();
    let out = openai_ft(&["job", "read"])
        .against(&emulator)
        .input(json!({"id": created["id"]}))
        .run()
        .json();
    assert_eq!(out["status"], "validating_files");
    assert!(
        emulator.log().iter().all(|e| e.method == "GET"
            || e.path == "/v1/fine_tuning/jobs"
            || e.path == "/v1/files")
    );
}

#[test]
fn read_by_id_makes_one_request() {
    let emulator = Emulator::start(60_000);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    let created = ensure(&emulator, &request(&file)).json();
    let before = emulator.log().len();
    let out = openai_ft(&["job", "read"])
        .against(&emulator)
        .input(json!({"id": created["id"]}))
        .run()
        .json();
    assert_eq!(out["id"], created["id"]);
    assert_eq!(emulator.log().len() - before, 1);
}

#[test]
fn read_by_request_finds_the_job_ensure_made() {
    let emulator = Emulator::start(60_000);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    let created = ensure(&emulator, &request(&file)).json();
    let mut by_request = request(&file);
    by_request.as_object_mut().unwrap().remove("poll_interval");
    let out = openai_ft(&["job", "read"])
        .against(&emulator)
        .input(by_request)
        .run()
        .json();
    assert_eq!(out["id"], created["id"]);
    assert_eq!(out["idempotency_key"], created["idempotency_key"]);
}

#[test]
fn failed_jobs_report_the_api_error_and_are_not_replaced() {
    let emulator = Emulator::start(10);
    let file = emulator.upload(
        "broken.jsonl",
        include_str!("../data/supervised_broken.jsonl"),
    );
    // By default a job that fails while awaited is an error naming the job, its code and message.
    let refused = ensure(&emulator, &with(request(&file), json!({"wait": "true"})));
    let input = with(
        request(&file),
        json!({"wait": "true", "fail_on_unsuccessful": "false"}),
    );
    let o = ensure(&emulator, &input).json();
    assert_eq!(o["status"], "failed");
    assert_eq!(
        refused.error(),
        format!(
            "job {} failed: invalid_training_file: {}; fix the cause, then change the request (for \
             example metadata = {{ attempt = \"2\" }}) and apply again, or set \
             fail_on_unsuccessful = false to accept the outcome",
            o["id"],
            o["error_message"].trim()
        )
    );
    assert_eq!(o["error_code"], "invalid_training_file");
    assert!(
        o["error_message"].contains("line 3") || o["error_message"].contains("Line 3"),
        "{}",
        o["error_message"]
    );
    let again = ensure(&emulator, &input).json();
    assert_eq!(again["id"], o["id"]);
    assert_eq!(creates(&emulator), 1);
}

#[test]
fn cancel_reads_fresh_state_and_is_quiet_on_finished_jobs() {
    let emulator = Emulator::start(60_000);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    let created = ensure(&emulator, &request(&file)).json();
    let out = openai_ft(&["job", "cancel"])
        .against(&emulator)
        .input(json!({"id": created["id"]}))
        .run()
        .json();
    assert_eq!(out["status"], "cancelled");
    let again = openai_ft(&["job", "cancel"])
        .against(&emulator)
        .input(json!({"id": created["id"]}))
        .run();
    assert_eq!(again.json()["status"], "cancelled");
    assert!(
        again
            .stderr
            .contains("has already cancelled; nothing to cancel"),
        "{}",
        again.stderr
    );
    assert_eq!(
        emulator.count(&format!(
            "POST /v1/fine_tuning/jobs/{}/cancel",
            created["id"]
        )),
        1
    );
}

#[test]
fn cancel_never_deletes_the_model() {
    let emulator = Emulator::start(5);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    let done = ensure(&emulator, &with(request(&file), json!({"wait": "true"}))).json();
    let out = openai_ft(&["job", "cancel"])
        .against(&emulator)
        .input(request(&file))
        .run()
        .json();
    assert_eq!(out["status"], "succeeded");
    assert_eq!(out["fine_tuned_model"], done["fine_tuned_model"]);
    assert!(emulator.log().iter().all(|e| e.method != "DELETE"));
    assert!(emulator.log().iter().all(|e| !e.path.ends_with("/cancel")));
}

#[test]
fn pause_and_resume() {
    let emulator = Emulator::start(300);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    let created = ensure(
        &emulator,
        &with(
            request(&file),
            json!({"hyperparameters": "{\"n_epochs\":\"20\"}"}),
        ),
    )
    .json();
    let id = created["id"].clone();
    loop {
        let o = openai_ft(&["job", "read"])
            .against(&emulator)
            .input(json!({"id": id}))
            .run()
            .json();
        if o["status"] == "running" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let paused = openai_ft(&["job", "pause"])
        .against(&emulator)
        .input(json!({"id": id}))
        .run()
        .json();
    assert_eq!(paused["status"], "paused");
    let resumed = openai_ft(&["job", "resume"])
        .against(&emulator)
        .input(json!({"id": id}))
        .run()
        .json();
    assert_ne!(resumed["status"], "paused");
    openai_ft(&["job", "cancel"])
        .against(&emulator)
        .input(json!({"id": id}))
        .run()
        .json();
}

#[test]
fn list_filters_by_metadata() {
    let emulator = Emulator::start(60_000);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    ensure(
        &emulator,
        &with(request(&file), json!({"metadata": "{\"team\":\"search\"}"})),
    )
    .json();
    ensure(
        &emulator,
        &with(request(&file), json!({"metadata": "{\"team\":\"ads\"}"})),
    )
    .json();
    let out = openai_ft(&["job", "list"])
        .against(&emulator)
        .input(json!({"metadata": "{\"team\":\"ads\"}"}))
        .run()
        .json();
    assert_eq!(out["count"], "1");
    let all = openai_ft(&["job", "list"])
        .against(&emulator)
        .input(json!({}))
        .run()
        .json();
    assert_eq!(all["count"], "2");
}

#[test]
fn a_create_the_server_commits_late_is_waited_for_not_posted_twice() {
    // The issue's case: the job is stored 3 s after the POST, the client gives up after 2 s.
    let emulator = Emulator::start(60_000);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    emulator.fault(
        json!({"method": "POST", "path": "/v1/fine_tuning/jobs", "fault": "delay",
                          "delay_ms": 3000}),
    );
    let out = openai_ft(&["job", "ensure"])
        .against(&emulator)
        .env("OPENAI_FT_TIMEOUT", "2")
        .input(request(&file))
        .run();
    let id = out.json()["id"].clone();
    assert_adopted_after_one_create(&emulator, &out);
    let jobs = emulator.api("GET", "/fine_tuning/jobs?limit=100", None);
    let all = jobs["data"].as_array().expect("list");
    assert_eq!(all.len(), 1, "exactly one job");
    assert_eq!(all[0]["id"], id.as_str());
}

#[test]
fn a_second_job_for_a_request_is_cancelled_on_the_next_read_while_it_waits() {
    let emulator = Emulator::start(600_000);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    let first = ensure(&emulator, &request(&file)).json();
    // What a create committed after its retry leaves: a second job with the same key.
    let second = emulator.api(
        "POST",
        "/fine_tuning/jobs",
        Some(
            json!({"model": "gpt-4o-mini", "training_file": file, "suffix": "jobs-test",
                    "metadata": {"openai_ft_key": first["idempotency_key"]}}),
        ),
    );
    let second_id = second["id"].as_str().unwrap();
    let read = openai_ft(&["job", "read"])
        .against(&emulator)
        .input(json!({"idempotency_key": first["idempotency_key"]}))
        .run();
    assert_eq!(
        read.json()["id"],
        first["id"],
        "the oldest stays the request's job"
    );
    let second = emulator.api("GET", &format!("/fine_tuning/jobs/{second_id}"), None);
    assert_eq!(second["status"], "cancelled");
    let first_job = emulator.api("GET", &format!("/fine_tuning/jobs/{}", first["id"]), None);
    assert_eq!(first_job["status"], "validating_files");
    assert!(
        read.stderr.contains(&format!(
            "warning: {second_id} is a second job for this request ({}; {} is the first); \
             cancelled it while it was still validating_files",
            first["idempotency_key"], first["id"]
        )),
        "{}",
        read.stderr
    );
}

#[test]
fn an_absurd_retry_after_is_not_waited_for() {
    for hint in ["retry_after", "retry_after_ms"] {
        let emulator = Emulator::start(20);
        emulator.fault(
            json!({"method": "GET", "path": "/v1/fine_tuning/jobs", "fault": 429,
                              hint: "1e300"}),
        );
        let out = openai_ft(&["job", "list"])
            .against(&emulator)
            .input(json!({}))
            .deadline(std::time::Duration::from_secs(20))
            .run();
        let line = out.only_error();
        assert!(
            line.starts_with(
                "api error 429 requests (rate_limit_exceeded): Rate limit reached for requests"
            ) && line.contains(
                "; rate limited: the API asks for a pause of over a day, longer than openai-ft \
                 waits on its own; run again after it (request id "
            ),
            "{hint}: {line}"
        );
        assert_eq!(emulator.count("GET /v1/fine_tuning/jobs"), 1, "{hint}");
    }
}

#[test]
fn ids_too_long_for_a_request_are_refused_before_any() {
    let emulator = Emulator::start(20);
    let id = format!("ftjob-{}", "a".repeat(64 << 10));
    let line = openai_ft(&["job", "read"])
        .against(&emulator)
        .input(json!({"id": id}))
        .run()
        .only_error();
    assert_eq!(
        line,
        format!(
            "invalid id \"ftjob-{}...\": must be at most 256 characters (got {})",
            "a".repeat(74),
            id.len()
        )
    );
    assert!(emulator.log().is_empty());
}

#[test]
fn a_request_too_large_to_write_is_refused_once_not_retried_as_a_network_error() {
    let emulator = Emulator::start(20);
    let metadata = json!({"k": "v".repeat(40 << 10)}).to_string();
    let out = openai_ft(&["job", "list"])
        .against(&emulator)
        .input(json!({"metadata": metadata}))
        .deadline(std::time::Duration::from_secs(20))
        .run();
    assert_eq!(
        out.only_error(),
        format!(
            "request denied by the host: the request to {} is too large to send (its path, query \
             and headers exceed 32 KiB)",
            emulator.url()
        )
    );
    assert!(emulator.log().is_empty());
}

/// `job check` (plan time) refuses what `job ensure` would, from the request without its files,
/// and sends no write; with `output = "summary"` the answer is one plain line.
#[test]
fn job_check_refuses_before_anything_is_created() {
    let emulator = Emulator::start(60_000);
    let check = |input: Value| {
        openai_ft(&["job", "check"])
            .against(&emulator)
            .input(input)
            .run()
    };
    let bad = json!({"model": "gpt-4o-mini-2024-07-18", "hyperparameters": r#"{"n_epochs":"0"}"#});
    assert_eq!(
        check(bad).only_error(),
        r#"invalid hyperparameters.n_epochs "0": must be "auto" or an integer 1-50"#
    );
    let good = json!({"model": "gpt-4o-mini-2024-07-18", "suffix": "ok"});
    let out = check(good.clone()).json();
    assert_eq!(out["model"], "gpt-4o-mini-2024-07-18");
    assert_eq!(out["warnings"], "[]");
    let summary = check(with(good, json!({"output": "summary"})));
    assert_eq!(
        summary.stdout,
        "job check: the request for gpt-4o-mini-2024-07-18 is valid\n"
    );
    assert!(
        emulator.log().iter().all(|e| e.method == "GET"),
        "{:?}",
        emulator.log()
    );
}
