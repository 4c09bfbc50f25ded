//! Inference through a deployment, so a deployment made through the emulator's ARM can be called
//! as Azure users call theirs: v1's `POST /chat/completions` (`createChatCompletion` of
//! `v1/azure-v1-v1-generated.yaml`) with `model` = the deployment's name. Only a deployment that
//! exists and whose operation ended `Succeeded` serves; any other name is Azure's 404
//! `DeploymentNotFound`. The answer is a spec-shaped `AzureCreateChatCompletionResponse` whose
//! `model` is the deployed model and whose message names the deployment: the emulator runs no
//! model, and says so rather than inventing text.

use crate::errors::ApiError;
use crate::state::State;
use serde_json::{Value, json};

/// Azure's answer for a `model` that names no deployment of the resource (its wording).
fn no_deployment() -> ApiError {
    ApiError::new(
        404,
        "invalid_request_error",
        "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
    )
    .azure("DeploymentNotFound")
}

/// Rough token count of a text (the emulator's usage figures: words and punctuation).
fn tokens(text: &str) -> u64 {
    text.split(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
        .filter(|w| !w.is_empty())
        .count() as u64
        + text.chars().filter(char::is_ascii_punctuation).count() as u64
}

/// The text of a message's `content`: a string, or the `text` parts of a list.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// `POST /chat/completions`: checks the request's required fields, finds the deployment named by
/// `model`, and answers one choice.
pub fn chat_completion(state: &mut State, body: &Value, now: u64) -> Result<Value, ApiError> {
    let model = match body.get("model") {
        None | Some(Value::Null) => return Err(ApiError::missing("model")),
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(ApiError::invalid_type("model", "a string", other)),
    };
    let messages = match body.get("messages") {
        None | Some(Value::Null) => return Err(ApiError::missing("messages")),
        Some(Value::Array(m)) if m.is_empty() => {
            return Err(ApiError::invalid(
                Some("messages"),
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            )
            .with_code("empty_array"));
        }
        Some(Value::Array(m)) => m.clone(),
        Some(other) => return Err(ApiError::invalid_type("messages", "an array", other)),
    };
    let deployment = state
        .deployments
        .iter()
        .find(|d| d.name == model && d.provisioning_state == "Succeeded")
        .ok_or_else(no_deployment)?;
    let served = deployment.model.clone();
    let prompt: u64 = messages
        .iter()
        .map(|m| tokens(&content_text(&m["content"])) + 3)
        .sum::<u64>()
        + 3;
    let answer = format!(
        "Deployment {model} of {served} answered {} message(s); the emulator runs no model.",
        messages.len()
    );
    let completion = tokens(&answer);
    let id = state.rng.id("chatcmpl-", 29);
    Ok(json!({
        "id": id,
        "object": "chat.completion",
        "created": now,
        "model": served,
        "system_fingerprint": "fp_emulator",
        "choices": [{
            "index": 0,
            "finish_reason": "stop",
            "logprobs": null,
            "message": {"role": "assistant", "content": answer, "refusal": null},
        }],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Deployment;

    fn deployment(name: &str, state: &str) -> Deployment {
        Deployment {
            subscription: "s".into(),
            group: "g".into(),
            account: "a".into(),
            name: name.into(),
            model: "gpt-4.1-mini-2025-04-14.ft-abc".into(),
            version: "1".into(),
            format: "OpenAI".into(),
            sku: "Standard".into(),
            capacity: 1,
            provisioning_state: state.into(),
            steps_left: 0,
            tags: Default::default(),
        }
    }

    #[test]
    fn only_a_succeeded_deployment_serves() {
        let mut state = State::default();
        state.deployments.push(deployment("ready", "Succeeded"));
        state.deployments.push(deployment("making", "Creating"));
        let ask = |m: &str| json!({"model": m, "messages": [{"role": "user", "content": "hi"}]});
        let ok = chat_completion(&mut state, &ask("ready"), 7).expect("served");
        assert_eq!(ok["model"], "gpt-4.1-mini-2025-04-14.ft-abc");
        assert_eq!(ok["object"], "chat.completion");
        assert_eq!(ok["choices"][0]["message"]["role"], "assistant");
        for name in ["making", "nowhere", "gpt-4.1-mini-2025-04-14.ft-abc"] {
            let e = chat_completion(&mut state, &ask(name), 7).expect_err(name);
            assert_eq!(e.status, 404, "{name}");
        }
        let e = chat_completion(&mut state, &json!({"model": "ready", "messages": []}), 7)
            .expect_err("empty");
        assert_eq!(e.status, 400);
        let e = chat_completion(&mut state, &json!({"messages": []}), 7).expect_err("no model");
        assert_eq!(e.status, 400);
    }
}
