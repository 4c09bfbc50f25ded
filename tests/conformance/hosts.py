"""The three hosts under test, each run as its protocol binary in a clean environment, and the
emulator they talk to. Paths come from the environment (set by `prepare`), with the repository's
build outputs as defaults."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

REPO = pathlib.Path(__file__).resolve().parents[2]
TARGET = REPO / "target"

sys.path.insert(0, str(REPO / "scripts" / "lib"))
import emulator  # noqa: E402  (scripts/lib/emulator.py: the one way to start the emulator)

# Keys the emulator accepts. No run may show any of them on stdout or stderr.
PROJECT_KEY = "sk-proj-CONFORMANCE-key-01"
ADMIN_KEY = "sk-admin-CONFORMANCE-key-01"
READ_ONLY_KEY = "sk-admin-CONFORMANCE-read-only"
AZURE_KEY = "azure-CONFORMANCE-key-01"
# A key a user pasted into a URL variable and set nowhere else.
PASTED_KEY = "sk-proj-CONFORMANCE-pasted-01"
ALL_KEYS = (PROJECT_KEY, ADMIN_KEY, READ_ONLY_KEY, AZURE_KEY, PASTED_KEY)
API_VERSION = "2025-04-01-preview"


def _path(var: str, default: pathlib.Path) -> pathlib.Path:
    return pathlib.Path(os.environ.get(var, default))


def emulator_bin() -> pathlib.Path:
    return _path("OPENAI_FT_EMULATOR_BIN", TARGET / "debug" / "openai-ft-emulator")


def native_bin() -> pathlib.Path:
    return _path("OPENAI_FT_BIN", TARGET / "debug" / "openai-ft")


def test_host_bin() -> pathlib.Path:
    """The test-only native host, which runs the test component (host/examples/)."""
    return _path("OPENAI_FT_TEST_HOST_BIN", TARGET / "debug" / "examples" / "openai-ft-test-host")


def node_bin() -> pathlib.Path:
    return _path("OPENAI_FT_NODE_BIN", REPO / "hosts" / "node" / "bin" / "openai-ft-node.js")


def python_bin() -> pathlib.Path:
    return _path("OPENAI_FT_PYTHON_BIN", TARGET / "conformance" / "venv" / "bin" / "openai-ft-py")


@dataclass(frozen=True)
class Host:
    name: str
    argv: Sequence[str]

    def run(self, args: Sequence[str], stdin: Optional[bytes], env: Dict[str, str],
            timeout: float = 120) -> "Outcome":
        proc = subprocess.run(
            [*self.argv, *args],
            input=stdin,
            stdin=subprocess.DEVNULL if stdin is None else None,
            capture_output=True,
            env=clean_env(env),
            timeout=timeout,
        )
        return Outcome(proc.returncode, proc.stdout.decode("utf-8", "replace"),
                       proc.stderr.decode("utf-8", "replace"))


def hosts() -> Dict[str, Host]:
    return {
        "native": Host("native", [str(native_bin())]),
        "node": Host("node", [os.environ.get("OPENAI_FT_NODE", "node"), str(node_bin())]),
        "python": Host("python", [str(python_bin())]),
    }


def clean_env(extra: Dict[str, str]) -> Dict[str, str]:
    """Only what a host needs to start (PATH, HOME for the Python compile cache), plus `extra`.
    The native host's answer cache (WIT cache-hint) is off: the hosts are compared request for
    request, and an emulator's port may be another's a minute later."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "XDG_CACHE_HOME", "SYSTEMROOT") if k in os.environ}
    env["OPENAI_FT_CACHE_DIR"] = "off"
    env.update(extra)
    return env


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> List[str]:
        return self.stderr.splitlines()

    def json(self) -> Dict[str, str]:
        assert self.code == 0, f"exit {self.code}: {self.stderr}"
        return json.loads(self.stdout)


class Emulator:
    """A fresh emulator process of one flavour; `url` is the API base the hosts get."""

    def __init__(self, flavor: str = "openai", step_ms: int = 150, flags: Sequence[str] = ()):
        binary = emulator_bin()
        assert binary.exists(), f"{binary} not found: run tests/conformance/prepare"
        args = [binary, "--flavor", flavor,
                "--api-key", AZURE_KEY if flavor != "openai" else PROJECT_KEY,
                "--admin-key", ADMIN_KEY, "--admin-key-read-only", READ_ONLY_KEY,
                "--step-ms", str(step_ms), *flags]
        self.flavor = flavor
        self.proc, self.root = emulator.start(*args, stderr=subprocess.DEVNULL)
        self.url = self.root + {"openai": "/v1", "azure": "/openai/v1", "azure-classic": "/openai"}[flavor]

    def env(self) -> Dict[str, str]:
        """The environment that points a host at this emulator."""
        if self.flavor == "openai":
            return {"OPENAI_BASE_URL": self.url, "OPENAI_API_KEY": PROJECT_KEY,
                    "OPENAI_ADMIN_KEY": ADMIN_KEY}
        env = {"OPENAI_FT_FLAVOR": self.flavor, "AZURE_OPENAI_ENDPOINT": self.root,
               "AZURE_OPENAI_API_KEY": AZURE_KEY}
        if self.flavor == "azure-classic":
            env["OPENAI_API_VERSION"] = API_VERSION
        return env

    def fault(self, rules) -> None:
        prefix = {"openai": "/v1", "azure": "/openai/v1", "azure-classic": "/openai"}[self.flavor]
        rules = [dict(r, path=prefix + r["path"]) for r in rules]
        self.control("POST", "/_emulator/faults", rules)

    def control(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.root + path, data=data, method=method)
        req.add_header("content-type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    def stop(self) -> None:
        emulator.stop(self.proc)


def wait_for(predicate, seconds: float, what: str):
    """Polls `predicate` (bounded in time) until it returns a true value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")
