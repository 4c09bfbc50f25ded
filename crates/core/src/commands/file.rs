//! The `file` commands: validate, read and upload a local JSONL training file, and the one line
//! each prints for a person.

use super::field;
use crate::api::create::Origin;
use crate::error::{Error, Result};
use crate::file::{self, FileObject, Report};
use crate::input::{Input, Output};
use crate::platform::Platform;
use crate::training_method::TrainingMethod;

/// The inputs every `file` command accepts, required first.
pub(super) const INPUTS: &[&str] = &["path", "training_method"];

fn file_method(input: &Input) -> Result<(String, TrainingMethod)> {
    let path = input
        .require("path", "set it to the local JSONL training file")?
        .to_owned();
    let method = match input.get("training_method") {
        None => TrainingMethod::Supervised,
        Some(raw) => TrainingMethod::parse("training_method", raw)?,
    };
    Ok((path, method))
}

pub(super) fn validate(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let (path, method) = file_method(input)?;
    let report = file::validate(platform, method, &path)?;
    Ok(vec![
        ("path".into(), path),
        ("training_method".into(), method.as_str().to_owned()),
        ("examples".into(), report.examples.to_string()),
        (
            "estimated_tokens".into(),
            report.estimated_tokens.to_string(),
        ),
        ("bytes".into(), report.bytes.to_string()),
        ("sha256".into(), report.sha256),
    ])
}

pub(super) fn read(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let (path, method) = file_method(input)?;
    let report = file::validate(platform, method, &path)?;
    let filename = file::upload_name(&path, &report.sha256);
    let Some(file) = file::find(platform, &filename, report.bytes)? else {
        return Err(Error::Failed(format!(
            "{path} is not uploaded yet (no fine-tune file named {filename}); run terraform apply \
             (file upload) to upload it"
        )));
    };
    Ok(file_outputs(file, report, method))
}

pub(super) fn upload(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let (path, method) = file_method(input)?;
    let (file, report, origin) = file::upload(platform, method, &path)?;
    if origin == Origin::Adopted {
        platform.progress(&format!(
            "{path} is already uploaded as {}; not uploading again",
            file.id
        ));
    }
    Ok(file_outputs(file, report, method))
}

fn file_outputs(file: FileObject, report: Report, method: TrainingMethod) -> Output {
    vec![
        ("id".into(), file.id),
        ("bytes".into(), report.bytes.to_string()),
        ("filename".into(), file.filename),
        ("sha256".into(), report.sha256),
        ("examples".into(), report.examples.to_string()),
        (
            "estimated_tokens".into(),
            report.estimated_tokens.to_string(),
        ),
        ("training_method".into(), method.as_str().to_owned()),
    ]
}

pub(super) fn validate_outcome(input: &Input, out: &Output) -> String {
    format!(
        "{} is valid for {}: {} examples, ~{} tokens, {} bytes",
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
