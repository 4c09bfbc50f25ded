//! Serves an API request: reads what the handlers need from it, routes it, checks `api-version`
//! and the key's scope, runs the handler with the state lock held (after the clock catches up),
//! saves state when something changed, and renders the result in the flavour's shapes (reshaped
//! as a fault asked: an echo, an endless list).

use super::inject::{self, Shape};
use super::journal::{Call, JournalEntry};
use super::reply::{self, Resp};
use super::routes::Route;
use super::shared::{Shared, lock};
use crate::auth::{Credentials, authorize};
use crate::config::Config;
use crate::errors::ApiError;
use crate::flavor::{Flavor, Surface};
use crate::query::Query;
use crate::state::{State, now_ms};
use crate::{files, jobs, models, permissions};
use bytes::Bytes;
use hyper::HeaderMap;
use serde_json::Value;
use std::sync::atomic::Ordering;

/// An API request answered: the response to send and what the journal keeps of it.
pub struct Answer {
    pub status: u16,
    pub response: Resp,
    pub entry: JournalEntry,
}

/// The credential a request carries (its `Authorization` value, else its `api-key`), for a
/// server that echoes it.
pub fn credential(headers: &HeaderMap) -> String {
    ["authorization", "api-key"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Answers one API request, whose body has been read, in the `shape` a fault asked for.
pub fn answer(
    shared: &Shared,
    call: &Call,
    headers: &HeaderMap,
    body: &[u8],
    shape: &Shape,
) -> Answer {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let authorization = header("authorization");
    let api_key = header("api-key");
    let host = header("host");
    let content_type = header("content-type");
    let flavor = shared.config.flavor;
    let mut query = Query::parse(call.query.as_deref());
    if let Shape::Endless(_) = shape {
        // Every page is the first (renamed, for a fresh cursor): the list never runs out.
        query.0.retain(|(k, _)| k != "after");
    }
    let route = Route::parse(flavor, &call.method, &call.path);
    let result = match &route {
        None => Err(ApiError::invalid_url(&call.method, &call.path)),
        Some(route) => run(
            shared,
            route,
            &Incoming {
                credentials: Credentials {
                    authorization: authorization.as_deref(),
                    api_key: api_key.as_deref(),
                },
                content_type: content_type.as_deref(),
                query: &query,
                body,
                now_ms: now_ms(),
            },
        ),
    };
    let result = result.map(|ok| match ok {
        Body::Json(mut v) => {
            match shape {
                Shape::Plain => {}
                Shape::EchoMessages(credential) => inject::echo_into_messages(&mut v, credential),
                Shape::Endless(cursor) => inject::endless(&mut v, *cursor, || {
                    shared.endless.fetch_add(1, Ordering::Relaxed) + 1
                }),
            }
            Body::Json(v)
        }
        raw => raw,
    });
    let (status, journal, response) = match result {
        Ok(Body::Json(v)) if route == Some(Route::CreateJob) => {
            let status = flavor.created_status();
            let extra = location(shared, host.as_deref(), &v, &query);
            let response = reply::json(shared, status, &v, &extra);
            (status, v, response)
        }
        Ok(Body::Json(v)) => {
            let response = reply::json(shared, 200, &v, &[]);
            (200, v, response)
        }
        Ok(Body::Raw(text)) => {
            let bytes = Bytes::from(text.clone());
            let response = reply::respond(shared, 200, bytes, "application/octet-stream", &[]);
            (200, Value::String(text), response)
        }
        Err(e) => {
            let body = e.body_for(flavor);
            let response = reply::json(shared, e.status, &body, &[]);
            (e.status, body, response)
        }
    };
    let operation_id = route.as_ref().map(Route::operation_id);
    Answer {
        status,
        response,
        entry: call.entry(flavor.name(), operation_id, status, journal),
    }
}

/// Runs a routed call with the state lock held. The clock only moves when someone looks: every
/// job and upload first catches up to now. State is saved when either changed it.
fn run(shared: &Shared, route: &Route, req: &Incoming) -> Result<Body, ApiError> {
    let config = &shared.config;
    let mut state = lock(&shared.state);
    let advanced = jobs::advance(&mut state, config, req.now_ms)
        | files::advance(&mut state, config, req.now_ms);
    let result = perform(&mut state, config, route, req);
    if advanced || (result.is_ok() && route.mutates()) {
        shared.persist(&state);
    }
    result
}

/// Classic create answers 201 with a `Location` of the new job (same `api-version`), on the host
/// the client used (the bound address when it sent none).
fn location(
    shared: &Shared,
    host: Option<&str>,
    job: &Value,
    query: &Query,
) -> Vec<(&'static str, String)> {
    if shared.config.flavor != Flavor::AzureClassic {
        return Vec::new();
    }
    let id = job["id"].as_str().unwrap_or_default();
    let version = query.get("api-version").unwrap_or_default();
    vec![(
        "location",
        format!(
            "http://{}{}/fine_tuning/jobs/{id}?api-version={version}",
            host.map_or_else(|| shared.addr.to_string(), str::to_string),
            Flavor::AzureClassic.prefix()
        ),
    )]
}

/// A successful response body: JSON, or raw file content.
pub enum Body {
    Json(Value),
    Raw(String),
}

/// What a request carries that handlers need.
pub struct Incoming<'a> {
    pub credentials: Credentials<'a>,
    pub content_type: Option<&'a str>,
    pub query: &'a Query,
    pub body: &'a [u8],
    pub now_ms: u64,
}

fn json_body(raw: &[u8]) -> Result<Value, ApiError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(raw).map_err(|_| ApiError::bad_json())
}

/// Checks `api-version` and the key's scope, then runs the operation's handler.
fn perform(
    state: &mut State,
    config: &Config,
    route: &Route,
    req: &Incoming,
) -> Result<Body, ApiError> {
    config.flavor.check_api_version(req.query)?;
    authorize(config, req.credentials, route.scope())?;
    let now = req.now_ms / 1000;
    let q = req.query;
    let json = Body::Json;
    Ok(match route {
        Route::CreateFile => json(files::create(
            state,
            config,
            req.content_type,
            req.body,
            req.now_ms,
        )?),
        Route::ListFiles => json(files::list(state, q)?),
        Route::RetrieveFile(id) => json(files::retrieve(state, id)?),
        Route::DeleteFile(id) => json(files::delete(state, id)?),
        Route::DownloadFile(id) => Body::Raw(files::content(state, id)?),
        Route::CreateJob => json(jobs::create(
            state,
            config,
            &json_body(req.body)?,
            req.now_ms,
        )?),
        Route::ListJobs => json(jobs::list(state, config, q)?),
        Route::RetrieveJob(id) => json(jobs::retrieve(state, config, id)?),
        Route::JobAction(id, action) => json(jobs::act(state, config, id, *action, req.now_ms)?),
        Route::ListEvents(id) => json(jobs::events(state, id, q)?),
        Route::ListCheckpoints(id) => json(jobs::checkpoints(state, id, q)?),
        Route::CreatePermission(c) => {
            json(permissions::create(state, c, &json_body(req.body)?, now)?)
        }
        Route::ListPermissions(c) => json(permissions::list(state, c, q)?),
        Route::DeletePermission(c, p) => json(permissions::delete(state, c, p)?),
        Route::ListModels => json(models::list(state, config)),
        Route::RetrieveModel(m) => json(models::retrieve(state, config, m)?),
        Route::DeleteModel(m) => json(models::delete(state, m)?),
    })
}
