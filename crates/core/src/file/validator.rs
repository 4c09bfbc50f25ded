//! Streaming validation of a fine-tuning JSONL file before it is uploaded. The validator is fed
//! chunks of any size and keeps at most one (capped) line in memory, so a 512 MB file is checked
//! in bounded memory, and every problem is reported with its line number.

use std::fmt;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::count::{self, ExampleTokens};
use super::stats::{Counting, TokenStats};
use crate::error::{InputError, quote};
use crate::ids::hex;
use crate::tokens::Tokenizer;
use crate::training_method::TrainingMethod;

/// Longest line checked. No single example comes near it (the largest context windows are a few
/// hundred kilobytes of text), so a longer line is almost always a file that is not JSONL at all.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;
/// Problems kept in a [`Report`]; all are counted.
pub const MAX_PROBLEMS_KEPT: usize = 100;
/// OpenAI's (and Azure's) minimum number of training examples.
pub const MIN_EXAMPLES: u64 = 10;
/// Problems listed in the one-line error form of [`Report::check`].
const PROBLEMS_IN_ERROR: usize = 3;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const ROLES: &[&str] = &[
    "system",
    "developer",
    "user",
    "assistant",
    "tool",
    "function",
];

/// One problem: `line` is 1-based; 0 means the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => f.write_str(&self.message),
            n => write!(f, "line {n}: {}", self.message),
        }
    }
}

/// What [`Validator::finish`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Non-blank lines, valid or not: each one is an example to the service.
    pub examples: u64,
    /// The exact token figures of the valid examples ([`count`] says how each is counted).
    pub tokens: TokenStats,
    pub bytes: u64,
    /// Lowercase hex SHA-256 of the whole content, BOM included: what the server stores.
    pub sha256: String,
    /// The first [`MAX_PROBLEMS_KEPT`] problems, in line order (the file-level ones last).
    pub problems: Vec<Problem>,
    /// Every problem, including the ones not kept.
    pub problem_count: u64,
}

impl Report {
    /// The one-line refusal, e.g. `invalid training file "train.jsonl": 3 problems: line 2:
    /// missing "messages"; line 5: ...; and 1 more`. `what` is "training file" or
    /// "validation file"; `name` is the file as the user named it.
    pub fn check(&self, what: &str, name: &str) -> Result<(), InputError> {
        if self.problem_count == 0 {
            return Ok(());
        }
        let listed: Vec<String> = self
            .problems
            .iter()
            .take(PROBLEMS_IN_ERROR)
            .map(ToString::to_string)
            .collect();
        let mut rule = format!("{}: {}", problems(self.problem_count), listed.join("; "));
        let more = self.problem_count - listed.len() as u64;
        if more > 0 {
            rule.push_str(&format!("; and {more} more"));
        }
        Err(InputError::invalid(what, name, rule))
    }
}

fn problems(n: u64) -> String {
    count(n, "problem")
}

