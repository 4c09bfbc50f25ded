"""A TLS front for the emulator's Entra endpoints, for tests: the identity libraries (@azure/identity,
azure-identity, MSAL under both) insist on an https authority, so the hosts that use them are
pointed at this front, which serves https on a loopback port with a certificate from a test CA
(trustme) and passes each request on to the emulator's plain-http port, saying
`x-forwarded-proto: https` so the emulator's OpenID configuration names https endpoints.

    front = TlsFront("http://127.0.0.1:PORT")   # starts at once
    front.url        # https://127.0.0.1:PORT2
    front.ca_file    # the CA's PEM: NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, SSL_CERT_FILE
    front.stop()

Every wait is bounded: the upstream exchange by its timeout, each connection by the socket's."""

from __future__ import annotations

import http.client
import os
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import trustme

_CA = None
_CA_LOCK = threading.Lock()


def _ca():
    """One test CA per process, and its PEM file."""
    global _CA
    with _CA_LOCK:
        if _CA is None:
            ca = trustme.CA()
            fd, path = tempfile.mkstemp(prefix="openai-ft-test-ca-", suffix=".pem")
            with os.fdopen(fd, "wb") as f:
                f.write(ca.cert_pem.bytes())
            _CA = (ca, path)
        return _CA


class TlsFront:
    def __init__(self, upstream: str, timeout: float = 30.0):
        ca, self.ca_file = _ca()
        target = urlsplit(upstream)
        host, port = target.hostname, target.port

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _pass(self):
                self.connection.settimeout(timeout)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
                headers["x-forwarded-proto"] = "https"
                upstream = http.client.HTTPConnection(host, port, timeout=timeout)
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                    self.send_response(answer.status)
                    for k, v in answer.getheaders():
                        if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                            self.send_header(k, v)
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    upstream.close()

            do_GET = do_POST = do_PUT = do_DELETE = _pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True)
        self._thread.start()

    def env(self):
        """The variables that make every host trust the front's CA."""
        return {"NODE_EXTRA_CA_CERTS": self.ca_file, "REQUESTS_CA_BUNDLE": self.ca_file,
                "SSL_CERT_FILE": self.ca_file}

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
