"""Drives openai-ft-emulator with the official `openai` Python SDK: file upload, a full job life
cycle, events and checkpoint auto-paging, checkpoint permissions with the admin key, and the SDK
exception each refusal or fault maps to. Every response is also checked against openapi.yaml."""

import io
import json
import pathlib
import sys
import time

import openai
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "scripts" / "lib"))
import tiktoken_reference  # noqa: E402

from emulator_fixture import (
    ADMIN_KEY,
    NO_OWNER_KEY,
    PROJECT_KEY,
    READ_ONLY_KEY,
    Emulator,
    validate_journal,
)

ROWS = [
    {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": f"a{i}"}]}
    for i in range(4)
]


@pytest.fixture
def emu():
    e = Emulator()
    try:
        yield e
        validate_journal(e.control("GET", "/_emulator/journal"))
    finally:
        e.stop()


def client(emu, key=PROJECT_KEY, retries=0):
    return openai.OpenAI(base_url=emu.url, api_key=key, max_retries=retries)


def upload(c, rows=ROWS, name="train.jsonl"):
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    return c.files.create(file=(name, io.BytesIO(data)), purpose="fine-tune")


def wait_done(c, job_id, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        job = c.fine_tuning.jobs.retrieve(job_id)
        if job.status in ("succeeded", "failed", "cancelled"):
            return job
        assert time.monotonic() < deadline, f"job stuck in {job.status}"
        time.sleep(0.05)


def test_full_lifecycle_with_events_checkpoints_and_permissions(emu):
    c = client(emu)
    f = upload(c)
    assert f.purpose == "fine-tune" and f.filename == "train.jsonl"
    assert c.files.retrieve(f.id).bytes == f.bytes
    assert c.files.content(f.id).text.startswith('{"messages"')
    assert f.id in [x.id for x in c.files.list(purpose="fine-tune")]
    expiring = c.files.create(
        file=("e.jsonl", io.BytesIO(b"{}\n")),
        purpose="fine-tune",
        expires_after={"anchor": "created_at", "seconds": 3600},
    )
    assert expiring.expires_at == expiring.created_at + 3600
    with pytest.raises(openai.BadRequestError) as err:
        c.files.create(file=("e.jsonl", io.BytesIO(b"{}\n")), purpose="fine-tune",
                       expires_after={"anchor": "created_at", "seconds": 60})
    assert err.value.body["param"] == "expires_after.seconds"

    job = c.fine_tuning.jobs.create(
        model="gpt-4o-mini",
        training_file=f.id,
        suffix="sdk",
        metadata={"team": "ml"},
        method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 3, "batch_size": 2}}},
    )
    assert job.status == "validating_files"
    assert job.model == "gpt-4o-mini-2024-07-18"
    assert job.method.supervised.hyperparameters.n_epochs == 3

    done = wait_done(c, job.id)
    assert done.status == "succeeded"
    assert done.fine_tuned_model.startswith("ft:gpt-4o-mini-2024-07-18:org-emulator:sdk:")
    # Billed with the client's counting: tiktoken and the notebook's formula, 3 epochs.
    enc = tiktoken_reference.encoding("o200k_base")
    assert done.trained_tokens == sum(tiktoken_reference.example_tokens(enc, r, "supervised")[0] for r in ROWS) * 3
    assert done.finished_at is not None and len(done.result_files) == 1

    # Events auto-page newest first, two at a time.
    events = list(c.fine_tuning.jobs.list_events(job.id, limit=2))
    assert events[0].message == "The job has successfully completed"
    assert events[-1].message.startswith("Created fine-tuning job")
    assert sum(1 for e in events if e.type == "metrics") == 3
    assert len({e.id for e in events}) == len(events)

    ckpts = list(c.fine_tuning.jobs.checkpoints.list(job.id, limit=1))
    assert [k.step_number for k in ckpts] == [6, 4, 2]
    assert ckpts[0].fine_tuned_model_checkpoint == done.fine_tuned_model + ":ckpt-step-6"

    listed = c.fine_tuning.jobs.list(metadata={"team": "ml"})
    assert [j.id for j in listed.data] == [job.id]
    assert c.fine_tuning.jobs.list(metadata={"team": "other"}).data == []

    model = c.models.retrieve(done.fine_tuned_model)
    assert model.owned_by == "org-emulator"

    admin = client(emu, ADMIN_KEY)
    ckpt = ckpts[0].fine_tuned_model_checkpoint
    created = admin.fine_tuning.checkpoints.permissions.create(ckpt, project_ids=["proj_a", "proj_b", "proj_c"])
    assert [p.project_id for p in created.data] == ["proj_a", "proj_b", "proj_c"]
    pages = list(admin.fine_tuning.checkpoints.permissions.list(ckpt, limit=2, order="ascending"))
    assert [p.project_id for p in pages] == ["proj_a", "proj_b", "proj_c"]
    only_b = admin.fine_tuning.checkpoints.permissions.list(ckpt, project_id="proj_b")
    assert [p.project_id for p in only_b.data] == ["proj_b"]
    deleted = admin.fine_tuning.checkpoints.permissions.delete(only_b.data[0].id, fine_tuned_model_checkpoint=ckpt)
    assert deleted.deleted is True
    remaining = list(admin.fine_tuning.checkpoints.permissions.list(ckpt))
    assert [p.project_id for p in remaining] == ["proj_c", "proj_a"]

    assert c.models.delete(done.fine_tuned_model).deleted is True
    with pytest.raises(openai.NotFoundError):
        c.models.retrieve(done.fine_tuned_model)
    assert c.files.delete(f.id).deleted is True


