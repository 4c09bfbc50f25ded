//! The one in-memory fake of the API the unit tests run on: jobs (with their events and
//! checkpoints), files, models and checkpoint permissions, lists paged at any page size, faults
//! scripted per request, and servers whose lists never end. Sleeping advances its clock, and it
//! records every request, sleep and progress line.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Debug;
use std::time::Duration;

use serde_json::{Value, json};

use crate::error::{HttpError, Result};
use crate::flavor::Flavor;
use crate::platform::{
    Body, Credential, FileError, FormField, Method, Platform, Request, Response, Target,
};

/// The fake's clock at the start, Unix seconds.
pub const START: u64 = 1_700_000_000;

/// What happens to one scripted request instead of a plain answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Applied, then the connection drops before the answer.
    CommitThenDrop,
    /// Applied, then no answer within the timeout.
    CommitThenTimeout,
    /// Not applied, the connection resets.
    Reset,
    /// Not applied (a server still working on it), no answer within the timeout.
    Timeout,
    /// The host stopped an upload whose file changed, after a careless server had already kept
    /// what arrived of it.
    FileChanged,
    /// Not applied, answered with this status.
    Status(u16),
    /// Not applied, answered with this status and these headers.
    Answer(u16, &'static [(&'static str, &'static str)]),
    /// Not applied, refused with 400 and this message (Azure's error shape, no `param`).
    Refused(&'static str),
}

/// A server whose lists never end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endless {
    /// `has_more` always, and the first page whatever the cursor: the cursor never moves.
    Stuck,
    /// `has_more` always, with a page of items never seen before each time.
    Fresh,
}

/// The kinds of list the fake serves, for the items an endless list makes up.
#[derive(Debug, Clone, Copy)]
enum List {
    Jobs,
    Events,
    Checkpoints,
    Files,
    Grants,
}

impl List {
    fn made_up(self, n: u32) -> Value {
        match self {
            List::Jobs => {
                json!({"id": format!("ftjob-gen{n}"), "status": "succeeded", "created_at": 1})
            }
            List::Events => {
                json!({"id": format!("ftevent-gen{n}"), "level": "info", "message": "step"})
            }
            List::Checkpoints => json!({
                "id": format!("ftckpt-gen{n}"), "fine_tuned_model_checkpoint": format!("ft:x:gen{n}"),
                "step_number": n, "metrics": {}
            }),
            List::Files => json!({
                "id": format!("file-gen{n}"), "filename": "other.jsonl", "bytes": 1,
                "purpose": "fine-tune", "status": "processed"
            }),
            List::Grants => grant(&format!("cp_gen{n}"), &format!("proj_gen{n}")),
        }
    }
}

fn grant(id: &str, project: &str) -> Value {
    json!({"id": id, "object": "checkpoint.permission", "created_at": 1, "project_id": project})
}

