//! The one place requests are sent: retries by [`retry`](super::retry) policy, error bodies
//! turned into [`ApiError`]s with the troubleshooting table's advice, JSON answers decoded.

use openai_ft_host_logic::inert::{is_one_line, one_line};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::retry::{self, Decision, Policy};
use crate::error::{ApiError, Error, HttpError, Result};
use crate::flavor::Flavor;
use crate::platform::{Credential, Platform, Request, Response};

/// Sends `request`, retrying by `policy`, and returns the first answer that is not retried. A
/// non-2xx answer becomes [`Error::Api`].
pub fn send(platform: &mut dyn Platform, request: &Request, policy: &Policy) -> Result<Response> {
    let mut retry = 0;
    loop {
        let (decision, reason) = match platform.send(request) {
            Ok(response) if (200..300).contains(&response.status) => return Ok(response),
            Ok(response) => {
                let now = platform.now();
                let decision =
                    retry::after_response(policy, retry, &response, now, platform.random());
                if decision == Decision::Stop {
                    return Err(api_error(request, &response, now, platform.flavor()).into());
                }
                (decision, format!("HTTP {}", response.status))
            }
            Err(e @ (HttpError::Timeout(_) | HttpError::Transport(_)))
                if retry < policy.max_retries =>
            {
                (
                    retry::after_transport_error(policy, retry, platform.random()),
                    e.to_string(),
                )
            }
            Err(e) => return Err(e.into()),
        };
        if let Decision::RetryAfter(delay) = decision {
            // A rate limit is the one answer a person might act on: say that waiting is the
            // tool's job here, and for how long.
            let reason = if reason == "HTTP 429" {
                "rate limited (HTTP 429); waiting to send it again".to_owned()
            } else {
                reason
            };
            platform.progress(&format!(
                "{} {}: {reason}; retry {} of {} in {:.1} s",
                request.method.as_str(),
                request.path,
                retry + 1,
                policy.max_retries,
                delay.as_secs_f64()
            ));
            platform.sleep(delay);
        }
        retry += 1;
    }
}

/// Decodes a JSON answer into `T`, every string in it (keys too) made inert ([`inert`]): a
/// server's words reach stderr, the outputs and so what Terraform shows, and none of them may
/// carry what a terminal or a log acts on.
pub fn decode<T: DeserializeOwned>(request: &Request, response: &Response) -> Result<T> {
    let decoded = if may_act(&response.body) {
        serde_json::from_slice::<Value>(&response.body).and_then(|mut value| {
            inert(&mut value);
            T::deserialize(value)
        })
    } else {
        serde_json::from_slice(&response.body)
    };
    decoded.map_err(|e| {
        Error::Failed(format!(
            "unexpected answer to {} {}: {e}; is OPENAI_BASE_URL an OpenAI-compatible API?",
            request.method.as_str(),
            request.path
        ))
    })
}

/// Whether a JSON text may hold a character that [`one_line`] changes: an escape (a backslash), DEL,
/// or the first byte of a C1 control (U+0080-U+009F) or of a separator or bidirectional
/// formatting character (U+2000-U+206F). Raw C0 controls are not JSON. Most answers hold none, and
/// skip the second pass.
fn may_act(json: &[u8]) -> bool {
    json.iter().any(|b| matches!(b, b'\\' | 0x7f | 0xc2 | 0xe2))
}

/// Every string of `value`, object keys included, as [`one_line`] makes it.
fn inert(value: &mut Value) {
    match value {
        Value::String(s) if !is_one_line(s) => *s = one_line(s),
        Value::Array(items) => items.iter_mut().for_each(inert),
        Value::Object(map) => {
            if map.keys().any(|k| !is_one_line(k)) {
                *map = std::mem::take(map)
                    .into_iter()
                    .map(|(k, v)| (one_line(&k), v))
                    .collect();
            }
            map.values_mut().for_each(inert);
        }
        _ => {}
    }
}

/// Sends with retries and decodes the JSON answer.
pub fn fetch<T: DeserializeOwned>(
    platform: &mut dyn Platform,
    request: &Request,
    policy: &Policy,
) -> Result<T> {
    let response = send(platform, request, policy)?;
    decode(request, &response)
}

