variable "inventory_file" {
  description = "The OpenAI inventory: the JSON `openai-ft models inventory` printed with OpenAI's environment (OPENAI_API_KEY), saved to a file."
  type        = string
  default     = "openai-inventory.json"
}

variable "base_models" {
  description = "OpenAI base model => the Azure OpenAI base model to train instead. A model whose base is not in the map is left out (and named in the skipped output)."
  type        = map(string)
  default = {
    "gpt-4o-mini-2024-07-18"  = "gpt-4o-mini-2024-07-18"
    "gpt-4.1-mini-2025-04-14" = "gpt-4.1-mini-2025-04-14"
  }
}

variable "training_files" {
  description = "OpenAI file id => the local copy of that file, uploaded again to Azure (Azure cannot read OpenAI's files). Every training and validation file of a retrained model must be here."
  type        = map(string)
}

variable "training_type" {
  description = "Azure's training tier for every job: Standard, GlobalStandard or Developer; null for api-version 2024-10-21."
  type        = string
  default     = "Standard"
}

variable "wait_for_completion" {
  description = "Whether apply waits for the jobs to finish (with live progress)."
  type        = bool
  default     = true
}

variable "poll_interval" {
  description = "Seconds between status checks while waiting; small values suit the emulator."
  type        = number
  default     = 10
}
