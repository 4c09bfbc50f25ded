//! Every write path under every fault, as one table: job create, file upload, permission grant
//! and revoke, job cancel, pause and resume, each under commit-then-drop, a reset, 500 twice,
//! 429 with and without Retry-After, and a slow commit (applied 2 s after the request, past a
//! 1 s client timeout): each cell runs the real binary against a fresh emulator and must end in
//! success with exactly the resources the request asks for (one job, one file, one grant; a
//! revoke leaves none), within a bound on wall time. Under a 401 that echoes the key, the write
//! is refused with one line showing `[redacted]`, and nothing changes. No run may show a key
//! byte (the harness checks every run).
//!
//! The table is printed, written to `target/tmp/fault-table/fault-table.md`, and must match the
//! one in `docs/reliability.md`, wall times aside; with `OPENAI_FT_UPDATE_DOCS=1` the test
//! rewrites that copy instead:
//! `OPENAI_FT_UPDATE_DOCS=1 cargo test -p openai-ft --test integration faults::`.

use std::time::Duration;

use crate::util::*;
use serde_json::{Value, json};

/// Generous for a loaded CI machine: about three times the slowest cell here, so a failure is a
/// hang or a retry storm, not a slow runner. A safety net, not a performance assertion.
const CELL_BOUND: Duration = Duration::from_secs(60);

/// A fault, as the emulator's rule for the write request and the table's column.
#[derive(Clone, Copy)]
enum Fault {
    CommitThenDrop,
    Reset,
    Status500Twice,
    Status429RetryAfter,
    Status429,
    SlowCommit,
    EchoingKey,
}

const FAULTS: [Fault; 7] = [
    Fault::CommitThenDrop,
    Fault::Reset,
    Fault::Status500Twice,
    Fault::Status429RetryAfter,
    Fault::Status429,
    Fault::SlowCommit,
    Fault::EchoingKey,
];

impl Fault {
    fn column(self) -> &'static str {
        match self {
            Fault::CommitThenDrop => "commit, then drop",
            Fault::Reset => "reset",
            Fault::Status500Twice => "500 x 2",
            Fault::Status429RetryAfter => "429, Retry-After 1",
            Fault::Status429 => "429, no Retry-After",
            Fault::SlowCommit => "slow commit (2 s > timeout 1 s)",
            Fault::EchoingKey => "401 echoing the key",
        }
    }

    fn rule(self) -> Value {
        match self {
            Fault::CommitThenDrop => json!({"fault": "commit_then_drop"}),
            Fault::Reset => json!({"fault": "reset"}),
            Fault::Status500Twice => json!({"fault": 500, "times": 2}),
            Fault::Status429RetryAfter => json!({"fault": 429, "retry_after": 1}),
            Fault::Status429 => json!({"fault": 429}),
            Fault::SlowCommit => json!({"fault": "delay", "delay_ms": 2000}),
            Fault::EchoingKey => json!({"fault": "echo", "status": 401}),
        }
    }
}

/// What a write path's set-up made: the ids its command and check need.
#[derive(Default)]
struct Scene {
    file: String,
    job: String,
    /// A succeeded job's fine-tuned model, for the permission paths.
    checkpoint: String,
}

/// One write path: how to set it up, the write request it makes, the command, and what must
/// exist afterwards.
struct Path {
    row: &'static str,
    /// The emulator's job step: jobs stand still, except where one must be running.
    step_ms: u64,
    setup: fn(&Emulator) -> Scene,
    /// The faulted request: method and path (a trailing `*` matches any id).
    method: &'static str,
    path: fn(&Scene) -> String,
    run: fn(&Emulator, &Scene) -> Cmd,
    /// The resources that exist afterwards, as the table shows them.
    check: fn(&Emulator, &Scene) -> String,
    expected: &'static str,
    /// What exists when the write is refused.
    unchanged: &'static str,
}

fn request(file: &str) -> Value {
    json!({"model": "gpt-4o-mini", "training_file": file, "suffix": "faults"})
}

fn with_file(emulator: &Emulator) -> Scene {
    Scene {
        file: emulator.upload("train.jsonl", SUPERVISED),
        ..Scene::default()
    }
}

