//! The jobs suite against Azure OpenAI's two surfaces, configured by the environment alone:
//! upload (waiting for Azure to process the file), ensure (also under commit-then-drop), wait,
//! read, cancel and timeout cancel, with exactly one job per request. The job list ignores
//! metadata filters there, so every lookup here goes the client-side way.

use crate::util::*;
use serde_json::{Value, json};

/// The API path prefix of a flavour, as the emulator counts requests.
fn prefix(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::OpenAi => "/v1",
        Flavor::Azure => "/openai/v1",
        Flavor::AzureClassic => "/openai",
    }
}

fn creates(emulator: &Emulator) -> u64 {
    emulator.count(&format!(
        "POST {}/fine_tuning/jobs",
        prefix(emulator.flavor)
    ))
}

fn upload(emulator: &Emulator) -> String {
    let out = openai_ft(&["file", "upload"])
        .against(emulator)
        .input(json!({"path": data("supervised.jsonl")}))
        .run();
    out.json()["id"].clone()
}

fn request(file: &str) -> Value {
    // Fifty epochs keep a job running for a while even with short emulator steps (which the
    // file processing needs: it advances on the same clock).
    json!({"model": "gpt-4o-mini", "training_file": file, "suffix": "azure", "poll_interval": "0.05",
           "hyperparameters": "{\"n_epochs\":\"50\"}"})
}

fn ensure(emulator: &Emulator, input: Value) -> Outcome {
    openai_ft(&["job", "ensure"])
        .against(emulator)
        .input(input)
        .run()
}

fn with(mut base: Value, extra: Value) -> Value {
    for (k, v) in extra.as_object().expect("object") {
        base[k] = v.clone();
    }
    base
}

fn lifecycle(flavor: Flavor) {
    let emulator = Emulator::flavored(flavor, 5);
    let file = upload(&emulator);
    let status = emulator.api("GET", &format!("/files/{file}"), None);
    assert_eq!(
        status["status"], "processed",
        "file upload hands out a processed file"
    );
    let out = ensure(
        &emulator,
        with(
            request(&file),
            json!({"wait": "true", "training_type": "Standard"}),
        ),
    );
    let o = out.json();
    assert_eq!(o["status"], "succeeded");
    assert_eq!(o["api_status"], "succeeded");
    assert!(
        o["fine_tuned_model"].starts_with("gpt-4o-mini-2024-07-18.ft-"),
        "{}",
        o["fine_tuned_model"]
    );
    assert!(
        out.stderr.contains("pending"),
        "Azure's own status shows in progress: {}",
        out.stderr
    );
    assert_eq!(creates(&emulator), 1);
    // Again: the job is found without a metadata filter.
    let again = ensure(
        &emulator,
        with(request(&file), json!({"training_type": "Standard"})),
    )
    .json();
    assert_eq!(again["id"], o["id"]);
    assert_eq!(creates(&emulator), 1);
    let read = openai_ft(&["job", "read"])
        .against(&emulator)
        .input(json!({"idempotency_key": o["idempotency_key"]}))
        .run()
        .json();
    assert_eq!(read["id"], o["id"]);
}

#[test]
fn azure_lifecycle() {
    lifecycle(Flavor::Azure);
}

#[test]
fn azure_classic_lifecycle() {
    lifecycle(Flavor::AzureClassic);
}

fn commit_then_drop(flavor: Flavor) {
    let emulator = Emulator::flavored(flavor, 200);
    let file = upload(&emulator);
    // Other jobs in the resource: the lookup must pick ours out of the list.
    for suffix in ["one", "two"] {
        ensure(&emulator, with(request(&file), json!({"suffix": suffix}))).json();
    }
    let path = format!("{}/fine_tuning/jobs", prefix(flavor));
    emulator.fault(json!({"method": "POST", "path": path, "fault": "commit_then_drop"}));
    let out = ensure(&emulator, request(&file));
    let id = out.json()["id"].clone();
    assert!(
        out.stderr
            .contains("found the job the failed attempt created"),
        "{}",
        out.stderr
    );
    assert_eq!(
        creates(&emulator),
        3,
        "one create per request, none repeated"
    );
    assert_eq!(ensure(&emulator, request(&file)).json()["id"], id);
    assert_eq!(creates(&emulator), 3);
}

#[test]
fn azure_commit_then_drop_leaves_one_job() {
    commit_then_drop(Flavor::Azure);
}

#[test]
fn azure_classic_commit_then_drop_leaves_one_job() {
    commit_then_drop(Flavor::AzureClassic);
}

