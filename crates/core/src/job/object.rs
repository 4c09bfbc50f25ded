//! The fine-tuning job, its events and checkpoints as the API returns them, parsed into types
//! that carry meaning, and how they are shown to Terraform as flat strings.

use serde::{Deserialize, Deserializer};

use crate::api::page::listed_by_id;

/// A job's status. Open-ended: the API returns values its enum does not list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStatus {
    ValidatingFiles,
    Queued,
    Running,
    Paused,
    Succeeded,
    Failed,
    Cancelled,
    /// Azure: accepted, not yet validated (never returned in practice).
    Created,
    /// Azure: waiting (OpenAI's `validating_files` and `queued`).
    Pending,
    /// Azure: a pause is under way.
    Pausing,
    /// Azure: a resume is under way.
    Resuming,
    Other(String),
}

impl JobStatus {
    pub fn parse(s: &str) -> Self {
        match s {
            "validating_files" => Self::ValidatingFiles,
            "queued" => Self::Queued,
            "running" => Self::Running,
            "paused" => Self::Paused,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            "created" => Self::Created,
            "pending" => Self::Pending,
            "pausing" => Self::Pausing,
            "resuming" => Self::Resuming,
            other => Self::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::ValidatingFiles => "validating_files",
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Created => "created",
            Self::Pending => "pending",
            Self::Pausing => "pausing",
            Self::Resuming => "resuming",
            Self::Other(s) => s,
        }
    }

    /// The status in OpenAI's vocabulary, which is what modules and users act on: Azure's extra
    /// states map onto the nearest OpenAI state (the API's own word stays in `api_status`).
    pub fn common(&self) -> &str {
        match self {
            Self::Created => "validating_files",
            Self::Pending => "queued",
            Self::Pausing => "paused",
            Self::Resuming => "running",
            other => other.as_str(),
        }
    }

    /// Succeeded, failed and cancelled never change again.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

impl<'de> Deserialize<'de> for JobStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::parse(&String::deserialize(d)?))
    }
}

/// Why a job failed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct JobError {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub param: Option<String>,
}

/// The fields of `fine_tuning.job` this tool uses. Everything beyond `id` and `status` is
/// optional because Azure and gateways leave fields out or null.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Job {
    pub id: String,
    pub status: JobStatus,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub fine_tuned_model: Option<String>,
    #[serde(default)]
    pub created_at: u64,
    #[serde(default)]
    pub finished_at: Option<u64>,
    #[serde(default)]
    pub trained_tokens: Option<u64>,
    #[serde(default)]
    pub estimated_finish: Option<u64>,
    #[serde(default)]
    pub error: Option<JobError>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub result_files: Vec<String>,
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// The training and validation files and the seed: what finds a job on a server that keeps
    /// neither metadata nor suffix (see `job::create::carries_key`).
    #[serde(default)]
    pub training_file: Option<String>,
    #[serde(default)]
    pub validation_file: Option<String>,
    #[serde(default)]
    pub seed: Option<u64>,
    /// Azure's dated API calls the user's suffix `suffix`; OpenAI and Azure v1 echo it as
    /// `user_provided_suffix`.
    #[serde(default)]
    pub suffix: Option<String>,
    #[serde(default)]
    pub user_provided_suffix: Option<String>,
}

/// A job event.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(default)]
    pub created_at: u64,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub message: String,
}

/// A checkpoint with its metrics.
#[derive(Debug, Clone, Deserialize)]
pub struct Checkpoint {
    pub id: String,
    pub fine_tuned_model_checkpoint: String,
    #[serde(default)]
    pub step_number: u64,
    #[serde(default)]
    pub metrics: serde_json::Map<String, serde_json::Value>,
}

listed_by_id!(Job, Event, Checkpoint);

fn null_as_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Shows an optional number as Terraform expects it: empty when the API said null.
pub fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

impl Job {
    /// No job: what outputs are built from where a job is missing, so they have the same keys.
    pub fn blank() -> Job {
        Job {
            id: String::new(),
            status: JobStatus::Other(String::new()),
            model: String::new(),
            fine_tuned_model: None,
            created_at: 0,
            finished_at: None,
            trained_tokens: None,
            estimated_finish: None,
            error: None,
            result_files: Vec::new(),
            metadata: None,
            training_file: None,
            validation_file: None,
            seed: None,
            suffix: None,
            user_provided_suffix: None,
        }
    }

    /// The outputs every job command shares (the seed's outputs plus the resolved model).
    pub fn outputs(&self) -> Vec<(String, String)> {
        let error = self
            .error
            .as_ref()
            .filter(|_| self.status == JobStatus::Failed);
        vec![
            ("id".into(), self.id.clone()),
            ("status".into(), self.status.common().to_owned()),
            ("api_status".into(), self.status.as_str().to_owned()),
            ("model".into(), self.model.clone()),
            (
                "fine_tuned_model".into(),
                self.fine_tuned_model.clone().unwrap_or_default(),
            ),
            ("created_at".into(), self.created_at.to_string()),
            ("finished_at".into(), opt(&self.finished_at)),
            ("trained_tokens".into(), opt(&self.trained_tokens)),
            ("estimated_finish".into(), opt(&self.estimated_finish)),
            (
                "error_code".into(),
                error.and_then(|e| e.code.clone()).unwrap_or_default(),
            ),
            (
                "error_message".into(),
                error.and_then(|e| e.message.clone()).unwrap_or_default(),
            ),
            (
                "result_files".into(),
                serde_json::to_string(&self.result_files).unwrap_or_else(|_| "[]".into()),
            ),
        ]
    }
}

/// The checkpoints as the JSON list Terraform gets: name, step and metrics, oldest first (the API
/// lists them newest first).
pub fn checkpoints_json(checkpoints: &[Checkpoint]) -> String {
    let list: Vec<serde_json::Value> = checkpoints
        .iter()
        .rev()
        .map(|c| {
            serde_json::json!({
                "name": c.fine_tuned_model_checkpoint,
                "step": c.step_number,
                "metrics": c.metrics,
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_statuses_survive() {
        let job: Job =
            serde_json::from_str(r#"{"id":"ftjob-1","status":"warming_up","result_files":null}"#)
                .unwrap();
        assert_eq!(job.status, JobStatus::Other("warming_up".into()));
        assert_eq!(job.status.common(), "warming_up");
        assert!(!job.status.is_terminal());
        assert!(job.result_files.is_empty());
    }

    #[test]
    fn azure_statuses_map_onto_openai_ones() {
        for (azure, common) in [
            ("created", "validating_files"),
            ("pending", "queued"),
            ("pausing", "paused"),
            ("resuming", "running"),
        ] {
            let status = JobStatus::parse(azure);
            assert_eq!(status.as_str(), azure);
            assert_eq!(status.common(), common);
            assert!(!status.is_terminal());
        }
    }

    #[test]
    fn nulls_become_empty_strings() {
        let job: Job = serde_json::from_str(
            r#"{"id":"ftjob-1","object":"fine_tuning.job","status":"running","model":"gpt-4o-mini-2024-07-18",
                "created_at":1700000000,"finished_at":null,"fine_tuned_model":null,"trained_tokens":null,
                "result_files":[],"error":null}"#,
        )
        .unwrap();
        let out: std::collections::BTreeMap<_, _> = job.outputs().into_iter().collect();
        assert_eq!(out["finished_at"], "");
        assert_eq!(out["fine_tuned_model"], "");
        assert_eq!(out["created_at"], "1700000000");
        assert_eq!(out["result_files"], "[]");
    }
}
