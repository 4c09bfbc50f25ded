//! Lists that never end, against the real binary: a server that says `has_more` with the same
//! cursor, or with new ids forever, on the checkpoints, files, Azure's job scan, permissions and
//! events lists. Each command ends within seconds, with one line naming the endpoint (events,
//! which only feed progress lines, stop quietly).

use std::time::Duration;

use crate::util::*;
use serde_json::{Value, json};

/// A list command must give up in seconds, not at the CPU limit.
const BOUND: Duration = Duration::from_secs(60);

/// Installs an endless list with `cursor` on `GET path` and runs `cmd`.
fn endless(emulator: &Emulator, path: &str, cursor: &str, cmd: Cmd) -> Outcome {
    emulator.fault(
        json!({"method": "GET", "path": path, "fault": "endless_pages",
                          "cursor": cursor, "times": 1_000_000}),
    );
    cmd.deadline(BOUND).run()
}

/// The two refusals of an endless `endpoint` (as the error names it): a stuck cursor after the
/// second page, new ids after the page budget.
fn refusals(endpoint: &str, budget: u32) -> [(&'static str, String); 2] {
    let fix = "is OPENAI_BASE_URL an OpenAI-compatible API?";
    [
        (
            "stuck",
            format!("{endpoint}: the API said has_more but gave no new cursor; {fix}"),
        ),
        (
            "fresh",
            format!("{endpoint}: the API still said has_more after {budget} pages; {fix}"),
        ),
    ]
}

/// For both cursors: a fresh emulator from `setup`, `cmd` under an endless `path`, the exact
/// error line, and how many pages were asked for (2 when stuck, `budget` when fresh).
fn assert_refused(
    setup: impl Fn() -> (Emulator, Value),
    path: impl Fn(&Value) -> String,
    cmd: impl Fn(&Emulator, &Value) -> Cmd,
    endpoint: impl Fn(&Value) -> String,
    budget: u32,
) {
    for (cursor, _) in refusals("", budget) {
        let (emulator, scene) = setup();
        let path = path(&scene);
        let out = endless(&emulator, &path, cursor, cmd(&emulator, &scene));
        let expected = refusals(&endpoint(&scene), budget)
            .into_iter()
            .find(|(c, _)| *c == cursor)
            .map(|(_, line)| line)
            .unwrap_or_default();
        // The error is the last line: a `file` command prints its token summary before it.
        assert_eq!(out.error(), expected, "{cursor}");
        let pages = emulator.count(&format!("GET {path}"));
        let want = if cursor == "stuck" {
            2
        } else {
            u64::from(budget)
        };
        assert_eq!(pages, want, "{cursor}: pages asked for");
    }
}

#[test]
fn endless_checkpoints_are_refused() {
    assert_refused(
        || {
            let emulator = Emulator::start(5);
            let job = emulator.succeeded_job(2);
            (emulator, job)
        },
        |job| {
            format!(
                "/v1/fine_tuning/jobs/{}/checkpoints",
                job["id"].as_str().unwrap()
            )
        },
        |e, job| {
            openai_ft(&["job", "read"])
                .against(e)
                .input(json!({"id": job["id"], "checkpoints": "true"}))
        },
        |job| {
            format!(
                "GET /fine_tuning/jobs/{}/checkpoints",
                job["id"].as_str().unwrap()
            )
        },
        100,
    );
}

#[test]
fn endless_files_are_refused() {
    assert_refused(
        || {
            let emulator = Emulator::start(5);
            emulator.upload("other.jsonl", SUPERVISED);
            (emulator, Value::Null)
        },
        |_| "/v1/files".into(),
        |e, _| {
            openai_ft(&["file", "read"])
                .against(e)
                .input(json!({"path": data("supervised.jsonl")}))
        },
        |_| "GET /files".into(),
        100,
    );
}

#[test]
fn an_endless_azure_job_scan_is_refused() {
    for flavor in [Flavor::Azure, Flavor::AzureClassic] {
        let prefix = if flavor == Flavor::Azure {
            "/openai/v1"
        } else {
            "/openai"
        };
        assert_refused(
            || {
                let emulator = Emulator::flavored(flavor, 20);
                let file = emulator.upload("train.jsonl", SUPERVISED);
                // Azure trains only on a processed file.
                let deadline = std::time::Instant::now() + BOUND;
                while emulator.api("GET", &format!("/files/{file}"), None)["status"] != "processed"
                {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "the file was never processed"
                    );
                    std::thread::sleep(Duration::from_millis(20));
                }
                let job = emulator.api(
                    "POST",
                    "/fine_tuning/jobs",
                    Some(json!({"model": "gpt-4o-mini", "training_file": file, "suffix": "stranger"})),
                );
                assert!(job["id"].is_string(), "{job}");
                (emulator, json!(file))
            },
            |_| format!("{prefix}/fine_tuning/jobs"),
            |e, file| {
                openai_ft(&["job", "read"])
                    .against(e)
                    .input(json!({"model": "gpt-4o-mini", "training_file": file, "suffix": "mine"}))
            },
            |_| "GET /fine_tuning/jobs".into(),
            100,
        );
    }
}

#[test]
fn endless_permissions_are_refused() {
    let ckpt = |job: &Value| job["fine_tuned_model"].as_str().unwrap().to_owned();
    assert_refused(
        || {
            let emulator = Emulator::start(5);
            let job = emulator.succeeded_job(1);
            emulator.api(
                "POST",
                &format!("/fine_tuning/checkpoints/{}/permissions", ckpt(&job)),
                Some(json!({"project_ids": ["proj_a"]})),
            );
            (emulator, job)
        },
        |job| format!("/v1/fine_tuning/checkpoints/{}/permissions", ckpt(job)),
        |e, job| {
            openai_ft(&["permissions", "read"])
                .against(e)
                .env("OPENAI_ADMIN_KEY", ADMIN_KEY)
                .input(json!({"checkpoint": ckpt(job)}))
        },
        |job| format!("GET /fine_tuning/checkpoints/{}/permissions", ckpt(job)),
        100,
    );
}

#[test]
fn endless_events_only_cost_progress_lines() {
    for cursor in ["stuck", "fresh"] {
        let emulator = Emulator::start(20);
        let file = emulator.upload("train.jsonl", SUPERVISED);
        let request = json!({
            "model": "gpt-4o-mini", "training_file": file, "suffix": "events",
            "poll_interval": "0.05",
        });
        let ensure = |extra: Value| {
            let mut input = request.clone();
            input
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            openai_ft(&["job", "ensure"])
                .against(&emulator)
                .input(input)
        };
        // Created first, so the endless list can be pinned to its events.
        let id = ensure(json!({})).run().json()["id"].clone();
        let path = format!("/v1/fine_tuning/jobs/{id}/events");
        let out = endless(&emulator, &path, cursor, ensure(json!({"wait": "true"})));
        assert_eq!(out.json()["status"], "succeeded", "{cursor}");
        // At most one page budget (10) a poll.
        let polls = emulator.count(&format!("GET /v1/fine_tuning/jobs/{id}"));
        assert!(
            emulator.count(&format!("GET {path}")) <= 10 * (polls + 1),
            "{cursor}"
        );
    }
}
