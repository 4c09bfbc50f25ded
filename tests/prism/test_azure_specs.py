"""Every openai-ft command against each Azure OpenAI surface, through Prism serving Microsoft's own
spec of that surface as a validating proxy in front of the emulator: zero violations, request or
response, and no command hangs. The v1 API (`azure-v1-v1-generated.yaml`), the newest GA dated
version (2024-10-21) and the newest dated preview (2025-04-01-preview). What a surface cannot
express is refused by openai-ft before any request, with the line that says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import prism_proxy

REPO = prism_proxy.REPO
sys.path.insert(0, str(REPO / "tests" / "python"))
sys.path.insert(0, str(REPO / "tests" / "terraform"))
import openai_ft_env  # noqa: E402
from emulator_fixture import PROJECT_KEY, validate_journal  # noqa: E402

DATA = REPO / "tests" / "data"
# No command may take longer than this: a hang is a failure, not a stuck run.
COMMAND_TIMEOUT = 120

GRADER = json.dumps({
    "type": "string_check", "name": "exact", "input": "{{sample.output_text}}",
    "reference": "{{item.label}}", "operation": "eq",
})


class Run:
    """openai-ft against one surface through Prism; every command's outcome is kept."""

    def __init__(self, bins: Path, env: dict[str, str]):
        self.bins = bins
        self.env = env

    def __call__(self, noun_verb: str, input: dict, ok: bool = True) -> dict | str:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_OPENAI_"))}
        env.update(self.env)
        done = subprocess.run(
            [str(self.bins / "openai-ft"), *noun_verb.split()],
            input=json.dumps(input), capture_output=True, text=True, env=env,
            timeout=COMMAND_TIMEOUT,
        )
        if ok:
            assert done.returncode == 0, f"{noun_verb} failed: {done.stderr}"
            return json.loads(done.stdout)
        assert done.returncode == 1 and done.stdout == "", f"{noun_verb}: {done.stdout} {done.stderr}"
        return done.stderr.strip().splitlines()[-1].removeprefix("openai-ft: ")


def request(file: str, **extra) -> dict:
    return {"model": "gpt-4o-mini", "training_file": file, "suffix": "prism",
            "hyperparameters": json.dumps({"n_epochs": 1}), **extra}


# Each surface under test: what serves the resource's address (the v1 flavour also reads the
# resource's dated models endpoint for retirement dates), the flavour and the api-version.
SURFACES = {
    "v1": ([("/openai/v1", prism_proxy.V1), ("/openai", prism_proxy.GA)], "azure", None),
    "2024-10-21": ([("/openai", prism_proxy.GA)], "azure-classic", "2024-10-21"),
    "2025-04-01-preview": ([("/openai", prism_proxy.PREVIEW)], "azure-classic", "2025-04-01-preview"),
}


@pytest.mark.parametrize("name", SURFACES)
def test_every_command_conforms(name, tmp_path):
    routes, flavor, version = SURFACES[name]
    bins = openai_ft_env.bin_dir()
    emu = openai_ft_env.Emulator(bins, 20, "--flavor", flavor)
    prism = None
    try:
        prism = prism_proxy.Resource(routes, emu.base, tmp_path)
        run = Run(bins, {
            "OPENAI_FT_FLAVOR": flavor,
            "AZURE_OPENAI_ENDPOINT": prism.url,
            "AZURE_OPENAI_API_KEY": PROJECT_KEY,
            **({"OPENAI_API_VERSION": version} if version else {}),
        })
        exercise(run, name)
        assert prism.violations() == [], "\n".join(prism.violations())
        assert all(prism.forwarded.values()), prism.forwarded
        validate_journal(emu.control("GET", "/_emulator/journal"))
    finally:
        if prism:
            prism.stop()
        emu.stop()


def exercise(run: Run, name: str):
    ga = name == "2024-10-21"
    sft = str(DATA / "supervised.jsonl")
    assert run("file validate", {"path": sft})["examples"]
    uploaded = run("file upload", {"path": sft})
    file = uploaded["id"]
    assert run("file upload", {"path": sft})["id"] == file
    assert run("file read", {"path": sft})["id"] == file

    assert run("job check", request(file))["model"] == "gpt-4o-mini"
    done = run("job ensure", request(file, wait="true", poll_interval="0.05"))
    assert done["status"] == "succeeded", done
    again = run("job ensure", request(file))
    assert (again["id"], again["created"]) == (done["id"], "false")
    read = run("job read", {**request(file), "checkpoints": "true", "shutdown_dates": "true"})
    assert read["id"] == done["id"] and read["base_model_shutdown_date"]
    assert run("job read", {"id": done["id"]})["status"] == "succeeded"
    assert run("job read", {"idempotency_key": done["idempotency_key"]})["id"] == done["id"]
    assert int(run("job list", {"limit": "5"})["count"]) >= 1
    assert run("job cancel", request(file))["status"] == "succeeded"

    # A job left running, to pause, resume and cancel where the surface can.
    long = request(file, suffix="long", hyperparameters=json.dumps({"n_epochs": 50}))
    job = run("job ensure", long)["id"]
    if ga:
        line = run("job pause", {"id": job}, ok=False)
        assert line.startswith(f"cannot pause {job}: Azure OpenAI's GA api-version (2024-10-21)"), line
    else:
        deadline = time.monotonic() + 30
        while run("job read", {"id": job})["status"] != "running":
            assert time.monotonic() < deadline, "the job never ran"
            time.sleep(0.05)
        run("job pause", {"id": job})
        run("job resume", {"id": job})
    assert run("job cancel", long)["status"] == "cancelled"

    # The methods and settings each surface has; the others refused before any request.
    dpo_file = run("file upload", {"path": str(DATA / "dpo.jsonl"), "training_method": "dpo"})["id"]
    dpo = request(dpo_file, suffix="dpo", training_method="dpo",
                  hyperparameters=json.dumps({"beta": 0.2}))
    tier = {"training_type": "GlobalStandard"}
    if ga:
        line = run("job check", dpo, ok=False)
        assert line.startswith('invalid training_method "dpo": Azure OpenAI\'s GA api-version'), line
        line = run("job check", request(file, **tier), ok=False)
        assert line.startswith('invalid training_type "globalstandard"'), line
    else:
        assert run("job ensure", {**dpo, **tier})["id"]
    rft_file = run("file upload", {"path": str(DATA / "reinforcement.jsonl"),
                                    "training_method": "reinforcement"})["id"]
    rft = {"model": "o4-mini", "training_file": rft_file, "suffix": "rft",
           "training_method": "reinforcement", "grader": GRADER}
    if name == "v1":
        assert run("job ensure", rft)["id"]
    else:
        line = run("job check", rft, ok=False)
        assert line.startswith('invalid training_method "reinforcement"'), line

    checkpoint = {"checkpoint": "ft:gpt-4o-mini-2024-07-18:org:x:abc"}
    for verb, input in [("check", {}), ("read", checkpoint),
                        ("grant", {**checkpoint, "project_ids": '["proj_1"]'}),
                        ("revoke", {**checkpoint, "project_ids": '["proj_1"]'})]:
        line = run(f"permissions {verb}", input, ok=False)
        assert line.startswith("checkpoint permissions do not exist on Azure OpenAI"), line


