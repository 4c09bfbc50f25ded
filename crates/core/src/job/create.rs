//! Creating a job idempotently: a key derived from the request is stamped on the job and looked
//! up before any create, and a create that fails is resolved by the same lookup, never by a blind
//! re-post. On OpenAI the key travels in the job's metadata, which its list filters by. Azure is
//! documented to keep less (the dated job has no metadata, and no Azure example shows v1's coming
//! back), so there the key's tag also ends the job's suffix (the dated job's `suffix`, v1's
//! `user_provided_suffix`), and a request without a seed gets one derived from its key: a server
//! that keeps neither metadata nor suffix still returns the training file and the seed, which
//! both job schemas define (v1 requires them).

use super::budget::JobBudget;
use super::object::{Job, JobStatus};
use super::ops::{cancel, read};
use super::spec::{JobSpec, TrainingType};
use crate::api::create::{Create, CreatePolicy, Created, Origin};
use crate::api::page::{Flow, Page, Pager};
use crate::api::{self, retry::Policy};
use crate::error::{ApiError, Error, InputError, Result};
use crate::flavor::{Flavor, Surface};
use crate::ids::{IdempotencyKey, JobId};
use crate::platform::{Credential, Method, Platform, Request, Response};
use crate::{file, models};

/// The metadata key that carries the idempotency key.
pub const KEY_METADATA: &str = "openai_ft_key";

/// Pages of 100 jobs the scan for a key follows at most where the list cannot filter (Azure).
const SCAN_PAGES: u32 = 100;

/// Finds the job created for `key`, by the key alone (its metadata or its suffix tag). Where the
/// request itself is known, [`find_for`] also finds a job on a server that kept neither.
pub fn find_by_key(platform: &mut dyn Platform, key: &IdempotencyKey) -> Result<Option<Job>> {
    find(platform, key, None)
}

/// Finds the job created for `spec` (see [`carries_key`]).
pub fn find_for(platform: &mut dyn Platform, spec: &JobSpec) -> Result<Option<Job>> {
    find(platform, &spec.idempotency_key(), Some(spec))
}

