//! The one way a resource is created: send the create; when it fails in a way that may still
//! have stored it (no answer, or a status worth retrying), look it up before sending it again,
//! and look once more before giving up. A create is never posted blindly a second time, and a
//! server that may still be working on it (no answer in time) is given a window to commit.

use std::time::Duration;

use super::pace::Pace;
use super::retry::{self, Decision, Policy};
use super::send::api_error;
use crate::error::{Error, HttpError, Result};
use crate::platform::{Platform, Request, Response};

/// How persistently a create is attempted. One policy per credential: the project API follows
/// the SDK, the admin API recovers from rate limits slowly and gets the admin retry policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CreatePolicy {
    /// Backoff, server delay hints and `x-should-retry`; `max_retries + 1` attempts in all.
    pub retry: Policy,
    /// After a create that got no answer in time (a timeout, or a gateway's 504), how long to
    /// keep looking the resource up before sending again: the server may still be working on the
    /// first one and store it late. Measured on the platform's clock (whole seconds) and bounded
    /// by [`SETTLE_LOOKUPS`] as well. Any other failure that may have committed (a dropped
    /// connection, a 5xx) was answered or cut off, so what it stored is there now: one lookup.
    pub settle: Duration,
}

/// The settle window of both policies. The guest cannot know the host's timeout, so it is a
/// constant: a server that has not committed within the client's timeout and 30 s more has, in
/// practice, given up; and should it commit later all the same, every read of the request's job
/// finds both and cancels the younger while it is still queued (`job::find_by_key`).
pub const SLOW_COMMIT: Duration = Duration::from_secs(30);

impl CreatePolicy {
    /// Jobs and files: 3 attempts, backoff from 0.5 s.
    pub const PROJECT: CreatePolicy = CreatePolicy {
        retry: Policy::SDK,
        settle: SLOW_COMMIT,
    };

    /// Checkpoint permissions: 6 attempts, backoff from 1 s.
    pub const ADMIN: CreatePolicy = CreatePolicy {
        retry: Policy::ADMIN,
        settle: SLOW_COMMIT,
    };
}

/// The most lookups one settle window makes, whatever the clock says.
pub const SETTLE_LOOKUPS: u32 = 10;

/// What a failed attempt says about the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Refused (a 4xx): nothing was stored.
    Refused,
    /// Answered or cut off after the server may have stored it (a 5xx, a dropped connection):
    /// if it did, a lookup sees it now.
    MayHaveCommitted,
    /// No answer in time (a timeout, a gateway's 504): the server may still be storing it.
    Pending,
}

/// How a create-or-adopt came by its resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Created,
    Adopted,
}

/// How a create ended.
#[derive(Debug)]
pub enum Created<T> {
    /// The create was answered with success: the answer, for the caller to decode.
    Answered(Response),
    /// An attempt failed but had been applied: the lookup found what it stored.
    Found(T),
}

/// One create: the request, how persistently it is sent, and how progress lines name the
/// resource being looked up (`the job`, `proj_abc`).
#[derive(Debug, Clone, Copy)]
pub struct Create<'a> {
    pub request: &'a Request,
    pub policy: CreatePolicy,
    pub what: &'a str,
    /// Waited on before every attempt (the caller's lookups share it).
    pub pace: Option<&'a Pace>,
}

