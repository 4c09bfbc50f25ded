//! Fine-tuning jobs: create-time validation like the real API, the life cycle on a logical clock
//! (validating_files -> queued -> running -> succeeded, one step per `step_ms`), cancel/pause/resume,
//! and the events and checkpoints a job emits on the way.

use crate::config::Config;
use crate::errors::ApiError;
use crate::flavor::{Flavor, Surface, training_type};
use crate::models;
use crate::pagination::{list_body, page};
use crate::query::Query;
use crate::state::{Checkpoint, Event, FileRec, FileStatus, Job, JobStatus, Method, State};
use serde_json::{Map, Value, json};

const MAX_SEED: i64 = 2_147_483_647;

// ---------- create ----------

/// An "auto"-able hyperparameter: `None` means auto (or absent).
fn auto_int(
    v: Option<&Value>,
    param: &str,
    min: i64,
    max: Option<i64>,
) -> Result<Option<i64>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s == "auto" => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some() => {
            let x = n.as_i64().unwrap_or_default();
            range_int(x, param, min, max).map(Some)
        }
        Some(other) => Err(ApiError::invalid_type(param, "'auto' or an integer", other)),
    }
}

fn range_int(x: i64, param: &str, min: i64, max: Option<i64>) -> Result<i64, ApiError> {
    if x < min {
        return Err(ApiError::invalid(
            Some(param),
            format!("Invalid '{param}': integer below minimum value. Expected a value >= {min}, but got {x} instead."),
        )
        .with_code("integer_below_min_value"));
    }
    if let Some(max) = max.filter(|m| x > *m) {
        return Err(ApiError::invalid(
            Some(param),
            format!("Invalid '{param}': integer above maximum value. Expected a value <= {max}, but got {x} instead."),
        )
        .with_code("integer_above_max_value"));
    }
    Ok(x)
}

/// An "auto"-able number with an exclusive minimum and an inclusive maximum.
fn auto_num(
    v: Option<&Value>,
    param: &str,
    min_excl: f64,
    max: Option<f64>,
) -> Result<Option<f64>, ApiError> {
    let x = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s == "auto" => return Ok(None),
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(other) => return Err(ApiError::invalid_type(param, "'auto' or a number", other)),
    };
    if x.is_nan() || x <= min_excl {
        return Err(ApiError::invalid(
            Some(param),
            format!("Invalid '{param}': decimal below minimum value. Expected a value > {min_excl}, but got {x} instead."),
        )
        .with_code("decimal_below_min_value"));
    }
    if let Some(max) = max.filter(|m| x > *m) {
        return Err(ApiError::invalid(
            Some(param),
            format!("Invalid '{param}': decimal above maximum value. Expected a value <= {max}, but got {x} instead."),
        )
        .with_code("decimal_above_max_value"));
    }
    Ok(Some(x))
}

fn opt_object<'a>(
    v: Option<&'a Value>,
    param: &str,
) -> Result<Option<&'a Map<String, Value>>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(other) => Err(ApiError::invalid_type(param, "an object", other)),
    }
}

fn opt_string<'a>(v: Option<&'a Value>, param: &str) -> Result<Option<&'a str>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ApiError::invalid_type(param, "a string", other)),
    }
}

fn string_len(s: &str, param: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let n = s.chars().count();
    if n < min {
        return Err(ApiError::invalid(
            Some(param),
            format!("Invalid '{param}': string too short. Expected a string with minimum length {min}, but got a string with length {n} instead."),
        )
        .with_code("string_below_min_length"));
    }
    if n > max {
        return Err(ApiError::invalid(
            Some(param),
            format!("Invalid '{param}': string too long. Expected a string with maximum length {max}, but got a string with length {n} instead."),
        )
        .with_code("string_above_max_length"));
    }
    Ok(())
}

/// Resolved hyperparameters: the numbers the job trains with.
struct Hyper {
    n_epochs: u64,
    batch_size: u64,
    echo: Value,
}

