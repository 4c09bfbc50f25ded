//! Hyperparameters: which training method takes which, and the checks on each value (`"auto"`,
//! an integer or a number in range, given as a JSON number or a numeric string).

use serde_json::{Map, Value};

use super::fields::{parse_json, shown};
use crate::error::InputError;
use crate::training_method::TrainingMethod;

/// 2^53: beyond it floats skip integers, so a whole float is an integer only below it.
pub(super) const EXACT: f64 = 9_007_199_254_740_992.0;

/// A hyperparameter value: `"auto"` lets the service choose.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Auto<T> {
    #[default]
    Auto,
    Value(T),
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

/// The `hyperparameters` object, emptied as the method's fields are taken from it.
pub(super) struct HyperparameterMap {
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
    pub(super) fn parse(raw: Option<&str>, method: TrainingMethod) -> Result<Self, InputError> {
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

    pub(super) fn batch_size(&mut self) -> Result<Option<Auto<u32>>, InputError> {
        self.small_integer("batch_size", 256)
    }

    pub(super) fn n_epochs(&mut self) -> Result<Option<Auto<u32>>, InputError> {
        self.small_integer("n_epochs", 50)
    }

    pub(super) fn learning_rate_multiplier(&mut self) -> Result<Option<Auto<f64>>, InputError> {
        self.number(
            "learning_rate_multiplier",
            |x| x > 0.0,
            "must be \"auto\" or a number greater than 0",
        )
    }

    fn small_integer(&mut self, name: &str, max: u32) -> Result<Option<Auto<u32>>, InputError> {
        self.take(name)
            .map(|v| small_integer(&format!("hyperparameters.{name}"), &v, max))
            .transpose()
    }

    /// `"auto"`, or an integer given as a JSON number or a numeric string (Terraform's
    /// `map(string)` turns `3` into `"3"`); a whole float such as `3.0` counts as an integer.
    pub(super) fn integer(
        &mut self,
        name: &str,
        min: u64,
        max: Option<u64>,
    ) -> Result<Option<Auto<u64>>, InputError> {
        self.take(name)
            .map(|v| integer(&format!("hyperparameters.{name}"), &v, min, max))
            .transpose()
    }

    pub(super) fn number(
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

    pub(super) fn reasoning_effort(&mut self) -> Result<Option<ReasoningEffort>, InputError> {
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
/// The job's `n_epochs` by the hyperparameter's rule, for inputs that take it on their own (the
/// `file` commands' estimate), under the input's name `field`.
pub fn n_epochs_input(field: &str, raw: &str) -> Result<Auto<u32>, InputError> {
    small_integer(field, &Value::String(raw.trim().to_owned()), 50)
}

/// An integer hyperparameter 1-`max` (or `"auto"`), as a u32; `field` names it in the error.
fn small_integer(field: &str, v: &Value, max: u32) -> Result<Auto<u32>, InputError> {
    Ok(match integer(field, v, 1, Some(u64::from(max)))? {
        Auto::Auto => Auto::Auto,
        // In range, so it fits.
        Auto::Value(n) => Auto::Value(u32::try_from(n).unwrap_or(max)),
    })
}

/// `"auto"`, or an integer `min`-`max` given as a JSON number or a numeric string; a whole float
/// such as `3.0` counts as an integer.
fn integer(field: &str, v: &Value, min: u64, max: Option<u64>) -> Result<Auto<u64>, InputError> {
    if v.as_str() == Some("auto") {
        return Ok(Auto::Auto);
    }
    match number_text(v).and_then(|t| parse_whole(&t)) {
        Some(n) if n >= min && max.is_none_or(|max| n <= max) => Ok(Auto::Value(n)),
        _ => {
            let rule = match max {
                Some(max) => format!("must be \"auto\" or an integer {min}-{max}"),
                None => format!("must be \"auto\" or an integer of at least {min}"),
            };
            Err(InputError::invalid(field, &shown(v), rule))
        }
    }
}

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
    parse_finite(text)
        .filter(|x| x.fract() == 0.0 && *x >= 0.0 && *x < EXACT)
        .map(|x| x as u64)
}
