# Supervised fine-tuning with explicit hyperparameters and a validation set.

module "training_data" {
  source = "../../modules/training_file"

  path = "${path.module}/data/train.jsonl"
}

module "validation_data" {
  source = "../../modules/training_file"

  path = "${path.module}/data/validation.jsonl"
}

module "supervised_fine_tuning" {
  source = "../../modules/fine_tuning"

  model           = "gpt-4o-mini-2024-07-18"
  training_file   = module.training_data.id
  validation_file = module.validation_data.id
  suffix          = var.suffix

  training_method = "supervised"

  hyperparameters = {
    n_epochs                 = 3
    batch_size               = 8
    learning_rate_multiplier = 0.1
  }

  seed = 42

  metadata = {
    team = "ml-platform"
  }

  # For the checkpoints output: one more request per plan.
  read_checkpoints = true

  wait_for_completion = var.wait_for_completion
  poll_interval       = var.poll_interval
}
