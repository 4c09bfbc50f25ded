//! Azure OpenAI deployments, through Azure Resource Manager (ARM): a model or checkpoint served
//! under a name, `PUT/GET/DELETE .../Microsoft.CognitiveServices/accounts/{account}/deployments/
//! {name}` at [`API_VERSION`]. A deployment is named by the caller, so a PUT is idempotent by
//! name: sending it again (after a lost answer, a retry, a second apply) updates the one
//! deployment and never makes another. Long-running operations are followed to their end on the
//! deployment itself (its `provisioningState`, and its 404 once deleted), the one status resource
//! the spec defines (the `Azure-AsyncOperation` and `Location` monitors it names are not in it),
//! every wait bounded in time and in polls.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::api::page::MAX_PAGING;
use crate::api::{self, retry::Policy};
use crate::error::{Error, InputError, Result, quote};
use crate::input::Input;
use crate::platform::{Credential, Method, Platform, Request, Target};

/// The ARM api-version of Microsoft.CognitiveServices sent on every request: the newest stable
/// one (`specification/cognitiveservices/resource-manager/.../stable/2026-09-01`).
pub const API_VERSION: &str = "2026-09-01";

/// The deployment types (`sku.name`) Microsoft documents for OpenAI models, as spelled there; the
/// input takes them in any case.
pub const SKUS: &[&str] = &[
    "Standard",
    "GlobalStandard",
    "DataZoneStandard",
    "Developer",
    "ProvisionedManaged",
    "GlobalProvisionedManaged",
    "DataZoneProvisionedManaged",
];

/// How long `ensure` and `delete` follow an operation by default, and at most.
pub const DEFAULT_WAIT_SECS: u64 = 1800;
pub const MAX_WAIT_SECS: u64 = 86_400;
/// The pause between polls when the server names none (the `poll_interval` default), and the
/// bounds of one it names: at least 1 s (or the poll interval, if shorter), at most 60 s.
pub const POLL: Duration = Duration::from_secs(5);
const MIN_POLL: Duration = Duration::from_secs(1);
const MAX_POLL: Duration = Duration::from_secs(60);

/// How long an operation is followed: at most `secs`, polling every `poll` unless Azure's
/// `Retry-After` says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    pub secs: u64,
    pub poll: Duration,
}
/// The most polls one wait makes, whatever the clock says.
pub const MAX_POLLS: u32 = 2_000;

/// Writes by name are idempotent, so they are retried more than the SDK's default: a lost answer
/// costs one more PUT or DELETE of the same name, never a second deployment.
const WRITE: Policy = Policy {
    max_retries: 4,
    initial: Duration::from_secs(1),
    cap: Duration::from_secs(30),
    max_server_delay: Duration::from_secs(120),
};

/// A single try: [`ensure`] decides itself what follows a PUT that failed.
const ONCE: Policy = Policy {
    max_retries: 0,
    ..WRITE
};

/// Whether a failed write may have been applied, or may succeed when sent again: no answer, or a
/// status worth retrying (409 while another operation runs, 429, 5xx).
fn may_have_applied(e: &Error) -> bool {
    match e {
        Error::Http(h) => h.may_have_committed(),
        Error::Api(a) => api::retry::retryable_status(a.status),
        _ => false,
    }
}

/// The `provisioningState`s that end an operation.
const TERMINAL: &[&str] = &["Succeeded", "Failed", "Canceled", "Disabled"];

/// Where a deployment lives: its ARM resource id's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub subscription_id: String,
    pub resource_group: String,
    pub account: String,
    pub name: String,
}