/// The fake API. Fields are public so a test can set the scene and read what happened.
#[derive(Debug)]
pub struct Fake {
    pub flavor: Flavor,
    /// Oldest first; listed newest first, as the API does (files too).
    pub jobs: Vec<Value>,
    /// Per job id, oldest first; listed newest first.
    pub events: BTreeMap<String, Vec<Value>>,
    pub checkpoints: BTreeMap<String, Vec<Value>>,
    pub files: Vec<Value>,
    /// Models `/models/{id}` knows; any other is a 404.
    pub models: Vec<Value>,
    /// The grants of the checkpoint (any checkpoint name): permission id and project, oldest first.
    pub grants: Vec<(String, String)>,
    /// The granted input file, if the command has one.
    pub file: Option<Vec<u8>>,
    /// A size to report for it other than its length (a file that shrank since it was opened).
    pub claimed_size: Option<u64>,
    /// The SHA-256 each upload's file part said it carries.
    pub uploaded_digests: Vec<String>,
    /// The server's largest page; a request's `limit` asks for fewer.
    pub page_size: usize,
    /// A gateway that drops every filter (`metadata[...]`, `project_id`).
    pub ignore_filter: bool,
    /// A server that keeps no job metadata (as Azure's v1 schema allows).
    pub drops_metadata: bool,
    /// A server that echoes no suffix (v1's `user_provided_suffix` is optional).
    pub drops_suffix: bool,
    /// The `api-version` the host is configured with (Azure's dated surface).
    pub api_version: Option<String>,
    pub endless: Option<Endless>,
    /// How long every request takes, on the fake's clock (not recorded as a sleep).
    pub latency: Duration,
    faults: VecDeque<(Method, &'static str, Fault)>,
    next: BTreeMap<&'static str, u32>,
    made_up: u32,
    slept: Duration,
    /// Every request: `METHOD last-path-segment?query`.
    pub log: Vec<String>,
    /// Every request's target (the configured base, or Azure's dated API).
    pub targets: Vec<Target>,
    pub sleeps: Vec<Duration>,
    pub progress: Vec<String>,
    /// Azure Resource Manager's deployments, by path; each succeeds at once.
    pub deployments: BTreeMap<String, Value>,
    /// Whether the host has an admin key: without one, an admin request never leaves the host.
    pub admin_key: bool,
}

impl Default for Fake {
    fn default() -> Self {
        Self::new()
    }
}

impl Fake {
    pub fn new() -> Self {
        Self {
            flavor: Flavor::OpenAi,
            jobs: Vec::new(),
            events: BTreeMap::new(),
            checkpoints: BTreeMap::new(),
            files: Vec::new(),
            models: Vec::new(),
            grants: Vec::new(),
            file: None,
            claimed_size: None,
            uploaded_digests: Vec::new(),
            page_size: 100,
            ignore_filter: false,
            drops_metadata: false,
            drops_suffix: false,
            api_version: None,
            endless: None,
            latency: Duration::ZERO,
            faults: VecDeque::new(),
            next: BTreeMap::new(),
            made_up: 0,
            slept: Duration::ZERO,
            log: Vec::new(),
            deployments: BTreeMap::new(),
            admin_key: true,
            targets: Vec::new(),
            sleeps: Vec::new(),
            progress: Vec::new(),
        }
    }

    pub fn flavored(flavor: Flavor) -> Self {
        Self {
            flavor,
            ..Self::new()
        }
    }

    /// A checkpoint already shared with `projects`, granted in that order (`cp_001`, ...).
    pub fn with_grants(projects: &[&str]) -> Self {
        let mut fake = Self::new();
        for p in projects {
            fake.add_grant(p);
        }
        fake
    }

    /// Scripts `fault` for the next request with `method` whose path contains `path`.
    pub fn fault(mut self, method: Method, path: &'static str, fault: Fault) -> Self {
        self.faults.push_back((method, path, fault));
        self
    }

    /// Requests logged so far that start with `prefix` (`"POST"`, `"GET checkpoints"`).
    pub fn count(&self, prefix: &str) -> usize {
        self.log.iter().filter(|l| l.starts_with(prefix)).count()
    }

    fn next_id(&mut self, prefix: &'static str, sep: &str) -> String {
        let n = self.next.entry(prefix).or_insert(0);
        *n += 1;
        format!("{prefix}{sep}{n:03}")
    }

    pub fn add_grant(&mut self, project: &str) -> String {
        let id = self.next_id("cp", "_");
        self.grants.push((id.clone(), project.to_owned()));
        id
    }

    /// A job as the API would hold it after a create of `body`.
    pub fn add_job(&mut self, body: &Value) -> Value {
        let id = self.next_id("ftjob", "-");
        let mut job = json!({
            "id": id, "object": "fine_tuning.job", "status": "validating_files",
            "model": body["model"], "training_file": body["training_file"],
            "validation_file": body["validation_file"], "seed": body["seed"],
            "created_at": self.now(), "result_files": [],
        });
        if self.flavor.stores_job_metadata() && !self.drops_metadata {
            job["metadata"] = body["metadata"].clone();
        }
        let suffix_field = match self.flavor {
            Flavor::AzureClassic => "suffix",
            _ => "user_provided_suffix",
        };
        if !self.drops_suffix {
            job[suffix_field] = body["suffix"].clone();
        }
        self.jobs.push(job.clone());
        job
    }

