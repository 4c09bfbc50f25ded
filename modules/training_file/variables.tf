variable "path" {
  description = "The local JSONL training file to validate and upload, e.g. \"$${path.module}/data/train.jsonl\"."
  type        = string
  nullable    = false

  validation {
    condition     = endswith(var.path, ".jsonl")
    error_message = "path must name a .jsonl file (the API takes fine-tuning data as JSON Lines): rename the file or point path at the JSONL one."
  }
}

variable "training_method" {
  description = "The training method the file is for, which decides what each line must hold: \"supervised\", \"dpo\" or \"reinforcement\"."
  type        = string
  default     = "supervised"
  nullable    = false

  validation {
    condition     = contains(["supervised", "dpo", "reinforcement"], var.training_method)
    error_message = "training_method must be \"supervised\", \"dpo\" or \"reinforcement\"."
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

variable "model" {
  description = "The model the job fine-tunes (pass the job's model, e.g. \"gpt-4o-mini-2024-07-18\"): it picks the tokenizer, the context limit and the price of the token figures. null counts with o200k_base and assumes no limit or price."
  type        = string
  default     = null
}

variable "tokenizer" {
  description = "The tokenizer to count with, \"o200k_base\" or \"cl100k_base\", instead of the model's: needed for a model openai-ft's table does not know. null follows model."
  type        = string
  default     = null

  validation {
    condition     = var.tokenizer == null || contains(["o200k_base", "cl100k_base"], coalesce(var.tokenizer, "o200k_base"))
    error_message = "tokenizer must be \"o200k_base\" (gpt-4o and later) or \"cl100k_base\" (gpt-3.5-turbo, gpt-4), or null to follow model."
  }
}

variable "context_limit" {
  description = "Tokens one training example may hold before the service truncates it, instead of the model's figure in openai-ft's table. null follows model."
  type        = number
  default     = null

  validation {
    condition     = var.context_limit == null || try(var.context_limit >= 1 && floor(var.context_limit) == var.context_limit, false)
    error_message = "context_limit must be a whole number of tokens >= 1, or null to follow model."
  }
}

variable "fail_on_truncation" {
  description = "Fail the plan when examples are over the context limit, instead of warning (a check block) and letting the service truncate them."
  type        = bool
  default     = false
  nullable    = false
}
