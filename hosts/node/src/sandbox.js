// The guest's cage on the host side: compiles the transpiled component's core modules with the
// memory cap written into them, runs each call on a fresh worker thread, serves its blocking
// requests, and terminates the worker once it has used its CPU time.

import { closeSync, constants, existsSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';

import { send } from './http.js';
import { HostError, debugQuote } from './protocol.js';

const GUEST = new URL('./guest.js', import.meta.url);

/** How often the host looks at the guest's CPU time; the CPU bound is this precise. */
const TICK_MS = 20;

/** The JS heap of the guest's thread (its bindings, not the guest's linear memory). */
const WORKER_HEAP_MIB = 64;

/** The transpiled component in `dir` (the build's `component.json` names its files). */
export class Component {
  constructor(dir) {
    this.dir = dir;
    const at = new URL('component.json', dir);
    if (!existsSync(at)) {
      // A git checkout without a build, or an Action ref that is not a release (hosts/node/README.md).
      throw new HostError(
        `the transpiled component is missing (no ${fileURLToPath(at)}): use a release of the package or the Action, which carries dist/, or run npm run build in hosts/node`,
      );
    }
    const manifest = JSON.parse(readFileSync(at, 'utf8'));
    this.url = new URL(manifest.js, dir).href;
    this.cores = manifest.cores.map((name) => [name, readFileSync(new URL(name, dir))]);
    this.compiled = new Map();
  }

  /** The core modules compiled with linear memory capped at `mib`, cached per cap. */
  modules(mib) {
    let modules = this.compiled.get(mib);
    if (!modules) {
      const pages = mib << 4;
      if (this.cores.some(([, bytes]) => initialPages(bytes) > pages)) throw memoryError(mib);
      modules = Object.fromEntries(
        this.cores.map(([name, bytes]) => [name, new WebAssembly.Module(capMemory(bytes, pages))]),
      );
      this.compiled.set(mib, modules);
    }
    return modules;
  }
}

/**
 * Opens the one file a command is granted (the `path` input of the `file` commands), refusing
 * what the native host refuses with the same words.
 */
export function grantFile(path) {
  const notRegular = () =>
    new HostError(
      `invalid path ${debugQuote(path)}: cannot read ${path}: not a regular file; set path to a readable local JSONL file`,
    );
  let fd;
  try {
    // Only a regular file is opened, and without blocking: a FIFO or a device could otherwise
    // hold the open forever. O_NONBLOCK changes nothing for a regular file; fstat then tells
    // what was opened, should something have replaced it since the check.
    if (!statSync(path).isFile()) throw notRegular();
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      closeSync(fd);
      throw notRegular();
    }
    return { fd, size: stat.size, path };
  } catch (e) {
    if (e instanceof HostError) throw e;
    throw new HostError(
      `invalid path ${debugQuote(path)}: cannot be read (${osError(e)}); set path to a readable local JSONL file`,
    );
  }
}

/** Rust's `io::Error` display for the errors opening a file can give. */
function osError(e) {
  const messages = {
    ENOENT: 'No such file or directory',
    EACCES: 'Permission denied',
    ENOTDIR: 'Not a directory',
    ELOOP: 'Too many levels of symbolic links',
    ENAMETOOLONG: 'File name too long',
    EISDIR: 'Is a directory',
    EMFILE: 'Too many open files',
    EPERM: 'Operation not permitted',
  };
  const text = messages[e.code];
  return text && typeof e.errno === 'number' ? `${text} (os error ${-e.errno})` : e.message;
}

/**
 * Runs `call` (`{export: "commands.run", args: [...]}`) in a fresh worker. Resolves to
 * `{ok: value}` or `{err: wit-error}`; rejects with a HostError when the guest broke a limit or
 * trapped.
 */
