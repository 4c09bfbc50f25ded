# The engine's floor for the same fleet: one external read of each job by the id Terraform would
# hold (one process, one request each), feeding one terraform_data each. Nothing can plan the
# fleet with less.

variable "job_ids" {
  description = "The fleet's job ids, by for_each key."
  type        = map(string)
}

data "external" "job" {
  for_each = var.job_ids

  program = ["openai-ft", "job", "read"]
  query   = { id = each.value }
}

resource "terraform_data" "job" {
  for_each = var.job_ids

  input = data.external.job[each.key].result.status
}
