//! The `permissions` commands: check, grant, read and revoke, from the flat input map to the flat
//! outputs Terraform reads, and the one line each prints for a person.

use std::collections::BTreeMap;

use super::field;
use crate::error::{InputError, Result};
use crate::ids::{CheckpointName, ProjectId};
use crate::input::{Input, Output};
use crate::job::{self, JobSpec, spec::JOB_SPEC_KEYS};
use crate::permissions;
use crate::platform::Platform;

const CHECKPOINT_FIX: &str = "set it to the fine-tuned model or checkpoint name (ft:...) to share";

/// The inputs every `permissions` command accepts, required first.
pub(super) const INPUTS: &[&str] = &["checkpoint", "project_id", "project_ids"];

/// `permissions read` may name the checkpoint by the job request instead: the fine-tuned model of
/// the job made for it, found without the plan having to read the job first.
pub(super) const READ_INPUTS: &[&str] =
    &super::job::concat::<{ INPUTS.len() + JOB_SPEC_KEYS.len() }>(INPUTS, JOB_SPEC_KEYS);

/// What is refused before the unknown-key check: an API without checkpoint permissions, and a
/// credential passed as a query field, which would end up in Terraform's state and plan output,
/// so it gets its own refusal naming the environment variable instead of the generic unknown-key
/// one. Only the field name is quoted, never its value.
pub(super) fn guard(platform: &dyn Platform, input: &Input) -> Result<()> {
    permissions::require_api(platform)?;
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
    Ok(())
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

fn json<T: serde::Serialize>(value: &T) -> String {
    // Maps and lists of strings always serialise.
    serde_json::to_string(value).unwrap_or_default()
}

/// `permissions check`: sends nothing; fails on an API without checkpoint permissions
/// (Azure), so a module can refuse at plan time. Outputs `flavor`.
pub(super) fn check(platform: &mut dyn Platform, _: &Input) -> Result<Output> {
    permissions::require_api(platform)?;
    Ok(vec![(
        "flavor".to_owned(),
        platform.flavor().name().to_owned(),
    )])
}

/// `permissions grant`: outputs `checkpoint`, `permission_ids` (JSON map project to
/// permission id), `permission_id` (one project only), `created` (JSON list of the projects
/// newly granted) and `count`.
pub(super) fn grant(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let checkpoint = checkpoint(input)?;
    let projects = required_projects(input)?;
    let grants = permissions::grant(platform, &checkpoint, &projects)?;
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
/// id), `count`, and with projects given, `missing` (JSON list of those without a grant). Given
/// the job request instead of `checkpoint`, it reads the grants of that job's fine-tuned model;
/// while there is none (no job yet, or not succeeded) `checkpoint` is empty, nothing is granted,
/// and every project is missing.
pub(super) fn read(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let by_request = input.get("model").is_some();
    let checkpoint = if by_request {
        if let Some(given) = input.get("checkpoint") {
            return Err(InputError::invalid(
                "checkpoint",
                given,
                "name the checkpoint one way only: checkpoint, or the job request (model, \
                 training_file, ...) whose fine-tuned model it is",
            )
            .into());
        }
        model_of_request(platform, input)?
    } else {
        Some(checkpoint(input)?)
    };
    let wanted = projects(input)?;
    let map = match &checkpoint {
        Some(c) => permissions::read(platform, c)?,
        None => BTreeMap::new(),
    };
    let mut out = vec![
        (
            "checkpoint".to_owned(),
            checkpoint
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        ),
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

/// The fine-tuned model of the job made for the request in `input`, if it exists and has one.
fn model_of_request(platform: &mut dyn Platform, input: &Input) -> Result<Option<CheckpointName>> {
    let key = JobSpec::parse(input)?.idempotency_key();
    let model = job::find_by_key(platform, &key)?.and_then(|j| j.fine_tuned_model);
    Ok(match model {
        Some(m) => Some(CheckpointName::parse("fine_tuned_model", &m)?),
        None => None,
    })
}

/// `permissions revoke`: outputs `checkpoint`, `revoked` (JSON list of the projects whose
/// grant was removed) and `count`.
pub(super) fn revoke(platform: &mut dyn Platform, input: &Input) -> Result<Output> {
    let checkpoint = checkpoint(input)?;
    let projects = required_projects(input)?;
    let revoked = permissions::revoke(platform, &checkpoint, &projects)?;
    let revoked: Vec<&str> = revoked.iter().map(ProjectId::as_str).collect();
    Ok(vec![
        ("checkpoint".to_owned(), checkpoint.to_string()),
        ("revoked".to_owned(), json(&revoked)),
        ("count".to_owned(), revoked.len().to_string()),
    ])
}

pub(super) fn check_outcome(_: &Input, out: &Output) -> String {
    format!(
        "checkpoint permissions are available ({})",
        field(out, "flavor")
    )
}

/// The projects of a JSON map or list output, comma-separated.
fn projects_in(raw: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(raw).unwrap_or_default();
    let names: Vec<String> = match value {
        serde_json::Value::Object(map) => map.keys().cloned().collect(),
        serde_json::Value::Array(list) => list
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    names.join(", ")
}

pub(super) fn grant_outcome(_: &Input, out: &Output) -> String {
    let created = projects_in(field(out, "created"));
    let new = if created.is_empty() {
        "all existed already".to_owned()
    } else {
        format!("new: {created}")
    };
    format!(
        "{} is granted to {} ({new})",
        field(out, "checkpoint"),
        projects_in(field(out, "permission_ids"))
    )
}

pub(super) fn read_outcome(_: &Input, out: &Output) -> String {
    let checkpoint = field(out, "checkpoint");
    let mut line = if checkpoint.is_empty() {
        "no fine-tuned model to read the grants of yet".to_owned()
    } else {
        format!("{checkpoint} has {} grants", field(out, "count"))
    };
    let missing = projects_in(field(out, "missing"));
    if !missing.is_empty() {
        line.push_str(&format!("; missing: {missing}"));
    }
    line
}

pub(super) fn revoke_outcome(_: &Input, out: &Output) -> String {
    match projects_in(field(out, "revoked")).as_str() {
        "" => format!("{}: no grant to revoke", field(out, "checkpoint")),
        revoked => format!("{}: revoked from {revoked}", field(out, "checkpoint")),
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::run;
    use crate::input::{Input, Output};
    use crate::testing::Fake;

    const CKPT: &str = "ft:gpt-4o-mini-2024-07-18:org:suffix:abc123";

    fn grant(fake: &mut Fake, input: &Input) -> crate::Result<Output> {
        run(fake, "permissions grant", input)
    }

    /// The outputs of `command` with `pairs`, which must succeed.
    fn outputs(fake: &mut Fake, command: &str, pairs: &[(&str, &str)]) -> Output {
        run(fake, command, &input(pairs)).unwrap()
    }

    /// Runs `command` with `pairs` and checks its outputs are `expected`, in order.
    fn assert_outputs(
        fake: &mut Fake,
        command: &str,
        pairs: &[(&str, &str)],
        expected: &[(&str, &str)],
    ) {
        let owned = outputs(fake, command, pairs);
        let out: Vec<(&str, &str)> = owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(out, expected);
    }

    fn input(pairs: &[(&str, &str)]) -> Input {
        pairs.iter().copied().collect()
    }

    #[test]
    fn grant_command_outputs() {
        let mut fake = Fake::with_grants(&["proj_b"]);
        assert_outputs(
            &mut fake,
            "permissions grant",
            &[
                ("checkpoint", CKPT),
                ("project_ids", r#"["proj_b","proj_a"]"#),
            ],
            &[
                ("checkpoint", CKPT),
                ("permission_ids", r#"{"proj_a":"cp_002","proj_b":"cp_001"}"#),
                ("created", r#"["proj_a"]"#),
                ("count", "2"),
            ],
        );
        let out = outputs(
            &mut fake,
            "permissions grant",
            &[("checkpoint", CKPT), ("project_id", "proj_a")],
        );
        assert!(out.contains(&("permission_id".to_owned(), "cp_002".to_owned())));
    }

    #[test]
    fn read_and_revoke_command_outputs() {
        let mut fake = Fake::with_grants(&["proj_b", "proj_a"]);
        assert_outputs(
            &mut fake,
            "permissions read",
            &[
                ("checkpoint", CKPT),
                ("project_ids", r#"["proj_a","proj_c"]"#),
            ],
            &[
                ("checkpoint", CKPT),
                ("permissions", r#"{"proj_a":"cp_002","proj_b":"cp_001"}"#),
                ("count", "2"),
                ("missing", r#"["proj_c"]"#),
            ],
        );
        assert_eq!(fake.count("GET"), 1);
        assert_outputs(
            &mut fake,
            "permissions revoke",
            &[
                ("checkpoint", CKPT),
                ("project_ids", r#"["proj_b","proj_c"]"#),
            ],
            &[
                ("checkpoint", CKPT),
                ("revoked", r#"["proj_b"]"#),
                ("count", "1"),
            ],
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
            let e = grant(&mut fake, &input(pairs)).unwrap_err();
            assert_eq!(e.to_string(), *expected);
        }
        assert!(fake.log.is_empty());
    }
}
