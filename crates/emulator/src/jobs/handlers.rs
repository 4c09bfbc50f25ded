//! Reading jobs: retrieve, the list (newest first, with metadata filters on OpenAI), events and
//! checkpoints, delete (Azure's dated surface), and the job object as each surface's spec shows it.

use crate::config::{Config, HOSTILE_TEXT};
use crate::errors::ApiError;
use crate::flavor::{Dated, Keep, Surface};
use crate::pagination::{list_body, page};
use crate::query::Query;
use crate::state::{Checkpoint, Event, Job, Method, State};
use serde_json::{Map, Value, json};

/// The job as the surface's spec shows it. OpenAI and v1 send every field of `FineTuningJob`,
/// nulls included (v1's `organization_id` is a string, and its `metadata` and
/// `user_provided_suffix` follow the switches). The dated schemas have no nullable fields, no
/// `metadata` and no `trainingType`: a field without a value is left out, the suffix is `suffix`,
/// and the method is `{type}` (supervised hyperparameters are top-level there) or
/// `{type: dpo, dpo: {hyperparameters}}`; 2024-10-21 has neither `method` nor `integrations`.
pub fn job_object(j: &Job, surface: Surface, config: &Config) -> Value {
    let status = surface.status_name(j.status, config);
    let hostile;
    let j = if config.hostile_text && j.error.is_some() {
        let mut job = j.clone();
        if let Some(Value::String(m)) = job.error.as_mut().and_then(|e| e.get_mut("message")) {
            m.push_str(HOSTILE_TEXT);
        }
        hostile = job;
        &hostile
    } else {
        j
    };
    let Surface::Dated(dated) = surface else {
        let mut v = json!({
            "id": j.id,
            "object": "fine_tuning.job",
            "created_at": j.created_at,
            "model": j.model,
            "organization_id": j.organization_id,
            "status": status,
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
        if surface == Surface::V1
            && config.switches.v1_user_provided_suffix == Keep::Drop
            && let Some(o) = v.as_object_mut()
        {
            o.remove("user_provided_suffix");
        }
        return v;
    };
    let mut o = Map::new();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            o.insert(k.into(), v);
        }
    };
    put("id", json!(j.id));
    put("object", json!("fine_tuning.job"));
    put("created_at", json!(j.created_at));
    put("model", json!(j.model));
    put("status", json!(status));
    put("training_file", json!(j.training_file));
    put("validation_file", json!(j.validation_file));
    put("fine_tuned_model", json!(j.fine_tuned_model));
    put("finished_at", json!(j.finished_at));
    put("estimated_finish", json!(j.estimated_finish));
    put("trained_tokens", json!(j.trained_tokens));
    put("result_files", json!(j.result_files));
    put("hyperparameters", j.hyperparameters.clone());
    put("seed", json!(j.seed));
    put("suffix", json!(j.suffix));
    put("error", dated_error(j.error.as_ref()));
    if dated == Dated::Preview {
        put(
            "integrations",
            j.integrations.clone().unwrap_or(Value::Null),
        );
        put("method", dated_method(j));
    }
    Value::Object(o)
}

/// A failed job's error without the null `param` the dated schema cannot hold.
fn dated_error(error: Option<&Value>) -> Value {
    let Some(Value::Object(e)) = error else {
        return Value::Null;
    };
    Value::Object(
        e.iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// The preview's method: `{type: supervised}`, or DPO with its hyperparameters.
fn dated_method(j: &Job) -> Value {
    match j.method {
        Method::Dpo => json!({
            "type": "dpo",
            "dpo": {"hyperparameters": j.method_echo["dpo"]["hyperparameters"]},
        }),
        m => json!({"type": m.as_str()}),
    }
}

pub(super) fn not_found(id: &str) -> ApiError {
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

pub fn retrieve(
    state: &State,
    config: &Config,
    surface: Surface,
    id: &str,
) -> Result<Value, ApiError> {
    find(state, id).map(|j| job_object(j, surface, config))
}

/// Deletes a job (Azure's dated surface: 204), whatever its status.
pub fn delete(state: &mut State, id: &str) -> Result<(), ApiError> {
    let i = state
        .jobs
        .iter()
        .position(|j| j.id == id)
        .ok_or_else(|| not_found(id))?;
    state.jobs.remove(i);
    Ok(())
}

pub fn list(
    state: &State,
    config: &Config,
    surface: Surface,
    q: &Query,
) -> Result<Value, ApiError> {
    let limit = q.limit(20, 100)?;
    let mut wanted: Vec<(&str, &str)> = Vec::new();
    let mut want_none = false;
    // Azure's list has no metadata filter: the parameters are ignored, so every job is listed.
    let filters = q.0.iter().filter(|_| surface.honours_metadata_filters());
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
            .map(|j| job_object(j, surface, config))
            .collect(),
        has_more,
        false,
    ))
}

pub fn events(
    state: &State,
    config: &Config,
    surface: Surface,
    id: &str,
    q: &Query,
) -> Result<Value, ApiError> {
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
                "level": level(surface, &e.level),
                "message": if config.hostile_text {
                    format!("{}{HOSTILE_TEXT}", e.message)
                } else {
                    e.message.clone()
                },
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

/// An event level as the surface spells it: the dated `LogLevel` says `warning` for OpenAI's `warn`.
fn level(surface: Surface, level: &str) -> String {
    match level {
        "warn" if surface.is_dated() => "warning".into(),
        other => other.into(),
    }
}

pub fn checkpoints(
    state: &State,
    surface: Surface,
    id: &str,
    q: &Query,
) -> Result<Value, ApiError> {
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
        // The dated `FineTuningJobCheckpointList` has no `first_id`/`last_id`.
        !surface.is_dated(),
    ))
}
