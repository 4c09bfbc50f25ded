# Warnings in the plan. A data source's stderr never reaches `terraform plan`, so `job check` and
# `job read` also return their warnings as a JSON list of { kind, message }; each kind is one check
# block here, and a failed check assertion is a warning in the plan (and apply) output, never an
# error.

locals {
  # kind => messages. The plan-time check's are always known at plan; the job read's are unknown
  # while the job is being created or replaced, so they are kept apart.
  check_warnings = { for w in jsondecode(data.external.check.result.warnings) : w.kind => w.message... }
  job_warnings   = { for w in jsondecode(lookup(local.job, "warnings", "[]")) : w.kind => w.message... }
  warnings       = merge(local.job_warnings, local.check_warnings)
}

check "base_model_shutdown" {
  assert {
    condition     = !contains(keys(local.check_warnings), "base_model_shutdown")
    error_message = "openai-ft: ${join("; ", lookup(local.check_warnings, "base_model_shutdown", []))}."
  }
}

check "fine_tuned_model_shutdown" {
  assert {
    condition     = !contains(keys(local.job_warnings), "fine_tuned_model_shutdown")
    error_message = "openai-ft: ${join("; ", lookup(local.job_warnings, "fine_tuned_model_shutdown", []))}."
  }
}

check "job_failed" {
  assert {
    condition     = !contains(keys(local.job_warnings), "job_failed")
    error_message = "openai-ft: ${join("; ", lookup(local.job_warnings, "job_failed", []))}."
  }
}

check "job_cancelled" {
  assert {
    condition     = !contains(keys(local.job_warnings), "job_cancelled")
    error_message = "openai-ft: ${join("; ", lookup(local.job_warnings, "job_cancelled", []))}."
  }
}

check "job_timed_out" {
  assert {
    condition     = !contains(keys(local.job_warnings), "job_timed_out")
    error_message = "openai-ft: ${join("; ", lookup(local.job_warnings, "job_timed_out", []))}."
  }
}

check "job_missing" {
  assert {
    condition     = !contains(keys(local.job_warnings), "job_missing")
    error_message = "openai-ft: ${join("; ", lookup(local.job_warnings, "job_missing", []))}."
  }
}
