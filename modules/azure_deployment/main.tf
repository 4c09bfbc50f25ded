# One Azure OpenAI deployment of a model or checkpoint, managed through the openai-ft CLI over
# Azure Resource Manager:
#   plan    -> data "external" "check": `openai-ft deployment read` (checks every input, says
#              whether the deployment exists, reads the model's retirement day; no writes)
#   apply   -> terraform_data.ensure + local-exec: `openai-ft deployment ensure` (one PUT by name
#              unless it already serves the spec; follows Azure's operation to its end)
#   destroy -> terraform_data.deployment, local-exec when = destroy: `openai-ft deployment delete`
#              (the deployment only; the model stays)
#
# Azure deletes a fine-tuned model's deployment after 15 days without calls (a Developer one
# after 24 hours). The read answers the restore token the deployment carries as a tag, or a fresh
# one when it is gone; the token is part of terraform_data.ensure's trigger, so a deployment
# deleted outside Terraform shows in the plan as that resource replaced (checks.tf says why),
# and apply deploys it again with the new token.

locals {
  location = {
    subscription_id = var.subscription_id
    resource_group  = var.resource_group
    account         = var.account
    name            = var.name
  }

  # What the deployment serves: a change to any of it updates the deployment in place (one PUT).
  spec = merge(
    { model = var.model, sku = var.sku, capacity = tostring(var.capacity) },
    var.model_version == null ? {} : { model_version = var.model_version },
  )

  waiting = {
    wait_timeout_seconds = tostring(var.wait_timeout_seconds)
    poll_interval        = tostring(var.poll_interval)
  }

  endpoint = trimsuffix(coalesce(var.endpoint, "https://${var.account}.openai.azure.com"), "/")
}

# Plan time, before anything is written: every input checked (a bad one fails the plan), whether
# the deployment exists and serves the spec, its restore token (or a fresh one when it is gone),
# and the model's retirement day with a warning within 90 days.
data "external" "check" {
  program = [var.openai_ft_path, "deployment", "read"]
  query   = merge(local.location, local.spec, local.waiting, { shutdown_dates = "true" })
}

locals {
  check         = data.external.check.result
  restore_token = local.check.restore_token
}

# Deploys, or updates, the deployment. Replaced (which sends at most one PUT: ensure sends none
# when the deployment already serves the spec) whenever the spec changes or the deployment is
# gone: a hash, so the plan shows one short value changing. No destroy-time step: replacing
# this resource never deletes the deployment.
resource "terraform_data" "ensure" {
  triggers_replace = sha256(jsonencode(merge(local.location, local.spec, { restore_token = local.restore_token })))

  provisioner "local-exec" {
    interpreter = [var.openai_ft_path, "deployment"]
    command     = "ensure"
    environment = {
      OPENAI_FT_INPUT = jsonencode(merge(local.location, local.spec, local.waiting, {
        restore_token = local.restore_token
        output        = "summary"
      }))
    }
  }
}

# The deployment's place in Terraform's state: created once the first ensure succeeded, replaced
# only when the deployment's name or resource changes. Destroying it deletes the deployment,
# never the model.
resource "terraform_data" "deployment" {
  triggers_replace = sha256(jsonencode(local.location))

  # What the destroy-time provisioner needs: it can only see `self`.
  input = {
    location  = local.location
    waiting   = local.waiting
    openai_ft = var.openai_ft_path
  }

  depends_on = [terraform_data.ensure]

  provisioner "local-exec" {
    when        = destroy
    interpreter = [self.input.openai_ft, "deployment"]
    command     = "delete"
    environment = {
      OPENAI_FT_INPUT = jsonencode(merge(self.input.location, self.input.waiting, { output = "summary" }))
    }
  }
}

# The deployment as it is after apply, for the outputs: read at plan when nothing changes, after
# the deployment otherwise.
data "external" "deployment" {
  program = [var.openai_ft_path, "deployment", "read"]
  query   = local.location

  depends_on = [terraform_data.ensure, terraform_data.deployment]
}
