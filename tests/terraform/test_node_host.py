"""examples/basic with the modules' `openai_ft_path` pointing at the Node package's bin
(`hosts/node/bin/openai-ft-node.js`) instead of the native binary, which is not on PATH: apply, a
plan with no changes, destroy. The modules and the example are unchanged; an override file sets
the path, as a user's own configuration would. Needs the Node package built
(tests/conformance/prepare)."""

import os
import shutil

import pytest

import openai_ft_env as env

NODE_BIN = env.REPO / "hosts" / "node" / "bin" / "openai-ft-node.js"


@pytest.fixture(scope="module")
def node_path() -> str:
    """A PATH with node on it and no openai-ft, so only the Node bin can answer Terraform."""
    if not (env.REPO / "hosts" / "node" / "dist" / "component" / "component.json").exists():
        pytest.fail("hosts/node/dist/component is missing: run tests/conformance/prepare")
    node = shutil.which("node")
    assert node, "node is not on PATH"
    path = os.pathsep.join([os.path.dirname(node), "/usr/bin", "/bin"])
    assert shutil.which("openai-ft", path=path) is None, f"openai-ft is on {path}"
    return path


def test_basic_applies_with_the_node_host(node_path, terraform, emulator, openai_ft_bins, tmp_path):
    emu = emulator(step_ms=20)
    workdir = env.copy_tree(tmp_path, "basic")
    (workdir / "node_override.tf").write_text(
        f'module "training_data" {{\n  openai_ft_path = "{NODE_BIN}"\n}}\n\n'
        f'module "fine_tuning" {{\n  openai_ft_path = "{NODE_BIN}"\n}}\n'
    )
    tf = terraform(workdir, env={**env.terraform_env(openai_ft_bins, emu), "PATH": node_path})
    fast = ["-var=poll_interval=0.05"]
    results = [tf.init()]
    plan = tf.plan(*fast)
    assert plan.changes is True
    results += [plan.result, tf.apply("tfplan")]

    out = tf.output()
    assert out["status"] == "succeeded"
    assert out["job_id"].startswith("ftjob-")
    assert out["fine_tuned_model"].startswith("ft:gpt-4o-mini-2024-07-18:")
    assert out["training_file"].startswith("file-")
    env.assert_no_key("terraform.tfstate", (workdir / "terraform.tfstate").read_text())

    again = tf.plan(*fast)
    assert again.changes is False, env.managed_actions(again)
    results += [again.result, tf.destroy(*fast)]
    assert tf.output() == {}
    counts = emu.counts()
    assert (counts.get("POST /v1/fine_tuning/jobs"), counts.get("POST /v1/files")) == (1, 1), counts
    for r in results:
        env.assert_no_key(f"terraform {' '.join(r.args)}", r.stdout + r.stderr)
