"""Every host against a tiny hostile server of this file's own (not the emulator): one that echoes
the key it was sent (in error messages, a raw error body, a response header and a failed job's
error_message) and one that changes the training file while the upload is under way. Each host
must give the same exit status, stdout and stderr, with no key anywhere, and never send a whole
upload of bytes other than the ones validated."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hosts import ADMIN_KEY, PROJECT_KEY, REPO

HOSTS = ("native", "node", "python")
SUPERVISED = REPO / "tests" / "data" / "supervised.jsonl"


class Hostile(BaseHTTPRequestHandler):
    """Answers from `self.server.routes`: (method, path) -> fn(handler) -> (status, headers, body)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *_):  # quiet
        pass

    def _answer(self):
        route = self.server.routes.get((self.command, self.path.split("?")[0]))
        if route is None:
            status, headers, body = 404, {}, b'{"error":{"message":"no such route","type":"invalid_request_error"}}'
        else:
            status, headers, body = route(self)
        self.send_response(status)
        for k, v in {"content-type": "application/json", **headers}.items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(body)))
        self.send_header("connection", "close")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer


@contextmanager
def hostile(routes):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    server.routes = routes
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def _env(base: str) -> dict:
    return {"OPENAI_BASE_URL": base, "OPENAI_API_KEY": PROJECT_KEY, "OPENAI_ADMIN_KEY": ADMIN_KEY,
            "OPENAI_FT_TIMEOUT": "5"}


def _no_key(host, out):
    for key in (PROJECT_KEY, ADMIN_KEY):
        assert key not in out.stdout and key not in out.stderr, f"{host} showed a key: {out}"


def _echo_routes():
    def auth(h):
        return h.headers.get("authorization", "")

    def error_message(h):
        body = {"error": {"message": f"Incorrect API key provided: {auth(h)}", "type": "invalid_request_error",
                          "code": "invalid_api_key", "param": None}}
        return 401, {"x-echo": auth(h)}, json.dumps(body).encode()

    def raw_body(h):
        return 403, {"content-type": "text/plain"}, f"denied for {auth(h)}".encode()

    def failed_job(h):
        key = auth(h).removeprefix("Bearer ")
        job = {"id": "ftjob-echoes0job", "object": "fine_tuning.job", "status": "failed",
               "model": "gpt-4o-mini-2024-07-18", "created_at": 1764000000, "finished_at": 1764000100,
               "result_files": [], "metadata": None,
               "error": {"code": "invalid_training_file", "param": None,
                         # JSON-escaped, as a server would write a key with a slash in it.
                         "message": f"the key {key} was rejected; also {json.dumps(key)[1:-1]}"}}
        return 200, {"x-request-id": f"req_{key}"}, json.dumps(job).encode()

    return {
        ("GET", "/v1/fine_tuning/jobs/ftjob-echoes0error"): error_message,
        ("GET", "/v1/fine_tuning/jobs/ftjob-echoes0raw"): raw_body,
        ("GET", "/v1/fine_tuning/jobs/ftjob-echoes0job"): failed_job,
    }


@pytest.mark.parametrize("job", ["ftjob-echoes0error", "ftjob-echoes0raw", "ftjob-echoes0job"])
def test_a_server_that_echoes_the_key_never_gets_it_shown(host_table, job):
    outcomes = {}
    with hostile(_echo_routes()) as base:
        for name in HOSTS:
            out = host_table[name].run(["job", "read"], json.dumps({"id": job}).encode(), _env(base))
            _no_key(name, out)
            outcomes[name] = (out.code, out.stdout, out.stderr)
    native = outcomes["native"]
    assert "[redacted]" in native[1] + native[2], native
    for name in HOSTS[1:]:
        assert outcomes[name] == native, f"{name} differs from native: {outcomes[name]} != {native}"


def test_an_answer_that_is_text_or_not_reaches_every_guest_as_the_same_bytes(host_table):
    """A body that is UTF-8 crosses as text, one that is not as bytes (HOST.md 2, item 8: each
    host picks); either way the guest reads the same bytes, so every host prints what native does."""
    job = {"id": "ftjob-utf8", "object": "fine_tuning.job", "status": "failed", "created_at": 1764000000,
           "finished_at": 1764000100, "model": "gpt-4o-mini-2024-07-18", "result_files": [], "metadata": None,
           "error": {"code": "invalid_training_file", "param": None, "message": "\u00e9quipe \u65e5\u672c \U0001f600"}}
    routes = {("GET", "/v1/fine_tuning/jobs/ftjob-utf8"): lambda h: (200, {}, json.dumps(job, ensure_ascii=False).encode()),
              ("GET", "/v1/fine_tuning/jobs/ftjob-latin1"): lambda h: (403, {"content-type": "text/plain"},
                                                                        b"denied \xe9quipe \xff")}
    with hostile(routes) as base:
        for id, code, shown in (("ftjob-utf8", 0, "\u00e9quipe \u65e5\u672c \U0001f600"), ("ftjob-latin1", 1, "denied")):
            outcomes = {name: host_table[name].run(["job", "read"], json.dumps({"id": id}).encode(), _env(base))
                        for name in HOSTS}
            native = outcomes["native"]
            assert native.code == code and shown in native.stdout + native.stderr, native
            for name in HOSTS[1:]:
                got = outcomes[name]
                assert (got.code, got.stdout, got.stderr) == (native.code, native.stdout, native.stderr), name


