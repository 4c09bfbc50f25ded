//! The create-job request (`POST /fine_tuning/jobs`): parsed from the flat input map and checked at
//! the edge, so that every refusal names the field, the value and the rule before anything is sent,
//! and turned into the request body and a stable idempotency key.

mod body;
mod fields;
mod grader;
mod hyperparameters;
mod surface;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use self::fields::{MAX_METADATA_PAIRS, parse_integrations, parse_metadata, parse_suffix};
use self::hyperparameters::HyperparameterMap;
use crate::error::InputError;
use crate::ids::{FileId, ModelName};
use crate::input::Input;
pub use crate::training_method::TrainingMethod;
pub use fields::{TrainingType, WandbIntegration};
pub use grader::Grader;
pub use hyperparameters::{
    Auto, DpoHyperparameters, ReasoningEffort, ReinforcementHyperparameters,
    SupervisedHyperparameters, n_epochs_input,
};

/// The most a `seed` may be.
const MAX_SEED: u64 = 2_147_483_647;

/// Every input key [`JobSpec::parse`] reads. The caller refuses other keys with [`Input::only`]
/// (together with its own keys), so a typo is an error rather than an ignored setting.
pub const JOB_SPEC_KEYS: &[&str] = &[
    "model",
    "training_file",
    "validation_file",
    "suffix",
    "training_method",
    "hyperparameters",
    "grader",
    "seed",
    "metadata",
    "integrations",
    "training_type",
];

/// The training method with its own settings, so a DPO `beta` cannot end up on a supervised job.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    Supervised(SupervisedHyperparameters),
    Dpo(DpoHyperparameters),
    Reinforcement {
        hyperparameters: ReinforcementHyperparameters,
        grader: Grader,
    },
}

/// The hyperparameters every method has: batch size, learning rate multiplier and epochs.
type CommonHyperparameters = (Option<Auto<u32>>, Option<Auto<f64>>, Option<Auto<u32>>);

impl Method {
    /// Every method's batch size, learning rate multiplier and epochs.
    pub(crate) fn common(&self) -> CommonHyperparameters {
        match self {
            Method::Supervised(h) => (h.batch_size, h.learning_rate_multiplier, h.n_epochs),
            Method::Dpo(h) => (h.batch_size, h.learning_rate_multiplier, h.n_epochs),
            Method::Reinforcement {
                hyperparameters: h, ..
            } => (h.batch_size, h.learning_rate_multiplier, h.n_epochs),
        }
    }

    pub fn training_method(&self) -> TrainingMethod {
        match self {
            Method::Supervised(_) => TrainingMethod::Supervised,
            Method::Dpo(_) => TrainingMethod::Dpo,
            Method::Reinforcement { .. } => TrainingMethod::Reinforcement,
        }
    }

    /// The `n_epochs` the user set (`None`: unset, which the service treats as `auto`).
    pub fn n_epochs(&self) -> Option<Auto<u32>> {
        match self {
            Method::Supervised(h) => h.n_epochs,
            Method::Dpo(h) => h.n_epochs,
            Method::Reinforcement {
                hyperparameters, ..
            } => hyperparameters.n_epochs,
        }
    }
}

/// A checked create-job request.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    pub model: ModelName,
    pub training_file: FileId,
    pub validation_file: Option<FileId>,
    pub suffix: Option<String>,
    pub method: Method,
    pub seed: Option<u32>,
    /// Sorted by key; at most [`MAX_METADATA_PAIRS`].
    pub metadata: BTreeMap<String, String>,
    pub integrations: Vec<WandbIntegration>,
    pub training_type: Option<TrainingType>,
}

