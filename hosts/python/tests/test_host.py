"""The package against the emulator: the generic and typed API, errors, grants, limits, the
compile cache and the console script's protocol."""

import hashlib
import os
import signal
import subprocess
import sys

import pytest

import openai_ft
from openai_ft import logic, sandbox
from conftest import ADMIN_KEY, DATA, PROJECT_KEY


def no_keys(*texts):
    for t in texts:
        assert PROJECT_KEY not in t and ADMIN_KEY not in t


def test_upload_wait_grant_through_the_api(emulator):
    lines = []
    up = openai_ft.run("file upload", {"path": str(DATA / "supervised.jsonl"), "training_method": "supervised"},
                       env=emulator.env, on_progress=lines.append)
    assert up["id"].startswith("file-") and up["examples"] == "12"
    job = openai_ft.run("job ensure", {"model": "gpt-4o-mini", "training_file": up["id"], "wait": "true",
                                       "poll_interval": "0.05"}, env=emulator.env, on_progress=lines.append)
    assert job["status"] == "succeeded" and list(job) == sorted(job)
    assert any(l.endswith(f"{job['id']}: succeeded: {job['fine_tuned_model']}") for l in lines), lines
    no_keys(str(job), "\n".join(lines))
    typed = openai_ft.jobs.read(job["id"], env=emulator.env)
    assert (typed.status, typed.fine_tuned_model) == ("succeeded", job["fine_tuned_model"])
    assert isinstance(typed.created_at, int)
    grants = openai_ft.permissions.grant(job["fine_tuned_model"], ["proj_a", "proj_b"], env=emulator.env,
                                         on_progress=lines.append)
    assert [g.project_id for g in grants] == ["proj_a", "proj_b"]
    assert openai_ft.permissions.revoke(job["fine_tuned_model"], ["proj_a", "proj_z"], env=emulator.env,
                                        on_progress=lines.append) == ["proj_a"]
    assert len(openai_ft.permissions.read(job["fine_tuned_model"], env=emulator.env)) == 1


def test_errors_are_typed(emulator):
    with pytest.raises(openai_ft.OpenAiFtError) as e:
        openai_ft.jobs.read("ftjob-doesnotexist000000000", env=emulator.env)
    assert (e.value.kind, e.value.status, e.value.code) == ("api", 404, "fine_tune_not_found")
    assert e.value.request_id.startswith("req_")
    with pytest.raises(openai_ft.OpenAiFtError) as e:
        openai_ft.run("job ensure", {"model": "m", "training_file": "file-x", "wait": "maybe"}, env=emulator.env)
    assert (e.value.kind, e.value.field, e.value.value) == ("invalid-input", "wait", "maybe")
    with pytest.raises(openai_ft.OpenAiFtError) as e:
        openai_ft.permissions.read("ft:gpt-4o-mini:o::abcdefgh", env={**emulator.env, "OPENAI_ADMIN_KEY": ""})
    assert e.value.kind == "missing-credential"
    assert str(e.value).startswith("OPENAI_ADMIN_KEY is not set")


def test_only_the_granted_file_is_served(emulator):
    report = openai_ft.files.validate(str(DATA / "dpo.jsonl"), "dpo", env=emulator.env)
    assert report.bytes == os.path.getsize(DATA / "dpo.jsonl") and len(report.sha256) == 64
    missing = DATA / "absent.jsonl"
    with pytest.raises(openai_ft.OpenAiFtError) as e:
        openai_ft.files.validate(str(missing), env=emulator.env)
    assert str(e.value) == (f'invalid path "{missing}": cannot be read (No such file or directory (os error 2)); '
                            "set path to a readable local JSONL file")
    with pytest.raises(openai_ft.OpenAiFtError) as e:
        openai_ft.files.validate(str(DATA), env=emulator.env)
    assert str(e.value) == (f'invalid path "{DATA}": cannot read {DATA}: not a regular file; '
                            "set path to a readable local JSONL file")


@pytest.mark.parametrize("which,message", [
    ("cpu", "the component used more than 1 s of CPU time and was stopped; raise OPENAI_FT_CPU_LIMIT_SECS "
            "if the input is legitimately this large"),
    ("memory", "the component exceeded its memory limit of 32 MiB and was stopped; raise "
               "OPENAI_FT_MEMORY_LIMIT_MIB if the input is legitimately this large"),
])
def test_a_runaway_guest_is_stopped(which, message, test_component):
    lines = []
    env = {"OPENAI_FT_CPU_LIMIT_SECS": "1", "OPENAI_FT_MEMORY_LIMIT_MIB": "32", "RUST_BACKTRACE": "full"}
    with pytest.raises(openai_ft.OpenAiFtError) as e:
        openai_ft.run(f"selftest {which}", {}, env=env, on_progress=lines.append, component=test_component)
    assert (e.value.kind, str(e.value)) == ("host", message)
    # Nothing from the guest: one that could see RUST_BACKTRACE would print a backtrace.
    assert lines == []


def test_the_guest_sees_no_environment_arguments_or_folder(emulator, test_component, monkeypatch):
    # The keys in os.environ, which the host reads when no `env` is given (as the script does).
    for k, v in {**emulator.env, "AZURE_OPENAI_API_KEY": ADMIN_KEY, "RUST_BACKTRACE": "full"}.items():
        monkeypatch.setenv(k, v)
    lines = []
    seen = openai_ft.run("selftest env", {}, on_progress=lines.append, component=test_component)
    assert seen == {"arguments": "", "environment": "", "initial_cwd": ""}
    assert lines == []


