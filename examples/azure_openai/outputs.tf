output "fine_tuned_model" {
  description = "The model to use in chat completions once the job has succeeded."
  value       = module.fine_tuning.fine_tuned_model
}

output "job_id" {
  value = module.fine_tuning.id
}

output "status" {
  value = module.fine_tuning.status
}

output "trained_tokens" {
  value = module.fine_tuning.trained_tokens
}

output "training_file" {
  value = module.training_data.id
}

output "api_status" {
  description = "The status as Azure spelled it."
  value       = module.fine_tuning.api_status
}

output "base_model_shutdown_date" {
  description = "When Azure retires the base model, if announced."
  value       = module.fine_tuning.base_model_shutdown_date
}
