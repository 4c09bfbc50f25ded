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

#[derive(Debug, Default, Deserialize)]
struct Model {
    #[serde(default)]
    shutdown_date: Option<serde_json::Value>,
    #[serde(default)]
    deprecation: Option<Deprecation>,
    #[serde(default)]
    lifecycle_status: Option<String>,
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

/// The request that reads `model`'s dates: the configured models endpoint, except on Azure's v1
/// flavour, whose `Model` has no dates: there the same resource's dated one.
fn request_for(flavor: Flavor, model: &str) -> Request {
    let request = Request::new(Method::Get, format!("/models/{model}"), Credential::Project);
    match flavor {
        Flavor::Azure => request.to(Target::AzureDated(DATED_MODELS_VERSION.into())),
        _ => request,
    }
}

/// What the models endpoint announces about `model`; nothing when it announces nothing or does
/// not know the model (the job's own request will say why).
pub fn retirement(platform: &mut dyn Platform, model: &str) -> Result<Retirement> {
    let request = request_for(platform.flavor(), model);
    let found: Model = match api::fetch(platform, &request, &Policy::SDK) {
        Ok(m) => m,
        Err(Error::Api(a)) if a.status == 404 => return Ok(Retirement::default()),
        Err(e) => return Err(e),
    };
    let deprecation = found.deprecation.unwrap_or_default();
    Ok(Retirement {
        shutdown: day_of(found.shutdown_date.as_ref()).or(day_of(deprecation.inference.as_ref())),
        fine_tune: day_of(deprecation.fine_tune.as_ref()),
        lifecycle: found.lifecycle_status.filter(|s| !s.is_empty()),
    })
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
        assert_eq!(fake.log, ["GET m?"]);
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
