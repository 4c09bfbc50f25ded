"""Drives openai-ft-emulator's Azure flavours with the official `openai` SDK the way Azure users do:
`OpenAI(base_url=<endpoint>/openai/v1)` against `--flavor azure`, and `AzureOpenAI(azure_endpoint=,
api_version=)` (which sends `api-key` and `?api-version=`) against `--flavor azure-classic`. Every
response is also checked for Azure's shapes (see `validate_azure_entry`)."""

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


def start(flavor, step_ms=20):
    return Emulator("--flavor", flavor, "--ad-token", ENTRA_TOKEN, step_ms=step_ms)


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


def upload_processed(c):
    data = "".join(json.dumps(r) + "\n" for r in ROWS).encode()
    f = c.files.create(file=("train.jsonl", io.BytesIO(data)), purpose="fine-tune")
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
    f = upload_processed(c)
    job = c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=f.id, metadata={"team": "ml"},
                                    extra_body={"trainingType": "globalstandard"})
    assert job.status == "pending" and job.organization_id is None
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


def test_openai_client_sees_pause_and_resume_states():
    slow = start("azure", step_ms=150)
    try:
        c = openai.OpenAI(base_url=slow.base + "/openai/v1", api_key=PROJECT_KEY, max_retries=0)
        f = upload_processed(c)
        job = c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=f.id,
                                        hyperparameters={"n_epochs": 5})
        wait_status(c, job.id, "running")
        assert c.fine_tuning.jobs.pause(job.id).status == "pausing"
        wait_status(c, job.id, "paused")
        assert c.fine_tuning.jobs.resume(job.id).status == "resuming"
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
                                                      extra_body={"trainingType": "Standard"})
    assert raw.status_code == 201
    assert raw.headers["location"].startswith(classic.base + "/openai/fine_tuning/jobs/ftjob-")
    job = raw.parse()
    assert job.status == "pending"
    assert job.model_extra["trainingType"] == "standard"
    assert job.model_extra["organisation_id"] is None
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
