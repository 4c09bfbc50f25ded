"""The package as a user gets it: the wheel built by build_wheel.py, installed with pip into a
fresh venv (its one dependency, the pinned wasmtime, from the package index or pip's cache), then
the installed console script runs `job read` against the emulator."""

import json
import shutil
import subprocess
import sys
import venv

import openai_ft
from openai_ft.logic import HOST_LOGIC
from openai_ft.sandbox import DEFAULT_COMPONENT
from conftest import ADMIN_KEY, DATA, PROJECT_KEY

HERE = DATA.parents[1] / "hosts" / "python"


def test_the_built_wheel_installs_into_a_fresh_venv_and_runs_job_read(emulator, tmp_path):
    wheels, wasm, host_logic = tmp_path / "wheels", tmp_path / "openai-ft.wasm", tmp_path / "host-logic.wasm"
    # Copies: build_wheel.py copies its arguments onto the packaged components.
    shutil.copyfile(DEFAULT_COMPONENT, wasm)
    shutil.copyfile(HOST_LOGIC, host_logic)
    built = subprocess.run([sys.executable, str(HERE / "build_wheel.py"), str(wasm), str(host_logic), str(wheels)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    [wheel] = wheels.glob("openai_ft-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    installed = subprocess.run([str(env_dir / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                                str(wheel)], capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr

    # A job to read, made through the source tree's API.
    up = openai_ft.run("file upload", {"path": str(DATA / "supervised.jsonl")}, env=emulator.env,
                       on_progress=lambda _: None)
    job = openai_ft.run("job ensure", {"model": "gpt-4o-mini", "training_file": up["id"]}, env=emulator.env,
                        on_progress=lambda _: None)

    read = subprocess.run([str(env_dir / "bin" / "openai-ft-py"), "job", "read"],
                          input=json.dumps({"id": job["id"]}), capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", **emulator.env}, cwd=tmp_path, timeout=120)
    assert read.returncode == 0, read.stderr
    out = json.loads(read.stdout)
    # The emulator moves the job on every 20 ms, so its status is any one of its life's.
    assert (out["id"], out["model"]) == (job["id"], job["model"])
    assert out["status"] in {"validating_files", "queued", "running", "succeeded"}, out["status"]
    for text in (read.stdout, read.stderr):
        assert PROJECT_KEY not in text and ADMIN_KEY not in text
    # The installed package is the venv's, not the source tree on this test's path.
    where = subprocess.run([str(env_dir / "bin" / "python"), "-c", "import openai_ft; print(openai_ft.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path)
    assert where.stdout.startswith(str(env_dir)), where.stdout
