//! What a finished job bills in `trained_tokens`: every example's tokens, capped at the model's
//! context limit, times the epochs. An example is counted as OpenAI's data-preparation notebook
//! counts a conversation (3 tokens per message, every string field, 1 more per `name`, 3 to prime
//! the reply), with tool calls, tool definitions and both DPO completions as openai-ft's docs/tokens-and-cost.md
//! states. This is the emulator's own plain reading of the file, written apart from the client's
//! validator so that comparing the two checks something.

use serde_json::{Map, Value};
use tiktoken_rs::CoreBPE;

use crate::models::{BaseModel, Tokenizer};
use crate::state::Method;

/// The epochs `"auto"` (or no `n_epochs`) trains for, on a file of `examples` examples: OpenAI's
/// documented default, the `n_epochs` heuristic of its data-preparation notebook (the cookbook's
/// "Data preparation and analysis for chat model fine-tuning"): 3 epochs, raised so that
/// examples x epochs reaches 100 (at most 25 epochs), or lowered so that it stays within 25,000
/// (at least 1). The API reference says only that `auto` picks a value from the dataset.
pub fn auto_epochs(examples: u64) -> u64 {
    const TARGET_EPOCHS: u64 = 3;
    const MIN_TARGET_EXAMPLES: u64 = 100;
    const MAX_TARGET_EXAMPLES: u64 = 25_000;
    const MIN_DEFAULT_EPOCHS: u64 = 1;
    const MAX_DEFAULT_EPOCHS: u64 = 25;
    let n = examples.max(1);
    if n * TARGET_EPOCHS < MIN_TARGET_EXAMPLES {
        MAX_DEFAULT_EPOCHS.min(MIN_TARGET_EXAMPLES / n)
    } else if n * TARGET_EPOCHS > MAX_TARGET_EXAMPLES {
        MIN_DEFAULT_EPOCHS.max(MAX_TARGET_EXAMPLES / n)
    } else {
        TARGET_EPOCHS
    }
}

/// The examples of a training file: its non-blank lines.
pub fn examples(content: &str) -> u64 {
    content.lines().filter(|l| !l.trim().is_empty()).count() as u64
}

/// Tokens billed per epoch for `content` (valid JSONL for `method`) trained on `model`.
pub fn billed_per_epoch(content: &str, model: &BaseModel, method: Method) -> u64 {
    let bpe = match model.tokenizer {
        Tokenizer::O200kBase => tiktoken_rs::o200k_base_singleton(),
        Tokenizer::Cl100kBase => tiktoken_rs::cl100k_base_singleton(),
    };
    content
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| example_tokens(&v, method, bpe).min(model.context_limit))
        .sum()
}

fn example_tokens(v: &Value, method: Method, bpe: &CoreBPE) -> u64 {
    let messages = |v: Option<&Value>| -> Vec<Value> {
        v.and_then(Value::as_array).cloned().unwrap_or_default()
    };
    let tools = |obj: Option<&Value>| -> u64 {
        let Some(obj) = obj.and_then(Value::as_object) else {
            return 0;
        };
        ["tools", "functions"]
            .iter()
            .filter_map(|k| obj.get(*k).filter(|t| t.is_array()))
            .map(|t| count(bpe, &sorted_json(t)))
            .sum()
    };
    match method {
        Method::Supervised | Method::Reinforcement => {
            let list = messages(v.get("messages"));
            list.iter().map(|m| message_tokens(m, bpe)).sum::<u64>() + 3 + tools(Some(v))
        }
        Method::Dpo => {
            let input = v.get("input");
            let prompt = messages(input.and_then(|i| i.get("messages")));
            let mut n = prompt.iter().map(|m| message_tokens(m, bpe)).sum::<u64>() + 3;
            n += tools(input);
            for key in ["preferred_output", "non_preferred_output"] {
                n += messages(v.get(key))
                    .iter()
                    .map(|m| message_tokens(m, bpe))
                    .sum::<u64>();
            }
            n
        }
    }
}

