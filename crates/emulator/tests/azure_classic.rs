//! `--flavor azure-classic`: Azure OpenAI's dated surface under `/openai`: a required dated
//! `api-version`, 201 + `Location` on create, the classic job object (`organisation_id`,
//! `trainingType`, no `metadata`), REST-guideline errors, and models with `deprecation` times.

use openai_ft_emulator::harness::{Emulator, Resp, sft_rows};
use openai_ft_emulator::{CLASSIC_API_VERSIONS, Flavor};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const KEY: &str = "azure-classic-key-0123456789abcdef";
const V: &str = "api-version=2025-04-01-preview";
const H: &[(&str, &str)] = &[("api-key", KEY)];

fn classic(step_ms: u64) -> Emulator {
    Emulator::with(|c| {
        c.flavor = Flavor::AzureClassic;
        c.api_keys = vec![KEY.to_string()];
        c.model_shutdown = [("gpt-4o-2024-08-06".to_string(), "2027-03-31".to_string())]
            .into_iter()
            .collect();
        c.step_ms = step_ms;
    })
}

/// `path` below `/openai` with the api-version appended.
fn at(path: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("/openai{path}{sep}{V}")
}

fn get(emu: &Emulator, path: &str) -> Resp {
    emu.call("GET", &at(path), H, None)
}

fn post(emu: &Emulator, path: &str, body: &Value) -> Resp {
    emu.call("POST", &at(path), H, Some(body))
}

/// The classic error object, checking the status and that the keys are exactly the classic ones.
fn classic_error(r: &Resp, status: u16) -> Value {
    assert_eq!(r.status, status, "{}", r.body);
    let e = r.body["error"].clone();
    let mut keys: Vec<&str> = e
        .as_object()
        .expect("error object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, ["code", "details", "innererror", "message", "target"]);
    assert_eq!(e["details"], json!([]));
    e
}

fn ready_file(emu: &Emulator) -> String {
    let r = emu.upload_to(&at("/files"), H, "train.jsonl", &sft_rows(4));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "pending");
    let id = r.body["id"].as_str().expect("id").to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    while get(emu, &format!("/files/{id}")).body["status"] != "processed" {
        assert!(Instant::now() < deadline, "file never processed");
        std::thread::sleep(Duration::from_millis(5));
    }
    id
}

#[test]
fn url_is_the_openai_prefix() {
    let emu = classic(10);
    assert_eq!(
        emu.running.url(),
        format!("{}/openai", emu.running.endpoint())
    );
}

#[test]
fn api_version_is_required_and_must_be_a_known_date() {
    let emu = classic(10);
    let list = CLASSIC_API_VERSIONS.join(", ");
    let r = emu.call("GET", "/openai/fine_tuning/jobs", H, None);
    assert_eq!(
        classic_error(&r, 400),
        json!({
            "code": "invalidPayload",
            "message": format!("Missing required query parameter 'api-version'. Supported versions: {list}."),
            "target": "api-version", "details": [], "innererror": {"code": "missing_api_version"},
        })
    );
    let r = emu.call(
        "GET",
        "/openai/fine_tuning/jobs?api-version=2023-05-15",
        H,
        None,
    );
    assert_eq!(
        classic_error(&r, 400)["message"],
        format!("Unsupported api-version '2023-05-15'. Supported versions: {list}.")
    );
    for v in ["2024-10-21", "2025-04-01-preview"] {
        let r = emu.call(
            "GET",
            &format!("/openai/fine_tuning/jobs?api-version={v}"),
            H,
            None,
        );
        assert_eq!(r.status, 200, "{v}: {}", r.body);
    }
    // The v1 values belong to the other surface.
    let r = emu.call("GET", "/openai/models?api-version=v1", H, None);
    classic_error(&r, 400);
}

#[test]
fn create_answers_201_with_a_location_and_the_classic_job_object() {
    let emu = classic(10);
    let file = ready_file(&emu);
    let r = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "gpt-4o-mini", "training_file": file, "suffix": "nightly",
                "metadata": {"team": "ml"}, "trainingType": "Developer"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let job = &r.body;
    let id = job["id"].as_str().expect("id");
    assert_eq!(
        r.header("location"),
        Some(
            format!(
                "{}/openai/fine_tuning/jobs/{id}?{V}",
                emu.running.endpoint()
            )
            .as_str()
        )
    );
    assert_eq!(job["status"], "pending");
    assert_eq!(job["organisation_id"], Value::Null);
    assert_eq!(job["trainingType"], "developer");
    assert_eq!(job["suffix"], "nightly");
    for absent in ["metadata", "organization_id", "user_provided_suffix"] {
        assert!(job.get(absent).is_none(), "{absent} in {job}");
    }
    assert!(r.header("apim-request-id").is_some());
    // The Location is a working URL for the job.
    let loc = r.header("location").expect("location");
    let path = loc
        .strip_prefix(&emu.running.endpoint())
        .expect("same host");
    let fetched = emu.call("GET", path, H, None);
    assert_eq!(fetched.ok()["id"], id);
    assert_eq!(
        emu.counts()["POST /openai/fine_tuning/jobs"],
        1,
        "counted by the real path"
    );
}

