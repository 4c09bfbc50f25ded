//! Warnings a command reports in its output as well as on stderr: a data source's stderr never
//! reaches `terraform plan`, so the modules show every warning a command returns through one
//! `check` block, whose failed assertion is a warning in the plan text.

/// One warning: a stable `kind` (the key of the modules' `warnings` output) and the one-line
/// message a person reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub kind: Kind,
    pub message: String,
}

/// Every kind of warning. tests/terraform/test_warnings.py finds each in `terraform plan` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The base model shuts down within [`crate::models::WARN_DAYS`] days (`job check`).
    BaseModelShutdown,
    /// The job's fine-tuned model shuts down within that time (`job read`).
    FineTunedModelShutdown,
    /// The model a deployment serves shuts down within that time (`deployment read` with
    /// `shutdown_dates`).
    DeployedModelShutdown,
    /// The job ended `failed` (`job read`).
    JobFailed,
    /// The job ended `cancelled`, not for its timeout (`job read`).
    JobCancelled,
    /// The job was cancelled for running past `cancel_after_timeout` (`job read`).
    JobTimedOut,
    /// No job exists for the request although the module created one (`job read` with
    /// `if_missing = "report"`).
    JobMissing,
    /// Examples longer than the model's context window (the `file` commands).
    OverContextLimit,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::BaseModelShutdown => "base_model_shutdown",
            Kind::FineTunedModelShutdown => "fine_tuned_model_shutdown",
            Kind::DeployedModelShutdown => "deployed_model_shutdown",
            Kind::JobFailed => "job_failed",
            Kind::JobCancelled => "job_cancelled",
            Kind::JobTimedOut => "job_timed_out",
            Kind::JobMissing => "job_missing",
            Kind::OverContextLimit => "over_context_limit",
        }
    }
}

impl Warning {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// The `warnings` output: a JSON list of `{kind, message}` objects (`[]` when all is well).
pub fn to_json(warnings: &[Warning]) -> String {
    let list: Vec<serde_json::Value> = warnings
        .iter()
        .map(|w| serde_json::json!({"kind": w.kind.as_str(), "message": w.message}))
        .collect();
    serde_json::Value::Array(list).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_a_json_list_of_kind_and_message() {
        assert_eq!(to_json(&[]), "[]");
        let w = Warning::new(Kind::JobFailed, "job ftjob-1 failed: \"x\"");
        assert_eq!(
            to_json(&[w]),
            r#"[{"kind":"job_failed","message":"job ftjob-1 failed: \"x\""}]"#
        );
    }
}
