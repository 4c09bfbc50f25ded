# One local JSONL training file, validated and uploaded through the openai-ft CLI:
#   apply -> terraform_data + local-exec: `openai-ft file upload` (validates line by line first;
#            the same bytes already uploaded are reused, not uploaded again)
#   plan  -> data "external": `openai-ft file read` (finds the upload by content; never uploads)
# Destroy leaves the uploaded file in place: a fine-tuning job may still be reading it, and the
# next apply of the same bytes adopts it instead of uploading again.

locals {
  # How the file is counted, the same at plan (validate.tf) and at upload (whose summary in the
  # apply log names the model's context limit and the billed tokens).
  counting = merge(
    {
      path               = var.path
      training_method    = var.training_method
      fail_on_truncation = tostring(var.fail_on_truncation)
    },
    { for k, v in {
      model         = var.model
      tokenizer     = var.tokenizer
      context_limit = var.context_limit == null ? null : tostring(var.context_limit)
    } : k => v if v != null },
  )
}

resource "terraform_data" "upload" {
  # New bytes (or a different method's checks) upload a new file; nothing else does.
  triggers_replace = {
    sha256          = filesha256(var.path)
    training_method = var.training_method
  }

  provisioner "local-exec" {
    interpreter = [var.openai_ft_path, "file"]
    command     = "upload"
    environment = {
      # output = "summary": one line in the apply log instead of the JSON result.
      OPENAI_FT_INPUT = jsonencode(merge(local.counting, { output = "summary" }))
    }
  }
}

data "external" "file" {
  program = [var.openai_ft_path, "file", "read"]
  query = {
    path            = var.path
    training_method = var.training_method
  }

  depends_on = [terraform_data.upload]
}

locals {
  file = data.external.file.result
}
