"""Fixtures of the cross-host conformance suite: the hosts, each checked to exist, and the
test component each host runs for the limit and environment checks."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from hosts import TARGET, hosts, test_host_bin  # noqa: E402


@pytest.fixture(scope="session")
def host_table():
    table = hosts()
    for name, host in table.items():
        binary = Path(host.argv[-1])
        if not binary.exists():
            pytest.fail(f"{name} host {binary} not found: run tests/conformance/prepare")
    return table


@dataclass(frozen=True)
class Runaway:
    """How each host is made to run the test component (crates/test-component: `selftest
    cpu|memory` run away, `selftest env` reports what the guest sees), which no shipped host runs:
    natively the test-only host `openai-ft-test-host`, under Node and Python the package's API
    with its `component` option (see drivers/). `prepare` builds all three."""

    command: str  # "selftest"
    native_args: tuple  # the test-only native host and its arguments before `cpu|memory|env`
    component_wasm: Path  # the test component, for Python
    component_node_dir: Path  # the test component transpiled, for Node


@pytest.fixture(scope="session")
def runaway() -> Runaway:
    runaway = Runaway(command="selftest", native_args=(str(test_host_bin()), "selftest"),
                      component_wasm=TARGET / "conformance" / "test-component.wasm",
                      component_node_dir=TARGET / "conformance" / "test-component-node")
    for path in (test_host_bin(), runaway.component_wasm, runaway.component_node_dir / "component.json"):
        if not path.exists():
            pytest.fail(f"{path} not found: run tests/conformance/prepare")
    return runaway
