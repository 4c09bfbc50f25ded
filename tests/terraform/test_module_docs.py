"""The Inputs and Outputs tables of every module README are generated from its .tf files
(scripts/module-docs, between the BEGIN_TF_DOCS markers), and a stale table fails here."""

import importlib.machinery
import importlib.util
import shutil

import openai_ft_env as env


def generator():
    path = env.REPO / "scripts" / "module-docs"
    loader = importlib.machinery.SourceFileLoader("module_docs", str(path))
    spec = importlib.util.spec_from_loader("module_docs", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_the_readme_tables_are_generated_from_the_code():
    docs = generator()
    assert docs.stale(env.MODULES) == [], "run scripts/module-docs"


def test_a_changed_description_makes_its_readme_stale(tmp_path):
    docs = generator()
    modules = tmp_path / "modules"
    shutil.copytree(env.MODULES, modules, ignore=env.WORKING_FILES)
    variables = modules / "training_file" / "variables.tf"
    text = variables.read_text()
    variables.write_text(text.replace("The local JSONL training file to validate and upload", "Another description", 1))
    outputs = modules / "fine_tuning" / "outputs.tf"
    outputs.write_text(outputs.read_text() + '\noutput "new_one" {\n  description = "A new output."\n  value       = 1\n}\n')
    assert docs.stale(modules) == ["fine_tuning/README.md", "training_file/README.md"]
    # Writing them brings them back in step, and the rows say what the code says.
    docs.write(modules)
    assert docs.stale(modules) == []
    assert "| path | Another description" in (modules / "training_file" / "README.md").read_text()
    assert "| new_one | A new output. |" in (modules / "fine_tuning" / "README.md").read_text()