fn hyperparameters(
    method: Method,
    hp: Option<&Map<String, Value>>,
    prefix: &str,
) -> Result<Hyper, ApiError> {
    let empty = Map::new();
    let hp = hp.unwrap_or(&empty);
    let p = |name: &str| format!("{prefix}.{name}");
    let allowed: &[&str] = match method {
        Method::Supervised => &["batch_size", "learning_rate_multiplier", "n_epochs"],
        Method::Dpo => &["batch_size", "learning_rate_multiplier", "n_epochs", "beta"],
        Method::Reinforcement => &[
            "batch_size",
            "learning_rate_multiplier",
            "n_epochs",
            "compute_multiplier",
            "eval_interval",
            "eval_samples",
            "reasoning_effort",
        ],
    };
    if let Some(k) = hp.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ApiError::invalid(
            Some(&p(k)),
            format!(
                "Unrecognized hyperparameter '{}' for method '{}'.",
                k,
                method.as_str()
            ),
        ));
    }
    let n_epochs = auto_int(hp.get("n_epochs"), &p("n_epochs"), 1, Some(50))?.unwrap_or(3) as u64;
    let batch_size =
        auto_int(hp.get("batch_size"), &p("batch_size"), 1, Some(256))?.unwrap_or(1) as u64;
    let lr = auto_num(
        hp.get("learning_rate_multiplier"),
        &p("learning_rate_multiplier"),
        0.0,
        None,
    )?
    .unwrap_or(1.8);
    let mut echo =
        json!({"batch_size": batch_size, "learning_rate_multiplier": lr, "n_epochs": n_epochs});
    match method {
        Method::Supervised => {}
        Method::Dpo => {
            echo["beta"] =
                json!(auto_num(hp.get("beta"), &p("beta"), 0.0, Some(2.0))?.unwrap_or(0.1));
        }
        Method::Reinforcement => {
            echo["compute_multiplier"] = json!(
                auto_num(
                    hp.get("compute_multiplier"),
                    &p("compute_multiplier"),
                    0.00001,
                    Some(10.0)
                )?
                .unwrap_or(1.0)
            );
            echo["eval_interval"] = json!(
                auto_int(hp.get("eval_interval"), &p("eval_interval"), 1, None)?.unwrap_or(1)
            );
            echo["eval_samples"] =
                json!(auto_int(hp.get("eval_samples"), &p("eval_samples"), 1, None)?.unwrap_or(1));
            let effort = match hp.get("reasoning_effort") {
                None | Some(Value::Null) => "default".to_string(),
                Some(Value::String(s))
                    if ["default", "low", "medium", "high"].contains(&s.as_str()) =>
                {
                    s.clone()
                }
                Some(other) => {
                    return Err(ApiError::invalid(
                        Some(&p("reasoning_effort")),
                        format!("Invalid value: {other}. Supported values are: 'default', 'low', 'medium', and 'high'."),
                    )
                    .with_code("invalid_value"));
                }
            };
            echo["reasoning_effort"] = json!(effort);
        }
    }
    Ok(Hyper {
        n_epochs,
        batch_size,
        echo,
    })
}

const GRADER_TYPES: &[&str] = &[
    "string_check",
    "text_similarity",
    "python",
    "score_model",
    "multi",
];

