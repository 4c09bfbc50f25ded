//! The job lifecycle: create idempotently (a key derived from the request, stamped in metadata and
//! looked up before any create), wait with progress, enforce the timeout from `created_at`, and
//! cancel, pause and resume on request.

use std::time::Duration;

use serde::Deserialize;

use crate::api;
use crate::error::{Error, InputError, Result};
use crate::job::{Job, JobId, JobStatus};
use crate::job_spec::JobSpec;
use crate::platform::{Credential, Method, Platform, Request};
use crate::retry::{self, Policy};

/// The metadata key that carries the idempotency key.
pub const KEY_METADATA: &str = "openai_ft_key";

/// How many times a create is attempted when attempts fail in ways that may or may not have
/// created the job; each failure is followed by a lookup, never by a blind re-post.
const CREATE_ATTEMPTS: u32 = 4;

/// A list page of jobs, events or checkpoints.
#[derive(Debug, Deserialize)]
struct Page<T> {
    data: Vec<T>,
    #[serde(default)]
    has_more: bool,
}

/// A job event.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(default)]
    pub created_at: u64,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub message: String,
}

/// A checkpoint with its metrics.
#[derive(Debug, Clone, Deserialize)]
pub struct Checkpoint {
    pub id: String,
    pub fine_tuned_model_checkpoint: String,
    #[serde(default)]
    pub step_number: u64,
    #[serde(default)]
    pub metrics: serde_json::Map<String, serde_json::Value>,
}

/// Reads one job: one request.
pub fn read(platform: &mut dyn Platform, id: &JobId) -> Result<Job> {
    let request = Request::new(
        Method::Get,
        format!("/fine_tuning/jobs/{id}"),
        Credential::Project,
    );
    api::fetch(platform, &request, &Policy::SDK)
}

/// Finds the job created for `key`. Where the job list filters by metadata (OpenAI) that is one
/// request; elsewhere (Azure) the list is read newest first, 100 jobs a page, until the key
/// turns up. When several jobs match (only possible if someone copied the key by hand), the
/// oldest is the one this key created.
pub fn find_by_key(platform: &mut dyn Platform, key: &str) -> Result<Option<Job>> {
    if platform.flavor().filters_jobs_by_metadata() {
        let request = Request::new(Method::Get, "/fine_tuning/jobs", Credential::Project)
            .query(&format!("metadata[{KEY_METADATA}]"), key)
            .query("limit", "100");
        let page: Page<Job> = api::fetch(platform, &request, &Policy::SDK)?;
        // Servers that ignore the filter must not make us adopt a stranger's job.
        return Ok(page
            .data
            .into_iter()
            .filter(|j| carries_key(j, key))
            .min_by_key(|j| j.created_at));
    }
    let mut after: Option<String> = None;
    loop {
        let mut request = Request::new(Method::Get, "/fine_tuning/jobs", Credential::Project)
            .query("limit", "100");
        if let Some(a) = &after {
            request = request.query("after", a.clone());
        }
        let page: Page<Job> = api::fetch(platform, &request, &Policy::SDK)?;
        after = page.data.last().map(|j| j.id.clone());
        if let Some(found) = page
            .data
            .into_iter()
            .filter(|j| carries_key(j, key))
            .min_by_key(|j| j.created_at)
        {
            return Ok(Some(found));
        }
        if !page.has_more || after.is_none() {
            return Ok(None);
        }
    }
}

/// The idempotency key stamped on `job`'s metadata, if any.
pub fn key_of(job: &Job) -> Option<&str> {
    job.metadata.as_ref()?.get(KEY_METADATA)?.as_str()
}

/// Whether `job` was created for `key`: by its metadata, or, where jobs have no metadata
/// (Azure's dated API), by the key's tag at the end of its suffix.
pub fn carries_key(job: &Job, key: &str) -> bool {
    if key_of(job) == Some(key) {
        return true;
    }
    let tag = suffix_tag(key);
    [&job.suffix, &job.user_provided_suffix]
        .into_iter()
        .flatten()
        .any(|s| s == &tag || s.ends_with(&format!("-{tag}")))
}

