"""Every example under examples/, driven by real Terraform against the emulator: init, plan,
apply, outputs, a second plan that changes nothing and writes nothing, a change of the training
request (the job is replaced), destroy. The emulator's counters must show one job per distinct
request, and neither state nor Terraform's output may hold a key. examples/azure_openai, which
deploys through Azure Resource Manager, runs against the emulator's Azure resource instead
(test_azure_example.py, test_azure_deployment.py)."""

import pytest

import openai_ft_env as env

# What each example trains, so the outputs can be checked against something that could be wrong.
BASE_MODEL = {
    "basic": "gpt-4o-mini-2024-07-18",
    "supervised_hyperparameters": "gpt-4o-mini-2024-07-18",
    "timeout_protection": "gpt-4o-mini-2024-07-18",
    "checkpoint_permissions": "gpt-4o-mini-2024-07-18",
    "dpo": "gpt-4o-mini-2024-07-18",
    "reinforcement": "o4-mini-2025-04-16",
}
# Training files each example uploads.
UPLOADS = {"supervised_hyperparameters": 2}


def check_request(example: str, job: dict) -> None:
    """The job the service holds carries what the example asked for."""
    method = job["method"]
    assert method["type"] == {"dpo": "dpo", "reinforcement": "reinforcement"}.get(example, "supervised")
    assert job["metadata"]["openai_ft_key"].startswith("oaift-")
    if example == "supervised_hyperparameters":
        hp = method["supervised"]["hyperparameters"]
        assert (hp["n_epochs"], hp["batch_size"], hp["learning_rate_multiplier"]) == (3, 8, 0.1)
        assert job["seed"] == 42
        assert job["validation_file"].startswith("file-")
        assert job["metadata"]["team"] == "ml-platform"
    if example == "dpo":
        assert method["dpo"]["hyperparameters"]["beta"] == 0.1
    if example == "reinforcement":
        assert method["reinforcement"]["grader"]["type"] == "string_check"
        assert method["reinforcement"]["hyperparameters"]["reasoning_effort"] == "low"


# Examples that need an Azure resource or more than one API, and the tests that run them.
ON_AZURE = {
    "azure_openai": ["test_azure_example.py", "test_azure_deployment.py"],
    "retrain_on_azure": ["test_model_inventory.py"],
}


def test_every_example_is_covered():
    assert sorted([*BASE_MODEL, *ON_AZURE]) == env.example_names()
    for example, tests in ON_AZURE.items():
        for name in tests:
            assert f'"{example}"' in (env.REPO / "tests" / "terraform" / name).read_text(), name


@pytest.mark.parametrize("example", sorted(BASE_MODEL))
def test_example_lifecycle(example, terraform, emulator, openai_ft_bins, tmp_path):
    emu = emulator(step_ms=20)
    workdir = env.copy_tree(tmp_path, example)
    tf = terraform(workdir, env=env.terraform_env(openai_ft_bins, emu))
    fast = ["-var=poll_interval=0.05"]
    results = [tf.init()]

    first = tf.plan(*fast)
    assert first.changes is True
    actions = env.managed_actions(first)
    assert actions and all(a == ["create"] for a in actions.values()), actions
    results.append(first.result)
    results.append(tf.apply("tfplan"))

    out = tf.output()
    assert out["status"] == "succeeded"
    assert out["job_id"].startswith("ftjob-")
    assert out["fine_tuned_model"].startswith(f"ft:{BASE_MODEL[example]}:")
    if "trained_tokens" in out:
        assert isinstance(out["trained_tokens"], int) and out["trained_tokens"] > 0
    if "estimated_billed_tokens" in out:
        # The plan's estimate is the bill: "auto" epochs by the same documented rule (basic: 8).
        assert out["estimated_billed_tokens"] == out["trained_tokens"], out
    if "checkpoints" in out:
        assert out["checkpoints"] and all(c["name"].startswith("ft:") for c in out["checkpoints"])
    check_request(example, emu.api(f"/fine_tuning/jobs/{out['job_id']}"))
    env.assert_no_key("terraform.tfstate", (workdir / "terraform.tfstate").read_text())

    # Nothing changed: no changes planned, and the plan itself wrote nothing.
    seen = len(emu.log())
    again = tf.plan(*fast)
    assert again.changes is False, env.managed_actions(again)
    during = emu.log()[seen:]
    assert env.writes(during) == []
    # ...but it did read the job fresh.
    assert [e for e in during if e["method"] == "GET" and e["path"].startswith("/v1/fine_tuning/jobs")]
    results.append(again.result)

    # A different training request is a different job: the old one is replaced.
    changed = [*fast, f"-var=suffix={example[:50]}-v2"]
    replan = tf.plan(*changed)
    replaced = [a for a, acts in env.managed_actions(replan).items() if a.endswith("terraform_data.job")]
    assert len(replaced) == 1
    assert env.managed_actions(replan)[replaced[0]] == ["delete", "create"]
    results.append(replan.result)
    results.append(tf.apply("tfplan"))
    second = tf.output()
    assert second["job_id"] != out["job_id"]
    assert second["status"] == "succeeded"
    assert f":{example[:50]}-v2:" in second["fine_tuned_model"]
    if "permission_ids" in second:
        # The new model is shared with the same projects; the old one's grants were revoked.
        assert second["missing"] == []
        assert sorted(second["permission_ids"]) == ["proj_abc123", "proj_def456"]
        assert second["permission_ids"] != out["permission_ids"]
        old = emu.api(f"/fine_tuning/checkpoints/{out['fine_tuned_model']}/permissions", key=env.ADMIN_KEY)
        assert old["data"] == []

    results.append(tf.destroy(*changed))
    assert tf.output() == {}

    counts = emu.counts()
    assert counts.get("POST /v1/fine_tuning/jobs") == 2, counts
    assert counts.get("POST /v1/files") == UPLOADS.get(example, 1), counts
    # Both jobs had finished: destroy cancelled nothing and deleted no model.
    assert not [k for k in counts if k.endswith("/cancel") or k.startswith("DELETE /v1/models")], counts

    for r in results:
        env.assert_no_key(f"terraform {' '.join(r.args)}", r.stdout + r.stderr)
    env.assert_no_key("terraform.tfstate.backup", (workdir / "terraform.tfstate.backup").read_text())
