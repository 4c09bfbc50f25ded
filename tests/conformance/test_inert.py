"""Text from a server is inert wherever a host prints it (issue 22.4). The emulator's
`--hostile-text` ends every failed job's error message and every event's message with escapes
(ESC, a raw C1 CSI, BEL, DEL), CR and LF before a fake "Apply complete!", workflow commands
(`::add-mask::`, `::set-output`, `::stop-commands::`, `##[error]`) and a right-to-left override.
Every host's stderr (progress lines and the error line) and every output value (what Terraform
shows) must carry none of the characters a terminal acts on, and the GitHub Action's log no line a
runner would take for a workflow command, beside its own final `::error::`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import unicodedata

import pytest

from hosts import Emulator, REPO, clean_env, node_bin

HOSTS = ("native", "node", "python")
SUPERVISED = REPO / "tests" / "data" / "supervised.jsonl"
# What the host logic's rule (crates/host-logic/src/inert.rs) lets no host print: the control
# characters (C0, DEL, C1), the line and paragraph separators, the bidirectional formatting ones.
ACTS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def hostile():
    emu = Emulator("openai", step_ms=40, flags=["--hostile-text"])
    yield emu
    emu.stop()


def _inert(host: str, what: str, text: str) -> None:
    # A line break ends a line the host wrote; within a line nothing may act.
    for line in text.split("\n"):
        bad = ACTS.search(line)
        assert bad is None, f"{host} printed {unicodedata.name(bad.group(), hex(ord(bad.group())))} in {what}: {line!r}"


def _values_inert(host: str, stdout: str) -> dict:
    values = json.loads(stdout)
    for key, value in values.items():
        bad = ACTS.search(value)
        assert bad is None, f"{host} gave {hex(ord(bad.group()))} in output {key}: {value!r}"
        # JSON-valued outputs (warnings, checkpoints) are decoded as Terraform's jsondecode would.
        if value[:1] in ("[", "{"):
            _inert(host, f"decoded output {key}", json.dumps(json.loads(value), ensure_ascii=False))
    return values


def _failed_job(emu: Emulator, run) -> str:
    """A job created without waiting, then failed by the emulator's control endpoint."""
    up = run(["file", "upload"], {"path": str(SUPERVISED)})
    assert up.code == 0, up.stderr
    job = run(["job", "ensure"], {"model": "gpt-4o-mini", "training_file": json.loads(up.stdout)["id"],
                                  "suffix": "failing"})
    assert job.code == 0, job.stderr
    job_id = json.loads(job.stdout)["id"]
    emu.control("POST", f"/_emulator/jobs/{job_id}/fail", {"message": "the job failed"})
    return job_id


@pytest.mark.parametrize("host", HOSTS)
def test_server_text_is_inert_on_stderr_and_in_every_value(host_table, hostile, host):
    run = lambda args, data: host_table[host].run(args, json.dumps(data).encode(), hostile.env())  # noqa: E731
    up = run(["file", "upload"], {"path": str(SUPERVISED)})
    assert up.code == 0, up.stderr
    # Waits on a job that runs to the end: every event it prints carries the hostile text.
    done = run(["job", "ensure"], {"model": "gpt-4o-mini", "training_file": json.loads(up.stdout)["id"],
                                   "wait": "true"})
    assert done.code == 0, done.stderr
    assert "Apply complete!" in done.stderr, "the events' text did not reach the progress lines"
    _inert(host, "progress", done.stderr)
    _values_inert(host, done.stdout)

    job_id = _failed_job(hostile, run)
    read = run(["job", "read"], {"id": job_id})
    assert read.code == 0, read.stderr
    values = _values_inert(host, read.stdout)
    assert "Apply complete!" in values["error_message"] and "::add-mask::" in values["error_message"]
    _inert(host, "stderr", read.stderr)
    # Waiting on the failed job is an error quoting its message: one line, inert.
    failed = run(["job", "ensure"], {"model": "gpt-4o-mini", "training_file": json.loads(up.stdout)["id"],
                                     "suffix": "failing", "wait": "true"})
    assert failed.code == 1 and failed.stdout == "", failed
    assert "Apply complete!" in failed.stderr, failed.stderr
    _inert(host, "the error line", failed.stderr)
    assert failed.stderr.endswith("\n") and failed.stderr.splitlines()[-1].startswith("openai-ft: ")


def _command_lines(log: list[str]) -> list[str]:
    """The lines the runner would act on: a command (`::` once trimmed) or `##[` anywhere."""
    return [line for line in log if line.strip().startswith("::") or "##[" in line]


def test_the_action_log_runs_no_workflow_command_from_server_text(hostile, tmp_path):
    native = lambda args, data: subprocess.run(  # noqa: E731
        [str(REPO / "target" / "debug" / "openai-ft"), *args], input=json.dumps(data).encode(),
        capture_output=True, env=clean_env(hostile.env()), timeout=120)
    up = native(["file", "upload"], {"path": str(SUPERVISED)})
    file_id = json.loads(up.stdout)["id"]

    def action(inputs: dict) -> tuple[int, list[str], str]:
        output = tmp_path / "github_output"
        output.write_text("")
        env = {**clean_env(hostile.env()), "GITHUB_OUTPUT": str(output),
               **{f"INPUT_{k.upper()}": v for k, v in inputs.items()}}
        r = subprocess.run([os.environ.get("OPENAI_FT_NODE", "node"), str(node_bin().parents[1] / "src" / "action.js")],
                           capture_output=True, env=env, timeout=120)
        return r.returncode, r.stdout.decode().splitlines(), output.read_text()

    code, log, outputs = action({"command": "job ensure", "model": "gpt-4o-mini", "training_file": file_id,
                                 "wait": "true"})
    assert code == 0, log
    assert any("Apply complete!" in line for line in log), "the events' text did not reach the log"
    assert _command_lines(log) == [], log
    for line in log:
        _inert("action", "the log", line)

    # A failed job: the log's one command is the action's own `::error::`, its data escaped.
    job_id = json.loads(native(["job", "ensure"], {"model": "gpt-4o-mini", "training_file": file_id,
                                                   "suffix": "failing"}).stdout)["id"]
    hostile.control("POST", f"/_emulator/jobs/{job_id}/fail", {"message": "the job failed"})
    code, log, _ = action({"command": "job ensure", "model": "gpt-4o-mini", "training_file": file_id,
                           "suffix": "failing", "wait": "true"})
    assert code == 1, log
    commands = _command_lines(log)
    assert len(commands) == 1 and commands[0].startswith("::error::"), log
    error = commands[0].removeprefix("::error::")
    assert "Apply complete!" in error and "::" not in error and "##[" not in error, error
    for line in log:
        _inert("action", "the log", line)
