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
use crate::entra::{self, Check};
use crate::errors::ApiError;
use crate::flavor::{Flavor, Mount, Surface};
use crate::query::Query;
use crate::state::State;
use crate::{arm, files, inference, jobs, models, permissions};
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

/// What Entra's records say of the request's bearer token, for the data plane.
fn entra_check(shared: &Shared, authorization: Option<&str>) -> Check {
    let token = authorization
        .and_then(|a| {
            a.strip_prefix("Bearer ")
                .or_else(|| a.strip_prefix("bearer "))
        })
        .map(str::trim)
        .unwrap_or_default();
    lock(&shared.tokens).check(token, entra::COGNITIVE_SERVICES, shared.clock.now_ms())
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
    // Behind a proxy (Prism in the spec tests) the public name is the forwarded one.
    let host = header("x-forwarded-host").or_else(|| header("host"));
    if shared.config.flavor.is_azure() && arm::owns(&call.path) {
        let a = arm::answer(
            shared,
            &call.method,
            &call.path,
            call.query.as_deref(),
            authorization.as_deref(),
            &host.unwrap_or_else(|| shared.addr.to_string()),
            body,
        );
        let response = match &a.body {
            Some(v) => reply::json(shared, a.status, v, &a.headers),
            None => reply::respond(shared, a.status, Bytes::new(), "", &a.headers),
        };
        return Answer {
            status: a.status,
            response,
            entry: a.entry,
        };
    }
    let content_type = header("content-type");
    let flavor = shared.config.flavor;
    let mut query = Query::parse(call.query.as_deref());
    if let Shape::Endless(_) = shape {
        // Every page is the first (renamed, for a fresh cursor): the list never runs out.
        query.0.retain(|(k, _)| k != "after");
    }
    let route = Route::parse(flavor, &call.method, &call.path);
    let surface = Surface::of(flavor, &call.path, &query);
    let shown_as = *surface
        .as_ref()
        .unwrap_or(&Surface::fallback(flavor, &call.path));
    let result = match (&route, surface) {
        (None, _) => Err(ApiError::invalid_url(&call.method, &call.path)),
        // api-version is checked before the credentials, as the real gateway does.
        (Some(_), Err(e)) => Err(e),
        (Some(route), Ok(s)) if !route.exists_on(s) => {
            Err(ApiError::invalid_url(&call.method, &call.path))
        }
        (Some(route), Ok(s)) => run(
            shared,
            route,
            &Incoming {
                surface: s,
                credentials: Credentials {
                    authorization: authorization.as_deref(),
                    api_key: api_key.as_deref(),
                    entra: entra_check(shared, authorization.as_deref()),
                },
                content_type: content_type.as_deref(),
                query: &query,
                body,
                now_ms: shared.clock.now_ms(),
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
        other => other,
    });
    let (status, journal, response) = match result {
        Ok(Body::Json(v)) if route.as_ref().is_some_and(Route::creates) => {
            let status = shown_as.created_status(&shared.config);
            let extra = location(shared, shown_as, host.as_deref(), route.as_ref(), &v);
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
        Ok(Body::Empty) => {
            let response = reply::respond(shared, 204, Bytes::new(), "application/json", &[]);
            (204, Value::Null, response)
        }
        Err(e) => {
            let body = e.body_for(shown_as.error_shape());
            let response = reply::json(shared, e.status, &body, &[]);
            (e.status, body, response)
        }
    };
    let operation_id = route.as_ref().map(Route::operation_id);
    Answer {
        status,
        response,
        entry: call.entry(shown_as, &shared.config, operation_id, status, journal),
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

/// The dated surface answers a create with 201 and the new item's `Location` (as its examples
/// write it: `{endpoint}/openai/fine_tuning/jobs/{id}`, `{endpoint}/openai/files/{id}`), on the
/// host the client used (`X-Forwarded-Host` through a proxy, else `Host`; the bound address when
/// it sent neither).
fn location(
    shared: &Shared,
    surface: Surface,
    host: Option<&str>,
    route: Option<&Route>,
    created: &Value,
) -> Vec<(&'static str, String)> {
    let collection = match route {
        Some(Route::CreateJob) => "fine_tuning/jobs",
        Some(Route::CreateFile | Route::ImportFile) => "files",
        _ => return Vec::new(),
    };
    if !surface.is_dated() {
        return Vec::new();
    }
    let id = created["id"].as_str().unwrap_or_default();
    vec![(
        "location",
        format!(
            "http://{}{}/{collection}/{id}",
            host.map_or_else(|| shared.addr.to_string(), str::to_string),
            Flavor::AzureClassic.prefix()
        ),
    )]
}

/// A successful response body: JSON, raw file content, or none (a 204).
pub enum Body {
    Json(Value),
    Raw(String),
    Empty,
}

/// What a request carries that handlers need.
pub struct Incoming<'a> {
    /// The surface the request speaks (its flavour and `api-version`).
    pub surface: Surface,
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

/// Checks the key, then runs the operation's handler on the request's surface.
fn perform(
    state: &mut State,
    config: &Config,
    route: &Route,
    req: &Incoming,
) -> Result<Body, ApiError> {
    authorize(config, req.credentials, route.scope())?;
    let surface = req.surface;
    let now = req.now_ms / 1000;
    let q = req.query;
    let json = Body::Json;
    Ok(match route {
        Route::CreateFile => json(files::create(
            state,
            config,
            surface,
            req.content_type,
            req.body,
            req.now_ms,
        )?),
        Route::ImportFile => json(files::import(
            state,
            surface,
            &json_body(req.body)?,
            req.now_ms,
        )?),
        Route::ListFiles => json(files::list(state, surface, q)?),
        Route::RetrieveFile(id) => json(files::retrieve(state, surface, id)?),
        Route::DeleteFile(id) => json(files::delete(state, id)?),
        Route::DownloadFile(id) => Body::Raw(files::content(state, id)?),
        Route::CreateJob => json(jobs::create(
            state,
            config,
            surface,
            &json_body(req.body)?,
            req.now_ms,
        )?),
        Route::ListJobs => json(jobs::list(state, config, surface, q)?),
        Route::RetrieveJob(id) => json(jobs::retrieve(state, config, surface, id)?),
        Route::DeleteJob(id) => {
            jobs::delete(state, id)?;
            Body::Empty
        }
        Route::JobAction(id, action) => {
            json(jobs::act(state, config, surface, id, *action, req.now_ms)?)
        }
        Route::ListEvents(id) => json(jobs::events(state, config, surface, id, q)?),
        Route::ListCheckpoints(id) => json(jobs::checkpoints(state, surface, id, q)?),
        Route::CreatePermission(c) => {
            json(permissions::create(state, c, &json_body(req.body)?, now)?)
        }
        Route::ListPermissions(c) => json(permissions::list(state, c, q)?),
        Route::DeletePermission(c, p) => json(permissions::delete(state, c, p)?),
        Route::ListModels => json(models::list(state, config, surface)),
        Route::RetrieveModel(m) => json(models::retrieve(state, config, surface, m)?),
        Route::DeleteModel(m) => json(models::delete(state, m)?),
        Route::CreateChatCompletion => json(inference::chat_completion(
            state,
            &json_body(req.body)?,
            now,
        )?),
    })
}
