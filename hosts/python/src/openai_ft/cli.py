"""`openai-ft-py`: the native `openai-ft`'s protocol (host/src/main.rs) on Python, so Terraform's
`openai_ft_path` can point here. One JSON object of strings in (stdin, or OPENAI_FT_INPUT), one on
stdout; an error is one `openai-ft: ...` line on stderr and exit status 1; usage, status 2."""

from __future__ import annotations

import os
import sys
from typing import List, Optional

from . import OpenAiFtError, __version__, describe, run
from .protocol import MAX_INPUT_BYTES, HostError, debug_quote, parse_input, render_output
from .sandbox import WASMTIME_VERSION, WIT_VERSION

USAGE = """\
usage: openai-ft-py <noun> <verb>     run a command (input: a JSON object of strings on stdin,
                                     or in OPENAI_FT_INPUT; output: a JSON object on stdout)
       openai-ft-py <noun> --help     list a noun's commands and their inputs
       openai-ft-py --help | --version

environment: the variables openai-ft reads, with the same defaults and rules (HOST.md,
"configuration"): OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_FT_INPUT, ...
"""


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        return _dispatch(args)
    except (OpenAiFtError, HostError) as e:
        line = str(e).replace("\n", " ").replace("\r", " ")
        sys.stderr.write(f"openai-ft: {line}\n")
        return 1


def _dispatch(args: List[str]) -> int:
    if not args:
        sys.stderr.write(USAGE)
        return 2
    if len(args) == 1 and args[0] in ("-h", "--help", "help"):
        sys.stdout.write(f"{USAGE}\ncommands:\n{_command_list(None)}")
        return 0
    if len(args) == 1 and args[0] in ("-V", "--version"):
        import wasmtime  # noqa: F401  (the version is pinned; say which one runs)

        sys.stdout.write(f"openai-ft-py {__version__} (wit openai:fine-tuning@{WIT_VERSION}, wasmtime-py {WASMTIME_VERSION})\n")
        return 0
    if len(args) == 2 and args[1] in ("-h", "--help"):
        listing = _command_list(args[0])
        if not listing:
            raise HostError(f"unknown noun {debug_quote(args[0])}; run openai-ft --help for the commands")
        sys.stdout.write(listing)
        return 0
    if len(args) == 2 and not args[0].startswith("-") and not args[1].startswith("-"):
        pairs = _read_input()
        out = run(f"{args[0]} {args[1]}", pairs)
        # With "output": "summary" (what the modules' local-exec asks for) the guest answers
        # with the one line for a person, printed as text, as the native host does.
        if ("output", "summary") in pairs and list(out) == ["summary"]:
            sys.stdout.write(out["summary"] + "\n")
        else:
            sys.stdout.write(render_output(out.items()) + "\n")
        sys.stdout.flush()
        return 0
    sys.stderr.write(USAGE)
    raise HostError(f"unexpected arguments {debug_quote(' '.join(args))}; see the usage above")


def _read_input():
    env = os.environb.get(b"OPENAI_FT_INPUT") if hasattr(os, "environb") else None
    if env is None and "OPENAI_FT_INPUT" in os.environ:
        env = os.environ["OPENAI_FT_INPUT"].encode("utf-8", "surrogateescape")
    if env is not None:
        return parse_input(env, "OPENAI_FT_INPUT")
    if sys.stdin.isatty():
        raise HostError("no input: pipe a JSON object of strings on stdin or set OPENAI_FT_INPUT")
    try:
        # One byte past the cap is enough to know it was passed.
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    except OSError as e:
        raise HostError(f"reading stdin: {e}") from None
    return parse_input(data, "stdin")


def _command_list(noun: Optional[str]) -> str:
    out = []
    for c in describe():
        if noun is not None and c.name.split(" ")[0] != noun:
            continue
        out.append(f"  {c.name:<22} {c.summary}\n  {'':<22} inputs: {', '.join(c.inputs)}\n")
    return "".join(out)


if __name__ == "__main__":
    sys.exit(main())
