//! The `job` commands: check, ensure, read, cancel, pause, resume and list, from the flat input
//! map to the flat outputs Terraform reads, and the one line each prints for a person.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{MODEL_DATES, field, file};
use crate::api::create::Origin;
use crate::error::{Error, InputError, Result};
use crate::file::estimate::Estimate;
use crate::ids::{IdempotencyKey, JobId};
use crate::input::{Input, Output};
use crate::job::spec::{JOB_SPEC_KEYS, JobSpec};
use crate::job::{self, FileFigures, Job, JobBudget, WaitOptions};
use crate::models;
use crate::platform::Platform;
use crate::tokens::families::family_of;
use crate::warning::{self, Kind, Warning};

/// Two key lists as one array, at compile time, so each list of keys is written once.
pub(super) const fn concat<const N: usize>(
    a: &[&'static str],
    b: &[&'static str],
) -> [&'static str; N] {
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

/// How to follow a job once it exists.
const FOLLOW: &[&str] = &[
    "cancel_after_timeout",
    "wait",
    "poll_interval",
    "fail_on_unsuccessful",
];

/// The budget gate: the training file's figures (modules/training_file's `stats`, jsonencode()d),
/// the price and the limits.
const BUDGET: &[&str] = &[
    "training_file_stats",
    "price_per_million_tokens",
    "max_billed_tokens",
    "max_cost_usd",
];

/// How to follow a job, and its budget: what `job ensure` takes besides the request.
const SETTINGS: &[&str] = &concat::<{ FOLLOW.len() + BUDGET.len() }>(FOLLOW, BUDGET);

/// `job ensure` takes the job request plus how to follow it and its budget; `job check` takes
/// exactly the same, so a module can check at plan time everything it will pass at apply time.
pub(super) const ENSURE_INPUTS: &[&str] =
    &concat::<{ JOB_SPEC_KEYS.len() + SETTINGS.len() }>(JOB_SPEC_KEYS, SETTINGS);

/// The keys naming a job, one of three ways: by id, by idempotency key, or by the request.
const JOB_REF: &[&str] =
    &concat::<{ 2 + JOB_SPEC_KEYS.len() }>(&["id", "idempotency_key"], JOB_SPEC_KEYS);

/// What `job read` may add to its output, and what it does when the job is gone.
const READ_OPTIONS: &[&str] = &[
    "cancel_after_timeout",
    "checkpoints",
    "shutdown_dates",
    "if_missing",
];

pub(super) const READ_INPUTS: &[&str] =
    &concat::<{ JOB_REF.len() + READ_OPTIONS.len() }>(JOB_REF, READ_OPTIONS);

/// What a read fetches beyond the job itself, when asked.
const FETCH: &[&str] = &["checkpoints", "shutdown_dates"];

/// Destroy-time calls carry the whole request plus settings that do not name the job: how to
/// follow it and what to fetch.
const CANCEL_EXTRA: &[&str] = &concat::<{ FOLLOW.len() + FETCH.len() }>(FOLLOW, FETCH);

pub(super) const CANCEL_INPUTS: &[&str] =
    &concat::<{ JOB_REF.len() + CANCEL_EXTRA.len() }>(JOB_REF, CANCEL_EXTRA);

pub(super) const ACTION_INPUTS: &[&str] = &["id"];

pub(super) const LIST_INPUTS: &[&str] = &["metadata", "limit"];

/// How a job is named in an input: by id, by idempotency key, or by the request itself (whose
/// key it has, and whose training file and seed find it where Azure keeps neither metadata nor
/// suffix).
enum JobRef {
    Id(JobId),
    Key(IdempotencyKey),
    Request(Box<JobSpec>, IdempotencyKey),
}

impl JobRef {
    /// Reads `id`, `idempotency_key` or the job request fields, exactly one of the three.
    fn parse(input: &Input) -> Result<JobRef> {
        let id = input.get("id");
        let key = input.get("idempotency_key");
        let spec = input.get("model").is_some();
        match (id, key, spec) {
            (Some(id), None, false) => Ok(JobRef::Id(JobId::parse("id", id)?)),
            (None, Some(key), false) => Ok(JobRef::Key(IdempotencyKey::parse(
                "idempotency_key",
                key,
            )?)),
            (None, None, true) => {
                let spec = JobSpec::parse(input)?;
                let key = spec.idempotency_key();
                Ok(JobRef::Request(Box::new(spec), key))
            }
            (None, None, false) => Err(InputError::missing(
                "id",
                "set id (ftjob-...), idempotency_key (from job ensure), or the job request itself (model, training_file, ...)",
            )
            .into()),
            _ => Err(InputError::invalid(
                "id",
                id.or(key).unwrap_or_default(),
                "name the job one way only: id, idempotency_key, or the job request",
            )
            .into()),
        }
    }

    /// The job, if it exists. A key with no job is `None`; an unknown id is the API's 404.
    fn resolve(&self, platform: &mut dyn Platform) -> Result<Option<Job>> {
        match self {
            JobRef::Id(id) => job::read(platform, id).map(Some),
            JobRef::Key(key) => job::find_by_key(platform, key),
            JobRef::Request(spec, _) => job::find_for(platform, spec),
        }
    }

    fn key(&self) -> Option<&IdempotencyKey> {
        match self {
            JobRef::Key(k) | JobRef::Request(_, k) => Some(k),
            JobRef::Id(_) => None,
        }
    }
}

fn timeout(input: &Input) -> Result<Option<u64>, InputError> {
    // Up to 30 days: longer than any fine-tuning job runs.
    input.integer("cancel_after_timeout", 1, 30 * 86_400)
}

/// How `job ensure` follows the job it created or found.
struct Follow {
    timeout: Option<u64>,
    wait: bool,
    poll_interval: Duration,
    /// With `wait`: a job that ends failed or cancelled is an error, not a result.
    fail_on_unsuccessful: bool,
}

impl Follow {
    fn parse(input: &Input) -> Result<Follow, InputError> {
        Ok(Follow {
            timeout: timeout(input)?,
            wait: input.flag("wait", false)?,
            poll_interval: poll_interval(input)?,
            fail_on_unsuccessful: input.flag("fail_on_unsuccessful", true)?,
        })
    }
}

pub(super) fn poll_interval(input: &Input) -> Result<Duration, InputError> {
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

/// The retirement dates of the job's base and fine-tuned models (see [`MODEL_DATES`]), from one
/// read of the model list, and a warning for each shutdown that is near (also on stderr).
fn model_dates(platform: &mut dyn Platform, job: &Job) -> Result<(Output, Vec<Warning>)> {
    let base = Some(job.model.as_str()).filter(|m| !m.is_empty());
    let tuned = job.fine_tuned_model.as_deref();
    let named: Vec<&str> = [base, tuned].into_iter().flatten().collect();
    let mut found = match named.as_slice() {
        [] => Vec::new(),
        some => models::retirements(platform, some)?,
    }
    .into_iter();
    let base = base
        .map(|_| found.next().unwrap_or_default())
        .unwrap_or_default();
    let tuned_dates = tuned
        .map(|_| found.next().unwrap_or_default())
        .unwrap_or_default();
    let mut warnings = Vec::new();
    if let Some(w) =
        models::warn_if_near(platform, "base model", &job.model, base.shutdown.as_deref())
    {
        warnings.push(Warning::new(Kind::BaseModelShutdown, w));
    }
    if let Some(m) = tuned
        && let Some(w) = models::warn_if_near(
            platform,
            "fine-tuned model",
            m,
            tuned_dates.shutdown.as_deref(),
        )
    {
        warnings.push(Warning::new(Kind::FineTunedModelShutdown, w));
    }
    let values = [
        base.shutdown,
        base.fine_tune,
        base.lifecycle,
        tuned_dates.shutdown,
        tuned_dates.lifecycle,
    ];
    let out = MODEL_DATES
        .iter()
        .zip(values)
        .map(|(k, v)| ((*k).into(), v.unwrap_or_default()))
        .collect();
    Ok((out, warnings))
}

fn job_outputs(job: &Job, key: Option<&str>, timeout: Option<u64>, now: u64) -> Output {
    let mut out = job.outputs();
    let key = key.or_else(|| job::key_of(job)).map(str::to_owned);
    out.push(("idempotency_key".into(), key.unwrap_or_default()));
    out.push((
        "timed_out".into(),
        job::timed_out(job, timeout, now).to_string(),
    ));
    out
}

/// The budget inputs: the figures, the price (the user's, or the table's for the job's model)
/// and the limits.
fn budget(input: &Input, spec: &JobSpec) -> Result<JobBudget, InputError> {
    let figures = input
        .get("training_file_stats")
        .map(|raw| {
            serde_json::from_str::<FileFigures>(raw).map_err(|e| {
                InputError::invalid(
                    "training_file_stats",
                    raw,
                    format!(
                        "must be modules/training_file's stats as a jsonencode()d object of \
                         model, examples, billed_tokens_per_epoch and sha256 ({e})"
                    ),
                )
            })
        })
        .transpose()?;
    Ok(JobBudget {
        figures,
        price: file::price(input, family_of(spec.model.as_str()).ok())?,
        limits: file::limits(input)?,
    })
}

/// The estimate's outputs (empty without the file's figures).
fn estimate_outputs(estimate: Option<&Estimate>) -> Output {
    let text = |f: fn(&Estimate) -> Option<String>| estimate.and_then(f).unwrap_or_default();
    vec![
        (
            "estimated_n_epochs".into(),
            text(|e| Some(e.n_epochs.to_string())),
        ),
        (
            "estimated_billed_tokens".into(),
            text(|e| Some(e.billed_tokens.to_string())),
        ),
        // Unrounded: the module's output is a number (messages show four decimals).
        (
            "estimated_cost_usd".into(),
            text(|e| e.cost_usd.map(|c| c.to_string())),
        ),
    ]
}

/// Stands in for a file id `job check` is not given: at plan time the upload is often still to
/// come, so the module leaves the ids out and checks their form with variable validation.
const UNKNOWN_FILE: &str = "file-not-yet-uploaded";

/// `job check`: everything `job ensure` would refuse before it creates anything, with no write:
/// the request and the follow settings, the metadata and suffix room, what the surface cannot
/// express, and a base model past its shutdown date or (Azure) its fine-tuning retirement (one
/// read of the models endpoint). The file ids may be left out. Outputs the `model`, its
/// retirement dates and lifecycle status, and the `warnings`.
pub(super) fn check(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let mut pairs: BTreeMap<String, String> = input
        .iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    if input.get("training_file").is_none() {
        pairs.insert("training_file".into(), UNKNOWN_FILE.into());
    }
    let spec = JobSpec::parse(&Input::new(pairs))?;
    Follow::parse(input)?;
    let estimate = budget(input, &spec)?.check(&spec)?;
    job::refuse_before_create(platform, &spec)?;
    let found = models::refuse_if_retired(platform, spec.model.as_str())?;
    let warnings: Vec<Warning> = found
        .warnings
        .into_iter()
        .map(|w| Warning::new(Kind::BaseModelShutdown, w))
        .collect();
    let dates = found.retirement;
    let mut out = vec![
        ("model".into(), spec.model.as_str().to_owned()),
        (
            "training_method".into(),
            spec.method.training_method().as_str().to_owned(),
        ),
        (
            "base_model_shutdown_date".into(),
            dates.shutdown.unwrap_or_default(),
        ),
        (
            "base_model_fine_tune_retirement_date".into(),
            dates.fine_tune.unwrap_or_default(),
        ),
        (
            "base_model_lifecycle_status".into(),
            dates.lifecycle.unwrap_or_default(),
        ),
    ];
    out.extend(estimate_outputs(estimate.as_ref()));
    out.push(("warnings".into(), warning::to_json(&warnings)));
    Ok(out)
}

pub(super) fn ensure(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let spec = JobSpec::parse(input)?;
    let follow = Follow::parse(input)?;
    let budget = budget(input, &spec)?;
    let key = spec.idempotency_key();
    let (job, origin) = job::create_within(platform, &spec, &budget)?;
    match origin {
        Origin::Created => platform.progress(&format!("created {} for {key}", job.id)),
        Origin::Adopted => platform.progress(&format!(
            "{} already exists for this request ({key}, {}); not creating another",
            job.id,
            job.status.as_str()
        )),
    }
    let job = if follow.wait {
        job::wait(
            platform,
            job,
            WaitOptions {
                poll_interval: follow.poll_interval,
                timeout: follow.timeout,
            },
        )?
    } else {
        job::enforce_timeout(platform, job, follow.timeout)?
    };
    let now = platform.now();
    if follow.wait
        && follow.fail_on_unsuccessful
        && let Some(w) = job::unsuccessful(&job, follow.timeout, now)
    {
        return Err(Error::Failed(format!(
            "{}, or set fail_on_unsuccessful = false to accept the outcome",
            w.message
        )));
    }
    let checkpoints = if follow.wait {
        job::checkpoints_json(&job::checkpoints(platform, &job.id)?)
    } else {
        String::new()
    };
    let mut out = job_outputs(&job, Some(key.as_str()), follow.timeout, now);
    out.push(("checkpoints".into(), checkpoints));
    out.push(("created".into(), (origin == Origin::Created).to_string()));
    out.extend(model_dates(platform, &job)?.0);
    Ok(out)
}

/// What `job read` does when no job exists for its reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IfMissing {
    /// Fail: the job should be created first (the default).
    Error,
    /// Answer with empty outputs and a `job_missing` warning: the caller created the job, so it
    /// was deleted (or the key points at another project), and a plan should say so, not fail.
    Report,
}

impl IfMissing {
    fn parse(input: &Input) -> Result<IfMissing, InputError> {
        match input.get("if_missing") {
            None | Some("error") => Ok(IfMissing::Error),
            Some("report") => Ok(IfMissing::Report),
            Some(other) => Err(InputError::invalid(
                "if_missing",
                other,
                "must be \"error\" (the default) or \"report\"",
            )),
        }
    }
}

pub(super) fn read(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let reference = JobRef::parse(input)?;
    let timeout = timeout(input)?;
    let with_checkpoints = input.flag("checkpoints", false)?;
    let with_dates = input.flag("shutdown_dates", false)?;
    let if_missing = IfMissing::parse(input)?;
    let found = match reference.resolve(platform) {
        Err(Error::Api(a)) if a.status == 404 && if_missing == IfMissing::Report => None,
        other => other?,
    };
    let Some(job) = found else {
        return match if_missing {
            IfMissing::Error => Err(Error::Failed(
                "no job exists for this request yet: run terraform apply (job ensure) to create it"
                    .into(),
            )),
            IfMissing::Report => Ok(missing_outputs(&reference)),
        };
    };
    let job = job::enforce_timeout(platform, job, timeout)?;
    let checkpoints = if with_checkpoints {
        job::checkpoints_json(&job::checkpoints(platform, &job.id)?)
    } else {
        String::new()
    };
    let now = platform.now();
    let mut warnings: Vec<Warning> = job::unsuccessful(&job, timeout, now).into_iter().collect();
    let mut out = job_outputs(
        &job,
        reference.key().map(IdempotencyKey::as_str),
        timeout,
        now,
    );
    out.push(("checkpoints".into(), checkpoints));
    if with_dates {
        let (dates, near) = model_dates(platform, &job)?;
        out.extend(dates);
        warnings.extend(near);
    }
    out.push(("warnings".into(), warning::to_json(&warnings)));
    Ok(out)
}

/// `job read`'s outputs for a job that is gone: every key a found job has, empty, and the
/// warning that says what happened and what (not) to do.
fn missing_outputs(reference: &JobRef) -> Output {
    let named = match reference {
        JobRef::Id(id) => format!("job {id}"),
        JobRef::Key(key) | JobRef::Request(_, key) => format!("the job for this request ({key})"),
    };
    let message = format!(
        "{named} no longer exists: it was deleted, or the key now reaches another organisation \
         or project (OPENAI_ORG_ID, OPENAI_PROJECT_ID); openai-ft does not train it again on \
         its own: to start a new, paid job, replace the module's terraform_data.job \
         (terraform apply -replace=...)"
    );
    let blank = Job::blank();
    let mut out: Output = job_outputs(&blank, reference.key().map(IdempotencyKey::as_str), None, 0)
        .into_iter()
        .map(|(k, v)| {
            if k == "idempotency_key" {
                (k, v)
            } else {
                (k, String::new())
            }
        })
        .collect();
    for key in std::iter::once(&"checkpoints").chain(MODEL_DATES) {
        out.push(((*key).into(), String::new()));
    }
    out.push((
        "warnings".into(),
        warning::to_json(&[Warning::new(Kind::JobMissing, message)]),
    ));
    out
}

pub(super) fn cancel(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let reference = JobRef::parse(input)?;
    // Fresh state, never what the caller last saw.
    let Some(job) = reference.resolve(platform)? else {
        platform.progress("no job exists for this request; nothing to cancel");
        return Ok(vec![
            ("id".into(), String::new()),
            ("status".into(), String::new()),
        ]);
    };
    let was = job.status.clone();
    let job = job::cancel(platform, job)?;
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

pub(super) fn pause(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    action(platform, input, "pause")
}

pub(super) fn resume(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    action(platform, input, "resume")
}

fn action(platform: &mut dyn Platform, input: &Input, action: &str) -> Result<Output> {
    let id = JobId::parse(
        "id",
        input.require("id", "set it to the job id (ftjob-...)")?,
    )?;
    let job = job::action(platform, id.as_str(), action)?;
    Ok(job.outputs())
}

pub(super) fn list(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
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
    let found = job::list(platform, &filter, limit)?;
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

/// `ftjob-abc, status succeeded, model ft:...`: what every job command's outcome line says.
fn describe(out: &Output) -> String {
    let mut line = format!("{}, status {}", field(out, "id"), field(out, "status"));
    let model = field(out, "fine_tuned_model");
    if !model.is_empty() {
        line.push_str(&format!(", model {model}"));
    }
    line
}

pub(super) fn job_outcome(_: &Input, out: &Output) -> String {
    if field(out, "id").is_empty() {
        return "no job exists for this request".into();
    }
    describe(out)
}

pub(super) fn ensure_outcome(_: &Input, out: &Output) -> String {
    let origin = if field(out, "created") == "true" {
        "created now"
    } else {
        "it already existed"
    };
    format!("{} ({origin})", describe(out))
}

pub(super) fn cancel_outcome(_: &Input, out: &Output) -> String {
    if field(out, "id").is_empty() {
        return "no job exists for this request; nothing to cancel".into();
    }
    describe(out)
}

pub(super) fn list_outcome(_: &Input, out: &Output) -> String {
    match field(out, "count") {
        "1" => "1 job".into(),
        n => format!("{n} jobs"),
    }
}

pub(super) fn check_outcome(_: &Input, out: &Output) -> String {
    let warnings: Vec<serde_json::Value> =
        serde_json::from_str(field(out, "warnings")).unwrap_or_default();
    let mut line = format!("the request for {} is valid", field(out, "model"));
    for w in &warnings {
        line.push_str("; warning: ");
        line.push_str(w["message"].as_str().unwrap_or_default());
    }
    line
}
