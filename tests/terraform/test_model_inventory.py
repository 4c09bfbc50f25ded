"""Issue 25.4 and 25.5 on real Terraform and OpenTofu against the emulator: modules/model_inventory
lists exactly the fine-tuned models and checkpoints the emulator holds, with their dates, on the
OpenAI flavour and both Azure flavours, and `terraform plan` names every one within 90 days of its
end and no other; examples/retrain_on_azure reads an OpenAI inventory and trains its models again
on Azure with the carried requests."""

import datetime
import json
import os
import subprocess
import textwrap
import urllib.request

import pytest

import openai_ft_env as env

NEAR, FAR = "gpt-4o-mini-2024-07-18", "gpt-4.1-mini-2025-04-14"
SOON = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
LATER = (datetime.date.today() + datetime.timedelta(days=200)).isoformat()

# Two jobs, one on a base model that ends in 30 days and one on a base that ends in 200.
TRAIN = textwrap.dedent(
    """
    variable "training_type" {
      type    = string
      default = null
    }

    module "data" {
      source = "./modules/training_file"
      path   = "${path.module}/train.jsonl"
    }

    module "job" {
      source   = "./modules/fine_tuning"
      for_each = { near = "%s", far = "%s" }

      model         = each.value
      training_file = module.data.id
      suffix        = each.key
      training_type = var.training_type
      poll_interval = 0.05
      hyperparameters = { n_epochs = "2" }
    }

    output "ids" {
      value = { for k, m in module.job : k => m.id }
    }
    """
    % (NEAR, FAR)
)

INVENTORY = textwrap.dedent(
    """
    module "inventory" {
      source = "./modules/model_inventory"
      format = "markdown"
    }

    output "models" {
      value = module.inventory.models
    }

    output "count" {
      value = module.inventory.count
    }

    output "nearest_shutdown" {
      value = module.inventory.nearest_shutdown
    }

    output "table" {
      value = module.inventory.table
    }
    """
)

# name: (flavour, api-version, the emulator's date flags, training_type)
SERVERS = {
    "openai": ("openai", None, ("--model-shutdown", f"{NEAR}={SOON}", "--model-shutdown", f"{FAR}={LATER}"), None),
    "azure-v1": ("azure", None, ("--inference-retirement", f"{NEAR}={SOON}", "--inference-retirement", f"{FAR}={LATER}"), "Standard"),
    "azure-classic": (
        "azure-classic",
        "2025-04-01-preview",
        ("--inference-retirement", f"{NEAR}={SOON}", "--inference-retirement", f"{FAR}={LATER}"),
        "Standard",
    ),
}


def server_env(bins, emu, flavor, version) -> dict:
    if flavor == "openai":
        return env.terraform_env(bins, emu)
    return {
        "PATH": f"{bins}{os.pathsep}{os.environ.get('PATH', '')}",
        "AZURE_OPENAI_ENDPOINT": emu.base,
        "AZURE_OPENAI_API_KEY": env.PROJECT_KEY,
        "OPENAI_FT_FLAVOR": flavor,
        "OPENAI_API_VERSION": version,
        "OPENAI_API_KEY": None,
        "OPENAI_BASE_URL": None,
        "OPENAI_ADMIN_KEY": None,
        "OPENAI_FT_INPUT": None,
        "OPENAI_FT_CACHE_DIR": str(emu.cache_dir),
    }


def api(emu, flavor, version, path):
    """One GET of the flavour's API, as a user's own script would send it."""
    if flavor == "openai":
        return emu.api(path)
    url = emu.base + ("/openai/v1" if flavor == "azure" else "/openai") + path
    if version:
        url += ("&" if "?" in path else "?") + f"api-version={version}"
    req = urllib.request.Request(url)
    req.add_header("api-key", env.PROJECT_KEY)
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read())


def held(emu, flavor, version, jobs: list[str]) -> dict[str, str]:
    """model -> its base, for every fine-tuned model and checkpoint the emulator's API holds."""
    out = {}
    for job_id in jobs:
        job = api(emu, flavor, version, f"/fine_tuning/jobs/{job_id}")
        out[job["fine_tuned_model"]] = job["model"]
        for c in api(emu, flavor, version, f"/fine_tuning/jobs/{job_id}/checkpoints?limit=100")["data"]:
            out[c["fine_tuned_model_checkpoint"]] = job["model"]
    return out


def train(terraform, bins, emu, tmp_path, server_env_, training_type):
    workdir = env.copy_tree(tmp_path / "train")
    (workdir / "main.tf").write_text(TRAIN)
    (workdir / "train.jsonl").write_bytes((env.EXAMPLES / "basic" / "data" / "train.jsonl").read_bytes())
    if training_type:
        (workdir / "terraform.tfvars.json").write_text(json.dumps({"training_type": training_type}))
    tf = terraform(workdir, env=server_env_)
    tf.init()
    tf.apply()
    return sorted(tf.output("ids").values())


