//! Model lifecycle: the retirement dates the models endpoint announces, the warnings they call for
//! while one is near, and the refusal to train on a base model that is already gone. OpenAI gives
//! one `shutdown_date`. Azure retires in two steps, each a field of its dated API's `Model`:
//! `deprecation.fine_tune` (no more fine-tuning jobs) and `deprecation.inference` (no more
//! serving), as Unix seconds, beside a `lifecycle_status`. The v1 API's `Model` has none of them,
//! so on the v1 flavour they are read from the same resource's dated models endpoint.

use serde::Deserialize;

use crate::api;
use crate::api::retry::Policy;
use crate::error::{Error, Result};
use crate::flavor::{DATED_MODELS_VERSION, Flavor};
use crate::platform::{Credential, Method, Platform, Request, Target};
use crate::time::{DAY, days_until, format_date, parse_date};

/// How far ahead a retirement is worth a warning on every read.
pub const WARN_DAYS: i64 = 90;

/// How old a model's announced dates may be when read (the WIT's cache hint): a plan's parallel
/// processes then share one read of the model list, and a retirement is announced months
/// ahead, so a minute changes nothing.
pub const DATES_MAX_AGE_SECONDS: u32 = 60;

#[derive(Debug, Default, Deserialize)]
struct Model {
    #[serde(default)]
    id: String,
    #[serde(default)]
    shutdown_date: Option<serde_json::Value>,
    #[serde(default)]
    deprecation: Option<Deprecation>,
    #[serde(default)]
    lifecycle_status: Option<String>,
    /// Azure's dated API: a fine-tuned model's base model.
    #[serde(default)]
    model: Option<String>,
    /// Azure's dated API: the job that made a fine-tuned model.
    #[serde(default)]
    fine_tune: Option<String>,
}

/// Azure's `Deprecation`: Unix seconds.
#[derive(Debug, Default, Deserialize)]
struct Deprecation {
    #[serde(default)]
    fine_tune: Option<serde_json::Value>,
    #[serde(default)]
    inference: Option<serde_json::Value>,
}

/// What the models endpoint announces about a model's end, as `YYYY-MM-DD` days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retirement {
    /// The day it stops serving: OpenAI's `shutdown_date`, Azure's `deprecation.inference`.
    pub shutdown: Option<String>,
    /// Azure: the day it stops taking fine-tuning jobs (`deprecation.fine_tune`).
    pub fine_tune: Option<String>,
    /// Azure: `lifecycle_status` (`preview`, `generally-available`, `deprecating`, `deprecated`).
    pub lifecycle: Option<String>,
}

/// A date field as a day: `YYYY-MM-DD...` as given, or Unix seconds (Azure's dates; some
/// gateways' `shutdown_date`).
fn day_of(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) if parse_date(s).is_some() => Some(s[..10].to_owned()),
        serde_json::Value::Number(n) => n.as_u64().map(|t| format_date((t / DAY) as i64)),
        _ => None,
    }
}

#[derive(Debug, Deserialize)]
struct ModelList {
    #[serde(default)]
    data: Vec<Model>,
}

impl Model {
    /// What the model's fields announce about its end.
    fn retirement(self) -> Retirement {
        let deprecation = self.deprecation.unwrap_or_default();
        Retirement {
            shutdown: day_of(self.shutdown_date.as_ref())
                .or(day_of(deprecation.inference.as_ref())),
            fine_tune: day_of(deprecation.fine_tune.as_ref()),
            lifecycle: self.lifecycle_status.filter(|s| !s.is_empty()),
        }
    }
}

/// One model of the catalogue, with what the models endpoint says made it and ends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    /// Azure: the base model of a fine-tuned one (its `model`).
    pub base: Option<String>,
    /// Azure: the job that made a fine-tuned one (its `fine_tune`).
    pub job: Option<String>,
    pub retirement: Retirement,
}

impl Listed {
    /// Whether it is a fine-tuned model: OpenAI names them `ft:...`; Azure's dated `Model`
    /// names the job that made one.
    pub fn is_fine_tuned(&self) -> bool {
        self.id.starts_with("ft:") || self.job.is_some()
    }
}

/// Every model of the catalogue the dates come from (the list [`retirements`] reads, but never
/// from a kept copy), with the dates of each; an error when the server refuses it.
pub fn catalogue(platform: &mut dyn Platform) -> Result<Vec<Listed>> {
    // Read fresh: a copy kept by an earlier process may predate the newest fine-tuned models.
    let mut request = dates_request(platform.flavor(), "/models".into());
    request.max_age_seconds = None;
    let list: ModelList = api::fetch(platform, &request, &Policy::SDK)?;
    Ok(list
        .data
        .into_iter()
        .map(|m| Listed {
            id: m.id.clone(),
            base: m.model.clone().filter(|b| !b.is_empty()),
            job: m.fine_tune.clone().filter(|j| !j.is_empty()),
            retirement: m.retirement(),
        })
        .collect())
}

