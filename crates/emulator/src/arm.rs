//! Azure Resource Manager's deployments of an Azure OpenAI account (`Microsoft.CognitiveServices`
//! 2026-09-01: `…/accounts/{account}/deployments[/{name}]`), served beside the Azure flavours'
//! data plane, written from the ARM spec (`arm/stable/2026-09-01/cognitiveservices.json` and
//! common-types' `ErrorResponse`):
//!
//! - `PUT` creates (201, `provisioningState: Accepted`, `Azure-AsyncOperation` and `Retry-After`
//!   headers) or updates (200, `Succeeded`, as the spec's example answers) by name; a deployment
//!   is unique by name, so a repeated PUT never makes a second one.
//! - A create moves `Accepted` → `Creating` → `Succeeded` (or `Failed` for a model in
//!   `arm_failing_models`), one state per read of the deployment, over `arm_steps` reads: the
//!   clock moves when someone looks.
//! - `DELETE` answers 202 with `Location` and `Retry-After`, the deployment reads `Deleting` for
//!   `arm_steps` reads and is then gone (404); an absent one is 204, as the spec says.
//! - Errors are common-types' `ErrorResponse`, `{"error": {"code", "message", "target",
//!   "details", "additionalInfo"}}`.
//! - A model must be one the resource has: a base model the models list knows, or the fine-tuned
//!   model or a checkpoint of a succeeded job.
//!
//! What the spec leaves open has a setting: how many reads an operation takes (`arm_steps`), which
//! models fail to deploy (`arm_failing_models`), how many deployments a page of the list holds
//! before its `nextLink` (`arm_page_size`), and which Entra tokens it accepts
//! (`management_tokens`, and those its Entra issued for Resource Manager). Idle deletion (Azure
//! deletes a fine-tuned deployment unused for 15 days) is `POST /_emulator/deployments/{name}/idle`.

use crate::config::Config;
use crate::entra::{self, Check};
use crate::server::{JournalEntry, Shared, lock};
use crate::state::{Deployment, JobStatus, State};
use serde_json::{Value, json};

/// The api-version this emulates.
pub const API_VERSION: &str = "2026-09-01";

const PROVIDER: &str = "/providers/Microsoft.CognitiveServices/accounts/";

/// Whether `path` is an ARM path.
pub fn owns(path: &str) -> bool {
    path.starts_with("/subscriptions/")
}

/// A request to a deployment, or to the list of an account's deployments.
struct Target {
    subscription: String,
    group: String,
    account: String,
    name: Option<String>,
}

fn parse(path: &str) -> Option<Target> {
    let rest = path.strip_prefix("/subscriptions/")?;
    let (subscription, rest) = rest.split_once("/resourceGroups/")?;
    let (group, rest) = rest.split_once(PROVIDER)?;
    let (account, rest) = rest.split_once("/deployments")?;
    let name = match rest {
        "" => None,
        r => Some(r.strip_prefix('/')?.to_string()),
    };
    let plain = |s: &str| !s.is_empty() && !s.contains('/');
    if !plain(subscription)
        || !plain(group)
        || !plain(account)
        || !name.as_deref().is_none_or(plain)
    {
        return None;
    }
    Some(Target {
        subscription: subscription.to_string(),
        group: group.to_string(),
        account: account.to_string(),
        name,
    })
}

/// An ARM error: status, `error.code` and `error.message`.
struct ArmError(u16, &'static str, String);

impl ArmError {
    fn body(&self) -> Value {
        json!({"error": {"code": self.1, "message": self.2, "details": [], "additionalInfo": []}})
    }
}

/// An answer: status, extra headers, body (none for 202/204 without one).
pub struct ArmAnswer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Value>,
    pub entry: JournalEntry,
}

