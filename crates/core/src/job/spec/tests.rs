//! The spec's refusals, accepted shapes, request bodies and idempotency keys.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::body::write_canonical;
use super::*;
use crate::flavor::{DatedApi, Surface};

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
            r#"invalid training_type "premium": must be one of Standard, GlobalStandard, Developer (also standard, global, globalstandard, developer, developerTier; any case; Azure OpenAI only: leave it unset for OpenAI)"#,
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
    assert_eq!(s.training_type, Some(TrainingType::GlobalStandard));
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
    let body = s.request_body(Surface::OpenAi, &[("openai_ft_key", "oaift-x")]);
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
    let body = spec(&[]).request_body(Surface::OpenAi, &[]);
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
    .request_body(Surface::OpenAi, &[]);
    assert_eq!(
        body["method"],
        json!({"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1}}})
    );
    assert_eq!(body["trainingType"], "Developer");

    let body = spec(&[
        ("training_method", "reinforcement"),
        ("grader", GRADER),
        ("hyperparameters", r#"{"compute_multiplier":"1.5","eval_interval":"2","eval_samples":4,"reasoning_effort":"high"}"#),
    ])
    .request_body(Surface::OpenAi, &[]);
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
fn each_surface_gets_the_training_type_spelled_as_microsoft_documents_it() {
    let body = |t: &str, surface| spec(&[("training_type", t)]).request_body(surface, &[]);
    for (given, v1, dated) in [
        ("standard", "Standard", "Standard"),
        ("global", "GlobalStandard", "globalstandard"),
        ("globalstandard", "GlobalStandard", "globalstandard"),
        ("developer", "Developer", "developerTier"),
        ("DeveloperTier", "Developer", "developerTier"),
    ] {
        assert_eq!(body(given, Surface::AzureV1)["trainingType"], v1, "{given}");
        let preview = Surface::AzureDated(DatedApi::Preview);
        assert_eq!(body(given, preview)["trainingType"], dated, "{given}");
    }
}

#[test]
fn the_dated_api_gets_its_own_body_shape() {
    let s = spec(&[
        ("suffix", "demo"),
        (
            "hyperparameters",
            r#"{"n_epochs":"3","batch_size":"auto","learning_rate_multiplier":"0.1"}"#,
        ),
        ("seed", "7"),
        ("metadata", r#"{"team":"ml"}"#),
    ]);
    let want = json!({
        "model": "gpt-4o-mini-2024-07-18",
        "training_file": "file-abc123",
        "suffix": "demo",
        "seed": 7,
        "hyperparameters": {"n_epochs": 3, "learning_rate_multiplier": 0.1},
    });
    for form in [DatedApi::Ga, DatedApi::Preview] {
        let body = s.request_body(Surface::AzureDated(form), &[("openai_ft_key", "oaift-x")]);
        assert_eq!(body, want, "{form:?}: no method, no metadata, no \"auto\"");
    }
    let dpo = spec(&[
        ("training_method", "dpo"),
        ("hyperparameters", r#"{"beta":"0.2","n_epochs":"auto"}"#),
        ("training_type", "global"),
        (
            "integrations",
            r#"[{"type":"wandb","wandb":{"project":"p"}}]"#,
        ),
    ])
    .request_body(Surface::AzureDated(DatedApi::Preview), &[]);
    assert_eq!(
        dpo,
        json!({
            "model": "gpt-4o-mini-2024-07-18",
            "training_file": "file-abc123",
            "method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}},
            "integrations": [{"type": "wandb", "wandb": {"project": "p"}}],
            "trainingType": "globalstandard",
        })
    );
}

#[test]
fn extra_metadata_wins_over_a_user_pair_with_the_same_key() {
    let body =
        spec(&[("metadata", r#"{"k":"user"}"#)]).request_body(Surface::OpenAi, &[("k", "stamp")]);
    assert_eq!(body["metadata"], json!({"k": "stamp"}));
}

fn key(extra: &[(&str, &str)]) -> String {
    spec(extra).idempotency_key().to_string()
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
        // Microsoft's spellings of a tier keep the key the short names gave it.
        (
            vec![("training_type", "global")],
            vec![("training_type", "GlobalStandard")],
        ),
        (
            vec![("training_type", "developer")],
            vec![("training_type", "developerTier")],
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

#[test]
fn the_file_commands_take_n_epochs_by_the_hyperparameter_rule() {
    assert_eq!(n_epochs_input("n_epochs", "3.0"), Ok(Auto::Value(3)));
    assert_eq!(n_epochs_input("n_epochs", " 50 "), Ok(Auto::Value(50)));
    assert_eq!(n_epochs_input("n_epochs", " auto "), Ok(Auto::Auto));
    for raw in ["2.5", "0", "51", "AUTO", ""] {
        assert_eq!(
            n_epochs_input("n_epochs", raw).unwrap_err().to_string(),
            format!(
                r#"invalid n_epochs "{}": must be "auto" or an integer 1-50"#,
                raw.trim()
            ),
        );
    }
}

#[test]
fn each_azure_surface_refuses_what_it_cannot_express() {
    let ga = Surface::AzureDated(DatedApi::Ga);
    let preview = Surface::AzureDated(DatedApi::Preview);
    let refusal = |extra: &[(&str, &str)], surface| {
        spec(extra)
            .check_surface(surface)
            .map_err(|e| e.to_string())
    };
    let grader = [("training_method", "reinforcement"), ("grader", GRADER)];
    let python = r#"{"type":"python","name":"p","source":"def grade(s, i):\n    return 1.0"}"#;
    for (extra, surface, want) in [
        (
            &[("suffix", "my.model")][..],
            Surface::AzureV1,
            r#"invalid suffix "my.model": may only contain letters, digits, "-" and "_" on Azure OpenAI (Microsoft documents a-z, A-Z, 0-9, - and _; a model name there cannot hold a ".")"#,
        ),
        (
            &[("training_method", "dpo")][..],
            ga,
            r#"invalid training_method "dpo": Azure OpenAI's GA api-version (2024-10-21) trains supervised jobs only (it has no method field); set OPENAI_API_VERSION=2025-04-01-preview, or use Azure OpenAI's v1 API (OPENAI_FT_FLAVOR=azure)"#,
        ),
        (
            &grader[..],
            ga,
            r#"invalid training_method "reinforcement": Azure OpenAI's GA api-version (2024-10-21) trains supervised jobs only (it has no method field); use Azure OpenAI's v1 API (OPENAI_FT_FLAVOR=azure)"#,
        ),
        (
            &[(
                "integrations",
                r#"[{"type":"wandb","wandb":{"project":"p"}}]"#,
            )][..],
            ga,
            r#"invalid integrations "wandb project p": Azure OpenAI's GA api-version (2024-10-21) takes no integrations; set OPENAI_API_VERSION=2025-04-01-preview, or use Azure OpenAI's v1 API (OPENAI_FT_FLAVOR=azure)"#,
        ),
        (
            &[("training_type", "global")][..],
            ga,
            r#"invalid training_type "globalstandard": Azure OpenAI's GA api-version (2024-10-21) takes no trainingType (Microsoft documents it from 2025-04-01-preview on); set OPENAI_API_VERSION=2025-04-01-preview, use Azure OpenAI's v1 API (OPENAI_FT_FLAVOR=azure), or leave training_type unset"#,
        ),
        (
            &grader[..],
            preview,
            r#"invalid training_method "reinforcement": Azure OpenAI's dated API (2025-04-01-preview) trains supervised and dpo jobs only; for reinforcement use Azure OpenAI's v1 API (OPENAI_FT_FLAVOR=azure)"#,
        ),
        (
            &[("training_method", "reinforcement"), ("grader", python)][..],
            Surface::AzureV1,
            r#"invalid grader.type "python": Azure OpenAI has no python grader; use string_check, text_similarity, score_model or multi"#,
        ),
    ] {
        assert_eq!(
            refusal(extra, surface),
            Err(want.to_owned()),
            "{extra:?} {surface:?}"
        );
    }
    // What each surface has passes, and OpenAI takes everything the parser took.
    assert_eq!(refusal(&[("training_method", "dpo")], preview), Ok(()));
    assert_eq!(refusal(&grader, Surface::AzureV1), Ok(()));
    assert_eq!(refusal(&[("suffix", "my.model")], Surface::OpenAi), Ok(()));
    assert_eq!(
        refusal(&[("training_type", "global")], Surface::OpenAi),
        Err(r#"invalid training_type "GlobalStandard": is Azure OpenAI's setting, which the OpenAI API refuses; leave it unset, or set AZURE_OPENAI_ENDPOINT to train on Azure"#.to_owned())
    );
}
