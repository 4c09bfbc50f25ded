output "name" {
  description = "The deployment's name: pass it as `model` in inference requests to endpoint."
  value       = var.name
}

output "endpoint" {
  description = "The v1 inference base URL, {endpoint}/openai/v1/: an OpenAI client's base_url, with the resource's key (api-key) or an Entra token."
  value       = "${local.endpoint}/openai/v1/"
}

output "state" {
  description = "The deployment's provisioningState when last read (Succeeded once it serves), or null when it does not exist."
  value       = data.external.deployment.result.exists == "true" ? data.external.deployment.result.provisioning_state : null
}

output "id" {
  description = "The deployment's Azure Resource Manager id, or null when it does not exist."
  value       = data.external.deployment.result.exists == "true" ? data.external.deployment.result.id : null
}

output "model" {
  description = "The model the deployment serves, as Azure reports it."
  value       = data.external.deployment.result.exists == "true" ? data.external.deployment.result.model : null
}

output "model_shutdown_date" {
  description = "When the served model stops serving (its deprecation.inference, YYYY-MM-DD), and the deployment with it; null when none is announced. Warned of in the plan within 90 days."
  value       = local.check.model_shutdown_date == "" ? null : local.check.model_shutdown_date
}