/// Answers one ARM request whose body has been read. `host` is the name the client used.
pub fn answer(
    shared: &Shared,
    method: &str,
    path: &str,
    query: Option<&str>,
    authorization: Option<&str>,
    host: &str,
    body: &[u8],
) -> ArmAnswer {
    let target = parse(path);
    let operation = match (method, target.as_ref().map(|t| t.name.is_some())) {
        ("GET", Some(true)) => Some("Deployments_Get"),
        ("PUT", Some(true)) => Some("Deployments_CreateOrUpdate"),
        ("DELETE", Some(true)) => Some("Deployments_Delete"),
        ("GET", Some(false)) => Some("Deployments_List"),
        _ => None,
    };
    let result = match (target, operation) {
        (Some(t), Some(op)) => check(shared, query, authorization).and_then(|()| {
            let mut state = lock(&shared.state);
            let r = perform(&mut state, &shared.config, op, &t, host, query, body);
            // Reads move operations on, and a read past a deletion ends it: save either way.
            shared.persist(&state);
            r
        }),
        _ => Err(ArmError(
            404,
            "InvalidResourceType",
            format!("The resource type could not be found for {method} {path}."),
        )),
    };
    let (status, headers, body) = match result {
        Ok(ok) => ok,
        Err(e) => (e.0, Vec::new(), Some(e.body())),
    };
    ArmAnswer {
        status,
        headers,
        entry: JournalEntry {
            flavor: shared.config.flavor.name(),
            surface: "arm-2026-09-01",
            departures: Vec::new(),
            operation_id: operation,
            method: method.to_string(),
            path: path.to_string(),
            status,
            body: body.clone().unwrap_or(Value::Null),
        },
        body,
    }
}

/// The api-version, then the token, as ARM checks them.
fn check(
    shared: &Shared,
    query: Option<&str>,
    authorization: Option<&str>,
) -> Result<(), ArmError> {
    let config = &shared.config;
    let version = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "api-version")
        .map(|(_, v)| v.into_owned());
    match version.as_deref() {
        None => {
            return Err(ArmError(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests."
                    .into(),
            ));
        }
        Some(API_VERSION) => {}
        Some(v) => {
            return Err(ArmError(
                400,
                "InvalidApiVersionParameter",
                format!(
                    "The api-version '{v}' is invalid. The supported versions are '{API_VERSION}'."
                ),
            ));
        }
    }
    let token = authorization.and_then(|a| a.strip_prefix("Bearer "));
    match token {
        None => Err(ArmError(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.".into(),
        )),
        Some(t) if config.management_tokens.iter().any(|m| m == t) => Ok(()),
        // A token the emulator's Entra issued for Azure Resource Manager, while it lives.
        Some(t) => match lock(&shared.tokens).check(t, entra::MANAGEMENT, shared.clock.now_ms()) {
            Check::Valid => Ok(()),
            Check::Expired => Err(ArmError(
                401,
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time is earlier than current UTC time.".into(),
            )),
            _ => Err(ArmError(
                401,
                "InvalidAuthenticationToken",
                "The access token is invalid.".into(),
            )),
        },
    }
}

