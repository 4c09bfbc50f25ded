//! Models: base snapshots and aliases, `shutdown_date`, fine-tuned models from succeeded jobs, and
//! deleting them (base models cannot be deleted).

use openai_ft_emulator::harness::*;
use serde_json::{Value, json};

#[test]
fn base_models_and_shutdown_dates() {
    let emu = Emulator::with(|c| {
        c.step_ms = 10;
        c.model_shutdown
            .insert("gpt-3.5-turbo-0125".to_string(), "2026-09-28".to_string());
    });
    let m = emu.get("/v1/models/gpt-3.5-turbo-0125").ok().clone();
    assert_eq!(
        m,
        json!({"id": "gpt-3.5-turbo-0125", "object": "model", "created": 1706048358, "owned_by": "system", "shutdown_date": "2026-09-28"})
    );
    assert_eq!(
        emu.get("/v1/models/gpt-4o-mini").ok()["shutdown_date"],
        Value::Null
    );
    let list = emu.get("/v1/models").ok().clone();
    assert_eq!(list["object"], "list");
    let ids: Vec<_> = list["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["id"].as_str())
        .collect();
    for id in [
        "gpt-4o-mini-2024-07-18",
        "gpt-4o-2024-08-06",
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "o4-mini-2025-04-16",
        "gpt-3.5-turbo-0125",
    ] {
        assert!(ids.contains(&id), "{id} missing");
    }
}

#[test]
fn unknown_model_is_404_model_not_found() {
    let emu = Emulator::start(10);
    let e = emu.get("/v1/models/gpt-9").error(404).clone();
    assert_eq!(
        e,
        json!({"message": "The model 'gpt-9' does not exist", "type": "invalid_request_error", "param": "model", "code": "model_not_found"})
    );
}

#[test]
fn fine_tuned_models_are_listed_and_deletable() {
    let emu = Emulator::start(10);
    let job = emu.succeeded_job(1);
    let model = job["fine_tuned_model"].as_str().expect("model");
    let m = emu.get(&format!("/v1/models/{model}")).ok().clone();
    assert_eq!(m["owned_by"], "org-emulator");
    assert_eq!(m["created"], job["finished_at"]);
    // A live fine-tuned model can be fine-tuned again.
    let file = emu.training_file(1);
    let again = emu.create_job(json!({"model": model, "training_file": file}));
    assert_eq!(again["model"], model);

    let d = emu
        .delete_as(Some(PROJECT_KEY), &format!("/v1/models/{model}"))
        .ok()
        .clone();
    assert_eq!(d, json!({"id": model, "object": "model", "deleted": true}));
    emu.get(&format!("/v1/models/{model}")).error(404);
    emu.delete_as(Some(PROJECT_KEY), &format!("/v1/models/{model}"))
        .error(404);
    let e = emu
        .delete_as(Some(PROJECT_KEY), "/v1/models/gpt-4o-mini")
        .error(403)
        .clone();
    assert_eq!(e["type"], "invalid_request_error");
}
