output "fine_tuned_model" {
  value = module.timeout_protected_fine_tuning.fine_tuned_model
}

output "job_id" {
  value = module.timeout_protected_fine_tuning.id
}

output "status" {
  value = module.timeout_protected_fine_tuning.status
}

output "timed_out" {
  description = "true when the job ran past cancel_after_timeout and was cancelled."
  value       = module.timeout_protected_fine_tuning.timed_out
}

output "trained_tokens" {
  value = module.timeout_protected_fine_tuning.trained_tokens
}