/// The short form of `key` that goes into the suffix where metadata is not stored: 48 bits of
/// the key are plenty to tell one user's requests apart.
pub fn suffix_tag(key: &str) -> String {
    let hex = key.strip_prefix("oaift-").unwrap_or(key);
    format!("oaift{}", &hex[..12.min(hex.len())])
}

/// The longest suffix Azure's dated API takes.
const CLASSIC_SUFFIX_MAX: usize = 40;

/// Where jobs carry no metadata, appends the key's tag to the suffix so the job can be found
/// again; refuses a user suffix that leaves no room for it.
fn stamp_suffix(platform: &dyn Platform, body: &mut serde_json::Value, key: &str) -> Result<()> {
    if platform.flavor().stores_job_metadata() {
        return Ok(());
    }
    let tag = suffix_tag(key);
    let suffix = match body.get("suffix").and_then(|s| s.as_str()) {
        Some(user) => {
            let room = CLASSIC_SUFFIX_MAX - tag.len() - 1;
            if user.len() > room {
                return Err(InputError::invalid(
                    "suffix",
                    user,
                    format!(
                        "must be at most {room} characters on Azure OpenAI's dated API, which keeps \
                         {} of its {CLASSIC_SUFFIX_MAX} for the job's idempotency tag",
                        tag.len() + 1
                    ),
                )
                .into());
            }
            format!("{user}-{tag}")
        }
        None => tag,
    };
    body["suffix"] = serde_json::Value::String(suffix);
    if let Some(map) = body.as_object_mut() {
        map.remove("metadata");
    }
    Ok(())
}

/// How an `ensure` found its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Created,
    Adopted,
}

/// Creates the job for `spec` unless one already exists for its key; returns it and how.
pub fn create_or_adopt(platform: &mut dyn Platform, spec: &JobSpec) -> Result<(Job, Origin)> {
    spec.check_metadata_room(1)?;
    let key = spec.idempotency_key();
    if let Some(job) = find_by_key(platform, &key)? {
        return Ok((job, Origin::Adopted));
    }
    crate::models::refuse_if_shut_down(platform, spec.model.as_str())?;
    let mut body = spec.request_body(&[(KEY_METADATA, &key)]);
    stamp_suffix(platform, &mut body, &key)?;
    if platform.flavor().processes_files() {
        crate::files::wait_processed(platform, spec.training_file.as_str())?;
        if let Some(v) = &spec.validation_file {
            crate::files::wait_processed(platform, v.as_str())?;
        }
    }
    let request = Request::new(Method::Post, "/fine_tuning/jobs", Credential::Project).json(&body);
    let mut attempt = 0;
    loop {
        let failure = match api::send_once(platform, &request) {
            Ok(response) => {
                return Ok((created_job(platform, &request, &response)?, Origin::Created));
            }
            Err(e) => e,
        };
        attempt += 1;
        let delay = match &failure {
            // No answer: the job may exist now. Fall through to the lookup.
            Error::Http(h) if h.may_have_committed() => {
                retry::Policy::SDK.backoff(attempt - 1, platform.random())
            }
            // Answers the SDK would retry (429, 5xx, 409, 408): wait as told, then look up,
            // since a 5xx can come after the job was stored.
            Error::Api(a) if retry::retryable_status(a.status) => {
                let hinted = a.retry_after.filter(|d| *d <= Policy::SDK.max_server_delay);
                hinted.unwrap_or_else(|| retry::Policy::SDK.backoff(attempt - 1, platform.random()))
            }
            _ => return Err(failure),
        };
        if attempt >= CREATE_ATTEMPTS {
            return Err(failure);
        }
        platform.progress(&format!(
            "creating the job failed ({failure}); checking whether it was created before trying again in {:.1} s",
            delay.as_secs_f64()
        ));
        platform.sleep(delay);
        if let Some(job) = find_by_key(platform, &key)? {
            platform.progress(&format!(
                "found the job the failed attempt created: {}",
                job.id
            ));
            return Ok((job, Origin::Adopted));
        }
    }
}

/// The job a create answered with: its body, or (Azure's dated API may answer 201 with only a
/// `Location`) the job that header names.
fn created_job(
    platform: &mut dyn Platform,
    request: &Request,
    response: &crate::platform::Response,
) -> Result<Job> {
    if response.body.iter().all(u8::is_ascii_whitespace) {
        let id = response
            .header("location")
            .and_then(|l| l.split('?').next())
            .and_then(|l| l.rsplit('/').next())
            .unwrap_or_default();
        return read(platform, &JobId::parse("Location", id)?);
    }
    api::decode(request, response)
}

