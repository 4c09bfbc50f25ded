"""modules/fine_tuning's outputs, all of them, typed: numbers as numbers, lists and objects
decoded, null where there is nothing, compared with the job the emulator holds; and a job that
fails reports its error."""

import shutil
import textwrap

import openai_ft_env as env

CONFIG = textwrap.dedent(
    """
    variable "wait_for_completion" {
      type = bool
    }

    module "training_data" {
      source = "./modules/training_file"
      path   = "${path.module}/train.jsonl"
    }

    module "fine_tuning" {
      source = "./modules/fine_tuning"

      model               = "gpt-4o-mini"
      training_file       = module.training_data.id
      suffix              = "outputs"
      wait_for_completion = var.wait_for_completion
      poll_interval       = 0.05
      read_checkpoints    = true
    }

    output "job" {
      value = module.fine_tuning
    }
    """
)


def workspace(tmp_path, terraform, openai_ft_bins, emu):
    root = env.copy_tree(tmp_path)
    (root / "main.tf").write_text(CONFIG)
    shutil.copy(env.EXAMPLES / "basic" / "data" / "train.jsonl", root / "train.jsonl")
    tf = terraform(root, env=env.terraform_env(openai_ft_bins, emu))
    tf.init()
    return tf


def test_outputs_of_a_succeeded_job(terraform, emulator, openai_ft_bins, tmp_path):
    emu = emulator(step_ms=20)
    tf = workspace(tmp_path, terraform, openai_ft_bins, emu)
    tf.apply("-var=wait_for_completion=true")
    out = tf.output("job")
    job = emu.api(f"/fine_tuning/jobs/{out['id']}")

    assert out["status"] == job["status"] == "succeeded"
    assert out["model"] == "gpt-4o-mini-2024-07-18"  # the alias, resolved to its snapshot
    assert out["fine_tuned_model"] == job["fine_tuned_model"]
    assert out["created_at"] == job["created_at"] and isinstance(out["created_at"], int)
    assert out["finished_at"] == job["finished_at"] and isinstance(out["finished_at"], int)
    assert out["trained_tokens"] == job["trained_tokens"] and isinstance(out["trained_tokens"], int)
    assert out["result_files"] == job["result_files"]
    assert out["error"] is None
    assert out["timed_out"] is False
    assert out["idempotency_key"] == job["metadata"]["openai_ft_key"]
    steps = [c["step"] for c in out["checkpoints"]]
    # Oldest first, one per epoch: "auto" is 8 epochs for the 12 examples.
    assert steps == sorted(steps) and len(steps) == 8
    assert all(c["name"].startswith(out["fine_tuned_model"] + ":ckpt-step-") for c in out["checkpoints"])
    assert all(isinstance(c["metrics"]["train_loss"], float) for c in out["checkpoints"])
    tf.destroy("-var=wait_for_completion=true")


def test_a_failed_job_reports_its_error(terraform, emulator, openai_ft_bins, tmp_path):
    emu = emulator(step_ms=3_600_000)
    tf = workspace(tmp_path, terraform, openai_ft_bins, emu)
    tf.apply("-var=wait_for_completion=false")
    running = tf.output("job")
    assert running["status"] == "validating_files"
    assert running["error"] is None
    assert running["finished_at"] is None and running["fine_tuned_model"] is None

    emu.control(
        "POST",
        f"/_emulator/jobs/{running['id']}/fail",
        {"code": "invalid_training_file", "message": "Line 3: no assistant message"},
    )
    # Nothing to change but the outputs, which the next apply records.
    plan = tf.plan("-var=wait_for_completion=false")
    assert env.managed_actions(plan) == {}
    tf.apply("tfplan")
    failed = tf.output("job")
    assert failed["id"] == running["id"]
    assert failed["status"] == "failed"
    assert failed["error"] == {"code": "invalid_training_file", "message": "Line 3: no assistant message"}
    assert isinstance(failed["finished_at"], int)

    tf.destroy("-var=wait_for_completion=false")
    # A failed job is finished: destroy has nothing to cancel.
    assert not [k for k in emu.counts() if k.endswith("/cancel")]
