# What the job will bill, known at plan time, and the budget gate: from the training file's
# figures (modules/training_file's `stats`, counted by `openai-ft file validate` at plan), the
# epochs the job trains for, and a price per million tokens. Over max_billed_tokens or
# max_cost_usd, `terraform plan` fails (a precondition) before anything is uploaded or created.

variable "training_file_stats" {
  description = "The training file's token figures at plan time: modules/training_file's stats output (module.training_data.stats), counted with this job's model (pass the same model to both modules). Needed for estimated_billed_tokens, estimated_cost_usd and the budget gate; null for none."
  type = object({
    model                    = optional(string)
    examples                 = number
    billed_tokens_per_epoch  = number
    price_per_million_tokens = optional(number)
    price_source             = optional(string)
  })
  default = null
}

variable "price_per_million_tokens" {
  description = "USD per 1M billed training tokens, for estimated_cost_usd and max_cost_usd. null takes the price of the model's family in openai-ft's dated table (README: Models, context limits and prices), via training_file_stats."
  type        = number
  default     = null

  validation {
    condition     = var.price_per_million_tokens == null || try(var.price_per_million_tokens > 0, false)
    error_message = "price_per_million_tokens must be a positive number of US dollars (e.g. 3 or 25), or null for the table's price."
  }
}

variable "max_billed_tokens" {
  description = "The budget gate: plan fails when estimated_billed_tokens is over this (nothing is uploaded or created). Needs training_file_stats. null for no limit."
  type        = number
  default     = null

  validation {
    condition     = var.max_billed_tokens == null || try(var.max_billed_tokens >= 0 && floor(var.max_billed_tokens) == var.max_billed_tokens, false)
    error_message = "max_billed_tokens must be a whole number of tokens >= 0, or null for no limit."
  }
}

variable "max_cost_usd" {
  description = "The budget gate: plan fails when estimated_cost_usd is over this many US dollars (nothing is uploaded or created). Needs training_file_stats and a price. null for no limit."
  type        = number
  default     = null

  validation {
    condition     = var.max_cost_usd == null || try(var.max_cost_usd > 0, false)
    error_message = "max_cost_usd must be a positive number of US dollars (e.g. 25 or 3.50), or null for no limit."
  }
}

locals {
  stats = var.training_file_stats
  # The job's n_epochs, or for "auto" the service's documented default (OpenAI's data-preparation
  # notebook): 3, raised or lowered so that examples x epochs lands in 100-25,000, within 1-25.
  # The same rule as openai-ft's `file validate` (crates/core/src/file/estimate.rs).
  n_epochs_set = lookup(var.hyperparameters, "n_epochs", "auto")
  examples     = local.stats == null ? 1 : max(1, local.stats.examples)
  n_epochs = (
    local.n_epochs_set != "auto" ? tonumber(local.n_epochs_set) :
    local.examples * 3 < 100 ? min(25, floor(100 / local.examples)) :
    local.examples * 3 > 25000 ? max(1, floor(25000 / local.examples)) :
    3
  )
  estimated_billed_tokens = local.stats == null ? null : local.stats.billed_tokens_per_epoch * local.n_epochs
  price                   = var.price_per_million_tokens != null ? var.price_per_million_tokens : try(local.stats.price_per_million_tokens, null)
  estimated_cost_usd      = local.estimated_billed_tokens == null || local.price == null ? null : local.estimated_billed_tokens * local.price / 1000000
  gated                   = var.max_billed_tokens != null || var.max_cost_usd != null
}

# Exists only when a limit is set. Its preconditions are checked by every plan: a failing one
# fails the plan, so the upload and the job (applied only from a plan) never happen.
resource "terraform_data" "budget" {
  count = local.gated ? 1 : 0

  input = {
    max_billed_tokens = var.max_billed_tokens
    max_cost_usd      = var.max_cost_usd
  }

  lifecycle {
    precondition {
      condition     = local.stats != null
      error_message = "max_billed_tokens and max_cost_usd need the training file's figures: set training_file_stats = module.<training_file>.stats (modules/training_file), or unset the limits."
    }

    precondition {
      condition     = var.max_billed_tokens == null || try(local.estimated_billed_tokens <= var.max_billed_tokens, true)
      error_message = "estimated billed tokens ${try(local.estimated_billed_tokens, "?")} exceed max_billed_tokens ${coalesce(var.max_billed_tokens, 0)}: raise max_billed_tokens, trim the file or lower n_epochs."
    }

    precondition {
      condition     = var.max_cost_usd == null || local.stats == null || local.price != null
      error_message = "max_cost_usd needs a price and none is known for model \"${var.model}\": set price_per_million_tokens, or use max_billed_tokens."
    }

    precondition {
      condition     = var.max_cost_usd == null || try(local.estimated_cost_usd <= var.max_cost_usd, true)
      error_message = "estimated cost ${try(format("%.4f", local.estimated_cost_usd), "?")} USD (${try(local.estimated_billed_tokens, "?")} billed tokens) exceeds max_cost_usd ${coalesce(var.max_cost_usd, 0)}: raise max_cost_usd, trim the file or lower n_epochs."
    }
  }
}

# The figures count with the tokenizer and limit of the model given to modules/training_file.
check "training_file_stats_model" {
  assert {
    condition     = try(local.stats.model == null || local.stats.model == var.model, true)
    error_message = "training_file_stats were counted for model \"${try(local.stats.model, "")}\" but the job fine-tunes \"${var.model}\": pass the job's model to modules/training_file so the estimate uses its tokenizer, context limit and price."
  }
}

output "estimated_n_epochs" {
  description = "The epochs the estimate assumes: hyperparameters.n_epochs, or the service's default for \"auto\" (3, adjusted so examples x epochs lands in 100-25,000). null without training_file_stats."
  value       = local.stats == null ? null : local.n_epochs
}

output "estimated_billed_tokens" {
  description = "The tokens the job is estimated to bill: per epoch the sum over examples of min(context limit, tokens), times the epochs. Known at plan time; compare trained_tokens after training. null without training_file_stats."
  value       = local.estimated_billed_tokens
}

output "estimated_cost_usd" {
  description = "estimated_billed_tokens times the price per million tokens (price_per_million_tokens, or the table's for the model). null when no price is known."
  value       = local.estimated_cost_usd
}
