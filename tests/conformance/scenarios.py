"""The scenario table: each scenario is a few protocol calls against a fresh emulator, run by every
host; later steps may use `@name@` for a value an earlier step captured from its output."""

from __future__ import annotations

import json

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

from hosts import AZURE_KEY, PASTED_KEY, PROJECT_KEY, READ_ONLY_KEY, REPO

DATA = REPO / "tests" / "data"
SUPERVISED = str(DATA / "supervised.jsonl")
BROKEN = str(DATA / "supervised_broken.jsonl")
DPO = str(DATA / "dpo.jsonl")


@dataclass(frozen=True)
class Step:
    args: Tuple[str, ...]
    #: A dict is sent as JSON; str or bytes are sent as they are; None sends no stdin at all.
    input: Union[Dict[str, str], str, bytes, None] = None
    #: The exit status the native host gives (the other hosts must match it).
    code: int = 0
    #: Environment changes for this step (None removes a variable).
    env: Dict[str, Optional[str]] = field(default_factory=dict)
    #: Emulator fault rules installed before the step (paths relative to the API base).
    faults: Tuple[dict, ...] = ()
    #: Output keys to remember for later steps: {name: key}.
    capture: Dict[str, str] = field(default_factory=dict)
    #: Send the input in OPENAI_FT_INPUT instead of stdin (local-exec's way).
    via_env: bool = False
    #: How stderr is compared: "exact" (line by line); "sorted" for waiting on a moving job,
    #: where a poll may see a status change and its event in either order, whatever the host;
    #: "skip" for a scenario's setup whose progress is shown by another scenario.
    stderr: str = "exact"
    #: The job may have moved on by the time this step reads it (see normalise.MOVING).
    moving: bool = False


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: Tuple[Step, ...]
    flavor: str = "openai"
    #: Milliseconds per emulated job step. By default jobs stand still (a host's speed must not
    #: change what the next step sees); scenarios that wait for a job make it move.
    step_ms: int = 600_000
    #: Compare stderr lines (False only where a host's own text differs by design; say why).
    stderr: bool = True


def upload(path: str = SUPERVISED, method: str = "supervised", **kw) -> Step:
    return Step(("file", "upload"), {"path": path, "training_method": method}, capture={"file": "id"}, **kw)


def azure_upload() -> Step:
    """An upload to Azure, which prints one "waiting for Azure to process" line per poll: how many
    depends on how the polls fall against the emulator's steps, so its stderr is not compared."""
    return upload(stderr="skip")


def ensure(extra: Optional[Dict[str, str]] = None, **kw) -> Step:
    request = {"model": "gpt-4o-mini", "training_file": "@file@", "suffix": "conformance",
               "poll_interval": "0.05"}
    return Step(("job", "ensure"), {**request, **(extra or {})}, capture={"job": "id"}, **kw)


