//! Creating a job: the request checked field by field against the surface's create schema
//! ([`validation`]), the model resolved to its snapshot, Azure's `trainingType` checked against
//! the spellings Microsoft documents for the surface and the tiers the model trains with, and a
//! new job in `validating_files` with its first two events.

use super::billing;
use super::handlers::job_object;
use super::lifecycle::event;
use super::validation::{
    self, check_file, check_integrations, check_metadata, method_of, opt_string, string_len,
};
use crate::config::Config;
use crate::errors::{ApiError, quoted};
use crate::flavor::{Mount, Surface};
use crate::models;
use crate::state::{Job, JobStatus, State};
use serde_json::{Value, json};

pub fn create(
    state: &mut State,
    config: &Config,
    surface: Surface,
    body: &Value,
    now_ms: u64,
) -> Result<Value, ApiError> {
    let body = body.as_object().ok_or_else(ApiError::bad_json)?;
    let known = |k: &str| {
        surface.takes_create_field(k) || (k == "trainingType" && surface.training_types().is_some())
    };
    if let Some(k) = body.keys().find(|k| !known(k)) {
        return Err(ApiError::unknown_argument(k));
    }
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
        string_len(s, "suffix", 1, surface.max_suffix())?;
        if !s.chars().all(|c| surface.suffix_allows(c)) {
            return Err(ApiError::invalid(
                Some("suffix"),
                format!(
                    "Invalid 'suffix': '{s}'. The suffix can contain up to 40 characters (a-z, A-Z, 0-9, - and _)."
                ),
            ));
        }
    }
    let seed = validation::seed(body.get("seed"), &mut state.rng)?;
    let metadata = check_metadata(body.get("metadata"))?.filter(|_| surface.keeps_metadata(config));
    let training_type =
        training_type(surface, config, resolved.snapshot, body.get("trainingType"))?;
    let integrations = check_integrations(body.get("integrations"))?;
    let (method, method_echo, hyper) = method_of(surface, body, examples)?;
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
    let obj = job_object(&job, surface, config);
    state.jobs.push(job);
    Ok(obj)
}

/// The canonical tiers, in the order of every surface's list of spellings, and the names Azure's
/// refusals give them.
const TIERS: [&str; 3] = ["standard", "globalstandard", "developer"];
const TIER_NAMES: [&str; 3] = ["Standard", "GlobalStandard", "Developer"];

/// Checks `trainingType` on a surface that has it: one of the spellings Microsoft documents for
/// the surface (exactly as written there), and a tier the model trains with when
/// `Config::training_types` lists the model; an absent one is refused for a listed model that
/// needs it, in the words Azure answers with (`Standard TrainingType is not supported`). Returns
/// the canonical tier.
fn training_type(
    surface: Surface,
    config: &Config,
    model: &str,
    given: Option<&Value>,
) -> Result<Option<String>, ApiError> {
    let Some(spellings) = surface.training_types() else {
        return Ok(None);
    };
    let tier = match given {
        None | Some(Value::Null) => None,
        Some(v) => {
            let i = v
                .as_str()
                .and_then(|s| spellings.iter().position(|t| *t == s))
                .ok_or_else(|| {
                    ApiError::invalid(
                        Some("trainingType"),
                        format!(
                            "Invalid value for 'trainingType': {v}. Supported values are: {}.",
                            quoted(spellings)
                        ),
                    )
                    .with_code("invalid_value")
                })?;
            Some(i)
        }
    };
    let Some(allowed) = config.training_types.get(model) else {
        return Ok(tier.map(|i| TIERS[i].to_string()));
    };
    let supported: Vec<&str> = TIERS
        .iter()
        .zip(spellings)
        .filter(|(t, _)| allowed.iter().any(|a| a == *t))
        .map(|(_, s)| *s)
        .collect();
    let refuse = |named: &str| {
        Err(ApiError::invalid(
            Some("trainingType"),
            format!(
                "{named} TrainingType is not supported for model {model}. Supported training types: {}.",
                quoted(&supported)
            ),
        )
        .with_code("invalid_value"))
    };
    match tier {
        Some(i) if allowed.iter().any(|a| a == TIERS[i]) => Ok(Some(TIERS[i].to_string())),
        Some(i) => refuse(TIER_NAMES[i]),
        None if allowed.iter().any(|a| a == "none" || a == "standard") => Ok(None),
        // Azure takes a missing trainingType as Standard, which this model does not offer.
        None => refuse("Standard"),
    }
}
