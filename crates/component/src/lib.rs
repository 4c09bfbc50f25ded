//! The wasm component: binds the `openai:fine-tuning` world to `openai-ft-core`. Imports become
//! the core's [`Platform`]; exports call the core. No logic lives here, and every type
//! conversion lives in [`convert`].

// The export signatures, error type included, are generated from the WIT contract.
#![allow(clippy::result_large_err)]

mod convert;

use std::time::Duration;

use openai_ft_core::file::estimate::Plan;
use openai_ft_core::ids::{CheckpointName, JobId, ProjectId};
use openai_ft_core::platform::{self as core_http, FileError, Platform};
use openai_ft_core::training_method::TrainingMethod;
use openai_ft_core::{Flavor, HttpError, Input, commands, file, job, permissions};

// The bindings wit-bindgen generates from the WIT contract for the `openai-ft` world, committed
// (crates/host-logic/tests/bindings.rs fails when they are stale). Their `export!` is only
// called in the wasm build.
#[allow(unused_imports)]
mod bindings {
    include!("bindings.rs");
}
use bindings::{exports, openai};

use exports::openai::fine_tuning::commands::CommandInfo;
use exports::openai::fine_tuning::files as wit_files;
use exports::openai::fine_tuning::jobs as wit_jobs;
use exports::openai::fine_tuning::permissions::Permission as WitPermission;
use exports::openai::fine_tuning::types as wit;
use openai::fine_tuning::{http, input_file};

struct Component;

// Export symbols only exist in the wasm build: their names (`openai:fine-tuning/...`) are not
// valid in a native linker's version script, and a native build of this crate is only ever
// a type check.
#[cfg(target_arch = "wasm32")]
bindings::export!(Component with_types_in bindings);

/// The core's capabilities, served by the WIT imports and WASI.
struct Guest;

impl Platform for Guest {
    fn flavor(&self) -> Flavor {
        http::flavor().into()
    }

    fn api_version(&self) -> Option<String> {
        http::api_version()
    }

    fn send(&mut self, request: &core_http::Request) -> Result<core_http::Response, HttpError> {
        http::send(&request.into())
            .map(Into::into)
            .map_err(Into::into)
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
        // The core's lines quote the server's words, which may span lines.
        eprintln!("openai-ft: {}", openai_ft_core::error::one_line(line));
    }

    fn file_size(&mut self) -> Result<u64, FileError> {
        input_file::size().map_err(Into::into)
    }

    fn file_read(&mut self, offset: u64, len: u32) -> Result<Vec<u8>, FileError> {
        input_file::read(offset, len).map_err(Into::into)
    }
}

impl exports::openai::fine_tuning::commands::Guest for Component {
    fn describe() -> Vec<CommandInfo> {
        commands::COMMANDS.iter().map(Into::into).collect()
    }

    fn run(
        command: String,
        input: Vec<(String, String)>,
    ) -> Result<Vec<(String, String)>, wit::Error> {
        let input: Input = input.into_iter().collect();
        Ok(commands::run(&mut Guest, &command, &input)?)
    }
}

impl exports::openai::fine_tuning::jobs::Guest for Component {
    fn read(id: String) -> Result<wit_jobs::Job, wit::Error> {
        let id = JobId::parse("id", &id)?;
        Ok(job::read(&mut Guest, &id)?.into())
    }

    fn cancel(id: String) -> Result<wit_jobs::Job, wit::Error> {
        let id = JobId::parse("id", &id)?;
        let found = job::read(&mut Guest, &id)?;
        Ok(job::cancel(&mut Guest, found)?.into())
    }

    fn pause(id: String) -> Result<wit_jobs::Job, wit::Error> {
        let id = JobId::parse("id", &id)?;
        Ok(job::action(&mut Guest, id.as_str(), "pause")?.into())
    }

    fn resume(id: String) -> Result<wit_jobs::Job, wit::Error> {
        let id = JobId::parse("id", &id)?;
        Ok(job::action(&mut Guest, id.as_str(), "resume")?.into())
    }
}

impl exports::openai::fine_tuning::files::Guest for Component {
    fn validate(
        path: String,
        method: Option<wit_files::TrainingMethod>,
    ) -> Result<wit_files::Report, wit::Error> {
        let method = method.map_or(TrainingMethod::Supervised, Into::into);
        Ok(file::validate(&mut Guest, method, &path, &Plan::default())?.into())
    }

    fn upload(
        path: String,
        method: Option<wit_files::TrainingMethod>,
    ) -> Result<wit_files::Uploaded, wit::Error> {
        let method = method.map_or(TrainingMethod::Supervised, Into::into);
        let (uploaded, report, _) = file::upload(&mut Guest, method, &path, &Plan::default())?;
        Ok(wit_files::Uploaded {
            id: uploaded.id,
            filename: uploaded.filename,
            report: report.into(),
        })
    }
}

impl exports::openai::fine_tuning::permissions::Guest for Component {
    fn grant(
        checkpoint: String,
        project_ids: Vec<String>,
    ) -> Result<Vec<WitPermission>, wit::Error> {
        let checkpoint = CheckpointName::parse("checkpoint", &checkpoint)?;
        let projects = project_ids_of(&project_ids)?;
        let grants = permissions::grant(&mut Guest, &checkpoint, &projects)?;
        Ok(grants.into_iter().map(Into::into).collect())
    }

    fn read(checkpoint: String) -> Result<Vec<WitPermission>, wit::Error> {
        let checkpoint = CheckpointName::parse("checkpoint", &checkpoint)?;
        let list = permissions::list(&mut Guest, &checkpoint)?;
        Ok(list.into_iter().map(Into::into).collect())
    }

    fn revoke(checkpoint: String, project_ids: Vec<String>) -> Result<Vec<String>, wit::Error> {
        let checkpoint = CheckpointName::parse("checkpoint", &checkpoint)?;
        let projects = project_ids_of(&project_ids)?;
        let revoked = permissions::revoke(&mut Guest, &checkpoint, &projects)?;
        Ok(revoked.into_iter().map(|p| p.to_string()).collect())
    }
}

fn project_ids_of(values: &[String]) -> Result<Vec<ProjectId>, wit::Error> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| Ok(ProjectId::parse(&format!("project-ids[{i}]"), v)?))
        .collect()
}
