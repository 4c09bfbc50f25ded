//! Applies the fault a request drew before the API sees it: a reset closes the connection with an
//! RST, a status answers with the real service's error for it, an echo answers with the
//! credential in the error. The rest change how the request is served: `commit_then_drop` drops
//! the answer after the API call, a delay serves it later whatever the client does meanwhile, an
//! echo into messages or an endless list reshapes the answer ([`Shape`]).

use super::journal::Call;
use super::reply::{self, Dropped, Resp};
use super::routes::Route;
use super::shared::Shared;
use crate::errors::ApiError;
use crate::faults::{Cursor, EchoInto, FaultKind};
use crate::flavor::Surface;
use crate::query::Query;
use bytes::Bytes;
use std::net::TcpStream as StdStream;
use std::time::Duration;

/// What happens next to a request after its fault, if any.
pub enum Next {
    /// Serve it, then answer as `after` says.
    Serve { after: After, shape: Shape },
    /// Serve it after this long, even if the client has disconnected by then (a slow commit).
    Later(Duration),
    /// The fault already answered (or dropped the connection).
    Done(Result<Resp, Dropped>),
}

/// What follows a served request: its answer, or (applied all the same) a dropped connection or
/// a 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    Answer,
    Drop,
    Fail500,
}

/// How a served request's JSON answer is changed.
#[derive(Debug, Clone, Default)]
pub enum Shape {
    #[default]
    Plain,
    /// Every `message` string gets the request's credential appended.
    EchoMessages(String),
    /// The page says `has_more` forever, and is the first page whatever `after` says: as it is
    /// for a stuck cursor, with its items renamed for a fresh one.
    Endless(Cursor),
}

/// Applies `fault` to `call`, whose credential header (if any) was `credential`.
pub async fn apply(
    shared: &Shared,
    call: &Call,
    sock: &StdStream,
    fault: Option<FaultKind>,
    credential: &str,
) -> Next {
    let serve = |shape| Next::Serve {
        after: After::Answer,
        shape,
    };
    match fault {
        None => serve(Shape::Plain),
        Some(FaultKind::CommitThenDrop) => Next::Serve {
            after: After::Drop,
            shape: Shape::Plain,
        },
        Some(FaultKind::CommitThen500) => Next::Serve {
            after: After::Fail500,
            shape: Shape::Plain,
        },
        Some(FaultKind::Delay { delay_ms }) => Next::Later(Duration::from_millis(delay_ms)),
        Some(FaultKind::EndlessPages { cursor }) => serve(Shape::Endless(cursor)),
        Some(FaultKind::Echo {
            into: EchoInto::Messages,
            ..
        }) => serve(Shape::EchoMessages(credential.to_owned())),
        Some(FaultKind::Reset) => {
            // Zero linger turns the close into an RST, so the client sees a reset, not a clean EOF.
            let _ = socket2::SockRef::from(sock).set_linger(Some(Duration::ZERO));
            shared.record(call, None, Some("reset"), None);
            Next::Done(Err(Dropped))
        }
        Some(FaultKind::Echo {
            into: EchoInto::Raw,
            status,
        }) => {
            // A short plain-text body, as some gateways send: clients show such bodies as is.
            let text = format!("request refused: credential {credential} is not accepted here");
            shared.record(call, Some(status), Some("echo"), None);
            Next::Done(Ok(reply::respond(
                shared,
                status,
                Bytes::from(text),
                "text/plain",
                &[],
            )))
        }
        Some(FaultKind::Echo {
            into: EchoInto::Error,
            status,
        }) => {
            let error = ApiError::new(
                status,
                "invalid_request_error",
                format!(
                    "Incorrect credential provided: {credential}. (Echoed by openai-ft-emulator.)"
                ),
            );
            answer_error(shared, call, error, &[], "echo")
        }
        Some(FaultKind::Status {
            status,
            retry_after,
            retry_after_ms,
        }) => {
            let mut extra = Vec::new();
            extra.extend(retry_after.map(|s| ("retry-after", s)));
            extra.extend(retry_after_ms.map(|ms| ("retry-after-ms", ms)));
            answer_error(shared, call, fault_error(status), &extra, "status")
        }
    }
}

/// The 500 a committed request gets instead of its answer (`commit_then_500`).
pub fn fail_after_commit(shared: &Shared, call: &Call) -> Resp {
    match answer_error(shared, call, fault_error(500), &[], "commit_then_500") {
        Next::Done(Ok(resp)) => resp,
        _ => unreachable!("answer_error always answers"),
    }
}

/// Answers `call` with `error` in the flavour's shape, journaled and logged as `fault`.
fn answer_error(
    shared: &Shared,
    call: &Call,
    error: ApiError,
    extra: &[(&str, String)],
    fault: &'static str,
) -> Next {
    let flavor = shared.config.flavor;
    let query = Query::parse(call.query.as_deref());
    let surface =
        Surface::of(flavor, &call.path, &query).unwrap_or(Surface::fallback(flavor, &call.path));
    let status = error.status;
    let body = error.body_for(surface.error_shape());
    let op = Route::parse(flavor, &call.method, &call.path).map(|r| r.operation_id());
    let entry = call.entry(surface, &shared.config, op, status, body.clone());
    shared.record(call, Some(status), Some(fault), Some(entry));
    Next::Done(Ok(reply::json(shared, status, &body, extra)))
}

/// The error the real service sends for an injected status (Azure's 429 code is `"429"`).
fn fault_error(status: u16) -> ApiError {
    match status {
        429 => ApiError::new(
            429,
            "requests",
            "Rate limit reached for requests. Please try again later. (Injected by openai-ft-emulator.)",
        )
        .with_code("rate_limit_exceeded")
        .azure("429")
        .classic("tooManyRequests"),
        500 => ApiError::new(500, "server_error", "The server had an error while processing your request. Sorry about that!"),
        502 => ApiError::new(502, "server_error", "Bad gateway."),
        503 => ApiError::new(503, "server_error", "The engine is currently overloaded, please try again later."),
        s => ApiError::new(s, "server_error", format!("Injected error with status {s}.")),
    }
}

/// Appends ` [you sent: {credential}]` to every `message` string in `value`.
pub fn echo_into_messages(value: &mut serde_json::Value, credential: &str) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    serde_json::Value::String(s) if k == "message" => {
                        s.push_str(&format!(" [you sent: {credential}]"));
                    }
                    other => echo_into_messages(other, credential),
                }
            }
        }
        serde_json::Value::Array(items) => {
            items
                .iter_mut()
                .for_each(|v| echo_into_messages(v, credential));
        }
        _ => {}
    }
}

/// Makes a list page endless: `has_more` always, and with a fresh cursor, every item renamed
/// `{id}-endless{n}` with `n` never used before (`first_id`/`last_id` follow).
pub fn endless(value: &mut serde_json::Value, cursor: Cursor, next: impl Fn() -> u64) {
    if value.get("data").is_none() {
        return;
    }
    value["has_more"] = serde_json::Value::Bool(true);
    if cursor == Cursor::Stuck {
        return;
    }
    if let Some(items) = value["data"].as_array_mut() {
        for item in items.iter_mut() {
            if let Some(id) = item["id"].as_str() {
                item["id"] = format!("{id}-endless{}", next()).into();
            }
        }
    }
    let id = |n: Option<&serde_json::Value>| n.map(|i| i["id"].clone());
    let items = value["data"].as_array().cloned().unwrap_or_default();
    for (key, item) in [("first_id", items.first()), ("last_id", items.last())] {
        if value.get(key).is_some()
            && let Some(v) = id(item)
        {
            value[key] = v;
        }
    }
}
