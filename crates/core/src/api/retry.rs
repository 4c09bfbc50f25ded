//! When to try a request again, and after how long: the official SDK's policy (two retries,
//! exponential backoff from 0.5 s capped at 8 s with up to 25% jitter, server delay hints obeyed
//! up to 120 s), with a stricter variant for the rate-limit-sensitive admin endpoints.

use std::time::Duration;

use crate::platform::Response;
use crate::time::{parse_http_date, saturating_secs};

/// How persistent a caller is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff; doubles per retry.
    pub initial: Duration,
    /// The longest backoff.
    pub cap: Duration,
    /// Server delay hints longer than this are not waited for: the error is returned instead.
    pub max_server_delay: Duration,
}

impl Policy {
    /// The SDK's defaults.
    pub const SDK: Policy = Policy {
        max_retries: 2,
        initial: Duration::from_millis(500),
        cap: Duration::from_secs(8),
        max_server_delay: Duration::from_secs(120),
    };

    /// Admin endpoints recover slowly from rate limits, so they get more and longer retries,
    /// with backoff even when no `Retry-After` is given.
    pub const ADMIN: Policy = Policy {
        max_retries: 5,
        initial: Duration::from_secs(1),
        cap: Duration::from_secs(30),
        max_server_delay: Duration::from_secs(120),
    };

    /// The backoff before retry number `retry` (0-based), with `random` in `0.0..1.0` taking off
    /// up to a quarter.
    pub fn backoff(&self, retry: u32, random: f64) -> Duration {
        let base = self.initial.as_secs_f64() * 2f64.powi(retry.min(30) as i32);
        let capped = base.min(self.cap.as_secs_f64());
        Duration::from_secs_f64(capped * (1.0 - 0.25 * random.clamp(0.0, 1.0)))
    }
}

/// What to do after an answer or a failure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision {
    /// Try again after this long.
    RetryAfter(Duration),
    /// Stop and report.
    Stop,
}

/// Statuses the SDK retries by default.
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || status >= 500
}

/// The delay the server asked for: `retry-after-ms`, then `retry-after` (seconds or an HTTP date,
/// measured against `now`, Unix seconds), then Azure's `x-ms-retry-after-ms`.
pub fn server_delay(response: &Response, now: u64) -> Option<Duration> {
    let ms = |v: &str| {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && *n >= 0.0)
    };
    if let Some(v) = response.header("retry-after-ms").and_then(ms) {
        return Some(saturating_secs(v / 1000.0));
    }
    if let Some(v) = response.header("retry-after") {
        if let Some(secs) = ms(v) {
            return Some(saturating_secs(secs));
        }
        if let Some(at) = parse_http_date(v) {
            return Some(Duration::from_secs(at.saturating_sub(now)));
        }
    }
    response
        .header("x-ms-retry-after-ms")
        .and_then(ms)
        .map(|v| saturating_secs(v / 1000.0))
}

/// Decides after an answer with status `response.status`, `retry` retries having been made.
pub fn after_response(
    policy: &Policy,
    retry: u32,
    response: &Response,
    now: u64,
    random: f64,
) -> Decision {
    if retry >= policy.max_retries {
        return Decision::Stop;
    }
    // The server may overrule the status-based choice either way.
    let wanted = match response.header("x-should-retry") {
        Some("true") => true,
        Some("false") => false,
        _ => retryable_status(response.status),
    };
    if !wanted {
        return Decision::Stop;
    }
    match server_delay(response, now) {
        Some(d) if d > policy.max_server_delay => Decision::Stop,
        Some(d) => Decision::RetryAfter(d),
        None => Decision::RetryAfter(policy.backoff(retry, random)),
    }
}

/// Decides after a request that got no answer (timeout or broken connection).
pub fn after_transport_error(policy: &Policy, retry: u32, random: f64) -> Decision {
    if retry >= policy.max_retries {
        Decision::Stop
    } else {
        Decision::RetryAfter(policy.backoff(retry, random))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)]) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn backoff_doubles_caps_and_jitters_down() {
        let p = Policy::SDK;
        assert_eq!(p.backoff(0, 0.0), Duration::from_millis(500));
        assert_eq!(p.backoff(1, 0.0), Duration::from_secs(1));
        assert_eq!(p.backoff(10, 0.0), Duration::from_secs(8));
        assert_eq!(p.backoff(0, 1.0), Duration::from_millis(375));
    }

    #[test]
    fn retries_what_the_sdk_retries() {
        for status in [408, 409, 429, 500, 502, 503] {
            assert!(matches!(
                after_response(&Policy::SDK, 0, &response(status, &[]), 0, 0.0),
                Decision::RetryAfter(_)
            ));
        }
        for status in [400, 401, 403, 404, 422] {
            assert_eq!(
                after_response(&Policy::SDK, 0, &response(status, &[]), 0, 0.0),
                Decision::Stop
            );
        }
        assert_eq!(
            after_response(&Policy::SDK, 2, &response(500, &[]), 0, 0.0),
            Decision::Stop
        );
    }

    #[test]
    fn server_hints_win() {
        let r = response(429, &[("retry-after-ms", "250"), ("retry-after", "7")]);
        assert_eq!(server_delay(&r, 0), Some(Duration::from_millis(250)));
        let r = response(429, &[("Retry-After", "7")]);
        assert_eq!(
            after_response(&Policy::SDK, 0, &r, 0, 0.5),
            Decision::RetryAfter(Duration::from_secs(7))
        );
        let r = response(429, &[("retry-after", "121")]);
        assert_eq!(after_response(&Policy::SDK, 0, &r, 0, 0.5), Decision::Stop);
        let r = response(400, &[("x-should-retry", "true")]);
        assert!(matches!(
            after_response(&Policy::SDK, 0, &r, 0, 0.0),
            Decision::RetryAfter(_)
        ));
        let r = response(503, &[("x-should-retry", "false")]);
        assert_eq!(after_response(&Policy::SDK, 0, &r, 0, 0.0), Decision::Stop);
    }

    #[test]
    fn http_dates() {
        let r = response(503, &[("retry-after", "Sun, 06 Nov 1994 08:49:40 GMT")]);
        assert_eq!(server_delay(&r, 784_111_777), Some(Duration::from_secs(3)));
    }

    #[test]
    fn absurd_hints_saturate_instead_of_panicking() {
        for (name, value) in [("retry-after", "1e300"), ("retry-after-ms", "1e300")] {
            let r = response(429, &[(name, value)]);
            assert_eq!(server_delay(&r, 0), Some(Duration::MAX));
            assert_eq!(after_response(&Policy::SDK, 0, &r, 0, 0.0), Decision::Stop);
        }
    }
}
