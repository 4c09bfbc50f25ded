//! Checkpoint permissions: which projects may use a fine-tuned model or checkpoint. Every call
//! goes to the admin endpoints with the admin key, one project at a time, so a grant or revoke
//! never touches a project it was not asked about, and every create is resolved by looking the
//! grant up, never by posting it blindly again.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::api::create::{Create, CreatePolicy, Created};
use crate::api::page::{Page, Pager, listed_by_id};
use crate::api::{self, Pace, retry::Policy};
use crate::error::{Error, Result};
use crate::ids::{CheckpointName, ProjectId, permission_id};
use crate::platform::{Credential, Method, Platform, Request};

/// The pause before each admin call after the first. The admin endpoints share a small
/// organisation-wide rate limit and recover from a 429 slowly, so a command that walks many
/// projects spaces its calls out instead of bursting and then backing off for seconds.
pub const PACE: Duration = Duration::from_millis(200);

/// Items per list page: the most the list endpoint accepts, so a read is as few calls as possible.
pub const PAGE_LIMIT: u32 = 100;

/// Pages one list follows at most: 10,000 grants on one checkpoint is beyond any organisation.
const LIST_PAGES: u32 = 100;

/// Refuses an API without checkpoint permissions (Azure OpenAI) before anything else, naming the
/// Azure ways to share a model. The guest's one copy of this message.
pub fn require_api(platform: &dyn Platform) -> Result<()> {
    let flavor = platform.flavor();
    if flavor.has_checkpoint_permissions() {
        return Ok(());
    }
    Err(Error::Failed(format!(
        "checkpoint permissions do not exist on Azure OpenAI (OPENAI_FT_FLAVOR={}): share the \
         model with Azure role-based access on the resource (for example \
         azurerm_role_assignment with Cognitive Services OpenAI User), or deploy it into the \
         other resource (a cross-resource deployment), instead of enabling checkpoint_permissions",
        flavor.name()
    )))
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

listed_by_id!(Permission);

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
    pace: Pace,
}

/// Every grant of `checkpoint`, oldest first; with `project`, only that project's (filtered by
/// the server, and again here in case a gateway drops the filter).
fn list_paced(
    platform: &mut dyn Platform,
    checkpoint: &CheckpointName,
    pace: &Pace,
    project: Option<&ProjectId>,
) -> Result<Vec<Permission>> {
    // Ascending, so grants made while we page land after the cursor, not before it.
    let mut pager = Pager::get(path(checkpoint), Credential::Admin, PAGE_LIMIT, LIST_PAGES)
        .policy(Policy::ADMIN)
        .paced(pace)
        .query("order", "ascending");
    if let Some(p) = project {
        pager = pager.query("project_id", p.as_str());
    }
    let all: Vec<Permission> = pager.collect(platform)?;
    Ok(all
        .into_iter()
        .filter(|p| project.is_none_or(|want| p.project_id == want.as_str()))
        .collect())
}

/// The collection path; the name was checked to be segment-safe.
fn path(checkpoint: &CheckpointName) -> String {
    format!("/fine_tuning/checkpoints/{checkpoint}/permissions")
}

impl<'p> Admin<'p> {
    /// Refuses an API without checkpoint permissions ([`require_api`]).
    pub fn new(platform: &'p mut dyn Platform, checkpoint: CheckpointName) -> Result<Self> {
        require_api(platform)?;
        Ok(Self {
            platform,
            checkpoint,
            pace: Pace::new(PACE),
        })
    }

    /// Every grant, oldest first; with `project`, only that project's.
    pub fn list(&mut self, project: Option<&ProjectId>) -> Result<Vec<Permission>> {
        list_paced(self.platform, &self.checkpoint, &self.pace, project)
    }

    /// The grant of `project`, looked up fresh.
    pub fn lookup(&mut self, project: &ProjectId) -> Result<Option<Permission>> {
        Ok(self.list(Some(project))?.into_iter().next())
    }

