"""The typed API's types and interfaces, and their conversions from the values wasmtime-py
gives; generated from the WIT by crates/host-logic/tests/types.rs; do not edit (regenerate: OPENAI_FT_REGENERATE=1 cargo test -p openai-ft-host-logic --test types)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Literal, Optional, Sequence


JobStatus = str
"""A job's status, as the API spelled it. The API documents six values and returns more (`paused`, and on Azure `created`, `pending`, `pausing`, `resuming`); anything unknown arrives as `other`. One of validating_files, queued, running, paused, succeeded, failed, cancelled, created, pending, pausing, resuming, or another the API returns."""


def _job_status(v: Any) -> str:
    return str(v.payload) if v.tag == "other" else str(v.tag).replace("-", "_")


@dataclass(frozen=True)
class JobError:
    """Why a job failed, as the API reported it."""

    code: str
    """The API's error code."""
    message: str
    """The API's message."""
    param: Optional[str]
    """The input the error concerns, when the API names one."""

    @staticmethod
    def _from_wit(v: Any) -> JobError:
        return JobError(code=v.code, message=v.message, param=v.param)


@dataclass(frozen=True)
class Job:
    """A fine-tuning job."""

    id: str
    """`ftjob-...`."""
    status: JobStatus
    """The status."""
    model: str
    """The base model, as the API resolved it."""
    fine_tuned_model: Optional[str]
    """The resulting model, once the job succeeded."""
    created_at: int
    """Creation time, Unix seconds."""
    finished_at: Optional[int]
    """End time, Unix seconds, once terminal."""
    trained_tokens: Optional[int]
    """Billable tokens, once known."""
    estimated_finish: Optional[int]
    """The API's estimate of the end time, Unix seconds, while running."""
    error: Optional[JobError]
    """Why the job failed, when it did."""

    @staticmethod
    def _from_wit(v: Any) -> Job:
        return Job(id=v.id, status=_job_status(v.status), model=v.model, fine_tuned_model=getattr(v, "fine-tuned-model"), created_at=getattr(v, "created-at"), finished_at=getattr(v, "finished-at"), trained_tokens=getattr(v, "trained-tokens"), estimated_finish=getattr(v, "estimated-finish"), error=None if v.error is None else JobError._from_wit(v.error))


TrainingMethod = Literal["supervised", "dpo", "reinforcement"]
"""The training methods, each with its own JSONL format."""


@dataclass(frozen=True)
class Report:
    """What validation found in a file that passed."""

    examples: int
    """Examples (non-empty lines)."""
    estimated_tokens: int
    """The exact token count of the valid examples, with o200k_base and the formula of OpenAI's data-preparation notebook (docs/tokens-and-cost.md, "How tokens are counted"); the `file` commands of the generic entry take a `model` and give every figure."""
    bytes: int
    """The file's size."""
    sha256: str
    """Hex SHA-256 of the content."""

    @staticmethod
    def _from_wit(v: Any) -> Report:
        return Report(examples=v.examples, estimated_tokens=getattr(v, "estimated-tokens"), bytes=v.bytes, sha256=v.sha256)


@dataclass(frozen=True)
class Uploaded:
    """An uploaded training file."""

    id: str
    """`file-...`."""
    filename: str
    """The name it was uploaded under: `{local stem}.{sha256}.jsonl`, the full content hash, by which a later upload of the same bytes finds it."""
    report: Report
    """The validation report of its content."""

    @staticmethod
    def _from_wit(v: Any) -> Uploaded:
        return Uploaded(id=v.id, filename=v.filename, report=Report._from_wit(v.report))


@dataclass(frozen=True)
class Permission:
    """One project's grant on a checkpoint."""

    project_id: str
    """The project granted, `proj_...`."""
    permission_id: str
    """The grant's id, `cp_...`; needed by nothing but support tickets, since revoke looks the grant up by project."""

    @staticmethod
    def _from_wit(v: Any) -> Permission:
        return Permission(project_id=getattr(v, "project-id"), permission_id=getattr(v, "permission-id"))


@dataclass(frozen=True)
class CommandInfo:
    """What a command is for and what it takes, for `--help`."""

    name: str
    """`<noun> <verb>`, for example `job read`."""
    summary: str
    """One line on what it does and when Terraform calls it."""
    inputs: List[str]
    """The input keys it accepts, required ones first."""

    @staticmethod
    def _from_wit(v: Any) -> CommandInfo:
        return CommandInfo(name=v.name, summary=v.summary, inputs=v.inputs)


