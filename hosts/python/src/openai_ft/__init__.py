"""openai-ft for Python: the same sandboxed component the native `openai-ft` runs, with the same
promises (HOST.md): keys read here and never given to the guest, network only to the configured
API base, one granted file, CPU and memory bounds. `run` is the generic entry Terraform's protocol
uses; `jobs`, `files` and `permissions` are the typed exports, whose types and signatures
(the `openai_ft_wit` module, from generated/) are generated from the WIT."""

from __future__ import annotations

import functools
import json
import os
import sys
import typing
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from wasmtime.component import Variant

import openai_ft_wit as _wit
from openai_ft_wit import (CommandInfo, ErrorFields, ErrorKind, Job, JobError, JobStatus, Permission, Report, TrainingMethod,
                  Uploaded, error_fields)
from .config import Redactor, configure
from .logic import HostError, refused
from .logic import logic as _logic
from .sandbox import Sandbox, grant_file

__version__ = "0.1.0"

Input = Union[Mapping[str, Optional[str]], Iterable[Tuple[str, Optional[str]]]]


class OpenAiFtError(Exception, ErrorFields):
    """Why a call failed: `kind` is the WIT error case, or `host` for the host's own refusals;
    the fields of `ErrorFields` its case carries are set, the others are None."""

    def __init__(self, kind: str, message: str, **detail: Any):
        super().__init__(message)
        self.kind: ErrorKind = typing.cast(ErrorKind, kind)
        self.message = message
        self.detail = detail
        for name in typing.get_type_hints(ErrorFields):
            setattr(self, name, detail.get(name))


def load(component: Optional[os.PathLike] = None) -> Sandbox:
    """The sandbox for `component` (default: the packaged one), compiled once per process and
    cached on disk across processes."""
    return _sandbox(None if component is None else os.fspath(component))


@functools.lru_cache(maxsize=None)
def _sandbox(component: Optional[str]) -> Sandbox:
    return Sandbox(component)


def _call(interface: str, name: str, args: List[Any], options: Mapping[str, Any], grant: Optional[str] = None) -> Any:
    """Calls one export with `options` (`env`, `on_progress`, `component`); every string the caller
    gets (progress lines, values, error messages and fields) is redacted, though the answers were
    already: the guest could assemble a key from pieces."""
    file = None
    redactor = Redactor()  # until the configuration is read there is no secret to redact
    progress = options.get("on_progress") or (lambda line: print(line, file=sys.stderr, flush=True))
    try:
        file = grant_file(grant) if grant else None
        config = configure(os.environ if options.get("env") is None else options["env"])
        redactor = config.redactor
        if config.signin:
            config.signin.say = lambda line: progress(redactor.text(line))
        result = redactor.deep(load(options.get("component")).call(
            interface, name, args, config, file, lambda line: progress(redactor.text(line))))
    except HostError as e:
        raise OpenAiFtError("host", redactor.text(str(e))) from None
    finally:
        if file is not None:
            os.close(file.fd)
    if isinstance(result, Variant) and result.tag in typing.get_args(ErrorKind):
        fields = error_fields(result)
        raise OpenAiFtError(result.tag, fields.pop("message"), **fields)
    return result


def _parse(command: str, data: bytes, source: str) -> Any:
    """Parses `command`'s input bytes from `source` as every host does (the 1 MiB and 256-key caps)."""
    try:
        return refused(_logic().parse_input(command, data, source))
    except HostError as e:
        raise OpenAiFtError("host", str(e)) from None


def _execute(command: str, parsed: Any, **options: Any) -> Any:
    """Runs `command` with a parsed input: the logic's `finished` (pairs and line)."""
    return _logic().finish(_call("commands", "run", [command, parsed.pairs], options, parsed.grant), parsed.summary)


def run(command: str, input: Input = (), *, env: Optional[Mapping[str, str]] = None,
        on_progress: Optional[Callable[[str], None]] = None,
        component: Optional[os.PathLike] = None) -> Dict[str, str]:
    """Runs `<noun> <verb>` with a flat map of strings, as `openai-ft` does for Terraform, and
    returns the output map (keys in byte order). The `file` commands are granted their `path`."""
    table = dict(input.items() if isinstance(input, Mapping) else input)
    data = json.dumps(table, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    parsed = _parse(command, data, "run()")
    return dict(_execute(command, parsed, env=env, on_progress=on_progress, component=component).pairs)


def describe(*, component: Optional[os.PathLike] = None) -> List[CommandInfo]:
    """Every command the component offers."""
    return [CommandInfo._from_wit(c) for c in _call("commands", "describe", [], {"env": {}, "component": component})]


jobs, files, permissions = _wit.Jobs(_call), _wit.Files(_call), _wit.Permissions(_call)

__all__ = ["run", "describe", "load", "jobs", "files", "permissions", "OpenAiFtError", "Job", "JobError",
           "JobStatus", "Report", "Uploaded", "Permission", "CommandInfo", "TrainingMethod", "ErrorKind"]