/// Builds the error for a non-2xx answer. Reads OpenAI's `{"error": {message, type, param, code}}`
/// and Azure's variants of it; anything else is summarised by status. The advice names the
/// variables of `flavor`.
pub fn api_error(request: &Request, response: &Response, now: u64, flavor: Flavor) -> ApiError {
    let mut body: Value = serde_json::from_slice(&response.body).unwrap_or_default();
    inert(&mut body);
    let error = body.get("error").unwrap_or(&body);
    let text = |key: &str| error.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let message = text("message")
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| {
            let raw = String::from_utf8_lossy(&response.body);
            let raw = raw.trim();
            if raw.is_empty() || raw.len() > 200 {
                "no error message in the answer".to_owned()
            } else {
                raw.to_owned()
            }
        });
    let kind = text("type").filter(|t| t != "error");
    let code = text("code");
    let param = text("param").or_else(|| text("target"));
    let request_id = response
        .header("x-request-id")
        .or_else(|| response.header("apim-request-id"))
        .or_else(|| response.header("x-ms-request-id"))
        .map(str::to_owned);
    let retry_after = retry::server_delay(response, now);
    let hint = hint(
        request,
        response.status,
        &message,
        code.as_deref(),
        retry_after,
        flavor,
    );
    ApiError {
        status: response.status,
        message,
        kind,
        code,
        param,
        request_id,
        hint,
        retry_after,
    }
}

/// The troubleshooting table, as code: what to do about an error answer. It is shown once
/// openai-ft's own retries are spent (or a server asked for a longer pause than it waits).
fn hint(
    request: &Request,
    status: u16,
    message: &str,
    code: Option<&str>,
    retry_after: Option<std::time::Duration>,
    flavor: Flavor,
) -> Option<String> {
    let azure = flavor.is_azure();
    let admin = request.credential == Credential::Admin;
    let management = request.credential == Credential::Management;
    let lower = message.to_ascii_lowercase();
    let text = match status {
        401 if management => {
            "check AZURE_MANAGEMENT_TOKEN: it must be a current Microsoft Entra ID token for \
             Azure Resource Manager (audience https://management.azure.com), of the tenant that \
             holds the subscription"
        }
        403 if management => {
            "the identity behind AZURE_MANAGEMENT_TOKEN needs a role that writes deployments on \
             the Azure OpenAI resource (Cognitive Services Contributor)"
        }
        404 if management => {
            "check subscription_id, resource_group and account: they name no Azure OpenAI \
             resource the token can see"
        }
        401 if admin && lower.contains("scope") => {
            "set OPENAI_ADMIN_KEY to an admin key with the api.fine_tuning.checkpoints.read and \
             api.fine_tuning.checkpoints.write scopes"
        }
        401 | 403 if admin && lower.contains("owner") => {
            "the user behind OPENAI_ADMIN_KEY needs the Owner role in the organisation; ask an \
             owner to create the admin key"
        }
        401 if admin => {
            "set OPENAI_ADMIN_KEY to a valid admin key (sk-admin-...) of the organisation that \
             owns the model"
        }
        401 if azure => {
            "check AZURE_OPENAI_API_KEY (or AZURE_OPENAI_AD_TOKEN, or the identity openai-ft \
             signed in to Azure with): the resource key is wrong or regenerated, the token \
             expired or lacks a role on the resource, or AZURE_OPENAI_ENDPOINT names another \
             resource"
        }
        401 => {
            "check OPENAI_API_KEY: the key is missing, revoked, or belongs to another \
             organisation or project"
        }
        403 if admin => {
            "the admin key lacks permission for checkpoint permissions: it needs the \
             api.fine_tuning.checkpoints.read/.write scopes and an Owner behind it"
        }
        403 if azure => {
            "the credential lacks permission on the Azure OpenAI resource; give the identity \
             behind AZURE_OPENAI_AD_TOKEN a fine-tuning role there (Azure AI User or Cognitive \
             Services OpenAI Contributor)"
        }
        403 => "the key lacks permission for this operation; check the key's project and role",
        404 if azure => {
            "verify the id and that it exists in the Azure OpenAI resource AZURE_OPENAI_ENDPOINT \
             names"
        }
        404 => {
            "verify the id and that it exists in the organisation and project of the key \
             (OPENAI_ORG_ID, OPENAI_PROJECT_ID)"
        }
        429 if code == Some("insufficient_quota") => {
            "the organisation is out of quota; check billing, then run again"
        }
        429 => {
            return Some(match retry_after {
                // Both policies wait up to the same server delay.
                Some(d) if d > Policy::SDK.max_server_delay => format!(
                    "rate limited: the API asks for a pause of {}, longer than openai-ft \
                     waits on its own; run again after it",
                    pause(d)
                ),
                _ => "still rate limited after openai-ft's own retries; wait a minute and run \
                      again"
                    .to_owned(),
            });
        }
        400 if lower.contains("model")
            && (lower.contains("not supported")
                || lower.contains("does not exist")
                || lower.contains("not available")) =>
        {
            "use a model that supports fine-tuning (for example gpt-4o-mini-2024-07-18 or \
             gpt-4.1-mini-2025-04-14)"
        }
        s if s >= 500 => "the API had a server error; run again later",
        _ => return None,
    };
    Some(text.to_owned())
}

