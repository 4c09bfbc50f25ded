"""The guest's cage: one wasmtime engine with epoch interruption, the component compiled once and
cached on disk, a store per call that grants nothing (no environment, arguments, preopened
folders or inherited streams; stderr lines handed to the host), capped linear memory, and a
watcher thread that interrupts the guest once its thread has used its CPU time, the host's own
work on that thread (sending, reading the file, copying bytes in) not counted. Every message is
the host logic's."""

from __future__ import annotations

import ctypes
import os
import stat
import threading
import time
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime import component as wc
from wasmtime.component import _types

from . import http
from .config import Config
from .logic import COMPONENTS, HostError, compiled, export, logic, message, os_error

#: The component this package ships (put there by the wheel build).
DEFAULT_COMPONENT = COMPONENTS / "openai-ft.wasm"

#: How often the watcher looks at the guest thread's CPU time; the CPU bound is this precise.
TICK = 0.02

#: CPU seconds each thread spent on the host's side of the guest's calls, not charged to it.
_host_cpu: Dict[int, float] = {}


def _charge_host(since: float) -> None:
    me = threading.get_ident()
    _host_cpu[me] = _host_cpu.get(me, 0.0) + time.thread_time() - since


_list_to_c = _types.ListType.convert_to_c


def _bytes_to_c(self: Any, store: Any, val: Any, ptr: Any) -> None:
    """wasmtime-py 50 lowers a `list<u8>` one Python call per byte (a 1 MiB read took a second
    of the guest's CPU time); this writes the same values in bulk, 64 Ki bytes per copy."""
    if not (self._is_bytes() and isinstance(val, bytes)):
        return _list_to_c(self, store, val, ptr)
    since, size, at = time.thread_time(), ctypes.sizeof(ffi.wasmtime_component_val_t), ffi.wasmtime_component_val_t.of.offset
    raw = ffi.wasmtime_component_vallist_t()
    ffi.wasmtime_component_vallist_new_uninit(raw, len(val))
    base = ctypes.cast(raw.data, ctypes.c_void_p).value or 0
    for start in range(0, len(val), 1 << 16):
        chunk = val[start:start + (1 << 16)]
        vals = bytearray(len(chunk) * size)
        vals[0::size] = bytes([ffi.WASMTIME_COMPONENT_U8.value]) * len(chunk)
        vals[at::size] = chunk
        ctypes.memmove(base + start * size, (ctypes.c_char * len(vals)).from_buffer(vals), len(vals))
    ptr.contents.kind = ffi.WASMTIME_COMPONENT_LIST
    ptr.contents.of.list = raw
    _charge_host(since)


_types.ListType.convert_to_c = _bytes_to_c  # type: ignore[method-assign]
_str_to_c = _types.String.convert_to_c


def _text_to_c(self: Any, store: Any, val: Any, ptr: Any) -> None:
    """An answer's body as text (`http.Utf8`) crosses as its bytes, one copy."""
    if not isinstance(val, http.Utf8):
        return _str_to_c(self, store, val, ptr)
    ptr.contents.kind = ffi.WASMTIME_COMPONENT_STRING
    ptr.contents.of.string = ffi.bytes_to_capi(val.data)


_types.String.convert_to_c = _text_to_c  # type: ignore[method-assign]


def grant_file(path: str) -> http.GrantedFile:
    """Opens the one file a command is granted: only a regular file, and without blocking (a FIFO
    or a device could otherwise hold the open forever; O_NONBLOCK changes nothing for a regular
    file, and fstat tells what was opened)."""
    why = None  # the logic's `open-failure`: wasmtime-py gives `not-regular` as None
    try:
        if stat.S_ISREG(os.stat(path).st_mode):
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
            if stat.S_ISREG(os.fstat(fd).st_mode):
                return http.GrantedFile(path=path, fd=fd, size=os.fstat(fd).st_size)
            os.close(fd)
    except OSError as e:
        why = os_error(e)
    raise HostError(logic().grant_refusal(path, why))


@dataclass
class _Call:
    """The call under way: what the imports serve, and the guest's stderr lines."""

    config: Config
    file: Optional[http.GrantedFile]
    on_stderr: Callable[[str], None]
    alloc_failed: bool = False

    def drain(self, fd: int) -> None:
        """Reads the guest's stderr pipe to its end, a line at a time, as the logic sorts them."""
        with os.fdopen(fd, "rb") as pipe:
            for raw in pipe:
                line = raw.rstrip(b"\n").decode("utf-8", "replace")
                sort = logic().guest_stderr(line, self.alloc_failed)
                self.alloc_failed |= sort == "alloc-failure"
                if sort == "show":
                    # Made inert: a progress line may quote a server's words (escapes, line breaks).
                    self.on_stderr(logic().shown(line, "terminal"))

    def send(self, _store: Any, request: Any) -> Any:
        since = time.thread_time()
        try:
            return http.send(self.config, request, self.file)
        finally:
            _charge_host(since)

    def read(self, _store: Any, offset: int, length: int) -> Any:
        f, since, out = self.file, time.thread_time(), b""
        if f is None:
            return wc.Variant("denied", message("no-grant"))
        want = max(0, min(length, getattr(logic().bounds(), "read-bytes"), f.size - offset))
        try:
            while len(out) < want and (chunk := os.pread(f.fd, want - len(out), offset + len(out))):
                out += chunk
        except OSError as e:
            return wc.Variant("io", logic().read_failure(f.path, os_error(e)))
        finally:
            _charge_host(since)
        return out