fn check_grader(grader: Option<&Value>) -> Result<Value, ApiError> {
    let param = "method.reinforcement.grader";
    let g = match grader {
        None | Some(Value::Null) => return Err(ApiError::missing(param)),
        Some(Value::Object(g)) => g,
        Some(other) => return Err(ApiError::invalid_type(param, "an object", other)),
    };
    match g.get("type").and_then(Value::as_str) {
        Some(t) if GRADER_TYPES.contains(&t) => Ok(Value::Object(g.clone())),
        _ => Err(ApiError::invalid(
            Some(&format!("{param}.type")),
            format!(
                "Invalid grader type. Supported values are: {}.",
                GRADER_TYPES
                    .iter()
                    .map(|t| format!("'{t}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .with_code("invalid_value")),
    }
}

/// The method, its resolved echo, and the resolved hyperparameters.
fn method_of(body: &Map<String, Value>) -> Result<(Method, Value, Hyper), ApiError> {
    let method = opt_object(body.get("method"), "method")?;
    let Some(m) = method else {
        // The deprecated top-level `hyperparameters` means supervised.
        let hp = opt_object(body.get("hyperparameters"), "hyperparameters")?;
        let hyper = hyperparameters(Method::Supervised, hp, "hyperparameters")?;
        let echo = json!({"type": "supervised", "supervised": {"hyperparameters": hyper.echo}});
        return Ok((Method::Supervised, echo, hyper));
    };
    let kind = match m.get("type") {
        None | Some(Value::Null) => return Err(ApiError::missing("method.type")),
        Some(Value::String(s)) => match s.as_str() {
            "supervised" => Method::Supervised,
            "dpo" => Method::Dpo,
            "reinforcement" => Method::Reinforcement,
            _ => {
                return Err(ApiError::invalid(
                    Some("method.type"),
                    format!("Invalid value: '{s}'. Supported values are: 'supervised', 'dpo', and 'reinforcement'."),
                )
                .with_code("invalid_value"));
            }
        },
        Some(other) => return Err(ApiError::invalid_type("method.type", "a string", other)),
    };
    let name = kind.as_str();
    let sub = opt_object(m.get(name), &format!("method.{name}"))?;
    let hp = match sub {
        Some(s) => opt_object(
            s.get("hyperparameters"),
            &format!("method.{name}.hyperparameters"),
        )?,
        None => None,
    };
    let hyper = hyperparameters(kind, hp, &format!("method.{name}.hyperparameters"))?;
    let mut inner = json!({"hyperparameters": hyper.echo});
    if kind == Method::Reinforcement {
        inner["grader"] = check_grader(sub.and_then(|s| s.get("grader")))?;
    }
    let mut echo = json!({"type": name});
    echo[name] = inner;
    Ok((kind, echo, hyper))
}

fn check_metadata(v: Option<&Value>) -> Result<Option<Map<String, Value>>, ApiError> {
    let Some(m) = opt_object(v, "metadata")? else {
        return Ok(None);
    };
    if m.len() > 16 {
        return Err(ApiError::invalid(
            Some("metadata"),
            format!("Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object with {} properties instead.", m.len()),
        )
        .with_code("object_above_max_properties"));
    }
    for (k, v) in m {
        string_len(k, "metadata", 0, 64).map_err(|mut e| {
            e.message = format!(
                "Invalid 'metadata': key '{}...' is longer than 64 characters.",
                k.chars().take(16).collect::<String>()
            );
            e
        })?;
        let s = v
            .as_str()
            .ok_or_else(|| ApiError::invalid_type(&format!("metadata.{k}"), "a string", v))?;
        if s.chars().count() > 512 {
            return Err(ApiError::invalid(
                Some("metadata"),
                format!("Invalid 'metadata.{k}': string too long. Expected a string with maximum length 512, but got a string with length {} instead.", s.chars().count()),
            )
            .with_code("string_above_max_length"));
        }
    }
    Ok(Some(m.clone()))
}

fn check_integrations(v: Option<&Value>) -> Result<Option<Value>, ApiError> {
    let list = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(a)) => a,
        Some(other) => return Err(ApiError::invalid_type("integrations", "an array", other)),
    };
    if list.len() > 5 {
        return Err(ApiError::invalid(
            Some("integrations"),
            format!("Invalid 'integrations': array too long. Expected an array with maximum length 5, but got an array with length {} instead.", list.len()),
        )
        .with_code("array_above_max_length"));
    }
    for (i, it) in list.iter().enumerate() {
        if it.get("type").and_then(Value::as_str) != Some("wandb") {
            return Err(ApiError::invalid(
                Some(&format!("integrations[{i}].type")),
                "Invalid value for integration type. Supported values are: 'wandb'.",
            )
            .with_code("invalid_value"));
        }
        if it
            .get("wandb")
            .and_then(|w| w.get("project"))
            .and_then(Value::as_str)
            .is_none()
        {
            return Err(ApiError::missing(&format!(
                "integrations[{i}].wandb.project"
            )));
        }
    }
    Ok(Some(Value::Array(list.clone())))
}

fn check_file<'a>(
    state: &'a State,
    v: Option<&Value>,
    param: &str,
) -> Result<Option<&'a FileRec>, ApiError> {
    let Some(id) = opt_string(v, param)? else {
        return Ok(None);
    };
    let f = state.file(id).ok_or_else(|| {
        ApiError::invalid(Some(param), format!("Invalid file '{id}': file not found."))
            .with_code("invalid_file")
    })?;
    if f.purpose != "fine-tune" {
        return Err(ApiError::invalid(
            Some(param),
            format!("File {id} has purpose '{}'; fine-tuning requires a file uploaded with purpose 'fine-tune'.", f.purpose),
        )
        .with_code("invalid_file"));
    }
    // Only Azure uploads are ever unprocessed: there a job cannot use a file until it is processed.
    match f.status {
        FileStatus::Processed => {}
        FileStatus::Pending | FileStatus::Running => {
            return Err(ApiError::invalid(
                Some(param),
                format!("File {id} is not ready: its status is '{}'. Wait until the file is 'processed' before using it for fine-tuning.", f.status.as_str()),
            )
            .with_code("file_not_ready")
            .classic("unexpectedEntityState"));
        }
        FileStatus::Error => {
            return Err(ApiError::invalid(
                Some(param),
                format!(
                    "File {id} failed processing and cannot be used for fine-tuning: {}",
                    f.status_details.as_deref().unwrap_or("unknown error")
                ),
            )
            .with_code("invalid_file"));
        }
    }
    Ok(Some(f))
}

pub fn create(
    state: &mut State,
    config: &Config,
    body: &Value,
    now_ms: u64,
) -> Result<Value, ApiError> {
    let body = body.as_object().ok_or_else(ApiError::bad_json)?;
    let model_name = match body.get("model") {
        None | Some(Value::Null) => return Err(ApiError::missing("model")),
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(ApiError::invalid_type("model", "a string", other)),
    };
    if matches!(body.get("training_file"), None | Some(Value::Null)) {
        return Err(ApiError::missing("training_file"));
    }
    let resolved = models::resolve(state, &model_name).ok_or_else(|| {
        ApiError::invalid(
            Some("model"),
            format!("Model {model_name} is not available for fine-tuning or does not exist."),
        )
        .with_code("model_not_available")
    })?;
    let training = check_file(state, body.get("training_file"), "training_file")?
        .map(|f| f.id.clone())
        .unwrap_or_default();
    let validation =
        check_file(state, body.get("validation_file"), "validation_file")?.map(|f| f.id.clone());
    let suffix = opt_string(body.get("suffix"), "suffix")?.map(str::to_string);
    if let Some(s) = &suffix {
        string_len(s, "suffix", 1, config.flavor.max_suffix())?;
    }
    let seed = match body.get("seed") {
        None | Some(Value::Null) => state.rng.next() % (MAX_SEED as u64 + 1),
        Some(Value::Number(n)) if n.as_i64().is_some() => {
            range_int(n.as_i64().unwrap_or_default(), "seed", 0, Some(MAX_SEED))? as u64
        }
        Some(other) => return Err(ApiError::invalid_type("seed", "an integer", other)),
    };
    let metadata = check_metadata(body.get("metadata"))?.filter(|_| config.flavor.keeps_metadata());
    let training_type = match body.get("trainingType") {
        Some(v) if config.flavor.is_azure() && !v.is_null() => Some(training_type(v)?),
        _ => None,
    };
    let integrations = check_integrations(body.get("integrations"))?;
    let (method, method_echo, hyper) = method_of(body)?;
    if !resolved.methods.contains(&method) {
        return Err(ApiError::invalid(
            Some("model"),
            format!(
                "Model {} does not support the '{}' fine-tuning method.",
                resolved.model,
                method.as_str()
            ),
        )
        .with_code("invalid_value"));
    }
    let now = now_ms / 1000;
    let (id, model_tag) = config.flavor.job_id(&mut state.rng);
    let mut job = Job {
        id,
        created_at: now,
        model: resolved.model,
        base_snapshot: resolved.snapshot.to_string(),
        organization_id: config.org.clone(),
        training_type,
        status: JobStatus::ValidatingFiles,
        training_file: training.clone(),
        validation_file: validation,
        fine_tuned_model: None,
        finished_at: None,
        estimated_finish: None,
        trained_tokens: None,
        result_files: Vec::new(),
        seed,
        suffix,
        method,
        hyperparameters: json!({
            "batch_size": hyper.batch_size,
            "learning_rate_multiplier": hyper.echo["learning_rate_multiplier"],
            "n_epochs": hyper.n_epochs,
        }),
        method_echo,
        integrations,
        metadata,
        error: None,
        n_epochs: hyper.n_epochs,
        batch_size: hyper.batch_size,
        model_tag,
        epochs_done: 0,
        steps_per_epoch: 1,
        next_step_ms: now_ms + config.step_ms.max(1),
        events: Vec::new(),
        checkpoints: Vec::new(),
    };
    let created = format!("Created fine-tuning job: {}", job.id);
    event(state, &mut job, now, "info", &created);
    event(
        state,
        &mut job,
        now,
        "info",
        &format!("Validating training file: {training}"),
    );
    let obj = job_object(&job, config.flavor);
    state.jobs.push(job);
    Ok(obj)
}

fn event(state: &mut State, job: &mut Job, at: u64, level: &str, message: &str) {
    job.events.push(Event {
        id: state.rng.id("ftevent-", 24),
        created_at: at,
        level: level.to_string(),
        message: message.to_string(),
        kind: "message".to_string(),
        data: json!({}),
    });
}

/// The job as the flavour shows it. Azure v1 reports `organization_id: null`; the classic object
/// has `organisation_id` (sic), `suffix` and `trainingType`, and no `metadata`.
pub fn job_object(j: &Job, flavor: Flavor) -> Value {
    let mut v = json!({
        "id": j.id,
        "object": "fine_tuning.job",
        "created_at": j.created_at,
        "model": j.model,
        "organization_id": j.organization_id,
        "status": flavor.status_name(j.status),
        "training_file": j.training_file,
        "validation_file": j.validation_file,
        "fine_tuned_model": j.fine_tuned_model,
        "finished_at": j.finished_at,
        "estimated_finish": j.estimated_finish,
        "trained_tokens": j.trained_tokens,
        "result_files": j.result_files,
        "hyperparameters": j.hyperparameters,
        "seed": j.seed,
        "method": j.method_echo,
        "integrations": j.integrations,
        "metadata": j.metadata,
        "error": j.error,
        "user_provided_suffix": j.suffix,
    });
    match flavor {
        Flavor::OpenAi => {}
        Flavor::Azure => v["organization_id"] = Value::Null,
        Flavor::AzureClassic => {
            if let Some(o) = v.as_object_mut() {
                for key in ["organization_id", "metadata", "user_provided_suffix"] {
                    o.remove(key);
                }
                o.insert("organisation_id".into(), Value::Null);
                o.insert("suffix".into(), json!(j.suffix));
                o.insert("trainingType".into(), json!(j.training_type));
            }
        }
    }
    v
}

// ---------- training-file validation ----------

/// Number of examples, or the reason the file is not fine-tuning JSONL for `method`.
pub fn validate_training(content: &str, method: Method) -> Result<u64, String> {
    let mut rows = 0;
    for (i, line) in content.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        let v: Value =
            serde_json::from_str(line).map_err(|_| format!("Line {n} is not valid JSON."))?;
        let obj = v
            .as_object()
            .ok_or_else(|| format!("Line {n} is not a JSON object."))?;
        let check = match method {
            Method::Supervised => messages(obj.get("messages"), "messages", true),
            Method::Reinforcement => messages(obj.get("messages"), "messages", false),
            Method::Dpo => messages(
                obj.get("input").and_then(|i| i.get("messages")),
                "input.messages",
                false,
            )
            .and_then(|_| messages(obj.get("preferred_output"), "preferred_output", true))
            .and_then(|_| {
                messages(
                    obj.get("non_preferred_output"),
                    "non_preferred_output",
                    true,
                )
            }),
        };
        check.map_err(|why| format!("Line {n}: {why}"))?;
        rows += 1;
    }
    if rows == 0 {
        return Err("The file contains no examples.".to_string());
    }
    Ok(rows)
}

