//! What a create request must be, checked like the real API: types, ranges and lengths of every
//! field, the method and its hyperparameters (resolving "auto"), the grader, metadata,
//! integrations and the files, each refusal naming its `param`.

use crate::errors::{ApiError, in_range, quoted};
use crate::flavor::Surface;
use crate::state::{FileRec, FileStatus, Method, Rng, State};
use serde_json::{Map, Value, json};

const MAX_SEED: i64 = 2_147_483_647;

/// A hyperparameter: `None` means absent, or `"auto"` where the surface allows it.
fn auto_int(
    v: Option<&Value>,
    param: &str,
    (min, max): (i64, Option<i64>),
    auto: bool,
) -> Result<Option<i64>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if auto && s == "auto" => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some() => {
            let x = n.as_i64().unwrap_or_default();
            in_range(x, param, "integer", (min, false), max).map(Some)
        }
        Some(other) if auto => Err(ApiError::invalid_type(param, "'auto' or an integer", other)),
        Some(other) => Err(ApiError::invalid_type(param, "an integer", other)),
    }
}

/// A number hyperparameter with an exclusive minimum and an inclusive maximum; `"auto"` where
/// the surface allows it.
fn auto_num(
    v: Option<&Value>,
    param: &str,
    (min_excl, max): (f64, Option<f64>),
    auto: bool,
) -> Result<Option<f64>, ApiError> {
    let x = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if auto && s == "auto" => return Ok(None),
        Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
        Some(other) if auto => {
            return Err(ApiError::invalid_type(param, "'auto' or a number", other));
        }
        Some(other) => return Err(ApiError::invalid_type(param, "a number", other)),
    };
    in_range(x, param, "decimal", (min_excl, true), max).map(Some)
}

fn opt_object<'a>(
    v: Option<&'a Value>,
    param: &str,
) -> Result<Option<&'a Map<String, Value>>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(other) => Err(ApiError::invalid_type(param, "an object", other)),
    }
}

pub(super) fn opt_string<'a>(
    v: Option<&'a Value>,
    param: &str,
) -> Result<Option<&'a str>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ApiError::invalid_type(param, "a string", other)),
    }
}

pub(super) fn string_len(s: &str, param: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let n = s.chars().count();
    if n < min {
        return Err(ApiError::invalid(
            Some(param),
            format!("Invalid '{param}': string too short. Expected a string with minimum length {min}, but got a string with length {n} instead."),
        )
        .with_code("string_below_min_length"));
    }
    if n > max {
        return Err(ApiError::invalid(
            Some(param),
            format!("Invalid '{param}': string too long. Expected a string with maximum length {max}, but got a string with length {n} instead."),
        )
        .with_code("string_above_max_length"));
    }
    Ok(())
}

/// Resolved hyperparameters: the numbers the job trains with.
pub(super) struct Hyper {
    pub n_epochs: u64,
    pub batch_size: u64,
    pub echo: Value,
}

fn hyperparameters(
    surface: Surface,
    method: Method,
    hp: Option<&Map<String, Value>>,
    prefix: &str,
    examples: u64,
) -> Result<Hyper, ApiError> {
    let empty = Map::new();
    let hp = hp.unwrap_or(&empty);
    let p = |name: &str| format!("{prefix}.{name}");
    let auto = surface.allows_auto();
    let allowed: &[&str] = match method {
        Method::Supervised => &["batch_size", "learning_rate_multiplier", "n_epochs"],
        Method::Dpo => surface.dpo_hyperparameters(),
        Method::Reinforcement => &[
            "batch_size",
            "learning_rate_multiplier",
            "n_epochs",
            "compute_multiplier",
            "eval_interval",
            "eval_samples",
            "reasoning_effort",
        ],
    };
    if let Some(k) = hp.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ApiError::invalid(
            Some(&p(k)),
            format!(
                "Unrecognized hyperparameter '{}' for method '{}'.",
                k,
                method.as_str()
            ),
        ));
    }
    let n_epochs = auto_int(hp.get("n_epochs"), &p("n_epochs"), (1, Some(50)), auto)?
        .map_or_else(|| super::billing::auto_epochs(examples), |n| n as u64);
    let batch_size =
        auto_int(hp.get("batch_size"), &p("batch_size"), (1, Some(256)), auto)?.unwrap_or(1) as u64;
    let lr = auto_num(
        hp.get("learning_rate_multiplier"),
        &p("learning_rate_multiplier"),
        (0.0, None),
        auto,
    )?
    .unwrap_or(1.8);
    let mut echo =
        json!({"batch_size": batch_size, "learning_rate_multiplier": lr, "n_epochs": n_epochs});
    match method {
        Method::Supervised => {}
        Method::Dpo => {
            echo["beta"] =
                json!(auto_num(hp.get("beta"), &p("beta"), (0.0, Some(2.0)), auto)?.unwrap_or(0.1));
            if let Some(l2) = auto_num(
                hp.get("l2_multiplier"),
                &p("l2_multiplier"),
                (0.0, None),
                auto,
            )? {
                echo["l2_multiplier"] = json!(l2);
            }
        }
        Method::Reinforcement => {
            echo["compute_multiplier"] = json!(
                auto_num(
                    hp.get("compute_multiplier"),
                    &p("compute_multiplier"),
                    (0.00001, Some(10.0)),
                    auto
                )?
                .unwrap_or(1.0)
            );
            echo["eval_interval"] = json!(
                auto_int(
                    hp.get("eval_interval"),
                    &p("eval_interval"),
                    (1, None),
                    auto
                )?
                .unwrap_or(1)
            );
            echo["eval_samples"] = json!(
                auto_int(hp.get("eval_samples"), &p("eval_samples"), (1, None), auto)?.unwrap_or(1)
            );
            let effort = match hp.get("reasoning_effort") {
                None | Some(Value::Null) => "default".to_string(),
                Some(Value::String(s))
                    if ["default", "low", "medium", "high"].contains(&s.as_str()) =>
                {
                    s.clone()
                }
                Some(other) => {
                    return Err(ApiError::invalid(
                        Some(&p("reasoning_effort")),
                        format!("Invalid value: {other}. Supported values are: 'default', 'low', 'medium', and 'high'."),
                    )
                    .with_code("invalid_value"));
                }
            };
            echo["reasoning_effort"] = json!(effort);
        }
    }
    Ok(Hyper {
        n_epochs,
        batch_size,
        echo,
    })
}

