"""examples/azure_openai on real Terraform against the emulator's Azure flavours, configured by
the environment alone: apply (the file waits for Azure's processing, the job is found without a
metadata filter), a second plan that changes and writes nothing, destroy; one job per request."""

import os

import pytest

import openai_ft_env as env


@pytest.mark.parametrize("flavor", ["azure", "azure-classic"])
def test_azure_example(flavor, terraform, openai_ft_bins, tmp_path):
    emu = env.Emulator(openai_ft_bins, 20, "--flavor", flavor)
    try:
        workdir = env.copy_tree(tmp_path, "azure_openai")
        environment = {
            "PATH": f"{openai_ft_bins}{os.pathsep}{os.environ.get('PATH', '')}",
            "AZURE_OPENAI_ENDPOINT": emu.base,
            "AZURE_OPENAI_API_KEY": env.PROJECT_KEY,
            "OPENAI_FT_FLAVOR": flavor,
            "OPENAI_API_VERSION": "2025-04-01-preview" if flavor == "azure-classic" else None,
            "OPENAI_API_KEY": None,
            "OPENAI_BASE_URL": None,
            "OPENAI_ADMIN_KEY": None,
            "OPENAI_FT_CACHE_DIR": str(emu.cache_dir),
        }
        tf = terraform(workdir, env=environment)
        fast = ["-var=poll_interval=0.05"]
        tf.init()
        tf.apply(*fast)
        out = tf.output()
        assert out["status"] == "succeeded"
        assert out["fine_tuned_model"].startswith("gpt-4.1-mini-2025-04-14.ft-")
        prefix = "/openai/v1" if flavor == "azure" else "/openai"
        assert emu.counts()[f"POST {prefix}/fine_tuning/jobs"] == 1
        before = len(emu.log())
        assert tf.plan(*fast).changes is False
        assert env.writes(emu.log()[before:]) == []
        tf.destroy(*fast)
        assert emu.counts()[f"POST {prefix}/fine_tuning/jobs"] == 1
        state = (workdir / "terraform.tfstate").read_text()
        assert env.PROJECT_KEY not in state
    finally:
        emu.stop()
