"""Issue 13: what a user relies on is visible at plan time. A bad request in a for_each fails the
plan before any write; warnings (a near shutdown, a failed, cancelled or timed-out job) are check
warnings in the plan text; a grant revoked outside Terraform plans as a re-grant and converges; an
awaited job that fails fails the apply; a replaced job's id is in the plan; local-exec logs one
line per command; turning the wait on plans the wait step and nothing else (issue 27)."""

import datetime
import json
import textwrap

import openai_ft_env as env

MODEL = "gpt-4o-mini-2024-07-18"
# Slow enough that a job never leaves validating_files during the test.
FROZEN_MS = 3_600_000

# Three jobs over one uploaded file, the third with an impossible n_epochs.
FOR_EACH = textwrap.dedent(
    """
    module "training_data" {
      source = "./modules/training_file"
      path   = "${path.module}/train.jsonl"
    }

    module "job" {
      source   = "./modules/fine_tuning"
      for_each = { a = "3", b = "4", c = "0" }

      model           = "%s"
      training_file   = module.training_data.id
      suffix          = each.key
      hyperparameters = { n_epochs = each.value }
    }
    """
    % MODEL
)


def test_a_bad_job_in_a_for_each_fails_the_plan_before_any_write(terraform, emulator, openai_ft_bins, tmp_path):
    emu = emulator()
    env.copy_tree(tmp_path)
    (tmp_path / "main.tf").write_text(FOR_EACH)
    (tmp_path / "train.jsonl").write_bytes((env.EXAMPLES / "basic" / "data" / "train.jsonl").read_bytes())
    tf = terraform(tmp_path, env=env.terraform_env(openai_ft_bins, emu))
    tf.init()
    error = env.failure(tf.plan, what="a job has n_epochs = 0")
    assert error["address"] == 'module.job["c"].data.external.check'
    assert 'invalid hyperparameters.n_epochs "0": must be "auto" or an integer 1-50' in error["detail"]
    # Nothing was uploaded or created, nor written at all.
    assert env.writes(emu.log()) == []


def test_a_near_base_model_shutdown_is_a_plan_warning(terraform, emulator, openai_ft_bins, tmp_path):
    soon = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    emu = emulator(20, "--model-shutdown", f"{MODEL}={soon}")
    workdir = env.copy_tree(tmp_path, "basic")
    tf = terraform(workdir, env=env.terraform_env(openai_ft_bins, emu))
    tf.init()
    text = env.plan_text(tf)
    assert "Warning: Check block assertion failed" in text
    assert f"openai-ft: the base model {MODEL} shuts down on {soon}, in 30 days." in text
    assert env.writes(emu.log()) == []


def test_an_awaited_job_that_fails_fails_the_apply(terraform, emulator, openai_ft_bins, tmp_path):
    emu = emulator(step_ms=FROZEN_MS)
    workdir = env.copy_tree(tmp_path, "basic")
    tf = terraform(workdir, env=env.terraform_env(openai_ft_bins, emu))
    tf.init()
    tf.apply("-var=wait_for_completion=false", "-var=poll_interval=0.05")
    job_id = tf.output("job_id")
    emu.control("POST", f"/_emulator/jobs/{job_id}/fail", {"code": "invalid_training_file", "message": "Line 3: no assistant message"})

    # Waiting for it now (wait_for_completion = true) finds it failed: the apply fails, naming why.
    error = env.failure(tf.apply, "-var=poll_interval=0.05", what="the awaited job failed")
    assert error["address"] == "module.fine_tuning.terraform_data.wait[0]"
    assert (
        f"job {job_id} failed: invalid_training_file: Line 3: no assistant message; fix the cause, then change "
        'the request (for example metadata = { attempt = "2" }) and apply again, or set '
        "fail_on_unsuccessful = false to accept the outcome"
    ) in " ".join(error["detail"].split())

    # fail_on_unsuccessful = false accepts it, and every plan then says so, as a warning.
    accept = ["-var=poll_interval=0.05", "-var=fail_on_unsuccessful=false"]
    tf.apply(*accept)
    assert tf.output("status") == "failed"
    text = env.plan_text(tf, *accept)
    assert "No changes." in text
    assert f"openai-ft: job {job_id} failed: invalid_training_file: Line 3: no assistant message;" in text
    assert emu.counts().get("POST /v1/fine_tuning/jobs") == 1


