"""One scenario table, three hosts: native `openai-ft`, the Node package's `openai-ft-node` and the
Python package's `openai-ft-py` each run every scenario against a fresh emulator, and their stdout,
exit status and stderr lines must be the same after `normalise` (which lists, rule by rule, what
differs by nature). The native host's run is checked against the table's exit statuses, the
others against the native run. No key may show in any output."""

from __future__ import annotations

import difflib
import json
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from hosts import (ADMIN_KEY, ALL_KEYS, AZURE_KEY, PROJECT_KEY, READ_ONLY_KEY, REPO, Emulator, clean_env,
                   native_bin, node_bin, python_bin)
from normalise import NATIVE_ONLY, normalise
from scenarios import SCENARIOS, Scenario, Step

HOSTS = ("native", "node", "python")
_transcripts = {}


def _fill(value: str, captured: dict) -> str:
    for name, v in captured.items():
        value = value.replace(f"@{name}@", v)
    return value


def _stdin(step: Step, captured: dict):
    if step.input is None:
        return None
    if isinstance(step.input, bytes):
        return step.input
    if isinstance(step.input, str):
        return step.input.encode()
    return json.dumps({k: _fill(v, captured) for k, v in step.input.items()}).encode()


def transcript(host, scenario: Scenario):
    """Runs the scenario's steps with `host` against a fresh emulator: one normalised
    (status, stdout, stderr lines) per step."""
    emulator = Emulator(scenario.flavor, scenario.step_ms)
    ids: dict = {}
    captured: dict = {}
    steps = []
    try:
        for step in scenario.steps:
            if step.faults:
                emulator.fault([{k: _fill(v, captured) if isinstance(v, str) else v
                                 for k, v in rule.items()} for rule in step.faults])
            env = emulator.env()
            for k, v in step.env.items():
                if v is None:
                    env.pop(k, None)
                else:
                    env[k] = v
            stdin = _stdin(step, captured)
            if step.via_env:
                env["OPENAI_FT_INPUT"] = stdin.decode()
                stdin = None
            out = host.run(step.args, stdin, env)
            for key in ALL_KEYS:
                assert key not in out.stdout and key not in out.stderr, \
                    f"{host.name} showed a key in {' '.join(step.args)}"
            if out.code == 0 and step.capture:
                result = json.loads(out.stdout)
                captured.update({name: result[key] for name, key in step.capture.items()})
            lines = [normalise(line, ids, step.moving) for line in out.lines if not NATIVE_ONLY.search(line)]
            if not scenario.stderr or step.stderr == "skip":
                lines = None
            elif step.stderr == "sorted":
                lines = sorted(lines)
            steps.append((" ".join(step.args), out.code, normalise(out.stdout, ids, step.moving), lines))
    finally:
        emulator.stop()
    return steps


def native_transcript(host_table, scenario):
    if scenario.name not in _transcripts:
        _transcripts[scenario.name] = transcript(host_table["native"], scenario)
    return _transcripts[scenario.name]


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(host_table, scenario, host):
    native = native_transcript(host_table, scenario)
    if host == "native":
        codes = [(cmd, code) for cmd, code, _, _ in native]
        expected = [(" ".join(s.args), s.code) for s in scenario.steps]
        assert codes == expected, "\n".join(
            f"{cmd}: exit {code}\n  stdout {out}\n  stderr {err}" for cmd, code, out, err in native)
        return
    got = transcript(host_table[host], scenario)
    for mine, theirs in zip(got, native):
        assert mine == theirs, f"{host} differs from native in {mine[0]}:\n" + "\n".join(
            difflib.unified_diff(_render(theirs), _render(mine), "native", host, lineterm=""))
    assert len(got) == len(native)


def _render(step):
    cmd, code, out, err = step
    return [f"$ {cmd}", f"exit {code}", *out.splitlines(), *(f"stderr: {line}" for line in err or [])]


# ---- the limits -----------------------------------------------------------------------------

def _test_component_argv(host: str, which: str, runaway):
    """The command line that runs the test component's `selftest {which}` in `host`."""
    if host == "native":
        return [*runaway.native_args, which]
    command = f"{runaway.command} {which}"
    drivers = Path(__file__).parent / "drivers"
    if host == "node":
        return [os.environ.get("OPENAI_FT_NODE", "node"), str(drivers / "run_node.mjs"),
                str(node_bin().parents[1]), str(runaway.component_node_dir), command]
    python = python_bin().parent / "python"
    return [str(python), str(drivers / "run_python.py"), str(runaway.component_wasm), command]