fn messages(v: Option<&Value>, key: &str, need_assistant: bool) -> Result<(), String> {
    let list = v
        .and_then(Value::as_array)
        .ok_or_else(|| format!("missing or invalid '{key}' (expected a list of messages)."))?;
    if list.is_empty() {
        return Err(format!("'{key}' is empty."));
    }
    for (i, m) in list.iter().enumerate() {
        let role = m.get("role").and_then(Value::as_str).unwrap_or("");
        if ![
            "system",
            "developer",
            "user",
            "assistant",
            "tool",
            "function",
        ]
        .contains(&role)
        {
            return Err(format!("{key}[{i}] has a missing or invalid 'role'."));
        }
        let has_content = matches!(m.get("content"), Some(Value::String(_) | Value::Array(_)))
            || m.get("tool_calls").is_some()
            || m.get("function_call").is_some();
        if !has_content {
            return Err(format!("{key}[{i}] has no 'content'."));
        }
    }
    if need_assistant
        && !list
            .iter()
            .any(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
    {
        return Err(format!("'{key}' contains no assistant message."));
    }
    Ok(())
}

// ---------- the clock ----------

/// Applies every step whose time has come, for every job. Returns whether anything changed.
pub fn advance(state: &mut State, config: &Config, now_ms: u64) -> bool {
    let step = config.step_ms.max(1);
    let mut changed = false;
    let mut jobs = std::mem::take(&mut state.jobs);
    for job in jobs.iter_mut() {
        while is_moving(job.status) && job.next_step_ms <= now_ms {
            let at = job.next_step_ms;
            tick(state, config, job, at);
            job.next_step_ms = at + step;
            changed = true;
        }
    }
    state.jobs = jobs;
    changed
}

fn is_moving(s: JobStatus) -> bool {
    matches!(
        s,
        JobStatus::ValidatingFiles
            | JobStatus::Queued
            | JobStatus::Running
            | JobStatus::Pausing
            | JobStatus::Resuming
    )
}

fn fail(
    state: &mut State,
    job: &mut Job,
    at: u64,
    code: &str,
    message: String,
    param: Option<&str>,
) {
    event(state, job, at, "error", &message);
    job.status = JobStatus::Failed;
    job.finished_at = Some(at);
    job.estimated_finish = None;
    job.error = Some(json!({"code": code, "message": message, "param": param}));
}

/// One logical step of a job's life, happening at wall-clock millisecond `at_ms`.
fn tick(state: &mut State, config: &Config, job: &mut Job, at_ms: u64) {
    let at = at_ms / 1000;
    match job.status {
        JobStatus::ValidatingFiles => {
            let mut files = vec![("training_file", job.training_file.clone())];
            files.extend(job.validation_file.clone().map(|v| ("validation_file", v)));
            let mut rows = 0;
            for (param, id) in files {
                let result = match state.file(&id) {
                    None => Err(format!(
                        "The file {id} was deleted before the job could read it."
                    )),
                    Some(f) => validate_training(&f.content, job.method),
                };
                match result {
                    Ok(n) if param == "training_file" => rows = n,
                    Ok(_) => {}
                    Err(why) => {
                        let msg = format!(
                            "The job failed due to an invalid {}. {why}",
                            param.replace('_', " ")
                        );
                        return fail(state, job, at, "invalid_training_file", msg, Some(param));
                    }
                }
            }
            job.steps_per_epoch = rows.div_ceil(job.batch_size).max(1);
            job.status = JobStatus::Queued;
            event(
                state,
                job,
                at,
                "info",
                "Files validated, moving job to queued state",
            );
        }
        JobStatus::Pausing => {
            job.status = JobStatus::Paused;
            event(state, job, at, "info", "Fine-tuning job paused");
        }
        JobStatus::Queued | JobStatus::Resuming => {
            job.status = JobStatus::Running;
            let remaining = (job.n_epochs - job.epochs_done + 1) * config.step_ms.max(1);
            job.estimated_finish = Some((at_ms + remaining).div_ceil(1000));
            event(state, job, at, "info", "Fine-tuning job started");
        }
        JobStatus::Running if job.epochs_done < job.n_epochs => {
            job.epochs_done += 1;
            let e = job.epochs_done as f64;
            let step = job.epochs_done * job.steps_per_epoch;
            let total = job.n_epochs * job.steps_per_epoch;
            let loss = round4(1.6 / (e + 0.5));
            let acc = round4((0.55 + 0.1 * e).min(0.99));
            let mut data = json!({"step": step, "train_loss": loss, "train_mean_token_accuracy": acc, "total_steps": total});
            let mut metrics =
                json!({"step": step, "train_loss": loss, "train_mean_token_accuracy": acc});
            if job.validation_file.is_some() {
                let vloss = round4(loss * 1.1);
                let vacc = round4(acc * 0.95);
                data["valid_loss"] = json!(vloss);
                data["valid_mean_token_accuracy"] = json!(vacc);
                for (k, v) in [
                    ("valid_loss", vloss),
                    ("valid_mean_token_accuracy", vacc),
                    ("full_valid_loss", vloss),
                    ("full_valid_mean_token_accuracy", vacc),
                ] {
                    metrics[k] = json!(v);
                }
            }
            job.events.push(Event {
                id: state.rng.id("ftevent-", 24),
                created_at: at,
                level: "info".to_string(),
                message: format!("Step {step}/{total}: training loss={loss:.4}"),
                kind: "metrics".to_string(),
                data,
            });
            let name = format!("{}:ckpt-step-{step}", model_name(job, config));
            job.checkpoints.push(Checkpoint {
                id: state.rng.id("ftckpt_", 24),
                created_at: at,
                fine_tuned_model_checkpoint: name,
                step_number: step,
                metrics,
            });
            event(
                state,
                job,
                at,
                "info",
                &format!("Checkpoint created at step {step}"),
            );
        }
        JobStatus::Running => {
            let model = model_name(job, config);
            let csv = job.checkpoints.iter().fold(
                String::from("step,train_loss,train_accuracy\n"),
                |mut acc, c| {
                    acc.push_str(&format!(
                        "{},{},{}\n",
                        c.step_number,
                        c.metrics["train_loss"],
                        c.metrics["train_mean_token_accuracy"]
                    ));
                    acc
                },
            );
            let result = FileRec {
                id: state.rng.id("file-", 22),
                filename: "step_metrics.csv".to_string(),
                purpose: "fine-tune-results".to_string(),
                bytes: csv.len() as u64,
                created_at: at,
                expires_at: None,
                content: csv,
                status: crate::state::FileStatus::Processed,
                status_details: None,
                uploaded_ms: at_ms,
            };
            job.result_files = vec![result.id.clone()];
            state.files.push(result);
            let bytes = state.file(&job.training_file).map_or(0, |f| f.bytes);
            job.trained_tokens = Some(bytes.div_ceil(4) * job.n_epochs);
            job.fine_tuned_model = Some(model.clone());
            job.status = JobStatus::Succeeded;
            job.finished_at = Some(at);
            job.estimated_finish = None;
            event(
                state,
                job,
                at,
                "info",
                &format!("New fine-tuned model created: {model}"),
            );
            event(state, job, at, "info", "The job has successfully completed");
        }
        JobStatus::Paused | JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled => {}
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The fine-tuned model name in the flavour's form (see `Flavor::fine_tuned_model`).
fn model_name(job: &Job, config: &Config) -> String {
    config.flavor.fine_tuned_model(
        &job.base_snapshot,
        &config.org,
        job.suffix.as_deref(),
        &job.model_tag,
    )
}

// ---------- read and act ----------

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(
        Some("fine_tuning_job_id"),
        format!("Could not find fine tune job: {id}"),
    )
    .with_code("fine_tune_not_found")
}

pub fn find<'a>(state: &'a State, id: &str) -> Result<&'a Job, ApiError> {
    state
        .jobs
        .iter()
        .find(|j| j.id == id)
        .ok_or_else(|| not_found(id))
}

