//! The route table: API requests (below the flavour's prefix: `/v1`, `/openai/v1` or `/openai`)
//! mapped to operations, named by their openapi.yaml `operationId`, with the surfaces that define
//! each, the scope each needs and whether it changes state.

use crate::auth::Scope;
use crate::flavor::{Flavor, Mount, Surface};
use crate::jobs::Action;
use crate::query::decode_segment;

/// A recognised operation with its path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    CreateFile,
    /// Azure's dated `POST /files/import` (a file fetched from a URL).
    ImportFile,
    ListFiles,
    RetrieveFile(String),
    DeleteFile(String),
    DownloadFile(String),
    CreateJob,
    ListJobs,
    RetrieveJob(String),
    /// Azure's dated `DELETE /fine_tuning/jobs/{id}`.
    DeleteJob(String),
    JobAction(String, Action),
    ListEvents(String),
    ListCheckpoints(String),
    CreatePermission(String),
    ListPermissions(String),
    DeletePermission(String, String),
    ListModels,
    RetrieveModel(String),
    DeleteModel(String),
    /// v1's `POST /chat/completions`, served by a deployment (`inference.rs`).
    CreateChatCompletion,
}

impl Route {
    /// Parses an API path of the flavour; `None` means the real API's "Invalid URL" 404. Whether
    /// the operation exists on the request's surface is [`Route::exists_on`]'s question.
    pub fn parse(flavor: Flavor, method: &str, path: &str) -> Option<Route> {
        let rest = flavor.api_path(path)?;
        let seg: Vec<String> = rest.split('/').map(decode_segment).collect();
        let s: Vec<&str> = seg.iter().map(String::as_str).collect();
        let own = |x: &str| x.to_string();
        let route = match (method, s.as_slice()) {
            ("POST", ["files"]) => Route::CreateFile,
            ("POST", ["files", "import"]) => Route::ImportFile,
            ("GET", ["files"]) => Route::ListFiles,
            ("GET", ["files", id]) => Route::RetrieveFile(own(id)),
            ("DELETE", ["files", id]) => Route::DeleteFile(own(id)),
            ("GET", ["files", id, "content"]) => Route::DownloadFile(own(id)),
            ("POST", ["fine_tuning", "jobs"]) => Route::CreateJob,
            ("GET", ["fine_tuning", "jobs"]) => Route::ListJobs,
            ("GET", ["fine_tuning", "jobs", id]) => Route::RetrieveJob(own(id)),
            ("DELETE", ["fine_tuning", "jobs", id]) => Route::DeleteJob(own(id)),
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
            ("POST", ["chat", "completions"]) => Route::CreateChatCompletion,
            _ => return None,
        };
        // What no surface of the flavour has is an unknown URL whatever the api-version says.
        flavor_surfaces(flavor)
            .iter()
            .any(|s| route.exists_on(*s))
            .then_some(route)
    }

    /// Whether the surface's spec defines the operation.
    pub fn exists_on(&self, surface: Surface) -> bool {
        match self {
            Route::CreatePermission(_)
            | Route::ListPermissions(_)
            | Route::DeletePermission(..) => surface.has_permissions(),
            Route::JobAction(_, Action::Pause | Action::Resume) => surface.has_pause(),
            Route::DeleteJob(_) | Route::ImportFile => surface.has_job_delete_and_import(),
            Route::DeleteModel(_) => surface.has_model_delete(),
            // Only v1 names the deployment in `model`; the dated surface puts it in the path
            // (`/deployments/{id}/chat/completions`), which this emulator does not serve.
            Route::CreateChatCompletion => surface == Surface::V1,
            _ => true,
        }
    }

    /// The operation's `operationId` in openapi.yaml.
    pub fn operation_id(&self) -> &'static str {
        match self {
            Route::CreateFile => "createFile",
            Route::ImportFile => "importFile",
            Route::ListFiles => "listFiles",
            Route::RetrieveFile(_) => "retrieveFile",
            Route::DeleteFile(_) => "deleteFile",
            Route::DownloadFile(_) => "downloadFile",
            Route::CreateJob => "createFineTuningJob",
            Route::ListJobs => "listPaginatedFineTuningJobs",
            Route::RetrieveJob(_) => "retrieveFineTuningJob",
            Route::DeleteJob(_) => "deleteFineTuningJob",
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
            Route::CreateChatCompletion => "createChatCompletion",
        }
    }

    pub fn scope(&self) -> Scope {
        match self {
            Route::CreateFile | Route::ImportFile | Route::DeleteFile(_) => Scope::FilesWrite,
            Route::ListFiles | Route::RetrieveFile(_) | Route::DownloadFile(_) => Scope::FilesRead,
            Route::CreateJob | Route::DeleteJob(_) | Route::JobAction(..) => Scope::JobsWrite,
            Route::ListJobs
            | Route::RetrieveJob(_)
            | Route::ListEvents(_)
            | Route::ListCheckpoints(_) => Scope::JobsRead,
            Route::CreatePermission(_) | Route::DeletePermission(..) => Scope::CheckpointsWrite,
            Route::ListPermissions(_) => Scope::CheckpointsRead,
            Route::ListModels | Route::RetrieveModel(_) => Scope::ModelsRead,
            Route::DeleteModel(_) => Scope::ModelsWrite,
            Route::CreateChatCompletion => Scope::ModelRequest,
        }
    }

    /// Whether a success answers with the item created (201 with a `Location` on the dated surface).
    pub fn creates(&self) -> bool {
        matches!(
            self,
            Route::CreateJob | Route::CreateFile | Route::ImportFile
        )
    }

    /// Whether a successful call changes state (and so must be persisted).
    pub fn mutates(&self) -> bool {
        matches!(
            self,
            Route::CreateFile
                | Route::ImportFile
                | Route::DeleteFile(_)
                | Route::CreateJob
                | Route::DeleteJob(_)
                | Route::JobAction(..)
                | Route::CreatePermission(_)
                | Route::DeletePermission(..)
                | Route::DeleteModel(_)
        )
    }
}

/// The surfaces a flavour serves, one per `api-version` it knows.
fn flavor_surfaces(flavor: Flavor) -> &'static [Surface] {
    use crate::flavor::Dated;
    match flavor {
        Flavor::OpenAi => &[Surface::OpenAi],
        // An Azure resource serves both surfaces.
        Flavor::Azure | Flavor::AzureClassic => &[
            Surface::V1,
            Surface::Dated(Dated::Ga),
            Surface::Dated(Dated::Preview),
        ],
    }
}
