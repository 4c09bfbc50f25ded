//! The `models inventory` command: the inventory as flat outputs (the list and what Terraform
//! checks at plan: counts, the models ending within 90 days, the nearest end, the requests to
//! train each again), and on request a Markdown or CSV table for people.

use serde_json::{Value, json};

use super::field;
use crate::deployment::Location;
use crate::error::{InputError, Result};
use crate::input::{Input, Output};
use crate::inventory::{self, Entry, Inventory, Kind, Options};
use crate::models::WARN_DAYS;
use crate::platform::Platform;

pub(super) const INPUTS: &[&str] = &["subscription_id", "resource_group", "account", "format"];

pub(super) const OUTPUTS: &[&str] = &[
    "models",
    "count",
    "fine_tuned_models",
    "checkpoints",
    "ending_soon",
    "nearest_shutdown_model",
    "nearest_shutdown_date",
    "nearest_days_left",
    "retrain_requests",
    "notes",
];

/// The table for people, in one of two forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Markdown,
    Csv,
}

fn format(input: &Input) -> Result<Option<Format>, InputError> {
    match input.get("format") {
        None | Some("json") => Ok(None),
        Some("markdown") => Ok(Some(Format::Markdown)),
        Some("csv") => Ok(Some(Format::Csv)),
        Some(other) => Err(InputError::invalid(
            "format",
            other,
            "must be \"json\" (the default: the list only), \"markdown\" or \"csv\" (the list \
             and a table for people in the table output)",
        )),
    }
}

/// The account whose deployments are read: all three inputs, or none.
fn account(platform: &dyn Platform, input: &Input) -> Result<Option<Location>, InputError> {
    const KEYS: [&str; 3] = ["subscription_id", "resource_group", "account"];
    let given: Vec<&str> = KEYS
        .into_iter()
        .filter(|k| input.get(k).is_some())
        .collect();
    if given.is_empty() {
        return Ok(None);
    }
    if !platform.flavor().is_azure() {
        return Err(InputError::invalid(
            given[0],
            input.get(given[0]).unwrap_or_default(),
            "deployments exist on Azure OpenAI only; leave subscription_id, resource_group and \
             account unset for OpenAI (its grants are read instead)",
        ));
    }
    Location::parse_account(input).map(Some)
}

pub(super) fn inventory(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let table = format(input)?;
    let options = Options {
        account: account(platform, input)?,
    };
    let Inventory { entries, notes } = inventory::read(platform, &options)?;
    let now = platform.now();
    let ending: Vec<String> = entries.iter().filter_map(|e| e.ending(now)).collect();
    for line in &ending {
        platform.progress(&format!("warning: {line}"));
    }
    for note in &notes {
        platform.progress(note);
    }
    let nearest = entries.iter().find(|e| e.days_left.is_some());
    let count = |kind| entries.iter().filter(|e| e.kind == kind).count();
    let retrain: serde_json::Map<String, Value> = entries
        .iter()
        .filter_map(|e| Some((e.model.clone(), e.retrain.clone()?)))
        .collect();
    let list: Vec<Value> = entries.iter().map(Entry::to_json).collect();
    let mut out = vec![
        ("models".into(), Value::Array(list).to_string()),
        ("count".into(), entries.len().to_string()),
        (
            "fine_tuned_models".into(),
            count(Kind::FineTuned).to_string(),
        ),
        ("checkpoints".into(), count(Kind::Checkpoint).to_string()),
        ("ending_soon".into(), json!(ending).to_string()),
        (
            "nearest_shutdown_model".into(),
            nearest.map(|e| e.model.clone()).unwrap_or_default(),
        ),
        (
            "nearest_shutdown_date".into(),
            nearest
                .and_then(|e| e.retirement.shutdown.clone())
                .unwrap_or_default(),
        ),
        (
            "nearest_days_left".into(),
            nearest
                .and_then(|e| e.days_left)
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
        (
            "retrain_requests".into(),
            Value::Object(retrain).to_string(),
        ),
        ("notes".into(), json!(notes).to_string()),
    ];
    if let Some(f) = table {
        out.push(("table".into(), render(f, &entries)));
    }
    Ok(out)
}

const COLUMNS: [&str; 9] = [
    "model",
    "kind",
    "base model",
    "job",
    "training file",
    "shutdown",
    "days left",
    "shared with / deployed as",
    "retrain",
];

/// One entry's cells, in [`COLUMNS`] order.
fn cells(e: &Entry) -> [String; 9] {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let reach = match (&e.grants, &e.deployments) {
        (Some(projects), _) => projects.join(" "),
        (None, Some(deployments)) => deployments
            .iter()
            .filter_map(|d| d["name"].as_str())
            .collect::<Vec<_>>()
            .join(" "),
        (None, None) => "not read".into(),
    };
    let shutdown = match (&e.retirement.shutdown, e.dates_from) {
        (Some(d), "base model") => format!("{d} (base model)"),
        (Some(d), _) => d.clone(),
        (None, _) => "none announced".into(),
    };
    [
        e.model.clone(),
        e.kind.as_str().to_owned(),
        e.base_model.clone(),
        opt(&e.job),
        opt(&e.training_file),
        shutdown,
        e.days_left.map(|d| d.to_string()).unwrap_or_default(),
        reach,
        if e.retrain.is_some() {
            "yes"
        } else {
            "job gone"
        }
        .to_owned(),
    ]
}

fn render(format: Format, entries: &[Entry]) -> String {
    let mut out = String::new();
    match format {
        Format::Markdown => {
            let row = |cells: &[String]| {
                let escaped: Vec<String> = cells.iter().map(|c| c.replace('|', "\\|")).collect();
                format!("| {} |\n", escaped.join(" | "))
            };
            let head: Vec<String> = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
            out.push_str(&row(&head));
            out.push_str(&row(&vec!["---".to_owned(); COLUMNS.len()]));
            for e in entries {
                out.push_str(&row(&cells(e)));
            }
        }
        Format::Csv => {
            // RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled.
            let field = |c: &str| {
                if c.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.to_owned()
                }
            };
            let row = |cells: &[String]| {
                let fields: Vec<String> = cells.iter().map(|c| field(c)).collect();
                format!("{}\r\n", fields.join(","))
            };
            let head: Vec<String> = COLUMNS.iter().map(|c| c.replace(' ', "_")).collect();
            out.push_str(&row(&head));
            for e in entries {
                out.push_str(&row(&cells(e)));
            }
        }
    }
    out
}

/// `5 fine-tuned models and 12 checkpoints; 3 end within 90 days, the first ft:... on
/// 2027-01-14 (in 38 days)`, then the table when one was asked for.
pub(super) fn outcome(_input: &Input, out: &Output) -> String {
    let ending: Vec<String> = serde_json::from_str(field(out, "ending_soon")).unwrap_or_default();
    let mut line = format!(
        "{} fine-tuned models and {} checkpoints; {} end within {WARN_DAYS} days",
        field(out, "fine_tuned_models"),
        field(out, "checkpoints"),
        ending.len()
    );
    let model = field(out, "nearest_shutdown_model");
    if !model.is_empty() {
        line.push_str(&format!(
            ", the first {model} on {} ({} days left)",
            field(out, "nearest_shutdown_date"),
            field(out, "nearest_days_left")
        ));
    }
    let table = field(out, "table");
    if !table.is_empty() {
        line.push('\n');
        line.push_str(table.trim_end());
    }
    line
}
