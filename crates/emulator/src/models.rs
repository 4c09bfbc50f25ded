//! The model catalogue: base snapshots the emulator can fine-tune (with their aliases and the
//! methods each supports) plus the fine-tuned models produced by succeeded jobs.

use crate::config::{Config, DEFAULT_INFERENCE_RETIREMENT};
use crate::errors::ApiError;
use crate::flavor::{Dated, Surface};
use crate::state::{JobStatus, Method, State};
use openai_ft_core::time;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A base model snapshot known to the emulator.
pub struct BaseModel {
    pub id: &'static str,
    pub alias: &'static str,
    pub created: u64,
    pub owned_by: &'static str,
    pub methods: &'static [Method],
    /// The tokenizer training counts with.
    pub tokenizer: Tokenizer,
    /// Tokens one training example may hold; longer ones are truncated (and billed at this).
    pub context_limit: u64,
}

/// The two tokenizers of the fine-tunable models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tokenizer {
    O200kBase,
    Cl100kBase,
}

const SFT_DPO: &[Method] = &[Method::Supervised, Method::Dpo];

pub const BASE_MODELS: &[BaseModel] = &[
    BaseModel {
        id: "gpt-4o-mini-2024-07-18",
        alias: "gpt-4o-mini",
        created: 1721172717,
        owned_by: "system",
        methods: SFT_DPO,
        tokenizer: Tokenizer::O200kBase,
        context_limit: 65_536,
    },
    BaseModel {
        id: "gpt-4o-2024-08-06",
        alias: "gpt-4o",
        created: 1722814719,
        owned_by: "system",
        methods: SFT_DPO,
        tokenizer: Tokenizer::O200kBase,
        context_limit: 65_536,
    },
    BaseModel {
        id: "gpt-4.1-2025-04-14",
        alias: "gpt-4.1",
        created: 1744316542,
        owned_by: "system",
        methods: SFT_DPO,
        tokenizer: Tokenizer::O200kBase,
        context_limit: 65_536,
    },
    BaseModel {
        id: "gpt-4.1-mini-2025-04-14",
        alias: "gpt-4.1-mini",
        created: 1744317547,
        owned_by: "system",
        methods: SFT_DPO,
        tokenizer: Tokenizer::O200kBase,
        context_limit: 65_536,
    },
    BaseModel {
        id: "gpt-4.1-nano-2025-04-14",
        alias: "gpt-4.1-nano",
        created: 1744321025,
        owned_by: "system",
        methods: SFT_DPO,
        tokenizer: Tokenizer::O200kBase,
        context_limit: 65_536,
    },
    BaseModel {
        id: "o4-mini-2025-04-16",
        alias: "o4-mini",
        created: 1744133506,
        owned_by: "system",
        methods: &[Method::Reinforcement],
        tokenizer: Tokenizer::O200kBase,
        context_limit: 200_000,
    },
    BaseModel {
        id: "gpt-3.5-turbo-0125",
        alias: "gpt-3.5-turbo",
        created: 1706048358,
        owned_by: "system",
        methods: &[Method::Supervised],
        tokenizer: Tokenizer::Cl100kBase,
        context_limit: 16_385,
    },
];

/// What a `model` argument of a job resolves to.
pub struct Resolved {
    /// The name the job reports in `model`.
    pub model: String,
    /// The underlying base snapshot, used in fine-tuned model names.
    pub snapshot: &'static str,
    pub methods: &'static [Method],
}

pub fn base(name: &str) -> Option<&'static BaseModel> {
    BASE_MODELS.iter().find(|m| m.id == name || m.alias == name)
}

/// Resolves an alias to its snapshot, or a live fine-tuned model to itself.
pub fn resolve(state: &State, name: &str) -> Option<Resolved> {
    if let Some(b) = base(name) {
        return Some(Resolved {
            model: b.id.to_string(),
            snapshot: b.id,
            methods: b.methods,
        });
    }
    let job = live_fine_tuned(state).find(|(model, _)| *model == name)?.1;
    let b = base(&job.base_snapshot)?;
    Some(Resolved {
        model: name.to_string(),
        snapshot: b.id,
        methods: b.methods,
    })
}

fn live_fine_tuned(state: &State) -> impl Iterator<Item = (&str, &crate::state::Job)> {
    state.jobs.iter().filter_map(move |j| {
        let name = j.fine_tuned_model.as_deref()?;
        (j.status == JobStatus::Succeeded && !state.deleted_models.iter().any(|d| d == name))
            .then_some((name, j))
    })
}

/// What a model entry is made of, before a surface shapes it.
struct Entry<'a> {
    id: &'a str,
    created: u64,
    owned_by: &'a str,
    /// For a fine-tuned model: its base snapshot and the job that made it.
    tuned: Option<(&'a str, &'a str)>,
    /// The names whose configured dates apply, most specific first (a snapshot and its alias
    /// share theirs, and a fine-tuned model falls back on its base's).
    names: Vec<&'a str>,
}

