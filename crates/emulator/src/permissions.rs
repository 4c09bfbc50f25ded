//! Checkpoint permissions (admin endpoints): grant a fine-tuned model or checkpoint to projects,
//! list the grants (project_id filter, ascending/descending order, cursor), and revoke one.

use crate::errors::ApiError;
use crate::pagination::{list_body, page};
use crate::query::Query;
use crate::state::{JobStatus, Permission, State};
use serde_json::{Value, json};

/// Whether `name` is a checkpoint of some job, or the fine-tuned model of a succeeded job.
fn checkpoint_exists(state: &State, name: &str) -> bool {
    state.jobs.iter().any(|j| {
        j.checkpoints
            .iter()
            .any(|c| c.fine_tuned_model_checkpoint == name)
            || (j.status == JobStatus::Succeeded && j.fine_tuned_model.as_deref() == Some(name))
    })
}

fn require_checkpoint(state: &State, name: &str) -> Result<(), ApiError> {
    if checkpoint_exists(state, name) {
        Ok(())
    } else {
        Err(ApiError::not_found(
            Some("fine_tuned_model_checkpoint"),
            format!("Fine-tuned model checkpoint not found: {name}"),
        )
        .with_code("checkpoint_not_found"))
    }
}

fn permission_object(p: &Permission) -> Value {
    json!({"id": p.id, "object": "checkpoint.permission", "created_at": p.created_at, "project_id": p.project_id})
}

/// Grants each project once; a project that already has a grant gets the existing one back.
pub fn create(
    state: &mut State,
    checkpoint: &str,
    body: &Value,
    now: u64,
) -> Result<Value, ApiError> {
    let obj = body.as_object().ok_or_else(ApiError::bad_json)?;
    if let Some(k) = obj.keys().find(|k| *k != "project_ids") {
        return Err(ApiError::unknown_argument(k));
    }
    let ids = match obj.get("project_ids") {
        None | Some(Value::Null) => return Err(ApiError::missing("project_ids")),
        Some(Value::Array(a)) => a,
        Some(other) => return Err(ApiError::invalid_type("project_ids", "an array", other)),
    };
    if ids.is_empty() {
        return Err(ApiError::invalid(
            Some("project_ids"),
            "Invalid 'project_ids': empty array. Expected an array with minimum length 1, but got an empty array instead.",
        )
        .with_code("empty_array"));
    }
    let mut projects = Vec::new();
    for (i, v) in ids.iter().enumerate() {
        let p = v
            .as_str()
            .ok_or_else(|| ApiError::invalid_type(&format!("project_ids[{i}]"), "a string", v))?;
        if !p.starts_with("proj_") || p.len() <= "proj_".len() {
            return Err(ApiError::invalid(
                Some("project_ids"),
                format!("Invalid project id '{p}': project ids start with 'proj_'."),
            ));
        }
        projects.push(p.to_string());
    }
    require_checkpoint(state, checkpoint)?;
    let mut data = Vec::new();
    for p in projects {
        let existing = state
            .permissions
            .iter()
            .find(|x| x.checkpoint == checkpoint && x.project_id == p);
        let perm = match existing {
            Some(x) => x.clone(),
            None => {
                let perm = Permission {
                    id: state.rng.id("cp_", 24),
                    created_at: now,
                    project_id: p,
                    checkpoint: checkpoint.to_string(),
                };
                state.permissions.push(perm.clone());
                perm
            }
        };
        data.push(permission_object(&perm));
    }
    Ok(list_body(data, false, true))
}

pub fn list(state: &State, checkpoint: &str, q: &Query) -> Result<Value, ApiError> {
    let limit = q.limit(10, 100)?;
    let order = q.choice("order", &["ascending", "descending"], "descending")?;
    require_checkpoint(state, checkpoint)?;
    let mut perms: Vec<&Permission> = state
        .permissions
        .iter()
        .filter(|p| {
            p.checkpoint == checkpoint && q.get("project_id").is_none_or(|id| p.project_id == id)
        })
        .collect();
    // Creation order breaks ties between grants made in the same second.
    if order == "descending" {
        perms.reverse();
    }
    let (items, has_more) = page(perms, |p| p.id.as_str(), q.get("after"), limit);
    Ok(list_body(
        items.into_iter().map(permission_object).collect(),
        has_more,
        true,
    ))
}

pub fn delete(state: &mut State, checkpoint: &str, permission_id: &str) -> Result<Value, ApiError> {
    require_checkpoint(state, checkpoint)?;
    let i = state
        .permissions
        .iter()
        .position(|p| p.id == permission_id && p.checkpoint == checkpoint)
        .ok_or_else(|| {
            ApiError::not_found(
                Some("permission_id"),
                format!("Checkpoint permission not found: {permission_id}"),
            )
        })?;
    state.permissions.remove(i);
    Ok(json!({"id": permission_id, "object": "checkpoint.permission", "deleted": true}))
}
