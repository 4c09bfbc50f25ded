//! Terraform's side of the conversation, without I/O: the input is one JSON object of strings
//! (the `external` data source's query, `OPENAI_FT_INPUT` for local-exec, or the map a JS or
//! Python caller gives `run()`), and the output one flat JSON object of strings on one line, or
//! the one summary line the modules' local-exec asks for.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::Value;

/// The largest input accepted, on stdin, in `OPENAI_FT_INPUT` or from `run()`: far more than any
/// command needs (training data goes in by path), little enough to parse in a few MiB.
pub const MAX_INPUT_BYTES: usize = 1 << 20;

/// The most keys an input object may have: commands take about twenty.
pub const MAX_INPUT_KEYS: usize = 256;

/// A parsed input, with what the host needs to know of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The pairs, in key order (byte order), nulls dropped, the last of duplicate keys kept.
    pub pairs: Vec<(String, String)>,
    /// Whether the input asks for the summary line (`"output": "summary"`).
    pub summary: bool,
    /// The path of the one file the command is granted (the `file` commands' `path`), if any.
    pub grant: Option<String>,
}

/// Parses `command`'s input from `source` (named in every refusal).
pub fn parse(command: &str, bytes: &[u8], source: &str) -> Result<Parsed, String> {
    let pairs = parse_input(bytes, source)?;
    let summary = pairs.iter().any(|(k, v)| k == "output" && v == "summary");
    let grant = match command.split(' ').next() {
        Some("file") => pairs
            .iter()
            .find(|(k, v)| k == "path" && !v.is_empty())
            .map(|(_, v)| v.clone()),
        _ => None,
    };
    Ok(Parsed {
        pairs,
        summary,
        grant,
    })
}

/// Parses the input. A null value means the key is absent; anything but an object of strings
/// and nulls is refused with a message that says what Terraform should send.
pub fn parse_input(bytes: &[u8], source: &str) -> Result<Vec<(String, String)>, String> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(format!(
            "invalid input on {source}: larger than {} MiB; send one JSON object of the command's \
             inputs (a training file goes in by its path)",
            MAX_INPUT_BYTES >> 20
        ));
    }
    let text = core::str::from_utf8(bytes).map_err(|e| {
        format!(
            "invalid input on {source}: not UTF-8 (byte {}); send one JSON object of strings",
            e.valid_up_to()
        )
    })?;
    if text.trim().is_empty() {
        return Err(format!(
            "no input on {source}: send one JSON object of strings, for example {{\"id\": \"ftjob-abc123\"}}"
        ));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        format!("invalid input on {source}: {e}; send exactly one JSON object of strings")
    })?;
    let Value::Object(map) = value else {
        return Err(format!(
            "invalid input on {source}: expected a JSON object of strings, got {}",
            kind(&value)
        ));
    };
    if map.len() > MAX_INPUT_KEYS {
        return Err(format!(
            "invalid input on {source}: {} keys, more than the {MAX_INPUT_KEYS} accepted; send \
             only the command's inputs (openai-ft <noun> --help lists them)",
            map.len()
        ));
    }
    let mut pairs = Vec::with_capacity(map.len());
    for (key, value) in map {
        match value {
            Value::String(s) => pairs.push((key, s)),
            Value::Null => {}
            other => {
                return Err(format!(
                    "invalid input {key:?} on {source}: expected a string, got {}; pass \
                     structured values through jsonencode() and numbers as strings",
                    kind(&other)
                ));
            }
        }
    }
    Ok(pairs)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A command's output as the host hands it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// The pairs in key order (byte order), the last of duplicate keys kept: the map `run()`
    /// returns.
    pub pairs: Vec<(String, String)>,
    /// What the bin prints on stdout, without the final newline: the summary line when the
    /// input asked for it and the output is exactly that one line, else the JSON object.
    pub line: String,
}

/// Orders the output and renders its line (`summary`: the input asked for the summary line).
pub fn finish(output: Vec<(String, String)>, summary: bool) -> Finished {
    let map: serde_json::Map<String, Value> = output
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let pairs: Vec<(String, String)> = map
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    let line = match pairs.as_slice() {
        [(key, line)] if summary && key == "summary" => line.clone(),
        _ => Value::Object(map).to_string(),
    };
    Finished { pairs, line }
}

