"""Fixtures for real-engine tests: the engine (every test that runs one runs on Terraform and on
OpenTofu, with ids `[terraform]` and `[opentofu]`), the stand-in provider mirror (built once per
session) and a `terraform(workdir, env=...)` factory returning `tf.Terraform` wrappers."""

import os
from pathlib import Path

import pytest

import tf

PROGRAMS = Path(__file__).parent / "programs"


@pytest.fixture(scope="session", params=sorted(tf.ENGINES), ids=str)
def engine(request) -> tf.Engine:
    """The engine under test; it must be the version the project is tested with."""
    engine = tf.ENGINES[request.param]
    version = engine.version()
    assert version.startswith(engine.version_prefix), f"{engine.command} is {version}"
    return engine


@pytest.fixture(scope="session")
def terraform_cli_config(tmp_path_factory) -> Path:
    """CLI config installing hashicorp/external 2.4.0 from a mirror of the stand-in."""
    return tf.write_mirror(tmp_path_factory.mktemp("tf-mirror"), tf.provider_binary())


@pytest.fixture
def terraform(engine, terraform_cli_config):
    """Factory: `terraform(workdir, env=None)` -> tf.Terraform on the engine under test, using
    the session mirror."""

    def make(workdir, env=None) -> tf.Terraform:
        return tf.Terraform(workdir, engine, env=env, cli_config=terraform_cli_config)

    return make


@pytest.fixture
def programs_on_path() -> dict:
    """Env overlay putting tests/terraform/programs first on PATH for Terraform runs."""
    return {"PATH": f"{PROGRAMS}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.fixture(scope="session")
def openai_ft_bins():
    """The directory holding openai-ft and openai-ft-emulator (OPENAI_FT_BIN_DIR, or built)."""
    import openai_ft_env

    return openai_ft_env.bin_dir()


@pytest.fixture
def emulator(openai_ft_bins):
    """Factory: `emulator(step_ms=20, *extra_args)` starts an emulator with the test keys (and
    extra command-line arguments); stopped after."""
    import openai_ft_env

    started = []

    def start(step_ms: int = 20, *extra_args: str):
        running = openai_ft_env.Emulator(openai_ft_bins, step_ms, *extra_args)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
