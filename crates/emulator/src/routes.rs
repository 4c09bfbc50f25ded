//! Maps API requests (below the flavour's prefix: `/v1`, `/openai/v1` or `/openai`) to operations
//! (named by their openapi.yaml `operationId`), checks `api-version` and the key's scope for the
//! operation, and calls the handler with the state lock held.

use crate::auth::{Credentials, Scope, authorize};
use crate::config::Config;
use crate::errors::ApiError;
use crate::flavor::{Flavor, Surface};
use crate::jobs::{self, Action};
use crate::query::{Query, decode_segment};
use crate::state::State;
use crate::{files, models, permissions};
use serde_json::Value;

/// A recognised operation with its path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    CreateFile,
    ListFiles,
    RetrieveFile(String),
    DeleteFile(String),
    DownloadFile(String),
    CreateJob,
    ListJobs,
    RetrieveJob(String),
    JobAction(String, Action),
    ListEvents(String),
    ListCheckpoints(String),
    CreatePermission(String),
    ListPermissions(String),
    DeletePermission(String, String),
    ListModels,
    RetrieveModel(String),
    DeleteModel(String),
}

impl Route {
    /// Parses an API path of the flavour; `None` means the real API's "Invalid URL" 404. The
    /// checkpoint-permission operations exist only on OpenAI.
    pub fn parse(flavor: Flavor, method: &str, path: &str) -> Option<Route> {
        let rest = flavor.api_path(path)?;
        let seg: Vec<String> = rest.split('/').map(decode_segment).collect();
        let s: Vec<&str> = seg.iter().map(String::as_str).collect();
        let own = |x: &str| x.to_string();
        let route = match (method, s.as_slice()) {
            ("POST", ["files"]) => Route::CreateFile,
            ("GET", ["files"]) => Route::ListFiles,
            ("GET", ["files", id]) => Route::RetrieveFile(own(id)),
            ("DELETE", ["files", id]) => Route::DeleteFile(own(id)),
            ("GET", ["files", id, "content"]) => Route::DownloadFile(own(id)),
            ("POST", ["fine_tuning", "jobs"]) => Route::CreateJob,
            ("GET", ["fine_tuning", "jobs"]) => Route::ListJobs,
            ("GET", ["fine_tuning", "jobs", id]) => Route::RetrieveJob(own(id)),
            ("POST", ["fine_tuning", "jobs", id, "cancel"]) => {
                Route::JobAction(own(id), Action::Cancel)
            }
            ("POST", ["fine_tuning", "jobs", id, "pause"]) => {
                Route::JobAction(own(id), Action::Pause)
            }
            ("POST", ["fine_tuning", "jobs", id, "resume"]) => {
                Route::JobAction(own(id), Action::Resume)
            }
            ("GET", ["fine_tuning", "jobs", id, "events"]) => Route::ListEvents(own(id)),
            ("GET", ["fine_tuning", "jobs", id, "checkpoints"]) => Route::ListCheckpoints(own(id)),
            ("POST", ["fine_tuning", "checkpoints", c, "permissions"]) => {
                Route::CreatePermission(own(c))
            }
            ("GET", ["fine_tuning", "checkpoints", c, "permissions"]) => {
                Route::ListPermissions(own(c))
            }
            ("DELETE", ["fine_tuning", "checkpoints", c, "permissions", p]) => {
                Route::DeletePermission(own(c), own(p))
            }
            ("GET", ["models"]) => Route::ListModels,
            ("GET", ["models", m]) => Route::RetrieveModel(own(m)),
            ("DELETE", ["models", m]) => Route::DeleteModel(own(m)),
            _ => return None,
        };
        if route.scope().is_admin() && !flavor.has_permissions() {
            return None;
        }
        Some(route)
    }

    /// The operation's `operationId` in openapi.yaml.
    pub fn operation_id(&self) -> &'static str {
        match self {
            Route::CreateFile => "createFile",
            Route::ListFiles => "listFiles",
            Route::RetrieveFile(_) => "retrieveFile",
            Route::DeleteFile(_) => "deleteFile",
            Route::DownloadFile(_) => "downloadFile",
            Route::CreateJob => "createFineTuningJob",
            Route::ListJobs => "listPaginatedFineTuningJobs",
            Route::RetrieveJob(_) => "retrieveFineTuningJob",
            Route::JobAction(_, Action::Cancel) => "cancelFineTuningJob",
            Route::JobAction(_, Action::Pause) => "pauseFineTuningJob",
            Route::JobAction(_, Action::Resume) => "resumeFineTuningJob",
            Route::ListEvents(_) => "listFineTuningEvents",
            Route::ListCheckpoints(_) => "listFineTuningJobCheckpoints",
            Route::CreatePermission(_) => "createFineTuningCheckpointPermission",
            Route::ListPermissions(_) => "listFineTuningCheckpointPermissions",
            Route::DeletePermission(..) => "deleteFineTuningCheckpointPermission",
            Route::ListModels => "listModels",
            Route::RetrieveModel(_) => "retrieveModel",
            Route::DeleteModel(_) => "deleteModel",
        }
    }

    fn scope(&self) -> Scope {
        match self {
            Route::CreateFile | Route::DeleteFile(_) => Scope::FilesWrite,
            Route::ListFiles | Route::RetrieveFile(_) | Route::DownloadFile(_) => Scope::FilesRead,
            Route::CreateJob | Route::JobAction(..) => Scope::JobsWrite,
            Route::ListJobs
            | Route::RetrieveJob(_)
            | Route::ListEvents(_)
            | Route::ListCheckpoints(_) => Scope::JobsRead,
            Route::CreatePermission(_) | Route::DeletePermission(..) => Scope::CheckpointsWrite,
            Route::ListPermissions(_) => Scope::CheckpointsRead,
            Route::ListModels | Route::RetrieveModel(_) => Scope::ModelsRead,
            Route::DeleteModel(_) => Scope::ModelsWrite,
        }
    }

    /// Whether a successful call changes state (and so must be persisted).
    pub fn mutates(&self) -> bool {
        matches!(
            self,
            Route::CreateFile
                | Route::DeleteFile(_)
                | Route::CreateJob
                | Route::JobAction(..)
                | Route::CreatePermission(_)
                | Route::DeletePermission(..)
                | Route::DeleteModel(_)
        )
    }
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
    pub query: Query,
    pub body: &'a [u8],
    pub now_ms: u64,
}

fn json_body(raw: &[u8]) -> Result<Value, ApiError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(raw).map_err(|_| ApiError::bad_json())
}

/// Authorizes and runs one operation.
pub fn dispatch(
    state: &mut State,
    config: &Config,
    route: &Route,
    req: &Incoming,
) -> Result<Body, ApiError> {
    config.flavor.check_api_version(&req.query)?;
    authorize(config, req.credentials, route.scope())?;
    let now = req.now_ms / 1000;
    let q = &req.query;
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
