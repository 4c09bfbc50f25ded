variable "model" {
  description = "What to serve: a fine-tuned model (modules/fine_tuning's fine_tuned_model), a checkpoint's model, or a base model."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[!-~]{1,256}$", var.model))
    error_message = "model must be a model name (1-256 visible characters, no spaces): pass modules/fine_tuning's fine_tuned_model, or a checkpoint's model."
  }
}

variable "subscription_id" {
  description = "The Azure subscription of the Azure OpenAI resource (a GUID)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$", var.subscription_id))
    error_message = "subscription_id must be a subscription id, a GUID such as 00000000-1111-2222-3333-444444444444 (az account show --query id -o tsv)."
  }
}

variable "resource_group" {
  description = "The resource group of the Azure OpenAI resource."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[-A-Za-z0-9_.()]{1,90}$", var.resource_group)) && !endswith(var.resource_group, ".")
    error_message = "resource_group must be 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'."
  }
}

variable "account" {
  description = "The Azure OpenAI resource's name (its account in Azure Resource Manager)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$", var.account))
    error_message = "account must be the Azure OpenAI resource's name: 2-64 letters, digits, '_', '.' or '-', starting with a letter or digit."
  }
}

variable "name" {
  description = "The deployment's name: what callers pass as `model` in inference requests."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$", var.name))
    error_message = "name must be 2-64 letters, digits, '_', '.' or '-', starting with a letter or digit."
  }
}

variable "endpoint" {
  description = "The resource's endpoint, as in AZURE_OPENAI_ENDPOINT (https://<resource>.openai.azure.com); null: https://<account>.openai.azure.com. Only the endpoint output uses it."
  type        = string
  default     = null

  validation {
    condition     = var.endpoint == null || can(regex("^https?://[^/?#\\s]+/?$", coalesce(var.endpoint, "https://x")))
    error_message = "endpoint must be the resource's base URL, such as https://my-resource.openai.azure.com, with no path (or null for https://<account>.openai.azure.com)."
  }
}

variable "sku" {
  description = "The deployment type: Standard, GlobalStandard, DataZoneStandard, Developer, ProvisionedManaged, GlobalProvisionedManaged or DataZoneProvisionedManaged (any case)."
  type        = string
  default     = "Standard"
  nullable    = false

  validation {
    condition     = contains(["standard", "globalstandard", "datazonestandard", "developer", "provisionedmanaged", "globalprovisionedmanaged", "datazoneprovisionedmanaged"], lower(var.sku))
    error_message = "sku must be one of Standard, GlobalStandard, DataZoneStandard, Developer, ProvisionedManaged, GlobalProvisionedManaged, DataZoneProvisionedManaged."
  }
}

variable "capacity" {
  description = "The SKU's capacity: thousands of tokens per minute for the Standard types, units for the provisioned ones (1-100000)."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.capacity >= 1 && var.capacity <= 100000 && floor(var.capacity) == var.capacity
    error_message = "capacity must be a whole number from 1 to 100000."
  }
}

variable "model_version" {
  description = "properties.model.version; null leaves it to Azure's default (a fine-tuned model has one version)."
  type        = string
  default     = null

  validation {
    condition     = var.model_version == null || can(regex("^[!-~]{1,64}$", coalesce(var.model_version, "1")))
    error_message = "model_version must be a version such as \"1\" or \"2024-07-18\" (1-64 visible characters), or null for Azure's default."
  }
}

variable "wait_timeout_seconds" {
  description = "How long apply and destroy follow Azure's operation (1-86400 s); one still running then fails the run, and the next apply picks it up."
  type        = number
  default     = 1800
  nullable    = false

  validation {
    condition     = var.wait_timeout_seconds >= 1 && var.wait_timeout_seconds <= 86400 && floor(var.wait_timeout_seconds) == var.wait_timeout_seconds
    error_message = "wait_timeout_seconds must be a whole number from 1 to 86400."
  }
}

variable "poll_interval" {
  description = "Seconds between reads of the deployment while an operation runs, when Azure names no Retry-After (0.01-600); small values suit the emulator."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.poll_interval >= 0.01 && var.poll_interval <= 600
    error_message = "poll_interval must be 0.01-600 seconds."
  }
}

variable "openai_ft_path" {
  description = "The openai-ft binary: a name looked up on PATH (default \"openai-ft\") or an absolute path. Credentials come from its environment (an Azure sign-in or AZURE_MANAGEMENT_TOKEN, and the resource's key for the model's dates), never from Terraform."
  type        = string
  default     = "openai-ft"
  nullable    = false

  validation {
    condition     = trimspace(var.openai_ft_path) != ""
    error_message = "openai_ft_path is empty: set it to \"openai-ft\" (looked up on PATH) or the binary's absolute path."
  }
}
