output "fine_tuned_model" {
  value = module.dpo_fine_tuning.fine_tuned_model
}

output "job_id" {
  value = module.dpo_fine_tuning.id
}

output "status" {
  value = module.dpo_fine_tuning.status
}

output "trained_tokens" {
  value = module.dpo_fine_tuning.trained_tokens
}

output "checkpoints" {
  value = module.dpo_fine_tuning.checkpoints
}