fn count(n: u64, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// Checks a JSONL file for one training method, fed in chunks, and counts its tokens.
#[derive(Debug, Clone)]
pub struct Validator {
    method: TrainingMethod,
    /// `None` in a build without tokenizers: nothing is counted.
    tokenizer: Option<Tokenizer>,
    tokens: TokenStats,
    hasher: Sha256,
    bytes: u64,
    /// Number of the line being read, 1-based.
    line: u64,
    /// The line so far, up to [`MAX_LINE_BYTES`].
    buf: Vec<u8>,
    /// The line's full length, which may exceed what `buf` kept.
    line_bytes: u64,
    examples: u64,
    problems: Vec<Problem>,
    problem_count: u64,
}

impl Validator {
    /// Counts with o200k_base and no context limit.
    pub fn new(method: TrainingMethod) -> Self {
        Self::counting(method, Counting::default())
    }

    pub fn counting(method: TrainingMethod, counting: Counting) -> Self {
        Self {
            method,
            tokenizer: counting.encoding.tokenizer(),
            tokens: TokenStats::new(counting),
            hasher: Sha256::new(),
            bytes: 0,
            line: 1,
            buf: Vec::new(),
            line_bytes: 0,
            examples: 0,
            problems: Vec::new(),
            problem_count: 0,
        }
    }

    /// Takes the next bytes of the file; chunk boundaries may fall anywhere, even inside a
    /// character.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
        self.bytes += chunk.len() as u64;
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.push(&rest[..end]);
            self.end_line();
            rest = &rest[end + 1..];
        }
        self.push(rest);
    }

    pub fn finish(mut self) -> Report {
        // A last line without a newline is still a line; a final newline does not start one.
        if self.line_bytes > 0 {
            self.end_line();
        }
        // Only valid examples train: an invalid line does not count towards the minimum.
        let valid = self.tokens.examples;
        if valid < MIN_EXAMPLES {
            let has = if valid == self.examples {
                count(valid, "example")
            } else {
                format!("{} of {}", count(valid, "valid example"), self.examples)
            };
            self.problem(
                0,
                format!("the file has {has}; fine-tuning needs at least {MIN_EXAMPLES}"),
            );
        }
        let sha256 = hex(&self.hasher.finalize());
        Report {
            examples: self.examples,
            tokens: self.tokens,
            bytes: self.bytes,
            sha256,
            problems: self.problems,
            problem_count: self.problem_count,
        }
    }

    fn push(&mut self, bytes: &[u8]) {
        self.line_bytes += bytes.len() as u64;
        let room = MAX_LINE_BYTES.saturating_sub(self.buf.len());
        self.buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn end_line(&mut self) {
        let line = self.line;
        let mut buf = std::mem::take(&mut self.buf);
        let len = self.line_bytes;
        self.line += 1;
        self.line_bytes = 0;

        let mut text: &[u8] = &buf;
        // Azure recommends saving with a BOM; it is allowed at the very start only.
        if line == 1 {
            text = text.strip_prefix(UTF8_BOM).unwrap_or(text);
        }
        text = text.strip_suffix(b"\r").unwrap_or(text);
        let outcome = if len > MAX_LINE_BYTES as u64 {
            self.examples += 1;
            Err(format!(
                "the line is {len} bytes, more than the {MAX_LINE_BYTES} this check reads; put \
                 one example per line"
            ))
        } else {
            match std::str::from_utf8(text) {
                Err(e) => {
                    self.examples += 1;
                    Err(format!(
                        "not valid UTF-8 (byte {} of the line); save the file as UTF-8",
                        e.valid_up_to() + 1
                    ))
                }
                // The service reads each line as one JSON object, so an empty line is an
                // invalid example rather than a separator; refusing it here is cheaper than a
                // failed job.
                Ok(s) if s.trim().is_empty() => Err(
                    "blank line; every line must be one JSON object (remove empty lines)".into(),
                ),
                Ok(s) => {
                    self.examples += 1;
                    check_example(self.method, s, self.tokenizer.as_ref())
                }
            }
        };
        match outcome {
            Ok(tokens) => self.tokens.add(line, tokens),
            Err(message) => self.problem(line, message),
        }
        // Reuse the allocation for the next line.
        buf.clear();
        self.buf = buf;
    }

    fn problem(&mut self, line: u64, message: String) {
        self.problem_count += 1;
        if self.problems.len() < MAX_PROBLEMS_KEPT {
            self.problems.push(Problem { line, message });
        }
    }
}

/// Checks one example; returns its tokens, or the first problem found.
fn check_example(
    method: TrainingMethod,
    line: &str,
    tokenizer: Option<&Tokenizer>,
) -> Result<ExampleTokens, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| {
        let hint = if e.is_eof() {
            "; each example must be a whole JSON object on one line"
        } else {
            ""
        };
        format!(
            "not valid JSON ({} at column {}){hint}",
            json_error_message(&e),
            e.column()
        )
    })?;
    let Value::Object(example) = value else {
        return Err(format!("must be a JSON object, not {}", kind(&value)));
    };
    match method {
        TrainingMethod::Supervised => check_supervised(&example)?,
        TrainingMethod::Dpo => check_dpo(&example)?,
        TrainingMethod::Reinforcement => check_reinforcement(&example)?,
    }
    Ok(tokenizer.map_or_else(ExampleTokens::default, |t| {
        count::example(method, &example, line, t)
    }))
}

