variable "project_ids" {
  description = "The projects (proj_...) that may use the fine-tuned model."
  type        = list(string)
  default     = ["proj_abc123", "proj_def456"]
}

variable "suffix" {
  description = "The suffix of the fine-tuned model's name. Changing it trains a new model."
  type        = string
  default     = "shared-model"
}

variable "poll_interval" {
  description = "Seconds between status checks while waiting; small values suit the emulator."
  type        = number
  default     = 10
}
