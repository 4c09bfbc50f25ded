"""examples/checkpoint_permissions: one grant per project. Moving project_ids from [a, b] to
[b, c] plans exactly one destroy (a) and one create (c), and b keeps its grant throughout: the
emulator's request log shows no request touching b's permission."""

import openai_ft_env as env

A, B, C = "proj_alpha", "proj_bravo", "proj_charlie"


def project_vars(*ids: str) -> str:
    return "-var=project_ids=[" + ",".join(f'"{p}"' for p in ids) + "]"


def granted(emu, checkpoint: str) -> dict[str, str]:
    page = emu.api(f"/fine_tuning/checkpoints/{checkpoint}/permissions?limit=100", key=env.ADMIN_KEY)
    return {p["project_id"]: p["id"] for p in page["data"]}


def test_moving_projects_touches_only_the_moved_ones(terraform, emulator, openai_ft_bins, tmp_path):
    emu = emulator(step_ms=20)
    workdir = env.copy_tree(tmp_path, "checkpoint_permissions")
    tf = terraform(workdir, env=env.terraform_env(openai_ft_bins, emu))
    tf.init()
    tf.apply("-var=poll_interval=0.05", project_vars(A, B))

    out = tf.output()
    model = out["fine_tuned_model"]
    assert out["missing"] == []
    assert set(out["permission_ids"]) == {A, B}
    assert out["permission_ids"] == granted(emu, model)
    a_permission, b_permission = out["permission_ids"][A], out["permission_ids"][B]
    assert b_permission.startswith("cp_")

    seen = len(emu.log())
    assert tf.plan("-var=poll_interval=0.05", project_vars(A, B)).changes is False
    assert env.writes(emu.log()[seen:]) == []

    moved = tf.plan("-var=poll_interval=0.05", project_vars(B, C))
    grant = "module.enhanced_fine_tuning.terraform_data.grant"
    assert env.managed_actions(moved) == {
        f'{grant}["{A}"]': ["delete"],
        f'{grant}["{C}"]': ["create"],
    }
    seen = len(emu.log())
    tf.apply("tfplan")
    during = emu.log()[seen:]

    out = tf.output()
    assert out["missing"] == []
    assert out["permission_ids"][B] == b_permission
    assert set(out["permission_ids"]) == {B, C}
    assert granted(emu, model) == out["permission_ids"]
    # b's grant was neither deleted nor re-created; a's was deleted, c's created, once each.
    assert not [e for e in during if b_permission in e["path"]]
    permission_writes = sorted(w for w in env.writes(during) if "/permissions" in w)
    assert permission_writes == [
        f"DELETE /v1/fine_tuning/checkpoints/{model}/permissions/{a_permission}",
        f"POST /v1/fine_tuning/checkpoints/{model}/permissions",
    ]

    # Waiting again for the same job (as after a failed wait) re-reads the model but does not
    # revoke and re-grant anyone's access.
    wait = "module.enhanced_fine_tuning.module.fine_tuning.terraform_data.wait[0]"
    rewait = tf.plan("-var=poll_interval=0.05", project_vars(B, C), f"-replace={wait}")
    assert {a: acts for a, acts in env.managed_actions(rewait).items() if acts != ["update"]} == {
        wait: ["delete", "create"]
    }
    seen = len(emu.log())
    tf.apply("tfplan")
    assert [w for w in env.writes(emu.log()[seen:]) if "/permissions" in w] == []
    assert tf.output("permission_ids") == out["permission_ids"]

    tf.destroy("-var=poll_interval=0.05", project_vars(B, C))
    assert granted(emu, model) == {}
    # Destroy revokes the grants but never deletes the model.
    assert emu.api(f"/models/{model}")["id"] == model
    assert emu.counts().get("POST /v1/fine_tuning/jobs") == 1
    env.assert_no_key("terraform.tfstate", (workdir / "terraform.tfstate").read_text())
    env.assert_no_key("terraform.tfstate.backup", (workdir / "terraform.tfstate.backup").read_text())
