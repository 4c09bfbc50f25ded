//! Which service the emulator pretends to be, and what each request's answer must match. The
//! flavour (OpenAI, or an Azure OpenAI resource, which serves both its v1 surface under
//! `/openai/v1` and its dated surface under `/openai`) decides where the API is mounted and how a
//! job's life goes; the [`Surface`] of one request (its path, and on the dated surface the
//! `api-version` it names) decides what the request may hold and how the answer is shaped, each from that surface's own spec: OpenAI's `openapi.yaml`, Azure's
//! `azure-v1-v1-generated.yaml`, and the dated `azureopenai.json` of 2024-10-21 and
//! 2025-04-01-preview. Every difference between them is one method here (or in [`Switches`] where
//! the specs leave it open), so a reader sees all of them in one place. The enum itself is the
//! core's: only the name is shared with the client, and what the server does is defined here on
//! its own, so a wrong belief in the client cannot hide by being mirrored in its test bed.

use crate::config::Config;
use crate::errors::{ApiError, ErrorShape};
use crate::query::Query;
use crate::state::{JobStatus, Method, Rng};

pub use openai_ft_core::Flavor;

/// `api-version` values the v1 surface accepts (its `AzureAIFoundryModelsApiVersion` enum).
const V1_API_VERSIONS: &[&str] = &["v1", "preview"];

/// Where a flavour is mounted and how a job's life goes on it: what holds for every request of
/// the flavour, whatever its `api-version`.
pub trait Mount: Copy {
    /// The path prefix of the flavour's API (what `Running::url()` appends to the endpoint): an
    /// Azure resource serves both surfaces, and the flavour names the one handed out.
    fn prefix(self) -> &'static str;
    /// The part of `path` below the API prefix (`fine_tuning/jobs`), or `None` outside the API.
    fn api_path(self, path: &str) -> Option<&str>;
    /// Whether `path` is an API path (counted, logged by key, faultable).
    fn is_api_path(self, path: &str) -> bool;
    /// A new job id and the unique tag used in its fine-tuned model name. Azure names the model
    /// after the job (`<base>.ft-<jobhex>`), so there the tag is the id's 32 hex digits.
    fn job_id(self, rng: &mut Rng) -> (String, String);
    /// The fine-tuned model name: `ft:<base>:<org>:<suffix>:<tag>` on OpenAI, `<base>.ft-<tag>` on
    /// Azure (which leaves the suffix out of the name).
    fn fine_tuned_model(self, base: &str, org: &str, suffix: Option<&str>, tag: &str) -> String;
    /// Upload processing: how many job steps a fine-tune file stays `pending`/`running` before it
    /// is `processed` (or `error`). OpenAI files are usable at once.
    fn file_processing_steps(self) -> u64;
}

impl Mount for Flavor {
    fn prefix(self) -> &'static str {
        match self {
            Flavor::OpenAi => "/v1",
            Flavor::Azure => "/openai/v1",
            Flavor::AzureClassic => "/openai",
        }
    }

    fn api_path(self, path: &str) -> Option<&str> {
        let below = |prefix: &str| path.strip_prefix(prefix)?.strip_prefix('/');
        if self == Flavor::OpenAi {
            return below("/v1");
        }
        below("/openai/v1").or_else(|| below("/openai"))
    }

    fn is_api_path(self, path: &str) -> bool {
        path == self.prefix() || self.api_path(path).is_some()
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
}

/// A dated version of Azure's authoring API, each served from its own spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dated {
    /// `2024-10-21`, the newest GA authoring version: no `method`, no pause/resume, no
    /// `trainingType`, no `expires_after`, no integrations.
    Ga,
    /// `2025-04-01-preview`, the newest dated preview: `method` (supervised, dpo), pause/resume,
    /// integrations, and `expires_after.*` on upload.
    Preview,
}

impl Dated {
    pub const ALL: [Dated; 2] = [Dated::Ga, Dated::Preview];