impl Location {
    /// The inputs every `deployment` command takes, required.
    pub const KEYS: [&'static str; 4] = ["subscription_id", "resource_group", "account", "name"];

    /// Reads and checks the four inputs, before anything is sent.
    pub fn parse(input: &Input) -> Result<Self, InputError> {
        let mut at = Self::parse_account(input)?;
        let name = input.require("name", "set it to the deployment's name")?;
        // The spec leaves the deployment name open; Azure's portal takes 2-64 of these.
        if !name_like(name, 2, 64) {
            return Err(InputError::invalid(
                "name",
                name,
                "must be 2-64 letters, digits, '_', '.' or '-', starting with a letter or digit",
            ));
        }
        at.name = name.to_owned();
        Ok(at)
    }

    /// Reads and checks the account's three inputs (all but `name`, left empty): where
    /// [`list`] reads.
    pub fn parse_account(input: &Input) -> Result<Self, InputError> {
        let subscription_id = input.require(
            "subscription_id",
            "set it to the Azure subscription id of the Azure OpenAI resource (a GUID)",
        )?;
        if !is_guid(subscription_id) {
            return Err(InputError::invalid(
                "subscription_id",
                subscription_id,
                "must be a subscription id, a GUID such as 00000000-1111-2222-3333-444444444444",
            ));
        }
        let resource_group = input.require(
            "resource_group",
            "set it to the resource group of the Azure OpenAI resource",
        )?;
        // common-types' ResourceGroupNameParameter: 1-90 of letters, digits, `-_.()`, not
        // ending in a period.
        if resource_group.len() > 90
            || resource_group.ends_with('.')
            || !resource_group
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.()".contains(c))
        {
            return Err(InputError::invalid(
                "resource_group",
                resource_group,
                "must be 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'",
            ));
        }
        let account = input.require(
            "account",
            "set it to the Azure OpenAI resource's name (the account in Azure Resource Manager)",
        )?;
        // The spec's accountName: 2-64, `^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`.
        if !name_like(account, 2, 64) {
            return Err(InputError::invalid(
                "account",
                account,
                "must be 2-64 letters, digits, '_', '.' or '-', starting with a letter or digit",
            ));
        }
        Ok(Self {
            subscription_id: subscription_id.to_owned(),
            resource_group: resource_group.to_owned(),
            account: account.to_owned(),
            name: String::new(),
        })
    }

    /// The deployment's ARM path (its resource id).
    pub fn path(&self) -> String {
        format!("{}/{}", self.list_path(), self.name)
    }

    /// The ARM path of the account's list of deployments.
    pub fn list_path(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.CognitiveServices/accounts/{}/deployments",
            self.subscription_id, self.resource_group, self.account
        )
    }

    fn request(&self, method: Method) -> Request {
        Request::new(method, self.path(), Credential::Management)
            .to(Target::AzureManagement(API_VERSION.to_owned()))
    }
}

fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn name_like(s: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// What a deployment serves and at what capacity: the PUT's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The model or checkpoint: a fine-tuned model's name (`gpt-4o-mini-2024-07-18.ft-...`) or
    /// a base model's.
    pub model: String,
    /// `properties.model.version`; none lets Azure choose its default.
    pub version: Option<String>,
    /// `properties.model.format`: `OpenAI`.
    pub format: String,
    /// `sku.name`, as Microsoft spells it.
    pub sku: String,
    /// `sku.capacity`, in thousands of tokens per minute for Standard types.
    pub capacity: u32,
    /// The [`RESTORE_TAG`] to keep on the deployment, when the caller tracks one.
    pub restore_token: Option<String>,
}

/// The deployment tag that carries a caller's restore token: `deployment read` answers a fresh
/// token when the deployment is gone (Azure deletes idle ones), and the token of the deployment
/// when it exists, so a caller that keeps the token it deployed with (modules/azure_deployment)
/// sees a deletion as a changed token, and a deployment it made as an unchanged one.
pub const RESTORE_TAG: &str = "openai-ft-restore-token";

impl Spec {
    /// The inputs that shape a deployment, `model` required.
    pub const KEYS: [&'static str; 6] = [
        "model",
        "model_version",
        "model_format",
        "sku",
        "capacity",
        "restore_token",
    ];