/// serde_json's message without its " at line 1 column N" tail, which is always line 1 here.
fn json_error_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(at) => full[..at].to_owned(),
        None => full,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn check_supervised(example: &Map<String, Value>) -> Result<(), String> {
    let roles = check_messages("messages", example.get("messages"))?;
    if !roles.contains(&"assistant") {
        return Err(
            "no assistant message; a supervised example needs at least one assistant reply to \
             learn from"
                .into(),
        );
    }
    check_tools("", example)
}

fn check_dpo(example: &Map<String, Value>) -> Result<(), String> {
    let input = match example.get("input") {
        None => return Err("missing \"input\"".into()),
        Some(Value::Object(input)) => input,
        Some(other) => {
            return Err(format!(
                "\"input\" must be an object with \"messages\", not {}",
                kind(other)
            ));
        }
    };
    let roles = check_messages("input.messages", input.get("messages"))?;
    if roles.last() == Some(&"assistant") {
        return Err(
            "input.messages ends with an assistant message; the answers belong in \
             preferred_output and non_preferred_output"
                .into(),
        );
    }
    check_tools("input.", input)?;
    for key in ["preferred_output", "non_preferred_output"] {
        let count = match example.get(key) {
            None => return Err(format!("missing \"{key}\"")),
            Some(Value::Array(list)) => list.len(),
            Some(other) => {
                return Err(format!(
                    "\"{key}\" must be a list of exactly one assistant message, not {}",
                    kind(other)
                ));
            }
        };
        if count != 1 {
            return Err(format!(
                "\"{key}\" must be a list of exactly one assistant message, not {count}"
            ));
        }
        let roles = check_messages(key, example.get(key))?;
        if let Some(role) = roles.first().filter(|r| **r != "assistant") {
            return Err(format!(
                "{key}[0] must be an assistant message, not role {}",
                quote(role)
            ));
        }
    }
    Ok(())
}

fn check_reinforcement(example: &Map<String, Value>) -> Result<(), String> {
    let roles = check_messages("messages", example.get("messages"))?;
    if let Some(role) = roles.last().filter(|r| **r != "user") {
        return Err(format!(
            "the last message must be from the user, not {} (the model writes the answer and \
             the grader scores it)",
            quote(role)
        ));
    }
    // Every other top-level key is data for the grader (`{{item.*}}`), so none is refused.
    check_tools("", example)
}

/// Checks a message list; returns the roles in order.
fn check_messages(path: &str, list: Option<&Value>) -> Result<Vec<&'static str>, String> {
    let list = match list {
        None => return Err(format!("missing \"{path}\"")),
        Some(Value::Array(list)) => list,
        Some(other) => {
            return Err(format!(
                "\"{path}\" must be a list of messages, not {}",
                kind(other)
            ));
        }
    };
    if list.is_empty() {
        return Err(format!("\"{path}\" is empty"));
    }
    list.iter()
        .enumerate()
        .map(|(n, m)| check_message(&format!("{path}[{n}]"), m))
        .collect()
}

