//! The HTTP side: accepts connections with hyper, applies scripted faults, counts and journals
//! every API request (below the flavour's prefix), and serves the `/_emulator/*` control endpoints
//! used by tests and scripts.

use crate::auth::Credentials;
use crate::config::Config;
use crate::errors::ApiError;
use crate::faults::{FaultKind, FaultRule, Faults};
use crate::flavor::{Flavor, Surface};
use crate::query::Query;
use crate::routes::{Body, Incoming, Route, dispatch};
use crate::state::{State, now_ms};
use crate::{files, jobs};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming as HyperBody;
use hyper::{Request, Response};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::TcpStream as StdStream;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// One request as seen by `GET /_emulator/requests/log`.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// The status sent, or `None` when the connection was dropped without a response.
    pub status: Option<u16>,
    /// The fault applied to this request, if any.
    pub fault: Option<&'static str>,
}

/// One response as seen by `GET /_emulator/journal`, for spec-conformance checks.
#[derive(Debug, Clone, Serialize)]
pub struct JournalEntry {
    /// The flavour that answered (`openai`, `azure`, `azure-classic`): only `openai` entries are
    /// meant to match OpenAI's openapi.yaml.
    pub flavor: &'static str,
    /// The openapi.yaml operationId, or `None` for an unknown URL.
    pub operation_id: Option<&'static str>,
    pub method: String,
    pub path: String,
    pub status: u16,
    /// The JSON body, or the raw content as a JSON string for downloads.
    pub body: Value,
}

/// Test-facing bookkeeping, separate from the API state.
#[derive(Debug, Default)]
pub struct Control {
    pub faults: Faults,
    pub counts: BTreeMap<String, u64>,
    pub log: Vec<LogEntry>,
    pub journal: Vec<JournalEntry>,
}

/// Everything a connection needs, shared by all of them.
pub struct Shared {
    pub config: Config,
    /// The bound address, for absolute URLs such as classic create's `Location`.
    pub addr: std::net::SocketAddr,
    pub state: Mutex<State>,
    pub control: Mutex<Control>,
    pub request_ids: Mutex<crate::state::Rng>,
}

/// Locks a mutex even if a panicking thread poisoned it: the data is still consistent enough for an
/// emulator, and one failed request must not take the whole server down.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Returned by the service to make hyper close the connection without a response.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

type Resp = Response<Full<Bytes>>;

/// How many requests `/_emulator/requests/log` keeps (the oldest are dropped first).
pub const MAX_LOG: usize = 100_000;
/// How many responses `/_emulator/journal` keeps (the oldest are dropped first).
pub const MAX_JOURNAL: usize = 10_000;

fn trim_front<T>(v: &mut Vec<T>, max: usize) {
    if v.len() > max {
        let excess = v.len() - max;
        v.drain(..excess);
    }
}

/// The request-id headers: OpenAI sends `x-request-id: req_…` (plus its organization and version
/// headers); Azure sends a UUID as `apim-request-id`, and the same UUID as `x-request-id`.
fn id_headers(shared: &Shared) -> Vec<(&'static str, String)> {
    // A generator of its own, so building a response never needs the state lock.
    let mut rng = lock(&shared.request_ids);
    let (a, b) = (rng.next(), rng.next());
    if shared.config.flavor.is_azure() {
        let uuid = format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            ((b >> 48) & 0x3fff) | 0x8000,
            b & 0xffff_ffff_ffff
        );
        vec![("apim-request-id", uuid.clone()), ("x-request-id", uuid)]
    } else {
        vec![
            ("x-request-id", format!("req_{a:016x}{b:016x}")),
            ("openai-organization", shared.config.org.clone()),
            ("openai-version", "2020-10-01".to_string()),
        ]
    }
}

