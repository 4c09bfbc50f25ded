"""Issue 15 at plan time, on real engines: modules/training_file counts the local file with the
job's model (`file validate`, no network) and modules/fine_tuning gates the job on the estimate
(`job check`; test_budget_gate.py tries every way around the gate).
Over max_billed_tokens or max_cost_usd, or with invalid JSONL, the plan fails with one line that
names the figure and the fix, and the emulator sees no write at all (nor does an apply); examples
over the context limit are named by line in a plan warning; after training, trained_tokens is the
estimate."""

import json
import shutil
import subprocess
import textwrap

import pytest

import openai_ft_env as env
import tf as tf_module

CONFIG = textwrap.dedent(
    """
    variable "max_billed_tokens" {
      type    = number
      default = null
    }

    variable "max_cost_usd" {
      type    = number
      default = null
    }

    variable "context_limit" {
      type    = number
      default = null
    }

    variable "fail_on_truncation" {
      type    = bool
      default = false
    }

    variable "n_epochs" {
      type    = string
      default = "auto"
    }

    locals {
      model = "gpt-4o-mini-2024-07-18"
    }

    module "training_data" {
      source = "./modules/training_file"

      path               = "${path.module}/train.jsonl"
      model              = local.model
      context_limit      = var.context_limit
      fail_on_truncation = var.fail_on_truncation
    }

    module "fine_tuning" {
      source = "./modules/fine_tuning"

      model               = local.model
      training_file       = module.training_data.id
      training_file_stats = module.training_data.stats
      hyperparameters     = { n_epochs = var.n_epochs }
      max_billed_tokens   = var.max_billed_tokens
      max_cost_usd        = var.max_cost_usd
      poll_interval       = 0.05
    }

    output "stats" {
      value = module.training_data.stats
    }

    output "estimated_billed_tokens" {
      value = module.fine_tuning.estimated_billed_tokens
    }

    output "estimated_cost_usd" {
      value = module.fine_tuning.estimated_cost_usd
    }

    output "trained_tokens" {
      value = module.fine_tuning.trained_tokens
    }
    """
)

CORPUS = env.REPO / "tests" / "data" / "tokens" / "supervised.jsonl"


BASE = 'source = "./modules/fine_tuning"'
ENHANCED = 'source = "./modules/fine_tuning/enhanced_fine_tuning"'


@pytest.fixture
def workspace(tmp_path, terraform, emulator, openai_ft_bins):
    """(tf, emu): the config above on the token corpus, initialised, against a fresh emulator."""
    return prepare(tmp_path, terraform, emulator, openai_ft_bins, CONFIG)


@pytest.fixture
def enhanced_workspace(tmp_path, terraform, emulator, openai_ft_bins):
    """The same with the job from the enhanced_fine_tuning wrapper."""
    assert BASE in CONFIG
    return prepare(tmp_path, terraform, emulator, openai_ft_bins, CONFIG.replace(BASE, ENHANCED))


def prepare(tmp_path, terraform, emulator, openai_ft_bins, config):
    emu = emulator(step_ms=20)
    root = env.copy_tree(tmp_path)
    (root / "main.tf").write_text(config)
    shutil.copy(CORPUS, root / "train.jsonl")
    tf = terraform(root, env=env.terraform_env(openai_ft_bins, emu))
    tf.init()
    return tf, emu


def cli_validate(bins, query):
    done = subprocess.run(
        [str(bins / "openai-ft"), "file", "validate"],
        input=json.dumps(query), capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, check=True,
    )
    return json.loads(done.stdout)


def planned_outputs(plan):
    return {k: v.get("value") for k, v in plan.json["planned_values"]["outputs"].items()}


def failed_plan(tf, *args):
    """The one error of a plan that must fail; an apply of the same must fail the same way."""
    with pytest.raises(tf_module.TerraformError) as failed:
        tf.plan(*args)
    [error] = failed.value.result.errors()
    with pytest.raises(tf_module.TerraformError) as applied:
        tf.apply(*args)
    assert [e["detail"] for e in applied.value.result.errors()] == [error["detail"]]
    return error


