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


def declared(folder, kind: str) -> list[str]:
    """The variables or outputs declared in a module folder's own .tf files, in file order."""
    return [
        name
        for path in sorted(folder.glob("*.tf"))
        for name in re.findall(rf'^{kind} "([a-z_0-9]+)"', path.read_text(), flags=re.M)
    ]


BASE = env.MODULES / "fine_tuning"
ENHANCED = BASE / "enhanced_fine_tuning"


@pytest.mark.parametrize("folder", env.module_dirs(), ids=lambda p: str(p.relative_to(env.MODULES)))
def test_every_variable_is_in_variables_tf(folder):
    elsewhere = {
        path.name: names
        for path in sorted(folder.glob("*.tf"))
        if path.name != "variables.tf"
        and (names := re.findall(r'^variable "([a-z_0-9]+)"', path.read_text(), flags=re.M))
    }
    assert elsewhere == {}


def test_one_check_shows_every_warning():
    # One check over the warnings the two commands return: a new kind needs no module edit.
    checks = re.findall(r'^check "([a-z_]+)"', (BASE / "checks.tf").read_text(), flags=re.M)
    assert checks == ["warnings"]
    every = [name for path in BASE.glob("*.tf") for name in re.findall(r'^check "([a-z_]+)"', path.read_text(), flags=re.M)]
    assert every == ["warnings"]


def test_enhanced_module_passes_every_base_variable():
    # The budget gate's variables too: a wrapper that drops one silently loses the gate.
    base = declared(BASE, "variable")
    assert {"training_file_stats", "max_billed_tokens", "max_cost_usd", "price_per_million_tokens"} <= set(base)
    assert sorted(declared(ENHANCED, "variable")) == sorted([*base, "checkpoint_permissions"])
    call = (ENHANCED / "main.tf").read_text().split('module "fine_tuning" {', 1)[1].split("\n}", 1)[0]
    passed = re.findall(r"^\s+([a-z_]+)\s+= var\.([a-z_]+)$", call, flags=re.M)
    assert sorted(passed) == sorted((name, name) for name in base)


def attribute(folder, variable: str, name: str) -> str | None:
    """The text of one attribute (`type`, `default`) of a variable block, as `terraform fmt`
    lays it out (its first line and any lines indented deeper), without comments; or None."""
    for path in sorted(folder.glob("*.tf")):
        block = re.search(rf'^variable "{variable}" {{\n(.*?)^}}', path.read_text(), flags=re.M | re.S)
        if block:
            found = re.search(rf"^  {name}\s+=.*?(?=^  [a-z_]+\s*[={{]|\Z)", block.group(1), flags=re.M | re.S)
            if found is None:
                return None
            code = [re.sub(r"\s+#.*$|^\s*#.*$", "", line) for line in found.group(0).splitlines()]
            return " ".join(" ".join(code).split())
    raise AssertionError(f"no variable {variable} in {folder}")


def test_enhanced_module_variables_have_the_base_types_and_defaults():
    # Terraform cannot refer to another module's variable type, so the wrapper restates them.
    for name in declared(BASE, "variable"):
        for what in ("type", "default", "nullable"):
            assert attribute(ENHANCED, name, what) == attribute(BASE, name, what), (name, what)


def test_enhanced_module_outputs_every_base_output():
    # `request` is the base module's plumbing for this wrapper's permission reads.
    base = set(declared(BASE, "output")) - {"request"}
    enhanced = declared(ENHANCED, "output")
    assert set(enhanced) == base | {"shared_checkpoint", "permission_ids", "missing"}
    text = "".join(p.read_text() for p in sorted(ENHANCED.glob("*.tf")))
    for name in base:
        assert f"value       = module.fine_tuning.{name}\n" in text, name


# What the tests run: Terraform 1.15 and OpenTofu 1.12 satisfy the first; the stand-in is 2.4.0,
# and below 2.3.2 the provider drops empty-string query values (2.3.0) or sends nulls as "" (2.3.1).
REQUIRED_VERSION = '  required_version = ">= 1.12, < 2.0.0"'
EXTERNAL_VERSION = '      version = ">= 2.3.2, < 3.0.0"'


@pytest.mark.parametrize("where", EVERY_ROOT)
def test_version_constraints_match_what_is_tested(where):
    lines = (env.REPO / where / "versions.tf").read_text().splitlines()
    assert REQUIRED_VERSION in lines
    assert EXTERNAL_VERSION in lines
