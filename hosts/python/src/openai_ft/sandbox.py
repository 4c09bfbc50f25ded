"""The guest's cage: one wasmtime engine with epoch interruption, the component compiled once and
cached on disk, a store per call that grants nothing (no environment, arguments, preopened
folders or inherited streams; stderr lines handed to the host), capped linear memory, and a
watcher thread that interrupts the guest once its thread has used its CPU time."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional

import wasmtime
from wasmtime import component as wc

from . import http
from .config import Endpoint, Limits
from .protocol import HostError, debug_quote

WASMTIME_VERSION = "50.0.1"

#: The version of the `openai:fine-tuning` WIT package the component exports and imports.
WIT_VERSION = "0.3.0"

#: The component this package ships (put there by the wheel build).
DEFAULT_COMPONENT = Path(__file__).with_name("component") / "openai-ft.wasm"

#: The most the guest may read in one `input-file.read`; it streams larger files.
MAX_READ = 1 << 20

#: How often the watcher looks at the guest thread's CPU time; the CPU bound is this precise.
TICK = 0.02

#: Rust's allocation-failure notice (two lines), printed just before the guest aborts. The
#: native host traps at the refused `memory.grow` itself, before the guest can print it; here the
#: store limit makes the grow fail, so the notice is withheld and the limit reported instead.
ALLOC_FAILED = re.compile(r"memory allocation of \d+ bytes failed")
BACKTRACE_NOTE = "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"


def grant_file(path: str) -> http.GrantedFile:
    """Opens the one file a command is granted, refusing what the native host refuses with the
    same words."""
    fix = "set path to a readable local JSONL file"
    not_regular = HostError(f"invalid path {debug_quote(path)}: cannot read {path}: not a regular file; {fix}")
    # Only a regular file is opened, and without blocking: a FIFO or a device could otherwise hold
    # the open forever. O_NONBLOCK changes nothing for a regular file; fstat then tells what was
    # opened, should something have replaced it since the check.
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise not_regular
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise HostError(
            f"invalid path {debug_quote(path)}: cannot be read ({os.strerror(e.errno)} (os error {e.errno})); {fix}"
        ) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise not_regular
    return http.GrantedFile(path=path, fd=fd, size=st.st_size)


def _cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "openai-ft" / f"wasmtime-{WASMTIME_VERSION}"


@dataclass
class _Call:
    """What the host functions serve during one call."""

    endpoint: Endpoint
    file: Optional[http.GrantedFile]
    on_stderr: Callable[[str], None]
    alloc_failed: bool = False

    def drain(self, fd: int) -> None:
        """Reads the guest's stderr pipe to its end, a line at a time."""
        with os.fdopen(fd, "rb") as pipe:
            for raw in pipe:
                self.line(raw.rstrip(b"\n").decode("utf-8", "replace"))

    def line(self, line: str) -> None:
        if ALLOC_FAILED.fullmatch(line):
            self.alloc_failed = True
        elif not (self.alloc_failed and line == BACKTRACE_NOTE):
            self.on_stderr(line)


def _form_field(f) -> tuple:
    """A WIT `form-field` as `http.multipart` takes it: ("text", (name, value)) or ("granted-file",
    (name, filename, sha256)). wasmtime-py lifts a variant whose cases have distinct payload
    types as the bare payload (text: a tuple, granted-file: a record), else as a `Variant`."""
    if isinstance(f, wc.Variant):
        f = f.payload
    if isinstance(f, tuple):
        return ("text", tuple(f))
    return ("granted-file", (f.name, f.filename, f.sha256))


