//! The life cycle of a job on a logical clock: one step per `step_ms` (validating_files ->
//! queued -> running -> one step per epoch -> succeeded), each step a named function below; and
//! the actions that move a job by request (cancel, pause, resume, and the control endpoint's fail).

use super::billing;
use super::handlers::{job_object, not_found};
use super::training_file::validate_training;
use crate::config::Config;
use crate::errors::ApiError;
use crate::flavor::{Mount, Surface};
use crate::models;
use crate::state::{Checkpoint, Event, FileRec, FileStatus, Job, JobStatus, State};
use serde_json::{Value, json};

pub(super) fn event(state: &mut State, job: &mut Job, at: u64, level: &str, message: &str) {
    job.events.push(Event {
        id: state.rng.id("ftevent-", 24),
        created_at: at,
        level: level.to_string(),
        message: message.to_string(),
        kind: "message".to_string(),
        data: json!({}),
    });
}

/// Applies every step whose time has come, for every job. Returns whether anything changed.
pub fn advance(state: &mut State, config: &Config, now_ms: u64) -> bool {
    let step = config.step_ms.max(1);
    let mut changed = false;
    let mut jobs = std::mem::take(&mut state.jobs);
    for job in jobs.iter_mut() {
        while is_moving(job.status) && job.next_step_ms <= now_ms {
            let at = job.next_step_ms;
            tick(state, config, job, at);
            job.next_step_ms = at + step;
            changed = true;
        }
    }
    state.jobs = jobs;
    changed
}

fn is_moving(s: JobStatus) -> bool {
    matches!(
        s,
        JobStatus::ValidatingFiles
            | JobStatus::Queued
            | JobStatus::Running
            | JobStatus::Pausing
            | JobStatus::Resuming
    )
}

fn fail(
    state: &mut State,
    job: &mut Job,
    at: u64,
    code: &str,
    message: String,
    param: Option<&str>,
) {
    event(state, job, at, "error", &message);
    job.status = JobStatus::Failed;
    job.finished_at = Some(at);
    job.estimated_finish = None;
    job.error = Some(json!({"code": code, "message": message, "param": param}));
}

/// One logical step of a job's life, happening at wall-clock millisecond `at_ms`.
fn tick(state: &mut State, config: &Config, job: &mut Job, at_ms: u64) {
    let at = at_ms / 1000;
    match job.status {
        JobStatus::ValidatingFiles => validate_files(state, job, at),
        JobStatus::Pausing => {
            job.status = JobStatus::Paused;
            event(state, job, at, "info", "Fine-tuning job paused");
        }
        JobStatus::Queued | JobStatus::Resuming => start(state, config, job, at_ms),
        JobStatus::Running if job.epochs_done < job.n_epochs => train_epoch(state, config, job, at),
        JobStatus::Running => succeed(state, config, job, at_ms),
        JobStatus::Paused | JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled => {}
    }
}

/// `validating_files`: reads the training and validation files for the method; a bad one fails
/// the job, good ones queue it with the steps per epoch the training rows make.
fn validate_files(state: &mut State, job: &mut Job, at: u64) {
    let mut files = vec![("training_file", job.training_file.clone())];
    files.extend(job.validation_file.clone().map(|v| ("validation_file", v)));
    let mut rows = 0;
    for (param, id) in files {
        let result = match state.file(&id) {
            None => Err(format!(
                "The file {id} was deleted before the job could read it."
            )),
            Some(f) => validate_training(&f.content, job.method),
        };
        match result {
            Ok(n) if param == "training_file" => rows = n,
            Ok(_) => {}
            Err(why) => {
                let msg = format!(
                    "The job failed due to an invalid {}. {why}",
                    param.replace('_', " ")
                );
                return fail(state, job, at, "invalid_training_file", msg, Some(param));
            }
        }
    }
    job.steps_per_epoch = rows.div_ceil(job.batch_size).max(1);
    job.status = JobStatus::Queued;
    event(
        state,
        job,
        at,
        "info",
        "Files validated, moving job to queued state",
    );
}

