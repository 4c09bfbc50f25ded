//! Which service the emulator pretends to be: OpenAI, Azure OpenAI's v1 surface, or Azure OpenAI's
//! classic dated surface. The state machine and handlers are shared; every difference between the
//! three is one method of [`Surface`] below (or [`training_type`]), so a reader sees all of them in
//! one place. The enum itself is the core's: only the name is shared with the client. What the
//! server does on each surface is defined here on its own, so a wrong belief in the client cannot
//! hide by being mirrored in its test bed.

use crate::errors::ApiError;
use crate::query::Query;
use crate::state::{JobStatus, Rng};

pub use openai_ft_core::Flavor;

/// `api-version` values the v1 surface accepts.
const V1_API_VERSIONS: &[&str] = &["v1", "preview"];

/// Dated `api-version` values the classic surface accepts for fine-tuning (authoring) calls.
pub const CLASSIC_API_VERSIONS: &[&str] = &[
    "2024-05-01-preview",
    "2024-07-01-preview",
    "2024-08-01-preview",
    "2024-09-01-preview",
    "2024-10-01-preview",
    "2024-10-21",
    "2024-12-01-preview",
    "2025-01-01-preview",
    "2025-02-01-preview",
    "2025-03-01-preview",
    "2025-04-01-preview",
];

/// `trainingType` values (Azure only), lower-cased, with the canonical name each one means. The
/// docs spell the tiers several ways; the two long forms are the ones they use besides the short ones.
const TRAINING_TYPES: &[(&str, &str)] = &[
    ("standard", "standard"),
    ("global", "global"),
    ("globalstandard", "global"),
    ("developer", "developer"),
    ("developertier", "developer"),
];

/// The server-side differences between the surfaces, one method each.
pub trait Surface: Copy {
    /// Azure's two surfaces, as against OpenAI's.
    fn is_azure(self) -> bool;
    /// The path prefix of the API (what `Running::url()` appends to the endpoint).
    fn prefix(self) -> &'static str;
    /// The part of `path` below the API prefix (`fine_tuning/jobs`), or `None` outside the API.
    fn api_path(self, path: &str) -> Option<&str>;
    /// Whether `path` is an API path (counted, logged by key, faultable).
    fn is_api_path(self, path: &str) -> bool;
    /// Azure has no checkpoint-permissions API: those paths are unknown routes there.
    fn has_permissions(self) -> bool;
    /// Azure's job list takes only `after` and `limit`; `metadata[...]` is ignored.
    fn honours_metadata_filters(self) -> bool;
    /// The classic job object has no `metadata`, so the classic surface drops it on create.
    fn keeps_metadata(self) -> bool;
    /// Checks the `api-version` query parameter the surface requires or allows.
    fn check_api_version(self, q: &Query) -> Result<(), ApiError>;
    /// The status a successful call answers with: classic create is 201 (with a `Location`).
    fn created_status(self) -> u16;
    /// How a job status is spelled. Azure has no `validating_files`/`queued`: both are `pending`.
    fn status_name(self, s: JobStatus) -> &'static str;
    /// Where pause leads: Azure passes through `pausing` for one step, OpenAI is `paused` at once.
    fn pause_status(self) -> JobStatus;
    /// Where resume leads: Azure passes through `resuming` for one step, OpenAI goes back to `queued`.
    fn resume_status(self) -> JobStatus;
    /// A new job id and the unique tag used in its fine-tuned model name. Azure names the model
    /// after the job (`<base>.ft-<jobhex>`), so there the tag is the id's 32 hex digits.
    fn job_id(self, rng: &mut Rng) -> (String, String);
    /// The fine-tuned model name: `ft:<base>:<org>:<suffix>:<tag>` on OpenAI, `<base>.ft-<tag>` on
    /// Azure (which leaves the suffix out of the name).
    fn fine_tuned_model(self, base: &str, org: &str, suffix: Option<&str>, tag: &str) -> String;
    /// Upload processing: how many job steps a fine-tune file stays `pending`/`running` before it
    /// is `processed` (or `error`). OpenAI files are usable at once.
    fn file_processing_steps(self) -> u64;
    /// The longest `suffix`: the classic spec says 40 characters, the v1 schema keeps OpenAI's 64.
    fn max_suffix(self) -> usize;
}

impl Surface for Flavor {
    fn is_azure(self) -> bool {
        self != Flavor::OpenAi
    }