/// Posts an action (`cancel`, `pause`, `resume`) for a job.
pub fn action(platform: &mut dyn Platform, id: &str, action: &str) -> Result<Job> {
    let request = Request::new(
        Method::Post,
        format!("/fine_tuning/jobs/{id}/{action}"),
        Credential::Project,
    );
    // Actions are idempotent on the server (cancelling twice leaves a cancelled job), so the SDK
    // policy's retries are safe here.
    api::fetch(platform, &request, &Policy::SDK)
}

/// Cancels `job` unless it is terminal, reading fresh state when the cancel is refused because
/// the job just finished.
pub fn cancel(platform: &mut dyn Platform, job: Job) -> Result<Job> {
    if job.status.is_terminal() {
        return Ok(job);
    }
    match action(platform, &job.id, "cancel") {
        Ok(job) => Ok(job),
        // It finished between our read and the cancel: that is success, report what it is now.
        Err(Error::Api(a)) if a.status == 400 || a.status == 409 => {
            let fresh = read(platform, &JobId::parse("id", &job.id)?)?;
            if fresh.status.is_terminal() {
                Ok(fresh)
            } else {
                Err(Error::Api(a))
            }
        }
        Err(e) => Err(e),
    }
}

/// The timeout deadline of `job` (Unix seconds), when the user set one.
pub fn deadline(job: &Job, timeout: Option<u64>) -> Option<u64> {
    timeout.map(|t| job.created_at.saturating_add(t))
}

/// Whether `job` was or must be cancelled for running past its deadline.
pub fn timed_out(job: &Job, timeout: Option<u64>, now: u64) -> bool {
    let Some(deadline) = deadline(job, timeout) else {
        return false;
    };
    match job.status {
        JobStatus::Cancelled => job.finished_at.unwrap_or(now) >= deadline,
        ref s if s.is_terminal() => false,
        _ => now >= deadline,
    }
}

/// Cancels `job` if it is past its deadline and still going (the one side effect a read may
/// have, and only when the user set a deadline). Returns the job as it now is.
pub fn enforce_timeout(platform: &mut dyn Platform, job: Job, timeout: Option<u64>) -> Result<Job> {
    let now = platform.now();
    if job.status.is_terminal() || !timed_out(&job, timeout, now) {
        return Ok(job);
    }
    let seconds = timeout.unwrap_or_default();
    platform.progress(&format!(
        "{} is still {} {} s after it was created, past cancel_after_timeout={seconds}; cancelling it",
        job.id,
        job.status.as_str(),
        now.saturating_sub(job.created_at)
    ));
    cancel(platform, job)
}

/// The job's checkpoints, newest first (one request per page of 100).
pub fn checkpoints(platform: &mut dyn Platform, id: &str) -> Result<Vec<Checkpoint>> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut request = Request::new(
            Method::Get,
            format!("/fine_tuning/jobs/{id}/checkpoints"),
            Credential::Project,
        )
        .query("limit", "100");
        if let Some(a) = &after {
            request = request.query("after", a.clone());
        }
        let page: Page<Checkpoint> = api::fetch(platform, &request, &Policy::SDK)?;
        after = page.data.last().map(|c| c.id.clone());
        all.extend(page.data);
        if !page.has_more || after.is_none() {
            return Ok(all);
        }
    }
}

/// Jobs, newest first, whose metadata matches every pair of `filter` (the API's deepObject
/// filter), at most `limit`.
pub fn list(
    platform: &mut dyn Platform,
    filter: &[(String, String)],
    limit: u64,
) -> Result<Vec<Job>> {
    let mut request = Request::new(Method::Get, "/fine_tuning/jobs", Credential::Project)
        .query("limit", limit.to_string());
    for (k, v) in filter {
        request = request.query(&format!("metadata[{k}]"), v.clone());
    }
    let page: Page<Job> = api::fetch(platform, &request, &Policy::SDK)?;
    Ok(page.data)
}

