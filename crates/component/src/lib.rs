//! The wasm component: binds the `openai:fine-tuning` world to `openai-ft-core`. Imports become
//! the core's [`Platform`]; exports call the core. No logic lives here.

// The export signatures, error type included, are generated from the WIT contract.
#![allow(clippy::result_large_err)]

use std::time::Duration;

use openai_ft_core::ids::{CheckpointName, JobId, ProjectId};
use openai_ft_core::platform::{self as core_http, FileError, Flavor, Platform};
use openai_ft_core::training_method::TrainingMethod;
use openai_ft_core::{Error, HttpError, Input, commands, file, job, permissions};

wit_bindgen::generate!({
    path: "../../wit",
    world: "openai-ft",
});

use exports::openai::fine_tuning::files as wit_files;
use exports::openai::fine_tuning::jobs as wit_jobs;
use exports::openai::fine_tuning::types as wit;
use openai::fine_tuning::{http, input_file};

struct Component;

// Export symbols only exist in the wasm build: their names (`openai:fine-tuning/...`) are not
// valid in a native linker's version script, and a native build of this crate is only ever
// a type check.
#[cfg(target_arch = "wasm32")]
export!(Component);

/// The core's capabilities, served by the WIT imports and WASI.
struct Guest;

impl Platform for Guest {
    fn flavor(&self) -> Flavor {
        match http::flavor() {
            http::ApiFlavor::Openai => Flavor::OpenAi,
            http::ApiFlavor::Azure => Flavor::Azure,
            http::ApiFlavor::AzureClassic => Flavor::AzureClassic,
        }
    }

    fn send(&mut self, request: &core_http::Request) -> Result<core_http::Response, HttpError> {
        let request = http::Request {
            method: match request.method {
                core_http::Method::Get => http::Method::Get,
                core_http::Method::Post => http::Method::Post,
                core_http::Method::Delete => http::Method::Delete,
            },
            path: request.path.clone(),
            query: request.query.clone(),
            body: request.body.as_ref().map(|b| match b {
                core_http::Body::Json(s) => http::Body::Json(s.clone()),
                core_http::Body::Multipart(fields) => http::Body::Multipart(
                    fields
                        .iter()
                        .map(|f| match f {
                            core_http::FormField::Text { name, value } => {
                                http::FormField::Text((name.clone(), value.clone()))
                            }
                            core_http::FormField::GrantedFile { name, filename } => {
                                http::FormField::GrantedFile((name.clone(), filename.clone()))
                            }
                        })
                        .collect(),
                ),
            }),
            credential: match request.credential {
                core_http::Credential::Project => http::Credential::Project,
                core_http::Credential::Admin => http::Credential::Admin,
            },
        };
        match http::send(&request) {
            Ok(r) => Ok(core_http::Response {
                status: r.status,
                headers: r.headers,
                body: r.body,
            }),
            Err(http::Error::Denied(m)) => Err(HttpError::Denied(m)),
            Err(http::Error::Timeout(m)) => Err(HttpError::Timeout(m)),
            Err(http::Error::Transport(m)) => Err(HttpError::Transport(m)),
            Err(http::Error::MissingCredential(m)) => Err(HttpError::MissingCredential(m)),
        }
    }

    fn now(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    fn sleep(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }

    fn random(&mut self) -> f64 {
        // std seeds each RandomState from WASI's random source: 64 fresh bits without a RNG crate.
        use std::hash::{BuildHasher, Hasher};
        let bits = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        (bits >> 11) as f64 / (1u64 << 53) as f64
    }

    fn progress(&mut self, line: &str) {
        eprintln!("openai-ft: {line}");
    }

    fn file_size(&mut self) -> Result<u64, FileError> {
        input_file::size().map_err(file_error)
    }

    fn file_read(&mut self, offset: u64, len: u32) -> Result<Vec<u8>, FileError> {
        input_file::read(offset, len).map_err(file_error)
    }
}

fn file_error(e: input_file::Error) -> FileError {
    match e {
        input_file::Error::Denied(m) => FileError::Denied(m),
        input_file::Error::Io(m) => FileError::Io(m),
    }
}

/// Maps a core error onto the WIT variant, carrying the one-line message every host shows.
fn to_wit(e: Error) -> wit::Error {
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
        Error::Failed(_) => wit::Error::Failed(message),
    }
}

