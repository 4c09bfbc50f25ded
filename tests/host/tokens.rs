//! The token figures of the `file` commands: exact counts for the job's model, the examples over
//! the context limit named by line, the billing estimate and the budget gate (every refusal's
//! exact message, and nothing uploaded when one refuses), and the emulator's `trained_tokens`
//! after training equal to the estimate.

use crate::util::*;
use serde_json::{Value, json};

fn validate(input: Value) -> Outcome {
    openai_ft(&["file", "validate"]).input(input).run()
}

fn corpus() -> String {
    data("tokens/supervised.jsonl")
}

#[test]
fn validate_outputs_every_figure_as_a_flat_string() {
    let out = validate(json!({"path": corpus(), "model": "gpt-4o-mini-2024-07-18"}));
    let o = out.json();
    for (key, want) in [
        ("model", "gpt-4o-mini-2024-07-18"),
        ("tokenizer", "o200k_base"),
        ("context_limit", "65536"),
        ("over_limit_examples", "0"),
        ("over_limit_lines", ""),
        ("n_epochs_auto", "true"),
        // 14 examples: 100 / 14 = 7 epochs.
        ("n_epochs", "7"),
        ("price_per_million_tokens", "3"),
        (
            "price_source",
            "gpt-4o-mini in the price table of 2025-08-01",
        ),
    ] {
        assert_eq!(o[key], want, "{key}");
    }
    let n = |k: &str| {
        o[k].parse::<u64>()
            .unwrap_or_else(|_| panic!("{k}: {:?}", o[k]))
    };
    assert_eq!(n("estimated_tokens"), n("total_tokens"));
    assert!(n("tokens_min") <= n("tokens_p50") && n("tokens_p50") <= n("tokens_p95"));
    assert!(n("tokens_p95") <= n("tokens_max") && n("trained_tokens") < n("total_tokens"));
    assert_eq!(n("billed_tokens_per_epoch"), n("total_tokens"));
    assert_eq!(n("estimated_billed_tokens"), 7 * n("total_tokens"));
    let cost = n("estimated_billed_tokens") as f64 * 3.0 / 1e6;
    assert_eq!(o["estimated_cost_usd"], format!("{cost:.4}"));
    // The human summary is on stderr.
    for line in [
        "14 examples, ",
        "example lengths:",
        " tokens #",
        "context limit: 65536 tokens; no example is over it",
        "billed: ",
    ] {
        assert!(out.stderr.contains(line), "{line:?} in {}", out.stderr);
    }
}

#[test]
fn without_a_model_o200k_base_counts_and_no_limit_or_price_is_assumed() {
    let o = validate(json!({"path": corpus()})).json();
    let with_model = validate(json!({"path": corpus(), "model": "gpt-4.1-mini"})).json();
    assert_eq!(o["total_tokens"], with_model["total_tokens"]);
    for key in [
        "model",
        "context_limit",
        "price_per_million_tokens",
        "price_source",
        "estimated_cost_usd",
        "over_limit_lines",
    ] {
        assert_eq!(o[key], "", "{key}");
    }
}

#[test]
fn the_tokenizer_follows_the_model_and_inputs_override_the_table() {
    let cl100k = validate(json!({"path": corpus(), "model": "gpt-35-turbo-0125"})).json();
    assert_eq!(
        (
            cl100k["tokenizer"].as_str(),
            cl100k["context_limit"].as_str()
        ),
        ("cl100k_base", "16385")
    );
    let o200k =
        validate(json!({"path": corpus(), "model": "ft:gpt-4o-2024-08-06:org:x:abc"})).json();
    assert_eq!(o200k["tokenizer"], "o200k_base");
    assert_ne!(cl100k["total_tokens"], o200k["total_tokens"]);
    let forced = validate(json!({"path": corpus(), "model": "gpt-4o", "tokenizer": "cl100k_base", "context_limit": "100", "n_epochs": "2", "price_per_million_tokens": "10"})).json();
    assert_eq!(forced["total_tokens"], cl100k["total_tokens"]);
    assert_eq!(
        (
            forced["context_limit"].as_str(),
            forced["n_epochs"].as_str(),
            forced["n_epochs_auto"].as_str()
        ),
        ("100", "2", "false")
    );
    assert_eq!(
        (
            forced["price_per_million_tokens"].as_str(),
            forced["price_source"].as_str()
        ),
        ("10", "price_per_million_tokens")
    );
    // A model the table does not know is fine once a tokenizer is named.
    let other =
        validate(json!({"path": corpus(), "model": "my-llama", "tokenizer": "o200k_base"})).json();
    assert_eq!(
        (
            other["total_tokens"].as_str(),
            other["context_limit"].as_str()
        ),
        (o200k["total_tokens"].as_str(), "")
    );
}