fn check_message(path: &str, message: &Value) -> Result<&'static str, String> {
    let Value::Object(message) = message else {
        return Err(format!("{path} must be an object, not {}", kind(message)));
    };
    let role = match message.get("role") {
        None => return Err(format!("{path} has no \"role\"")),
        Some(Value::String(r)) => match ROLES.iter().find(|known| *known == r) {
            Some(known) => *known,
            None => {
                return Err(format!(
                    "{path}.role {} is not one of {}",
                    quote(r),
                    ROLES.join(", ")
                ));
            }
        },
        Some(other) => return Err(format!("{path}.role must be a string, not {}", kind(other))),
    };
    let calls = ["tool_calls", "function_call"]
        .into_iter()
        .filter_map(|k| message.get(k).filter(|v| !v.is_null()))
        .collect::<Vec<_>>();
    if let Some(calls) = message.get("tool_calls").filter(|v| !v.is_null())
        && !calls.is_array()
    {
        return Err(format!(
            "{path}.tool_calls must be a list, not {}",
            kind(calls)
        ));
    }
    match message.get("content") {
        // An assistant turn may be only a tool call.
        None | Some(Value::Null) if role == "assistant" && !calls.is_empty() => {}
        None | Some(Value::Null) => {
            return Err(match role {
                "assistant" => format!("{path} has neither \"content\" nor \"tool_calls\""),
                _ => format!("{path} has no \"content\""),
            });
        }
        Some(Value::String(_)) => {}
        Some(Value::Array(parts)) => {
            for (n, part) in parts.iter().enumerate() {
                let typed = part
                    .as_object()
                    .and_then(|p| p.get("type"))
                    .is_some_and(Value::is_string);
                if !typed {
                    return Err(format!(
                        "{path}.content[{n}] must be a content part, an object with a \"type\""
                    ));
                }
            }
        }
        Some(other) => {
            return Err(format!(
                "{path}.content must be a string or a list of content parts, not {}",
                kind(other)
            ));
        }
    }
    if let Some(weight) = message.get("weight")
        && weight.as_u64().is_none_or(|w| w > 1)
    {
        return Err(format!("{path}.weight must be 0 or 1, not {weight}"));
    }
    Ok(role)
}

