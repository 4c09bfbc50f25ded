"""Runs one command through the Python package's API, with the component .wasm given (the runaway
check's way in; the console script always runs its packaged component). Prints like the script.
Usage: python run_python.py <component.wasm|-> <command> [input-json]"""

import json
import sys

import openai_ft

component, command = sys.argv[1], sys.argv[2]
payload = json.loads(sys.argv[3] if len(sys.argv) > 3 else "{}")
try:
    out = openai_ft.run(command, payload, component=None if component == "-" else component)
    print(json.dumps(out))
except openai_ft.OpenAiFtError as e:
    sys.stderr.write(f"openai-ft: {e}\n")
    sys.exit(1)
