# The base module's outputs, unchanged.

output "id" {
  description = "The ID of the fine-tuning job (ftjob-...)."
  value       = module.fine_tuning.id
}

output "status" {
  description = "The job's status when last read: validating_files, queued, running, succeeded, failed or cancelled."
  value       = module.fine_tuning.status
}

output "model" {
  description = "The base model, as the service resolved it (a dated snapshot)."
  value       = module.fine_tuning.model
}

output "fine_tuned_model" {
  description = "The ID of the resulting fine-tuned model (ft:...), or null until the job has succeeded."
  value       = module.fine_tuning.fine_tuned_model
}

output "created_at" {
  description = "When the job was created (Unix seconds)."
  value       = module.fine_tuning.created_at
}

output "finished_at" {
  description = "When the job finished (Unix seconds), or null while it runs."
  value       = module.fine_tuning.finished_at
}

output "trained_tokens" {
  description = "The number of billable tokens processed, or null until the job has succeeded."
  value       = module.fine_tuning.trained_tokens
}

output "estimated_n_epochs" {
  description = "The epochs the estimate assumes: hyperparameters.n_epochs, or the service's default for \"auto\". null without training_file_stats."
  value       = module.fine_tuning.estimated_n_epochs
}

output "estimated_billed_tokens" {
  description = "The tokens the job is estimated to bill, known at plan time; compare trained_tokens after training. null without training_file_stats."
  value       = module.fine_tuning.estimated_billed_tokens
}

output "estimated_cost_usd" {
  description = "estimated_billed_tokens times the price per million tokens. null when no price is known."
  value       = module.fine_tuning.estimated_cost_usd
}

output "estimated_finish" {
  description = "The service's estimate of when the job finishes (Unix seconds), or null."
  value       = module.fine_tuning.estimated_finish
}

output "checkpoints" {
  description = "The job's checkpoints, oldest first: a list of { name, step, metrics }. null unless read_checkpoints = true."
  value       = module.fine_tuning.checkpoints
}

output "result_files" {
  description = "The IDs of the job's result files (training metrics CSV)."
  value       = module.fine_tuning.result_files
}

output "error" {
  description = "Why the job failed, as { code, message }, or null unless it failed."
  value       = module.fine_tuning.error
}

output "timed_out" {
  description = "Whether the job ran past cancel_after_timeout (and was cancelled for it)."
  value       = module.fine_tuning.timed_out
}

output "idempotency_key" {
  description = "The key openai-ft derived from the training request and stamped in the job's metadata."
  value       = module.fine_tuning.idempotency_key
}

output "request_sha256" {
  description = "A hash of the training request, known at plan time: it changes exactly when the job is replaced."
  value       = module.fine_tuning.request_sha256
}

# Checkpoint permissions.

output "api_status" {
  description = "The status exactly as the API spelled it."
  value       = module.fine_tuning.api_status
}

output "base_model_shutdown_date" {
  description = "The announced shutdown date (YYYY-MM-DD) of the base model, or null."
  value       = module.fine_tuning.base_model_shutdown_date
}

output "base_model_fine_tune_retirement_date" {
  description = "Azure OpenAI only: the day (YYYY-MM-DD) the base model stops taking fine-tuning jobs, or null."
  value       = module.fine_tuning.base_model_fine_tune_retirement_date
}

output "base_model_lifecycle_status" {
  description = "Azure OpenAI only: the base model's lifecycle_status, or null."
  value       = module.fine_tuning.base_model_lifecycle_status
}

output "fine_tuned_model_shutdown_date" {
  description = "The announced shutdown date (YYYY-MM-DD) of the fine-tuned model, or null."
  value       = module.fine_tuning.fine_tuned_model_shutdown_date
}

output "fine_tuned_model_lifecycle_status" {
  description = "Azure OpenAI only: the fine-tuned model's lifecycle_status, or null."
  value       = module.fine_tuning.fine_tuned_model_lifecycle_status
}

output "warnings" {
  description = "What the base module warns of (the same messages as its plan warnings), kind => messages."
  value       = module.fine_tuning.warnings
}

output "shared_checkpoint" {
  description = "The fine-tuned model or checkpoint shared with the projects, or null when checkpoint_permissions is disabled."
  value       = length(local.project_ids) > 0 ? local.checkpoint : null
}

output "permission_ids" {
  description = "The permission ID (cp_...) of each project in checkpoint_permissions.project_ids, read fresh: project ID => permission ID, null for a project without a grant."
  value       = { for p in local.project_ids : p => lookup(local.granted, p, null) }
}

output "missing" {
  description = "Projects in checkpoint_permissions.project_ids that hold no grant when last read (revoked outside Terraform: the next plan shows that project's grant replaced, and apply grants it again). Empty when all is in place."
  value       = local.missing
}
