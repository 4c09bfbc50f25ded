//! The request as JSON: the `POST /fine_tuning/jobs` body as the user wrote it, in the shape of
//! the surface it goes to, and the normalised canonical form whose digest is the idempotency key.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::fields::WandbIntegration;
use super::hyperparameters::{Auto, EXACT, ReasoningEffort};
use super::{JobSpec, Method};
use crate::flavor::{DatedApi, Surface};
use crate::ids::IdempotencyKey;

impl JobSpec {
    /// The `POST /fine_tuning/jobs` body for `surface`. On OpenAI and Azure's v1 surface the
    /// hyperparameters go under `method` (the top-level `hyperparameters` is deprecated) and
    /// `extra_metadata` is merged into `metadata`, winning over a user pair with the same key,
    /// since the caller relies on its stamp being there. Azure's dated surface has its own shape
    /// (see [`dated_body`](Self::dated_body)) and no metadata.
    pub fn request_body(&self, surface: Surface, extra_metadata: &[(&str, &str)]) -> Value {
        if let Surface::AzureDated(form) = surface {
            return Value::Object(self.dated_body(form));
        }
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
    pub fn idempotency_key(&self) -> IdempotencyKey {
        let mut canonical = String::from("openai-ft job-spec v1\n");
        write_canonical(&Value::Object(self.body(Form::Normalised)), &mut canonical);
        IdempotencyKey::from_digest(&Sha256::digest(canonical.as_bytes()))
    }

    /// The fields every surface's create body has alike: the model, the files, the suffix and
    /// the seed.
    fn common_fields(&self) -> Map<String, Value> {
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
        body
    }

    fn body(&self, form: Form) -> Map<String, Value> {
        let mut body = self.common_fields();
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
            let name = match form {
                Form::AsWritten => t.spelled(false),
                Form::Normalised => t.key_name(),
            };
            body.insert("trainingType".into(), name.into());
        }
        body
    }

    /// The body Azure's dated API defines (`FineTuningJobCreation`): the supervised
    /// hyperparameters top-level, as numbers only (an `"auto"` is left out: the schema types them
    /// as numbers, and leaving one out is the default); on a preview version DPO as
    /// `method: {type: dpo, dpo: {hyperparameters}}`, the integrations and `trainingType` in the
    /// preview docs' spelling. What a GA version cannot express (another method, integrations, a
    /// training type) is refused before this is built (`job::refuse_before_create`).
    fn dated_body(&self, form: DatedApi) -> Map<String, Value> {
        let mut body = self.common_fields();
        // The Normalised form writes exactly the numbers given and leaves every "auto" out.
        let mut hp = Map::new();
        let (batch_size, learning_rate_multiplier, n_epochs) = self.method.common();
        put_int(&mut hp, Form::Normalised, "n_epochs", n_epochs);
        put_int(&mut hp, Form::Normalised, "batch_size", batch_size);
        put_num(
            &mut hp,
            Form::Normalised,
            "learning_rate_multiplier",
            learning_rate_multiplier,
        );
        match &self.method {
            Method::Supervised(_) if !hp.is_empty() => {
                body.insert("hyperparameters".into(), Value::Object(hp));
            }
            Method::Supervised(_) => {}
            Method::Dpo(h) => {
                put_num(&mut hp, Form::Normalised, "beta", h.beta);
                let mut dpo = Map::new();
                if !hp.is_empty() {
                    dpo.insert("hyperparameters".into(), Value::Object(hp));
                }
                body.insert("method".into(), json!({"type": "dpo", "dpo": dpo}));
            }
            // Refused before any body is built; nothing to write.
            Method::Reinforcement { .. } => {}
        }
        if form == DatedApi::Preview {
            if !self.integrations.is_empty() {
                let list = self.integrations.iter().map(integration_json).collect();
                body.insert("integrations".into(), Value::Array(list));
            }
            if let Some(t) = self.training_type {
                body.insert("trainingType".into(), t.spelled(true).into());
            }
        }
        body
    }

    fn method_json(&self, form: Form) -> Value {
        let mut hp = Map::new();
        let mut grader = None;
        let (batch_size, learning_rate_multiplier, n_epochs) = self.method.common();
        put_int(&mut hp, form, "batch_size", batch_size);
        put_num(
            &mut hp,
            form,
            "learning_rate_multiplier",
            learning_rate_multiplier,
        );
        put_int(&mut hp, form, "n_epochs", n_epochs);
        match &self.method {
            Method::Supervised(_) => {}
            Method::Dpo(h) => put_num(&mut hp, form, "beta", h.beta),
            Method::Reinforcement {
                hyperparameters: h,
                grader: g,
            } => {
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
pub(super) fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Null | Value::Bool(_) | Value::String(_) => out.push_str(&v.to_string()),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else {
                let x = n.as_f64().unwrap_or(0.0);
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
