//! The generic entry behind the Terraform protocol: `<noun> <verb>` and a flat input map in, a
//! flat output map out (or, with `output = "summary"`, one line for a person). [`COMMANDS`] is
//! the one table of commands: `--help` (`describe`) and the unknown-key refusal both read a
//! command's inputs from it, so they cannot disagree, and HOST.md's command reference and the
//! GitHub Action's inputs are generated from it (`reference`). Each command parses its keys into
//! types and calls the typed operations; nothing here talks to the API directly.

mod deployment;
mod file;
mod job;
mod models;
mod permissions;
#[cfg(test)]
mod reference;

use crate::error::{Error, InputError, Result, quote};
use crate::input::Input;
pub use crate::input::Output;
use crate::platform::Platform;

/// A check that runs before the unknown-key one.
type Guard = fn(&dyn Platform, &Input) -> Result<()>;

/// The one input every command takes besides its own: how to answer. `json` (the default) is the
/// output map, for programs such as Terraform's `external` data source; `summary` is the map
/// `{"summary": LINE}`, LINE being one sentence for a person, which a host prints as plain text
/// (under `local-exec`, where the output lands in the apply log).
pub const OUTPUT_KEY: &str = "output";

/// One command: what `--help` shows and what runs.
pub struct Command {
    /// `<noun> <verb>`.
    pub name: &'static str,
    pub summary: &'static str,
    /// Every input key it accepts, required first: what `--help` lists, and the only keys
    /// [`run`] lets through.
    pub inputs: &'static [&'static str],
    /// Every output key it may give, in groups (some only in the cases its summary names): what
    /// HOST.md lists. A unit test runs each command and checks its keys against these.
    pub outputs: &'static [&'static [&'static str]],
    /// Refusals that come before the unknown-key check (the permissions commands refuse Azure,
    /// and credentials passed as fields, first).
    guard: Option<Guard>,
    run: fn(&mut dyn Platform, &Input) -> Result<Output>,
    /// The one line `output = "summary"` answers with, from the input and the output map.
    outcome: fn(&Input, &Output) -> String,
}

impl Command {
    /// Every key the command accepts: its own [`inputs`](Command::inputs), then [`OUTPUT_KEY`].
    pub fn accepted(&self) -> Vec<&'static str> {
        self.inputs.iter().copied().chain([OUTPUT_KEY]).collect()
    }
}

/// What a command that returns a job gives (`Job::outputs`).
const JOB: &[&str] = &[
    "id",
    "status",
    "api_status",
    "model",
    "fine_tuned_model",
    "created_at",
    "finished_at",
    "trained_tokens",
    "estimated_finish",
    "error_code",
    "error_message",
    "result_files",
];

/// How the job was named, and whether it ran past `cancel_after_timeout`.
const JOB_REF_OUT: &[&str] = &["idempotency_key", "timed_out"];

/// What the models endpoint announces of the job's models (from `job read` only with
/// `shutdown_dates`), in this order: their retirement days (empty when none is announced) and
/// Azure's lifecycle status.
pub(super) const MODEL_DATES: &[&str] = &[
    "base_model_shutdown_date",
    "base_model_fine_tune_retirement_date",
    "base_model_lifecycle_status",
    "fine_tuned_model_shutdown_date",
    "fine_tuned_model_lifecycle_status",
];

/// What a training file's check found.
const REPORT: &[&str] = &["examples", "estimated_tokens", "bytes", "sha256"];

/// A training file's token figures and the job's estimate (`file::token_outputs`).
const TOKENS: &[&str] = &[
    "model",
    "tokenizer",
    "context_limit",
    "total_tokens",
    "trained_tokens",
    "tokens_min",
    "tokens_mean",
    "tokens_p50",
    "tokens_p95",
    "tokens_max",
    "over_limit_examples",
    "over_limit_lines",
    "n_epochs",
    "n_epochs_auto",
    "billed_tokens_per_epoch",
    "estimated_billed_tokens",
    "price_per_million_tokens",
    "price_source",
    "estimated_cost_usd",
    "warnings",
];

