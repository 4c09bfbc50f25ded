# Warnings in the plan. A data source's stderr never reaches `terraform plan`, so `job check` and
# `job read` also return their warnings as a JSON list of { kind, message }, and this one check
# shows each of them: a failed assertion is a warning in the plan (and apply) output, never an
# error. Whatever kind of warning openai-ft adds later shows here with no change to the module.

locals {
  # The plan-time check's are always known at plan; the job read's are unknown while the job is
  # being created or replaced, so each has its own assertion and the check's show regardless. A
  # warning both give (a near base-model shutdown) is shown once.
  check_warnings = jsondecode(data.external.check.result.warnings)
  read_warnings  = [for w in jsondecode(lookup(local.job, "warnings", "[]")) : w if !contains(local.check_warnings, w)]
  warnings       = concat(local.check_warnings, local.read_warnings)
}

check "warnings" {
  assert {
    condition     = length(local.check_warnings) == 0
    error_message = join("\n", [for w in local.check_warnings : "openai-ft: ${w.message}."])
  }

  assert {
    condition     = length(local.read_warnings) == 0
    error_message = join("\n", [for w in local.read_warnings : "openai-ft: ${w.message}."])
  }
}
