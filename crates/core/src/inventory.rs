//! The inventory of a project's (or an Azure resource's) fine-tuned models and checkpoints: what
//! each was trained from and on, when it ends, who it is shared with (OpenAI's checkpoint
//! permissions) or where it is deployed (Azure Resource Manager), and the request that would
//! train it again elsewhere. Every list goes through the bounded pagers; the whole walk is
//! bounded by [`MAX_WALK`] as well.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::page::{MAX_PAGING, Pager, listed_by_id};
use crate::deployment::{self, Location};
use crate::error::{Error, HttpError, Result};
use crate::ids::CheckpointName;
use crate::job::{self, create, create::KEY_METADATA};
use crate::models::{self, Retirement};
use crate::permissions;
use crate::platform::{Credential, Platform};
use crate::time::days_until;

/// Pages of 100 jobs read at most (as `job ensure`'s scan for a lost create).
const JOB_PAGES: u32 = 100;

/// The longest the whole inventory may take: it reads a list of jobs, then one list per job
/// (its checkpoints) and per model (its grants), each bounded on its own.
pub const MAX_WALK: std::time::Duration = MAX_PAGING;

/// What a job is, as far as the inventory needs: the request that made it, and its model.
#[derive(Debug, Clone, Deserialize)]
struct JobRecord {
    id: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    fine_tuned_model: Option<String>,
    #[serde(default)]
    training_file: Option<String>,
    #[serde(default)]
    validation_file: Option<String>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    suffix: Option<String>,
    #[serde(default)]
    user_provided_suffix: Option<String>,
    #[serde(default)]
    method: Option<Value>,
    #[serde(default)]
    hyperparameters: Option<Value>,
    #[serde(default)]
    metadata: Option<serde_json::Map<String, Value>>,
}

listed_by_id!(JobRecord);

/// The hyperparameters modules/fine_tuning takes, per method (its `hyperparameters` map).
fn hyperparameter_keys(method: &str) -> &'static [&'static str] {
    match method {
        "dpo" => &["n_epochs", "batch_size", "learning_rate_multiplier", "beta"],
        "reinforcement" => &[
            "n_epochs",
            "batch_size",
            "learning_rate_multiplier",
            "compute_multiplier",
            "eval_interval",
            "eval_samples",
            "reasoning_effort",
        ],
        _ => &["n_epochs", "batch_size", "learning_rate_multiplier"],
    }
}

impl JobRecord {
    /// The training request that made this job, in modules/fine_tuning's inputs: `model`,
    /// `training_file`, `validation_file`, `suffix`, `training_method`, `hyperparameters` (a map
    /// of strings), `grader`, `seed` and `metadata` (without openai-ft's own key). Every key is
    /// present (null when unset), so every request has the same shape in Terraform.
    fn request(&self) -> Value {
        let method = self.method.as_ref();
        let kind = method
            .and_then(|m| m["type"].as_str())
            .filter(|t| !t.is_empty())
            .unwrap_or("supervised");
        // OpenAI and v1 echo `method.<type>.hyperparameters`; the dated API has supervised's at
        // the top level (2024-10-21 has no `method` at all).
        let hyper = method
            .map(|m| &m[kind]["hyperparameters"])
            .filter(|h| h.is_object())
            .or(self.hyperparameters.as_ref().filter(|h| h.is_object()));
        let mut hyperparameters = BTreeMap::new();
        for key in hyperparameter_keys(kind) {
            let value = match hyper.map(|h| &h[*key]) {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => continue,
            };
            hyperparameters.insert((*key).to_owned(), value);
        }
        let grader = method
            .map(|m| m[kind]["grader"].clone())
            .filter(Value::is_object)
            .unwrap_or(Value::Null);
        let metadata: BTreeMap<&String, &Value> = (self.metadata.iter().flatten())
            .filter(|(k, v)| k.as_str() != KEY_METADATA && v.is_string())
            .collect();
        // Without the tag openai-ft adds on Azure: the new job gets its own.
        let suffix = (self.user_provided_suffix.as_deref())
            .or(self.suffix.as_deref())
            .and_then(create::user_suffix);
        json!({
            "model": self.model,
            "training_file": self.training_file,
            "validation_file": self.validation_file.as_ref().filter(|v| !v.is_empty()),
            "suffix": suffix,
            "training_method": kind,
            "hyperparameters": hyperparameters,
            "grader": grader,
            "seed": self.seed,
            "metadata": metadata,
        })
    }