/// Every command.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "job ensure",
        summary: "create the job for this request unless it exists (idempotent); optionally wait (apply time, local-exec)",
        inputs: job::ENSURE_INPUTS,
        outputs: &[JOB, JOB_REF_OUT, &["checkpoints", "created"], MODEL_DATES],
        guard: None,
        run: job::ensure,
        outcome: job::ensure_outcome,
    },
    Command {
        name: "job read",
        summary: "read a job by id, idempotency_key or request; cancels it past cancel_after_timeout (plan time, external data source)",
        inputs: job::READ_INPUTS,
        outputs: &[JOB, JOB_REF_OUT, &["checkpoints", "warnings"], MODEL_DATES],
        guard: None,
        run: job::read,
        outcome: job::job_outcome,
    },
    Command {
        name: "job cancel",
        summary: "cancel a job (by id, idempotency_key or request) unless it has finished; never deletes the model (destroy time, local-exec)",
        inputs: job::CANCEL_INPUTS,
        outputs: &[&["id", "status", "fine_tuned_model"]],
        guard: None,
        run: job::cancel,
        outcome: job::cancel_outcome,
    },
    Command {
        name: "job pause",
        summary: "pause a running job",
        inputs: job::ACTION_INPUTS,
        outputs: &[JOB],
        guard: None,
        run: job::pause,
        outcome: job::job_outcome,
    },
    Command {
        name: "job resume",
        summary: "resume a paused job",
        inputs: job::ACTION_INPUTS,
        outputs: &[JOB],
        guard: None,
        run: job::resume,
        outcome: job::job_outcome,
    },
    Command {
        name: "job list",
        summary: "list jobs, optionally those whose metadata matches",
        inputs: job::LIST_INPUTS,
        outputs: &[&["jobs", "count"]],
        guard: None,
        run: job::list,
        outcome: job::list_outcome,
    },
    Command {
        name: "job check",
        summary: "check everything job ensure would refuse (the files may be left out), the budget gate included, with no write; estimates what the job bills; warns of a near base-model shutdown or end of fine-tuning (plan time, external data source)",
        inputs: job::ENSURE_INPUTS,
        outputs: &[&[
            "model",
            "training_method",
            "base_model_shutdown_date",
            "base_model_fine_tune_retirement_date",
            "base_model_lifecycle_status",
            "estimated_n_epochs",
            "estimated_billed_tokens",
            "estimated_cost_usd",
            "warnings",
        ]],
        guard: None,
        run: job::check,
        outcome: job::check_outcome,
    },
    Command {
        name: "file validate",
        summary: "check a local JSONL training file for a training method; no network",
        inputs: file::INPUTS,
        outputs: &[&["path", "training_method"], REPORT, TOKENS],
        guard: None,
        run: file::validate,
        outcome: file::validate_outcome,
    },
    Command {
        name: "file read",
        summary: "find the upload of a local JSONL file by its content; never uploads (plan time, external data source)",
        inputs: file::INPUTS,
        outputs: &[&["id", "filename", "training_method"], REPORT, TOKENS],
        guard: None,
        run: file::read,
        outcome: file::file_outcome,
    },
    Command {
        name: "file upload",
        summary: "validate and upload a local JSONL training file unless the same bytes are already uploaded",
        inputs: file::INPUTS,
        outputs: &[&["id", "filename", "training_method"], REPORT, TOKENS],
        guard: None,
        run: file::upload,
        outcome: file::file_outcome,
    },
    Command {
        name: "permissions check",
        summary: "check, without any request, that the configured API has checkpoint permissions (plan time)",
        inputs: &[],
        outputs: &[&["flavor"]],
        guard: None,
        run: permissions::check,
        outcome: permissions::check_outcome,
    },
    Command {
        name: "permissions grant",
        summary: "grant a fine-tuned model or checkpoint to projects (project_id, or project_ids as a JSON list); existing grants are reused; needs OPENAI_ADMIN_KEY",
        inputs: permissions::INPUTS,
        outputs: &[&[
            "checkpoint",
            "permission_ids",
            "permission_id",
            "created",
            "count",
        ]],
        guard: Some(permissions::guard),
        run: permissions::grant,
        outcome: permissions::grant_outcome,
    },
    Command {
        name: "permissions read",
        summary: "list a checkpoint's grants (project -> permission id), or those of the fine-tuned model of the job for a request; with project_id(s), also which are missing; no side effects; needs OPENAI_ADMIN_KEY",
        inputs: permissions::READ_INPUTS,
        outputs: &[&["checkpoint", "permissions", "count", "missing"]],
        guard: Some(permissions::guard),
        run: permissions::read,
        outcome: permissions::read_outcome,
    },
    Command {
        name: "permissions revoke",
        summary: "revoke the grants of the given projects only, looked up fresh; an absent grant is success; needs OPENAI_ADMIN_KEY",
        inputs: permissions::INPUTS,
        outputs: &[&["checkpoint", "revoked", "count"]],
        guard: Some(permissions::guard),
        run: permissions::revoke,
        outcome: permissions::revoke_outcome,
    },
    Command {
        name: "models inventory",
        summary: "list every fine-tuned model and checkpoint with its base model, job, training file, shutdown dates and days left, its grants (OpenAI, with OPENAI_ADMIN_KEY) or deployments (Azure, with subscription_id, resource_group and account), and the request that would train it again; format=markdown or csv adds a table for people; no side effects (plan time, external data source)",
        inputs: models::INPUTS,
        outputs: &[models::OUTPUTS, &["table"]],
        guard: None,
        run: models::inventory,
        outcome: models::outcome,
    },
    Command {
        name: "deployment ensure",
        summary: "Azure: create or update the deployment of a model or checkpoint by name through Azure Resource Manager unless it already serves it (idempotent), and follow the operation to its end; needs an Azure sign-in or AZURE_MANAGEMENT_TOKEN (apply time)",
        inputs: deployment::ENSURE_INPUTS,
        outputs: &[deployment::OUTPUTS, &["created"]],
        guard: None,
        run: deployment::ensure,
        outcome: deployment::ensure_outcome,
    },
    Command {
        name: "deployment read",
        summary: "Azure: read a deployment by name (exists false when there is none, as after Azure deleted an idle one), and with model, whether it serves that spec; with shutdown_dates, the model's retirement day, warned of within 90 days; no side effects (plan time, external data source)",
        inputs: deployment::READ_INPUTS,
        outputs: &[deployment::OUTPUTS, deployment::READ_OUTPUTS],
        guard: None,
        run: deployment::read,
        outcome: deployment::read_outcome,
    },
    Command {
        name: "deployment delete",
        summary: "Azure: delete a deployment by name and wait until it is gone; never deletes the model; an absent one is success (destroy time)",
        inputs: deployment::DELETE_INPUTS,
        outputs: &[&["name", "deleted"]],
        guard: None,
        run: deployment::delete,
        outcome: deployment::delete_outcome,
    },
];