#[test]
fn an_example_over_the_context_limit_is_named_by_its_line() {
    let out = validate(
        json!({"path": corpus(), "model": "gpt-4o-mini", "context_limit": "150", "n_epochs": "1"}),
    );
    let o = out.json();
    let over: Vec<u64> = o["over_limit_lines"]
        .split(',')
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(o["over_limit_examples"], over.len().to_string());
    assert!(!over.is_empty() && over.len() < 14, "{over:?}");
    assert!(
        o["billed_tokens_per_epoch"].parse::<u64>().unwrap()
            < o["total_tokens"].parse::<u64>().unwrap()
    );
    let shown: Vec<String> = over.iter().take(5).map(u64::to_string).collect();
    let word = if over.len() == 1 { "line" } else { "lines" };
    assert!(
        out.stderr.contains(&format!(
            "over the 150-token context limit of gpt-4o-mini ({word} {}",
            shown.join(", ")
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("openai-ft: warning: "),
        "{}",
        out.stderr
    );

    let line = validate(json!({"path": corpus(), "model": "gpt-4o-mini", "context_limit": "150", "fail_on_truncation": "true"})).only_error();
    let n = over.len();
    let examples = if n == 1 {
        "1 example is".to_owned()
    } else {
        format!("{n} examples are")
    };
    let more = if n > 5 {
        format!(" and {} more", n - 5)
    } else {
        String::new()
    };
    assert_eq!(
        line,
        format!(
            "{examples} over the 150-token context limit of gpt-4o-mini ({word} {}{more}) and would be truncated; shorten or split them, or unset fail_on_truncation",
            shown.join(", ")
        )
    );
}

#[test]
fn the_budget_gate_refuses_with_the_figure_the_limit_and_the_fix() {
    let base = validate(json!({"path": corpus(), "model": "gpt-4o-mini", "n_epochs": "3"})).json();
    let billed: u64 = base["estimated_billed_tokens"].parse().unwrap();
    let line = validate(json!({"path": corpus(), "model": "gpt-4o-mini", "n_epochs": "3", "max_billed_tokens": (billed - 1).to_string()})).only_error();
    assert_eq!(
        line,
        format!(
            "estimated billed tokens {billed} exceed max_billed_tokens {}: raise max_billed_tokens, trim the file or lower n_epochs",
            billed - 1
        )
    );
    let ok = validate(
        json!({"path": corpus(), "model": "gpt-4o-mini", "n_epochs": "3", "max_billed_tokens": billed.to_string()}),
    );
    ok.json();
    let line = validate(json!({"path": corpus(), "model": "gpt-4o-mini", "n_epochs": "3", "max_cost_usd": "0.0001"})).only_error();
    assert_eq!(
        line,
        format!(
            "estimated cost {} USD ({billed} billed tokens) exceeds max_cost_usd 0.0001: raise max_cost_usd, trim the file or lower n_epochs",
            base["estimated_cost_usd"]
        )
    );
    let line = validate(json!({"path": corpus(), "model": "o4-mini", "training_method": "supervised", "max_cost_usd": "5"})).only_error();
    assert_eq!(
        line,
        r#"invalid max_cost_usd "5": no price is known for model "o4-mini"; set price_per_million_tokens"#
    );
}

#[test]
fn bad_inputs_are_refused_by_name() {
    let rows = [
        (
            json!({"model": "llama-3"}),
            r#"invalid model "llama-3": no known tokenizer for this model; set tokenizer to o200k_base or cl100k_base"#,
        ),
        (
            json!({"tokenizer": "gpt2"}),
            r#"invalid tokenizer "gpt2": must be o200k_base or cl100k_base"#,
        ),
        (
            json!({"n_epochs": "0"}),
            r#"invalid n_epochs "0": must be "auto" or an integer 1-50"#,
        ),
        (
            json!({"context_limit": "lots"}),
            r#"invalid context_limit "lots": must be an integer 1-100000000"#,
        ),
        (
            json!({"max_billed_tokens": "1e6"}),
            r#"invalid max_billed_tokens "1e6": must be a whole number of tokens"#,
        ),
        (
            json!({"max_cost_usd": "-1"}),
            r#"invalid max_cost_usd "-1": must be a positive number of US dollars, for example 25 or 3.50"#,
        ),
        (
            json!({"price_per_million_tokens": "free"}),
            r#"invalid price_per_million_tokens "free": must be a positive number of US dollars, for example 25 or 3.50"#,
        ),
        (
            json!({"fail_on_truncation": "yes"}),
            r#"invalid fail_on_truncation "yes": must be "true" or "false""#,
        ),
    ];
    for (extra, want) in rows {
        let mut input = json!({"path": corpus()});
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        assert_eq!(validate(input).only_error(), want);
    }
}

#[test]
fn over_budget_nothing_is_uploaded_and_read_refuses_at_plan_time() {
    let emulator = Emulator::start(20);
    for verb in ["upload", "read"] {
        let line = openai_ft(&["file", verb])
            .against(&emulator)
            .input(json!({"path": corpus(), "model": "gpt-4o-mini", "max_billed_tokens": "10"}))
            .run()
            .only_error();
        assert!(
            line.starts_with("estimated billed tokens "),
            "{verb}: {line}"
        );
    }
    assert!(
        emulator.log().is_empty(),
        "no request at all: {:?}",
        emulator.log()
    );
}

#[test]
fn the_emulator_bills_what_the_estimate_said() {
    let emulator = Emulator::start(20);
    for (file, method, model) in [
        ("tokens/supervised.jsonl", "supervised", "gpt-4o-mini"),
        ("tokens/tools.jsonl", "supervised", "gpt-3.5-turbo"),
        ("tokens/dpo.jsonl", "dpo", "gpt-4.1"),
    ] {
        let query =
            json!({"path": data(file), "training_method": method, "model": model, "n_epochs": "2"});
        let uploaded = openai_ft(&["file", "upload"])
            .against(&emulator)
            .input(query)
            .run()
            .json();
        let hyperparameters = json!({"n_epochs": "2"}).to_string();
        let job = openai_ft(&["job", "ensure"])
            .against(&emulator)
            .input(json!({"model": model, "training_file": uploaded["id"], "training_method": method,
                          "hyperparameters": hyperparameters, "wait": "true", "poll_interval": "0.05"}))
            .run()
            .json();
        assert_eq!(job["status"], "succeeded", "{file}");
        assert_eq!(
            job["trained_tokens"], uploaded["estimated_billed_tokens"],
            "{file} on {model}"
        );
    }
}