    /// Grants `project` unless it already has a grant. One project per create, so nothing else
    /// is touched. A create whose answer was lost (timeout, dropped connection, 5xx) may have
    /// been applied, so before any second create the grant is looked up again.
    pub fn grant(&mut self, project: &ProjectId) -> Result<Grant> {
        let granted = |p: Permission, created| Grant {
            project_id: project.clone(),
            permission_id: p.id,
            created,
        };
        if let Some(p) = self.lookup(project)? {
            return Ok(granted(p, false));
        }
        let path = path(&self.checkpoint);
        let request = Request::new(Method::Post, path.as_str(), Credential::Admin)
            .json(&serde_json::json!({ "project_ids": [project.as_str()] }));
        let create = Create {
            request: &request,
            policy: CreatePolicy::ADMIN,
            what: project.as_str(),
            pace: Some(&self.pace),
        };
        let (checkpoint, pace) = (&self.checkpoint, &self.pace);
        let lookup = |p: &mut dyn Platform| {
            Ok(list_paced(p, checkpoint, pace, Some(project))?
                .into_iter()
                .next())
        };
        match create.run(self.platform, lookup)? {
            Created::Found(p) => Ok(granted(p, true)),
            Created::Answered(response) => {
                let page: Page<Permission> = api::decode(&request, &response)?;
                match page
                    .data
                    .into_iter()
                    .find(|p| p.project_id == project.as_str())
                {
                    Some(p) => Ok(granted(p, true)),
                    None => Err(Error::Failed(format!(
                        "POST {path}: the answer lists no grant for {project}; is \
                         OPENAI_BASE_URL an OpenAI-compatible API?"
                    ))),
                }
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
            format!("{}/{id}", path(&self.checkpoint)),
            Credential::Admin,
        );
        self.pace.wait(self.platform);
        match api::send(self.platform, &request, &Policy::ADMIN) {
            Ok(_) => Ok(Some(p.id)),
            Err(Error::Api(e)) if e.status == 404 => Ok(Some(p.id)),
            Err(e) => Err(e),
        }
    }
}

/// Grants each project in turn (one create per missing project).
pub fn grant(
    platform: &mut dyn Platform,
    checkpoint: &CheckpointName,
    projects: &[ProjectId],
) -> Result<Vec<Grant>> {
    let mut admin = Admin::new(platform, checkpoint.clone())?;
    projects.iter().map(|p| admin.grant(p)).collect()
}

/// Every grant, oldest first.
pub fn list(platform: &mut dyn Platform, checkpoint: &CheckpointName) -> Result<Vec<Permission>> {
    Admin::new(platform, checkpoint.clone())?.list(None)
}

/// Every grant of each checkpoint in turn, oldest first, one [`PACE`] shared by all their calls
/// (the inventory of many models). `each` gets each checkpoint's grants or the error, and says
/// whether to go on.
pub fn list_each(
    platform: &mut dyn Platform,
    checkpoints: &[CheckpointName],
    mut each: impl FnMut(&mut dyn Platform, usize, Result<Vec<Permission>>) -> Result<bool>,
) -> Result<()> {
    require_api(platform)?;
    let pace = Pace::new(PACE);
    for (n, checkpoint) in checkpoints.iter().enumerate() {
        let found = list_paced(platform, checkpoint, &pace, None);
        if !each(platform, n, found)? {
            break;
        }
    }
    Ok(())
}

/// Every current grant: project id to permission id (the oldest, should a project have several).
pub fn read(
    platform: &mut dyn Platform,
    checkpoint: &CheckpointName,
) -> Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for p in list(platform, checkpoint)? {
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
    let mut admin = Admin::new(platform, checkpoint.clone())?;
    let mut revoked = Vec::new();
    for p in projects {
        if admin.revoke(p)?.is_some() {
            revoked.push(p.clone());
        }
    }
    Ok(revoked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{Fake, Fault, assert_pages_are_bounded};

    const CKPT: &str = "ft:gpt-4o-mini-2024-07-18:org:suffix:abc123";

    fn ckpt() -> CheckpointName {
        CheckpointName::parse("checkpoint", CKPT).unwrap()
    }

    fn project(p: &str) -> ProjectId {
        ProjectId::parse("project_id", p).unwrap()
    }

    #[test]
    fn list_follows_every_page_with_the_last_id() {
        let mut fake = Fake::with_grants(&["proj_a", "proj_b", "proj_c", "proj_d", "proj_e"]);
        fake.page_size = 2;
        let all = Admin::new(&mut fake, ckpt()).unwrap().list(None).unwrap();
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
        let mut fake = Fake::with_grants(&["proj_a"]);
        fake.endless = Some(crate::testing::Endless::Stuck);
        let e = Admin::new(&mut fake, ckpt())
            .unwrap()
            .list(None)
            .unwrap_err();
        assert!(
            e.to_string().contains("has_more but gave no new cursor"),
            "{e}"
        );
        assert_eq!(fake.count("GET"), 2);
    }

    #[test]
    fn lookup_filters_by_project_even_when_the_server_does_not() {
        let mut fake = Fake::with_grants(&["proj_a", "proj_b"]);
        fake.ignore_filter = true;
        let found = Admin::new(&mut fake, ckpt())
            .unwrap()
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
        let mut fake = Fake::with_grants(&["proj_a"]);
        let g = grant(&mut fake, &ckpt(), &[project("proj_a")]).unwrap();
        assert_eq!(g[0].permission_id, "cp_001");
        assert!(!g[0].created);
        assert_eq!(fake.count("POST"), 0);
    }

    #[test]
    fn a_create_committed_then_dropped_is_found_by_the_lookup() {
        let mut fake = Fake::new().fault(Method::Post, "/permissions", Fault::CommitThenDrop);
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
            let mut fake = Fake::new().fault(Method::Post, "/permissions", fault);
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
            fake = fake.fault(Method::Post, "/permissions", Fault::Reset);
        }
        fake = fake.fault(Method::Post, "/permissions", Fault::CommitThenDrop);
        let g = grant(&mut fake, &ckpt(), &[project("proj_a")]).unwrap();
        assert_eq!(g[0].permission_id, "cp_001");
        assert_eq!(fake.count("POST"), 6);
        assert_eq!(fake.grants.len(), 1);
    }

    #[test]
    fn a_refused_create_is_not_retried() {
        let mut fake = Fake::new().fault(Method::Post, "/permissions", Fault::Status(401));
        let e = grant(&mut fake, &ckpt(), &[project("proj_a")]).unwrap_err();
        assert!(matches!(&e, Error::Api(a) if a.status == 401), "{e}");
        assert_eq!(fake.count("POST"), 1);
        assert!(fake.grants.is_empty());
    }

    #[test]
    fn calls_are_paced_and_backoff_needs_no_retry_after() {
        let mut fake = Fake::new().fault(Method::Post, "/permissions", Fault::Status(429));
        grant(&mut fake, &ckpt(), &[project("proj_a"), project("proj_b")]).unwrap();
        // a: lookup, create (429), backoff, lookup, create; b: lookup, create.
        assert_eq!(
            fake.sleeps,
            [PACE, Duration::from_secs(1), PACE, PACE, PACE, PACE,]
        );
    }

    #[test]
    fn revoke_deletes_only_the_named_projects_and_absent_is_success() {
        let mut fake = Fake::with_grants(&["proj_a", "proj_b", "proj_c"]);
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
        let mut fake = Fake::with_grants(&["proj_a"]).fault(
            Method::Delete,
            "/permissions",
            Fault::CommitThenDrop,
        );
        let revoked = revoke(&mut fake, &ckpt(), &[project("proj_a")]).unwrap();
        // The retried DELETE got a 404: the grant is gone, as asked.
        assert_eq!(revoked, [project("proj_a")]);
        assert_eq!(fake.count("DELETE"), 2);
        assert!(fake.grants.is_empty());
    }
    #[test]
    fn every_list_is_bounded() {
        assert_pages_are_bounded(
            || Fake::with_grants(&["proj_a"]),
            &format!("GET /fine_tuning/checkpoints/{CKPT}/permissions"),
            LIST_PAGES as usize,
            |fake| Admin::new(fake, ckpt())?.list(None),
        );
    }

    #[test]
    fn azure_is_refused_before_any_call() {
        let mut fake = Fake::flavored(crate::Flavor::Azure);
        let e = grant(&mut fake, &ckpt(), &[project("proj_a")]).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "checkpoint permissions do not exist on Azure OpenAI (OPENAI_FT_FLAVOR=azure)"
            ),
            "{e}"
        );
        assert!(fake.log.is_empty());
    }
}
