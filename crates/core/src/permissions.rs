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
    /// True when this call created the grant (including a create whose answer was lost and
    /// which the lookup that followed found); false when the project already had one.
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

    /// Checks the keys: a credential passed as a query field would end up in Terraform's state
    /// and plan output, so it gets its own refusal naming the environment variable instead of
    /// the generic unknown-key one. Only the field name is quoted, never its value.
    fn check_keys(input: &Input) -> Result<()> {
        if let Some((k, _)) = input
            .iter()
            .find(|(k, _)| k.to_ascii_lowercase().contains("key"))
        {
            return Err(InputError::invalid(
                "input",
                k,
                "keys are never query fields: export OPENAI_ADMIN_KEY in the environment that \
                 runs Terraform and remove this field, which Terraform would store in state",
            )
            .into());
        }
        Ok(input.only(INPUTS)?)
    }

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

    /// Azure OpenAI has no checkpoint-permissions API: say so before anything else, with the
    /// Azure ways to share a model.
    fn check_flavor(platform: &dyn Platform) -> Result<()> {
        let flavor = platform.flavor();
        if flavor.has_checkpoint_permissions() {
            return Ok(());
        }
        Err(crate::Error::Failed(format!(
            "checkpoint permissions do not exist on Azure OpenAI (OPENAI_FT_FLAVOR={}): share the \
             model with Azure role-based access on the resource (for example \
             azurerm_role_assignment with Cognitive Services OpenAI User), or deploy it into the \
             other resource (a cross-resource deployment), instead of enabling checkpoint_permissions",
            flavor.name()
        )))
    }

    fn json<T: serde::Serialize>(value: &T) -> String {
        // Maps and lists of strings always serialise.
        serde_json::to_string(value).unwrap_or_default()
    }

    /// `permissions check`: sends nothing; fails on an API without checkpoint permissions
    /// (Azure), so a module can refuse at plan time. Outputs `flavor`.
    pub fn check(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
        input.only(&[])?;
        check_flavor(platform)?;
        Ok(vec![(
            "flavor".to_owned(),
            platform.flavor().name().to_owned(),
        )])
    }

    /// `permissions grant`: outputs `checkpoint`, `permission_ids` (JSON map project to
    /// permission id), `permission_id` (one project only), `created` (JSON list of the projects
    /// newly granted) and `count`.
    pub fn grant(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
        check_flavor(platform)?;
        check_keys(input)?;
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
        check_flavor(platform)?;
        check_keys(input)?;
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
        check_flavor(platform)?;
        check_keys(input)?;
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

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use super::*;
    use crate::input::Input;
    use crate::platform::{Body, FileError, Response};

    const CKPT: &str = "ft:gpt-4o-mini-2024-07-18:org:suffix:abc123";

    #[derive(Debug, Clone, Copy)]
    enum Fault {
        /// Applied, then no answer.
        CommitThenDrop,
        /// Not applied, no answer.
        Reset,
        /// Not applied, this status.
        Status(u16),
    }

    /// The permission endpoints in memory, with scripted faults and a record of every call.
    struct Fake {
        grants: Vec<(String, String)>,
        next: u32,
        page_size: usize,
        /// A gateway that drops the `project_id` filter.
        ignore_filter: bool,
        /// A server whose `has_more` never ends and whose cursor never moves.
        stuck_cursor: bool,
        faults: VecDeque<(Method, Fault)>,
        log: Vec<String>,
        sleeps: Vec<Duration>,
        progress: Vec<String>,
    }

    impl Fake {
        fn new() -> Self {
            Self {
                grants: Vec::new(),
                next: 0,
                page_size: 100,
                ignore_filter: false,
                stuck_cursor: false,
                faults: VecDeque::new(),
                log: Vec::new(),
                sleeps: Vec::new(),
                progress: Vec::new(),
            }
        }

        fn with(projects: &[&str]) -> Self {
            let mut fake = Self::new();
            for p in projects {
                fake.add(p);
            }
            fake
        }

        fn add(&mut self, project: &str) -> String {
            self.next += 1;
            let id = format!("cp_{:03}", self.next);
            self.grants.push((id.clone(), project.to_owned()));
            id
        }

        fn fault(mut self, method: Method, fault: Fault) -> Self {
            self.faults.push_back((method, fault));
            self
        }

        fn count(&self, prefix: &str) -> usize {
            self.log.iter().filter(|l| l.starts_with(prefix)).count()
        }

        fn answer(status: u16, body: serde_json::Value) -> Response {
            Response {
                status,
                headers: Vec::new(),
                body: body.to_string().into_bytes(),
            }
        }

        fn object(id: &str, project: &str) -> serde_json::Value {
            serde_json::json!({"id": id, "object": "checkpoint.permission", "created_at": 1, "project_id": project})
        }

        fn apply(&mut self, request: &Request) -> Response {
            let base = format!("/fine_tuning/checkpoints/{CKPT}/permissions");
            let q = |k: &str| {
                request
                    .query
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
            };
            match request.method {
                Method::Get => {
                    assert_eq!(request.path, base);
                    assert_eq!(q("order").as_deref(), Some("ascending"));
                    let project = q("project_id").filter(|_| !self.ignore_filter);
                    let items: Vec<&(String, String)> = self
                        .grants
                        .iter()
                        .filter(|(_, p)| project.as_ref().is_none_or(|want| p == want))
                        .collect();
                    let start = match q("after") {
                        Some(a) => items
                            .iter()
                            .position(|(id, _)| *id == a)
                            .map_or(0, |i| i + 1),
                        None => 0,
                    };
                    let page: Vec<_> = items.iter().skip(start).take(self.page_size).collect();
                    let has_more = self.stuck_cursor || start + page.len() < items.len();
                    let last_id = if self.stuck_cursor {
                        Some("cp_stuck".to_owned())
                    } else {
                        page.last().map(|(id, _)| id.clone())
                    };
                    Self::answer(
                        200,
                        serde_json::json!({
                            "object": "list",
                            "data": page.iter().map(|(id, p)| Self::object(id, p)).collect::<Vec<_>>(),
                            "has_more": has_more,
                            "first_id": page.first().map(|(id, _)| id.clone()),
                            "last_id": last_id,
                        }),
                    )
                }
                Method::Post => {
                    assert_eq!(request.path, base);
                    let Some(Body::Json(body)) = &request.body else {
                        panic!("a JSON body")
                    };
                    let body: serde_json::Value = serde_json::from_str(body).unwrap();
                    let projects = body["project_ids"].as_array().unwrap();
                    assert_eq!(projects.len(), 1, "one project per create");
                    let project = projects[0].as_str().unwrap();
                    let id = match self.grants.iter().find(|(_, p)| p == project) {
                        Some((id, _)) => id.clone(),
                        None => self.add(project),
                    };
                    Self::answer(
                        200,
                        serde_json::json!({"object": "list", "data": [Self::object(&id, project)], "has_more": false}),
                    )
                }
                Method::Delete => {
                    let id = request.path.strip_prefix(&format!("{base}/")).unwrap();
                    match self.grants.iter().position(|(g, _)| g == id) {
                        Some(i) => {
                            self.grants.remove(i);
                            Self::answer(200, serde_json::json!({"id": id, "deleted": true}))
                        }
                        None => Self::answer(
                            404,
                            serde_json::json!({"error": {"message": "Checkpoint permission not found", "type": "invalid_request_error"}}),
                        ),
                    }
                }
            }
        }
    }

    impl Platform for Fake {
        fn send(&mut self, request: &Request) -> Result<Response, HttpError> {
            assert_eq!(request.credential, Credential::Admin);
            let query: Vec<String> = request
                .query
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            self.log.push(format!(
                "{} {}?{}",
                request.method.as_str(),
                request.path.rsplit('/').next().unwrap_or_default(),
                query.join("&")
            ));
            let fault = self
                .faults
                .iter()
                .position(|(m, _)| *m == request.method)
                .and_then(|i| self.faults.remove(i))
                .map(|(_, f)| f);
            match fault {
                None => Ok(self.apply(request)),
                Some(Fault::CommitThenDrop) => {
                    self.apply(request);
                    Err(HttpError::Transport(
                        "connection closed before the answer".into(),
                    ))
                }
                Some(Fault::Reset) => Err(HttpError::Transport("connection reset".into())),
                Some(Fault::Status(s)) => Ok(Self::answer(
                    s,
                    serde_json::json!({"error": {"message": "Try again later", "type": "server_error"}}),
                )),
            }
        }
        fn now(&self) -> u64 {
            1_700_000_000
        }
        fn sleep(&mut self, duration: Duration) {
            self.sleeps.push(duration);
        }
        fn random(&mut self) -> f64 {
            0.0
        }
        fn progress(&mut self, line: &str) {
            self.progress.push(line.to_owned());
        }
        fn file_size(&mut self) -> Result<u64, FileError> {
            Err(FileError::Denied("no file".into()))
        }
        fn file_read(&mut self, _: u64, _: u32) -> Result<Vec<u8>, FileError> {
            Err(FileError::Denied("no file".into()))
        }
    }

    fn ckpt() -> CheckpointName {
        CheckpointName::parse("checkpoint", CKPT).unwrap()
    }

    fn project(p: &str) -> ProjectId {
        ProjectId::parse("project_id", p).unwrap()
    }

    #[test]
    fn project_ids_are_checked() {
        assert!(ProjectId::parse("project_id", "proj_abc-123_X").is_ok());
        for bad in ["proj_", "proj-abc", "abc", "proj_a/b", "proj_a b", "proj_é"] {
            let e = ProjectId::parse("project_id", bad).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "invalid project_id {}: must be a project id like \"proj_abc123\"",
                    crate::error::quote(bad)
                )
            );
        }
    }

    #[test]
    fn checkpoint_names_are_segment_safe() {
        for good in [
            CKPT,
            "ft:gpt-4o-mini-2024-07-18:org:suffix:abc123:ckpt-step-10",
        ] {
            assert_eq!(
                CheckpointName::parse("checkpoint", good).unwrap().as_str(),
                good
            );
        }
        for bad in [
            "ft:", "gpt-4o", "ft:a/b", "ft:a?b", "ft:a#b", "ft:a b", "ft:a..b", "ft:a%2fb",
            "ft:a\nb", "ft:é",
        ] {
            assert!(CheckpointName::parse("checkpoint", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn list_follows_every_page_with_the_last_id() {
        let mut fake = Fake::with(&["proj_a", "proj_b", "proj_c", "proj_d", "proj_e"]);
        fake.page_size = 2;
        let all = Admin::new(&mut fake, ckpt()).list(None).unwrap();
        let projects: Vec<&str> = all.iter().map(|p| p.project_id.as_str()).collect();
        assert_eq!(projects, ["proj_a", "proj_b", "proj_c", "proj_d", "proj_e"]);
        assert_eq!(
            fake.log,
            [
                "GET permissions?limit=100&order=ascending",
                "GET permissions?limit=100&order=ascending&after=cp_002",
                "GET permissions?limit=100&order=ascending&after=cp_004",
            ]
        );
    }

    #[test]
    fn a_cursor_that_does_not_move_is_an_error_not_a_loop() {
        let mut fake = Fake::with(&["proj_a"]);
        fake.stuck_cursor = true;
        let e = Admin::new(&mut fake, ckpt()).list(None).unwrap_err();
        assert!(
            e.to_string().contains("has_more but gave no new cursor"),
            "{e}"
        );
        assert_eq!(fake.count("GET"), 2);
    }

    #[test]
    fn lookup_filters_by_project_even_when_the_server_does_not() {
        let mut fake = Fake::with(&["proj_a", "proj_b"]);
        fake.ignore_filter = true;
        let found = Admin::new(&mut fake, ckpt())
            .lookup(&project("proj_b"))
            .unwrap();
        assert_eq!(found.map(|p| p.id).as_deref(), Some("cp_002"));
        assert_eq!(
            fake.log,
            ["GET permissions?limit=100&order=ascending&project_id=proj_b"]
        );
    }

    #[test]
    fn an_existing_grant_is_reused_without_a_create() {
        let mut fake = Fake::with(&["proj_a"]);
        let g = grant(&mut fake, &ckpt(), &[project("proj_a")]).unwrap();
        assert_eq!(g[0].permission_id, "cp_001");
        assert!(!g[0].created);
        assert_eq!(fake.count("POST"), 0);
    }

    #[test]
    fn a_create_committed_then_dropped_is_found_by_the_lookup() {
        let mut fake = Fake::new().fault(Method::Post, Fault::CommitThenDrop);
        let g = grant(&mut fake, &ckpt(), &[project("proj_a")]).unwrap();
        assert_eq!(g[0].permission_id, "cp_001");
        assert!(g[0].created);
        assert_eq!(fake.grants.len(), 1);
        assert_eq!(
            fake.log,
            [
                "GET permissions?limit=100&order=ascending&project_id=proj_a",
                "POST permissions?",
                "GET permissions?limit=100&order=ascending&project_id=proj_a",
            ]
        );
        assert_eq!(
            fake.progress,
            [format!(
                "POST /fine_tuning/checkpoints/{CKPT}/permissions: connection closed before the \
                 answer; looking proj_a up before retry 1 of 5 in 1.0 s"
            )]
        );
    }

    #[test]
    fn a_failed_create_that_did_not_commit_is_sent_again_after_a_lookup() {
        for fault in [Fault::Reset, Fault::Status(503), Fault::Status(429)] {
            let mut fake = Fake::new().fault(Method::Post, fault);
            let g = grant(&mut fake, &ckpt(), &[project("proj_a")]).unwrap();
            assert_eq!(g[0].permission_id, "cp_001", "{fault:?}");
            assert_eq!(fake.grants.len(), 1);
            assert_eq!(
                fake.log,
                [
                    "GET permissions?limit=100&order=ascending&project_id=proj_a",
                    "POST permissions?",
                    "GET permissions?limit=100&order=ascending&project_id=proj_a",
                    "POST permissions?",
                ],
                "{fault:?}"
            );
        }
    }

    #[test]
    fn the_last_dropped_create_is_still_looked_up() {
        let mut fake = Fake::new();
        for _ in 0..Policy::ADMIN.max_retries {
            fake = fake.fault(Method::Post, Fault::Reset);
        }
        fake = fake.fault(Method::Post, Fault::CommitThenDrop);
        let g = grant(&mut fake, &ckpt(), &[project("proj_a")]).unwrap();
        assert_eq!(g[0].permission_id, "cp_001");
        assert_eq!(fake.count("POST"), 6);
        assert_eq!(fake.grants.len(), 1);
    }

    #[test]
    fn a_refused_create_is_not_retried() {
        let mut fake = Fake::new().fault(Method::Post, Fault::Status(401));
        let e = grant(&mut fake, &ckpt(), &[project("proj_a")]).unwrap_err();
        assert!(matches!(&e, Error::Api(a) if a.status == 401), "{e}");
        assert_eq!(fake.count("POST"), 1);
        assert!(fake.grants.is_empty());
    }

    #[test]
    fn calls_are_paced_and_backoff_needs_no_retry_after() {
        let mut fake = Fake::new().fault(Method::Post, Fault::Status(429));
        grant(&mut fake, &ckpt(), &[project("proj_a"), project("proj_b")]).unwrap();
        // a: lookup, create (429), backoff, lookup, create; b: lookup, create.
        assert_eq!(
            fake.sleeps,
            [PACE, Duration::from_secs(1), PACE, PACE, PACE, PACE,]
        );
    }

    #[test]
    fn revoke_deletes_only_the_named_projects_and_absent_is_success() {
        let mut fake = Fake::with(&["proj_a", "proj_b", "proj_c"]);
        let revoked = revoke(
            &mut fake,
            &ckpt(),
            &[project("proj_a"), project("proj_x"), project("proj_c")],
        )
        .unwrap();
        assert_eq!(revoked, [project("proj_a"), project("proj_c")]);
        assert_eq!(fake.grants, [("cp_002".to_owned(), "proj_b".to_owned())]);
        assert_eq!(fake.count("DELETE"), 2);
    }

    #[test]
    fn a_grant_gone_before_the_delete_counts_as_revoked() {
        let mut fake = Fake::with(&["proj_a"]).fault(Method::Delete, Fault::CommitThenDrop);
        let revoked = revoke(&mut fake, &ckpt(), &[project("proj_a")]).unwrap();
        // The retried DELETE got a 404: the grant is gone, as asked.
        assert_eq!(revoked, [project("proj_a")]);
        assert_eq!(fake.count("DELETE"), 2);
        assert!(fake.grants.is_empty());
    }

    fn input(pairs: &[(&str, &str)]) -> Input {
        pairs.iter().copied().collect()
    }

    #[test]
    fn grant_command_outputs() {
        let mut fake = Fake::with(&["proj_b"]);
        let out = command::grant(
            &mut fake,
            &input(&[
                ("checkpoint", CKPT),
                ("project_ids", r#"["proj_b","proj_a"]"#),
            ]),
        )
        .unwrap();
        let out: Vec<(&str, &str)> = out.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            out,
            [
                ("checkpoint", CKPT),
                ("permission_ids", r#"{"proj_a":"cp_002","proj_b":"cp_001"}"#),
                ("created", r#"["proj_a"]"#),
                ("count", "2"),
            ]
        );
        let out = command::grant(
            &mut fake,
            &input(&[("checkpoint", CKPT), ("project_id", "proj_a")]),
        )
        .unwrap();
        assert!(out.contains(&("permission_id".to_owned(), "cp_002".to_owned())));
    }

    #[test]
    fn read_and_revoke_command_outputs() {
        let mut fake = Fake::with(&["proj_b", "proj_a"]);
        let out = command::read(
            &mut fake,
            &input(&[
                ("checkpoint", CKPT),
                ("project_ids", r#"["proj_a","proj_c"]"#),
            ]),
        )
        .unwrap();
        let out: Vec<(&str, &str)> = out.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            out,
            [
                ("checkpoint", CKPT),
                ("permissions", r#"{"proj_a":"cp_002","proj_b":"cp_001"}"#),
                ("count", "2"),
                ("missing", r#"["proj_c"]"#),
            ]
        );
        assert_eq!(fake.count("GET"), 1);
        let out = command::revoke(
            &mut fake,
            &input(&[
                ("checkpoint", CKPT),
                ("project_ids", r#"["proj_b","proj_c"]"#),
            ]),
        )
        .unwrap();
        let out: Vec<(&str, &str)> = out.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            out,
            [
                ("checkpoint", CKPT),
                ("revoked", r#"["proj_b"]"#),
                ("count", "1")
            ]
        );
    }

    #[test]
    fn inputs_are_checked_before_any_call() {
        let mut fake = Fake::new();
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[("checkpoint", CKPT)],
                "missing project_id: set project_id to a project id (proj_...), or project_ids \
                 to a JSON list of them",
            ),
            (
                &[("checkpoint", CKPT), ("project_ids", r#"["proj_a", 3]"#)],
                r#"invalid project_ids "[\"proj_a\", 3]": must be a JSON list of project ids, for example ["proj_abc123"] (jsonencode() it in Terraform)"#,
            ),
            (
                &[
                    ("checkpoint", CKPT),
                    ("project_ids", r#"["proj_a","nope"]"#),
                ],
                r#"invalid project_ids[1] "nope": must be a project id like "proj_abc123""#,
            ),
        ];
        for (pairs, expected) in cases {
            let e = command::grant(&mut fake, &input(pairs)).unwrap_err();
            assert_eq!(e.to_string(), *expected);
        }
        assert!(fake.log.is_empty());
    }
}
