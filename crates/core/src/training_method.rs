//! How a model is trained: the one vocabulary the job request (`method.type`) and the
//! training-file format share, so neither has to know the other.

use std::fmt;

use crate::error::InputError;

/// How the model is trained; it decides the training-file format and which hyperparameters apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrainingMethod {
    #[default]
    Supervised,
    Dpo,
    Reinforcement,
}

impl TrainingMethod {
    pub const ALL: [TrainingMethod; 3] = [
        TrainingMethod::Supervised,
        TrainingMethod::Dpo,
        TrainingMethod::Reinforcement,
    ];

    /// The API's name, as in `method.type`.
    pub fn as_str(self) -> &'static str {
        match self {
            TrainingMethod::Supervised => "supervised",
            TrainingMethod::Dpo => "dpo",
            TrainingMethod::Reinforcement => "reinforcement",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, InputError> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == raw)
            .ok_or_else(|| {
                InputError::invalid(field, raw, "must be one of supervised, dpo, reinforcement")
            })
    }
}

impl fmt::Display for TrainingMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
