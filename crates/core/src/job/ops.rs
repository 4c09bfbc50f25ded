//! Operations on one job that already exists: read it, cancel, pause or resume it, enforce the
//! user's timeout from `created_at`, and list its checkpoints, or list jobs.

use super::object::{Checkpoint, Job, JobStatus};
use crate::api::page::{Page, Pager};
use crate::api::{self, retry::Policy};
use crate::error::{Error, Result};
use crate::flavor::{DatedApi, Surface};
use crate::ids::JobId;
use crate::platform::{Credential, Method, Platform, Request};
use crate::warning::{Kind, Warning};

/// Pages of 100 checkpoints followed at most: far more than any job keeps.
const CHECKPOINT_PAGES: u32 = 100;

/// Reads one job: one request.
pub fn read(platform: &mut dyn Platform, id: &JobId) -> Result<Job> {
    let request = Request::new(
        Method::Get,
        format!("/fine_tuning/jobs/{id}"),
        Credential::Project,
    );
    api::fetch(platform, &request, &Policy::SDK)
}

/// Posts an action (`cancel`, `pause`, `resume`) for a job. Actions are idempotent in effect,
/// so the SDK policy's retries are safe; but a retry whose first attempt was applied unanswered
/// finds the job moved and is refused (400, 409). Then fresh state decides: a job already where
/// the action takes it is success, reported as it now is.
pub fn action(platform: &mut dyn Platform, id: &str, action: &str) -> Result<Job> {
    if action != "cancel" && platform.surface() == Surface::AzureDated(DatedApi::Ga) {
        return Err(Error::Failed(format!(
            "cannot {action} {id}: Azure OpenAI's GA api-version (2024-10-21) has no {action} \
             operation; set OPENAI_API_VERSION=2025-04-01-preview, or use Azure OpenAI's v1 API \
             (OPENAI_FT_FLAVOR=azure)"
        )));
    }
    let request = Request::new(
        Method::Post,
        format!("/fine_tuning/jobs/{id}/{action}"),
        Credential::Project,
    );
    match api::fetch(platform, &request, &Policy::SDK) {
        Ok(job) => Ok(job),
        Err(Error::Api(a)) if a.status == 400 || a.status == 409 => {
            let fresh = read(platform, &JobId::parse("id", id)?)?;
            if done(action, &fresh.status) {
                Ok(fresh)
            } else {
                Err(Error::Api(a))
            }
        }
        Err(e) => Err(e),
    }
}

/// Whether a job in `status` is where `action` would take it.
fn done(action: &str, status: &JobStatus) -> bool {
    match action {
        "cancel" => status.is_terminal(),
        "pause" => matches!(status, JobStatus::Paused | JobStatus::Pausing),
        "resume" => matches!(
            status,
            JobStatus::Queued | JobStatus::Running | JobStatus::Resuming
        ),
        _ => false,
    }
}