def only_model_reads(log) -> bool:
    """Every request is a GET of the models: nothing about files or jobs is read or written."""
    return all(e["method"] == "GET" and (e["path"] == "/v1/models" or e["path"].startswith("/v1/models/")) for e in log)


def gate_error(error) -> str:
    """The gate's refusal in a failed plan: job check's one line, as Terraform shows it."""
    assert error["address"] == "module.fine_tuning.data.external.check", error
    return " ".join(error["detail"].split())


def test_the_plan_knows_the_figures_and_they_are_openai_ft_s(workspace, openai_ft_bins):
    tf, emu = workspace
    out = planned_outputs(tf.plan())
    cli = cli_validate(openai_ft_bins, {"path": str(CORPUS), "model": "gpt-4o-mini-2024-07-18"})
    stats = out["stats"]
    for key in ["examples", "total_tokens", "trained_tokens", "tokens_min", "tokens_p50", "tokens_p95",
                "tokens_max", "context_limit", "over_limit_examples", "billed_tokens_per_epoch"]:
        assert stats[key] == int(cli[key]), key
    assert stats["tokens_mean"] == float(cli["tokens_mean"])
    assert stats["over_limit_lines"] == []
    # n_epochs "auto": the module's heuristic is the CLI's.
    assert out["estimated_billed_tokens"] == int(cli["estimated_billed_tokens"])
    assert out["estimated_cost_usd"] == pytest.approx(float(cli["estimated_cost_usd"]), abs=5e-5)
    # Before anything exists a plan only reads the model (job check's shutdown date).
    assert only_model_reads(emu.log()), emu.log()


def test_over_the_token_budget_the_plan_fails_and_nothing_is_written(workspace):
    tf, emu = workspace
    billed = planned_outputs(tf.plan())["estimated_billed_tokens"]
    error = failed_plan(tf, f"-var=max_billed_tokens={billed - 1}")
    assert (
        f"openai-ft: estimated billed tokens {billed} exceed max_billed_tokens {billed - 1}: raise "
        "max_billed_tokens, trim the file or lower n_epochs"
    ) in gate_error(error)
    assert env.writes(emu.log()) == []
    assert emu.counts().get("POST /v1/files") is None

    # Raised to the estimate, the same plan passes.
    plan = tf.plan(f"-var=max_billed_tokens={billed}")
    assert plan.changes
    assert "module.fine_tuning.terraform_data.job" in env.managed_actions(plan)
    assert env.writes(emu.log()) == []


def test_over_the_cost_budget_the_plan_fails_and_nothing_is_written(workspace):
    tf, emu = workspace
    out = planned_outputs(tf.plan("-var=n_epochs=3"))
    billed, cost = out["estimated_billed_tokens"], out["estimated_cost_usd"]
    # gpt-4o-mini's training price in the table: 3 USD per 1M tokens.
    assert cost == pytest.approx(billed * 3 / 1e6)
    error = failed_plan(tf, "-var=n_epochs=3", "-var=max_cost_usd=0.0001")
    assert (
        f"openai-ft: estimated cost {cost:.4f} USD ({billed} billed tokens) exceeds max_cost_usd 0.0001: raise "
        "max_cost_usd, trim the file or lower n_epochs"
    ) in gate_error(error)
    assert env.writes(emu.log()) == []
    tf.plan("-var=n_epochs=3", "-var=max_cost_usd=1")


