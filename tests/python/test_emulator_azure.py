"""Drives openai-ft-emulator's Azure flavours with the official `openai` SDK the way Azure users do:
`OpenAI(base_url=<endpoint>/openai/v1)` against `--flavor azure`, and `AzureOpenAI(azure_endpoint=,
api_version=)` (which sends `api-key` and `?api-version=`) against `--flavor azure-classic`. Every
response is also checked against its surface's spec (see `validate_azure_entry`)."""

import io
import json
import time

import openai
import pytest

from emulator_fixture import PROJECT_KEY, Emulator, validate_journal

ROWS = [
    {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}
    for i in range(4)
]
ENTRA_TOKEN = "entra-token-for-python-tests"


def start(flavor, *switches, step_ms=20):
    return Emulator("--flavor", flavor, "--ad-token", ENTRA_TOKEN, *switches, step_ms=step_ms)


@pytest.fixture
def v1():
    e = start("azure")
    try:
        yield e
        validate_journal(e.control("GET", "/_emulator/journal"))
    finally:
        e.stop()


@pytest.fixture
def classic():
    e = start("azure-classic")
    try:
        yield e
        validate_journal(e.control("GET", "/_emulator/journal"))
    finally:
        e.stop()


# v1's schema requires an expiry; 30 days is within every surface's range.
EXPIRY = {"anchor": "created_at", "seconds": 2592000}


def upload_processed(c, **extra):
    data = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
    f = c.files.create(file=("train.jsonl", io.BytesIO(data)), purpose="fine-tune", **extra)
    assert f.status == "pending"
    deadline = time.monotonic() + 10
    while f.status != "processed":
        assert f.status in ("pending", "running"), f
        assert time.monotonic() < deadline
        time.sleep(0.02)
        f = c.files.retrieve(f.id)
    return f


def wait_status(c, job_id, wanted, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        job = c.fine_tuning.jobs.retrieve(job_id)
        if job.status == wanted:
            return job
        assert time.monotonic() < deadline, f"job stuck in {job.status}"
        time.sleep(0.01)


def test_openai_client_on_the_v1_surface(v1):
    c = openai.OpenAI(base_url=v1.base + "/openai/v1", api_key=PROJECT_KEY, max_retries=0)
    with pytest.raises(openai.BadRequestError) as no_expiry:
        upload_processed(c)
    assert no_expiry.value.body["param"] == "expires_after"
    f = upload_processed(c, expires_after=EXPIRY)
    with pytest.raises(openai.BadRequestError) as spelled:
        c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=f.id,
                                  extra_body={"trainingType": "globalstandard"})
    assert spelled.value.body["param"] == "trainingType"
    job = c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=f.id, metadata={"team": "ml"},
                                    extra_body={"trainingType": "GlobalStandard"})
    assert job.status == "validating_files" and job.organization_id == "org-emulator"
    assert job.metadata == {"team": "ml"}
    done = wait_status(c, job.id, "succeeded")
    assert done.fine_tuned_model == f"gpt-4o-mini-2024-07-18.ft-{job.id.removeprefix('ftjob-')}"
    # The metadata filter is ignored on Azure: a non-matching filter still lists the job.
    listed = c.fine_tuning.jobs.list(metadata={"team": "nobody"})
    assert [j.id for j in listed.data] == [job.id]
    ckpts = list(c.fine_tuning.jobs.checkpoints.list(job.id))
    assert ckpts and all(":ckpt-step-" in k.fine_tuned_model_checkpoint for k in ckpts)
    with pytest.raises(openai.NotFoundError):
        c.fine_tuning.checkpoints.permissions.list(ckpts[0].fine_tuned_model_checkpoint)
    with pytest.raises(openai.AuthenticationError) as bad:
        openai.OpenAI(base_url=v1.base + "/openai/v1", api_key="wrong", max_retries=0).models.list()
    assert bad.value.code == "401"
    assert bad.value.response.headers["apim-request-id"]
    entra = openai.OpenAI(base_url=v1.base + "/openai/v1", api_key=ENTRA_TOKEN, max_retries=0)
    assert entra.models.retrieve("gpt-4.1").id == "gpt-4.1"


