output "retrained" {
  description = "OpenAI model => its Azure job: id, status and the fine-tuned model."
  value = {
    for name, m in module.fine_tuning : name => {
      job_id           = m.id
      status           = m.status
      fine_tuned_model = m.fine_tuned_model
    }
  }
}

output "skipped" {
  description = "OpenAI models with a request whose base model is not in base_models."
  value       = local.skipped
}
