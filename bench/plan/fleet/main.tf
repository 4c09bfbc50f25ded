# The fleet: a plain for_each of modules/fine_tuning over one training file and one base model,
# as a user writes it. The benchmark runs it in a temporary copy beside modules/.

variable "jobs" {
  description = "How many jobs the for_each holds."
  type        = number
}

locals {
  model = "gpt-4o-mini-2024-07-18"
}

module "training_data" {
  source = "../modules/training_file"

  path  = "${path.module}/train.jsonl"
  model = local.model
}

module "job" {
  source   = "../modules/fine_tuning"
  for_each = toset([for i in range(var.jobs) : format("job-%03d", i)])

  model               = local.model
  training_file       = module.training_data.id
  training_file_stats = module.training_data.stats
  suffix              = each.key

  # Apply waits for the jobs, as by default; the emulator trains them in milliseconds.
  poll_interval = 0.05
}

output "job_ids" {
  value = { for k, m in module.job : k => m.id }
}