@pytest.mark.parametrize("which", ["cpu", "memory", "env"])
def test_the_packaged_component_has_no_runaway_command(which):
    with pytest.raises(openai_ft.OpenAiFtError) as e:
        openai_ft.run(f"selftest {which}", {}, env={})
    head = f'unknown command "selftest {which}": expected one of: '
    assert e.value.kind == "failed" and str(e.value).startswith(head + "job ensure, "), str(e.value)
    assert "selftest" not in str(e.value)[len(head):]
    assert not [c for c in openai_ft.describe() if c.name.startswith("selftest")]


def test_the_compiled_component_is_cached_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = sandbox.Sandbox()
    cached = list((tmp_path / "openai-ft").rglob("*.cwasm"))
    assert len(cached) == 1
    assert oct(cached[0].parent.stat().st_mode & 0o777) == "0o700"
    stamp = cached[0].stat().st_mtime_ns
    second = sandbox.Sandbox()
    assert cached[0].stat().st_mtime_ns == stamp, "the second load compiled again"
    cached[0].write_bytes(b"damaged")
    third = sandbox.Sandbox()  # recompiles and rewrites
    assert cached[0].read_bytes() != b"damaged"
    assert first.component and second.component and third.component


def script_env(env=None):
    import openai_ft_wit
    path = os.pathsep.join(str(sandbox.Path(m.__file__).parents[1]) for m in (openai_ft, openai_ft_wit))
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"), "PYTHONPATH": path, **(env or {})}


def script(args, stdin=None, env=None):
    code = "import sys; from openai_ft.cli import main; sys.exit(main())"
    r = subprocess.run([sys.executable, "-c", code, *args], input=stdin, capture_output=True, text=True,
                       env=script_env(env), timeout=120)
    no_keys(r.stdout, r.stderr)
    return r


def test_a_damaged_compile_cache_is_compiled_again_never_run(tmp_path):
    """Deserialising trusts the code it is given: a copy damaged past its header would run as
    machine code (SIGILL, or worse). Each copy carries its SHA-256, so one that does not match is
    compiled again and rewritten."""
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    assert script(["--help"], env=env).returncode == 0
    copies = sorted((tmp_path / "openai-ft").rglob("*.cwasm"), key=lambda p: p.stat().st_size)
    assert len(copies) == 2  # the host logic's and the component's
    damaged = {}
    for copy in copies:
        data = bytearray(copy.read_bytes())
        middle = len(data) // 2
        data[middle:middle + 4096] = bytes(b ^ 0xFF for b in data[middle:middle + 4096])  # the header intact
        damaged[copy] = bytes(data)
        copy.write_bytes(damaged[copy])
    again = script(["--help"], env=env)
    assert (again.returncode, again.stderr) == (0, ""), again
    assert "job ensure" in again.stdout
    for copy in copies:
        data = copy.read_bytes()
        assert data != damaged[copy] and hashlib.sha256(data[32:]).digest() == data[:32]


def test_ctrl_c_ends_the_script_as_it_ends_the_native_host(tmp_path):
    """Interrupted while the guest waits for an answer, the script ends by the signal at once,
    printing nothing (no KeyboardInterrupt inside the guest's call, no traceback)."""
    import socket
    import time

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    env = {"OPENAI_BASE_URL": f"http://127.0.0.1:{silent.getsockname()[1]}/v1", "OPENAI_API_KEY": PROJECT_KEY}
    code = "import sys; from openai_ft.cli import main; sys.exit(main())"
    proc = subprocess.Popen([sys.executable, "-c", code, "job", "read"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=script_env(env))
    proc.stdin.write(b'{"id": "ftjob-abc"}')
    proc.stdin.close()
    proc.stdin = None
    conn, _ = silent.accept()  # the guest's request is under way
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    conn.close()
    silent.close()
    assert (proc.returncode, out, err) == (-signal.SIGINT, b"", b"")


def test_the_console_script_speaks_the_protocol(emulator):
    listed = script(["job", "list"], '{"limit":"1"}', emulator.env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith('{"count":"') and listed.stdout.endswith("}\n")
    local = script(["job", "list"], None, {**emulator.env, "OPENAI_FT_INPUT": '{"limit":"1"}'})
    assert local.stdout == listed.stdout
    missing = script(["job", "read"], '{"id":"ftjob-doesnotexist000000000"}', emulator.env)
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr.startswith("openai-ft: api error 404 invalid_request_error (fine_tune_not_found)")
    assert missing.stderr.count("\n") == 1
    usage = script([])
    assert usage.returncode == 2 and usage.stderr.startswith("usage: openai-ft-py")
    assert script(["nope", "--help"]).stderr == 'openai-ft: unknown noun "nope"; run openai-ft --help for the commands\n'


def test_an_answer_crosses_as_text_when_it_is_utf8_else_as_bytes():
    """wasmtime-py passes a string as one buffer but a `list<u8>` one value per byte (HOST.md 2,
    item 8); the text is the body's own bytes, and bytes that are not UTF-8 stay bytes."""
    from openai_ft import http
    for body in (b'{"data":[]}', "\u00e9quipe \U0001f600".encode()):
        text = http._answer(body)
        assert isinstance(text, http.Utf8) and text.data is body
    assert http._answer(b"denied \xe9quipe") == b"denied \xe9quipe"


def test_the_pins_agree():
    import importlib.metadata
    import tomllib

    root = sandbox.Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    requirements = [line for line in (root / "requirements.txt").read_text().splitlines()
                    if line and not line.startswith("#")]
    pins = [f"wasmtime=={logic.WASMTIME_VERSION}", "azure-identity==1.27.0"]
    assert (project, requirements) == (pins, pins)
    assert importlib.metadata.version("azure-identity") == "1.27.0"
    assert importlib.metadata.version("wasmtime") == logic.WASMTIME_VERSION
