//! Creating a job idempotently: a key derived from the request is stamped on the job (in its
//! metadata, or where jobs have none, at the end of its suffix) and looked up before any create,
//! and a create that fails is resolved by the same lookup, never by a blind re-post.

use super::budget::JobBudget;
use super::object::{Job, JobStatus};
use super::ops::{cancel, read};
use super::spec::JobSpec;
use crate::api::create::{Create, CreatePolicy, Created, Origin};
use crate::api::page::{Flow, Page, Pager};
use crate::api::{self, retry::Policy};
use crate::error::{InputError, Result};
use crate::ids::{IdempotencyKey, JobId};
use crate::platform::{Credential, Method, Platform, Request, Response};
use crate::{file, models};

/// The metadata key that carries the idempotency key.
pub const KEY_METADATA: &str = "openai_ft_key";

/// Pages of 100 jobs the scan for a key follows at most where the list cannot filter (Azure).
const SCAN_PAGES: u32 = 100;

/// The longest suffix Azure's dated API takes.
const CLASSIC_SUFFIX_MAX: usize = 40;

/// Finds the job created for `key`. Where the job list filters by metadata (OpenAI) that is one
/// request; elsewhere (Azure) the list is read newest first, 100 jobs a page, until the key
/// turns up (and one page more, for an older job with the same key).
///
/// The oldest job with the key is the request's job. A younger one exists only when a create
/// the server committed late was sent again (or someone copied the key by hand): it is
/// cancelled while it has not started (validating or queued, so nothing is paid for it), and
/// named in a warning either way.
pub fn find_by_key(platform: &mut dyn Platform, key: &IdempotencyKey) -> Result<Option<Job>> {
    let mut jobs = jobs_with_key(platform, key)?;
    // Lists are newest first; among jobs created in the same second the later listed is older.
    jobs.reverse();
    jobs.sort_by_key(|j| j.created_at);
    let mut jobs = jobs.into_iter();
    let Some(oldest) = jobs.next() else {
        return Ok(None);
    };
    for younger in jobs {
        settle_duplicate(platform, key, &oldest, younger);
    }
    Ok(Some(oldest))
}

/// Every job that carries `key`, in list order.
fn jobs_with_key(platform: &mut dyn Platform, key: &IdempotencyKey) -> Result<Vec<Job>> {
    let with_key = |jobs: Vec<Job>| jobs.into_iter().filter(|j| carries_key(j, key));
    if platform.flavor().filters_jobs_by_metadata() {
        let request = Request::new(Method::Get, "/fine_tuning/jobs", Credential::Project)
            .query(&format!("metadata[{KEY_METADATA}]"), key.as_str())
            .query("limit", "100");
        let page: Page<Job> = api::fetch(platform, &request, &Policy::SDK)?;
        // Servers that ignore the filter must not make us adopt a stranger's job.
        return Ok(with_key(page.data).collect());
    }
    let mut found: Vec<Job> = Vec::new();
    Pager::get("/fine_tuning/jobs", Credential::Project, 100, SCAN_PAGES).each(
        platform,
        |jobs: Vec<Job>| {
            let seen_before = !found.is_empty();
            found.extend(with_key(jobs));
            // Duplicates are created within a minute of each other, so they sit together in a
            // newest-first list: the page after the first match is the last one worth reading.
            if seen_before { Flow::Stop } else { Flow::More }
        },
    )?;
    Ok(found)
}

/// Cancels `younger`, a second job for the request whose job is `oldest`, unless it has
/// started; says what was done either way. A failed cancel is a warning, not the read's
/// failure: the next read tries again.
fn settle_duplicate(platform: &mut dyn Platform, key: &IdempotencyKey, oldest: &Job, younger: Job) {
    let what = format!(
        "{} is a second job for this request ({key}; {} is the first)",
        younger.id, oldest.id
    );
    let not_started = matches!(
        younger.status,
        JobStatus::ValidatingFiles | JobStatus::Queued | JobStatus::Created | JobStatus::Pending
    );
    if !not_started {
        platform.progress(&format!(
            "warning: {what} and is already {}, so it is not cancelled; cancel it by hand if it \
             is not wanted",
            younger.status.as_str()
        ));
        return;
    }
    let was = younger.status.as_str().to_owned();
    match cancel(platform, younger) {
        Ok(_) => platform.progress(&format!(
            "warning: {what}; cancelled it while it was still {was}"
        )),
        Err(e) => platform.progress(&format!(
            "warning: {what}; cancelling it failed ({e}); cancel it by hand"
        )),
    }
}

/// The idempotency key stamped on `job`'s metadata, if any.
pub fn key_of(job: &Job) -> Option<&str> {
    job.metadata.as_ref()?.get(KEY_METADATA)?.as_str()
}

