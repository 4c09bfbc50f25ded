"""The configuration, read from the environment given: the host logic decides it from the
variables it names, each secret masked before it sees it; the secrets' values stay here, to
complete credential headers and to redact. No proxy is ever used (http.client reads no proxy
variable), so loopback traffic never leaves the machine."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

from .logic import HostError, logic
from .redact import Redactor


class Config:
    """`endpoint` and `limits` as the logic decided them (WIT records), and the secrets set."""

    def __init__(self, endpoint: Any, limits: Any, secrets: Dict[str, str]):
        self.endpoint = endpoint
        self.limits = limits
        self._secrets = secrets
        self.redactor = Redactor(secrets.values())

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
        if not isinstance(v, str):
            return None
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            return None  # bytes the OS could not decode: unset, as natively
        return v

    given = [(v.name, v.secret, value(v.name)) for v in l.variables()]
    got = l.configure([(name, "".join(c if c in white else "*" for c in v) if secret else v)
                       for name, secret, v in given if v is not None])
    secrets = {s.variable: str(value(s.variable))[s.skip:s.skip + s.keep] for s in got.secrets}
    if isinstance(got.settings, str):
        raise HostError(Redactor(secrets.values()).text(got.settings))
    return Config(got.settings.endpoint, got.settings.limits, secrets)
