//! Cursor pagination of every list operation, exactly as the spec shapes it: `has_more`, `after`,
//! `limit` ranges, `first_id`/`last_id` where the spec has them, and `order` for files/permissions.

use openai_ft_emulator::harness::*;
use serde_json::{Value, json};

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["id"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn jobs_page_newest_first_with_after() {
    let emu = Emulator::start(10);
    let file = emu.training_file(1);
    let created: Vec<String> = (0..3)
        .map(|_| {
            emu.create_job(json!({"model": "gpt-4o-mini", "training_file": file}))["id"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    let p1 = emu.get("/v1/fine_tuning/jobs?limit=2").ok().clone();
    assert_eq!(ids(&p1), vec![created[2].clone(), created[1].clone()]);
    assert_eq!(p1["has_more"], true);
    assert!(p1.get("first_id").is_none());
    let p2 = emu
        .get(&format!(
            "/v1/fine_tuning/jobs?limit=2&after={}",
            created[1]
        ))
        .ok()
        .clone();
    assert_eq!(ids(&p2), vec![created[0].clone()]);
    assert_eq!(p2["has_more"], false);
    assert_eq!(ids(&emu.get("/v1/fine_tuning/jobs").ok().clone()).len(), 3);
}

#[test]
fn limit_out_of_range_is_400() {
    let emu = Emulator::start(10);
    let e = emu.get("/v1/fine_tuning/jobs?limit=0").error(400).clone();
    assert_eq!(
        (e["param"].as_str(), e["code"].as_str()),
        (Some("limit"), Some("integer_below_min_value"))
    );
    let e = emu.get("/v1/fine_tuning/jobs?limit=101").error(400).clone();
    assert_eq!(
        e["message"],
        "Invalid 'limit': integer above maximum value. Expected a value <= 100, but got 101 instead."
    );
    assert_eq!(emu.get("/v1/files?limit=10000").status, 200);
    emu.get("/v1/files?limit=10001").error(400);
    emu.get("/v1/files?limit=ten").error(400);
}

#[test]
fn events_page_newest_first() {
    let emu = Emulator::start(10);
    let job = emu.succeeded_job(2);
    let id = job["id"].as_str().expect("id");
    let all = emu
        .get(&format!("/v1/fine_tuning/jobs/{id}/events?limit=100"))
        .ok()
        .clone();
    let all_ids = ids(&all);
    let mut walked = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let q = after
            .as_ref()
            .map(|a| format!("&after={a}"))
            .unwrap_or_default();
        let page = emu
            .get(&format!("/v1/fine_tuning/jobs/{id}/events?limit=3{q}"))
            .ok()
            .clone();
        walked.extend(ids(&page));
        if page["has_more"] == false {
            break;
        }
        after = walked.last().cloned();
    }
    assert_eq!(walked, all_ids);
    let times: Vec<u64> = all["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["created_at"].as_u64())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "events are newest first: {times:?}"
    );
}

#[test]
fn checkpoints_have_first_and_last_ids() {
    let emu = Emulator::start(10);
    let job = emu.succeeded_job(3);
    let id = job["id"].as_str().expect("id");
    let p1 = emu
        .get(&format!("/v1/fine_tuning/jobs/{id}/checkpoints?limit=2"))
        .ok()
        .clone();
    assert_eq!(p1["has_more"], true);
    assert_eq!(p1["first_id"], p1["data"][0]["id"]);
    assert_eq!(p1["last_id"], p1["data"][1]["id"]);
    let last = p1["last_id"].as_str().expect("last id");
    let p2 = emu
        .get(&format!(
            "/v1/fine_tuning/jobs/{id}/checkpoints?limit=2&after={last}"
        ))
        .ok()
        .clone();
    assert_eq!(p2["has_more"], false);
    assert_eq!(p2["data"][0]["step_number"], 2);
}

#[test]
fn files_order_after_and_ids() {
    let emu = Emulator::start(10);
    let made: Vec<String> = (0..3).map(|_| emu.training_file(1)).collect();
    let desc = emu.get("/v1/files").ok().clone();
    assert_eq!(ids(&desc), made.iter().rev().cloned().collect::<Vec<_>>());
    assert_eq!(desc["first_id"], made[2].as_str());
    assert_eq!(desc["last_id"], made[0].as_str());
    let asc = emu
        .get(&format!("/v1/files?order=asc&limit=1&after={}", made[0]))
        .ok()
        .clone();
    assert_eq!(ids(&asc), vec![made[1].clone()]);
    assert_eq!(asc["has_more"], true);
    let e = emu.get("/v1/files?order=sideways").error(400).clone();
    assert_eq!(e["param"], "order");
    let empty = emu.get("/v1/files?purpose=batch").ok().clone();
    assert_eq!(
        (empty["data"].clone(), empty["has_more"].clone()),
        (json!([]), json!(false))
    );
}
