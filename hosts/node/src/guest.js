// The guest's thread: instantiates the transpiled component with exactly the imports the native
// host links (host/src/sandbox.rs `link_wasi`) and nothing else: no environment, no arguments,
// no filesystem, no sockets; stdout discarded (it is the host's protocol channel), stderr lines
// handed to the host. `http.send` blocks on the host's main thread, the way the WASI shim's own
// synchronous I/O blocks on its I/O worker: post the request, `Atomics.wait`, then take the answer
// with `receiveMessageOnPort`.

import { readSync, readlinkSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';

/** The most the guest may read in one `input-file.read`; it streams larger files. */
const MAX_READ = 1 << 20;

/** Rust's allocation-failure notice (two lines), printed just before the guest aborts. */
const ALLOC_FAILED = /^memory allocation of \d+ bytes failed$/;
const BACKTRACE_NOTE = /^note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace$/;

const { componentUrl, modules, call, flavor, apiVersion, file, signal, replies } = workerData;
const wake = new Int32Array(signal);
let allocFailed = false;

function post(message) {
  parentPort.postMessage(message);
}

/** Asks the main thread and blocks until it answers. */
function ask(message) {
  Atomics.store(wake, 0, 0);
  post(message);
  Atomics.wait(wake, 0, 0);
  const reply = receiveMessageOnPort(replies);
  if (!reply) throw new Error('the host woke the guest without an answer');
  return reply.message;
}

/**
 * A guest stderr line. The lines withheld are Rust's allocation-failure notice: the native host
 * traps at the refused `memory.grow` itself, before the guest can print it, and reports the limit
 * in its own one line; here the refusal shows as this notice and the abort after it.
 */
function stderrLine(line) {
  if (ALLOC_FAILED.test(line)) {
    allocFailed = true;
    return;
  }
  if (allocFailed && BACKTRACE_NOTE.test(line)) return;
  post({ kind: 'stderr', line });
}

// ---- wasi:io -------------------------------------------------------------------------------

class IoError {
  toDebugString() {
    return 'io error';
  }
}

/** A pollable: ready at `deadline` (monotonic nanoseconds), or at once. */
class Pollable {
  constructor(deadline = 0n) {
    this.deadline = deadline;
  }
  ready() {
    return process.hrtime.bigint() >= this.deadline;
  }
  block() {
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    for (;;) {
      const left = this.deadline - process.hrtime.bigint();
      if (left <= 0n) return;
      // A blocking sleep costs no CPU time, so it does not count against the CPU limit.
      Atomics.wait(sleeper, 0, 0, Number(left / 1_000_000n) + 1);
    }
  }
}

class InputStream {}

/** An output stream: `sink` gets each complete line (stderr), or nothing (stdout). */
class OutputStream {
  constructor(sink) {
    this.sink = sink;
    this.pending = '';
    this.decoder = new TextDecoder();
  }
  checkWrite() {
    return 65536n;
  }
  write(bytes) {
    if (!this.sink) return;
    this.pending += this.decoder.decode(bytes, { stream: true });
    let nl;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      this.sink(this.pending.slice(0, nl));
      this.pending = this.pending.slice(nl + 1);
    }
  }
  blockingWriteAndFlush(bytes) {
    this.write(bytes);
  }
  flush() {}
  blockingFlush() {}
  subscribe() {
    return new Pollable();
  }
}

class TerminalInput {}
class TerminalOutput {}

const stdin = new InputStream();
const stdout = new OutputStream(null);
const stderr = new OutputStream(stderrLine);

class GuestExit extends Error {}

