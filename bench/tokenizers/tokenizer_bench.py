"""The measurements behind the choice of tokenizer crate, for scripts/bench: bench/tokenizers
counts every string of the same generated training file with tiktoken-rs and with bpe-openai,
natively (both crates in one build, which also checks that they agree on every string) and as
wasm32-wasip2 commands run by wasmtime (the Python host's wasmtime-py, one crate per build), and
the size each crate adds to a wasm32-wasip2 build. A long single word (where byte-pair encoders
differ most) is timed as well. See bench/README.md, "Choosing the tokenizer"."""

import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MANIFEST = os.path.join(ROOT, "bench", "tokenizers", "Cargo.toml")
CRATES = ["tiktoken-rs", "bpe-openai"]
BINARY = "openai-ft-tokenizer-bench"


class Failure(Exception):
    """Something could not run; the message says what."""


def run(generate, megabytes, log):
    """Builds and runs everything; returns the figures. `generate(path, bytes)` writes the
    training file; `log` prints progress."""
    target = os.path.join(ROOT, "bench", "tokenizers", "target")
    with tempfile.TemporaryDirectory(prefix="openai-ft-tokenizers-") as tmp:
        wasm = {}
        for features in ["", *CRATES]:
            log(f"building bench/tokenizers for wasm32-wasip2 ({features or 'no tokenizer'})")
            build(["--target", "wasm32-wasip2"] + (["--features", features] if features else []))
            built = os.path.join(target, "wasm32-wasip2", "release", f"{BINARY}.wasm")
            wasm[features or "none"] = copy(built, os.path.join(tmp, f"{features or 'none'}.wasm"))
        log("building bench/tokenizers natively (both crates)")
        build(["--features", ",".join(CRATES)])
        native = os.path.join(target, "release", BINARY)

        prose = os.path.join(tmp, "train.jsonl")
        log(f"generating {megabytes} MB of training examples")
        generate(prose, megabytes * 1_000_000)
        word = os.path.join(tmp, "word.jsonl")
        with open(word, "w") as f:
            for _ in range(20):
                f.write(json.dumps({"messages": [{"role": "user", "content": "x" * 100_000}]}) + "\n")

        inputs = {"prose": prose, "one long word": word}
        results = {"sizes_bytes": {name: os.path.getsize(path) for name, path in wasm.items()}, "runs": {}}
        for label, path in inputs.items():
            for encoding in ["o200k_base", "cl100k_base"]:
                log(f"{label}, {encoding}: native")
                lines = [json.loads(line) for line in command([native, encoding], path).splitlines()]
                disagreements = lines.pop()["disagreements"]
                run = {"native": {r["crate"]: r for r in lines}, "wasm": {}, "disagreements": disagreements}
                for crate in CRATES:
                    log(f"{label}, {encoding}: {crate} in wasmtime")
                    out = command([sys.executable, __file__, "--wasm", wasm[crate], encoding, path], path)
                    run["wasm"][crate] = json.loads(out)
                results["runs"][f"{label}, {encoding}"] = run
    return results


def build(args):
    command = ["cargo", "build", "--release", "--manifest-path", MANIFEST] + args
    done = subprocess.run(command, cwd=ROOT, stdout=sys.stderr)
    if done.returncode != 0:
        raise Failure(f"{' '.join(command)} failed")


def copy(source, destination):
    with open(source, "rb") as src, open(destination, "wb") as dst:
        dst.write(src.read())
    return destination


def command(argv, stdin_path):
    with open(stdin_path) as stdin:
        done = subprocess.run(argv, stdin=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        raise Failure(f"{' '.join(argv)}: {done.stderr.strip()}")
    return done.stdout


def run_wasm(path, encoding, stdin_path):
    """Runs a wasm32-wasip2 command with wasmtime-py: `encoding` its argument, `stdin_path` its
    standard input; prints what it printed."""
    import wasmtime
    import wasmtime.component as wc

    config = wasmtime.Config()
    config.wasm_component_model = True
    engine = wasmtime.Engine(config)
    component = wc.Component.from_file(engine, path)
    linker = wc.Linker(engine)
    linker.add_wasip2()
    store = wasmtime.Store(engine)
    with tempfile.NamedTemporaryFile(suffix=".out") as out:
        wasi = wasmtime.WasiConfig()
        wasi.argv = [BINARY, encoding]
        wasi.stdin_file = stdin_path
        wasi.stdout_file = out.name
        wasi.inherit_stderr()
        store.set_wasi(wasi)
        instance = linker.instantiate(store, component)
        run = next(
            (i for v in range(10) if (i := instance.get_export_index(store, f"wasi:cli/run@0.2.{v}"))),
            None,
        )
        if run is None:
            raise Failure(f"{path} exports no wasi:cli/run")
        func = instance.get_func(store, instance.get_export_index(store, "run", run))
        func(store)
        func.post_return(store)
        print(open(out.name).read(), end="")


def table(results):
    """The figures as text lines."""
    sizes = results["sizes_bytes"]
    lines = [
        "tokenizer crates: size added to a wasm32-wasip2 build (no tokenizer: "
        f"{sizes['none'] / 1e6:.2f} MB)",
    ]
    for crate in CRATES:
        lines.append(f"  {crate:<12} +{(sizes[crate] - sizes['none']) / 1e6:6.2f} MB")
    lines.append(
        f"{'input, encoding':<28} {'crate':<12} {'native MB/s':>11} {'wasm MB/s':>10} "
        f"{'wasm build':>10} {'wasm peak memory':>16}"
    )
    for name, run in results["runs"].items():
        for crate in CRATES:
            n, w = run["native"][crate], run["wasm"][crate]
            lines.append(
                f"{name:<28} {crate:<12} {n['bytes'] / 1e3 / n['count_ms']:>11.1f} "
                f"{w['bytes'] / 1e3 / w['count_ms']:>10.1f} {w['build_ms']:>8.0f} ms "
                f"{w['memory_mib']:>12.1f} MiB"
            )
        lines.append(f"{'':<28} disagreements: {run['disagreements']} strings")
    return lines


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--wasm":
        run_wasm(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        print("used by scripts/bench", file=sys.stderr)
        sys.exit(2)