def test_examples_over_the_context_limit_are_named_by_line_in_the_plan(workspace, openai_ft_bins):
    tf, emu = workspace
    cli = cli_validate(openai_ft_bins, {"path": str(CORPUS), "model": "gpt-4o-mini", "context_limit": "150"})
    lines = cli["over_limit_lines"].split(",")
    n = int(cli["over_limit_examples"])
    assert 1 < n == len(lines) <= 10, cli

    plan = tf.plan("-var=context_limit=150")
    warnings = [d for d in plan.result.diagnostics if d.get("severity") == "warning"]
    details = [d["detail"] for d in warnings if "context limit" in d.get("detail", "")]
    shown = ", ".join(lines[:5]) + (f" and {n - 5} more" if n > 5 else "")
    assert details == [
        f"openai-ft: ./train.jsonl: {n} examples are over the 150-token context limit of gpt-4o-mini-2024-07-18 "
        f"(lines {shown}) and would be truncated in training: shorten or split them, or set "
        "fail_on_truncation = true to fail the plan."
    ], warnings
    assert planned_outputs(plan)["stats"]["over_limit_lines"] == [int(line) for line in lines]

    error = failed_plan(tf, "-var=context_limit=150", "-var=fail_on_truncation=true")
    assert (
        f"openai-ft: {n} examples are over the 150-token context limit of gpt-4o-mini-2024-07-18 (lines {shown}) "
        "and would be truncated; shorten or split them, or unset fail_on_truncation\n"
    ) in error["detail"], error
    assert env.writes(emu.log()) == []


def test_invalid_jsonl_fails_the_plan_and_nothing_is_written(workspace):
    tf, emu = workspace
    train = tf.workdir / "train.jsonl"
    valid = train.read_text(encoding="utf-8").splitlines()
    train.write_text("\n".join([valid[0], "{not json", valid[1], '{"messages": []}']) + "\n", encoding="utf-8")
    error = failed_plan(tf)
    assert "line 2: " in error["detail"] and "line 4: " in error["detail"], error
    assert env.writes(emu.log()) == []
    assert only_model_reads(emu.log()), emu.log()


@pytest.mark.parametrize("n_epochs", ["2", "auto"])
def test_the_job_bills_what_the_plan_estimated(n_epochs, workspace):
    # "auto" too: the emulator picks the epochs by OpenAI's documented rule, as the estimate does
    # (14 examples: 7 epochs).
    tf, emu = workspace
    out = planned_outputs(tf.plan(f"-var=n_epochs={n_epochs}"))
    tf.apply(f"-var=n_epochs={n_epochs}")
    assert tf.output("trained_tokens") == tf.output("estimated_billed_tokens") == out["estimated_billed_tokens"]
    job = emu.api("/fine_tuning/jobs")["data"][0]
    assert job["method"]["supervised"]["hyperparameters"]["n_epochs"] == (7 if n_epochs == "auto" else 2)
    tf.destroy(f"-var=n_epochs={n_epochs}")


def test_the_enhanced_module_passes_the_estimate_and_the_gate_through(enhanced_workspace, openai_ft_bins):
    tf, emu = enhanced_workspace
    out = planned_outputs(tf.plan("-var=n_epochs=2"))
    cli = cli_validate(openai_ft_bins, {"path": str(CORPUS), "model": "gpt-4o-mini-2024-07-18", "n_epochs": "2"})
    billed = int(cli["estimated_billed_tokens"])
    assert out["estimated_billed_tokens"] == billed
    assert out["estimated_cost_usd"] == pytest.approx(float(cli["estimated_cost_usd"]), abs=5e-5)

    error = failed_plan(tf, "-var=n_epochs=2", f"-var=max_billed_tokens={billed - 1}")
    detail = " ".join(error["detail"].split())
    assert f"openai-ft: estimated billed tokens {billed} exceed max_billed_tokens {billed - 1}: " in detail
    error = failed_plan(tf, "-var=n_epochs=2", "-var=max_cost_usd=0.0001")
    detail = " ".join(error["detail"].split())
    assert "openai-ft: estimated cost " in detail and "exceeds max_cost_usd 0.0001: " in detail
    assert env.writes(emu.log()) == []
    assert emu.counts().get("POST /v1/files") is None

    # Under the limits the same plan applies, and the job bills what was estimated.
    tf.apply("-var=n_epochs=2", f"-var=max_billed_tokens={billed}", "-var=max_cost_usd=1")
    assert tf.output("trained_tokens") == tf.output("estimated_billed_tokens") == billed
    tf.destroy("-var=n_epochs=2", f"-var=max_billed_tokens={billed}", "-var=max_cost_usd=1")
