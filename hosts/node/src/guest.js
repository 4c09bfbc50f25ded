// The guest's thread: instantiates the transpiled component with exactly the imports the native
// host links (host/src/sandbox/store.rs `link_wasi`) and nothing else: no environment, no
// arguments, no filesystem, no sockets; stdout discarded (it is the host's protocol channel),
// stderr lines handed to the host. `http.send` blocks on the host's main thread, the way the WASI
// shim's own synchronous I/O blocks on its I/O worker: post the request, `Atomics.wait`, then take
// the answer with `receiveMessageOnPort`. The host logic (every message) lives on the main thread.

import { readSync, readlinkSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';

const { componentUrl, modules, call, flavor, apiVersion, file, noGrant, readBytes, signal, replies } = workerData;
const wake = new Int32Array(signal);

const post = (message) => parentPort.postMessage(message);

/** Asks the main thread and blocks until it answers. */
function ask(message) {
  Atomics.store(wake, 0, 0);
  post(message);
  Atomics.wait(wake, 0, 0);
  const reply = receiveMessageOnPort(replies);
  if (!reply) throw new Error('the host woke the guest without an answer');
  return reply.message;
}

// ---- wasi:io, cli, clocks, random -------------------------------------------------------------

class IoError {
  toDebugString() {
    return 'io error';
  }
}
class InputStream {}
class TerminalInput {}
class TerminalOutput {}

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
    // A blocking sleep costs no CPU time, so it does not count against the CPU limit.
    for (let left; (left = this.deadline - process.hrtime.bigint()) > 0n; ) Atomics.wait(sleeper, 0, 0, Number(left / 1_000_000n) + 1);
  }
}

/** An output stream: `sink` gets each complete line (stderr, for the host to pass on or withhold), or nothing (stdout). */
class OutputStream {
  constructor(sink) {
    Object.assign(this, { sink, pending: '', decoder: new TextDecoder() });
  }
  checkWrite() {
    return 65536n;
  }
  write(bytes) {
    if (!this.sink) return;
    const lines = (this.pending + this.decoder.decode(bytes, { stream: true })).split('\n');
    this.pending = lines.pop();
    lines.forEach(this.sink);
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

const stdin = new InputStream();
const stdout = new OutputStream(null);
const stderr = new OutputStream((line) => post({ kind: 'stderr', line }));
const none = () => undefined;

const wasi = {
  'wasi:cli/environment': { getEnvironment: () => [], getArguments: () => [], initialCwd: none },
  'wasi:cli/exit': { exit: (status) => throwPayload(undefined, `the component called exit (${status.tag})`) },
  'wasi:cli/stdin': { getStdin: () => stdin },
  'wasi:cli/stdout': { getStdout: () => stdout },
  'wasi:cli/stderr': { getStderr: () => stderr },
  'wasi:cli/terminal-input': { TerminalInput },
  'wasi:cli/terminal-output': { TerminalOutput },
  'wasi:cli/terminal-stdin': { getTerminalStdin: none },
  'wasi:cli/terminal-stdout': { getTerminalStdout: none },
  'wasi:cli/terminal-stderr': { getTerminalStderr: none },
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
      list.reduce((a, p) => (p.deadline < a.deadline ? p : a)).block();
      return new Uint32Array(list.flatMap((p, i) => (p.ready() ? [i] : [])));
    },
  },
  'wasi:io/streams': { InputStream, OutputStream },
  'wasi:random/insecure-seed': { insecureSeed: () => [...globalThis.crypto.getRandomValues(new BigUint64Array(2))] },
};

// ---- openai:fine-tuning --------------------------------------------------------------------

/** Throws a WIT error (`payload`), or a trap (`message`). */
function throwPayload(payload, message = payload.val) {
  throw Object.assign(new Error(message), payload && { payload });
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

const granted = () => file ?? throwPayload({ tag: 'denied', val: noGrant });
const inputFile = {
  size: () => BigInt(granted().size),
  read: (offset, len) => {
    const start = Number(offset);
    const buf = Buffer.alloc(Math.max(0, Math.min(len, readBytes, granted().size - start)));
    let filled = 0;
    try {
      for (let n = 1; filled < buf.length && n > 0; filled += n) n = readSync(file.fd, buf, filled, buf.length - filled, start + filled);
    } catch (e) {
      throwPayload({ tag: 'io', val: ask({ kind: 'read-failure', error: { code: e.code, errno: e.errno, message: e.message } }) });
    }
    return new Uint8Array(buf.buffer, buf.byteOffset, filled);
  },
};

/** The import object: the transpiled bindings name interfaces without their version. */
const imports = { ...wasi, 'openai:fine-tuning/http': http, 'openai:fine-tuning/input-file': inputFile };

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
  const [iface, fn] = call.export.split('.');
  let outcome;
  try {
    outcome = { kind: 'done', ok: instantiate((name) => modules[name], imports)[iface][fn](...call.args) };
  } catch (e) {
    // A WIT error carries its payload; anything else is a trap.
    outcome = Object.hasOwn(e ?? {}, 'payload') ? { kind: 'done', err: e.payload } : { kind: 'trap', message: String(e?.message ?? e) };
  }
  if (stderr.pending !== '') stderr.sink(stderr.pending);
  post(outcome);
}

main();
