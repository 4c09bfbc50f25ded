"""The host logic (HOST.md, "The host logic"): everything this host decides that is not a
capability, from the Rust crate every host shares, loaded as the component the wheel carries. It
imports nothing and never sees a secret. Also the on-disk cache both components compile into."""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable

import wasmtime
from wasmtime import component as wc

WASMTIME_VERSION = "50.0.1"

#: The components this package ships (put there by the wheel build).
COMPONENTS = Path(__file__).with_name("component")
HOST_LOGIC = COMPONENTS / "openai-ft-host-logic.wasm"


class HostError(Exception):
    """A refusal by the host itself (configuration, input, limits): one line, as every host words it."""


def compiled(engine: wasmtime.Engine, wasm: Path, config: bytes) -> wc.Component:
    """The component in `wasm`, compiled by `engine` (whose configuration `config` names) once and
    cached on disk across processes. A copy is its SHA-256 and then the compiled code: one whose
    bytes do not match (a damaged disk, a partial write) is compiled again, never run, since
    deserialising trusts the code it is given."""
    data = wasm.read_bytes()
    key = hashlib.sha256(data + config).hexdigest()[:32]
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    cached = Path(root) / "openai-ft" / f"wasmtime-{WASMTIME_VERSION}" / f"{key}.cwasm"
    try:
        copy = cached.read_bytes()
        if hashlib.sha256(copy[32:]).digest() == copy[:32]:
            return wc.Component.deserialize(engine, copy[32:])
    except (OSError, wasmtime.WasmtimeError):
        pass  # none, or not this wasmtime's: compile again
    component = wc.Component(engine, data)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            code = component.serialize()
            out.write(hashlib.sha256(code).digest() + code)
        os.replace(tmp, cached)
    except OSError:
        pass  # no cache, just a slower next load
    return component


def export(instance: wc.Instance, store: wasmtime.Store, interface: str, name: str) -> wc.Func:
    """Function `name` of the exported `interface` (its whole name, package and version included)."""
    index = instance.get_export_index(store, interface)
    func = None if index is None else instance.get_export_index(store, name, index)
    found = None if func is None else instance.get_func(store, func)
    if found is None:
        raise HostError(f"the component does not export {interface}#{name}")
    return found


class Logic:
    """The host logic's functions (wit/host-logic.wit), snake-cased; safe to call from any thread."""

    def __init__(self) -> None:
        config = wasmtime.Config()
        config.wasm_component_model = True
        engine = wasmtime.Engine(config)
        component = compiled(engine, HOST_LOGIC, b"host-logic")
        [self._interface] = component.type.exports(engine)
        self._store = wasmtime.Store(engine)
        self._instance = wc.Linker(engine).instantiate(self._store, component)
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        func = export(self._instance, self._store, self._interface, name.replace("_", "-"))

        def call(*args: Any) -> Any:
            with self._lock:
                result = func(self._store, *args)
                func.post_return(self._store)
                return result

        setattr(self, name, call)
        return call


@functools.lru_cache(maxsize=None)
def logic() -> Logic:
    """The host logic, loaded once per process."""
    return Logic()


def record(**fields: Any) -> wc.Record:
    """A WIT record (field names as the WIT spells them, `_` for `-`)."""
    r = wc.Record()
    for k, v in fields.items():
        setattr(r, k.replace("_", "-"), v)
    return r


#: This host's binary, as the logic's command line names it.
PROGRAM = record(name="openai-ft-py", runtime=f"wasmtime-py {WASMTIME_VERSION}", native=False)


def refused(result: Any) -> Any:
    """A logic function's `result`, or its refusal raised: wasmtime-py gives an `err` of another type
    than the `ok` as the bare string, and an `ok` of the same type inside a `Variant`."""
    if isinstance(result, str) or (isinstance(result, wc.Variant) and result.tag == "err"):
        raise HostError(getattr(result, "payload", result))
    return result.payload if isinstance(result, wc.Variant) and result.tag == "ok" else result


def message(tag: str, payload: Any = None) -> str:
    """The text of the logic's notice `tag`."""
    return logic().message(wc.Variant(tag, payload))


def os_error(e: OSError) -> wc.Record:
    """A system error as the logic words it: its number and the C library's description."""
    return record(code=e.errno or 0, name="", words=os.strerror(e.errno) if e.errno else str(e))
