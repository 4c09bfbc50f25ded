"""What Terraform itself can check is refused at plan time, before openai-ft runs, with a message
that names the fix: the modules' validation blocks and preconditions."""

import json
import textwrap

import pytest

import openai_ft_env as env

# A root module handing every input through as a JSON string, so one init serves every case.
CONFIG = textwrap.dedent(
    """
    variable "inputs" {
      type = string
    }

    locals {
      inputs = jsondecode(var.inputs)
    }

    module "job" {
      source = "./modules/fine_tuning/enhanced_fine_tuning"

      model                  = local.inputs.model
      training_file          = local.inputs.training_file
      suffix                 = lookup(local.inputs, "suffix", null)
      training_method        = lookup(local.inputs, "training_method", "supervised")
      hyperparameters        = lookup(local.inputs, "hyperparameters", {})
      metadata               = lookup(local.inputs, "metadata", {})
      cancel_after_timeout   = lookup(local.inputs, "cancel_after_timeout", null)
      seed                   = lookup(local.inputs, "seed", null)
      grader                 = lookup(local.inputs, "grader", null)
      wait_for_completion    = lookup(local.inputs, "wait_for_completion", true)
      checkpoint_permissions = lookup(local.inputs, "checkpoint_permissions", { enabled = false })
    }
    """
)

VALID = {"model": "gpt-4o-mini-2024-07-18", "training_file": "file-abc123"}
GRADER = {"type": "string_check", "name": "g", "input": "a", "reference": "b", "operation": "eq"}

CASES = {
    "unknown method": (
        {"training_method": "sft"},
        'training_method must be "supervised", "dpo" or "reinforcement".',
    ),
    "too much metadata": (
        {"metadata": {f"k{i}": "v" for i in range(16)}},
        "metadata has more than 15 pairs: remove some (the API allows 16 and openai-ft reserves "
        "one for the idempotency key that lets it find the job again).",
    ),
    "suffix too long": (
        {"suffix": "x" * 65},
        "suffix must be 1-64 characters of letters, digits, '.', '_' and '-': shorten it or "
        "replace the other characters (or set it to null for none).",
    ),
    "suffix with a space": (
        {"suffix": "my model"},
        "suffix must be 1-64 characters of letters, digits, '.', '_' and '-': shorten it or "
        "replace the other characters (or set it to null for none).",
    ),
    "zero timeout": (
        {"cancel_after_timeout": 0},
        "cancel_after_timeout must be a whole number of seconds >= 1 (e.g. 3600 for one hour), "
        "or null for no limit.",
    ),
    "empty model": (
        {"model": " "},
        'model is empty: set it to the base model to fine-tune, e.g. "gpt-4o-mini-2024-07-18".',
    ),
    "a path as training file": (
        {"training_file": "data/train.jsonl"},
        "training_file must be the ID of an uploaded file (file-...): upload the JSONL with "
        "modules/training_file and pass its id output.",
    ),
    "unknown hyperparameter": (
        {"hyperparameters": {"epochs": "3"}},
        "hyperparameters has an unknown key: use n_epochs, batch_size, learning_rate_multiplier, "
        "beta (dpo), compute_multiplier, eval_interval, eval_samples or reasoning_effort "
        "(reinforcement).",
    ),
    "reinforcement without grader": (
        {"training_method": "reinforcement"},
        'grader is required exactly when training_method is "reinforcement": set grader for '
        "reinforcement, or leave it null for supervised and dpo.",
    ),
    "grader for supervised": (
        {"grader": GRADER},
        'grader is required exactly when training_method is "reinforcement": set grader for '
        "reinforcement, or leave it null for supervised and dpo.",
    ),
    "project name instead of id": (
        {"checkpoint_permissions": {"enabled": True, "project_ids": ["my-project"]}},
        'checkpoint_permissions.project_ids must be project IDs like "proj_abc123" (Settings > '
        "Project > General in the OpenAI dashboard), not project names.",
    ),
    "permissions without waiting": (
        {
            "wait_for_completion": False,
            "checkpoint_permissions": {"enabled": True, "project_ids": ["proj_abc123"]},
        },
        "checkpoint_permissions needs the fine-tuned model, which exists only once the job has "
        "succeeded: set wait_for_completion = true, or name the checkpoint to share in "
        "checkpoint_permissions.checkpoint.",
    ),
}


# An emulator, and the assertion that no plan writes to it: every refusal comes before any write.
# (A plan reads the models endpoint: `job check` refuses a base model past its shutdown date.)
@pytest.fixture(scope="module")
def root(tmp_path_factory, engine, terraform_cli_config, openai_ft_bins):
    import tf as tfmod

    emu = env.Emulator(openai_ft_bins, 20)
    root = env.copy_tree(tmp_path_factory.mktemp("validation"))
    (root / "main.tf").write_text(CONFIG)
    tf = tfmod.Terraform(root, engine, env=env.terraform_env(openai_ft_bins, emu), cli_config=terraform_cli_config)
    tf.init()
    yield tf
    try:
        assert env.writes(emu.log()) == []
    finally:
        emu.stop()


def plan_errors(tf, inputs: dict) -> list[str]:
    arg = "-var=inputs=" + json.dumps({**VALID, **inputs})
    result = tf.run("plan", "-input=false", "-no-color", "-json", arg, ok=(0, 1))
    # Terraform adds "This was checked by the validation rule at ..." after a blank line.
    return [d["detail"].split("\n\n")[0] for d in result.errors()]


def test_a_valid_request_plans(root):
    assert plan_errors(root, {}) == []
    grader = {"training_method": "reinforcement", "grader": GRADER}
    assert plan_errors(root, grader) == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_refusal_names_the_fix(root, case):
    inputs, message = CASES[case]
    assert plan_errors(root, inputs) == [message]


def test_checkpoint_permissions_on_azure_fail_at_plan_time(root):
    inputs = {"checkpoint_permissions": {"enabled": True, "project_ids": ["proj_abc123"]}}
    arg = "-var=inputs=" + json.dumps({**VALID, **inputs})
    azure = {"AZURE_OPENAI_ENDPOINT": "https://example.openai.azure.com"}
    saved = dict(root.env)
    root.env.update(azure)
    try:
        result = root.run("plan", "-input=false", "-no-color", "-json", arg, ok=(1,))
    finally:
        root.env.clear()
        root.env.update(saved)
    details = " ".join(d["detail"] for d in result.errors())
    assert "checkpoint permissions do not exist on Azure OpenAI (OPENAI_FT_FLAVOR=azure)" in details
    assert "role-based access" in details and "deploy it into the other resource" in details
