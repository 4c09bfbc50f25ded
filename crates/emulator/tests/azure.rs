//! `--flavor azure`: Azure OpenAI's v1 surface under `/openai/v1`: api-key/bearer/Entra auth, the
//! optional `api-version`, Azure's error shape and request id, `pending`/`pausing`/`resuming`
//! statuses, file processing, `<base>.ft-<hex>` model names, no metadata filter, no permissions.

use openai_ft_emulator::Flavor;
use openai_ft_emulator::harness::{ADMIN_KEY, Emulator, Resp, sft_rows};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const KEY: &str = "azure-resource-key-0123456789abcdef";
const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOi.entra.token";

fn azure(step_ms: u64) -> Emulator {
    Emulator::with(|c| {
        c.flavor = Flavor::Azure;
        c.api_keys = vec![KEY.to_string()];
        c.ad_tokens = vec![TOKEN.to_string()];
        c.model_shutdown = [(
            "gpt-4o-mini-2024-07-18".to_string(),
            "2027-03-31".to_string(),
        )]
        .into_iter()
        .collect();
        c.step_ms = step_ms;
    })
}

const H: &[(&str, &str)] = &[("api-key", KEY)];

fn get(emu: &Emulator, path: &str) -> Resp {
    emu.call("GET", &format!("/openai/v1{path}"), H, None)
}

fn post(emu: &Emulator, path: &str, body: &Value) -> Resp {
    emu.call("POST", &format!("/openai/v1{path}"), H, Some(body))
}

fn upload(emu: &Emulator, content: &str) -> Value {
    let r = emu.upload_to("/openai/v1/files", H, "train.jsonl", content);
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// Polls `path` until `field` equals `want` (panics after 10 s).
fn wait_for(emu: &Emulator, path: &str, field: &str, want: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let v = get(emu, path).body;
        if v[field] == want {
            return v;
        }
        assert!(Instant::now() < deadline, "never reached {want}: {v}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A processed training file's id.
fn ready_file(emu: &Emulator, rows: usize) -> String {
    let id = upload(emu, &sft_rows(rows))["id"]
        .as_str()
        .expect("id")
        .to_string();
    wait_for(emu, &format!("/files/{id}"), "status", "processed");
    id
}

/// The v1 error object, checking the status and that the keys are exactly Azure v1's.
fn v1_error(r: &Resp, status: u16) -> Value {
    assert_eq!(r.status, status, "{}", r.body);
    let e = r.body["error"].clone();
    let mut keys: Vec<&str> = e
        .as_object()
        .expect("error object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, ["code", "inner_error", "message", "param", "type"]);
    assert_eq!(e["type"], "error");
    e
}

#[test]
fn urls_point_at_the_v1_surface() {
    let emu = azure(10);
    let base = emu.running.base();
    assert_eq!(emu.running.endpoint(), base);
    assert_eq!(emu.running.url(), format!("{base}/openai/v1"));
}

#[test]
fn accepts_api_key_bearer_key_and_entra_token() {
    let emu = azure(10);
    for headers in [
        vec![("api-key", KEY.to_string())],
        vec![("Authorization", format!("Bearer {KEY}"))],
        vec![("Authorization", format!("Bearer {TOKEN}"))],
    ] {
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = emu.call("GET", "/openai/v1/models", &h, None);
        assert_eq!(r.status, 200, "{headers:?}: {}", r.body);
    }
}

#[test]
fn refuses_missing_and_unknown_credentials_with_the_gateway_401() {
    let emu = azure(10);
    let r = emu.call("GET", "/openai/v1/fine_tuning/jobs", &[], None);
    assert_eq!(
        r.body,
        json!({"error": {
            "code": "401",
            "message": "Access denied: no subscription key or token was sent. Send the resource key in an 'api-key' header, or a key or Microsoft Entra token as 'Authorization: Bearer ...'.",
            "param": null, "type": "error", "inner_error": {"code": "401"},
        }})
    );
    assert_eq!(r.status, 401);
    let denied = json!({"error": {
        "code": "401",
        "message": "Access denied: the subscription key or token is not valid for this resource, or the API endpoint is wrong. Check the key (or token) and that the endpoint is this resource's.",
        "param": null, "type": "error", "inner_error": {"code": "401"},
    }});
    // An Entra token is a bearer credential only; OpenAI admin keys do not exist on Azure.
    let admin = format!("Bearer {ADMIN_KEY}");
    for h in [
        [("api-key", "wrong-key")],
        [("api-key", TOKEN)],
        [("Authorization", admin.as_str())],
    ] {
        let r = emu.call("GET", "/openai/v1/files", &h, None);
        assert_eq!((r.status, &r.body), (401, &denied), "{h:?}");
    }
}

#[test]
fn api_version_is_optional_but_must_be_v1_or_preview() {
    let emu = azure(10);
    for q in ["", "?api-version=v1", "?api-version=preview"] {
        assert_eq!(
            get(&emu, &format!("/fine_tuning/jobs{q}")).status,
            200,
            "{q}"
        );
    }
    let r = get(&emu, "/fine_tuning/jobs?api-version=2024-10-21");
    let e = v1_error(&r, 400);
    assert_eq!(
        e,
        json!({
            "code": "unsupported_api_version",
            "message": "Unsupported api-version '2024-10-21'. Supported versions: v1, preview.",
            "param": "api-version", "type": "error", "inner_error": {"code": "invalidPayload"},
        })
    );
}

#[test]
fn every_response_has_an_apim_request_id() {
    let emu = azure(10);
    for r in [
        get(&emu, "/models"),
        get(&emu, "/fine_tuning/jobs/ftjob-none"),
        emu.call("GET", "/openai/v1/files", &[], None),
    ] {
        let id = r.header("apim-request-id").expect("apim-request-id");
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
        assert_eq!(r.header("x-request-id"), Some(id));
        assert!(r.header("openai-organization").is_none());
    }
}

#[test]
fn unknown_ids_and_routes_use_the_v1_error_shape() {
    let emu = azure(10);
    let e = v1_error(&get(&emu, "/fine_tuning/jobs/ftjob-none"), 404);
    assert_eq!(e["code"], "fine_tune_not_found");
    assert_eq!(e["inner_error"], json!({"code": "notFound"}));
    assert_eq!(e["message"], "Could not find fine tune job: ftjob-none");
    // OpenAI's paths do not exist on this surface, and are not counted as API requests.
    let r = emu.call("GET", "/v1/models", H, None);
    let e = v1_error(&r, 404);
    assert_eq!(e["message"], "Invalid URL (GET /v1/models)");
    assert_eq!(e["code"], "404");
    let counts = emu.counts();
    assert_eq!(counts["GET /openai/v1/fine_tuning/jobs/ftjob-none"], 1);
    assert!(counts.get("GET /v1/models").is_none(), "{counts}");
}

#[test]
fn checkpoint_permissions_do_not_exist() {
    let emu = azure(10);
    let path = "/openai/v1/fine_tuning/checkpoints/ft-x:ckpt-step-1/permissions";
    let body = json!({"project_ids": ["proj_1"]});
    for (method, body) in [("POST", Some(&body)), ("GET", None)] {
        let r = emu.call(method, path, H, body);
        let e = v1_error(&r, 404);
        assert_eq!(e["message"], format!("Invalid URL ({method} {path})"));
    }
    let r = emu.call("DELETE", &format!("{path}/cp_1"), H, None);
    v1_error(&r, 404);
}

#[test]
fn uploads_are_pending_until_processed_and_jobs_wait_for_them() {
    let emu = azure(200);
    let file = upload(&emu, &sft_rows(3));
    assert_eq!(file["status"], "pending");
    let id = file["id"].as_str().expect("id");
    let r = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "gpt-4o-mini", "training_file": id}),
    );
    let e = v1_error(&r, 400);
    assert_eq!(
        e,
        json!({
            "code": "file_not_ready",
            "message": format!("File {id} is not ready: its status is 'pending'. Wait until the file is 'processed' before using it for fine-tuning."),
            "param": "training_file", "type": "error", "inner_error": {"code": "unexpectedEntityState"},
        })
    );
    wait_for(&emu, &format!("/files/{id}"), "status", "running");
    let done = wait_for(&emu, &format!("/files/{id}"), "status", "processed");
    assert!(done.get("status_details").is_none(), "{done}");
    let job = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "gpt-4o-mini", "training_file": id}),
    );
    assert_eq!(job.status, 200, "{}", job.body);
}

