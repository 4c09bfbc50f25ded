# The base module's variables, passed through unchanged; the base module validates them (one
# place for each rule). tests/terraform/test_modules_static.py checks the two lists stay in step.

variable "model" {
  description = "The base model to fine-tune, e.g. \"gpt-4o-mini-2024-07-18\" (or a fine-tuned model to continue from)."
  type        = string
  nullable    = false
}

variable "training_file" {
  description = "The ID of the uploaded training file (file-...), e.g. module.training_data.id of modules/training_file."
  type        = string
  nullable    = false
}

variable "validation_file" {
  description = "The ID of an optional validation file (file-...). Must not be the training file."
  type        = string
  default     = null
}

variable "suffix" {
  description = "A suffix for the fine-tuned model's name (ft:<model>:<org>:<suffix>:<id>): 1-64 characters of letters, digits, '.', '_' and '-'."
  type        = string
  default     = null
}

variable "training_method" {
  description = "The training method: \"supervised\", \"dpo\" (preference pairs) or \"reinforcement\" (needs grader)."
  type        = string
  default     = "supervised"
  nullable    = false
}

variable "hyperparameters" {
  description = "Hyperparameters of the training method, each \"auto\" or a number: n_epochs, batch_size, learning_rate_multiplier; dpo adds beta; reinforcement adds compute_multiplier, eval_interval, eval_samples, reasoning_effort. Unset ones are \"auto\"."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "cancel_after_timeout" {
  description = "Cancel the job once it has run this many seconds since it was created (checked while waiting, and by every plan). null for no limit."
  type        = number
  default     = null
}

variable "metadata" {
  description = "Metadata for the job (at most 15 pairs: the API allows 16 and openai-ft uses one for its idempotency key). Part of the training request: changing it replaces the job."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "seed" {
  description = "The seed for reproducible training (0-2147483647). null lets the service pick one."
  type        = number
  default     = null
}

variable "grader" {
  description = "The grader of a reinforcement job, as an object (e.g. { type = \"string_check\", name = \"exact\", input = \"{{sample.output_text}}\", reference = \"{{item.reference_answer}}\", operation = \"eq\" }). Required for reinforcement, not allowed otherwise."
  type        = any
  default     = null
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
}

variable "training_type" {
  description = "Azure OpenAI only: the training tier, as Microsoft names it: \"Standard\", \"GlobalStandard\" or \"Developer\" (or an alias the base module takes). Leave null for OpenAI."
  type        = string
  default     = null
}

variable "wait_for_completion" {
  description = "Whether apply waits until the job has finished (with progress in the apply log). false returns once the job exists; later plans read its status."
  type        = bool
  default     = true
  nullable    = false
}

variable "fail_on_unsuccessful" {
  description = "With wait_for_completion: whether apply fails when the job ends failed or cancelled (also by cancel_after_timeout), with the job's error code and message."
  type        = bool
  default     = true
  nullable    = false
}

variable "poll_interval" {
  description = "Seconds between status checks while waiting (0.01-600). The default suits real jobs; tests and the emulator use small values."
  type        = number
  default     = 10
  nullable    = false
}

variable "openai_ft_path" {
  description = "The openai-ft binary: a name looked up on PATH (default \"openai-ft\") or an absolute path. Keys come from its environment (OPENAI_API_KEY, OPENAI_BASE_URL), never from Terraform."
  type        = string
  default     = "openai-ft"
  nullable    = false
}

# The base module's cost estimate and budget gate, passed through unchanged.

variable "read_checkpoints" {
  description = "Whether every plan lists the job's checkpoints for the checkpoints output (one more request per job and plan). false leaves checkpoints null."
  type        = bool
  default     = false
  nullable    = false
}

variable "training_file_stats" {
  description = "The training file's figures at plan time: modules/training_file's stats output (module.training_data.stats), counted with this job's model (other figures are refused). Needed for the estimated_* outputs and the budget gate; null for none."
  type = object({
    model                   = optional(string)
    examples                = number
    billed_tokens_per_epoch = number
    sha256                  = optional(string)
  })
  default = null
}

variable "price_per_million_tokens" {
  description = "USD per 1M billed training tokens, for estimated_cost_usd and max_cost_usd. null takes the price of the job's model family in openai-ft's dated table."
  type        = number
  default     = null
}

variable "max_billed_tokens" {
  description = "The budget gate: a plan (and any apply, -target or saved plan included) fails before the job is created when estimated_billed_tokens is over this (nothing is created or granted). Needs training_file_stats. null for no limit."
  type        = number
  default     = null
}

variable "max_cost_usd" {
  description = "The budget gate: a plan (and any apply, -target or saved plan included) fails before the job is created when estimated_cost_usd is over this many US dollars (nothing is created or granted). Needs training_file_stats and a price. null for no limit."
  type        = number
  default     = null
}

variable "checkpoint_permissions" {
  description = "Share the fine-tuned model (or one of its checkpoints) with other projects: one grant per project in project_ids, so adding or removing a project touches only that project. checkpoint defaults to the job's fine_tuned_model. Needs OPENAI_ADMIN_KEY in the environment and wait_for_completion = true (the model must exist)."
  type = object({
    enabled     = bool
    project_ids = optional(list(string), [])
    checkpoint  = optional(string)
  })
  default  = { enabled = false, project_ids = [] }
  nullable = false

  validation {
    condition     = alltrue([for p in var.checkpoint_permissions.project_ids : can(regex("^proj_[A-Za-z0-9_-]+$", p))])
    error_message = "checkpoint_permissions.project_ids must be project IDs like \"proj_abc123\" (Settings > Project > General in the OpenAI dashboard), not project names."
  }

  validation {
    condition     = length(distinct(var.checkpoint_permissions.project_ids)) == length(var.checkpoint_permissions.project_ids)
    error_message = "checkpoint_permissions.project_ids lists a project twice: list each project once."
  }

  validation {
    condition     = var.checkpoint_permissions.checkpoint == null || startswith(coalesce(var.checkpoint_permissions.checkpoint, "ft:"), "ft:")
    error_message = "checkpoint_permissions.checkpoint must be a fine-tuned model or checkpoint name (ft:...), e.g. one of the checkpoints output's names; leave it null for the job's fine_tuned_model."
  }
}
