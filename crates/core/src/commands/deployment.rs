//! The `deployment` commands: ensure, read and delete an Azure OpenAI deployment through Azure
//! Resource Manager, from the flat input map to the flat outputs Terraform reads.

use super::field;
use crate::deployment::{self, DEFAULT_WAIT_SECS, Location, MAX_WAIT_SECS, Spec, Waiting};
use crate::error::{InputError, Result};
use crate::input::{Input, Output};
use crate::models;
use crate::platform::Platform;
use crate::warning::{self, Kind, Warning};

const WAIT: &str = "wait_timeout_seconds";

/// `deployment ensure` and `deployment read`: where, what, and how long to follow an operation.
pub(super) const ENSURE_INPUTS: &[&str] = &[
    "subscription_id",
    "resource_group",
    "account",
    "name",
    "model",
    "model_version",
    "model_format",
    "sku",
    "capacity",
    "restore_token",
    WAIT,
    "poll_interval",
];

/// `deployment read`: those, and whether to read the deployed model's retirement dates.
pub(super) const READ_INPUTS: &[&str] =
    &super::job::concat::<{ ENSURE_INPUTS.len() + 1 }>(ENSURE_INPUTS, &["shutdown_dates"]);

/// What `deployment read` gives beyond the deployment: whether it exists and serves the spec,
/// and (with `shutdown_dates`) what the models endpoint announces of the model to deploy.
pub(super) const READ_OUTPUTS: &[&str] = &[
    "exists",
    "serves",
    "model_shutdown_date",
    "model_lifecycle_status",
    "warnings",
];

/// `deployment delete`: where, and how long to follow the deletion.
pub(super) const DELETE_INPUTS: &[&str] = &[
    "subscription_id",
    "resource_group",
    "account",
    "name",
    WAIT,
    "poll_interval",
];

/// What every `deployment` command that finds one gives.
pub(super) const OUTPUTS: &[&str] = &[
    "id",
    "name",
    "provisioning_state",
    "model",
    "model_version",
    "model_format",
    "sku",
    "capacity",
    "restore_token",
];

/// Deployments are Azure's: refused elsewhere before anything is sent, so a module on the
/// openai flavour fails at plan with the reason.
fn azure_only(platform: &dyn Platform) -> Result<()> {
    if platform.flavor().is_azure() {
        return Ok(());
    }
    Err(crate::Error::Failed(
        "deployments exist on Azure OpenAI only (the configured flavour is openai, where a \
         fine-tuned model serves without one); set AZURE_OPENAI_ENDPOINT, or drop the \
         deployment"
            .into(),
    ))
}

/// How long to follow an operation, and the pause between polls when Azure names none.
fn wait(input: &Input) -> Result<Waiting, InputError> {
    Ok(Waiting {
        secs: input
            .integer(WAIT, 1, MAX_WAIT_SECS)?
            .unwrap_or(DEFAULT_WAIT_SECS),
        poll: match input.get("poll_interval") {
            Some(_) => super::job::poll_interval(input)?,
            None => deployment::POLL,
        },
    })
}

/// `deployment ensure`: creates or updates the deployment unless it already serves the spec, and
/// follows the operation to its end. Outputs the deployment and `created` (whether a PUT was
/// sent).
pub(super) fn ensure(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let at = Location::parse(input)?;
    azure_only(platform)?;
    let wait = wait(input)?;
    let spec = Spec::parse(input)?;
    let (d, written) = deployment::ensure(platform, &at, &spec, wait)?;
    let mut out = d.outputs();
    out.push(("created".into(), written.to_string()));
    Ok(out)
}

