"""A generated supervised training file for scripts/bench: chat examples of English-like prose
with code, numbers, non-Latin scripts, emoji and whitespace runs mixed in, and some tool calls,
the same bytes for the same size every time (a fixed seed). Written into a temporary folder by
the benchmark, never committed."""

import json
import random

WORDS = (
    "the of and to in is you that it he was for on are as with his they at be this have from or "
    "one had by word but not what all were we when your can said there use an each which she do "
    "how their if will up other about out many then them these so some her would make like him "
    "into time has look two more write go see number no way could people my than first water been "
    "call who its now find long down day did get come made may part over new sound take only "
    "little work know place year live me back give most very after thing our just name good "
    "sentence man think say great where help through much before line right too mean old any same "
    "tell boy follow came want show also around form three small set put end does another well "
    "large must big even such because turn here why ask went men read need land different home us "
    "move try kind hand picture again change off play spell air away animal house point page "
    "letter mother answer found study still learn should world deployment latency tokenizer"
).split()
CODE = [
    "def total(xs):\n    return sum(x * x for x in xs)\n",
    "for (let i = 0; i < n; i++) {\n  acc += values[i];\n}",
    "SELECT id, name FROM users WHERE created_at > '2024-01-01' ORDER BY id;",
    'fn main() {\n    println!("{}", (1..=10).product::<u64>());\n}',
    "if err != nil {\n\t\treturn fmt.Errorf(\"open: %w\", err)\n\t}",
]
OTHER = [
    "Grüße aus Köln, naïve café", "東京の天気は晴れです", "Привет, мир", "مرحبا بالعالم",
    "emoji 🎉🚀👍🏽", "नमस्ते दुनिया", "한국어 문장",
]


def _sentence(rng):
    s = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 22)))
    r = rng.random()
    if r < 0.08:
        s += " " + rng.choice(CODE)
    elif r < 0.16:
        s += " " + rng.choice(OTHER)
    elif r < 0.22:
        s += f" {rng.randint(0, 10**12)}"
    elif r < 0.25:
        s += "   \n\n  "
    return s.capitalize() + "."


def _text(rng, lo, hi):
    return " ".join(_sentence(rng) for _ in range(rng.randint(lo, hi)))


def _example(rng, n):
    messages = [{"role": "system", "content": "You are a helpful assistant for a software team."}]
    messages.append({"role": "user", "content": _text(rng, 1, 6)})
    if n % 10 == 0:
        args = json.dumps({"query": rng.choice(WORDS), "limit": rng.randint(1, 50)})
        messages.append({"role": "assistant", "tool_calls": [
            {"id": f"call_{n}", "type": "function", "function": {"name": "search_docs", "arguments": args}}]})
        messages.append({"role": "tool", "tool_call_id": f"call_{n}", "content": _text(rng, 1, 3)})
    messages.append({"role": "assistant", "content": _text(rng, 1, 8)})
    return {"messages": messages}


def write(path, size, seed=15):
    """Writes at least `size` bytes of examples to `path`; returns the number of examples."""
    rng = random.Random(seed)
    written = examples = 0
    with open(path, "w", encoding="utf-8") as f:
        while written < size:
            line = json.dumps(_example(rng, examples), ensure_ascii=False) + "\n"
            f.write(line)
            written += len(line.encode())
            examples += 1
    return examples
