// The guest's only network access, served on the main thread (the guest's worker blocks until the
// answer is back): each request as the host logic frames it (the path checked against the base,
// the URL, the headers, a multipart body around the granted file) with the credential completed
// here, the native host's phase timeouts, no redirects, no proxy, the granted file streamed
// exactly as the guest validated it, and every secret a server echoes redacted from the answer.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';

import { logic } from './logic.js';

/**
 * Sends one `openai:fine-tuning/http` request under `config`. Resolves to `{ok: response}` or
 * `{err: error}`, both as the WIT types, never rejects.
 */
export async function send(config, request, file) {
  let out;
  try {
    const size = file ? BigInt(file.size) : undefined;
    out = logic().prepare(config.endpoint, request, size, randomBytes(8).readBigUInt64BE());
  } catch (e) {
    return { err: e.payload };
  }
  const attempt = (credential) => {
    const body = out.body.length === 0 ? null : Readable.from(parts(out.body, file));
    return exchange(config, out, Object.fromEntries([credential, ...out.headers]), body, file);
  };
  return config.signin ? config.signin.send(out, attempt, config.header) : attempt(config.header(out.credential));
}

/** Why the granted file stopped an upload (the logic's `upload-stop`). */
class UploadStop extends Error {
  constructor(stop) {
    super(stop.tag);
    this.stop = stop;
  }
}

/**
 * The body's parts in order; the granted file read from disk from byte 0 as it is sent and
 * hashed on the way, so a file that is not the one the guest validated fails the stream before
 * the part that follows, and no server gets a whole request.
 */
async function* parts(body, file) {
  for (const part of body) {
    if (part.tag === 'bytes') {
      yield Buffer.from(part.val);
      continue;
    }
    const hash = createHash('sha256');
    let sent = 0;
    if (file.size > 0) {
      for await (const chunk of createReadStream(null, { fd: file.fd, start: 0, end: file.size - 1, autoClose: false })) {
        hash.update(chunk);
        sent += chunk.length;
        yield chunk;
      }
    }
    if (sent < file.size) throw new UploadStop({ tag: 'short', val: [BigInt(sent), BigInt(file.size)] });
    const got = hash.digest('hex');
    if (got !== part.val) throw new UploadStop({ tag: 'digest', val: [got, part.val] });
  }
}

/**
 * One exchange, every phase bounded as the native host bounds it: the connection within the
 * connect timeout; the head and each write of the body within the timeout (a peer that stops
 * reading); the upload within its deadline; the response's head, then its whole body, each within
 * the timeout however slowly they arrive.
 */
function exchange(config, { url: href, method, origin, deadlineSecs }, headers, body, file) {
  const url = new URL(href);
  const { connectTimeoutSecs, timeoutSecs } = config.endpoint;
  const failed = (failure) => ({ err: logic().exchangeError(origin, failure) });
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const timers = [];
    let settled = false;
    const finish = (value) => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      resolve(value);
      req.destroy();
    };
    const phase = (which, secs, why = failed({ tag: 'timeout', val: which })) => {
      clearTimeout(timers[0]);
      timers[0] = setTimeout(() => finish(why), secs * 1000);
    };
    // An agent per request and no keep-alive: the guest sends one request at a time, and a
    // dropped connection must never be reused.
    const req = lib.request(url, { method, headers, agent: false });
    phase('connect', connectTimeoutSecs);
    req.on('socket', (socket) => {
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => phase('send-request', timeoutSecs));
    });
    req.on('finish', () => phase('receive-response', timeoutSecs));
    req.on('error', (e) => finish(failed(failure(e))));
    req.on('response', (res) => {
      phase('receive-body', timeoutSecs);
      const limit = Number(logic().bounds().responseBytes);
      const received = [];
      let size = 0;
      res.on('data', (chunk) => {
        size += chunk.length;
        if (size > limit) finish(failed({ tag: 'too-large' }));
        else received.push(chunk);
      });
      res.on('aborted', () => finish(failed({ tag: 'disconnected' })));
      res.on('error', (e) => finish(failed(failure(e))));
      res.on('end', () => {
        // Whatever the server echoed of a key stops here: the guest never sees one.
        const { redactor } = config;
        const pairs = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i], redactor.text(res.rawHeaders[i + 1])]);
        const answer = { status: res.statusCode, headers: logic().responseHeaders(pairs) };
        // As bytes: jco copies a Uint8Array into the guest at once, where text would be decoded and encoded again.
        finish({ ok: { ...answer, body: { tag: 'bytes', val: new Uint8Array(redactor.bytes(Buffer.concat(received))) } } });
      });
    });
    if (body === null) return req.end();
    const stopped = (stop) => ({ err: logic().uploadError(file.path, stop) });
    // An upload of the granted file has a deadline of its own (`deadlineSecs`, a BigInt).
    if (deadlineSecs !== undefined) timers[1] = setTimeout(() => finish(stopped({ tag: 'too-slow', val: deadlineSecs })), Number(deadlineSecs) * 1000);
    // Each chunk the request takes is a write done: the next one has the timeout again.
    body.on('data', () => req.socket?.connecting === false && phase('send-request', timeoutSecs));
    body.on('error', (e) => finish(e instanceof UploadStop ? stopped(e.stop) : failed(failure(e))));
    body.pipe(req);
  });
}

/** Node's error codes as the logic's `failure`: the host maps its client's errors, the logic words them. */
const FAILURES = { ECONNREFUSED: 'refused', ENOTFOUND: 'unresolved', EAI_AGAIN: 'unresolved', EHOSTUNREACH: 'unreachable', ENETUNREACH: 'unreachable', ETIMEDOUT: 'timeout' };

function failure(e) {
  // Node words a close before any answer "socket hang up"; a reset is a reset.
  if (e.code === 'ECONNRESET') return { tag: e.message === 'socket hang up' ? 'disconnected' : 'reset' };
  return e.code in FAILURES ? { tag: FAILURES[e.code] } : { tag: 'other', val: e.message };
}
