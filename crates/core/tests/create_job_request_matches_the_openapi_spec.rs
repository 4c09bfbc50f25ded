//! The create-job request body checked against `CreateFineTuningJobRequest` in OpenAI's
//! published OpenAPI spec, so a drift between `JobSpec::request_body` and the API contract fails a
//! test rather than a user's apply. It reads the shared spec outside this crate,
//! `../shared/openai-openapi/openapi.yaml` beside the repository (or the file `OPENAI_FT_OPENAPI`
//! names), which is why it is an integration test and not a unit test.

use openai_ft_core::Input;
use openai_ft_core::flavor::Surface;
use openai_ft_core::job::JobSpec;
use serde_json::{Value, json};

/// The spec's `components`, with the OpenAPI 3.0 habit `minimum: 0, exclusiveMinimum: true`
/// rewritten to JSON Schema 2020-12's `exclusiveMinimum: 0` (OpenAPI 3.1 is 2020-12, where a
/// boolean there is a schema error, yet this spec still writes it).
fn components() -> Value {
    let path = std::env::var("OPENAI_FT_OPENAPI").unwrap_or_else(|_| {
        format!(
            "{}/../../../shared/openai-openapi/openapi.yaml",
            env!("CARGO_MANIFEST_DIR")
        )
    });
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("cannot read the OpenAPI spec at {path} (set OPENAI_FT_OPENAPI): {e}")
    });
    let mut spec: Value = serde_yaml_ng::from_str(&widen_huge_integers(&text))
        .unwrap_or_else(|e| panic!("{path} is not YAML this test can read: {e}"));
    let mut components = spec["components"].take();
    fix_exclusive_minimum(&mut components);
    components
}

/// The spec bounds some integers by +-9223372036854776000, just beyond 64 bits, which the YAML
/// reader refuses as integers; written as floats (`...000.0`) they read fine and mean the same
/// to a validator.
fn widen_huge_integers(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.lines() {
        out.push_str(line);
        let value = line.rsplit(": ").next().unwrap_or("");
        let digits = value.strip_prefix('-').unwrap_or(value);
        if line.contains(": ") && digits.len() > 18 && digits.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(".0");
        }
        out.push('\n');
    }
    out
}

fn fix_exclusive_minimum(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.get("exclusiveMinimum") == Some(&Value::Bool(true))
                && let Some(min) = map.remove("minimum")
            {
                map.insert("exclusiveMinimum".into(), min);
            }
            if map.get("exclusiveMinimum") == Some(&Value::Bool(false)) {
                map.remove("exclusiveMinimum");
            }
            map.values_mut().for_each(fix_exclusive_minimum);
        }
        Value::Array(items) => items.iter_mut().for_each(fix_exclusive_minimum),
        _ => {}
    }
}

fn errors(validator: &jsonschema::Validator, body: &Value) -> Vec<String> {
    validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn request_bodies_match_create_fine_tuning_job_request() {
    let root = json!({
        "$ref": "#/components/schemas/CreateFineTuningJobRequest",
        "components": components(),
    });
    let validator = match jsonschema::draft202012::new(&root) {
        Ok(v) => v,
        Err(e) => panic!("the spec's schema does not compile: {e}"),
    };
    let full = |method: &str, hp: &str, grader: Option<&str>| {
        let mut extra = vec![
            ("model", "gpt-4o-mini-2024-07-18"),
            ("training_file", "file-abc123"),
            ("validation_file", "file-val"),
            ("suffix", "demo"),
            ("seed", "2147483647"),
            ("metadata", r#"{"team":"ml"}"#),
            (
                "integrations",
                r#"[{"type":"wandb","wandb":{"project":"p","name":"n","entity":"e","tags":["t"]}}]"#,
            ),
            ("training_method", method),
            ("hyperparameters", hp),
        ];
        if let Some(g) = grader {
            extra.push(("grader", g));
        }
        match JobSpec::parse(&extra.into_iter().collect::<Input>()) {
            Ok(spec) => spec.request_body(Surface::OpenAi, &[("openai_ft_key", "oaift-0")]),
            Err(e) => panic!("refused: {e}"),
        }
    };
    let graders = [
        r#"{"type":"string_check","name":"s","input":"{{sample.output_text}}","reference":"{{item.label}}","operation":"eq"}"#,
        r#"{"type":"text_similarity","name":"t","input":"a","reference":"b","evaluation_metric":"fuzzy_match"}"#,
        r#"{"type":"python","name":"p","source":"def grade(sample, item):\n    return 1.0","image_tag":"2025-05-08"}"#,
        r#"{"type":"score_model","name":"m","model":"gpt-4o","input":[{"role":"user","content":"Score {{sample.output_text}}"}],"range":[0,1]}"#,
    ];
    let mut bodies = vec![
        full(
            "supervised",
            r#"{"n_epochs":"3","batch_size":"auto","learning_rate_multiplier":"0.1"}"#,
            None,
        ),
        full("supervised", "{}", None),
        full(
            "dpo",
            r#"{"n_epochs":1,"batch_size":256,"learning_rate_multiplier":2,"beta":"2"}"#,
            None,
        ),
    ];
    for grader in graders {
        bodies.push(full(
            "reinforcement",
            r#"{"n_epochs":"50","batch_size":"1","learning_rate_multiplier":"auto","compute_multiplier":"10","eval_interval":"1","eval_samples":"auto","reasoning_effort":"low"}"#,
            Some(grader),
        ));
    }
    for body in &bodies {
        assert_eq!(errors(&validator, body), Vec::<String>::new(), "{body:#}");
    }

    // The check has teeth: bodies the API would refuse are refused here too.
    let mut bad = bodies[0].clone();
    bad["method"]["supervised"]["hyperparameters"]["n_epochs"] = json!("3");
    assert!(
        !errors(&validator, &bad).is_empty(),
        "a numeric string passed"
    );
    let mut bad = bodies[2].clone();
    bad["method"]["dpo"]["hyperparameters"]["beta"] = json!(0);
    assert!(!errors(&validator, &bad).is_empty(), "beta 0 passed");
    let mut bad = bodies[3].clone();
    bad["method"]["reinforcement"]
        .as_object_mut()
        .map(|m| m.remove("grader"));
    assert!(
        !errors(&validator, &bad).is_empty(),
        "a missing grader passed"
    );
    // Why parse() refuses a top-level label_model grader: the spec does too.
    let mut bad = bodies[3].clone();
    bad["method"]["reinforcement"]["grader"] = json!({
        "type": "label_model", "name": "l", "model": "gpt-4o", "input": [],
        "labels": ["a", "b"], "passing_labels": ["a"]
    });
    assert!(
        !errors(&validator, &bad).is_empty(),
        "a label_model grader passed"
    );
}