/// `queued` (or Azure's `resuming`) -> `running`, with an estimate of when the epochs left end.
fn start(state: &mut State, config: &Config, job: &mut Job, at_ms: u64) {
    job.status = JobStatus::Running;
    let remaining = (job.n_epochs - job.epochs_done + 1) * config.step_ms.max(1);
    job.estimated_finish = Some((at_ms + remaining).div_ceil(1000));
    event(state, job, at_ms / 1000, "info", "Fine-tuning job started");
}

/// One epoch of training: a `metrics` event and a checkpoint with the same numbers.
fn train_epoch(state: &mut State, config: &Config, job: &mut Job, at: u64) {
    job.epochs_done += 1;
    let step = job.epochs_done * job.steps_per_epoch;
    let total = job.n_epochs * job.steps_per_epoch;
    let (data, metrics, loss) = epoch_metrics(job, step, total);
    job.events.push(Event {
        id: state.rng.id("ftevent-", 24),
        created_at: at,
        level: "info".to_string(),
        message: format!("Step {step}/{total}: training loss={loss:.4}"),
        kind: "metrics".to_string(),
        data,
    });
    let name = format!("{}:ckpt-step-{step}", model_name(job, config));
    job.checkpoints.push(Checkpoint {
        id: state.rng.id("ftckpt_", 24),
        created_at: at,
        fine_tuned_model_checkpoint: name,
        step_number: step,
        metrics,
    });
    event(
        state,
        job,
        at,
        "info",
        &format!("Checkpoint created at step {step}"),
    );
}

/// Made-up numbers that improve with each epoch: the metrics event's `data`, the checkpoint's
/// `metrics` (with the validation figures when there is a validation file) and the training loss.
fn epoch_metrics(job: &Job, step: u64, total: u64) -> (Value, Value, f64) {
    let e = job.epochs_done as f64;
    let loss = round4(1.6 / (e + 0.5));
    let acc = round4((0.55 + 0.1 * e).min(0.99));
    let mut data = json!({"step": step, "train_loss": loss, "train_mean_token_accuracy": acc, "total_steps": total});
    let mut metrics = json!({"step": step, "train_loss": loss, "train_mean_token_accuracy": acc});
    if job.validation_file.is_some() {
        let vloss = round4(loss * 1.1);
        let vacc = round4(acc * 0.95);
        data["valid_loss"] = json!(vloss);
        data["valid_mean_token_accuracy"] = json!(vacc);
        for (k, v) in [
            ("valid_loss", vloss),
            ("valid_mean_token_accuracy", vacc),
            ("full_valid_loss", vloss),
            ("full_valid_mean_token_accuracy", vacc),
        ] {
            metrics[k] = json!(v);
        }
    }
    (data, metrics, loss)
}

/// After the last epoch: the results file, the fine-tuned model, the trained tokens (counted as
/// [`billing`] says), `succeeded`.
fn succeed(state: &mut State, config: &Config, job: &mut Job, at_ms: u64) {
    let at = at_ms / 1000;
    let model = model_name(job, config);
    let result = results_file(state, job, at_ms);
    job.result_files = vec![result.id.clone()];
    state.files.push(result);
    let per_epoch = match (
        state.file(&job.training_file),
        models::base(&job.base_snapshot),
    ) {
        (Some(f), Some(base)) => billing::billed_per_epoch(&f.content, base, job.method),
        _ => 0,
    };
    job.trained_tokens = Some(per_epoch * job.n_epochs);
    job.fine_tuned_model = Some(model.clone());
    job.status = JobStatus::Succeeded;
    job.finished_at = Some(at);
    job.estimated_finish = None;
    event(
        state,
        job,
        at,
        "info",
        &format!("New fine-tuned model created: {model}"),
    );
    event(state, job, at, "info", "The job has successfully completed");
}