ErrorKind = Literal["invalid-input", "api", "denied", "timeout", "transport", "missing-credential", "failed", "host"]
"""The WIT error cases, and `host` for the host's own refusals."""


class ErrorFields:
    """What an error carries besides its kind and message, by case."""

    field: Optional[str]
    value: Optional[str]
    rule: Optional[str]
    status: Optional[int]
    type: Optional[str]
    code: Optional[str]
    param: Optional[str]
    request_id: Optional[str]


def error_fields(e: Any) -> Dict[str, Any]:
    """A WIT `error`'s message and fields (as wasmtime-py gives it), as `OpenAiFtError` carries them."""
    if e.tag == "invalid-input":
        return {"message": e.payload.message, "field": e.payload.field, "value": e.payload.value, "rule": e.payload.rule}
    if e.tag == "api":
        return {"message": e.payload.message, "status": e.payload.status, "type": e.payload.kind, "code": e.payload.code, "param": e.payload.param, "request_id": getattr(e.payload, "request-id")}
    return {"message": e.payload}


#: How a typed function reaches the component: (interface, function, arguments, options, the
#: path of the file granted) to the WIT value.
Call = Callable[[str, str, List[Any], Any, Optional[str]], Any]


class Jobs:
    """Fine-tuning jobs, typed."""

    def __init__(self, call: Call) -> None:
        self._call = call

    def read(self, id: str, **options: Any) -> Job:
        """Retrieves one job by id: one request."""
        return Job._from_wit(self._call("jobs", "read", [id], options, None))

    def cancel(self, id: str, **options: Any) -> Job:
        """Cancels a job unless it has finished (then returns it as it is). Never deletes the fine-tuned model."""
        return Job._from_wit(self._call("jobs", "cancel", [id], options, None))

    def pause(self, id: str, **options: Any) -> Job:
        """Pauses a running job."""
        return Job._from_wit(self._call("jobs", "pause", [id], options, None))

    def resume(self, id: str, **options: Any) -> Job:
        """Resumes a paused job."""
        return Job._from_wit(self._call("jobs", "resume", [id], options, None))


class Files:
    """Training files, typed. Both functions read the file the host granted through `input-file`."""

    def __init__(self, call: Call) -> None:
        self._call = call

    def validate(self, path: str, method: Optional[TrainingMethod] = None, **options: Any) -> Report:
        """Validates the granted file for `method` (absent: `supervised`); `path` is the file's path, as errors name it. A file with problems is an `invalid-input` error listing them by line."""
        return Report._from_wit(self._call("files", "validate", [path, method], options, path))

    def upload(self, path: str, method: Optional[TrainingMethod] = None, **options: Any) -> Uploaded:
        """Validates, then uploads the granted file unless the same content is already uploaded. Exactly the validated bytes are sent: a file that changes before the upload ends fails with `failed`, and whatever the server kept of it is deleted."""
        return Uploaded._from_wit(self._call("files", "upload", [path, method], options, path))


class Permissions:
    """Checkpoint permissions, typed: which projects may use a fine-tuned model or checkpoint. Every call uses the admin key (`credential.admin`), handles one project at a time so projects not named are never touched, and paces its calls for the admin rate limit."""

    def __init__(self, call: Call) -> None:
        self._call = call

    def grant(self, checkpoint: str, project_ids: Sequence[str], **options: Any) -> List[Permission]:
        """Grants `checkpoint` (`ft:...`) to each of `project-ids`, reusing a grant a project already has; never creates a second grant for a project, even when a create's answer is lost. Returns one permission per project, in the order given."""
        return [Permission._from_wit(x) for x in self._call("permissions", "grant", [checkpoint, list(project_ids)], options, None)]

    def read(self, checkpoint: str, **options: Any) -> List[Permission]:
        """Every current grant of `checkpoint`, all pages, oldest first. No side effects."""
        return [Permission._from_wit(x) for x in self._call("permissions", "read", [checkpoint], options, None)]

    def revoke(self, checkpoint: str, project_ids: Sequence[str], **options: Any) -> List[str]:
        """Revokes the grants of `project-ids` on `checkpoint`, each looked up fresh; a project without a grant is not an error. Returns the projects whose grant was removed."""
        return self._call("permissions", "revoke", [checkpoint, list(project_ids)], options, None)