#[test]
fn a_file_that_is_not_jsonl_ends_in_error_and_cannot_be_used() {
    let emu = azure(10);
    let id = upload(&emu, "{\"messages\": []}\nnot json\n")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let f = wait_for(&emu, &format!("/files/{id}"), "status", "error");
    assert_eq!(
        f["status_details"],
        "Invalid file format. Line 2 is not a valid JSON object."
    );
    let r = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "gpt-4o-mini", "training_file": id}),
    );
    let e = v1_error(&r, 400);
    assert_eq!(
        e["message"],
        format!(
            "File {id} failed processing and cannot be used for fine-tuning: Invalid file format. Line 2 is not a valid JSON object."
        )
    );
    assert_eq!(e["code"], "invalid_file");
}

#[test]
fn a_job_goes_pending_running_pausing_paused_resuming_running_succeeded() {
    let emu = azure(150);
    let file = ready_file(&emu, 4);
    let created = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "gpt-4o-mini", "training_file": file, "suffix": "mine",
                "metadata": {"team": "ml"}, "trainingType": "GlobalStandard",
                "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 3}}}}),
    );
    let job = created.ok().clone();
    assert_eq!(job["status"], "pending");
    assert_eq!(job["organization_id"], Value::Null);
    assert_eq!(job["metadata"], json!({"team": "ml"}));
    assert!(
        job.get("trainingType").is_none(),
        "v1 does not echo it: {job}"
    );
    let id = job["id"].as_str().expect("id").to_string();
    let hex = id.strip_prefix("ftjob-").expect("ftjob- prefix");
    assert_eq!(hex.len(), 32);
    assert!(hex.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    let path = format!("/fine_tuning/jobs/{id}");

    wait_for(&emu, &path, "status", "running");
    let paused = post(&emu, &format!("{path}/pause"), &json!({}));
    assert_eq!(paused.ok()["status"], "pausing");
    wait_for(&emu, &path, "status", "paused");
    let again = post(&emu, &format!("{path}/pause"), &json!({}));
    assert_eq!(
        v1_error(&again, 400)["message"],
        format!(
            "Job {id} cannot be paused: its status is 'paused', and only a running job can be paused."
        )
    );
    let resumed = post(&emu, &format!("{path}/resume"), &json!({}));
    assert_eq!(resumed.ok()["status"], "resuming");
    wait_for(&emu, &path, "status", "running");
    let done = wait_for(&emu, &path, "status", "succeeded");
    let model = format!("gpt-4o-mini-2024-07-18.ft-{hex}");
    assert_eq!(done["fine_tuned_model"], model.as_str());

    let ckpts = get(&emu, &format!("{path}/checkpoints")).ok().clone();
    let names: Vec<&str> = ckpts["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| c["fine_tuned_model_checkpoint"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [3, 2, 1].map(|n| format!("{model}:ckpt-step-{}", n * 4))
    );
    // The fine-tuned model is listed and can be fine-tuned again under its Azure name.
    assert_eq!(
        get(&emu, &format!("/models/{model}")).ok()["id"],
        model.as_str()
    );
    let again = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": model, "training_file": file}),
    );
    assert_eq!(again.ok()["model"], model.as_str());
}