@pytest.mark.parametrize("server", SERVERS)
def test_the_inventory_lists_what_the_emulator_holds_and_the_plan_names_what_ends_soon(
    server, terraform, openai_ft_bins, tmp_path
):
    flavor, version, dates, training_type = SERVERS[server]
    emu = env.Emulator(openai_ft_bins, 20, "--flavor", flavor, *dates)
    try:
        environ = server_env(openai_ft_bins, emu, flavor, version)
        jobs = train(terraform, openai_ft_bins, emu, tmp_path, environ, training_type)
        assert len(jobs) == 2
        holds = held(emu, flavor, version, jobs)

        workdir = env.copy_tree(tmp_path / "inventory")
        (workdir / "main.tf").write_text(INVENTORY)
        tf = terraform(workdir, env=environ)
        tf.init()
        seen = len(emu.log())
        text = env.plan_text(tf)
        assert env.writes(emu.log()[seen:]) == [], "the plan wrote nothing"
        near = sorted(m for m, base in holds.items() if base == NEAR)
        far = sorted(m for m, base in holds.items() if base == FAR)
        assert near and far
        for model in near:
            assert f"openai-ft: the {'checkpoint' if 'ckpt' in model else 'fine-tuned model'} {model} shuts down on {SOON}, in 30 days." in text, text
        for model in far:
            assert f"{model} shuts down" not in text, f"{model} ends in 200 days, not within 90"
        assert text.count("Warning: Check block assertion failed") >= 1

        tf.apply()
        out = tf.output()
        listed = {m["model"]: m for m in out["models"]}
        assert {m: l["base_model"] for m, l in listed.items()} == holds, "exactly what the emulator holds"
        assert out["count"] == len(holds)
        for model, m in listed.items():
            soon = holds[model] == NEAR
            assert m["shutdown_date"] == (SOON if soon else LATER), m
            assert m["days_left"] == (30 if soon else 200), m
            assert m["job"] in jobs and m["retrain"]["model"] == holds[model], m
        assert out["nearest_shutdown"]["date"] == SOON
        assert out["nearest_shutdown"]["days_left"] == 30
        assert len(out["table"].splitlines()) == len(holds) + 2
    finally:
        emu.stop()


def test_the_retrain_example_trains_the_openai_models_again_on_azure(terraform, openai_ft_bins, tmp_path):
    openai = env.Emulator(openai_ft_bins, 20, "--model-shutdown", f"{NEAR}={SOON}")
    azure = env.Emulator(openai_ft_bins, 20, "--flavor", "azure")
    try:
        jobs = train(terraform, openai_ft_bins, openai, tmp_path, env.terraform_env(openai_ft_bins, openai), None)
        # The inventory, read with OpenAI's environment and saved, as the example's README says.
        listing = subprocess.run(
            [str(openai_ft_bins / "openai-ft"), "models", "inventory"],
            input="{}",
            capture_output=True,
            text=True,
            env={**{k: v for k, v in env.terraform_env(openai_ft_bins, openai).items() if v is not None}},
            check=True,
        )
        workdir = env.copy_tree(tmp_path / "retrain", "retrain_on_azure")
        (workdir / "openai-inventory.json").write_text(listing.stdout)
        training_file = openai.api(f"/fine_tuning/jobs/{jobs[0]}")["training_file"]
        (workdir / "terraform.tfvars.json").write_text(
            json.dumps(
                {
                    "training_files": {training_file: "data/train.jsonl"},
                    "base_models": {NEAR: NEAR},
                }
            )
        )
        tf = terraform(workdir, env=server_env(openai_ft_bins, azure, "azure", None))
        tf.init()
        tf.apply("-var=poll_interval=0.05")
        out = tf.output()
        tuned = {openai.api(f"/fine_tuning/jobs/{j}")["fine_tuned_model"]: j for j in jobs}
        near = [m for m in tuned if m.startswith(f"ft:{NEAR}:")]
        assert sorted(out["retrained"]) == near, out
        assert out["skipped"] == [m for m in tuned if m.startswith(f"ft:{FAR}:")]
        for model, job in out["retrained"].items():
            assert job["status"] == "succeeded"
            azure_job = api(azure, "azure", None, f"/fine_tuning/jobs/{job['job_id']}")
            original = openai.api(f"/fine_tuning/jobs/{tuned[model]}")
            assert azure_job["model"] == NEAR
            assert azure_job["method"]["supervised"]["hyperparameters"]["n_epochs"] == 2
            # The user's suffix, and the tag openai-ft adds on Azure.
            assert azure_job["user_provided_suffix"].startswith(original["user_provided_suffix"] + "-oaift")
        # Again: no changes.
        assert tf.plan("-var=poll_interval=0.05").changes is False
    finally:
        openai.stop()
        azure.stop()
