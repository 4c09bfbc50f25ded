"""`openai-ft-py`: the native `openai-ft`'s protocol (host/src/cli.rs) on Python, so Terraform's
`openai_ft_path` can point here. The host logic reads the arguments and words every line; this
file reads stdin and writes stdout and stderr."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any, List, Optional

from . import OpenAiFtError, _execute, _parse, describe
from .logic import PROGRAM, HostError, logic, message, record


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    # Ctrl-C ends this host as it ends the native one: at once, by the signal, with nothing
    # printed (Python would raise KeyboardInterrupt wherever it lands, the guest's calls included).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        return _dispatch(args)
    except (OpenAiFtError, HostError) as e:
        sys.stderr.write(logic().error_line(str(e)) + "\n")
        return 1


def _dispatch(args: List[str]) -> int:
    # wasmtime-py gives the logic's `cli-step` untagged: `describe` as None, a command as a tuple.
    step = logic().cli(PROGRAM, args, None)
    if step is None:
        step = logic().cli(PROGRAM, args, describe())
    if isinstance(step, tuple):
        command = " ".join(step)
        step = record(stdout=_execute(command, _read_input(command)).line + "\n", stderr="", status=0)
    sys.stdout.write(step.stdout)
    sys.stderr.write(step.stderr)
    sys.stdout.flush()
    return int(step.status)


def _read_input(command: str) -> Any:
    """The input: OPENAI_FT_INPUT when set, else stdin (never a terminal), read to one byte past the cap."""
    env = os.environb.get(b"OPENAI_FT_INPUT") if hasattr(os, "environb") else None
    if env is None and "OPENAI_FT_INPUT" in os.environ:
        env = os.environ["OPENAI_FT_INPUT"].encode("utf-8", "surrogateescape")
    if env is not None:
        return _parse(command, env, "OPENAI_FT_INPUT")
    if sys.stdin.isatty():
        raise HostError(message("no-input"))
    try:
        data = sys.stdin.buffer.read(getattr(logic().bounds(), "input-bytes") + 1)
    except OSError as e:
        raise HostError(message("reading-stdin", str(e))) from None
    return _parse(command, data, "stdin")


if __name__ == "__main__":
    sys.exit(main())
