//! The training-file check a job runs in `validating_files`: every row must be a JSON object of
//! the method's shape (supervised and reinforcement `messages`, DPO `input.messages` with the two
//! outputs), and the reason a file fails names its line.

use crate::state::Method;
use serde_json::Value;

/// Number of examples, or the reason the file is not fine-tuning JSONL for `method`.
pub fn validate_training(content: &str, method: Method) -> Result<u64, String> {
    let mut rows = 0;
    for (i, line) in content.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        let v: Value =
            serde_json::from_str(line).map_err(|_| format!("Line {n} is not valid JSON."))?;
        let obj = v
            .as_object()
            .ok_or_else(|| format!("Line {n} is not a JSON object."))?;
        let check = match method {
            Method::Supervised => messages(obj.get("messages"), "messages", true),
            Method::Reinforcement => messages(obj.get("messages"), "messages", false),
            Method::Dpo => messages(
                obj.get("input").and_then(|i| i.get("messages")),
                "input.messages",
                false,
            )
            .and_then(|_| messages(obj.get("preferred_output"), "preferred_output", true))
            .and_then(|_| {
                messages(
                    obj.get("non_preferred_output"),
                    "non_preferred_output",
                    true,
                )
            }),
        };
        check.map_err(|why| format!("Line {n}: {why}"))?;
        rows += 1;
    }
    if rows == 0 {
        return Err("The file contains no examples.".to_string());
    }
    Ok(rows)
}

fn messages(v: Option<&Value>, key: &str, need_assistant: bool) -> Result<(), String> {
    let list = v
        .and_then(Value::as_array)
        .ok_or_else(|| format!("missing or invalid '{key}' (expected a list of messages)."))?;
    if list.is_empty() {
        return Err(format!("'{key}' is empty."));
    }
    for (i, m) in list.iter().enumerate() {
        let role = m.get("role").and_then(Value::as_str).unwrap_or("");
        if ![
            "system",
            "developer",
            "user",
            "assistant",
            "tool",
            "function",
        ]
        .contains(&role)
        {
            return Err(format!("{key}[{i}] has a missing or invalid 'role'."));
        }
        let has_content = matches!(m.get("content"), Some(Value::String(_) | Value::Array(_)))
            || m.get("tool_calls").is_some()
            || m.get("function_call").is_some();
        if !has_content {
            return Err(format!("{key}[{i}] has no 'content'."));
        }
    }
    if need_assistant
        && !list
            .iter()
            .any(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
    {
        return Err(format!("'{key}' contains no assistant message."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_training_rows_per_method() {
        let sft =
            r#"{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}]}"#;
        assert_eq!(validate_training(sft, Method::Supervised), Ok(1));
        let no_assistant = r#"{"messages":[{"role":"user","content":"hi"}]}"#;
        assert_eq!(
            validate_training(&format!("{sft}\n{no_assistant}\n"), Method::Supervised),
            Err("Line 2: 'messages' contains no assistant message.".to_string())
        );
        assert_eq!(
            validate_training(sft, Method::Dpo),
            Err(
                "Line 1: missing or invalid 'input.messages' (expected a list of messages)."
                    .to_string()
            )
        );
        assert_eq!(
            validate_training("not json", Method::Supervised),
            Err("Line 1 is not valid JSON.".to_string())
        );
    }
}