#[test]
fn cancel_works_from_pending() {
    let emu = azure(300);
    let file = ready_file(&emu, 1);
    let job = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "gpt-4.1", "training_file": file}),
    );
    let id = job.ok()["id"].as_str().expect("id").to_string();
    assert_eq!(job.body["status"], "pending");
    let cancelled = post(&emu, &format!("/fine_tuning/jobs/{id}/cancel"), &json!({}));
    assert_eq!(cancelled.ok()["status"], "cancelled");
    let again = post(&emu, &format!("/fine_tuning/jobs/{id}/cancel"), &json!({}));
    assert_eq!(
        v1_error(&again, 400)["inner_error"],
        json!({"code": "unexpectedEntityState"})
    );
}

#[test]
fn training_type_is_case_insensitive_and_checked() {
    let emu = azure(10);
    let file = ready_file(&emu, 1);
    for t in ["standard", "Global", "DEVELOPER"] {
        let r = post(
            &emu,
            "/fine_tuning/jobs",
            &json!({"model": "gpt-4o-mini", "training_file": file, "trainingType": t}),
        );
        assert_eq!(r.status, 200, "{t}: {}", r.body);
    }
    let r = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "gpt-4o-mini", "training_file": file, "trainingType": "premium"}),
    );
    let e = v1_error(&r, 400);
    assert_eq!(
        e["message"],
        "Invalid value for 'trainingType': \"premium\". Supported values are: 'standard', 'global' and 'developer' (case-insensitive)."
    );
    assert_eq!(e["param"], "trainingType");
}

#[test]
fn the_job_list_ignores_metadata_filters() {
    let emu = azure(10);
    let file = ready_file(&emu, 1);
    for team in ["a", "b"] {
        post(
            &emu,
            "/fine_tuning/jobs",
            &json!({"model": "gpt-4o-mini", "training_file": file, "metadata": {"team": team}}),
        )
        .ok();
    }
    for q in [
        "?metadata[team]=a",
        "?metadata%5Bteam%5D=zzz",
        "?metadata=null",
        "",
    ] {
        let list = get(&emu, &format!("/fine_tuning/jobs{q}")).ok().clone();
        assert_eq!(list["data"].as_array().expect("data").len(), 2, "{q}");
    }
}

#[test]
fn models_carry_their_shutdown_dates() {
    let emu = azure(10);
    let m = get(&emu, "/models/gpt-4o-mini-2024-07-18").ok().clone();
    assert_eq!(m["shutdown_date"], "2027-03-31");
    assert!(
        m.get("deprecation").is_none(),
        "v1 keeps OpenAI's model object: {m}"
    );
    let list = get(&emu, "/models").ok().clone();
    let other = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|m| m["id"] == "gpt-4.1-2025-04-14")
        .expect("listed")
        .clone();
    assert_eq!(other["shutdown_date"], Value::Null);
}

#[test]
fn faults_match_the_real_path_and_use_azure_codes() {
    let emu = azure(10);
    emu.fault(json!({"path": "/openai/v1/models", "fault": 429, "retry_after_ms": 50}));
    let r = get(&emu, "/models");
    let e = v1_error(&r, 429);
    assert_eq!(e["code"], "429");
    assert_eq!(e["inner_error"], json!({"code": "tooManyRequests"}));
    assert_eq!(r.header("retry-after-ms"), Some("50"));
    assert!(r.header("apim-request-id").is_some());
    assert_eq!(get(&emu, "/models").status, 200);
    assert_eq!(emu.counts()["GET /openai/v1/models"], 2);
    let log = emu.running.request_log();
    assert_eq!(log[0].path, "/openai/v1/models");
    assert_eq!(log[0].fault, Some("status"));
}