/// The `fine-tune-results` file of a finished job: its checkpoints' metrics as CSV.
fn results_file(state: &mut State, job: &Job, at_ms: u64) -> FileRec {
    let csv = job.checkpoints.iter().fold(
        String::from("step,train_loss,train_accuracy\n"),
        |mut acc, c| {
            acc.push_str(&format!(
                "{},{},{}\n",
                c.step_number, c.metrics["train_loss"], c.metrics["train_mean_token_accuracy"]
            ));
            acc
        },
    );
    FileRec {
        id: state.rng.id("file-", 22),
        filename: "step_metrics.csv".to_string(),
        purpose: "fine-tune-results".to_string(),
        bytes: csv.len() as u64,
        created_at: at_ms / 1000,
        expires_at: None,
        content: csv,
        status: FileStatus::Processed,
        status_details: None,
        uploaded_ms: at_ms,
        import_url: None,
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// The fine-tuned model name in the flavour's form (see `Flavor::fine_tuned_model`).
fn model_name(job: &Job, config: &Config) -> String {
    config.flavor.fine_tuned_model(
        &job.base_snapshot,
        &config.org,
        job.suffix.as_deref(),
        &job.model_tag,
    )
}

/// Fails a non-terminal job now, as a server-side training failure would (`/_emulator/jobs/{id}/fail`).
/// Returns `None` for an unknown job and `Some(Err(status))` for a terminal one.
pub fn force_fail(
    state: &mut State,
    config: &Config,
    id: &str,
    code: &str,
    message: &str,
    now_ms: u64,
) -> Option<Result<Value, String>> {
    advance(state, config, now_ms);
    let mut jobs = std::mem::take(&mut state.jobs);
    let result = jobs.iter_mut().find(|j| j.id == id).map(|job| {
        let surface = Surface::fallback(config.flavor, config.flavor.prefix());
        if job.status.is_terminal() {
            return Err(surface.status_name(job.status, config).to_string());
        }
        fail(state, job, now_ms / 1000, code, message.to_string(), None);
        Ok(job_object(job, surface, config))
    });
    state.jobs = jobs;
    result
}

/// The actions on an existing job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Cancel,
    Pause,
    Resume,
}

pub fn act(
    state: &mut State,
    config: &Config,
    surface: Surface,
    id: &str,
    action: Action,
    now_ms: u64,
) -> Result<Value, ApiError> {
    let mut jobs = std::mem::take(&mut state.jobs);
    let result = match jobs.iter_mut().find(|j| j.id == id) {
        None => Err(not_found(id)),
        Some(job) => apply(state, config, surface, job, action, now_ms),
    };
    state.jobs = jobs;
    result
}

fn apply(
    state: &mut State,
    config: &Config,
    surface: Surface,
    job: &mut Job,
    action: Action,
    now_ms: u64,
) -> Result<Value, ApiError> {
    let now = now_ms / 1000;
    let status = job.status;
    let shown = surface.status_name(status, config);
    let refuse = |verb: &str, need: &str| {
        Err(ApiError::invalid(
            None,
            format!(
                "Job {} cannot be {verb}: its status is '{shown}', {need}.",
                job.id
            ),
        )
        .classic("unexpectedEntityState"))
    };
    match action {
        Action::Cancel => {
            if status.is_terminal() {
                return Err(ApiError::invalid(
                    None,
                    format!(
                        "Job {} is already {shown}; a job in a terminal state cannot be cancelled.",
                        job.id
                    ),
                )
                .classic("unexpectedEntityState"));
            }
            job.status = JobStatus::Cancelled;
            job.estimated_finish = None;
            event(state, job, now, "info", "Fine-tuning job cancelled");
        }
        Action::Pause => {
            if status != JobStatus::Running {
                return refuse("paused", "and only a running job can be paused");
            }
            job.status = surface.pause_status(config);
            job.estimated_finish = None;
            job.next_step_ms = now_ms + config.step_ms.max(1);
            if job.status == JobStatus::Paused {
                event(state, job, now, "info", "Fine-tuning job paused");
            }
        }
        Action::Resume => {
            if status != JobStatus::Paused {
                return refuse("resumed", "and only a paused job can be resumed");
            }
            job.status = surface.resume_status();
            job.next_step_ms = now_ms + config.step_ms.max(1);
            event(state, job, now, "info", "Fine-tuning job resumed");
        }
    }
    Ok(job_object(job, surface, config))
}
