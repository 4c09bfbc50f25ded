"""The package's tests run from the source tree (src/ on the path, the component copied in by
build_wheel.py or `prepare`) against an emulator process."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parent / "src"))

PROJECT_KEY = "sk-proj-PYTEST-key-01"
ADMIN_KEY = "sk-admin-PYTEST-key-01"
DATA = REPO / "tests" / "data"


class Emulator:
    def __init__(self, step_ms: int):
        binary = os.environ.get("OPENAI_FT_EMULATOR_BIN", str(REPO / "target" / "debug" / "openai-ft-emulator"))
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", "--api-key", PROJECT_KEY, "--admin-key", ADMIN_KEY,
             "--step-ms", str(step_ms)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        assert line.startswith("listening on http://"), line
        self.root = line.removeprefix("listening on ")
        self.env = {"OPENAI_BASE_URL": self.root + "/v1", "OPENAI_API_KEY": PROJECT_KEY,
                    "OPENAI_ADMIN_KEY": ADMIN_KEY}

    def fault(self, rule):
        import urllib.request
        req = urllib.request.Request(self.root + "/_emulator/faults", data=json.dumps(rule).encode(), method="POST")
        urllib.request.urlopen(req, timeout=10).read()


@pytest.fixture
def emulator():
    e = Emulator(step_ms=20)
    yield e
    e.proc.terminate()
    e.proc.wait(timeout=5)


@pytest.fixture(autouse=True)
def component_present():
    from openai_ft.sandbox import DEFAULT_COMPONENT
    if not DEFAULT_COMPONENT.exists():
        pytest.fail(f"{DEFAULT_COMPONENT} missing: run hosts/python/build_wheel.py or tests/conformance/prepare")
