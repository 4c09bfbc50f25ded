"""Starts the openai-ft-emulator binary for a test and checks every response it sent against
openapi.yaml when the test is done, so each Python test doubles as a spec-conformance check."""

import copy
import functools
import glob
import json
import os
import pathlib
import sys
import urllib.request

import jsonschema
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "lib"))
import emulator  # noqa: E402  (scripts/lib/emulator.py: the one way to start the emulator)

# The test keys of the Rust harness (crates/emulator/src/harness.rs), so there is one set.
PROJECT_KEY = "sk-proj-TESTKEY-project"
ADMIN_KEY = "sk-admin-TESTKEY-admin-01"
NO_OWNER_KEY = "sk-admin-TESTKEY-no-owner"
READ_ONLY_KEY = "sk-admin-TESTKEY-read-only"


def emulator_bin():
    return pathlib.Path(
        os.environ.get("OPENAI_FT_EMULATOR_BIN", REPO / "target" / "debug" / "openai-ft-emulator")
    )


def spec_path():
    return pathlib.Path(
        os.environ.get("OPENAI_FT_OPENAPI", REPO / ".." / "shared" / "openai-openapi" / "openapi.yaml")
    )


class Emulator:
    """A running emulator process; `url` includes /v1, `base` does not."""

    def __init__(self, *extra_args, step_ms=20):
        binary = emulator_bin()
        assert binary.exists(), f"{binary} not found: run `cargo build -p openai-ft-emulator` or set OPENAI_FT_EMULATOR_BIN"
        self.proc, self.base = emulator.start(
            binary,
            "--api-key", PROJECT_KEY,
            "--admin-key", ADMIN_KEY,
            "--admin-key-no-owner", NO_OWNER_KEY,
            "--admin-key-read-only", READ_ONLY_KEY,
            "--step-ms", step_ms,
            *extra_args,
        )
        self.url = self.base + "/v1"

    def control(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("content-type", "application/json")
        with urllib.request.urlopen(req) as resp:
            return json.loads(resp.read())

    def stop(self):
        emulator.stop(self.proc)


@functools.cache
def _spec():
    spec = yaml.safe_load(spec_path().read_text())
    # Spec quirk: pauseFineTuningJob's own example returns "status": "paused", but the
    # FineTuningJob.status enum omits it. The emulator follows the example; allow it here.
    status = spec["components"]["schemas"]["FineTuningJob"]["properties"]["status"]
    if "paused" not in status["enum"]:
        status["enum"] = [*status["enum"], "paused"]
    _normalize_exclusive_bounds(spec)
    return spec


def _normalize_exclusive_bounds(node):
    """Spec quirk: some hyperparameter schemas use the OpenAPI 3.0 boolean form
    `minimum: 0, exclusiveMinimum: true`. Under JSON Schema 2020-12 a boolean there is read as the
    number 1 (so beta=0.1 would be refused); rewrite it to the 2020-12 form the author meant."""
    if isinstance(node, dict):
        for bound, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
            flag = node.get(exclusive)
            if flag is True and bound in node:
                node[exclusive] = node.pop(bound)
            elif flag is False:
                del node[exclusive]
        for v in node.values():
            _normalize_exclusive_bounds(v)
    elif isinstance(node, list):
        for v in node:
            _normalize_exclusive_bounds(v)


@functools.cache
def _operations():
    ops = {}
    for item in _spec()["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and "operationId" in op:
                ops[op["operationId"]] = op
    return ops


def _validator(schema):
    root = {"components": _spec()["components"], "allOf": [copy.deepcopy(schema)]}
    return jsonschema.Draft202012Validator(root)


@functools.cache
def _response_validator(operation_id):
    op = _operations()[operation_id]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    return _validator(schema)


@functools.cache
def _error_validator():
    return _validator({"$ref": "#/components/schemas/ErrorResponse"})


AZURE_ERROR_KEYS = {
    # Azure v1 (AzureErrorResponse) and classic (REST-guideline error) shapes, exactly these keys.
    "azure": {"code", "message", "param", "type", "inner_error"},
    "azure-classic": {"code", "message", "target", "details", "innererror"},
}


def validate_azure_entry(e):
    """Azure responses are not OpenAI's schema: check the error shape and the job/file basics."""
    where = f"{e['flavor']} {e['method']} {e['path']} -> {e['status']}"
    body = e["body"]
    if e["status"] >= 400:
        err = body.get("error")
        assert isinstance(err, dict) and set(err) == AZURE_ERROR_KEYS[e["flavor"]], f"{where}: {body}"
        assert isinstance(err["code"], str) and isinstance(err["message"], str), f"{where}: {body}"
        if e["flavor"] == "azure":
            assert err["type"] == "error", f"{where}: {body}"
    elif e["operation_id"] in ("createFineTuningJob", "retrieveFineTuningJob"):
        assert body["status"] in {"pending", "running", "pausing", "paused", "resuming",
                                  "succeeded", "failed", "cancelled"}, f"{where}: {body}"


def validate_journal(entries):
    """Checks each journaled response: 200 bodies against their operation's schema, errors
    against ErrorResponse. Entries of the Azure flavours get `validate_azure_entry` instead.
    Returns the number of entries checked."""
    for e in entries:
        if e.get("flavor", "openai") != "openai":
            validate_azure_entry(e)
            continue
        where = f"{e['method']} {e['path']} -> {e['status']}"
        if e["status"] == 200:
            assert e["operation_id"], f"200 without an operation: {where}"
            validator = _response_validator(e["operation_id"])
        else:
            validator = _error_validator()
        errors = sorted(validator.iter_errors(e["body"]), key=lambda x: list(x.path))
        assert not errors, f"{where}: {errors[0].message} at {list(errors[0].path)}\n{json.dumps(e['body'])[:800]}"
    return len(entries)


def rust_journals():
    """Journals the Rust integration tests left behind (see crates/emulator/tests/common)."""
    pattern = str(REPO / "target" / "tmp" / "emulator-journals" / "*.json")
    return sorted(glob.glob(pattern))