type Ok3 = (u16, Vec<(&'static str, String)>, Option<Value>);

fn perform(
    state: &mut State,
    config: &Config,
    operation: &str,
    t: &Target,
    host: &str,
    query: Option<&str>,
    body: &[u8],
) -> Result<Ok3, ArmError> {
    let found = |state: &State| {
        state.deployments.iter().position(|d| {
            d.subscription == t.subscription
                && d.group.eq_ignore_ascii_case(&t.group)
                && d.account.eq_ignore_ascii_case(&t.account)
                && Some(&d.name) == t.name.as_ref()
        })
    };
    let retry_after = || ("retry-after", config.arm_retry_after_secs.to_string());
    match operation {
        "Deployments_List" => {
            let value: Vec<Value> = state
                .deployments
                .iter()
                .filter(|d| {
                    d.subscription == t.subscription
                        && d.group.eq_ignore_ascii_case(&t.group)
                        && d.account.eq_ignore_ascii_case(&t.account)
                })
                .map(render)
                .collect();
            // Paged by `nextLink` (an absolute URL carrying a `$skipToken`) with
            // `arm_page_size`.
            let skip: usize = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .find(|(k, _)| k == "$skipToken")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let size = config.arm_page_size.unwrap_or(usize::MAX);
            let mut page = json!({"value": value.iter().skip(skip).take(size).collect::<Vec<_>>()});
            if skip.saturating_add(size) < value.len() {
                page["nextLink"] = json!(format!(
                    "http://{host}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.CognitiveServices/accounts/{}/deployments?api-version={API_VERSION}&%24skipToken={}",
                    t.subscription,
                    t.group,
                    t.account,
                    skip + size
                ));
            }
            Ok((200, Vec::new(), Some(page)))
        }
        "Deployments_Get" => {
            let Some(i) = found(state) else {
                return Err(not_found(t));
            };
            // An operation moves one state per read.
            let d = &mut state.deployments[i];
            if d.steps_left > 0 {
                d.steps_left -= 1;
            }
            match (d.provisioning_state.as_str(), d.steps_left) {
                ("Deleting", 0) => {
                    state.deployments.remove(i);
                    return Err(not_found(t));
                }
                ("Accepted", n) if n > 0 => d.provisioning_state = "Creating".into(),
                ("Accepted" | "Creating", 0) => {
                    d.provisioning_state = if config.arm_failing_models.contains(&d.model) {
                        "Failed".into()
                    } else {
                        "Succeeded".into()
                    };
                }
                _ => {}
            }
            Ok((200, Vec::new(), Some(render(&state.deployments[i]))))
        }
        "Deployments_CreateOrUpdate" => {
            let (model, version, format, sku, capacity, tags) = read_body(body)?;
            if !model_exists(state, &model) {
                return Err(ArmError(
                    400,
                    "DeploymentModelNotSupported",
                    format!(
                        "The model '{model}' of format '{format}' is not supported or does not \
                         exist in the account '{}'.",
                        t.account
                    ),
                ));
            }
            if let Some(i) = found(state) {
                let d = &mut state.deployments[i];
                if !["Succeeded", "Failed", "Canceled"].contains(&d.provisioning_state.as_str()) {
                    return Err(ArmError(
                        409,
                        "RequestConflict",
                        format!(
                            "Another operation is being performed on the deployment '{}'; \
                             retry after it completes.",
                            d.name
                        ),
                    ));
                }
                d.model = model;
                d.version = version.unwrap_or_else(|| "1".into());
                d.format = format;
                d.sku = sku;
                d.capacity = capacity;
                d.tags = tags;
                d.provisioning_state = "Succeeded".into();
                return Ok((200, Vec::new(), Some(render(d))));
            }
            let name = t.name.clone().unwrap_or_default();
            let operation = state.rng.id("", 32);
            state.deployments.push(Deployment {
                subscription: t.subscription.clone(),
                group: t.group.clone(),
                account: t.account.clone(),
                name,
                model,
                version: version.unwrap_or_else(|| "1".into()),
                format,
                sku,
                capacity,
                provisioning_state: "Accepted".into(),
                steps_left: config.arm_steps,
                tags,
            });
            let d = state.deployments.last().map(render);
            let monitor = format!(
                "http://{host}/subscriptions/{}/providers/Microsoft.CognitiveServices/locations/emulator/operationResults/{operation}?api-version={API_VERSION}",
                t.subscription
            );
            Ok((
                201,
                vec![("azure-asyncoperation", monitor), retry_after()],
                d,
            ))
        }
        "Deployments_Delete" => {
            let Some(i) = found(state) else {
                return Ok((204, Vec::new(), None));
            };
            let d = &mut state.deployments[i];
            if d.provisioning_state != "Deleting" {
                d.provisioning_state = "Deleting".into();
                d.steps_left = config.arm_steps;
            }
            if d.steps_left == 0 {
                state.deployments.remove(i);
                return Ok((200, Vec::new(), None));
            }
            let monitor = format!(
                "http://{host}/subscriptions/{}/providers/Microsoft.CognitiveServices/locations/emulator/operationResults/{}?api-version={API_VERSION}",
                t.subscription,
                state.rng.id("", 32)
            );
            Ok((202, vec![("location", monitor), retry_after()], None))
        }
        _ => unreachable!("routed above"),
    }
}

fn not_found(t: &Target) -> ArmError {
    ArmError(
        404,
        "DeploymentNotFound",
        format!(
            "The deployment '{}' was not found in the account '{}'.",
            t.name.as_deref().unwrap_or_default(),
            t.account
        ),
    )
}

type Body6 = (
    String,
    Option<String>,
    String,
    String,
    u32,
    serde_json::Map<String, Value>,
);

/// The PUT body as the spec's `Deployment` defines it: an object; `sku.name` required (the
/// spec's `Sku`), read-only fields ignored, an unknown top-level field refused.
fn read_body(body: &[u8]) -> Result<Body6, ArmError> {
    let bad = |m: String| ArmError(400, "InvalidRequestContent", m);
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        bad(format!(
            "The request content was invalid and could not be deserialized: {e}"
        ))
    })?;
    let obj = v
        .as_object()
        .ok_or_else(|| bad("The request content must be an object.".into()))?;
    let known = [
        "properties",
        "sku",
        "tags",
        "id",
        "name",
        "type",
        "etag",
        "systemData",
    ];
    if let Some(k) = obj.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(bad(format!(
            "Could not find member '{k}' on object of type 'Deployment'."
        )));
    }
    let model = &v["properties"]["model"];
    let text = |v: &Value| v.as_str().map(str::to_string);
    let Some(name) = text(&model["name"]).filter(|n| !n.is_empty()) else {
        return Err(ArmError(
            400,
            "InvalidResourceProperties",
            "The deployment's properties.model.name is required.".into(),
        ));
    };
    let format = text(&model["format"]).unwrap_or_else(|| "OpenAI".into());
    let Some(sku) = text(&v["sku"]["name"]).filter(|n| !n.is_empty()) else {
        return Err(ArmError(
            400,
            "InvalidResourceProperties",
            "The deployment's sku.name is required.".into(),
        ));
    };
    let capacity = match &v["sku"]["capacity"] {
        Value::Null => 1,
        c => c
            .as_u64()
            .filter(|c| *c >= 1 && *c <= i32::MAX as u64)
            .ok_or_else(|| bad("sku.capacity must be a positive int32.".into()))?
            as u32,
    };
    let tags = match &v["tags"] {
        Value::Null => Default::default(),
        Value::Object(t) if t.values().all(Value::is_string) => t.clone(),
        _ => return Err(bad("tags must be an object of strings.".into())),
    };
    Ok((name, text(&model["version"]), format, sku, capacity, tags))
}

/// A model the account has: one the data plane's models list shows, or a fine-tuned model or
/// checkpoint of a succeeded job.
fn model_exists(state: &State, model: &str) -> bool {
    crate::models::base(model).is_some()
        || state.jobs.iter().any(|j| {
            (j.status == JobStatus::Succeeded && j.fine_tuned_model.as_deref() == Some(model))
                || j.checkpoints
                    .iter()
                    .any(|c| c.fine_tuned_model_checkpoint == model)
        })
}

fn render(d: &Deployment) -> Value {
    json!({
        "id": format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.CognitiveServices/accounts/{}/deployments/{}",
            d.subscription, d.group, d.account, d.name
        ),
        "name": d.name,
        "type": "Microsoft.CognitiveServices/accounts/deployments",
        "sku": {"name": d.sku, "capacity": d.capacity},
        "tags": d.tags,
        "properties": {
            "model": {"format": d.format, "name": d.model, "version": d.version},
            "provisioningState": d.provisioning_state,
        },
    })
}

/// Idle deletion: Azure deleting a deployment nobody called. Returns whether there was one.
pub fn idle(state: &mut State, name: &str) -> bool {
    let before = state.deployments.len();
    state.deployments.retain(|d| d.name != name);
    state.deployments.len() != before
}