impl Create<'_> {
    /// Sends the create; after a failure that may have committed, `lookup` decides whether to
    /// send it again. The caller has looked the resource up once already.
    pub fn run<T>(
        &self,
        platform: &mut dyn Platform,
        mut lookup: impl FnMut(&mut dyn Platform) -> Result<Option<T>>,
    ) -> Result<Created<T>> {
        let policy = &self.policy.retry;
        let mut retry = 0;
        loop {
            if let Some(pace) = self.pace {
                pace.wait(platform);
            }
            let (decision, reason, failure, outcome): (_, _, Error, _) = match platform
                .send(self.request)
            {
                Ok(r) if (200..300).contains(&r.status) => return Ok(Created::Answered(r)),
                Ok(r) => {
                    let now = platform.now();
                    let random = platform.random();
                    let outcome = match r.status {
                        // A gateway that gave up waiting: the server may still commit.
                        504 => Outcome::Pending,
                        // A 5xx can come after the resource was stored.
                        s if retry::retryable_status(s) && s >= 500 => Outcome::MayHaveCommitted,
                        _ => Outcome::Refused,
                    };
                    (
                        retry::after_response(policy, retry, &r, now, random),
                        format!("HTTP {}", r.status),
                        api_error(self.request, &r, now, platform.flavor()).into(),
                        outcome,
                    )
                }
                Err(e) if e.may_have_committed() => {
                    let random = platform.random();
                    let outcome = match e {
                        HttpError::Timeout(_) => Outcome::Pending,
                        _ => Outcome::MayHaveCommitted,
                    };
                    (
                        retry::after_transport_error(policy, retry, random),
                        e.to_string(),
                        e.into(),
                        outcome,
                    )
                }
                Err(e) => return Err(e.into()),
            };
            let Decision::RetryAfter(delay) = decision else {
                // Out of attempts (or told to stop), but the last one may still have landed.
                if outcome != Outcome::Refused
                    && let Some(found) = self.settle(platform, outcome, &mut lookup)?
                {
                    return Ok(Created::Found(found));
                }
                return Err(failure);
            };
            platform.progress(&format!(
                "{} {}: {reason}; looking {} up before retry {} of {} in {:.1} s",
                self.request.method.as_str(),
                self.request.path,
                self.what,
                retry + 1,
                policy.max_retries,
                delay.as_secs_f64()
            ));
            platform.sleep(delay);
            retry += 1;
            // Whatever went wrong, the create may have been applied: trust only a fresh lookup.
            if let Some(found) = self.settle(platform, outcome, &mut lookup)? {
                return Ok(Created::Found(found));
            }
        }
    }

    /// Looks the resource up; after an attempt that may still be committing, keeps looking for
    /// the policy's settle window.
    fn settle<T>(
        &self,
        platform: &mut dyn Platform,
        outcome: Outcome,
        lookup: &mut impl FnMut(&mut dyn Platform) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        let window = match outcome {
            Outcome::Pending => self.policy.settle,
            Outcome::MayHaveCommitted | Outcome::Refused => Duration::ZERO,
        };
        let until = platform.now().saturating_add(window.as_secs());
        for n in 0..SETTLE_LOOKUPS {
            if let Some(found) = lookup(platform)? {
                return Ok(Some(found));
            }
            if n + 1 == SETTLE_LOOKUPS || platform.now() >= until {
                break;
            }
            let pause = self.policy.retry.backoff(n, platform.random());
            platform.sleep(pause);
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::HttpError;
    use crate::platform::{Credential, Method};
    use crate::testing::{Fake, Fault};

    fn request() -> Request {
        Request::new(Method::Post, "/fine_tuning/jobs", Credential::Project)
            .json(&serde_json::json!({"model": "m", "training_file": "file-1"}))
    }

    /// A create of the job `request` under `policy`, unpaced.
    fn project_create(request: &Request, policy: CreatePolicy) -> Create<'_> {
        Create {
            request,
            policy,
            what: "the job",
            pace: None,
        }
    }

    /// Runs a project create against `fake`, counting the lookups, which never find anything.
    fn run(fake: &mut Fake, policy: CreatePolicy) -> (Result<Created<()>>, u32) {
        let request = request();
        let create = project_create(&request, policy);
        let mut lookups = 0;
        let outcome = create.run(fake, |_| {
            lookups += 1;
            Ok(None)
        });
        (outcome, lookups)
    }

    #[test]
    fn a_server_delay_hint_is_waited_for_then_the_lookup_comes_first() {
        let mut fake = Fake::new().fault(
            Method::Post,
            "/fine_tuning/jobs",
            Fault::Answer(429, &[("retry-after", "3")]),
        );
        let (outcome, lookups) = run(&mut fake, CreatePolicy::PROJECT);
        assert!(matches!(outcome, Ok(Created::Answered(_))));
        assert_eq!((lookups, fake.count("POST")), (1, 2));
        assert_eq!(fake.sleeps, [Duration::from_secs(3)]);
        assert_eq!(
            fake.progress,
            ["POST /fine_tuning/jobs: HTTP 429; looking the job up before retry 1 of 2 in 3.0 s"]
        );
    }

    #[test]
    fn x_should_retry_false_stops_but_a_5xx_is_still_looked_up() {
        let mut fake = Fake::new().fault(
            Method::Post,
            "/fine_tuning/jobs",
            Fault::Answer(503, &[("x-should-retry", "false")]),
        );
        let (outcome, lookups) = run(&mut fake, CreatePolicy::PROJECT);
        assert!(matches!(outcome, Err(Error::Api(a)) if a.status == 503));
        assert_eq!((lookups, fake.count("POST")), (1, 1));
    }

    #[test]
    fn a_refusal_is_neither_retried_nor_looked_up() {
        let mut fake = Fake::new().fault(Method::Post, "/fine_tuning/jobs", Fault::Status(400));
        let (outcome, lookups) = run(&mut fake, CreatePolicy::PROJECT);
        assert!(matches!(outcome, Err(Error::Api(a)) if a.status == 400));
        assert_eq!((lookups, fake.count("POST")), (0, 1));
    }

    #[test]
    fn every_attempt_failing_ends_with_one_more_lookup() {
        let mut fake = Fake::new();
        for _ in 0..3 {
            fake = fake.fault(Method::Post, "/fine_tuning/jobs", Fault::Reset);
        }
        let (outcome, lookups) = run(&mut fake, CreatePolicy::PROJECT);
        assert!(matches!(outcome, Err(Error::Http(HttpError::Transport(_)))));
        assert_eq!((lookups, fake.count("POST")), (3, 3));
    }

    #[test]
    fn every_attempt_timing_out_is_bounded_by_three_settle_windows() {
        let mut fake = Fake::new();
        for _ in 0..3 {
            fake = fake.fault(Method::Post, "/fine_tuning/jobs", Fault::CommitThenTimeout);
        }
        let (outcome, lookups) = run(&mut fake, CreatePolicy::PROJECT);
        assert!(matches!(outcome, Err(Error::Http(HttpError::Timeout(_)))));
        assert_eq!((lookups, fake.count("POST")), (24, 3));
    }

    /// One create that timed out (without committing) under a settle window of `secs`: the
    /// lookups made and creates sent.
    fn settled(secs: u64) -> (u32, usize) {
        let mut fake = Fake::new().fault(Method::Post, "/fine_tuning/jobs", Fault::Timeout);
        let policy = CreatePolicy {
            settle: Duration::from_secs(secs),
            ..CreatePolicy::PROJECT
        };
        let (outcome, lookups) = run(&mut fake, policy);
        assert!(matches!(outcome, Ok(Created::Answered(_))));
        (lookups, fake.count("POST"))
    }

    #[test]
    fn a_settle_window_keeps_looking_for_its_time_before_sending_again() {
        // Retry delay 0.5 s, then lookups at 0.5 s, 1 s (after 0.5 s) and 2 s (after 1 s).
        assert_eq!(settled(2), (3, 2));
    }

    #[test]
    fn a_settle_window_is_bounded_by_count_too() {
        assert_eq!(settled(86_400), (SETTLE_LOOKUPS, 2));
    }

    #[test]
    fn only_an_unanswered_create_gets_the_settle_window() {
        // A reset, a 500 or a 429 was cut off or answered: one lookup each, then the retry.
        for fault in [Fault::Reset, Fault::Status(500), Fault::Status(429)] {
            let mut fake = Fake::new().fault(Method::Post, "/fine_tuning/jobs", fault);
            let (outcome, lookups) = run(&mut fake, CreatePolicy::PROJECT);
            assert!(matches!(outcome, Ok(Created::Answered(_))), "{fault:?}");
            assert_eq!((lookups, fake.count("POST")), (1, 2), "{fault:?}");
        }
        // A timeout or a gateway's 504: the server may still be storing it, so the lookups go
        // on for the window (0.5 s retry delay, then 0.5, 1, 2, 4, 8, 8, 8 s apart: 30 s).
        for fault in [Fault::Timeout, Fault::Status(504)] {
            let mut fake = Fake::new().fault(Method::Post, "/fine_tuning/jobs", fault);
            let (outcome, lookups) = run(&mut fake, CreatePolicy::PROJECT);
            assert!(matches!(outcome, Ok(Created::Answered(_))), "{fault:?}");
            assert_eq!((lookups, fake.count("POST")), (8, 2), "{fault:?}");
        }
    }

    #[test]
    fn a_slow_commit_is_found_by_the_settle_window_not_posted_twice() {
        // Stored 3 s after a create that timed out at once: the lookups at 0.5, 1 and 2 s see
        // nothing, the one at 4 s finds it.
        let mut fake = Fake::new().fault(Method::Post, "/fine_tuning/jobs", Fault::Timeout);
        let request = request();
        let create = project_create(&request, CreatePolicy::PROJECT);
        let committed_at = crate::testing::START + 3;
        let outcome = create
            .run(&mut fake, |p| {
                Ok((p.now() >= committed_at).then_some("late"))
            })
            .unwrap();
        assert!(matches!(outcome, Created::Found("late")));
        assert_eq!(fake.count("POST"), 1);
    }

    #[test]
    fn a_lookup_that_finds_the_resource_ends_the_create() {
        let mut fake = Fake::new().fault(Method::Post, "/fine_tuning/jobs", Fault::CommitThenDrop);
        let request = request();
        let create = project_create(&request, CreatePolicy::PROJECT);
        let outcome = create.run(&mut fake, |_| Ok(Some("found"))).unwrap();
        assert!(matches!(outcome, Created::Found("found")));
        assert_eq!(fake.count("POST"), 1);
    }
}
