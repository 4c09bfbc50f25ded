"""Signing in to Azure with Microsoft Entra ID (docs/azure.md, "Sign in to Azure"): the host logic
decides which credentials to try, where each may reach and every line said about them; this module
builds azure-identity's credential for each, keeps one token per audience in memory until it is
due, and gets a new one when the server refused one. Every token and assertion is added to the
redactor before it is used; the guest never holds one."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, cast

from wasmtime.component import Variant

from .logic import logic

# The library's own warnings (a failed get_token, with the server's words) would reach stderr by
# logging's last resort: the host says it once, in the logic's words.
logging.getLogger("azure").addHandler(logging.NullHandler())

#: The credential `variable` the logic names when the header takes a sign-in's token.
TOKEN = "(Entra ID token)"


class _Failure(Exception):
    """No token: the line, and whether the network failed on the way (worth a retry)."""

    def __init__(self, message: str, transient: bool):
        super().__init__(message)
        self.transient = transient


class SignIn:
    """The process's sign-in for `endpoint`, with `secrets` (the trimmed values of the secret
    variables) and `redactor` (which gains every token and assertion); `say` prints a line."""

    def __init__(self, endpoint: Any, secrets: Mapping[str, str], redactor: Any):
        self._endpoint, self._secrets, self._redactor = endpoint, secrets, redactor
        self._sources: List[Any] = endpoint.signin
        self._chosen: Optional[Any] = None
        self._tokens: Dict[str, Tuple[str, int, int]] = {}
        self._lock = threading.Lock()
        self.say: Callable[[str], None] = lambda line: None
        t, c = endpoint.__dict__["timeout-secs"], endpoint.__dict__["connect-timeout-secs"]
        # Every wait bounded: each request within the timeouts, one library retry, `az` within
        # the timeout.
        self._options: Dict[str, Any] = {"connection_timeout": c, "read_timeout": t, "retry_total": 1}
        self._timeout = t

    def _remember(self, value: str) -> str:
        """`value`, once the redactor has it."""
        self._redactor.add(value)
        return value

    def _credential(self, source: Variant) -> Any:
        import azure.identity as ai  # loaded only by a process that signs in

        tag, val = source.tag, cast(Any, source.payload)

        def app(a: Any) -> Dict[str, Any]:
            # Instance discovery would ask Entra's public cloud about the authority: the logic
            # checked it.
            return {"tenant_id": a.tenant, "client_id": a.__dict__["client-id"], "authority": a.authority,
                    "disable_instance_discovery": True, **self._options}

        def federated(read: Callable[[], str]) -> Any:
            return ai.ClientAssertionCredential(func=lambda: self._remember(read().strip()), **app(val[0]))

        if tag == "client-secret":
            return ai.ClientSecretCredential(client_secret=self._secrets.get("AZURE_CLIENT_SECRET", ""), **app(val))
        if tag == "workload-identity":
            return federated(lambda: open(val[1], encoding="utf-8").read())
        if tag == "github-oidc":
            return federated(lambda: self._github(val[1]))
        if tag == "managed-identity":
            # Only probed in a chain (IMDS, then the CLI): 1 s to connect, as natively.
            probe = {"connection_timeout": 1} if len(self._sources) > 1 else {}
            return ai.ManagedIdentityCredential(client_id=val[1], **{**self._options, **probe})
        return ai.AzureCliCredential(process_timeout=self._timeout)

    def _github(self, url: str) -> str:
        bearer = f"Bearer {self._secrets.get('ACTIONS_ID_TOKEN_REQUEST_TOKEN', '')}"
        request = urllib.request.Request(url, headers={"authorization": bearer, "accept": "application/json"})
        with urllib.request.urlopen(request, timeout=self._timeout) as answer:  # noqa: S310 (the logic checked it)
            value = json.loads(answer.read(1 << 16)).get("value")
        if not isinstance(value, str):
            raise ValueError("GitHub's token request answered no value")
        return value

    def _fetch(self, source: Variant, audience: str) -> Tuple[str, int, int]:
        try:
            got = self._credential(source).get_token(logic().signin_scope(audience))
            return self._remember(got.token), int(time.time()), int(got.expires_on)
        except Exception as e:  # every library failure is the source's
            lines = str(e).strip().splitlines() or [type(e).__name__]
            cause = self._redactor.text(lines[0].strip())
            transient = "timed out" in cause.lower() or "connection" in cause.lower()
            raise _Failure(logic().signin_message(Variant("failed", (source, cause))), transient) from None

    def token(self, audience: str, fresh: bool) -> str:
        """A token for `audience`: the cached one while not due, else a new one; `fresh` drops it."""
        with self._lock:
            held = None if fresh else self._tokens.get(audience)
            if held and not logic().refresh_due(held[1], held[2], int(time.time())):
                return held[0]
            if self._chosen is not None:
                got = self._fetch(self._chosen, audience)
            else:
                failures: List[str] = []
                for source in self._sources:
                    try:
                        got = self._fetch(source, audience)
                        self._chosen = source
                        break
                    except _Failure as f:
                        if len(self._sources) == 1:
                            raise
                        failures.append(str(f))
                else:
                    raise _Failure(logic().signin_message(Variant("none-worked", failures)), False)
                self.say(logic().error_line(logic().signin_message(Variant("signed-in", self._chosen))))
            self._tokens[audience] = got
            return got[0]

    def send(self, out: Any, attempt: Callable[[Tuple[str, str]], Any], header: Callable[[Any], Tuple[str, str]]) -> Any:
        """Sends the prepared request `out` with `attempt(header)`; with a sign-in's token that the
        server refuses (401), once more with a new token (a refused request did nothing)."""
        if out.credential.variable != TOKEN:
            return attempt(header(out.credential))
        audience = "cognitive-services" if out.origin == self._endpoint.base else "management"
        try:
            first = attempt(("authorization", f"Bearer {self.token(audience, False)}"))
            if getattr(first, "status", None) != 401:
                return first
            second = attempt(("authorization", f"Bearer {self.token(audience, True)}"))
        except _Failure as f:
            return Variant("transport" if f.transient else "missing-credential", str(f))
        if getattr(second, "status", None) == 401:
            self.say(logic().error_line(logic().signin_message(Variant("refused", (self._chosen, audience)))))
        return second
