# Reinforcement fine-tuning of a reasoning model: a grader scores each sampled answer against the
# reference_answer field of its training line.

module "training_data" {
  source = "../../modules/training_file"

  path            = "${path.module}/data/train.jsonl"
  training_method = "reinforcement"
}

module "reinforcement_fine_tuning" {
  source = "../../modules/fine_tuning"

  model           = "o4-mini-2025-04-16"
  training_file   = module.training_data.id
  suffix          = var.suffix
  training_method = "reinforcement"

  grader = {
    type      = "string_check"
    name      = "exact_answer"
    input     = "{{sample.output_text}}"
    reference = "{{item.reference_answer}}"
    operation = "eq"
  }

  hyperparameters = {
    reasoning_effort = "low"
    n_epochs         = 1
  }

  # For the checkpoints output: one more request per plan.
  read_checkpoints = true

  wait_for_completion = var.wait_for_completion
  poll_interval       = var.poll_interval
}
