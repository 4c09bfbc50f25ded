// The guest's cage on the host side: compiles the transpiled component's core modules with the
// memory cap written into them (the cap as the host logic writes it), runs each call on a fresh
// worker thread, serves its blocking requests, and terminates the worker once it has used its CPU
// time. Every message is the host logic's.

import { closeSync, constants, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { MessageChannel, Worker } from 'node:worker_threads';

import { send } from './http.js';
import { HostError, logic, readComponent, refusal } from './logic.js';

const GUEST = new URL('./guest.js', import.meta.url);

/** How often the host looks at the guest's CPU time; the CPU bound is this precise. */
const TICK_MS = 20;

/** The JS heap of the guest's thread (its bindings, not the guest's linear memory). */
const WORKER_HEAP_MIB = 64;

/** The transpiled component in `dir` (the build's `component.json` names its files). */
export class Component {
  constructor(dir) {
    Object.assign(this, readComponent(dir));
    this.compiled = new Map();
  }

  /** The core modules compiled with linear memory capped at `mib` (as the logic writes it), cached per cap. */
  modules(mib) {
    const capped = ([name, bytes]) => {
      const cut = refusal(() => logic().capMemory(bytes, mib));
      const edited = cut ? Buffer.concat([bytes.subarray(0, cut.start), cut.bytes, bytes.subarray(cut.end)]) : bytes;
      return [name, new WebAssembly.Module(edited)];
    };
    if (!this.compiled.has(mib)) this.compiled.set(mib, Object.fromEntries(this.cores.map(capped)));
    return this.compiled.get(mib);
  }
}

/**
 * Opens the one file a command is granted (the `path` input of the `file` commands): only a
 * regular file, and without blocking (a FIFO or a device could otherwise hold the open forever;
 * O_NONBLOCK changes nothing for a regular file, and fstat tells what was opened).
 */
export function grantFile(path) {
  let why = { tag: 'not-regular' };
  try {
    if (statSync(path).isFile()) {
      const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      const stat = fstatSync(fd);
      if (stat.isFile()) return { fd, size: stat.size, path };
      closeSync(fd);
    }
  } catch (e) {
    why = { tag: 'os', val: osError(e) };
  }
  throw new HostError(logic().grantRefusal(path, why));
}

/** A system error as the logic words it; Node gives its name and number, not the C library's words. */
export function osError(e) {
  return { code: typeof e.errno === 'number' ? -e.errno : 0, name: e.code ?? '', words: e.code ? '' : e.message };
}

/**
 * Runs `call` (`{export: "commands.run", args: [...]}`) in a fresh worker. Resolves to
 * `{ok: value}` or `{err: wit-error}`; rejects with a HostError when the guest broke a limit or
 * trapped.
 */
export function runGuest(component, call, { config, file, onStderr }) {
  const { limits } = config;
  const wake = new Int32Array(new SharedArrayBuffer(4));
  const { port1: replyTx, port2: replies } = new MessageChannel();
  const worker = new Worker(GUEST, {
    workerData: {
      componentUrl: component.url,
      modules: component.modules(limits.memoryMib),
      call,
      flavor: config.endpoint.flavor,
      apiVersion: config.endpoint.query.find(([k]) => k === 'api-version')?.[1],
      file: file && { fd: file.fd, size: file.size, path: file.path },
      noGrant: logic().message({ tag: 'no-grant' }),
      readBytes: logic().bounds().readBytes,
      signal: wake.buffer,
      replies,
    },
    transferList: [replies],
    // The worker gets nothing of the host's: no environment (keys stay on this thread), no
    // arguments, no stdin; its stdout and stderr are not the process's.
    env: {}, argv: [], stdin: false, stdout: true, stderr: true,
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MIB },
  });
  worker.stdout.resume();
  worker.stderr.resume();
  const stopped = (notice) => new HostError(logic().message(notice));
  const memory = { tag: 'memory-limit', val: limits.memoryMib };
  let allocFailed = false;

  return new Promise((resolve, reject) => {
    let done = false;
    let ticker = null;
    const finish = (fn, value) => {
      if (done) return;
      done = true;
      clearInterval(ticker);
      worker.terminate();
      fn(value);
    };
    const answer = (reply) => {
      replyTx.postMessage(reply);
      Atomics.store(wake, 0, 1);
      Atomics.notify(wake, 0);
    };
    const handlers = {
      started: (m) => {
        const clock = cpuClock(worker, m.tid);
        ticker = setInterval(async () => {
          if (!done && (await clock()) > limits.cpuSecs * 1000) finish(reject, stopped({ tag: 'cpu-limit', val: limits.cpuSecs }));
        }, TICK_MS);
      },
      stderr: (m) => {
        const sort = logic().guestStderr(m.line, allocFailed);
        allocFailed ||= sort === 'alloc-failure';
        // Made inert: a progress line may quote a server's words (escapes, line breaks).
        if (sort === 'show') onStderr(logic().shown(m.line, 'terminal'));
      },
      'read-failure': (m) => answer(logic().readFailure(file.path, osError(m.error))),
      // The guest is blocked until it gets an answer, so a failure here must become one.
      send: async (m) => {
        const other = (e) => ({ err: logic().exchangeError(config.endpoint.base, { tag: 'other', val: e.message }) });
        const reply = await send(config, m.request, file).catch(other);
        if (!done) answer(reply);
      },
      done: (m) => finish(resolve, m.err ? { err: m.err } : { ok: m.ok }),
      trap: (m) => finish(reject, stopped(allocFailed ? memory : { tag: 'trap', val: m.message })),
    };
    worker.on('message', (m) => handlers[m.kind](m));
    worker.on('error', (e) => finish(reject, stopped(e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? memory : { tag: 'trap', val: e.message })));
    worker.on('exit', (code) => finish(reject, stopped({ tag: 'guest-exited', val: code })));
  });
}

/**
 * The worker thread's CPU time in milliseconds since it started the guest: from Linux's
 * per-thread accounting (utime and stime of stat(5), in 10 ms ticks), or Node's
 * `worker.cpuUsage()` elsewhere; where neither exists, wall time, which also counts waiting
 * (HOST.md says so).
 */
function cpuClock(worker, tid) {
  const proc = () => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
  const usage = async () => {
    const u = await worker.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  let read = typeof worker.cpuUsage === 'function' ? usage : () => Date.now();
  try {
    if (tid) read = (proc(), proc);
  } catch {
    // Not Linux after all.
  }
  const start = read();
  let last = 0;
  return async () => {
    try {
      last = (await read()) - (await start);
    } catch {
      // The thread has just ended; its last reading stands.
    }
    return last;
  };
}
