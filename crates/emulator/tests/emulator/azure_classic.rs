//! `--flavor azure-classic`: Azure OpenAI's dated surface under `/openai`, one spec per
//! `api-version` (2024-10-21 and 2025-04-01-preview): the required version, 201 + `Location` on
//! create and upload, the dated job object (no nulls, no `metadata`, `suffix`, no `trainingType`),
//! the create body each version defines (no `method` on 2024-10-21, numbers only), REST-guideline
//! errors with codes from their enum, job DELETE, `/files/import`, and models with `deprecation`.

use openai_ft_emulator::harness::{Emulator, Resp, sft_rows};
use openai_ft_emulator::{CLASSIC_API_VERSIONS, Flavor};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const KEY: &str = "azure-classic-key-0123456789abcdef";
const PREVIEW: &str = "2025-04-01-preview";
const GA: &str = "2024-10-21";
const H: &[(&str, &str)] = &[("api-key", KEY)];

fn classic(step_ms: u64) -> Emulator {
    Emulator::with(|c| {
        c.flavor = Flavor::AzureClassic;
        c.api_keys = vec![KEY.to_string()];
        c.fine_tune_retirement = [("gpt-4o-2024-08-06".to_string(), "2026-09-30".to_string())]
            .into_iter()
            .collect();
        c.inference_retirement = [("gpt-4o-2024-08-06".to_string(), "2027-03-31".to_string())]
            .into_iter()
            .collect();
        c.lifecycle_status = [("gpt-4o-2024-08-06".to_string(), "deprecating".to_string())]
            .into_iter()
            .collect();
        c.step_ms = step_ms;
    })
}

/// `path` below `/openai` with the api-version `v` appended.
fn at(path: &str, v: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("/openai{path}{sep}api-version={v}")
}

fn get(emu: &Emulator, path: &str) -> Resp {
    emu.call("GET", &at(path, PREVIEW), H, None)
}

fn post(emu: &Emulator, path: &str, body: &Value) -> Resp {
    post_at(emu, path, PREVIEW, body)
}

fn post_at(emu: &Emulator, path: &str, v: &str, body: &Value) -> Resp {
    emu.call("POST", &at(path, v), H, Some(body))
}

/// The dated error object, checking the status and the REST-guideline keys (`target` only when
/// there is one, `innererror` only for a refused payload: neither may be null in the schema).
fn classic_error(r: &Resp, status: u16) -> Value {
    assert_eq!(r.status, status, "{}", r.body);
    let e = r.body["error"].clone();
    let mut keys: Vec<&str> = e
        .as_object()
        .expect("error object")
        .keys()
        .map(String::as_str)
        .filter(|k| !matches!(*k, "target" | "innererror"))
        .collect();
    keys.sort();
    assert_eq!(keys, ["code", "details", "message"]);
    assert_eq!(e["details"], json!([]));
    let payload = e["code"] == "invalidPayload";
    assert_eq!(e.get("innererror").is_some(), payload, "{e}");
    e
}

fn ready_file(emu: &Emulator) -> String {
    let r = emu.upload_to(&at("/files", PREVIEW), H, "train.jsonl", &sft_rows(4));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "pending");
    let id = r.body["id"].as_str().expect("id").to_string();
    assert_eq!(
        r.header("location"),
        Some(format!("{}/openai/files/{id}", emu.running.endpoint()).as_str())
    );
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
fn api_version_is_required_and_must_be_one_the_emulator_has_a_spec_for() {
    let emu = classic(10);
    let list = CLASSIC_API_VERSIONS.join(", ");
    let r = emu.call("GET", "/openai/fine_tuning/jobs", H, None);
    assert_eq!(
        classic_error(&r, 400),
        json!({
            "code": "invalidPayload",
            "message": format!("Missing required query parameter 'api-version'. Supported versions: {list}."),
            "target": "api-version", "details": [], "innererror": {"code": "invalidPayload"},
        })
    );
    for v in ["2023-05-15", "2024-06-01", "v1"] {
        let r = emu.call("GET", &at("/fine_tuning/jobs", v), H, None);
        assert_eq!(
            classic_error(&r, 400)["message"],
            format!("Unsupported api-version '{v}'. Supported versions: {list}.")
        );
    }
    for v in [GA, PREVIEW] {
        let r = emu.call("GET", &at("/fine_tuning/jobs", v), H, None);
        assert_eq!(r.status, 200, "{v}: {}", r.body);
    }
}

