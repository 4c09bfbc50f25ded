"""The guest's only network access: one request at a time to the configured API base, the
credential the guest names attached here, the native host's timeouts, no redirects (http.client
never follows one), no proxy (http.client reads no proxy variable, so loopback traffic never
leaves the machine), the granted file streamed from disk exactly as the guest validated it, and
every secret a server echoes redacted from the answer before the guest sees it."""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import re
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple, Union
from urllib.parse import urlsplit

from .config import Endpoint, Missing
from .protocol import debug_quote

#: The largest answer accepted; fine-tuning answers are small.
MAX_RESPONSE_BYTES = 64 << 20

USER_AGENT = "openai-ft/0.1.0"

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@%/")


@dataclass
class GrantedFile:
    """The one local file a command may read, opened by the host."""

    path: str
    fd: int
    size: int


@dataclass
class Response:
    status: int
    headers: List[Tuple[str, str]]
    body: bytes


@dataclass
class Failure:
    """The WIT `http.error`: `tag` is denied, timeout, transport, missing-credential or
    file-changed."""

    tag: str
    message: str


#: The slowest an upload may average, on top of one timeout (as the native host).
MIN_UPLOAD_BYTES_PER_SEC = 64 << 10


class _BodyStop(Exception):
    """Why an upload body stopped early: the WIT error it becomes."""

    def __init__(self, tag: str, message: str):
        super().__init__(message)
        self.failure = Failure(tag, message)


def check_path(path: str) -> Optional[str]:
    """Paths are relative to the base: no scheme or host, no dot segments that could climb out of
    the base path, nothing that would end the path early."""
    dot_segment = any(
        seg.replace("%2e", ".").replace("%2E", ".") in (".", "..") for seg in path.split("/")
    )
    if (
        not path.startswith("/")
        or path.startswith("//")
        or any(c not in _PATH_CHARS for c in path)
        or dot_segment
    ):
        return (
            f"the component asked for path {debug_quote(path)}, which is not a plain path under "
            "the API base"
        )
    return None


def encode_query(pairs) -> str:
    def enc(s: str) -> str:
        return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in s.encode("utf-8"))

    return "".join(f"{'?' if i == 0 else '&'}{enc(k)}={enc(v)}" for i, (k, v) in enumerate(pairs))


