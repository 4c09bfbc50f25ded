"""openai-ft for Python: the same sandboxed component the native `openai-ft` runs, with the same
promises (HOST.md): keys read here and never given to the guest, network only to the configured
API base, one granted file, CPU and memory bounds. `run` is the generic entry Terraform's protocol
uses; `jobs`, `files` and `permissions` are the typed exports."""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from wasmtime.component import Variant

from .config import endpoint_from_env, limits_from_env
from .protocol import HostError, byte_key
from .redact import Redactor
from .sandbox import WIT_VERSION, Sandbox, grant_file

__version__ = "0.1.0"

Input = Union[Mapping[str, Optional[str]], Iterable[Tuple[str, Optional[str]]]]


class OpenAiFtError(Exception):
    """Why a call failed: `kind` is the WIT error case (invalid-input, api, denied, timeout,
    transport, missing-credential, failed), or `host` for the host's own refusals."""

    def __init__(self, kind: str, message: str, **detail):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.detail = detail
        for k, v in detail.items():
            setattr(self, k, v)


_sandboxes: Dict[Optional[str], Sandbox] = {}
_sandboxes_lock = threading.Lock()


def load(component: Optional[os.PathLike] = None) -> Sandbox:
    """The sandbox for `component` (default: the packaged one), compiled once per process and
    cached on disk across processes."""
    key = None if component is None else os.fspath(component)
    with _sandboxes_lock:
        sb = _sandboxes.get(key)
        if sb is None:
            sb = _sandboxes[key] = Sandbox(component)
        return sb


