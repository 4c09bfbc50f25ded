//! The generic entry behind the Terraform protocol: `<noun> <verb>` and a flat input map in, a
//! flat output map out. Each command checks its input keys, parses them into types, and calls
//! the typed operations; nothing here talks to the API directly.

use std::time::Duration;

use crate::error::{Error, InputError, Result, quote};
use crate::files;
use crate::input::Input;
use crate::job::{Job, JobId};
use crate::job_spec::{JOB_SPEC_KEYS, JobSpec, TrainingMethod};
use crate::jobs::{self, JobRef, Origin, WaitOptions};
use crate::models;
use crate::platform::Platform;

/// A command's output: flat key/value strings, in a stable order.
pub type Output = Vec<(String, String)>;

/// A command's name, summary and input keys (required first), for `--help`.
pub struct CommandInfo {
    pub name: &'static str,
    pub summary: &'static str,
    pub inputs: &'static [&'static str],
}

/// `job ensure` takes the job request plus how to follow it.
const ENSURE_INPUTS: &[&str] = &concat::<{ JOB_SPEC_KEYS.len() + 3 }>(
    JOB_SPEC_KEYS,
    &["cancel_after_timeout", "wait", "poll_interval"],
);

/// Two key lists as one array, at compile time, so the request's keys are listed once.
const fn concat<const N: usize>(a: &[&'static str], b: &[&'static str]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < a.len() {
        out[i] = a[i];
        i += 1;
    }
    let mut j = 0;
    while j < b.len() {
        out[i + j] = b[j];
        j += 1;
    }
    out
}

/// Every command.
pub const COMMANDS: &[CommandInfo] = &[
    CommandInfo {
        name: "job ensure",
        summary: "create the job for this request unless it exists (idempotent); optionally wait (apply time, local-exec)",
        inputs: ENSURE_INPUTS,
    },
    CommandInfo {
        name: "job read",
        summary: "read a job by id, idempotency_key or request; cancels it past cancel_after_timeout (plan time, external data source)",
        inputs: &[
            "id | idempotency_key | request fields",
            "cancel_after_timeout",
            "checkpoints",
        ],
    },
    CommandInfo {
        name: "job cancel",
        summary: "cancel a job unless it has finished; never deletes the model (destroy time, local-exec)",
        inputs: &["id | idempotency_key | request fields"],
    },
    CommandInfo {
        name: "job pause",
        summary: "pause a running job",
        inputs: &["id"],
    },
    CommandInfo {
        name: "job resume",
        summary: "resume a paused job",
        inputs: &["id"],
    },
    CommandInfo {
        name: "job list",
        summary: "list jobs, optionally those whose metadata matches",
        inputs: &["metadata", "limit"],
    },
    CommandInfo {
        name: "file validate",
        summary: "check a local JSONL training file for a training method; no network",
        inputs: &["path", "training_method"],
    },
    CommandInfo {
        name: "file read",
        summary: "find the upload of a local JSONL file by its content; never uploads (plan time, external data source)",
        inputs: &["path", "training_method"],
    },
    CommandInfo {
        name: "file upload",
        summary: "validate and upload a local JSONL training file unless the same bytes are already uploaded",
        inputs: &["path", "training_method"],
    },
    CommandInfo {
        name: "permissions check",
        summary: "check, without any request, that the configured API has checkpoint permissions (plan time)",
        inputs: &[],
    },
    CommandInfo {
        name: "permissions grant",
        summary: "grant a fine-tuned model or checkpoint to projects (project_id, or project_ids as a JSON list); existing grants are reused; needs OPENAI_ADMIN_KEY",
        inputs: crate::permissions::command::INPUTS,
    },
    CommandInfo {
        name: "permissions read",
        summary: "list a checkpoint's grants (project -> permission id); with project_id(s), also which are missing; no side effects; needs OPENAI_ADMIN_KEY",
        inputs: crate::permissions::command::INPUTS,
    },
    CommandInfo {
        name: "permissions revoke",
        summary: "revoke the grants of the given projects only, looked up fresh; an absent grant is success; needs OPENAI_ADMIN_KEY",
        inputs: crate::permissions::command::INPUTS,
    },
];

