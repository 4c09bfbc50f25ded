# The same modules against Azure OpenAI: only the environment differs (AZURE_OPENAI_ENDPOINT and
# AZURE_OPENAI_API_KEY), plus Azure's own training tier. On Azure a fine-tuned model serves only
# through a deployment, made here through Azure Resource Manager (an Azure sign-in or
# AZURE_MANAGEMENT_TOKEN). Checkpoint permissions do not exist on Azure; share a model with role
# assignments or a cross-resource deployment instead.

module "training_data" {
  source = "../../modules/training_file"

  path = "${path.module}/data/train.jsonl"
}

module "fine_tuning" {
  source = "../../modules/fine_tuning"

  model         = "gpt-4.1-mini-2025-04-14"
  training_file = module.training_data.id
  suffix        = var.suffix

  # Azure only: Standard (trains in the resource's region), GlobalStandard or Developer.
  training_type = var.training_type

  # The deployment needs the trained model: apply waits for the job.
  wait_for_completion = true
  poll_interval       = var.poll_interval
}

module "deployment" {
  source = "../../modules/azure_deployment"

  model           = module.fine_tuning.fine_tuned_model
  subscription_id = var.subscription_id
  resource_group  = var.resource_group
  account         = var.account
  endpoint        = var.endpoint
  name            = var.deployment_name
  sku             = var.sku
  capacity        = var.capacity
  poll_interval   = var.poll_interval
}
