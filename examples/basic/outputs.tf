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

output "estimated_billed_tokens" {
  description = "What the job was estimated to bill at plan time, from the file's tokens and the epochs."
  value       = module.fine_tuning.estimated_billed_tokens
}

output "trained_tokens" {
  description = "What the job billed, once it has succeeded."
  value       = module.fine_tuning.trained_tokens
}

output "training_file" {
  value = module.training_data.id
}
