variable "model" {
  description = "The base model to fine-tune, e.g. \"gpt-4o-mini-2024-07-18\" (or a fine-tuned model to continue from)."
  type        = string
  nullable    = false

  validation {
    condition     = trimspace(var.model) != ""
    error_message = "model is empty: set it to the base model to fine-tune, e.g. \"gpt-4o-mini-2024-07-18\"."
  }
}

variable "training_file" {
  description = "The ID of the uploaded training file (file-...), e.g. module.training_data.id of modules/training_file."
  type        = string
  nullable    = false

  validation {
    condition     = startswith(var.training_file, "file-")
    error_message = "training_file must be the ID of an uploaded file (file-...): upload the JSONL with modules/training_file and pass its id output."
  }
}

variable "validation_file" {
  description = "The ID of an optional validation file (file-...). Must not be the training file."
  type        = string
  default     = null

  validation {
    condition     = var.validation_file == null || startswith(coalesce(var.validation_file, "file-"), "file-")
    error_message = "validation_file must be the ID of an uploaded file (file-...), or null for none."
  }
}

variable "suffix" {
  description = "A suffix for the fine-tuned model's name (ft:<model>:<org>:<suffix>:<id>): 1-64 characters of letters, digits, '.', '_' and '-'."
  type        = string
  default     = null

  validation {
    condition     = var.suffix == null || can(regex("^[A-Za-z0-9._-]{1,64}$", coalesce(var.suffix, "x")))
    error_message = "suffix must be 1-64 characters of letters, digits, '.', '_' and '-': shorten it or replace the other characters (or set it to null for none)."
  }
}

variable "training_method" {
  description = "The training method: \"supervised\", \"dpo\" (preference pairs) or \"reinforcement\" (needs grader)."
  type        = string
  default     = "supervised"
  nullable    = false

  validation {
    condition     = contains(["supervised", "dpo", "reinforcement"], var.training_method)
    error_message = "training_method must be \"supervised\", \"dpo\" or \"reinforcement\"."
  }
}

variable "hyperparameters" {
  description = "Hyperparameters of the training method, each \"auto\" or a number: n_epochs, batch_size, learning_rate_multiplier; dpo adds beta; reinforcement adds compute_multiplier, eval_interval, eval_samples, reasoning_effort. Unset ones are \"auto\"."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition = alltrue([
      for k in keys(var.hyperparameters) : contains(
        ["n_epochs", "batch_size", "learning_rate_multiplier", "beta", "compute_multiplier", "eval_interval", "eval_samples", "reasoning_effort"],
        k
      )
    ])
    error_message = "hyperparameters has an unknown key: use n_epochs, batch_size, learning_rate_multiplier, beta (dpo), compute_multiplier, eval_interval, eval_samples or reasoning_effort (reinforcement)."
  }
}

variable "cancel_after_timeout" {
  description = "Cancel the job once it has run this many seconds since it was created (checked while waiting, and by every plan). null for no limit."
  type        = number
  default     = null

  validation {
    condition     = var.cancel_after_timeout == null || try(var.cancel_after_timeout >= 1 && floor(var.cancel_after_timeout) == var.cancel_after_timeout, false)
    error_message = "cancel_after_timeout must be a whole number of seconds >= 1 (e.g. 3600 for one hour), or null for no limit."
  }
}

variable "metadata" {
  description = "Metadata for the job (at most 15 pairs: the API allows 16 and openai-ft uses one for its idempotency key). Part of the training request: changing it replaces the job."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = length(var.metadata) <= 15
    error_message = "metadata has more than 15 pairs: remove some (the API allows 16 and openai-ft reserves one for the idempotency key that lets it find the job again)."
  }

  validation {
    condition     = alltrue([for k, v in var.metadata : length(k) >= 1 && length(k) <= 64 && length(v) <= 512])
    error_message = "metadata keys must be 1-64 characters and values at most 512: shorten them."
  }
}

variable "seed" {
  description = "The seed for reproducible training (0-2147483647). null lets the service pick one."
  type        = number
  default     = null

  validation {
    condition     = var.seed == null || try(var.seed >= 0 && var.seed <= 2147483647 && floor(var.seed) == var.seed, false)
    error_message = "seed must be a whole number 0-2147483647, or null to let the service pick one."
  }
}

variable "grader" {
  description = "The grader of a reinforcement job, as an object (e.g. { type = \"string_check\", name = \"exact\", input = \"{{sample.output_text}}\", reference = \"{{item.reference_answer}}\", operation = \"eq\" }). Required for reinforcement, not allowed otherwise."
  type        = any
  default     = null

  # Checked with the variables, so it is refused before job check reads anything.
  validation {
    condition     = (var.training_method == "reinforcement") == (var.grader != null)
    error_message = "grader is required exactly when training_method is \"reinforcement\": set grader for reinforcement, or leave it null for supervised and dpo."
  }
}

