"""`openai-ft file validate`'s token figures against an independent count: OpenAI's `tiktoken`
with the same ranks files (scripts/lib/tiktoken_reference.py) and the notebook's formula, on the
committed corpus (tests/data/tokens: unicode, emoji, code, long numbers, whitespace runs, tool
calls and definitions, numbers of every form in tool schemas, DPO and reinforcement files) and the sample files."""

import json
import math
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "lib"))
import tiktoken_reference as ref  # noqa: E402

FILES = [
    ("tokens/supervised.jsonl", "supervised"),
    ("tokens/tools.jsonl", "supervised"),
    # Tool schemas with every form of JSON number: integers past 64 bits, -0, exponents.
    ("tokens/numbers.jsonl", "supervised"),
    ("tokens/numbers_dpo.jsonl", "dpo"),
    ("tokens/dpo.jsonl", "dpo"),
    ("tokens/reinforcement.jsonl", "reinforcement"),
    ("supervised.jsonl", "supervised"),
    ("dpo.jsonl", "dpo"),
    ("reinforcement.jsonl", "reinforcement"),
]
# (model, its tokenizer, its context limit in the table)
MODELS = [("gpt-4o-mini-2024-07-18", "o200k_base", 65536), ("gpt-3.5-turbo-0125", "cl100k_base", 16385)]


def openai_ft_bin():
    return pathlib.Path(os.environ.get("OPENAI_FT_BIN", REPO / "target" / "debug" / "openai-ft"))


def validate(query):
    binary = openai_ft_bin()
    assert binary.exists(), f"{binary} not found: run `cargo build -p openai-ft` or set OPENAI_FT_BIN"
    done = subprocess.run(
        [str(binary), "file", "validate"],
        input=json.dumps(query), capture_output=True, text=True, env={"PATH": os.environ.get("PATH", "")},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def nearest_rank(values, p):
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p * len(ordered) / 100)) - 1]


def test_the_ranks_files_are_openais():
    # tiktoken refuses a file whose sha256 is not the one it expects of OpenAI's.
    for name in ["o200k_base", "cl100k_base"]:
        assert ref.encoding(name).n_vocab > 100_000


def test_the_corpus_covers_what_tokenizers_get_wrong():
    text = "".join((REPO / "tests" / "data" / f).read_text(encoding="utf-8") for f, _ in FILES)
    decoded = json.dumps([json.loads(line) for line in text.splitlines()], ensure_ascii=False)
    for needle in ["👨\u200d👩", "日本語", "\u0301", "fn main()", "31415926535897932384626433832795028841971",
                   "    four spaces", "\\t\\t\\t", "it'ſ", "<|endoftext|>", "tool_calls", "function_call", "\"tools\""]:
        assert needle in decoded, needle


@pytest.mark.parametrize("model,tokenizer,limit", MODELS)
@pytest.mark.parametrize("name,method", FILES)
def test_figures_equal_tiktokens(name, method, model, tokenizer, limit):
    path = REPO / "tests" / "data" / name
    enc = ref.encoding(tokenizer)
    counts = [ref.example_tokens(enc, json.loads(line), method)
              for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    totals = [t for t, _ in counts]
    out, stderr = validate({"path": str(path), "training_method": method, "model": model, "n_epochs": "2"})
    epochs = 2
    billed_per_epoch = sum(min(limit, t) for t in totals)
    want = {
        "tokenizer": tokenizer,
        "context_limit": str(limit),
        "estimated_tokens": str(sum(totals)),
        "total_tokens": str(sum(totals)),
        "trained_tokens": str(sum(t for _, t in counts)),
        "tokens_min": str(min(totals)),
        "tokens_max": str(max(totals)),
        "tokens_mean": f"{sum(totals) / len(totals):.1f}",
        "tokens_p50": str(nearest_rank(totals, 50)),
        "tokens_p95": str(nearest_rank(totals, 95)),
        "n_epochs": str(epochs),
        "billed_tokens_per_epoch": str(billed_per_epoch),
        "estimated_billed_tokens": str(billed_per_epoch * epochs),
    }
    assert {k: out[k] for k in want} == want
    assert f"{len(totals)} examples, {sum(totals)} tokens ({tokenizer})" in stderr


def test_auto_epochs_and_cost_follow_the_notebook():
    path = REPO / "tests" / "data" / "tokens" / "supervised.jsonl"
    enc = ref.encoding("o200k_base")
    examples = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    per_epoch = sum(min(65536, ref.example_tokens(enc, e, "supervised")[0]) for e in examples)
    out, _ = validate({"path": str(path), "model": "gpt-4o-mini"})
    epochs = ref.auto_epochs(len(examples))
    assert (out["n_epochs"], out["n_epochs_auto"]) == (str(epochs), "true")
    assert out["estimated_billed_tokens"] == str(per_epoch * epochs)
    # gpt-4o-mini's training price in the table: 3 USD per 1M tokens.
    assert out["estimated_cost_usd"] == f"{per_epoch * epochs * 3.0 / 1e6:.4f}"
