"""The guest's cage: one wasmtime engine with epoch interruption, the component compiled once and
cached on disk, a store per call that grants nothing (no environment, arguments, preopened
folders or inherited streams; stderr lines handed to the host), capped linear memory, and a
watcher thread that interrupts the guest once its thread has used its CPU time. Every message is
the host logic's."""

from __future__ import annotations

import os
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, List, Optional, Union

import wasmtime
from wasmtime import component as wc

from . import http
from .config import Config
from .logic import COMPONENTS, HostError, compiled, export, logic, message, os_error

#: The component this package ships (put there by the wheel build).
DEFAULT_COMPONENT = COMPONENTS / "openai-ft.wasm"

#: How often the watcher looks at the guest thread's CPU time; the CPU bound is this precise.
TICK = 0.02


def grant_file(path: str) -> http.GrantedFile:
    """Opens the one file a command is granted: only a regular file, and without blocking (a FIFO
    or a device could otherwise hold the open forever; O_NONBLOCK changes nothing for a regular
    file, and fstat tells what was opened)."""
    # The logic's `open-failure`: wasmtime-py gives `not-regular` as None, `os` as its record.
    why = None
    try:
        if stat.S_ISREG(os.stat(path).st_mode):
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
            st = os.fstat(fd)
            if stat.S_ISREG(st.st_mode):
                return http.GrantedFile(path=path, fd=fd, size=st.st_size)
            os.close(fd)
    except OSError as e:
        why = os_error(e)
    raise HostError(logic().grant_refusal(path, why))


@dataclass
class _Call:
    """What the host functions serve during one call."""

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
        imports = self.component.type.imports(self.engine)
        functions = {"http": {"flavor": self._flavor, "api-version": self._api_version,
                              "send": self._send},
                     "input-file": {"size": self._size, "read": self._read}}
        with self.linker.root() as root:
            for name in imports:
                interface = name.split("/")[-1].split("@")[0]
                if name.startswith("openai:fine-tuning/") and interface in functions:
                    with root.add_instance(name) as instance:
                        for fn, implementation in functions[interface].items():
                            instance.add_func(fn, implementation)
        # What the imports serve: the call under way (one at a time).
        self._call: Any = None
        self._lock = threading.Lock()

    # ---- imports ----------------------------------------------------------------------------

    def _flavor(self, _store: Any) -> str:
        return str(self._call.config.endpoint.flavor)

    def _api_version(self, _store: Any) -> Optional[str]:
        return next((v for k, v in self._call.config.endpoint.query if k == "api-version"), None)

    def _send(self, _store: Any, request: Any) -> Any:
        return http.send(self._call.config, request, self._call.file)

    def _size(self, _store: Any) -> Any:
        f = self._call.file
        return wc.Variant("denied", message("no-grant")) if f is None else f.size

    def _read(self, _store: Any, offset: int, length: int) -> Any:
        f = self._call.file
        if f is None:
            return wc.Variant("denied", message("no-grant"))
        want = max(0, min(length, getattr(logic().bounds(), "read-bytes"), f.size - offset))
        out = b""
        try:
            while len(out) < want:
                chunk = os.pread(f.fd, want - len(out), offset + len(out))
                if not chunk:
                    break
                out += chunk
        except OSError as e:
            return wc.Variant("io", logic().read_failure(f.path, os_error(e)))
        return out

    # ---- calls ------------------------------------------------------------------------------

    def call(self, interface: str, name: str, args: List[Any], config: Config,
             file: Optional[http.GrantedFile], on_stderr: Callable[[str], None]) -> Any:
        """Calls one export (`jobs.read`: the interface's name without package or version) in a
        fresh store; returns its result (a `Variant` for a guest error) or raises HostError when
        the guest broke a limit or trapped."""
        limits = config.limits
        with self._lock:
            call = _Call(config, file, on_stderr)
            self._call = call
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
                self._call = None
            if failure is None:
                return result
            if call.alloc_failed:
                raise HostError(message("memory-limit", getattr(limits, "memory-mib")))
            if watcher.exceeded:
                raise HostError(message("cpu-limit", getattr(limits, "cpu-secs")))
            raise HostError(message("trap", failure.splitlines()[0] if failure else "trap"))


class _CpuWatcher:
    """Interrupts the guest (one epoch tick past its deadline) once the calling thread has used
    `secs` of CPU time, read from the thread's own CPU clock; where the platform has none, wall
    time, which also counts waiting (HOST.md says so)."""

    def __init__(self, engine: wasmtime.Engine, secs: int):
        self.engine, self.secs, self.exceeded, self._stop = engine, secs, False, threading.Event()

    def __enter__(self) -> "_CpuWatcher":
        read: Callable[[], float] = time.monotonic
        try:
            clock = time.pthread_getcpuclockid(threading.get_ident())
            read = lambda: time.clock_gettime(clock)  # noqa: E731
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
