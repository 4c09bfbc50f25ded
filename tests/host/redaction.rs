//! A server that echoes the key (in an error message, a short raw error body, event messages, a
//! failed job's error): the key never reaches the output, which says `[redacted]` where the
//! server put it. The harness checks every run's stdout and stderr for every test key.

use crate::util::*;
use serde_json::{Value, json};

/// `job list` against `emulator` with `rule` (method and path added) installed.
fn list_under(emulator: &Emulator, mut rule: Value) -> Outcome {
    rule["method"] = json!("GET");
    // The API base below the server: `/v1`, `/openai/v1` or `/openai` by flavour.
    let prefix = emulator.url().replacen(&emulator.running.base(), "", 1);
    rule["path"] = json!(format!("{prefix}/fine_tuning/jobs"));
    emulator.fault(rule);
    openai_ft(&["job", "list"])
        .against(emulator)
        .input(json!({}))
        .run()
}

#[test]
fn an_error_message_that_echoes_the_key_shows_it_redacted() {
    let emulator = Emulator::start(20);
    let line = list_under(&emulator, json!({"fault": "echo", "status": 400})).only_error();
    assert!(
        line.starts_with(
            "api error 400 invalid_request_error: Incorrect credential provided: Bearer \
             [redacted]. (Echoed by openai-ft-emulator.)"
        ),
        "{line}"
    );
}

#[test]
fn a_short_raw_error_body_that_echoes_the_key_shows_it_redacted() {
    let emulator = Emulator::start(20);
    let line = list_under(
        &emulator,
        json!({"fault": "echo", "echo_into": "raw", "status": 403}),
    )
    .only_error();
    assert!(
        line.starts_with(
            "api error 403: request refused: credential Bearer [redacted] is not accepted here; "
        ),
        "{line}"
    );
}

#[test]
fn an_azure_api_key_echoed_is_redacted_too() {
    for flavor in [Flavor::Azure, Flavor::AzureClassic] {
        let emulator = Emulator::flavored(flavor, 20);
        let line = list_under(&emulator, json!({"fault": "echo", "status": 400})).only_error();
        assert!(
            line.contains("Incorrect credential provided: [redacted]."),
            "{flavor:?}: {line}"
        );
    }
}

#[test]
fn the_admin_key_echoed_is_redacted() {
    let emulator = Emulator::start(20);
    let ckpt = "ft:gpt-4o-mini-2024-07-18:org-emulator:echo:abc123";
    emulator.fault(json!({"method": "GET", "fault": "echo", "status": 401,
                          "path": format!("/v1/fine_tuning/checkpoints/{ckpt}/permissions")}));
    let line = openai_ft(&["permissions", "read"])
        .against(&emulator)
        .env("OPENAI_ADMIN_KEY", ADMIN_KEY)
        .input(json!({"checkpoint": ckpt}))
        .run()
        .only_error();
    assert!(
        line.contains("Incorrect credential provided: Bearer [redacted]."),
        "{line}"
    );
}

#[test]
fn event_messages_that_echo_the_key_show_it_redacted() {
    let emulator = Emulator::start(20);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    emulator.fault(
        json!({"method": "GET", "path": "/v1/fine_tuning/jobs/*", "fault": "echo",
                          "echo_into": "messages", "times": 100_000}),
    );
    let out = openai_ft(&["job", "ensure"])
        .against(&emulator)
        .input(
            json!({"model": "gpt-4o-mini", "training_file": file, "suffix": "echo",
                      "wait": "true", "poll_interval": "0.05"}),
        )
        .run();
    assert_eq!(out.json()["status"], "succeeded");
    let echoed: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("[you sent: "))
        .collect();
    assert!(!echoed.is_empty(), "no event was echoed: {}", out.stderr);
    assert!(
        echoed
            .iter()
            .all(|l| l.ends_with("[you sent: Bearer [redacted]]")),
        "{echoed:?}"
    );
}

#[test]
fn a_failed_jobs_error_message_that_echoes_the_key_is_redacted_in_the_output() {
    let emulator = Emulator::start(600_000);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    let job = emulator.api(
        "POST",
        "/fine_tuning/jobs",
        Some(json!({"model": "gpt-4o-mini", "training_file": file})),
    );
    let id = job["id"].as_str().expect("job id").to_owned();
    emulator
        .control_post(
            &format!("/_emulator/jobs/{id}/fail"),
            &json!({"code": "invalid_training_file", "message": "Training failed."}),
        )
        .ok();
    emulator.fault(
        json!({"method": "GET", "path": format!("/v1/fine_tuning/jobs/{id}"),
                          "fault": "echo", "echo_into": "messages"}),
    );
    let out = openai_ft(&["job", "read"])
        .against(&emulator)
        .input(json!({"id": id}))
        .run()
        .json();
    assert_eq!(out["status"], "failed");
    assert_eq!(
        out["error_message"],
        "Training failed. [you sent: Bearer [redacted]]"
    );
}