    /// Whether it may have checkpoints yet: not while it waits to start.
    fn may_have_checkpoints(&self) -> bool {
        !matches!(
            self.status.as_str(),
            "validating_files" | "queued" | "pending" | "created"
        )
    }
}

/// Whether an entry is a fine-tuned model or one of its job's checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    FineTuned,
    Checkpoint,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::FineTuned => "fine-tuned model",
            Kind::Checkpoint => "checkpoint",
        }
    }
}

/// One model of the inventory.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub model: String,
    pub kind: Kind,
    pub base_model: String,
    /// The job that made it, and whether that job still exists.
    pub job: Option<String>,
    pub training_file: Option<String>,
    /// A checkpoint's step.
    pub step: Option<u64>,
    pub retirement: Retirement,
    /// Where the dates come from: `model` (its own) or `base model` (a checkpoint, or a model
    /// whose own entry announces none, ends with its base).
    pub dates_from: &'static str,
    pub days_left: Option<i64>,
    /// OpenAI: the projects it is shared with; `None` when they were not read.
    pub grants: Option<Vec<String>>,
    /// Azure: the names of the deployments serving it; `None` when they were not read.
    pub deployments: Option<Vec<Value>>,
    /// The training request of its job, when the job still exists.
    pub retrain: Option<Value>,
}

impl Entry {
    /// Its warning when it ends within [`WARN_DAYS`] (or has ended): `the checkpoint X shuts
    /// down on D, in N days`.
    pub fn ending(&self, now: u64) -> Option<String> {
        models::near_shutdown(
            self.kind.as_str(),
            &self.model,
            self.retirement.shutdown.as_deref(),
            now,
        )
    }

    pub fn to_json(&self) -> Value {
        json!({
            "model": self.model,
            "kind": match self.kind { Kind::FineTuned => "fine_tuned_model", Kind::Checkpoint => "checkpoint" },
            "base_model": self.base_model,
            "job": self.job,
            "training_file": self.training_file,
            "step": self.step,
            "shutdown_date": self.retirement.shutdown,
            "fine_tune_retirement_date": self.retirement.fine_tune,
            "lifecycle_status": self.retirement.lifecycle,
            "dates_from": self.dates_from,
            "days_left": self.days_left,
            "grants": self.grants,
            "deployments": self.deployments,
            "retrain": self.retrain,
        })
    }
}

/// The inventory and what could not be read (said once each).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    pub entries: Vec<Entry>,
    pub notes: Vec<String>,
}

/// What to read besides the models: Azure's deployments, from this account.
pub struct Options {
    pub account: Option<Location>,
}

/// A bound on the whole walk, checked before each request-making step.
struct Walk {
    until: u64,
}

impl Walk {
    fn check(&self, platform: &dyn Platform, done: usize, of: usize) -> Result<()> {
        if platform.now() >= self.until {
            return Err(Error::Failed(format!(
                "the inventory took longer than {} s (read {done} of {of} lists); the API is \
                 slow or the project holds more than one run can read: run again later",
                MAX_WALK.as_secs()
            )));
        }
        Ok(())
    }
}

/// The base model a fine-tuned name carries: OpenAI's `ft:BASE:org:...`, Azure's
/// `BASE.ft-...`.
fn base_of_name(model: &str) -> Option<String> {
    if let Some(rest) = model.strip_prefix("ft:") {
        return rest.split(':').next().map(str::to_owned);
    }
    model.split_once(".ft-").map(|(base, _)| base.to_owned())
}

