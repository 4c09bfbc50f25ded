# A job that is cancelled if it runs longer than cancel_after_timeout seconds: while apply waits,
# and on every later plan (so a job left running with wait_for_completion = false is still capped).

module "training_data" {
  source = "../../modules/training_file"

  path = "${path.module}/data/train.jsonl"
}

module "timeout_protected_fine_tuning" {
  source = "../../modules/fine_tuning"

  model                = "gpt-4o-mini-2024-07-18"
  training_file        = module.training_data.id
  suffix               = var.suffix
  cancel_after_timeout = var.cancel_after_timeout
  fail_on_unsuccessful = var.fail_on_unsuccessful

  wait_for_completion = var.wait_for_completion
  poll_interval       = var.poll_interval
}