pub fn retrieve(state: &State, config: &Config, id: &str) -> Result<Value, ApiError> {
    find(state, id).map(|j| job_object(j, config.flavor))
}

pub fn list(state: &State, config: &Config, q: &Query) -> Result<Value, ApiError> {
    let limit = q.limit(20, 100)?;
    let mut wanted: Vec<(&str, &str)> = Vec::new();
    let mut want_none = false;
    // Azure's list has no metadata filter: the parameters are ignored, so every job is listed.
    let filters =
        q.0.iter()
            .filter(|_| config.flavor.honours_metadata_filters());
    for (k, v) in filters {
        if let Some(key) = k
            .strip_prefix("metadata[")
            .and_then(|r| r.strip_suffix(']'))
        {
            wanted.push((key, v));
        } else if k == "metadata" && v == "null" {
            want_none = true;
        }
    }
    let jobs: Vec<&Job> = state
        .jobs
        .iter()
        .rev()
        .filter(|j| {
            let md = j.metadata.as_ref();
            if want_none {
                return md.is_none_or(|m| m.is_empty());
            }
            wanted
                .iter()
                .all(|(k, v)| md.and_then(|m| m.get(*k)).and_then(Value::as_str) == Some(*v))
        })
        .collect();
    let (items, has_more) = page(jobs, |j| j.id.as_str(), q.get("after"), limit);
    Ok(list_body(
        items
            .into_iter()
            .map(|j| job_object(j, config.flavor))
            .collect(),
        has_more,
        false,
    ))
}

