"""Issue 25.2: modules/azure_deployment on real Terraform and OpenTofu against the emulator's Azure
resource and its Azure Resource Manager. examples/azure_openai trains, deploys and serves: a real
chat completion through the endpoint it outputs; a deployment Azure deleted for idleness is a
re-create and a warning in the plan, apply restores it, the next plan is clean; destroy deletes
the deployment and not the model. Faults of the PUT and of the reads that follow the operation
leave exactly one deployment. The served model's retirement warns within 90 days, not beyond."""

import datetime
import json
import os
import textwrap
import time
import urllib.error
import urllib.request

import pytest

import openai_ft_env as env

TOKEN = "arm-token-for-terraform-tests"
SUBSCRIPTION = "00000000-1111-2222-3333-444444444444"
GROUP = "rg"
ACCOUNT = "my-resource"
BASE_MODEL = "gpt-4.1-mini-2025-04-14"
FAST = ["-var=poll_interval=0.05"]


def collection(name: str = "") -> str:
    path = (f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}/providers/"
            f"Microsoft.CognitiveServices/accounts/{ACCOUNT}/deployments")
    return f"{path}/{name}" if name else path


def azure_emulator(bins, *switches):
    return env.Emulator(bins, 20, "--flavor", "azure", "--management-token", TOKEN, *switches)


def azure_env(bins, emu):
    """The example's environment: the data plane and ARM both at the emulator, a key for the
    one and a token for the other."""
    return {
        "PATH": f"{bins}{os.pathsep}{os.environ.get('PATH', '')}",
        "AZURE_OPENAI_ENDPOINT": emu.base,
        "AZURE_OPENAI_API_KEY": env.PROJECT_KEY,
        "AZURE_RESOURCE_MANAGER_ENDPOINT": emu.base,
        "AZURE_MANAGEMENT_TOKEN": TOKEN,
        "OPENAI_FT_FLAVOR": None,
        "OPENAI_API_VERSION": None,
        "OPENAI_API_KEY": None,
        "OPENAI_BASE_URL": None,
        "OPENAI_ADMIN_KEY": None,
        "OPENAI_FT_INPUT": None,
        "OPENAI_FT_CACHE_DIR": str(emu.cache_dir),
    }


def arm(emu, method, path):
    """One ARM request, as a user's own script would send it: (status, body)."""
    req = urllib.request.Request(f"{emu.base}{path}?api-version=2026-09-01", method=method)
    req.add_header("authorization", f"Bearer {TOKEN}")
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def deployments(emu) -> list[dict]:
    status, body = arm(emu, "GET", collection())
    assert status == 200, body
    return body["value"]


def chat(endpoint: str, model: str):
    """A chat completion through the endpoint output, with the resource's key: (status, body)."""
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "Hello"}]}).encode()
    req = urllib.request.Request(f"{endpoint}chat/completions", data=body, method="POST")
    req.add_header("api-key", env.PROJECT_KEY)
    req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def example(tmp_path, emu):
    workdir = env.copy_tree(tmp_path, "azure_openai")
    (workdir / "terraform.tfvars.json").write_text(json.dumps({
        "subscription_id": SUBSCRIPTION,
        "resource_group": GROUP,
        "account": ACCOUNT,
        "endpoint": emu.base,
    }))
    return workdir


IDLE_WARNING = ("openai-ft: deployment my-custom-model no longer exists: Azure deletes a fine-tuned "
                "model's deployment after 15 days without calls (a Developer one after 24 hours), "
                "or it was deleted outside Terraform; terraform apply deploys it again")


