//! Terraform's side of the conversation: the input is one JSON object of strings (the `external`
//! data source's query on stdin, or `OPENAI_FT_INPUT` for local-exec, which gives no stdin), and
//! the output is one flat JSON object of strings on stdout.

use std::io::{IsTerminal, Read};

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::config;

/// The largest input accepted, on stdin or in [`config::INPUT_VAR`]: far more than any command
/// needs (training data goes in by path), little enough to parse in a few MiB.
pub const MAX_INPUT_BYTES: usize = 1 << 20;

/// The most keys an input object may have: commands take about twenty.
pub const MAX_INPUT_KEYS: usize = 256;

/// Reads and parses the input: [`config::INPUT_VAR`] when it is set, else stdin, which must not
/// be a terminal.
pub fn read_input() -> Result<Vec<(String, String)>> {
    match config::input_var() {
        Some(v) => parse_input(v.as_encoded_bytes(), config::INPUT_VAR),
        None => {
            let stdin = std::io::stdin().lock();
            if stdin.is_terminal() {
                bail!("no input: pipe a JSON object of strings on stdin or set OPENAI_FT_INPUT");
            }
            let mut bytes = Vec::new();
            // One byte past the cap is enough to know it was passed.
            stdin
                .take(MAX_INPUT_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
                .context("reading stdin")?;
            parse_input(&bytes, "stdin")
        }
    }
}

/// Parses the input. A null value means the key is absent; anything but an object of strings
/// and nulls is refused with a message that says what Terraform should send.
pub fn parse_input(bytes: &[u8], source: &str) -> Result<Vec<(String, String)>> {
    if bytes.len() > MAX_INPUT_BYTES {
        bail!(
            "invalid input on {source}: larger than {} MiB; send one JSON object of the command's \
             inputs (a training file goes in by its path)",
            MAX_INPUT_BYTES >> 20
        );
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => bail!(
            "invalid input on {source}: not UTF-8 (byte {}); send one JSON object of strings",
            e.valid_up_to()
        ),
    };
    if text.trim().is_empty() {
        bail!(
            "no input on {source}: send one JSON object of strings, for example {{\"id\": \"ftjob-abc123\"}}"
        );
    }
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => bail!("invalid input on {source}: {e}; send exactly one JSON object of strings"),
    };
    let Value::Object(map) = value else {
        bail!(
            "invalid input on {source}: expected a JSON object of strings, got {}",
            kind(&value)
        );
    };
    if map.len() > MAX_INPUT_KEYS {
        bail!(
            "invalid input on {source}: {} keys, more than the {MAX_INPUT_KEYS} accepted; send \
             only the command's inputs (openai-ft <noun> --help lists them)",
            map.len()
        );
    }
    let mut pairs = Vec::with_capacity(map.len());
    for (key, value) in map {
        match value {
            Value::String(s) => pairs.push((key, s)),
            Value::Null => {}
            other => bail!(
                "invalid input {key:?} on {source}: expected a string, got {}; pass structured \
                 values through jsonencode() and numbers as strings",
                kind(&other)
            ),
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

/// Renders the output object, one line.
pub fn render_output(pairs: Vec<(String, String)>) -> String {
    let map: serde_json::Map<String, Value> = pairs
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    Value::Object(map).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(input: &[u8]) -> String {
        parse_input(input, "stdin").unwrap_err().to_string()
    }

    #[test]
    fn strings_pass_and_nulls_vanish() {
        let pairs = parse_input(br#"{"id":"ftjob-1","suffix":null}"#, "stdin").unwrap();
        assert_eq!(pairs, vec![("id".to_string(), "ftjob-1".to_string())]);
    }

    #[test]
    fn everything_else_is_refused() {
        assert_eq!(
            err(br#"{"n":3}"#),
            r#"invalid input "n" on stdin: expected a string, got a number; pass structured values through jsonencode() and numbers as strings"#
        );
        assert!(err(br#"{"a":{"b":"c"}}"#).contains("got an object"));
        assert!(err(br#"["a"]"#).contains("expected a JSON object of strings, got an array"));
        assert!(err(br#"{"a":"b"} x"#).contains("trailing characters"));
        assert!(err(b"\xff\xfe").contains("not UTF-8"));
        assert!(err(b"  ").starts_with("no input on stdin"));
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
            err(Value::Object(many).to_string().as_bytes()),
            "invalid input on stdin: 257 keys, more than the 256 accepted; send only the \
             command's inputs (openai-ft <noun> --help lists them)"
        );
    }

    #[test]
    fn output_is_one_flat_line() {
        let out = render_output(vec![
            ("a".into(), "x\ny".into()),
            ("b".into(), String::new()),
        ]);
        assert_eq!(out, r#"{"a":"x\ny","b":""}"#);
    }
}
