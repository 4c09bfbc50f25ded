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


def azure_specs_dir():
    return pathlib.Path(
        os.environ.get("OPENAI_FT_AZURE_SPECS", REPO / ".." / "shared" / "azure-openai" / "specs")
    )


# Each Azure surface the emulator journals, with its spec (in ../shared/azure-openai/specs) and the
# path prefix its servers entry puts before the spec's paths.
AZURE_SURFACES = {
    "azure-v1": ("v1/azure-v1-v1-generated.yaml", "/openai/v1"),
    "azure-2024-10-21": ("authoring/stable/2024-10-21/azureopenai.json", "/openai"),
    "azure-2025-04-01-preview": ("authoring/preview/2025-04-01-preview/azureopenai.json", "/openai"),
}

# The departures from a spec an emulator switch asks for (its journal entries name them), as
# patches to the schemas they loosen; and the one every run allows: v1 defines pause and resume,
# but its job status enum has no word for a paused job; the emulator answers "paused", as OpenAI's
# own pause example does.
AZURE_STATUS_WORDS = ["pending", "pausing", "paused", "resuming"]


def _load(path):
    text = path.read_text()
    return yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)


def _openapi3_to_jsonschema(node):
    """OpenAPI 3.0's `nullable: true` as JSON Schema's null type, and its boolean exclusive bounds
    as numbers, at every depth."""
    if isinstance(node, dict):
        node = {k: _openapi3_to_jsonschema(v) for k, v in node.items()}
        if node.pop("nullable", False) is True:
            t = node.get("type")
            if isinstance(t, str):
                node["type"] = [t, "null"]
                if "enum" in node:
                    node["enum"] = [*node["enum"], None]
            else:
                node = {"anyOf": [{"type": "null"}, node]}
        _normalize_exclusive_bounds(node)
        return node
    if isinstance(node, list):
        return [_openapi3_to_jsonschema(v) for v in node]
    return node


@functools.cache
def _azure_spec(surface):
    file, prefix = AZURE_SURFACES[surface]
    spec = _load(azure_specs_dir() / file)
    swagger2 = "swagger" in spec
    definitions = spec["definitions"] if swagger2 else spec["components"]["schemas"]
    if not swagger2:
        definitions = _openapi3_to_jsonschema(definitions)
    return spec, swagger2, definitions, prefix


@functools.cache
def _azure_validator(surface, schema_json, departures):
    schema = json.loads(schema_json)
    spec, swagger2, definitions, _ = _azure_spec(surface)
    definitions = copy.deepcopy(definitions)
    if surface == "azure-v1":
        status = definitions["OpenAI.FineTuningJob"]["properties"]["status"]
        extra = AZURE_STATUS_WORDS if "v1-statuses-azure" in departures else ["paused"]
        status["enum"] = [*status["enum"], *extra]
    key = "definitions" if swagger2 else "components"
    holder = definitions if swagger2 else {"schemas": definitions}
    schema = schema if swagger2 else _openapi3_to_jsonschema(schema)
    root = {key: holder, "allOf": [copy.deepcopy(schema)]}
    return jsonschema.Draft202012Validator(root)


def _azure_operation(surface, method, path):
    """The spec's operation for a request path (with the surface's prefix), or None."""
    spec, _, _, prefix = _azure_spec(surface)
    rest = path[len(prefix):] if path.startswith(prefix) else None
    if rest is None:
        return None
    segments = rest.strip("/").split("/")
    for template, item in spec["paths"].items():
        parts = template.strip("/").split("/")
        if len(parts) == len(segments) and all(
            p.startswith("{") or p == s for p, s in zip(parts, segments)
        ):
            op = item.get(method.lower())
            if op is not None:
                return op
    return None


def _azure_error_schema(surface):
    _, swagger2, _, _ = _azure_spec(surface)
    name = "ErrorResponse" if surface != "azure-v1" else "AzureErrorResponse"
    return {"$ref": f"#/definitions/{name}" if swagger2 else f"#/components/schemas/{name}"}


def validate_azure_entry(e):
    """An Azure answer against its surface's spec: the operation the path names must exist there
    (else the answer must be the surface's error), the status must be one it declares (or its
    `default`, errors only), and the body must match that response's schema (downloads aside)."""
    surface = e["surface"]
    where = f"{surface} {e['method']} {e['path']} -> {e['status']}"
    spec, swagger2, _, _ = _azure_spec(surface)
    op = _azure_operation(surface, e["method"], e["path"])
    status = str(e["status"])
    if op is None:
        assert e["status"] >= 400, f"{where}: a success for an operation the spec lacks"
        schema = _azure_error_schema(surface)
    else:
        responses = op["responses"]
        response = responses.get(status)
        if response is None and status == "201" and "v1-creates-201" in (e.get("departures") or ()):
            response = responses.get("200")
        if response is None:
            assert e["status"] >= 400 and "default" in responses, f"{where}: status not in the spec"
            response = responses["default"]
        if swagger2:
            schema = response.get("schema")
        else:
            content = response.get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema is None and content:
                return  # a download (application/octet-stream): raw bytes
        if schema is None:
            assert e["body"] is None, f"{where}: a body where the spec declares none"
            return
        if schema.get("type") == "file":
            return  # Swagger 2's download
    departures = tuple(sorted(e.get("departures") or ()))
    validator = _azure_validator(surface, json.dumps(schema, sort_keys=True), departures)
    errors = sorted(validator.iter_errors(e["body"]), key=lambda x: list(x.path))
    assert not errors, f"{where}: {errors[0].message} at {list(errors[0].path)}\n{json.dumps(e['body'])[:800]}"


def validate_journal(entries):
    """Checks each journaled response: OpenAI's 200 bodies against their operation's schema and
    errors against ErrorResponse; Azure's against their surface's spec (`validate_azure_entry`).
    Returns the number of entries checked."""
    for e in entries:
        if e.get("surface") == "arm-2026-09-01":
            # Azure Resource Manager's answers: the ARM spec needs common-types to resolve, which
            # tests/prism provides; its Prism checks every one of them (test_deployments_conform_to_arm).
            continue
        if e.get("surface", "openai") != "openai":
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
    """Journals the Rust integration tests left behind (see crates/emulator/src/harness.rs)."""
    pattern = str(REPO / "target" / "tmp" / "emulator-journals" / "*.json")
    return sorted(glob.glob(pattern))
