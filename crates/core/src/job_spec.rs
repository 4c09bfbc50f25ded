//! The create-job request (`POST /fine_tuning/jobs`): parsed from the flat input map and checked at
//! the edge, so that every refusal names the field, the value and the rule before anything is sent,
//! and turned into the request body and a stable idempotency key.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::error::InputError;
use crate::input::Input;

/// Every input key [`JobSpec::parse`] reads. The caller refuses other keys with [`Input::only`]
/// (together with its own keys), so a typo is an error rather than an ignored setting.
pub const JOB_SPEC_KEYS: &[&str] = &[
    "model",
    "training_file",
    "validation_file",
    "suffix",
    "training_method",
    "hyperparameters",
    "grader",
    "seed",
    "metadata",
    "integrations",
    "training_type",
];

/// The API's limit on metadata pairs; the caller's own stamps count against it too.
pub const MAX_METADATA_PAIRS: usize = 16;
const MAX_METADATA_KEY_CHARS: usize = 64;
const MAX_METADATA_VALUE_CHARS: usize = 512;
/// The job object allows at most 5 integrations.
pub const MAX_INTEGRATIONS: usize = 5;
const MAX_SUFFIX_CHARS: usize = 64;
const MAX_SEED: u64 = 2_147_483_647;

/// The name of a base model (or a fine-tuned model to continue from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelName(String);

impl ModelName {
    /// Any name the API might know is accepted (new snapshots appear all the time), but a name with
    /// whitespace or control characters is never one, and would break the `/models/{model}` path.
    pub fn parse(field: &str, raw: &str) -> Result<Self, InputError> {
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InputError::invalid(
                field,
                raw,
                "model names contain no spaces or control characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The id of an uploaded file, `file-...` (OpenAI and Azure alike).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileId(String);

impl FileId {
    /// Refuses anything else, most often a local path or a file name, which the API would only
    /// refuse later with a less helpful message.
    pub fn parse(field: &str, raw: &str) -> Result<Self, InputError> {
        let ok = raw.strip_prefix("file-").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
        if !ok {
            return Err(InputError::invalid(
                field,
                raw,
                "must be the id of an uploaded file, like \"file-abc123\" (upload the JSONL with \
                 purpose \"fine-tune\" and pass the id the upload returns, not a path or name)",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A hyperparameter value: `"auto"` lets the service choose.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Auto<T> {
    #[default]
    Auto,
    Value(T),
}

/// How the model is trained; it decides the training-file format and which hyperparameters apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrainingMethod {
    #[default]
    Supervised,
    Dpo,
    Reinforcement,
}

impl TrainingMethod {
    pub const ALL: [TrainingMethod; 3] = [
        TrainingMethod::Supervised,
        TrainingMethod::Dpo,
        TrainingMethod::Reinforcement,
    ];

    /// The API's name, as in `method.type`.
    pub fn as_str(self) -> &'static str {
        match self {
            TrainingMethod::Supervised => "supervised",
            TrainingMethod::Dpo => "dpo",
            TrainingMethod::Reinforcement => "reinforcement",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, InputError> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == raw)
            .ok_or_else(|| {
                InputError::invalid(field, raw, "must be one of supervised, dpo, reinforcement")
            })
    }
}

impl fmt::Display for TrainingMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reinforcement `reasoning_effort`; not `"auto"`-able, the service default is `default`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReasoningEffort {
    #[default]
    Default,
    Low,
    Medium,
    High,
}

impl ReasoningEffort {
    pub fn as_str(self) -> &'static str {
        match self {
            ReasoningEffort::Default => "default",
            ReasoningEffort::Low => "low",
            ReasoningEffort::Medium => "medium",
            ReasoningEffort::High => "high",
        }
    }
}

/// Hyperparameters every method shares. `None` means the user did not set it; `Some(Auto)` that
/// they wrote `"auto"`. Both mean the same job, so the idempotency key does not tell them apart,
/// but the request body sends what the user wrote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SupervisedHyperparameters {
    /// Integer 1-256.
    pub batch_size: Option<Auto<u32>>,
    /// Number > 0.
    pub learning_rate_multiplier: Option<Auto<f64>>,
    /// Integer 1-50.
    pub n_epochs: Option<Auto<u32>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DpoHyperparameters {
    pub batch_size: Option<Auto<u32>>,
    pub learning_rate_multiplier: Option<Auto<f64>>,
    pub n_epochs: Option<Auto<u32>>,
    /// Number, 0 < beta <= 2.
    pub beta: Option<Auto<f64>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReinforcementHyperparameters {
    pub batch_size: Option<Auto<u32>>,
    pub learning_rate_multiplier: Option<Auto<f64>>,
    pub n_epochs: Option<Auto<u32>>,
    /// Number, 0.00001 < x <= 10.
    pub compute_multiplier: Option<Auto<f64>>,
    /// Integer >= 1.
    pub eval_interval: Option<Auto<u64>>,
    /// Integer >= 1.
    pub eval_samples: Option<Auto<u64>>,
    pub reasoning_effort: Option<ReasoningEffort>,
}

/// A reinforcement grader: the JSON object the user wrote, checked for its `type` and that type's
/// required fields, otherwise passed through untouched (graders evolve faster than this tool).
#[derive(Debug, Clone, PartialEq)]
pub struct Grader(Map<String, Value>);

impl Grader {
    /// The grader's `type`, e.g. `string_check`.
    pub fn kind(&self) -> &str {
        self.0.get("type").and_then(Value::as_str).unwrap_or("")
    }

    pub fn as_json(&self) -> &Map<String, Value> {
        &self.0
    }
}

/// The training method with its own settings, so a DPO `beta` cannot end up on a supervised job.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    Supervised(SupervisedHyperparameters),
    Dpo(DpoHyperparameters),
    Reinforcement {
        hyperparameters: ReinforcementHyperparameters,
        grader: Grader,
    },
}

impl Method {
    pub fn training_method(&self) -> TrainingMethod {
        match self {
            Method::Supervised(_) => TrainingMethod::Supervised,
            Method::Dpo(_) => TrainingMethod::Dpo,
            Method::Reinforcement { .. } => TrainingMethod::Reinforcement,
        }
    }
}

/// A Weights & Biases integration (the only kind the API has).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WandbIntegration {
    pub project: String,
    pub name: Option<String>,
    pub entity: Option<String>,
    pub tags: Vec<String>,
}

/// Azure's training tier (`trainingType`), not part of OpenAI's API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainingType {
    Standard,
    Global,
    Developer,
}

impl TrainingType {
    pub fn as_str(self) -> &'static str {
        match self {
            TrainingType::Standard => "standard",
            TrainingType::Global => "global",
            TrainingType::Developer => "developer",
        }
    }

    /// Case-insensitive, because Microsoft's own docs spell it several ways.
    pub fn parse(field: &str, raw: &str) -> Result<Self, InputError> {
        match raw.to_ascii_lowercase().as_str() {
            "standard" => Ok(TrainingType::Standard),
            "global" => Ok(TrainingType::Global),
            "developer" => Ok(TrainingType::Developer),
            _ => Err(InputError::invalid(
                field,
                raw,
                "must be one of standard, global, developer (Azure OpenAI only; leave it unset \
                 for OpenAI)",
            )),
        }
    }
}

/// A checked create-job request.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    pub model: ModelName,
    pub training_file: FileId,
    pub validation_file: Option<FileId>,
    pub suffix: Option<String>,
    pub method: Method,
    pub seed: Option<u32>,
    /// Sorted by key; at most [`MAX_METADATA_PAIRS`].
    pub metadata: BTreeMap<String, String>,
    pub integrations: Vec<WandbIntegration>,
    pub training_type: Option<TrainingType>,
}

impl JobSpec {
    /// Reads and checks every key of [`JOB_SPEC_KEYS`]; does not refuse other keys.
    pub fn parse(input: &Input) -> Result<JobSpec, InputError> {
        let model = ModelName::parse(
            "model",
            input.require(
                "model",
                "set it to the base model to fine-tune, e.g. \"gpt-4o-mini-2024-07-18\"",
            )?,
        )?;
        let training_file = FileId::parse(
            "training_file",
            input.require(
                "training_file",
                "set it to the id of the uploaded training file, like \"file-abc123\"",
            )?,
        )?;
        let validation_file = input
            .get("validation_file")
            .map(|raw| FileId::parse("validation_file", raw))
            .transpose()?;
        if let Some(v) = &validation_file
            && *v == training_file
        {
            return Err(InputError::invalid(
                "validation_file",
                v.as_str(),
                "is the training file too; validation data must not repeat the training data \
                 (leave validation_file unset instead)",
            ));
        }
        let suffix = input.get("suffix").map(parse_suffix).transpose()?;
        let training_method = match input.get("training_method") {
            None => TrainingMethod::Supervised,
            Some(raw) => TrainingMethod::parse("training_method", raw)?,
        };
        let mut hp = HyperparameterMap::parse(input.get("hyperparameters"), training_method)?;
        let grader = parse_grader(input.get("grader"), training_method)?;
        let method = match (training_method, grader) {
            (TrainingMethod::Supervised, _) => Method::Supervised(SupervisedHyperparameters {
                batch_size: hp.batch_size()?,
                learning_rate_multiplier: hp.learning_rate_multiplier()?,
                n_epochs: hp.n_epochs()?,
            }),
            (TrainingMethod::Dpo, _) => Method::Dpo(DpoHyperparameters {
                batch_size: hp.batch_size()?,
                learning_rate_multiplier: hp.learning_rate_multiplier()?,
                n_epochs: hp.n_epochs()?,
                beta: hp.number(
                    "beta",
                    |x| x > 0.0 && x <= 2.0,
                    "must be \"auto\" or a number greater than 0 and at most 2",
                )?,
            }),
            (TrainingMethod::Reinforcement, None) => {
                return Err(InputError::missing(
                    "grader",
                    "the reinforcement training method needs a grader (a jsonencode()d grader \
                     object)",
                ));
            }
            (TrainingMethod::Reinforcement, Some(grader)) => Method::Reinforcement {
                hyperparameters: ReinforcementHyperparameters {
                    batch_size: hp.batch_size()?,
                    learning_rate_multiplier: hp.learning_rate_multiplier()?,
                    n_epochs: hp.n_epochs()?,
                    compute_multiplier: hp.number(
                        "compute_multiplier",
                        |x| x > 0.00001 && x <= 10.0,
                        "must be \"auto\" or a number greater than 0.00001 and at most 10",
                    )?,
                    eval_interval: hp.integer("eval_interval", 1, None)?,
                    eval_samples: hp.integer("eval_samples", 1, None)?,
                    reasoning_effort: hp.reasoning_effort()?,
                },
                grader,
            },
        };
        let seed = input
            .integer("seed", 0, MAX_SEED)?
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        let metadata = parse_metadata(input.get("metadata"))?;
        let integrations = parse_integrations(input.get("integrations"))?;
        let training_type = input
            .get("training_type")
            .map(|raw| TrainingType::parse("training_type", raw))
            .transpose()?;
        Ok(JobSpec {
            model,
            training_file,
            validation_file,
            suffix,
            method,
            seed,
            metadata,
            integrations,
            training_type,
        })
    }

