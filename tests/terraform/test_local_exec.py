"""terraform_data + local-exec, the way the project's modules call the CLI: input passed in the
OPENAI_FT_INPUT environment variable, replaced only when the input changes."""

import json
import textwrap


def test_local_exec_gets_input_env_and_replans_clean(terraform, tmp_path, programs_on_path):
    (tmp_path / "main.tf").write_text(
        textwrap.dedent(
            """
            variable "model" {
              type = string
            }

            locals {
              input = jsonencode({ model = var.model, n_epochs = "auto" })
            }

            resource "terraform_data" "job" {
              input = local.input

              provisioner "local-exec" {
                command = "record-input ${path.root}/recorded.json"
                environment = {
                  OPENAI_FT_INPUT = self.input
                }
              }
            }

            output "input" {
              value = terraform_data.job.output
            }
            """
        )
    )
    tf = terraform(tmp_path, env=programs_on_path)
    tf.init()
    tf.fmt_check()
    tf.validate()

    first = tf.plan("-var=model=gpt-4o-mini")
    assert first.changes is True
    assert [c["change"]["actions"] for c in first.json["resource_changes"]] == [["create"]]
    tf.apply("tfplan")

    recorded = json.loads((tmp_path / "recorded.json").read_text())
    assert recorded == {"model": "gpt-4o-mini", "n_epochs": "auto"}
    assert json.loads(tf.output("input")) == recorded

    assert tf.plan("-var=model=gpt-4o-mini").changes is False
    changed = tf.plan("-var=model=gpt-4.1-mini")
    assert [c["change"]["actions"] for c in changed.json["resource_changes"]] == [["update"]]

    tf.destroy("-var=model=gpt-4o-mini")
    assert tf.output() == {}