    fn prefix(self) -> &'static str {
        match self {
            Flavor::OpenAi => "/v1",
            Flavor::Azure => "/openai/v1",
            Flavor::AzureClassic => "/openai",
        }
    }

    fn api_path(self, path: &str) -> Option<&str> {
        path.strip_prefix(self.prefix())?.strip_prefix('/')
    }

    fn is_api_path(self, path: &str) -> bool {
        path == self.prefix() || self.api_path(path).is_some()
    }

    fn has_permissions(self) -> bool {
        self == Flavor::OpenAi
    }

    fn honours_metadata_filters(self) -> bool {
        self == Flavor::OpenAi
    }

    fn keeps_metadata(self) -> bool {
        self != Flavor::AzureClassic
    }

    fn check_api_version(self, q: &Query) -> Result<(), ApiError> {
        let given = q.get("api-version");
        let allowed = match self {
            Flavor::OpenAi => return Ok(()),
            Flavor::Azure => V1_API_VERSIONS,
            Flavor::AzureClassic => CLASSIC_API_VERSIONS,
        };
        let list = allowed.join(", ");
        match given {
            None if self == Flavor::Azure => Ok(()),
            None => Err(ApiError::invalid(
                Some("api-version"),
                format!(
                    "Missing required query parameter 'api-version'. Supported versions: {list}."
                ),
            )
            .with_code("missing_api_version")),
            Some(v) if allowed.contains(&v) => Ok(()),
            Some(v) => Err(ApiError::invalid(
                Some("api-version"),
                format!("Unsupported api-version '{v}'. Supported versions: {list}."),
            )
            .with_code("unsupported_api_version")),
        }
    }

    fn created_status(self) -> u16 {
        if self == Flavor::AzureClassic {
            201
        } else {
            200
        }
    }

    fn status_name(self, s: JobStatus) -> &'static str {
        match (self, s) {
            (Flavor::OpenAi, s) => s.as_str(),
            (_, JobStatus::ValidatingFiles | JobStatus::Queued) => "pending",
            (_, s) => s.as_str(),
        }
    }

    fn pause_status(self) -> JobStatus {
        if self.is_azure() {
            JobStatus::Pausing
        } else {
            JobStatus::Paused
        }
    }

    fn resume_status(self) -> JobStatus {
        if self.is_azure() {
            JobStatus::Resuming
        } else {
            JobStatus::Queued
        }
    }

    fn job_id(self, rng: &mut Rng) -> (String, String) {
        if self.is_azure() {
            let hex = format!("{:016x}{:016x}", rng.next(), rng.next());
            (format!("ftjob-{hex}"), hex)
        } else {
            (rng.id("ftjob-", 24), rng.id("", 8))
        }
    }

    fn fine_tuned_model(self, base: &str, org: &str, suffix: Option<&str>, tag: &str) -> String {
        if self.is_azure() {
            format!("{base}.ft-{tag}")
        } else {
            format!("ft:{base}:{org}:{}:{tag}", suffix.unwrap_or(""))
        }
    }

    fn file_processing_steps(self) -> u64 {
        if self.is_azure() { 2 } else { 0 }
    }

    fn max_suffix(self) -> usize {
        if self == Flavor::AzureClassic { 40 } else { 64 }
    }
}

/// Parses Azure's `trainingType` (case-insensitive) to its canonical lower-case name.
pub fn training_type(v: &serde_json::Value) -> Result<String, ApiError> {
    let refuse = || {
        ApiError::invalid(
            Some("trainingType"),
            format!(
                "Invalid value for 'trainingType': {v}. Supported values are: 'standard', 'global' and 'developer' (case-insensitive)."
            ),
        )
        .with_code("invalid_value")
    };
    let s = v.as_str().ok_or_else(refuse)?.to_ascii_lowercase();
    TRAINING_TYPES
        .iter()
        .find(|(k, _)| *k == s)
        .map(|(_, canonical)| canonical.to_string())
        .ok_or_else(refuse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_the_prefix_of_each_surface() {
        assert_eq!(Flavor::OpenAi.api_path("/v1/files"), Some("files"));
        assert_eq!(Flavor::Azure.api_path("/openai/v1/files"), Some("files"));
        assert_eq!(Flavor::Azure.api_path("/v1/files"), None);
        assert_eq!(
            Flavor::AzureClassic.api_path("/openai/files"),
            Some("files")
        );
        assert_eq!(Flavor::AzureClassic.api_path("/openaifiles"), None);
    }

    #[test]
    fn names_statuses_per_surface() {
        assert_eq!(Flavor::OpenAi.status_name(JobStatus::Queued), "queued");
        assert_eq!(Flavor::Azure.status_name(JobStatus::Queued), "pending");
        assert_eq!(
            Flavor::AzureClassic.status_name(JobStatus::ValidatingFiles),
            "pending"
        );
        assert_eq!(Flavor::Azure.status_name(JobStatus::Pausing), "pausing");
    }

    #[test]
    fn reads_training_types_case_insensitively() {
        assert_eq!(
            training_type(&serde_json::json!("GlobalStandard")).as_deref(),
            Ok("global")
        );
        assert!(training_type(&serde_json::json!("premium")).is_err());
        assert!(training_type(&serde_json::json!(1)).is_err());
    }
}