def test_a_replaced_job_is_named_in_the_plan_and_logs_are_one_line(terraform, emulator, openai_ft_bins, tmp_path):
    emu = emulator(step_ms=FROZEN_MS)
    workdir = env.copy_tree(tmp_path, "basic")
    tf = terraform(workdir, env=env.terraform_env(openai_ft_bins, emu))
    tf.init()
    settings = ["-var=wait_for_completion=false", "-var=poll_interval=0.05"]
    applied = tf.apply(*settings)
    job_id = tf.output("job_id")
    file_id = emu.api("/files")["data"][0]["id"]

    # local-exec logs one line per command, not its JSON result.
    messages = [json.loads(line).get("@message", "") for line in applied.stdout.splitlines() if line.startswith("{")]
    assert any(m.endswith(f"(local-exec): job ensure: {job_id}, status validating_files (created now)") for m in messages), messages
    assert any(f"(local-exec): file upload: " in m and f" is {file_id} (" in m for m in messages), messages
    assert not [m for m in messages if '(local-exec): {"' in m], messages

    # A new suffix replaces the job: the plan names the job it replaces and what happens to it.
    text = env.plan_text(tf, *settings, "-var=suffix=another-model")
    assert "module.fine_tuning.terraform_data.job must be replaced" in text
    assert (
        f'~ input = "{job_id}: a change to the training request cancels it if still running and starts a new job" '
        "-> (known after apply)"
    ) in text

    # A job cancelled outside Terraform is a plan warning.
    emu.api(f"/fine_tuning/jobs/{job_id}/cancel", method="POST")
    text = env.plan_text(tf, *settings)
    assert f"openai-ft: job {job_id} was cancelled before it finished, so it has no fine-tuned model;" in text
    assert emu.counts().get("POST /v1/fine_tuning/jobs") == 1


def test_a_grant_revoked_outside_terraform_is_planned_and_restored(terraform, emulator, openai_ft_bins, tmp_path):
    emu = emulator(step_ms=20)
    workdir = env.copy_tree(tmp_path, "checkpoint_permissions")
    tf = terraform(workdir, env=env.terraform_env(openai_ft_bins, emu))
    tf.init()
    settings = ["-var=poll_interval=0.05", '-var=project_ids=["proj_alpha","proj_bravo"]']
    tf.apply(*settings)
    model = tf.output("fine_tuned_model")
    ids = tf.output("permission_ids")

    # Someone revokes alpha's grant with the API directly.
    emu.api(f"/fine_tuning/checkpoints/{model}/permissions/{ids['proj_alpha']}", key=env.ADMIN_KEY, method="DELETE")
    seen = len(emu.log())
    plan = tf.plan(*settings)
    grant = "module.enhanced_fine_tuning.terraform_data.grant"
    assert {a: acts for a, acts in env.managed_actions(plan).items() if acts != ["update"]} == {
        f'{grant}["proj_alpha"]': ["delete", "create"]
    }
    assert env.writes(emu.log()[seen:]) == []

    tf.apply("tfplan")
    permissions = emu.api(f"/fine_tuning/checkpoints/{model}/permissions?limit=100", key=env.ADMIN_KEY)["data"]
    assert sorted(p["project_id"] for p in permissions) == ["proj_alpha", "proj_bravo"]
    assert tf.output("missing") == []
    # bravo's grant was left alone, and the next plan is clean.
    assert tf.output("permission_ids")["proj_bravo"] == ids["proj_bravo"]
    assert tf.plan(*settings).changes is False
    assert emu.counts().get("POST /v1/fine_tuning/jobs") == 1


def test_turning_the_wait_on_plans_the_wait_alone(terraform, emulator, openai_ft_bins, tmp_path):
    emu = emulator(step_ms=FROZEN_MS)
    workdir = env.copy_tree(tmp_path, "basic")
    tf = terraform(workdir, env=env.terraform_env(openai_ft_bins, emu))
    tf.init()
    tf.apply("-var=wait_for_completion=false", "-var=poll_interval=0.05")
    plan = tf.plan("-var=wait_for_completion=true", "-var=poll_interval=0.05")
    assert env.managed_actions(plan) == {"module.fine_tuning.terraform_data.wait[0]": ["create"]}
    text = env.plan_text(tf, "-var=wait_for_completion=true", "-var=poll_interval=0.05")
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in text
    assert "module.fine_tuning.terraform_data.wait[0] will be created" in text
    assert "will be updated" not in text and "must be replaced" not in text
