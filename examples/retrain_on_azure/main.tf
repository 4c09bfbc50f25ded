# Retrain on Azure OpenAI what was trained on OpenAI, from the OpenAI inventory: every fine-tuned
# model whose job still exists carries its training request (retrain), in modules/fine_tuning's
# inputs. The base model is mapped by var.base_models, and the files, which Azure cannot read from
# OpenAI, are uploaded again from local copies (var.training_files). Run with Azure's environment
# (AZURE_OPENAI_ENDPOINT and a key or sign-in); the inventory was read with OpenAI's beforehand,
# since one openai-ft process talks to one API.

locals {
  inventory = jsondecode(file(var.inventory_file))

  # One job per fine-tuned model (its checkpoints share its request), whose job still exists.
  found = {
    for m in jsondecode(local.inventory.models) : m.model => m.retrain
    if m.kind == "fine_tuned_model" && m.retrain != null
  }
  requests = { for name, r in local.found : name => r if contains(keys(var.base_models), r.model) }
  skipped  = [for name, r in local.found : name if !contains(keys(var.base_models), r.model)]

  # Every OpenAI file the requests name, each uploaded once.
  files = toset(compact(flatten([for r in local.requests : [r.training_file, r.validation_file]])))
}

resource "terraform_data" "files_given" {
  input = sort(local.files)

  lifecycle {
    precondition {
      condition     = alltrue([for f in local.files : contains(keys(var.training_files), f)])
      error_message = "training_files has no local copy of ${join(", ", [for f in local.files : f if !contains(keys(var.training_files), f)])}: download each from OpenAI (GET /v1/files/{id}/content) and map its id to the path."
    }
  }
}

module "training_data" {
  source   = "../../modules/training_file"
  for_each = local.files

  path = lookup(var.training_files, each.key, "")
  # A file serves one method; every request that names it has the same one.
  training_method = one(distinct([
    for r in local.requests : r.training_method
    if r.training_file == each.key || r.validation_file == each.key
  ]))

  depends_on = [terraform_data.files_given]
}

module "fine_tuning" {
  source   = "../../modules/fine_tuning"
  for_each = local.requests

  model           = var.base_models[each.value.model]
  training_file   = module.training_data[each.value.training_file].id
  validation_file = each.value.validation_file == null ? null : module.training_data[each.value.validation_file].id
  suffix          = each.value.suffix
  training_method = each.value.training_method
  hyperparameters = each.value.hyperparameters
  grader          = each.value.grader
  seed            = each.value.seed
  metadata        = each.value.metadata
  training_type   = var.training_type

  wait_for_completion = var.wait_for_completion
  poll_interval       = var.poll_interval
}
