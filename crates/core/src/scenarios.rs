//! One table of API scenarios that both models of the API under test run: the core's in-memory
//! fake (`testing.rs`, in the core's unit tests) and the spec-checked emulator (in its tests, on
//! a manual clock). Each scenario is a few requests and what their answers must hold; a fake that
//! answers differently from the emulator for any of them fails the core's tests, so the fake the
//! unit tests trust cannot drift from the emulator the spec checks. The table covers what the
//! core relies on: ids, statuses and echoes of a create, list order and paging, filters, a create
//! lost on the way back being there afterwards, a refused one not being there, grants, and 404s.
//!
//! Test support only (the `scenarios` feature, or the core's own tests): no I/O, no product code.

use serde_json::{Value, json};

/// The snapshot every scenario trains (the fake echoes `model`; the emulator resolves aliases).
pub const MODEL: &str = "gpt-4o-mini-2024-07-18";

/// The training file every upload carries: four supervised examples.
pub const TRAINING_FILE: &str = concat!(
    r#"{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}"#,
    "\n",
    r#"{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}"#,
    "\n",
    r#"{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}"#,
    "\n",
    r#"{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}"#,
    "\n",
);

/// A request body.
#[derive(Debug, Clone)]
pub enum Body {
    None,
    Json(Value),
    /// A multipart upload of [`TRAINING_FILE`] under this name, purpose `fine-tune`.
    Upload(&'static str),
}

/// One request, below the API base (`/fine_tuning/jobs`, no `/v1`), with the admin key on
/// permission paths and the project key elsewhere.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: &'static str,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Body,
}

impl Call {
    /// Whether the call needs the admin key (checkpoint permissions).
    pub fn admin(&self) -> bool {
        self.path.contains("/permissions")
    }
}

/// What came back: an answer, or a connection that closed without one.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Answer(u16, Value),
    Dropped,
}

/// A fault scripted for the next request with a method whose path ends with a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Not applied, answered with this status.
    Status(u16),
    /// Applied, then the connection drops before the answer.
    CommitThenDrop,
}

/// A model of the API the table runs on.
pub trait Server {
    fn call(&mut self, call: &Call) -> Outcome;
    /// Scripts `fault` for the next `method` request whose path ends with `path`.
    fn fault(&mut self, method: &'static str, path: &'static str, fault: Fault);
    /// A supervised job on [`MODEL`] that has succeeded; returns its `fine_tuned_model`.
    fn succeeded_model(&mut self) -> String;
}

/// What an answer must hold; strings may name saved values as `{name}`.
#[derive(Debug, Clone)]
pub enum Check {
    /// The value at a JSON pointer.
    Eq(&'static str, Value),
    /// The string at a JSON pointer starts with this.
    Prefix(&'static str, &'static str),
    /// The `id`s of the array at a JSON pointer, in order, are these saved values.
    Ids(&'static str, Vec<&'static str>),
}

#[derive(Debug, Clone)]
pub enum Step {
    Call {
        call: Call,
        /// The status, or `None` for a dropped connection.
        status: Option<u16>,
        checks: Vec<Check>,
        /// Saves the string at a JSON pointer under a name.
        save: Vec<(&'static str, &'static str)>,
    },
    Fault(&'static str, &'static str, Fault),
    /// Saves a succeeded job's model under a name.
    SucceededModel(&'static str),
}

pub struct Scenario {
    pub name: &'static str,
    pub steps: Vec<Step>,
}

/// Builds a [`Step::Call`].
pub struct StepBuilder {
    call: Call,
    status: Option<u16>,
    checks: Vec<Check>,
    save: Vec<(&'static str, &'static str)>,
}

pub fn call(method: &'static str, path: &str) -> StepBuilder {
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (
            p,
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        ),
        None => (path, Vec::new()),
    };
    StepBuilder {
        call: Call {
            method,
            path: path.to_owned(),
            query,
            body: Body::None,
        },
        status: Some(200),
        checks: Vec::new(),
        save: Vec::new(),
    }
}

impl StepBuilder {
    pub fn json(mut self, body: Value) -> Self {
        self.call.body = Body::Json(body);
        self
    }
    pub fn upload(mut self, filename: &'static str) -> Self {
        self.call.body = Body::Upload(filename);
        self
    }
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }
    pub fn dropped(mut self) -> Self {
        self.status = None;
        self
    }
    pub fn eq(mut self, pointer: &'static str, value: Value) -> Self {
        self.checks.push(Check::Eq(pointer, value));
        self
    }
    pub fn prefix(mut self, pointer: &'static str, prefix: &'static str) -> Self {
        self.checks.push(Check::Prefix(pointer, prefix));
        self
    }
    pub fn ids(mut self, pointer: &'static str, names: &[&'static str]) -> Self {
        self.checks.push(Check::Ids(pointer, names.to_vec()));
        self
    }
    pub fn save(mut self, name: &'static str, pointer: &'static str) -> Self {
        self.save.push((name, pointer));
        self
    }
    pub fn done(self) -> Step {
        Step::Call {
            call: self.call,
            status: self.status,
            checks: self.checks,
            save: self.save,
        }
    }
}

