//! The dialects of the fine-tuning API: api.openai.com (and compatible gateways), Azure OpenAI's
//! v1 surface and its dated surface, whose request shapes also depend on the `api-version`. Every
//! difference the client has to know about is a named method here ([`Flavor`] for what holds on
//! every request of a flavour, [`Surface`] for what the `api-version` changes), so the rest is
//! one request code path.

use serde::{Deserialize, Serialize};

/// Which dialect of the fine-tuning API is on the other end. The differences the core has to
/// know about are the named methods below; everything else is the same request code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Flavor {
    /// api.openai.com and OpenAI-compatible gateways.
    #[default]
    #[serde(rename = "openai")]
    OpenAi,
    /// Azure OpenAI's v1 surface.
    #[serde(rename = "azure")]
    Azure,
    /// Azure OpenAI's dated (`api-version`) surface.
    #[serde(rename = "azure-classic")]
    AzureClassic,
}

impl Flavor {
    /// Every flavour, in the order help texts list them.
    pub const ALL: [Flavor; 3] = [Flavor::OpenAi, Flavor::Azure, Flavor::AzureClassic];

    /// Parses the spelling [`Flavor::name`] gives.
    pub fn parse(name: &str) -> Option<Flavor> {
        Flavor::ALL.into_iter().find(|f| f.name() == name)
    }

    /// `openai`, `azure` or `azure-classic`: the spelling of `OPENAI_FT_FLAVOR` and WIT's
    /// `api-flavor`.
    pub fn name(self) -> &'static str {
        match self {
            Flavor::OpenAi => "openai",
            Flavor::Azure => "azure",
            Flavor::AzureClassic => "azure-classic",
        }
    }

    /// The job list honours `metadata[key]=value` filters (Azure's does not).
    pub fn filters_jobs_by_metadata(self) -> bool {
        self == Flavor::OpenAi
    }

    /// Jobs store and echo `metadata` (Azure's dated API has none).
    pub fn stores_job_metadata(self) -> bool {
        self != Flavor::AzureClassic
    }

    /// Azure OpenAI, either surface.
    pub fn is_azure(self) -> bool {
        self != Flavor::OpenAi
    }

    /// A job is found by what Azure is documented to keep, not only by its metadata: the key's
    /// tag at the end of its suffix (the dated job's `suffix`, v1's `user_provided_suffix`), and
    /// where neither comes back, its training file and seed (fields both job schemas define, the
    /// seed required on v1).
    pub fn stamps_suffix_and_seed(self) -> bool {
        self.is_azure()
    }

    /// The checkpoint-permissions API exists (it does not on Azure).
    pub fn has_checkpoint_permissions(self) -> bool {
        self == Flavor::OpenAi
    }

    /// Uploaded files are processed asynchronously and only `processed` files can train.
    pub fn processes_files(self) -> bool {
        self != Flavor::OpenAi
    }
}

/// A dated (`api-version`) version of Azure's authoring API, by the request shapes it defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatedApi {
    /// A GA version (`2024-10-21`, the newest, and older): a create takes top-level
    /// `hyperparameters` and no `method`, `integrations` or `trainingType`; no pause or resume;
    /// an upload takes no expiry.
    Ga,
    /// A preview version (`2025-04-01-preview`, the newest dated one): `method` with `supervised`
    /// or `dpo` (no `reinforcement`), supervised hyperparameters top-level, `integrations`,
    /// `trainingType`, pause and resume.
    Preview,
}

impl DatedApi {
    /// The form of `version`: every `-preview` version is taken to have the newest preview's
    /// shapes, every other one the GA's (no GA version after 2024-10-21 defines more).
    pub fn of(version: &str) -> DatedApi {
        if version.ends_with("-preview") {
            DatedApi::Preview
        } else {
            DatedApi::Ga
        }
    }
}

/// The `api-version` of Azure's dated API whose models endpoint the v1 flavour reads for
/// retirement dates: the newest GA, whose `Model` carries `lifecycle_status` and `deprecation`.
pub const DATED_MODELS_VERSION: &str = "2024-10-21";

/// The API one request is shaped for: the flavour, and on Azure's dated surface the form of its
/// configured `api-version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    OpenAi,
    /// Azure's v1 surface.
    AzureV1,
    /// Azure's dated surface, at a version of this form.
    AzureDated(DatedApi),
}

impl Surface {
    /// The surface of `flavor` configured with `api_version` (which only the dated surface has).
    pub fn of(flavor: Flavor, api_version: Option<&str>) -> Surface {
        match flavor {
            Flavor::OpenAi => Surface::OpenAi,
            Flavor::Azure => Surface::AzureV1,
            Flavor::AzureClassic => Surface::AzureDated(DatedApi::of(api_version.unwrap_or(""))),
        }
    }

    pub fn flavor(self) -> Flavor {
        match self {
            Surface::OpenAi => Flavor::OpenAi,
            Surface::AzureV1 => Flavor::Azure,
            Surface::AzureDated(_) => Flavor::AzureClassic,
        }
    }

    /// The longest `suffix` the surface takes: 40 on the dated API ("up to 40 characters"), 64 in
    /// the v1 and OpenAI schemas.
    pub fn max_suffix(self) -> usize {
        match self {
            Surface::AzureDated(_) => 40,
            _ => 64,
        }
    }
}
