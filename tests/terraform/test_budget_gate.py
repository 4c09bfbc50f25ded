"""Issue 22: the budget gate cannot be stepped around. Over max_billed_tokens or max_cost_usd no
path creates a job, each with the gate's message: the whole plan, `-target` of every resource and
data source of modules/fine_tuning (and of the enhanced wrapper), `-refresh=false`, a targeted
plan saved for later, and a saved plan whose training file is not the file the figures were
counted from (job ensure checks again at apply); a saved plan applied after the file changed is
refused by the engine itself. Figures counted for another model than the job's are refused, not
warned."""

import hashlib
import json
import shutil
import subprocess

import pytest

import openai_ft_env as env
import tf as tf_module
from test_token_budget import BASE, CONFIG, CORPUS, ENHANCED, planned_outputs

MODEL = "gpt-4o-mini-2024-07-18"
JOB_CREATES = "POST /v1/fine_tuning/jobs"

# Every resource and data source of the base module a job can be reached through, and the module.
TARGETS = [
    "module.fine_tuning.terraform_data.job",
    "module.fine_tuning.terraform_data.wait",
    "module.fine_tuning.terraform_data.current_job",
    "module.fine_tuning.data.external.job",
    "module.fine_tuning.data.external.check",
    "module.fine_tuning",
]


def prepare(tmp_path, terraform, emulator, openai_ft_bins, config):
    emu = emulator(step_ms=20)
    root = env.copy_tree(tmp_path)
    (root / "main.tf").write_text(config)
    shutil.copy(CORPUS, root / "train.jsonl")
    tf = terraform(root, env=env.terraform_env(openai_ft_bins, emu))
    tf.init()
    return tf, emu


def gate_message(billed: int, limit: int) -> str:
    return (
        f"openai-ft: estimated billed tokens {billed} exceed max_billed_tokens {limit}: raise "
        "max_billed_tokens, trim the file or lower n_epochs"
    )


def refused(tf, *args: str) -> str:
    """The one error of an apply that must fail, as one line."""
    error = env.failure(tf.apply, *args, what="the budget gate refused the job")
    return " ".join(error["detail"].split())


def test_no_target_reaches_a_job_over_the_budget(tmp_path, terraform, emulator, openai_ft_bins):
    tf, emu = prepare(tmp_path, terraform, emulator, openai_ft_bins, CONFIG)
    billed = planned_outputs(tf.plan())["estimated_billed_tokens"]
    over = f"-var=max_billed_tokens={billed - 1}"
    for target in TARGETS:
        assert gate_message(billed, billed - 1) in refused(tf, over, f"-target={target}"), target
    assert gate_message(billed, billed - 1) in refused(tf, over, "-refresh=false")
    error = env.failure(tf.plan, over, what="the plan is over the budget")
    assert error["address"] == "module.fine_tuning.data.external.check"
    assert gate_message(billed, billed - 1) in " ".join(error["detail"].split())
    assert emu.counts().get(JOB_CREATES) is None
    assert env.writes(emu.log()) == []

    # At the limit every path goes through, and the job bills what was estimated.
    tf.apply(f"-var=max_billed_tokens={billed}", "-var=n_epochs=auto", "-target=module.fine_tuning.terraform_data.job")
    assert emu.counts().get(JOB_CREATES) == 1


def test_the_cost_limit_and_the_enhanced_wrapper(tmp_path, terraform, emulator, openai_ft_bins):
    tf, emu = prepare(tmp_path, terraform, emulator, openai_ft_bins, CONFIG.replace(BASE, ENHANCED))
    out = planned_outputs(tf.plan("-var=n_epochs=3"))
    billed, cost = out["estimated_billed_tokens"], out["estimated_cost_usd"]
    message = (
        f"openai-ft: estimated cost {cost:.4f} USD ({billed} billed tokens) exceeds max_cost_usd 0.0001: "
        "raise max_cost_usd, trim the file or lower n_epochs"
    )
    inner = "module.fine_tuning.module.fine_tuning"
    for target in [f"{inner}.terraform_data.job", f"{inner}.data.external.job", "module.fine_tuning"]:
        assert message in refused(tf, "-var=n_epochs=3", "-var=max_cost_usd=0.0001", f"-target={target}"), target
    assert emu.counts().get(JOB_CREATES) is None