/// `tools`, `functions` (the older form) and `parallel_tool_calls` are optional beside the
/// messages; tool definitions are part of the prompt, so they count toward the tokens.
fn check_tools(prefix: &str, obj: &Map<String, Value>) -> Result<(), String> {
    for key in ["tools", "functions"] {
        match obj.get(key) {
            None | Some(Value::Null) | Some(Value::Array(_)) => {}
            Some(other) => {
                return Err(format!(
                    "\"{prefix}{key}\" must be a list, not {}",
                    kind(other)
                ));
            }
        }
    }
    match obj.get("parallel_tool_calls") {
        None | Some(Value::Null) | Some(Value::Bool(_)) => Ok(()),
        Some(other) => Err(format!(
            "\"{prefix}parallel_tool_calls\" must be true or false, not {}",
            kind(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TrainingMethod::{Dpo, Reinforcement, Supervised};

    /// What a person would be shown; only the tests read the report this way.
    impl Report {
        pub fn is_valid(&self) -> bool {
            self.problem_count == 0
        }

        /// A few lines for a person: the counts, then every kept problem.
        pub fn summary(&self) -> String {
            let mut out = format!(
                "{} examples, {} tokens, {} bytes, sha256 {}\n",
                self.examples, self.tokens.total, self.bytes, self.sha256
            );
            if self.problem_count == 0 {
                out.push_str("no problems\n");
                return out;
            }
            out.push_str(&format!("{}:\n", problems(self.problem_count)));
            for p in &self.problems {
                out.push_str(&format!("  {p}\n"));
            }
            let hidden = self.problem_count - self.problems.len() as u64;
            if hidden > 0 {
                out.push_str(&format!(
                    "  and {hidden} more (only the first {MAX_PROBLEMS_KEPT} are kept)\n"
                ));
            }
            out
        }
    }

    const SFT: &str = r#"{"messages":[{"role":"system","content":"s"},{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}"#;
    const DPO: &str = r#"{"input":{"messages":[{"role":"user","content":"hi"}]},"preferred_output":[{"role":"assistant","content":"good"}],"non_preferred_output":[{"role":"assistant","content":"bad"}]}"#;
    const RFT: &str = r#"{"messages":[{"role":"developer","content":"d"},{"role":"user","content":"q"}],"label":"x"}"#;

    fn valid(method: TrainingMethod) -> &'static str {
        match method {
            Supervised => SFT,
            Dpo => DPO,
            Reinforcement => RFT,
        }
    }

    fn validate(method: TrainingMethod, content: &[u8]) -> Report {
        let mut v = Validator::new(method);
        v.feed(content);
        v.finish()
    }

    /// `line` as line 1, followed by enough valid examples that it is the only possible problem.
    fn problems_with(method: TrainingMethod, line: &[u8]) -> Vec<Problem> {
        let mut content = line.to_vec();
        for _ in 0..MIN_EXAMPLES {
            content.push(b'\n');
            content.extend_from_slice(valid(method).as_bytes());
        }
        validate(method, &content).problems
    }

    #[test]
    fn every_format_error_is_reported_with_its_line() {
        let rows: &[(TrainingMethod, &str, &str)] = &[
            (Supervised, "[1,2]", "must be a JSON object, not a list"),
            (
                Supervised,
                r#"{"messages": ["#,
                "not valid JSON (EOF while parsing a list at column 14); each example must be a whole JSON object on one line",
            ),
            (
                Supervised,
                r#"{"messages": [],}"#,
                "not valid JSON (trailing comma at column 17)",
            ),
            (
                Supervised,
                r#"{"prompt":"a","completion":"b"}"#,
                r#"missing "messages""#,
            ),
            (
                Supervised,
                r#"{"messages":{}}"#,
                r#""messages" must be a list of messages, not an object"#,
            ),
            (Supervised, r#"{"messages":[]}"#, r#""messages" is empty"#),
            (
                Supervised,
                r#"{"messages":["hi"]}"#,
                "messages[0] must be an object, not a string",
            ),
            (
                Supervised,
                r#"{"messages":[{"content":"hi"}]}"#,
                r#"messages[0] has no "role""#,
            ),
            (
                Supervised,
                r#"{"messages":[{"role":"bot","content":"hi"}]}"#,
                r#"messages[0].role "bot" is not one of system, developer, user, assistant, tool, function"#,
            ),
            (
                Supervised,
                r#"{"messages":[{"role":1,"content":"hi"}]}"#,
                "messages[0].role must be a string, not a number",
            ),
            (
                Supervised,
                r#"{"messages":[{"role":"user"},{"role":"assistant","content":"a"}]}"#,
                r#"messages[0] has no "content""#,
            ),
            (
                Supervised,
                r#"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":null}]}"#,
                r#"messages[1] has neither "content" nor "tool_calls""#,
            ),
            (
                Supervised,
                r#"{"messages":[{"role":"user","content":5},{"role":"assistant","content":"a"}]}"#,
                "messages[0].content must be a string or a list of content parts, not a number",
            ),
            (
                Supervised,
                r#"{"messages":[{"role":"user","content":["x"]},{"role":"assistant","content":"a"}]}"#,
                r#"messages[0].content[0] must be a content part, an object with a "type""#,
            ),
            (
                Supervised,
                r#"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a","weight":2}]}"#,
                "messages[1].weight must be 0 or 1, not 2",
            ),
            (
                Supervised,
                r#"{"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":{}}]}"#,
                "messages[1].tool_calls must be a list, not an object",
            ),
            (
                Supervised,
                r#"{"messages":[{"role":"system","content":"s"},{"role":"user","content":"q"}]}"#,
                "no assistant message; a supervised example needs at least one assistant reply to learn from",
            ),
            (
                Supervised,
                r#"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"tools":"x"}"#,
                r#""tools" must be a list, not a string"#,
            ),
            (
                Supervised,
                r#"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"functions":{}}"#,
                r#""functions" must be a list, not an object"#,
            ),
            (
                Supervised,
                r#"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"parallel_tool_calls":"yes"}"#,
                r#""parallel_tool_calls" must be true or false, not a string"#,
            ),
            (Dpo, SFT, r#"missing "input""#),
            (
                Dpo,
                r#"{"input":[],"preferred_output":[],"non_preferred_output":[]}"#,
                r#""input" must be an object with "messages", not a list"#,
            ),
            (Dpo, r#"{"input":{}}"#, r#"missing "input.messages""#),
            (
                Dpo,
                r#"{"input":{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}}"#,
                "input.messages ends with an assistant message; the answers belong in preferred_output and non_preferred_output",
            ),
            (
                Dpo,
                r#"{"input":{"messages":[{"role":"user","content":"q"}],"tools":"x"}}"#,
                r#""input.tools" must be a list, not a string"#,
            ),
            (
                Dpo,
                r#"{"input":{"messages":[{"role":"user","content":"q"}]},"non_preferred_output":[{"role":"assistant","content":"b"}]}"#,
                r#"missing "preferred_output""#,
            ),
            (
                Dpo,
                r#"{"input":{"messages":[{"role":"user","content":"q"}]},"preferred_output":{"role":"assistant","content":"a"}}"#,
                r#""preferred_output" must be a list of exactly one assistant message, not an object"#,
            ),
            (
                Dpo,
                r#"{"input":{"messages":[{"role":"user","content":"q"}]},"preferred_output":[{"role":"assistant","content":"a"},{"role":"assistant","content":"b"}]}"#,
                r#""preferred_output" must be a list of exactly one assistant message, not 2"#,
            ),
            (
                Dpo,
                r#"{"input":{"messages":[{"role":"user","content":"q"}]},"preferred_output":[{"role":"user","content":"a"}]}"#,
                r#"preferred_output[0] must be an assistant message, not role "user""#,
            ),
            (
                Dpo,
                r#"{"input":{"messages":[{"role":"user","content":"q"}]},"preferred_output":[{"role":"assistant","content":"a"}],"non_preferred_output":[]}"#,
                r#""non_preferred_output" must be a list of exactly one assistant message, not 0"#,
            ),
            (
                Dpo,
                r#"{"input":{"messages":[{"role":"user","content":"q"}]},"preferred_output":[{"role":"assistant","content":"a"}],"non_preferred_output":[{"role":"assistant"}]}"#,
                r#"non_preferred_output[0] has neither "content" nor "tool_calls""#,
            ),
            (
                Reinforcement,
                r#"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}"#,
                r#"the last message must be from the user, not "assistant" (the model writes the answer and the grader scores it)"#,
            ),
            (Reinforcement, r#"{"label":"x"}"#, r#"missing "messages""#),
            (
                Reinforcement,
                r#"{"messages":[{"role":"user","content":{}}]}"#,
                "messages[0].content must be a string or a list of content parts, not an object",
            ),
            (
                Supervised,
                "",
                "blank line; every line must be one JSON object (remove empty lines)",
            ),
            (
                Supervised,
                " \t\r",
                "blank line; every line must be one JSON object (remove empty lines)",
            ),
        ];
        for (method, line, want) in rows {
            let got = problems_with(*method, line.as_bytes());
            let want = vec![Problem {
                line: 1,
                message: (*want).to_owned(),
            }];
            assert_eq!(got, want, "{method} line {line}");
        }
    }

    #[test]
    fn accepted_shapes() {
        let rows: &[(TrainingMethod, &str)] = &[
            (
                Supervised,
                r#"{"messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"r"},{"role":"assistant","content":"a","weight":0}],"tools":[{"type":"function","function":{"name":"f"}}],"parallel_tool_calls":false}"#,
            ),
            (
                Supervised,
                r#"{"messages":[{"role":"user","content":[{"type":"text","text":"q"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},{"role":"assistant","content":"a"}]}"#,
            ),
            (
                Supervised,
                r#"{"messages":[{"role":"user","content":"q"},{"role":"assistant","function_call":{"name":"f","arguments":"{}"}},{"role":"function","name":"f","content":"r"},{"role":"assistant","content":"a"}],"functions":[{"name":"f"}]}"#,
            ),
            (
                Dpo,
                r#"{"input":{"messages":[{"role":"system","content":"s"},{"role":"user","content":"q"}],"tools":[],"parallel_tool_calls":true},"preferred_output":[{"role":"assistant","content":"a"}],"non_preferred_output":[{"role":"assistant","content":"b"}]}"#,
            ),
            (
                Reinforcement,
                r#"{"messages":[{"role":"user","content":"q"}],"reference_answer":{"x":[1,2]},"tools":[]}"#,
            ),
        ];
        for (method, line) in rows {
            assert_eq!(
                problems_with(*method, line.as_bytes()),
                vec![],
                "{method} {line}"
            );
        }
    }

    #[test]
    fn invalid_utf8_names_the_byte() {
        let got = problems_with(Supervised, b"{\"a\xff\"}");
        assert_eq!(
            got[0].message,
            "not valid UTF-8 (byte 4 of the line); save the file as UTF-8"
        );
        // A character cut in half by the end of the line is invalid too.
        let got = problems_with(Supervised, b"{}\xe2\x98");
        assert_eq!(
            got[0].message,
            "not valid UTF-8 (byte 3 of the line); save the file as UTF-8"
        );
    }

    fn file(method: TrainingMethod, n: usize, eol: &str) -> String {
        let mut s = String::new();
        for _ in 0..n {
            s.push_str(valid(method));
            s.push_str(eol);
        }
        s
    }

    #[test]
    fn bom_at_the_start_and_crlf_endings_are_accepted() {
        let mut content = UTF8_BOM.to_vec();
        content.extend_from_slice(file(Supervised, 10, "\r\n").as_bytes());
        let report = validate(Supervised, &content);
        assert_eq!(report.problems, vec![]);
        assert_eq!(report.examples, 10);
        assert_eq!(report.bytes, content.len() as u64);

        // Only at the start: elsewhere it is a stray character.
        let mut content = file(Supervised, 10, "\n").into_bytes();
        content.extend_from_slice(UTF8_BOM);
        content.extend_from_slice(SFT.as_bytes());
        let report = validate(Supervised, &content);
        assert_eq!(
            report.problems,
            vec![Problem {
                line: 11,
                message: "not valid JSON (expected value at column 1)".into()
            }]
        );
    }

    #[test]
    fn a_last_line_without_newline_counts_and_a_final_newline_does_not() {
        let with = file(Reinforcement, 10, "\n");
        let without = with.trim_end_matches('\n');
        for content in [with.as_str(), without] {
            let report = validate(Reinforcement, content.as_bytes());
            assert_eq!((report.examples, report.problem_count), (10, 0));
        }
        let report = validate(Reinforcement, format!("{with}\n").as_bytes());
        assert_eq!(
            report.problems,
            vec![Problem {
                line: 11,
                message: "blank line; every line must be one JSON object (remove empty lines)"
                    .into()
            }]
        );
    }

    #[test]
    fn fewer_than_ten_examples_is_a_file_problem() {
        let report = validate(Dpo, file(Dpo, 9, "\n").as_bytes());
        assert_eq!(
            report.problems,
            vec![Problem {
                line: 0,
                message: "the file has 9 examples; fine-tuning needs at least 10".into()
            }]
        );
        let report = validate(Dpo, b"");
        assert_eq!(
            report.problems[0].message,
            "the file has 0 examples; fine-tuning needs at least 10"
        );
        assert_eq!(
            report.sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // Invalid lines are not examples that train: 9 valid and 1 invalid are too few.
        let mut content = file(Dpo, 9, "\n");
        content.push_str("{}\n");
        let report = validate(Dpo, content.as_bytes());
        assert_eq!(
            report.problems.last().map(|p| p.message.as_str()),
            Some("the file has 9 valid examples of 10; fine-tuning needs at least 10")
        );
    }

    #[test]
    fn overlong_lines_are_refused_without_keeping_them() {
        let mut v = Validator::new(Supervised);
        let chunk = vec![b'x'; 1024 * 1024];
        for _ in 0..5 {
            v.feed(&chunk);
        }
        assert!(v.buf.len() <= MAX_LINE_BYTES);
        v.feed(b"\n");
        v.feed(file(Supervised, 10, "\n").as_bytes());
        let report = v.finish();
        assert_eq!(
            report.problems,
            vec![Problem {
                line: 1,
                message: "the line is 5242880 bytes, more than the 4194304 this check reads; put one example per line".into()
            }]
        );
        assert_eq!(report.examples, 11);
    }

    #[test]
    fn problems_are_capped_but_all_counted() {
        let report = validate(Supervised, "{}\n".repeat(150).as_bytes());
        assert_eq!(report.problems.len(), MAX_PROBLEMS_KEPT);
        // Each line, and the file: none of its 150 examples is valid.
        assert_eq!(report.problem_count, 151);
        assert_eq!(report.problems[99].line, 100);
    }

    #[test]
    fn sha256_matches_known_vectors() {
        let mut v = Validator::new(Supervised);
        for b in b"abc" {
            v.feed(std::slice::from_ref(b));
        }
        let report = v.finish();
        assert_eq!(
            report.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(report.bytes, 3);
    }

    #[test]
    fn chunk_boundaries_do_not_change_the_report() {
        let mut content = UTF8_BOM.to_vec();
        content.extend_from_slice(file(Supervised, 6, "\r\n").as_bytes());
        content.extend_from_slice("{\"messages\":[{\"role\":\"user\",\"content\":\"héllo ☃ 𝄞\"},{\"role\":\"assistant\",\"content\":\"ünï\"}]}\n".as_bytes());
        content.extend_from_slice(b"\n{\"messages\":[]}\r\n\xff\xfe\n[1]\n");
        content.extend_from_slice(file(Supervised, 4, "\n").as_bytes());
        content.extend_from_slice(SFT.as_bytes()); // no final newline
        let whole = validate(Supervised, &content);
        assert_eq!(whole.examples, 15);
        assert_eq!(
            whole.problems.iter().map(|p| p.line).collect::<Vec<_>>(),
            vec![8, 9, 10, 11]
        );
        for size in [1, 2, 3, 5, 7, 64, 1000] {
            let mut v = Validator::new(Supervised);
            for chunk in content.chunks(size) {
                v.feed(chunk);
            }
            assert_eq!(v.finish(), whole, "chunks of {size}");
        }
    }

    #[test]
    fn tokens_are_counted_exactly_and_only_for_valid_examples() {
        // SFT: 3 messages of 3 + 1 (role) + 1 (content) tokens, and 3 for the reply priming.
        let report = validate(Supervised, file(Supervised, 10, "\n").as_bytes());
        assert_eq!((report.tokens.total, report.tokens.trained), (10 * 18, 10));
        assert_eq!(report.tokens.examples, 10);
        let mut content = file(Supervised, 10, "\n");
        content.push_str("{}\n");
        assert_eq!(validate(Supervised, content.as_bytes()).tokens.total, 180);
        // DPO: the prompt (3 + 2, and 3) and both completions (3 + 2 each).
        let report = validate(Dpo, file(Dpo, 10, "\n").as_bytes());
        assert_eq!((report.tokens.total, report.tokens.trained), (10 * 18, 20));
    }

    #[test]
    fn summary_and_one_line_error() {
        let mut content = String::from("{}\n");
        content.push_str(&file(Supervised, 2, "\n"));
        content.push_str("[1]\n{\"messages\":[]}\n");
        let report = validate(Supervised, content.as_bytes());
        assert_eq!(report.problem_count, 4);
        let err = report.check("training file", "train.jsonl").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid training file "train.jsonl": 4 problems: line 1: missing "messages"; line 4: must be a JSON object, not a list; line 5: "messages" is empty; and 1 more"#
        );
        assert_eq!(
            report.summary(),
            format!(
                "5 examples, 36 tokens, {} bytes, sha256 {}\n4 problems:\n  line 1: missing \"messages\"\n  line 4: must be a JSON object, not a list\n  line 5: \"messages\" is empty\n  the file has 2 valid examples of 5; fine-tuning needs at least 10\n",
                content.len(),
                report.sha256
            )
        );
        let ok = validate(Supervised, file(Supervised, 10, "\n").as_bytes());
        assert!(ok.is_valid());
        assert_eq!(ok.check("training file", "train.jsonl"), Ok(()));
        assert!(ok.summary().ends_with("\nno problems\n"));

        let one = validate(Supervised, file(Supervised, 1, "\n").as_bytes());
        assert_eq!(
            one.check("validation file", "v.jsonl")
                .unwrap_err()
                .to_string(),
            r#"invalid validation file "v.jsonl": 1 problem: the file has 1 example; fine-tuning needs at least 10"#
        );
    }
}
