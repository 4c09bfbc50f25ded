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