    pub fn version(self) -> &'static str {
        match self {
            Dated::Ga => "2024-10-21",
            Dated::Preview => "2025-04-01-preview",
        }
    }

    fn parse(v: &str) -> Option<Dated> {
        Dated::ALL.into_iter().find(|d| d.version() == v)
    }
}

/// The `api-version` values the dated surface serves, one per spec the emulator follows.
pub const CLASSIC_API_VERSIONS: &[&str] = &["2024-10-21", "2025-04-01-preview"];

/// The API one request speaks: what it may hold and what its answer must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    OpenAi,
    /// Azure OpenAI's v1 surface (`azure-v1-v1-generated.yaml`).
    V1,
    /// One version of Azure's dated surface.
    Dated(Dated),
}

/// The `trainingType` spellings Microsoft documents for the v1 surface: the OpenAI client
/// examples against `/openai/v1` send `GlobalStandard` ("Other options are `Standard` and
/// `Developer`"; azure-ai-docs `fine-tuning-oai-sdk.md`).
const V1_TRAINING_TYPES: &[&str] = &["Standard", "GlobalStandard", "Developer"];

/// The spellings documented with `api-version=2025-04-01-preview`: `globalstandard` and
/// `developerTier` (azure-ai-docs `fine-tuning-rest.md`, `fine-tuning-oai-sdk.md`), and the tier
/// names as the training-type sections write them (`Standard`).
const PREVIEW_TRAINING_TYPES: &[&str] = &["Standard", "globalstandard", "developerTier"];

impl Surface {
    /// The surface a request to `path` of `flavor` speaks, from the path and its `api-version`:
    /// on an Azure resource `/openai/v1/...` is v1 (the version optional, `v1` or `preview`) and
    /// any other `/openai/...` the dated surface (the version required, one of
    /// [`CLASSIC_API_VERSIONS`]); the version is ignored on OpenAI.
    pub fn of(flavor: Flavor, path: &str, q: &Query) -> Result<Surface, ApiError> {
        let given = q.get("api-version");
        match Surface::fallback(flavor, path) {
            Surface::OpenAi => Ok(Surface::OpenAi),
            Surface::V1 => match given {
                None => Ok(Surface::V1),
                Some(v) if V1_API_VERSIONS.contains(&v) => Ok(Surface::V1),
                Some(v) => Err(unsupported_version(v, V1_API_VERSIONS)),
            },
            Surface::Dated(_) => match given {
                None => Err(ApiError::invalid(
                    Some("api-version"),
                    format!(
                        "Missing required query parameter 'api-version'. Supported versions: {}.",
                        CLASSIC_API_VERSIONS.join(", ")
                    ),
                )
                .with_code("missing_api_version")),
                Some(v) => Dated::parse(v)
                    .map(Surface::Dated)
                    .ok_or_else(|| unsupported_version(v, CLASSIC_API_VERSIONS)),
            },
        }
    }

    /// The surface to shape an answer to `path` in when the request's own `api-version` is bad (a
    /// fault, an error about the version itself): v1 below `/openai/v1`, the newest dated version
    /// below `/openai`, else the flavour's own.
    pub fn fallback(flavor: Flavor, path: &str) -> Surface {
        let under = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        match flavor {
            Flavor::OpenAi => Surface::OpenAi,
            _ if under("/openai/v1") => Surface::V1,
            _ if under("/openai") => Surface::Dated(Dated::Preview),
            Flavor::Azure => Surface::V1,
            Flavor::AzureClassic => Surface::Dated(Dated::Preview),
        }
    }