/// A request to the models endpoint that carries the dates (`path` is `/models` or
/// `/models/{id}`): the configured one, except on Azure's v1 flavour, whose `Model` has no dates:
/// there the same resource's dated one. Hinted for sharing between a plan's processes.
fn dates_request(flavor: Flavor, path: String) -> Request {
    let request =
        Request::new(Method::Get, path, Credential::Project).cached(DATES_MAX_AGE_SECONDS);
    match flavor {
        Flavor::Azure => request.to(Target::AzureDated(DATED_MODELS_VERSION.into())),
        _ => request,
    }
}

/// What the models endpoint announces about `model`; nothing when it announces nothing or does
/// not know the model (the job's own request will say why).
pub fn retirement(platform: &mut dyn Platform, model: &str) -> Result<Retirement> {
    Ok(retirements(platform, &[model])?.pop().unwrap_or_default())
}

/// What the models endpoint announces about each of `models`, in order, from one read of the
/// model list (not paged; every model the key may use, fine-tuned ones included), which the host
/// may share between the processes of a plan; a model the list lacks (one just created, or a
/// server whose list is short or refused) is read on its own.
pub fn retirements(platform: &mut dyn Platform, models: &[&str]) -> Result<Vec<Retirement>> {
    let mut listed = list(platform)?;
    models
        .iter()
        .map(|&model| match listed.iter().position(|m| m.id == model) {
            Some(i) => Ok(listed.swap_remove(i).retirement()),
            None => read(platform, model),
        })
        .collect()
}

