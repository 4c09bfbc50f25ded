variable "suffix" {
  description = "The suffix of the fine-tuned model's name. Changing it trains a new model."
  type        = string
  default     = "my-custom-model"
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


variable "fail_on_unsuccessful" {
  description = "Whether apply fails when the awaited job ends failed or cancelled."
  type        = bool
  default     = true
}
