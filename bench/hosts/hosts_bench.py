"""Benchmark, not a test: how long each host takes to load the component and then to run `job
read` against the emulator, beside the native binary's fresh process per call (what Terraform
pays). Figures go to docs/hosts.md; nothing here asserts a time. Needs `tests/conformance/prepare`
first (the hosts and the emulator are found as the conformance suite finds them).
Usage: python3 bench/hosts/hosts_bench.py [calls]"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "conformance"))

from hosts import Emulator, clean_env, native_bin, node_bin, python_bin  # noqa: E402

DRIVERS = Path(__file__).parent
DATA = ROOT / "tests" / "data"


def fresh(argv, stdin: bytes, env) -> float:
    t = time.perf_counter()
    r = subprocess.run(argv, input=stdin, capture_output=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    return (time.perf_counter() - t) * 1000


def median(xs):
    return statistics.median(xs)


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    emu = Emulator("openai", 600_000)
    try:
        env = clean_env(emu.env())
        up = subprocess.run([str(native_bin()), "file", "upload"], capture_output=True, env=env,
                            input=json.dumps({"path": str(DATA / "supervised.jsonl")}).encode(), check=True)
        file_id = json.loads(up.stdout)["id"]
        job = subprocess.run([str(native_bin()), "job", "ensure"], capture_output=True, env=env, check=True,
                             input=json.dumps({"model": "gpt-4o-mini", "training_file": file_id}).encode())
        job_id = json.loads(job.stdout)["id"]
        stdin = json.dumps({"id": job_id}).encode()
        node = os.environ.get("OPENAI_FT_NODE", "node")
        rows = []

        native = [fresh([str(native_bin()), "job", "read"], stdin, env) for _ in range(calls)]
        rows.append(("native `openai-ft` (fresh process per call)", None, median(native)))

        node_fresh = [fresh([node, str(node_bin()), "job", "read"], stdin, env) for _ in range(max(3, calls // 4))]
        rows.append(("Node `openai-ft-node` (fresh process per call)", None, median(node_fresh)))
        r = subprocess.run([node, str(DRIVERS / "bench_node.mjs"), str(node_bin().parents[1]), job_id, str(calls)],
                           capture_output=True, env=env, check=True, timeout=600)
        n = json.loads(r.stdout)
        rows.append(("Node API, in one process", n["load_ms"], median(n["call_ms"])))

        python = str(python_bin().parent / "python")
        py_fresh = [fresh([str(python_bin()), "job", "read"], stdin, env) for _ in range(max(3, calls // 4))]
        rows.append(("Python `openai-ft-py` (fresh process per call, cache warm)", None, median(py_fresh)))
        with tempfile.TemporaryDirectory() as cache:
            cold = subprocess.run([python, str(DRIVERS / "bench_python.py"), job_id, "1"], capture_output=True,
                                  env={**env, "XDG_CACHE_HOME": cache}, check=True, timeout=600)
            rows.append(("Python API, first load (compiles, fills the cache)", json.loads(cold.stdout)["load_ms"], None))
        r = subprocess.run([python, str(DRIVERS / "bench_python.py"), job_id, str(calls)], capture_output=True,
                           env=env, check=True, timeout=600)
        p = json.loads(r.stdout)
        rows.append(("Python API, in one process (cache warm)", p["load_ms"], median(p["call_ms"])))
    finally:
        emu.stop()

    print(f"job read against the emulator, median of {calls} calls, {os.cpu_count()} cores")
    print("| host | load (ms) | per call (ms) |")
    print("| --- | ---: | ---: |")
    for name, load, call in rows:
        fmt = lambda v: "" if v is None else f"{v:.1f}"  # noqa: E731
        print(f"| {name} | {fmt(load)} | {fmt(call)} |")


if __name__ == "__main__":
    main()
