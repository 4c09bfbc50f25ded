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

/// How old a model's announced dates may be when read (the WIT's cache hint): a plan's parallel
/// processes then share one read of the model list, and a shutdown date is announced months
/// ahead, so a minute changes nothing.
pub const DATES_MAX_AGE_SECONDS: u32 = 60;

#[derive(Debug, Deserialize)]
struct Model {
    #[serde(default)]
    id: String,
    #[serde(default)]
    shutdown_date: Option<serde_json::Value>,
}

impl Model {
    /// The announced shutdown date as `YYYY-MM-DD`, if any.
    fn shutdown_date(&self) -> Option<String> {
        match &self.shutdown_date {
            Some(serde_json::Value::String(s)) if parse_date(s).is_some() => {
                Some(s[..10].to_owned())
            }
            // Some surfaces give Unix seconds instead of a date.
            Some(serde_json::Value::Number(n)) => n.as_u64().map(|t| format_date((t / DAY) as i64)),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
struct ModelList {
    #[serde(default)]
    data: Vec<Model>,
}

/// The announced shutdown date of `model` as `YYYY-MM-DD`, or `None` when none is announced or
/// the endpoint does not know the model (the job's own request will say why).
pub fn shutdown_date(platform: &mut dyn Platform, model: &str) -> Result<Option<String>> {
    Ok(shutdown_dates(platform, &[model])?.pop().flatten())
}

/// The announced shutdown dates of `models`, in order, from one read of the model list (not
/// paged; every model the key may use, fine-tuned ones included), which the host may share
/// between the processes of a plan; a model the list lacks (one just created, or a server whose
/// list is short or refused) is read on its own.
pub fn shutdown_dates(platform: &mut dyn Platform, models: &[&str]) -> Result<Vec<Option<String>>> {
    let listed = list(platform)?;
    models
        .iter()
        .map(|&model| match listed.iter().find(|m| m.id == model) {
            Some(m) => Ok(m.shutdown_date()),
            None => read(platform, model),
        })
        .collect()
}

/// Every model the list gives; none when the server refuses the list (its single reads decide).
fn list(platform: &mut dyn Platform) -> Result<Vec<Model>> {
    let request =
        Request::new(Method::Get, "/models", Credential::Project).cached(DATES_MAX_AGE_SECONDS);
    match api::fetch::<ModelList>(platform, &request, &Policy::SDK) {
        Ok(list) => Ok(list.data),
        Err(Error::Api(a)) if (400..500).contains(&a.status) && a.status != 429 => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// One model's date, read on its own; `None` for a model the endpoint does not know.
fn read(platform: &mut dyn Platform, model: &str) -> Result<Option<String>> {
    let request = Request::new(Method::Get, format!("/models/{model}"), Credential::Project)
        .cached(DATES_MAX_AGE_SECONDS);
    match api::fetch::<Model>(platform, &request, &Policy::SDK) {
        Ok(m) => Ok(m.shutdown_date()),
        Err(Error::Api(a)) if a.status == 404 => Ok(None),
        Err(e) => Err(e),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Fake, Fault};

    fn model(id: &str, date: Option<&str>) -> serde_json::Value {
        serde_json::json!({"id": id, "object": "model", "created": 1, "owned_by": "system", "shutdown_date": date})
    }

    #[test]
    fn one_list_answers_every_model_it_holds_and_is_hinted_for_sharing() {
        let mut fake = Fake::new();
        fake.models = vec![
            model("gpt-4o-mini-2024-07-18", Some("2027-01-14")),
            model("ft:gpt-4o-mini-2024-07-18:org:x:abc", None),
        ];
        let dates = shutdown_dates(
            &mut fake,
            &[
                "gpt-4o-mini-2024-07-18",
                "ft:gpt-4o-mini-2024-07-18:org:x:abc",
            ],
        )
        .unwrap();
        assert_eq!(dates, [Some("2027-01-14".to_owned()), None]);
        assert_eq!(fake.log, ["GET models?"]);
        // A model the list lacks (a job that succeeded a moment ago) is read on its own.
        fake.models.pop();
        let dates = shutdown_dates(&mut fake, &["ft:gpt-4o-mini-2024-07-18:org:x:abc"]).unwrap();
        assert_eq!(dates, [None]);
        assert_eq!(
            fake.log,
            [
                "GET models?",
                "GET models?",
                "GET ft:gpt-4o-mini-2024-07-18:org:x:abc?"
            ]
        );
    }

    #[test]
    fn a_refused_list_falls_back_to_single_reads() {
        let mut fake = Fake::new().fault(Method::Get, "/models", Fault::Status(404));
        fake.models = vec![model("gpt-4o-mini-2024-07-18", Some("2027-01-14"))];
        assert_eq!(
            shutdown_date(&mut fake, "gpt-4o-mini-2024-07-18").unwrap(),
            Some("2027-01-14".to_owned())
        );
        assert_eq!(fake.count("GET"), 2);
    }
}
