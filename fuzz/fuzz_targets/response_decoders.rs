//! Any API answer (status, headers, body) through everything the core reads answers with: the
//! error builder, the decoders of jobs, events, checkpoints, files and permission pages, the
//! retry hints, the pager and Azure's file-processing wait. Never a panic; every error a user
//! sees is one line; every wait is bounded; what the host would print reads back as its input.
//!
//! An input is an HTTP-like text, so the seeds are readable: a first line `STATUS [NOW] [admin]`,
//! `name: value` header lines, an empty line, then the body.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use openai_ft_core::api::page::{Listed, Page, Pager};
use openai_ft_core::api::retry::{self, Decision, Policy};
use openai_ft_core::api::{api_error, decode};
use openai_ft_core::error::{Error, HttpError};
use openai_ft_core::file::{FileObject, wait_processed};
use openai_ft_core::job::{Checkpoint, Event, Job, checkpoints_json};
use openai_ft_core::permissions::Permission;
use openai_ft_core::platform::{Credential, FileError, Method, Platform, Request, Response};
use openai_ft_host_logic::input::{parse_input, render_output};
use serde::de::DeserializeOwned;

/// A plausible clock (late 2025) for inputs that give none, so HTTP dates mean something.
const DEFAULT_NOW: u64 = 1_764_000_000;
/// Pages a pager may follow here: enough to reach its cursor checks.
const PAGES: u32 = 3;

fuzz_target!(|data: &[u8]| {
    let (response, now, credential) = parse(data);
    let request = Request::new(Method::Get, "/fine_tuning/jobs", credential);
    check_error(&request, &response, now);
    check_retry(&response, now);
    check_decoders(&request, &response);
    check_pager::<Job>("/fine_tuning/jobs", Credential::Project, &response, now);
    check_pager::<Event>(
        "/fine_tuning/jobs/ftjob-1/events",
        Credential::Project,
        &response,
        now,
    );
    check_pager::<FileObject>("/files", Credential::Project, &response, now);
    check_pager::<Permission>(
        "/fine_tuning/checkpoints/ft:x/permissions",
        credential,
        &response,
        now,
    );
    check_wait_processed(&response, now);
});

/// The input as the answer the host would hand the core: header names in lower case, and only
/// headers whose value is visible ASCII (the host drops the others, as `to_str` does).
fn parse(data: &[u8]) -> (Response, u64, Credential) {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or_default().split_whitespace();
    let status = first.next().and_then(|s| s.parse().ok()).unwrap_or(400);
    let now = first
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_NOW);
    let credential = match first.next() {
        Some("admin") => Credential::Admin,
        _ => Credential::Project,
    };
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    let visible = |c: char| c == '\t' || (' '..='~').contains(&c);
    let headers = lines
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            (!name.is_empty() && name.chars().all(token) && value.chars().all(visible))
                .then(|| (name, value.to_owned()))
        })
        .collect();
    let response = Response {
        status,
        headers,
        body: body.to_vec(),
    };
    (response, now, credential)
}

fn assert_one_line(what: &str, line: &str) {
    assert!(!line.is_empty(), "{what}: an empty message");
    assert!(
        !line.contains(['\n', '\r']),
        "{what}: not one line: {line:?}"
    );
}

fn check_error(request: &Request, response: &Response, now: u64) {
    for flavor in openai_ft_core::Flavor::ALL {
        let e = api_error(request, response, now, flavor);
        assert_eq!(e.status, response.status);
        assert!(!e.message.is_empty());
        assert_eq!(e.retry_after, retry::server_delay(response, now));
        assert_one_line("api error", &Error::from(e).to_string());
    }
}

/// A wait the server asks for is obeyed only up to the policy's limit, and backoff never
/// exceeds its cap: no answer can make a command sleep for long.
fn check_retry(response: &Response, now: u64) {
    if let Some(d) = retry::server_delay(response, now) {
        assert!(d.as_secs_f64().is_finite());
    }
    for policy in [Policy::SDK, Policy::ADMIN] {
        let longest = policy.max_server_delay.max(policy.cap);
        for attempt in 0..=policy.max_retries + 1 {
            match retry::after_response(&policy, attempt, response, now, 0.5) {
                Decision::RetryAfter(d) => {
                    assert!(
                        attempt < policy.max_retries,
                        "retry {attempt} past the limit"
                    );
                    assert!(d <= longest, "a wait of {d:?} (limit {longest:?})");
                }
                Decision::Stop => {}
            }
        }
    }
}