def request_fields(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    return {"model": "gpt-4o-mini", "training_file": "@file@", "suffix": "conformance", **(extra or {})}


def checkpoint() -> Tuple[Step, ...]:
    """A succeeded job's model, to grant."""
    return (upload(), Step(("job", "ensure"), {**request_fields(), "wait": "true", "poll_interval": "0.05"},
                           capture={"ckpt": "fine_tuned_model"}, stderr="skip"))


SCENARIOS: List[Scenario] = [
    # ---- jobs
    Scenario("job-ensure-read-list", (
        upload(),
        ensure(),
        ensure(),  # adopted, not created again
        Step(("job", "read"), {"id": "@job@"}),
        Step(("job", "read"), request_fields()),
        Step(("job", "list"), {}),
    )),
    Scenario("job-ensure-wait", (upload(), ensure({"wait": "true"}, stderr="sorted")), step_ms=300),
    Scenario("job-ensure-wait-timeout-cancels", (
        upload(), ensure({"wait": "true", "cancel_after_timeout": "1", "poll_interval": "0.2", "fail_on_unsuccessful": "false"}),
    ), step_ms=10_000),
    Scenario("job-cancel", (
        upload(), ensure(),
        Step(("job", "cancel"), {"id": "@job@"}),
        Step(("job", "cancel"), {"id": "@job@"}),
        Step(("job", "read"), {"id": "@job@"}),
    )),
    Scenario("job-cancel-nothing", (upload(), Step(("job", "cancel"), request_fields()))),
    Scenario("job-list-by-metadata", (
        upload(), ensure({"metadata": '{"team":"a"}'}),
        Step(("job", "list"), {"metadata": '{"team":"a"}'}),
        Step(("job", "list"), {"metadata": '{"team":"b"}', "limit": "5"}),
    )),
    Scenario("job-read-missing", (Step(("job", "read"), {"id": "ftjob-doesnotexist0000000"}, code=1),)),
    Scenario("job-refusals", (
        Step(("job", "read"), {"id": "not a job id"}, code=1),
        Step(("job", "ensure"), {"model": "gpt-4o-mini", "training_file": "file-x", "wait": "maybe"}, code=1),
        Step(("job", "ensure"), {"model": "gpt-4o-mini", "training_file": "file-x", "epochs": "3"}, code=1),
        Step(("job", "ensure"), {"model": "gpt-4o-mini", "training_file": "file-x",
                                 "cancel_after_timeout": "0"}, code=1),
        Step(("job", "ensure"), {"model": "gpt-4o-mini", "training_file": "file-doesnotexist"}, code=1),
    )),
    # Plan time (`job check`) and the one summary line local-exec asks for: printed as text.
    Scenario("job-check-and-summary-lines", (
        Step(("job", "check"), {"model": "gpt-4o-mini-2024-07-18", "suffix": "ok"}),
        Step(("job", "check"), {"model": "gpt-4o-mini-2024-07-18", "output": "summary"}),
        Step(("job", "check"), {"model": "gpt-4o-mini-2024-07-18", "hyperparameters": '{"n_epochs":"0"}'}, code=1),
        upload(), ensure(),
        Step(("job", "cancel"), {"id": "@job@", "output": "summary"}),
        Step(("job", "read"), {"id": "@job@", "output": "summary"}),
    )),
    Scenario("job-input-by-environment", (
        Step(("job", "list"), {"limit": "2"}, via_env=True),
    )),
    # ---- faults
    Scenario("fault-429-then-ok", (
        Step(("job", "list"), {}, faults=({"method": "GET", "path": "/fine_tuning/jobs", "fault": 429},)),
    )),
    Scenario("fault-500-exhausts-retries", (
        Step(("job", "list"), {}, code=1,
             faults=({"method": "GET", "path": "/fine_tuning/jobs", "fault": 500, "times": 3},)),
    )),
    Scenario("fault-reset-is-retried", (
        Step(("job", "list"), {}, faults=({"method": "GET", "path": "/fine_tuning/jobs", "fault": "reset"},)),
    )),
    Scenario("fault-commit-then-drop-create", (
        upload(),
        ensure(faults=({"method": "POST", "path": "/fine_tuning/jobs", "fault": "commit_then_drop"},)),
        Step(("job", "list"), {}),
    )),
    Scenario("fault-commit-then-drop-upload", (
        Step(("file", "upload"), {"path": SUPERVISED, "training_method": "supervised"},
             faults=({"method": "POST", "path": "/files", "fault": "commit_then_drop"},)),
        Step(("file", "read"), {"path": SUPERVISED, "training_method": "supervised"}),
    )),
    # ---- files
    Scenario("file-validate", (
        Step(("file", "validate"), {"path": SUPERVISED, "training_method": "supervised"}),
        Step(("file", "validate"), {"path": DPO, "training_method": "dpo"}),
        Step(("file", "validate"), {"path": BROKEN, "training_method": "supervised"}, code=1),
        Step(("file", "validate"), {"path": SUPERVISED, "training_method": "dpo"}, code=1),
    )),
    Scenario("file-grant-refusals", (
        Step(("file", "validate"), {"path": str(DATA / "no-such.jsonl"), "training_method": "supervised"}, code=1),
        Step(("file", "validate"), {"path": str(DATA), "training_method": "supervised"}, code=1),
        Step(("file", "validate"), {"training_method": "supervised"}, code=1),
    )),
    Scenario("file-upload-idempotent", (
        Step(("file", "read"), {"path": SUPERVISED, "training_method": "supervised"}, code=1),
        upload(), upload(),
        Step(("file", "read"), {"path": SUPERVISED, "training_method": "supervised"}),
    )),
    # ---- permissions
    Scenario("permissions-lifecycle", (
        *checkpoint(),
        Step(("permissions", "check"), {}),
        Step(("permissions", "grant"), {"checkpoint": "@ckpt@", "project_ids": '["proj_a","proj_b"]'}),
        Step(("permissions", "grant"), {"checkpoint": "@ckpt@", "project_id": "proj_a"}),
        Step(("permissions", "read"), {"checkpoint": "@ckpt@", "project_ids": '["proj_a","proj_c"]'}),
        Step(("permissions", "revoke"), {"checkpoint": "@ckpt@", "project_ids": '["proj_a","proj_gone"]'}),
        Step(("permissions", "read"), {"checkpoint": "@ckpt@"}),
    ), step_ms=20),
    Scenario("permissions-faults", (
        *checkpoint(),
        Step(("permissions", "grant"), {"checkpoint": "@ckpt@", "project_id": "proj_f"},
             faults=({"method": "POST", "path": "/fine_tuning/checkpoints/@ckpt@/permissions",
                      "fault": "commit_then_drop"},)),
        # A 429 on the lookup, not on the create: the emulator answers a faulted POST before
        # reading its body, so whether a client sees the 429 or a broken pipe is a race.
        Step(("permissions", "grant"), {"checkpoint": "@ckpt@", "project_id": "proj_g"},
             faults=({"method": "GET", "path": "/fine_tuning/checkpoints/@ckpt@/permissions", "fault": 429},)),
        Step(("permissions", "read"), {"checkpoint": "@ckpt@"}),
    ), step_ms=20),
    Scenario("permissions-refusals", (
        *checkpoint(),
        Step(("permissions", "read"), {"checkpoint": "@ckpt@"}, code=1, env={"OPENAI_ADMIN_KEY": None}),
        Step(("permissions", "grant"), {"checkpoint": "@ckpt@", "project_id": "proj_x"}, code=1,
             env={"OPENAI_ADMIN_KEY": READ_ONLY_KEY}),
        Step(("permissions", "grant"), {"checkpoint": "@ckpt@", "project_id": "proj_x"}, code=1,
             env={"OPENAI_ADMIN_KEY": PROJECT_KEY}),
        Step(("permissions", "grant"), {"checkpoint": "gpt-4o-mini", "project_id": "proj_x"}, code=1),
    ), step_ms=20),
    # ---- the inventory
    Scenario("models-inventory", (
        *checkpoint(),
        Step(("permissions", "grant"), {"checkpoint": "@ckpt@", "project_id": "proj_a"}),
        Step(("models", "inventory"), {}),
        # No admin key: the list still comes, with a note saying so once.
        Step(("models", "inventory"), {"format": "csv"}, env={"OPENAI_ADMIN_KEY": None}),
        Step(("models", "inventory"), {"format": "markdown", "output": "summary"}),
        Step(("models", "inventory"), {"account": "res"}, code=1),
    ), step_ms=20),
    Scenario("azure-models-inventory", (
        azure_upload(), ensure({"wait": "true"}, stderr="sorted"),
        Step(("models", "inventory"), {"format": "markdown"}),
    ), flavor="azure", step_ms=300),
    # ---- Azure
    Scenario("azure-lifecycle", (
        # job check reads the retirement dates from the resource's dated API (target azure-dated).
        Step(("job", "check"), {"model": "gpt-4o-mini", "training_type": "GlobalStandard"}),
        azure_upload(), ensure({"wait": "true"}, stderr="sorted"), Step(("job", "read"), {"id": "@job@"}),
        Step(("permissions", "check"), {}, code=1),
    ), flavor="azure", step_ms=300),
    Scenario("azure-classic-commit-then-drop", (
        azure_upload(),
        ensure(faults=({"method": "POST", "path": "/fine_tuning/jobs", "fault": "commit_then_drop"},),
               moving=True),
        Step(("job", "read"), {"id": "@job@"}, moving=True),
        Step(("permissions", "grant"), {"checkpoint": "ft:gpt-4o-mini:x::abc", "project_id": "proj_x"}, code=1),
    ), flavor="azure-classic", step_ms=300),
    Scenario("azure-configuration-refusals", (
        Step(("job", "list"), {}, code=1, env={"OPENAI_API_VERSION": None}),
        # Pinned to the key: unpinned, every host would probe IMDS (off this machine) first.
        Step(("job", "list"), {}, code=1,
             env={"AZURE_OPENAI_API_KEY": None, "OPENAI_FT_AZURE_CREDENTIAL": "api-key"}),
        Step(("job", "list"), {}, code=1, env={"AZURE_OPENAI_ENDPOINT": None}),
    ), flavor="azure-classic"),
    # ---- the host's own refusals: configuration and protocol
    Scenario("configuration-refusals", (
        Step(("job", "list"), {}, code=1, env={"OPENAI_API_KEY": None}),
        Step(("job", "list"), {}, code=1, env={"OPENAI_BASE_URL": "http://example.com/v1"}),
        Step(("job", "list"), {}, code=1, env={"OPENAI_BASE_URL": "api.openai.com"}),
        Step(("job", "list"), {}, code=1, env={"OPENAI_FT_FLAVOR": "bedrock"}),
        Step(("job", "list"), {}, code=1, env={"OPENAI_FT_TIMEOUT": "0"}),
        Step(("job", "list"), {}, code=1, env={"OPENAI_FT_CONNECT_TIMEOUT": "ten"}),
        Step(("job", "list"), {}, code=1, env={"OPENAI_FT_MEMORY_LIMIT_MIB": "99999"}),
        Step(("job", "list"), {}, code=1, env={"OPENAI_FT_CPU_LIMIT_SECS": "-1"}),
        Step(("job", "list"), {}, code=0, env={"OPENAI_FT_TIMEOUT": " +30 "}),
    )),
    Scenario("connection-refused", (
        Step(("job", "list"), {}, code=1, env={"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}),
    )),
    Scenario("protocol-refusals", (
        Step(("job", "read"), '{"id": 3}', code=1),
        Step(("job", "read"), '["ftjob-1"]', code=1),
        Step(("job", "read"), '   ', code=1),
        Step(("job", "read"), '{"id": null}', code=1),
        Step(("job", "read"), '{"b": "1", "a": {"x": 1}}', code=1),
        Step(("job", "read"), b'{"id": "\xff\xfe"}', code=1),
    )),
    # The input caps, identical on every host: 1 MiB (on stdin: an environment variable cannot be
    # that long) and 256 keys (both ways in).
    Scenario("input-caps", (
        Step(("job", "read"), '{"id": "' + "x" * (1 << 20) + '"}', code=1),
        Step(("job", "read"), json.dumps({f"k{i}": "" for i in range(257)}), code=1),
        Step(("job", "read"), {f"k{i}": "" for i in range(257)}, code=1, via_env=True),
        Step(("job", "read"), {f"k{i}": "" for i in range(256)}, code=1),
    )),
    # A password in a base URL is never repeated.
    Scenario("base-url-password", (
        Step(("job", "list"), {}, code=1, env={"OPENAI_BASE_URL": "https://me:hunter2-password@x.example/v1"}),
    )),
    # The shipped component has no runaway or introspection command (the test component does).
    Scenario("no-selftest-command", tuple(
        Step(("selftest", which), {}, code=1) for which in ("cpu", "memory", "env"))),
    # The usage names each host's own binary (normalise.py); everything else is the same.
    Scenario("usage", (
        Step(("job", "--help")),
        Step(("permissions", "--help")),
        Step(("nope", "--help"), code=1),
        Step(("job", "read", "extra"), {}, code=1),
        Step((), code=2),
    )),
    # No configuration refusal repeats a key: pasted into a URL as its user, password or query,
    # or in place of the URL or the flavour, whether or not it is also set as a key (PASTED_KEY
    # is set nowhere; every output is checked for it and for the emulator's keys).
    Scenario("keys-pasted-into-the-configuration", tuple(
        Step(("job", "list"), {}, code=1, env=env) for env in (
            {"OPENAI_BASE_URL": f"https://{PASTED_KEY}@api.openai.com/v1"},
            {"OPENAI_BASE_URL": f"https://me:{PASTED_KEY}@api.openai.com/v1"},
            {"OPENAI_BASE_URL": f"https://api.openai.com/v1?api-key={PASTED_KEY}#{PASTED_KEY}"},
            {"OPENAI_BASE_URL": PASTED_KEY},
            {"OPENAI_BASE_URL": f"http://example.com/{PROJECT_KEY}"},
            {"OPENAI_FT_FLAVOR": PROJECT_KEY},
            {"OPENAI_FT_TIMEOUT": PROJECT_KEY},
        ))),
    Scenario("keys-pasted-into-the-azure-endpoint", tuple(
        Step(("job", "list"), {}, code=1, env=env) for env in (
            {"AZURE_OPENAI_ENDPOINT": f"https://{AZURE_KEY}@r.openai.azure.com"},
            {"AZURE_OPENAI_ENDPOINT": f"https://r.openai.azure.com?api-key={PASTED_KEY}"},
            {"AZURE_OPENAI_ENDPOINT": AZURE_KEY},
        )), flavor="azure"),
]
