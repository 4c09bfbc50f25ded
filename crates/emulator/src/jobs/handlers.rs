//! Reading jobs: retrieve, the list (newest first, with metadata filters on OpenAI), events and
//! checkpoints, and the job object as each flavour shows it.

use crate::config::Config;
use crate::errors::ApiError;
use crate::flavor::{Flavor, Surface};
use crate::pagination::{list_body, page};
use crate::query::Query;
use crate::state::{Checkpoint, Event, Job, State};
use serde_json::{Value, json};

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