impl exports::openai::fine_tuning::commands::Guest for Component {
    fn describe() -> Vec<exports::openai::fine_tuning::commands::CommandInfo> {
        commands::COMMANDS
            .iter()
            .map(|c| exports::openai::fine_tuning::commands::CommandInfo {
                name: c.name.to_owned(),
                summary: c.summary.to_owned(),
                inputs: c.inputs.iter().map(|i| (*i).to_owned()).collect(),
            })
            .collect()
    }

    fn run(
        command: String,
        input: Vec<(String, String)>,
    ) -> Result<Vec<(String, String)>, wit::Error> {
        if let Some(hostile) = command.strip_prefix("selftest ") {
            return selftest(hostile);
        }
        let input: Input = input.into_iter().collect();
        commands::run(&mut Guest, &command, &input).map_err(to_wit)
    }
}

/// Deliberately hostile call paths, so anyone can check that the host's sandbox stops a runaway
/// guest (`openai-ft selftest memory|cpu`). They return only if the limits failed.
fn selftest(which: &str) -> Result<Vec<(String, String)>, wit::Error> {
    match which {
        "memory" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                // Touch every page so the growth is real, not just reserved.
                hoard.push(vec![0xA5; 1 << 20]);
                std::hint::black_box(&hoard);
            }
        }
        "cpu" => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
        }
        other => Err(wit::Error::Failed(format!(
            "unknown selftest {other:?}: expected memory or cpu"
        ))),
    }
}

impl exports::openai::fine_tuning::jobs::Guest for Component {
    fn read(id: String) -> Result<wit_jobs::Job, wit::Error> {
        let id = JobId::parse("id", &id).map_err(|e| to_wit(e.into()))?;
        job::read(&mut Guest, &id).map(to_wit_job).map_err(to_wit)
    }

    fn cancel(id: String) -> Result<wit_jobs::Job, wit::Error> {
        let id = JobId::parse("id", &id).map_err(|e| to_wit(e.into()))?;
        let job = job::read(&mut Guest, &id).map_err(to_wit)?;
        job::cancel(&mut Guest, job).map(to_wit_job).map_err(to_wit)
    }

    fn pause(id: String) -> Result<wit_jobs::Job, wit::Error> {
        let id = JobId::parse("id", &id).map_err(|e| to_wit(e.into()))?;
        job::action(&mut Guest, id.as_str(), "pause")
            .map(to_wit_job)
            .map_err(to_wit)
    }

    fn resume(id: String) -> Result<wit_jobs::Job, wit::Error> {
        let id = JobId::parse("id", &id).map_err(|e| to_wit(e.into()))?;
        job::action(&mut Guest, id.as_str(), "resume")
            .map(to_wit_job)
            .map_err(to_wit)
    }
}

impl exports::openai::fine_tuning::files::Guest for Component {
    fn validate(
        name: String,
        method: wit_files::TrainingMethod,
    ) -> Result<wit_files::Report, wit::Error> {
        file::validate(&mut Guest, training_method(method), &name)
            .map(to_wit_report)
            .map_err(to_wit)
    }

    fn upload(
        name: String,
        method: wit_files::TrainingMethod,
    ) -> Result<wit_files::Uploaded, wit::Error> {
        let (file, report, _) =
            file::upload(&mut Guest, training_method(method), &name).map_err(to_wit)?;
        Ok(wit_files::Uploaded {
            id: file.id,
            filename: file.filename,
            report: to_wit_report(report),
        })
    }
}