/// A server's requested pause in words: seconds, or "over a day" for the absurd hints a hostile
/// or broken server sends (a `Retry-After: 1e300` saturates to the largest duration).
fn pause(d: std::time::Duration) -> String {
    const DAY: std::time::Duration = std::time::Duration::from_secs(86_400);
    if d > DAY {
        "over a day".to_owned()
    } else {
        format!("{:.0} s", d.as_secs_f64().ceil())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Method;

    fn response(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![("x-request-id".into(), "req_123".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    fn api_error_at(req: &Request, response: &Response) -> ApiError {
        api_error(req, response, 0, Flavor::OpenAi)
    }

    #[test]
    fn every_string_of_an_answer_is_decoded_inert() {
        let req = Request::new(Method::Get, "/fine_tuning/jobs/x", Credential::Project);
        // Escapes, CR/LF, BEL, DEL, a raw C1 CSI and a bidi override, in values and in a key.
        let body = concat!(
            r#"{"id":"ftjob-1","error":{"message":"a\u001b[31mb\r\nApply complete!\u0007\u007f","#,
            "\"code\":\"x\u{9b}1m\"},\"metadata\":{\"k\\n\":\"\u{202e}evil\"},\"n\":[1,\"ok\"]}"
        );
        let v: Value = decode(&req, &response(200, body)).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"id":"ftjob-1","error":{"message":"a [31mb Apply complete! ","code":"x 1m"},"metadata":{"k ":" evil"},"n":[1,"ok"]})
        );
        // Nothing to change: decoded in one pass, as it was.
        assert!(!may_act(
            "{\"id\":\"ftjob-1\",\"n\":[1,\"été\"]}".as_bytes()
        ));
        let e = api_error_at(
            &req,
            &response(500, r#"{"error":{"message":"boom\u001b]0;title\u0007"}}"#),
        );
        assert_eq!(e.message, "boom ]0;title ");
    }

    #[test]
    fn azure_401s_and_404s_name_azure_variables() {
        let req = Request::new(Method::Get, "/fine_tuning/jobs/x", Credential::Project);
        for flavor in [Flavor::Azure, Flavor::AzureClassic] {
            let body = r#"{"error":{"code":"401","message":"Access denied."}}"#;
            let e = api_error(&req, &response(401, body), 0, flavor).to_string();
            assert_eq!(
                e,
                "api error 401 (401): Access denied; check AZURE_OPENAI_API_KEY (or \
                 AZURE_OPENAI_AD_TOKEN, or the identity openai-ft signed in to Azure with): the \
                 resource key is wrong or regenerated, the token expired or lacks a role on the \
                 resource, or AZURE_OPENAI_ENDPOINT names another resource (request id req_123)"
            );
            assert!(!e.contains("OPENAI_API_KEY:"));
            let body = r#"{"error":{"code":"notFound","message":"Not found."}}"#;
            let e = api_error(&req, &response(404, body), 0, flavor).to_string();
            assert!(e.ends_with("; verify the id and that it exists in the Azure OpenAI resource AZURE_OPENAI_ENDPOINT names (request id req_123)"), "{e}");
        }
    }

    #[test]
    fn openai_errors_keep_message_type_code_and_request_id() {
        let req = Request::new(
            Method::Get,
            "/fine_tuning/jobs/ftjob-x",
            Credential::Project,
        );
        let body = r#"{"error":{"message":"Could not find fine tune job: ftjob-x.","type":"invalid_request_error","param":"fine_tuning_job_id","code":null}}"#;
        let e = api_error_at(&req, &response(404, body));
        assert_eq!(
            e.to_string(),
            "api error 404 invalid_request_error: Could not find fine tune job: ftjob-x \
             [param fine_tuning_job_id]; verify the id and that it exists in the organisation \
             and project of the key (OPENAI_ORG_ID, OPENAI_PROJECT_ID) (request id req_123)"
        );
    }

    #[test]
    fn azure_errors_read_too() {
        let req = Request::new(Method::Get, "/fine_tuning/jobs/x", Credential::Project);
        let body =
            r#"{"error":{"code":"notFound","message":"The job was not found.","target":"jobId"}}"#;
        let e = api_error_at(&req, &response(404, body));
        assert_eq!(e.code.as_deref(), Some("notFound"));
        assert_eq!(e.param.as_deref(), Some("jobId"));
        assert_eq!(e.kind, None);
    }

    #[test]
    fn non_json_bodies_are_summarised() {
        let req = Request::new(Method::Get, "/models", Credential::Project);
        let e = api_error_at(&req, &response(502, "<html>bad gateway</html>"));
        assert_eq!(e.message, "<html>bad gateway</html>");
        assert!(e.hint.unwrap().contains("server error"));
    }
}
