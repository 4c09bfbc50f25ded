//! The API scenarios the core's unit-test fake runs too (`openai_ft_core::scenarios`), here on
//! the emulator, on a manual clock as the fake's: what the table says of an answer holds on both
//! models, so the fake cannot drift from the emulator the spec checks.

use openai_ft_core::scenarios::{self, Body, Call, Fault, MODEL, Outcome, Server, TRAINING_FILE};
use openai_ft_emulator::harness::*;
use serde_json::{Value, json};

/// The fake's clock at the start (`crates/core/src/testing.rs`), in milliseconds.
const START_MS: u64 = 1_700_000_000_000;
const STEP_MS: u64 = 1000;

struct OnEmulator(Emulator);

impl OnEmulator {
    fn new() -> Self {
        OnEmulator(Emulator::with(|c| {
            c.step_ms = STEP_MS;
            c.manual_clock_ms = Some(START_MS);
        }))
    }
}

impl Server for OnEmulator {
    fn call(&mut self, call: &Call) -> Outcome {
        let key = if call.admin() { ADMIN_KEY } else { PROJECT_KEY };
        let auth = format!("Bearer {key}");
        let headers = [("Authorization", auth.as_str())];
        let mut path = format!("/v1{}", call.path);
        if !call.query.is_empty() {
            let query: Vec<String> = call.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            path = format!("{path}?{}", query.join("&"));
        }
        let answer = match &call.body {
            Body::None => self.0.try_call(call.method, &path, &headers, None),
            Body::Json(v) => self.0.try_call(call.method, &path, &headers, Some(v)),
            Body::Upload(filename) => {
                Some(self.0.upload_to(&path, &headers, filename, TRAINING_FILE))
            }
        };
        match answer {
            Some(r) => Outcome::Answer(r.status, r.body),
            None => Outcome::Dropped,
        }
    }

    fn fault(&mut self, method: &'static str, path: &'static str, fault: Fault) {
        let fault = match fault {
            Fault::Status(s) => json!(s),
            Fault::CommitThenDrop => json!("commit_then_drop"),
        };
        self.0
            .fault(json!({"method": method, "path": format!("/v1{path}"), "fault": fault}));
    }

    fn succeeded_model(&mut self) -> String {
        let file = self.0.upload("train.jsonl", TRAINING_FILE);
        let job = self.0.api(
            "POST",
            "/fine_tuning/jobs",
            Some(json!({"model": MODEL, "training_file": file, "suffix": "scenario",
                        "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 1}}}})),
        );
        // A few steps of the manual clock take it through validation, the queue and its epoch.
        self.0.advance(20 * STEP_MS);
        let id = job["id"].as_str().expect("job id");
        let job = self.0.api("GET", &format!("/fine_tuning/jobs/{id}"), None);
        assert_eq!(job["status"], "succeeded", "{job}");
        job["fine_tuned_model"]
            .as_str()
            .expect("a model")
            .to_owned()
    }
}

#[test]
fn the_emulator_answers_the_shared_scenarios() {
    let failed = scenarios::run_all(OnEmulator::new);
    assert!(failed.is_empty(), "{failed:#?}");
}

/// The emulator's answers hold more than the table checks; what it checks is there.
#[test]
fn the_table_checks_answers_not_just_statuses() {
    let mut emu = OnEmulator::new();
    let wrong = scenarios::Scenario {
        name: "a create echoes another model",
        steps: vec![
            scenarios::call("POST", "/files")
                .upload("train.jsonl")
                .save("file", "/id")
                .done(),
            scenarios::call("POST", "/fine_tuning/jobs")
                .json(json!({"model": MODEL, "training_file": "{file}"}))
                .eq("/model", Value::String("gpt-4o-2024-08-06".into()))
                .done(),
        ],
    };
    let e = scenarios::run(&wrong, &mut emu).expect_err("the model differs");
    assert!(
        e.starts_with("a create echoes another model: step 2"),
        "{e}"
    );
}