fn upload(name: &'static str) -> Step {
    call("POST", "/files")
        .upload("train.jsonl")
        .eq("/object", json!("file"))
        .eq("/purpose", json!("fine-tune"))
        .eq("/filename", json!("train.jsonl"))
        .eq("/bytes", json!(TRAINING_FILE.len()))
        .prefix("/id", "file-")
        .save(name, "/id")
        .done()
}

fn create_job(name: &'static str, extra: Value) -> Step {
    let mut body = json!({"model": MODEL, "training_file": "{file}"});
    if let (Some(b), Value::Object(e)) = (body.as_object_mut(), extra) {
        b.extend(e);
    }
    call("POST", "/fine_tuning/jobs")
        .json(body)
        .eq("/object", json!("fine_tuning.job"))
        .eq("/status", json!("validating_files"))
        .eq("/model", json!(MODEL))
        .eq("/training_file", json!("{file}"))
        .prefix("/id", "ftjob-")
        .save(name, "/id")
        .done()
}

/// The table.
pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "a job is created once, echoes what the client reads back, and is retrieved",
            steps: vec![
                upload("file"),
                create_job(
                    "job",
                    json!({"suffix": "scenario", "seed": 7, "metadata": {"request": "r1"}}),
                ),
                call("GET", "/fine_tuning/jobs/{job}")
                    .eq("/id", json!("{job}"))
                    .eq("/status", json!("validating_files"))
                    .eq("/user_provided_suffix", json!("scenario"))
                    .eq("/seed", json!(7))
                    .eq("/metadata", json!({"request": "r1"}))
                    .done(),
                call("GET", "/fine_tuning/jobs/ftjob-nosuchjob")
                    .status(404)
                    .eq("/error/type", json!("invalid_request_error"))
                    .done(),
            ],
        },
        Scenario {
            name: "jobs are listed newest first, a page at a time, and filtered by metadata",
            steps: vec![
                upload("file"),
                create_job("a", json!({"metadata": {"request": "r1"}})),
                create_job("b", json!({"metadata": {"request": "r2"}})),
                create_job("c", json!({"metadata": {"request": "r1"}})),
                call("GET", "/fine_tuning/jobs?limit=2")
                    .eq("/object", json!("list"))
                    .ids("/data", &["c", "b"])
                    .eq("/has_more", json!(true))
                    .done(),
                call("GET", "/fine_tuning/jobs?limit=2&after={b}")
                    .ids("/data", &["a"])
                    .eq("/has_more", json!(false))
                    .done(),
                call("GET", "/fine_tuning/jobs?metadata[request]=r1")
                    .ids("/data", &["c", "a"])
                    .done(),
            ],
        },
        Scenario {
            name: "a create lost on the way back is there afterwards; a refused one is not",
            steps: vec![
                upload("file"),
                Step::Fault("POST", "/fine_tuning/jobs", Fault::Status(500)),
                call("POST", "/fine_tuning/jobs")
                    .json(json!({"model": MODEL, "training_file": "{file}"}))
                    .status(500)
                    .eq("/error/type", json!("server_error"))
                    .done(),
                call("GET", "/fine_tuning/jobs").ids("/data", &[]).done(),
                Step::Fault("POST", "/fine_tuning/jobs", Fault::CommitThenDrop),
                call("POST", "/fine_tuning/jobs")
                    .json(json!({"model": MODEL, "training_file": "{file}", "metadata": {"request": "r1"}}))
                    .dropped()
                    .done(),
                call("GET", "/fine_tuning/jobs?metadata[request]=r1")
                    .eq("/data/0/status", json!("validating_files"))
                    .save("lost", "/data/0/id")
                    .ids("/data", &["lost"])
                    .done(),
            ],
        },
        Scenario {
            name: "cancel ends a job once; pause needs a running job",
            steps: vec![
                upload("file"),
                create_job("job", json!({})),
                call("POST", "/fine_tuning/jobs/{job}/pause")
                    .status(400)
                    .eq("/error/type", json!("invalid_request_error"))
                    .done(),
                call("POST", "/fine_tuning/jobs/{job}/cancel")
                    .eq("/id", json!("{job}"))
                    .eq("/status", json!("cancelled"))
                    .done(),
                call("POST", "/fine_tuning/jobs/{job}/cancel")
                    .status(400)
                    .eq("/error/type", json!("invalid_request_error"))
                    .done(),
                call("POST", "/fine_tuning/jobs/ftjob-nosuchjob/cancel")
                    .status(404)
                    .done(),
            ],
        },
        Scenario {
            name: "files are listed newest first, retrieved and deleted",
            steps: vec![
                upload("first"),
                upload("second"),
                call("GET", "/files")
                    .eq("/object", json!("list"))
                    .ids("/data", &["second", "first"])
                    .done(),
                call("GET", "/files/{first}")
                    .eq("/id", json!("{first}"))
                    .eq("/status", json!("processed"))
                    .done(),
                call("DELETE", "/files/{first}")
                    .eq("/id", json!("{first}"))
                    .eq("/object", json!("file"))
                    .eq("/deleted", json!(true))
                    .done(),
                call("GET", "/files/{first}")
                    .status(404)
                    .eq("/error/type", json!("invalid_request_error"))
                    .done(),
                call("GET", "/files").ids("/data", &["second"]).done(),
            ],
        },
        Scenario {
            name: "a checkpoint is granted to a project once, listed, filtered and revoked",
            steps: vec![
                Step::SucceededModel("model"),
                call("POST", "/fine_tuning/checkpoints/{model}/permissions")
                    .json(json!({"project_ids": ["proj_a"]}))
                    .eq("/object", json!("list"))
                    .eq("/data/0/object", json!("checkpoint.permission"))
                    .eq("/data/0/project_id", json!("proj_a"))
                    .prefix("/data/0/id", "cp_")
                    .save("a", "/data/0/id")
                    .done(),
                call("POST", "/fine_tuning/checkpoints/{model}/permissions")
                    .json(json!({"project_ids": ["proj_a"]}))
                    .eq("/data/0/id", json!("{a}"))
                    .done(),
                call("POST", "/fine_tuning/checkpoints/{model}/permissions")
                    .json(json!({"project_ids": ["proj_b"]}))
                    .save("b", "/data/0/id")
                    .done(),
                call("GET", "/fine_tuning/checkpoints/{model}/permissions?order=ascending&limit=1")
                    .ids("/data", &["a"])
                    .eq("/has_more", json!(true))
                    .eq("/first_id", json!("{a}"))
                    .eq("/last_id", json!("{a}"))
                    .done(),
                call("GET", "/fine_tuning/checkpoints/{model}/permissions?order=ascending&after={a}")
                    .ids("/data", &["b"])
                    .eq("/has_more", json!(false))
                    .done(),
                call("GET", "/fine_tuning/checkpoints/{model}/permissions?order=ascending&project_id=proj_b")
                    .ids("/data", &["b"])
                    .done(),
                call("DELETE", "/fine_tuning/checkpoints/{model}/permissions/{a}")
                    .eq("/id", json!("{a}"))
                    .eq("/deleted", json!(true))
                    .done(),
                call("DELETE", "/fine_tuning/checkpoints/{model}/permissions/{a}")
                    .status(404)
                    .done(),
                call("GET", "/fine_tuning/checkpoints/{model}/permissions?order=ascending")
                    .ids("/data", &["b"])
                    .done(),
            ],
        },
        Scenario {
            name: "an unknown model is a 404",
            steps: vec![
                call("GET", "/models/gpt-nosuchmodel")
                    .status(404)
                    .eq("/error/type", json!("invalid_request_error"))
                    .done(),
            ],
        },
    ]
}