pub fn events(state: &State, id: &str, q: &Query) -> Result<Value, ApiError> {
    let job = find(state, id)?;
    let limit = q.limit(20, 100)?;
    let newest_first: Vec<&Event> = job.events.iter().rev().collect();
    let (items, has_more) = page(newest_first, |e| e.id.as_str(), q.get("after"), limit);
    let data = items
        .into_iter()
        .map(|e| {
            json!({
                "id": e.id,
                "object": "fine_tuning.job.event",
                "created_at": e.created_at,
                "level": e.level,
                "message": e.message,
                "type": e.kind,
                "data": e.data,
            })
        })
        .collect();
    Ok(list_body(data, has_more, false))
}

pub fn checkpoint_object(job_id: &str, c: &Checkpoint) -> Value {
    json!({
        "id": c.id,
        "object": "fine_tuning.job.checkpoint",
        "created_at": c.created_at,
        "fine_tuned_model_checkpoint": c.fine_tuned_model_checkpoint,
        "fine_tuning_job_id": job_id,
        "step_number": c.step_number,
        "metrics": c.metrics,
    })
}

pub fn checkpoints(state: &State, id: &str, q: &Query) -> Result<Value, ApiError> {
    let job = find(state, id)?;
    let limit = q.limit(10, 100)?;
    let newest_first: Vec<&Checkpoint> = job.checkpoints.iter().rev().collect();
    let (items, has_more) = page(newest_first, |c| c.id.as_str(), q.get("after"), limit);
    Ok(list_body(
        items
            .into_iter()
            .map(|c| checkpoint_object(&job.id, c))
            .collect(),
        has_more,
        true,
    ))
}

