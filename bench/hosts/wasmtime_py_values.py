#!/usr/bin/env python3
"""What a response body costs crossing wasmtime-py's C API before wasmtime lowers it into a
guest, by WIT type (HOST.md 2, item 8): a `list<u8>` is one 32-byte value per byte (here with
the Python host's bulk writer, `sandbox._bytes_to_c`; wasmtime-py's own is one Python call per
byte), a `string` one byte vector. Each case in a fresh process: wall time and the peak RSS it
added. A benchmark, not a test. Figures go to docs/performance.md.

Usage: python3 bench/hosts/wasmtime_py_values.py [--mb 60]
"""

from __future__ import annotations

import argparse
import ctypes
import resource
import subprocess
import sys
import time

CASES = ("list<u8>", "string from str", "string from bytes")


def one(case: str, mb: int) -> None:
    from wasmtime import _ffi as ffi
    from wasmtime.component import _types

    data = b'{"data": "' + b"v" * (mb * 1_000_000 - 12) + b'"}'
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    val, start = ffi.wasmtime_component_val_t(), time.perf_counter()
    if case == "list<u8>":
        size, at = ctypes.sizeof(ffi.wasmtime_component_val_t), ffi.wasmtime_component_val_t.of.offset
        raw = ffi.wasmtime_component_vallist_t()
        ffi.wasmtime_component_vallist_new_uninit(raw, len(data))
        base = ctypes.cast(raw.data, ctypes.c_void_p).value or 0
        for s in range(0, len(data), 1 << 16):
            chunk = data[s:s + (1 << 16)]
            vals = bytearray(len(chunk) * size)
            vals[0::size] = bytes([ffi.WASMTIME_COMPONENT_U8.value]) * len(chunk)
            vals[at::size] = chunk
            ctypes.memmove(base + s * size, (ctypes.c_char * len(vals)).from_buffer(vals), len(vals))
    elif case == "string from str":
        _types.String().convert_to_c(None, data.decode(), ctypes.pointer(val))
    else:
        val.kind, val.of.string = ffi.WASMTIME_COMPONENT_STRING, ffi.bytes_to_capi(data)
    took = time.perf_counter() - start
    grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024
    print(f"| {case} | {took:.2f} s | {grew:,} MiB |")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--mb", type=int, default=60)
    p.add_argument("--case")
    a = p.parse_args()
    if a.case:
        return one(a.case, a.mb)
    print(f"| a {a.mb} MB body as | time | memory added |\n| --- | --- | --- |", flush=True)
    for case in CASES:
        subprocess.run([sys.executable, __file__, "--mb", str(a.mb), "--case", case], check=True)


if __name__ == "__main__":
    main()