/// The checkpoints as the JSON list Terraform gets: name, step and metrics, oldest first.
pub fn checkpoints_json(checkpoints: &[Checkpoint]) -> String {
    let list: Vec<serde_json::Value> = checkpoints
        .iter()
        .rev()
        .map(|c| {
            serde_json::json!({
                "name": c.fine_tuned_model_checkpoint,
                "step": c.step_number,
                "metrics": c.metrics,
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// Settings for [`wait`].
#[derive(Debug, Clone, Copy)]
pub struct WaitOptions {
    /// The first interval between polls; it grows while nothing changes.
    pub poll_interval: Duration,
    /// `cancel_after_timeout`, seconds from `created_at`.
    pub timeout: Option<u64>,
}

/// The longest interval between polls.
const MAX_POLL: Duration = Duration::from_secs(60);

/// Polls `job` until it is terminal, printing status changes, new events, checkpoints and the
/// estimated finish as they come; cancels it at the deadline.
pub fn wait(platform: &mut dyn Platform, mut job: Job, options: WaitOptions) -> Result<Job> {
    let id = JobId::parse("id", &job.id)?;
    let mut last_status: Option<JobStatus> = None;
    let mut last_event: Option<String> = None;
    let mut seen_checkpoints = 0usize;
    let mut last_estimate: Option<u64> = None;
    let mut interval = options.poll_interval;
    // A job that had already finished has nothing to show but its outcome.
    if job.status.is_terminal() {
        platform.progress(&format!("{}: {}", job.id, describe_status(&job)));
        return Ok(job);
    }
    loop {
        job = enforce_timeout(platform, job, options.timeout)?;
        let mut changed = false;
        if last_status.as_ref() != Some(&job.status) {
            platform.progress(&format!("{}: {}", job.id, describe_status(&job)));
            last_status = Some(job.status.clone());
            changed = true;
        }
        if job.estimated_finish.is_some()
            && job.estimated_finish != last_estimate
            && !job.status.is_terminal()
        {
            if let Some(at) = job.estimated_finish {
                let now = platform.now();
                platform.progress(&format!(
                    "{}: estimated finish {} (in {})",
                    job.id,
                    crate::time::format_time(at),
                    crate::time::format_duration(at.saturating_sub(now))
                ));
            }
            last_estimate = job.estimated_finish;
        }
        let events = new_events(platform, &job.id, last_event.as_deref())?;
        for event in &events {
            platform.progress(&format!(
                "{}: [{}] {}",
                job.id,
                event.level,
                event.message.trim()
            ));
        }
        if let Some(newest) = events.last() {
            last_event = Some(newest.id.clone());
            changed = true;
        }
        // Checkpoints are announced by events; only then is listing them worth a request.
        if events
            .iter()
            .any(|e| e.message.to_ascii_lowercase().contains("checkpoint"))
        {
            let checkpoints = checkpoints(platform, &job.id)?;
            for c in checkpoints.iter().rev().skip(seen_checkpoints) {
                platform.progress(&format!(
                    "{}: checkpoint {} at step {}{}",
                    job.id,
                    c.fine_tuned_model_checkpoint,
                    c.step_number,
                    format_metrics(&c.metrics)
                ));
            }
            seen_checkpoints = seen_checkpoints.max(checkpoints.len());
        }
        if job.status.is_terminal() {
            return Ok(job);
        }
        interval = if changed {
            options.poll_interval
        } else {
            (interval.mul_f64(1.5)).min(MAX_POLL)
        };
        // Never sleep past the deadline: the cancel must happen on time.
        let mut pause = interval.mul_f64(0.9 + 0.2 * platform.random());
        if let Some(deadline) = deadline(&job, options.timeout) {
            let left = Duration::from_secs(deadline.saturating_sub(platform.now()));
            pause = pause.min(left.max(Duration::from_millis(100)));
        }
        platform.sleep(pause);
        job = read(platform, &id)?;
    }
}

/// Events newer than `after`, oldest first. The API lists newest first, so this pages back until
/// it reaches `after` (or the first event, on the first call).
fn new_events(platform: &mut dyn Platform, id: &str, after_id: Option<&str>) -> Result<Vec<Event>> {
    let mut fresh = Vec::new();
    let mut cursor: Option<String> = None;
    // Bounded: a job that produced more than this many events between two polls only loses
    // progress lines, not correctness.
    for _ in 0..10 {
        let mut request = Request::new(
            Method::Get,
            format!("/fine_tuning/jobs/{id}/events"),
            Credential::Project,
        )
        .query("limit", "100");
        if let Some(c) = &cursor {
            request = request.query("after", c.clone());
        }
        let page: Page<Event> = api::fetch(platform, &request, &Policy::SDK)?;
        let mut reached = false;
        for event in page.data {
            if Some(event.id.as_str()) == after_id {
                reached = true;
                break;
            }
            cursor = Some(event.id.clone());
            fresh.push(event);
        }
        if reached || !page.has_more || after_id.is_none() {
            break;
        }
    }
    fresh.reverse();
    Ok(fresh)
}

fn describe_status(job: &Job) -> String {
    match (&job.status, &job.error) {
        (JobStatus::Failed, Some(e)) => format!(
            "failed: {} ({})",
            e.message.as_deref().unwrap_or("no message"),
            e.code.as_deref().unwrap_or("no code")
        ),
        (JobStatus::Succeeded, _) => {
            format!(
                "succeeded: {}",
                job.fine_tuned_model.as_deref().unwrap_or("(no model name)")
            )
        }
        (status, _) => status.as_str().replace('_', " "),
    }
}

fn format_metrics(metrics: &serde_json::Map<String, serde_json::Value>) -> String {
    let parts: Vec<String> = metrics
        .iter()
        .filter(|(k, v)| *k != "step" && v.is_number())
        .map(|(k, v)| match v.as_f64() {
            Some(f) => format!("{k}={f:.4}"),
            None => format!("{k}={v}"),
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(": {}", parts.join(" "))
    }
}

/// How a job is named in an input: by id, by idempotency key, or by the request itself.
pub enum JobRef {
    Id(JobId),
    Key(String),
}

impl JobRef {
    /// Reads `id`, `idempotency_key`, or (when `spec_allowed`) the job request fields, exactly
    /// one of the three.
    pub fn parse(input: &crate::Input, spec_allowed: bool) -> Result<JobRef> {
        let id = input.get("id");
        let key = input.get("idempotency_key");
        let spec = spec_allowed && input.get("model").is_some();
        match (id, key, spec) {
            (Some(id), None, false) => Ok(JobRef::Id(JobId::parse("id", id)?)),
            (None, Some(key), false) => Ok(JobRef::Key(parse_key(key)?)),
            (None, None, true) => Ok(JobRef::Key(JobSpec::parse(input)?.idempotency_key())),
            (None, None, false) => Err(InputError::missing(
                "id",
                if spec_allowed {
                    "set id (ftjob-...), idempotency_key (from job ensure), or the job request itself (model, training_file, ...)"
                } else {
                    "set id (ftjob-...) or idempotency_key (from job ensure)"
                },
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
    pub fn resolve(&self, platform: &mut dyn Platform) -> Result<Option<Job>> {
        match self {
            JobRef::Id(id) => read(platform, id).map(Some),
            JobRef::Key(key) => find_by_key(platform, key),
        }
    }
}

fn parse_key(key: &str) -> Result<String, InputError> {
    let ok = key
        .strip_prefix("oaift-")
        .is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(key.to_owned())
    } else {
        Err(InputError::invalid(
            "idempotency_key",
            key,
            "must be a key from job ensure, like \"oaift-\" and 32 hex digits",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(status: &str, created_at: u64, finished_at: Option<u64>) -> Job {
        serde_json::from_value(serde_json::json!({
            "id": "ftjob-1", "status": status, "created_at": created_at, "finished_at": finished_at
        }))
        .unwrap()
    }

    #[test]
    fn timeouts_count_from_created_at() {
        assert!(!timed_out(&job("running", 1000, None), None, 99_999));
        assert!(!timed_out(&job("running", 1000, None), Some(60), 1059));
        assert!(timed_out(&job("running", 1000, None), Some(60), 1060));
        assert!(timed_out(
            &job("cancelled", 1000, Some(1070)),
            Some(60),
            5000
        ));
        assert!(!timed_out(
            &job("cancelled", 1000, Some(1030)),
            Some(60),
            5000
        ));
        assert!(!timed_out(
            &job("succeeded", 1000, Some(1070)),
            Some(60),
            5000
        ));
    }
}