/// Fails a non-terminal job now, as a server-side training failure would (`/_emulator/jobs/{id}/fail`).
/// Returns `None` for an unknown job and `Some(Err(status))` for a terminal one.
pub fn force_fail(
    state: &mut State,
    config: &Config,
    id: &str,
    code: &str,
    message: &str,
    now_ms: u64,
) -> Option<Result<Value, String>> {
    advance(state, config, now_ms);
    let mut jobs = std::mem::take(&mut state.jobs);
    let result = jobs.iter_mut().find(|j| j.id == id).map(|job| {
        if job.status.is_terminal() {
            return Err(config.flavor.status_name(job.status).to_string());
        }
        fail(state, job, now_ms / 1000, code, message.to_string(), None);
        Ok(job_object(job, config.flavor))
    });
    state.jobs = jobs;
    result
}

/// The actions on an existing job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Cancel,
    Pause,
    Resume,
}

pub fn act(
    state: &mut State,
    config: &Config,
    id: &str,
    action: Action,
    now_ms: u64,
) -> Result<Value, ApiError> {
    let mut jobs = std::mem::take(&mut state.jobs);
    let result = match jobs.iter_mut().find(|j| j.id == id) {
        None => Err(not_found(id)),
        Some(job) => apply(state, config, job, action, now_ms),
    };
    state.jobs = jobs;
    result
}