@pytest.mark.parametrize("which", ["cpu", "memory"])
@pytest.mark.parametrize("host", HOSTS)
def test_runaway_is_stopped_within_its_bound(host_table, runaway, host, which):
    """The guest is stopped by the limit, with the limit's one-line message; the host process
    used no more than the bound plus its own start-up (CPU time, so a loaded machine's waiting
    does not count), and never grew far past the memory limit (a runaway reaches 4 GiB)."""
    argv = _test_component_argv(host, which, runaway)
    # The input in OPENAI_FT_INPUT for the native test host (the drivers take theirs as an argument).
    env = clean_env({"OPENAI_FT_CPU_LIMIT_SECS": "1", "OPENAI_FT_MEMORY_LIMIT_MIB": "64",
                     "RUST_BACKTRACE": "full", "OPENAI_FT_INPUT": "{}"})
    code, out, err, usage = _run_measured(argv, env, timeout=120)
    assert code is not None, f"{host} did not stop the runaway {which} guest within 120 s"
    lines = err.decode().splitlines()
    if which == "cpu":
        expected = ("openai-ft: the component used more than 1 s of CPU time and was stopped; "
                    "raise OPENAI_FT_CPU_LIMIT_SECS if the input is legitimately this large")
    else:
        expected = ("openai-ft: the component exceeded its memory limit of 64 MiB and was stopped; "
                    "raise OPENAI_FT_MEMORY_LIMIT_MIB if the input is legitimately this large")
    # One line: nothing from the guest either (with RUST_BACKTRACE=full in the host's
    # environment, a guest that could see it would print a backtrace here).
    assert (code, out, lines) == (1, b"", [expected])
    if which == "cpu":
        assert usage["cpu"] < 1 + 4, f"{host} used {usage['cpu']:.1f} s of CPU for a 1 s limit"
    else:
        assert usage["max_rss_mib"] < 64 + 400, f"{host} grew to {usage['max_rss_mib']} MiB"


@pytest.mark.parametrize("host", HOSTS)
def test_the_guest_sees_no_environment(runaway, host):
    """With every credential a host reads (and more) in the host's environment, the guest sees no
    variable, no argument and no working folder, and no key shows anywhere."""
    keys = {"OPENAI_API_KEY": PROJECT_KEY, "OPENAI_ADMIN_KEY": ADMIN_KEY,
            "AZURE_OPENAI_API_KEY": AZURE_KEY, "AZURE_OPENAI_AD_TOKEN": READ_ONLY_KEY,
            "RUST_BACKTRACE": "full"}
    proc = subprocess.run(_test_component_argv(host, "env", runaway), input=b"{}", capture_output=True,
                          env=clean_env(keys), timeout=120)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    for key in ALL_KEYS:
        assert key not in out and key not in err, f"{host} showed a key"
    assert (proc.returncode, json.loads(out), err) == \
        (0, {"arguments": "", "environment": "", "initial_cwd": ""}, "")


# ---- the host's own refusals, and one source for every message --------------------------------

AZURE = {"OPENAI_FT_FLAVOR": "azure", "AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com",
         "AZURE_OPENAI_API_KEY": AZURE_KEY}
OPENAI = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": PROJECT_KEY}

#: Requests the shipped component never makes, each refused by the host itself (the test
#: component's `selftest send`): (input, environment, the refusal).
HOST_REFUSALS = {
    "admin-key-on-azure": ({"credential": "admin"}, AZURE,
                           "checkpoint permissions do not exist on Azure OpenAI (flavour azure); grant access with "
                           "Azure role assignments, or deploy the model into the other resource"),
    "no-admin-key": ({"credential": "admin"}, OPENAI,
                     "OPENAI_ADMIN_KEY is not set: checkpoint permissions need an organisation admin key with the "
                     "api.fine_tuning.checkpoints.read and .write scopes; export it in the environment, never in "
                     "Terraform code"),
    # Pinned to the key: without it every host would try the rest of the Entra chain first (IMDS'
    # managed identity, off this machine, and the Azure CLI).
    "no-azure-key": ({}, {**AZURE, "AZURE_OPENAI_API_KEY": "", "OPENAI_FT_AZURE_CREDENTIAL": "api-key"},
                     "AZURE_OPENAI_API_KEY is not set: export the Azure OpenAI resource key, or an Entra ID token in "
                     "AZURE_OPENAI_AD_TOKEN, or sign in to Azure (docs/azure.md, \"Sign in to Azure\"), in the "
                     "environment that runs Terraform"),
    "path-outside-the-base": ({"path": "/a/%2e%2E/b"}, OPENAI,
                              'the component asked for path "/a/%2e%2E/b", which is not a plain path under the API '
                              "base"),
    "upload-without-a-grant": ({"upload": "train.jsonl"}, OPENAI,
                               "the component asked to upload a file, but no file was granted"),
    "connection-refused": ({}, OPENAI,
                           "cannot connect to http://127.0.0.1:9/v1 (connection refused); check OPENAI_BASE_URL and "
                           "that the server is running"),
}


