variable "suffix" {
  description = "The suffix of the fine-tuned model's name. Changing it trains a new model."
  type        = string
  default     = "my-custom-model"
}

variable "training_type" {
  description = "Azure's training tier: Standard (in the resource's region), GlobalStandard (anywhere, cheaper) or Developer (idle capacity, preview); null with api-version 2024-10-21, which takes none."
  type        = string
  default     = "Standard"
}

variable "wait_for_completion" {
  description = "Whether apply waits for the job to finish (with live progress)."
  type        = bool
  default     = true
}

variable "poll_interval" {
  description = "Seconds between status checks while waiting; small values suit the emulator."
  type        = number
  default     = 10
}