fn training_method(m: wit_files::TrainingMethod) -> TrainingMethod {
    match m {
        wit_files::TrainingMethod::Supervised => TrainingMethod::Supervised,
        wit_files::TrainingMethod::Dpo => TrainingMethod::Dpo,
        wit_files::TrainingMethod::Reinforcement => TrainingMethod::Reinforcement,
    }
}

fn to_wit_report(r: openai_ft_core::file::Report) -> wit_files::Report {
    wit_files::Report {
        examples: r.examples,
        estimated_tokens: r.estimated_tokens,
        bytes: r.bytes,
        sha256: r.sha256,
    }
}

fn to_wit_job(j: job::Job) -> wit_jobs::Job {
    wit_jobs::Job {
        id: j.id,
        status: match j.status {
            job::JobStatus::ValidatingFiles => wit_jobs::Status::ValidatingFiles,
            job::JobStatus::Queued => wit_jobs::Status::Queued,
            job::JobStatus::Running => wit_jobs::Status::Running,
            job::JobStatus::Paused => wit_jobs::Status::Paused,
            job::JobStatus::Succeeded => wit_jobs::Status::Succeeded,
            job::JobStatus::Failed => wit_jobs::Status::Failed,
            job::JobStatus::Cancelled => wit_jobs::Status::Cancelled,
            job::JobStatus::Created => wit_jobs::Status::Created,
            job::JobStatus::Pending => wit_jobs::Status::Pending,
            job::JobStatus::Pausing => wit_jobs::Status::Pausing,
            job::JobStatus::Resuming => wit_jobs::Status::Resuming,
            job::JobStatus::Other(s) => wit_jobs::Status::Other(s),
        },
        model: j.model,
        fine_tuned_model: j.fine_tuned_model,
        created_at: j.created_at,
        finished_at: j.finished_at,
        trained_tokens: j.trained_tokens,
        estimated_finish: j.estimated_finish,
        error: j.error.map(|e| wit_jobs::JobError {
            code: e.code.unwrap_or_default(),
            message: e.message.unwrap_or_default(),
            param: e.param,
        }),
    }
}

impl exports::openai::fine_tuning::permissions::Guest for Component {
    fn grant(
        checkpoint: String,
        project_ids: Vec<String>,
    ) -> Result<Vec<exports::openai::fine_tuning::permissions::Permission>, wit::Error> {
        let checkpoint = checkpoint_name(&checkpoint)?;
        let projects = project_ids_of(&project_ids)?;
        let grants = permissions::grant(&mut Guest, &checkpoint, &projects).map_err(to_wit)?;
        Ok(grants
            .into_iter()
            .map(|g| exports::openai::fine_tuning::permissions::Permission {
                project_id: g.project_id.to_string(),
                permission_id: g.permission_id,
            })
            .collect())
    }

    fn read(
        checkpoint: String,
    ) -> Result<Vec<exports::openai::fine_tuning::permissions::Permission>, wit::Error> {
        let checkpoint = checkpoint_name(&checkpoint)?;
        let list = permissions::list(&mut Guest, &checkpoint).map_err(to_wit)?;
        Ok(list
            .into_iter()
            .map(|p| exports::openai::fine_tuning::permissions::Permission {
                project_id: p.project_id,
                permission_id: p.id,
            })
            .collect())
    }

    fn revoke(checkpoint: String, project_ids: Vec<String>) -> Result<Vec<String>, wit::Error> {
        let checkpoint = checkpoint_name(&checkpoint)?;
        let projects = project_ids_of(&project_ids)?;
        let revoked = permissions::revoke(&mut Guest, &checkpoint, &projects).map_err(to_wit)?;
        Ok(revoked.into_iter().map(|p| p.to_string()).collect())
    }
}

fn checkpoint_name(value: &str) -> Result<CheckpointName, wit::Error> {
    CheckpointName::parse("checkpoint", value).map_err(|e| to_wit(e.into()))
}

fn project_ids_of(values: &[String]) -> Result<Vec<ProjectId>, wit::Error> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            ProjectId::parse(&format!("project-ids[{i}]"), v).map_err(|e| to_wit(e.into()))
        })
        .collect()
}