def _selftest_send(host, runaway, given, env):
    argv = _test_component_argv(host, "send", runaway)
    if host != "native":
        argv.append(json.dumps(given))
    proc = subprocess.run(argv, capture_output=True, env=clean_env({**env, "OPENAI_FT_INPUT": json.dumps(given)}),
                          timeout=120)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


@pytest.mark.parametrize("case", HOST_REFUSALS)
@pytest.mark.parametrize("host", HOSTS)
def test_every_host_refuses_with_the_same_bytes(runaway, host, case):
    """The host's own refusals of a request (a credential missing or not allowed here, a path
    outside the base, an upload of a file never granted, a connection refused), byte for byte
    the host logic's text in every host."""
    given, env, message = HOST_REFUSALS[case]
    assert _selftest_send(host, runaway, given, env) == (1, "", f"openai-ft: {message}\n")


def test_a_message_changed_in_rust_changes_in_every_host(runaway, tmp_path):
    """One source for every message: the admin-key refusal's text changed in the host logic's
    compiled Rust (in the native binary, and in the component the Node and Python hosts load),
    and nowhere else, changes what every host prints. A host with a copy of its own would not
    follow."""
    old = b"grant access with Azure role assignments"
    new = old.upper()

    def patched(src: Path, dst: Path) -> None:
        data = src.read_bytes()
        assert old in data, f"{src} does not hold the message"
        dst.write_bytes(data.replace(old, new))
        dst.chmod(src.stat().st_mode)

    native = tmp_path / "openai-ft-test-host"
    patched(Path(runaway.native_args[0]), native)
    node = tmp_path / "node"
    shutil.copytree(node_bin().parents[1], node, ignore=shutil.ignore_patterns("node_modules", "test"))
    for core in (node_bin().parents[1] / "dist" / "host-logic").glob("*.wasm"):
        patched(core, node / "dist" / "host-logic" / core.name)
    site = tmp_path / "site"
    package = Path(subprocess.run([str(python_bin().parent / "python"), "-c", "import openai_ft; print(openai_ft.__file__)"],
                                  capture_output=True, text=True, check=True).stdout.strip()).parent
    shutil.copytree(package, site / "openai_ft")
    patched(package / "component" / "openai-ft-host-logic.wasm", site / "openai_ft" / "component" / "openai-ft-host-logic.wasm")
    given, env, message = HOST_REFUSALS["admin-key-on-azure"]
    changed = f"openai-ft: {message}\n".replace(old.decode(), new.decode())
    drivers = Path(__file__).parent / "drivers"
    runs = {
        "native": [str(native), "selftest", "send"],
        "node": [os.environ.get("OPENAI_FT_NODE", "node"), str(drivers / "run_node.mjs"), str(node),
                 str(runaway.component_node_dir), "selftest send", json.dumps(given)],
        "python": [str(python_bin().parent / "python"), str(drivers / "run_python.py"), str(runaway.component_wasm),
                   "selftest send", json.dumps(given)],
    }
    for host, argv in runs.items():
        extra = {"OPENAI_FT_INPUT": json.dumps(given), "PYTHONPATH": str(site),
                 "XDG_CACHE_HOME": str(tmp_path / "cache")}
        proc = subprocess.run(argv, capture_output=True, env=clean_env({**env, **extra}), timeout=120)
        assert (proc.returncode, proc.stderr.decode()) == (1, changed), host


def _run_measured(argv, env, timeout):
    """Runs `argv` and returns (status, stdout, stderr, usage): the CPU time and peak RSS of that
    process alone, from wait4. The status is None if it had to be killed at `timeout`."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env)
        killed = threading.Event()

        def kill():
            killed.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, ru = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        usage = {"cpu": ru.ru_utime + ru.ru_stime, "max_rss_mib": ru.ru_maxrss // 1024}
        return (None if killed.is_set() else proc.returncode), out.read(), err.read(), usage