/// A job in `status`: created (it stands in `validating_files`), or run up to `running` (50
/// epochs keep it there for as long as any cell takes), and paused for `paused`.
fn with_job(emulator: &Emulator, status: &str) -> Scene {
    let mut scene = with_file(emulator);
    let mut body = request(&scene.file);
    body["method"] =
        json!({"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 50}}});
    let job = emulator.api("POST", "/fine_tuning/jobs", Some(body));
    scene.job = job["id"].as_str().expect("job id").to_owned();
    if status != "validating_files" {
        emulator.wait_status(&scene.job, "running");
    }
    if status == "paused" {
        emulator.api(
            "POST",
            &format!("/fine_tuning/jobs/{}/pause", scene.job),
            None,
        );
    }
    scene
}

fn jobs(emulator: &Emulator) -> Vec<Value> {
    let list = emulator.api("GET", "/fine_tuning/jobs?limit=100", None);
    list["data"].as_array().expect("a list").clone()
}

/// "1 job, cancelled": how many jobs exist, and the status of the only one.
fn job_state(emulator: &Emulator, _: &Scene) -> String {
    match jobs(emulator).as_slice() {
        [one] => format!("1 job, {}", one["status"].as_str().unwrap_or("?")),
        all => format!("{} jobs", all.len()),
    }
}

/// A succeeded job's model, to grant; with `granted`, already granted to `proj_f`.
fn with_checkpoint(emulator: &Emulator, granted: bool) -> Scene {
    let job = emulator.succeeded_job(1);
    let checkpoint = job["fine_tuned_model"]
        .as_str()
        .expect("a model")
        .to_owned();
    if granted {
        emulator.api(
            "POST",
            &format!("/fine_tuning/checkpoints/{checkpoint}/permissions"),
            Some(json!({"project_ids": ["proj_f"]})),
        );
    }
    Scene {
        checkpoint,
        ..Scene::default()
    }
}

fn grants(emulator: &Emulator, scene: &Scene) -> String {
    let list = emulator.api(
        "GET",
        &format!(
            "/fine_tuning/checkpoints/{}/permissions?limit=100",
            scene.checkpoint
        ),
        None,
    );
    format!("{} grant(s)", list["data"].as_array().map_or(0, Vec::len))
}

fn permissions(emulator: &Emulator, scene: &Scene, verb: &str) -> Cmd {
    openai_ft(&["permissions", verb])
        .against(emulator)
        .env("OPENAI_ADMIN_KEY", ADMIN_KEY)
        .input(json!({"checkpoint": scene.checkpoint, "project_id": "proj_f"}))
}

/// `job <verb>` of the scene's job.
fn job_command(emulator: &Emulator, scene: &Scene, verb: &str) -> Cmd {
    openai_ft(&["job", verb])
        .against(emulator)
        .input(json!({"id": scene.job}))
}

fn paths() -> Vec<Path> {
    vec![
        Path {
            row: "job create (`job ensure`)",
            step_ms: 600_000,
            setup: with_file,
            method: "POST",
            path: |_| "/v1/fine_tuning/jobs".into(),
            run: |e, s| {
                openai_ft(&["job", "ensure"])
                    .against(e)
                    .input(request(&s.file))
            },
            check: job_state,
            expected: "1 job, validating_files",
            unchanged: "0 jobs",
        },
        Path {
            row: "file upload (`file upload`)",
            step_ms: 600_000,
            setup: |_| Scene::default(),
            method: "POST",
            path: |_| "/v1/files".into(),
            run: |e, _| {
                openai_ft(&["file", "upload"])
                    .against(e)
                    .input(json!({"path": data("supervised.jsonl")}))
            },
            check: |e, _| {
                let files = e.api("GET", "/files?purpose=fine-tune", None);
                let n = files["data"].as_array().map_or(0, Vec::len);
                format!("{n} file{}", if n == 1 { "" } else { "s" })
            },
            expected: "1 file",
            unchanged: "0 files",
        },
        Path {
            row: "permission grant (`permissions grant`)",
            step_ms: 5,
            setup: |e| with_checkpoint(e, false),
            method: "POST",
            path: |s| format!("/v1/fine_tuning/checkpoints/{}/permissions", s.checkpoint),
            run: |e, s| permissions(e, s, "grant"),
            check: grants,
            expected: "1 grant(s)",
            unchanged: "0 grant(s)",
        },
        Path {
            row: "permission revoke (`permissions revoke`)",
            step_ms: 5,
            setup: |e| with_checkpoint(e, true),
            method: "DELETE",
            path: |s| format!("/v1/fine_tuning/checkpoints/{}/permissions/*", s.checkpoint),
            run: |e, s| permissions(e, s, "revoke"),
            check: grants,
            expected: "0 grant(s)",
            unchanged: "1 grant(s)",
        },
        Path {
            row: "job cancel (`job cancel`)",
            step_ms: 600_000,
            setup: |e| with_job(e, "validating_files"),
            method: "POST",
            path: |s| format!("/v1/fine_tuning/jobs/{}/cancel", s.job),
            run: |e, s| job_command(e, s, "cancel"),
            check: job_state,
            expected: "1 job, cancelled",
            unchanged: "1 job, validating_files",
        },
        Path {
            row: "job pause (`job pause`)",
            step_ms: 300,
            setup: |e| with_job(e, "running"),
            method: "POST",
            path: |s| format!("/v1/fine_tuning/jobs/{}/pause", s.job),
            run: |e, s| job_command(e, s, "pause"),
            check: job_state,
            expected: "1 job, paused",
            unchanged: "1 job, running",
        },
        Path {
            row: "job resume (`job resume`)",
            step_ms: 300,
            setup: |e| with_job(e, "paused"),
            method: "POST",
            path: |s| format!("/v1/fine_tuning/jobs/{}/resume", s.job),
            run: |e, s| job_command(e, s, "resume"),
            // Resumed jobs queue again, then run: either is a resumed job.
            check: |e, s| job_state(e, s).replace("1 job, queued", "1 job, running"),
            expected: "1 job, running",
            unchanged: "1 job, paused",
        },
    ]
}

/// One cell: the path under the fault, on a fresh emulator. The table's text, or what went
/// wrong.
fn cell(path: &Path, fault: Fault) -> Result<String, String> {
    let emulator = Emulator::start(path.step_ms);
    let scene = (path.setup)(&emulator);
    let mut rule = fault.rule();
    rule["method"] = json!(path.method);
    rule["path"] = json!((path.path)(&scene));
    emulator.fault(rule);
    let mut cmd = (path.run)(&emulator, &scene).deadline(CELL_BOUND);
    if let Fault::SlowCommit = fault {
        cmd = cmd.env("OPENAI_FT_TIMEOUT", "1");
    }
    let out = cmd.run();
    let state = (path.check)(&emulator, &scene);
    let took = out.elapsed.as_secs_f64();
    if let Fault::EchoingKey = fault {
        let last = out.stderr.lines().last().unwrap_or_default();
        if out.code != Some(1) || !last.contains("Bearer [redacted]") {
            return Err(format!("not refused with the key redacted: {}", out.stderr));
        }
        if state != path.unchanged {
            return Err(format!("{state}, expected {} (unchanged)", path.unchanged));
        }
        return Ok(format!("refused, {state}, {took:.1} s"));
    }
    if out.code != Some(0) {
        return Err(format!("failed: {}", out.stderr.trim_end()));
    }
    if state != path.expected {
        return Err(format!(
            "{state}, expected {}; stderr: {}",
            path.expected, out.stderr
        ));
    }
    Ok(format!("{state}, {took:.1} s"))
}

#[test]
fn every_write_path_under_every_fault_leaves_exactly_what_was_asked_for() {
    let rows: Vec<(&'static str, Vec<Result<String, String>>)> = std::thread::scope(|s| {
        let handles: Vec<_> = paths()
            .into_iter()
            .map(|path| {
                s.spawn(move || {
                    let cells = FAULTS.iter().map(|f| cell(&path, *f)).collect();
                    (path.row, cells)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a row runs"))
            .collect()
    });
    let mut table = format!(
        "| write path | {} |\n|---|{}\n",
        FAULTS.map(Fault::column).join(" | "),
        "---|".repeat(FAULTS.len())
    );
    let mut failures = Vec::new();
    for (row, cells) in &rows {
        let shown: Vec<String> = cells
            .iter()
            .zip(FAULTS)
            .map(|(c, fault)| match c {
                Ok(text) => text.clone(),
                Err(e) => {
                    failures.push(format!("{row} under {}: {e}", fault.column()));
                    "FAILED".to_owned()
                }
            })
            .collect();
        table.push_str(&format!("| {row} | {} |\n", shown.join(" | ")));
    }
    println!("{table}");
    let file = scratch_dir("fault-table").join("fault-table.md");
    std::fs::write(&file, &table).expect("the table is written");
    assert!(failures.is_empty(), "{}\n\n{table}", failures.join("\n"));
    documented_table_is(&table);
}

/// The reliability page, which holds a copy of the table between these markers.
const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/reliability.md");
const TABLE_START: &str = "<!-- fault-table:start -->\n";
const TABLE_END: &str = "<!-- fault-table:end -->";

/// Checks the documented copy of the table against `table`, wall times aside (they vary from
/// run to run and machine to machine), or, with `OPENAI_FT_UPDATE_DOCS` set, rewrites it.
fn documented_table_is(table: &str) {
    let doc = std::fs::read_to_string(DOC).expect("docs/reliability.md");
    let (before, rest) = doc
        .split_once(TABLE_START)
        .expect("docs/reliability.md has the fault-table markers");
    let (copy, after) = rest.split_once(TABLE_END).expect("the end marker");
    if std::env::var_os("OPENAI_FT_UPDATE_DOCS").is_some() {
        let updated = format!("{before}{TABLE_START}{table}{TABLE_END}{after}");
        std::fs::write(DOC, updated).expect("docs/reliability.md is rewritten");
        return;
    }
    assert_eq!(
        without_times(copy),
        without_times(table),
        "the fault table in docs/reliability.md does not match what the suite saw; run \
         OPENAI_FT_UPDATE_DOCS=1 cargo test -p openai-ft --test integration faults::"
    );
}

/// `table` with each cell's wall time (`, 3.2 s` at its end) left off.
fn without_times(table: &str) -> String {
    let cell = |c: &str| {
        let c = c.trim();
        match c.rsplit_once(", ") {
            Some((facts, time)) if time.ends_with(" s") => facts.to_owned(),
            _ => c.to_owned(),
        }
    };
    table
        .lines()
        .map(|line| line.split('|').map(cell).collect::<Vec<_>>().join("|"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn wall_times_are_left_out_of_the_documented_table_check() {
    assert_eq!(
        without_times("| job create | 1 job, queued, 3.2 s | refused, 0 jobs, 0.1 s |"),
        "|job create|1 job, queued|refused, 0 jobs|"
    );
}