#[test]
fn suffix_is_limited_to_40_characters() {
    let emu = classic(10);
    let file = ready_file(&emu);
    let r = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "gpt-4o-mini", "training_file": file, "suffix": "x".repeat(41)}),
    );
    let e = classic_error(&r, 400);
    assert_eq!(e["code"], "invalidPayload");
    assert_eq!(e["target"], "suffix");
    assert_eq!(
        e["message"],
        "Invalid 'suffix': string too long. Expected a string with maximum length 40, but got a string with length 41 instead."
    );
}

#[test]
fn errors_use_the_rest_guideline_shape() {
    let emu = classic(10);
    let r = get(&emu, "/fine_tuning/jobs/ftjob-none");
    assert_eq!(
        classic_error(&r, 404),
        json!({
            "code": "notFound",
            "message": "Could not find fine tune job: ftjob-none",
            "target": "fine_tuning_job_id", "details": [], "innererror": {"code": "fine_tune_not_found"},
        })
    );
    let r = emu.call("GET", &at("/files"), &[("api-key", "nope")], None);
    assert_eq!(classic_error(&r, 401)["code"], "401");
    let path = at("/fine_tuning/checkpoints/x/permissions");
    let r = emu.call("GET", &path, H, None);
    let e = classic_error(&r, 404);
    assert_eq!(e["code"], "notFound");
    assert_eq!(
        e["message"],
        "Invalid URL (GET /openai/fine_tuning/checkpoints/x/permissions)"
    );
    emu.fault(json!({"method": "POST", "path": "/openai/fine_tuning/jobs", "fault": 429}));
    let r = post(&emu, "/fine_tuning/jobs", &json!({}));
    assert_eq!(classic_error(&r, 429)["code"], "tooManyRequests");
}

#[test]
fn terminal_jobs_refuse_cancel_with_unexpected_entity_state() {
    let emu = classic(10);
    let file = ready_file(&emu);
    let r = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "gpt-4o-mini", "training_file": file}),
    );
    let id = r.body["id"].as_str().expect("id").to_string();
    let cancel = format!("/fine_tuning/jobs/{id}/cancel");
    assert_eq!(post(&emu, &cancel, &json!({})).ok()["status"], "cancelled");
    let e = classic_error(&post(&emu, &cancel, &json!({})), 400);
    assert_eq!(e["code"], "unexpectedEntityState");
    assert_eq!(
        e["message"],
        format!("Job {id} is already cancelled; a job in a terminal state cannot be cancelled.")
    );
}

#[test]
fn models_carry_shutdown_date_capabilities_and_deprecation() {
    let emu = classic(10);
    let m = get(&emu, "/models/gpt-4o-2024-08-06").ok().clone();
    assert_eq!(m["shutdown_date"], "2027-03-31");
    assert_eq!(
        m["deprecation"],
        json!({"fine_tune": 1_806_451_200u64, "inference": 1_806_451_200u64})
    );
    assert_eq!(m["capabilities"]["fine_tune"], true);
    let other = get(&emu, "/models/gpt-4.1").ok().clone();
    assert_eq!(other["shutdown_date"], Value::Null);
    assert!(other.get("deprecation").is_none(), "{other}");
}

#[test]
fn a_job_succeeds_with_an_azure_model_name() {
    let emu = classic(10);
    let file = ready_file(&emu);
    let r = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "gpt-4.1-mini", "training_file": file,
                "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 1}}}}),
    );
    let id = r.body["id"].as_str().expect("id").to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    let job = loop {
        let j = get(&emu, &format!("/fine_tuning/jobs/{id}")).ok().clone();
        if j["status"] == "succeeded" {
            break j;
        }
        assert!(Instant::now() < deadline, "never succeeded: {j}");
        std::thread::sleep(Duration::from_millis(5));
    };
    let hex = id.strip_prefix("ftjob-").expect("prefix");
    assert_eq!(
        job["fine_tuned_model"],
        format!("gpt-4.1-mini-2025-04-14.ft-{hex}")
    );
}