/// Whether `job` was created for `key`: by its metadata, or, where jobs have no metadata
/// (Azure's dated API), by the key's tag at the end of its suffix.
pub fn carries_key(job: &Job, key: &IdempotencyKey) -> bool {
    if key_of(job) == Some(key.as_str()) {
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
pub fn suffix_tag(key: &IdempotencyKey) -> String {
    let hex = key.digits();
    format!("oaift{}", &hex[..TAG_DIGITS.min(hex.len())])
}

/// Hex digits of the key in its suffix tag.
const TAG_DIGITS: usize = 12;

/// The characters of the suffix the key's tag takes where jobs carry no metadata: the tag and
/// its dash.
const TAG_ROOM: usize = "-oaift".len() + TAG_DIGITS;

/// Refuses a user suffix that leaves no room for the key's tag where jobs carry no metadata.
fn check_suffix_room(platform: &dyn Platform, suffix: Option<&str>) -> Result<(), InputError> {
    let Some(user) = suffix.filter(|_| !platform.flavor().stores_job_metadata()) else {
        return Ok(());
    };
    let room = CLASSIC_SUFFIX_MAX - TAG_ROOM;
    if user.len() <= room {
        return Ok(());
    }
    Err(InputError::invalid(
        "suffix",
        user,
        format!(
            "must be at most {room} characters on Azure OpenAI's dated API, which keeps \
             {TAG_ROOM} of its {CLASSIC_SUFFIX_MAX} for the job's idempotency tag"
        ),
    ))
}

/// Where jobs carry no metadata, appends the key's tag to the suffix so the job can be found
/// again (the room for it was checked by [`refuse_before_create`]).
fn stamp_suffix(platform: &dyn Platform, body: &mut serde_json::Value, key: &IdempotencyKey) {
    if platform.flavor().stores_job_metadata() {
        return;
    }
    let tag = suffix_tag(key);
    let suffix = match body.get("suffix").and_then(|s| s.as_str()) {
        Some(user) => format!("{user}-{tag}"),
        None => tag,
    };
    body["suffix"] = serde_json::Value::String(suffix);
    if let Some(map) = body.as_object_mut() {
        map.remove("metadata");
    }
}

/// What a create refuses before it sends anything, beyond what [`JobSpec::parse`] checks:
/// metadata that leaves no pair for the key, and (where jobs have no metadata) a suffix that
/// leaves no room for its tag. `job check` runs it at plan time.
pub fn refuse_before_create(platform: &dyn Platform, spec: &JobSpec) -> Result<()> {
    spec.check_metadata_room(1)?;
    check_suffix_room(platform, spec.suffix.as_deref())?;
    Ok(())
}

/// Creates the job for `spec` unless one already exists for its key; returns it and how.
pub fn create_or_adopt(platform: &mut dyn Platform, spec: &JobSpec) -> Result<(Job, Origin)> {
    create_within(platform, spec, &JobBudget::default())
}

/// [`create_or_adopt`], refusing to create a job `budget` refuses (an existing job is adopted
/// whatever it cost: it is paid for already).
pub fn create_within(
    platform: &mut dyn Platform,
    spec: &JobSpec,
    budget: &JobBudget,
) -> Result<(Job, Origin)> {
    refuse_before_create(platform, spec)?;
    let key = spec.idempotency_key();
    if let Some(job) = find_by_key(platform, &key)? {
        return Ok((job, Origin::Adopted));
    }
    budget.check_before_create(platform, spec)?;
    models::refuse_if_shut_down(platform, spec.model.as_str())?;
    let mut body = spec.request_body(&[(KEY_METADATA, key.as_str())]);
    stamp_suffix(platform, &mut body, &key);
    if platform.flavor().processes_files() {
        file::wait_processed(platform, spec.training_file.as_str())?;
        if let Some(v) = &spec.validation_file {
            file::wait_processed(platform, v.as_str())?;
        }
    }
    let request = Request::new(Method::Post, "/fine_tuning/jobs", Credential::Project).json(&body);
    let create = Create {
        request: &request,
        policy: CreatePolicy::PROJECT,
        what: "the job",
        pace: None,
    };
    match create.run(platform, |p| find_by_key(p, &key))? {
        Created::Answered(response) => {
            Ok((created_job(platform, &request, &response)?, Origin::Created))
        }
        Created::Found(job) => {
            platform.progress(&format!(
                "found the job the failed attempt created: {}",
                job.id
            ));
            Ok((job, Origin::Adopted))
        }
    }
}

/// The job a create answered with: its body, or (Azure's dated API may answer 201 with only a
/// `Location`) the job that header names.
fn created_job(platform: &mut dyn Platform, request: &Request, response: &Response) -> Result<Job> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flavor::Flavor;
    use crate::input::Input;
    use crate::testing::{Fake, Fault, assert_pages_are_bounded};

    fn spec() -> JobSpec {
        let input: Input = [
            ("model", "gpt-4o-mini-2024-07-18"),
            ("training_file", "file-001"),
        ]
        .into_iter()
        .collect();
        JobSpec::parse(&input).unwrap()
    }

    /// A fake of `flavor` that holds the training file and one stranger's job.
    fn fake(flavor: Flavor) -> Fake {
        let mut fake = Fake::flavored(flavor);
        fake.files
            .push(serde_json::json!({"id": "file-001", "status": "processed"}));
        fake.add_job(&serde_json::json!({"model": "m", "suffix": "other"}));
        fake
    }

    #[test]
    fn the_scan_for_a_key_is_bounded() {
        let key = spec().idempotency_key();
        assert_pages_are_bounded(
            || fake(Flavor::Azure),
            "GET /fine_tuning/jobs",
            SCAN_PAGES as usize,
            |f| find_by_key(f, &key),
        );
    }

    /// A fake whose training file has two jobs for `spec()`'s key, created a second apart, with
    /// the younger in `younger_status`.
    fn duplicated(flavor: Flavor, younger_status: &str) -> Fake {
        let mut fake = fake(flavor);
        let key = spec().idempotency_key();
        let mut body = spec().request_body(&[(KEY_METADATA, key.as_str())]);
        stamp_suffix(&fake, &mut body, &key);
        fake.add_job(&body);
        fake.sleep(std::time::Duration::from_secs(1));
        let younger = fake.add_job(&body);
        let last = fake.jobs.len() - 1;
        fake.jobs[last]["status"] = younger_status.into();
        assert_eq!(younger["id"], "ftjob-003");
        fake
    }

    #[test]
    fn a_second_job_for_a_request_is_cancelled_while_it_waits() {
        for (flavor, status) in [
            (Flavor::OpenAi, "queued"),
            (Flavor::OpenAi, "validating_files"),
            (Flavor::Azure, "pending"),
            (Flavor::AzureClassic, "pending"),
        ] {
            let mut fake = duplicated(flavor, status);
            let key = spec().idempotency_key();
            let job = find_by_key(&mut fake, &key).unwrap().expect("a job");
            assert_eq!(job.id, "ftjob-002", "{flavor:?}: the oldest is kept");
            assert_eq!(fake.jobs[2]["status"], "cancelled", "{flavor:?}");
            assert_eq!(fake.jobs[1]["status"], "validating_files", "{flavor:?}");
            assert_eq!(
                fake.progress,
                [format!(
                    "warning: ftjob-003 is a second job for this request ({key}; ftjob-002 is the \
                     first); cancelled it while it was still {status}"
                )],
                "{flavor:?}"
            );
        }
    }

    #[test]
    fn a_second_job_that_started_is_named_not_cancelled() {
        let mut fake = duplicated(Flavor::OpenAi, "running");
        let key = spec().idempotency_key();
        let job = find_by_key(&mut fake, &key).unwrap().expect("a job");
        assert_eq!(job.id, "ftjob-002");
        assert_eq!(fake.jobs[2]["status"], "running");
        assert_eq!(fake.count("POST"), 0);
        assert_eq!(
            fake.progress,
            [format!(
                "warning: ftjob-003 is a second job for this request ({key}; ftjob-002 is the \
                 first) and is already running, so it is not cancelled; cancel it by hand if it \
                 is not wanted"
            )]
        );
    }

    #[test]
    fn a_create_committed_then_dropped_is_adopted_not_repeated() {
        for flavor in Flavor::ALL {
            let mut fake =
                fake(flavor).fault(Method::Post, "/fine_tuning/jobs", Fault::CommitThenDrop);
            let (job, origin) = create_or_adopt(&mut fake, &spec()).unwrap();
            assert_eq!(origin, Origin::Adopted, "{flavor:?}");
            assert_eq!(job.id, "ftjob-002", "{flavor:?}");
            assert_eq!(fake.jobs.len(), 2, "{flavor:?}: one job created");
            assert_eq!(fake.count("POST jobs"), 1, "{flavor:?}");
            assert_eq!(
                fake.progress,
                [
                    "POST /fine_tuning/jobs: connection closed before the answer; looking the job \
                     up before retry 1 of 2 in 0.5 s",
                    "found the job the failed attempt created: ftjob-002",
                ],
                "{flavor:?}"
            );
            // And the next run finds it before any create.
            let (again, origin) = create_or_adopt(&mut fake, &spec()).unwrap();
            assert_eq!((again.id.as_str(), origin), ("ftjob-002", Origin::Adopted));
            assert_eq!(fake.count("POST jobs"), 1, "{flavor:?}");
        }
    }
}
