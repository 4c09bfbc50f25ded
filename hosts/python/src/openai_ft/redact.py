"""Every secret the host holds (keys, tokens) replaced by `[redacted]` wherever a server could echo
one back: in each answer before the guest sees it, and in everything the host hands on (the
guest's progress lines, the output values, the error). The native host's rule (host/src/redact.rs)."""

from __future__ import annotations

import json
from typing import Any, Iterable, List, Optional

#: What a secret becomes.
REDACTED = "[redacted]"

#: Shorter secrets are not searched for: they would mangle unrelated text, and no key is this short.
MIN_SECRET_BYTES = 8


def _ascii_escaped(body: str) -> str:
    """A JSON string body with every non-ASCII character as `\\uXXXX` (lower-case hex)."""
    return "".join(c if ord(c) < 0x80 else "".join(f"\\u{u:04x}" for u in _utf16(c)) for c in body)


def _utf16(c: str) -> List[int]:
    data = c.encode("utf-16-be")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


class Redactor:
    def __init__(self, secrets: Iterable[Optional[str]] = ()):
        """Redacts `secrets` (those of at least MIN_SECRET_BYTES UTF-8 bytes), as they are and as
        a JSON string would spell them (escaped, `/` escaped, non-ASCII as `\\uXXXX`), so an echo
        inside a JSON body goes whole and the body stays valid JSON."""
        forms: List[str] = []
        for secret in secrets:
            if secret is None or len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
                continue
            body = json.dumps(secret, ensure_ascii=False)[1:-1]
            slashed = body.replace("/", "\\/")
            for form in (secret, body, _ascii_escaped(body), _ascii_escaped(slashed), slashed):
                if form not in forms:
                    forms.append(form)
        # Longest first, so an escaped form goes whole before a shorter one could match inside it.
        forms.sort(key=lambda f: len(f.encode("utf-8")), reverse=True)
        self._forms = forms
        self._byte_forms = [f.encode("utf-8") for f in forms]

    def text(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text

    def bytes(self, data: bytes) -> bytes:
        for form in self._byte_forms:
            if form in data:
                data = data.replace(form, REDACTED.encode())
        return data

    def deep(self, value: Any) -> Any:
        """Every string in `value` (str, tuples, lists, dicts, wasmtime records and variants)
        redacted; the rest as is."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, tuple):
            return tuple(self.deep(v) for v in value)
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        if isinstance(value, dict):
            return {self.text(k): self.deep(v) for k, v in value.items()}
        if hasattr(value, "__dict__") and not isinstance(value, type):
            for k, v in vars(value).items():
                setattr(value, k, self.deep(v))
        return value
