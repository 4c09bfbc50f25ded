output "fine_tuned_model" {
  description = "The trained model. On Azure it serves only through a deployment: call endpoint with model = deployment."
  value       = module.fine_tuning.fine_tuned_model
}

output "endpoint" {
  description = "The v1 inference base URL ({endpoint}/openai/v1/), for an OpenAI client's base_url with the resource's key."
  value       = module.deployment.endpoint
}

output "deployment" {
  description = "The deployment's name: what chat completions take as model."
  value       = module.deployment.name
}

output "deployment_state" {
  description = "The deployment's provisioningState (Succeeded once it serves)."
  value       = module.deployment.state
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

output "model_shutdown_date" {
  description = "When Azure retires the deployed model, and the deployment with it, if announced."
  value       = module.deployment.model_shutdown_date
}