    fn answer(status: u16, body: Value) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
        }
    }

    /// Azure Resource Manager's deployments: PUT, GET and DELETE by path, done at once.
    fn arm(&mut self, request: &Request) -> Response {
        assert_eq!(request.credential, Credential::Management);
        self.log
            .push(format!("{} arm {}", request.method.as_str(), request.path));
        if request.method == Method::Get && request.path.ends_with("/deployments") {
            // Deployments_List, `page_size` a page, paged by `nextLink` with a `$skipToken`.
            let prefix = format!("{}/", request.path);
            let all: Vec<Value> = (self.deployments.iter())
                .filter(|(path, _)| path.starts_with(&prefix))
                .map(|(_, d)| d.clone())
                .collect();
            let skip: usize = query(request, "$skipToken").map_or(0, |t| t.parse().unwrap_or(0));
            let value: Vec<Value> = all
                .iter()
                .skip(skip)
                .take(self.page_size)
                .cloned()
                .collect();
            let mut page = json!({ "value": value });
            if skip + self.page_size < all.len() {
                page["nextLink"] = json!(format!(
                    "https://management.azure.com{}?api-version=2026-09-01&%24skipToken={}",
                    request.path,
                    skip + self.page_size
                ));
            }
            return Self::answer(200, page);
        }
        let existing = self.deployments.get(&request.path).cloned();
        match (request.method, existing) {
            (Method::Put, existing) => {
                let Some(Body::Json(body)) = &request.body else {
                    panic!("a PUT without a body")
                };
                let mut d: Value = serde_json::from_str(body).expect("JSON");
                d["id"] = json!(request.path);
                d["name"] = json!(request.path.rsplit('/').next());
                d["properties"]["provisioningState"] = json!("Succeeded");
                self.deployments.insert(request.path.clone(), d.clone());
                Self::answer(if existing.is_some() { 200 } else { 201 }, d)
            }
            (Method::Get, Some(d)) => Self::answer(200, d),
            (Method::Delete, Some(_)) => {
                self.deployments.remove(&request.path);
                Self::answer(200, Value::Null)
            }
            (Method::Delete, None) => Self::answer(204, Value::Null),
            _ => Self::answer(
                404,
                json!({"error": {"code": "DeploymentNotFound", "message": "not found"}}),
            ),
        }
    }

    fn not_found(what: &str) -> Response {
        Self::answer(
            404,
            json!({"error": {"message": format!("{what} not found"), "type": "invalid_request_error"}}),
        )
    }

    /// One page of `items` (in the order the API lists them) for `request`.
    fn page(&mut self, request: &Request, list: List, items: Vec<Value>) -> Response {
        let after = query(request, "after");
        // The request's `limit`, up to the server's own page size.
        let size = query(request, "limit")
            .and_then(|l| l.parse().ok())
            .map_or(self.page_size, |l: usize| l.min(self.page_size));
        let (data, has_more) = match self.endless {
            Some(Endless::Stuck) => (items.into_iter().take(size).collect(), true),
            Some(Endless::Fresh) => {
                let data = (0..size)
                    .map(|_| {
                        self.made_up += 1;
                        list.made_up(self.made_up)
                    })
                    .collect();
                (data, true)
            }
            None => {
                let start = after
                    .and_then(|a| items.iter().position(|i| i["id"] == a))
                    .map_or(0, |i| i + 1);
                let data: Vec<Value> = items.iter().skip(start).take(size).cloned().collect();
                let more = start + data.len() < items.len();
                (data, more)
            }
        };
        let mut page = json!({"object": "list", "data": data, "has_more": has_more});
        // Only the permissions list gives a cursor of its own; the others page by the last id.
        if let List::Grants = list {
            page["first_id"] = data_id(&page, 0);
            page["last_id"] = data_id(
                &page,
                page["data"].as_array().map_or(0, |d| d.len().max(1) - 1),
            );
        }
        Self::answer(200, page)
    }

    fn apply(&mut self, request: &Request) -> Response {
        let segments: Vec<&str> = request.path.trim_start_matches('/').split('/').collect();
        match (request.method, segments.as_slice()) {
            (_, ["fine_tuning", "checkpoints", _, "permissions", rest @ ..]) => {
                self.permissions(request, rest.first().copied())
            }
            (Method::Get, ["fine_tuning", "jobs"]) => {
                let filter: Vec<(String, String)> = request
                    .query
                    .iter()
                    .filter_map(|(k, v)| {
                        let key = k.strip_prefix("metadata[")?.strip_suffix(']')?;
                        Some((key.to_owned(), v.clone()))
                    })
                    .filter(|_| self.flavor.filters_jobs_by_metadata() && !self.ignore_filter)
                    .collect();
                let jobs = self
                    .jobs
                    .iter()
                    .rev()
                    .filter(|j| filter.iter().all(|(k, v)| j["metadata"][k] == v.as_str()))
                    .cloned()
                    .collect();
                self.page(request, List::Jobs, jobs)
            }
            (Method::Post, ["fine_tuning", "jobs"]) => {
                let Some(Body::Json(body)) = &request.body else {
                    panic!("a job create has a JSON body")
                };
                let body: Value = serde_json::from_str(body).expect("JSON");
                let job = self.add_job(&body);
                Self::answer(200, job)
            }
            (Method::Get, ["fine_tuning", "jobs", id]) => {
                match self.jobs.iter().find(|j| j["id"] == *id) {
                    Some(job) => Self::answer(200, job.clone()),
                    None => Self::not_found("job"),
                }
            }
            (
                Method::Get,
                [
                    "fine_tuning",
                    "jobs",
                    id,
                    which @ ("events" | "checkpoints"),
                ],
            ) => {
                let (list, all) = if *which == "events" {
                    (List::Events, &self.events)
                } else {
                    (List::Checkpoints, &self.checkpoints)
                };
                let items = all.get(*id).into_iter().flatten().rev().cloned().collect();
                self.page(request, list, items)
            }
            (Method::Post, ["fine_tuning", "jobs", id, action]) => {
                let now = self.now();
                let Some(job) = self.jobs.iter_mut().find(|j| j["id"] == *id) else {
                    return Self::not_found("job");
                };
                // Cancel ends a job that has not ended, pause a running one, resume a paused one.
                let status = job["status"].as_str().unwrap_or_default();
                let allowed = match *action {
                    "cancel" => !matches!(status, "succeeded" | "failed" | "cancelled"),
                    "pause" => status == "running",
                    _ => status == "paused",
                };
                if !allowed {
                    return Self::answer(
                        400,
                        json!({"error": {"message": format!("Cannot {action} a {status} job"),
                                         "type": "invalid_request_error"}}),
                    );
                }
                job["status"] = match *action {
                    "cancel" => {
                        job["finished_at"] = now.into();
                        "cancelled".into()
                    }
                    "pause" => "paused".into(),
                    _ => "running".into(),
                };
                Self::answer(200, job.clone())
            }
            (Method::Get, ["files"]) => {
                let files = self.files.iter().rev().cloned().collect();
                self.page(request, List::Files, files)
            }
            (Method::Post, ["files"]) => {
                let Some(Body::Multipart(fields)) = &request.body else {
                    panic!("an upload is multipart")
                };
                let (filename, sha256) = fields
                    .iter()
                    .find_map(|f| match f {
                        FormField::GrantedFile {
                            filename, sha256, ..
                        } => Some((filename.clone(), sha256.clone())),
                        FormField::Text { .. } => None,
                    })
                    .expect("an upload has a file part");
                self.uploaded_digests.push(sha256);
                let id = self.next_id("file", "-");
                let bytes = self.file.as_ref().map_or(0, Vec::len);
                let file = json!({
                    "id": id, "object": "file", "bytes": bytes, "filename": filename,
                    "purpose": "fine-tune", "status": "processed"
                });
                self.files.push(file.clone());
                Self::answer(200, file)
            }
            (Method::Get, ["files", id]) => match self.files.iter().find(|f| f["id"] == *id) {
                Some(file) => Self::answer(200, file.clone()),
                None => Self::not_found("file"),
            },
            (Method::Delete, ["files", id]) => {
                match self.files.iter().position(|f| f["id"] == *id) {
                    Some(i) => {
                        self.files.remove(i);
                        Self::answer(200, json!({"id": id, "object": "file", "deleted": true}))
                    }
                    None => Self::not_found("file"),
                }
            }
            (Method::Get, ["models"]) => {
                Self::answer(200, json!({"object": "list", "data": self.models.clone()}))
            }
            (Method::Get, ["models", id]) => match self.models.iter().find(|m| m["id"] == *id) {
                Some(model) => Self::answer(200, model.clone()),
                None => Self::not_found("model"),
            },
            _ => panic!(
                "the fake has no {} {}",
                request.method.as_str(),
                request.path
            ),
        }
    }

    fn permissions(&mut self, request: &Request, id: Option<&str>) -> Response {
        match (request.method, id) {
            (Method::Get, None) => {
                assert_eq!(query(request, "order"), Some("ascending"));
                let project = query(request, "project_id").filter(|_| !self.ignore_filter);
                let items = self
                    .grants
                    .iter()
                    .filter(|(_, p)| project.is_none_or(|want| p == want))
                    .map(|(id, p)| grant(id, p))
                    .collect();
                self.page(request, List::Grants, items)
            }
            (Method::Post, None) => {
                let Some(Body::Json(body)) = &request.body else {
                    panic!("a grant has a JSON body")
                };
                let body: Value = serde_json::from_str(body).expect("JSON");
                let projects = body["project_ids"].as_array().expect("project_ids");
                assert_eq!(projects.len(), 1, "one project per create");
                let project = projects[0].as_str().expect("a project id");
                let id = match self.grants.iter().find(|(_, p)| p == project) {
                    Some((id, _)) => id.clone(),
                    None => self.add_grant(project),
                };
                Self::answer(
                    200,
                    json!({"object": "list", "data": [grant(&id, project)], "has_more": false}),
                )
            }
            (Method::Delete, Some(id)) => match self.grants.iter().position(|(g, _)| g == id) {
                Some(i) => {
                    self.grants.remove(i);
                    Self::answer(200, json!({"id": id, "deleted": true}))
                }
                None => Self::not_found("Checkpoint permission"),
            },
            _ => panic!(
                "the fake has no {} {}",
                request.method.as_str(),
                request.path
            ),
        }
    }
}

