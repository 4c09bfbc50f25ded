//! The one way a resource is created: send the create; when it fails in a way that may still
//! have stored it (no answer, or a status worth retrying), look it up before sending it again,
//! and look once more before giving up. A create is never posted blindly a second time.

use std::time::Duration;

use super::pace::Pace;
use super::retry::{self, Decision, Policy};
use super::send::api_error;
use crate::error::{Error, Result};
use crate::platform::{Platform, Request, Response};

/// How persistently a create is attempted. One policy per credential: the project API follows
/// the SDK, the admin API recovers from rate limits slowly and gets the admin retry policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CreatePolicy {
    /// Backoff, server delay hints and `x-should-retry`; `max_retries + 1` attempts in all.
    pub retry: Policy,
    /// After a failure that may have committed, how long to keep looking the resource up
    /// before sending again, for a server that stores slowly. Zero: one lookup. Measured on the
    /// platform's clock (whole seconds) and bounded by [`SETTLE_LOOKUPS`] as well.
    pub settle: Duration,
}

impl CreatePolicy {
    /// Jobs and files: 3 attempts, backoff from 0.5 s.
    pub const PROJECT: CreatePolicy = CreatePolicy {
        retry: Policy::SDK,
        settle: Duration::ZERO,
    };

    /// Checkpoint permissions: 6 attempts, backoff from 1 s.
    pub const ADMIN: CreatePolicy = CreatePolicy {
        retry: Policy::ADMIN,
        settle: Duration::ZERO,
    };
}

/// The most lookups one settle window makes, whatever the clock says.
pub const SETTLE_LOOKUPS: u32 = 10;

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
            let (decision, reason, failure, may_have_committed): (_, _, Error, _) =
                match platform.send(self.request) {
                    Ok(r) if (200..300).contains(&r.status) => return Ok(Created::Answered(r)),
                    Ok(r) => {
                        let now = platform.now();
                        let random = platform.random();
                        (
                            retry::after_response(policy, retry, &r, now, random),
                            format!("HTTP {}", r.status),
                            api_error(self.request, &r, now).into(),
                            // A 5xx can come after the resource was stored.
                            retry::retryable_status(r.status),
                        )
                    }
                    Err(e) if e.may_have_committed() => {
                        let random = platform.random();
                        (
                            retry::after_transport_error(policy, retry, random),
                            e.to_string(),
                            e.into(),
                            true,
                        )
                    }
                    Err(e) => return Err(e.into()),
                };
            let Decision::RetryAfter(delay) = decision else {
                // Out of attempts (or told to stop), but the last one may still have landed.
                if may_have_committed && let Some(found) = self.settle(platform, &mut lookup)? {
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
            if let Some(found) = self.settle(platform, &mut lookup)? {
                return Ok(Created::Found(found));
            }
        }
    }

    /// Looks the resource up, and keeps looking for the policy's settle window.
    fn settle<T>(
        &self,
        platform: &mut dyn Platform,
        lookup: &mut impl FnMut(&mut dyn Platform) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        let until = platform.now().saturating_add(self.policy.settle.as_secs());
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

    /// Runs a project create against `fake`, counting the lookups, which never find anything.
    fn run(fake: &mut Fake, policy: CreatePolicy) -> (Result<Created<()>>, u32) {
        let request = request();
        let create = Create {
            request: &request,
            policy,
            what: "the job",
            pace: None,
        };
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
            fake = fake.fault(Method::Post, "/fine_tuning/jobs", Fault::CommitThenTimeout);
        }
        let (outcome, lookups) = run(&mut fake, CreatePolicy::PROJECT);
        assert!(matches!(outcome, Err(Error::Http(HttpError::Timeout(_)))));
        assert_eq!((lookups, fake.count("POST")), (3, 3));
    }

    /// One reset create under a settle window of `secs`: the lookups made and creates sent.
    fn settled(secs: u64) -> (u32, usize) {
        let mut fake = Fake::new().fault(Method::Post, "/fine_tuning/jobs", Fault::Reset);
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
    fn a_lookup_that_finds_the_resource_ends_the_create() {
        let mut fake = Fake::new().fault(Method::Post, "/fine_tuning/jobs", Fault::CommitThenDrop);
        let request = request();
        let create = Create {
            request: &request,
            policy: CreatePolicy::PROJECT,
            what: "the job",
            pace: None,
        };
        let outcome = create.run(&mut fake, |_| Ok(Some("found"))).unwrap();
        assert!(matches!(outcome, Created::Found("found")));
        assert_eq!(fake.count("POST"), 1);
    }
}