def test_example_trains_deploys_serves_and_restores_an_idle_deletion(terraform, openai_ft_bins, tmp_path):
    emu = azure_emulator(openai_ft_bins)
    try:
        tf = terraform(example(tmp_path, emu), env=azure_env(openai_ft_bins, emu))
        tf.init()
        tf.apply(*FAST)
        out = tf.output()
        assert out["endpoint"] == f"{emu.base}/openai/v1/"
        assert out["deployment"] == "my-custom-model"
        assert out["deployment_state"] == "Succeeded"
        model = out["fine_tuned_model"]
        assert model.startswith(f"{BASE_MODEL}.ft-")

        status, answer = chat(out["endpoint"], out["deployment"])
        assert status == 200, answer
        assert answer["object"] == "chat.completion" and answer["model"] == model
        assert answer["choices"][0]["message"]["role"] == "assistant"
        # The model's own name is not a deployment: Azure serves names of deployments only.
        assert chat(out["endpoint"], model)[0] == 404
        [made] = deployments(emu)
        assert made["properties"]["model"]["name"] == model
        assert tf.plan(*FAST).changes is False

        # Azure deletes it for idleness: calls fail, the plan re-creates it and says why.
        emu.control("POST", "/_emulator/deployments/my-custom-model/idle")
        status, gone = chat(out["endpoint"], out["deployment"])
        assert (status, gone["error"]["code"]) == (404, "DeploymentNotFound")
        seen = len(emu.log())
        text = env.plan_text(tf, *FAST)
        assert "Warning: Check block assertion failed" in text
        assert IDLE_WARNING in text
        assert "module.deployment.terraform_data.ensure must be replaced" in text
        replan = tf.plan(*FAST)
        assert env.managed_actions(replan) == {
            "module.deployment.terraform_data.ensure": ["delete", "create"],
        }
        assert env.writes(emu.log()[seen:]) == []

        tf.apply("tfplan")
        assert tf.output("deployment_state") == "Succeeded"
        assert chat(out["endpoint"], out["deployment"])[0] == 200
        assert len(deployments(emu)) == 1
        assert IDLE_WARNING not in env.plan_text(tf, *FAST)
        assert tf.plan(*FAST).changes is False

        tf.destroy(*FAST)
        assert deployments(emu) == []
        # The model stays: destroy deleted the deployment only.
        req = urllib.request.Request(f"{emu.base}/openai/v1/models/{model}")
        req.add_header("api-key", env.PROJECT_KEY)
        with urllib.request.urlopen(req) as resp:
            assert json.loads(resp.read())["id"] == model
        counts = emu.counts()
        assert counts.get(f"PUT {collection('my-custom-model')}") == 2, counts
        assert counts.get(f"DELETE {collection('my-custom-model')}") == 1, counts
        assert not [k for k in counts if k.startswith("DELETE /openai")], counts
        state = (tf.workdir / "terraform.tfstate").read_text()
        env.assert_no_key("terraform.tfstate", state)
        assert TOKEN not in state
    finally:
        emu.stop()


# The module alone, deploying a base model: nothing to train first.
CONFIG = textwrap.dedent(
    """
    module "deployment" {
      source = "./modules/azure_deployment"

      model           = "%(model)s"
      subscription_id = "%(subscription)s"
      resource_group  = "%(group)s"
      account         = "%(account)s"
      name            = "served"
      poll_interval   = 0.05
    }

    output "state" {
      value = module.deployment.state
    }

    output "model_shutdown_date" {
      value = module.deployment.model_shutdown_date
    }
    """
    % {"model": BASE_MODEL, "subscription": SUBSCRIPTION, "group": GROUP, "account": ACCOUNT}
)


def module_root(tmp_path):
    env.copy_tree(tmp_path)
    (tmp_path / "main.tf").write_text(CONFIG)
    return tmp_path


FAULTS = {
    # The PUT stored, its answer lost or an error.
    "put-commit-then-500": {"method": "PUT", "fault": "commit_then_500"},
    "put-commit-then-drop": {"method": "PUT", "fault": "commit_then_drop"},
    # Refused three times in a row, then let through.
    "put-500-x3": {"method": "PUT", "fault": 500, "times": 3},
    # A slow commit: stored after the client's 2 s timeout gave up on the answer.
    "put-slow-commit": {"method": "PUT", "fault": "delay", "delay_ms": 4000},
    # The reads that follow the operation (the first read, before the PUT, goes through).
    "poll-500": {"method": "GET", "fault": 500, "after": 1, "times": 2},
    "poll-reset": {"method": "GET", "fault": "reset", "after": 1},
}