def test_a_file_changed_during_the_upload_is_never_sent_whole(host_table, tmp_path):
    """The server changes the file (same size) while answering the lookup that comes before the
    upload: each host must stop the body before its end, say the file changed, and the server
    must never see a complete upload."""
    path = tmp_path / "train.jsonl"
    original = SUPERVISED.read_bytes()
    changed = original.replace(b"assistant", b"ASSISTANT", 1)
    assert len(changed) == len(original) and changed != original
    state = {"lookups": 0, "complete_uploads": 0, "posts": 0}

    def lookup(_h):
        state["lookups"] += 1
        if state["lookups"] == 1:
            path.write_bytes(changed)
        return 200, {}, b'{"object":"list","data":[],"has_more":false}'

    def upload(h):
        state["posts"] += 1
        length = int(h.headers.get("content-length", "0"))
        body = b""
        try:
            while len(body) < length:
                chunk = h.rfile.read(min(65536, length - len(body)))
                if not chunk:
                    break
                body += chunk
        except OSError:
            pass
        boundary = h.headers.get("content-type", "").split("boundary=")[-1].encode()
        if len(body) == length and body.endswith(b"--" + boundary + b"--\r\n"):
            state["complete_uploads"] += 1
        file = {"id": "file-hostile0000000000000", "object": "file", "bytes": len(original),
                "created_at": 1764000000, "filename": "x.jsonl", "purpose": "fine-tune", "status": "processed"}
        return 200, {}, json.dumps(file).encode()

    routes = {("GET", "/v1/files"): lookup, ("POST", "/v1/files"): upload}
    outcomes = {}
    with hostile(routes) as base:
        for name in HOSTS:
            path.write_bytes(original)
            state.update(lookups=0, complete_uploads=0, posts=0)
            out = host_table[name].run(["file", "upload"], json.dumps({"path": str(path)}).encode(), _env(base))
            _no_key(name, out)
            assert state["complete_uploads"] == 0, f"{name} sent a whole upload of changed bytes"
            outcomes[name] = (out.code, out.stdout, out.stderr.splitlines()[-1:])
    native = outcomes["native"]
    assert native[0] == 1 and native[1] == "", native
    assert native[2] == [
        f"openai-ft: {path} changed after it was validated (its SHA-256 is "
        f"{_sha256(changed)}, not the {_sha256(original)} validated); the upload was stopped before it "
        "completed; run again to validate and upload its new content"
    ], native
    for name in HOSTS[1:]:
        assert outcomes[name] == native, f"{name} differs from native: {outcomes[name]} != {native}"


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_loopback_is_never_proxied(host_table):
    """With every proxy variable pointing at a port where nothing listens, a loopback base is
    still reached directly by every host."""
    proxies = {v: "http://127.0.0.1:9" for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy",
                                                 "HTTP_PROXY", "http_proxy")}
    with hostile(_echo_routes()) as base:
        for name in HOSTS:
            out = host_table[name].run(["job", "read"], b'{"id": "ftjob-echoes0job"}', {**_env(base), **proxies})
            assert out.code == 0, f"{name}: {out.stderr}"
            assert json.loads(out.stdout)["status"] == "failed"
            _no_key(name, out)


@pytest.mark.parametrize("base", [
    "http://127.0.0.1:99999/v1",  # a port past 65535
    "http://[::1/v1",  # an unclosed bracket
    "https://" + "a" * 64 + ".example/v1",  # a DNS label longer than 63 bytes
    "https://b\u00fccher.invalid/v1",  # a host that is not ASCII
    "http://127.0.0.1:0/v1",  # port 0
])
def test_a_base_url_no_client_can_use_ends_in_one_line(host_table, base):
    """Whatever the host's HTTP client makes of a base the configuration let through (or the
    refusal when it does not), every host ends with one `openai-ft: ` line per message and no
    traceback; a refusal is native's, byte for byte."""
    env = {**_env(base), "OPENAI_FT_TIMEOUT": "2", "OPENAI_FT_CONNECT_TIMEOUT": "2"}
    outcomes = {}
    for name in HOSTS:
        out = host_table[name].run(["job", "read"], b'{"id": "ftjob-abc"}', env)
        _no_key(name, out)
        lines = out.stderr.splitlines()
        assert (out.code, out.stdout) == (1, ""), f"{name}: {out}"
        assert lines and all(line.startswith("openai-ft: ") for line in lines), f"{name}: {out.stderr}"
        assert "Traceback" not in out.stderr and "a bug in openai-ft" not in out.stderr, f"{name}: {out.stderr}"
        outcomes[name] = lines[-1]
    if outcomes["native"].startswith("openai-ft: invalid "):  # the configuration's refusal
        assert outcomes["node"] == outcomes["python"] == outcomes["native"], outcomes
