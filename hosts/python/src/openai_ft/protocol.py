"""Terraform's side of the conversation, as the native host speaks it (host/src/protocol.rs): the
input is one JSON object of strings (nulls dropped), the output one flat JSON object of strings on
one line, keys in byte order (serde_json's map is a BTreeMap) with serde_json's escaping."""

from __future__ import annotations

import json


class HostError(Exception):
    """A refusal by the host itself (configuration, input, limits): one line, like native's."""


def byte_key(s: str) -> bytes:
    """Byte order of the UTF-8 encodings, which is code point order."""
    return s.encode("utf-8", "surrogatepass")


#: The largest input accepted, on stdin or in OPENAI_FT_INPUT (native's cap, HOST.md).
MAX_INPUT_BYTES = 1 << 20

#: The most keys an input object may have.
MAX_INPUT_KEYS = 256


def parse_input(data: bytes, source: str) -> list[tuple[str, str]]:
    """Parses the input bytes (`source` is "stdin" or "OPENAI_FT_INPUT") into pairs in key order."""
    if len(data) > MAX_INPUT_BYTES:
        raise HostError(
            f"invalid input on {source}: larger than {MAX_INPUT_BYTES >> 20} MiB; send one JSON "
            "object of the command's inputs (a training file goes in by its path)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise HostError(
            f"invalid input on {source}: not UTF-8 (byte {e.start}); send one JSON object of strings"
        ) from None
    if rust_trim(text) == "":
        raise HostError(
            f'no input on {source}: send one JSON object of strings, for example {{"id": "ftjob-abc123"}}'
        )
    try:
        value = json.loads(text)
    except ValueError as e:
        # The parser's own detail differs from serde_json's (see HOST.md); the frame is the same.
        raise HostError(
            f"invalid input on {source}: {e}; send exactly one JSON object of strings"
        ) from None
    if not isinstance(value, dict):
        raise HostError(
            f"invalid input on {source}: expected a JSON object of strings, got {kind(value)}"
        )
    if len(value) > MAX_INPUT_KEYS:
        raise HostError(
            f"invalid input on {source}: {len(value)} keys, more than the {MAX_INPUT_KEYS} accepted; "
            "send only the command's inputs (openai-ft <noun> --help lists them)"
        )
    pairs = []
    for key in sorted(value, key=byte_key):
        v = value[key]
        if isinstance(v, str):
            pairs.append((key, v))
        elif v is not None:
            raise HostError(
                f"invalid input {debug_quote(key)} on {source}: expected a string, got {kind(v)}; "
                "pass structured values through jsonencode() and numbers as strings"
            )
    return pairs


def kind(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    return "an object"


def render_output(pairs) -> str:
    """Renders output pairs as native does: one line, keys in byte order, the last duplicate wins."""
    table = dict(pairs)
    items = sorted(table.items(), key=lambda kv: byte_key(kv[0]))
    return "{" + ",".join(
        f"{json.dumps(k, ensure_ascii=False)}:{json.dumps(v, ensure_ascii=False)}" for k, v in items
    ) + "}"


def rust_trim(s: str) -> str:
    """Rust's `str::trim`: Unicode White_Space (Python's `strip` also strips U+001C-U+001F)."""
    start, end = 0, len(s)
    while start < end and _white(s[start]):
        start += 1
    while end > start and _white(s[end - 1]):
        end -= 1
    return s[start:end]


_WHITE_SPACE = set(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def _white(c: str) -> bool:
    return c in _WHITE_SPACE


def debug_quote(s: str) -> str:
    """Rust's `{:?}` of a string, for quoting offending input in messages: `"` and `\\` escaped,
    the usual control escapes, other control characters as `\\u{..}`. (Rust also escapes
    non-printable Unicode beyond the control ranges; such input is quoted literally here.)"""
    out = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif c == 0:
            out.append("\\0")
        elif c < 0x20 or 0x7F <= c <= 0x9F:
            out.append(f"\\u{{{c:x}}}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


__all__ = ["HostError", "parse_input", "render_output", "debug_quote", "rust_trim", "byte_key"]
