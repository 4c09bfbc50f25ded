variable "suffix" {
  description = "The suffix of the fine-tuned model's name. Changing it trains a new model."
  type        = string
  default     = "timeout-protected"
}

variable "cancel_after_timeout" {
  description = "Cancel the job once it has run this many seconds."
  type        = number
  default     = 3600 # one hour
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
  description = "Whether apply fails when the job ends cancelled (here: by the timeout) or failed."
  type        = bool
  default     = true
}