    /// The surface's name in the response journal: `openai`, `azure-v1`, or `azure-` and the
    /// dated version.
    pub fn name(self) -> &'static str {
        match self {
            Surface::OpenAi => "openai",
            Surface::V1 => "azure-v1",
            Surface::Dated(Dated::Ga) => "azure-2024-10-21",
            Surface::Dated(Dated::Preview) => "azure-2025-04-01-preview",
        }
    }

    /// The shape of the surface's error bodies.
    pub fn error_shape(self) -> ErrorShape {
        match self {
            Surface::OpenAi => ErrorShape::OpenAi,
            Surface::V1 => ErrorShape::AzureV1,
            Surface::Dated(_) => ErrorShape::AzureDated,
        }
    }

    pub fn is_dated(self) -> bool {
        matches!(self, Surface::Dated(_))
    }

    /// The checkpoint-permissions operations exist only on OpenAI.
    pub fn has_permissions(self) -> bool {
        self == Surface::OpenAi
    }

    /// Pause and resume: OpenAI, v1 and the dated preview; 2024-10-21 has neither.
    pub fn has_pause(self) -> bool {
        self != Surface::Dated(Dated::Ga)
    }

    /// `DELETE /fine_tuning/jobs/{id}` and `POST /files/import`: the dated surface only.
    pub fn has_job_delete_and_import(self) -> bool {
        self.is_dated()
    }

    /// `DELETE /models/{model}`: OpenAI only (neither Azure spec has it).
    pub fn has_model_delete(self) -> bool {
        self == Surface::OpenAi
    }

    /// OpenAI's job list filters by `metadata[...]`; Azure's takes only `after` and `limit`.
    pub fn honours_metadata_filters(self) -> bool {
        self == Surface::OpenAi
    }

    /// Whether a created job keeps its `metadata`: always on OpenAI, never on the dated surface
    /// (its job has no such field), and on v1 as [`Switches::v1_metadata`] says.
    pub fn keeps_metadata(self, config: &Config) -> bool {
        match self {
            Surface::OpenAi => true,
            Surface::V1 => config.switches.v1_metadata == Keep::Keep,
            Surface::Dated(_) => false,
        }
    }

    /// The status a successful create answers with: the dated surface's creates (job, upload,
    /// import) are 201 with a `Location`; v1's are 200 as its spec says, or 201 (as the dated
    /// API's are) by [`Switches::v1_creates_201`].
    pub fn created_status(self, config: &Config) -> u16 {
        match self {
            Surface::Dated(_) => 201,
            Surface::V1 if config.switches.v1_creates_201 => 201,
            _ => 200,
        }
    }

    /// How a job status is spelled. OpenAI's own words; v1 as [`Switches::v1_statuses`] says;
    /// the dated surface has no `validating_files`/`queued` (both are `pending`), and 2024-10-21
    /// no pause states (a job paused through a newer version reads as `running` there).
    pub fn status_name(self, s: JobStatus, config: &Config) -> &'static str {
        let dated_words = |s: JobStatus| match s {
            JobStatus::ValidatingFiles | JobStatus::Queued => "pending",
            s => s.as_str(),
        };
        match self {
            Surface::OpenAi => s.as_str(),
            Surface::V1 => match config.switches.v1_statuses {
                V1Statuses::Azure => dated_words(s),
                // The v1 enum has OpenAI's six words, and pause without a word for its result:
                // a paused job is `paused`, as OpenAI's own pause example answers.
                V1Statuses::Spec => match s {
                    JobStatus::Pausing => "paused",
                    JobStatus::Resuming => "running",
                    s => s.as_str(),
                },
            },
            Surface::Dated(Dated::Preview) => dated_words(s),
            Surface::Dated(Dated::Ga) => match s {
                JobStatus::Pausing | JobStatus::Paused | JobStatus::Resuming => "running",
                s => dated_words(s),
            },
        }
    }

    /// Where pause leads: Azure's words pass through `pausing` for one step; OpenAI, and v1 in
    /// its schema's words (which have none for it), are `paused` at once.
    pub fn pause_status(self, config: &Config) -> JobStatus {
        match self {
            Surface::OpenAi => JobStatus::Paused,
            Surface::V1 if config.switches.v1_statuses == V1Statuses::Spec => JobStatus::Paused,
            _ => JobStatus::Pausing,
        }
    }

    /// Where resume leads: Azure passes through `resuming` for one step, OpenAI goes back to
    /// `queued`.
    pub fn resume_status(self) -> JobStatus {
        match self {
            Surface::OpenAi => JobStatus::Queued,
            _ => JobStatus::Resuming,
        }
    }

    /// The longest `suffix`: the dated spec says 40 characters, the v1 schema keeps OpenAI's 64.
    pub fn max_suffix(self) -> usize {
        if self.is_dated() { 40 } else { 64 }
    }

    /// The characters a `suffix` may hold, where the spec says: "a-z, A-Z, 0-9, - and _" on the
    /// dated surface; any elsewhere (the v1 and OpenAI schemas give only its length).
    pub fn suffix_allows(self, c: char) -> bool {
        !self.is_dated() || c.is_ascii_alphanumeric() || c == '-' || c == '_'
    }

    /// Whether a create-job body may hold the top-level field `name` (`trainingType` is
    /// [`training_types`]' business). Anything else is refused, as the real API refuses an unknown
    /// argument.
    ///
    /// [`training_types`]: Surface::training_types
    pub fn takes_create_field(self, name: &str) -> bool {
        const EVERY: &[&str] = &[
            "model",
            "training_file",
            "validation_file",
            "hyperparameters",
            "suffix",
            "seed",
        ];
        let more: &[&str] = match self {
            Surface::OpenAi | Surface::V1 => &["integrations", "method", "metadata"],
            Surface::Dated(Dated::Preview) => &["integrations", "method"],
            Surface::Dated(Dated::Ga) => &[],
        };
        EVERY.contains(&name) || more.contains(&name)
    }

    /// The `method.type` values the surface defines: all three on OpenAI and v1, `supervised`
    /// and `dpo` on the dated preview, none on 2024-10-21 (no `method` there).
    pub fn methods(self) -> &'static [Method] {
        match self {
            Surface::OpenAi | Surface::V1 => {
                &[Method::Supervised, Method::Dpo, Method::Reinforcement]
            }
            Surface::Dated(Dated::Preview) => &[Method::Supervised, Method::Dpo],
            Surface::Dated(Dated::Ga) => &[],
        }
    }

    /// Whether hyperparameters may be `"auto"`: the dated schemas type them as numbers only.
    pub fn allows_auto(self) -> bool {
        !self.is_dated()
    }

    /// Where a supervised job's hyperparameters go: under `method.supervised` on OpenAI and v1,
    /// top-level on the dated surface (whose `SupervisedMethodRequest` holds only its `type`).
    pub fn supervised_hyperparameters_top_level(self) -> bool {
        self.is_dated()
    }

    /// The DPO hyperparameters the surface defines: the dated preview adds `l2_multiplier`.
    pub fn dpo_hyperparameters(self) -> &'static [&'static str] {
        if self.is_dated() {
            &[
                "batch_size",
                "learning_rate_multiplier",
                "n_epochs",
                "beta",
                "l2_multiplier",
            ]
        } else {
            &["batch_size", "learning_rate_multiplier", "n_epochs", "beta"]
        }
    }

    /// The grader types a reinforcement job may use: v1 has no `python` grader.
    pub fn grader_types(self) -> &'static [&'static str] {
        match self {
            Surface::V1 => &["string_check", "text_similarity", "score_model", "multi"],
            _ => &[
                "string_check",
                "text_similarity",
                "python",
                "score_model",
                "multi",
            ],
        }
    }

    /// The `trainingType` spellings Microsoft documents for the surface; `None` where the field
    /// does not exist (OpenAI; and 2024-10-21, whose docs give it only with 2025-04-01-preview).
    pub fn training_types(self) -> Option<&'static [&'static str]> {
        match self {
            Surface::V1 => Some(V1_TRAINING_TYPES),
            Surface::Dated(Dated::Preview) => Some(PREVIEW_TRAINING_TYPES),
            Surface::OpenAi | Surface::Dated(Dated::Ga) => None,
        }
    }

    /// The purposes an upload may name (each spec's enum).
    pub fn upload_purposes(self) -> &'static [&'static str] {
        match self {
            Surface::OpenAi => &[
                "assistants",
                "batch",
                "fine-tune",
                "vision",
                "user_data",
                "evals",
            ],
            Surface::V1 => &["assistants", "batch", "fine-tune", "evals"],
            Surface::Dated(Dated::Ga) => &[
                "fine-tune",
                "fine-tune-results",
                "assistants",
                "assistants_output",
                "batch",
            ],
            Surface::Dated(Dated::Preview) => &[
                "fine-tune",
                "fine-tune-results",
                "assistants",
                "assistants_output",
                "batch",
                "batch_output",
                "evals",
                "evals_output",
            ],
        }
    }

    /// How an upload's expiry is written and bounded, if the surface has one.
    pub fn expiry(self, config: &Config) -> Option<Expiry> {
        match self {
            // OpenAI's form fields `expires_after[anchor]` and `[seconds]`, 1 hour to 30 days.
            Surface::OpenAi => Some(Expiry {
                anchor: "expires_after[anchor]",
                seconds: "expires_after[seconds]",
                range: (3600, 2_592_000),
                required: false,
            }),
            // The v1 schema's object `expires_after`, required, in the bracket form OpenAI's SDKs
            // send (the spec gives no encoding); no bounds are given.
            Surface::V1 => Some(Expiry {
                anchor: "expires_after[anchor]",
                seconds: "expires_after[seconds]",
                range: (1, i32::MAX as u64),
                required: config.switches.v1_expires_after == Need::Required,
            }),
            // The preview's form fields are literally named `expires_after.anchor` and
            // `expires_after.seconds`, 14 to 30 days.
            Surface::Dated(Dated::Preview) => Some(Expiry {
                anchor: "expires_after.anchor",
                seconds: "expires_after.seconds",
                range: (1_209_600, 2_592_000),
                required: false,
            }),
            Surface::Dated(Dated::Ga) => None,
        }
    }

    /// Departures from the surface's spec that `config` asks for, named for the journal so that
    /// the conformance check allows exactly them.
    pub fn departures(self, config: &Config) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self == Surface::V1 && config.switches.v1_statuses == V1Statuses::Azure {
            out.push("v1-statuses-azure");
        }
        if self == Surface::V1 && config.switches.v1_creates_201 {
            out.push("v1-creates-201");
        }
        out
    }
}

