"""The reference count openai-ft's token figures are checked (tests/python/test_token_counts.py)
and benchmarked (scripts/bench) against: OpenAI's `tiktoken`, loaded from the very ranks files
the Rust side embeds (the `tiktoken-rs` crate's `assets/`, found through `cargo metadata`,
checked against the sha256 tiktoken itself expects), and the counting rules of OpenAI's
data-preparation notebook as docs/tokens-and-cost.md extends them.

tiktoken's own download of the ranks cannot work offline, so `encoding()` hands tiktoken's
constructor the local file instead; the pattern and special tokens stay tiktoken's.
"""

import functools
import json
import os
import subprocess

import tiktoken
import tiktoken_ext.openai_public as openai_public
from tiktoken.load import load_tiktoken_bpe

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@functools.lru_cache(maxsize=None)
def assets_dir():
    """The `assets/` folder of the tiktoken-rs crate the workspace builds with."""
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version=1", "--locked"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    for package in json.loads(meta.stdout)["packages"]:
        if package["name"] == "tiktoken-rs":
            return os.path.join(os.path.dirname(package["manifest_path"]), "assets")
    raise RuntimeError("tiktoken-rs is not in the workspace's dependencies")


def ranks_file(name):
    return os.path.join(assets_dir(), f"{name}.tiktoken")


@functools.lru_cache(maxsize=None)
def encoding(name):
    """tiktoken's `name` encoding (o200k_base, cl100k_base) from the local ranks file; tiktoken
    checks the file against the hash it expects of OpenAI's published one."""
    path = ranks_file(name)
    original = openai_public.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda _url, expected_hash=None: load_tiktoken_bpe(path, expected_hash)
    try:
        return tiktoken.Encoding(**getattr(openai_public, name)())
    finally:
        openai_public.load_tiktoken_bpe = original


def _n(enc, text):
    # Special-token text is ordinary text (the Rust side uses `encode_ordinary` too).
    return len(enc.encode_ordinary(text))


def _calls(enc, message):
    functions = [c.get("function") or {} for c in message.get("tool_calls") or []]
    if isinstance(message.get("function_call"), dict):
        functions.append(message["function_call"])
    return sum(_n(enc, f[k]) for f in functions for k in ("name", "arguments") if isinstance(f.get(k), str))


def _texts(enc, content):
    return sum(_n(enc, p["text"]) for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))


def message_tokens(enc, message):
    """The notebook's per-message count: 3, every string field (+1 for `name`), extended with the
    text of content parts and the name and arguments of tool calls."""
    n = 3
    for key, value in message.items():
        if isinstance(value, str):
            n += _n(enc, value) + (1 if key == "name" else 0)
        elif key == "content" and isinstance(value, list):
            n += _texts(enc, value)
    return n + _calls(enc, message)


def conversation_tokens(enc, messages):
    """The notebook's `num_tokens_from_messages`: the messages and 3 for the reply priming."""
    return sum(message_tokens(enc, m) for m in messages) + 3


def tools_tokens(enc, obj):
    return sum(
        _n(enc, json.dumps(obj[k], separators=(",", ":"), sort_keys=True, ensure_ascii=False))
        for k in ("tools", "functions")
        if isinstance(obj.get(k), list)
    )


def assistant_tokens(enc, message):
    """What an assistant message trains: its text and tool calls; weight 0 trains nothing."""
    if message.get("role") != "assistant" or message.get("weight") == 0:
        return 0
    content = message.get("content")
    n = _n(enc, content) if isinstance(content, str) else _texts(enc, content) if isinstance(content, list) else 0
    return n + _calls(enc, message)


def example_tokens(enc, example, method):
    """(total, trained) tokens of one example of `method`."""
    if method == "dpo":
        prompt = example["input"]
        completions = example["preferred_output"] + example["non_preferred_output"]
        total = conversation_tokens(enc, prompt["messages"]) + tools_tokens(enc, prompt)
        total += sum(message_tokens(enc, m) for m in completions)
        return total, sum(assistant_tokens(enc, m) for m in completions)
    total = conversation_tokens(enc, example["messages"]) + tools_tokens(enc, example)
    trained = sum(assistant_tokens(enc, m) for m in example["messages"]) if method == "supervised" else 0
    return total, trained


def auto_epochs(examples):
    """The notebook's default epochs."""
    if examples * 3 < 100:
        return min(25, 100 // examples)
    if examples * 3 > 25000:
        return max(1, 25000 // examples)
    return 3