variable "integrations" {
  description = "Integrations for the job (at most 5): Weights & Biases only, e.g. [{ type = \"wandb\", wandb = { project = \"my-project\" } }]."
  type = list(object({
    type = optional(string, "wandb")
    wandb = object({
      project = string
      name    = optional(string)
      entity  = optional(string)
      tags    = optional(list(string))
    })
  }))
  default  = []
  nullable = false

  validation {
    condition     = length(var.integrations) <= 5 && alltrue([for i in var.integrations : i.type == "wandb"])
    error_message = "integrations takes at most 5 entries, each with type = \"wandb\" (the only integration the API has)."
  }
}

variable "training_type" {
  description = "Azure OpenAI only: the training tier, as Microsoft names it: \"Standard\" (trains in the resource's region), \"GlobalStandard\" (anywhere, cheaper) or \"Developer\" (idle capacity, preview); also \"globalstandard\", \"developerTier\" and the short \"standard\", \"global\", \"developer\", in any case. openai-ft sends each API version its documented spelling. Leave null for OpenAI."
  type        = string
  default     = null

  validation {
    condition     = var.training_type == null || contains(["standard", "globalstandard", "global", "developer", "developertier"], lower(coalesce(var.training_type, "standard")))
    error_message = "training_type must be \"Standard\", \"GlobalStandard\" or \"Developer\" (also \"globalstandard\", \"developerTier\", \"standard\", \"global\", \"developer\"; any case; Azure OpenAI only), or null for OpenAI."
  }
}

variable "wait_for_completion" {
  description = "Whether apply waits until the job has finished (with progress in the apply log). false returns once the job exists; later plans read its status."
  type        = bool
  default     = true
  nullable    = false
}

variable "fail_on_unsuccessful" {
  description = "With wait_for_completion: whether apply fails when the job ends failed or cancelled (also by cancel_after_timeout), with the job's error code and message. false ends the apply normally; the outcome is then in the outputs and a plan warning."
  type        = bool
  default     = true
  nullable    = false
}

variable "poll_interval" {
  description = "Seconds between status checks while waiting (0.01-600). The default suits real jobs; tests and the emulator use small values."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.poll_interval >= 0.01 && var.poll_interval <= 600
    error_message = "poll_interval must be 0.01-600 seconds."
  }
}

variable "read_checkpoints" {
  description = "Whether every plan lists the job's checkpoints for the checkpoints output (one more request per job and plan). false leaves checkpoints null."
  type        = bool
  default     = false
  nullable    = false
}

variable "training_file_stats" {
  description = "The training file's figures at plan time: modules/training_file's stats output (module.training_data.stats), counted with this job's model (pass the same model to both modules; other figures are refused). Needed for the estimated_* outputs and the budget gate; null for none."
  type = object({
    model                   = optional(string)
    examples                = number
    billed_tokens_per_epoch = number
    sha256                  = optional(string)
  })
  default = null
}

variable "price_per_million_tokens" {
  description = "USD per 1M billed training tokens, for estimated_cost_usd and max_cost_usd. null takes the price of the job's model family in openai-ft's dated table (docs/tokens-and-cost.md)."
  type        = number
  default     = null

  validation {
    condition     = var.price_per_million_tokens == null || try(var.price_per_million_tokens > 0, false)
    error_message = "price_per_million_tokens must be a positive number of US dollars (e.g. 3 or 25), or null for the table's price."
  }
}

variable "max_billed_tokens" {
  description = "The budget gate: a plan (and any apply, -target or saved plan included) fails before the job is created when estimated_billed_tokens is over this. Needs training_file_stats. null for no limit."
  type        = number
  default     = null

  validation {
    condition     = var.max_billed_tokens == null || try(var.max_billed_tokens >= 0 && floor(var.max_billed_tokens) == var.max_billed_tokens, false)
    error_message = "max_billed_tokens must be a whole number of tokens >= 0, or null for no limit."
  }
}

variable "max_cost_usd" {
  description = "The budget gate: a plan (and any apply, -target or saved plan included) fails before the job is created when estimated_cost_usd is over this many US dollars. Needs training_file_stats and a price. null for no limit."
  type        = number
  default     = null

  validation {
    condition     = var.max_cost_usd == null || try(var.max_cost_usd > 0, false)
    error_message = "max_cost_usd must be a positive number of US dollars (e.g. 25 or 3.50), or null for no limit."
  }
}

variable "openai_ft_path" {
  description = "The openai-ft binary: a name looked up on PATH (default \"openai-ft\") or an absolute path. Keys come from its environment (OPENAI_API_KEY, OPENAI_BASE_URL), never from Terraform."
  type        = string
  default     = "openai-ft"
  nullable    = false

  validation {
    condition     = trimspace(var.openai_ft_path) != ""
    error_message = "openai_ft_path is empty: set it to \"openai-ft\" (looked up on PATH) or the binary's absolute path."
  }
}