    /// Refuses metadata that leaves fewer than `reserved` free pairs, for the caller's own stamps
    /// (its idempotency key), saying how many pairs the user may use.
    pub fn check_metadata_room(&self, reserved: usize) -> Result<(), InputError> {
        let allowed = MAX_METADATA_PAIRS.saturating_sub(reserved);
        if self.metadata.len() <= allowed {
            return Ok(());
        }
        Err(InputError::invalid(
            "metadata",
            &serde_json::to_string(&self.metadata).unwrap_or_default(),
            format!(
                "has {} pairs; you may use at most {allowed} (the API allows {MAX_METADATA_PAIRS} \
                 and openai-ft adds {reserved} of its own)",
                self.metadata.len()
            ),
        ))
    }

    /// The `POST /fine_tuning/jobs` body. Hyperparameters go under `method` (the top-level
    /// `hyperparameters` is deprecated); `extra_metadata` is merged into `metadata` and wins over a
    /// user pair with the same key, since the caller relies on its stamp being there.
    pub fn request_body(&self, extra_metadata: &[(&str, &str)]) -> Value {
        let mut body = self.body(Form::AsWritten);
        if !extra_metadata.is_empty() {
            let mut metadata: Map<String, Value> = self
                .metadata
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect();
            for (k, v) in extra_metadata {
                metadata.insert((*k).to_owned(), Value::from(*v));
            }
            body.insert("metadata".into(), Value::Object(metadata));
        }
        Value::Object(body)
    }

    /// `oaift-` and 32 lowercase hex digits: the first 128 bits of
    /// `sha256("openai-ft job-spec v1\n" + canonical JSON of the normalised request body)`.
    ///
    /// The normalised body is [`request_body`](Self::request_body) without extra metadata, minus
    /// every value that only restates a service default: hyperparameters set to `"auto"`,
    /// `reasoning_effort` `"default"`, an empty `hyperparameters` object and empty wandb `tags`. Its
    /// canonical JSON has no whitespace, object keys sorted by their UTF-8 bytes at every depth
    /// (the grader's too), strings escaped as serde_json does, and numbers written as integers when
    /// they are whole and below 2^53 in size, otherwise in Rust's shortest round-trip decimal form,
    /// so `"3"`, `3` and `3.0` agree. Metadata is part of the key. Changing this form changes every
    /// key; bump the version in the prefix when doing so.
    pub fn idempotency_key(&self) -> String {
        let mut canonical = String::from("openai-ft job-spec v1\n");
        write_canonical(&Value::Object(self.body(Form::Normalised)), &mut canonical);
        let digest = Sha256::digest(canonical.as_bytes());
        let mut key = String::from("oaift-");
        for byte in digest.iter().take(16) {
            key.push_str(&format!("{byte:02x}"));
        }
        key
    }

    fn body(&self, form: Form) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("model".into(), self.model.as_str().into());
        body.insert("training_file".into(), self.training_file.as_str().into());
        if let Some(v) = &self.validation_file {
            body.insert("validation_file".into(), v.as_str().into());
        }
        if let Some(s) = &self.suffix {
            body.insert("suffix".into(), s.as_str().into());
        }
        if let Some(seed) = self.seed {
            body.insert("seed".into(), seed.into());
        }
        body.insert("method".into(), self.method_json(form));
        if !self.metadata.is_empty() {
            let metadata = self
                .metadata
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect();
            body.insert("metadata".into(), Value::Object(metadata));
        }
        if !self.integrations.is_empty() {
            let list = self.integrations.iter().map(integration_json).collect();
            body.insert("integrations".into(), Value::Array(list));
        }
        if let Some(t) = self.training_type {
            body.insert("trainingType".into(), t.as_str().into());
        }
        body
    }