/// Reads the inventory.
pub fn read(platform: &mut dyn Platform, options: &Options) -> Result<Inventory> {
    let walk = Walk {
        until: platform.now().saturating_add(MAX_WALK.as_secs()),
    };
    let jobs: Vec<JobRecord> =
        Pager::get("/fine_tuning/jobs", Credential::Project, 100, JOB_PAGES).collect(platform)?;
    let catalogue = models::catalogue(platform)?;
    let dates = |id: &str| {
        catalogue
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.retirement.clone())
    };
    let now = platform.now();
    let mut entries: Vec<Entry> = Vec::new();
    let entry = |model: String,
                 kind: Kind,
                 base: String,
                 job: Option<&JobRecord>,
                 job_id: Option<String>,
                 step: Option<u64>| {
        let own = if kind == Kind::FineTuned {
            dates(&model).filter(|r| r.shutdown.is_some())
        } else {
            None
        };
        let (retirement, dates_from) = match own {
            Some(r) => (r, "model"),
            None => (dates(&base).unwrap_or_default(), "base model"),
        };
        let days_left = (retirement.shutdown.as_deref()).and_then(|d| days_until(d, now));
        Entry {
            model,
            kind,
            base_model: base,
            job: job_id,
            training_file: job.and_then(|j| j.training_file.clone()),
            step,
            retirement,
            dates_from,
            days_left,
            grants: None,
            deployments: None,
            retrain: job.map(JobRecord::request),
        }
    };
    // The fine-tuned models the catalogue holds (a deleted one is gone from it, though its job
    // still names it), with the job that made each, if it still exists.
    for m in catalogue.iter().filter(|m| m.is_fine_tuned()) {
        let job = jobs.iter().find(|j| {
            m.job.as_deref() == Some(j.id.as_str())
                || j.fine_tuned_model.as_deref() == Some(m.id.as_str())
        });
        let base = (m.base.clone())
            .or_else(|| job.map(|j| j.model.clone()))
            .or_else(|| base_of_name(&m.id))
            .unwrap_or_default();
        let job_id = job.map(|j| j.id.clone()).or_else(|| m.job.clone());
        entries.push(entry(
            m.id.clone(),
            Kind::FineTuned,
            base,
            job,
            job_id,
            None,
        ));
    }
    let with_checkpoints: Vec<&JobRecord> =
        jobs.iter().filter(|j| j.may_have_checkpoints()).collect();
    for (n, j) in with_checkpoints.iter().enumerate() {
        walk.check(platform, n, with_checkpoints.len())?;
        for c in job::checkpoints(platform, &j.id)? {
            let name = c.fine_tuned_model_checkpoint;
            if name.is_empty() || entries.iter().any(|e| e.model == name) {
                continue;
            }
            let base = j.model.clone();
            entries.push(entry(
                name,
                Kind::Checkpoint,
                base,
                Some(j),
                Some(j.id.clone()),
                Some(c.step_number),
            ));
        }
    }
    let mut notes = Vec::new();
    if platform.flavor().has_checkpoint_permissions() {
        grants(platform, &walk, &mut entries, &mut notes)?;
    } else if let Some(account) = &options.account {
        let found = deployment::list(platform, account)?;
        for e in &mut entries {
            e.deployments = Some(
                found
                    .iter()
                    .filter(|d| d.model == e.model)
                    .map(|d| {
                        json!({
                            "name": d.name, "sku": d.sku, "capacity": d.capacity,
                            "provisioning_state": d.provisioning_state,
                        })
                    })
                    .collect(),
            );
        }
    } else {
        notes.push(
            "deployments not read: set subscription_id, resource_group and account (the Azure \
             OpenAI resource in Azure Resource Manager) to list where each model is deployed"
                .to_owned(),
        );
    }
    // Soonest end first; those without a date last, by name.
    entries.sort_by(|a, b| {
        (a.days_left.is_none(), a.days_left, &a.model).cmp(&(
            b.days_left.is_none(),
            b.days_left,
            &b.model,
        ))
    });
    Ok(Inventory { entries, notes })
}