    /// Reads and checks the spec's inputs, before anything is sent.
    pub fn parse(input: &Input) -> Result<Self, InputError> {
        let model = input.require(
            "model",
            "set it to the model or checkpoint to deploy, for example modules/fine_tuning's \
             fine_tuned_model",
        )?;
        let printable = |s: &str| s.chars().all(|c| c.is_ascii_graphic()) && s.len() <= 256;
        if !printable(model) {
            return Err(InputError::invalid(
                "model",
                model,
                "must be a model name: at most 256 visible ASCII characters, no spaces",
            ));
        }
        let version = input.get("model_version");
        if let Some(v) = version.filter(|v| !printable(v) || v.len() > 64) {
            return Err(InputError::invalid(
                "model_version",
                v,
                "must be a model version such as \"1\" or \"2024-07-18\" (at most 64 visible \
                 characters), or unset for Azure's default",
            ));
        }
        let format = input.get("model_format").unwrap_or("OpenAI");
        if !name_like(format, 1, 64) {
            return Err(InputError::invalid(
                "model_format",
                format,
                "must be a model format such as \"OpenAI\"",
            ));
        }
        let raw_sku = input.get("sku").unwrap_or("Standard");
        let Some(sku) = SKUS.iter().find(|s| s.eq_ignore_ascii_case(raw_sku)) else {
            return Err(InputError::invalid(
                "sku",
                raw_sku,
                format!("must be one of {}", SKUS.join(", ")),
            ));
        };
        let capacity = input.integer("capacity", 1, 100_000)?.unwrap_or(1) as u32;
        let restore_token = input.get("restore_token");
        if let Some(t) = restore_token.filter(|t| !name_like(t, 1, 64)) {
            return Err(InputError::invalid(
                "restore_token",
                t,
                "must be the restore_token deployment read gave (1-64 letters, digits, '_', '.' \
                 or '-')",
            ));
        }
        Ok(Self {
            model: model.to_owned(),
            version: version.map(str::to_owned),
            format: format.to_owned(),
            sku: (*sku).to_owned(),
            capacity,
            restore_token: restore_token.map(str::to_owned),
        })
    }

    fn body(&self) -> serde_json::Value {
        let mut model = json!({"format": self.format, "name": self.model});
        if let Some(v) = &self.version {
            model["version"] = json!(v);
        }
        let mut body = json!({
            "sku": {"name": self.sku, "capacity": self.capacity},
            "properties": {"model": model},
        });
        if let Some(token) = &self.restore_token {
            body["tags"] = json!({ RESTORE_TAG: token });
        }
        body
    }
}

/// A deployment as ARM reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// The ARM resource id.
    pub id: String,
    pub name: String,
    /// `properties.provisioningState`, as ARM spelled it (empty when absent).
    pub provisioning_state: String,
    pub model: String,
    pub model_version: Option<String>,
    pub model_format: Option<String>,
    pub sku: Option<String>,
    pub capacity: Option<u32>,
    /// Its [`RESTORE_TAG`], if it has one.
    pub restore_token: Option<String>,
}

impl Deployment {
    /// Whether it serves what `spec` asks for (a version `spec` leaves to Azure matches any).
    pub fn serves(&self, spec: &Spec) -> bool {
        self.model == spec.model
            && self
                .model_format
                .as_deref()
                .is_none_or(|f| f.eq_ignore_ascii_case(&spec.format))
            && spec
                .version
                .as_ref()
                .is_none_or(|v| self.model_version.as_ref() == Some(v))
            && self
                .sku
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(&spec.sku))
            && self.capacity.unwrap_or(1) == spec.capacity
            && spec
                .restore_token
                .as_ref()
                .is_none_or(|t| self.restore_token.as_ref() == Some(t))
    }

    fn settled(&self) -> bool {
        TERMINAL.contains(&self.provisioning_state.as_str())
    }

    /// The flat outputs every `deployment` command gives.
    pub fn outputs(&self) -> Vec<(String, String)> {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        vec![
            ("id".into(), self.id.clone()),
            ("name".into(), self.name.clone()),
            ("provisioning_state".into(), self.provisioning_state.clone()),
            ("model".into(), self.model.clone()),
            ("model_version".into(), o(&self.model_version)),
            ("model_format".into(), o(&self.model_format)),
            ("sku".into(), o(&self.sku)),
            (
                "capacity".into(),
                self.capacity.map(|c| c.to_string()).unwrap_or_default(),
            ),
            ("restore_token".into(), o(&self.restore_token)),
        ]
    }
}

