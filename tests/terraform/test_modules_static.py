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


EVERY_ROOT = [str(p.relative_to(env.REPO)) for p in env.module_dirs()] + [
    f"examples/{name}" for name in env.example_names()
]


@pytest.mark.parametrize("where", EVERY_ROOT)
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


# What the tests run: Terraform 1.15 and OpenTofu 1.12 satisfy the first; the stand-in is 2.4.0,
# and below 2.3.2 the provider drops empty-string query values (2.3.0) or sends nulls as "" (2.3.1).
REQUIRED_VERSION = '  required_version = ">= 1.12, < 2.0.0"'
EXTERNAL_VERSION = '      version = ">= 2.3.2, < 3.0.0"'


@pytest.mark.parametrize("where", EVERY_ROOT)
def test_version_constraints_match_what_is_tested(where):
    lines = (env.REPO / where / "versions.tf").read_text().splitlines()
    assert REQUIRED_VERSION in lines
    assert EXTERNAL_VERSION in lines
