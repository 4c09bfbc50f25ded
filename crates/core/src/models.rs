//! Model lifecycle: the shutdown dates the models endpoint announces, the warnings they call
//! for while a shutdown is near, and the refusal to train on a base model that is already gone.

use serde::Deserialize;

use crate::api;
use crate::api::retry::Policy;
use crate::error::{Error, Result};
use crate::platform::{Credential, Method, Platform, Request};
use crate::time::{DAY, days_until, format_date, parse_date};

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
        Some(serde_json::Value::Number(n)) => n.as_u64().map(|t| format_date((t / DAY) as i64)),
        _ => None,
    })
}

/// Why `model` deserves a warning, when its shutdown `date` is passed, today, or within
/// [`WARN_DAYS`] of `now` (Unix seconds): `the base model X shuts down on D, in N days`.
pub fn near_shutdown(what: &str, model: &str, date: Option<&str>, now: u64) -> Option<String> {
    let date = date?;
    match days_until(date, now)? {
        d if d < 0 => Some(format!("the {what} {model} was shut down on {date}")),
        0 => Some(format!("the {what} {model} shuts down today ({date})")),
        d if d <= WARN_DAYS => Some(format!(
            "the {what} {model} shuts down on {date}, in {d} days"
        )),
        _ => None,
    }
}

/// Warns on stderr when `model` shuts down within [`WARN_DAYS`]; returns the warning.
pub fn warn_if_near(
    platform: &mut dyn Platform,
    what: &str,
    model: &str,
    date: Option<&str>,
) -> Option<String> {
    let warning = near_shutdown(what, model, date, platform.now())?;
    platform.progress(&format!("warning: {warning}"));
    Some(warning)
}

/// What [`refuse_if_shut_down`] found: the announced date, and the warning it printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shutdown {
    pub date: Option<String>,
    pub warning: Option<String>,
}

/// Refuses to start training on a base model whose shutdown date has passed (or is today): the
/// job could not finish, and its model could never be used. Warns when the date is near.
pub fn refuse_if_shut_down(platform: &mut dyn Platform, model: &str) -> Result<Shutdown> {
    let date = shutdown_date(platform, model)?;
    if let Some(d) = &date
        && days_until(d, platform.now()).is_some_and(|days| days <= 0)
    {
        return Err(Error::Failed(format!(
            "refusing to start training on {model}: its shutdown date {d} has passed, so the \
             job could not run and its model could never be used; choose a current base model"
        )));
    }
    let warning = warn_if_near(platform, "base model", model, date.as_deref());
    Ok(Shutdown { date, warning })
}
