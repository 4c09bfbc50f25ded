//! Following a job to its end: polls with a growing interval, prints new events and checkpoints,
//! then the status change they led to and the estimated finish, and cancels the job at its
//! deadline.

use std::time::Duration;

use super::object::{Event, Job, JobStatus};
use super::ops::{checkpoints, deadline, enforce_timeout, read};
use crate::api::page::{AtBudget, Flow, Pager};
use crate::error::Result;
use crate::ids::JobId;
use crate::platform::{Credential, Platform};
use crate::time::{format_duration, format_time};

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

/// Polls `job` until it is terminal, printing each poll's new events and checkpoints before the
/// status change they led to, and the estimated finish; cancels it at the deadline.
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
        // The events first: they tell what led to the status printed after them.
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
                    format_time(at),
                    format_duration(at.saturating_sub(now))
                ));
            }
            last_estimate = job.estimated_finish;
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

/// Pages of events read per poll at most. A job that produced more than this many events
/// between two polls only loses progress lines, not correctness, so the pager stops quietly.
const EVENT_PAGES: u32 = 10;

/// Events newer than `after_id`, oldest first. The API lists newest first, so this pages back
/// until it reaches `after_id` (or reads one page, on the first call).
fn new_events(platform: &mut dyn Platform, id: &str, after_id: Option<&str>) -> Result<Vec<Event>> {
    let mut fresh = Vec::new();
    Pager::get(
        format!("/fine_tuning/jobs/{id}/events"),
        Credential::Project,
        100,
        EVENT_PAGES,
    )
    .at_budget(AtBudget::Stop)
    .each(platform, |events: Vec<Event>| {
        for event in events {
            if Some(event.id.as_str()) == after_id {
                return Flow::Stop;
            }
            fresh.push(event);
        }
        if after_id.is_none() {
            Flow::Stop
        } else {
            Flow::More
        }
    })?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Endless, Fake};

    fn fake(endless: Endless) -> Fake {
        let mut fake = Fake::new();
        fake.endless = Some(endless);
        fake.page_size = 2;
        let event = serde_json::json!({"id": "ftevent-1", "level": "info", "message": "started"});
        fake.events.insert("ftjob-1".into(), vec![event]);
        fake
    }

    #[test]
    fn an_event_cursor_that_does_not_move_is_refused() {
        let mut fake = fake(Endless::Stuck);
        let e = new_events(&mut fake, "ftjob-1", Some("ftevent-0")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "GET /fine_tuning/jobs/ftjob-1/events: the API said has_more but gave no new cursor; \
             is OPENAI_BASE_URL an OpenAI-compatible API?"
        );
        assert_eq!(fake.log.len(), 2);
    }

    #[test]
    fn endless_events_stop_quietly_at_the_page_budget() {
        let mut fake = fake(Endless::Fresh);
        let events = new_events(&mut fake, "ftjob-1", Some("ftevent-0")).unwrap();
        assert_eq!(fake.log.len(), EVENT_PAGES as usize);
        assert_eq!(events.len(), 2 * EVENT_PAGES as usize);
        // Oldest first: the API's newest-first pages, reversed.
        assert_eq!(events[0].id, "ftevent-gen20");
    }

    #[test]
    fn events_are_read_back_to_the_last_one_seen() {
        let mut fake = Fake::new();
        fake.page_size = 2;
        let events = (1..=5)
            .map(|n| serde_json::json!({"id": format!("ftevent-{n}"), "message": "m"}))
            .collect();
        fake.events.insert("ftjob-1".into(), events);
        let fresh = new_events(&mut fake, "ftjob-1", Some("ftevent-2")).unwrap();
        let ids: Vec<&str> = fresh.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["ftevent-3", "ftevent-4", "ftevent-5"]);
        assert_eq!(fake.log.len(), 2);
        // The first call reads one page only.
        assert_eq!(new_events(&mut fake, "ftjob-1", None).unwrap().len(), 2);
    }
}
