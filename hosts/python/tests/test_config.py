"""The host's side of the configuration: the logic (Rust, tested there) decides, this host masks
the secrets it hands over and completes the credential headers with them; and run() applies the
bins' input caps."""

import pytest

import openai_ft
from openai_ft import config
from openai_ft.logic import HostError, logic


def test_secrets_reach_the_logic_masked_and_come_back_trimmed(monkeypatch):
    seen = []
    real = logic().configure
    monkeypatch.setattr(logic(), "configure", lambda env: (seen.extend(env), real(env))[1])
    c = config.configure({"OPENAI_API_KEY": " sk-proj-\u00e9123456\n", "OPENAI_BASE_URL": "https://gw.example/v1",
                          "HOME": "/x"})
    assert seen == [("OPENAI_BASE_URL", "https://gw.example/v1"), ("OPENAI_API_KEY", " " + "*" * 15 + "\n")]
    assert c.header(c.endpoint.project) == ("authorization", "Bearer sk-proj-\u00e9123456")
    assert c.redactor.text("key sk-proj-\u00e9123456!") == "key [redacted]!"
    assert "sk-proj" not in repr(c)


def test_a_refusal_never_shows_a_secret_that_is_set():
    key = "sk-proj-pasted-0123456789"
    with pytest.raises(HostError) as e:
        config.configure({"OPENAI_API_KEY": key, "OPENAI_FT_FLAVOR": key})
    assert str(e.value) == ('invalid OPENAI_FT_FLAVOR "[redacted]": must be openai, azure or azure-classic (unset, '
                            "it is azure when AZURE_OPENAI_ENDPOINT is set)")


@pytest.mark.parametrize("given,message", [
    ({f"k{i}": "" for i in range(257)},
     "invalid input on run(): 257 keys, more than the 256 accepted; send only the command's inputs "
     "(openai-ft <noun> --help lists them)"),
    ({"id": "x" * (1 << 20)},
     "invalid input on run(): larger than 1 MiB; send one JSON object of the command's inputs (a training "
     "file goes in by its path)"),
    ({"id": 3},
     'invalid input "id" on run(): expected a string, got a number; pass structured values through '
     "jsonencode() and numbers as strings"),
])
def test_run_applies_the_bins_input_caps(given, message):
    with pytest.raises(openai_ft.OpenAiFtError) as e:
        openai_ft.run("job read", given, env={})
    assert (e.value.kind, str(e.value)) == ("host", message)
