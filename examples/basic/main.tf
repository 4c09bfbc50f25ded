# The smallest useful setup: upload a local JSONL file and fine-tune gpt-4o-mini on it.

module "training_data" {
  source = "../../modules/training_file"

  path = "${path.module}/data/train.jsonl"
}

module "fine_tuning" {
  source = "../../modules/fine_tuning"

  model         = "gpt-4o-mini-2024-07-18"
  training_file = module.training_data.id
  suffix        = var.suffix

  wait_for_completion  = var.wait_for_completion
  fail_on_unsuccessful = var.fail_on_unsuccessful
  poll_interval        = var.poll_interval
}