fn query<'r>(request: &'r Request, key: &str) -> Option<&'r str> {
    request
        .query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn data_id(page: &Value, n: usize) -> Value {
    page["data"][n]["id"].clone()
}

impl Platform for Fake {
    fn flavor(&self) -> Flavor {
        self.flavor
    }

    fn api_version(&self) -> Option<String> {
        self.api_version.clone()
    }

    fn send(&mut self, request: &Request) -> Result<Response, HttpError> {
        self.slept = self.slept.saturating_add(self.latency);
        if let Target::AzureManagement(_) = request.target {
            return Ok(self.arm(request));
        }
        let admin = request.path.contains("/permissions");
        if admin && !self.admin_key {
            return Err(HttpError::MissingCredential(
                "OPENAI_ADMIN_KEY is not set".into(),
            ));
        }
        assert_eq!(
            request.credential,
            if admin {
                Credential::Admin
            } else {
                Credential::Project
            },
            "{}",
            request.path
        );
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
        self.targets.push(request.target.clone());
        let fault = self
            .faults
            .iter()
            .position(|(m, path, _)| *m == request.method && request.path.contains(path))
            .and_then(|i| self.faults.remove(i))
            .map(|(_, _, f)| f);
        let failure = |status: u16, headers: &[(&str, &str)]| Response {
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Self::answer(
                status,
                json!({"error": {"message": "Try again later", "type": "server_error"}}),
            )
        };
        match fault {
            None => Ok(self.apply(request)),
            Some(Fault::CommitThenDrop) => {
                self.apply(request);
                Err(HttpError::Transport(
                    "connection closed before the answer".into(),
                ))
            }
            Some(Fault::CommitThenTimeout) => {
                self.apply(request);
                Err(HttpError::Timeout("no answer within 30 s".into()))
            }
            Some(Fault::Reset) => Err(HttpError::Transport("connection reset".into())),
            Some(Fault::Timeout) => Err(HttpError::Timeout("no answer within 30 s".into())),
            Some(Fault::FileChanged) => {
                self.apply(request);
                if let Some(last) = self.files.last_mut() {
                    last["bytes"] = 3.into();
                }
                Err(HttpError::FileChanged(
                    "train.jsonl changed after it was validated".into(),
                ))
            }
            Some(Fault::Status(s)) => Ok(failure(s, &[])),
            Some(Fault::Answer(s, headers)) => Ok(failure(s, headers)),
            Some(Fault::Refused(message)) => Ok(Self::answer(
                400,
                json!({"error": {"code": "invalid_value", "message": message, "type": "error"}}),
            )),
        }
    }

