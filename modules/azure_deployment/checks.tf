# Warnings in the plan: a failed assertion of a check block is a warning, never an error.

locals {
  warnings = jsondecode(local.check.warnings)
}

# A deployment Terraform made that is gone. Silent until terraform_data.deployment exists, which
# it does once a deployment was made: before that its id is unknown, so the comparison is too
# (an unknown id is known not to be null, which is why this is no `== null`).
check "deployment_exists" {
  assert {
    condition     = local.check.exists == "true" || terraform_data.deployment.id == ""
    error_message = "openai-ft: deployment ${var.name} no longer exists: Azure deletes a fine-tuned model's deployment after 15 days without calls (a Developer one after 24 hours), or it was deleted outside Terraform; terraform apply deploys it again (the plan replaces terraform_data.ensure), calls fail until then."
  }
}

# The deployed model's retirement within 90 days, and any other warning the read returns.
check "warnings" {
  assert {
    condition     = length(local.warnings) == 0
    error_message = join("\n", [for w in local.warnings : "openai-ft: ${w.message}."])
  }
}