@pytest.mark.parametrize("statuses", ["spec", "azure"])
def test_openai_client_sees_pause_and_resume_states(statuses):
    slow = start("azure", "--v1-statuses", statuses, step_ms=150)
    try:
        c = openai.OpenAI(base_url=slow.base + "/openai/v1", api_key=PROJECT_KEY, max_retries=0)
        f = upload_processed(c, expires_after=EXPIRY)
        job = c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=f.id,
                                        hyperparameters={"n_epochs": 5})
        assert job.status == ("pending" if statuses == "azure" else "validating_files")
        wait_status(c, job.id, "running")
        paused, resumed = ("pausing", "resuming") if statuses == "azure" else ("paused", "running")
        assert c.fine_tuning.jobs.pause(job.id).status == paused
        wait_status(c, job.id, "paused")
        assert c.fine_tuning.jobs.resume(job.id).status == resumed
        wait_status(c, job.id, "running")
        assert c.fine_tuning.jobs.cancel(job.id).status == "cancelled"
        validate_journal(slow.control("GET", "/_emulator/journal"))
    finally:
        slow.stop()


def test_azure_client_on_the_classic_surface(classic):
    c = openai.AzureOpenAI(azure_endpoint=classic.base, api_key=PROJECT_KEY,
                           api_version="2025-04-01-preview", max_retries=0)
    with pytest.raises(openai.BadRequestError) as early:
        data = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
        pending = c.files.create(file=("t.jsonl", io.BytesIO(data)), purpose="fine-tune")
        c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=pending.id)
    assert early.value.body["code"] == "unexpectedEntityState"
    f = upload_processed(c)
    raw = c.fine_tuning.jobs.with_raw_response.create(model="gpt-4o-mini", training_file=f.id,
                                                      extra_body={"trainingType": "developerTier"})
    assert raw.status_code == 201
    assert raw.headers["location"] == f"{classic.base}/openai/fine_tuning/jobs/{raw.parse().id}"
    job = raw.parse()
    assert job.status == "pending"
    # The dated job schema has neither, so the emulator sends neither.
    assert "trainingType" not in job.model_extra and "organisation_id" not in job.model_extra
    done = wait_status(c, job.id, "succeeded")
    assert done.fine_tuned_model.startswith("gpt-4o-mini-2024-07-18.ft-")
    with pytest.raises(openai.BadRequestError) as terminal:
        c.fine_tuning.jobs.cancel(job.id)
    assert terminal.value.body["code"] == "unexpectedEntityState"
    with pytest.raises(openai.BadRequestError) as old:
        openai.AzureOpenAI(azure_endpoint=classic.base, api_key=PROJECT_KEY,
                           api_version="2023-05-15", max_retries=0).models.list()
    assert old.value.body["target"] == "api-version"
    counts = classic.control("GET", "/_emulator/requests")
    assert counts["POST /openai/fine_tuning/jobs"] == 2


