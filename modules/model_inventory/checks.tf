# Every model within 90 days of its end (or past it), named in the plan: a data source's stderr
# never reaches `terraform plan`, a failed check assertion does, as a warning, never an error.

check "ending_soon" {
  assert {
    condition     = length(local.ending_soon) == 0
    error_message = join("\n", [for w in local.ending_soon : "openai-ft: ${w}."])
  }
}
