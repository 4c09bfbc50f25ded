"""Jobs that are still running when Terraform is done with them: destroy cancels a job left
running (wait_for_completion = false), and cancel_after_timeout cancels one that runs too long."""

import openai_ft_env as env

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
    result = tf.apply(*settings)

    out = tf.output()
    assert out["status"] == "cancelled"
    assert out["timed_out"] is True
    assert out.get("fine_tuned_model") is None
    assert "past cancel_after_timeout=1; cancelling it" in result.stdout

    seen = len(emu.log())
    assert tf.plan(*settings).changes is False
    assert env.writes(emu.log()[seen:]) == []

    tf.destroy(*settings)
    counts = emu.counts()
    assert counts.get("POST /v1/fine_tuning/jobs") == 1, counts
    # Cancelled once, at the deadline; destroy found it finished and left it alone.
    assert counts.get(f"POST /v1/fine_tuning/jobs/{out['job_id']}/cancel") == 1, counts