fn check_grader(surface: Surface, grader: Option<&Value>) -> Result<Value, ApiError> {
    let types = surface.grader_types();
    let param = "method.reinforcement.grader";
    let g = match grader {
        None | Some(Value::Null) => return Err(ApiError::missing(param)),
        Some(Value::Object(g)) => g,
        Some(other) => return Err(ApiError::invalid_type(param, "an object", other)),
    };
    match g.get("type").and_then(Value::as_str) {
        Some(t) if types.contains(&t) => Ok(Value::Object(g.clone())),
        _ => Err(ApiError::invalid(
            Some(&format!("{param}.type")),
            format!(
                "Invalid grader type. Supported values are: {}.",
                quoted(types)
            ),
        )
        .with_code("invalid_value")),
    }
}

/// The method, its resolved echo, and the resolved hyperparameters (`auto` epochs for a training
/// file of `examples` examples), as the surface defines them:
/// `method.<type>.hyperparameters` on OpenAI and v1 (top-level `hyperparameters`, deprecated,
/// means supervised); on the dated surface the top-level `hyperparameters` are supervised's, and
/// the preview's `method` is `{type: supervised}` or `{type: dpo, dpo: {hyperparameters}}`.
pub(super) fn method_of(
    surface: Surface,
    body: &Map<String, Value>,
    examples: u64,
) -> Result<(Method, Value, Hyper), ApiError> {
    let method = opt_object(body.get("method"), "method")?;
    let top = opt_object(body.get("hyperparameters"), "hyperparameters")?;
    let supervised = |hp| -> Result<(Method, Value, Hyper), ApiError> {
        let hyper = hyperparameters(surface, Method::Supervised, hp, "hyperparameters", examples)?;
        let echo = json!({"type": "supervised", "supervised": {"hyperparameters": hyper.echo}});
        Ok((Method::Supervised, echo, hyper))
    };
    let Some(m) = method else {
        return supervised(top);
    };
    let kind = match m.get("type") {
        None | Some(Value::Null) => return Err(ApiError::missing("method.type")),
        Some(Value::String(s)) => match surface.methods().iter().find(|k| k.as_str() == s) {
            Some(k) => *k,
            None => {
                let names: Vec<&str> = surface.methods().iter().map(|k| k.as_str()).collect();
                return Err(ApiError::invalid(
                    Some("method.type"),
                    format!(
                        "Invalid value: '{s}'. Supported values are: {}.",
                        quoted(&names)
                    ),
                )
                .with_code("invalid_value"));
            }
        },
        Some(other) => return Err(ApiError::invalid_type("method.type", "a string", other)),
    };
    let name = kind.as_str();
    if surface.supervised_hyperparameters_top_level() {
        let allowed: &[&str] = if kind == Method::Supervised {
            &["type"]
        } else {
            &["type", "dpo"]
        };
        if let Some(k) = m.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ApiError::unknown_argument(&format!("method.{k}")));
        }
        if kind == Method::Supervised {
            return supervised(top);
        }
        if top.is_some() {
            return Err(ApiError::invalid(
                Some("hyperparameters"),
                "The top-level 'hyperparameters' are for supervised fine-tuning; give DPO's in 'method.dpo.hyperparameters'.",
            ));
        }
    }
    let sub = opt_object(m.get(name), &format!("method.{name}"))?;
    let hp = match sub {
        Some(s) => opt_object(
            s.get("hyperparameters"),
            &format!("method.{name}.hyperparameters"),
        )?,
        None => None,
    };
    let hyper = hyperparameters(
        surface,
        kind,
        hp,
        &format!("method.{name}.hyperparameters"),
        examples,
    )?;
    let mut inner = json!({"hyperparameters": hyper.echo});
    if kind == Method::Reinforcement {
        inner["grader"] = check_grader(surface, sub.and_then(|s| s.get("grader")))?;
    }
    let mut echo = json!({"type": name});
    echo[name] = inner;
    Ok((kind, echo, hyper))
}