/// Finds the job created for `key` (and `request`, when known). Where the job list filters by
/// metadata (OpenAI) that is one request; elsewhere (Azure) the list is read newest first, 100
/// jobs a page, until the key turns up (and one page more, for an older job with the same key).
///
/// The oldest job with the key is the request's job. A younger one exists only when a create
/// the server committed late was sent again (or someone copied the key by hand): it is
/// cancelled while it has not started (validating or queued, so nothing is paid for it), and
/// named in a warning either way.
fn find(
    platform: &mut dyn Platform,
    key: &IdempotencyKey,
    request: Option<&JobSpec>,
) -> Result<Option<Job>> {
    let mut jobs = jobs_with_key(platform, key, request)?;
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
fn jobs_with_key(
    platform: &mut dyn Platform,
    key: &IdempotencyKey,
    request: Option<&JobSpec>,
) -> Result<Vec<Job>> {
    let flavor = platform.flavor();
    let with_key = |jobs: Vec<Job>| {
        jobs.into_iter()
            .filter(move |j| carries_key(flavor, j, key, request))
    };
    if flavor.filters_jobs_by_metadata() {
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

/// Whether `job` was created for `key`: by its metadata; by the key's tag at the end of its
/// suffix; or, on Azure, for a job whose server kept neither metadata nor any suffix, by the
/// `request`'s training file, validation file and seed (the one the request gave, or the one
/// derived from its key). A job that shows a suffix or metadata is judged by those alone, so a
/// stranger's job on the same file is never taken for ours by its seed.
pub fn carries_key(
    flavor: Flavor,
    job: &Job,
    key: &IdempotencyKey,
    request: Option<&JobSpec>,
) -> bool {
    if key_of(job) == Some(key.as_str()) {
        return true;
    }
    let tag = suffix_tag(key);
    let suffixes: Vec<&String> = [&job.suffix, &job.user_provided_suffix]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect();
    if suffixes
        .iter()
        .any(|s| **s == tag || s.ends_with(&format!("-{tag}")))
    {
        return true;
    }
    let kept_nothing = suffixes.is_empty() && job.metadata.as_ref().is_none_or(|m| m.is_empty());
    match request {
        Some(spec) if kept_nothing && flavor.stamps_suffix_and_seed() => {
            job.training_file.as_deref() == Some(spec.training_file.as_str())
                && job.validation_file.as_deref()
                    == spec.validation_file.as_ref().map(|v| v.as_str())
                && job.seed == Some(u64::from(seed_stamp(spec, key)))
        }
        _ => false,
    }
}

/// The short form of `key` that goes into the suffix on Azure: 48 bits of the key are plenty to
/// tell one user's requests apart.
pub fn suffix_tag(key: &IdempotencyKey) -> String {
    let hex = key.digits();
    format!("oaift{}", &hex[..TAG_DIGITS.min(hex.len())])
}

/// The seed a request trains with on Azure: its own, or one derived from the last 31 bits of its
/// key (a seed is 0-2147483647), so that the job can be told apart by it.
pub fn seed_stamp(spec: &JobSpec, key: &IdempotencyKey) -> u32 {
    spec.seed.unwrap_or_else(|| {
        let hex = key.digits();
        let tail = &hex[hex.len().saturating_sub(8)..];
        u32::from_str_radix(tail, 16).unwrap_or(0) & 0x7fff_ffff
    })
}

/// Hex digits of the key in its suffix tag.
const TAG_DIGITS: usize = 12;

/// The user's part of a suffix [`stamp`] ended with the key's tag on Azure (the whole suffix
/// elsewhere); `None` when the tag is all there is.
pub fn user_suffix(suffix: &str) -> Option<&str> {
    let is_tag = |t: &str| {
        t.strip_prefix("oaift").is_some_and(|hex| {
            hex.len() == TAG_DIGITS && hex.chars().all(|c| c.is_ascii_hexdigit())
        })
    };
    if is_tag(suffix) {
        return None;
    }
    match suffix.rsplit_once('-') {
        Some((user, tag)) if is_tag(tag) && !user.is_empty() => Some(user),
        _ => Some(suffix).filter(|s| !s.is_empty()),
    }
}

/// The characters of the suffix the key's tag takes on Azure: the tag and its dash.
const TAG_ROOM: usize = "-oaift".len() + TAG_DIGITS;

/// Refuses a user suffix that leaves no room for the key's tag on Azure.
fn check_suffix_room(surface: Surface, suffix: Option<&str>) -> Result<(), InputError> {
    let Some(user) = suffix.filter(|_| surface.flavor().stamps_suffix_and_seed()) else {
        return Ok(());
    };
    let max = surface.max_suffix();
    let room = max - TAG_ROOM;
    if user.len() <= room {
        return Ok(());
    }
    let api = match surface {
        Surface::AzureDated(_) => "dated API",
        _ => "v1 API",
    };
    Err(InputError::invalid(
        "suffix",
        user,
        format!(
            "must be at most {room} characters on Azure OpenAI's {api}, which keeps \
             {TAG_ROOM} of its {max} for the job's idempotency tag"
        ),
    ))
}

/// On Azure, ends the suffix with the key's tag and sets a seed derived from the key where the
/// request has none, so the job can be found again (the room for the tag was checked by
/// [`refuse_before_create`]).
fn stamp(surface: Surface, body: &mut serde_json::Value, spec: &JobSpec, key: &IdempotencyKey) {
    if !surface.flavor().stamps_suffix_and_seed() {
        return;
    }
    let tag = suffix_tag(key);
    let suffix = match body.get("suffix").and_then(|s| s.as_str()) {
        Some(user) => format!("{user}-{tag}"),
        None => tag,
    };
    body["suffix"] = serde_json::Value::String(suffix);
    body["seed"] = seed_stamp(spec, key).into();
}

/// What a create refuses before it sends anything, beyond what [`JobSpec::parse`] checks: metadata
/// that leaves no pair for the key, what the surface cannot express (a method, a grader, a
/// training type, a suffix character), and on Azure a suffix that leaves no room for the key's
/// tag. `job check` runs it at plan time.
pub fn refuse_before_create(platform: &dyn Platform, spec: &JobSpec) -> Result<()> {
    let surface = platform.surface();
    spec.check_metadata_room(1)?;
    spec.check_surface(surface)?;
    check_suffix_room(surface, spec.suffix.as_deref())?;
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
    let surface = platform.surface();
    let key = spec.idempotency_key();
    if let Some(job) = find_for(platform, spec)? {
        return Ok((job, Origin::Adopted));
    }
    budget.check_before_create(platform, spec)?;
    models::refuse_if_retired(platform, spec.model.as_str())?;
    let mut body = spec.request_body(surface, &[(KEY_METADATA, key.as_str())]);
    stamp(surface, &mut body, spec, &key);
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
    let created = match create.run(platform, |p| find_for(p, spec)) {
        Err(Error::Api(a)) if refuses_training_type(&a) => {
            return Err(training_type_refused(surface, spec, &a));
        }
        other => other?,
    };
    match created {
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

/// Whether Azure refused a create for its training type (`"Standard TrainingType is not
/// supported"`, or an error naming the `trainingType` parameter).
fn refuses_training_type(e: &ApiError) -> bool {
    e.status == 400
        && (e.param.as_deref() == Some("trainingType")
            || e.message.to_ascii_lowercase().contains("trainingtype"))
}

/// Azure's refusal of a training type, as one line naming `training_type`, what Azure said, and
/// the tiers to try instead (all but the one refused; an absent one counts as Standard, which is
/// what Azure takes it for).
fn training_type_refused(surface: Surface, spec: &JobSpec, e: &ApiError) -> Error {
    let dated = matches!(surface, Surface::AzureDated(_));
    let refused = spec.training_type.unwrap_or(TrainingType::Standard);
    let others: Vec<&str> = TrainingType::ALL
        .into_iter()
        .filter(|t| *t != refused)
        .map(|t| t.spelled(dated))
        .collect();
    let said = e.message.trim().trim_end_matches('.');
    let model = spec.model.as_str();
    let fix = format!("set training_type to {}", others.join(" or "));
    let line = match spec.training_type {
        Some(t) => InputError::invalid(
            "training_type",
            t.spelled(dated),
            format!("Azure OpenAI refused it for {model} (\"{said}\"); {fix}"),
        ),
        None => InputError::missing(
            "training_type",
            format!("Azure OpenAI refused the job for {model} without it (\"{said}\"); {fix}"),
        ),
    };
    Error::Failed(line.to_string())
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
        let mut body = spec().request_body(fake.surface(), &[(KEY_METADATA, key.as_str())]);
        stamp(fake.surface(), &mut body, &spec(), &key);
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

    /// An Azure fake whose server keeps what `drops` says it keeps.
    fn azure(drops_metadata: bool, drops_suffix: bool) -> Fake {
        let mut fake = fake(Flavor::Azure);
        fake.drops_metadata = drops_metadata;
        fake.drops_suffix = drops_suffix;
        fake
    }

    #[test]
    fn azure_jobs_are_found_whatever_the_server_keeps() {
        for (metadata, suffix) in [(false, false), (true, false), (false, true), (true, true)] {
            let mut fake = azure(metadata, suffix);
            let (job, origin) = create_or_adopt(&mut fake, &spec()).unwrap();
            assert_eq!(origin, Origin::Created);
            let (again, origin) = create_or_adopt(&mut fake, &spec()).unwrap();
            assert_eq!(
                (again.id.as_str(), origin),
                (job.id.as_str(), Origin::Adopted),
                "metadata dropped {metadata}, suffix dropped {suffix}"
            );
            assert_eq!(fake.count("POST jobs"), 1);
        }
    }

    #[test]
    fn azure_creates_carry_the_suffix_tag_and_a_seed_from_the_key() {
        let mut fake = azure(true, true);
        create_or_adopt(&mut fake, &spec()).unwrap();
        let key = spec().idempotency_key();
        let job = fake.jobs.last().unwrap().clone();
        assert_eq!(job["seed"], seed_stamp(&spec(), &key));
        assert!(seed_stamp(&spec(), &key) <= 2_147_483_647);
        // The user's own seed is kept, and is what finds the job.
        let mut seeded = spec();
        seeded.seed = Some(7);
        let mut fake = azure(true, true);
        let (job, _) = create_or_adopt(&mut fake, &seeded).unwrap();
        assert_eq!(fake.jobs.last().unwrap()["seed"], 7);
        assert_eq!(find_for(&mut fake, &seeded).unwrap().unwrap().id, job.id);
    }

    #[test]
    fn a_strangers_job_is_never_taken_for_ours() {
        let mut server = azure(true, true);
        // Same training file, no metadata, no suffix: but another seed.
        server.add_job(&serde_json::json!({"model": "m", "training_file": "file-001", "seed": 1}));
        // Same file and our seed, but a suffix that is not our tag: judged by the suffix.
        let key = spec().idempotency_key();
        server.add_job(&serde_json::json!({
            "model": "m", "training_file": "file-001", "seed": seed_stamp(&spec(), &key),
        }));
        let last = server.jobs.len() - 1;
        server.jobs[last]["user_provided_suffix"] = "someone-else".into();
        assert!(find_for(&mut server, &spec()).unwrap().is_none());
        // Nor on OpenAI, where nothing is stamped but the metadata.
        let mut openai = fake(Flavor::OpenAi);
        openai.ignore_filter = true;
        openai.add_job(&serde_json::json!({"model": "m", "training_file": "file-001", "seed": seed_stamp(&spec(), &key)}));
        assert!(find_for(&mut openai, &spec()).unwrap().is_none());
    }

    #[test]
    fn v1_jobs_made_before_the_suffix_tag_are_still_found_by_their_metadata() {
        let mut fake = fake(Flavor::Azure);
        let key = spec().idempotency_key();
        let body = spec().request_body(fake.surface(), &[(KEY_METADATA, key.as_str())]);
        let old = fake.add_job(&body);
        assert!(old["user_provided_suffix"].is_null());
        let (job, origin) = create_or_adopt(&mut fake, &spec()).unwrap();
        assert_eq!((job.id.as_str(), origin), ("ftjob-002", Origin::Adopted));
    }

    #[test]
    fn azure_refusing_a_training_type_names_training_type_and_what_to_try() {
        let refused = "Standard TrainingType is not supported for model gpt-4o-mini-2024-07-18.";
        let mut v1 =
            fake(Flavor::Azure).fault(Method::Post, "/fine_tuning/jobs", Fault::Refused(refused));
        let e = create_or_adopt(&mut v1, &spec()).unwrap_err().to_string();
        assert_eq!(
            e,
            "missing training_type: Azure OpenAI refused the job for gpt-4o-mini-2024-07-18 \
             without it (\"Standard TrainingType is not supported for model \
             gpt-4o-mini-2024-07-18\"); set training_type to GlobalStandard or Developer"
        );
        let mut dev = spec();
        dev.training_type = Some(TrainingType::Developer);
        let mut dated = fake_dated().fault(
            Method::Post,
            "/fine_tuning/jobs",
            Fault::Refused("Developer TrainingType is not supported."),
        );
        let e = create_or_adopt(&mut dated, &dev).unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid training_type \"developerTier\": Azure OpenAI refused it for \
             gpt-4o-mini-2024-07-18 (\"Developer TrainingType is not supported\"); set \
             training_type to Standard or globalstandard"
        );
    }

    /// A fake of the dated preview.
    fn fake_dated() -> Fake {
        let mut fake = fake(Flavor::AzureClassic);
        fake.api_version = Some("2025-04-01-preview".into());
        fake
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
