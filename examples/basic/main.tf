# The smallest useful setup: upload a local JSONL file and fine-tune gpt-4o-mini on it. The file
# is counted with the job's model, so the plan already knows the model's context limit and what
# the job will bill (estimated_billed_tokens); trained_tokens says what it did bill.

locals {
  model = "gpt-4o-mini-2024-07-18"
}

module "training_data" {
  source = "../../modules/training_file"

  path  = "${path.module}/data/train.jsonl"
  model = local.model
}

module "fine_tuning" {
  source = "../../modules/fine_tuning"

  model               = local.model
  training_file       = module.training_data.id
  training_file_stats = module.training_data.stats
  suffix              = var.suffix

  wait_for_completion  = var.wait_for_completion
  fail_on_unsuccessful = var.fail_on_unsuccessful
  poll_interval        = var.poll_interval
}