/// Renders output pairs as one JSON object on one line: keys in byte order, no spaces, escaping
/// as JSON requires and nothing more.
pub fn render_output(pairs: Vec<(String, String)>) -> String {
    finish(pairs, false).line
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;

    fn err(input: &[u8]) -> String {
        parse_input(input, "stdin").unwrap_err()
    }

    #[test]
    fn strings_pass_in_key_order_and_nulls_vanish() {
        let pairs = parse_input(
            br#"{"suffix":null,"id":"ftjob-1","a":"x","id":"ftjob-2"}"#,
            "stdin",
        )
        .unwrap();
        assert_eq!(
            pairs,
            vec![
                ("a".to_string(), "x".to_string()),
                ("id".to_string(), "ftjob-2".to_string())
            ]
        );
    }

    #[test]
    fn everything_else_is_refused_with_the_whole_message() {
        assert_eq!(
            err(br#"{"n":3}"#),
            r#"invalid input "n" on stdin: expected a string, got a number; pass structured values through jsonencode() and numbers as strings"#
        );
        assert_eq!(
            err(br#"{"a":{"b":"c"}}"#),
            r#"invalid input "a" on stdin: expected a string, got an object; pass structured values through jsonencode() and numbers as strings"#
        );
        assert_eq!(
            err(br#"["a"]"#),
            "invalid input on stdin: expected a JSON object of strings, got an array"
        );
        assert_eq!(
            err(br#"{"a":"b"} x"#),
            "invalid input on stdin: trailing characters at line 1 column 11; send exactly one JSON object of strings"
        );
        assert_eq!(
            err(b"{\xff\xfe"),
            "invalid input on stdin: not UTF-8 (byte 1); send one JSON object of strings"
        );
        assert_eq!(
            err(b" \n "),
            r#"no input on stdin: send one JSON object of strings, for example {"id": "ftjob-abc123"}"#
        );
    }

    #[test]
    fn input_is_capped_in_size_and_keys() {
        let big = format!(r#"{{"id":"{}"}}"#, "x".repeat(MAX_INPUT_BYTES));
        assert_eq!(
            err(big.as_bytes()),
            "invalid input on stdin: larger than 1 MiB; send one JSON object of the command's \
             inputs (a training file goes in by its path)"
        );
        let many: serde_json::Map<String, Value> = (0..=MAX_INPUT_KEYS)
            .map(|i| (format!("k{i}"), Value::String(String::new())))
            .collect();
        assert_eq!(
            parse_input(Value::Object(many).to_string().as_bytes(), "run()").unwrap_err(),
            "invalid input on run(): 257 keys, more than the 256 accepted; send only the \
             command's inputs (openai-ft <noun> --help lists them)"
        );
    }

    #[test]
    fn only_the_file_commands_are_granted_their_path_and_summary_is_seen() {
        let parsed = parse(
            "file read",
            br#"{"path":"a.jsonl","output":"summary"}"#,
            "stdin",
        )
        .unwrap();
        assert_eq!(
            (parsed.grant.as_deref(), parsed.summary),
            (Some("a.jsonl"), true)
        );
        let parsed = parse("job read", br#"{"path":"a.jsonl"}"#, "stdin").unwrap();
        assert_eq!((parsed.grant, parsed.summary), (None, false));
        assert_eq!(
            parse("file read", br#"{"path":""}"#, "stdin")
                .unwrap()
                .grant,
            None
        );
    }

    #[test]
    fn output_is_one_flat_line_in_byte_order_or_the_summary_line() {
        let out = finish(
            vec![
                ("b".into(), String::new()),
                ("a".into(), "x\ny\"\u{1}\u{7f}/é".into()),
                ("b".into(), "last".into()),
            ],
            false,
        );
        assert_eq!(
            out.line,
            "{\"a\":\"x\\ny\\\"\\u0001\u{7f}/é\",\"b\":\"last\"}"
        );
        assert_eq!(out.pairs[1], ("b".to_string(), "last".to_string()));
        let one = vec![("summary".to_string(), "job read: ok".to_string())];
        assert_eq!(finish(one.clone(), true).line, "job read: ok");
        assert_eq!(finish(one, false).line, r#"{"summary":"job read: ok"}"#);
    }
}
