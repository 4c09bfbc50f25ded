# The same modules against Azure OpenAI: only the environment differs (AZURE_OPENAI_ENDPOINT and
# AZURE_OPENAI_API_KEY), plus Azure's own training tier. Checkpoint permissions do not exist on
# Azure; share a model with role assignments or a cross-resource deployment instead.

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

  wait_for_completion = var.wait_for_completion
  poll_interval       = var.poll_interval
}
