//! The `file` commands: validate, read and upload a local JSONL training file, and the one line
//! each prints for a person. Each counts the file's tokens for the job's model and applies the
//! budget gate before anything else happens.

use super::field;
use crate::api::create::Origin;
use crate::error::{Error, InputError, Result};
use crate::file::estimate::{Budget, Estimate, Plan, Price, PriceSource, over_limit, usd};
use crate::file::stats::Counting;
use crate::file::{self, FileObject, Report};
use crate::input::{Input, Output};
use crate::job::spec::{Auto, n_epochs_input};
use crate::platform::Platform;
use crate::tokens::Encoding;
use crate::tokens::families::{Family, family_of};
use crate::training_method::TrainingMethod;
use crate::warning::{self, Kind, Warning};

/// The inputs every `file` command accepts, required first.
pub(super) const INPUTS: &[&str] = &[
    "path",
    "training_method",
    "model",
    "tokenizer",
    "context_limit",
    "n_epochs",
    "price_per_million_tokens",
    "max_billed_tokens",
    "max_cost_usd",
    "fail_on_truncation",
];

/// Over-limit line numbers listed in the `over_limit_lines` output.
const LINES_IN_OUTPUT: usize = 10;

fn file_method(input: &Input) -> Result<(String, TrainingMethod, Plan)> {
    let path = input
        .require("path", "set it to the local JSONL training file")?
        .to_owned();
    let method = match input.get("training_method") {
        None => TrainingMethod::Supervised,
        Some(raw) => TrainingMethod::parse("training_method", raw)?,
    };
    Ok((path, method, plan(input)?))
}

/// The counting, epochs, price and budget the inputs ask for: `model` picks the tokenizer,
/// context limit and price from the table; `tokenizer`, `context_limit` and
/// `price_per_million_tokens` override them. Without a model, o200k_base counts (every model
/// OpenAI fine-tunes today uses it) and no limit or price is assumed.
fn plan(input: &Input) -> Result<Plan, InputError> {
    let model = input.get("model").map(|m| m.trim().to_owned());
    let tokenizer = input
        .get("tokenizer")
        .map(|raw| Encoding::parse("tokenizer", raw))
        .transpose()?;
    let family = match (&model, tokenizer) {
        (None, _) => None,
        (Some(m), None) => Some(family_of(m)?),
        // A tokenizer given: an unknown model is fine, only its limit and price are unknown.
        (Some(m), Some(_)) => family_of(m).ok(),
    };
    let encoding = tokenizer.or(family.map(|f| f.encoding)).unwrap_or_default();
    let context_limit = match input.integer("context_limit", 1, 100_000_000)? {
        Some(limit) => Some(limit),
        None => family.and_then(|f| f.context_limit),
    };
    let price = price(input, family)?;
    Ok(Plan {
        counting: Counting {
            encoding,
            context_limit,
        },
        model,
        n_epochs: n_epochs(input)?,
        price,
        budget: Budget {
            fail_on_truncation: input.flag("fail_on_truncation", false)?,
            ..limits(input)?
        },
    })
}

/// `price_per_million_tokens`, or the price of the model `family` in the dated table.
pub(super) fn price(input: &Input, family: Option<&Family>) -> Result<Option<Price>, InputError> {
    Ok(match positive(input, "price_per_million_tokens")? {
        Some((per_million, _)) => Some(Price {
            per_million,
            source: PriceSource::Input,
        }),
        None => family.and_then(|f| {
            f.price_per_million.map(|per_million| Price {
                per_million,
                source: PriceSource::Table(f.prefix),
            })
        }),
    })
}

/// The limits `max_billed_tokens` and `max_cost_usd` (file and job commands alike).
pub(super) fn limits(input: &Input) -> Result<Budget, InputError> {
    Ok(Budget {
        max_billed_tokens: whole(input, "max_billed_tokens")?,
        max_cost_usd: positive(input, "max_cost_usd")?,
        fail_on_truncation: false,
    })
}

/// The job's `n_epochs`, by the hyperparameter's own rule (`"auto"`, or 1-50, `3.0` included).
fn n_epochs(input: &Input) -> Result<Option<Auto<u32>>, InputError> {
    input
        .get("n_epochs")
        .map(|raw| n_epochs_input("n_epochs", raw))
        .transpose()
}

fn whole(input: &Input, key: &str) -> Result<Option<u64>, InputError> {
    let Some(raw) = input.get(key) else {
        return Ok(None);
    };
    raw.trim()
        .parse::<u64>()
        .map(Some)
        .map_err(|_| InputError::invalid(key, raw, "must be a whole number of tokens"))
}

/// A positive amount of US dollars, and how it was written.
fn positive(input: &Input, key: &str) -> Result<Option<(f64, String)>, InputError> {
    let Some(raw) = input.get(key) else {
        return Ok(None);
    };
    match raw.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(Some((v, raw.to_owned()))),
        _ => Err(InputError::invalid(
            key,
            raw,
            "must be a positive number of US dollars, for example 25 or 3.50",
        )),
    }
}

