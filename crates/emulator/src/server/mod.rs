//! The HTTP side: accepts connections with hyper and takes each request through the same steps:
//! the emulator's own endpoints ([`control`]); otherwise count it and draw a scripted fault
//! ([`journal`], [`inject`]), answer it ([`dispatch`] over the [`routes`] table), and log and
//! journal the outcome.

mod control;
mod dispatch;
mod inject;
mod journal;
mod reply;
mod routes;
mod shared;

pub use journal::{Control, JournalEntry, LogEntry};
pub use shared::{Clock, Shared, lock};

use crate::flavor::Mount;
use http_body_util::BodyExt;
use hyper::body::Incoming as HyperBody;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use inject::{After, Next, Shape};
use journal::Call;
use reply::{Dropped, Resp};
use std::net::TcpStream as StdStream;
use std::sync::Arc;

/// Accepts connections on `listener` until `shutdown` fires, serving each on its own task.
pub async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("openai-ft-emulator: cannot serve: {e}");
            return;
        }
    };
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => return,
            a = listener.accept() => a,
        };
        let Ok((stream, _)) = accepted else { continue };
        // A duplicate of the socket lets a `reset` fault set SO_LINGER 0 while hyper owns the stream.
        let Some((stream, dup)) = split_socket(stream) else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let dup = Arc::new(dup);
            let service = service_fn(move |req| handle(shared.clone(), dup.clone(), req));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn split_socket(
    stream: tokio::net::TcpStream,
) -> Option<(tokio::net::TcpStream, std::net::TcpStream)> {
    let std_stream = stream.into_std().ok()?;
    let dup = std_stream.try_clone().ok()?;
    let stream = tokio::net::TcpStream::from_std(std_stream).ok()?;
    Some((stream, dup))
}

/// Serves one request on a connection whose duplicated socket is `sock`.
async fn handle(
    shared: Arc<Shared>,
    sock: Arc<StdStream>,
    req: hyper::Request<HyperBody>,
) -> Result<Resp, Dropped> {
    let call = Call::of(&req);
    if control::owns(&call.path) {
        let body = req.into_body().collect().await;
        let body = body.map(|c| c.to_bytes()).unwrap_or_default();
        return Ok(control::serve(&shared, &call, &body));
    }
    if crate::entra::owns(&call.path) {
        return Ok(entra(&shared, &call, req).await);
    }
    // Only API paths are counted and faulted; anything else is an unknown URL, answered below.
    let fault = if shared.config.flavor.is_api_path(&call.path)
        || (shared.config.flavor.is_azure() && crate::arm::owns(&call.path))
    {
        lock(&shared.control).count(&call)
    } else {
        None
    };
    // The whole body is read first, whatever the fault: a client always gets to send it and then
    // sees the answer (a status, a reset), never a broken pipe. A body that does not arrive
    // whole (the client gave up mid-upload) is not served at all.
    let (parts, body) = req.into_parts();
    let Ok(body) = body.collect().await.map(|c| c.to_bytes()) else {
        shared.record(&call, None, None, None);
        return Err(Dropped);
    };
    // A distant server: every API answer waits this long (the work is done after the wait, as
    // a server that is slow to reach would do it).
    if shared.config.latency_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(shared.config.latency_ms)).await;
    }
    let credential = dispatch::credential(&parts.headers);
    let (after, shape) = match inject::apply(&shared, &call, &sock, fault, &credential).await {
        Next::Serve { after, shape } => (after, shape),
        Next::Later(delay) => {
            // On a task of its own, so a client that disconnects meanwhile does not cancel
            // it: the request is applied either way, as a slow server commits it.
            let shared = shared.clone();
            let task = tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let answer = dispatch::answer(&shared, &call, &parts.headers, &body, &Shape::Plain);
                shared.record(
                    &call,
                    Some(answer.status),
                    Some("delay"),
                    Some(answer.entry),
                );
                answer.response
            });
            return task.await.map_err(|_| Dropped);
        }
        Next::Done(outcome) => return outcome,
    };
    let answer = dispatch::answer(&shared, &call, &parts.headers, &body, &shape);
    match after {
        After::Answer => {
            shared.record(&call, Some(answer.status), None, Some(answer.entry));
            Ok(answer.response)
        }
        After::Drop => {
            shared.record(&call, None, Some("commit_then_drop"), None);
            Err(Dropped)
        }
        After::Fail500 => Ok(inject::fail_after_commit(&shared, &call)),
    }
}

/// Answers a request to Entra's token or managed-identity endpoints: counted and logged like
/// an API request, never faulted or journaled (their answers are Entra's, not the API's).
async fn entra(shared: &Shared, call: &Call, req: hyper::Request<HyperBody>) -> Resp {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (status, answer) = {
        let mut tokens = lock(&shared.tokens);
        let mut rng = lock(&shared.request_ids);
        crate::entra::serve(
            &shared.config,
            &mut tokens,
            &mut rng,
            shared.clock.now_ms(),
            &crate::entra::Request {
                method: &call.method,
                path: &call.path,
                query: call.query.as_deref(),
                header: &header,
                body: &body,
            },
        )
    };
    *lock(&shared.control)
        .counts
        .entry(format!("{} {}", call.method, call.path))
        .or_insert(0) += 1;
    shared.record(call, Some(status), None, None);
    reply::json(shared, status, &answer, &[])
}
