//! Creating a job: the request checked field by field ([`validation`]), the model resolved to its
//! snapshot, and a new job in `validating_files` with its first two events.

use super::billing;
use super::handlers::job_object;
use super::lifecycle::event;
use super::validation::{
    self, check_file, check_integrations, check_metadata, method_of, opt_string, string_len,
};
use crate::config::Config;
use crate::errors::ApiError;
use crate::flavor::{Surface, training_type};
use crate::models;
use crate::state::{Job, JobStatus, State};
use serde_json::{Value, json};

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
    let training_file = check_file(state, body.get("training_file"), "training_file")?;
    let examples = training_file.map_or(0, |f| billing::examples(&f.content));
    let training = training_file.map(|f| f.id.clone()).unwrap_or_default();
    let validation =
        check_file(state, body.get("validation_file"), "validation_file")?.map(|f| f.id.clone());
    let suffix = opt_string(body.get("suffix"), "suffix")?.map(str::to_string);
    if let Some(s) = &suffix {
        string_len(s, "suffix", 1, config.flavor.max_suffix())?;
    }
    let seed = validation::seed(body.get("seed"), &mut state.rng)?;
    let metadata = check_metadata(body.get("metadata"))?.filter(|_| config.flavor.keeps_metadata());
    let training_type = match body.get("trainingType") {
        Some(v) if config.flavor.is_azure() && !v.is_null() => Some(training_type(v)?),
        _ => None,
    };
    let integrations = check_integrations(body.get("integrations"))?;
    let (method, method_echo, hyper) = method_of(body, examples)?;
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
