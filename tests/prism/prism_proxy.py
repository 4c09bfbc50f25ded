"""Prism (pinned in this folder's package.json) serving one of Microsoft's Azure OpenAI specs as a
validating proxy in front of the emulator: every request openai-ft sends is checked against the
spec on its way in, every answer the emulator gives on its way back, and each violation is
logged. The spec is the file in ../shared, copied at test time with what Prism cannot take from
it generated, never edited by hand (see `serveable_spec`). An Azure resource serves several APIs
at one address (v1 under `/openai/v1`, the dated API under `/openai`, and for deployments the ARM
control plane elsewhere), so a `Resource` puts one Prism per spec behind one address, routed by
path prefix. Written for any Azure spec, the ARM one included: a surface is a spec file, the
prefix its `servers` entry puts before its paths, and the multipart encodings it leaves out."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PRISM = HERE / "node_modules" / ".bin" / "prism"


def specs_dir() -> Path:
    return Path(
        os.environ.get("OPENAI_FT_AZURE_SPECS", REPO / ".." / "shared" / "azure-openai" / "specs")
    )


@dataclass(frozen=True)
class Surface:
    """One spec Prism serves: its file (below specs_dir), the path prefix of its server, the
    encodings of multipart fields it gives none for, as `{path: {field: encoding}}`, and, for a
    spec of many resources, the one part of the path its operations are kept for (`only`)."""

    name: str
    file: str
    prefix: str
    encodings: dict = field(default_factory=dict)
    only: str | None = None


# The v1 upload's `expires_after` is an object in a multipart body, for which the spec names no
# encoding; openai-ft (like OpenAI's SDKs, which Microsoft's v1 examples use) sends it as
# `expires_after[anchor]` and `expires_after[seconds]`, which is OpenAPI's deepObject style.
V1 = Surface(
    "azure-v1",
    "v1/azure-v1-v1-generated.yaml",
    "/openai/v1",
    {"/files": {"expires_after": {"style": "deepObject", "explode": True}}},
)
GA = Surface("azure-2024-10-21", "authoring/stable/2024-10-21/azureopenai.json", "/openai")
PREVIEW = Surface(
    "azure-2025-04-01-preview", "authoring/preview/2025-04-01-preview/azureopenai.json", "/openai"
)
# Azure Resource Manager's Microsoft.CognitiveServices, for deployments: its paths start at the
# host's root (`/subscriptions/...`), and it is served for the deployments' operations only.
ARM = Surface(
    "arm-2026-09-01", "arm/stable/2026-09-01/cognitiveservices.json", "", only="/deployments"
)

# The ARM spec's `$ref`s reach Azure's common-types six folders up, which ../shared does not
# hold; this folder keeps a copy of the one file its deployments need (see common-types/SOURCE.md).
COMMON_TYPES = HERE / "common-types"
_COMMON_REF = re.compile(r"^(\.\./)+common-types/")


def _drop(node, key):
    if isinstance(node, dict):
        node.pop(key, None)
        for v in node.values():
            _drop(v, key)
    elif isinstance(node, list):
        for v in node:
            _drop(v, key)


def _common_refs(node, to: str):
    """Points every `$ref` into common-types at the copy beside the served spec."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and _COMMON_REF.match(ref):
            node["$ref"] = _COMMON_REF.sub(to, ref)
        for v in node.values():
            _common_refs(v, to)
    elif isinstance(node, list):
        for v in node:
            _common_refs(v, to)


def _local_refs(node, found: set):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            found.add(ref.removeprefix("#/definitions/"))
        for v in node.values():
            _local_refs(v, found)
    elif isinstance(node, list):
        for v in node:
            _local_refs(v, found)


def _keep_only(spec: dict, part: str):
    """Keeps the paths containing `part` and the definitions they reach, nothing else."""
    spec["paths"] = {p: item for p, item in spec["paths"].items() if part in p}
    keep: set = set()
    todo = set()
    _local_refs(spec["paths"], todo)
    while todo:
        name = todo.pop()
        if name in keep:
            continue
        keep.add(name)
        _local_refs(spec["definitions"].get(name, {}), todo)
    spec["definitions"] = {k: v for k, v in spec["definitions"].items() if k in keep}


def serveable_spec(surface: Surface, out: Path) -> Path:
    """Writes the surface's spec as Prism can serve it and returns its path: every path with the
    server's prefix (Prism serves paths as written, not below `servers`), `x-ms-examples` left out
    (they point at example files beside the original), the multipart encodings the spec omits
    added, a spec of many resources cut to the operations of the one under test (`only`) and the
    definitions they reach, and common-types read from this folder's copy. Schemas, parameters
    and responses are the spec's own."""
    src = specs_dir() / surface.file
    spec = yaml.safe_load(src.read_text()) if src.suffix == ".yaml" else json.loads(src.read_text())
    _drop(spec, "x-ms-examples")
    if surface.only:
        _keep_only(spec, surface.only)
    _common_refs(spec, (COMMON_TYPES.as_posix()) + "/")
    spec["paths"] = {surface.prefix + p: item for p, item in spec["paths"].items()}
    spec.pop("x-ms-parameterized-host", None)
    if "servers" in spec:
        spec["servers"] = [{"url": "/"}]
    for path, fields in surface.encodings.items():
        content = spec["paths"][surface.prefix + path]["post"]["requestBody"]["content"]
        content["multipart/form-data"]["encoding"] = fields
    out.write_text(json.dumps(spec))
    return out