fn check_decoders(request: &Request, response: &Response) {
    if let Some(job) = decoded::<Job>(request, response) {
        job_outputs_read_back(&job);
    }
    decoded::<Event>(request, response);
    if let Some(c) = decoded::<Checkpoint>(request, response) {
        checkpoints_read_back(&[c]);
    }
    decoded::<FileObject>(request, response);
    decoded::<Permission>(request, response);
    if let Some(page) = decoded::<Page<Job>>(request, response) {
        page.data.iter().for_each(job_outputs_read_back);
    }
    decoded::<Page<Event>>(request, response);
    if let Some(page) = decoded::<Page<Checkpoint>>(request, response) {
        checkpoints_read_back(&page.data);
    }
    decoded::<Page<FileObject>>(request, response);
    decoded::<Page<Permission>>(request, response);
}

fn decoded<T: DeserializeOwned>(request: &Request, response: &Response) -> Option<T> {
    match decode::<T>(request, response) {
        Ok(value) => Some(value),
        Err(e) => {
            assert_one_line("decode error", &e.to_string());
            None
        }
    }
}

/// A job's outputs, as the host prints them, parse back as a protocol input: same keys, same
/// values.
fn job_outputs_read_back(job: &Job) {
    let mut outputs = job.outputs();
    let line = render_output(outputs.clone());
    assert!(!line.contains(['\n', '\r']), "multi-line output: {line:?}");
    let mut back =
        parse_input(line.as_bytes(), "stdin").expect("the job's outputs are refused as input");
    back.sort();
    outputs.sort();
    assert_eq!(back, outputs);
}

fn checkpoints_read_back(checkpoints: &[Checkpoint]) {
    let json = checkpoints_json(checkpoints);
    let list: Vec<serde_json::Value> =
        serde_json::from_str(&json).expect("checkpoints_json is not a JSON list");
    assert_eq!(list.len(), checkpoints.len());
}

/// Lists `path` against a server that gives this answer to every request: the pager stops
/// within its page budget, the retries within theirs, and an error is one line.
fn check_pager<T: DeserializeOwned + Listed>(
    path: &str,
    credential: Credential,
    response: &Response,
    now: u64,
) {
    let policy = match credential {
        Credential::Admin => Policy::ADMIN,
        // Deployments read through Resource Manager with the SDK's retries.
        Credential::Project | Credential::Management => Policy::SDK,
    };
    let mut server = Replay::new(response, now);
    let result = Pager::get(path, credential, 100, PAGES)
        .policy(policy)
        .collect::<T>(&mut server);
    let attempts = PAGES * (policy.max_retries + 1);
    assert!(
        server.sends <= attempts,
        "{} requests (at most {attempts})",
        server.sends
    );
    let longest = policy.max_server_delay.max(policy.cap);
    let slept_at_most = longest * PAGES * policy.max_retries;
    assert!(
        server.slept <= slept_at_most,
        "slept {:?} (at most {slept_at_most:?})",
        server.slept
    );
    if let Err(e) = result {
        assert_one_line("pager error", &e.to_string());
    }
}

/// Azure's wait for a file to be processed, against a server that always gives this answer:
/// it ends (by the answer, or after its hour on the clock) and its error is one line.
fn check_wait_processed(response: &Response, now: u64) {
    let mut server = Replay::new(response, now);
    let result = wait_processed(&mut server, "file-abc123");
    // An hour of polls at most every 5 s, each with its retries.
    assert!(
        server.sends <= 1000 * (Policy::SDK.max_retries + 1),
        "{} polls",
        server.sends
    );
    if let Err(e) = result {
        assert_one_line("file wait error", &e.to_string());
    }
}

/// A server that answers every request with the same response, on a clock that moves only when
/// the core sleeps. Progress lines may quote the answer across lines: platforms show them through
/// `one_line`.
struct Replay<'a> {
    response: &'a Response,
    start: u64,
    slept: Duration,
    sends: u32,
}

impl<'a> Replay<'a> {
    fn new(response: &'a Response, now: u64) -> Self {
        Self {
            response,
            start: now,
            slept: Duration::ZERO,
            sends: 0,
        }
    }
}

impl Platform for Replay<'_> {
    fn send(&mut self, _request: &Request) -> Result<Response, HttpError> {
        self.sends += 1;
        Ok(self.response.clone())
    }

    fn now(&self) -> u64 {
        self.start.saturating_add(self.slept.as_secs())
    }

    fn sleep(&mut self, duration: Duration) {
        self.slept = self.slept.saturating_add(duration);
    }

    fn random(&mut self) -> f64 {
        0.5
    }

    fn progress(&mut self, _line: &str) {}

    fn file_size(&mut self) -> Result<u64, FileError> {
        Err(FileError::Io("no file here".into()))
    }

    fn file_read(&mut self, _offset: u64, _len: u32) -> Result<Vec<u8>, FileError> {
        Err(FileError::Io("no file here".into()))
    }
}
