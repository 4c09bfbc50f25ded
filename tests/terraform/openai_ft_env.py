"""What the example and module tests share: the openai-ft binaries, an emulator per test, and a
copy of an example laid out like the repository (`modules/` beside `examples/<name>`), so the
examples' relative module sources work unchanged."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path

import tf

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
MODULES = REPO / "modules"
# A directory holding prebuilt openai-ft and openai-ft-emulator; when unset, cargo builds them.
BIN_DIR_ENV = "OPENAI_FT_BIN_DIR"

sys.path.insert(0, str(REPO / "tests" / "python"))
from emulator_fixture import ADMIN_KEY, PROJECT_KEY  # noqa: E402
from emulator_fixture import Emulator as _Emulator  # noqa: E402

KEYS = (PROJECT_KEY, ADMIN_KEY)
WRITES = ("POST", "DELETE", "PUT", "PATCH")


def example_names() -> list[str]:
    return sorted(p.name for p in EXAMPLES.iterdir() if (p / "main.tf").is_file())


def module_dirs() -> list[Path]:
    return sorted(p.parent for p in MODULES.rglob("main.tf"))


def bin_dir() -> Path:
    """Where openai-ft and openai-ft-emulator are: OPENAI_FT_BIN_DIR, or a fresh debug build."""
    given = os.environ.get(BIN_DIR_ENV)
    if given:
        path = Path(given)
        for name in ("openai-ft", "openai-ft-emulator"):
            if not (path / name).is_file():
                raise FileNotFoundError(f'{BIN_DIR_ENV} "{given}": no {name} in it')
        return path
    return tf.cargo_debug_build("openai-ft", "openai-ft-emulator")


# Terraform's working files, which someone's local runs may have left in the repository.
WORKING_FILES = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "terraform.tfstate*")


def copy_tree(dest: Path, example: str | None = None) -> Path:
    """Copies modules/ (and examples/<example>) into dest with the repository's layout, without
    any Terraform working files; returns the example's directory (or dest)."""
    shutil.copytree(MODULES, dest / "modules", ignore=WORKING_FILES)
    if example is None:
        return dest
    target = dest / "examples" / example
    shutil.copytree(EXAMPLES / example, target, ignore=WORKING_FILES)
    return target


class Emulator(_Emulator):
    """The emulator binary with the test keys, plus its request counters, and a folder of its own
    for openai-ft's answer cache (a port may be another emulator's a minute later)."""

    def __init__(self, bin_dir: Path, step_ms: int, *extra_args: str):
        with tf.patched_environ({"OPENAI_FT_EMULATOR_BIN": str(bin_dir / "openai-ft-emulator")}):
            super().__init__(*extra_args, step_ms=step_ms)
        self.cache_dir = Path(tempfile.mkdtemp(prefix="openai-ft-cache-"))

    def stop(self):
        super().stop()
        shutil.rmtree(self.cache_dir, ignore_errors=True)

    def counts(self) -> dict[str, int]:
        return self.control("GET", "/_emulator/requests")

    def log(self) -> list[dict]:
        return self.control("GET", "/_emulator/requests/log")

    def api(self, path: str, key: str = PROJECT_KEY, method: str = "GET"):
        """One API request, as a user's own script (not openai-ft) would send it."""
        req = urllib.request.Request(self.url + path, method=method)
        req.add_header("authorization", f"Bearer {key}")
        with urllib.request.urlopen(req) as resp:
            return json.loads(resp.read())


def terraform_env(bins: Path, emulator: Emulator) -> dict[str, str | None]:
    """The environment every Terraform command of an example test runs in: openai-ft first on
    PATH (the external provider and local-exec look it up there), the emulator and its keys."""
    return {
        "PATH": f"{bins}{os.pathsep}{os.environ.get('PATH', '')}",
        "OPENAI_BASE_URL": emulator.url,
        "OPENAI_API_KEY": PROJECT_KEY,
        "OPENAI_ADMIN_KEY": ADMIN_KEY,
        "OPENAI_ORG_ID": None,
        "OPENAI_PROJECT_ID": None,
        "OPENAI_FT_INPUT": None,
        "OPENAI_FT_CACHE_DIR": str(emulator.cache_dir),
    }


def writes(entries: list[dict]) -> list[str]:
    return [f"{e['method']} {e['path']}" for e in entries if e["method"] in WRITES]


def assert_no_key(where: str, text: str) -> None:
    for key in KEYS:
        assert key not in text, f"{where} contains a key"
        # A masked or truncated key still leaks most of it.
        assert key[-16:] not in text, f"{where} contains the end of a key"


def managed_actions(plan) -> dict[str, list[str]]:
    """address -> actions of every managed resource in a plan (data source reads left out)."""
    return {
        c["address"]: c["change"]["actions"]
        for c in plan.json.get("resource_changes", [])
        if c["mode"] == "managed" and c["change"]["actions"] != ["no-op"]
    }


def plan_text(tf, *args: str) -> str:
    """The human `plan` output (what a user reads), its diagnostics' frames removed and its
    wrapped lines joined, so a message can be looked for as one line."""
    result = tf.run("plan", "-input=false", "-no-color", "-detailed-exitcode", *args, ok=(0, 2))
    return " ".join((result.stdout + result.stderr).replace("\u2502", " ").split())


def failure(run, *args: str, what: str) -> dict:
    """Runs `run(*args)`, which must fail with exactly one error; returns that error's diagnostic
    (`what` names the failure expected, for the message when it does not come)."""
    try:
        run(*args)
    except tf.TerraformError as e:
        [error] = e.result.errors()
        return error
    raise AssertionError(f"succeeded although {what}")
