"""The package's tests run from the source tree (src/ and generated/ on the path, the component copied in by
build_wheel.py or `prepare`) against an emulator process, started the repository's one way
(scripts/lib/emulator.py)."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE.parent / "generated"))
sys.path.insert(0, str(REPO / "scripts" / "lib"))
import emulator as emulator_lib  # noqa: E402

PROJECT_KEY = "sk-proj-PYTEST-key-01"
ADMIN_KEY = "sk-admin-PYTEST-key-01"
DATA = REPO / "tests" / "data"


class Emulator:
    def __init__(self, step_ms: int):
        binary = os.environ.get("OPENAI_FT_EMULATOR_BIN", str(REPO / "target" / "debug" / "openai-ft-emulator"))
        self.proc, self.root = emulator_lib.start(
            binary, "--api-key", PROJECT_KEY, "--admin-key", ADMIN_KEY, "--step-ms", step_ms,
            stderr=subprocess.DEVNULL)
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
    emulator_lib.stop(e.proc)


@pytest.fixture(scope="session")
def test_component(tmp_path_factory) -> pathlib.Path:
    """The test component (crates/test-component: `selftest cpu|memory|env`, never shipped), as
    the test-only native host that `cargo test` (or tests/conformance/prepare) builds writes it."""
    host = pathlib.Path(os.environ.get("OPENAI_FT_TEST_HOST_BIN",
                                       REPO / "target" / "debug" / "examples" / "openai-ft-test-host"))
    if not host.exists():
        pytest.fail(f"{host} not found: run tests/conformance/prepare "
                    "(or cargo build -p openai-ft --example openai-ft-test-host)")
    wasm = tmp_path_factory.mktemp("test-component") / "test-component.wasm"
    wasm.write_bytes(subprocess.run([str(host), "component"], capture_output=True, check=True).stdout)
    return wasm


@pytest.fixture(autouse=True)
def component_present():
    from openai_ft.logic import HOST_LOGIC
    from openai_ft.sandbox import DEFAULT_COMPONENT
    for wasm in (DEFAULT_COMPONENT, HOST_LOGIC):
        if not wasm.exists():
            pytest.fail(f"{wasm} missing: run hosts/python/build_wheel.py or tests/conformance/prepare")