/// A model as the surface's spec shows it. OpenAI: `Model` plus `shutdown_date` (null unless
/// configured). v1: OpenAI's `Model` (`id`, `created`, `object`, `owned_by`), plus Azure's
/// `lifecycle_status` and `deprecation` only when the `v1_model_dates` switch says so. Dated:
/// its own `Model`: `capabilities`, `lifecycle_status` and `deprecation` (required, with
/// `inference` required inside; `fine_tune` when configured), `status`, `created_at`, and for a
/// fine-tuned model its base `model` and its job as `fine_tune`.
fn model_object(config: &Config, surface: Surface, e: &Entry) -> Value {
    let date =
        |dates: &BTreeMap<String, String>| e.names.iter().find_map(|n| dates.get(*n)).cloned();
    if surface == Surface::OpenAi {
        return json!({
            "id": e.id,
            "object": "model",
            "created": e.created,
            "owned_by": e.owned_by,
            "shutdown_date": date(&config.model_shutdown),
        });
    }
    let inference = date(&config.inference_retirement)
        .unwrap_or_else(|| DEFAULT_INFERENCE_RETIREMENT.to_string());
    let mut deprecation = json!({"inference": unix_of_date(&inference)});
    if let Some(d) = date(&config.fine_tune_retirement) {
        deprecation["fine_tune"] = json!(unix_of_date(&d));
    }
    let lifecycle = date(&config.lifecycle_status).unwrap_or_else(|| "generally-available".into());
    // 2024-10-21's LifeCycleStatus knows only these two.
    let lifecycle = match (surface, lifecycle.as_str()) {
        (Surface::Dated(Dated::Ga), "deprecating" | "deprecated") => "generally-available".into(),
        _ => lifecycle,
    };
    let Surface::Dated(_) = surface else {
        let mut v = json!({
            "id": e.id,
            "object": "model",
            "created": e.created,
            "owned_by": e.owned_by,
        });
        if config.switches.v1_model_dates {
            v["lifecycle_status"] = json!(lifecycle);
            v["deprecation"] = deprecation;
        }
        return v;
    };
    let mut v = json!({
        "id": e.id,
        "object": "model",
        "created_at": e.created,
        "status": "succeeded",
        "capabilities": {
            "fine_tune": true,
            "inference": true,
            "completion": false,
            "chat_completion": true,
            "embeddings": false,
        },
        "lifecycle_status": lifecycle,
        "deprecation": deprecation,
    });
    if let Some((base, job)) = e.tuned {
        v["model"] = json!(base);
        v["fine_tune"] = json!(job);
    }
    v
}

/// Unix time of midnight UTC on `YYYY-MM-DD` (dates are checked at start).
fn unix_of_date(date: &str) -> Option<i64> {
    time::parse_date(date).map(|days| days * time::DAY as i64)
}

fn all_models(state: &State, config: &Config, surface: Surface) -> Vec<Value> {
    let mut out = Vec::new();
    for b in BASE_MODELS {
        for id in [b.id, b.alias] {
            out.push(model_object(
                config,
                surface,
                &Entry {
                    id,
                    created: b.created,
                    owned_by: b.owned_by,
                    tuned: None,
                    names: vec![b.id, b.alias],
                },
            ));
        }
    }
    for (name, job) in live_fine_tuned(state) {
        out.push(model_object(
            config,
            surface,
            &Entry {
                id: name,
                created: job.finished_at.unwrap_or(job.created_at),
                owned_by: &config.org,
                tuned: Some((&job.base_snapshot, &job.id)),
                names: vec![name, job.model.as_str(), job.base_snapshot.as_str()],
            },
        ));
    }
    out
}

pub fn list(state: &State, config: &Config, surface: Surface) -> Value {
    json!({"object": "list", "data": all_models(state, config, surface)})
}

fn not_found(name: &str) -> ApiError {
    ApiError::not_found(Some("model"), format!("The model '{name}' does not exist"))
        .with_code("model_not_found")
}

pub fn retrieve(
    state: &State,
    config: &Config,
    surface: Surface,
    name: &str,
) -> Result<Value, ApiError> {
    all_models(state, config, surface)
        .into_iter()
        .find(|m| m["id"] == name)
        .ok_or_else(|| not_found(name))
}

/// Deletes a fine-tuned model; base models belong to OpenAI and cannot be deleted.
pub fn delete(state: &mut State, name: &str) -> Result<Value, ApiError> {
    if base(name).is_some() {
        return Err(ApiError::new(
            403,
            "invalid_request_error",
            format!(
                "You do not have permission to delete the model '{name}': only fine-tuned models owned by your organization can be deleted."
            ),
        ));
    }
    if !live_fine_tuned(state).any(|(m, _)| m == name) {
        return Err(not_found(name));
    }
    state.deleted_models.push(name.to_string());
    Ok(json!({"id": name, "object": "model", "deleted": true}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_dates_to_unix_times() {
        assert_eq!(unix_of_date("1970-01-01"), Some(0));
        assert_eq!(unix_of_date("2027-03-31"), Some(1_806_451_200));
        assert_eq!(unix_of_date("2024-02-29"), Some(1_709_164_800));
    }
}
