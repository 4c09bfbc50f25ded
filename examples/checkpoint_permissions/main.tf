# Fine-tune, then share the fine-tuned model with other projects of the organisation. Each project
# is its own grant: adding or removing one touches only that project. The grants use the admin key
# from OPENAI_ADMIN_KEY; nothing in this configuration holds a key.

module "training_data" {
  source = "../../modules/training_file"

  path = "${path.module}/data/train.jsonl"
}

module "enhanced_fine_tuning" {
  source = "../../modules/fine_tuning/enhanced_fine_tuning"

  model         = "gpt-4o-mini-2024-07-18"
  training_file = module.training_data.id
  suffix        = var.suffix

  # Checkpoint permissions (requires OPENAI_ADMIN_KEY)
  checkpoint_permissions = {
    enabled     = true
    project_ids = var.project_ids
  }

  poll_interval = var.poll_interval
}