fn cancel_and_timeout(flavor: Flavor) {
    let emulator = Emulator::flavored(flavor, 200);
    let file = upload(&emulator);
    let created = ensure(&emulator, request(&file)).json();
    assert_eq!(
        created["status"], "queued",
        "Azure's pending is queued to Terraform"
    );
    assert_eq!(created["api_status"], "pending");
    let cancelled = openai_ft(&["job", "cancel"])
        .against(&emulator)
        .input(request(&file))
        .run()
        .json();
    assert_eq!(cancelled["status"], "cancelled");

    let timed = with(
        request(&file),
        json!({"suffix": "timed", "cancel_after_timeout": "1", "wait": "true", "poll_interval": "0.2", "fail_on_unsuccessful": "false"}),
    );
    let o = ensure(&emulator, timed).json();
    assert_eq!(o["status"], "cancelled");
    assert_eq!(o["timed_out"], "true");
}

#[test]
fn azure_cancel_and_timeout() {
    cancel_and_timeout(Flavor::Azure);
}

#[test]
fn azure_classic_cancel_and_timeout() {
    cancel_and_timeout(Flavor::AzureClassic);
}

#[test]
fn jobs_wait_for_azure_to_process_their_files() {
    let emulator = Emulator::flavored(Flavor::Azure, 200);
    // Uploaded behind the tool's back: still pending when the job is asked for.
    let file = emulator.upload("train.jsonl", SUPERVISED);
    let out = ensure(&emulator, request(&file));
    out.json();
    assert!(
        out.stderr
            .contains(&format!("waiting for Azure to process {file}")),
        "{}",
        out.stderr
    );
    let log = emulator.log();
    let create = log
        .iter()
        .position(|e| e.method == "POST" && e.path == "/openai/v1/fine_tuning/jobs")
        .expect("a create");
    assert!(
        log[..create]
            .iter()
            .any(|e| e.path == format!("/openai/v1/files/{file}"))
    );
    assert!(
        log[..create].iter().all(|e| e.status != Some(400)),
        "no create was refused"
    );
}

#[test]
fn classic_jobs_carry_the_key_in_the_suffix() {
    let emulator = Emulator::flavored(Flavor::AzureClassic, 200);
    let file = upload(&emulator);
    let o = ensure(&emulator, request(&file)).json();
    let tag = format!(
        "oaift{}",
        &o["idempotency_key"]["oaift-".len()..]["".len()..12]
    );
    let job = emulator.api("GET", &format!("/fine_tuning/jobs/{}", o["id"]), None);
    assert_eq!(job["suffix"], format!("azure-{tag}"));
    let long = with(
        request(&file),
        json!({"suffix": "a-suffix-that-is-far-too-long"}),
    );
    let line = ensure(&emulator, long).only_error();
    assert_eq!(
        line,
        r#"invalid suffix "a-suffix-that-is-far-too-long": must be at most 22 characters on Azure OpenAI's dated API, which keeps 18 of its 40 for the job's idempotency tag"#
    );
}

#[test]
fn checkpoint_permissions_are_refused_on_azure_before_any_call() {
    for flavor in [Flavor::Azure, Flavor::AzureClassic] {
        let emulator = Emulator::flavored(flavor, 20);
        let line = openai_ft(&["permissions", "read"])
            .against(&emulator)
            .env("OPENAI_ADMIN_KEY", ADMIN_KEY)
            .input(json!({"checkpoint": "ft:gpt-4o-mini-2024-07-18:org:x:abc"}))
            .run()
            .only_error();
        assert!(
            line.starts_with("checkpoint permissions do not exist on Azure OpenAI"),
            "{line}"
        );
        assert!(
            line.contains("role-based access")
                && line.contains("deploy it into the other resource"),
            "{line}"
        );
        assert!(emulator.log().is_empty());
    }
}

#[test]
fn azure_errors_read_like_openai_ones() {
    let emulator = Emulator::flavored(Flavor::Azure, 20);
    let line = openai_ft(&["job", "read"])
        .against(&emulator)
        .input(json!({"id": "ftjob-missing"}))
        .run()
        .only_error();
    assert!(line.starts_with("api error 404"), "{line}");
    assert!(
        line.contains("(request id "),
        "apim-request-id is quoted: {line}"
    );
    let line = openai_ft(&["job", "read"])
        .env("AZURE_OPENAI_ENDPOINT", &emulator.running.endpoint())
        .env("AZURE_OPENAI_API_KEY", "wrong-key-000000000000")
        .input(json!({"id": "ftjob-missing"}))
        .run()
        .only_error();
    assert!(line.starts_with("api error 401"), "{line}");
    assert!(!line.contains("wrong-key-000000000000"));
}
