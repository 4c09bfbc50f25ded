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

/// Counts an example that passed validation for `method`; `line` is its JSON text, for the
/// numbers in tool definitions, which Python writes from the text's own values.
pub fn example(
    method: TrainingMethod,
    example: &Map<String, Value>,
    line: &str,
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
                total: conversation(messages, t) + tools(example, line, &[], t),
                trained,
            }
        }
        TrainingMethod::Dpo => {
            let input = example.get("input").and_then(Value::as_object);
            let prompt = input.map_or(0, |i| {
                conversation(list(i.get("messages")), t) + tools(i, line, &["input"], t)
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
/// separators=(",", ":"), sort_keys=True, ensure_ascii=False)` of what `json.loads` read). `obj`
/// is the object holding them, at `path` in `line`.
fn tools(obj: &Map<String, Value>, line: &str, path: &[&str], t: &Tokenizer) -> u64 {
    ["tools", "functions"]
        .iter()
        .filter_map(|k| obj.get(*k).filter(|v| v.is_array()).map(|v| (*k, v)))
        .map(|(key, v)| {
            let mut s = String::new();
            // serde_json keeps an integer that fits 64 bits exactly, and writes it as Python
            // does; any other number (a fraction, an exponent, a larger integer, `-0`) is
            // written from its text, as Python reads and writes it.
            let raw = has_float(v)
                .then(|| python_json::at(line, &[path, &[key]].concat()))
                .flatten();
            match raw {
                Some(raw) if python_json::dumps(raw, &mut s).is_some() => {}
                _ => {
                    s.clear();
                    canonical_json(v, &mut s);
                }
            }
            t.count(&s)
        })
        .sum()
}

/// Whether `v` holds a number serde_json did not keep as a 64-bit integer.
fn has_float(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.is_f64(),
        Value::Array(items) => items.iter().any(has_float),
        Value::Object(map) => map.values().any(has_float),
        _ => false,
    }
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

/// Python's `json.dumps(json.loads(text), separators=(",", ":"), sort_keys=True,
/// ensure_ascii=False)` of JSON text that serde_json already accepted, numbers included: an
/// integer of any size is written as its digits (`-0` as `0`), any other number as the float
/// Python reads and `repr` writes (`1e+16`, `1e-05`, `100000.0`, `Infinity` past f64's range).
mod python_json {
    /// The text of the value at `path` (object keys from the top) in `text`, if there is one.
    pub(super) fn at<'a>(text: &'a str, path: &[&str]) -> Option<&'a str> {
        let mut value = text.trim();
        for key in path {
            let mut r = Reader::new(value);
            let mut found = None;
            r.members(|r, k| {
                let start = r.pos;
                r.skip()?;
                if k == *key {
                    // The last of duplicate keys, as json.loads keeps.
                    found = Some(&r.text[start..r.pos]);
                }
                Some(())
            })?;
            value = found?;
        }
        Some(value)
    }

    /// Appends Python's rendering of `text` (one JSON value) to `out`.
    pub(super) fn dumps(text: &str, out: &mut String) -> Option<()> {
        let mut r = Reader::new(text);
        r.dump(out)
    }

    struct Reader<'a> {
        text: &'a str,
        pos: usize,
    }

    impl<'a> Reader<'a> {
        fn new(text: &'a str) -> Self {
            Self { text, pos: 0 }
        }

        fn ws(&mut self) {
            let rest = &self.text[self.pos..];
            self.pos += rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r']).len();
        }

        fn peek(&mut self) -> Option<u8> {
            self.ws();
            self.text.as_bytes().get(self.pos).copied()
        }

        fn eat(&mut self, b: u8) -> Option<()> {
            (self.peek()? == b).then(|| self.pos += 1)
        }

        /// A string's raw text, quotes included.
        fn string(&mut self) -> Option<&'a str> {
            self.eat(b'"')?;
            let start = self.pos - 1;
            let bytes = self.text.as_bytes();
            loop {
                match bytes.get(self.pos)? {
                    b'"' => break,
                    b'\\' => self.pos += 2,
                    _ => self.pos += 1,
                }
            }
            self.pos += 1;
            Some(&self.text[start..self.pos])
        }

        /// Calls `member` with each key of an object, the reader at its value, which `member`
        /// must consume.
        fn members(
            &mut self,
            mut member: impl FnMut(&mut Self, String) -> Option<()>,
        ) -> Option<()> {
            self.eat(b'{')?;
            if self.eat(b'}').is_some() {
                return Some(());
            }
            loop {
                let key: String = serde_json::from_str(self.string()?).ok()?;
                self.eat(b':')?;
                member(self, key)?;
                match self.peek()? {
                    b',' => self.pos += 1,
                    b'}' => {
                        self.pos += 1;
                        return Some(());
                    }
                    _ => return None,
                }
            }
        }

        /// Skips one value.
        fn skip(&mut self) -> Option<()> {
            let mut sink = String::new();
            self.dump(&mut sink)
        }

        /// Reads one value and writes it as Python would.
        fn dump(&mut self, out: &mut String) -> Option<()> {
            match self.peek()? {
                b'{' => {
                    let mut pairs: Vec<(String, String)> = Vec::new();
                    self.members(|r, key| {
                        let mut value = String::new();
                        r.dump(&mut value)?;
                        match pairs.iter_mut().find(|(k, _)| *k == key) {
                            Some(pair) => pair.1 = value,
                            None => pairs.push((key, value)),
                        }
                        Some(())
                    })?;
                    // Python sorts str keys by code point: UTF-8's byte order.
                    pairs.sort_by(|a, b| a.0.cmp(&b.0));
                    out.push('{');
                    for (i, (k, v)) in pairs.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        out.push_str(&serde_json::Value::String(k.clone()).to_string());
                        out.push(':');
                        out.push_str(v);
                    }
                    out.push('}');
                }
                b'[' => {
                    self.pos += 1;
                    out.push('[');
                    if self.eat(b']').is_none() {
                        loop {
                            self.dump(out)?;
                            match self.peek()? {
                                b',' => {
                                    self.pos += 1;
                                    out.push(',');
                                }
                                b']' => {
                                    self.pos += 1;
                                    break;
                                }
                                _ => return None,
                            }
                        }
                    }
                    out.push(']');
                }
                b'"' => {
                    let s: String = serde_json::from_str(self.string()?).ok()?;
                    out.push_str(&serde_json::Value::String(s).to_string());
                }
                b't' | b'f' | b'n' => {
                    let word = ["true", "false", "null"]
                        .into_iter()
                        .find(|w| self.text[self.pos..].starts_with(w))?;
                    self.pos += word.len();
                    out.push_str(word);
                }
                _ => {
                    let rest = &self.text[self.pos..];
                    let len = rest
                        .find(|c: char| !matches!(c, '0'..='9' | '-' | '+' | '.' | 'e' | 'E'))
                        .unwrap_or(rest.len());
                    number(&rest[..len], out)?;
                    self.pos += len;
                }
            }
            Some(())
        }
    }

    /// A JSON number as Python writes what it reads: an integer's digits, a float's `repr`.
    fn number(text: &str, out: &mut String) -> Option<()> {
        if text.is_empty() {
            return None;
        }
        if !text.contains(['.', 'e', 'E']) {
            let digits = text.strip_prefix('-').unwrap_or(text);
            if digits.bytes().all(|b| b == b'0') {
                out.push('0');
            } else {
                out.push_str(text);
            }
            return Some(());
        }
        let x: f64 = text.parse().ok()?;
        if x.is_infinite() {
            out.push_str(if x < 0.0 { "-Infinity" } else { "Infinity" });
            return Some(());
        }
        out.push_str(&repr(x));
        Some(())
    }

    /// Python's `repr` of a finite float: the shortest digits that read back as `x`, fixed
    /// notation for a decimal exponent from -4 to 15 (with `.0` if whole), else `d.ddde+XX`.
    pub(super) fn repr(x: f64) -> String {
        // Rust's `{:e}` writes the same shortest digits: `d.ddde-N`.
        let sci = format!("{:e}", x.abs());
        let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        let sign = if x.is_sign_negative() { "-" } else { "" };
        // The decimal point's place after the first digit, as Python's `decpt` counts it.
        let decpt = exp + 1;
        let n = digits.len() as i32;
        if decpt <= -4 || decpt > 16 {
            let (first, rest) = digits.split_at(1);
            let dot = if rest.is_empty() { "" } else { "." };
            let esign = if exp < 0 { '-' } else { '+' };
            format!("{sign}{first}{dot}{rest}e{esign}{:02}", exp.abs())
        } else if decpt <= 0 {
            format!("{sign}0.{}{digits}", "0".repeat((-decpt) as usize))
        } else if decpt < n {
            let (int, frac) = digits.split_at(decpt as usize);
            format!("{sign}{int}.{frac}")
        } else {
            format!("{sign}{digits}{}.0", "0".repeat((decpt - n) as usize))
        }
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
        example(method, v.as_object().unwrap(), line, &t)
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

    /// Python's rendering of `text`, as [`tools`] writes a list holding other numbers.
    fn python(text: &str) -> String {
        let mut s = String::new();
        python_json::dumps(text, &mut s).unwrap();
        s
    }

    #[test]
    fn numbers_are_written_as_python_reads_and_writes_them() {
        // Expected: Python 3's json.dumps(json.loads(text), separators=(",", ":"),
        // sort_keys=True, ensure_ascii=False).
        for (text, python_writes) in [
            (
                "123456789012345678901234567890",
                "123456789012345678901234567890",
            ),
            ("-98765432109876543210", "-98765432109876543210"),
            ("-0", "0"),
            ("-0.0", "-0.0"),
            ("0.0", "0.0"),
            ("1E2", "100.0"),
            ("1e5", "100000.0"),
            ("1e15", "1000000000000000.0"),
            ("1e16", "1e+16"),
            ("1.5e300", "1.5e+300"),
            ("0.0001", "0.0001"),
            ("0.00001", "1e-05"),
            ("-1.25e-7", "-1.25e-07"),
            ("123.456", "123.456"),
            ("0.1", "0.1"),
            ("1e400", "Infinity"),
            ("-1e400", "-Infinity"),
            ("1e-400", "0.0"),
            ("12345678901234567.0", "1.2345678901234568e+16"),
        ] {
            assert_eq!(python(text), python_writes, "{text}");
        }
        assert_eq!(
            python(
                r#" {"b" : [ 1 , -0, 2.50 ,{"z":1,"a":"\u00e9\n"}], "a":{}, "b":[ ] , "c": [true,false,null]} "#
            ),
            r#"{"a":{},"b":[],"c":[true,false,null]}"#
        );
        assert_eq!(
            python_json::at(
                r#"{"input":{"tools":[1e2],"x":0},"tools":[-0]}"#,
                &["input", "tools"]
            ),
            Some("[1e2]")
        );
    }

    #[test]
    fn tool_definitions_count_their_numbers_as_python_writes_them() {
        let line = r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"integer","maximum":123456789012345678901234567890,"minimum":-0,"multipleOf":1e-5,"default":1E2}}}]}"#;
        let t = Encoding::O200kBase.tokenizer().unwrap();
        let python = r#"[{"function":{"name":"f","parameters":{"default":100.0,"maximum":123456789012345678901234567890,"minimum":0,"multipleOf":1e-05,"type":"integer"}},"type":"function"}]"#;
        let messages = 3 + n("user") + n("hi") + 3 + n("assistant") + n("yo") + 3;
        assert_eq!(count(Supervised, line).total, messages + t.count(python));
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
