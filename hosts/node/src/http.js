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
  const headers = Object.fromEntries([config.header(out.credential), ...out.headers]);
  const deadline = Date.now() + Number(out.deadlineSecs ?? 0n) * 1000;
  const body = out.body.length === 0 ? null : Readable.from(parts(out.body, file, deadline, Number(out.deadlineSecs)));
  return exchange(config, out, headers, body, file);
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
 * hashed on the way, so a file that is not the one the guest validated (or an upload past its
 * deadline) fails the stream before the part that follows, and no server gets a whole request.
 */
async function* parts(body, file, deadline, allowedSecs) {
  for (const part of body) {
    if (part.tag === 'bytes') {
      yield Buffer.from(part.val);
      continue;
    }
    const hash = createHash('sha256');
    let sent = 0;
    if (file.size > 0) {
      for await (const chunk of createReadStream(null, { fd: file.fd, start: 0, end: file.size - 1, autoClose: false })) {
        if (Date.now() > deadline) throw new UploadStop({ tag: 'too-slow', val: BigInt(allowedSecs) });
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

/** One exchange, every phase bounded: connect, then the response's head, then its body. */
function exchange(config, { url: href, method, origin }, headers, body, file) {
  const url = new URL(href);
  const { connectTimeoutSecs, timeoutSecs } = config.endpoint;
  const failed = (failure) => ({ err: logic().exchangeError(origin, failure) });
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let timer;
    let settled = false;
    const finish = (value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const phase = (which, secs) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        finish(failed({ tag: 'timeout', val: which }));
        req.destroy();
      }, secs * 1000);
    };
    // An agent per request and no keep-alive: the guest sends one request at a time, and a
    // dropped connection must never be reused.
    const req = lib.request(url, { method, headers, agent: false });
    phase('connect', connectTimeoutSecs);
    req.on('socket', (socket) => {
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => settled || clearTimeout(timer));
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
        if (size > limit) {
          finish(failed({ tag: 'too-large' }));
          return req.destroy();
        }
        received.push(chunk);
      });
      res.on('aborted', () => finish(failed({ tag: 'disconnected' })));
      res.on('error', (e) => finish(failed(failure(e))));
      res.on('end', () => {
        // Whatever the server echoed of a key stops here: the guest never sees one.
        const { redactor } = config;
        const pairs = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i], redactor.text(res.rawHeaders[i + 1])]);
        const answer = { status: res.statusCode, headers: logic().responseHeaders(pairs) };
        finish({ ok: { ...answer, body: new Uint8Array(redactor.bytes(Buffer.concat(received))) } });
      });
    });
    if (body === null) req.end();
    else {
      body.on('error', (e) => {
        finish(e instanceof UploadStop ? { err: logic().uploadError(file.path, e.stop) } : failed(failure(e)));
        req.destroy();
      });
      body.pipe(req);
    }
  });
}

/** A socket failure as the logic's `failure`: the host maps its client's errors, the logic words them. */
function failure(e) {
  switch (e.code) {
    case 'ECONNREFUSED':
      return { tag: 'refused' };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { tag: 'unresolved' };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { tag: 'unreachable' };
    case 'ETIMEDOUT':
      return { tag: 'timeout' };
    case 'ECONNRESET':
      // Node words a close before any answer "socket hang up"; a reset is a reset.
      return { tag: e.message === 'socket hang up' ? 'disconnected' : 'reset' };
    default:
      return { tag: 'other', val: e.message };
  }
}
