# The base fine_tuning module plus checkpoint permissions: one terraform_data per project, so
# adding or removing a project grants or revokes exactly that project and leaves the others' grants
# untouched. Permission calls use OPENAI_ADMIN_KEY from the environment, never a variable.
#   apply   -> `openai-ft permissions grant` per new project (an existing grant is reused)
#   plan    -> `openai-ft permissions read` (which projects hold a grant; no writes); a grant
#              revoked outside Terraform plans as a replacement, and apply grants it again
#   destroy -> `openai-ft permissions revoke` per removed project (only that project's grant)

module "fine_tuning" {
  source = "../"

  model                = var.model
  training_file        = var.training_file
  validation_file      = var.validation_file
  suffix               = var.suffix
  training_method      = var.training_method
  hyperparameters      = var.hyperparameters
  cancel_after_timeout = var.cancel_after_timeout
  metadata             = var.metadata
  seed                 = var.seed
  grader               = var.grader
  integrations         = var.integrations
  training_type        = var.training_type
  wait_for_completion  = var.wait_for_completion
  fail_on_unsuccessful = var.fail_on_unsuccessful
  poll_interval        = var.poll_interval
  read_checkpoints     = var.read_checkpoints
  openai_ft_path       = var.openai_ft_path

  training_file_stats      = var.training_file_stats
  price_per_million_tokens = var.price_per_million_tokens
  max_billed_tokens        = var.max_billed_tokens
  max_cost_usd             = var.max_cost_usd
}

locals {
  permissions = var.checkpoint_permissions
  project_ids = local.permissions.enabled ? toset(local.permissions.project_ids) : toset([])
  # What is shared: the named checkpoint, or the job's fine-tuned model once it exists.
  checkpoint = local.permissions.checkpoint != null ? local.permissions.checkpoint : module.fine_tuning.fine_tuned_model
}

# Fails the plan, before anything is created, where the API has no checkpoint permissions
# (Azure OpenAI); the message names the Azure alternatives. Sends no request.
data "external" "permissions_supported" {
  count = local.permissions.enabled ? 1 : 0

  program = [var.openai_ft_path, "permissions", "check"]
  query   = {}
}

resource "terraform_data" "grant" {
  for_each = local.project_ids

  # A new model (the job was replaced) is granted anew; the old model's grant is revoked first.
  # Keyed on what is known at plan time, so re-reading the same job (a resumed wait) leaves the
  # grants alone rather than revoking and granting them again. A grant revoked outside Terraform
  # appends timestamp() emptied of every character: unknown at plan, so the plan shows this
  # project's grant replaced, and "" at apply, so the stored value (and the next plan) is as before.
  triggers_replace = "${local.permissions.checkpoint != null ? local.permissions.checkpoint : module.fine_tuning.request_sha256}${contains(local.revoked, each.key) ? replace(timestamp(), "/.*/", "") : ""}"

  # What the destroy-time provisioner needs: it can only see `self`.
  input = {
    checkpoint = local.checkpoint
    project_id = each.key
    openai_ft  = var.openai_ft_path
  }

  lifecycle {
    precondition {
      condition     = local.permissions.checkpoint != null || var.wait_for_completion
      error_message = "checkpoint_permissions needs the fine-tuned model, which exists only once the job has succeeded: set wait_for_completion = true, or name the checkpoint to share in checkpoint_permissions.checkpoint."
    }
    precondition {
      condition     = local.checkpoint != null
      error_message = "the fine-tuning job has no fine-tuned model to share (status \"${module.fine_tuning.status}\"): checkpoint permissions need a job that succeeded; see the error output, fix the request and apply again."
    }
  }

  provisioner "local-exec" {
    interpreter = [var.openai_ft_path, "permissions"]
    command     = "grant"
    environment = {
      OPENAI_FT_INPUT = jsonencode({ checkpoint = local.checkpoint, project_id = each.key, output = "summary" })
    }
  }

  provisioner "local-exec" {
    when        = destroy
    interpreter = [self.input.openai_ft, "permissions"]
    command     = "revoke"
    environment = {
      OPENAI_FT_INPUT = jsonencode({ checkpoint = self.input.checkpoint, project_id = self.input.project_id, output = "summary" })
    }
  }
}

# Which projects lack a grant, read at plan before the grants (they depend on it): by the named
# checkpoint, or by the job request, which finds the job's fine-tuned model without waiting for
# the job's own read. Until the job has a model every project is missing, which changes nothing:
# the grants are being created then anyway.
data "external" "revoked" {
  count = length(local.project_ids) > 0 ? 1 : 0

  program = [var.openai_ft_path, "permissions", "read"]
  query = merge(
    local.permissions.checkpoint != null ? { checkpoint = local.permissions.checkpoint } : module.fine_tuning.request,
    { project_ids = jsonencode(sort(local.project_ids)) },
  )
}

locals {
  revoked = jsondecode(length(data.external.revoked) > 0 ? data.external.revoked[0].result.missing : "[]")
}

# Which of the projects hold a grant now, read fresh every plan.
data "external" "permissions" {
  count = length(local.project_ids) > 0 ? 1 : 0

  program = [var.openai_ft_path, "permissions", "read"]
  query = {
    checkpoint  = local.checkpoint
    project_ids = jsonencode(sort(local.project_ids))
  }

  depends_on = [terraform_data.grant]
}

locals {
  # Decoded once, from "{}" / "[]" when disabled, so both arms have one type.
  granted = jsondecode(length(data.external.permissions) > 0 ? data.external.permissions[0].result.permissions : "{}")
  missing = jsondecode(length(data.external.permissions) > 0 ? data.external.permissions[0].result.missing : "[]")
}