@pytest.mark.parametrize("fault", FAULTS)
def test_faults_during_the_put_and_the_operation_leave_one_deployment(fault, terraform, openai_ft_bins, tmp_path):
    emu = azure_emulator(openai_ft_bins, "--arm-steps", "3")
    try:
        tf = terraform(module_root(tmp_path), env={**azure_env(openai_ft_bins, emu), "OPENAI_FT_TIMEOUT": "2"})
        tf.init()
        tf.plan()
        emu.control("POST", "/_emulator/faults", {**FAULTS[fault], "path": collection("served")})
        tf.apply("tfplan")
        assert emu.control("GET", "/_emulator/faults") == {"faults": []}, "the fault was not met"
        # A slow commit lands after the client gave up, perhaps after the apply: wait for it
        # (bounded), then count.
        deadline = time.monotonic() + 15
        while not [e for e in emu.log() if e["fault"] and e["path"] == collection("served")]:
            assert time.monotonic() < deadline, "the faulted request never reached the log"
            time.sleep(0.2)
        assert tf.output("state") == "Succeeded"
        [one] = deployments(emu)
        assert one["properties"]["provisioningState"] == "Succeeded"
        assert tf.plan().changes is False
        assert len(deployments(emu)) == 1
    finally:
        emu.stop()


def test_the_served_models_retirement_warns_within_90_days(terraform, openai_ft_bins, tmp_path):
    today = datetime.date.today()
    for days, warned in [(60, True), (90, True), (91, False), (120, False)]:
        date = (today + datetime.timedelta(days=days)).isoformat()
        emu = azure_emulator(openai_ft_bins, "--inference-retirement", f"{BASE_MODEL}={date}")
        try:
            root = module_root(tmp_path / str(days))
            tf = terraform(root, env=azure_env(openai_ft_bins, emu))
            tf.init()
            text = env.plan_text(tf)
            warning = (f"openai-ft: the deployed model {BASE_MODEL} shuts down on {date}, in {days} "
                       "days, and deployment served stops serving with it: train and deploy a "
                       "successor before then.")
            assert (warning in text) is warned, text
            assert ("Check block assertion failed" in text) is warned, text
            assert env.writes(emu.log()) == []
        finally:
            emu.stop()


# Every input through one JSON variable, so one init serves every refusal.
INPUTS = textwrap.dedent(
    """
    variable "inputs" {
      type = string
    }

    locals {
      inputs = jsondecode(var.inputs)
    }

    module "deployment" {
      source = "./modules/azure_deployment"

      model           = local.inputs.model
      subscription_id = local.inputs.subscription_id
      resource_group  = local.inputs.resource_group
      account         = local.inputs.account
      name            = local.inputs.name
      sku             = lookup(local.inputs, "sku", "Standard")
      capacity        = lookup(local.inputs, "capacity", 1)
      endpoint        = lookup(local.inputs, "endpoint", null)
    }
    """
)

VALID = {"model": BASE_MODEL, "subscription_id": SUBSCRIPTION, "resource_group": GROUP,
         "account": ACCOUNT, "name": "served"}

REFUSED = {
    "subscription name": ({"subscription_id": "my-subscription"}, "subscription_id must be a subscription id, a GUID"),
    "group ending in a period": ({"resource_group": "rg."}, "resource_group must be 1-90 letters"),
    "account with a space": ({"account": "my resource"}, "account must be the Azure OpenAI resource's name"),
    "name of one character": ({"name": "x"}, "name must be 2-64 letters"),
    "unknown sku": ({"sku": "Premium"}, "sku must be one of Standard, GlobalStandard"),
    "zero capacity": ({"capacity": 0}, "capacity must be a whole number from 1 to 100000."),
    "endpoint with a path": ({"endpoint": "https://x.openai.azure.com/openai/v1"}, "endpoint must be the resource's base URL"),
    "model with a space": ({"model": "my model"}, "model must be a model name"),
}


def test_bad_inputs_fail_the_plan_before_any_request(terraform, openai_ft_bins, tmp_path):
    emu = azure_emulator(openai_ft_bins)
    try:
        env.copy_tree(tmp_path)
        (tmp_path / "main.tf").write_text(INPUTS)
        tf = terraform(tmp_path, env=azure_env(openai_ft_bins, emu))
        tf.init()
        assert tf.plan("-var=inputs=" + json.dumps(VALID)).changes is True
        for case, (inputs, message) in REFUSED.items():
            arg = "-var=inputs=" + json.dumps({**VALID, **inputs})
            result = tf.run("plan", "-input=false", "-no-color", "-json", arg, ok=(1,))
            details = [d["detail"] for d in result.errors()]
            assert len(details) == 1 and details[0].startswith(message), (case, details)
        assert env.writes(emu.log()) == []
    finally:
        emu.stop()
