#!/usr/bin/env python3
"""Each host (native, Node, Python) on large inputs, a fresh process per run, wall time and peak
RSS from the outside (wait4): `job list` answered by one list page of about `--page-mb` MB from a
small server of this file's own, and `file validate` of a generated training file of
`--validate-mb` MB (bench/lib/training_data.py) under the default limits. A benchmark, not a
test: it fails only when something cannot run; a host that fails a case is reported as such.
Needs tests/conformance/prepare (the three hosts). Figures go to docs/performance.md.

Usage: python3 bench/hosts/large_inputs.py [--page-mb 60] [--validate-mb 500] [--runs 1] [--hosts ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "conformance"))
sys.path.insert(0, str(ROOT / "bench" / "lib"))
import training_data  # noqa: E402  (the generated training file scripts/bench uses)
from hosts import clean_env, hosts  # noqa: E402  (the three hosts as the conformance suite runs them)


def list_page(mb: int) -> bytes:
    """One page of `job list`, about `mb` MB: jobs with long metadata, as a gateway might pad them."""
    job = {"object": "fine_tuning.job", "model": "gpt-4o-mini-2024-07-18", "created_at": 1764000000,
           "status": "succeeded", "fine_tuned_model": "ft:gpt-4o-mini-2024-07-18:org::abc",
           "training_file": "file-abc", "hyperparameters": {"n_epochs": 3}, "trained_tokens": 1000,
           "metadata": {f"k{i}": "v" * 480 for i in range(16)}}
    one = len(json.dumps(job)) + 40
    data = [{**job, "id": f"ftjob-{i:024d}"} for i in range(mb * 1_000_000 // one)]
    return json.dumps({"object": "list", "data": data, "has_more": False}).encode()


def serve(body: bytes):
    class Page(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


def measure(argv, stdin: bytes, env) -> dict:
    """One fresh process: wall seconds, peak RSS in MiB, exit status and its last stderr line."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err, env=env)
        proc.stdin.write(stdin)
        proc.stdin.close()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        last = (err.read().decode("utf-8", "replace").strip().splitlines() or [""])[-1]
    return {"seconds": round(wall, 2), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
            "status": proc.returncode, "last_line": last[:160] if proc.returncode else ""}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page-mb", type=int, default=60, help="size of the list page, MB (0 skips it)")
    parser.add_argument("--validate-mb", type=int, default=500, help="size of the training file, MB (0 skips it)")
    parser.add_argument("--runs", type=int, default=1, help="runs per case (the median is reported)")
    parser.add_argument("--hosts", nargs="*", default=["native", "node", "python"])
    args = parser.parse_args()
    table = {name: host for name, host in hosts().items() if name in args.hosts}
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        cases = []
        if args.page_mb:
            body = list_page(args.page_mb)
            server, base = serve(body)
            cases.append((f"job list, one {len(body) / 1e6:.0f} MB page", ["job", "list"], b"{}",
                          {"OPENAI_BASE_URL": base, "OPENAI_API_KEY": "sk-bench-key-0123456789"}))
        if args.validate_mb:
            path = Path(tmp) / "train.jsonl"
            training_data.write(str(path), args.validate_mb * 1_000_000)
            cases.append((f"file validate, {path.stat().st_size / 1e6:.0f} MB", ["file", "validate"],
                          json.dumps({"path": str(path)}).encode(), {}))
        for label, command, stdin, env in cases:
            for name, host in table.items():
                runs = sorted((measure([*host.argv, *command], stdin, clean_env(env)) for _ in range(args.runs)),
                              key=lambda r: r["seconds"])
                results.setdefault(label, {})[name] = runs[len(runs) // 2]
                print(f"{label:<32} {name:<7} {json.dumps(runs[len(runs) // 2])}", file=sys.stderr, flush=True)
        if args.page_mb:
            server.shutdown()
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