impl JobSpec {
    /// Reads and checks every key of [`JOB_SPEC_KEYS`]; does not refuse other keys.
    pub fn parse(input: &Input) -> Result<JobSpec, InputError> {
        let model = ModelName::parse(
            "model",
            input.require(
                "model",
                "set it to the base model to fine-tune, e.g. \"gpt-4o-mini-2024-07-18\"",
            )?,
        )?;
        let training_file = FileId::parse(
            "training_file",
            input.require(
                "training_file",
                "set it to the id of the uploaded training file, like \"file-abc123\"",
            )?,
        )?;
        let validation_file = input
            .get("validation_file")
            .map(|raw| FileId::parse("validation_file", raw))
            .transpose()?;
        if let Some(v) = &validation_file
            && *v == training_file
        {
            return Err(InputError::invalid(
                "validation_file",
                v.as_str(),
                "is the training file too; validation data must not repeat the training data \
                 (leave validation_file unset instead)",
            ));
        }
        let suffix = input.get("suffix").map(parse_suffix).transpose()?;
        let training_method = match input.get("training_method") {
            None => TrainingMethod::Supervised,
            Some(raw) => TrainingMethod::parse("training_method", raw)?,
        };
        let mut hp = HyperparameterMap::parse(input.get("hyperparameters"), training_method)?;
        let grader = grader::parse_grader(input.get("grader"), training_method)?;
        let method = match (training_method, grader) {
            (TrainingMethod::Supervised, _) => Method::Supervised(SupervisedHyperparameters {
                batch_size: hp.batch_size()?,
                learning_rate_multiplier: hp.learning_rate_multiplier()?,
                n_epochs: hp.n_epochs()?,
            }),
            (TrainingMethod::Dpo, _) => Method::Dpo(DpoHyperparameters {
                batch_size: hp.batch_size()?,
                learning_rate_multiplier: hp.learning_rate_multiplier()?,
                n_epochs: hp.n_epochs()?,
                beta: hp.number(
                    "beta",
                    |x| x > 0.0 && x <= 2.0,
                    "must be \"auto\" or a number greater than 0 and at most 2",
                )?,
            }),
            (TrainingMethod::Reinforcement, None) => {
                return Err(InputError::missing(
                    "grader",
                    "the reinforcement training method needs a grader (a jsonencode()d grader \
                     object)",
                ));
            }
            (TrainingMethod::Reinforcement, Some(grader)) => Method::Reinforcement {
                hyperparameters: ReinforcementHyperparameters {
                    batch_size: hp.batch_size()?,
                    learning_rate_multiplier: hp.learning_rate_multiplier()?,
                    n_epochs: hp.n_epochs()?,
                    compute_multiplier: hp.number(
                        "compute_multiplier",
                        |x| x > 0.00001 && x <= 10.0,
                        "must be \"auto\" or a number greater than 0.00001 and at most 10",
                    )?,
                    eval_interval: hp.integer("eval_interval", 1, None)?,
                    eval_samples: hp.integer("eval_samples", 1, None)?,
                    reasoning_effort: hp.reasoning_effort()?,
                },
                grader,
            },
        };
        let seed = input
            .integer("seed", 0, MAX_SEED)?
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        let metadata = parse_metadata(input.get("metadata"))?;
        let integrations = parse_integrations(input.get("integrations"))?;
        let training_type = input
            .get("training_type")
            .map(|raw| TrainingType::parse("training_type", raw))
            .transpose()?;
        Ok(JobSpec {
            model,
            training_file,
            validation_file,
            suffix,
            method,
            seed,
            metadata,
            integrations,
            training_type,
        })
    }

    /// Refuses metadata that leaves fewer than `reserved` free pairs, for the caller's own stamps
    /// (its idempotency key), saying how many pairs the user may use.
    pub fn check_metadata_room(&self, reserved: usize) -> Result<(), InputError> {
        let allowed = MAX_METADATA_PAIRS.saturating_sub(reserved);
        if self.metadata.len() <= allowed {
            return Ok(());
        }
        Err(InputError::invalid(
            "metadata",
            &serde_json::to_string(&self.metadata).unwrap_or_default(),
            format!(
                "has {} pairs; you may use at most {allowed} (the API allows {MAX_METADATA_PAIRS} \
                 and openai-ft adds {reserved} of its own)",
                self.metadata.len()
            ),
        ))
    }
}
