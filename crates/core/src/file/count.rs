//! How one training example's tokens are counted: OpenAI's data-preparation notebook
//! (`num_tokens_from_messages`: 3 tokens per message, every string field of a message encoded, 1
//! more for a `name`, 3 for priming the reply), extended to tool calls, tool definitions, DPO and
//! reinforcement examples as docs/tokens-and-cost.md states, so anyone can reproduce
//! a figure with tiktoken.

use serde_json::{Map, Value};

use crate::tokens::Tokenizer;
use crate::training_method::TrainingMethod;

/// Per message, for the tokens the chat format adds around it.
const PER_MESSAGE: u64 = 3;
/// Per `name` field, beyond its text.
const PER_NAME: u64 = 1;
/// Once per conversation: the assistant's reply is primed with `<|start|>assistant<|message|>`.
const REPLY_PRIMING: u64 = 3;

/// One example's tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExampleTokens {
    /// Every token of the example, as counted above: what the context limit and billing see.
    pub total: u64,
    /// Tokens the model is trained to write: the assistant messages' text and tool calls
    /// (weight 0 messages excluded); both completions of a DPO pair; none for reinforcement.
    pub trained: u64,
}

/// Counts an example that passed validation for `method`.
pub fn example(
    method: TrainingMethod,
    example: &Map<String, Value>,
    t: &Tokenizer,
) -> ExampleTokens {
    match method {
        TrainingMethod::Supervised | TrainingMethod::Reinforcement => {
            let messages = list(example.get("messages"));
            let trained = match method {
                TrainingMethod::Supervised => messages.iter().map(|m| assistant(m, t)).sum(),
                _ => 0,
            };
            ExampleTokens {
                total: conversation(messages, t) + tools(example, t),
                trained,
            }
        }
        TrainingMethod::Dpo => {
            let input = example.get("input").and_then(Value::as_object);
            let prompt = input.map_or(0, |i| {
                conversation(list(i.get("messages")), t) + tools(i, t)
            });
            let completions: Vec<&Value> = ["preferred_output", "non_preferred_output"]
                .iter()
                .flat_map(|k| list(example.get(*k)))
                .collect();
            ExampleTokens {
                total: prompt + completions.iter().map(|m| message(m, t)).sum::<u64>(),
                trained: completions.iter().map(|m| assistant(m, t)).sum(),
            }
        }
    }
}

