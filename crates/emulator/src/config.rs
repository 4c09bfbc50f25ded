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
    /// Azure: the Entra tenant whose token endpoint (`/{tenant}/oauth2/v2.0/token`) issues
    /// tokens. Default [`DEFAULT_TENANT`].
    pub entra_tenant: String,
    /// Azure: applications that sign in with a client secret, `CLIENT_ID=SECRET`. Default: none.
    pub entra_clients: Vec<String>,
    /// Azure: federated credentials, `CLIENT_ID=ISSUER,SUBJECT`: an assertion (a JWT for
    /// `api://AzureADTokenExchange`) with that issuer and subject signs the application in.
    /// Default: none.
    pub entra_federated: Vec<String>,
    /// Azure: the client id of the managed identity the IMDS and App Service endpoints answer
    /// for; none serves no managed-identity token. Default: none.
    pub managed_identity: Option<String>,
    /// Azure: the `X-IDENTITY-HEADER` value App Service's identity endpoint requires (its
    /// `IDENTITY_HEADER`). Default: none (that endpoint refuses every request).
    pub identity_header: Option<String>,
    /// The request token GitHub Actions' OIDC endpoint (`/_github/idtoken`) requires (a job's
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`). Default: none (the endpoint refuses every request).
    pub github_request_token: Option<String>,
    /// Azure: seconds an issued token lives. Default 3600.
    pub token_lifetime_secs: u64,
    /// Azure: refuse keys (`disableLocalAuth`), so only Entra tokens get in. Default false.
    pub disable_local_auth: bool,
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
    /// Every failed job's `error.message` and every event's `message` end with [`HOSTILE_TEXT`]:
    /// what a hostile server or gateway can put there, for the clients' "server text is inert"
    /// tests. Default false.
    pub hostile_text: bool,
    /// A clock that only moves when told (`POST /_emulator/clock` with `{"advance_ms": N}`, or
    /// [`Running::advance`](crate::Running::advance)), starting at this Unix time in
    /// milliseconds: jobs and uploads then step only when a test says time passed. Default: none
    /// (the system clock).
    pub manual_clock_ms: Option<u64>,
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
    /// ARM: the most deployments one page of `Deployments_List` holds; more are on the pages its
    /// `nextLink` leads to (the spec's `x-ms-pageable` leaves the page size to the service).
    /// Default: none (one page).
    pub arm_page_size: Option<usize>,
}

/// What `--hostile-text` appends: screen-clearing and colour escapes, a raw C1 CSI, BEL, CR and
/// LF starting a fake "Apply complete!" and "Error:", workflow commands (`::add-mask::`,
/// `::set-output`, `::stop-commands::`, `##[error]`), and a right-to-left override.
pub const HOSTILE_TEXT: &str = "\u{1b}[2J\u{1b}[31m\u{9b}1mError: fake\u{7}\r\nApply complete! Resources: 0 added.\r\n\
                                ::add-mask::hostile-mask\n::set-output name=id::ftjob-hostile\n\
                                ::stop-commands::hostile-token\n##[error]hostile annotation\u{7f} \
                                \u{202e}txet desrever\u{1b}[0m";

impl Default for Config {
    fn default() -> Self {
        Config {
            flavor: Flavor::OpenAi,
            listen: "127.0.0.1:0".to_string(),
            api_keys: Vec::new(),
            ad_tokens: Vec::new(),
            entra_tenant: DEFAULT_TENANT.to_string(),
            entra_clients: Vec::new(),
            entra_federated: Vec::new(),
            managed_identity: None,
            identity_header: None,
            github_request_token: None,
            token_lifetime_secs: 3600,
            disable_local_auth: false,
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
            hostile_text: false,
            manual_clock_ms: None,
            management_tokens: Vec::new(),
            arm_steps: 2,
            arm_retry_after_secs: 1,
            arm_failing_models: Vec::new(),
            arm_page_size: None,
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
        if self.token_lifetime_secs == 0 {
            anyhow::bail!("invalid token lifetime 0: must be at least 1 second");
        }
        for (what, list, shape) in [
            ("Entra client", &self.entra_clients, "CLIENT_ID=SECRET"),
            (
                "federated credential",
                &self.entra_federated,
                "CLIENT_ID=ISSUER,SUBJECT",
            ),
        ] {
            if let Some(bad) = list.iter().find(|c| {
                let (id, rest) = c.split_once('=').unwrap_or_default();
                id.is_empty() || rest.is_empty() || (shape.contains(',') && !rest.contains(','))
            }) {
                anyhow::bail!("invalid {what} \"{bad}\": expected {shape}");
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

/// The Entra tenant the emulator's token endpoint serves unless told otherwise.
pub const DEFAULT_TENANT: &str = "00000000-0000-4000-8000-0000000e1a7e";

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
