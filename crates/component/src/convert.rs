//! Every conversion between the types `wit-bindgen` generates from the WIT contract and the
//! core's own, as `From` impls, so the `Guest` impls stay one line of logic each.

use openai_ft_core::file::Report;
use openai_ft_core::job::{Job, JobError, JobStatus};
use openai_ft_core::permissions::{Grant, Permission};
use openai_ft_core::platform::{
    Body, Credential, FileError, FormField, Method, Request, Response, Target,
};
use openai_ft_core::training_method::TrainingMethod;
use openai_ft_core::{Error, Flavor, HttpError};

use crate::exports::openai::fine_tuning::commands::CommandInfo;
use crate::exports::openai::fine_tuning::files as wit_files;
use crate::exports::openai::fine_tuning::jobs as wit_jobs;
use crate::exports::openai::fine_tuning::permissions as wit_permissions;
use crate::exports::openai::fine_tuning::types as wit;
use crate::openai::fine_tuning::{http, input_file};

impl From<http::ApiFlavor> for Flavor {
    fn from(f: http::ApiFlavor) -> Self {
        match f {
            http::ApiFlavor::Openai => Flavor::OpenAi,
            http::ApiFlavor::Azure => Flavor::Azure,
            http::ApiFlavor::AzureClassic => Flavor::AzureClassic,
        }
    }
}

impl From<&Target> for http::Target {
    fn from(t: &Target) -> Self {
        match t {
            Target::Api => http::Target::Api,
            Target::AzureDated(version) => http::Target::AzureDated(version.clone()),
            Target::AzureManagement(version) => http::Target::AzureManagement(version.clone()),
        }
    }
}

impl From<Method> for http::Method {
    fn from(m: Method) -> Self {
        match m {
            Method::Get => http::Method::Get,
            Method::Post => http::Method::Post,
            Method::Delete => http::Method::Delete,
            Method::Put => http::Method::Put,
        }
    }
}

impl From<Credential> for http::Credential {
    fn from(c: Credential) -> Self {
        match c {
            Credential::Project => http::Credential::Project,
            Credential::Admin => http::Credential::Admin,
            Credential::Management => http::Credential::Management,
        }
    }
}

impl From<&FormField> for http::FormField {
    fn from(f: &FormField) -> Self {
        match f {
            FormField::Text { name, value } => http::FormField::Text((name.clone(), value.clone())),
            FormField::GrantedFile {
                name,
                filename,
                sha256,
            } => http::FormField::GrantedFile(http::GrantedFilePart {
                name: name.clone(),
                filename: filename.clone(),
                sha256: sha256.clone(),
            }),
        }
    }
}

impl From<&Body> for http::Body {
    fn from(b: &Body) -> Self {
        match b {
            Body::Json(s) => http::Body::Json(s.clone()),
            Body::Multipart(fields) => {
                http::Body::Multipart(fields.iter().map(Into::into).collect())
            }
        }
    }
}

impl From<&Request> for http::Request {
    fn from(r: &Request) -> Self {
        http::Request {
            method: r.method.into(),
            target: (&r.target).into(),
            path: r.path.clone(),
            query: r.query.clone(),
            body: r.body.as_ref().map(Into::into),
            credential: r.credential.into(),
            cache: r
                .max_age_seconds
                .map(|max_age_seconds| http::CacheHint { max_age_seconds }),
        }
    }
}

impl From<http::Response> for Response {
    fn from(r: http::Response) -> Self {
        Response {
            status: r.status,
            headers: r.headers,
            // The same bytes whichever way they came: text is only how a host passes them cheaply.
            body: match r.body {
                http::ResponseBody::Bytes(bytes) => bytes,
                http::ResponseBody::Text(text) => text.into_bytes(),
            },
        }
    }
}

impl From<http::Error> for HttpError {
    fn from(e: http::Error) -> Self {
        match e {
            http::Error::Denied(m) => HttpError::Denied(m),
            http::Error::Timeout(m) => HttpError::Timeout(m),
            http::Error::Transport(m) => HttpError::Transport(m),
            http::Error::MissingCredential(m) => HttpError::MissingCredential(m),
            http::Error::FileChanged(m) => HttpError::FileChanged(m),
        }
    }
}

impl From<input_file::Error> for FileError {
    fn from(e: input_file::Error) -> Self {
        match e {
            input_file::Error::Denied(m) => FileError::Denied(m),
            input_file::Error::Io(m) => FileError::Io(m),
        }
    }
}

