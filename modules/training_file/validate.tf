# The file checked and counted at plan time, before anything is uploaded:
#   plan -> data "external": `openai-ft file validate` on the LOCAL file (no network), so invalid
#           JSONL fails `terraform plan`, and the token figures (exact, with the tokenizer of
#           `model`) are known to the plan: the outputs below, `stats` for modules/fine_tuning's
#           budget gate, and the warnings openai-ft returns (examples over the model's context
#           limit) as one `check` block.

data "external" "validate" {
  program = [var.openai_ft_path, "file", "validate"]
  query   = local.counting
}

locals {
  figures  = data.external.validate.result
  warnings = local.figures.warnings
  # The figures as numbers; the ones openai-ft leaves empty (no limit, no price) are null.
  stats = {
    model                    = local.figures.model == "" ? null : local.figures.model
    tokenizer                = local.figures.tokenizer
    context_limit            = local.figures.context_limit == "" ? null : tonumber(local.figures.context_limit)
    examples                 = tonumber(local.figures.examples)
    total_tokens             = tonumber(local.figures.total_tokens)
    trained_tokens           = tonumber(local.figures.trained_tokens)
    tokens_min               = tonumber(local.figures.tokens_min)
    tokens_mean              = tonumber(local.figures.tokens_mean)
    tokens_p50               = tonumber(local.figures.tokens_p50)
    tokens_p95               = tonumber(local.figures.tokens_p95)
    tokens_max               = tonumber(local.figures.tokens_max)
    over_limit_examples      = tonumber(local.figures.over_limit_examples)
    over_limit_lines         = local.figures.over_limit_lines == "" ? [] : [for l in split(",", local.figures.over_limit_lines) : tonumber(l)]
    billed_tokens_per_epoch  = tonumber(local.figures.billed_tokens_per_epoch)
    price_per_million_tokens = local.figures.price_per_million_tokens == "" ? null : tonumber(local.figures.price_per_million_tokens)
    price_source             = local.figures.price_source == "" ? null : local.figures.price_source
    sha256                   = local.figures.sha256
  }
}

# The warnings in `terraform plan` (fail_on_truncation = true fails the plan instead, in the data
# source above): a data source's stderr is not shown by plan, a check block is. One assertion over
# every warning openai-ft returns, so a new kind needs no change here.
check "warnings" {
  assert {
    condition     = local.warnings == "[]"
    error_message = join("\n", [for w in jsondecode(local.warnings) : "openai-ft: ${w.message}."])
  }
}

output "stats" {
  description = "Every token figure of the file, known at plan time: pass it to modules/fine_tuning as training_file_stats for the billed-token estimate and the budget gate. model, tokenizer, context_limit, examples, total_tokens, trained_tokens, tokens_min/mean/p50/p95/max, over_limit_examples, over_limit_lines, billed_tokens_per_epoch, price_per_million_tokens, price_source (null when not known), and the sha256 of the bytes counted (the job's apply checks its file is these bytes)."
  value       = local.stats
}

output "total_tokens" {
  description = "The tokens of all examples, counted exactly with the model's tokenizer as OpenAI's data-preparation notebook counts them (README: How tokens are counted)."
  value       = local.stats.total_tokens
}

output "trained_tokens" {
  description = "The tokens the model is trained to write: assistant messages and tool calls, both DPO completions (none for reinforcement)."
  value       = local.stats.trained_tokens
}

output "tokens_per_example" {
  description = "Tokens per example: min, mean, p50, p95 and max (nearest-rank percentiles)."
  value = {
    min  = local.stats.tokens_min
    mean = local.stats.tokens_mean
    p50  = local.stats.tokens_p50
    p95  = local.stats.tokens_p95
    max  = local.stats.tokens_max
  }
}

output "over_limit_examples" {
  description = "How many examples are over the model's context limit (the service truncates them)."
  value       = local.stats.over_limit_examples
}

output "over_limit_lines" {
  description = "The line numbers of the first 10 examples over the context limit."
  value       = local.stats.over_limit_lines
}
