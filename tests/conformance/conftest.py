"""Fixtures of the cross-host conformance suite: the hosts, each checked to exist, and the
runaway component each host must stop."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from hosts import hosts  # noqa: E402


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
    """How each host is made to run a guest that runs away. Today the shipped component's
    `selftest cpu|memory` does; phase B moves it into a test-only component, and only this
    fixture changes: `native` becomes that build's command line, `component` its .wasm (Python)
    and transpiled folder (Node)."""

    command: str  # "selftest"
    native_args: tuple  # the native host's arguments before `cpu|memory`
    component_wasm: Path | None  # None: the host's packaged component
    component_node_dir: Path | None


@pytest.fixture(scope="session")
def runaway() -> Runaway:
    return Runaway(command="selftest", native_args=("selftest",), component_wasm=None,
                   component_node_dir=None)