const wasi = {
  'wasi:cli/environment': { getEnvironment: () => [], getArguments: () => [], initialCwd: () => undefined },
  'wasi:cli/exit': {
    exit: (status) => {
      throw new GuestExit(`the component called exit (${status.tag})`);
    },
  },
  'wasi:cli/stdin': { getStdin: () => stdin },
  'wasi:cli/stdout': { getStdout: () => stdout },
  'wasi:cli/stderr': { getStderr: () => stderr },
  'wasi:cli/terminal-input': { TerminalInput },
  'wasi:cli/terminal-output': { TerminalOutput },
  'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
  'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
  'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
  'wasi:clocks/monotonic-clock': {
    now: () => process.hrtime.bigint(),
    resolution: () => 1n,
    subscribeInstant: (when) => new Pollable(when),
    subscribeDuration: (ns) => new Pollable(process.hrtime.bigint() + ns),
  },
  'wasi:clocks/wall-clock': {
    now: () => {
      const ms = BigInt(Date.now());
      return { seconds: ms / 1000n, nanoseconds: Number(ms % 1000n) * 1_000_000 };
    },
    resolution: () => ({ seconds: 0n, nanoseconds: 1_000_000 }),
  },
  'wasi:io/error': { Error: IoError },
  'wasi:io/poll': {
    Pollable,
    poll: (list) => {
      const soonest = list.reduce((a, p) => (p.deadline < a.deadline ? p : a));
      soonest.block();
      return new Uint32Array(list.flatMap((p, i) => (p.ready() ? [i] : [])));
    },
  },
  'wasi:io/streams': { InputStream, OutputStream },
  'wasi:random/insecure-seed': {
    insecureSeed: () => {
      const b = new BigUint64Array(2);
      globalThis.crypto.getRandomValues(b);
      return [b[0], b[1]];
    },
  },
};

// ---- openai:fine-tuning --------------------------------------------------------------------

function throwPayload(value) {
  const e = new Error(value.val);
  e.payload = value;
  throw e;
}

const http = {
  flavor: () => flavor,
  apiVersion: () => apiVersion,
  send: (request) => {
    const answer = ask({ kind: 'send', request });
    if (answer.err) throwPayload(answer.err);
    return answer.ok;
  },
};

const inputFile = {
  size: () => {
    if (!file) throwPayload({ tag: 'denied', val: 'this command was not given a file' });
    return BigInt(file.size);
  },
  read: (offset, len) => {
    if (!file) throwPayload({ tag: 'denied', val: 'this command was not given a file' });
    const start = Number(offset);
    const want = Math.max(0, Math.min(len, MAX_READ, file.size - start));
    const buf = Buffer.alloc(want);
    let filled = 0;
    try {
      while (filled < want) {
        const n = readSync(file.fd, buf, filled, want - filled, start + filled);
        if (n === 0) break;
        filled += n;
      }
    } catch (e) {
      throwPayload({ tag: 'io', val: `cannot read ${file.path}: ${e.message}` });
    }
    return new Uint8Array(buf.buffer, buf.byteOffset, filled);
  },
};

/** The import object: the transpiled bindings name interfaces without their version. */
function imports() {
  return {
    ...wasi,
    'openai:fine-tuning/http': http,
    'openai:fine-tuning/input-file': inputFile,
  };
}

// ---- run -----------------------------------------------------------------------------------

function threadId() {
  try {
    // "<pid>/task/<tid>": lets the host read this thread's CPU time where Node cannot tell it.
    return readlinkSync('/proc/thread-self').split('/').pop();
  } catch {
    return null;
  }
}

async function main() {
  const { instantiate } = await import(componentUrl);
  post({ kind: 'started', tid: threadId() });
  let outcome;
  try {
    const root = instantiate((name) => modules[name], imports());
    const [iface, fn] = call.export.split('.');
    const target = root[iface];
    try {
      outcome = { kind: 'done', ok: target[fn](...call.args) };
    } catch (e) {
      if (e && Object.hasOwn(e, 'payload')) outcome = { kind: 'done', err: e.payload };
      else throw e;
    }
  } catch (e) {
    outcome = { kind: 'trap', message: String(e?.message ?? e), memory: allocFailed };
  }
  if (stderr.pending !== '') stderrLine(stderr.pending);
  post(outcome);
}

main();
