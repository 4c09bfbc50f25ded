"""Times the Python package in one process: the load (import, then the compiled component from
the disk cache, or compiled if the cache is empty) and `job read` calls after it. Prints one JSON
object. Usage: python bench_python.py <job-id> <calls>"""

import json
import sys
import time

t0 = time.perf_counter()
import openai_ft  # noqa: E402

openai_ft.load()
load = time.perf_counter() - t0
times = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    openai_ft.run("job read", {"id": sys.argv[1]}, on_progress=lambda line: None)
    times.append(time.perf_counter() - t)
print(json.dumps({"load_ms": load * 1000, "call_ms": [x * 1000 for x in times]}))
