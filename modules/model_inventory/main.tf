# The inventory of the project's (or the Azure resource's) fine-tuned models and checkpoints, read
# at every plan by `openai-ft models inventory` (no writes): what made each, when it ends, its
# grants or deployments, and the request that trains it again. checks.tf names in the plan every
# model within 90 days of its end.

locals {
  query = {
    for k, v in {
      subscription_id = var.subscription_id
      resource_group  = var.resource_group
      account         = var.account
      format          = var.format
    } : k => v if v != null
  }
}

data "external" "inventory" {
  program = [var.openai_ft_path, "models", "inventory"]
  query   = local.query
}

locals {
  result      = data.external.inventory.result
  ending_soon = jsondecode(local.result.ending_soon)
}