    fn method_json(&self, form: Form) -> Value {
        let mut hp = Map::new();
        let mut grader = None;
        match &self.method {
            Method::Supervised(h) => {
                put_int(&mut hp, form, "batch_size", h.batch_size);
                put_num(
                    &mut hp,
                    form,
                    "learning_rate_multiplier",
                    h.learning_rate_multiplier,
                );
                put_int(&mut hp, form, "n_epochs", h.n_epochs);
            }
            Method::Dpo(h) => {
                put_int(&mut hp, form, "batch_size", h.batch_size);
                put_num(
                    &mut hp,
                    form,
                    "learning_rate_multiplier",
                    h.learning_rate_multiplier,
                );
                put_int(&mut hp, form, "n_epochs", h.n_epochs);
                put_num(&mut hp, form, "beta", h.beta);
            }
            Method::Reinforcement {
                hyperparameters: h,
                grader: g,
            } => {
                put_int(&mut hp, form, "batch_size", h.batch_size);
                put_num(
                    &mut hp,
                    form,
                    "learning_rate_multiplier",
                    h.learning_rate_multiplier,
                );
                put_int(&mut hp, form, "n_epochs", h.n_epochs);
                put_num(&mut hp, form, "compute_multiplier", h.compute_multiplier);
                put_int(&mut hp, form, "eval_interval", h.eval_interval);
                put_int(&mut hp, form, "eval_samples", h.eval_samples);
                match h.reasoning_effort {
                    Some(ReasoningEffort::Default) if form == Form::Normalised => {}
                    Some(e) => {
                        hp.insert("reasoning_effort".into(), e.as_str().into());
                    }
                    None => {}
                }
                grader = Some(Value::Object(g.0.clone()));
            }
        }
        let mut inner = Map::new();
        if !hp.is_empty() {
            inner.insert("hyperparameters".into(), Value::Object(hp));
        }
        if let Some(g) = grader {
            inner.insert("grader".into(), g);
        }
        let kind = self.method.training_method().as_str();
        let mut method = Map::new();
        method.insert("type".into(), kind.into());
        method.insert(kind.into(), Value::Object(inner));
        Value::Object(method)
    }
}

/// Whether a body is for sending or for the idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    AsWritten,
    Normalised,
}

fn put_int<T: Into<Value> + Copy>(
    hp: &mut Map<String, Value>,
    form: Form,
    name: &str,
    v: Option<Auto<T>>,
) {
    match v {
        Some(Auto::Value(n)) => {
            hp.insert(name.into(), n.into());
        }
        Some(Auto::Auto) if form == Form::AsWritten => {
            hp.insert(name.into(), "auto".into());
        }
        _ => {}
    }
}

fn put_num(hp: &mut Map<String, Value>, form: Form, name: &str, v: Option<Auto<f64>>) {
    match v {
        // Parsing refused non-finite numbers, so from_f64 always succeeds.
        Some(Auto::Value(x)) => {
            if let Some(n) = serde_json::Number::from_f64(x) {
                hp.insert(name.into(), Value::Number(n));
            }
        }
        Some(Auto::Auto) if form == Form::AsWritten => {
            hp.insert(name.into(), "auto".into());
        }
        _ => {}
    }
}

fn integration_json(i: &WandbIntegration) -> Value {
    let mut wandb = Map::new();
    wandb.insert("project".into(), i.project.as_str().into());
    if let Some(n) = &i.name {
        wandb.insert("name".into(), n.as_str().into());
    }
    if let Some(e) = &i.entity {
        wandb.insert("entity".into(), e.as_str().into());
    }
    if !i.tags.is_empty() {
        wandb.insert("tags".into(), i.tags.clone().into());
    }
    json!({ "type": "wandb", "wandb": wandb })
}

/// Writes `v` as canonical JSON (see [`JobSpec::idempotency_key`]). Sorting here rather than relying
/// on `serde_json::Map` keeps the key stable even if a feature such as `preserve_order` is enabled
/// somewhere in the build.
fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Null | Value::Bool(_) | Value::String(_) => out.push_str(&v.to_string()),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                let x = n.as_f64().unwrap_or(0.0);
                const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
                if x.fract() == 0.0 && x.abs() < EXACT {
                    out.push_str(&(x as i64).to_string());
                } else {
                    out.push_str(&x.to_string());
                }
            }
        }
        Value::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (n, (k, v)) in entries.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(k.as_str()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
    }
}

/// The suffix becomes part of the model name `ft:<base>:<org>:<suffix>:<id>`, which is split on
/// `:` and used as a URL path segment, so only characters that are safe in both are allowed: the
/// ones base model names themselves use (letters, digits, `-`, `_`, `.`).
fn parse_suffix(raw: &str) -> Result<String, InputError> {
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
fn parse_json(field: &str, raw: Option<&str>, rule: &str) -> Result<Option<Value>, InputError> {
    let Some(raw) = raw else { return Ok(None) };
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Null) => Ok(None),
        Ok(v) => Ok(Some(v)),
        Err(_) => Err(InputError::invalid(field, raw, rule)),
    }
}

/// A JSON value as a user would recognise it in an error: strings without their quotes.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The `hyperparameters` object, emptied as the method's fields are taken from it.
struct HyperparameterMap {
    method: TrainingMethod,
    map: Map<String, Value>,
}

/// Which method takes each hyperparameter, for "only the dpo training method takes beta".
const HYPERPARAMETERS: &[(&str, &[TrainingMethod])] = &[
    ("batch_size", &TrainingMethod::ALL),
    ("learning_rate_multiplier", &TrainingMethod::ALL),
    ("n_epochs", &TrainingMethod::ALL),
    ("beta", &[TrainingMethod::Dpo]),
    ("compute_multiplier", &[TrainingMethod::Reinforcement]),
    ("eval_interval", &[TrainingMethod::Reinforcement]),
    ("eval_samples", &[TrainingMethod::Reinforcement]),
    ("reasoning_effort", &[TrainingMethod::Reinforcement]),
];

