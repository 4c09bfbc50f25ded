"""The guest's only network access: each request as the host logic frames it, with the credential
completed here, every phase bounded as natively, no redirects (http.client never follows one), no
proxy, the granted file streamed from disk exactly as the guest validated it, and every secret a
server echoes redacted from the answer before the guest sees it."""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import secrets
import socket
import ssl
import threading
import time
from typing import Any, Iterator, NamedTuple, Optional
from urllib.parse import urlsplit

from wasmtime.component import Variant

from .config import Config
from .logic import logic, record


class GrantedFile(NamedTuple):
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
    """Sends the guest's `request` once: the WIT `response` record, or the WIT `error`."""
    out = logic().prepare(config.endpoint, request, file.size if file else None, secrets.randbits(64))
    if isinstance(out, Variant):
        return out

    def attempt(credential: Any) -> Any:
        try:
            body = _body(out.body, file, getattr(out, "deadline-secs") or 0)
            return _exchange(config, out.url, out.method, [credential, *out.headers], body, out.origin)
        except _UploadStop as stop:
            return logic().upload_error(file.path if file else "", stop.stop)
    return config.signin.send(out, attempt, config.header) if config.signin else attempt(config.header(out.credential))


def _body(parts: Any, file: Optional[GrantedFile], allowed: int) -> Iterator[bytes]:
    """The body's parts in order, the granted file read from byte 0 and hashed as it is sent:
    one that is not the file the guest validated, or an upload past its deadline, raises before
    the part that follows, so no server gets a whole request."""
    deadline = time.monotonic() + allowed
    for part in parts:
        if isinstance(part, bytes) or file is None:
            yield part
            continue
        digest, offset = hashlib.sha256(), 0
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


class _Phase:
    """The phase an exchange is in, and its bound: past it, the socket is shut down, so whatever
    blocks on it (a peer sending a byte a second) returns at once."""

    def __init__(self) -> None:
        self.name, self.expired, self._timer = "connect", "", threading.Timer(0, lambda: None)

    def start(self, name: str, secs: float, sock: socket.socket) -> None:
        self._timer.cancel()
        self.name = name
        self._timer = threading.Timer(secs, self._expire, (sock,))
        self._timer.daemon = True
        self._timer.start()

    def _expire(self, sock: socket.socket) -> None:
        self.expired = self.name
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def end(self) -> str:
        self._timer.cancel()
        return self.expired


def _exchange(config: Config, address: str, method: str, headers: Any, body: Iterator[bytes], origin: str) -> Any:
    """One exchange, every phase bounded as the native host bounds it (HOST.md, 2.7): the
    connection; each write (a peer that stops reading); the upload (checked before each chunk,
    `_body`); the response's head, then its whole body, however slowly they arrive."""
    endpoint, phase, conn = config.endpoint, _Phase(), None
    timeout, connect = getattr(endpoint, "timeout-secs"), getattr(endpoint, "connect-timeout-secs")
    try:  # a URL http.client cannot take (a port past 65535, say) fails here too, as one line
        url, host = urlsplit(address), str(urlsplit(address).hostname)
        conn = (http.client.HTTPSConnection(host, url.port, timeout=connect, context=ssl.create_default_context())
                if url.scheme == "https" else http.client.HTTPConnection(host, url.port, timeout=connect))
        conn.connect()
        # Kept: http.client lets go of its socket once a `connection: close` answer's head is in.
        sock = conn.sock
        sock.settimeout(timeout)
        phase.name = "send-request"
        conn.putrequest(method, url.path + (f"?{url.query}" if url.query else ""), skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        for chunk in body:
            conn.send(chunk)
        phase.start("receive-response", timeout, sock)
        resp = conn.getresponse()
        phase.start("receive-body", timeout, sock)
        limit = getattr(logic().bounds(), "response-bytes")
        data = resp.read(limit + 1)
        if phase.end() or len(data) > limit:
            return _failed(origin, Variant("timeout", phase.expired) if phase.expired else Variant("too-large", None))
        # Whatever the server echoed of a key stops here: the guest never sees one.
        pairs = [(k, config.redactor.text(v)) for k, v in resp.getheaders()]
        return record(status=resp.status, headers=logic().response_headers(pairs), body=_answer(config.redactor.bytes(data)))
    except _UploadStop:
        raise
    except Exception as e:  # every failure becomes the guest's transport error, one line
        timed_out = phase.end() or (phase.name if isinstance(e, socket.timeout) else "")
        return _failed(origin, Variant("timeout", timed_out) if timed_out else _failure(e))
    finally:
        phase.end()
        if conn is not None:
            conn.close()


class Utf8(str):
    """A WIT `string` held as its UTF-8 bytes, which the sandbox passes on as one buffer (no `str`
    of a 60 MB page is made); as a `str` it is empty."""

    data: bytes


def _answer(data: bytes) -> Any:
    """The body as the guest gets it: text when it is UTF-8 (JSON always is), else its bytes;
    wasmtime-py passes a `list<u8>` one 32-byte value per byte (HOST.md 2, item 8)."""
    try:
        data.isascii() or data.decode()
    except UnicodeDecodeError:
        return data
    text = Utf8()
    text.data = data
    return text


def _failed(origin: str, failure: Variant) -> Any:
    return logic().exchange_error(origin, failure)


#: The client's errors as the logic's `failure`: the host maps them, the logic words them.
#: In order: http.client's RemoteDisconnected is a ConnectionResetError too.
_FAILURES = ((ConnectionRefusedError, "refused"), (socket.gaierror, "unresolved"),
             ((http.client.RemoteDisconnected, http.client.IncompleteRead, BrokenPipeError), "disconnected"),
             (ConnectionResetError, "reset"))


def _failure(e: Exception) -> Variant:
    if isinstance(e, OSError) and e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return Variant("unreachable", None)
    return next((Variant(tag, None) for kind, tag in _FAILURES if isinstance(e, kind)), Variant("other", str(e)))