    fn now(&self) -> u64 {
        START + self.slept.as_secs()
    }

    fn sleep(&mut self, duration: Duration) {
        self.slept = self.slept.saturating_add(duration);
        self.sleeps.push(duration);
    }

    fn random(&mut self) -> f64 {
        0.0
    }

    fn progress(&mut self, line: &str) {
        self.progress.push(line.to_owned());
    }

    fn file_size(&mut self) -> Result<u64, FileError> {
        match &self.file {
            Some(f) => Ok(self.claimed_size.unwrap_or(f.len() as u64)),
            None => Err(FileError::Denied("no file".into())),
        }
    }

    fn file_read(&mut self, offset: u64, len: u32) -> Result<Vec<u8>, FileError> {
        let Some(f) = &self.file else {
            return Err(FileError::Denied("no file".into()));
        };
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(f.len());
        let end = start.saturating_add(len as usize).min(f.len());
        Ok(f[start..end].to_vec())
    }
}

/// Drives one list call against a server whose cursor never moves and one whose list never
/// ends: the first must fail naming `endpoint` after its second request, the second after
/// `budget` requests. `setup` makes the fake the call needs (one item to list, a flavour).
pub fn assert_pages_are_bounded<T: Debug>(
    setup: impl Fn() -> Fake,
    endpoint: &str,
    budget: usize,
    call: impl Fn(&mut Fake) -> Result<T>,
) {
    let mut stuck = setup();
    stuck.endless = Some(Endless::Stuck);
    let e = call(&mut stuck).expect_err("a cursor that does not move is refused");
    assert_eq!(
        e.to_string(),
        format!(
            "{endpoint}: the API said has_more but gave no new cursor; is OPENAI_BASE_URL an \
             OpenAI-compatible API?"
        )
    );
    assert_eq!(stuck.log.len(), 2, "{:?}", stuck.log);

    let mut endless = setup();
    endless.endless = Some(Endless::Fresh);
    endless.page_size = 2;
    let e = call(&mut endless).expect_err("a list that never ends is refused");
    assert_eq!(
        e.to_string(),
        format!(
            "{endpoint}: the API still said has_more after {budget} pages; is OPENAI_BASE_URL an \
             OpenAI-compatible API?"
        )
    );
    assert_eq!(endless.log.len(), budget);
}