/// Replaces every `{name}` in `s` with its saved value.
fn fill(s: &str, saved: &[(&str, String)]) -> String {
    saved
        .iter()
        .fold(s.to_owned(), |s, (k, v)| s.replace(&format!("{{{k}}}"), v))
}

fn fill_value(v: &Value, saved: &[(&str, String)]) -> Value {
    match v {
        Value::String(s) => Value::String(fill(s, saved)),
        Value::Array(a) => Value::Array(a.iter().map(|x| fill_value(x, saved)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), fill_value(x, saved)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Runs one scenario on `server`; the error names the step and what differed.
pub fn run(scenario: &Scenario, server: &mut impl Server) -> Result<(), String> {
    let mut saved: Vec<(&str, String)> = Vec::new();
    for (n, step) in scenario.steps.iter().enumerate() {
        let at = |what: String| format!("{}: step {}: {what}", scenario.name, n + 1);
        match step {
            Step::Fault(method, path, fault) => server.fault(method, path, *fault),
            Step::SucceededModel(name) => saved.push((name, server.succeeded_model())),
            Step::Call {
                call,
                status,
                checks,
                save,
            } => {
                let call = Call {
                    method: call.method,
                    path: fill(&call.path, &saved),
                    query: call
                        .query
                        .iter()
                        .map(|(k, v)| (k.clone(), fill(v, &saved)))
                        .collect(),
                    body: match &call.body {
                        Body::Json(v) => Body::Json(fill_value(v, &saved)),
                        other => other.clone(),
                    },
                };
                let label = format!("{} {}", call.method, call.path);
                let body = match (server.call(&call), status) {
                    (Outcome::Dropped, None) => continue,
                    (Outcome::Answer(got, body), Some(want)) if got == *want => body,
                    (outcome, want) => {
                        return Err(at(format!("{label}: expected {want:?}, got {outcome:?}")));
                    }
                };
                for (name, pointer) in save {
                    let Some(v) = body.pointer(pointer).and_then(Value::as_str) else {
                        return Err(at(format!("{label}: no string at {pointer} in {body}")));
                    };
                    saved.push((name, v.to_owned()));
                }
                for check in checks {
                    let ok = match check {
                        Check::Eq(pointer, want) => {
                            body.pointer(pointer) == Some(&fill_value(want, &saved))
                        }
                        Check::Prefix(pointer, prefix) => body
                            .pointer(pointer)
                            .and_then(Value::as_str)
                            .is_some_and(|s| s.starts_with(prefix)),
                        Check::Ids(pointer, names) => {
                            let want: Vec<Value> = names
                                .iter()
                                .map(|n| Value::String(fill(&format!("{{{n}}}"), &saved)))
                                .collect();
                            body.pointer(pointer)
                                .and_then(Value::as_array)
                                .map(|items| items.iter().map(|i| i["id"].clone()).collect())
                                == Some(want)
                        }
                    };
                    if !ok {
                        return Err(at(format!("{label}: {check:?} does not hold for {body}")));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Runs every scenario, each on a fresh server from `server`; returns what failed.
pub fn run_all<S: Server>(mut server: impl FnMut() -> S) -> Vec<String> {
    scenarios()
        .iter()
        .filter_map(|s| run(s, &mut server()).err())
        .collect()
}
