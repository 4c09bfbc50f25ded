"""The configuration and the secrets it holds: the host logic decides the configuration from the
variables it names, each secret masked before it sees it; the secrets' values stay here, to
complete credential headers and to redact them (the native host's rule, host/src/redact.rs)
wherever a server could echo one: in each answer before the guest sees it, and in everything the
host hands on. No proxy is ever used (http.client reads no proxy variable)."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from .logic import HostError, logic
from .signin import SignIn

#: What a secret becomes.
REDACTED = "[redacted]"

#: Shorter secrets are not searched for: they would mangle unrelated text, and no key is this short.
MIN_SECRET_BYTES = 8


class Redactor:
    def __init__(self, secrets: Iterable[Optional[str]] = ()):
        """Redacts `secrets` (those of at least MIN_SECRET_BYTES UTF-8 bytes), as they are and as
        a JSON string would spell them (escaped, `/` escaped, non-ASCII as `\\uXXXX`: json's
        `ensure_ascii` writes serde_json's escapes, and DEL's too, which no key holds), so an echo
        inside a JSON body goes whole and the body stays valid JSON."""
        self._forms: List[str] = []
        self.add(*secrets)

    def add(self, *secrets: Optional[str]) -> None:
        """Redacts `secrets` too (a sign-in's tokens, once obtained)."""
        forms = list(self._forms)
        for secret in secrets:
            if secret is not None and len(secret.encode("utf-8")) >= MIN_SECRET_BYTES:
                body, ascii = (json.dumps(secret, ensure_ascii=a)[1:-1] for a in (False, True))
                slashed = (s.replace("/", "\\/") for s in (ascii, body))
                forms += [f for f in (secret, body, ascii, *slashed) if f not in forms]
        # Longest first, so an escaped form goes whole before a shorter one could match inside it.
        self._forms = sorted(forms, key=lambda f: len(f.encode("utf-8")), reverse=True)

    def text(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, REDACTED)
        return text

    def bytes(self, data: bytes) -> bytes:
        for form in self._forms:
            data = data.replace(form.encode(), REDACTED.encode())
        return data

    def deep(self, value: Any) -> Any:
        """Every string in `value` (str, tuples, lists, dicts, wasmtime records and variants)
        redacted; the rest as is."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, (tuple, list)):
            return type(value)(self.deep(v) for v in value)
        if isinstance(value, dict):
            return {self.text(k): self.deep(v) for k, v in value.items()}
        if hasattr(value, "__dict__") and not isinstance(value, type):
            for k, v in vars(value).items():
                setattr(value, k, self.deep(v))
        return value


class Config:
    """`endpoint` and `limits` as the logic decided them (WIT records), and the secrets set."""

    def __init__(self, endpoint: Any, limits: Any, secrets: Dict[str, str]):
        self.endpoint, self.limits, self._secrets = endpoint, limits, secrets
        self.redactor = Redactor(secrets.values())
        self.signin = None if endpoint.signin is None else SignIn(endpoint, secrets, self.redactor)

    def header(self, h: Any) -> Tuple[str, str]:
        """The credential header `h` (a `secret-header`), completed with its secret."""
        return h.name, f"{h.prefix}{self._secrets.get(h.variable, '')}"

    def __repr__(self) -> str:
        # Keys stay out of reprs, tracebacks and logs.
        return f"Config(flavor={self.endpoint.flavor!r}, base={self.endpoint.base!r})"


def configure(env: Mapping[str, str]) -> Config:
    """The configuration `env` gives; a refusal is a HostError with every secret redacted."""
    l = logic()
    white = l.white_space()

    def value(name: str) -> Optional[str]:
        v = env.get(name)
        try:
            return v if isinstance(v, str) and v.encode("utf-8") is not None else None
        except UnicodeEncodeError:
            return None  # bytes the OS could not decode: unset, as natively

    given = [(v.name, v.secret, value(v.name)) for v in l.variables()]
    got = l.configure([(name, "".join(c if c in white else "*" for c in v) if secret else v)
                       for name, secret, v in given if v is not None])
    secrets = {s.variable: str(value(s.variable))[s.skip:s.skip + s.keep] for s in got.secrets}
    if isinstance(got.settings, str):
        raise HostError(Redactor(secrets.values()).text(got.settings))
    return Config(got.settings.endpoint, got.settings.limits, secrets)