/// Every model the list gives; none when the server refuses the list (its single reads decide).
fn list(platform: &mut dyn Platform) -> Result<Vec<Model>> {
    let request = dates_request(platform.flavor(), "/models".into());
    match api::fetch::<ModelList>(platform, &request, &Policy::SDK) {
        Ok(list) => Ok(list.data),
        Err(Error::Api(a)) if (400..500).contains(&a.status) && a.status != 429 => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// One model's dates, read on its own; nothing for a model the endpoint does not know.
fn read(platform: &mut dyn Platform, model: &str) -> Result<Retirement> {
    let request = dates_request(platform.flavor(), format!("/models/{model}"));
    match api::fetch::<Model>(platform, &request, &Policy::SDK) {
        Ok(m) => Ok(m.retirement()),
        Err(Error::Api(a)) if a.status == 404 => Ok(Retirement::default()),
        Err(e) => Err(e),
    }
}

/// Why `model` deserves a warning, when its shutdown `date` is passed, today, or within
/// [`WARN_DAYS`] of `now` (Unix seconds): `the base model X shuts down on D, in N days`.
pub fn near_shutdown(what: &str, model: &str, date: Option<&str>, now: u64) -> Option<String> {
    near(model, date, now, &Ends::shutdown(what))
}

/// How one kind of end is worded.
struct Ends {
    /// `the base model`, `the fine-tuned model`.
    what: String,
    /// `shuts down`, `stops taking fine-tuning jobs`.
    verb: &'static str,
    /// `was shut down`, `stopped taking fine-tuning jobs`.
    past: &'static str,
}

impl Ends {
    fn shutdown(what: &str) -> Ends {
        Ends {
            what: format!("the {what}"),
            verb: "shuts down",
            past: "was shut down",
        }
    }

    fn fine_tuning() -> Ends {
        Ends {
            what: "the base model".into(),
            verb: "stops taking fine-tuning jobs",
            past: "stopped taking fine-tuning jobs",
        }
    }
}

fn near(model: &str, date: Option<&str>, now: u64, ends: &Ends) -> Option<String> {
    let date = date?;
    let Ends { what, verb, past } = ends;
    match days_until(date, now)? {
        d if d < 0 => Some(format!("{what} {model} {past} on {date}")),
        0 => Some(format!("{what} {model} {verb} today ({date})")),
        d if d <= WARN_DAYS => Some(format!("{what} {model} {verb} on {date}, in {d} days")),
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

/// What [`refuse_if_retired`] found: the announced dates, and the warnings it printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shutdown {
    pub retirement: Retirement,
    pub warnings: Vec<String>,
}

/// Refuses to start training on a base model whose shutdown date has passed (or is today), or,
/// on Azure, whose fine-tuning retirement (`deprecation.fine_tune`) has: the job could not run,
/// and its model could never be used. Warns (on stderr, and in the answer) while either is near.
pub fn refuse_if_retired(platform: &mut dyn Platform, model: &str) -> Result<Shutdown> {
    let retirement = retirement(platform, model)?;
    let now = platform.now();
    fn passed(date: &Option<String>, now: u64) -> Option<&str> {
        date.as_deref()
            .filter(|d| days_until(d, now).is_some_and(|days| days <= 0))
    }
    if let Some(d) = passed(&retirement.fine_tune, now) {
        return Err(Error::Failed(format!(
            "refusing to start training on {model}: Azure OpenAI retired it for fine-tuning on \
             {d} (its deprecation.fine_tune), so the job would be refused and no model made; \
             choose a current base model"
        )));
    }
    if let Some(d) = passed(&retirement.shutdown, now) {
        return Err(Error::Failed(format!(
            "refusing to start training on {model}: its shutdown date {d} has passed, so the \
             job could not run and its model could never be used; choose a current base model"
        )));
    }
    let warnings: Vec<String> = [
        near(
            model,
            retirement.fine_tune.as_deref(),
            now,
            &Ends::fine_tuning(),
        ),
        near(
            model,
            retirement.shutdown.as_deref(),
            now,
            &Ends::shutdown("base model"),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    for w in &warnings {
        platform.progress(&format!("warning: {w}"));
    }
    Ok(Shutdown {
        retirement,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Fake, START};
    use serde_json::json;

    const D: u64 = DAY;

    #[test]
    fn openai_dates_are_shutdown_dates() {
        let mut fake = Fake::new();
        fake.models
            .push(json!({"id": "m", "shutdown_date": format_date(((START + 30 * D) / D) as i64)}));
        let r = retirement(&mut fake, "m").unwrap();
        assert_eq!(r.shutdown, Some(format_date(((START + 30 * D) / D) as i64)));
        assert_eq!((r.fine_tune, r.lifecycle), (None, None));
        assert_eq!(fake.log, ["GET models?"], "one read of the list answers it");
    }

    #[test]
    fn azure_dates_come_from_the_dated_models_endpoint() {
        for flavor in [Flavor::Azure, Flavor::AzureClassic] {
            let mut fake = Fake::flavored(flavor);
            fake.models.push(json!({
                "id": "m", "lifecycle_status": "deprecating",
                "deprecation": {"fine_tune": START + 30 * D, "inference": START + 400 * D},
            }));
            let r = retirement(&mut fake, "m").unwrap();
            assert_eq!(
                r,
                Retirement {
                    shutdown: Some(format_date(((START + 400 * D) / D) as i64)),
                    fine_tune: Some(format_date(((START + 30 * D) / D) as i64)),
                    lifecycle: Some("deprecating".into()),
                },
                "{flavor:?}"
            );
            let wanted = match flavor {
                Flavor::Azure => Target::AzureDated("2024-10-21".into()),
                _ => Target::Api,
            };
            assert_eq!(fake.targets, [wanted], "{flavor:?}");
        }
    }

    #[test]
    fn a_near_fine_tuning_retirement_warns_and_a_past_one_refuses() {
        let mut fake = Fake::flavored(Flavor::Azure);
        fake.models.push(json!({
            "id": "near", "deprecation": {"fine_tune": START + 30 * D, "inference": START + 60 * D},
        }));
        fake.models.push(json!({
            "id": "gone", "deprecation": {"fine_tune": START - D, "inference": START + 300 * D},
        }));
        let found = refuse_if_retired(&mut fake, "near").unwrap();
        let day = |n: u64| format_date(((START + n * D) / D) as i64);
        assert_eq!(
            found.warnings,
            [
                format!(
                    "the base model near stops taking fine-tuning jobs on {}, in 30 days",
                    day(30)
                ),
                format!("the base model near shuts down on {}, in 60 days", day(60)),
            ]
        );
        let e = refuse_if_retired(&mut fake, "gone")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "refusing to start training on gone: Azure OpenAI retired it for fine-tuning on \
                 {} (its deprecation.fine_tune), so the job would be refused and no model made; \
                 choose a current base model",
                format_date(((START - D) / D) as i64)
            )
        );
    }
}

#[cfg(test)]
mod list_tests {
    use super::*;
    use crate::testing::{Fake, Fault};

    fn shutdown_dates(fake: &mut Fake, models: &[&str]) -> Vec<Option<String>> {
        let found = retirements(fake, models).unwrap();
        found.into_iter().map(|r| r.shutdown).collect()
    }

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
        );
        assert_eq!(dates, [Some("2027-01-14".to_owned()), None]);
        assert_eq!(fake.log, ["GET models?"]);
        // A model the list lacks (a job that succeeded a moment ago) is read on its own.
        fake.models.pop();
        let dates = shutdown_dates(&mut fake, &["ft:gpt-4o-mini-2024-07-18:org:x:abc"]);
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
            retirement(&mut fake, "gpt-4o-mini-2024-07-18")
                .unwrap()
                .shutdown,
            Some("2027-01-14".to_owned())
        );
        assert_eq!(fake.count("GET"), 2);
    }
}
