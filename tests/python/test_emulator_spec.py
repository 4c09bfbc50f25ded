"""Spec conformance: every response the emulator sent in the Rust integration tests (journals left
in target/tmp/emulator-journals by `cargo test -p openai-ft-emulator`) and in a scenario here that
touches every operation, refusal and fault validates against openapi.yaml (spec path from
OPENAI_FT_OPENAPI)."""

import json
import pathlib
import time
import urllib.error
import urllib.request

import pytest

from emulator_fixture import ADMIN_KEY, PROJECT_KEY, Emulator, rust_journals, validate_journal


@pytest.mark.parametrize("journal", rust_journals() or [None], ids=lambda p: pathlib.Path(p).stem if p else "none")
def test_rust_test_journals_conform(journal):
    if journal is None:
        pytest.skip("no journals: run `cargo test -p openai-ft-emulator` first")
    entries = json.loads(pathlib.Path(journal).read_text() or "[]")
    validate_journal(entries)


def call(emu, method, path, key=PROJECT_KEY, body=None, raw=None, content_type="application/json"):
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    req = urllib.request.Request(emu.base + path, data=data, method=method)
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req) as r:
            text = r.read()
            return r.status, text
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def upload(emu, rows, name="t.jsonl"):
    boundary = "specboundary"
    content = "".join(json.dumps(r) + "\n" for r in rows)
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n{content}\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    status, text = call(emu, "POST", "/v1/files", raw=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert status == 200, text
    return json.loads(text)["id"]


def test_every_operation_conforms():
    emu = Emulator(step_ms=10)
    try:
        sft = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
        fid = upload(emu, [sft] * 3)
        vid = upload(emu, [sft])
        call(emu, "GET", "/v1/files?limit=1&order=asc")
        call(emu, "GET", "/v1/files?purpose=batch")
        call(emu, "GET", f"/v1/files/{fid}")
        call(emu, "GET", f"/v1/files/{fid}/content")
        grader = {"type": "text_similarity", "name": "sim", "input": "{{sample.output_text}}",
                  "reference": "{{item.ref}}", "evaluation_metric": "bleu"}
        jobs = []
        for body in [
            {"model": "gpt-4o-mini", "training_file": fid, "validation_file": vid, "suffix": "s",
             "metadata": {"k": "v"}, "integrations": [{"type": "wandb", "wandb": {"project": "p"}}]},
            {"model": "o4-mini", "training_file": fid,
             "method": {"type": "reinforcement", "reinforcement": {"grader": grader}}},
            {"model": "gpt-4.1", "training_file": fid, "method": {"type": "dpo"}},
            {"model": "gpt-4o", "training_file": fid, "hyperparameters": {"n_epochs": 1}},
        ]:
            status, text = call(emu, "POST", "/v1/fine_tuning/jobs", body=body)
            assert status == 200, text
            jobs.append(json.loads(text)["id"])
        call(emu, "POST", f"/v1/fine_tuning/jobs/{jobs[0]}/cancel")
        call(emu, "POST", "/v1/fine_tuning/jobs", body={"model": "nope", "training_file": fid})
        time.sleep(0.3)
        for j in jobs:
            call(emu, "GET", f"/v1/fine_tuning/jobs/{j}")
            call(emu, "GET", f"/v1/fine_tuning/jobs/{j}/events?limit=2")
            call(emu, "GET", f"/v1/fine_tuning/jobs/{j}/checkpoints?limit=2")
        call(emu, "GET", "/v1/fine_tuning/jobs?limit=2")
        call(emu, "GET", "/v1/fine_tuning/jobs?metadata[k]=v")

        slow = Emulator(step_ms=300)
        try:
            sid = upload(slow, [sft])
            _, text = call(slow, "POST", "/v1/fine_tuning/jobs", body={"model": "gpt-4o-mini", "training_file": sid})
            job = json.loads(text)["id"]
            while json.loads(call(slow, "GET", f"/v1/fine_tuning/jobs/{job}")[1])["status"] != "running":
                time.sleep(0.02)
            call(slow, "POST", f"/v1/fine_tuning/jobs/{job}/pause")
            call(slow, "POST", f"/v1/fine_tuning/jobs/{job}/resume")
            call(slow, "POST", f"/v1/fine_tuning/jobs/{job}/cancel")
            validate_journal(slow.control("GET", "/_emulator/journal"))
        finally:
            slow.stop()

        _, text = call(emu, "GET", f"/v1/fine_tuning/jobs/{jobs[3]}")
        model = json.loads(text)["fine_tuned_model"]
        assert model, text
        perm_path = f"/v1/fine_tuning/checkpoints/{model}/permissions"
        _, text = call(emu, "POST", perm_path, key=ADMIN_KEY, body={"project_ids": ["proj_1", "proj_2"]})
        pid = json.loads(text)["data"][0]["id"]
        call(emu, "GET", perm_path + "?limit=1&order=ascending", key=ADMIN_KEY)
        call(emu, "GET", perm_path + "?project_id=proj_none", key=ADMIN_KEY)
        call(emu, "DELETE", f"{perm_path}/{pid}", key=ADMIN_KEY)
        call(emu, "GET", perm_path)  # project key: 401
        call(emu, "GET", "/v1/models")
        call(emu, "GET", "/v1/models/gpt-4o-mini")
        call(emu, "GET", f"/v1/models/{model}")
        call(emu, "DELETE", f"/v1/models/{model}")
        call(emu, "GET", "/v1/models/none")
        call(emu, "DELETE", f"/v1/files/{vid}")
        call(emu, "GET", "/v1/files", key=None)
        emu.control("POST", "/_emulator/faults", [
            {"path": "/v1/models", "fault": 429, "retry_after": 1},
            {"path": "/v1/models", "fault": 500},
        ])
        call(emu, "GET", "/v1/models")
        call(emu, "GET", "/v1/models")

        journal = emu.control("GET", "/_emulator/journal")
        ops = {e["operation_id"] for e in journal if e["status"] == 200}
        expected = {
            "createFile", "listFiles", "retrieveFile", "deleteFile", "downloadFile",
            "createFineTuningJob", "listPaginatedFineTuningJobs", "retrieveFineTuningJob",
            "cancelFineTuningJob", "listFineTuningEvents", "listFineTuningJobCheckpoints",
            "createFineTuningCheckpointPermission", "listFineTuningCheckpointPermissions",
            "deleteFineTuningCheckpointPermission", "listModels", "retrieveModel", "deleteModel",
        }
        assert expected <= ops, expected - ops
        assert {401, 404, 400, 429, 500} <= {e["status"] for e in journal}
        validate_journal(journal)
    finally:
        emu.stop()


def test_the_azure_checks_have_teeth():
    """validate_azure_entry refuses what each Azure spec refuses, and allows exactly the
    departures an emulator switch names."""
    import pytest as _pytest

    from emulator_fixture import validate_azure_entry

    def entry(surface, method, path, status, body, departures=()):
        return {"surface": surface, "method": method, "path": path, "status": status,
                "body": body, "departures": list(departures), "operation_id": None}

    v1_job = {"id": "ftjob-1", "object": "fine_tuning.job", "created_at": 1, "error": None,
              "fine_tuned_model": None, "finished_at": None, "hyperparameters": {"n_epochs": 3},
              "model": "m", "organization_id": "org", "result_files": [], "status": "queued",
              "trained_tokens": None, "training_file": "file-1", "validation_file": None,
              "seed": 1, "metadata": None}
    job_path = "/openai/v1/fine_tuning/jobs/ftjob-1"
    validate_azure_entry(entry("azure-v1", "GET", job_path, 200, v1_job))
    for bad in [{**v1_job, "status": "pending"}, {**v1_job, "organization_id": None},
                {k: v for k, v in v1_job.items() if k != "seed"}]:
        with _pytest.raises(AssertionError):
            validate_azure_entry(entry("azure-v1", "GET", job_path, 200, bad))
    validate_azure_entry(entry("azure-v1", "GET", job_path, 200, {**v1_job, "status": "pending"},
                               ["v1-statuses-azure"]))
    # A 201 where v1 declares 200 passes only when the emulator says it departs.
    create = "/openai/v1/fine_tuning/jobs"
    with _pytest.raises(AssertionError):
        validate_azure_entry(entry("azure-v1", "POST", create, 201, v1_job))
    validate_azure_entry(entry("azure-v1", "POST", create, 201, v1_job, ["v1-creates-201"]))
    error = {"error": {"code": "404", "message": "m", "type": "error", "inner_error": {}}}
    validate_azure_entry(entry("azure-v1", "GET", job_path, 404, error))
    with _pytest.raises(AssertionError):
        validate_azure_entry(entry("azure-v1", "GET", job_path, 404,
                                   {"error": {**error["error"], "param": None}}))
    dated_job = {"id": "ftjob-1", "object": "fine_tuning.job", "created_at": 1, "model": "m",
                 "status": "pending", "training_file": "file-1", "hyperparameters": {"n_epochs": 3}}
    dated_path = "/openai/fine_tuning/jobs/ftjob-1"
    validate_azure_entry(entry("azure-2024-10-21", "GET", dated_path, 200, dated_job))
    for bad in [{**dated_job, "validation_file": None}, {**dated_job, "status": "paused"},
                {**dated_job, "hyperparameters": {"n_epochs": "auto"}}]:
        with _pytest.raises(AssertionError):
            validate_azure_entry(entry("azure-2024-10-21", "GET", dated_path, 200, bad))
    # An operation the version lacks cannot succeed, and a status the spec lacks is refused.
    with _pytest.raises(AssertionError):
        validate_azure_entry(entry("azure-2024-10-21", "POST", dated_path + "/pause", 200, dated_job))
    with _pytest.raises(AssertionError):
        validate_azure_entry(entry("azure-2025-04-01-preview", "POST", "/openai/fine_tuning/jobs",
                                   200, dated_job))
    dated_error = {"error": {"code": "notFound", "message": "m", "details": []}}
    validate_azure_entry(entry("azure-2024-10-21", "GET", dated_path, 404, dated_error))
    with _pytest.raises(AssertionError):
        validate_azure_entry(entry("azure-2024-10-21", "GET", dated_path, 404,
                                   {"error": {**dated_error["error"], "code": "fine_tune_not_found"}}))