def test_azure_client_on_the_ga_version(classic):
    """2024-10-21: top-level hyperparameters, no `method` (refused), uploads answer 201."""
    c = openai.AzureOpenAI(azure_endpoint=classic.base, api_key=PROJECT_KEY,
                           api_version="2024-10-21", max_retries=0)
    raw = c.files.with_raw_response.create(
        file=("t.jsonl", io.BytesIO("".join(json.dumps(r) + "\n" for r in ROWS).encode())),
        purpose="fine-tune")
    assert raw.status_code == 201
    assert raw.headers["location"] == f"{classic.base}/openai/files/{raw.parse().id}"
    f = upload_processed(c)
    with pytest.raises(openai.BadRequestError) as method:
        c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=f.id,
                                  method={"type": "supervised"})
    assert "method" in method.value.body["message"]
    with pytest.raises(openai.BadRequestError) as auto:
        c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=f.id,
                                  hyperparameters={"n_epochs": "auto"})
    assert auto.value.body["target"] == "hyperparameters.n_epochs"
    job = c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=f.id,
                                    hyperparameters={"n_epochs": 2}, suffix="ga")
    assert job.hyperparameters.n_epochs == 2 and job.model_extra["suffix"] == "ga"
    assert job.method is None and job.integrations is None
    with pytest.raises(openai.NotFoundError):
        c.fine_tuning.jobs.pause(job.id)
    raw = c.fine_tuning.jobs.with_raw_response.retrieve(job.id)
    assert raw.status_code == 200
    model = c.models.retrieve("gpt-4o-mini-2024-07-18")
    assert model.model_extra["lifecycle_status"] == "generally-available"
    assert model.model_extra["deprecation"]["inference"] > 0


ARM_TOKEN = "arm-token-for-python-tests"
DEPLOYMENT = ("/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg/providers/"
              "Microsoft.CognitiveServices/accounts/res/deployments/served")


def arm(e, method, body=None):
    """One request to the emulator's Azure Resource Manager: (status, body)."""
    import urllib.error
    import urllib.request

    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{e.base}{DEPLOYMENT}?api-version=2026-09-01", data=data, method=method)
    req.add_header("authorization", f"Bearer {ARM_TOKEN}")
    req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def test_a_deployment_serves_chat_completions_through_the_v1_client():
    e = start("azure", "--management-token", ARM_TOKEN)
    try:
        c = openai.OpenAI(base_url=e.base + "/openai/v1", api_key=PROJECT_KEY, max_retries=0)
        ask = [{"role": "user", "content": "Hello"}]
        with pytest.raises(openai.NotFoundError) as none:
            c.chat.completions.create(model="served", messages=ask)
        assert none.value.body["code"] == "DeploymentNotFound"

        status, made = arm(e, "PUT", {"sku": {"name": "Standard", "capacity": 1},
                                      "properties": {"model": {"format": "OpenAI", "name": "gpt-4o-mini-2024-07-18"}}})
        assert status == 201, made
        # Not serving until its operation has succeeded (one state per read).
        with pytest.raises(openai.NotFoundError):
            c.chat.completions.create(model="served", messages=ask)
        deadline = time.monotonic() + 10
        while arm(e, "GET")[1]["properties"]["provisioningState"] != "Succeeded":
            assert time.monotonic() < deadline
        done = c.chat.completions.create(model="served", messages=ask)
        assert done.object == "chat.completion" and done.model == "gpt-4o-mini-2024-07-18"
        assert done.choices[0].message.role == "assistant" and done.choices[0].finish_reason == "stop"
        assert done.usage.total_tokens == done.usage.prompt_tokens + done.usage.completion_tokens
        # An Entra token does as the key does; the model's own name is no deployment.
        entra = openai.OpenAI(base_url=e.base + "/openai/v1", api_key=ENTRA_TOKEN, max_retries=0)
        assert entra.chat.completions.create(model="served", messages=ask).model == done.model
        with pytest.raises(openai.NotFoundError):
            c.chat.completions.create(model="gpt-4o-mini-2024-07-18", messages=ask)
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(base_url=e.base + "/openai/v1", api_key="wrong", max_retries=0).chat.completions.create(
                model="served", messages=ask)
        with pytest.raises(openai.BadRequestError):
            c.chat.completions.create(model="served", messages=[])

        e.control("POST", "/_emulator/deployments/served/idle")
        with pytest.raises(openai.NotFoundError):
            c.chat.completions.create(model="served", messages=ask)
        validate_journal(e.control("GET", "/_emulator/journal"))
    finally:
        e.stop()
