//! The request's plain fields: suffix, metadata, integrations and Azure's training type, each
//! checked against the API's limits, and the JSON helpers every `jsonencode()`d input shares.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::InputError;

/// The API's limit on metadata pairs; the caller's own stamps count against it too.
pub const MAX_METADATA_PAIRS: usize = 16;
const MAX_METADATA_KEY_CHARS: usize = 64;
const MAX_METADATA_VALUE_CHARS: usize = 512;
/// The job object allows at most 5 integrations.
pub const MAX_INTEGRATIONS: usize = 5;
const MAX_SUFFIX_CHARS: usize = 64;

/// A Weights & Biases integration (the only kind the API has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WandbIntegration {
    pub project: String,
    pub name: Option<String>,
    pub entity: Option<String>,
    pub tags: Vec<String>,
}

/// Azure's training tier (`trainingType`), not part of OpenAI's API: where a job trains and
/// what it costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainingType {
    /// Trains in the resource's region (data residency).
    Standard,
    /// Trains wherever Azure has capacity, for less.
    GlobalStandard,
    /// Idle capacity, pre-emptible, cheapest (preview).
    Developer,
}

/// Every name `training_type` takes, lower-cased, with the tier it means: Microsoft's spellings
/// (`Standard`, `GlobalStandard`/`globalstandard`, `Developer`/`developerTier`) and the short
/// names earlier versions took (`global`).
const TRAINING_TYPE_NAMES: &[(&str, TrainingType)] = &[
    ("standard", TrainingType::Standard),
    ("globalstandard", TrainingType::GlobalStandard),
    ("global", TrainingType::GlobalStandard),
    ("developer", TrainingType::Developer),
    ("developertier", TrainingType::Developer),
];

impl TrainingType {
    pub const ALL: [TrainingType; 3] = [
        TrainingType::Standard,
        TrainingType::GlobalStandard,
        TrainingType::Developer,
    ];

    /// The tier as the idempotency key writes it: the short names earlier versions sent, so a
    /// request keeps its key (and finds its job) whichever spelling it is given in.
    pub fn key_name(self) -> &'static str {
        match self {
            TrainingType::Standard => "standard",
            TrainingType::GlobalStandard => "global",
            TrainingType::Developer => "developer",
        }
    }

    /// The tier as Microsoft spells it for an API. The v1 API's docs send `Standard`,
    /// `GlobalStandard` and `Developer` (azure-ai-docs `fine-tuning-oai-sdk.md`, the OpenAI
    /// client on `/openai/v1`); the dated API's send `globalstandard` and `developerTier` with
    /// `api-version=2025-04-01-preview` (`fine-tuning-rest.md`, `fine-tuning-oai-sdk.md`) and
    /// name the regional tier `Standard`. OpenAI-compatible gateways get the v1 spelling.
    pub fn spelled(self, dated: bool) -> &'static str {
        match (self, dated) {
            (TrainingType::Standard, _) => "Standard",
            (TrainingType::GlobalStandard, false) => "GlobalStandard",
            (TrainingType::GlobalStandard, true) => "globalstandard",
            (TrainingType::Developer, false) => "Developer",
            (TrainingType::Developer, true) => "developerTier",
        }
    }

    /// Case-insensitive: Microsoft's own docs spell the tiers several ways.
    pub fn parse(field: &str, raw: &str) -> Result<Self, InputError> {
        let lower = raw.to_ascii_lowercase();
        TRAINING_TYPE_NAMES
            .iter()
            .find(|(name, _)| *name == lower)
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                InputError::invalid(
                    field,
                    raw,
                    "must be one of Standard, GlobalStandard, Developer (also standard, global, \
                     globalstandard, developer, developerTier; any case; Azure OpenAI only: leave \
                     it unset for OpenAI)",
                )
            })
    }
}

/// The suffix becomes part of the model name `ft:<base>:<org>:<suffix>:<id>`, which is split on
/// `:` and used as a URL path segment, so only characters that are safe in both are allowed: the
/// ones base model names themselves use (letters, digits, `-`, `_`, `.`).
pub(super) fn parse_suffix(raw: &str) -> Result<String, InputError> {
    let len = raw.chars().count();
    if len > MAX_SUFFIX_CHARS {
        return Err(InputError::invalid(
            "suffix",
            raw,
            format!("must be 1-{MAX_SUFFIX_CHARS} characters (got {len})"),
        ));
    }
    if !raw
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(InputError::invalid(
            "suffix",
            raw,
            "may only contain letters, digits, \"-\", \"_\" and \".\" (it becomes part of the \
             model name ft:<base>:<org>:<suffix>:<id>)",
        ));
    }
    Ok(raw.to_owned())
}

/// Parses a `jsonencode()`d input. `null` (a Terraform null passed through `jsonencode`) counts as
/// absent.
pub(super) fn parse_json(
    field: &str,
    raw: Option<&str>,
    rule: &str,
) -> Result<Option<Value>, InputError> {
    let Some(raw) = raw else { return Ok(None) };
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Null) => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(_) => Err(InputError::invalid(field, raw, rule)),
    }
}

