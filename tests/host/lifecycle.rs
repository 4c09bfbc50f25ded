//! Model lifecycle: shutdown dates from the models endpoint in the outputs, a warning on every
//! read within 90 days of a shutdown, and no training on a base model that is already shut down.
//! Dates are set relative to today.

use crate::util::*;
use serde_json::{Value, json};

const BASE: &str = "gpt-4o-mini-2024-07-18";

fn emulator_with_shutdown(date: &str, step_ms: u64) -> Emulator {
    let date = date.to_owned();
    Emulator::with(move |c| {
        c.step_ms = step_ms;
        c.model_shutdown.insert(BASE.into(), date);
    })
}

fn request(file: &str) -> Value {
    json!({"model": BASE, "training_file": file, "poll_interval": "0.05"})
}

#[test]
fn a_near_shutdown_is_shown_and_warned_about_on_every_read() {
    let date = date_in(30);
    let emulator = emulator_with_shutdown(&date, 5);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    let mut input = request(&file);
    input["wait"] = json!("true");
    let out = openai_ft(&["job", "ensure"])
        .against(&emulator)
        .input(input)
        .run();
    let o = out.json();
    assert_eq!(o["base_model_shutdown_date"], date);
    assert_eq!(
        o["fine_tuned_model_shutdown_date"], date,
        "a fine-tuned model goes with its base"
    );
    let warning = format!("warning: the base model {BASE} shuts down on {date}, in 30 days");
    assert!(out.stderr.contains(&warning), "{}", out.stderr);

    let read = openai_ft(&["job", "read"])
        .against(&emulator)
        .input(json!({"id": o["id"], "shutdown_dates": "true"}))
        .run();
    let r = read.json();
    assert_eq!(r["base_model_shutdown_date"], date);
    assert!(read.stderr.contains(&warning), "{}", read.stderr);
    let tuned = format!(
        "warning: the fine-tuned model {} shuts down on {date}, in 30 days",
        o["fine_tuned_model"]
    );
    assert!(read.stderr.contains(&tuned), "{}", read.stderr);
}

#[test]
fn a_distant_or_unannounced_shutdown_is_quiet() {
    for date in [Some(date_in(200)), None] {
        let emulator = match &date {
            Some(d) => emulator_with_shutdown(d, 60_000),
            None => Emulator::start(60_000),
        };
        let file = emulator.upload("train.jsonl", SUPERVISED);
        let out = openai_ft(&["job", "ensure"])
            .against(&emulator)
            .input(request(&file))
            .run();
        assert_eq!(
            out.json()["base_model_shutdown_date"],
            date.clone().unwrap_or_default()
        );
        assert!(!out.stderr.contains("warning:"), "{}", out.stderr);
    }
}

#[test]
fn training_on_a_shut_down_base_model_is_refused() {
    for days in [-1, 0] {
        let date = date_in(days);
        let emulator = emulator_with_shutdown(&date, 60_000);
        let file = emulator.upload("train.jsonl", SUPERVISED);
        let line = openai_ft(&["job", "ensure"])
            .against(&emulator)
            .input(request(&file))
            .run()
            .only_error();
        assert_eq!(
            line,
            format!(
                "refusing to start training on {BASE}: its shutdown date {date} has passed, so the job \
                 could not run and its model could never be used; choose a current base model"
            )
        );
        assert_eq!(emulator.count("POST /v1/fine_tuning/jobs"), 0);
    }
}

#[test]
fn a_plain_read_by_id_stays_one_request() {
    let emulator = emulator_with_shutdown(&date_in(10), 60_000);
    let file = emulator.upload("train.jsonl", SUPERVISED);
    let created = openai_ft(&["job", "ensure"])
        .against(&emulator)
        .input(request(&file))
        .run()
        .json();
    let before = emulator.log().len();
    openai_ft(&["job", "read"])
        .against(&emulator)
        .input(json!({"id": created["id"]}))
        .run()
        .json();
    assert_eq!(emulator.log().len() - before, 1);
}