def test_no_saved_plan_holds_a_job_over_the_budget(tmp_path, terraform, emulator, openai_ft_bins):
    tf, emu = prepare(tmp_path, terraform, emulator, openai_ft_bins, CONFIG)
    billed = planned_outputs(tf.plan())["estimated_billed_tokens"]
    # A targeted plan over the limit is refused before there is a plan to save.
    for target in ["module.fine_tuning.terraform_data.job", "module.fine_tuning.data.external.job"]:
        error = env.failure(tf.plan, f"-var=max_billed_tokens={billed - 1}", f"-target={target}",
                            what="the targeted plan is over the budget")
        assert gate_message(billed, billed - 1) in " ".join(error["detail"].split()), target

    # A plan saved at the limit, applied after the file tripled: the engine itself refuses the
    # saved plan (the upload's file is not the one planned), before anything is uploaded.
    assert tf.plan(f"-var=max_billed_tokens={billed}").changes
    train = tf.workdir / "train.jsonl"
    train.write_text(train.read_text() * 3)
    error = env.failure(tf.apply, "tfplan", what="the file changed after the plan")
    assert (error["summary"], error["detail"].split(":")[0]) in [
        ("Error in function call", 'Call to function "filesha256" failed'),  # Terraform
        ("Provider produced inconsistent final plan",  # OpenTofu
         "When expanding the plan for module.training_data.terraform_data.upload to include new values learned so far during apply, provider \"terraform.io/builtin/terraform\" produced an invalid new value for .triggers_replace.sha256"),
    ], error
    assert emu.counts().get(JOB_CREATES) is None
    assert emu.counts().get("POST /v1/files") is None


STRANGER = """
module "other_data" {
  source = "./modules/training_file"

  path  = "${path.module}/other.jsonl"
  model = local.model
}
"""


def test_a_job_is_not_created_on_a_file_the_figures_did_not_count(tmp_path, terraform, emulator, openai_ft_bins):
    # The figures of one file, the id of another (three times as large): the plan's estimate is
    # the small file's; job ensure, at apply, finds the job's file is not the counted one.
    config = CONFIG.replace("training_file       = module.training_data.id", "training_file       = module.other_data.id")
    assert config != CONFIG
    tf, emu = prepare(tmp_path, terraform, emulator, openai_ft_bins, config + STRANGER)
    (tf.workdir / "other.jsonl").write_text(CORPUS.read_text() * 3)
    billed = planned_outputs(tf.plan())["estimated_billed_tokens"]
    # A saved plan, as CI applies one: the plan passes (the figures are within the limit).
    assert tf.plan(f"-var=max_billed_tokens={billed}").changes
    detail = refused(tf, "tfplan")
    assert "openai-ft: the training file file-" in detail, detail
    assert (
        f"is not the file training_file_stats counted (sha256 {sha256_of(tf.workdir / 'train.jsonl')}), so the "
        "budget was checked against other data; pass the id and the stats of the same modules/training_file, "
        "and plan again"
    ) in detail
    assert emu.counts().get(JOB_CREATES) is None


def sha256_of(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("gate", [[], ["-var=max_billed_tokens=100000000"]], ids=["no-limit", "limit"])
def test_figures_counted_for_another_model_are_refused(gate, tmp_path, terraform, emulator, openai_ft_bins):
    config = CONFIG.replace(
        '  model              = local.model\n  context_limit',
        '  model              = "gpt-4.1-2025-04-14"\n  context_limit',
    )
    assert config != CONFIG
    tf, emu = prepare(tmp_path, terraform, emulator, openai_ft_bins, config)
    error = env.failure(tf.plan, *gate, what="the figures are another model's")
    assert (
        'openai-ft: training_file_stats were counted for model "gpt-4.1-2025-04-14" but the job fine-tunes '
        f'"{MODEL}": pass the job\'s model to modules/training_file so the estimate uses its tokenizer, context '
        "limit and price"
    ) in " ".join(error["detail"].split())
    assert env.writes(emu.log()) == []


def test_job_ensure_checks_the_limits_itself(openai_ft_bins, emulator):
    # The apply-time step on its own (what a saved plan or a hand-run local-exec reaches): the
    # same limits, estimated with the job's own epochs, refused before anything is written.
    emu = emulator(step_ms=20)
    stats = {"model": MODEL, "examples": 12, "billed_tokens_per_epoch": 381, "sha256": "0" * 64}
    query = {
        "model": MODEL, "training_file": "file-abc", "training_file_stats": json.dumps(stats),
        "max_billed_tokens": "3047",
    }
    done = run_cli(openai_ft_bins, emu, ["job", "ensure"], query)
    # 12 examples: "auto" is 8 epochs, 381 x 8 = 3048.
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f"{gate_message(3048, 3047)}\n"
    assert env.writes(emu.log()) == []


def run_cli(bins, emu, args, query):
    environment = {k: v for k, v in env.terraform_env(bins, emu).items() if v is not None}
    return subprocess.run(
        [str(bins / "openai-ft"), *args], input=json.dumps(query), capture_output=True, text=True,
        env=environment, timeout=tf_module.COMMAND_TIMEOUT_S,
    )
