# Plan time: both engines, expanding each output of a module call, compare every instance's address
# with every output change already recorded for the call, so a for_each of many jobs costs
# outputs x instances x (changes recorded so far). The outputs therefore read the data sources
# themselves rather than locals that follow them, and the ones known before the job read wait for
# it (depends_on): all expand together, before many changes are recorded (docs/performance.md).
# The values are the same; the plan-time ones stay known while a job is being created.

output "id" {
  description = "The ID of the fine-tuning job (ftjob-...)."
  value       = data.external.job.result.id
}

output "status" {
  description = "The job's status when last read: validating_files, queued, running, succeeded, failed or cancelled."
  value       = data.external.job.result.status
}

output "model" {
  description = "The base model, as the service resolved it (a dated snapshot)."
  value       = data.external.job.result.model
}

output "fine_tuned_model" {
  description = "The ID of the resulting fine-tuned model (ft:...), or null until the job has succeeded."
  value       = data.external.job.result.fine_tuned_model == "" ? null : data.external.job.result.fine_tuned_model
}

output "created_at" {
  description = "When the job was created (Unix seconds); null when it no longer exists."
  value       = data.external.job.result.created_at == "" ? null : tonumber(data.external.job.result.created_at)
}

output "finished_at" {
  description = "When the job finished (Unix seconds), or null while it runs."
  value       = data.external.job.result.finished_at == "" ? null : tonumber(data.external.job.result.finished_at)
}

output "trained_tokens" {
  description = "The number of billable tokens processed, or null until the job has succeeded."
  value       = data.external.job.result.trained_tokens == "" ? null : tonumber(data.external.job.result.trained_tokens)
}

output "estimated_finish" {
  description = "The service's estimate of when the job finishes (Unix seconds), or null."
  value       = data.external.job.result.estimated_finish == "" ? null : tonumber(data.external.job.result.estimated_finish)
}

output "checkpoints" {
  description = "The job's checkpoints, oldest first: a list of { name, step, metrics }. name is the checkpoint model (ft:...:ckpt-step-N). null unless read_checkpoints = true."
  value       = var.read_checkpoints ? jsondecode(data.external.job.result.checkpoints == "" ? "[]" : data.external.job.result.checkpoints) : null
}

output "result_files" {
  description = "The IDs of the job's result files (training metrics CSV)."
  value       = jsondecode(data.external.job.result.result_files == "" ? "[]" : data.external.job.result.result_files)
}

output "error" {
  description = "Why the job failed, as { code, message }, or null unless it failed."
  value = data.external.job.result.status == "failed" ? {
    code    = data.external.job.result.error_code
    message = data.external.job.result.error_message
  } : null
}

output "timed_out" {
  description = "Whether the job ran past cancel_after_timeout (and was cancelled for it)."
  value       = data.external.job.result.timed_out == "true"
}

output "idempotency_key" {
  description = "The key openai-ft derived from the training request and stamped in the job's metadata; it finds the job again."
  value       = data.external.job.result.idempotency_key
}

output "request_sha256" {
  description = "A hash of the training request, known at plan time: it changes exactly when the job is replaced (for resources that must follow the job, like permission grants)."
  value       = terraform_data.job.triggers_replace
  depends_on  = [data.external.job]
}

output "api_status" {
  description = "The status exactly as the API spelled it (Azure has pending, pausing, resuming; status maps them onto OpenAI's values)."
  value       = data.external.job.result.api_status
}

output "base_model_shutdown_date" {
  description = "The announced shutdown date (YYYY-MM-DD) of the base model (on Azure its deprecation.inference: the day it stops serving), or null when none is announced."
  value       = data.external.job.result.base_model_shutdown_date == "" ? null : data.external.job.result.base_model_shutdown_date
}

output "base_model_fine_tune_retirement_date" {
  description = "Azure OpenAI only: the day (YYYY-MM-DD) the base model stops taking fine-tuning jobs (its deprecation.fine_tune), or null when none is announced (always on OpenAI)."
  value       = data.external.job.result.base_model_fine_tune_retirement_date == "" ? null : data.external.job.result.base_model_fine_tune_retirement_date
}

output "base_model_lifecycle_status" {
  description = "Azure OpenAI only: the base model's lifecycle_status (preview, generally-available, deprecating, deprecated), or null (always on OpenAI)."
  value       = data.external.job.result.base_model_lifecycle_status == "" ? null : data.external.job.result.base_model_lifecycle_status
}

output "fine_tuned_model_shutdown_date" {
  description = "The announced shutdown date (YYYY-MM-DD) of the fine-tuned model (on Azure its deprecation.inference), or null when none is announced."
  value       = data.external.job.result.fine_tuned_model_shutdown_date == "" ? null : data.external.job.result.fine_tuned_model_shutdown_date
}

output "fine_tuned_model_lifecycle_status" {
  description = "Azure OpenAI only: the fine-tuned model's lifecycle_status, or null (always on OpenAI, and until the job has succeeded)."
  value       = data.external.job.result.fine_tuned_model_lifecycle_status == "" ? null : data.external.job.result.fine_tuned_model_lifecycle_status
}

output "request" {
  description = "The training request as the strings openai-ft takes (what names the job): for modules that find the job by it, like enhanced_fine_tuning's permission reads."
  value       = local.request
  depends_on  = [data.external.job]
}

output "warnings" {
  description = "What openai-ft warns of, kind => messages: base_model_shutdown (a shutdown, or on Azure the end of fine-tuning, within 90 days), fine_tuned_model_shutdown (within 90 days), job_failed, job_cancelled, job_timed_out, job_missing (deleted outside Terraform), and any kind a later openai-ft adds. Each is also a check warning in the plan. Empty when all is well."
  # checks.tf's two lists, from the data sources themselves (see the note at the top).
  value = { for w in concat(
    jsondecode(data.external.check.result.warnings),
    [for w in jsondecode(lookup(data.external.job.result, "warnings", "[]")) : w if !contains(jsondecode(data.external.check.result.warnings), w)],
  ) : w.kind => w.message... }
}

output "estimated_n_epochs" {
  description = "The epochs the estimate assumes: hyperparameters.n_epochs, or the service's default for \"auto\" (3, adjusted so examples x epochs lands in 100-25,000). null without training_file_stats."
  value       = local.estimate.estimated_n_epochs == "" ? null : tonumber(local.estimate.estimated_n_epochs)
  depends_on  = [data.external.job]
}

output "estimated_billed_tokens" {
  description = "The tokens the job is estimated to bill: per epoch the sum over examples of min(context limit, tokens), times the epochs. Known at plan time; compare trained_tokens after training. null without training_file_stats."
  value       = local.estimate.estimated_billed_tokens == "" ? null : tonumber(local.estimate.estimated_billed_tokens)
  depends_on  = [data.external.job]
}

output "estimated_cost_usd" {
  description = "estimated_billed_tokens times the price per million tokens (price_per_million_tokens, or the table's for the job's model). null when no price is known."
  value       = local.estimate.estimated_cost_usd == "" ? null : tonumber(local.estimate.estimated_cost_usd)
  depends_on  = [data.external.job]
}