fn list(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The notebook's `num_tokens_from_messages`.
fn conversation(messages: &[Value], t: &Tokenizer) -> u64 {
    messages.iter().map(|m| message(m, t)).sum::<u64>() + REPLY_PRIMING
}

/// One message: 3, plus every string field encoded (`role`, `content`, `name` (+1),
/// `tool_call_id`, ...), the `text` of each content part, and the function name and arguments of
/// each tool call (`tool_calls`, or the older `function_call`). Other values (`weight`, images)
/// add nothing.
fn message(m: &Value, t: &Tokenizer) -> u64 {
    let Some(m) = m.as_object() else { return 0 };
    let mut n = PER_MESSAGE;
    for (key, value) in m {
        n += match (key.as_str(), value) {
            (_, Value::String(s)) => t.count(s) + if key == "name" { PER_NAME } else { 0 },
            ("content", Value::Array(parts)) => parts_text(parts, t),
            _ => 0,
        };
    }
    n + calls(m, t)
}

/// The `text` of each content part; other parts (images, audio) add nothing.
fn parts_text(parts: &[Value], t: &Tokenizer) -> u64 {
    parts
        .iter()
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .map(|s| t.count(s))
        .sum()
}

/// The function names and arguments of a message's tool calls.
fn calls(m: &Map<String, Value>, t: &Tokenizer) -> u64 {
    let function = |f: Option<&Value>| -> u64 {
        ["name", "arguments"]
            .iter()
            .filter_map(|k| f.and_then(|f| f.get(*k)).and_then(Value::as_str))
            .map(|s| t.count(s))
            .sum()
    };
    let tool_calls: u64 = list(m.get("tool_calls"))
        .iter()
        .map(|c| function(c.get("function")))
        .sum();
    tool_calls + function(m.get("function_call"))
}

/// What an assistant message trains (0 for any other role, and for `weight` 0): its text and
/// tool calls, without the per-message tokens.
fn assistant(m: &Value, t: &Tokenizer) -> u64 {
    let Some(m) = m.as_object() else { return 0 };
    if m.get("role").and_then(Value::as_str) != Some("assistant")
        || m.get("weight").and_then(Value::as_u64) == Some(0)
    {
        return 0;
    }
    let content = match m.get("content") {
        Some(Value::String(s)) => t.count(s),
        Some(Value::Array(parts)) => parts_text(parts, t),
        _ => 0,
    };
    content + calls(m, t)
}

/// Tool definitions (`tools`, and the older `functions`): each list encoded as one string, the
/// list written as compact JSON with its keys sorted (Python: `json.dumps(tools,
/// separators=(",", ":"), sort_keys=True, ensure_ascii=False)`).
fn tools(obj: &Map<String, Value>, t: &Tokenizer) -> u64 {
    ["tools", "functions"]
        .iter()
        .filter_map(|k| obj.get(*k).filter(|v| v.is_array()))
        .map(|v| {
            let mut s = String::new();
            canonical_json(v, &mut s);
            t.count(&s)
        })
        .sum()
}

/// Compact JSON with sorted keys, whatever order serde_json keeps maps in.
fn canonical_json(v: &Value, out: &mut String) {
    match v {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical_json(&map[k], out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::Encoding;
    use TrainingMethod::{Dpo, Reinforcement, Supervised};

    fn count(method: TrainingMethod, line: &str) -> ExampleTokens {
        let t = Encoding::O200kBase.tokenizer().unwrap();
        let v: Value = serde_json::from_str(line).unwrap();
        example(method, v.as_object().unwrap(), &t)
    }

    fn n(s: &str) -> u64 {
        Encoding::O200kBase.tokenizer().unwrap().count(s)
    }

    #[test]
    fn a_chat_example_is_counted_as_the_notebook_does() {
        let got = count(
            Supervised,
            r#"{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi","name":"ann"},{"role":"assistant","content":"Hello there","weight":1}]}"#,
        );
        let want = 3
            + n("system")
            + n("Be brief.")
            + 3
            + n("user")
            + n("Hi")
            + n("ann")
            + 1
            + 3
            + n("assistant")
            + n("Hello there")
            + 3;
        assert_eq!(
            got,
            ExampleTokens {
                total: want,
                trained: n("Hello there")
            }
        );
    }

    #[test]
    fn tool_calls_and_definitions_count() {
        let got = count(
            Supervised,
            r#"{"messages":[{"role":"user","content":[{"type":"text","text":"weather?"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"c1","content":"sunny"},{"role":"assistant","content":"Sunny.","weight":0}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}"#,
        );
        let call = n("get_weather") + n(r#"{"city":"Paris"}"#);
        let tools = n(
            r#"[{"function":{"name":"get_weather","parameters":{"type":"object"}},"type":"function"}]"#,
        );
        let want = 3
            + n("user")
            + n("weather?")
            + 3
            + n("assistant")
            + call
            + 3
            + n("tool")
            + n("c1")
            + n("sunny")
            + 3
            + n("assistant")
            + n("Sunny.")
            + 3
            + tools;
        // The weight-0 reply is not trained on; the tool call is.
        assert_eq!(
            got,
            ExampleTokens {
                total: want,
                trained: call
            }
        );
    }

    #[test]
    fn dpo_counts_the_prompt_once_and_both_completions() {
        let got = count(
            Dpo,
            r#"{"input":{"messages":[{"role":"user","content":"Pick one"}]},"preferred_output":[{"role":"assistant","content":"Yes"}],"non_preferred_output":[{"role":"assistant","content":"No way"}]}"#,
        );
        let prompt = 3 + n("user") + n("Pick one") + 3;
        let completions = 3 + n("assistant") + n("Yes") + 3 + n("assistant") + n("No way");
        assert_eq!(
            got,
            ExampleTokens {
                total: prompt + completions,
                trained: n("Yes") + n("No way")
            }
        );
    }

    #[test]
    fn reinforcement_counts_the_prompt_only() {
        let got = count(
            Reinforcement,
            r#"{"messages":[{"role":"developer","content":"Answer"},{"role":"user","content":"2+2?"}],"reference_answer":"4"}"#,
        );
        let want = 3 + n("developer") + n("Answer") + 3 + n("user") + n("2+2?") + 3;
        assert_eq!(
            got,
            ExampleTokens {
                total: want,
                trained: 0
            }
        );
    }

    #[test]
    fn canonical_json_sorts_keys_and_escapes_like_python() {
        let v: Value =
            serde_json::from_str(r#"{"b":[1,2.5,"é\n\"x\u0001"],"a":{"d":null,"c":true}}"#)
                .unwrap();
        let mut s = String::new();
        canonical_json(&v, &mut s);
        assert_eq!(
            s,
            "{\"a\":{\"c\":true,\"d\":null},\"b\":[1,2.5,\"é\\n\\\"x\\u0001\"]}"
        );
    }
}