fn respond(
    shared: &Shared,
    status: u16,
    body: Bytes,
    content_type: &str,
    extra: &[(&str, String)],
) -> Resp {
    let mut b = Response::builder()
        .status(status)
        .header("content-type", content_type);
    for (k, v) in id_headers(shared) {
        b = b.header(k, v);
    }
    for (k, v) in extra {
        b = b.header(*k, v.as_str());
    }
    b.body(Full::new(body))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn json_response(shared: &Shared, status: u16, body: &Value, extra: &[(&str, String)]) -> Resp {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    respond(
        shared,
        status,
        Bytes::from(bytes),
        "application/json",
        extra,
    )
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

/// Serves one request on a connection whose duplicated socket is `sock`.
pub async fn handle(
    shared: Arc<Shared>,
    sock: Arc<StdStream>,
    req: Request<HyperBody>,
) -> Result<Resp, Dropped> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    if path == "/_emulator" || path.starts_with("/_emulator/") {
        let body = req
            .into_body()
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        return Ok(control(&shared, &method, &path, &body));
    }
    let flavor = shared.config.flavor;
    let counted = flavor.is_api_path(&path);
    let fault = {
        let mut c = lock(&shared.control);
        if counted {
            *c.counts.entry(format!("{method} {path}")).or_insert(0) += 1;
            c.faults.take(&method, &path)
        } else {
            None
        }
    };
    let record =
        |status: Option<u16>, fault: Option<&'static str>, journal: Option<JournalEntry>| {
            if shared.config.log_requests {
                let s = status.map_or("dropped".to_string(), |s| s.to_string());
                eprintln!("{method} {path} {s}");
            }
            let mut c = lock(&shared.control);
            c.log.push(LogEntry {
                method: method.clone(),
                path: path.clone(),
                query: query.clone(),
                status,
                fault,
            });
            c.journal.extend(journal);
            // A long-running demo server must not grow without bound; tests never get near these.
            trim_front(&mut c.log, MAX_LOG);
            trim_front(&mut c.journal, MAX_JOURNAL);
        };
    let mut drop_after = false;
    match fault {
        Some(FaultKind::Reset) => {
            // Zero linger turns the close into an RST, so the client sees a reset, not a clean EOF.
            let _ = socket2::SockRef::from(sock.as_ref()).set_linger(Some(Duration::ZERO));
            record(None, Some("reset"), None);
            return Err(Dropped);
        }
        Some(FaultKind::Delay { delay_ms }) => {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await
        }
        Some(FaultKind::Status {
            status,
            retry_after,
            retry_after_ms,
        }) => {
            let err = fault_error(status);
            let mut extra = Vec::new();
            extra.extend(retry_after.map(|s| ("retry-after", s.to_string())));
            extra.extend(retry_after_ms.map(|ms| ("retry-after-ms", ms.to_string())));
            let body = err.body_for(flavor);
            let op = Route::parse(flavor, &method, &path).map(|r| r.operation_id());
            let entry = JournalEntry {
                flavor: flavor.name(),
                operation_id: op,
                method: method.clone(),
                path: path.clone(),
                status,
                body: body.clone(),
            };
            record(Some(status), Some("status"), Some(entry));
            return Ok(json_response(&shared, status, &body, &extra));
        }
        Some(FaultKind::CommitThenDrop) => drop_after = true,
        None => {}
    }
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let authorization = header("authorization");
    let api_key = header("api-key");
    let host = header("host");
    let content_type = header("content-type");
    let body = match req.into_body().collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => return Err(Dropped),
    };
    let route = if counted {
        Route::parse(flavor, &method, &path)
    } else {
        None
    };
    let result = match &route {
        None => Err(ApiError::invalid_url(&method, &path)),
        Some(route) => {
            let incoming = Incoming {
                credentials: Credentials {
                    authorization: authorization.as_deref(),
                    api_key: api_key.as_deref(),
                },
                content_type: content_type.as_deref(),
                query: Query::parse(query.as_deref()),
                body: &body,
                now_ms: now_ms(),
            };
            let mut state = lock(&shared.state);
            let advanced = jobs::advance(&mut state, &shared.config, incoming.now_ms)
                | files::advance(&mut state, &shared.config, incoming.now_ms);
            let result = dispatch(&mut state, &shared.config, route, &incoming);
            let changed = advanced || (result.is_ok() && route.mutates());
            if let (true, Some(file)) = (changed, &shared.config.state_file)
                && let Err(e) = state.save(file)
            {
                eprintln!("openai-ft-emulator: cannot save state: {e}");
            }
            result
        }
    };
    let (status, journal_body, response) = match result {
        Ok(Body::Json(v)) if route == Some(Route::CreateJob) => {
            let status = flavor.created_status();
            let extra = location(&shared, host.as_deref(), &v, query.as_deref());
            (
                status,
                v.clone(),
                json_response(&shared, status, &v, &extra),
            )
        }
        Ok(Body::Json(v)) => (200, v.clone(), json_response(&shared, 200, &v, &[])),
        Ok(Body::Raw(text)) => (
            200,
            Value::String(text.clone()),
            respond(
                &shared,
                200,
                Bytes::from(text),
                "application/octet-stream",
                &[],
            ),
        ),
        Err(e) => {
            let body = e.body_for(flavor);
            let response = json_response(&shared, e.status, &body, &[]);
            (e.status, body, response)
        }
    };
    let entry = JournalEntry {
        flavor: flavor.name(),
        operation_id: route.as_ref().map(Route::operation_id),
        method: method.clone(),
        path: path.clone(),
        status,
        body: journal_body,
    };
    if drop_after {
        record(None, Some("commit_then_drop"), None);
        return Err(Dropped);
    }
    record(Some(status), None, Some(entry));
    Ok(response)
}