#[test]
fn create_answers_201_with_a_location_and_the_dated_job_object() {
    let emu = classic(10);
    let file = ready_file(&emu);
    let r = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "gpt-4o-mini", "training_file": file, "suffix": "nightly",
                "trainingType": "developerTier", "hyperparameters": {"n_epochs": 2}}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let job = &r.body;
    let id = job["id"].as_str().expect("id");
    assert_eq!(
        r.header("location"),
        Some(format!("{}/openai/fine_tuning/jobs/{id}", emu.running.endpoint()).as_str())
    );
    assert_eq!(job["status"], "pending");
    assert_eq!(job["suffix"], "nightly");
    assert_eq!(job["method"], json!({"type": "supervised"}));
    assert_eq!(job["hyperparameters"]["n_epochs"], 2);
    for absent in [
        "metadata",
        "organization_id",
        "organisation_id",
        "user_provided_suffix",
        "trainingType",
        "fine_tuned_model",
        "finished_at",
        "error",
    ] {
        assert!(job.get(absent).is_none(), "{absent} in {job}");
    }
    assert!(
        job.as_object().expect("job").values().all(|v| !v.is_null()),
        "{job}"
    );
    // The Location is a working URL for the job (with an api-version added).
    let loc = r.header("location").expect("location");
    let path = loc
        .strip_prefix(&emu.running.endpoint())
        .expect("same host");
    let fetched = emu.call("GET", &at(path.trim_start_matches("/openai"), GA), H, None);
    assert_eq!(fetched.ok()["id"], id);
    assert_eq!(emu.counts()["POST /openai/fine_tuning/jobs"], 1);
}

