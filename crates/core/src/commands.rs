//! The generic entry behind the Terraform protocol: `<noun> <verb>` and a flat input map in, a
//! flat output map out. Each command checks its input keys, then calls the typed operation.

use crate::api;
use crate::error::{Error, Result};
use crate::input::Input;
use crate::job::{Job, JobId};
use crate::platform::{Credential, Method, Platform, Request};
use crate::retry::Policy;

/// A command's output: flat key/value strings, in a stable order.
pub type Output = Vec<(String, String)>;

/// A command's name, summary and input keys (required first), for `--help`.
pub struct CommandInfo {
    pub name: &'static str,
    pub summary: &'static str,
    pub inputs: &'static [&'static str],
}

/// Every command.
pub const COMMANDS: &[CommandInfo] = &[CommandInfo {
    name: "job read",
    summary: "read a fine-tuning job by id; the external data source's program (plan time)",
    inputs: &["id"],
}];

/// Runs `command` (`"<noun> <verb>"`) with `input`.
pub fn run(platform: &mut dyn Platform, command: &str, input: &Input) -> Result<Output> {
    match command {
        "job read" => job_read(platform, input),
        other => Err(Error::Failed(format!(
            "unknown command {}: expected one of: {}",
            crate::error::quote(other),
            COMMANDS
                .iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// `GET /fine_tuning/jobs/{id}`: one request, retried by the SDK policy.
pub fn read_job(platform: &mut dyn Platform, id: &JobId) -> Result<Job> {
    let request = Request::new(
        Method::Get,
        format!("/fine_tuning/jobs/{id}"),
        Credential::Project,
    );
    api::fetch(platform, &request, &Policy::SDK)
}

fn job_read(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    input.only(&["id"])?;
    let id = JobId::parse(
        "id",
        input.require("id", "set it to the job id (ftjob-...)")?,
    )?;
    Ok(read_job(platform, &id)?.outputs())
}
