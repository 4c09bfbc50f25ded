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
  description = "The number of training examples (non-empty lines) in the file, known at plan time."
  value       = local.stats.examples
}

output "estimated_tokens" {
  description = "The tokens in the file, counted exactly at plan time (the same figure as total_tokens; it was a 4-bytes-per-token guess before)."
  value       = local.stats.total_tokens
}

output "sha256" {
  description = "The SHA-256 of the file's bytes (hex)."
  value       = local.file.sha256
}