#[derive(Deserialize)]
struct Wire {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    properties: Option<WireProperties>,
    #[serde(default)]
    sku: Option<WireSku>,
    #[serde(default)]
    tags: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireProperties {
    #[serde(default)]
    provisioning_state: Option<String>,
    #[serde(default)]
    model: Option<WireModel>,
}

#[derive(Deserialize)]
struct WireModel {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    format: Option<String>,
}

#[derive(Deserialize)]
struct WireSku {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    capacity: Option<u32>,
}

impl Wire {
    fn into_deployment(self, at: &Location) -> Deployment {
        let properties = self.properties.unwrap_or(WireProperties {
            provisioning_state: None,
            model: None,
        });
        let model = properties.model.unwrap_or(WireModel {
            name: None,
            version: None,
            format: None,
        });
        let (sku, capacity) = self.sku.map_or((None, None), |s| (s.name, s.capacity));
        Deployment {
            id: self.id.unwrap_or_else(|| at.path()),
            name: self.name.unwrap_or_else(|| at.name.clone()),
            provisioning_state: properties.provisioning_state.unwrap_or_default(),
            model: model.name.unwrap_or_default(),
            model_version: model.version,
            model_format: model.format,
            sku,
            capacity,
            restore_token: self.tags.and_then(|mut t| t.remove(RESTORE_TAG)),
        }
    }
}

/// A token for a deployment that does not exist: new at every read (the clock and the jitter
/// source), so it differs from the one a deleted deployment carried.
pub fn fresh_token(platform: &mut dyn Platform) -> String {
    let now = platform.now();
    let noise = (platform.random() * f64::from(u32::MAX)) as u32;
    format!("r{now:x}{noise:08x}")
}

/// A 404 that says the deployment's parent is missing is an error, not an absent deployment.
fn parent_missing(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "ResourceGroupNotFound"
                | "ParentResourceNotFound"
                | "SubscriptionNotFound"
                | "InvalidSubscriptionId"
        )
    )
}

