output "fine_tuned_model" {
  value = module.supervised_fine_tuning.fine_tuned_model
}

output "job_id" {
  value = module.supervised_fine_tuning.id
}

output "status" {
  value = module.supervised_fine_tuning.status
}

output "trained_tokens" {
  value = module.supervised_fine_tuning.trained_tokens
}

output "checkpoints" {
  description = "One checkpoint per epoch: { name, step, metrics }."
  value       = module.supervised_fine_tuning.checkpoints
}