/// Classic create answers 201 with a `Location` of the new job (same `api-version`), on the host
/// the client used (the bound address when it sent none).
fn location(
    shared: &Shared,
    host: Option<&str>,
    job: &Value,
    query: Option<&str>,
) -> Vec<(&'static str, String)> {
    if shared.config.flavor != Flavor::AzureClassic {
        return Vec::new();
    }
    let id = job["id"].as_str().unwrap_or_default();
    let version = Query::parse(query)
        .get("api-version")
        .map(str::to_string)
        .unwrap_or_default();
    vec![(
        "location",
        format!(
            "http://{}{}/fine_tuning/jobs/{id}?api-version={version}",
            host.map_or_else(|| shared.addr.to_string(), str::to_string),
            Flavor::AzureClassic.prefix()
        ),
    )]
}

fn control_error(shared: &Shared, status: u16, message: &str) -> Resp {
    json_response(
        shared,
        status,
        &ApiError::new(status, "emulator_error", message).body(),
        &[],
    )
}

/// The `/_emulator/*` endpoints. They are not counted, journaled, faulted or authenticated.
fn control(shared: &Shared, method: &str, path: &str, body: &[u8]) -> Resp {
    let ok = |v: Value| json_response(shared, 200, &v, &[]);
    match (method, path) {
        ("GET", "/_emulator/health") => ok(json!({"ok": true})),
        ("POST", "/_emulator/faults") => {
            let parsed: Value = match serde_json::from_slice(body) {
                Ok(v) => v,
                Err(e) => return control_error(shared, 400, &format!("invalid JSON body: {e}")),
            };
            let items = match parsed {
                Value::Array(a) => a,
                other => vec![other],
            };
            let mut rules = Vec::new();
            for it in &items {
                match FaultRule::from_json(it) {
                    Ok(r) => rules.push(r),
                    Err(e) => return control_error(shared, 400, &e),
                }
            }
            let mut c = lock(&shared.control);
            rules.into_iter().for_each(|r| c.faults.add(r));
            ok(json!({"faults": c.faults.rules()}))
        }
        ("GET", "/_emulator/faults") => ok(json!({"faults": lock(&shared.control).faults.rules()})),
        ("DELETE", "/_emulator/faults") => {
            lock(&shared.control).faults.clear();
            ok(json!({"faults": []}))
        }
        ("GET", "/_emulator/requests") => ok(json!(lock(&shared.control).counts)),
        ("GET", "/_emulator/requests/log") => ok(json!(lock(&shared.control).log)),
        ("DELETE", "/_emulator/requests") => {
            let mut c = lock(&shared.control);
            c.counts.clear();
            c.log.clear();
            ok(json!({}))
        }
        ("POST", p) if p.starts_with("/_emulator/jobs/") && p.ends_with("/fail") => {
            let id = &p["/_emulator/jobs/".len()..p.len() - "/fail".len()];
            let opts: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let code = opts["code"].as_str().unwrap_or("server_error");
            let message = opts["message"]
                .as_str()
                .unwrap_or("Fine-tuning job failed due to an internal error. Please try again.");
            let result = {
                let mut state = lock(&shared.state);
                let r = jobs::force_fail(&mut state, &shared.config, id, code, message, now_ms());
                if let (Some(Ok(_)), Some(file)) = (&r, &shared.config.state_file) {
                    let _ = state.save(file);
                }
                r
            };
            match result {
                None => control_error(shared, 404, &format!("no job \"{id}\"")),
                Some(Err(status)) => {
                    control_error(shared, 409, &format!("job \"{id}\" is already {status}"))
                }
                Some(Ok(job)) => ok(job),
            }
        }
        ("GET", "/_emulator/journal") => ok(json!(lock(&shared.control).journal)),
        ("POST", "/_emulator/reset") => {
            *lock(&shared.state) = State::default();
            *lock(&shared.control) = Control::default();
            if let Some(file) = &shared.config.state_file {
                let _ = State::default().save(file);
            }
            ok(json!({"reset": true}))
        }
        _ => control_error(
            shared,
            404,
            &format!("unknown control endpoint {method} {path}"),
        ),
    }
}
