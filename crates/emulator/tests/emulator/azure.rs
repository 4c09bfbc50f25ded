//! `--flavor azure`: Azure OpenAI's v1 surface under `/openai/v1`, as `azure-v1-v1-generated.yaml`
//! defines it: api-key/bearer/Entra auth, the optional `api-version`, Azure's error shape and
//! request id, the schema's status words (or Azure's, by switch), file processing and the
//! required `expires_after`, `<base>.ft-<hex>` model names, no metadata filter, no permissions,
//! Microsoft's `trainingType` spellings, and the switches for what the spec leaves open.

use openai_ft_emulator::harness::{ADMIN_KEY, Emulator, Resp, sft_rows};
use openai_ft_emulator::{Config, Flavor, Keep, Need, V1Statuses};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const KEY: &str = "azure-resource-key-0123456789abcdef";
const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOi.entra.token";

fn azure(step_ms: u64) -> Emulator {
    azure_with(step_ms, |_| {})
}

fn azure_with(step_ms: u64, configure: impl FnOnce(&mut Config)) -> Emulator {
    Emulator::with(|c| {
        c.flavor = Flavor::Azure;
        c.api_keys = vec![KEY.to_string()];
        c.ad_tokens = vec![TOKEN.to_string()];
        c.inference_retirement = [(
            "gpt-4o-mini-2024-07-18".to_string(),
            "2027-03-31".to_string(),
        )]
        .into_iter()
        .collect();
        c.step_ms = step_ms;
        configure(c);
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

/// The v1 error object, checking the status and that the keys are Azure v1's (`param` only
/// when there is one: the schema's `param` is a string, never null).
fn v1_error(r: &Resp, status: u16) -> Value {
    assert_eq!(r.status, status, "{}", r.body);
    let e = r.body["error"].clone();
    let mut keys: Vec<&str> = e
        .as_object()
        .expect("error object")
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "param")
        .collect();
    keys.sort();
    assert_eq!(keys, ["code", "inner_error", "message", "type"]);
    assert!(e.get("param").is_none_or(Value::is_string), "{e}");
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
            "type": "error", "inner_error": {"code": "unauthorized"},
        }})
    );
    assert_eq!(r.status, 401);
    let denied = json!({"error": {
        "code": "401",
        "message": "Access denied: the subscription key or token is not valid for this resource, or the API endpoint is wrong. Check the key (or token) and that the endpoint is this resource's.",
        "type": "error", "inner_error": {"code": "unauthorized"},
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
    let emu = azure_with(150, |c| c.switches.v1_statuses = V1Statuses::Azure);
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
    assert_eq!(
        job["organization_id"], "org-emulator",
        "a string, as the schema types it"
    );
    assert_eq!(job["metadata"], json!({"team": "ml"}));
    assert_eq!(job["user_provided_suffix"], "mine");
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
fn statuses_are_the_schemas_words_by_default() {
    let emu = azure(150);
    let file = ready_file(&emu, 4);
    let job = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "gpt-4o-mini", "training_file": file,
                "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 5}}}}),
    );
    let job = job.ok().clone();
    assert_eq!(job["status"], "validating_files");
    let path = format!("/fine_tuning/jobs/{}", job["id"].as_str().expect("id"));
    wait_for(&emu, &path, "status", "queued");
    wait_for(&emu, &path, "status", "running");
    // The schema has pause but no word for its result: `paused` at once, `running` on resume.
    assert_eq!(
        post(&emu, &format!("{path}/pause"), &json!({})).ok()["status"],
        "paused"
    );
    wait_for(&emu, &path, "status", "paused");
    assert_eq!(
        post(&emu, &format!("{path}/resume"), &json!({})).ok()["status"],
        "running"
    );
}

#[test]
fn metadata_and_the_suffix_echo_follow_their_switches() {
    let emu = azure_with(10, |c| {
        c.switches.v1_metadata = Keep::Drop;
        c.switches.v1_user_provided_suffix = Keep::Drop;
    });
    let file = ready_file(&emu, 1);
    let job = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "gpt-4o-mini", "training_file": file, "suffix": "s",
                "metadata": {"team": "ml"}, "seed": 42}),
    );
    let job = job.ok().clone();
    assert_eq!(
        job["metadata"],
        Value::Null,
        "required, nullable: kept as null"
    );
    assert!(
        job.get("user_provided_suffix").is_none(),
        "optional: left out"
    );
    assert_eq!(
        (job["seed"].clone(), job["training_file"].clone()),
        (json!(42), json!(file))
    );
}

#[test]
fn uploads_need_an_expiry_unless_switched_off() {
    let emu = azure(10);
    let bare = |emu: &Emulator| {
        let b = "----b";
        let body = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.jsonl\"\r\n\r\n{}\r\n--{b}--\r\n",
            sft_rows(1)
        );
        emu.call_raw(
            "POST",
            "/openai/v1/files",
            H,
            &format!("multipart/form-data; boundary={b}"),
            &body,
        )
    };
    let e = v1_error(&bare(&emu), 400);
    assert_eq!(e["param"], "expires_after");
    assert_eq!(e["message"], "Missing required parameter: 'expires_after'.");
    let uploaded = upload(&emu, &sft_rows(1));
    assert!(
        uploaded["expires_at"].as_u64().expect("expires_at")
            > uploaded["created_at"].as_u64().expect("created_at")
    );
    let lenient = azure_with(10, |c| c.switches.v1_expires_after = Need::Optional);
    assert_eq!(bare(&lenient).status, 200);
}