/// The fake as a model the shared scenario table runs on, as the emulator's tests run it.
impl crate::scenarios::Server for Fake {
    fn call(&mut self, call: &crate::scenarios::Call) -> crate::scenarios::Outcome {
        use crate::scenarios::{Body as Sent, Outcome, TRAINING_FILE};
        let method = match call.method {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "DELETE" => Method::Delete,
            other => panic!("no method {other}"),
        };
        let credential = if call.admin() {
            Credential::Admin
        } else {
            Credential::Project
        };
        let mut request = Request::new(method, call.path.clone(), credential);
        request.query = call.query.clone();
        request.body = match &call.body {
            Sent::None => None,
            Sent::Json(v) => Some(Body::Json(v.to_string())),
            Sent::Upload(filename) => {
                self.file = Some(TRAINING_FILE.as_bytes().to_vec());
                Some(Body::Multipart(vec![
                    FormField::Text {
                        name: "purpose".into(),
                        value: "fine-tune".into(),
                    },
                    FormField::GrantedFile {
                        name: "file".into(),
                        filename: (*filename).into(),
                        sha256: String::new(),
                    },
                ]))
            }
        };
        match Platform::send(self, &request) {
            Ok(r) => Outcome::Answer(
                r.status,
                serde_json::from_slice(&r.body).unwrap_or(Value::Null),
            ),
            Err(HttpError::Transport(_) | HttpError::Timeout(_)) => Outcome::Dropped,
            Err(e) => panic!("the fake failed a scenario call: {e:?}"),
        }
    }