def test_the_proxy_reports_what_the_specs_refuse(tmp_path):
    """The harness has teeth: a request a spec refuses, and an answer it refuses, are reported."""
    import urllib.error
    import urllib.request

    bins = openai_ft_env.bin_dir()
    emu = openai_ft_env.Emulator(bins, 20, "--flavor", "azure", "--v1-expires-after", "optional")
    resource = None
    try:
        resource = prism_proxy.Resource([("/openai/v1", prism_proxy.V1)], emu.base, tmp_path)

        def send(path, body, content_type):
            req = urllib.request.Request(resource.url + path, data=body, method="POST")
            req.add_header("api-key", PROJECT_KEY)
            req.add_header("content-type", content_type)
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    return r.status
            except urllib.error.HTTPError as e:
                return e.code

        # An upload without v1's required expires_after (which this emulator would take).
        b = "teeth"
        form = (f"--{b}\r\ncontent-disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
                f"--{b}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"t.jsonl\"\r\n"
                "content-type: application/octet-stream\r\n\r\n"
                "{}\r\n" f"--{b}--\r\n").encode()
        assert send("/openai/v1/files", form, f"multipart/form-data; boundary={b}") == 422
        found = resource.violations()
        assert any("expires_after" in v for v in found), found
    finally:
        if resource:
            resource.stop()
        emu.stop()


MANAGEMENT_TOKEN = "arm-token-prism-0123"
SUBSCRIPTION = "00000000-1111-2222-3333-444444444444"


def test_deployments_conform_to_arm(tmp_path):
    """`deployment ensure | read | delete` through Prism serving the ARM spec of
    Microsoft.CognitiveServices (2026-09-01) in front of the emulator's ARM: a create followed
    through Accepted and Creating, an update, an idle deletion seen and restored, a deletion
    followed to its 404, a refused model: zero violations, request or response."""
    bins = openai_ft_env.bin_dir()
    emu = openai_ft_env.Emulator(bins, 20, "--flavor", "azure", "--management-token", MANAGEMENT_TOKEN)
    prism = None
    try:
        prism = prism_proxy.Resource([("/subscriptions", prism_proxy.ARM)], emu.base, tmp_path)
        run = Run(bins, {
            "AZURE_OPENAI_ENDPOINT": emu.base,
            "AZURE_OPENAI_API_KEY": PROJECT_KEY,
            "AZURE_RESOURCE_MANAGER_ENDPOINT": prism.url,
            "AZURE_MANAGEMENT_TOKEN": MANAGEMENT_TOKEN,
        })
        at = {"subscription_id": SUBSCRIPTION, "resource_group": "rg-prism", "account": "res",
              "name": "served", "poll_interval": "0.05"}
        spec = {**at, "model": "gpt-4o-mini-2024-07-18", "sku": "Standard", "capacity": "1"}
        made = run("deployment ensure", spec)
        assert (made["provisioning_state"], made["created"]) == ("Succeeded", "true"), made
        assert run("deployment ensure", spec)["created"] == "false"
        assert run("deployment ensure", {**spec, "capacity": "3"})["capacity"] == "3"
        assert run("deployment read", spec)["serves"] == "false"
        emu.control("POST", "/_emulator/deployments/served/idle")
        assert run("deployment read", spec)["exists"] == "false"
        assert run("deployment ensure", spec)["created"] == "true"
        assert run("deployment delete", at)["deleted"] == "true"
        assert run("deployment delete", at)["deleted"] == "false"
        line = run("deployment ensure", {**spec, "model": "no-such-model"}, ok=False)
        assert "DeploymentModelNotSupported" in line, line
        assert prism.violations() == [], "\n".join(prism.violations())
        assert prism.forwarded["/subscriptions"] > 10, prism.forwarded
    finally:
        if prism:
            prism.stop()
        emu.stop()
