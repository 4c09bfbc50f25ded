"""Every module and example is `terraform fmt` clean and passes `terraform validate`; the
enhanced_fine_tuning submodule offers every variable of the base module it wraps."""

import re
import shutil

import pytest

import openai_ft_env as env


def test_fmt_is_clean(terraform, tmp_path):
    # On a copy without anyone's .terraform directories; fmt -check -recursive over both trees.
    env.copy_tree(tmp_path)
    shutil.copytree(env.EXAMPLES, tmp_path / "examples", ignore=env.WORKING_FILES)
    terraform(tmp_path).fmt_check()


@pytest.mark.parametrize(
    "where",
    [str(p.relative_to(env.REPO)) for p in env.module_dirs()]
    + [f"examples/{name}" for name in env.example_names()],
)
def test_validates(where, terraform, tmp_path):
    example = where.removeprefix("examples/") if where.startswith("examples/") else None
    root = env.copy_tree(tmp_path, example)
    workdir = root if example else tmp_path / where
    tf = terraform(workdir)
    tf.init()
    tf.validate()


def variables(path) -> list[str]:
    return re.findall(r'^variable "([a-z_]+)"', path.read_text(), flags=re.M)


def test_enhanced_module_passes_every_base_variable():
    base = variables(env.MODULES / "fine_tuning" / "variables.tf")
    enhanced = env.MODULES / "fine_tuning" / "enhanced_fine_tuning"
    assert variables(enhanced / "variables.tf") == [*base, "checkpoint_permissions"]
    call = (enhanced / "main.tf").read_text().split('module "fine_tuning" {', 1)[1].split("\n}", 1)[0]
    passed = re.findall(r"^\s+([a-z_]+)\s+= var\.([a-z_]+)$", call, flags=re.M)
    assert passed == [(name, name) for name in base]
