"""Jobs that are still running when Terraform is done with them: destroy cancels a job left
running (wait_for_completion = false), cancel_after_timeout cancels one that runs too long, and a
wait that fails is resumed by the next apply, never turned into a cancel and a second job."""

import openai_ft_env as env
import tf as tf_module

# Slow enough that a job never leaves validating_files during the test.
FROZEN_MS = 3_600_000


def test_destroy_cancels_a_running_job(terraform, emulator, openai_ft_bins, tmp_path):
    emu = emulator(step_ms=FROZEN_MS)
    workdir = env.copy_tree(tmp_path, "basic")
    tf = terraform(workdir, env=env.terraform_env(openai_ft_bins, emu))
    tf.init()
    settings = ["-var=wait_for_completion=false", "-var=poll_interval=0.05"]
    tf.apply(*settings)

    out = tf.output()  # null outputs are left out
    assert out["status"] == "validating_files"
    assert out.get("fine_tuned_model") is None
    assert out.get("trained_tokens") is None

    # Another plan finds the same job and neither creates nor cancels anything.
    seen = len(emu.log())
    assert tf.plan(*settings).changes is False
    assert env.writes(emu.log()[seen:]) == []

    tf.destroy(*settings)
    counts = emu.counts()
    assert counts.get("POST /v1/fine_tuning/jobs") == 1, counts
    assert counts.get(f"POST /v1/fine_tuning/jobs/{out['job_id']}/cancel") == 1, counts
    assert emu.api(f"/fine_tuning/jobs/{out['job_id']}")["status"] == "cancelled"


def test_timeout_protection_cancels_a_job_past_its_deadline(terraform, emulator, openai_ft_bins, tmp_path):
    emu = emulator(step_ms=FROZEN_MS)
    workdir = env.copy_tree(tmp_path, "timeout_protection")
    tf = terraform(workdir, env=env.terraform_env(openai_ft_bins, emu))
    tf.init()
    settings = ["-var=cancel_after_timeout=1", "-var=poll_interval=0.2"]
    # fail_on_unsuccessful (the default): the job cancelled at its deadline fails the apply.
    try:
        tf.apply(*settings)
    except tf_module.TerraformError as e:
        failed = e.result
    else:
        raise AssertionError("apply succeeded although the job was cancelled at its deadline")
    assert "past cancel_after_timeout=1; cancelling it" in failed.stdout
    [error] = failed.errors()
    assert error["address"] == "module.timeout_protected_fine_tuning.terraform_data.wait[0]"
    job_id = emu.api("/fine_tuning/jobs")["data"][0]["id"]
    assert (
        f"job {job_id} was cancelled: it ran past cancel_after_timeout=1 s; raise cancel_after_timeout, "
        'then change the request (for example metadata = { attempt = "2" }) and apply again, or set '
        "fail_on_unsuccessful = false to accept the outcome"
    ) in " ".join(error["detail"].split())

    # fail_on_unsuccessful = false accepts the outcome; the plan still warns of it.
    settings.append("-var=fail_on_unsuccessful=false")
    tf.apply(*settings)
    out = tf.output()
    assert out["status"] == "cancelled"
    assert out["timed_out"] is True
    assert out.get("fine_tuned_model") is None

    seen = len(emu.log())
    plan = tf.plan(*settings)
    assert plan.changes is False
    assert env.writes(emu.log()[seen:]) == []
    assert f"job {job_id} was cancelled: it ran past cancel_after_timeout=1 s" in " ".join(plan.result.stdout.split())

    tf.destroy(*settings)
    counts = emu.counts()
    assert counts.get("POST /v1/fine_tuning/jobs") == 1, counts
    # Cancelled once, at the deadline; destroy found it finished and left it alone.
    assert counts.get(f"POST /v1/fine_tuning/jobs/{out['job_id']}/cancel") == 1, counts


def test_a_failed_wait_is_resumed_not_cancelled(terraform, emulator, openai_ft_bins, tmp_path):
    emu = emulator(step_ms=20)
    workdir = env.copy_tree(tmp_path, "basic")
    tf = terraform(workdir, env=env.terraform_env(openai_ft_bins, emu))
    tf.init()
    settings = ["-var=poll_interval=0.05"]
    # The job is created; then every attempt of the wait's first poll fails (3 with retries).
    emu.control(
        "POST",
        "/_emulator/faults",
        {"method": "GET", "path": "/v1/fine_tuning/jobs/*", "fault": 503, "retry_after_ms": 10, "times": 3},
    )
    try:
        tf.apply(*settings)
    except tf_module.TerraformError as e:
        failed = e.result
    else:
        raise AssertionError("apply succeeded although the wait failed")
    [error] = failed.errors()
    assert error["address"] == "module.fine_tuning.terraform_data.wait[0]"
    assert "api error 503 server_error" in error["detail"]

    # Only the wait is redone; the job is neither cancelled nor created again.
    plan = tf.plan(*settings)
    # (current_job, the record of the job the plan shows, comes after the wait: created now.)
    assert env.managed_actions(plan) == {
        "module.fine_tuning.terraform_data.wait[0]": ["delete", "create"],
        "module.fine_tuning.terraform_data.current_job": ["create"],
    }
    tf.apply("tfplan")
    assert tf.output("status") == "succeeded"
    assert tf.plan(*settings).changes is False

    counts = emu.counts()
    assert counts.get("POST /v1/fine_tuning/jobs") == 1, counts
    assert not [k for k in counts if k.endswith("/cancel")], counts