/// A JSON value as a user would recognise it in an error: strings without their quotes.
pub(super) fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Refuses more than `max` of what `field` holds.
fn at_most(
    field: &str,
    raw: Option<&str>,
    count: usize,
    max: usize,
    what: &str,
) -> Result<(), InputError> {
    if count <= max {
        return Ok(());
    }
    Err(InputError::invalid(
        field,
        raw.unwrap_or(""),
        format!("has {count} {what}; the API allows at most {max}"),
    ))
}

pub(super) fn parse_metadata(raw: Option<&str>) -> Result<BTreeMap<String, String>, InputError> {
    const RULE: &str = "must be a JSON object of string values (jsonencode() a map(string))";
    let map = match parse_json("metadata", raw, RULE)? {
        None => return Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(InputError::invalid("metadata", raw.unwrap_or(""), RULE)),
    };
    at_most("metadata", raw, map.len(), MAX_METADATA_PAIRS, "pairs")?;
    let mut out = BTreeMap::new();
    for (key, value) in map {
        let key_len = key.chars().count();
        if key_len == 0 || key_len > MAX_METADATA_KEY_CHARS {
            return Err(InputError::invalid(
                "metadata key",
                &key,
                format!("must be 1-{MAX_METADATA_KEY_CHARS} characters (got {key_len})"),
            ));
        }
        let field = format!("metadata.{key}");
        let Value::String(value) = value else {
            return Err(InputError::invalid(
                &field,
                &shown(&value),
                "must be a string (metadata values are strings; quote numbers and booleans)",
            ));
        };
        let value_len = value.chars().count();
        if value_len > MAX_METADATA_VALUE_CHARS {
            return Err(InputError::invalid(
                &field,
                &value,
                format!("must be at most {MAX_METADATA_VALUE_CHARS} characters (got {value_len})"),
            ));
        }
        out.insert(key, value);
    }
    Ok(out)
}

pub(super) fn parse_integrations(raw: Option<&str>) -> Result<Vec<WandbIntegration>, InputError> {
    const RULE: &str = "must be a JSON list of {type = \"wandb\", wandb = {project = ...}} objects \
                        (jsonencode() a list)";
    let list = match parse_json("integrations", raw, RULE)? {
        None => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(InputError::invalid("integrations", raw.unwrap_or(""), RULE)),
    };
    at_most("integrations", raw, list.len(), MAX_INTEGRATIONS, "entries")?;
    list.iter()
        .enumerate()
        .map(|(n, item)| parse_integration(&format!("integrations[{n}]"), item))
        .collect()
}

fn parse_integration(field: &str, item: &Value) -> Result<WandbIntegration, InputError> {
    let Value::Object(item) = item else {
        return Err(InputError::invalid(
            field,
            &shown(item),
            "must be an object {type = \"wandb\", wandb = {project = ...}}",
        ));
    };
    refuse_unknown_keys(field, item, &["type", "wandb"])?;
    let type_field = format!("{field}.type");
    match item.get("type") {
        Some(Value::String(s)) if s == "wandb" => {}
        None | Some(Value::Null) => {
            return Err(InputError::missing(
                &type_field,
                "set it to \"wandb\" (the only integration the API has)",
            ));
        }
        Some(other) => {
            return Err(InputError::invalid(
                &type_field,
                &shown(other),
                "must be \"wandb\" (the only integration the API has)",
            ));
        }
    }
    let wandb_field = format!("{field}.wandb");
    let wandb = match item.get("wandb") {
        Some(Value::Object(w)) => w,
        None | Some(Value::Null) => {
            return Err(InputError::missing(
                &wandb_field,
                "set it to {project = \"...\"} (name, entity and tags are optional)",
            ));
        }
        Some(other) => {
            return Err(InputError::invalid(
                &wandb_field,
                &shown(other),
                "must be an object {project = \"...\"} (name, entity and tags are optional)",
            ));
        }
    };
    refuse_unknown_keys(&wandb_field, wandb, &["project", "name", "entity", "tags"])?;
    let project = match optional_string(&wandb_field, wandb, "project")? {
        Some(p) if !p.is_empty() => p,
        _ => {
            return Err(InputError::missing(
                &format!("{wandb_field}.project"),
                "set it to the Weights & Biases project the run logs to",
            ));
        }
    };
    let tags_field = format!("{wandb_field}.tags");
    let tags = match wandb.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(tags)) if tags.iter().all(Value::is_string) => tags
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        Some(other) => {
            return Err(InputError::invalid(
                &tags_field,
                &shown(other),
                "must be a list of strings",
            ));
        }
    };
    Ok(WandbIntegration {
        project,
        name: optional_string(&wandb_field, wandb, "name")?,
        entity: optional_string(&wandb_field, wandb, "entity")?,
        tags,
    })
}

fn optional_string(
    field: &str,
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>, InputError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(InputError::invalid(
            &format!("{field}.{key}"),
            &shown(other),
            "must be a string",
        )),
    }
}

fn refuse_unknown_keys(
    field: &str,
    map: &Map<String, Value>,
    known: &[&str],
) -> Result<(), InputError> {
    match map.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(k) => Err(InputError::invalid(
            &format!("{field}.{k}"),
            &shown(&map[k]),
            format!("unknown key; expected {}", known.join(", ")),
        )),
    }
}