    fn fault(&mut self, method: &'static str, path: &'static str, fault: crate::scenarios::Fault) {
        let method = match method {
            "GET" => Method::Get,
            "POST" => Method::Post,
            _ => Method::Delete,
        };
        let fault = match fault {
            crate::scenarios::Fault::Status(s) => Fault::Status(s),
            crate::scenarios::Fault::CommitThenDrop => Fault::CommitThenDrop,
        };
        self.faults.push_back((method, path, fault));
    }

    fn succeeded_model(&mut self) -> String {
        let model = format!("ft:{}:org:scenario:abc", crate::scenarios::MODEL);
        self.add_job(&json!({"model": crate::scenarios::MODEL}));
        let last = self.jobs.len() - 1;
        self.jobs[last]["status"] = "succeeded".into();
        self.jobs[last]["fine_tuned_model"] = model.clone().into();
        model
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::{Call, Fault as ScenarioFault, Outcome, Server, run_all};

    /// The fake answers every scenario of the table the emulator's tests run
    /// (`crates/emulator/tests/emulator/scenarios.rs`) as the table says.
    #[test]
    fn the_fake_answers_the_shared_scenarios_as_the_emulator_does() {
        let failed = run_all(Fake::new);
        assert!(failed.is_empty(), "{failed:#?}");
    }

    /// A fake changed by `before` (on each call) and `after` (on each outcome).
    struct Twisted {
        fake: Fake,
        before: fn(&mut Call),
        after: fn(&mut Outcome),
        faults: bool,
    }

    impl Server for Twisted {
        fn call(&mut self, call: &Call) -> Outcome {
            let mut call = call.clone();
            (self.before)(&mut call);
            let mut outcome = Server::call(&mut self.fake, &call);
            (self.after)(&mut outcome);
            outcome
        }
        fn fault(&mut self, method: &'static str, path: &'static str, fault: ScenarioFault) {
            if self.faults {
                Server::fault(&mut self.fake, method, path, fault);
            }
        }
        fn succeeded_model(&mut self) -> String {
            self.fake.succeeded_model()
        }
    }

    fn twisted(before: fn(&mut Call), after: fn(&mut Outcome), faults: bool) -> Twisted {
        Twisted {
            fake: Fake::new(),
            before,
            after,
            faults,
        }
    }

    /// The table tells models apart: one that drops list filters, lists oldest first, pages by
    /// its own size whatever the `limit`, or never loses an answer fails it where it differs.
    #[test]
    fn a_fake_that_answers_differently_fails_the_scenarios() {
        let fails = |failed: Vec<String>, scenario: &str| {
            assert!(
                failed.iter().any(|f| f.starts_with(scenario)),
                "{scenario}: {failed:#?}"
            );
        };
        let drops_filters = || Fake {
            ignore_filter: true,
            ..Fake::new()
        };
        fails(run_all(drops_filters), "jobs are listed newest first");
        fails(run_all(drops_filters), "a checkpoint is granted");
        let oldest_first = |o: &mut Outcome| {
            if let Outcome::Answer(_, body) = o
                && let Some(data) = body.get_mut("data").and_then(Value::as_array_mut)
            {
                data.reverse();
            }
        };
        fails(
            run_all(|| twisted(|_| {}, oldest_first, true)),
            "files are listed newest first",
        );
        let no_limit = |c: &mut Call| c.query.retain(|(k, _)| k != "limit");
        fails(
            run_all(|| twisted(no_limit, |_| {}, true)),
            "jobs are listed newest first",
        );
        fails(
            run_all(|| twisted(|_| {}, |_| {}, false)),
            "a create lost on the way back",
        );
    }
}