export function runGuest(component, call, { endpoint, limits, file, onStderr }) {
  const signal = new SharedArrayBuffer(4);
  const wake = new Int32Array(signal);
  const { port1: replyTx, port2: replies } = new MessageChannel();
  const worker = new Worker(GUEST, {
    workerData: {
      componentUrl: component.url,
      modules: component.modules(limits.memoryMiB),
      call,
      flavor: endpoint.flavor,
      apiVersion: endpoint.apiVersion,
      file: file ? { fd: file.fd, size: file.size, path: file.path } : null,
      signal,
      replies,
    },
    transferList: [replies],
    // The worker gets nothing of the host's: no environment (keys stay on this thread), no
    // arguments, no stdin; its stdout and stderr are not the process's.
    env: {},
    argv: [],
    stdin: false,
    stdout: true,
    stderr: true,
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MIB },
  });
  worker.stdout.resume();
  worker.stderr.resume();

  return new Promise((resolve, reject) => {
    let done = false;
    let clock = null;
    let ticker = null;
    const finish = (fn, value) => {
      if (done) return;
      done = true;
      clearInterval(ticker);
      worker.terminate();
      fn(value);
    };
    const budgetMs = limits.cpuSecs * 1000;
    const overBudget = () => {
      finish(
        reject,
        new HostError(
          `the component used more than ${limits.cpuSecs} s of CPU time and was stopped; raise OPENAI_FT_CPU_LIMIT_SECS if the input is legitimately this large`,
        ),
      );
    };
    worker.on('message', async (m) => {
      switch (m.kind) {
        case 'started':
          clock = cpuClock(worker, m.tid);
          ticker = setInterval(async () => {
            if (!done && (await clock()) > budgetMs) overBudget();
          }, TICK_MS);
          break;
        case 'stderr':
          onStderr(m.line);
          break;
        case 'send': {
          // The guest is blocked until it gets an answer, so a failure here must become one.
          const answer = await send(endpoint, m.request, file).catch((e) => ({
            err: { tag: 'transport', val: `request to ${endpoint.base} failed: ${e.message}` },
          }));
          if (done) return;
          replyTx.postMessage(answer);
          Atomics.store(wake, 0, 1);
          Atomics.notify(wake, 0);
          break;
        }
        case 'done':
          finish(resolve, m.err ? { err: m.err } : { ok: m.ok });
          break;
        case 'trap':
          if (m.memory) {
            finish(reject, memoryError(limits.memoryMiB));
          } else {
            finish(
              reject,
              new HostError(
                `the component failed (a bug in openai-ft, please report it): ${m.message}`,
              ),
            );
          }
          break;
      }
    });
    worker.on('error', (e) =>
      finish(
        reject,
        e.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? memoryError(limits.memoryMiB)
          : new HostError(`the component failed (a bug in openai-ft, please report it): ${e.message}`),
      ),
    );
    worker.on('exit', (code) =>
      finish(reject, new HostError(`the component's worker exited early (status ${code})`)),
    );
  });
}

function memoryError(mib) {
  return new HostError(
    `the component exceeded its memory limit of ${mib} MiB and was stopped; raise OPENAI_FT_MEMORY_LIMIT_MIB if the input is legitimately this large`,
  );
}

/**
 * The worker thread's CPU time in milliseconds since it started the guest: from Linux's
 * per-thread accounting (10 ms ticks), or Node's `worker.cpuUsage()` elsewhere; where neither
 * exists, wall time, which also counts waiting (HOST.md says so).
 */
function cpuClock(worker, tid) {
  const stat = tid && `/proc/self/task/${tid}/stat`;
  const fromProc = () => {
    const text = readFileSync(stat, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // utime and stime, fields 14 and 15 of stat(5), in USER_HZ (100 on Linux) ticks.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
  if (stat) {
    try {
      const start = fromProc();
      let last = 0;
      return () => {
        try {
          last = fromProc() - start;
        } catch {
          // The thread has just ended; its last reading stands.
        }
        return last;
      };
    } catch {
      // Not Linux after all.
    }
  }
  if (typeof worker.cpuUsage === 'function') {
    let start = null;
    return async () => {
      const u = await worker.cpuUsage();
      const ms = (u.user + u.system) / 1000;
      start ??= ms;
      return ms - start;
    };
  }
  const start = Date.now();
  return () => Date.now() - start;
}

/**
 * Writes a maximum of `pages` (64 KiB each) into every memory the core module defines, so the
 * guest's `memory.grow` fails past the limit exactly as it does under the native host's store
 * limits.
 */
export function capMemory(bytes, pages) {
  const out = [bytes.subarray(0, 8)];
  let p = 8;
  while (p < bytes.length) {
    const id = bytes[p];
    const [size, bodyStart] = leb(bytes, p + 1);
    const end = bodyStart + size;
    if (id !== 5) {
      out.push(bytes.subarray(p, end));
      p = end;
      continue;
    }
    let [count, q] = leb(bytes, bodyStart);
    const body = [...uleb(count)];
    for (let i = 0; i < count; i++) {
      const flags = bytes[q];
      if (flags !== 0 && flags !== 1) throw new Error(`unsupported memory limits flags ${flags}`);
      const [min, afterMin] = leb(bytes, q + 1);
      let max = pages;
      q = afterMin;
      if (flags === 1) {
        const [declared, afterMax] = leb(bytes, q);
        max = Math.min(declared, pages);
        q = afterMax;
      }
      body.push(1, ...uleb(min), ...uleb(max));
    }
    out.push(Uint8Array.of(5, ...uleb(body.length), ...body));
    p = end;
  }
  return Buffer.concat(out);
}

/** The largest initial size, in pages, of the memories the core module defines. */
function initialPages(bytes) {
  let p = 8;
  let most = 0;
  while (p < bytes.length) {
    const id = bytes[p];
    const [size, bodyStart] = leb(bytes, p + 1);
    if (id === 5) {
      let [count, q] = leb(bytes, bodyStart);
      for (; count > 0; count--) {
        const flags = bytes[q];
        const [min, afterMin] = leb(bytes, q + 1);
        most = Math.max(most, min);
        q = flags & 1 ? leb(bytes, afterMin)[1] : afterMin;
      }
    }
    p = bodyStart + size;
  }
  return most;
}

function leb(bytes, at) {
  let result = 0;
  let shift = 0;
  let p = at;
  for (;;) {
    const b = bytes[p++];
    result += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [result, p];
    shift += 7;
  }
}

function uleb(n) {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Where the build puts the transpiled component inside the package. */
export const DEFAULT_COMPONENT_DIR = new URL('../dist/component/', import.meta.url);
