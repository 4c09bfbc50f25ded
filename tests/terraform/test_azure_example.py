"""examples/azure_openai on real Terraform and OpenTofu against the emulator's Azure resource,
configured by the environment alone, under each way Microsoft's specs allow the resource to behave
(v1 keeping its metadata, v1 keeping neither metadata nor suffix, the dated preview, the dated GA):
apply under a create whose answer is lost (a 500 after the server stored the job), a plan that
changes and writes nothing, a re-apply, an apply interrupted after the create (the job exists, the
state does not know it), destroy: exactly one job per request throughout, and one deployment of
its model (test_azure_deployment.py calls it and deletes it behind Terraform's back). And Azure's retirement
dates in the plan: a base model whose fine-tuning retires in 30 days is a plan warning, one whose
fine-tuning has retired fails the plan with nothing written."""

import datetime
import json
import os

import pytest

import openai_ft_env as env

# name: (flavour, api-version, the emulator's switches)
SERVERS = {
    "v1": ("azure", None, ()),
    "v1-keeps-nothing": (
        "azure",
        None,
        ("--v1-metadata", "drop", "--v1-user-provided-suffix", "drop", "--v1-statuses", "azure",
         "--v1-creates-201"),
    ),
    "2025-04-01-preview": ("azure-classic", "2025-04-01-preview", ()),
    "2024-10-21": ("azure-classic", "2024-10-21", ()),
}

MODEL = "gpt-4.1-mini-2025-04-14"
# Azure Resource Manager's side: the emulator's token, and where the example deploys.
ARM_TOKEN = "arm-token-for-terraform-tests"
DEPLOYMENT = ("/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/"
              "Microsoft.CognitiveServices/accounts/my-resource/deployments/my-custom-model")


def azure_env(bins, emu, flavor, version):
    return {
        "PATH": f"{bins}{os.pathsep}{os.environ.get('PATH', '')}",
        "AZURE_OPENAI_ENDPOINT": emu.base,
        "AZURE_OPENAI_API_KEY": env.PROJECT_KEY,
        "AZURE_RESOURCE_MANAGER_ENDPOINT": emu.base,
        "AZURE_MANAGEMENT_TOKEN": ARM_TOKEN,
        "OPENAI_FT_FLAVOR": flavor,
        "OPENAI_API_VERSION": version,
        "OPENAI_API_KEY": None,
        "OPENAI_BASE_URL": None,
        "OPENAI_ADMIN_KEY": None,
        "OPENAI_FT_CACHE_DIR": str(emu.cache_dir),
    }


def example(tmp_path, version):
    workdir = env.copy_tree(tmp_path, "azure_openai")
    variables = {
        "subscription_id": "00000000-1111-2222-3333-444444444444",
        "resource_group": "rg",
        "account": "my-resource",
    }
    if version == "2024-10-21":
        # That version takes no training type (refused at plan otherwise).
        variables["training_type"] = None
    (workdir / "terraform.tfvars.json").write_text(json.dumps(variables))
    return workdir


def start(bins, flavor, *switches):
    return env.Emulator(bins, 20, "--flavor", flavor, "--management-token", ARM_TOKEN, *switches)


@pytest.mark.parametrize("server", SERVERS)
def test_azure_example(server, terraform, openai_ft_bins, tmp_path):
    flavor, version, switches = SERVERS[server]
    emu = start(openai_ft_bins, flavor, *switches)
    try:
        tf = terraform(example(tmp_path, version), env=azure_env(openai_ft_bins, emu, flavor, version))
        fast = ["-var=poll_interval=0.05"]
        creates = f"POST {'/openai/v1' if flavor == 'azure' else '/openai'}/fine_tuning/jobs"
        tf.init()
        # The first create is stored, then answered with a 500: found, not sent again.
        emu.control("POST", "/_emulator/faults",
                    {"method": "POST", "path": creates.split()[1], "fault": "commit_then_500"})
        tf.apply(*fast)
        out = tf.output()
        assert out["status"] == "succeeded"
        assert out["fine_tuned_model"].startswith(f"{MODEL}.ft-")
        assert (out["deployment"], out["deployment_state"]) == ("my-custom-model", "Succeeded")
        # No endpoint variable: the resource's default host, named by its account.
        assert out["endpoint"] == "https://my-resource.openai.azure.com/openai/v1/"
        assert emu.counts()[creates] == 1
        before = len(emu.log())
        assert tf.plan(*fast).changes is False
        assert env.writes(emu.log()[before:]) == []
        tf.apply(*fast)
        # An apply interrupted after `job ensure` created the job: the state never heard of it.
        tf.run("state", "rm", "module.fine_tuning.terraform_data.job",
               "module.fine_tuning.terraform_data.wait[0]")
        tf.apply(*fast)
        assert tf.output("job_id") == out["job_id"]
        tf.destroy(*fast)
        counts = emu.counts()
        assert counts[creates] == 1
        # One deployment, made once and deleted by destroy; nothing else deleted.
        assert (counts[f"PUT {DEPLOYMENT}"], counts[f"DELETE {DEPLOYMENT}"]) == (1, 1), counts
        jobs = emu.control("GET", "/_emulator/requests/log")
        assert [j for j in jobs if j["method"] == "DELETE" and j["path"] != DEPLOYMENT] == []
        state = (tf.workdir / "terraform.tfstate").read_text()
        assert env.PROJECT_KEY not in state
    finally:
        emu.stop()


@pytest.mark.parametrize("server", ["v1", "2025-04-01-preview"])
def test_azure_retirement_dates_are_in_the_plan(server, terraform, openai_ft_bins, tmp_path):
    flavor, version, switches = SERVERS[server]
    today = datetime.date.today()
    soon = (today + datetime.timedelta(days=30)).isoformat()
    emu = start(openai_ft_bins, flavor, *switches, "--fine-tune-retirement", f"{MODEL}={soon}")
    try:
        tf = terraform(example(tmp_path, version), env=azure_env(openai_ft_bins, emu, flavor, version))
        tf.init()
        text = env.plan_text(tf)
        assert "Warning: Check block assertion failed" in text
        assert (f"openai-ft: the base model {MODEL} stops taking fine-tuning jobs on {soon}, "
                "in 30 days.") in text
        assert env.writes(emu.log()) == []
    finally:
        emu.stop()
    gone = (today - datetime.timedelta(days=1)).isoformat()
    emu = start(openai_ft_bins, flavor, *switches, "--fine-tune-retirement", f"{MODEL}={gone}")
    try:
        tf = terraform(tmp_path / "examples" / "azure_openai",
                       env=azure_env(openai_ft_bins, emu, flavor, version))
        error = env.failure(tf.plan, what=f"{MODEL}'s fine-tuning retired on {gone}")
        assert error["address"] == "module.fine_tuning.data.external.check"
        assert (f"refusing to start training on {MODEL}: Azure OpenAI retired it for fine-tuning "
                f"on {gone} (its deprecation.fine_tune)") in error["detail"]
        assert env.writes(emu.log()) == []
    finally:
        emu.stop()
