variable "subscription_id" {
  description = "Azure only: the subscription of the Azure OpenAI resource, to list where each model is deployed (with resource_group and account; all three or none). The Resource Manager token comes from the environment (an Azure sign-in or AZURE_MANAGEMENT_TOKEN), never from Terraform."
  type        = string
  default     = null
}

variable "resource_group" {
  description = "Azure only: the resource group of the Azure OpenAI resource (with subscription_id and account)."
  type        = string
  default     = null
}

variable "account" {
  description = "Azure only: the Azure OpenAI resource's name in Azure Resource Manager (with subscription_id and resource_group)."
  type        = string
  default     = null
}

variable "format" {
  description = "\"markdown\" or \"csv\" for a table for people in the table output; \"json\" (the default) for none."
  type        = string
  default     = "json"
  nullable    = false

  validation {
    condition     = contains(["json", "markdown", "csv"], var.format)
    error_message = "format must be \"json\", \"markdown\" or \"csv\"."
  }
}

variable "openai_ft_path" {
  description = "The openai-ft binary: a name looked up on PATH (default \"openai-ft\") or an absolute path. Keys come from its environment (OPENAI_API_KEY, OPENAI_ADMIN_KEY, AZURE_OPENAI_*), never from Terraform."
  type        = string
  default     = "openai-ft"
  nullable    = false

  validation {
    condition     = trimspace(var.openai_ft_path) != ""
    error_message = "openai_ft_path is empty: set it to \"openai-ft\" (looked up on PATH) or the binary's absolute path."
  }
}
