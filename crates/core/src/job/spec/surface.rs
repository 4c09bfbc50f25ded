//! What a checked request must also be on the surface it goes to: Azure's documented suffix
//! characters, what Azure's APIs cannot express (a method, a grader, integrations, a training
//! type), and Azure's training type on OpenAI, each refused with the setting that would carry it.
//! `job check` runs these at plan time.

use super::{JobSpec, Method};
use crate::error::InputError;
use crate::flavor::{DatedApi, Surface};

/// The GA version the refusals name (the newest; every GA version has its shapes).
const GA: &str = "2024-10-21";

/// Where the dated API's refusals send a job it cannot train.
const V1_INSTEAD: &str = "use Azure OpenAI's v1 API (OPENAI_FT_FLAVOR=azure)";

impl JobSpec {
    /// Refuses what `surface` cannot carry for this request.
    pub fn check_surface(&self, surface: Surface) -> Result<(), InputError> {
        if surface == Surface::OpenAi {
            return match self.training_type {
                Some(t) => Err(InputError::invalid(
                    "training_type",
                    t.spelled(false),
                    "is Azure OpenAI's setting, which the OpenAI API refuses; leave it unset, or \
                     set AZURE_OPENAI_ENDPOINT to train on Azure",
                )),
                None => Ok(()),
            };
        }
        if let Some(s) = &self.suffix
            && !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(InputError::invalid(
                "suffix",
                s,
                "may only contain letters, digits, \"-\" and \"_\" on Azure OpenAI (Microsoft \
                 documents a-z, A-Z, 0-9, - and _; a model name there cannot hold a \".\")",
            ));
        }
        let method = self.method.training_method();
        match surface {
            Surface::AzureDated(DatedApi::Ga) => {
                if method != crate::training_method::TrainingMethod::Supervised {
                    let instead = if matches!(self.method, Method::Dpo(_)) {
                        format!("set OPENAI_API_VERSION=2025-04-01-preview, or {V1_INSTEAD}")
                    } else {
                        V1_INSTEAD.to_owned()
                    };
                    return Err(InputError::invalid(
                        "training_method",
                        method.as_str(),
                        format!(
                            "Azure OpenAI's GA api-version ({GA}) trains supervised jobs only \
                             (it has no method field); {instead}"
                        ),
                    ));
                }
                if let Some(i) = self.integrations.first() {
                    return Err(InputError::invalid(
                        "integrations",
                        &format!("wandb project {}", i.project),
                        format!(
                            "Azure OpenAI's GA api-version ({GA}) takes no integrations; set \
                             OPENAI_API_VERSION=2025-04-01-preview, or {V1_INSTEAD}"
                        ),
                    ));
                }
                if let Some(t) = self.training_type {
                    return Err(InputError::invalid(
                        "training_type",
                        t.spelled(true),
                        format!(
                            "Azure OpenAI's GA api-version ({GA}) takes no trainingType \
                             (Microsoft documents it from 2025-04-01-preview on); set \
                             OPENAI_API_VERSION=2025-04-01-preview, {V1_INSTEAD}, or leave \
                             training_type unset"
                        ),
                    ));
                }
            }
            Surface::AzureDated(DatedApi::Preview) => {
                if matches!(self.method, Method::Reinforcement { .. }) {
                    return Err(InputError::invalid(
                        "training_method",
                        method.as_str(),
                        format!(
                            "Azure OpenAI's dated API (2025-04-01-preview) trains supervised and \
                             dpo jobs only; for reinforcement {V1_INSTEAD}"
                        ),
                    ));
                }
            }
            Surface::AzureV1 => {
                if let Method::Reinforcement { grader, .. } = &self.method
                    && grader.kind() == Some("python")
                {
                    return Err(InputError::invalid(
                        "grader.type",
                        "python",
                        "Azure OpenAI has no python grader; use string_check, text_similarity, \
                         score_model or multi",
                    ));
                }
            }
            Surface::OpenAi => {}
        }
        Ok(())
    }
}