# The host name the resource's answers call it by.
PUBLIC_HOST = "openai-ft-test.openai.azure.com"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prism:
    """`prism proxy` of one surface's spec to `upstream`, with `--errors` (a violation is an error
    answer, so it cannot pass unseen), its output kept in `log_path`."""

    def __init__(self, surface: Surface, upstream: str, workdir: Path, timeout: float = 120.0):
        assert PRISM.exists(), f"{PRISM} not found: run scripts/setup (npm ci in tests/prism)"
        spec = serveable_spec(surface, workdir / f"{surface.name}.json")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"prism-{surface.name}.log"
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [str(PRISM), "proxy", str(spec), upstream, "--errors", "-h", "127.0.0.1",
             "-p", str(self.port)],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while "Prism is listening" not in self.log():
            if self.process.poll() is not None:
                raise RuntimeError(f"prism exited ({self.process.returncode}):\n{self.log()[-2000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"prism did not listen within {timeout:g} s:\n{self.log()[-2000:]}")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def violations(self) -> list[str]:
        """Every violation or error Prism logged, request or response, one line each: an
        invalid request ("UNPROCESSABLE_ENTITY"), an invalid answer ("VIOLATIONS"), a path the
        spec lacks, or anything else Prism took for an error."""
        text = re.sub(r"\x1b\[[0-9;]*m", "", self.log())
        wrong = ("violation", "error", "warn", "unprocessable", "not found", "no resource")
        return [
            line.strip() for line in text.splitlines()
            if any(w in line.lower() for w in wrong) and "[CLI]" not in line
        ]

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


class Resource:
    """One address serving several specs, as an Azure resource does: each request goes to the
    Prism of the longest `prefix` its path starts with, every Prism proxying to `upstream`.
    `routes` is `[(prefix, Surface)]`."""

    def __init__(self, routes: list[tuple[str, Surface]], upstream: str, workdir: Path):
        self.prisms: list[tuple[str, Prism]] = []
        try:
            for prefix, surface in sorted(routes, key=lambda r: -len(r[0])):
                self.prisms.append((prefix, Prism(surface, upstream, workdir)))
        except BaseException:
            self.stop()
            raise
        prisms = self.prisms
        # What Prism's answers said was wrong: its log gives no details, its answer does.
        self.found: list[str] = []
        found = self.found
        # How many requests each prefix's Prism saw, so a test can tell each spec was used.
        self.forwarded: dict[str, int] = {prefix: 0 for prefix, _ in self.prisms}
        forwarded = self.forwarded

        class Forward(BaseHTTPRequestHandler):
            def _body(self) -> bytes | None:
                if self.headers.get("transfer-encoding", "").lower() == "chunked":
                    data = b""
                    while size := int(self.rfile.readline().split(b";")[0].strip(), 16):
                        data += self.rfile.read(size)
                        self.rfile.readline()
                    self.rfile.readline()
                    return data
                length = int(self.headers.get("content-length") or 0)
                return self.rfile.read(length) if length else None

            def _forward(self):
                path = urlsplit(self.path).path
                prefix, prism = next(
                    ((x, p) for x, p in prisms if path.startswith(x + "/")), (None, None)
                )
                body = self._body()
                if prism is None:
                    found.append(f"{self.command} {path}: no spec serves this path")
                    self.send_error(404, f"no spec serves {path}")
                    return
                forwarded[prefix] += 1
                conn = http.client.HTTPConnection("127.0.0.1", prism.port, timeout=120)
                try:
                    framing = ("connection", "transfer-encoding", "content-length")
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in framing}
                    if body is not None:
                        headers["content-length"] = str(len(body))
                    # As a resource's gateway knows its public name: absolute URLs in answers
                    # (a Location) name it, and a spec's `format: url` accepts no loopback host.
                    headers["x-forwarded-host"] = PUBLIC_HOST
                    conn.request(self.command, self.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    data = answer.read()
                finally:
                    conn.close()
                if answer.getheader("sl-violations"):
                    found.append(f"{self.command} {path}: {answer.getheader('sl-violations')}")
                elif "problem+json" in (answer.getheader("content-type") or ""):
                    found.append(f"{self.command} {path}: {data.decode(errors='replace')}")
                self.send_response(answer.status)
                for k, v in answer.getheaders():
                    if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                        self.send_header(k, v)
                self.send_header("content-length", str(len(data)))
                self.send_header("connection", "close")
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _forward

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def violations(self) -> list[str]:
        """Every violation any Prism reported: its answers' details, and its log's lines."""
        logged = [f"{p.log_path.name}: {v}" for _, p in self.prisms for v in p.violations()]
        return self.found + logged

    def stop(self):
        server = getattr(self, "server", None)
        if server is not None:
            server.shutdown()
            server.server_close()
        for _, prism in self.prisms:
            prism.stop()
