//! Fine-tuning jobs: the life cycle on the logical clock, events and checkpoints, create-time
//! validation with `param` set, method support per model, cancel/pause/resume, bad training files.

use openai_ft_emulator::harness::*;
use serde_json::{Value, json};

fn create_err(emu: &Emulator, body: Value) -> Value {
    emu.post("/v1/fine_tuning/jobs", &body).error(400).clone()
}

#[test]
fn job_runs_to_success_with_events_checkpoints_and_a_model() {
    let emu = Emulator::start(10);
    let file = emu.upload_file("train.jsonl", &format!("{}\n", json!({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]})).repeat(4));
    let job = emu.create_job(json!({
        "model": "gpt-4o-mini", "training_file": file["id"], "suffix": "weather", "seed": 7,
        "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 3, "batch_size": 2}}}
    }));
    assert_eq!(job["status"], "validating_files");
    assert_eq!(job["model"], "gpt-4o-mini-2024-07-18");
    assert_eq!(job["seed"], 7);
    assert_eq!(job["organization_id"], "org-emulator");
    assert_eq!(
        job["method"]["supervised"]["hyperparameters"],
        json!({"batch_size": 2, "learning_rate_multiplier": 1.8, "n_epochs": 3})
    );
    assert_eq!(job["fine_tuned_model"], Value::Null);
    let id = job["id"].as_str().expect("id");
    assert!(id.starts_with("ftjob-"));

    let done = emu.wait_status(id, "succeeded");
    let model = done["fine_tuned_model"].as_str().expect("model");
    assert!(
        model.starts_with("ft:gpt-4o-mini-2024-07-18:org-emulator:weather:"),
        "{model}"
    );
    // Billed as the client estimates (src/jobs/billing.rs): per example 3 + user + hi, 3 +
    // assistant + hello, 3 for the reply priming; 4 examples, 3 epochs.
    assert_eq!(done["trained_tokens"], json!(13 * 4 * 3));
    assert!(done["finished_at"].is_u64());
    assert_eq!(done["estimated_finish"], Value::Null);
    let result_file = done["result_files"][0].as_str().expect("result file");
    assert_eq!(
        emu.get(&format!("/v1/files/{result_file}")).ok()["purpose"],
        "fine-tune-results"
    );

    let ckpts = emu
        .get(&format!("/v1/fine_tuning/jobs/{id}/checkpoints"))
        .ok()
        .clone();
    let steps: Vec<_> = ckpts["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["step_number"].clone())
        .collect();
    assert_eq!(steps, vec![json!(6), json!(4), json!(2)]);
    assert_eq!(
        ckpts["data"][0]["fine_tuned_model_checkpoint"],
        format!("{model}:ckpt-step-6")
    );
    assert!(
        ckpts["data"][0]["id"]
            .as_str()
            .is_some_and(|c| c.starts_with("ftckpt_"))
    );
    assert_eq!(ckpts["first_id"], ckpts["data"][0]["id"]);
    assert_eq!(ckpts["last_id"], ckpts["data"][2]["id"]);

    let events = emu
        .get(&format!("/v1/fine_tuning/jobs/{id}/events?limit=100"))
        .ok()
        .clone();
    let events = events["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(events[0]["message"], "The job has successfully completed");
    assert!(
        events
            .last()
            .is_some_and(|e| e["message"] == format!("Created fine-tuning job: {id}"))
    );
    let metrics: Vec<_> = events.iter().filter(|e| e["type"] == "metrics").collect();
    assert_eq!(metrics.len(), 3);
    assert_eq!(metrics[0]["data"]["step"], 6);
    assert_eq!(metrics[0]["data"]["total_steps"], 6);

    let models = emu.get("/v1/models").ok().clone();
    assert!(
        models["data"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["id"] == model && m["owned_by"] == "org-emulator")
    );
}

#[test]
fn running_job_has_an_estimated_finish() {
    let emu = Emulator::start(300);
    let file = emu.training_file(2);
    let job = emu.create_job(json!({"model": "gpt-4.1-nano", "training_file": file}));
    let running = emu.wait_status(job["id"].as_str().expect("id"), "running");
    assert!(running["estimated_finish"].as_u64() >= running["created_at"].as_u64());
}

#[test]
fn required_parameters() {
    let emu = Emulator::start(10);
    let e = create_err(&emu, json!({"training_file": "file-x"}));
    assert_eq!(
        (e["param"].as_str(), e["message"].as_str()),
        (Some("model"), Some("Missing required parameter: 'model'."))
    );
    let e = create_err(&emu, json!({"model": "gpt-4o-mini"}));
    assert_eq!(e["param"], "training_file");
    assert_eq!(e["code"], "missing_required_parameter");
    assert_eq!(e["type"], "invalid_request_error");
}

#[test]
fn unknown_model_and_unsupported_method() {
    let emu = Emulator::start(10);
    let file = emu.training_file(2);
    let e = create_err(&emu, json!({"model": "gpt-2", "training_file": file}));
    assert_eq!(e["param"], "model");
    assert_eq!(
        e["message"],
        "Model gpt-2 is not available for fine-tuning or does not exist."
    );
    let e = create_err(
        &emu,
        json!({"model": "gpt-3.5-turbo", "training_file": file, "method": {"type": "dpo"}}),
    );
    assert_eq!(e["param"], "model");
    assert_eq!(
        e["message"],
        "Model gpt-3.5-turbo-0125 does not support the 'dpo' fine-tuning method."
    );
    let e = create_err(&emu, json!({"model": "o4-mini", "training_file": file}));
    assert_eq!(
        e["message"],
        "Model o4-mini-2025-04-16 does not support the 'supervised' fine-tuning method."
    );
}

#[test]
fn training_file_must_exist_and_be_for_fine_tuning() {
    let emu = Emulator::start(10);
    let e = create_err(
        &emu,
        json!({"model": "gpt-4o-mini", "training_file": "file-nope"}),
    );
    assert_eq!(
        (e["param"].as_str(), e["message"].as_str()),
        (
            Some("training_file"),
            Some("Invalid file 'file-nope': file not found.")
        )
    );
    let other = emu
        .upload_as(Some(PROJECT_KEY), "notes.txt", "assistants", "hello")
        .ok()["id"]
        .clone();
    let e = create_err(
        &emu,
        json!({"model": "gpt-4o-mini", "training_file": other}),
    );
    assert_eq!(e["param"], "training_file");
    assert!(
        e["message"]
            .as_str()
            .unwrap_or("")
            .contains("has purpose 'assistants'")
    );
    let e = create_err(
        &emu,
        json!({"model": "gpt-4o-mini", "training_file": emu.training_file(1), "validation_file": other}),
    );
    assert_eq!(e["param"], "validation_file");
}

#[test]
fn hyperparameter_ranges_name_the_parameter() {
    let emu = Emulator::start(10);
    let file = emu.training_file(2);
    let sup = |hp: Value| json!({"model": "gpt-4o-mini", "training_file": file, "method": {"type": "supervised", "supervised": {"hyperparameters": hp}}});
    let e = create_err(&emu, sup(json!({"n_epochs": 51})));
    assert_eq!(e["param"], "method.supervised.hyperparameters.n_epochs");
    assert_eq!(
        e["message"],
        "Invalid 'method.supervised.hyperparameters.n_epochs': integer above maximum value. Expected a value <= 50, but got 51 instead."
    );
    let e = create_err(&emu, sup(json!({"batch_size": 0})));
    assert_eq!(
        (e["param"].as_str(), e["code"].as_str()),
        (
            Some("method.supervised.hyperparameters.batch_size"),
            Some("integer_below_min_value")
        )
    );
    let e = create_err(&emu, sup(json!({"learning_rate_multiplier": 0})));
    assert_eq!(
        e["param"],
        "method.supervised.hyperparameters.learning_rate_multiplier"
    );
    let e = create_err(&emu, sup(json!({"n_epochs": "three"})));
    assert_eq!(e["code"], "invalid_type");
    let e = create_err(&emu, sup(json!({"beta": 0.5})));
    assert_eq!(e["param"], "method.supervised.hyperparameters.beta");

    let dpo = json!({"model": "gpt-4o-mini", "training_file": file, "method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 2.5}}}});
    assert_eq!(
        create_err(&emu, dpo)["param"],
        "method.dpo.hyperparameters.beta"
    );
    let old =
        json!({"model": "gpt-4o-mini", "training_file": file, "hyperparameters": {"n_epochs": 0}});
    assert_eq!(create_err(&emu, old)["param"], "hyperparameters.n_epochs");
}

#[test]
fn deprecated_hyperparameters_mean_supervised() {
    let emu = Emulator::start(10);
    let file = emu.training_file(2);
    let job = emu.create_job(
        json!({"model": "gpt-4o-mini", "training_file": file, "hyperparameters": {"n_epochs": 2}}),
    );
    assert_eq!(job["method"]["type"], "supervised");
    assert_eq!(
        job["method"]["supervised"]["hyperparameters"]["n_epochs"],
        2
    );
    assert_eq!(job["hyperparameters"]["n_epochs"], 2);
}

#[test]
fn reinforcement_needs_a_grader() {
    let emu = Emulator::start(10);
    let file = emu.training_file(2);
    let e = create_err(
        &emu,
        json!({"model": "o4-mini", "training_file": file, "method": {"type": "reinforcement", "reinforcement": {}}}),
    );
    assert_eq!(e["param"], "method.reinforcement.grader");
    let grader = json!({"type": "string_check", "name": "exact", "input": "{{sample.output_text}}", "reference": "{{item.answer}}", "operation": "eq"});
    let job = emu.create_job(json!({"model": "o4-mini", "training_file": file, "method": {"type": "reinforcement", "reinforcement": {"grader": grader}}}));
    assert_eq!(job["model"], "o4-mini-2025-04-16");
    assert_eq!(job["method"]["reinforcement"]["grader"], grader);
    assert_eq!(
        job["method"]["reinforcement"]["hyperparameters"]["reasoning_effort"],
        "default"
    );
    emu.wait_status(job["id"].as_str().expect("id"), "succeeded");
}

#[test]
fn suffix_seed_and_metadata_limits() {
    let emu = Emulator::start(10);
    let file = emu.training_file(2);
    let base = |extra: Value| {
        let mut b = json!({"model": "gpt-4o-mini", "training_file": file});
        if let (Some(b), Some(x)) = (b.as_object_mut(), extra.as_object()) {
            b.extend(x.clone());
        }
        b
    };
    let e = create_err(&emu, base(json!({"suffix": "x".repeat(65)})));
    assert_eq!(
        (e["param"].as_str(), e["code"].as_str()),
        (Some("suffix"), Some("string_above_max_length"))
    );
    let e = create_err(&emu, base(json!({"seed": -1})));
    assert_eq!(e["param"], "seed");
    let many: serde_json::Map<String, Value> =
        (0..17).map(|i| (format!("k{i}"), json!("v"))).collect();
    let e = create_err(&emu, base(json!({"metadata": many})));
    assert_eq!(
        (e["param"].as_str(), e["code"].as_str()),
        (Some("metadata"), Some("object_above_max_properties"))
    );
    let e = create_err(&emu, base(json!({"metadata": {"k".repeat(65): "v"}})));
    assert_eq!(e["param"], "metadata");
    let e = create_err(&emu, base(json!({"metadata": {"k": "v".repeat(513)}})));
    assert_eq!(e["param"], "metadata");
    let sixteen: serde_json::Map<String, Value> =
        (0..16).map(|i| (format!("k{i}"), json!("v"))).collect();
    assert_eq!(
        emu.create_job(base(json!({"metadata": sixteen})))["metadata"]["k15"],
        "v"
    );
}

#[test]
fn invalid_training_file_fails_the_job_with_an_error_object() {
    let emu = Emulator::start(10);
    let sft = emu.upload_file("bad.jsonl", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"yo\"}]}\nnot json\n");
    let job = emu.create_job(json!({"model": "gpt-4o-mini", "training_file": sft["id"]}));
    let failed = emu.wait_status(job["id"].as_str().expect("id"), "failed");
    assert_eq!(failed["error"]["code"], "invalid_training_file");
    assert_eq!(failed["error"]["param"], "training_file");
    assert_eq!(
        failed["error"]["message"],
        "The job failed due to an invalid training file. Line 2 is not valid JSON."
    );
    assert_eq!(failed["fine_tuned_model"], Value::Null);

    // Valid supervised rows are not valid DPO rows.
    let file = emu.training_file(2);
    let job = emu.create_job(
        json!({"model": "gpt-4o-mini", "training_file": file, "method": {"type": "dpo"}}),
    );
    let failed = emu.wait_status(job["id"].as_str().expect("id"), "failed");
    assert!(
        failed["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("Line 1: missing or invalid 'input.messages'")
    );

    let dpo_row = json!({"input": {"messages": [{"role": "user", "content": "hi"}]}, "preferred_output": [{"role": "assistant", "content": "good"}], "non_preferred_output": [{"role": "assistant", "content": "bad"}]});
    let dpo = emu.upload_file("dpo.jsonl", &format!("{dpo_row}\n"));
    let job = emu.create_job(json!({"model": "gpt-4.1", "training_file": dpo["id"], "method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}}}));
    let done = emu.wait_status(job["id"].as_str().expect("id"), "succeeded");
    assert_eq!(done["method"]["dpo"]["hyperparameters"]["beta"], 0.2);
}

#[test]
fn cancel_pause_resume() {
    let emu = Emulator::start(200);
    let file = emu.training_file(2);
    let job = emu.create_job(json!({"model": "gpt-4o-mini", "training_file": file}));
    let id = job["id"].as_str().expect("id");
    let e = emu
        .post(&format!("/v1/fine_tuning/jobs/{id}/pause"), &json!({}))
        .error(400)
        .clone();
    assert!(
        e["message"]
            .as_str()
            .unwrap_or("")
            .contains("only a running job can be paused")
    );
    emu.wait_status(id, "running");
    assert_eq!(
        emu.post(&format!("/v1/fine_tuning/jobs/{id}/pause"), &json!({}))
            .ok()["status"],
        "paused"
    );
    let e = emu
        .post(&format!("/v1/fine_tuning/jobs/{id}/pause"), &json!({}))
        .error(400)
        .clone();
    assert_eq!(e["param"], Value::Null);
    assert_eq!(
        emu.post(&format!("/v1/fine_tuning/jobs/{id}/resume"), &json!({}))
            .ok()["status"],
        "queued"
    );
    emu.wait_status(id, "running");
    let cancelled = emu
        .post_as(
            Some(PROJECT_KEY),
            &format!("/v1/fine_tuning/jobs/{id}/cancel"),
            None,
        )
        .ok()
        .clone();
    assert_eq!(cancelled["status"], "cancelled");
    let e = emu
        .post(&format!("/v1/fine_tuning/jobs/{id}/cancel"), &json!({}))
        .error(400)
        .clone();
    assert_eq!(
        e["message"],
        format!("Job {id} is already cancelled; a job in a terminal state cannot be cancelled.")
    );
    let events = emu
        .get(&format!("/v1/fine_tuning/jobs/{id}/events"))
        .ok()
        .clone();
    assert_eq!(events["data"][0]["message"], "Fine-tuning job cancelled");
}

#[test]
fn succeeded_job_cannot_be_cancelled() {
    let emu = Emulator::start(10);
    let job = emu.succeeded_job(1);
    let id = job["id"].as_str().expect("id");
    let e = emu
        .post(&format!("/v1/fine_tuning/jobs/{id}/cancel"), &json!({}))
        .error(400)
        .clone();
    assert_eq!(
        e["message"],
        format!("Job {id} is already succeeded; a job in a terminal state cannot be cancelled.")
    );
    assert_eq!(e["type"], "invalid_request_error");
}

#[test]
fn unknown_job_is_404() {
    let emu = Emulator::start(10);
    for path in ["", "/events", "/checkpoints"] {
        let e = emu
            .get(&format!("/v1/fine_tuning/jobs/ftjob-nope{path}"))
            .error(404)
            .clone();
        assert_eq!(e["message"], "Could not find fine tune job: ftjob-nope");
        assert_eq!(e["param"], "fine_tuning_job_id");
    }
    let e = emu
        .post("/v1/fine_tuning/jobs/ftjob-nope/cancel", &json!({}))
        .error(404)
        .clone();
    assert_eq!(e["code"], "fine_tune_not_found");
}

#[test]
fn metadata_filter_on_list() {
    let emu = Emulator::start(10);
    let file = emu.training_file(1);
    let a = emu.create_job(json!({"model": "gpt-4o-mini", "training_file": file, "metadata": {"team": "a", "env": "prod"}}));
    let b = emu.create_job(
        json!({"model": "gpt-4o-mini", "training_file": file, "metadata": {"team": "b"}}),
    );
    let c = emu.create_job(json!({"model": "gpt-4o-mini", "training_file": file}));
    let ids = |path: &str| -> Vec<Value> {
        emu.get(path).ok()["data"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|j| j["id"].clone())
            .collect()
    };
    assert_eq!(
        ids("/v1/fine_tuning/jobs?metadata%5Bteam%5D=a"),
        vec![a["id"].clone()]
    );
    assert_eq!(
        ids("/v1/fine_tuning/jobs?metadata[team]=b"),
        vec![b["id"].clone()]
    );
    assert_eq!(
        ids("/v1/fine_tuning/jobs?metadata[team]=a&metadata[env]=dev"),
        Vec::<Value>::new()
    );
    assert_eq!(
        ids("/v1/fine_tuning/jobs?metadata=null"),
        vec![c["id"].clone()]
    );
}

#[test]
fn malformed_body_is_400() {
    let emu = Emulator::start(10);
    let r = emu.post_as(Some(PROJECT_KEY), "/v1/fine_tuning/jobs", None);
    assert_eq!(r.error(400)["param"], "model");
}

#[test]
fn control_endpoint_fails_a_running_job() {
    let emu = Emulator::start(200);
    let file = emu.training_file(2);
    let job = emu.create_job(json!({"model": "gpt-4o-mini", "training_file": file}));
    let id = job["id"].as_str().expect("id");
    let failed = emu
        .control_post(
            &format!("/_emulator/jobs/{id}/fail"),
            &json!({"message": "GPU on fire"}),
        )
        .ok()
        .clone();
    assert_eq!(failed["status"], "failed");
    assert_eq!(
        failed["error"],
        json!({"code": "server_error", "message": "GPU on fire", "param": null})
    );
    assert_eq!(
        emu.get(&format!("/v1/fine_tuning/jobs/{id}")).ok()["status"],
        "failed"
    );
    let again = emu.control_post(&format!("/_emulator/jobs/{id}/fail"), &json!({}));
    assert_eq!(
        again.error(409)["message"],
        format!("job \"{id}\" is already failed")
    );
    emu.control_post("/_emulator/jobs/ftjob-nope/fail", &json!({}))
        .error(404);
}

#[test]
fn auto_epochs_follow_the_size_of_the_training_file() {
    // OpenAI's documented default: 3 epochs, raised so that examples x epochs reaches 100.
    let emu = Emulator::start(5);
    let row = format!(
        "{}\n",
        json!({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]})
    );
    for (examples, epochs) in [(12, 8), (40, 3)] {
        let file = emu.upload_file("train.jsonl", &row.repeat(examples));
        for hyperparameters in [json!({}), json!({"n_epochs": "auto"})] {
            let job = emu.create_job(json!({
                "model": "gpt-4o-mini", "training_file": file["id"],
                "method": {"type": "supervised", "supervised": {"hyperparameters": hyperparameters}}
            }));
            assert_eq!(
                job["method"]["supervised"]["hyperparameters"]["n_epochs"],
                epochs
            );
            let done = emu.wait_status(job["id"].as_str().expect("id"), "succeeded");
            assert_eq!(done["trained_tokens"], json!(13 * examples * epochs));
        }
    }
}

#[test]
fn a_manual_clock_moves_jobs_and_uploads_only_when_told() {
    let start = 1_700_000_000_000;
    let emu = Emulator::with(|c| {
        c.step_ms = 1000;
        c.manual_clock_ms = Some(start);
    });
    let file = emu.training_file(4);
    let job = emu.create_job(json!({"model": "gpt-4o-mini", "training_file": file}));
    assert_eq!(job["created_at"], start / 1000);
    let id = job["id"].as_str().expect("id");
    let path = format!("/v1/fine_tuning/jobs/{id}");
    std::thread::sleep(std::time::Duration::from_millis(30));
    assert_eq!(emu.get(&path).ok()["status"], "validating_files");
    emu.advance(999);
    assert_eq!(emu.get(&path).ok()["status"], "validating_files");
    emu.advance(1);
    assert_ne!(emu.get(&path).ok()["status"], "validating_files");
    let moved = emu.control_post("/_emulator/clock", &json!({"advance_ms": 3_600_000}));
    assert_eq!(moved.ok()["now_ms"], start + 3_601_000);
    let job = emu.get(&path).ok().clone();
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(
        job["finished_at"]
            .as_u64()
            .map(|t| t <= start / 1000 + 3601),
        Some(true)
    );
    let bad = emu.control_post("/_emulator/clock", &json!({"advance_ms": -1}));
    bad.error(400);

    let system = Emulator::start(20);
    let refused = system.control_post("/_emulator/clock", &json!({"advance_ms": 1}));
    refused.error(409);
}
