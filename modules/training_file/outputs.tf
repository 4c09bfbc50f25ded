output "id" {
  description = "The uploaded file's ID (file-...): pass it to modules/fine_tuning as training_file or validation_file."
  value       = local.file.id
}

output "filename" {
  description = "The name the file was uploaded under (the local name plus a content hash, which is how openai-ft finds it again)."
  value       = local.file.filename
}

output "bytes" {
  description = "The file's size in bytes."
  value       = tonumber(local.file.bytes)
}

output "examples" {
  description = "The number of training examples (lines) in the file."
  value       = tonumber(local.file.examples)
}

output "estimated_tokens" {
  description = "A rough estimate of the tokens in the file (about 4 bytes per token), to judge cost before training."
  value       = tonumber(local.file.estimated_tokens)
}

output "sha256" {
  description = "The SHA-256 of the file's bytes (hex)."
  value       = local.file.sha256
}