/// Reads each model's checkpoint permissions (admin key, one pace for all); without an admin
/// key, says so once and reads none.
fn grants(
    platform: &mut dyn Platform,
    walk: &Walk,
    entries: &mut [Entry],
    notes: &mut Vec<String>,
) -> Result<()> {
    let named: Vec<(usize, CheckpointName)> = (entries.iter().enumerate())
        .filter_map(|(i, e)| Some((i, CheckpointName::parse("checkpoint", &e.model).ok()?)))
        .collect();
    let names: Vec<CheckpointName> = named.iter().map(|(_, n)| n.clone()).collect();
    let total = names.len();
    permissions::list_each(platform, &names, |platform, n, found| {
        walk.check(platform, n, total)?;
        match found {
            Ok(found) => {
                entries[named[n].0].grants =
                    Some(found.into_iter().map(|p| p.project_id).collect());
                Ok(true)
            }
            Err(Error::Http(HttpError::MissingCredential(_))) => {
                notes.push(
                    "grants not read: OPENAI_ADMIN_KEY is not set (checkpoint permissions need \
                     an organisation admin key with api.fine_tuning.checkpoints.read); export \
                     it to list who each model is shared with"
                        .to_owned(),
                );
                Ok(false)
            }
            Err(e) => Err(e),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands;
    use crate::flavor::Flavor;
    use crate::input::Input;
    use crate::platform::Target;
    use crate::testing::{Fake, START};
    use crate::time::{DAY, format_date};

    const BASE: &str = "gpt-4o-mini-2024-07-18";
    const TUNED: &str = "ft:gpt-4o-mini-2024-07-18:org:s:abc";
    const STEP: &str = "ft:gpt-4o-mini-2024-07-18:org:s:abc:ckpt-step-10";
    /// A fine-tuned model whose job is gone (Azure deletes jobs; OpenAI's list may drop one).
    const ORPHAN: &str = "ft:gpt-4.1-2025-04-14:org::old";

    fn day(n: u64) -> String {
        format_date(((START + n * DAY) / DAY) as i64)
    }

    /// A project with one succeeded DPO job (its model and a checkpoint), a running job's
    /// checkpoint, and a model whose job is gone.
    fn openai() -> Fake {
        let mut fake = Fake::new();
        fake.add_job(&json!({
            "model": BASE, "training_file": "file-train", "validation_file": "file-valid",
            "suffix": "s", "seed": 7, "metadata": {"team": "ml", "openai_ft_key": "k"},
        }));
        let job = &mut fake.jobs[0];
        job["status"] = json!("succeeded");
        job["fine_tuned_model"] = json!(TUNED);
        job["method"] = json!({"type": "dpo", "dpo": {"hyperparameters": {
            "n_epochs": 3, "beta": "auto", "batch_size": 1, "learning_rate_multiplier": 0.5,
        }}});
        fake.add_job(&json!({"model": "gpt-4.1-2025-04-14", "training_file": "file-b"}));
        fake.jobs[1]["status"] = json!("running");
        fake.add_job(&json!({"model": BASE, "training_file": "file-c"}));
        fake.checkpoints.insert(
            "ftjob-001".into(),
            vec![
                json!({"id": "ftckpt-1", "fine_tuned_model_checkpoint": STEP, "step_number": 10}),
                json!({"id": "ftckpt-2", "fine_tuned_model_checkpoint": TUNED, "step_number": 20}),
            ],
        );
        fake.checkpoints.insert(
            "ftjob-002".into(),
            vec![json!({"id": "ftckpt-3", "fine_tuned_model_checkpoint": "ft:gpt-4.1-2025-04-14:org::run:ckpt-step-5", "step_number": 5})],
        );
        fake.models = vec![
            json!({"id": BASE, "owned_by": "system", "shutdown_date": day(30)}),
            json!({"id": "gpt-4.1-2025-04-14", "owned_by": "system", "shutdown_date": day(400)}),
            json!({"id": TUNED, "owned_by": "org"}),
            json!({"id": ORPHAN, "owned_by": "org", "shutdown_date": day(200)}),
        ];
        fake.add_grant("proj_a");
        fake
    }

    fn names(inventory: &Inventory) -> Vec<(&str, Kind)> {
        let e = &inventory.entries;
        e.iter().map(|e| (e.model.as_str(), e.kind)).collect()
    }

    #[test]
    fn every_fine_tuned_model_and_checkpoint_with_its_job_dates_and_grants() {
        let mut fake = openai();
        let found = read(&mut fake, &Options { account: None }).unwrap();
        assert_eq!(
            names(&found),
            [
                (TUNED, Kind::FineTuned),
                (STEP, Kind::Checkpoint),
                (ORPHAN, Kind::FineTuned),
                (
                    "ft:gpt-4.1-2025-04-14:org::run:ckpt-step-5",
                    Kind::Checkpoint
                ),
            ],
            "soonest end first, then by name; the last checkpoint is the model itself, listed once"
        );
        let tuned = &found.entries[0];
        assert_eq!(tuned.base_model, BASE);
        assert_eq!(tuned.job.as_deref(), Some("ftjob-001"));
        assert_eq!(tuned.training_file.as_deref(), Some("file-train"));
        assert_eq!(tuned.retirement.shutdown, Some(day(30)));
        assert_eq!(
            (tuned.dates_from, tuned.days_left),
            ("base model", Some(30))
        );
        assert_eq!(tuned.grants, Some(vec!["proj_a".to_owned()]));
        assert_eq!(
            tuned.retrain,
            Some(json!({
                "model": BASE, "training_file": "file-train", "validation_file": "file-valid",
                "suffix": "s", "training_method": "dpo", "seed": 7, "grader": null,
                "hyperparameters": {"n_epochs": "3", "beta": "auto", "batch_size": "1",
                                    "learning_rate_multiplier": "0.5"},
                "metadata": {"team": "ml"},
            }))
        );
        let orphan = &found.entries[2];
        assert_eq!(orphan.base_model, "gpt-4.1-2025-04-14", "from its name");
        assert_eq!((orphan.job.as_ref(), orphan.retrain.as_ref()), (None, None));
        assert_eq!((orphan.dates_from, orphan.days_left), ("model", Some(200)));
        assert_eq!(found.entries[1].step, Some(10));
        assert_eq!(found.entries[3].days_left, Some(400));
        assert!(found.notes.is_empty());
        // The queued job's checkpoints are not asked for; one pace spaces the admin calls.
        assert_eq!(fake.count("GET checkpoints"), 2);
        assert_eq!(fake.count("GET permissions"), 4);
        assert_eq!(fake.sleeps.len(), 3);
    }

    #[test]
    fn without_an_admin_key_the_grants_are_not_read_and_it_is_said_once() {
        let mut fake = openai();
        fake.admin_key = false;
        let found = read(&mut fake, &Options { account: None }).unwrap();
        assert_eq!(found.entries.len(), 4);
        assert!(found.entries.iter().all(|e| e.grants.is_none()));
        assert_eq!(found.notes.len(), 1);
        assert!(
            found.notes[0].starts_with("grants not read: OPENAI_ADMIN_KEY is not set"),
            "{:?}",
            found.notes
        );
    }

    const AT: [(&str, &str); 3] = [
        ("subscription_id", "00000000-1111-2222-3333-444444444444"),
        ("resource_group", "rg"),
        ("account", "res"),
    ];

    /// An Azure resource: a fine-tuned model from the dated API's list (its base and job named
    /// there), a checkpoint, and three deployments of the account, two of the model.
    fn azure(flavor: Flavor) -> Fake {
        let mut fake = Fake::flavored(flavor);
        fake.add_job(&json!({"model": BASE, "training_file": "file-t"}));
        fake.jobs[0]["status"] = json!("succeeded");
        fake.jobs[0]["fine_tuned_model"] = json!("gpt-4o-mini-2024-07-18.ft-abc");
        fake.jobs[0]["hyperparameters"] = json!({"n_epochs": 2});
        fake.jobs[0]["user_provided_suffix"] = json!("team-oaift0123456789ab");
        fake.jobs[0]["suffix"] = json!("team-oaift0123456789ab");
        fake.checkpoints.insert(
            "ftjob-001".into(),
            vec![json!({"id": "ftckpt-1", "fine_tuned_model_checkpoint": "gpt-4o-mini-2024-07-18.ft-abc:ckpt-step-4", "step_number": 4})],
        );
        let deprecation = |fine_tune: u64, inference: u64| json!({"fine_tune": START + fine_tune * DAY, "inference": START + inference * DAY});
        fake.models = vec![
            json!({"id": BASE, "lifecycle_status": "deprecating", "deprecation": deprecation(20, 100)}),
            json!({"id": "gpt-4o-mini-2024-07-18.ft-abc", "model": BASE, "fine_tune": "ftjob-001",
                   "lifecycle_status": "generally-available", "deprecation": deprecation(60, 80)}),
        ];
        let at = Location::parse_account(&AT.into_iter().collect()).unwrap();
        for (name, model) in [
            ("a", "gpt-4o-mini-2024-07-18.ft-abc"),
            ("b", BASE),
            ("c", "gpt-4o-mini-2024-07-18.ft-abc"),
        ] {
            fake.deployments.insert(
                format!("{}/{name}", at.list_path()),
                json!({"name": name, "sku": {"name": "Standard", "capacity": 1},
                       "properties": {"provisioningState": "Succeeded", "model": {"name": model, "format": "OpenAI"}}}),
            );
        }
        fake.page_size = 1;
        fake
    }

    #[test]
    fn azure_lists_its_models_with_their_deployments_on_both_surfaces() {
        for flavor in [Flavor::Azure, Flavor::AzureClassic] {
            let mut fake = azure(flavor);
            let account = Location::parse_account(&AT.into_iter().collect()).unwrap();
            let found = read(
                &mut fake,
                &Options {
                    account: Some(account),
                },
            )
            .unwrap();
            let tuned = &found.entries[0];
            assert_eq!(tuned.model, "gpt-4o-mini-2024-07-18.ft-abc", "{flavor:?}");
            assert_eq!(tuned.retirement.shutdown, Some(day(80)));
            assert_eq!(tuned.retirement.fine_tune, Some(day(60)));
            assert_eq!((tuned.dates_from, tuned.days_left), ("model", Some(80)));
            let deployed: Vec<&str> = (tuned.deployments.iter().flatten())
                .filter_map(|d| d["name"].as_str())
                .collect();
            assert_eq!(deployed, ["a", "c"], "every page of the list, by nextLink");
            assert_eq!(
                tuned.retrain.as_ref().unwrap()["hyperparameters"],
                json!({"n_epochs": "2"})
            );
            let checkpoint = &found.entries[1];
            assert_eq!(checkpoint.kind, Kind::Checkpoint);
            assert_eq!(checkpoint.deployments, Some(vec![]));
            assert_eq!(
                (checkpoint.dates_from, checkpoint.days_left),
                ("base model", Some(100))
            );
            assert_eq!(fake.count("GET arm"), 3, "{flavor:?}: three pages of one");
            assert!(found.notes.is_empty());
            assert!(
                fake.targets
                    .contains(&Target::AzureDated("2024-10-21".into()))
                    == (flavor == Flavor::Azure)
            );
            // Without the account, it says once how to read them.
            let found = read(&mut azure(flavor), &Options { account: None }).unwrap();
            assert!(found.entries.iter().all(|e| e.deployments.is_none()));
            assert_eq!(found.notes.len(), 1);
        }
    }

    fn run(fake: &mut Fake, pairs: &[(&str, &str)]) -> Result<Output> {
        let input: Input = pairs.iter().copied().collect();
        commands::run(fake, "models inventory", &input)
    }

    fn field<'a>(out: &'a Output, key: &str) -> &'a str {
        out.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v)
    }

    use crate::input::Output;

    #[test]
    fn the_command_gives_the_list_the_counts_the_nearest_end_and_the_requests() {
        let mut fake = openai();
        let out = run(&mut fake, &[]).unwrap();
        assert_eq!(field(&out, "count"), "4");
        assert_eq!(field(&out, "fine_tuned_models"), "2");
        assert_eq!(field(&out, "checkpoints"), "2");
        assert_eq!(field(&out, "nearest_shutdown_model"), TUNED);
        assert_eq!(field(&out, "nearest_shutdown_date"), day(30));
        assert_eq!(field(&out, "nearest_days_left"), "30");
        let ending: Vec<String> = serde_json::from_str(field(&out, "ending_soon")).unwrap();
        assert_eq!(
            ending,
            [
                format!(
                    "the fine-tuned model {TUNED} shuts down on {}, in 30 days",
                    day(30)
                ),
                format!(
                    "the checkpoint {STEP} shuts down on {}, in 30 days",
                    day(30)
                ),
            ]
        );
        let requests: serde_json::Map<String, Value> =
            serde_json::from_str(field(&out, "retrain_requests")).unwrap();
        assert_eq!(requests.len(), 3, "the orphan has none");
        assert!(!requests.contains_key(ORPHAN));
        assert!(out.iter().all(|(k, _)| k != "table"));
        let listed: Vec<Value> = serde_json::from_str(field(&out, "models")).unwrap();
        assert_eq!(listed[0]["grants"], json!(["proj_a"]));
        assert_eq!(listed[0]["days_left"], json!(30));
    }

    #[test]
    fn a_table_for_people_in_markdown_or_csv() {
        let out = run(&mut openai(), &[("format", "markdown")]).unwrap();
        let table = field(&out, "table");
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 6, "{table}");
        assert_eq!(
            lines[0],
            "| model | kind | base model | job | training file | shutdown | days left | shared with / deployed as | retrain |"
        );
        assert_eq!(
            lines[2],
            format!(
                "| {TUNED} | fine-tuned model | {BASE} | ftjob-001 | file-train | {} (base model) | 30 | proj_a | yes |",
                day(30)
            )
        );
        assert_eq!(
            lines[4],
            format!(
                "| {ORPHAN} | fine-tuned model | gpt-4.1-2025-04-14 |  |  | {} | 200 | proj_a | job gone |",
                day(200)
            )
        );
        let out = run(&mut openai(), &[("format", "csv")]).unwrap();
        let csv = field(&out, "table");
        assert!(csv.starts_with("model,kind,base_model,job,training_file,shutdown,days_left,shared_with_/_deployed_as,retrain\r\n"), "{csv}");
        assert_eq!(csv.matches("\r\n").count(), 5);
        // The summary answers with the line and the table.
        let out = run(
            &mut openai(),
            &[("format", "markdown"), ("output", "summary")],
        )
        .unwrap();
        let summary = field(&out, "summary");
        assert!(
            summary.starts_with(&format!(
                "models inventory: 2 fine-tuned models and 2 checkpoints; 2 end within 90 days, \
                 the first {TUNED} on {} (30 days left)\n| model |",
                day(30)
            )),
            "{summary}"
        );
    }

    #[test]
    fn bad_inputs_are_refused_before_any_request() {
        type Case<'a> = (&'a [(&'a str, &'a str)], Flavor, &'a str);
        let cases: &[Case] = &[
            (
                &[("format", "html")],
                Flavor::OpenAi,
                "invalid format \"html\": must be \"json\"",
            ),
            (
                &[("account", "res")],
                Flavor::OpenAi,
                "invalid account \"res\": deployments exist on Azure OpenAI only",
            ),
            (
                &[("account", "res"), ("resource_group", "rg")],
                Flavor::Azure,
                "missing subscription_id: set it to the Azure subscription id",
            ),
        ];
        for (pairs, flavor, wanted) in cases {
            let mut fake = Fake::flavored(*flavor);
            let e = run(&mut fake, pairs).unwrap_err().to_string();
            assert!(e.starts_with(wanted), "{e}");
            assert!(fake.log.is_empty());
        }
    }
}