/// A core error as the WIT variant, carrying the one-line message every host shows.
impl From<Error> for wit::Error {
    fn from(e: Error) -> Self {
        let message = e.to_string();
        match e {
            Error::Input(i) => wit::Error::InvalidInput(wit::InputError {
                field: i.field,
                value: i.value,
                rule: i.rule,
                message,
            }),
            Error::Api(a) => wit::Error::Api(wit::ApiError {
                status: a.status,
                kind: a.kind,
                code: a.code,
                param: a.param,
                request_id: a.request_id,
                message,
            }),
            Error::Http(HttpError::Denied(_)) => wit::Error::Denied(message),
            Error::Http(HttpError::Timeout(_)) => wit::Error::Timeout(message),
            Error::Http(HttpError::Transport(_)) => wit::Error::Transport(message),
            Error::Http(HttpError::MissingCredential(_)) => wit::Error::MissingCredential(message),
            Error::Http(HttpError::FileChanged(_)) | Error::Failed(_) => {
                wit::Error::Failed(message)
            }
        }
    }
}

impl From<openai_ft_core::InputError> for wit::Error {
    fn from(e: openai_ft_core::InputError) -> Self {
        Error::from(e).into()
    }
}

impl From<&openai_ft_core::commands::Command> for CommandInfo {
    fn from(c: &openai_ft_core::commands::Command) -> Self {
        CommandInfo {
            name: c.name.to_owned(),
            summary: c.summary.to_owned(),
            inputs: c.accepted().iter().map(|i| (*i).to_owned()).collect(),
        }
    }
}

impl From<wit_files::TrainingMethod> for TrainingMethod {
    fn from(m: wit_files::TrainingMethod) -> Self {
        match m {
            wit_files::TrainingMethod::Supervised => TrainingMethod::Supervised,
            wit_files::TrainingMethod::Dpo => TrainingMethod::Dpo,
            wit_files::TrainingMethod::Reinforcement => TrainingMethod::Reinforcement,
        }
    }
}

impl From<Report> for wit_files::Report {
    fn from(r: Report) -> Self {
        wit_files::Report {
            examples: r.examples,
            estimated_tokens: r.tokens.total,
            bytes: r.bytes,
            sha256: r.sha256,
        }
    }
}

impl From<JobStatus> for wit_jobs::JobStatus {
    fn from(s: JobStatus) -> Self {
        match s {
            JobStatus::ValidatingFiles => wit_jobs::JobStatus::ValidatingFiles,
            JobStatus::Queued => wit_jobs::JobStatus::Queued,
            JobStatus::Running => wit_jobs::JobStatus::Running,
            JobStatus::Paused => wit_jobs::JobStatus::Paused,
            JobStatus::Succeeded => wit_jobs::JobStatus::Succeeded,
            JobStatus::Failed => wit_jobs::JobStatus::Failed,
            JobStatus::Cancelled => wit_jobs::JobStatus::Cancelled,
            JobStatus::Created => wit_jobs::JobStatus::Created,
            JobStatus::Pending => wit_jobs::JobStatus::Pending,
            JobStatus::Pausing => wit_jobs::JobStatus::Pausing,
            JobStatus::Resuming => wit_jobs::JobStatus::Resuming,
            JobStatus::Other(s) => wit_jobs::JobStatus::Other(s),
        }
    }
}

impl From<JobError> for wit_jobs::JobError {
    fn from(e: JobError) -> Self {
        wit_jobs::JobError {
            code: e.code.unwrap_or_default(),
            message: e.message.unwrap_or_default(),
            param: e.param,
        }
    }
}

impl From<Job> for wit_jobs::Job {
    fn from(j: Job) -> Self {
        wit_jobs::Job {
            id: j.id,
            status: j.status.into(),
            model: j.model,
            fine_tuned_model: j.fine_tuned_model,
            created_at: j.created_at,
            finished_at: j.finished_at,
            trained_tokens: j.trained_tokens,
            estimated_finish: j.estimated_finish,
            error: j.error.map(Into::into),
        }
    }
}

impl From<Permission> for wit_permissions::Permission {
    fn from(p: Permission) -> Self {
        wit_permissions::Permission {
            project_id: p.project_id,
            permission_id: p.id,
        }
    }
}

impl From<Grant> for wit_permissions::Permission {
    fn from(g: Grant) -> Self {
        wit_permissions::Permission {
            project_id: g.project_id.to_string(),
            permission_id: g.permission_id,
        }
    }
}
