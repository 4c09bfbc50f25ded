//! Applies the fault a request drew before the API sees it: a reset closes the connection with an
//! RST, a delay sleeps, a status answers with the real service's error for it. `commit_then_drop`
//! happens after the API call, so here it only says to drop the answer.

use super::journal::Call;
use super::reply::{self, Dropped, Resp};
use super::routes::Route;
use super::shared::Shared;
use crate::errors::ApiError;
use crate::faults::FaultKind;
use std::net::TcpStream as StdStream;
use std::time::Duration;

/// What happens next to a request after its fault, if any.
pub enum Next {
    /// Serve it; with `then_drop`, apply it and close the connection instead of answering.
    Serve { then_drop: bool },
    /// The fault already answered (or dropped the connection).
    Done(Result<Resp, Dropped>),
}

pub async fn apply(
    shared: &Shared,
    call: &Call,
    sock: &StdStream,
    fault: Option<FaultKind>,
) -> Next {
    match fault {
        None => Next::Serve { then_drop: false },
        Some(FaultKind::CommitThenDrop) => Next::Serve { then_drop: true },
        Some(FaultKind::Delay { delay_ms }) => {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            Next::Serve { then_drop: false }
        }
        Some(FaultKind::Reset) => {
            // Zero linger turns the close into an RST, so the client sees a reset, not a clean EOF.
            let _ = socket2::SockRef::from(sock).set_linger(Some(Duration::ZERO));
            shared.record(call, None, Some("reset"), None);
            Next::Done(Err(Dropped))
        }
        Some(FaultKind::Status {
            status,
            retry_after,
            retry_after_ms,
        }) => {
            let mut extra = Vec::new();
            extra.extend(retry_after.map(|s| ("retry-after", s.to_string())));
            extra.extend(retry_after_ms.map(|ms| ("retry-after-ms", ms.to_string())));
            let flavor = shared.config.flavor;
            let body = fault_error(status).body_for(flavor);
            let op = Route::parse(flavor, &call.method, &call.path).map(|r| r.operation_id());
            let entry = call.entry(flavor.name(), op, status, body.clone());
            shared.record(call, Some(status), Some("status"), Some(entry));
            Next::Done(Ok(reply::json(shared, status, &body, &extra)))
        }
    }
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
