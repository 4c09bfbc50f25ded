"""The stand-in hashicorp/external provider under real Terraform: init from the mirror, then
the v2.4.0 behaviours the project relies on, each checked against the provider's own text."""

import json
import textwrap

import pytest

from tf import TerraformError

VERSIONS = """
terraform {
  required_providers {
    external = {
      source  = "hashicorp/external"
      version = "2.4.0"
    }
  }
}
"""


def write_config(workdir, body):
    (workdir / "main.tf").write_text(VERSIONS + textwrap.dedent(body))


def read_error(terraform, workdir, env, body):
    """Plans `body`, which must fail, and returns its single error diagnostic."""
    write_config(workdir, body)
    tf = terraform(workdir, env=env)
    tf.init()
    with pytest.raises(TerraformError) as failure:
        tf.plan()
    errors = failure.value.result.errors()
    assert len(errors) == 1, failure.value
    return errors[0]


def test_query_working_dir_env_and_id(terraform, tmp_path, programs_on_path):
    workdir = tmp_path / "root"
    workdir.mkdir()
    (tmp_path / "elsewhere").mkdir()
    write_config(
        workdir,
        """
        data "external" "probe" {
          program     = ["external-probe", "echo", "OPENAI_FT_PROBE"]
          working_dir = "${path.root}/../elsewhere"
          query = {
            name  = "ft <&> job"
            empty = ""
            gone  = null
          }
        }

        data "external" "here" {
          program = ["external-probe", "echo", "OPENAI_FT_UNSET_VAR"]
        }

        output "probe" {
          value = data.external.probe.result
        }
        output "probe_id" {
          value = data.external.probe.id
        }
        output "here" {
          value = data.external.here.result
        }
        """,
    )
    env = {**programs_on_path, "OPENAI_FT_PROBE": "inherited", "OPENAI_FT_UNSET_VAR": None}
    tf = terraform(workdir, env=env)
    tf.init()
    tf.validate()
    tf.apply()
    out = tf.output()

    # Compact JSON, sorted keys, Go's HTML escaping, and the null value left out.
    assert out["probe"]["stdin"] == '{"empty":"","name":"ft \\u003c\\u0026\\u003e job"}'
    assert json.loads(out["probe"]["stdin"]) == {"empty": "", "name": "ft <&> job"}
    assert out["probe"]["cwd"] == str((tmp_path / "elsewhere").resolve())
    assert out["probe"]["env"] == "inherited"
    assert out["probe_id"] == "-"
    # No query is an empty object; no working_dir is Terraform's own directory.
    assert out["here"]["stdin"] == "{}"
    assert out["here"]["cwd"] == str(workdir.resolve())
    assert out["here"]["env"] == "<unset>"

    assert tf.plan().changes is False


def test_nested_output_is_unexpected_results(terraform, tmp_path, programs_on_path):
    error = read_error(
        terraform,
        tmp_path,
        programs_on_path,
        """
        data "external" "probe" {
          program = ["external-probe", "nested"]
        }
        """,
    )
    assert error["summary"] == "Unexpected External Program Results"
    assert error["detail"].startswith(
        "The data source received unexpected results after executing the program.\n\n"
        "Program output must be a JSON encoded map of string keys and string values.\n"
    )
    assert error["detail"].endswith(
        "\nResult Error: json: cannot unmarshal object into Go value of type string"
    )


def test_failing_program_reports_its_stderr(terraform, tmp_path, programs_on_path):
    error = read_error(
        terraform,
        tmp_path,
        programs_on_path,
        """
        data "external" "probe" {
          program = ["external-probe", "fail", "job ftjob-9 not found"]
        }
        """,
    )
    assert error["summary"] == "External Program Execution Failed"
    program = programs_on_path["PATH"].split(":")[0] + "/external-probe"
    assert error["detail"] == (
        "The data source received an unexpected error while attempting to execute the program."
        f"\n\nProgram: {program}"
        "\nError Message: job ftjob-9 not found"
        "\nState: exit status 1"
    )


def test_missing_working_dir_fails_without_stderr(terraform, tmp_path, programs_on_path):
    missing = tmp_path / "no-such-dir"
    error = read_error(
        terraform,
        tmp_path,
        programs_on_path,
        f"""
        data "external" "probe" {{
          program     = ["external-probe", "echo", "HOME"]
          working_dir = "{missing}"
        }}
        """,
    )
    assert error["summary"] == "External Program Execution Failed"
    program = programs_on_path["PATH"].split(":")[0] + "/external-probe"
    assert error["detail"] == (
        "The data source received an unexpected error while attempting to execute the program."
        "\n\nThe program was executed, however it returned no additional error messaging."
        f"\n\nProgram: {program}"
        f"\nState: chdir {missing}: no such file or directory"
    )


def test_program_missing_from_path_is_a_lookup_failure(terraform, tmp_path, programs_on_path):
    error = read_error(
        terraform,
        tmp_path,
        programs_on_path,
        """
        data "external" "probe" {
          program = ["openai-ft-no-such-program"]
        }
        """,
    )
    assert error["summary"] == "External Program Lookup Failed"
    assert error["detail"].startswith(
        "The data source received an unexpected error while attempting to parse the query. "
        "The data source received an unexpected error while attempting to find the program.\n"
    )
    assert error["detail"].endswith(
        '\nPlatform: linux'
        '\nProgram: "openai-ft-no-such-program"'
        '\nError: exec: "openai-ft-no-such-program": executable file not found in $PATH'
    )


def test_schema_is_v2_4_0(terraform, engine, tmp_path):
    write_config(tmp_path, "")
    tf = terraform(tmp_path)
    tf.init()
    schema = json.loads(tf.run("providers", "schema", "-json").stdout)
    provider = schema["provider_schemas"][engine.provider_address]
    assert provider.get("resource_schemas", {}) == {}
    block = provider["data_source_schemas"]["external"]["block"]
    attributes = {
        name: (a["type"], *(a.get(k, False) for k in ("required", "optional", "computed")))
        for name, a in block["attributes"].items()
    }
    assert attributes == {
        "program": (["list", "string"], True, False, False),
        "query": (["map", "string"], False, True, False),
        "working_dir": ("string", False, True, False),
        "result": (["map", "string"], False, False, True),
        "id": ("string", False, False, True),
    }
    assert block["attributes"]["id"]["description"] == (
        "The id of the data source. This will always be set to `-`"
    )
