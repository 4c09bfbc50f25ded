"""The redaction rule (openai_ft/config.py): every secret, as it is and as JSON spells it."""

import json

from openai_ft.config import configure
from openai_ft.config import Redactor


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


def test_the_configuration_redacts_every_credential_set():
    e = configure({"OPENAI_API_KEY": "sk-project-0123456789", "OPENAI_ADMIN_KEY": "sk-admin-0123456789",
                   "AZURE_OPENAI_AD_TOKEN": "entra-token-0123"})
    assert e.redactor.text("sk-project-0123456789 sk-admin-0123456789 entra-token-0123") == \
        "[redacted] [redacted] [redacted]"