fn message_tokens(m: &Value, bpe: &CoreBPE) -> u64 {
    let Some(m) = m.as_object() else { return 0 };
    let mut n = 3;
    for (key, value) in m {
        if let Some(s) = value.as_str() {
            n += count(bpe, s);
            if key == "name" {
                n += 1;
            }
        }
    }
    if let Some(parts) = m.get("content").and_then(Value::as_array) {
        for part in parts {
            if let Some(text) = part.get("text").and_then(Value::as_str) {
                n += count(bpe, text);
            }
        }
    }
    let calls = m.get("tool_calls").and_then(Value::as_array);
    let functions = calls
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("function"))
        .chain(m.get("function_call"));
    for f in functions {
        for key in ["name", "arguments"] {
            if let Some(s) = f.get(key).and_then(Value::as_str) {
                n += count(bpe, s);
            }
        }
    }
    n
}

fn count(bpe: &CoreBPE, s: &str) -> u64 {
    bpe.encode_ordinary(s).len() as u64
}

/// Compact JSON with every object's keys sorted.
fn sorted_json(v: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                let mut out = Map::new();
                for k in keys {
                    out.insert(k.clone(), sort(&m[k]));
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    // A map keeps its keys sorted, or in insertion order (serde_json's `preserve_order`): either
    // way, inserted in sorted order, they come out sorted.
    sort(v).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::base;

    /// The notebook's rule, row by row, and the client's estimate (crates/core, written apart)
    /// picks the same epochs for every size of file.
    #[test]
    fn auto_epochs_follow_the_documented_rule() {
        for (examples, epochs) in [
            (0, 25),
            (1, 25),
            (4, 25),
            (5, 20),
            (12, 8),
            (33, 3),
            (34, 3),
            (8_333, 3),
            (8_334, 2),
            (12_501, 1),
            (30_000, 1),
        ] {
            assert_eq!(auto_epochs(examples), epochs, "{examples} examples");
        }
        for examples in 0..30_000 {
            assert_eq!(
                auto_epochs(examples),
                openai_ft_core::file::estimate::auto_epochs(examples),
                "{examples} examples"
            );
        }
    }
    use openai_ft_core::file::Validator;
    use openai_ft_core::file::stats::Counting;
    use openai_ft_core::tokens::Encoding;
    use openai_ft_core::training_method::TrainingMethod;

    /// The emulator's own count and the client's validator agree on every sample file, for a
    /// model of each tokenizer.
    #[test]
    fn the_emulator_bills_what_the_client_estimates() {
        let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data");
        let files = [
            ("supervised.jsonl", Method::Supervised),
            ("dpo.jsonl", Method::Dpo),
            ("reinforcement.jsonl", Method::Reinforcement),
            ("tokens/supervised.jsonl", Method::Supervised),
            ("tokens/tools.jsonl", Method::Supervised),
            ("tokens/dpo.jsonl", Method::Dpo),
            ("tokens/reinforcement.jsonl", Method::Reinforcement),
        ];
        for (file, method) in files {
            let content = std::fs::read_to_string(format!("{data}/{file}")).unwrap();
            for (model, encoding) in [
                ("gpt-4o-mini", Encoding::O200kBase),
                ("gpt-3.5-turbo", Encoding::Cl100kBase),
            ] {
                let model = base(model).unwrap();
                let training_method = TrainingMethod::parse("m", method.as_str()).unwrap();
                let mut v = Validator::counting(
                    training_method,
                    Counting {
                        encoding,
                        context_limit: Some(model.context_limit),
                    },
                );
                v.feed(content.as_bytes());
                let report = v.finish();
                assert_eq!(report.problem_count, 0, "{file}: {:?}", report.problems);
                assert_eq!(
                    billed_per_epoch(&content, model, method),
                    report.tokens.billed_per_epoch,
                    "{file} on {}",
                    model.id
                );
            }
        }
    }

    #[test]
    fn examples_are_capped_at_the_context_limit() {
        let short = r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}"#;
        let long = format!(
            r#"{{"messages":[{{"role":"user","content":"{}"}},{{"role":"assistant","content":"ok"}}]}}"#,
            "word ".repeat(70_000)
        );
        let model = base("gpt-4o-mini").unwrap();
        // 3 + user + hi, 3 + assistant + hello, 3.
        assert_eq!(billed_per_epoch(short, model, Method::Supervised), 13);
        let content = format!("{short}\n{long}\n");
        assert_eq!(
            billed_per_epoch(&content, model, Method::Supervised),
            13 + 65_536
        );
    }
}
