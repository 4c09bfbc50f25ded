//! The emulator's configuration: one serde struct shared by the library API and the CLI.
//! Every field has a documented default, so `Config::default()` plus a key or two is a working setup.

use crate::flavor::{Flavor, Switches};
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
    /// OpenAI's `shutdown_date` (YYYY-MM-DD) per model id. Default: none.
    pub model_shutdown: BTreeMap<String, String>,
    /// Azure: the day (YYYY-MM-DD) a model stops taking fine-tuning jobs, its
    /// `deprecation.fine_tune`, per model id. Default: none given.
    pub fine_tune_retirement: BTreeMap<String, String>,
    /// Azure: the day (YYYY-MM-DD) a model stops serving, its `deprecation.inference`, per model
    /// id. Default [`DEFAULT_INFERENCE_RETIREMENT`] (the dated schema requires one).
    pub inference_retirement: BTreeMap<String, String>,
    /// Azure: a model's `lifecycle_status` (`preview`, `generally-available`, `deprecating`,
    /// `deprecated`), per model id. Default `generally-available`.
    pub lifecycle_status: BTreeMap<String, String>,
    /// Azure: the training types a base model trains with, per model id: some of `standard`,
    /// `globalstandard`, `developer`, and `none` where the create may leave `trainingType` out. A
    /// listed model refuses any other (`"Developer TrainingType is not supported ..."`), and one
    /// without `none` or `standard` refuses a create without the field, as a model that requires
    /// it does. Unlisted models take any. Default: none listed.
    pub training_types: BTreeMap<String, Vec<String>>,
    /// The questions the Azure specs leave open, one setting each (see [`Switches`]).
    pub switches: Switches,
    /// One compact line per request on stderr (method, path, status; never headers). Default false.
    pub log_requests: bool,
    /// Milliseconds every API request waits before it is answered, as over a long network path
    /// (control endpoints answer at once). Default 0.
    pub latency_ms: u64,
    /// Azure Resource Manager (Azure flavours): the Entra tokens it accepts as `Authorization:
    /// Bearer TOKEN`. Default: none (every ARM request is 401).
    pub management_tokens: Vec<String>,
    /// ARM: how many reads of a deployment a create or a deletion takes to finish (0: the next
    /// read sees it done). Default 2.
    pub arm_steps: u64,
    /// ARM: the `Retry-After` seconds a create or deletion answers with. Default 1.
    pub arm_retry_after_secs: u64,
    /// ARM: models whose deployment ends `Failed` (a create the service cannot serve). Default:
    /// none.
    pub arm_failing_models: Vec<String>,
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
            fine_tune_retirement: BTreeMap::new(),
            inference_retirement: BTreeMap::new(),
            lifecycle_status: BTreeMap::new(),
            training_types: BTreeMap::new(),
            switches: Switches::default(),
            log_requests: false,
            latency_ms: 0,
            management_tokens: Vec::new(),
            arm_steps: 2,
            arm_retry_after_secs: 1,
            arm_failing_models: Vec::new(),
        }
    }
}

impl Config {
    /// Refuses what the types cannot: a date that is not a `YYYY-MM-DD` day, a lifecycle status
    /// or a training type the specs do not name.
    pub(crate) fn check(&self) -> anyhow::Result<()> {
        for (what, dates) in [
            ("shutdown date", &self.model_shutdown),
            ("fine-tune retirement date", &self.fine_tune_retirement),
            ("inference retirement date", &self.inference_retirement),
        ] {
            for (model, date) in dates {
                if !is_date(date) {
                    anyhow::bail!(
                        "invalid {what} \"{date}\" for model \"{model}\": expected YYYY-MM-DD"
                    );
                }
            }
        }
        for (model, status) in &self.lifecycle_status {
            if !LIFECYCLE_STATUSES.contains(&status.as_str()) {
                anyhow::bail!(
                    "invalid lifecycle status \"{status}\" for model \"{model}\": expected one of {}",
                    LIFECYCLE_STATUSES.join(", ")
                );
            }
        }
        for (model, tiers) in &self.training_types {
            if let Some(t) = tiers.iter().find(|t| !TRAINING_TIERS.contains(&t.as_str())) {
                anyhow::bail!(
                    "invalid training type \"{t}\" for model \"{model}\": expected some of {}",
                    TRAINING_TIERS.join(", ")
                );
            }
        }
        Ok(())
    }
}

/// The `LifeCycleStatus` values of the dated specs (2024-10-21 has only the first two).
pub const LIFECYCLE_STATUSES: &[&str] = &[
    "preview",
    "generally-available",
    "deprecating",
    "deprecated",
];

/// What [`Config::training_types`] lists: the three tiers, and `none` for "may be left out".
pub const TRAINING_TIERS: &[&str] = &["standard", "globalstandard", "developer", "none"];

/// The `deprecation.inference` of a model that has none configured: the dated schema requires
/// the field, and a day far enough away never to be near.
pub const DEFAULT_INFERENCE_RETIREMENT: &str = "2099-12-31";

/// Exactly `YYYY-MM-DD` (digits, dashes at 4 and 7) naming a month 1-12 and a day 1-31.
fn is_date(s: &str) -> bool {
    let shape = s.bytes().enumerate().all(|(i, c)| match i {
        4 | 7 => c == b'-',
        _ => c.is_ascii_digit(),
    });
    s.len() == 10 && shape && time::parse_date(s).is_some()
}
