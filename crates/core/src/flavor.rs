//! The dialects of the fine-tuning API: api.openai.com (and compatible gateways), Azure OpenAI's
//! v1 surface and its dated surface. Every difference the client has to know about is a named
//! method here, so the rest is one request code path.

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

    /// The checkpoint-permissions API exists (it does not on Azure).
    pub fn has_checkpoint_permissions(self) -> bool {
        self == Flavor::OpenAi
    }

    /// Uploaded files are processed asynchronously and only `processed` files can train.
    pub fn processes_files(self) -> bool {
        self != Flavor::OpenAi
    }
}
