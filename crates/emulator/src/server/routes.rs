//! The route table: API requests (below the flavour's prefix: `/v1`, `/openai/v1` or `/openai`)
//! mapped to operations, named by their openapi.yaml `operationId`, with the scope each needs and
//! whether it changes state.

use crate::auth::Scope;
use crate::flavor::{Flavor, Surface};
use crate::jobs::Action;
use crate::query::decode_segment;

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

    pub fn scope(&self) -> Scope {
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