class Sandbox:
    """The engine, the compiled component and its linker, ready for calls (one at a time)."""

    def __init__(self, component: Optional[os.PathLike] = None, cache: bool = True):
        config = wasmtime.Config()
        # Epoch checks let the watcher stop a guest that computes without end; they are compiled
        # into the code, so the cache key includes this configuration.
        config.epoch_interruption = True
        config.wasm_component_model = True
        self.engine = wasmtime.Engine(config)
        self.component = self._load(Path(component or DEFAULT_COMPONENT), cache)
        self.linker = wc.Linker(self.engine)
        # wasmtime-py links WASI p2 as a whole; the store's WasiConfig grants none of it, and the
        # component imports no filesystem or sockets, so those interfaces are unreachable.
        self.linker.add_wasip2()
        with self.linker.root() as root:
            with root.add_instance(f"openai:fine-tuning/http@{WIT_VERSION}") as h:
                h.add_func("flavor", self._flavor)
                h.add_func("api-version", self._api_version)
                h.add_func("send", self._send)
            with root.add_instance(f"openai:fine-tuning/input-file@{WIT_VERSION}") as f:
                f.add_func("size", self._size)
                f.add_func("read", self._read)
        self._call: Optional[_Call] = None
        self._lock = threading.Lock()

    def _load(self, wasm: Path, cache: bool) -> wc.Component:
        data = wasm.read_bytes()
        if not cache:
            return wc.Component(self.engine, data)
        key = hashlib.sha256(data + b"epoch_interruption").hexdigest()[:32]
        cached = _cache_dir() / f"{key}.cwasm"
        if cached.exists():
            try:
                # Trusted bytes: written below by this same wasmtime and configuration, in a
                # folder only this user can write (deserialising runs native code).
                return wc.Component.deserialize_file(self.engine, str(cached))
            except wasmtime.WasmtimeError:
                pass  # stale or damaged: compile again
        compiled = wc.Component(self.engine, data)
        try:
            cached.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=cached.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as out:
                out.write(compiled.serialize())
            os.replace(tmp, cached)
        except OSError:
            pass  # no cache, just a slower next load
        return compiled

    # ---- imports ----------------------------------------------------------------------------

    def _flavor(self, _store) -> str:
        return self._call.endpoint.flavor

    def _api_version(self, _store) -> Optional[str]:
        return self._call.endpoint.api_version

    def _send(self, _store, request):
        body = request.body
        if isinstance(body, str):
            body = ("json", body)
        elif body is not None:
            body = ("multipart", [_form_field(f) for f in body])
        req = _Request(
            request.method, _target(request.target), request.path, request.query, body,
            request.credential,
        )
        answer = http.send(self._call.endpoint, req, self._call.file)
        if isinstance(answer, http.Failure):
            return wc.Variant(answer.tag, answer.message)
        r = wc.Record()
        r.status = answer.status
        r.headers = answer.headers
        r.body = answer.body
        return r

    def _size(self, _store):
        f = self._call.file
        if f is None:
            return wc.Variant("denied", "this command was not given a file")
        return f.size

    def _read(self, _store, offset: int, length: int):
        f = self._call.file
        if f is None:
            return wc.Variant("denied", "this command was not given a file")
        want = max(0, min(length, MAX_READ, f.size - offset))
        out = b""
        try:
            while len(out) < want:
                chunk = os.pread(f.fd, want - len(out), offset + len(out))
                if not chunk:
                    break
                out += chunk
        except OSError as e:
            return wc.Variant("io", f"cannot read {f.path}: {os.strerror(e.errno)} (os error {e.errno})")
        return out

    # ---- calls ------------------------------------------------------------------------------

    def call(self, interface: str, name: str, args: list, endpoint: Endpoint, limits: Limits,
             file: Optional[http.GrantedFile], on_stderr: Callable[[str], None]):
        """Calls one export in a fresh store; returns its result (a `Variant` for a guest error)
        or raises HostError when the guest broke a limit or trapped."""
        with self._lock:
            call = _Call(endpoint, file, on_stderr)
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
            store.set_limits(memory_size=limits.memory_mib << 20)
            store.set_epoch_deadline(1)
            watcher = _CpuWatcher(self.engine, limits.cpu_secs)
            failure = None
            try:
                instance = self.linker.instantiate(store, self.component)
                iface = instance.get_export_index(store, interface)
                func = instance.get_func(store, instance.get_export_index(store, name, iface))
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
                raise HostError(
                    f"the component exceeded its memory limit of {limits.memory_mib} MiB and was "
                    "stopped; raise OPENAI_FT_MEMORY_LIMIT_MIB if the input is legitimately this large"
                )
            if watcher.exceeded:
                raise HostError(
                    f"the component used more than {limits.cpu_secs} s of CPU time and was "
                    "stopped; raise OPENAI_FT_CPU_LIMIT_SECS if the input is legitimately this large"
                )
            first = failure.splitlines()[0] if failure else "trap"
            raise HostError(f"the component failed (a bug in openai-ft, please report it): {first}")


def _target(t) -> Optional[str]:
    """The WIT `target` as `http.send` takes it: None for `api`, the version of `azure-dated`.
    wasmtime-py gives a variant as a `Variant`, or a case's bare payload where the cases' types
    tell them apart."""
    if isinstance(t, wc.Variant):
        return t.payload if t.tag == "azure-dated" else None
    return t if isinstance(t, str) else None


@dataclass
class _Request:
    method: str
    target: Optional[str]
    path: str
    query: List
    body: object
    credential: str


class _CpuWatcher:
    """Interrupts the guest (one epoch tick past its deadline) once the calling thread has used
    `secs` of CPU time, read from the thread's own CPU clock; where the platform has none, wall
    time, which also counts waiting (HOST.md says so)."""

    def __init__(self, engine: wasmtime.Engine, secs: int):
        self.engine = engine
        self.secs = secs
        self.exceeded = False
        self._stop = threading.Event()

    def __enter__(self):
        try:
            clock = time.pthread_getcpuclockid(threading.get_ident())
            read: Callable[[], float] = lambda: time.clock_gettime(clock)
        except (AttributeError, OSError):
            read = time.monotonic
        start = read()

        def watch():
            while not self._stop.wait(TICK):
                if read() - start > self.secs:
                    self.exceeded = True
                    self.engine.increment_epoch()
                    return

        self._thread = threading.Thread(target=watch, name="openai-ft-cpu-watcher", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