/// The deployment at `at`, or `None` when there is none. One GET (retried on failures).
pub fn read(platform: &mut dyn Platform, at: &Location) -> Result<Option<Deployment>> {
    let request = at.request(Method::Get);
    match api::send(platform, &request, &Policy::SDK) {
        Ok(response) => {
            let wire: Wire = api::decode(&request, &response)?;
            Ok(Some(wire.into_deployment(at)))
        }
        Err(Error::Api(e)) if e.status == 404 && !parent_missing(e.code.as_deref()) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Pages of the account's deployment list followed at most: ARM pages by the hundred, and an
/// account holds a few hundred deployments at most.
pub const LIST_PAGES: u32 = 50;

/// One page of `Deployments_List` (`DeploymentListResult`).
#[derive(Deserialize)]
struct WireList {
    #[serde(default)]
    value: Vec<Wire>,
    #[serde(rename = "nextLink", default)]
    next_link: Option<String>,
}

/// Every deployment of the account `at` names (its `name` unused), following `nextLink` (the
/// spec's `x-ms-pageable`) within [`LIST_PAGES`] pages and [`MAX_PAGING`] of wall time. A link
/// that leaves the list, or comes back to a page already read, is refused by name.
pub fn list(platform: &mut dyn Platform, at: &Location) -> Result<Vec<Deployment>> {
    let path = at.list_path();
    let until = platform.now().saturating_add(MAX_PAGING.as_secs());
    let broken = |what: String| {
        Error::Failed(format!(
            "GET {path}: {what}; is AZURE_RESOURCE_MANAGER_ENDPOINT Azure Resource Manager?"
        ))
    };
    let mut query: Vec<(String, String)> = Vec::new();
    let mut seen: Vec<Vec<(String, String)>> = Vec::new();
    let mut all = Vec::new();
    for page in 0..LIST_PAGES {
        if page > 0 && platform.now() >= until {
            return Err(broken(format!(
                "still gave a nextLink after {page} pages and {} s",
                MAX_PAGING.as_secs()
            )));
        }
        let mut request = Request::new(Method::Get, path.clone(), Credential::Management)
            .to(Target::AzureManagement(API_VERSION.to_owned()));
        request.query = query.clone();
        let response = api::send(platform, &request, &Policy::SDK)?;
        let list: WireList = api::decode(&request, &response)?;
        all.extend(list.value.into_iter().map(|w| {
            let name = w.name.clone().unwrap_or_default();
            w.into_deployment(&Location { name, ..at.clone() })
        }));
        let Some(link) = list.next_link.filter(|l| !l.is_empty()) else {
            return Ok(all);
        };
        let Some(next) = next_query(&link, &path) else {
            return Err(broken(format!(
                "its nextLink {} is not a page of this list",
                quote(&link)
            )));
        };
        seen.push(std::mem::replace(&mut query, next));
        if seen.contains(&query) {
            return Err(broken("its nextLink names a page already read".into()));
        }
    }
    Err(broken(format!(
        "still gave a nextLink after {LIST_PAGES} pages"
    )))
}

/// The query of a `nextLink` (an absolute URL) to the list at `path`, without its api-version
/// (every request carries its own), decoded; `None` when it points anywhere else.
fn next_query(link: &str, path: &str) -> Option<Vec<(String, String)>> {
    let rest = link.split_once("://").map_or(link, |(_, r)| r);
    let at = rest.find('/')?;
    let (link_path, query) = rest[at..].split_once('?').unwrap_or((&rest[at..], ""));
    if !link_path.eq_ignore_ascii_case(path) {
        return None;
    }
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((unescape(k)?, unescape(v)?))
        })
        .filter(|p| p.as_ref().is_none_or(|(k, _)| k != "api-version"))
        .collect()
}