def _escape_quoted(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")


def multipart(fields, file: Optional[GrantedFile], timeout: float = 120.0):
    """A streamed `multipart/form-data` body, framed as the native host frames it: returns
    (boundary, length, chunks) or a Failure. `fields` are ("text", (name, value)) and
    ("granted-file", (name, filename, sha256)). The file's bytes are hashed as they go; if they
    are not the ones the guest validated (the digest differs, or the file ends early), or the
    upload runs past its deadline, the chunks raise before the part's last line break and the
    closing boundary, so the server never gets a whole request."""
    seed = (time.time_ns() ^ (os.getpid() << 32)) & 0xFFFFFFFFFFFFFFFF
    boundary = f"openai-ft-{seed:016x}"
    parts: List[Union[bytes, Tuple[GrantedFile, str]]] = []
    length = 0
    for tag, payload in fields:
        if tag == "text":
            name, value = payload
            head = (
                f'--{boundary}\r\ncontent-disposition: form-data; name="{_escape_quoted(name)}"'
                f"\r\n\r\n{value}\r\n"
            ).encode()
            parts.append(head)
            length += len(head)
        else:
            if file is None:
                return Failure("denied", "the component asked to upload a file, but no file was granted")
            name, filename, sha256 = payload
            head = (
                f'--{boundary}\r\ncontent-disposition: form-data; name="{_escape_quoted(name)}"; '
                f'filename="{_escape_quoted(filename)}"\r\ncontent-type: application/octet-stream\r\n\r\n'
            ).encode()
            parts += [head, (file, sha256.lower()), b"\r\n"]
            length += len(head) + file.size + 2
    end = f"--{boundary}--\r\n".encode()
    parts.append(end)
    length += len(end)
    allowed = int(timeout) + (file.size if file else 0) // MIN_UPLOAD_BYTES_PER_SEC
    deadline = time.monotonic() + allowed

    def chunks() -> Iterator[bytes]:
        for p in parts:
            if isinstance(p, bytes):
                yield p
                continue
            f, expected = p

            def changed(what: str) -> _BodyStop:
                return _BodyStop("file-changed", f"{f.path} changed after it was validated ({what})")

            digest = hashlib.sha256()
            # Positional reads from byte 0: a retried upload starts over.
            offset = 0
            while offset < f.size:
                if time.monotonic() > deadline:
                    raise _BodyStop(
                        "timeout",
                        f"the upload of {f.path} took longer than {allowed} s (the timeout plus 1 s "
                        "per 64 KiB); raise OPENAI_FT_TIMEOUT for a slow link",
                    )
                chunk = os.pread(f.fd, min(1 << 16, f.size - offset), offset)
                if not chunk:
                    raise changed(f"it ends at byte {offset}, not at the {f.size} validated")
                digest.update(chunk)
                offset += len(chunk)
                yield chunk
            got = digest.hexdigest()
            if got != expected:
                raise changed(f"its SHA-256 is {got}, not the {expected} validated")

    return boundary, length, chunks()


def request_base(endpoint: Endpoint, target) -> Union[Tuple[str, List[Tuple[str, str]]], Failure]:
    """Where a request goes, by its `target` (None for `api`, or the api-version of
    `azure-dated`): the configured base with the configured api-version, or, under an Azure
    flavour, the resource's dated API `{endpoint}/openai` with the version the guest named. The
    resource endpoint is the base without its `/openai/v1` or `/openai`."""
    if target is None:
        extra = [] if endpoint.api_version is None else [("api-version", endpoint.api_version)]
        return endpoint.base, extra
    if endpoint.flavor == "openai":
        return Failure(
            "denied", "the component asked for Azure's dated API, which the openai flavour does not have"
        )
    resource = re.sub(r"/openai(/v1)?$", "", endpoint.base)
    return f"{resource}/openai", [("api-version", target)]


def send(endpoint: Endpoint, request, file: Optional[GrantedFile]) -> Union[Response, Failure]:
    """Sends one request. `request` has method, target, path, query, body and credential as the
    WIT record (target: None for `api`, else the `azure-dated` api-version; body: None, ("json",
    str) or ("multipart", fields as `multipart` takes them))."""
    denied = check_path(request.path)
    if denied:
        return Failure("denied", denied)
    auth = endpoint.admin if request.credential == "admin" else endpoint.project
    if isinstance(auth, Missing):
        return Failure("missing-credential", auth.message)
    where = request_base(endpoint, request.target)
    if isinstance(where, Failure):
        return where
    base, extra = where
    query = list(request.query) + extra
    url = urlsplit(f"{base}{request.path}{encode_query(query)}")
    headers = [auth, ("accept", "application/json"), ("user-agent", USER_AGENT)]
    if endpoint.organization is not None:
        headers.append(("openai-organization", endpoint.organization))
    if endpoint.project_id is not None:
        headers.append(("openai-project", endpoint.project_id))
    body: Iterator[bytes] = iter(())
    if request.body is not None and request.body[0] == "json":
        data = request.body[1].encode("utf-8")
        headers += [("content-type", "application/json"), ("content-length", str(len(data)))]
        body = iter((data,))
    elif request.body is not None:
        framed = multipart(request.body[1], file, endpoint.timeout)
        if isinstance(framed, Failure):
            return framed
        boundary, length, body = framed
        headers += [
            ("content-type", f"multipart/form-data; boundary={boundary}"),
            ("content-length", str(length)),
        ]
    elif request.method != "get":
        headers.append(("content-length", "0"))
    target = url.path + (f"?{url.query}" if url.query else "")
    return _exchange(endpoint, url, request.method.upper(), target, headers, body)


def _exchange(endpoint, url, method, target, headers, body) -> Union[Response, Failure]:
    base = endpoint.base
    https = url.scheme == "https"
    cls = http.client.HTTPSConnection if https else http.client.HTTPConnection
    kwargs = {"context": ssl.create_default_context()} if https else {}
    conn = cls(url.hostname, url.port, timeout=endpoint.connect_timeout, **kwargs)
    phase = "connect"
    try:
        conn.connect()
        conn.sock.settimeout(endpoint.timeout)
        phase = "send"
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        for chunk in body:
            conn.send(chunk)
        phase = "receive response"
        resp = conn.getresponse()
        phase = "receive body"
        data = resp.read(MAX_RESPONSE_BYTES + 1)
        if len(data) > MAX_RESPONSE_BYTES:
            return Failure(
                "transport",
                f"request to {base} failed: the response body is larger than request limit: "
                f"{MAX_RESPONSE_BYTES}",
            )
        # Whatever the server echoed of a key stops here: the guest never sees one.
        redactor = endpoint.redactor
        pairs = [
            (k.lower(), redactor.text(v))
            for k, v in resp.getheaders()
            # The native host drops values that are not visible ASCII (`HeaderValue::to_str`).
            if all(c == "\t" or " " <= c <= "~" for c in v)
        ]
        return Response(resp.status, pairs, redactor.bytes(data))
    except _BodyStop as stop:
        return stop.failure
    except socket.timeout:
        which = "connect" if phase == "connect" else phase
        if which == "send":
            which = "receive response"
        return Failure(
            "timeout",
            f"no answer from {base} within the timeout ({which}); raise OPENAI_FT_TIMEOUT or "
            "check the network",
        )
    except Exception as e:  # every failure becomes the guest's transport error, one line
        return _transport_error(e, base)
    finally:
        conn.close()


def _transport_error(e: Exception, base: str) -> Failure:
    """A socket failure as the native host words it (HOST.md lists these lines)."""
    if isinstance(e, ConnectionRefusedError):
        return Failure(
            "transport",
            f"cannot connect to {base} (connection refused); check OPENAI_BASE_URL and that the "
            "server is running",
        )
    if isinstance(e, socket.gaierror):
        return Failure("transport", f"cannot resolve the host of {base}; check OPENAI_BASE_URL and DNS")
    if isinstance(e, (http.client.RemoteDisconnected, http.client.IncompleteRead, BrokenPipeError)):
        return Failure("transport", f"request to {base} failed: io: Peer disconnected")
    if isinstance(e, ConnectionResetError):
        return Failure(
            "transport", f"request to {base} failed: io: Connection reset by peer (os error 104)"
        )
    if isinstance(e, OSError) and e.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return Failure(
            "transport",
            f"cannot connect to {base}; check OPENAI_BASE_URL, the network and any proxy settings",
        )
    return Failure("transport", f"request to {base} failed: {e}")
