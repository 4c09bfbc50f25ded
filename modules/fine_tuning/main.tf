# One OpenAI fine-tuning job, managed through the openai-ft CLI:
#   apply   -> terraform_data + local-exec: `openai-ft job ensure` (idempotent create, optional wait)
#   plan    -> data "external": `openai-ft job read` (finds the job by its request; no writes)
#   destroy -> local-exec when = destroy: `openai-ft job cancel` (cancels a running job only;
#              a finished job and its fine-tuned model are left alone)

locals {
  # Optional request fields, as the strings the CLI takes; structured values are jsonencode()d
  # and unset ones left out, so adding an empty default later cannot change the request.
  optional_request = {
    validation_file = var.validation_file
    suffix          = var.suffix
    hyperparameters = length(var.hyperparameters) > 0 ? jsonencode(var.hyperparameters) : null
    grader          = var.grader == null ? null : jsonencode(var.grader)
    seed            = var.seed == null ? null : tostring(var.seed)
    metadata        = length(var.metadata) > 0 ? jsonencode(var.metadata) : null
    integrations    = length(var.integrations) > 0 ? jsonencode(var.integrations) : null
    training_type   = var.training_type
  }

  # The training request: exactly what names the job. Any change to it replaces the job; nothing
  # else does (wait_for_completion, poll_interval and cancel_after_timeout are settings, not request).
  request = merge(
    {
      model           = var.model
      training_file   = var.training_file
      training_method = var.training_method
    },
    { for k, v in local.optional_request : k => v if v != null },
  )

  timeout = var.cancel_after_timeout == null ? {} : { cancel_after_timeout = tostring(var.cancel_after_timeout) }
}

resource "terraform_data" "job" {
  # A hash, so the plan shows one short value changing rather than the whole request.
  triggers_replace = sha256(jsonencode(local.request))

  # What the destroy-time provisioner needs: it can only see `self`.
  input = {
    request   = local.request
    openai_ft = var.openai_ft_path
  }

  lifecycle {
    precondition {
      condition     = (var.training_method == "reinforcement") == (var.grader != null)
      error_message = "grader is required exactly when training_method is \"reinforcement\": set grader for reinforcement, or leave it null for supervised and dpo."
    }
  }

  # The interpreter form runs the binary without a shell: `openai-ft job ensure`. Progress goes to
  # stderr and shows live in the apply log; the input travels in OPENAI_FT_INPUT (local-exec has
  # no stdin). Keys stay in the environment Terraform was started with.
  provisioner "local-exec" {
    interpreter = [var.openai_ft_path, "job"]
    command     = "ensure"
    environment = {
      OPENAI_FT_INPUT = jsonencode(merge(local.request, local.timeout, {
        wait          = tostring(var.wait_for_completion)
        poll_interval = tostring(var.poll_interval)
      }))
    }
  }

  # Cancels the job if it is still running; never deletes the fine-tuned model.
  provisioner "local-exec" {
    when        = destroy
    interpreter = [self.input.openai_ft, "job"]
    command     = "cancel"
    environment = {
      OPENAI_FT_INPUT = jsonencode(self.input.request)
    }
  }
}

# Read at plan time once the job exists (deferred to apply while it is being created or replaced).
# Its one side effect is the one the user opted into: cancelling a job past cancel_after_timeout.
data "external" "job" {
  program = [var.openai_ft_path, "job", "read"]
  query   = merge(local.request, local.timeout, { checkpoints = "true" })

  depends_on = [terraform_data.job]
}

locals {
  job = data.external.job.result
}