/// A percent-encoded query component (`+` as a space), or `None` when it is malformed.
fn unescape(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// A bounded wait: ends by `deadline` (Unix seconds) or after [`MAX_POLLS`] polls.
struct Wait {
    deadline: u64,
    poll: Duration,
    polls: u32,
    what: String,
}

impl Wait {
    fn new(platform: &dyn Platform, waiting: Waiting, what: String) -> Self {
        Self {
            deadline: platform.now().saturating_add(waiting.secs),
            poll: waiting.poll,
            polls: 0,
            what,
        }
    }

    /// Sleeps before the next poll, or fails when the wait is spent.
    fn pause(&mut self, platform: &mut dyn Platform, hint: Option<Duration>) -> Result<()> {
        self.polls += 1;
        let now = platform.now();
        if self.polls > MAX_POLLS || now >= self.deadline {
            return Err(Error::Failed(format!(
                "{} did not finish within the wait ({} polls); it goes on in Azure: run again \
                 to keep following it, or raise wait_timeout_seconds",
                self.what, self.polls
            )));
        }
        let pause = hint
            .unwrap_or(self.poll)
            .clamp(self.poll.min(MIN_POLL), MAX_POLL)
            .min(Duration::from_secs(self.deadline - now));
        platform.sleep(pause);
        Ok(())
    }
}

/// Reads the deployment until its operation has ended (or it is gone).
fn settle(
    platform: &mut dyn Platform,
    at: &Location,
    wait: &mut Wait,
    hint: Option<Duration>,
) -> Result<Option<Deployment>> {
    let mut hint = hint;
    loop {
        match read(platform, at)? {
            Some(d) if !d.settled() => {
                platform.progress(&format!(
                    "deployment {}: {}",
                    at.name,
                    if d.provisioning_state.is_empty() {
                        "in progress"
                    } else {
                        &d.provisioning_state
                    }
                ));
                wait.pause(platform, hint.take())?;
            }
            other => return Ok(other),
        }
    }
}

/// Creates or updates the deployment at `at` to serve `spec`, unless it already does, and follows
/// the operation to its end within `waiting`. Returns the deployment and whether a PUT was sent.
pub fn ensure(
    platform: &mut dyn Platform,
    at: &Location,
    spec: &Spec,
    waiting: Waiting,
) -> Result<(Deployment, bool)> {
    let what = format!("the deployment {}", quote(&at.name));
    let mut wait = Wait::new(platform, waiting, what.clone());
    if let Some(d) = settle(platform, at, &mut wait, None)?
        && d.provisioning_state == "Succeeded"
        && d.serves(spec)
    {
        return Ok((d, false));
    }
    let request = at.request(Method::Put).json(&spec.body());
    let mut attempt = 0;
    let response = loop {
        // One PUT at a time: a failed one may have been applied, and ARM refuses a second
        // while the first runs (409), so the deployment is read, and followed, first.
        match api::send(platform, &request, &ONCE) {
            Ok(response) => break response,
            Err(e) if attempt < WRITE.max_retries && may_have_applied(&e) => {
                attempt += 1;
                let delay = WRITE.backoff(attempt - 1, platform.random());
                platform.progress(&format!(
                    "deployment {}: the PUT got no usable answer ({}); reading the deployment \
                     before sending it again ({attempt} of {})",
                    at.name,
                    crate::error::one_line(&e.to_string()),
                    WRITE.max_retries
                ));
                platform.sleep(delay);
                if let Some(d) = settle(platform, at, &mut wait, None)?
                    && d.provisioning_state == "Succeeded"
                    && d.serves(spec)
                {
                    return Ok((d, true));
                }
            }
            Err(e) => return Err(e),
        }
    };
    platform.progress(&format!(
        "deployment {}: {} {} on {} (capacity {})",
        at.name,
        if response.status == 201 {
            "creating"
        } else {
            "updating"
        },
        spec.model,
        spec.sku,
        spec.capacity
    ));
    let hint = api::retry::server_delay(&response, platform.now());
    let Some(d) = settle(platform, at, &mut wait, hint)? else {
        return Err(Error::Failed(format!(
            "{what} was accepted by Azure Resource Manager and then was gone: something deleted \
             it meanwhile; run again to create it"
        )));
    };
    if d.provisioning_state != "Succeeded" {
        return Err(Error::Failed(format!(
            "{what} ended {} in Azure Resource Manager, serving {} on {}; check the model, the \
             SKU's quota in the region and the activity log of the account {}",
            d.provisioning_state,
            quote(&spec.model),
            spec.sku,
            quote(&at.account)
        )));
    }
    Ok((d, true))
}

/// Deletes the deployment at `at` (never the model it serves) and follows the deletion until it
/// is gone, within `waiting`. Returns whether there was one to delete.
pub fn delete(platform: &mut dyn Platform, at: &Location, waiting: Waiting) -> Result<bool> {
    let request = at.request(Method::Delete);
    let response = match api::send(platform, &request, &WRITE) {
        Ok(r) => r,
        Err(Error::Api(e)) if e.status == 404 && !parent_missing(e.code.as_deref()) => {
            return Ok(false);
        }
        Err(e) => return Err(e),
    };
    if response.status == 204 {
        return Ok(false);
    }
    let mut wait = Wait::new(
        platform,
        waiting,
        format!("the deletion of the deployment {}", quote(&at.name)),
    );
    let mut hint = api::retry::server_delay(&response, platform.now());
    if response.status == 202 {
        wait.pause(platform, hint.take())?;
    }
    loop {
        match read(platform, at)? {
            None => return Ok(true),
            Some(d) if d.provisioning_state == "Deleting" || !d.settled() => {
                wait.pause(platform, hint.take())?;
            }
            Some(d) => {
                return Err(Error::Failed(format!(
                    "the deployment {} is still there ({}) after its deletion; run again to \
                     delete it",
                    quote(&at.name),
                    d.provisioning_state
                )));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pairs: &[(&str, &str)]) -> Input {
        pairs.iter().copied().collect()
    }

    const AT: &[(&str, &str)] = &[
        ("subscription_id", "00000000-1111-2222-3333-444444444444"),
        ("resource_group", "rg-1"),
        ("account", "my-resource"),
        ("name", "my-model"),
    ];

    #[test]
    fn location_inputs_are_checked_before_anything_is_sent() {
        let at = Location::parse(&input(AT)).unwrap();
        assert_eq!(
            at.path(),
            "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-1/providers/\
             Microsoft.CognitiveServices/accounts/my-resource/deployments/my-model"
        );
        for (key, bad, rule) in [
            ("subscription_id", "my-sub", "must be a subscription id"),
            ("resource_group", "rg/../x", "must be 1-90 letters"),
            ("resource_group", "rg.", "must be 1-90 letters"),
            ("account", "-a", "must be 2-64 letters"),
            ("name", "a b", "must be 2-64 letters"),
            ("name", "..", "must be 2-64 letters"),
        ] {
            let mut pairs = AT.to_vec();
            pairs.retain(|(k, _)| *k != key);
            pairs.push((key, bad));
            let e = Location::parse(&input(&pairs)).unwrap_err();
            assert_eq!(e.field, key);
            assert!(e.rule.starts_with(rule), "{key}={bad}: {}", e.rule);
        }
        let e = Location::parse(&input(&AT[1..])).unwrap_err();
        assert_eq!(e.field, "subscription_id");
        assert_eq!(e.value, None);
    }

    /// Ensure writes once, then finds the deployment serving the spec; delete removes it once.
    #[test]
    fn ensure_is_idempotent_by_name_and_delete_once() {
        let mut fake = crate::testing::Fake::flavored(crate::Flavor::Azure);
        let at = Location::parse(&input(AT)).unwrap();
        let spec = Spec::parse(&input(&[("model", "gpt-4o-mini.ft-1")])).unwrap();
        let waiting = Waiting {
            secs: 60,
            poll: POLL,
        };
        let (d, written) = ensure(&mut fake, &at, &spec, waiting).unwrap();
        assert!(written);
        assert_eq!(
            (d.provisioning_state.as_str(), d.sku.as_deref()),
            ("Succeeded", Some("Standard"))
        );
        assert!(!ensure(&mut fake, &at, &spec, waiting).unwrap().1);
        assert_eq!(fake.count("PUT"), 1);
        assert!(delete(&mut fake, &at, waiting).unwrap());
        assert!(!delete(&mut fake, &at, waiting).unwrap());
        assert_eq!(read(&mut fake, &at).unwrap(), None);
    }

    #[test]
    fn the_spec_has_microsofts_spellings_and_defaults() {
        let spec = Spec::parse(&input(&[
            ("model", "gpt-4o-mini.ft-1"),
            ("sku", "globalstandard"),
        ]))
        .unwrap();
        assert_eq!(spec.sku, "GlobalStandard");
        assert_eq!(spec.capacity, 1);
        assert_eq!(
            spec.body(),
            json!({"sku": {"name": "GlobalStandard", "capacity": 1},
                   "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini.ft-1"}}})
        );
        for (key, bad) in [
            ("sku", "Premium"),
            ("capacity", "0"),
            ("model", "a model"),
            ("model_format", "Open AI"),
        ] {
            let mut pairs = vec![("model", "gpt-4o-mini.ft-1")];
            pairs.retain(|(k, _)| *k != key);
            pairs.push((key, bad));
            assert_eq!(Spec::parse(&input(&pairs)).unwrap_err().field, key, "{key}");
        }
    }
}
