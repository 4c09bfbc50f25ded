"""Every host's HTTP phases bounded as HOST.md (2, item 7) states, timed from the outside against
peers of this file's own: one that stops reading an upload, and ones that send the answer's head
or body one byte a second. Each request must end within its phase's bound (the timeout, 3 s
here, plus slack), whatever the peer does, and every host must end with native's line."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from contextlib import contextmanager
from typing import Callable, List

import pytest

from hosts import ADMIN_KEY, PROJECT_KEY, REPO, clean_env

HOSTS = ("native", "node", "python")
TIMEOUT = 3
#: What a request may take past its phase's bound (start-up, scheduling on a loaded machine).
SLACK = 2.5
#: The guest's retries of a timed-out request (crates/core/src/api/retry.rs: 2, after 0.5 and 1 s).
ATTEMPTS, BACKOFF = 3, 1.5
EMPTY_LIST = b'{"object":"list","data":[],"has_more":false}'


def _head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _answer(sock: socket.socket, body: bytes) -> None:
    sock.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n"
                 b"content-length: %d\r\n\r\n%s" % (len(body), body))


class Peer:
    """A raw HTTP server whose `handle(sock, request_line)` misbehaves; it notes when each stall
    began. Its sockets take at most a few KiB at a time, so a client's writes fill up soon."""

    def __init__(self, handle: Callable[["Peer", socket.socket, bytes], None]):
        self.handle, self.stalls, self.closing = handle, [], threading.Event()
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.base = f"http://127.0.0.1:{self.server.getsockname()[1]}/v1"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.closing.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            try:
                head = _head(conn)
                self.handle(self, conn, head.split(b"\r\n", 1)[0])
            except OSError:
                pass

    def stall(self, conn: socket.socket, drip: bytes = b"") -> None:
        """Notes the stall, then sends `drip` a byte a second (or nothing) until the client goes."""
        self.stalls.append(time.monotonic())
        for byte in drip:
            if self.closing.wait(1):
                return
            conn.sendall(bytes([byte]))
        self.closing.wait(600)

    def close(self) -> None:
        self.closing.set()
        self.server.close()


@contextmanager
def peer(handle):
    p = Peer(handle)
    try:
        yield p
    finally:
        p.close()


def _env(base: str) -> dict:
    return {"OPENAI_BASE_URL": base, "OPENAI_API_KEY": PROJECT_KEY, "OPENAI_ADMIN_KEY": ADMIN_KEY,
            "OPENAI_FT_TIMEOUT": str(TIMEOUT), "OPENAI_FT_CONNECT_TIMEOUT": str(TIMEOUT)}


def _run_each(host_table, p: Peer, args: List[str], stdin: bytes):
    """Runs every host against `p`; checks each stall ended within its bound from the outside
    (the next request, or the host's end, came at most the timeout plus the backoff after it)
    and returns each host's exit status and last stderr line."""
    outcomes = {}
    for name in HOSTS:
        p.stalls.clear()
        out = host_table[name].run(args, stdin, _env(p.base), timeout=120)
        ended = time.monotonic()
        assert p.stalls, f"{name} never reached the stalling peer: {out.stderr}"
        assert len(p.stalls) <= ATTEMPTS, f"{name} sent {len(p.stalls)} requests"
        for began, then in zip(p.stalls, p.stalls[1:] + [ended]):
            took = then - began
            assert took <= TIMEOUT + BACKOFF + SLACK, f"{name}: a stall held it {took:.1f} s: {out.stderr}"
        for key in (PROJECT_KEY, ADMIN_KEY):
            assert key not in out.stdout + out.stderr
        outcomes[name] = (out.code, out.stdout, out.stderr.splitlines()[-1:])
    native = outcomes["native"]
    assert native[0] == 1 and native[1] == "", native
    for name in HOSTS[1:]:
        assert outcomes[name] == native, f"{name} differs from native: {outcomes[name]} != {native}"
    return native


@pytest.mark.parametrize("where", ["head", "body"])
def test_a_peer_that_drips_its_answer_a_byte_a_second_is_cut_off_at_the_timeout(host_table, where):
    body = b'{"id":"ftjob-drip","object":"fine_tuning.job"}' + b" " * 200
    answer = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(body))

    def drip(p, conn, _line):
        if where == "head":
            p.stall(conn, answer + body)
        else:
            conn.sendall(answer)
            p.stall(conn, body)

    with peer(drip) as p:
        code, _, line = _run_each(host_table, p, ["job", "read"], b'{"id": "ftjob-drip"}')
    phase = "receive response" if where == "head" else "receive body"
    assert line == [f"openai-ft: no answer from {p.base} within the timeout ({phase}); raise "
                    "OPENAI_FT_TIMEOUT or check the network"], line


def test_a_peer_that_stops_reading_an_upload_is_cut_off_at_the_timeout(host_table, tmp_path):
    """The file is far larger than what the sockets' buffers hold, and its upload deadline (the
    timeout plus 1 s per 64 KiB) minutes away: only the bound on each write can end it. A
    timed-out upload is then looked up for a while (it may have been committed), so each host
    runs until its first request after the stall, and that gap is what is bounded."""
    source = (REPO / "tests" / "data" / "supervised.jsonl").read_bytes()
    path = tmp_path / "train.jsonl"
    path.write_bytes(source * (12 * 1024 * 1024 // len(source)))
    requests: List[float] = []

    def stop_reading(p, conn, line):
        requests.append(time.monotonic())
        if line.startswith(b"GET /v1/files"):
            return _answer(conn, EMPTY_LIST)
        p.stall(conn)

    lines = {}
    with peer(stop_reading) as p:
        for name in HOSTS:
            requests.clear()
            p.stalls.clear()
            host = host_table[name]
            proc = subprocess.Popen([*host.argv, "file", "upload"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=clean_env(_env(p.base)))
            proc.stdin.write(b'{"path": "%s"}' % str(path).encode())
            proc.stdin.close()
            proc.stdin = None
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and proc.poll() is None and not (p.stalls and requests[-1] > p.stalls[0]):
                time.sleep(0.05)
            ended = min([r for r in requests if p.stalls and r > p.stalls[0]] + [time.monotonic()])
            proc.kill()
            _, err = proc.communicate(timeout=30)
            assert p.stalls, f"{name} never reached the stalling peer: {err!r}"
            took = ended - p.stalls[0]
            # Native's client (ureq) ends such a write later than its per-write bound says: about
            # 10 s at a 3 s timeout (HOST.md, 2.7).
            bound = 3 * TIMEOUT + SLACK if name == "native" else TIMEOUT + SLACK
            assert took <= bound, f"{name}: the stalled upload held it {took:.1f} s: {err!r}"
            # The line up to the retry's jittered backoff.
            lines[name] = [line.split("; looking")[0] for line in err.decode().splitlines() if "POST /files: " in line][:1]
    assert lines["native"] and "within the timeout (send request)" in lines["native"][0], lines
    assert lines["node"] == lines["python"] == lines["native"], lines
