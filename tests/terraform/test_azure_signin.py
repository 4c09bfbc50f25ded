"""examples/azure_openai on real Terraform against a resource that refuses keys
(`--disable-local-auth`) and an Entra that issues tokens living two seconds: openai-ft signs in
with a client secret, and the apply, whose wait for the job outlives several tokens, succeeds
with one job, then deploys the model through Azure Resource Manager with the same credential's
token for Resource Manager. No token, secret or assertion is in Terraform's output, its state or
its logs."""

import json
import os
import time

import openai_ft_env as env

TENANT = "00000000-0000-4000-8000-0000000e1a7e"
SECRET = "client-secret-value-0123"


def test_an_apply_signed_in_with_entra_waits_through_several_token_lifetimes(
    terraform, openai_ft_bins, tmp_path
):
    emu = env.Emulator(openai_ft_bins, 1500, "--flavor", "azure", "--disable-local-auth",
                       "--token-lifetime-secs", "2", "--entra-client", f"app-secret={SECRET}")
    try:
        log = tmp_path / "terraform.log"
        workdir = env.copy_tree(tmp_path, "azure_openai")
        (workdir / "terraform.tfvars.json").write_text(json.dumps({
            "subscription_id": "00000000-1111-2222-3333-444444444444",
            "resource_group": "rg",
            "account": "my-resource",
        }))
        tf = terraform(workdir, env={
            "PATH": f"{openai_ft_bins}{os.pathsep}{os.environ.get('PATH', '')}",
            "AZURE_OPENAI_ENDPOINT": emu.base,
            "AZURE_RESOURCE_MANAGER_ENDPOINT": emu.base,
            "AZURE_MANAGEMENT_TOKEN": None,
            "AZURE_AUTHORITY_HOST": emu.base,
            "AZURE_TENANT_ID": TENANT,
            "AZURE_CLIENT_ID": "app-secret",
            "AZURE_CLIENT_SECRET": SECRET,
            "AZURE_OPENAI_API_KEY": None,
            "OPENAI_API_KEY": None,
            "OPENAI_BASE_URL": None,
            "OPENAI_ADMIN_KEY": None,
            "OPENAI_FT_FLAVOR": None,
            "OPENAI_FT_CACHE_DIR": str(emu.cache_dir),
            "TF_LOG": "DEBUG",
            "TF_LOG_PATH": str(log),
        })
        tf.init()
        started = time.monotonic()
        tf.apply("-var=poll_interval=0.5")
        took = time.monotonic() - started
        assert tf.output("status") == "succeeded"
        assert tf.output("deployment_state") == "Succeeded"
        counts = emu.counts()
        assert counts["POST /openai/v1/fine_tuning/jobs"] == 1
        assert took > 6, f"the wait outlives three 2 s tokens ({took:.1f} s)"
        assert counts[f"POST /{TENANT}/oauth2/v2.0/token"] >= 4
        # Every request the resource saw was let in: no token expired on the way.
        assert [e for e in emu.log() if e["status"] == 401] == []
        state = (tf.workdir / "terraform.tfstate").read_text()
        for text in [state, log.read_text()]:
            assert SECRET not in text
            assert "eyJ" not in text  # a JWT: a token or an assertion
    finally:
        emu.stop()
