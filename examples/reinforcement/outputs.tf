output "fine_tuned_model" {
  value = module.reinforcement_fine_tuning.fine_tuned_model
}

output "job_id" {
  value = module.reinforcement_fine_tuning.id
}

output "status" {
  value = module.reinforcement_fine_tuning.status
}

output "trained_tokens" {
  value = module.reinforcement_fine_tuning.trained_tokens
}

output "checkpoints" {
  value = module.reinforcement_fine_tuning.checkpoints
}