/// Runs `command` (`"<noun> <verb>"`) with `input`.
pub fn run(platform: &mut dyn Platform, command: &str, input: &Input) -> Result<Output> {
    match command {
        "job ensure" => job_ensure(platform, input),
        "job read" => job_read(platform, input),
        "job cancel" => job_cancel(platform, input),
        "job pause" => job_action(platform, input, "pause"),
        "job resume" => job_action(platform, input, "resume"),
        "job list" => job_list(platform, input),
        "file validate" => file_validate(platform, input),
        "file read" => file_read(platform, input),
        "file upload" => file_upload(platform, input),
        "permissions check" => crate::permissions::command::check(platform, input),
        "permissions grant" => crate::permissions::command::grant(platform, input),
        "permissions read" => crate::permissions::command::read(platform, input),
        "permissions revoke" => crate::permissions::command::revoke(platform, input),
        other => Err(Error::Failed(format!(
            "unknown command {}: expected one of: {}",
            quote(other),
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
    jobs::read(platform, id)
}

/// Input keys naming a job one of the three ways.
fn job_ref_keys(extra: &[&'static str]) -> Vec<&'static str> {
    let mut keys = vec!["id", "idempotency_key"];
    keys.extend_from_slice(JOB_SPEC_KEYS);
    keys.extend_from_slice(extra);
    keys
}

fn timeout(input: &Input) -> Result<Option<u64>, InputError> {
    // Up to 30 days: longer than any fine-tuning job runs.
    input.integer("cancel_after_timeout", 1, 30 * 86_400)
}

/// The shutdown dates of the job's base and fine-tuned models (empty when none is announced),
/// warning on stderr when one is near.
fn model_dates(platform: &mut dyn Platform, job: &Job) -> Result<Output> {
    let base = if job.model.is_empty() {
        None
    } else {
        models::shutdown_date(platform, &job.model)?
    };
    models::warn_if_near(platform, "base model", &job.model, base.as_deref());
    let tuned = match &job.fine_tuned_model {
        Some(m) => {
            let date = models::shutdown_date(platform, m)?;
            models::warn_if_near(platform, "fine-tuned model", m, date.as_deref());
            date
        }
        None => None,
    };
    Ok(vec![
        ("base_model_shutdown_date".into(), base.unwrap_or_default()),
        (
            "fine_tuned_model_shutdown_date".into(),
            tuned.unwrap_or_default(),
        ),
    ])
}

fn job_outputs(job: &Job, key: Option<&str>, timeout: Option<u64>, now: u64) -> Output {
    let mut out = job.outputs();
    let key = key
        .map(str::to_owned)
        .or_else(|| jobs::key_of(job).map(str::to_owned));
    out.push(("idempotency_key".into(), key.unwrap_or_default()));
    out.push((
        "timed_out".into(),
        jobs::timed_out(job, timeout, now).to_string(),
    ));
    out
}

fn job_ensure(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    input.only(ENSURE_INPUTS)?;
    let spec = JobSpec::parse(input)?;
    let timeout = timeout(input)?;
    let wait = input.flag("wait", false)?;
    let poll_interval = poll_interval(input)?;
    let key = spec.idempotency_key();
    let (job, origin) = jobs::create_or_adopt(platform, &spec)?;
    match origin {
        Origin::Created => platform.progress(&format!("created {} for {key}", job.id)),
        Origin::Adopted => platform.progress(&format!(
            "{} already exists for this request ({key}, {}); not creating another",
            job.id,
            job.status.as_str()
        )),
    }
    let job = if wait {
        jobs::wait(
            platform,
            job,
            WaitOptions {
                poll_interval,
                timeout,
            },
        )?
    } else {
        jobs::enforce_timeout(platform, job, timeout)?
    };
    let checkpoints = if wait {
        jobs::checkpoints_json(&jobs::checkpoints(platform, &job.id)?)
    } else {
        String::new()
    };
    let now = platform.now();
    let mut out = job_outputs(&job, Some(&key), timeout, now);
    out.push(("checkpoints".into(), checkpoints));
    out.push(("created".into(), (origin == Origin::Created).to_string()));
    out.extend(model_dates(platform, &job)?);
    Ok(out)
}

fn poll_interval(input: &Input) -> Result<Duration, InputError> {
    let Some(raw) = input.get("poll_interval") else {
        return Ok(Duration::from_secs(10));
    };
    match raw.trim().parse::<f64>() {
        Ok(s) if (0.01..=600.0).contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err(InputError::invalid(
            "poll_interval",
            raw,
            "must be a number of seconds 0.01-600",
        )),
    }
}

fn job_read(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    input.only(&job_ref_keys(&[
        "cancel_after_timeout",
        "checkpoints",
        "shutdown_dates",
    ]))?;
    let reference = JobRef::parse(input, true)?;
    let timeout = timeout(input)?;
    let with_checkpoints = input.flag("checkpoints", false)?;
    let with_dates = input.flag("shutdown_dates", false)?;
    let job = match reference.resolve(platform)? {
        Some(job) => job,
        None => {
            return Err(Error::Failed(
                "no job exists for this request yet: run terraform apply (job ensure) to create it"
                    .into(),
            ));
        }
    };
    let job = jobs::enforce_timeout(platform, job, timeout)?;
    let checkpoints = if with_checkpoints {
        jobs::checkpoints_json(&jobs::checkpoints(platform, &job.id)?)
    } else {
        String::new()
    };
    let now = platform.now();
    let key = match &reference {
        JobRef::Key(k) => Some(k.as_str()),
        JobRef::Id(_) => None,
    };
    let mut out = job_outputs(&job, key, timeout, now);
    out.push(("checkpoints".into(), checkpoints));
    if with_dates {
        out.extend(model_dates(platform, &job)?);
    }
    Ok(out)
}

fn job_cancel(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    // Destroy-time calls carry the whole request (plus settings that do not name the job).
    input.only(&job_ref_keys(&[
        "cancel_after_timeout",
        "wait",
        "poll_interval",
        "checkpoints",
        "shutdown_dates",
    ]))?;
    let reference = JobRef::parse(input, true)?;
    // Fresh state, never what the caller last saw.
    let Some(job) = reference.resolve(platform)? else {
        platform.progress("no job exists for this request; nothing to cancel");
        return Ok(vec![
            ("id".into(), String::new()),
            ("status".into(), String::new()),
        ]);
    };
    let was = job.status.clone();
    let job = jobs::cancel(platform, job)?;
    if was.is_terminal() {
        platform.progress(&format!(
            "{} has already {}; nothing to cancel",
            job.id,
            was.as_str()
        ));
    } else {
        platform.progress(&format!("cancelled {} (it was {})", job.id, was.as_str()));
    }
    Ok(vec![
        ("id".into(), job.id.clone()),
        ("status".into(), job.status.as_str().to_owned()),
        (
            "fine_tuned_model".into(),
            job.fine_tuned_model.clone().unwrap_or_default(),
        ),
    ])
}

fn job_action(platform: &mut dyn Platform, input: &Input, action: &str) -> Result<Output> {
    input.only(&["id"])?;
    let id = JobId::parse(
        "id",
        input.require("id", "set it to the job id (ftjob-...)")?,
    )?;
    let job = jobs::action(platform, id.as_str(), action)?;
    Ok(job.outputs())
}

fn job_list(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    input.only(&["metadata", "limit"])?;
    let limit = input.integer("limit", 1, 100)?.unwrap_or(20);
    let metadata: serde_json::Map<String, serde_json::Value> = match input.get("metadata") {
        None => serde_json::Map::new(),
        Some(raw) => match serde_json::from_str::<serde_json::Value>(raw) {
            Ok(serde_json::Value::Object(m)) if m.values().all(|v| v.is_string()) => m,
            _ => {
                return Err(InputError::invalid(
                    "metadata",
                    raw,
                    "must be a jsonencode()d object of strings",
                )
                .into());
            }
        },
    };
    let filter: Vec<(String, String)> = metadata
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    let found = jobs::list(platform, &filter, limit)?;
    let list: Vec<serde_json::Value> = found
        .iter()
        .map(|j| {
            serde_json::json!({
                "id": j.id, "status": j.status.as_str(), "model": j.model,
                "fine_tuned_model": j.fine_tuned_model, "created_at": j.created_at,
            })
        })
        .collect();
    Ok(vec![
        ("jobs".into(), serde_json::Value::Array(list).to_string()),
        ("count".into(), found.len().to_string()),
    ])
}

fn file_method(input: &Input) -> Result<(String, TrainingMethod)> {
    input.only(&["path", "training_method"])?;
    let path = input
        .require("path", "set it to the local JSONL training file")?
        .to_owned();
    let method = match input.get("training_method") {
        None => TrainingMethod::Supervised,
        Some(raw) => TrainingMethod::parse("training_method", raw)?,
    };
    Ok((path, method))
}

fn file_validate(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let (path, method) = file_method(input)?;
    let report = files::validate(platform, method, &path)?;
    Ok(vec![
        ("path".into(), path),
        ("training_method".into(), method.as_str().to_owned()),
        ("examples".into(), report.examples.to_string()),
        (
            "estimated_tokens".into(),
            report.estimated_tokens.to_string(),
        ),
        ("bytes".into(), report.bytes.to_string()),
        ("sha256".into(), report.sha256),
    ])
}

fn file_read(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let (path, method) = file_method(input)?;
    let report = files::validate(platform, method, &path)?;
    let filename = files::upload_name(&path, &report.sha256);
    let Some(file) = files::find(platform, &filename, report.bytes)? else {
        return Err(Error::Failed(format!(
            "{path} is not uploaded yet (no fine-tune file named {filename}); run terraform apply \
             (file upload) to upload it"
        )));
    };
    Ok(file_outputs(file, report, method))
}

fn file_upload(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let (path, method) = file_method(input)?;
    let (file, report, origin) = files::upload(platform, method, &path)?;
    if origin == Origin::Adopted {
        platform.progress(&format!(
            "{path} is already uploaded as {}; not uploading again",
            file.id
        ));
    }
    Ok(file_outputs(file, report, method))
}

fn file_outputs(
    file: files::FileObject,
    report: crate::training_file::Report,
    method: TrainingMethod,
) -> Output {
    vec![
        ("id".into(), file.id),
        ("bytes".into(), report.bytes.to_string()),
        ("filename".into(), file.filename),
        ("sha256".into(), report.sha256),
        ("examples".into(), report.examples.to_string()),
        (
            "estimated_tokens".into(),
            report.estimated_tokens.to_string(),
        ),
        ("training_method".into(), method.as_str().to_owned()),
    ]
}