def _progress(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _call(interface: str, name: str, args: list, env, on_progress, component, grant=None):
    env = os.environ if env is None else env
    file = None
    # Until the configuration is read there is no secret to redact (and no answer to echo one).
    redactor = Redactor()
    progress = on_progress or _progress
    try:
        if grant:
            file = grant_file(grant)
        endpoint = endpoint_from_env(env)
        redactor = endpoint.redactor
        limits = limits_from_env(env)
        # Every string the caller gets (progress lines, values, error messages and fields) is
        # redacted, though the answers were already: the guest could assemble a key from pieces.
        result = load(component).call(
            f"openai:fine-tuning/{interface}@{WIT_VERSION}", name, args, endpoint, limits, file,
            lambda line: progress(redactor.text(line)),
        )
    except HostError as e:
        raise OpenAiFtError("host", redactor.text(str(e))) from None
    finally:
        if file is not None:
            os.close(file.fd)
    result = redactor.deep(result)
    if isinstance(result, Variant) and hasattr(result, "tag") and _is_error(result):
        raise _guest_error(result)
    return result


_ERROR_TAGS = {"invalid-input", "api", "denied", "timeout", "transport", "missing-credential", "failed"}


def _is_error(v: Variant) -> bool:
    return v.tag in _ERROR_TAGS


def _guest_error(e: Variant) -> OpenAiFtError:
    if e.tag == "invalid-input":
        p = e.payload
        return OpenAiFtError(e.tag, p.message, field=p.field, value=p.value, rule=p.rule)
    if e.tag == "api":
        p = e.payload
        return OpenAiFtError(
            e.tag, p.message, status=p.status, type=p.kind, code=p.code, param=p.param,
            request_id=getattr(p, "request-id", None),
        )
    return OpenAiFtError(e.tag, e.payload)


def _pairs(input: Input) -> List[Tuple[str, str]]:
    items = input.items() if isinstance(input, Mapping) else input
    table: Dict[str, str] = {}
    for k, v in items:
        if v is None:
            continue
        if not isinstance(v, str):
            raise TypeError(f"input {k!r} must be a string (pass structured values as JSON)")
        table[k] = v
    return sorted(table.items(), key=lambda kv: byte_key(kv[0]))


def run(command: str, input: Input = (), *, env: Optional[Mapping[str, str]] = None,
        on_progress: Optional[Callable[[str], None]] = None,
        component: Optional[os.PathLike] = None) -> Dict[str, str]:
    """Runs `<noun> <verb>` with a flat map of strings, as `openai-ft` does for Terraform, and
    returns the output map (keys in byte order). The `file` commands are granted their `path`."""
    pairs = _pairs(input)
    grant = dict(pairs).get("path") if command.startswith("file ") else None
    out = _call("commands", "run", [command, pairs], env, on_progress, component, grant)
    table = dict(out)
    return {k: table[k] for k in sorted(table, key=byte_key)}


@dataclass(frozen=True)
class CommandInfo:
    name: str
    summary: str
    inputs: List[str]


def describe(*, component: Optional[os.PathLike] = None) -> List[CommandInfo]:
    """Every command the component offers."""
    out = _call("commands", "describe", [], {}, None, component)
    return [CommandInfo(c.name, c.summary, list(c.inputs)) for c in out]


@dataclass(frozen=True)
class JobError:
    code: str
    message: str
    param: Optional[str]


@dataclass(frozen=True)
class Job:
    id: str
    #: The API's spelling: validating_files, queued, running, paused, succeeded, failed,
    #: cancelled, created, pending, pausing, resuming, or whatever new status the API returns.
    status: str
    model: str
    fine_tuned_model: Optional[str]
    created_at: int
    finished_at: Optional[int]
    trained_tokens: Optional[int]
    estimated_finish: Optional[int]
    error: Optional[JobError]


def _job(j) -> Job:
    status = j.status.payload if j.status.tag == "other" else j.status.tag.replace("-", "_")
    err = getattr(j, "error")
    return Job(
        id=j.id, status=status, model=j.model,
        fine_tuned_model=getattr(j, "fine-tuned-model"),
        created_at=getattr(j, "created-at"),
        finished_at=getattr(j, "finished-at"),
        trained_tokens=getattr(j, "trained-tokens"),
        estimated_finish=getattr(j, "estimated-finish"),
        error=None if err is None else JobError(err.code, err.message, err.param),
    )


@dataclass(frozen=True)
class Report:
    examples: int
    estimated_tokens: int
    bytes: int
    sha256: str


@dataclass(frozen=True)
class Uploaded:
    id: str
    filename: str
    report: Report


def _report(r) -> Report:
    return Report(r.examples, getattr(r, "estimated-tokens"), r.bytes, r.sha256)


@dataclass(frozen=True)
class Permission:
    project_id: str
    permission_id: str


def _permission(p) -> Permission:
    return Permission(getattr(p, "project-id"), getattr(p, "permission-id"))


def _typed(interface, name, args, options, grant=None):
    return _call(interface, name, args, options.get("env"), options.get("on_progress"),
                 options.get("component"), grant)


jobs = SimpleNamespace(
    read=lambda id, **o: _job(_typed("jobs", "read", [id], o)),
    cancel=lambda id, **o: _job(_typed("jobs", "cancel", [id], o)),
    pause=lambda id, **o: _job(_typed("jobs", "pause", [id], o)),
    resume=lambda id, **o: _job(_typed("jobs", "resume", [id], o)),
)
jobs.__doc__ = "Fine-tuning jobs, typed."

files = SimpleNamespace(
    validate=lambda path, method="supervised", **o: _report(
        _typed("files", "validate", [path, method], o, grant=path)),
    upload=lambda path, method="supervised", **o: (lambda u: Uploaded(u.id, u.filename, _report(u.report)))(
        _typed("files", "upload", [path, method], o, grant=path)),
)
files.__doc__ = "Training files, typed; `path` is the one file the call is granted."

permissions = SimpleNamespace(
    grant=lambda checkpoint, project_ids, **o: [
        _permission(p) for p in _typed("permissions", "grant", [checkpoint, list(project_ids)], o)],
    read=lambda checkpoint, **o: [_permission(p) for p in _typed("permissions", "read", [checkpoint], o)],
    revoke=lambda checkpoint, project_ids, **o: list(
        _typed("permissions", "revoke", [checkpoint, list(project_ids)], o)),
)
permissions.__doc__ = "Checkpoint permissions, typed; every call uses OPENAI_ADMIN_KEY."

__all__ = ["run", "describe", "load", "jobs", "files", "permissions", "OpenAiFtError", "Job",
           "JobError", "Report", "Uploaded", "Permission", "CommandInfo"]
