//! The emulator's configuration: one serde struct shared by the library API and the CLI.
//! Every field has a documented default, so `Config::default()` plus a key or two is a working setup.

use crate::flavor::Flavor;
use openai_ft_core::time;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// How the emulator is set up. Unknown fields are refused so a typo in a JSON config fails loudly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Which API to emulate: `openai` (under `/v1`), `azure` (Azure OpenAI v1, under `/openai/v1`)
    /// or `azure-classic` (Azure OpenAI dated API, under `/openai`). Default `openai`.
    pub flavor: Flavor,
    /// Address to listen on; port 0 picks a free port. Default `127.0.0.1:0`.
    pub listen: String,
    /// Project API keys, accepted on jobs, files and models. Default: none.
    pub api_keys: Vec<String>,
    /// Microsoft Entra tokens accepted as `Authorization: Bearer TOKEN` on the Azure flavours.
    /// Default: none.
    pub ad_tokens: Vec<String>,
    /// Admin keys of an Owner with every admin scope, accepted on checkpoint permissions only.
    pub admin_keys: Vec<String>,
    /// Admin keys whose user lacks the Owner role: permission calls get 403.
    pub admin_keys_no_owner: Vec<String>,
    /// Admin keys with only `api.fine_tuning.checkpoints.read`: create/delete get 401.
    pub admin_keys_read_only: Vec<String>,
    /// Length of one logical step of a job's life, in milliseconds (minimum 1). Default 1000.
    pub step_ms: u64,
    /// Organization id used in `organization_id`, model names and `owned_by`. Default `org-emulator`.
    pub org: String,
    /// JSON file the state is saved to after each change and loaded from at start. Default: none.
    pub state_file: Option<PathBuf>,
    /// `shutdown_date` (YYYY-MM-DD) per model id. Default: none.
    pub model_shutdown: BTreeMap<String, String>,
    /// One compact line per request on stderr (method, path, status; never headers). Default false.
    pub log_requests: bool,
    /// Milliseconds every API request waits before it is answered, as over a long network path
    /// (control endpoints answer at once). Default 0.
    pub latency_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            flavor: Flavor::OpenAi,
            listen: "127.0.0.1:0".to_string(),
            api_keys: Vec::new(),
            ad_tokens: Vec::new(),
            admin_keys: Vec::new(),
            admin_keys_no_owner: Vec::new(),
            admin_keys_read_only: Vec::new(),
            step_ms: 1000,
            org: "org-emulator".to_string(),
            state_file: None,
            model_shutdown: BTreeMap::new(),
            log_requests: false,
            latency_ms: 0,
        }
    }
}

impl Config {
    /// Refuses what the types cannot: a `model_shutdown` date that is not a `YYYY-MM-DD` day.
    pub(crate) fn check(&self) -> anyhow::Result<()> {
        for (model, date) in &self.model_shutdown {
            if !is_date(date) {
                anyhow::bail!(
                    "invalid shutdown date \"{date}\" for model \"{model}\": expected YYYY-MM-DD"
                );
            }
        }
        Ok(())
    }
}

/// Exactly `YYYY-MM-DD` (digits, dashes at 4 and 7) naming a month 1-12 and a day 1-31.
fn is_date(s: &str) -> bool {
    let shape = s.bytes().enumerate().all(|(i, c)| match i {
        4 | 7 => c == b'-',
        _ => c.is_ascii_digit(),
    });
    s.len() == 10 && shape && time::parse_date(s).is_some()
}