#[test]
fn each_version_takes_the_body_its_spec_defines() {
    let emu = classic(10);
    let file = ready_file(&emu);
    let refused =
        |v: &str, body: Value| classic_error(&post_at(&emu, "/fine_tuning/jobs", v, &body), 400);
    let base = |extra: Value| {
        let mut b = json!({"model": "gpt-4o-mini", "training_file": file});
        for (k, v) in extra.as_object().expect("object") {
            b[k] = v.clone();
        }
        b
    };
    // 2024-10-21 has no method, integrations, trainingType or metadata.
    for field in ["method", "integrations", "trainingType", "metadata"] {
        let mut body = base(json!({}));
        body[field] = json!({"type": "supervised"});
        let e = refused(GA, body);
        assert_eq!(
            e["message"],
            format!("Unrecognized request argument supplied: {field}")
        );
    }
    // Hyperparameters are numbers: "auto" is OpenAI's and v1's only.
    let e = refused(GA, base(json!({"hyperparameters": {"n_epochs": "auto"}})));
    assert_eq!(e["target"], "hyperparameters.n_epochs");
    assert_eq!(
        e["message"],
        "Invalid type for 'hyperparameters.n_epochs': expected an integer, but got a string instead."
    );
    // The preview has supervised and dpo, no reinforcement, and supervised's hyperparameters
    // stay top-level (its SupervisedMethodRequest holds only the type).
    let grader = json!({"type": "string_check", "name": "g", "input": "a", "reference": "b", "operation": "eq"});
    let e = refused(
        PREVIEW,
        base(json!({"method": {"type": "reinforcement", "reinforcement": {"grader": grader}}})),
    );
    assert_eq!(e["target"], "method.type");
    let e = refused(
        PREVIEW,
        base(json!({"method": {"type": "supervised", "supervised": {}}})),
    );
    assert_eq!(
        e["message"],
        "Unrecognized request argument supplied: method.supervised"
    );
    let e = refused(PREVIEW, base(json!({"suffix": "my.model"})));
    assert_eq!(e["target"], "suffix");
    let e = refused(PREVIEW, base(json!({"trainingType": "GlobalStandard"})));
    assert_eq!(
        e["message"],
        "Invalid value for 'trainingType': \"GlobalStandard\". Supported values are: 'Standard', 'globalstandard', 'developerTier'."
    );
    let dpo = post(
        &emu,
        "/fine_tuning/jobs",
        &base(
            json!({"method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2, "l2_multiplier": 0.1}}},
                     "trainingType": "globalstandard"}),
        ),
    );
    assert_eq!(dpo.status, 201, "{}", dpo.body);
    // `auto` epochs by the documented rule: 4 examples train for 100 / 4 = 25 epochs.
    assert_eq!(
        dpo.body["method"],
        json!({"type": "dpo", "dpo": {"hyperparameters": {
            "batch_size": 1, "learning_rate_multiplier": 1.8, "n_epochs": 25, "beta": 0.2, "l2_multiplier": 0.1,
        }}})
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
fn errors_use_the_rest_guideline_shape_and_its_codes() {
    let emu = classic(10);
    let r = get(&emu, "/fine_tuning/jobs/ftjob-none");
    assert_eq!(
        classic_error(&r, 404),
        json!({
            "code": "notFound",
            "message": "Could not find fine tune job: ftjob-none",
            "target": "fine_tuning_job_id", "details": [],
        })
    );
    let r = emu.call("GET", &at("/files", PREVIEW), &[("api-key", "nope")], None);
    assert_eq!(classic_error(&r, 401)["code"], "unauthorized");
    let path = at("/fine_tuning/checkpoints/x/permissions", PREVIEW);
    let r = emu.call("GET", &path, H, None);
    let e = classic_error(&r, 404);
    assert_eq!(e["code"], "notFound");
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
fn jobs_can_be_deleted_and_files_imported_but_2024_10_21_cannot_pause() {
    let emu = classic(10);
    let file = ready_file(&emu);
    let id = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "gpt-4o-mini", "training_file": file}),
    )
    .body["id"]
        .as_str()
        .expect("id")
        .to_string();
    let deleted = emu.call(
        "DELETE",
        &at(&format!("/fine_tuning/jobs/{id}"), GA),
        H,
        None,
    );
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    classic_error(&get(&emu, &format!("/fine_tuning/jobs/{id}")), 404);
    let pause = emu.call("POST", &at("/fine_tuning/jobs/x/pause", GA), H, None);
    assert_eq!(classic_error(&pause, 404)["code"], "notFound");

    let imported = post_at(
        &emu,
        "/files/import",
        GA,
        &json!({"purpose": "fine-tune", "filename": "big.jsonl", "content_url": "https://example.com/big.jsonl"}),
    );
    assert_eq!(imported.status, 201, "{}", imported.body);
    assert_eq!(imported.body["status"], "pending");
    let fid = imported.body["id"].as_str().expect("id").to_string();
    assert_eq!(
        imported.header("location"),
        Some(format!("{}/openai/files/{fid}", emu.running.endpoint()).as_str())
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let failed = loop {
        let f = get(&emu, &format!("/files/{fid}")).ok().clone();
        if f["status"] == "error" {
            break f;
        }
        assert!(Instant::now() < deadline, "never processed: {f}");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(
        failed["status_details"],
        "Could not download the file from https://example.com/big.jsonl: openai-ft-emulator has no network access."
    );
    let e = classic_error(
        &post_at(&emu, "/files/import", GA, &json!({"purpose": "fine-tune"})),
        400,
    );
    assert_eq!(e["target"], "filename");
}

#[test]
fn models_carry_capabilities_lifecycle_and_deprecation() {
    let emu = classic(10);
    let m = get(&emu, "/models/gpt-4o-2024-08-06").ok().clone();
    assert_eq!(
        m["deprecation"],
        json!({"fine_tune": 1_790_726_400u64, "inference": 1_806_451_200u64})
    );
    assert_eq!(m["lifecycle_status"], "deprecating");
    assert_eq!(m["capabilities"]["fine_tune"], true);
    assert!(m.get("shutdown_date").is_none(), "OpenAI's field: {m}");
    // 2024-10-21's lifecycle enum has no "deprecating".
    let ga = emu.call("GET", &at("/models/gpt-4o-2024-08-06", GA), H, None);
    assert_eq!(ga.ok()["lifecycle_status"], "generally-available");
    let other = get(&emu, "/models/gpt-4.1").ok().clone();
    assert_eq!(other["deprecation"], json!({"inference": 4_102_358_400u64}));
}

#[test]
fn a_job_succeeds_with_an_azure_model_name() {
    let emu = classic(10);
    let file = ready_file(&emu);
    let r = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "gpt-4.1-mini", "training_file": file, "hyperparameters": {"n_epochs": 1}}),
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
    let model = format!("gpt-4.1-mini-2025-04-14.ft-{hex}");
    assert_eq!(job["fine_tuned_model"], model.as_str());
    let m = get(&emu, &format!("/models/{model}")).ok().clone();
    assert_eq!(
        (m["model"].clone(), m["fine_tune"].clone()),
        (json!("gpt-4.1-mini-2025-04-14"), json!(id))
    );
}
