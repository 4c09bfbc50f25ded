variable "subscription_id" {
  description = "The Azure subscription of the Azure OpenAI resource (az account show --query id -o tsv)."
  type        = string
}

variable "resource_group" {
  description = "The resource group of the Azure OpenAI resource."
  type        = string
}

variable "account" {
  description = "The Azure OpenAI resource's name."
  type        = string
}

variable "endpoint" {
  description = "The resource's endpoint (AZURE_OPENAI_ENDPOINT); null: https://<account>.openai.azure.com."
  type        = string
  default     = null
}

variable "deployment_name" {
  description = "The deployment's name, which inference requests pass as model."
  type        = string
  default     = "my-custom-model"
}

variable "sku" {
  description = "The deployment type: Standard, GlobalStandard or Developer (deleted by Azure after 24 hours without calls) for a fine-tuned model."
  type        = string
  default     = "Standard"
}

variable "capacity" {
  description = "The deployment's capacity, in thousands of tokens per minute."
  type        = number
  default     = 1
}

variable "suffix" {
  description = "The suffix of the fine-tuned model's name. Changing it trains a new model, sent to the same deployment name."
  type        = string
  default     = "my-custom-model"
}

variable "training_type" {
  description = "Azure's training tier: Standard (in the resource's region), GlobalStandard (anywhere, cheaper) or Developer (idle capacity, preview); null with api-version 2024-10-21, which takes none."
  type        = string
  default     = "Standard"
}

variable "poll_interval" {
  description = "Seconds between status checks while waiting; small values suit the emulator."
  type        = number
  default     = 10
}
