//! The reinforcement grader: the JSON object the user wrote, checked for its `type` and that
//! type's required fields before anything is sent.

use serde_json::{Map, Value};

use super::fields::{parse_json, shown};
use crate::error::InputError;
use crate::training_method::TrainingMethod;

/// A reinforcement grader: the JSON object the user wrote, checked for its `type` and that type's
/// required fields, otherwise passed through untouched (graders evolve faster than this tool).
#[derive(Debug, Clone, PartialEq)]
pub struct Grader(pub(super) Map<String, Value>);

impl Grader {
    /// The grader's `type`.
    pub fn kind(&self) -> Option<&str> {
        self.0.get("type").and_then(Value::as_str)
    }
}

const GRADER_TYPES: &str = "string_check, text_similarity, python, score_model, multi";

pub(super) fn parse_grader(
    raw: Option<&str>,
    method: TrainingMethod,
) -> Result<Option<Grader>, InputError> {
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