class Sandbox:
    """The engine, the compiled component and its linker, ready for calls (one at a time)."""

    def __init__(self, component: Union[str, os.PathLike, None] = None, cache: bool = True):
        config = wasmtime.Config()
        # Epoch checks let the watcher stop a guest that computes without end; they are compiled
        # into the code, so the cache key includes this configuration.
        config.epoch_interruption = True
        config.wasm_component_model = True
        self.engine = wasmtime.Engine(config)
        wasm = Path(component or DEFAULT_COMPONENT)
        self.component = (compiled(self.engine, wasm, b"epoch_interruption") if cache
                          else wc.Component(self.engine, wasm.read_bytes()))
        self.linker = wc.Linker(self.engine)
        # wasmtime-py links WASI p2 as a whole; the store's WasiConfig grants none of it, and the
        # component imports no filesystem or sockets, so those interfaces are unreachable.
        self.linker.add_wasip2()
        # What the imports serve: the call under way (one at a time).
        self._call = typing.cast(_Call, None)
        self._lock = threading.Lock()
        endpoint = lambda: self._call.config.endpoint  # noqa: E731
        size = lambda f: wc.Variant("denied", message("no-grant")) if f is None else f.size  # noqa: E731
        functions = {"http": {"flavor": lambda _s: str(endpoint().flavor),
                              "api-version": lambda _s: dict(endpoint().query).get("api-version"),
                              "send": lambda s, r: self._call.send(s, r)},
                     "input-file": {"size": lambda _s: size(self._call.file),
                                    "read": lambda s, o, n: self._call.read(s, o, n)}}
        with self.linker.root() as root:
            for name in self.component.type.imports(self.engine):
                interface = name.split("/")[-1].split("@")[0]
                if name.startswith("openai:fine-tuning/") and interface in functions:
                    with root.add_instance(name) as instance:
                        for fn, implementation in functions[interface].items():
                            instance.add_func(fn, implementation)

    def call(self, interface: str, name: str, args: List[Any], config: Config,
             file: Optional[http.GrantedFile], on_stderr: Callable[[str], None]) -> Any:
        """Calls one export (`jobs.read`: the interface's name without package or version) in a
        fresh store; returns its result (a `Variant` for a guest error) or raises HostError when
        the guest broke a limit or trapped."""
        limits = config.limits
        with self._lock:
            call = self._call = _Call(config, file, on_stderr)
            store = wasmtime.Store(self.engine)
            wasi = wasmtime.WasiConfig()
            # The guest's stderr is a pipe that a thread here reads line by line. (A Python
            # callback would be called from wasmtime's own I/O threads, which may outlive the
            # interpreter at exit.) Nothing else is granted: no env, args, preopens or stdin.
            read_end, write_end = os.pipe()
            wasi.stderr_file = f"/dev/fd/{write_end}"
            os.close(write_end)
            reader = threading.Thread(target=call.drain, args=(read_end,), daemon=True)
            reader.start()
            store.set_wasi(wasi)
            store.set_limits(memory_size=getattr(limits, "memory-mib") << 20)
            store.set_epoch_deadline(1)
            watcher = _CpuWatcher(self.engine, getattr(limits, "cpu-secs"))
            failure = None
            try:
                instance = self.linker.instantiate(store, self.component)
                [whole] = [e for e in self.component.type.exports(self.engine)
                           if e.startswith(f"openai:fine-tuning/{interface}@")]
                func = export(instance, store, whole, name)
                with watcher:
                    result = func(store, *args)
                func.post_return(store)
            except (wasmtime.WasmtimeError, wasmtime.Trap) as e:
                failure = str(e).strip()
            finally:
                # Freed here, not whenever a traceback lets go of this frame: that closes the
                # guest's end of the pipe, so the reader sees the end and has every line.
                store.close()
                reader.join(timeout=10)
                self._call = typing.cast(_Call, None)
            if failure is None:
                return result
            if call.alloc_failed:
                raise HostError(message("memory-limit", getattr(limits, "memory-mib")))
            if watcher.exceeded:
                raise HostError(message("cpu-limit", getattr(limits, "cpu-secs")))
            raise HostError(message("trap", failure.splitlines()[0] if failure else "trap"))


class _CpuWatcher:
    """Interrupts the guest (one epoch tick past its deadline) once the calling thread has used
    `secs` of CPU time, less what the host's side of its calls used, read from the thread's own
    CPU clock; where the platform has none, wall time, which also counts waiting (HOST.md says so)."""

    def __init__(self, engine: wasmtime.Engine, secs: int):
        self.engine, self.secs, self.exceeded, self._stop = engine, secs, False, threading.Event()

    def __enter__(self) -> "_CpuWatcher":
        guest = threading.get_ident()
        read: Callable[[], float] = time.monotonic
        try:
            clock = time.pthread_getcpuclockid(guest)
            read = lambda: time.clock_gettime(clock) - _host_cpu.get(guest, 0.0)  # noqa: E731
        except (AttributeError, OSError):
            pass
        start = read()

        def watch() -> None:
            while not self._stop.wait(TICK):
                if read() - start > self.secs:
                    self.exceeded = True
                    return self.engine.increment_epoch()

        self._thread = threading.Thread(target=watch, name="openai-ft-cpu-watcher", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
