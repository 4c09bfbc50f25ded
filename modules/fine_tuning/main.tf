# One OpenAI fine-tuning job, managed through the openai-ft CLI:
#   apply   -> terraform_data.job + local-exec: `openai-ft job ensure` (idempotent create; the
#              budget gate again, against the uploaded file), then terraform_data.wait:
#              `openai-ft job ensure` with wait (follows it to the end)
#   plan    -> data "external": `openai-ft job check` (refuses a bad request, and a job over the
#              budget, before any write, from the variables alone), `openai-ft job read` (finds
#              the job by its request; no writes); one check block turns their warnings into
#              plan warnings (checks.tf)
#   destroy -> local-exec when = destroy: `openai-ft job cancel` (cancels a running job only;
#              a finished job and its fine-tuned model are left alone)

locals {
  # Optional request fields, as the strings the CLI takes; structured values are jsonencode()d
  # and unset ones left out, so adding an empty default later cannot change the request.
  optional_settings = {
    suffix          = var.suffix
    hyperparameters = length(var.hyperparameters) > 0 ? jsonencode(var.hyperparameters) : null
    grader          = var.grader == null ? null : jsonencode(var.grader)
    seed            = var.seed == null ? null : tostring(var.seed)
    metadata        = length(var.metadata) > 0 ? jsonencode(var.metadata) : null
    integrations    = length(var.integrations) > 0 ? jsonencode(var.integrations) : null
    training_type   = var.training_type
  }

  # The training request without the file ids: what job check reads, so that it does not wait
  # for the training file's lookup (in a plan against a distant API, one round trip less).
  settings = merge(
    { model = var.model, training_method = var.training_method },
    { for k, v in local.optional_settings : k => v if v != null },
  )
  # The training request: exactly what names the job. Any change to it replaces the job; nothing
  # else does (wait_for_completion, poll_interval and cancel_after_timeout are settings, not request).
  request = merge(
    local.settings,
    { training_file = var.training_file },
    { for k, v in { validation_file = var.validation_file } : k => v if v != null },
  )

  timeout = var.cancel_after_timeout == null ? {} : { cancel_after_timeout = tostring(var.cancel_after_timeout) }

  # The budget gate's inputs, the same for job check (plan) and job ensure (apply): the file's
  # figures, the price and the limits; unset ones left out. openai-ft estimates from them, with
  # the job's own model and n_epochs ("auto" by the service's documented rule).
  budget = { for k, v in {
    training_file_stats = var.training_file_stats == null ? null : jsonencode({
      model                   = var.training_file_stats.model
      examples                = var.training_file_stats.examples
      billed_tokens_per_epoch = var.training_file_stats.billed_tokens_per_epoch
      sha256                  = var.training_file_stats.sha256
    })
    price_per_million_tokens = var.price_per_million_tokens == null ? null : tostring(var.price_per_million_tokens)
    max_billed_tokens        = var.max_billed_tokens == null ? null : tostring(var.max_billed_tokens)
    max_cost_usd             = var.max_cost_usd == null ? null : tostring(var.max_cost_usd)
  } : k => v if v != null }
}

# Runs at plan time, before anything is uploaded or created: the same checks `job ensure` makes
# (hyperparameters per method, grader, metadata, suffix, a base model past its shutdown date, the
# budget gate), and the estimate of what the job bills. Built from the variables only, without
# the file ids (often unknown until the upload), so it is read at plan even in a for_each whose
# training files are still to be uploaded; a refusal fails the plan with the same one-line
# message apply would give. terraform_data.job depends on it, so no path to the job (-target of
# any resource or data source here, a wrapper module) skips it.
data "external" "check" {
  program = [var.openai_ft_path, "job", "check"]
  query = merge(
    local.settings,
    local.timeout,
    local.budget,
    { fail_on_unsuccessful = tostring(var.fail_on_unsuccessful) },
  )
}

locals {
  # The estimate of what the job bills (empty strings without training_file_stats).
  estimate = data.external.check.result
}

resource "terraform_data" "job" {
  # A hash, so the plan shows one short value changing rather than the whole request.
  triggers_replace = sha256(jsonencode(local.request))

  # Nothing is created for a request job check refused (the plan fails first anyway).
  depends_on = [data.external.check]

  # What the destroy-time provisioner needs: it can only see `self`.
  input = {
    request   = local.request
    openai_ft = var.openai_ft_path
  }

  # The interpreter form runs the binary without a shell: `openai-ft job ensure`. The input
  # travels in OPENAI_FT_INPUT (local-exec has no stdin); keys stay in the environment Terraform
  # was started with. Creating only: a failure here means there is no job, and the taint that
  # follows retries it. The budget goes along: a job is created only within it, estimated again
  # with the job's own model against the file actually uploaded (a saved plan applied later).
  provisioner "local-exec" {
    interpreter = [var.openai_ft_path, "job"]
    command     = "ensure"
    environment = {
      # output = "summary": one line in the apply log instead of the JSON result (each command here).
      OPENAI_FT_INPUT = jsonencode(merge(local.request, local.timeout, local.budget, { output = "summary" }, { wait = "false" }))
    }
  }

  # Cancels the job if it is still running; never deletes the fine-tuned model.
  provisioner "local-exec" {
    when        = destroy
    interpreter = [self.input.openai_ft, "job"]
    command     = "cancel"
    environment = {
      OPENAI_FT_INPUT = jsonencode(merge(self.input.request, { output = "summary" }))
    }
  }
}

# Follows the job until it finishes, with progress (events, checkpoints, status) live in the apply
# log; with fail_on_unsuccessful, a job that ends failed or cancelled fails the apply. Kept apart from the job so that a wait that fails (a dropped connection hours in, Ctrl-C)
# taints only this resource: the next apply waits again instead of cancelling and re-creating
# the job. `job ensure` finds the job terraform_data.job created; it never creates another.
resource "terraform_data" "wait" {
  count = var.wait_for_completion ? 1 : 0

  # A new job is waited for anew.
  triggers_replace = terraform_data.job.id

  provisioner "local-exec" {
    interpreter = [var.openai_ft_path, "job"]
    command     = "ensure"
    environment = {
      OPENAI_FT_INPUT = jsonencode(merge(local.request, local.timeout, { output = "summary" }, {
        wait                 = "true"
        poll_interval        = tostring(var.poll_interval)
        fail_on_unsuccessful = tostring(var.fail_on_unsuccessful)
      }))
    }
  }
}

# Read at plan time once the job exists (deferred to apply while it is being created or replaced).
# Its one side effect is the one the user opted into: cancelling a job past cancel_after_timeout.
# A job deleted outside Terraform is reported (a warning and empty outputs), not an error.
data "external" "job" {
  program = [var.openai_ft_path, "job", "read"]
  query = merge(local.request, local.timeout, {
    checkpoints    = tostring(var.read_checkpoints)
    shutdown_dates = "true"
    if_missing     = "report"
  })

  depends_on = [terraform_data.job, terraform_data.wait]
}

locals {
  job = data.external.job.result
}

# The job Terraform manages now, as the plan will show it: when a change to the request replaces
# the job, this resource is replaced with it, and the plan prints the old job's id beside
# "(known after apply)". Otherwise it never changes: a read deferred to apply (turning
# wait_for_completion on waits, then reads the job again) plans the wait step alone.
resource "terraform_data" "current_job" {
  input = local.job.id == "" ? "no job: it was deleted outside Terraform" : "${local.job.id}: a change to the training request cancels it if still running and starts a new job"

  lifecycle {
    ignore_changes       = [input]
    replace_triggered_by = [terraform_data.job]
  }
}