impl HyperparameterMap {
    /// Parses the object and refuses names the method does not take, before any value is read, so
    /// a misplaced name is reported as such rather than as a bad value.
    fn parse(raw: Option<&str>, method: TrainingMethod) -> Result<Self, InputError> {
        const RULE: &str = "must be a JSON object of hyperparameter names to \"auto\" or numbers \
                            (jsonencode() a map)";
        let map = match parse_json("hyperparameters", raw, RULE)? {
            None => Map::new(),
            Some(Value::Object(map)) => map,
            Some(_) => {
                return Err(InputError::invalid(
                    "hyperparameters",
                    raw.unwrap_or(""),
                    RULE,
                ));
            }
        };
        for (name, value) in &map {
            let field = format!("hyperparameters.{name}");
            match HYPERPARAMETERS.iter().find(|(n, _)| n == name) {
                Some((_, methods)) if methods.contains(&method) => {}
                // A Terraform object type with optional attributes jsonencode()s every unset one
                // as null, so a null for another method's hyperparameter is not a mistake.
                Some(_) if value.is_null() => {}
                Some((_, methods)) => {
                    let takers: Vec<&str> = methods.iter().map(|m| m.as_str()).collect();
                    return Err(InputError::invalid(
                        &field,
                        &shown(value),
                        format!(
                            "only the {} training method takes {name} (training_method is \
                             \"{method}\")",
                            takers.join(" and ")
                        ),
                    ));
                }
                None => {
                    let known: Vec<&str> = HYPERPARAMETERS
                        .iter()
                        .filter(|(_, methods)| methods.contains(&method))
                        .map(|(n, _)| *n)
                        .collect();
                    return Err(InputError::invalid(
                        &field,
                        &shown(value),
                        format!(
                            "unknown hyperparameter; the {method} training method takes {}",
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(Self { method, map })
    }

    /// The value of `name`, with JSON null treated as unset (Terraform's way of saying "not set").
    fn take(&mut self, name: &str) -> Option<Value> {
        debug_assert!(
            HYPERPARAMETERS
                .iter()
                .any(|(n, m)| *n == name && m.contains(&self.method))
        );
        self.map.remove(name).filter(|v| !v.is_null())
    }

    fn batch_size(&mut self) -> Result<Option<Auto<u32>>, InputError> {
        self.small_integer("batch_size", 256)
    }

    fn n_epochs(&mut self) -> Result<Option<Auto<u32>>, InputError> {
        self.small_integer("n_epochs", 50)
    }

    fn learning_rate_multiplier(&mut self) -> Result<Option<Auto<f64>>, InputError> {
        self.number(
            "learning_rate_multiplier",
            |x| x > 0.0,
            "must be \"auto\" or a number greater than 0",
        )
    }

    fn small_integer(&mut self, name: &str, max: u32) -> Result<Option<Auto<u32>>, InputError> {
        Ok(self
            .integer(name, 1, Some(u64::from(max)))?
            .map(|v| match v {
                Auto::Auto => Auto::Auto,
                // In range, so it fits.
                Auto::Value(n) => Auto::Value(u32::try_from(n).unwrap_or(max)),
            }))
    }

    /// `"auto"`, or an integer given as a JSON number or a numeric string (Terraform's
    /// `map(string)` turns `3` into `"3"`); a whole float such as `3.0` counts as an integer.
    fn integer(
        &mut self,
        name: &str,
        min: u64,
        max: Option<u64>,
    ) -> Result<Option<Auto<u64>>, InputError> {
        let Some(v) = self.take(name) else {
            return Ok(None);
        };
        if v.as_str() == Some("auto") {
            return Ok(Some(Auto::Auto));
        }
        let n = number_text(&v).and_then(|t| parse_whole(&t));
        match n {
            Some(n) if n >= min && max.is_none_or(|max| n <= max) => Ok(Some(Auto::Value(n))),
            _ => {
                let rule = match max {
                    Some(max) => format!("must be \"auto\" or an integer {min}-{max}"),
                    None => format!("must be \"auto\" or an integer of at least {min}"),
                };
                Err(InputError::invalid(
                    &format!("hyperparameters.{name}"),
                    &shown(&v),
                    rule,
                ))
            }
        }
    }

    fn number(
        &mut self,
        name: &str,
        in_range: fn(f64) -> bool,
        rule: &str,
    ) -> Result<Option<Auto<f64>>, InputError> {
        let Some(v) = self.take(name) else {
            return Ok(None);
        };
        if v.as_str() == Some("auto") {
            return Ok(Some(Auto::Auto));
        }
        match number_text(&v).and_then(|t| parse_finite(&t)) {
            Some(x) if in_range(x) => Ok(Some(Auto::Value(x))),
            _ => Err(InputError::invalid(
                &format!("hyperparameters.{name}"),
                &shown(&v),
                rule,
            )),
        }
    }

    fn reasoning_effort(&mut self) -> Result<Option<ReasoningEffort>, InputError> {
        let Some(v) = self.take("reasoning_effort") else {
            return Ok(None);
        };
        let effort = match v.as_str() {
            Some("default") => ReasoningEffort::Default,
            Some("low") => ReasoningEffort::Low,
            Some("medium") => ReasoningEffort::Medium,
            Some("high") => ReasoningEffort::High,
            _ => {
                return Err(InputError::invalid(
                    "hyperparameters.reasoning_effort",
                    &shown(&v),
                    "must be one of default, low, medium, high (it cannot be \"auto\")",
                ));
            }
        };
        Ok(Some(effort))
    }
}

/// The text of a JSON number or string, the two ways a number reaches us.
fn number_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.trim().to_owned()),
        _ => None,
    }
}

/// Rust's float parser also takes "inf" and "NaN", which no hyperparameter can be.
fn parse_finite(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|x| x.is_finite())
}

fn parse_whole(text: &str) -> Option<u64> {
    if let Ok(n) = text.parse::<u64>() {
        return Some(n);
    }
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: beyond it floats skip integers
    parse_finite(text)
        .filter(|x| x.fract() == 0.0 && *x >= 0.0 && *x < EXACT)
        .map(|x| x as u64)
}

const GRADER_TYPES: &str = "string_check, text_similarity, python, score_model, multi";

fn parse_grader(raw: Option<&str>, method: TrainingMethod) -> Result<Option<Grader>, InputError> {
    const RULE: &str = "must be a JSON object (a jsonencode()d grader)";
    let Some(value) = parse_json("grader", raw, RULE)? else {
        return Ok(None);
    };
    if method != TrainingMethod::Reinforcement {
        return Err(InputError::invalid(
            "grader",
            raw.unwrap_or(""),
            format!(
                "only the reinforcement training method takes a grader (training_method is \
                 \"{method}\")"
            ),
        ));
    }
    let Value::Object(map) = value else {
        return Err(InputError::invalid("grader", raw.unwrap_or(""), RULE));
    };
    let kind = match map.get("type") {
        None | Some(Value::Null) => {
            return Err(InputError::missing(
                "grader.type",
                format!("set it to one of {GRADER_TYPES}"),
            ));
        }
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(InputError::invalid(
                "grader.type",
                &shown(other),
                format!("must be one of {GRADER_TYPES}"),
            ));
        }
    };
    // Per type: required fields, and the type each must have ("s" string, "a" list,
    // "o" object or list). Enumerated string fields are checked below.
    let required: &[(&str, char)] = match kind {
        "string_check" => &[
            ("name", 's'),
            ("input", 's'),
            ("reference", 's'),
            ("operation", 's'),
        ],
        "text_similarity" => &[
            ("name", 's'),
            ("input", 's'),
            ("reference", 's'),
            ("evaluation_metric", 's'),
        ],
        "python" => &[("name", 's'), ("source", 's')],
        "score_model" => &[("name", 's'), ("model", 's'), ("input", 'a')],
        // The spec types `graders` as one grader but its example shows a list; accept both.
        "multi" => &[("name", 's'), ("graders", 'o'), ("calculate_output", 's')],
        "label_model" => {
            return Err(InputError::invalid(
                "grader.type",
                kind,
                format!(
                    "a label_model grader can only be used inside a multi grader; a \
                     reinforcement job takes one of {GRADER_TYPES}"
                ),
            ));
        }
        other => {
            return Err(InputError::invalid(
                "grader.type",
                other,
                format!("must be one of {GRADER_TYPES}"),
            ));
        }
    };
    let names: Vec<&str> = required.iter().map(|(n, _)| *n).collect();
    for (name, shape) in required {
        let field = format!("grader.{name}");
        let (ok, what) = match map.get(*name) {
            None | Some(Value::Null) => {
                return Err(InputError::missing(
                    &field,
                    format!("a {kind} grader needs {}", names.join(", ")),
                ));
            }
            Some(Value::String(s)) if *shape == 's' => (!s.is_empty(), "a non-empty string"),
            Some(Value::Array(_)) if *shape == 'a' || *shape == 'o' => (true, ""),
            Some(Value::Object(_)) if *shape == 'o' => (true, ""),
            Some(_) => (
                false,
                match shape {
                    's' => "a non-empty string",
                    'a' => "a list of messages",
                    _ => "a grader object or a list of graders",
                },
            ),
        };
        if !ok {
            return Err(InputError::invalid(
                &field,
                &shown(&map[*name]),
                format!("must be {what}"),
            ));
        }
    }
    let choices: Option<(&str, &[&str])> = match kind {
        "string_check" => Some(("operation", &["eq", "ne", "like", "ilike"])),
        "text_similarity" => Some((
            "evaluation_metric",
            &[
                "cosine",
                "fuzzy_match",
                "bleu",
                "gleu",
                "meteor",
                "rouge_1",
                "rouge_2",
                "rouge_3",
                "rouge_4",
                "rouge_5",
                "rouge_l",
            ],
        )),
        _ => None,
    };
    if let Some((name, allowed)) = choices {
        let value = map.get(name).and_then(Value::as_str).unwrap_or("");
        if !allowed.contains(&value) {
            return Err(InputError::invalid(
                &format!("grader.{name}"),
                value,
                format!("must be one of {}", allowed.join(", ")),
            ));
        }
    }
    Ok(Some(Grader(map)))
}

fn parse_metadata(raw: Option<&str>) -> Result<BTreeMap<String, String>, InputError> {
    const RULE: &str = "must be a JSON object of string values (jsonencode() a map(string))";
    let map = match parse_json("metadata", raw, RULE)? {
        None => return Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(InputError::invalid("metadata", raw.unwrap_or(""), RULE)),
    };
    if map.len() > MAX_METADATA_PAIRS {
        return Err(InputError::invalid(
            "metadata",
            raw.unwrap_or(""),
            format!(
                "has {} pairs; the API allows at most {MAX_METADATA_PAIRS}",
                map.len()
            ),
        ));
    }
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

fn parse_integrations(raw: Option<&str>) -> Result<Vec<WandbIntegration>, InputError> {
    const RULE: &str = "must be a JSON list of {type = \"wandb\", wandb = {project = ...}} objects \
                        (jsonencode() a list)";
    let list = match parse_json("integrations", raw, RULE)? {
        None => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(InputError::invalid("integrations", raw.unwrap_or(""), RULE)),
    };
    if list.len() > MAX_INTEGRATIONS {
        return Err(InputError::invalid(
            "integrations",
            raw.unwrap_or(""),
            format!(
                "has {} entries; the API allows at most {MAX_INTEGRATIONS}",
                list.len()
            ),
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &[(&str, &str)] = &[
        ("model", "gpt-4o-mini-2024-07-18"),
        ("training_file", "file-abc123"),
    ];

    /// The base input with `extra` added (or, for an empty value, a base key removed).
    fn input(extra: &[(&str, &str)]) -> Input {
        let mut map: BTreeMap<String, String> = BASE
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        for (k, v) in extra {
            map.insert((*k).to_owned(), (*v).to_owned());
        }
        Input::new(map)
    }

    fn spec(extra: &[(&str, &str)]) -> JobSpec {
        match JobSpec::parse(&input(extra)) {
            Ok(spec) => spec,
            Err(e) => panic!("{extra:?} refused: {e}"),
        }
    }

    const GRADER: &str = r#"{"type":"string_check","name":"exact","input":"{{sample.output_text}}","reference":"{{item.label}}","operation":"eq"}"#;

    #[test]
    fn every_refusal_names_field_value_and_rule() {
        let rows: &[(&[(&str, &str)], &str)] = &[
            (
                &[("model", "")],
                r#"missing model: set it to the base model to fine-tune, e.g. "gpt-4o-mini-2024-07-18""#,
            ),
            (
                &[("model", "gpt 4o")],
                r#"invalid model "gpt 4o": model names contain no spaces or control characters"#,
            ),
            (
                &[("training_file", "")],
                r#"missing training_file: set it to the id of the uploaded training file, like "file-abc123""#,
            ),
            (
                &[("training_file", "train.jsonl")],
                r#"invalid training_file "train.jsonl": must be the id of an uploaded file, like "file-abc123" (upload the JSONL with purpose "fine-tune" and pass the id the upload returns, not a path or name)"#,
            ),
            (
                &[("training_file", "file-")],
                r#"invalid training_file "file-": must be the id of an uploaded file, like "file-abc123" (upload the JSONL with purpose "fine-tune" and pass the id the upload returns, not a path or name)"#,
            ),
            (
                &[("validation_file", "ftjob-1")],
                r#"invalid validation_file "ftjob-1": must be the id of an uploaded file, like "file-abc123" (upload the JSONL with purpose "fine-tune" and pass the id the upload returns, not a path or name)"#,
            ),
            (
                &[("validation_file", "file-abc123")],
                r#"invalid validation_file "file-abc123": is the training file too; validation data must not repeat the training data (leave validation_file unset instead)"#,
            ),
            (
                &[("suffix", &"s".repeat(65))],
                &*format!(
                    r#"invalid suffix "{}": must be 1-64 characters (got 65)"#,
                    "s".repeat(65)
                ),
            ),
            (
                &[("suffix", "my:model")],
                r#"invalid suffix "my:model": may only contain letters, digits, "-", "_" and "." (it becomes part of the model name ft:<base>:<org>:<suffix>:<id>)"#,
            ),
            (
                &[("suffix", "my model")],
                r#"invalid suffix "my model": may only contain letters, digits, "-", "_" and "." (it becomes part of the model name ft:<base>:<org>:<suffix>:<id>)"#,
            ),
            (
                &[("training_method", "sft")],
                r#"invalid training_method "sft": must be one of supervised, dpo, reinforcement"#,
            ),
            (
                &[("hyperparameters", "n_epochs=3")],
                r#"invalid hyperparameters "n_epochs=3": must be a JSON object of hyperparameter names to "auto" or numbers (jsonencode() a map)"#,
            ),
            (
                &[("hyperparameters", "[3]")],
                r#"invalid hyperparameters "[3]": must be a JSON object of hyperparameter names to "auto" or numbers (jsonencode() a map)"#,
            ),
            (
                &[("hyperparameters", r#"{"n_epochs":"0"}"#)],
                r#"invalid hyperparameters.n_epochs "0": must be "auto" or an integer 1-50"#,
            ),
            (
                &[("hyperparameters", r#"{"n_epochs":51}"#)],
                r#"invalid hyperparameters.n_epochs "51": must be "auto" or an integer 1-50"#,
            ),
            (
                &[("hyperparameters", r#"{"n_epochs":"2.5"}"#)],
                r#"invalid hyperparameters.n_epochs "2.5": must be "auto" or an integer 1-50"#,
            ),
            (
                &[("hyperparameters", r#"{"n_epochs":"AUTO"}"#)],
                r#"invalid hyperparameters.n_epochs "AUTO": must be "auto" or an integer 1-50"#,
            ),
            (
                &[("hyperparameters", r#"{"n_epochs":true}"#)],
                r#"invalid hyperparameters.n_epochs "true": must be "auto" or an integer 1-50"#,
            ),
            (
                &[("hyperparameters", r#"{"batch_size":"257"}"#)],
                r#"invalid hyperparameters.batch_size "257": must be "auto" or an integer 1-256"#,
            ),
            (
                &[("hyperparameters", r#"{"learning_rate_multiplier":"0"}"#)],
                r#"invalid hyperparameters.learning_rate_multiplier "0": must be "auto" or a number greater than 0"#,
            ),
            (
                &[("hyperparameters", r#"{"learning_rate_multiplier":"inf"}"#)],
                r#"invalid hyperparameters.learning_rate_multiplier "inf": must be "auto" or a number greater than 0"#,
            ),
            (
                &[("hyperparameters", r#"{"learning_rate_multiplier":"NaN"}"#)],
                r#"invalid hyperparameters.learning_rate_multiplier "NaN": must be "auto" or a number greater than 0"#,
            ),
            (
                &[("hyperparameters", r#"{"beta":"0.5"}"#)],
                r#"invalid hyperparameters.beta "0.5": only the dpo training method takes beta (training_method is "supervised")"#,
            ),
            (
                &[
                    ("hyperparameters", r#"{"eval_interval":"5"}"#),
                    ("training_method", "dpo"),
                ],
                r#"invalid hyperparameters.eval_interval "5": only the reinforcement training method takes eval_interval (training_method is "dpo")"#,
            ),
            (
                &[("hyperparameters", r#"{"n_epoch":"3"}"#)],
                r#"invalid hyperparameters.n_epoch "3": unknown hyperparameter; the supervised training method takes batch_size, learning_rate_multiplier, n_epochs"#,
            ),
            (
                &[
                    ("hyperparameters", r#"{"beta":"0"}"#),
                    ("training_method", "dpo"),
                ],
                r#"invalid hyperparameters.beta "0": must be "auto" or a number greater than 0 and at most 2"#,
            ),
            (
                &[
                    ("hyperparameters", r#"{"beta":2.5}"#),
                    ("training_method", "dpo"),
                ],
                r#"invalid hyperparameters.beta "2.5": must be "auto" or a number greater than 0 and at most 2"#,
            ),
            (
                &[
                    ("hyperparameters", r#"{"compute_multiplier":"0.00001"}"#),
                    ("training_method", "reinforcement"),
                    ("grader", GRADER),
                ],
                r#"invalid hyperparameters.compute_multiplier "0.00001": must be "auto" or a number greater than 0.00001 and at most 10"#,
            ),
            (
                &[
                    ("hyperparameters", r#"{"compute_multiplier":"11"}"#),
                    ("training_method", "reinforcement"),
                    ("grader", GRADER),
                ],
                r#"invalid hyperparameters.compute_multiplier "11": must be "auto" or a number greater than 0.00001 and at most 10"#,
            ),
            (
                &[
                    ("hyperparameters", r#"{"eval_interval":"0"}"#),
                    ("training_method", "reinforcement"),
                    ("grader", GRADER),
                ],
                r#"invalid hyperparameters.eval_interval "0": must be "auto" or an integer of at least 1"#,
            ),
            (
                &[
                    ("hyperparameters", r#"{"eval_samples":"-1"}"#),
                    ("training_method", "reinforcement"),
                    ("grader", GRADER),
                ],
                r#"invalid hyperparameters.eval_samples "-1": must be "auto" or an integer of at least 1"#,
            ),
            (
                &[
                    ("hyperparameters", r#"{"reasoning_effort":"auto"}"#),
                    ("training_method", "reinforcement"),
                    ("grader", GRADER),
                ],
                r#"invalid hyperparameters.reasoning_effort "auto": must be one of default, low, medium, high (it cannot be "auto")"#,
            ),
            (
                &[("training_method", "reinforcement")],
                r#"missing grader: the reinforcement training method needs a grader (a jsonencode()d grader object)"#,
            ),
            (
                &[("training_method", "reinforcement"), ("grader", "null")],
                r#"missing grader: the reinforcement training method needs a grader (a jsonencode()d grader object)"#,
            ),
            (
                &[("grader", GRADER)],
                &*format!(
                    r#"invalid grader {}: only the reinforcement training method takes a grader (training_method is "supervised")"#,
                    crate::error::quote(GRADER)
                ),
            ),
            (
                &[
                    ("training_method", "reinforcement"),
                    ("grader", "string_check"),
                ],
                r#"invalid grader "string_check": must be a JSON object (a jsonencode()d grader)"#,
            ),
            (
                &[("training_method", "reinforcement"), ("grader", "[]")],
                r#"invalid grader "[]": must be a JSON object (a jsonencode()d grader)"#,
            ),
            (
                &[
                    ("training_method", "reinforcement"),
                    ("grader", r#"{"name":"x"}"#),
                ],
                r#"missing grader.type: set it to one of string_check, text_similarity, python, score_model, multi"#,
            ),
            (
                &[
                    ("training_method", "reinforcement"),
                    ("grader", r#"{"type":"regex"}"#),
                ],
                r#"invalid grader.type "regex": must be one of string_check, text_similarity, python, score_model, multi"#,
            ),
            (
                &[
                    ("training_method", "reinforcement"),
                    ("grader", r#"{"type":"label_model"}"#),
                ],
                r#"invalid grader.type "label_model": a label_model grader can only be used inside a multi grader; a reinforcement job takes one of string_check, text_similarity, python, score_model, multi"#,
            ),
            (
                &[
                    ("training_method", "reinforcement"),
                    (
                        "grader",
                        r#"{"type":"string_check","name":"n","input":"i","reference":"r"}"#,
                    ),
                ],
                r#"missing grader.operation: a string_check grader needs name, input, reference, operation"#,
            ),
            (
                &[
                    ("training_method", "reinforcement"),
                    (
                        "grader",
                        r#"{"type":"string_check","name":"n","input":"i","reference":"r","operation":"contains"}"#,
                    ),
                ],
                r#"invalid grader.operation "contains": must be one of eq, ne, like, ilike"#,
            ),
            (
                &[
                    ("training_method", "reinforcement"),
                    (
                        "grader",
                        r#"{"type":"text_similarity","name":"n","input":"i","reference":"r","evaluation_metric":"rouge"}"#,
                    ),
                ],
                r#"invalid grader.evaluation_metric "rouge": must be one of cosine, fuzzy_match, bleu, gleu, meteor, rouge_1, rouge_2, rouge_3, rouge_4, rouge_5, rouge_l"#,
            ),
            (
                &[
                    ("training_method", "reinforcement"),
                    ("grader", r#"{"type":"python","name":"n"}"#),
                ],
                r#"missing grader.source: a python grader needs name, source"#,
            ),
            (
                &[
                    ("training_method", "reinforcement"),
                    ("grader", r#"{"type":"python","name":"n","source":42}"#),
                ],
                r#"invalid grader.source "42": must be a non-empty string"#,
            ),
            (
                &[
                    ("training_method", "reinforcement"),
                    (
                        "grader",
                        r#"{"type":"score_model","name":"n","model":"gpt-4o","input":"x"}"#,
                    ),
                ],
                r#"invalid grader.input "x": must be a list of messages"#,
            ),
            (
                &[
                    ("training_method", "reinforcement"),
                    (
                        "grader",
                        r#"{"type":"multi","name":"n","graders":"x","calculate_output":"a"}"#,
                    ),
                ],
                r#"invalid grader.graders "x": must be a grader object or a list of graders"#,
            ),
            (
                &[
                    ("training_method", "reinforcement"),
                    (
                        "grader",
                        r#"{"type":"multi","name":"","graders":[],"calculate_output":"a"}"#,
                    ),
                ],
                r#"invalid grader.name "": must be a non-empty string"#,
            ),
            (
                &[("seed", "-1")],
                r#"invalid seed "-1": must be an integer 0-2147483647"#,
            ),
            (
                &[("seed", "2147483648")],
                r#"invalid seed "2147483648": must be an integer 0-2147483647"#,
            ),
            (
                &[("metadata", "team=ml")],
                r#"invalid metadata "team=ml": must be a JSON object of string values (jsonencode() a map(string))"#,
            ),
            (
                &[("metadata", r#"{"n":3}"#)],
                r#"invalid metadata.n "3": must be a string (metadata values are strings; quote numbers and booleans)"#,
            ),
            (
                &[("metadata", &format!(r#"{{"{}":"v"}}"#, "k".repeat(65)))],
                &*format!(
                    r#"invalid metadata key "{}": must be 1-64 characters (got 65)"#,
                    "k".repeat(65)
                ),
            ),
            (
                &[("metadata", r#"{"":"v"}"#)],
                r#"invalid metadata key "": must be 1-64 characters (got 0)"#,
            ),
            (
                &[("metadata", &format!(r#"{{"k":"{}"}}"#, "v".repeat(513)))],
                &*format!(
                    r#"invalid metadata.k "{}...": must be at most 512 characters (got 513)"#,
                    "v".repeat(80)
                ),
            ),
            (
                &[("integrations", r#"{"type":"wandb"}"#)],
                r#"invalid integrations "{\"type\":\"wandb\"}": must be a JSON list of {type = "wandb", wandb = {project = ...}} objects (jsonencode() a list)"#,
            ),
            (
                &[("integrations", r#"["wandb"]"#)],
                r#"invalid integrations[0] "wandb": must be an object {type = "wandb", wandb = {project = ...}}"#,
            ),
            (
                &[("integrations", r#"[{"wandb":{"project":"p"}}]"#)],
                r#"missing integrations[0].type: set it to "wandb" (the only integration the API has)"#,
            ),
            (
                &[(
                    "integrations",
                    r#"[{"type":"mlflow","wandb":{"project":"p"}}]"#,
                )],
                r#"invalid integrations[0].type "mlflow": must be "wandb" (the only integration the API has)"#,
            ),
            (
                &[("integrations", r#"[{"type":"wandb"}]"#)],
                r#"missing integrations[0].wandb: set it to {project = "..."} (name, entity and tags are optional)"#,
            ),
            (
                &[(
                    "integrations",
                    r#"[{"type":"wandb","wandb":{"name":"run"}}]"#,
                )],
                r#"missing integrations[0].wandb.project: set it to the Weights & Biases project the run logs to"#,
            ),
            (
                &[(
                    "integrations",
                    r#"[{"type":"wandb","wandb":{"project":"p","tag":["a"]}}]"#,
                )],
                r#"invalid integrations[0].wandb.tag "[\"a\"]": unknown key; expected project, name, entity, tags"#,
            ),
            (
                &[(
                    "integrations",
                    r#"[{"type":"wandb","wandb":{"project":"p","tags":"a"}}]"#,
                )],
                r#"invalid integrations[0].wandb.tags "a": must be a list of strings"#,
            ),
            (
                &[(
                    "integrations",
                    r#"[{"type":"wandb","wandb":{"project":"p","entity":7}}]"#,
                )],
                r#"invalid integrations[0].wandb.entity "7": must be a string"#,
            ),
            (
                &[(
                    "integrations",
                    r#"[{"type":"wandb","wandb":{"project":"p"},"x":1}]"#,
                )],
                r#"invalid integrations[0].x "1": unknown key; expected type, wandb"#,
            ),
            (
                &[("training_type", "premium")],
                r#"invalid training_type "premium": must be one of standard, global, developer (Azure OpenAI only; leave it unset for OpenAI)"#,
            ),
        ];
        for (extra, want) in rows {
            match JobSpec::parse(&input(extra)) {
                Ok(spec) => panic!("{extra:?} accepted: {spec:?}"),
                Err(e) => assert_eq!(e.to_string(), *want, "input {extra:?}"),
            }
        }
    }

    #[test]
    fn too_many_metadata_pairs_and_integrations_are_refused() {
        let metadata: Map<String, Value> = (0..17)
            .map(|n| (format!("k{n:02}"), Value::from("v")))
            .collect();
        let raw = Value::Object(metadata).to_string();
        let err = JobSpec::parse(&input(&[("metadata", &raw)])).unwrap_err();
        assert_eq!(err.field, "metadata");
        assert_eq!(err.rule, "has 17 pairs; the API allows at most 16");

        let one = r#"{"type":"wandb","wandb":{"project":"p"}}"#;
        let raw = format!("[{}]", [one; 6].join(","));
        let err = JobSpec::parse(&input(&[("integrations", &raw)])).unwrap_err();
        assert_eq!(err.field, "integrations");
        assert_eq!(err.rule, "has 6 entries; the API allows at most 5");
    }

    #[test]
    fn metadata_room_names_how_many_pairs_are_left() {
        let metadata: Map<String, Value> = (0..16)
            .map(|n| (format!("k{n:02}"), Value::from("v")))
            .collect();
        let s = spec(&[("metadata", &Value::Object(metadata).to_string())]);
        assert_eq!(s.check_metadata_room(0), Ok(()));
        let err = s.check_metadata_room(1).unwrap_err();
        assert_eq!(err.field, "metadata");
        assert_eq!(
            err.rule,
            "has 16 pairs; you may use at most 15 (the API allows 16 and openai-ft adds 1 of its own)"
        );
        assert_eq!(
            spec(&[("metadata", r#"{"a":"b"}"#)]).check_metadata_room(1),
            Ok(())
        );
    }

    #[test]
    fn accepted_values_parse_into_typed_fields() {
        let s = spec(&[
            ("suffix", "my-model_v1.2"),
            ("validation_file", "file-XYZ_789"),
            (
                "hyperparameters",
                r#"{"n_epochs":"3","batch_size":8,"learning_rate_multiplier":"0.1"}"#,
            ),
            ("seed", "42"),
            ("training_type", "Global"),
        ]);
        assert_eq!(s.suffix.as_deref(), Some("my-model_v1.2"));
        assert_eq!(
            s.method,
            Method::Supervised(SupervisedHyperparameters {
                batch_size: Some(Auto::Value(8)),
                learning_rate_multiplier: Some(Auto::Value(0.1)),
                n_epochs: Some(Auto::Value(3)),
            })
        );
        assert_eq!(s.seed, Some(42));
        assert_eq!(s.training_type, Some(TrainingType::Global));
        let s = spec(&[(
            "hyperparameters",
            r#"{"n_epochs":"auto","batch_size":null,"learning_rate_multiplier":"3.0"}"#,
        )]);
        assert_eq!(
            s.method,
            Method::Supervised(SupervisedHyperparameters {
                batch_size: None,
                learning_rate_multiplier: Some(Auto::Value(3.0)),
                n_epochs: Some(Auto::Auto),
            })
        );
        // Terraform nulls passed through jsonencode() are absent, not errors.
        let s = spec(&[
            ("metadata", "null"),
            ("integrations", "null"),
            ("grader", "null"),
        ]);
        assert!(s.metadata.is_empty() && s.integrations.is_empty());
    }

    #[test]
    fn supervised_body_uses_method_and_typed_numbers() {
        let s = spec(&[
            ("suffix", "demo"),
            ("validation_file", "file-val"),
            (
                "hyperparameters",
                r#"{"n_epochs":"3","batch_size":"auto","learning_rate_multiplier":"0.1"}"#,
            ),
            ("seed", "7"),
            ("metadata", r#"{"team":"ml"}"#),
            (
                "integrations",
                r#"[{"type":"wandb","wandb":{"project":"p","name":null,"tags":["a","b"]}}]"#,
            ),
        ]);
        let body = s.request_body(&[("openai_ft_key", "oaift-x")]);
        assert_eq!(
            body,
            json!({
                "model": "gpt-4o-mini-2024-07-18",
                "training_file": "file-abc123",
                "validation_file": "file-val",
                "suffix": "demo",
                "seed": 7,
                "method": {
                    "type": "supervised",
                    "supervised": {"hyperparameters": {"n_epochs": 3, "batch_size": "auto", "learning_rate_multiplier": 0.1}}
                },
                "metadata": {"team": "ml", "openai_ft_key": "oaift-x"},
                "integrations": [{"type": "wandb", "wandb": {"project": "p", "tags": ["a", "b"]}}]
            })
        );
        // Integers go out as JSON integers, not 3.0.
        assert!(body["method"]["supervised"]["hyperparameters"]["n_epochs"].is_u64());
        assert!(body.get("hyperparameters").is_none());
    }

    #[test]
    fn minimal_body_omits_every_absent_optional() {
        let body = spec(&[]).request_body(&[]);
        assert_eq!(
            body,
            json!({
                "model": "gpt-4o-mini-2024-07-18",
                "training_file": "file-abc123",
                "method": {"type": "supervised", "supervised": {}}
            })
        );
    }

    #[test]
    fn dpo_and_reinforcement_bodies() {
        let body = spec(&[
            ("training_method", "dpo"),
            ("hyperparameters", r#"{"beta":"0.1"}"#),
            ("training_type", "DEVELOPER"),
        ])
        .request_body(&[]);
        assert_eq!(
            body["method"],
            json!({"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1}}})
        );
        assert_eq!(body["trainingType"], "developer");

        let body = spec(&[
            ("training_method", "reinforcement"),
            ("grader", GRADER),
            ("hyperparameters", r#"{"compute_multiplier":"1.5","eval_interval":"2","eval_samples":4,"reasoning_effort":"high"}"#),
        ])
        .request_body(&[]);
        let grader: Value = serde_json::from_str(GRADER).unwrap();
        assert_eq!(
            body["method"],
            json!({"type": "reinforcement", "reinforcement": {
                "grader": grader,
                "hyperparameters": {"compute_multiplier": 1.5, "eval_interval": 2, "eval_samples": 4, "reasoning_effort": "high"}
            }})
        );
    }

    #[test]
    fn extra_metadata_wins_over_a_user_pair_with_the_same_key() {
        let body = spec(&[("metadata", r#"{"k":"user"}"#)]).request_body(&[("k", "stamp")]);
        assert_eq!(body["metadata"], json!({"k": "stamp"}));
    }

    fn key(extra: &[(&str, &str)]) -> String {
        spec(extra).idempotency_key()
    }

    #[test]
    fn key_has_the_documented_shape_and_is_pinned() {
        let k = key(&[]);
        assert_eq!(k.len(), "oaift-".len() + 32);
        assert!(k.starts_with("oaift-"));
        assert!(k[6..].chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
        // Pinned: the key must not drift between releases or machines. If the canonical form
        // changes on purpose, bump its version prefix and update this value.
        let canonical = r#"openai-ft job-spec v1
{"method":{"supervised":{},"type":"supervised"},"model":"gpt-4o-mini-2024-07-18","training_file":"file-abc123"}"#;
        let digest = Sha256::digest(canonical.as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        assert_eq!(k, format!("oaift-{hex}"));
    }

    #[test]
    fn key_ignores_spelling_that_does_not_change_the_job() {
        let same = [
            (
                vec![("hyperparameters", r#"{"n_epochs":3}"#)],
                vec![("hyperparameters", r#"{"n_epochs":"3"}"#)],
            ),
            (
                vec![("hyperparameters", r#"{"n_epochs":3}"#)],
                vec![("hyperparameters", r#"{"n_epochs":"3.0"}"#)],
            ),
            (
                vec![("hyperparameters", r#"{"learning_rate_multiplier":2}"#)],
                vec![("hyperparameters", r#"{"learning_rate_multiplier":"2.0"}"#)],
            ),
            (
                vec![("hyperparameters", r#"{"learning_rate_multiplier":0.1}"#)],
                vec![("hyperparameters", r#"{"learning_rate_multiplier":" 0.10"}"#)],
            ),
            (
                vec![],
                vec![(
                    "hyperparameters",
                    r#"{"n_epochs":"auto","batch_size":"auto"}"#,
                )],
            ),
            (vec![], vec![("hyperparameters", "{}")]),
            (vec![], vec![("training_method", "supervised")]),
            (
                vec![("metadata", r#"{"a":"1","b":"2"}"#)],
                vec![("metadata", r#"{"b":"2","a":"1"}"#)],
            ),
            (vec![], vec![("metadata", "{}")]),
            (
                vec![("training_type", "global")],
                vec![("training_type", "Global")],
            ),
            (
                vec![("training_method", "reinforcement"), ("grader", GRADER)],
                vec![
                    ("training_method", "reinforcement"),
                    (
                        "hyperparameters",
                        r#"{"reasoning_effort":"default","eval_samples":"auto"}"#,
                    ),
                    (
                        "grader",
                        r#"{"operation":"eq","reference":"{{item.label}}","input":"{{sample.output_text}}","name":"exact","type":"string_check"}"#,
                    ),
                ],
            ),
            (
                vec![(
                    "integrations",
                    r#"[{"type":"wandb","wandb":{"project":"p"}}]"#,
                )],
                vec![(
                    "integrations",
                    r#"[{"wandb":{"tags":[],"project":"p","name":null},"type":"wandb"}]"#,
                )],
            ),
        ];
        for (a, b) in same {
            assert_eq!(key(&a), key(&b), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn key_changes_with_every_part_of_the_request() {
        let other_grader = GRADER.replace("\"eq\"", "\"ne\"");
        let variants: Vec<Vec<(&str, &str)>> = vec![
            vec![],
            vec![("model", "gpt-4.1-mini-2025-04-14")],
            vec![("training_file", "file-other")],
            vec![("validation_file", "file-val")],
            vec![("suffix", "a")],
            vec![("suffix", "b")],
            vec![("seed", "0")],
            vec![("seed", "1")],
            vec![("hyperparameters", r#"{"n_epochs":3}"#)],
            vec![("hyperparameters", r#"{"n_epochs":4}"#)],
            vec![("hyperparameters", r#"{"batch_size":3}"#)],
            vec![("training_method", "dpo")],
            vec![
                ("training_method", "dpo"),
                ("hyperparameters", r#"{"beta":0.1}"#),
            ],
            vec![("training_method", "reinforcement"), ("grader", GRADER)],
            vec![
                ("training_method", "reinforcement"),
                ("grader", &other_grader),
            ],
            vec![("metadata", r#"{"a":"1"}"#)],
            vec![("metadata", r#"{"a":"2"}"#)],
            vec![(
                "integrations",
                r#"[{"type":"wandb","wandb":{"project":"p"}}]"#,
            )],
            vec![("training_type", "standard")],
        ];
        let keys: Vec<String> = variants.iter().map(|v| key(v)).collect();
        for (i, a) in keys.iter().enumerate() {
            for (j, b) in keys.iter().enumerate().skip(i + 1) {
                assert_ne!(a, b, "{:?} and {:?} share a key", variants[i], variants[j]);
            }
        }
    }

    #[test]
    fn canonical_json_sorts_keys_and_normalises_numbers() {
        let mut out = String::new();
        write_canonical(
            &json!({"b": [1.0, 2.5, -0.0, 1e300], "a": {"z": "\"q\"", "y": null}}),
            &mut out,
        );
        assert_eq!(
            out,
            format!(
                r#"{{"a":{{"y":null,"z":"\"q\""}},"b":[1,2.5,0,{}]}}"#,
                1e300
            )
        );
    }
}