def test_cancel_pause_resume():
    slow = Emulator(step_ms=400)
    try:
        c = client(slow)
        f = upload(c)
        job = c.fine_tuning.jobs.create(model="gpt-4.1-mini", training_file=f.id)
        while c.fine_tuning.jobs.retrieve(job.id).status != "running":
            time.sleep(0.05)
        assert c.fine_tuning.jobs.pause(job.id).status == "paused"
        assert c.fine_tuning.jobs.resume(job.id).status == "queued"
        assert c.fine_tuning.jobs.cancel(job.id).status == "cancelled"
        with pytest.raises(openai.BadRequestError) as err:
            c.fine_tuning.jobs.cancel(job.id)
        assert "cannot be cancelled" in err.value.message
        validate_journal(slow.control("GET", "/_emulator/journal"))
    finally:
        slow.stop()


def test_invalid_training_file_fails_the_job(emu):
    c = client(emu)
    f = upload(c, rows=[{"messages": [{"role": "user", "content": "no answer"}]}])
    job = wait_done(c, c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=f.id).id)
    assert job.status == "failed"
    assert job.error.code == "invalid_training_file"
    assert job.error.param == "training_file"
    assert "Line 1" in job.error.message


def test_errors_map_to_sdk_exceptions(emu):
    c = client(emu)
    with pytest.raises(openai.BadRequestError) as err:
        c.fine_tuning.jobs.create(model="gpt-4o-mini", training_file="file-missing")
    assert err.value.body["param"] == "training_file"
    with pytest.raises(openai.BadRequestError) as err:
        c.fine_tuning.jobs.create(model="davinci-999", training_file="file-missing")
    assert err.value.body["param"] == "model"
    with pytest.raises(openai.NotFoundError) as err:
        c.fine_tuning.jobs.retrieve("ftjob-nope")
    assert err.value.body["message"] == "Could not find fine tune job: ftjob-nope"

    with pytest.raises(openai.AuthenticationError) as err:
        client(emu, "sk-wrong-key-0123456789").models.list()
    assert err.value.code == "invalid_api_key"
    assert "sk-wrong-key-0123456789" not in err.value.message

    with pytest.raises(openai.AuthenticationError) as err:
        c.fine_tuning.checkpoints.permissions.list("ft:gpt-4o-mini-2024-07-18:org-emulator::x")
    assert "Missing scopes: api.fine_tuning.checkpoints.read" in err.value.message
    with pytest.raises(openai.AuthenticationError):
        client(emu, ADMIN_KEY).fine_tuning.jobs.list()
    with pytest.raises(openai.PermissionDeniedError):
        client(emu, NO_OWNER_KEY).fine_tuning.checkpoints.permissions.list("ft:x")
    with pytest.raises(openai.AuthenticationError) as err:
        client(emu, READ_ONLY_KEY).fine_tuning.checkpoints.permissions.create("ft:x", project_ids=["proj_a"])
    assert "Missing scopes: api.fine_tuning.checkpoints.write" in err.value.message


def test_faults_reach_the_sdk(emu):
    c = client(emu)
    emu.control("POST", "/_emulator/faults", {"path": "/v1/models", "fault": 429, "retry_after_ms": 10})
    with pytest.raises(openai.RateLimitError):
        c.models.list()
    emu.control("POST", "/_emulator/faults", {"path": "/v1/models", "fault": 503})
    with pytest.raises(openai.InternalServerError):
        c.models.list()
    emu.control("POST", "/_emulator/faults", {"path": "/v1/models", "fault": "reset"})
    with pytest.raises(openai.APIConnectionError):
        c.models.list()

    # With its default retries the SDK survives a 429 and, after a commit-then-drop, creates
    # a second job: the duplicate this fault exists to expose.
    retrying = client(emu, retries=2)
    emu.control("POST", "/_emulator/faults", {"path": "/v1/models", "fault": 429, "retry_after_ms": 10})
    assert retrying.models.list().data
    f = upload(c)
    emu.control("POST", "/_emulator/faults", {"method": "POST", "path": "/v1/fine_tuning/jobs", "fault": "commit_then_drop"})
    retrying.fine_tuning.jobs.create(model="gpt-4o-mini", training_file=f.id)
    assert len(c.fine_tuning.jobs.list().data) == 2
    counts = emu.control("GET", "/_emulator/requests")
    assert counts["POST /v1/fine_tuning/jobs"] == 2
    assert counts["GET /v1/models"] == 5
