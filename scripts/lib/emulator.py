"""Starts the emulator and reads its address: the one way the Python callers do it (emulator.sh
beside this file is the same for the shell scripts). `--ready-file` makes the emulator write its
URL to a file once it listens, so there is no output to parse and no race."""

import os
import shutil
import subprocess
import tempfile
import time


class NotStarted(Exception):
    """The emulator exited, or did not listen in time; the message says which."""


def start(binary, *flags, timeout=10.0, stdout=subprocess.DEVNULL, stderr=None):
    """Starts `binary` with `flags` on a free loopback port. Returns the process and its base URL
    (`http://127.0.0.1:PORT`); raises NotStarted (after stopping it) when it does not listen
    within `timeout` seconds. `stdout` and `stderr` are passed to Popen."""
    folder = tempfile.mkdtemp(prefix="openai-ft-emulator-")
    ready = os.path.join(folder, "ready")
    args = [str(binary), "--listen", "127.0.0.1:0", "--ready-file", ready, *map(str, flags)]
    process = subprocess.Popen(args, stdout=stdout, stderr=stderr)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.exists(ready):
                with open(ready) as f:
                    return process, f.read().strip()
            if process.poll() is not None:
                raise NotStarted(f"the emulator exited with status {process.returncode} before it listened")
            time.sleep(0.02)
        stop(process)
        raise NotStarted(f"the emulator did not listen within {timeout:g} s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def stop(process, timeout=5.0):
    """Stops an emulator started by `start` (killing it if it does not end within `timeout`)."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