/// `deployment read`: one GET, no write. Checks the spec's inputs too when `model` is given (so
/// a plan refuses a bad one), and says whether the deployment exists and serves that spec:
/// `exists` false is a deployment deleted outside Terraform (Azure deletes idle fine-tuned
/// deployments). `restore_token` is the deployment's, or a fresh one when there is none (see
/// [`deployment::RESTORE_TAG`]). With `shutdown_dates` (and `model`), also the model's
/// retirement day and lifecycle status from the data plane's models endpoint, and a warning when
/// it stops serving within [`models::WARN_DAYS`]: the deployment stops with it.
pub(super) fn read(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let at = Location::parse(input)?;
    azure_only(platform)?;
    wait(input)?;
    let spec = match input.get("model") {
        Some(_) => Some(Spec::parse(input)?),
        None => None,
    };
    let with_dates = input.flag("shutdown_dates", false)?;
    if with_dates && spec.is_none() {
        return Err(InputError::invalid(
            "shutdown_dates",
            "true",
            "needs model: set model to the model the deployment serves, whose dates are read",
        )
        .into());
    }
    let found = deployment::read(platform, &at)?;
    let mut out: Output = match &found {
        Some(d) => d.outputs(),
        None => {
            let token = deployment::fresh_token(platform);
            OUTPUTS
                .iter()
                .map(|&k| {
                    let v = if k == "restore_token" {
                        token.clone()
                    } else {
                        String::new()
                    };
                    (k.to_string(), v)
                })
                .collect()
        }
    };
    out.push(("exists".into(), found.is_some().to_string()));
    let serves = match (&found, &spec) {
        (Some(d), Some(spec)) => d.provisioning_state == "Succeeded" && d.serves(spec),
        _ => false,
    };
    out.push(("serves".into(), serves.to_string()));
    let mut warnings = Vec::new();
    let retirement = match spec.as_ref().filter(|_| with_dates) {
        Some(spec) => {
            let r = models::retirement(platform, &spec.model)?;
            let now = platform.now();
            if let Some(w) =
                models::near_shutdown("deployed model", &spec.model, r.shutdown.as_deref(), now)
            {
                let w = format!(
                    "{w}, and deployment {} stops serving with it: train and deploy a successor \
                     before then",
                    at.name
                );
                platform.progress(&format!("warning: {w}"));
                warnings.push(Warning::new(Kind::DeployedModelShutdown, w));
            }
            r
        }
        None => models::Retirement::default(),
    };
    out.push((
        "model_shutdown_date".into(),
        retirement.shutdown.unwrap_or_default(),
    ));
    out.push((
        "model_lifecycle_status".into(),
        retirement.lifecycle.unwrap_or_default(),
    ));
    out.push(("warnings".into(), warning::to_json(&warnings)));
    Ok(out)
}

/// `deployment delete`: deletes the deployment (never the model) and waits until it is gone; an
/// absent one is success. Outputs `name` and `deleted` (whether there was one).
pub(super) fn delete(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let at = Location::parse(input)?;
    azure_only(platform)?;
    let wait = wait(input)?;
    let deleted = deployment::delete(platform, &at, wait)?;
    Ok(vec![
        ("name".into(), at.name),
        ("deleted".into(), deleted.to_string()),
    ])
}

pub(super) fn ensure_outcome(_: &Input, out: &Output) -> String {
    format!(
        "{} {} serving {} on {} (capacity {})",
        field(out, "name"),
        if field(out, "created") == "true" {
            "deployed"
        } else {
            "already deployed"
        },
        field(out, "model"),
        field(out, "sku"),
        field(out, "capacity")
    )
}

pub(super) fn read_outcome(input: &Input, out: &Output) -> String {
    if field(out, "exists") != "true" {
        return format!("{} does not exist", input.get("name").unwrap_or_default());
    }
    format!(
        "{} is {}, serving {} on {}",
        field(out, "name"),
        field(out, "provisioning_state"),
        field(out, "model"),
        field(out, "sku")
    )
}

pub(super) fn delete_outcome(_: &Input, out: &Output) -> String {
    if field(out, "deleted") == "true" {
        format!("{} deleted (the model stays)", field(out, "name"))
    } else {
        format!("{} was not there", field(out, "name"))
    }
}