/// How an upload's `expires_after` is sent and what it may be.
#[derive(Debug, Clone, Copy)]
pub struct Expiry {
    /// The form field of the anchor (`created_at` is the only one).
    pub anchor: &'static str,
    /// The form field of the seconds.
    pub seconds: &'static str,
    /// The seconds allowed, inclusive.
    pub range: (u64, u64),
    pub required: bool,
}

fn unsupported_version(v: &str, allowed: &[&str]) -> ApiError {
    ApiError::invalid(
        Some("api-version"),
        format!(
            "Unsupported api-version '{v}'. Supported versions: {}.",
            allowed.join(", ")
        ),
    )
    .with_code("unsupported_api_version")
}

/// Keep or drop a value the spec lets a server leave out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Keep {
    #[default]
    Keep,
    Drop,
}

/// Whether a field the docs and the spec disagree on is required.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    #[default]
    Required,
    Optional,
}

/// How v1 spells a job's status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum V1Statuses {
    /// The v1 schema's enum (OpenAI's words), plus `paused` for a paused job.
    #[default]
    Spec,
    /// The dated API's words (`pending`, `pausing`, `paused`, `resuming`), as third parties
    /// report v1 answering.
    Azure,
}

/// One setting per question the Azure specs leave open. Each default is the reading closest to
/// the spec; the test suites run the client under every value.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Switches {
    /// Does a v1 job keep the `metadata` it was created with? Its schema lists the field (as
    /// nullable) but no example shows it coming back. `drop` answers `metadata: null`.
    pub v1_metadata: Keep,
    /// Does a v1 job echo `user_provided_suffix`? The schema has it, optional. `drop` leaves it out.
    pub v1_user_provided_suffix: Keep,
    /// How v1 spells statuses: its schema's enum lacks the pause states although it has pause
    /// and resume, and third parties report Azure's `pending`.
    pub v1_statuses: V1Statuses,
    /// Does the v1 models endpoint carry Azure's `lifecycle_status` and `deprecation` dates? Its
    /// schema (OpenAI's `Model`) does not list them.
    pub v1_model_dates: bool,
    /// Is v1's `expires_after` on upload required? The schema says so; every doc example omits it.
    pub v1_expires_after: Need,
    /// Do v1's creates (job, upload) answer 201, as the dated API's do, rather than the 200 its
    /// spec gives?
    pub v1_creates_201: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: &str) -> Query {
        Query::parse(Some(q))
    }

    #[test]
    fn strips_the_prefix_of_each_flavour() {
        assert_eq!(Flavor::OpenAi.api_path("/v1/files"), Some("files"));
        // An Azure resource serves both surfaces, whichever the flavour hands out.
        for flavor in [Flavor::Azure, Flavor::AzureClassic] {
            assert_eq!(flavor.api_path("/openai/v1/files"), Some("files"));
            assert_eq!(flavor.api_path("/openai/files"), Some("files"));
            assert_eq!(flavor.api_path("/v1/files"), None);
            assert_eq!(flavor.api_path("/openaifiles"), None);
        }
    }

    #[test]
    fn a_request_speaks_the_surface_of_its_api_version() {
        for flavor in [Flavor::Azure, Flavor::AzureClassic] {
            let v1 = |q| Surface::of(flavor, "/openai/v1/files", &query(q));
            assert_eq!(v1(""), Ok(Surface::V1));
            assert_eq!(v1("api-version=preview"), Ok(Surface::V1));
            assert!(v1("api-version=2024-10-21").is_err());
            let dated = |q| Surface::of(flavor, "/openai/files", &query(q));
            assert_eq!(
                dated("api-version=2024-10-21"),
                Ok(Surface::Dated(Dated::Ga))
            );
            assert_eq!(
                dated("api-version=2025-04-01-preview"),
                Ok(Surface::Dated(Dated::Preview))
            );
            for bad in ["", "api-version=2024-06-01", "api-version=v1"] {
                assert!(dated(bad).is_err(), "{bad}");
            }
        }
    }

    #[test]
    fn names_statuses_per_surface() {
        let spec = Config::default();
        let mut azure = Config::default();
        azure.switches.v1_statuses = V1Statuses::Azure;
        assert_eq!(
            Surface::OpenAi.status_name(JobStatus::Queued, &spec),
            "queued"
        );
        assert_eq!(Surface::V1.status_name(JobStatus::Queued, &spec), "queued");
        assert_eq!(Surface::V1.status_name(JobStatus::Pausing, &spec), "paused");
        assert_eq!(
            Surface::V1.status_name(JobStatus::Queued, &azure),
            "pending"
        );
        let preview = Surface::Dated(Dated::Preview);
        assert_eq!(
            preview.status_name(JobStatus::ValidatingFiles, &spec),
            "pending"
        );
        assert_eq!(preview.status_name(JobStatus::Pausing, &spec), "pausing");
        let ga = Surface::Dated(Dated::Ga);
        assert_eq!(ga.status_name(JobStatus::Paused, &spec), "running");
    }
}
