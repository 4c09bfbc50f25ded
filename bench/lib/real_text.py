"""A supervised training file of real prose and code that no one on this project wrote, for
scripts/bench: the Python standard library of the interpreter running the benchmark (its `.py`
sources, sorted by path, without site-packages), cut by `ast` into functions and classes with
their docstrings. Examples ask for a function from its docstring or explain one from its source,
some in two turns, some through a tool with a JSON schema; code and prose keep their own
whitespace, indentation and non-ASCII text. The same interpreter gives the same bytes for the same
size every time (a fixed seed); another Python version gives another corpus, so the benchmark
prints which one it used. Written into a temporary folder, never committed."""

import ast
import json
import os
import random
import sys
import sysconfig

# A real example's code stays below this; longer units are cut at a line boundary.
MAX_CODE = 8000
SYSTEM = "You are a senior Python developer. Answer with code or a short explanation."
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "read_source",
            "description": "Read the source of a function or class in the Python standard library.",
            "parameters": {
                "type": "object",
                "properties": {
                    "module": {"type": "string", "description": "Dotted module name, e.g. json.decoder"},
                    "name": {"type": "string", "description": "Qualified name within the module"},
                },
                "required": ["module", "name"],
                "additionalProperties": False,
            },
        },
    }
]


def source():
    """Where the text comes from: the interpreter and its standard library folder."""
    return f"Python {sys.version.split()[0]} standard library, {sysconfig.get_paths()['stdlib']}"


def _files(stdlib):
    for folder, dirs, names in os.walk(stdlib):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "dist-packages", "__pycache__"))
        for name in sorted(names):
            if name.endswith(".py"):
                yield os.path.join(folder, name)


def units():
    """(module, qualified name, docstring, source) of every documented function and class, in a
    fixed order; files that are not UTF-8 or not valid Python 3 (test data) are skipped."""
    stdlib = sysconfig.get_paths()["stdlib"]
    found = []
    for path in _files(stdlib):
        module = os.path.relpath(path, stdlib)[:-3].replace(os.sep, ".").removesuffix(".__init__")
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            tree = ast.parse(text)
        except (UnicodeDecodeError, SyntaxError, ValueError):
            continue
        lines = text.splitlines(keepends=True)
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            doc = ast.get_docstring(node)
            if not doc or len(doc) < 40:
                continue
            code = "".join(lines[node.lineno - 1 - len(node.decorator_list):node.end_lineno])
            if len(code) > MAX_CODE:
                code = code[: code.rfind("\n", 0, MAX_CODE) + 1]
            found.append((module, node.name, doc, code))
    return found


def _explain(rng, u):
    module, name, doc, code = u
    return [
        {"role": "user", "content": f"What does `{name}` in `{module}` do?\n\n```python\n{code}```"},
        {"role": "assistant", "content": doc},
    ]


def _write(rng, u):
    module, name, doc, code = u
    return [
        {"role": "user", "content": f"Write `{name}` for the `{module}` module:\n\n{doc}"},
        {"role": "assistant", "content": f"```python\n{code}```"},
    ]


def _tool(rng, u, n):
    module, name, doc, code = u
    args = json.dumps({"module": module, "name": name})
    return [
        {"role": "user", "content": f"How is `{module}.{name}` implemented?"},
        {"role": "assistant", "tool_calls": [
            {"id": f"call_{n}", "type": "function", "function": {"name": "read_source", "arguments": args}}]},
        {"role": "tool", "tool_call_id": f"call_{n}", "content": code},
        {"role": "assistant", "content": doc},
    ]


def write(path, size, seed=26):
    """Writes at least `size` bytes of examples to `path`; returns the number of examples. The
    units are used in order and again (in another pairing) if the size needs more than one pass."""
    found = units()
    if not found:
        raise RuntimeError(f"no documented functions in {source()}")
    rng = random.Random(seed)
    written = examples = i = 0
    with open(path, "w", encoding="utf-8") as f:
        while written < size:
            u = found[i % len(found)]
            i += 1
            messages = [{"role": "system", "content": SYSTEM}]
            example = {}
            r = rng.random()
            if r < 0.4:
                messages += _explain(rng, u)
            elif r < 0.75:
                messages += _write(rng, u)
            elif r < 0.9:
                # Two turns: the second about the next unit.
                messages += _explain(rng, u) + _write(rng, found[i % len(found)])
                i += 1
            else:
                messages += _tool(rng, u, examples)
                example["tools"] = TOOLS
            example["messages"] = messages
            line = json.dumps(example, ensure_ascii=False) + "\n"
            f.write(line)
            written += len(line.encode())
            examples += 1
    return examples
