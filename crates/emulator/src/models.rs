//! The model catalogue: base snapshots the emulator can fine-tune (with their aliases and the
//! methods each supports) plus the fine-tuned models produced by succeeded jobs.

use crate::config::Config;
use crate::errors::ApiError;
use crate::flavor::Flavor;
use crate::state::{JobStatus, Method, State};
use openai_ft_core::time;
use serde_json::{Value, json};

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

/// A model as the flavour shows it. Every flavour sends `shutdown_date` (null unless configured);
/// the classic surface also sends `capabilities` and, for a model with a shutdown date,
/// `deprecation: {fine_tune, inference}` as Unix times of that date (its one retirement date).
fn model_object(
    config: &Config,
    id: &str,
    created: u64,
    owned_by: &str,
    fine_tunable: bool,
    shutdown: Option<&String>,
) -> Value {
    let mut v = json!({
        "id": id,
        "object": "model",
        "created": created,
        "owned_by": owned_by,
        "shutdown_date": shutdown,
    });
    if config.flavor == Flavor::AzureClassic {
        v["capabilities"] = json!({"fine_tune": fine_tunable, "inference": true});
        if let Some(t) = shutdown.and_then(|d| unix_of_date(d)) {
            v["deprecation"] = json!({"fine_tune": t, "inference": t});
        }
    }
    v
}

/// Unix time of midnight UTC on `YYYY-MM-DD` (dates are checked at start).
fn unix_of_date(date: &str) -> Option<i64> {
    time::parse_date(date).map(|days| days * time::DAY as i64)
}

fn all_models(state: &State, config: &Config) -> Vec<Value> {
    let mut out = Vec::new();
    // A snapshot and its alias share one date, and a fine-tuned model shuts down with its base
    // unless it has a date of its own.
    let date = |names: &[&str]| names.iter().find_map(|n| config.model_shutdown.get(*n));
    for b in BASE_MODELS {
        let shutdown = date(&[b.id, b.alias]);
        out.push(model_object(
            config, b.id, b.created, b.owned_by, true, shutdown,
        ));
        out.push(model_object(
            config, b.alias, b.created, b.owned_by, true, shutdown,
        ));
    }
    for (name, job) in live_fine_tuned(state) {
        out.push(model_object(
            config,
            name,
            job.finished_at.unwrap_or(job.created_at),
            &config.org,
            true,
            date(&[name, job.model.as_str()]),
        ));
    }
    out
}

pub fn list(state: &State, config: &Config) -> Value {
    json!({"object": "list", "data": all_models(state, config)})
}

fn not_found(name: &str) -> ApiError {
    ApiError::not_found(Some("model"), format!("The model '{name}' does not exist"))
        .with_code("model_not_found")
}

pub fn retrieve(state: &State, config: &Config, name: &str) -> Result<Value, ApiError> {
    all_models(state, config)
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