fn apply(
    state: &mut State,
    config: &Config,
    job: &mut Job,
    action: Action,
    now_ms: u64,
) -> Result<Value, ApiError> {
    let now = now_ms / 1000;
    let status = job.status;
    let flavor = config.flavor;
    let shown = flavor.status_name(status);
    let refuse = |verb: &str, need: &str| {
        Err(ApiError::invalid(
            None,
            format!(
                "Job {} cannot be {verb}: its status is '{shown}', {need}.",
                job.id
            ),
        )
        .classic("unexpectedEntityState"))
    };
    match action {
        Action::Cancel => {
            if status.is_terminal() {
                return Err(ApiError::invalid(
                    None,
                    format!(
                        "Job {} is already {shown}; a job in a terminal state cannot be cancelled.",
                        job.id
                    ),
                )
                .classic("unexpectedEntityState"));
            }
            job.status = JobStatus::Cancelled;
            job.estimated_finish = None;
            event(state, job, now, "info", "Fine-tuning job cancelled");
        }
        Action::Pause => {
            if status != JobStatus::Running {
                return refuse("paused", "and only a running job can be paused");
            }
            job.status = flavor.pause_status();
            job.estimated_finish = None;
            job.next_step_ms = now_ms + config.step_ms.max(1);
            if job.status == JobStatus::Paused {
                event(state, job, now, "info", "Fine-tuning job paused");
            }
        }
        Action::Resume => {
            if status != JobStatus::Paused {
                return refuse("resumed", "and only a paused job can be resumed");
            }
            job.status = flavor.resume_status();
            job.next_step_ms = now_ms + config.step_ms.max(1);
            event(state, job, now, "info", "Fine-tuning job resumed");
        }
    }
    Ok(job_object(job, flavor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_training_rows_per_method() {
        let sft =
            r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]}"#;
        assert_eq!(validate_training(sft, Method::Supervised), Ok(1));
        let no_assistant = r#"{"messages":[{"role":"user","content":"hi"}]}"#;
        assert_eq!(
            validate_training(&format!("{sft}\n{no_assistant}\n"), Method::Supervised),
            Err("Line 2: 'messages' contains no assistant message.".to_string())
        );
        assert_eq!(
            validate_training(sft, Method::Dpo),
            Err(
                "Line 1: missing or invalid 'input.messages' (expected a list of messages)."
                    .to_string()
            )
        );
        assert_eq!(
            validate_training("not json", Method::Supervised),
            Err("Line 1 is not valid JSON.".to_string())
        );
    }
}
