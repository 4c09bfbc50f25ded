//! Checkpoint permissions: which projects may use a fine-tuned model or checkpoint. Every call
//! goes to the admin endpoints with the admin key, one project at a time, so a grant or revoke
//! never touches a project it was not asked about, and every create is resolved by looking the
//! grant up, never by posting it blindly again.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use crate::api;
use crate::error::{Error, HttpError, InputError, Result};
use crate::platform::{Credential, Method, Platform, Request};
use crate::retry::{self, Decision, Policy};

/// The pause before each admin call after the first. The admin endpoints share a small
/// organisation-wide rate limit and recover from a 429 slowly, so a command that walks many
/// projects spaces its calls out instead of bursting and then backing off for seconds.
pub const PACE: Duration = Duration::from_millis(200);

/// Items per list page: the most the list endpoint accepts, so a read is as few calls as possible.
pub const PAGE_LIMIT: u32 = 100;

/// A project id (`proj_...`), checked before it goes into a body or a query.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProjectId(String);

impl ProjectId {
    /// Accepts `proj_` followed by letters, digits, `_` and `-`.
    pub fn parse(field: &str, value: &str) -> Result<Self, InputError> {
        match value.strip_prefix("proj_") {
            Some(rest)
                if !rest.is_empty()
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
            {
                Ok(Self(value.to_owned()))
            }
            _ => Err(InputError::invalid(
                field,
                value,
                "must be a project id like \"proj_abc123\"",
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A fine-tuned model or checkpoint name (`ft:...`), checked so it can go into a path segment as
/// is: `:` is legal in a segment, so nothing needs percent-encoding once the rest is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointName(String);

impl CheckpointName {
    /// Accepts `ft:` followed by RFC 3986 segment characters that need no encoding (letters,
    /// digits, `-._~:@!$&'()*+,;=`), with no `..` anywhere.
    pub fn parse(field: &str, value: &str) -> Result<Self, InputError> {
        let segment_safe = |c: char| c.is_ascii_alphanumeric() || "-._~:@!$&'()*+,;=".contains(c);
        match value.strip_prefix("ft:") {
            Some(rest)
                if !rest.is_empty() && rest.chars().all(segment_safe) && !value.contains("..") =>
            {
                Ok(Self(value.to_owned()))
            }
            _ => Err(InputError::invalid(
                field,
                value,
                "must be a fine-tuned model or checkpoint name like \
                 \"ft:gpt-4o-mini-2024-07-18:my-org:suffix:abc123\" (no /, ?, #, %, spaces or ..)",
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CheckpointName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One grant as the API returns it (`checkpoint.permission`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Permission {
    /// `cp_...`.
    pub id: String,
    pub project_id: String,
    #[serde(default)]
    pub created_at: u64,
}

/// One page of the list endpoint.
#[derive(Debug, Deserialize)]
struct Page {
    data: Vec<Permission>,
    #[serde(default)]
    has_more: bool,
    #[serde(default)]
    last_id: Option<String>,
}

/// The outcome of granting one project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub project_id: ProjectId,
    pub permission_id: String,
    /// False when the grant already existed (or a create that lost its answer had committed and
    /// was found by the lookup that followed).
    pub created: bool,
}

/// The admin endpoints of one checkpoint, with calls paced by [`PACE`].
pub struct Admin<'p> {
    platform: &'p mut dyn Platform,
    checkpoint: CheckpointName,
    pace: Duration,
    calls: u32,
}

impl<'p> Admin<'p> {
    pub fn new(platform: &'p mut dyn Platform, checkpoint: CheckpointName) -> Self {
        Self {
            platform,
            checkpoint,
            pace: PACE,
            calls: 0,
        }
    }

    /// The collection path; the name was checked to be segment-safe.
    fn path(&self) -> String {
        format!("/fine_tuning/checkpoints/{}/permissions", self.checkpoint)
    }

    /// Waits before every logical call but the first (retries back off on their own).
    fn pace(&mut self) {
        if self.calls > 0 {
            self.platform.sleep(self.pace);
        }
        self.calls += 1;
    }

    /// Every grant, oldest first, following `has_more` with `after = last_id`; with `project`,
    /// only that project's (filtered by the server, and again here in case a gateway drops the
    /// filter).
    pub fn list(&mut self, project: Option<&ProjectId>) -> Result<Vec<Permission>> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        loop {
            // Ascending, so grants made while we page land after the cursor, not before it.
            let mut request = Request::new(Method::Get, self.path(), Credential::Admin)
                .query("limit", PAGE_LIMIT.to_string())
                .query("order", "ascending");
            if let Some(p) = project {
                request = request.query("project_id", p.as_str());
            }
            if let Some(a) = &after {
                request = request.query("after", a.as_str());
            }
            self.pace();
            let page: Page = api::fetch(self.platform, &request, &Policy::ADMIN)?;
            let next = page
                .last_id
                .clone()
                .filter(|id| !id.is_empty())
                .or_else(|| page.data.last().map(|p| p.id.clone()));
            all.extend(
                page.data
                    .into_iter()
                    .filter(|p| project.is_none_or(|want| p.project_id == want.as_str())),
            );
            if !page.has_more {
                return Ok(all);
            }
            match next {
                // A cursor that does not move would page forever.
                Some(n) if after.as_ref() != Some(&n) => after = Some(n),
                _ => {
                    return Err(Error::Failed(format!(
                        "GET {}: the API said has_more but gave no new cursor (last_id); is \
                         OPENAI_BASE_URL an OpenAI-compatible API?",
                        self.path()
                    )));
                }
            }
        }
    }

    /// The grant of `project`, looked up fresh.
    pub fn lookup(&mut self, project: &ProjectId) -> Result<Option<Permission>> {
        Ok(self.list(Some(project))?.into_iter().next())
    }

    /// Grants `project` unless it already has a grant. One project per create, so nothing else
    /// is touched. A create whose answer was lost (timeout, dropped connection, 5xx) may have
    /// been applied, so before any second create the grant is looked up again.
    pub fn grant(&mut self, project: &ProjectId) -> Result<Grant> {
        if let Some(p) = self.lookup(project)? {
            return Ok(Grant {
                project_id: project.clone(),
                permission_id: p.id,
                created: false,
            });
        }
        let request = Request::new(Method::Post, self.path(), Credential::Admin)
            .json(&serde_json::json!({ "project_ids": [project.as_str()] }));
        let policy = Policy::ADMIN;
        let mut retry = 0;
        loop {
            self.pace();
            let (decision, reason) = match self.platform.send(&request) {
                Ok(r) if (200..300).contains(&r.status) => {
                    let page: Page = api::decode(&request, &r)?;
                    return match page
                        .data
                        .into_iter()
                        .find(|p| p.project_id == project.as_str())
                    {
                        Some(p) => Ok(Grant {
                            project_id: project.clone(),
                            permission_id: p.id,
                            created: true,
                        }),
                        None => Err(Error::Failed(format!(
                            "POST {}: the answer lists no grant for {project}; is \
                             OPENAI_BASE_URL an OpenAI-compatible API?",
                            self.path()
                        ))),
                    };
                }
                Ok(r) => {
                    let now = self.platform.now();
                    let random = self.platform.random();
                    match retry::after_response(&policy, retry, &r, now, random) {
                        Decision::Stop => return Err(api::api_error(&request, &r, now).into()),
                        d => (d, format!("HTTP {}", r.status)),
                    }
                }
                Err(e @ (HttpError::Timeout(_) | HttpError::Transport(_)))
                    if retry < policy.max_retries =>
                {
                    let random = self.platform.random();
                    (
                        retry::after_transport_error(&policy, retry, random),
                        e.to_string(),
                    )
                }
                Err(e) if e.may_have_committed() => {
                    // Out of retries, but the last create may still have landed.
                    return match self.lookup(project)? {
                        Some(p) => Ok(Grant {
                            project_id: project.clone(),
                            permission_id: p.id,
                            created: true,
                        }),
                        None => Err(e.into()),
                    };
                }
                Err(e) => return Err(e.into()),
            };
            if let Decision::RetryAfter(delay) = decision {
                self.platform.progress(&format!(
                    "POST {}: {reason}; looking {project} up before retry {} of {} in {:.1} s",
                    request.path,
                    retry + 1,
                    policy.max_retries,
                    delay.as_secs_f64()
                ));
                self.platform.sleep(delay);
            }
            retry += 1;
            // Whatever went wrong, the create may have been applied: trust only a fresh lookup.
            if let Some(p) = self.lookup(project)? {
                return Ok(Grant {
                    project_id: project.clone(),
                    permission_id: p.id,
                    created: true,
                });
            }
        }
    }

    /// Removes the grant of `project`, looked up fresh; returns the permission id removed, or
    /// `None` when the project had no grant. A grant that vanished between the lookup and the
    /// delete (404) is gone either way, which is what was asked.
    pub fn revoke(&mut self, project: &ProjectId) -> Result<Option<String>> {
        let Some(p) = self.lookup(project)? else {
            return Ok(None);
        };
        let id = permission_id(&p.id)?;
        let request = Request::new(
            Method::Delete,
            format!("{}/{id}", self.path()),
            Credential::Admin,
        );
        self.pace();
        match api::send(self.platform, &request, &Policy::ADMIN) {
            Ok(_) => Ok(Some(p.id)),
            Err(Error::Api(e)) if e.status == 404 => Ok(Some(p.id)),
            Err(e) => Err(e),
        }
    }
}

/// Checks a permission id from the API before it goes into a path.
fn permission_id(id: &str) -> Result<&str> {
    if !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        Ok(id)
    } else {
        Err(Error::Failed(format!(
            "the API returned permission id {}, which is not a plain id; is OPENAI_BASE_URL an \
             OpenAI-compatible API?",
            crate::error::quote(id)
        )))
    }
}

/// Grants each project in turn (one create per missing project).
pub fn grant(
    platform: &mut dyn Platform,
    checkpoint: &CheckpointName,
    projects: &[ProjectId],
) -> Result<Vec<Grant>> {
    let mut admin = Admin::new(platform, checkpoint.clone());
    projects.iter().map(|p| admin.grant(p)).collect()
}

/// Every current grant: project id to permission id (the oldest, should a project have several).
pub fn read(
    platform: &mut dyn Platform,
    checkpoint: &CheckpointName,
) -> Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for p in Admin::new(platform, checkpoint.clone()).list(None)? {
        map.entry(p.project_id).or_insert(p.id);
    }
    Ok(map)
}

/// Revokes each project's grant; returns the projects whose grant was removed.
pub fn revoke(
    platform: &mut dyn Platform,
    checkpoint: &CheckpointName,
    projects: &[ProjectId],
) -> Result<Vec<ProjectId>> {
    let mut admin = Admin::new(platform, checkpoint.clone());
    let mut revoked = Vec::new();
    for p in projects {
        if admin.revoke(p)?.is_some() {
            revoked.push(p.clone());
        }
    }
    Ok(revoked)
}

/// The command layer: the flat input map checked into typed values, the results as flat strings.
pub mod command {
    use super::*;
    use crate::commands::Output;
    use crate::input::Input;

    const CHECKPOINT_FIX: &str =
        "set it to the fine-tuned model or checkpoint name (ft:...) to share";

    /// The inputs every `permissions` command accepts, required first.
    pub const INPUTS: &[&str] = &["checkpoint", "project_id", "project_ids"];

    fn checkpoint(input: &Input) -> Result<CheckpointName> {
        Ok(CheckpointName::parse(
            "checkpoint",
            input.require("checkpoint", CHECKPOINT_FIX)?,
        )?)
    }

    /// `project_id`, or `project_ids` (a JSON list), never both; duplicates collapse, order stays.
    /// `None` when neither is set.
    fn projects(input: &Input) -> Result<Option<Vec<ProjectId>>> {
        let ids = match (input.get("project_id"), input.get("project_ids")) {
            (Some(_), Some(_)) => {
                return Err(InputError::invalid(
                    "input",
                    "project_id, project_ids",
                    "set project_id for one project or project_ids for several, not both",
                )
                .into());
            }
            (Some(one), None) => vec![ProjectId::parse("project_id", one)?],
            (None, Some(raw)) => {
                let list: Vec<String> = serde_json::from_str(raw).map_err(|_| {
                    InputError::invalid(
                        "project_ids",
                        raw,
                        "must be a JSON list of project ids, for example \
                         [\"proj_abc123\"] (jsonencode() it in Terraform)",
                    )
                })?;
                let mut ids: Vec<ProjectId> = Vec::with_capacity(list.len());
                for (i, value) in list.iter().enumerate() {
                    let id = ProjectId::parse(&format!("project_ids[{i}]"), value)?;
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                ids
            }
            (None, None) => return Ok(None),
        };
        Ok(Some(ids))
    }

    /// Like [`projects`], but at least one is required.
    fn required_projects(input: &Input) -> Result<Vec<ProjectId>> {
        match projects(input)? {
            Some(ids) if !ids.is_empty() => Ok(ids),
            Some(_) => Err(InputError::invalid(
                "project_ids",
                input.get("project_ids").unwrap_or_default(),
                "must list at least one project id",
            )
            .into()),
            None => Err(InputError::missing(
                "project_id",
                "set project_id to a project id (proj_...), or project_ids to a JSON list of them",
            )
            .into()),
        }
    }

    fn json<T: serde::Serialize>(value: &T) -> String {
        // Maps and lists of strings always serialise.
        serde_json::to_string(value).unwrap_or_default()
    }

    /// `permissions grant`: outputs `checkpoint`, `permission_ids` (JSON map project to
    /// permission id), `permission_id` (one project only), `created` (JSON list of the projects
    /// newly granted) and `count`.
    pub fn grant(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
        input.only(INPUTS)?;
        let checkpoint = checkpoint(input)?;
        let projects = required_projects(input)?;
        let grants = super::grant(platform, &checkpoint, &projects)?;
        let ids: BTreeMap<&str, &str> = grants
            .iter()
            .map(|g| (g.project_id.as_str(), g.permission_id.as_str()))
            .collect();
        let created: Vec<&str> = grants
            .iter()
            .filter(|g| g.created)
            .map(|g| g.project_id.as_str())
            .collect();
        let mut out = vec![
            ("checkpoint".to_owned(), checkpoint.to_string()),
            ("permission_ids".to_owned(), json(&ids)),
        ];
        if let [one] = grants.as_slice() {
            out.push(("permission_id".to_owned(), one.permission_id.clone()));
        }
        out.push(("created".to_owned(), json(&created)));
        out.push(("count".to_owned(), grants.len().to_string()));
        Ok(out)
    }

    /// `permissions read`: outputs `checkpoint`, `permissions` (JSON map project to permission
    /// id), `count`, and with projects given, `missing` (JSON list of those without a grant).
    pub fn read(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
        input.only(INPUTS)?;
        let checkpoint = checkpoint(input)?;
        let wanted = projects(input)?;
        let map = super::read(platform, &checkpoint)?;
        let mut out = vec![
            ("checkpoint".to_owned(), checkpoint.to_string()),
            ("permissions".to_owned(), json(&map)),
            ("count".to_owned(), map.len().to_string()),
        ];
        if let Some(wanted) = wanted {
            let missing: Vec<&str> = wanted
                .iter()
                .map(ProjectId::as_str)
                .filter(|p| !map.contains_key(*p))
                .collect();
            out.push(("missing".to_owned(), json(&missing)));
        }
        Ok(out)
    }

    /// `permissions revoke`: outputs `checkpoint`, `revoked` (JSON list of the projects whose
    /// grant was removed) and `count`.
    pub fn revoke(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
        input.only(INPUTS)?;
        let checkpoint = checkpoint(input)?;
        let projects = required_projects(input)?;
        let revoked = super::revoke(platform, &checkpoint, &projects)?;
        let revoked: Vec<&str> = revoked.iter().map(ProjectId::as_str).collect();
        Ok(vec![
            ("checkpoint".to_owned(), checkpoint.to_string()),
            ("revoked".to_owned(), json(&revoked)),
            ("count".to_owned(), revoked.len().to_string()),
        ])
    }
}
