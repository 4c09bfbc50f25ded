output "fine_tuned_model" {
  value = module.enhanced_fine_tuning.fine_tuned_model
}

output "job_id" {
  value = module.enhanced_fine_tuning.id
}

output "status" {
  value = module.enhanced_fine_tuning.status
}

output "permission_ids" {
  description = "project ID => permission ID of its grant."
  value       = module.enhanced_fine_tuning.permission_ids
}

output "missing" {
  description = "Projects that should hold a grant but do not (revoked outside Terraform)."
  value       = module.enhanced_fine_tuning.missing
}
