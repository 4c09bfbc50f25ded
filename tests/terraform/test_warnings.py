"""Issue 27: every kind of warning openai-ft can return reaches the text of `terraform plan`,
through the modules' one check block over the warnings (modules/fine_tuning/checks.tf,
modules/training_file/validate.tf, modules/azure_deployment/checks.tf), with no block per kind. The kinds are read from the core
(crates/core/src/warning.rs), so a kind added there fails here until a scenario shows it."""

import datetime
import json
import re
import textwrap
import time

import openai_ft_env as env

MODEL = "gpt-4o-mini-2024-07-18"
FROZEN_MS = 3_600_000
SOON = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()

# Jobs that end every way a job can end badly, left running (wait_for_completion = false) on a
# frozen emulator, counted with a context limit small enough that examples are over it.
CONFIG = textwrap.dedent(
    """
    module "training_data" {
      source = "./modules/training_file"

      path          = "${path.module}/train.jsonl"
      model         = "%(model)s"
      context_limit = 20
    }

    module "job" {
      source   = "./modules/fine_tuning"
      for_each = toset(["failed", "cancelled", "timed-out", "missing"])

      model                = "%(model)s"
      training_file        = module.training_data.id
      suffix               = each.key
      cancel_after_timeout = each.key == "timed-out" ? 1 : null
      wait_for_completion  = false
    }

    output "ids" {
      value = { for k, m in module.job : k => m.id }
    }
    """
    % {"model": MODEL}
)


# A deployment on the emulator's Azure resource whose model (a base model: nothing to train)
# retires in 30 days: modules/azure_deployment's plan-time read warns.
AZURE_MODEL = "gpt-4.1-mini-2025-04-14"
DEPLOYMENT = textwrap.dedent(
    """
    module "deployment" {
      source = "./modules/azure_deployment"

      model           = "%s"
      subscription_id = "00000000-1111-2222-3333-444444444444"
      resource_group  = "rg"
      account         = "my-resource"
      name            = "served"
    }
    """
    % AZURE_MODEL
)


def deployment_plan_text(terraform, emulator, bins, tmp_path) -> str:
    emu = emulator(20, "--flavor", "azure", "--management-token", "arm-token",
                   "--inference-retirement", f"{AZURE_MODEL}={SOON}")
    env.copy_tree(tmp_path)
    (tmp_path / "main.tf").write_text(DEPLOYMENT)
    azure = {
        **env.terraform_env(bins, emu),
        "OPENAI_BASE_URL": None,
        "OPENAI_API_KEY": None,
        "AZURE_OPENAI_ENDPOINT": emu.base,
        "AZURE_OPENAI_API_KEY": env.PROJECT_KEY,
        "AZURE_RESOURCE_MANAGER_ENDPOINT": emu.base,
        "AZURE_MANAGEMENT_TOKEN": "arm-token",
    }
    tf = terraform(tmp_path, env=azure)
    tf.init()
    return env.plan_text(tf)


def kinds() -> set[str]:
    """Every kind of warning the core declares."""
    source = (env.REPO / "crates" / "core" / "src" / "warning.rs").read_text()
    return set(re.findall(r'Kind::\w+ => "([a-z_]+)"', source))


def expected(ids: dict[str, str], fine_tuned: str) -> dict[str, str]:
    """kind -> the warning a plan must show for it, in this file's scenarios."""
    return {
        "base_model_shutdown": f"openai-ft: the base model {MODEL} shuts down on {SOON}, in 30 days.",
        "deployed_model_shutdown": f"openai-ft: the deployed model {AZURE_MODEL} shuts down on {SOON}, in 30 days, "
        "and deployment served stops serving with it: train and deploy a successor before then.",
        "fine_tuned_model_shutdown": f"openai-ft: the fine-tuned model {fine_tuned} shuts down on {SOON}, in 30 days.",
        "job_failed": f"openai-ft: job {ids['failed']} failed: invalid_training_file: Line 3: no assistant message;",
        "job_cancelled": f"openai-ft: job {ids['cancelled']} was cancelled before it finished, so it has no fine-tuned model;",
        "job_timed_out": f"openai-ft: job {ids['timed-out']} was cancelled: it ran past cancel_after_timeout=1 s;",
        "job_missing": "no longer exists: it was deleted, or the key now reaches another organisation or project",
        "over_context_limit": "openai-ft: ./train.jsonl: 12 examples are over the 20-token context limit of "
        f"{MODEL} (lines 1, 2, 3, 4, 5 and 7 more) and would be truncated in training",
    }


def test_every_warning_kind_is_in_the_plan_text(terraform, emulator, openai_ft_bins, tmp_path):
    state = tmp_path / "emulator.json"
    shutdown = ["--model-shutdown", f"{MODEL}={SOON}", "--state", str(state)]
    emu = emulator(FROZEN_MS, *shutdown)
    env.copy_tree(tmp_path)
    (tmp_path / "main.tf").write_text(CONFIG)
    (tmp_path / "train.jsonl").write_bytes((env.EXAMPLES / "basic" / "data" / "train.jsonl").read_bytes())
    tf = terraform(tmp_path, env=env.terraform_env(openai_ft_bins, emu))
    tf.init()
    tf.apply()
    ids = tf.output("ids")

    emu.control("POST", f"/_emulator/jobs/{ids['failed']}/fail",
                {"code": "invalid_training_file", "message": "Line 3: no assistant message"})
    emu.api(f"/fine_tuning/jobs/{ids['cancelled']}/cancel", method="POST")
    time.sleep(1.1)  # past the timed-out job's deadline: the next plan cancels it and says so

    # The missing job is deleted from the emulator's saved state, which a new emulator loads.
    emu.stop()
    saved = json.loads(state.read_text())
    saved["jobs"] = [j for j in saved["jobs"] if j["id"] != ids["missing"]]
    state.write_text(json.dumps(saved))
    emu = emulator(FROZEN_MS, *shutdown)
    tf = terraform(tmp_path, env=env.terraform_env(openai_ft_bins, emu))
    text = env.plan_text(tf)

    # A job that succeeded, on a fast emulator: its fine-tuned model shuts down with its base.
    fast = emulator(20, "--model-shutdown", f"{MODEL}={SOON}")
    basic = env.copy_tree(tmp_path / "basic", "basic")
    tuned = terraform(basic, env=env.terraform_env(openai_ft_bins, fast))
    tuned.init()
    tuned.apply("-var=poll_interval=0.05")
    text += " " + env.plan_text(tuned, "-var=poll_interval=0.05")
    text += " " + deployment_plan_text(terraform, emulator, openai_ft_bins, tmp_path / "deployment")

    wanted = expected(ids, tuned.output("fine_tuned_model"))
    assert set(wanted) == kinds(), "a warning kind without a scenario here, or a scenario for none"
    missing = {kind: message for kind, message in wanted.items() if message not in text}
    assert not missing, f"not in the plan text: {missing}\n{text}"
    # Once per job (four, then one), though job check and job read both report it.
    assert text.count(wanted["base_model_shutdown"]) == 5
    assert text.count("Warning: Check block assertion failed") >= len(wanted)
