"""The redaction rule (openai_ft/redact.py) and the other phase-2 refusals, with the native host's
words."""

import json

import pytest

from openai_ft.config import check_base_url, endpoint_from_env
from openai_ft.protocol import HostError, parse_input
from openai_ft.redact import Redactor


def test_every_occurrence_of_every_secret_goes_and_short_ones_are_left_alone():
    r = Redactor(["sk-proj-0123456789", "sk-admin-abcdefgh", "abc", "1234567", None])
    assert r.text("Bearer sk-proj-0123456789 and sk-admin-abcdefgh, sk-proj-0123456789! abc 1234567") == \
        "Bearer [redacted] and [redacted], [redacted]! abc 1234567"
    assert r.bytes(b"x sk-admin-abcdefgh y") == b"x [redacted] y"
    assert r.deep([("k", "v sk-proj-0123456789"), {"m": ["sk-admin-abcdefgh"], "n": 1}]) == \
        [("k", "v [redacted]"), {"m": ["[redacted]"], "n": 1}]


def test_a_secret_json_would_escape_is_replaced_in_its_escaped_form_and_json_stays_valid():
    secret = 'key/with"quote\\and-é'
    r = Redactor([secret])
    for body in (json.dumps({"error": {"message": f"bad key {secret}"}}),
                 '{"error":{"message":"bad key key\\/with\\"quote\\\\and-\\u00e9"}}',
                 json.dumps({"error": {"message": f"bad key {secret}"}}, ensure_ascii=False)):
        assert json.loads(r.text(body))["error"]["message"] == "bad key [redacted]", body


def test_the_configuration_redacts_the_credentials_in_use():
    e = endpoint_from_env({"OPENAI_API_KEY": "sk-project-0123456789", "OPENAI_ADMIN_KEY": "sk-admin-0123456789"})
    assert e.redactor.text("sk-project-0123456789 sk-admin-0123456789") == "[redacted] [redacted]"
    assert "sk-project" not in repr(e)
    azure = endpoint_from_env({"AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com",
                               "AZURE_OPENAI_AD_TOKEN": "entra-token-0123"})
    assert azure.redactor.text("Bearer entra-token-0123") == "Bearer [redacted]"


def test_a_password_in_a_base_url_is_never_repeated():
    with pytest.raises(HostError) as e:
        check_base_url("OPENAI_BASE_URL", "https://user:hunter2-secret@x/v1")
    assert str(e.value) == ('invalid OPENAI_BASE_URL "https://user:[redacted]@x/v1": needs a host and no user, '
                            "query or fragment; set it to the API base, for example https://api.openai.com/v1")


def test_input_is_capped_in_size_and_keys():
    with pytest.raises(HostError) as e:
        parse_input(('{"id":"' + "x" * (1 << 20) + '"}').encode(), "stdin")
    assert str(e.value) == ("invalid input on stdin: larger than 1 MiB; send one JSON object of the "
                            "command's inputs (a training file goes in by its path)")
    with pytest.raises(HostError) as e:
        parse_input(json.dumps({f"k{i}": "" for i in range(257)}).encode(), "OPENAI_FT_INPUT")
    assert str(e.value) == ("invalid input on OPENAI_FT_INPUT: 257 keys, more than the 256 accepted; send "
                            "only the command's inputs (openai-ft <noun> --help lists them)")