pub(super) fn validate(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let (path, method, plan) = file_method(input)?;
    let report = file::validate(platform, method, &path, &plan)?;
    let mut out = vec![
        ("training_method".into(), method.as_str().to_owned()),
        ("examples".into(), report.examples.to_string()),
        ("bytes".into(), report.bytes.to_string()),
    ];
    out.extend(token_outputs(&path, &report, &plan));
    out.push(("sha256".into(), report.sha256));
    out.insert(0, ("path".into(), path));
    Ok(out)
}

pub(super) fn read(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let (path, method, plan) = file_method(input)?;
    let report = file::validate(platform, method, &path, &plan)?;
    let filename = file::upload_name(&path, &report.sha256);
    let Some(file) = file::find(platform, &filename, report.bytes)? else {
        return Err(Error::Failed(format!(
            "{path} is not uploaded yet (no fine-tune file named {filename}); run terraform apply \
             (file upload) to upload it"
        )));
    };
    Ok(file_outputs(&path, file, report, method, &plan))
}

pub(super) fn upload(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let (path, method, plan) = file_method(input)?;
    let (file, report, origin) = file::upload(platform, method, &path, &plan)?;
    if origin == Origin::Adopted {
        platform.progress(&format!(
            "{path} is already uploaded as {}; not uploading again",
            file.id
        ));
    }
    Ok(file_outputs(&path, file, report, method, &plan))
}

fn file_outputs(
    path: &str,
    file: FileObject,
    report: Report,
    method: TrainingMethod,
    plan: &Plan,
) -> Output {
    let mut out = vec![
        ("id".into(), file.id),
        ("bytes".into(), report.bytes.to_string()),
        ("filename".into(), file.filename),
        ("examples".into(), report.examples.to_string()),
        ("training_method".into(), method.as_str().to_owned()),
    ];
    out.extend(token_outputs(path, &report, plan));
    out.push(("sha256".into(), report.sha256));
    out
}

/// Every token figure, as flat strings; empty when not known (no context limit, no price). And
/// the `warnings`: examples over the context limit (unless `fail_on_truncation` refused them).
fn token_outputs(path: &str, report: &Report, plan: &Plan) -> Output {
    let t = &report.tokens;
    let Estimate {
        n_epochs,
        auto,
        billed_tokens,
        cost_usd,
    } = plan.estimate(t);
    let lines: Vec<String> = t
        .over_limit_lines
        .iter()
        .take(LINES_IN_OUTPUT)
        .map(u64::to_string)
        .collect();
    let opt = |v: Option<String>| v.unwrap_or_default();
    [
        ("model", opt(plan.model.clone())),
        ("tokenizer", t.counting.encoding.as_str().to_owned()),
        (
            "context_limit",
            opt(t.counting.context_limit.map(|l| l.to_string())),
        ),
        // The exact count now; it was a 4-bytes-per-token guess before.
        ("estimated_tokens", t.total.to_string()),
        ("total_tokens", t.total.to_string()),
        ("trained_tokens", t.trained.to_string()),
        ("tokens_min", t.min().to_string()),
        ("tokens_mean", format!("{:.1}", t.mean())),
        ("tokens_p50", t.percentile(50).to_string()),
        ("tokens_p95", t.percentile(95).to_string()),
        ("tokens_max", t.max().to_string()),
        ("over_limit_examples", t.over_limit.to_string()),
        ("over_limit_lines", lines.join(",")),
        ("n_epochs", n_epochs.to_string()),
        ("n_epochs_auto", auto.to_string()),
        ("billed_tokens_per_epoch", t.billed_per_epoch.to_string()),
        ("estimated_billed_tokens", billed_tokens.to_string()),
        (
            "price_per_million_tokens",
            opt(plan.price.as_ref().map(|p| p.per_million.to_string())),
        ),
        (
            "price_source",
            opt(plan.price.as_ref().map(|p| p.source.describe())),
        ),
        ("estimated_cost_usd", opt(cost_usd.map(usd))),
        (
            "warnings",
            warning::to_json(over_limit_warning(path, report, plan).as_slice()),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The warning for examples the service will truncate, if any.
fn over_limit_warning(path: &str, report: &Report, plan: &Plan) -> Option<Warning> {
    (report.tokens.over_limit > 0).then(|| {
        Warning::new(
            Kind::OverContextLimit,
            format!(
                "{path}: {} and would be truncated in training: shorten or split them, or set \
                 fail_on_truncation = true to fail the plan",
                over_limit(&report.tokens, plan.model.as_deref())
            ),
        )
    })
}

pub(super) fn validate_outcome(input: &Input, out: &Output) -> String {
    format!(
        "{} is valid for {}: {} examples, {} tokens, {} bytes",
        input.get("path").unwrap_or_default(),
        field(out, "training_method"),
        field(out, "examples"),
        field(out, "estimated_tokens"),
        field(out, "bytes")
    )
}

pub(super) fn file_outcome(input: &Input, out: &Output) -> String {
    format!(
        "{} is {} ({} examples, {} bytes)",
        input.get("path").unwrap_or_default(),
        field(out, "id"),
        field(out, "examples"),
        field(out, "bytes")
    )
}
