//! Model lifecycle: the shutdown dates the models endpoint announces, the warnings they call
//! for while a shutdown is near, and the refusal to train on a base model that is already gone.

use serde::Deserialize;

use crate::api;
use crate::error::{Error, Result};
use crate::platform::{Credential, Method, Platform, Request};
use crate::retry::{Policy, days_from_civil};

/// How far ahead a shutdown is worth a warning on every read.
pub const WARN_DAYS: i64 = 90;

#[derive(Debug, Deserialize)]
struct Model {
    #[serde(default)]
    shutdown_date: Option<serde_json::Value>,
}

/// The announced shutdown date of `model` as `YYYY-MM-DD`, or `None` when none is announced or
/// the endpoint does not know the model (the job's own request will say why).
pub fn shutdown_date(platform: &mut dyn Platform, model: &str) -> Result<Option<String>> {
    let request = Request::new(Method::Get, format!("/models/{model}"), Credential::Project);
    let found: Model = match api::fetch(platform, &request, &Policy::SDK) {
        Ok(m) => m,
        Err(Error::Api(a)) if a.status == 404 => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(match found.shutdown_date {
        Some(serde_json::Value::String(s)) if parse_date(&s).is_some() => Some(s[..10].to_owned()),
        // Some surfaces give Unix seconds instead of a date.
        Some(serde_json::Value::Number(n)) => n.as_u64().map(|t| {
            let (y, m, d) = crate::jobs::civil_from_days((t / 86_400) as i64);
            format!("{y:04}-{m:02}-{d:02}")
        }),
        _ => None,
    })
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (a longer ISO timestamp is cut to its date).
pub fn parse_date(date: &str) -> Option<i64> {
    let d = date.get(..10)?;
    let mut parts = d.split('-');
    let (y, m, day) = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    ((1..=12).contains(&m) && (1..=31).contains(&day)).then(|| days_from_civil(y, m, day))
}

/// Whole days from today (UTC, from `now`) until `date`; negative once it has passed.
pub fn days_until(date: &str, now: u64) -> Option<i64> {
    parse_date(date).map(|d| d - (now / 86_400) as i64)
}

/// Warns on stderr when `model` shuts down within [`WARN_DAYS`].
pub fn warn_if_near(platform: &mut dyn Platform, what: &str, model: &str, date: Option<&str>) {
    let Some(date) = date else { return };
    let Some(days) = days_until(date, platform.now()) else {
        return;
    };
    let line = match days {
        d if d < 0 => format!("warning: the {what} {model} was shut down on {date}"),
        0 => format!("warning: the {what} {model} shuts down today ({date})"),
        d if d <= WARN_DAYS => {
            format!("warning: the {what} {model} shuts down on {date}, in {d} days")
        }
        _ => return,
    };
    platform.progress(&line);
}

/// Refuses to start training on a base model whose shutdown date has passed (or is today): the
/// job could not finish, and its model could never be used.
pub fn refuse_if_shut_down(platform: &mut dyn Platform, model: &str) -> Result<Option<String>> {
    let date = shutdown_date(platform, model)?;
    if let Some(d) = &date
        && days_until(d, platform.now()).is_some_and(|days| days <= 0)
    {
        return Err(Error::Failed(format!(
            "refusing to start training on {model}: its shutdown date {d} has passed, so the \
             job could not run and its model could never be used; choose a current base model"
        )));
    }
    warn_if_near(platform, "base model", model, date.as_deref());
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_whole_days() {
        let now = 20_000 * 86_400 + 3_600; // 2024-10-04 01:00 UTC
        assert_eq!(days_until("2024-10-04", now), Some(0));
        assert_eq!(days_until("2024-10-05", now), Some(1));
        assert_eq!(days_until("2024-10-03", now), Some(-1));
        assert_eq!(days_until("2024-10-05T00:00:00Z", now), Some(1));
        assert_eq!(days_until("soon", now), None);
        assert_eq!(days_until("2024-13-01", now), None);
    }
}