/// Cancels `job` unless it is terminal; a cancel refused because the job just finished is
/// success too (see [`action`]).
pub fn cancel(platform: &mut dyn Platform, job: Job) -> Result<Job> {
    if job.status.is_terminal() {
        return Ok(job);
    }
    action(platform, &job.id, "cancel")
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

/// What to do about a job that ended without a model, as the advice ending every such message.
const TRAIN_AGAIN: &str = "change the request (for example metadata = { attempt = \"2\" }) and \
                           apply again";

/// Why `job` ended without a model (failed, cancelled, or cancelled at its deadline), or `None`
/// while it runs and once it succeeded. One line naming the job, what happened and the fix.
pub fn unsuccessful(job: &Job, timeout: Option<u64>, now: u64) -> Option<Warning> {
    match job.status {
        JobStatus::Failed => {
            let error = job.error.as_ref();
            let code = error
                .and_then(|e| e.code.as_deref())
                .filter(|c| !c.is_empty());
            let message = error
                .and_then(|e| e.message.as_deref())
                .filter(|m| !m.is_empty())
                .unwrap_or("the API gave no reason");
            let cause = match code {
                Some(code) => format!("{code}: {}", message.trim()),
                None => message.trim().to_owned(),
            };
            Some(Warning::new(
                Kind::JobFailed,
                format!(
                    "job {} failed: {cause}; fix the cause, then {TRAIN_AGAIN}",
                    job.id
                ),
            ))
        }
        JobStatus::Cancelled if timed_out(job, timeout, now) => Some(Warning::new(
            Kind::JobTimedOut,
            format!(
                "job {} was cancelled: it ran past cancel_after_timeout={} s; raise \
                 cancel_after_timeout, then {TRAIN_AGAIN}",
                job.id,
                timeout.unwrap_or_default()
            ),
        )),
        JobStatus::Cancelled => Some(Warning::new(
            Kind::JobCancelled,
            format!(
                "job {} was cancelled before it finished, so it has no fine-tuned model; to \
                 train, {TRAIN_AGAIN}",
                job.id
            ),
        )),
        _ => None,
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
    Pager::get(
        format!("/fine_tuning/jobs/{id}/checkpoints"),
        Credential::Project,
        100,
        CHECKPOINT_PAGES,
    )
    .collect(platform)
}

/// Jobs, newest first, whose metadata matches every pair of `filter` (the API's deepObject
/// filter), at most `limit`.
pub fn list(
    platform: &mut dyn Platform,
    filter: &[(String, String)],
    limit: u64,
) -> Result<Vec<Job>> {
    let flavor = platform.flavor();
    if !filter.is_empty() && !flavor.stores_job_metadata() {
        return Err(crate::error::InputError::invalid(
            "metadata",
            &filter
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(","),
            "Azure OpenAI's dated API keeps no job metadata to filter by; list without it",
        )
        .into());
    }
    let mut request = Request::new(Method::Get, "/fine_tuning/jobs", Credential::Project)
        .query("limit", limit.to_string());
    // Azure's list takes no metadata filter (it would ignore one): the page is filtered here,
    // so the answer is the matching jobs among the newest `limit`.
    let by_query = flavor.filters_jobs_by_metadata();
    for (k, v) in filter.iter().filter(|_| by_query) {
        request = request.query(&format!("metadata[{k}]"), v.clone());
    }
    let page: Page<Job> = api::fetch(platform, &request, &Policy::SDK)?;
    let matches = |j: &Job| {
        filter.iter().all(|(k, v)| {
            j.metadata
                .as_ref()
                .and_then(|m| m.get(k))
                .and_then(|x| x.as_str())
                == Some(v.as_str())
        })
    };
    Ok(page
        .data
        .into_iter()
        .filter(|j| by_query || matches(j))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Method;
    use crate::testing::{Fake, assert_pages_are_bounded};

    fn job(status: &str, created_at: u64, finished_at: Option<u64>) -> Job {
        serde_json::from_value(serde_json::json!({
            "id": "ftjob-1", "status": status, "created_at": created_at, "finished_at": finished_at
        }))
        .unwrap()
    }

    #[test]
    fn azure_lists_are_filtered_here_and_the_dated_api_has_no_metadata() {
        let filter = [("team".to_owned(), "ml".to_owned())];
        let mut v1 = Fake::flavored(crate::flavor::Flavor::Azure);
        v1.add_job(&serde_json::json!({"model": "m", "metadata": {"team": "ml"}}));
        v1.add_job(&serde_json::json!({"model": "m", "metadata": {"team": "other"}}));
        let found = list(&mut v1, &filter, 20).unwrap();
        assert_eq!(
            found.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(),
            ["ftjob-001"]
        );
        assert_eq!(v1.log, ["GET jobs?limit=20"], "no metadata filter sent");
        let mut dated = Fake::flavored(crate::flavor::Flavor::AzureClassic);
        let e = list(&mut dated, &filter, 20).unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid metadata \"team=ml\": Azure OpenAI's dated API keeps no job metadata to \
             filter by; list without it"
        );
        assert!(dated.log.is_empty());
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

    #[test]
    fn an_action_applied_but_unanswered_is_success_when_retried() {
        use crate::testing::Fault;
        for (action, from, to) in [
            ("pause", "running", "paused"),
            ("resume", "paused", "running"),
            ("cancel", "running", "cancelled"),
        ] {
            let mut fake =
                Fake::new().fault(Method::Post, "/fine_tuning/jobs", Fault::CommitThenDrop);
            fake.add_job(&serde_json::json!({"model": "m"}));
            fake.jobs[0]["status"] = from.into();
            // The fake applies the retry too; a real API refuses an action on a job that has
            // already moved, as the fault answers here.
            fake = fake.fault(Method::Post, "/fine_tuning/jobs", Fault::Status(400));
            let job = super::action(&mut fake, "ftjob-001", action).unwrap();
            assert_eq!(job.status.as_str(), to, "{action}");
            assert_eq!(fake.count("POST"), 2, "{action}");
        }
        // Refused for a reason of its own (the job is not where the action leads): the error.
        let mut fake = Fake::new().fault(Method::Post, "/fine_tuning/jobs", Fault::Status(400));
        fake.add_job(&serde_json::json!({"model": "m"}));
        let e = super::action(&mut fake, "ftjob-001", "pause").unwrap_err();
        assert!(matches!(e, Error::Api(a) if a.status == 400));
    }

    #[test]
    fn jobs_that_end_without_a_model_say_why_and_what_to_do() {
        let mut failed = job("failed", 1000, Some(1010));
        failed.error = Some(super::super::object::JobError {
            code: Some("invalid_training_file".into()),
            message: Some("Line 3: no assistant message ".into()),
            param: None,
        });
        let w = unsuccessful(&failed, None, 2000).unwrap();
        assert_eq!(w.kind, Kind::JobFailed);
        assert_eq!(
            w.message,
            "job ftjob-1 failed: invalid_training_file: Line 3: no assistant message; fix the \
             cause, then change the request (for example metadata = { attempt = \"2\" }) and \
             apply again"
        );
        assert_eq!(
            unsuccessful(&job("failed", 1000, None), None, 2000)
                .unwrap()
                .message,
            "job ftjob-1 failed: the API gave no reason; fix the cause, then change the request \
             (for example metadata = { attempt = \"2\" }) and apply again"
        );
        let timed_out = unsuccessful(&job("cancelled", 1000, Some(1070)), Some(60), 2000).unwrap();
        assert_eq!(timed_out.kind, Kind::JobTimedOut);
        assert_eq!(
            timed_out.message,
            "job ftjob-1 was cancelled: it ran past cancel_after_timeout=60 s; raise \
             cancel_after_timeout, then change the request (for example metadata = { attempt = \
             \"2\" }) and apply again"
        );
        let cancelled = unsuccessful(&job("cancelled", 1000, Some(1030)), Some(60), 2000).unwrap();
        assert_eq!(cancelled.kind, Kind::JobCancelled);
        assert_eq!(
            cancelled.message,
            "job ftjob-1 was cancelled before it finished, so it has no fine-tuned model; to \
             train, change the request (for example metadata = { attempt = \"2\" }) and apply \
             again"
        );
        for status in ["succeeded", "running", "validating_files"] {
            assert_eq!(unsuccessful(&job(status, 1000, None), Some(1), 9000), None);
        }
    }

    #[test]
    fn checkpoint_lists_are_bounded() {
        let setup = || {
            let mut fake = Fake::new();
            let checkpoint = serde_json::json!({
                "id": "ftckpt-1", "fine_tuned_model_checkpoint": "ft:x:ckpt-step-1", "step_number": 1
            });
            fake.checkpoints.insert("ftjob-1".into(), vec![checkpoint]);
            fake
        };
        assert_pages_are_bounded(
            setup,
            "GET /fine_tuning/jobs/ftjob-1/checkpoints",
            CHECKPOINT_PAGES as usize,
            |fake| checkpoints(fake, "ftjob-1"),
        );
    }

    #[test]
    fn checkpoints_follow_every_page() {
        let mut fake = Fake::new();
        fake.page_size = 2;
        let list = (1..=5)
            .map(|n| {
                serde_json::json!({
                    "id": format!("ftckpt-{n}"), "fine_tuned_model_checkpoint": format!("ft:x:{n}")
                })
            })
            .collect();
        fake.checkpoints.insert("ftjob-1".into(), list);
        let all = checkpoints(&mut fake, "ftjob-1").unwrap();
        let ids: Vec<&str> = all.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            ["ftckpt-5", "ftckpt-4", "ftckpt-3", "ftckpt-2", "ftckpt-1"]
        );
        assert_eq!(
            fake.log,
            [
                "GET checkpoints?limit=100",
                "GET checkpoints?limit=100&after=ftckpt-4",
                "GET checkpoints?limit=100&after=ftckpt-2",
            ]
        );
    }
}