#[test]
fn creates_hold_only_what_the_schema_defines() {
    let emu = azure(10);
    let file = ready_file(&emu, 1);
    let r = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "gpt-4o-mini", "training_file": file, "suffixes": "x"}),
    );
    assert_eq!(
        v1_error(&r, 400)["message"],
        "Unrecognized request argument supplied: suffixes"
    );
    let python = json!({"type": "python", "name": "p", "source": "def grade(s, i): return 1"});
    let r = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "o4-mini", "training_file": file,
                "method": {"type": "reinforcement", "reinforcement": {"grader": python}}}),
    );
    assert_eq!(
        v1_error(&r, 400)["param"],
        "method.reinforcement.grader.type"
    );
    // The v1 schema has no DELETE for jobs or models.
    for path in [
        "/openai/v1/fine_tuning/jobs/ftjob-x".to_string(),
        "/openai/v1/models/gpt-4o-mini".to_string(),
    ] {
        v1_error(&emu.call("DELETE", &path, H, None), 404);
    }
}

#[test]
fn cancel_works_from_pending() {
    let emu = azure_with(300, |c| c.switches.v1_statuses = V1Statuses::Azure);
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
fn training_types_are_microsofts_v1_spellings() {
    let emu = azure_with(10, |c| {
        c.training_types = [(
            "gpt-4.1-2025-04-14".to_string(),
            vec!["globalstandard".to_string(), "developer".to_string()],
        )]
        .into_iter()
        .collect();
    });
    let file = ready_file(&emu, 1);
    let create = |model: &str, t: Option<&str>| {
        let mut body = json!({"model": model, "training_file": file});
        if let Some(t) = t {
            body["trainingType"] = json!(t);
        }
        post(&emu, "/fine_tuning/jobs", &body)
    };
    for t in ["Standard", "GlobalStandard", "Developer"] {
        assert_eq!(create("gpt-4o-mini", Some(t)).status, 200, "{t}");
    }
    for t in ["standard", "globalstandard", "developerTier", "global"] {
        let e = v1_error(&create("gpt-4o-mini", Some(t)), 400);
        assert_eq!(
            e["message"],
            format!(
                "Invalid value for 'trainingType': \"{t}\". Supported values are: 'Standard', 'GlobalStandard', 'Developer'."
            )
        );
        assert_eq!(e["param"], "trainingType");
    }
    // A model that trains only globally refuses Standard, and a create that leaves the field out.
    let refused = "Standard TrainingType is not supported for model gpt-4.1-2025-04-14. Supported training types: 'GlobalStandard', 'Developer'.";
    for t in [None, Some("Standard")] {
        assert_eq!(
            v1_error(&create("gpt-4.1", t), 400)["message"],
            refused,
            "{t:?}"
        );
    }
    assert_eq!(create("gpt-4.1", Some("Developer")).status, 200);
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
fn models_are_openais_model_object_with_dates_only_by_switch() {
    let emu = azure(10);
    let m = get(&emu, "/models/gpt-4o-mini-2024-07-18").ok().clone();
    let mut keys: Vec<&str> = m
        .as_object()
        .expect("model")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, ["created", "id", "object", "owned_by"], "{m}");
    let dated = azure_with(10, |c| c.switches.v1_model_dates = true);
    let m = get(&dated, "/models/gpt-4o-mini-2024-07-18").ok().clone();
    assert_eq!(m["deprecation"], json!({"inference": 1_806_451_200}));
    assert_eq!(m["lifecycle_status"], "generally-available");
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

#[test]
fn the_resource_also_serves_its_dated_api() {
    // One Azure resource has both surfaces: the v1 flavour's client reads retirement dates from
    // the dated models endpoint.
    let emu = azure(10);
    let path = "/openai/models/gpt-4o-mini-2024-07-18";
    let r = emu.call("GET", &format!("{path}?api-version=2024-10-21"), H, None);
    assert_eq!(r.ok()["deprecation"]["inference"], 1_806_451_200u64);
    assert_eq!(r.body["lifecycle_status"], "generally-available");
    assert_eq!(emu.counts()[&format!("GET {path}")], 1);
    // Without a version it is the dated surface's refusal, in its shape.
    let r = emu.call("GET", path, H, None);
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"]["code"], "invalidPayload");
}

#[test]
fn creates_answer_201_by_switch() {
    let emu = azure_with(10, |c| c.switches.v1_creates_201 = true);
    let r = emu.upload_to("/openai/v1/files", H, "train.jsonl", &sft_rows(1));
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.header("location").is_none(), "v1 gives no Location");
    let id = r.body["id"].as_str().expect("id").to_string();
    wait_for(&emu, &format!("/files/{id}"), "status", "processed");
    let job = post(
        &emu,
        "/fine_tuning/jobs",
        &json!({"model": "gpt-4o-mini", "training_file": id}),
    );
    assert_eq!(job.status, 201, "{}", job.body);
}
