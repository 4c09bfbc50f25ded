import pytest

from openai_ft.config import check_base_url, endpoint_from_env, is_loopback, limits_from_env
from openai_ft.http import check_path, encode_query
from openai_ft.protocol import HostError, debug_quote, parse_input, render_output


def refused(f, *args) -> str:
    with pytest.raises(HostError) as e:
        f(*args)
    return str(e.value)


def test_input_strings_pass_in_key_order_and_nulls_vanish():
    assert parse_input(b'{"suffix":null,"id":"ftjob-1","a":"x"}', "stdin") == [("a", "x"), ("id", "ftjob-1")]


def test_input_refusals_have_the_native_words():
    assert refused(parse_input, b'{"n":3}', "stdin") == (
        'invalid input "n" on stdin: expected a string, got a number; pass structured values through '
        "jsonencode() and numbers as strings")
    assert refused(parse_input, b'["a"]', "OPENAI_FT_INPUT") == (
        "invalid input on OPENAI_FT_INPUT: expected a JSON object of strings, got an array")
    assert refused(parse_input, b"{\xff", "stdin") == (
        "invalid input on stdin: not UTF-8 (byte 1); send one JSON object of strings")
    assert refused(parse_input, b" \n", "stdin").startswith("no input on stdin")
    assert refused(parse_input, b'{"b":true}', "stdin").startswith('invalid input "b" on stdin: expected a string, got a boolean')


def test_output_is_serde_json_s_line():
    assert render_output([("b", ""), ("a", 'x\ny"\x01\x7f/é'), ("10", "n"), ("2", "n")]) == (
        '{"10":"n","2":"n","a":"x\\ny\\"\\u0001\x7f/é","b":""}')
    assert render_output([("k", "1"), ("k", "2")]) == '{"k":"2"}'
    assert debug_quote('a"b\\c\n\t\x00\x07é') == '"a\\"b\\\\c\\n\\t\\0\\u{7}é"'


def test_base_urls_and_flavours():
    assert check_base_url("OPENAI_BASE_URL", "https://api.openai.com/v1/") == "https://api.openai.com/v1"
    assert is_loopback("[::1]:9") and is_loopback("127.9.9.9:1") and is_loopback("LOCALHOST")
    assert not is_loopback("[::ffff:127.0.0.1]") and not is_loopback("0127.0.0.1")
    assert refused(check_base_url, "OPENAI_BASE_URL", "http://example.com/v1").endswith(
        "must use https (plain http is allowed only for loopback addresses such as http://127.0.0.1:8080/v1)")
    for bad in ["ftp://x/v1", "https://user:pw@x/v1", "api.openai.com", "https://x/v1?a=b"]:
        refused(check_base_url, "OPENAI_BASE_URL", bad)
    azure = endpoint_from_env({"AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com/", "AZURE_OPENAI_API_KEY": "k"})
    assert (azure.flavor, azure.base, azure.project) == ("azure", "https://r.openai.azure.com/openai/v1", ("api-key", "k"))
    assert azure.admin.message.startswith("checkpoint permissions do not exist on Azure OpenAI (flavour azure)")
    assert "k" not in repr(azure)
    assert refused(endpoint_from_env, {"OPENAI_FT_FLAVOR": "azure-classic", "AZURE_OPENAI_ENDPOINT": "https://r"}) \
        .startswith("OPENAI_API_VERSION is not set")
    assert refused(endpoint_from_env, {"OPENAI_FT_TIMEOUT": "0"}) == (
        'invalid OPENAI_FT_TIMEOUT "0": must be a whole number of seconds 1-86400')
    assert endpoint_from_env({"OPENAI_FT_TIMEOUT": " +30 "}).timeout == 30
    assert refused(limits_from_env, {"OPENAI_FT_MEMORY_LIMIT_MIB": "4097"}) == (
        'invalid OPENAI_FT_MEMORY_LIMIT_MIB "4097": must be a whole number 1-4096')


def test_http_paths_and_queries():
    assert check_path("/fine_tuning/checkpoints/ft:gpt-4o-mini:org:x:abc/permissions") is None
    for bad in ["fine_tuning", "//evil.com/x", "/a/../b", "/a/%2e%2E/b", "/a?x=1", "/a#b", "/a b", "/a\\b"]:
        assert check_path(bad).endswith("which is not a plain path under the API base"), bad
    assert encode_query([("metadata[k]", "a b&c"), ("limit", "10"), ("é", "~-._")]) == (
        "?metadata%5Bk%5D=a%20b%26c&limit=10&%C3%A9=~-._")