impl Command {
    /// Every output key it may give, in order.
    pub fn output_keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.outputs.iter().flat_map(|group| group.iter().copied())
    }
}

/// Runs `command` (`"<noun> <verb>"`) with `input`, refusing keys the command does not list.
pub fn run(platform: &mut dyn Platform, command: &str, input: &Input) -> Result<Output> {
    let Some(c) = COMMANDS.iter().find(|c| c.name == command) else {
        return Err(Error::Failed(format!(
            "unknown command {}: expected one of: {}",
            quote(command),
            COMMANDS
                .iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    };
    if let Some(guard) = c.guard {
        guard(platform, input)?;
    }
    input.only(&c.accepted())?;
    let summary = match input.get(OUTPUT_KEY) {
        None | Some("json") => false,
        Some("summary") => true,
        Some(other) => {
            return Err(InputError::invalid(
                OUTPUT_KEY,
                other,
                "must be \"json\" (the default: the output map) or \"summary\" (one line for \
                 a person, for local-exec)",
            )
            .into());
        }
    };
    let own: Input = input.iter().filter(|(k, _)| *k != OUTPUT_KEY).collect();
    let output = (c.run)(platform, &own)?;
    if summary {
        let line = format!("{}: {}", c.name, (c.outcome)(&own, &output));
        return Ok(vec![("summary".into(), line)]);
    }
    Ok(output)
}

/// The value of `key` in an output map, or "" (every command's outcome line reads its own keys).
fn field<'a>(output: &'a Output, key: &str) -> &'a str {
    output
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fake;

    /// For every command, `--help`'s inputs are exactly the keys it accepts: each listed key gets
    /// past the unknown-key check, and the refusal of an unlisted one names the listed keys.
    #[test]
    fn help_lists_exactly_the_keys_each_command_accepts() {
        for c in COMMANDS {
            let listed: Input = c.accepted().iter().map(|k| (*k, "x")).collect();
            if let Err(e) = run(&mut Fake::new(), c.name, &listed) {
                assert!(
                    !e.to_string().contains("unknown key"),
                    "{}: a key --help lists is refused: {e}",
                    c.name
                );
            }
            let unlisted: Input = [("not_an_input", "x")].into_iter().collect();
            let e = run(&mut Fake::new(), c.name, &unlisted).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "invalid input \"not_an_input\": unknown key; expected one of: {}",
                    c.accepted().join(", ")
                ),
                "{}",
                c.name
            );
        }
    }

    /// `job check` refuses what `job ensure` would, without the file ids and without any write.
    #[test]
    fn job_check_refuses_a_bad_request_with_no_write() {
        let mut fake = Fake::new();
        let bad: Input = [
            ("model", "gpt-4o-mini-2024-07-18"),
            ("hyperparameters", r#"{"n_epochs":"0"}"#),
        ]
        .into_iter()
        .collect();
        let e = run(&mut fake, "job check", &bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            run(
                &mut Fake::new(),
                "job ensure",
                &bad.iter()
                    .chain([("training_file", "file-abc")])
                    .collect::<Input>()
            )
            .unwrap_err()
            .to_string()
        );
        assert!(
            e.to_string()
                .starts_with("invalid hyperparameters.n_epochs \"0\""),
            "{e}"
        );
        let good: Input = [("model", "gpt-4o-mini-2024-07-18")].into_iter().collect();
        let out = run(&mut fake, "job check", &good).unwrap();
        assert_eq!(field(&out, "model"), "gpt-4o-mini-2024-07-18");
        assert_eq!(field(&out, "warnings"), "[]");
        assert_eq!(fake.count("POST"), 0);
    }

    /// `job check` estimates the job from the file's figures, and refuses figures it cannot read.
    #[test]
    fn job_check_estimates_from_the_figures_and_refuses_others() {
        let stats = r#"{"model":"gpt-4o-mini-2024-07-18","examples":12,"billed_tokens_per_epoch":381,"sha256":null}"#;
        let input: Input = [
            ("model", "gpt-4o-mini-2024-07-18"),
            ("training_file_stats", stats),
        ]
        .into_iter()
        .collect();
        let out = run(&mut Fake::new(), "job check", &input).unwrap();
        assert_eq!(field(&out, "estimated_n_epochs"), "8");
        assert_eq!(field(&out, "estimated_billed_tokens"), "3048");
        assert_eq!(field(&out, "estimated_cost_usd"), "0.009144");
        let input: Input = [
            ("model", "gpt-4o-mini-2024-07-18"),
            ("training_file_stats", r#"{"examples":12}"#),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            run(&mut Fake::new(), "job check", &input)
                .unwrap_err()
                .to_string(),
            "invalid training_file_stats \"{\\\"examples\\\":12}\": must be modules/training_file's \
             stats as a jsonencode()d object of model, examples, billed_tokens_per_epoch and sha256 \
             (missing field `billed_tokens_per_epoch` at line 1 column 15)"
        );
    }

    /// `output = "summary"` answers with one line for a person; anything else is refused.
    #[test]
    fn summary_output_is_one_line() {
        let input: Input = [("model", "gpt-4o-mini-2024-07-18"), ("output", "summary")]
            .into_iter()
            .collect();
        let out = run(&mut Fake::new(), "job check", &input).unwrap();
        assert_eq!(
            out,
            vec![(
                "summary".to_owned(),
                "job check: the request for gpt-4o-mini-2024-07-18 is valid".to_owned()
            )]
        );
        let input: Input = [("output", "text")].into_iter().collect();
        assert_eq!(
            run(&mut Fake::new(), "job check", &input)
                .unwrap_err()
                .to_string(),
            "invalid output \"text\": must be \"json\" (the default: the output map) \
             or \"summary\" (one line for a person, for local-exec)"
        );
    }

    #[test]
    fn unknown_commands_are_refused_with_the_list() {
        let e = run(&mut Fake::new(), "job delete", &Input::default()).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "unknown command \"job delete\": expected one of: job ensure, job read, job cancel"
            ),
            "{e}"
        );
    }
}
