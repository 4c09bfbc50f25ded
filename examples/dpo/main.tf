# Direct preference optimisation: each training line pairs a preferred answer with a worse one.

module "training_data" {
  source = "../../modules/training_file"

  path            = "${path.module}/data/train.jsonl"
  training_method = "dpo"
}

module "dpo_fine_tuning" {
  source = "../../modules/fine_tuning"

  model           = "gpt-4o-mini-2024-07-18"
  training_file   = module.training_data.id
  suffix          = var.suffix
  training_method = "dpo"

  hyperparameters = {
    beta     = 0.1
    n_epochs = "auto"
  }

  # For the checkpoints output: one more request per plan.
  read_checkpoints = true

  wait_for_completion = var.wait_for_completion
  poll_interval       = var.poll_interval
}
