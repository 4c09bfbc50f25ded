"""The guest's only network access: each request as the host logic frames it (the path checked
against the base, the URL, the headers, a multipart body around the granted file) with the
credential completed here, the native host's phase timeouts, no redirects (http.client never
follows one), no proxy, the granted file streamed from disk exactly as the guest validated it, and
every secret a server echoes redacted from the answer before the guest sees it."""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any, Iterator, Optional
from urllib.parse import urlsplit

from wasmtime.component import Variant

from .config import Config
from .logic import logic, record


@dataclass
class GrantedFile:
    """The one local file a command may read, opened by the host."""

    path: str
    fd: int
    size: int


class _UploadStop(Exception):
    """Why the granted file stopped an upload (the logic's `upload-stop`)."""

    def __init__(self, tag: str, payload: Any):
        super().__init__(tag)
        self.stop = Variant(tag, payload)


def send(config: Config, request: Any, file: Optional[GrantedFile]) -> Any:
    """Sends the guest's `request` (as wasmtime-py lifted it) once: the WIT `response` record, or
    the WIT `error` the guest gets."""
    out = logic().prepare(config.endpoint, request, file.size if file else None,
                          secrets.randbits(64))
    if isinstance(out, Variant):
        return out
    headers = [config.header(out.credential), *out.headers]
    allowed = getattr(out, "deadline-secs") or 0
    url = urlsplit(out.url)
    try:
        return _exchange(config, url, out.method, headers, _body(out.body, file, allowed), out.origin)
    except _UploadStop as stop:
        return logic().upload_error(file.path if file else "", stop.stop)


def _body(parts: Any, file: Optional[GrantedFile], allowed: int) -> Iterator[bytes]:
    """The body's parts in order, the granted file read from byte 0 and hashed as it is sent:
    one that is not the file the guest validated, or an upload past its deadline, raises before
    the part that follows, so no server gets a whole request."""
    deadline = time.monotonic() + allowed
    for part in parts:
        if isinstance(part, bytes) or file is None:
            yield part
            continue
        digest = hashlib.sha256()
        offset = 0
        while offset < file.size:
            if time.monotonic() > deadline:
                raise _UploadStop("too-slow", allowed)
            chunk = os.pread(file.fd, min(1 << 16, file.size - offset), offset)
            if not chunk:
                raise _UploadStop("short", (offset, file.size))
            digest.update(chunk)
            offset += len(chunk)
            yield chunk
        if digest.hexdigest() != part:
            raise _UploadStop("digest", (digest.hexdigest(), part))


def _exchange(config: Config, url: Any, method: str, headers: Any, body: Iterator[bytes], origin: str) -> Any:
    endpoint = config.endpoint
    connect = getattr(endpoint, "connect-timeout-secs")
    conn = (http.client.HTTPSConnection(url.hostname, url.port, timeout=connect, context=ssl.create_default_context())
            if url.scheme == "https" else http.client.HTTPConnection(url.hostname, url.port, timeout=connect))
    phase = "connect"
    try:
        conn.connect()
        conn.sock.settimeout(getattr(endpoint, "timeout-secs"))
        phase = "receive-response"
        conn.putrequest(method, url.path + (f"?{url.query}" if url.query else ""), skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        for chunk in body:
            conn.send(chunk)
        resp = conn.getresponse()
        phase = "receive-body"
        limit = getattr(logic().bounds(), "response-bytes")
        data = resp.read(limit + 1)
        if len(data) > limit:
            return _failed(origin, Variant("too-large", None))
        # Whatever the server echoed of a key stops here: the guest never sees one.
        redactor = config.redactor
        pairs = [(k, redactor.text(v)) for k, v in resp.getheaders()]
        return record(status=resp.status, headers=logic().response_headers(pairs), body=redactor.bytes(data))
    except _UploadStop:
        raise
    except socket.timeout:
        return _failed(origin, Variant("timeout", phase))
    except Exception as e:  # every failure becomes the guest's transport error, one line
        return _failed(origin, _failure(e))
    finally:
        conn.close()


def _failed(origin: str, failure: Variant) -> Any:
    return logic().exchange_error(origin, failure)


def _failure(e: Exception) -> Variant:
    """A socket failure as the logic's `failure`: the host maps its client's errors, the logic words them."""
    if isinstance(e, ConnectionRefusedError):
        return Variant("refused", None)
    if isinstance(e, socket.gaierror):
        return Variant("unresolved", None)
    if isinstance(e, (http.client.RemoteDisconnected, http.client.IncompleteRead, BrokenPipeError)):
        return Variant("disconnected", None)
    if isinstance(e, ConnectionResetError):
        return Variant("reset", None)
    if isinstance(e, OSError) and e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return Variant("unreachable", None)
    return Variant("other", str(e))