pub(super) fn check_metadata(v: Option<&Value>) -> Result<Option<Map<String, Value>>, ApiError> {
    let Some(m) = opt_object(v, "metadata")? else {
        return Ok(None);
    };
    if m.len() > 16 {
        return Err(ApiError::invalid(
            Some("metadata"),
            format!("Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object with {} properties instead.", m.len()),
        )
        .with_code("object_above_max_properties"));
    }
    for (k, v) in m {
        string_len(k, "metadata", 0, 64).map_err(|mut e| {
            e.message = format!(
                "Invalid 'metadata': key '{}...' is longer than 64 characters.",
                k.chars().take(16).collect::<String>()
            );
            e
        })?;
        let s = v
            .as_str()
            .ok_or_else(|| ApiError::invalid_type(&format!("metadata.{k}"), "a string", v))?;
        if s.chars().count() > 512 {
            return Err(ApiError::invalid(
                Some("metadata"),
                format!("Invalid 'metadata.{k}': string too long. Expected a string with maximum length 512, but got a string with length {} instead.", s.chars().count()),
            )
            .with_code("string_above_max_length"));
        }
    }
    Ok(Some(m.clone()))
}

pub(super) fn check_integrations(v: Option<&Value>) -> Result<Option<Value>, ApiError> {
    let list = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(a)) => a,
        Some(other) => return Err(ApiError::invalid_type("integrations", "an array", other)),
    };
    if list.len() > 5 {
        return Err(ApiError::invalid(
            Some("integrations"),
            format!("Invalid 'integrations': array too long. Expected an array with maximum length 5, but got an array with length {} instead.", list.len()),
        )
        .with_code("array_above_max_length"));
    }
    for (i, it) in list.iter().enumerate() {
        if it.get("type").and_then(Value::as_str) != Some("wandb") {
            return Err(ApiError::invalid(
                Some(&format!("integrations[{i}].type")),
                "Invalid value for integration type. Supported values are: 'wandb'.",
            )
            .with_code("invalid_value"));
        }
        if it
            .get("wandb")
            .and_then(|w| w.get("project"))
            .and_then(Value::as_str)
            .is_none()
        {
            return Err(ApiError::missing(&format!(
                "integrations[{i}].wandb.project"
            )));
        }
    }
    Ok(Some(Value::Array(list.clone())))
}

pub(super) fn check_file<'a>(
    state: &'a State,
    v: Option<&Value>,
    param: &str,
) -> Result<Option<&'a FileRec>, ApiError> {
    let Some(id) = opt_string(v, param)? else {
        return Ok(None);
    };
    let f = state.file(id).ok_or_else(|| {
        ApiError::invalid(Some(param), format!("Invalid file '{id}': file not found."))
            .with_code("invalid_file")
    })?;
    if f.purpose != "fine-tune" {
        return Err(ApiError::invalid(
            Some(param),
            format!("File {id} has purpose '{}'; fine-tuning requires a file uploaded with purpose 'fine-tune'.", f.purpose),
        )
        .with_code("invalid_file"));
    }
    // Only Azure uploads are ever unprocessed: there a job cannot use a file until it is processed.
    match f.status {
        FileStatus::Processed => {}
        FileStatus::Pending | FileStatus::Running => {
            return Err(ApiError::invalid(
                Some(param),
                format!("File {id} is not ready: its status is '{}'. Wait until the file is 'processed' before using it for fine-tuning.", f.status.as_str()),
            )
            .with_code("file_not_ready")
            .classic("unexpectedEntityState"));
        }
        FileStatus::Error => {
            return Err(ApiError::invalid(
                Some(param),
                format!(
                    "File {id} failed processing and cannot be used for fine-tuning: {}",
                    f.status_details.as_deref().unwrap_or("unknown error")
                ),
            )
            .with_code("invalid_file"));
        }
    }
    Ok(Some(f))
}

/// `seed`: 0 to 2147483647, or a random one when absent.
pub(super) fn seed(v: Option<&Value>, rng: &mut Rng) -> Result<u64, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(rng.next() % (MAX_SEED as u64 + 1)),
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok(in_range(
            n.as_i64().unwrap_or_default(),
            "seed",
            "integer",
            (0, false),
            Some(MAX_SEED),
        )? as u64),
        Some(other) => Err(ApiError::invalid_type("seed", "an integer", other)),
    }
}
