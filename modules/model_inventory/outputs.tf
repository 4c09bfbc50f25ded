output "models" {
  description = "Every fine-tuned model and checkpoint, soonest end first: model, kind (fine_tuned_model or checkpoint), base_model, job, training_file, step, shutdown_date, fine_tune_retirement_date and lifecycle_status (Azure), dates_from (model or base model), days_left, grants (OpenAI project ids; null without OPENAI_ADMIN_KEY), deployments (Azure: name, sku, capacity, provisioning_state; null without the account) and retrain (see retrain_requests)."
  value       = jsondecode(local.result.models)
}

output "count" {
  description = "How many models and checkpoints are listed."
  value       = tonumber(local.result.count)
}

output "fine_tuned_models" {
  description = "How many of them are fine-tuned models."
  value       = tonumber(local.result.fine_tuned_models)
}

output "checkpoints" {
  description = "How many of them are checkpoints."
  value       = tonumber(local.result.checkpoints)
}

output "ending_soon" {
  description = "One line per model that shuts down within 90 days or has shut down (what the plan's check names)."
  value       = local.ending_soon
}

output "nearest_shutdown" {
  description = "The model that ends first: model, date and days_left (null when no model has an announced date)."
  value = local.result.nearest_shutdown_model == "" ? null : {
    model     = local.result.nearest_shutdown_model
    date      = local.result.nearest_shutdown_date
    days_left = tonumber(local.result.nearest_days_left)
  }
}

output "retrain_requests" {
  description = "Model name => the training request of the job that made it (model, training_file, validation_file, suffix, training_method, hyperparameters, grader, seed, metadata), as modules/fine_tuning takes them; only for models whose job still exists."
  value       = jsondecode(local.result.retrain_requests)
}

output "notes" {
  description = "What could not be read, once each: the grants without OPENAI_ADMIN_KEY, the deployments without the Azure account."
  value       = jsondecode(local.result.notes)
}

output "table" {
  description = "With format = \"markdown\" or \"csv\": the list as a table for people; null otherwise."
  value       = lookup(local.result, "table", null)
}
