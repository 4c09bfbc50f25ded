// The guest's only network access, served on the main thread (the guest's worker blocks until the
// answer is back): one request at a time to the configured API base, the credential the guest
// names attached here, the native host's timeouts, no redirects, no proxy, the granted file
// streamed exactly as the guest validated it, and every secret a server echoes redacted from the
// answer before the guest sees it.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';

import { debugQuote } from './protocol.js';

/** The largest answer accepted; fine-tuning answers are small. */
const MAX_RESPONSE_BYTES = 64 << 20;

const USER_AGENT = 'openai-ft/0.1.0';

/**
 * Sends one `openai:fine-tuning/http` request. Resolves to `{ok: response}` or `{err: error}`,
 * both as the WIT types (`{status, headers, body}`; `{tag, val}`), never rejects.
 */
export async function send(endpoint, request, file) {
  const denied = checkPath(request.path);
  if (denied) return err('denied', denied);
  const auth = request.credential === 'admin' ? endpoint.admin : endpoint.project;
  if (auth.missing) return err('missing-credential', auth.missing);
  const target = requestBase(endpoint, request);
  if (target.denied) return err('denied', target.denied);
  const url = new URL(`${target.base}${request.path}${encodeQuery(target.query)}`);
  const headers = { [auth[0]]: auth[1], accept: 'application/json', 'user-agent': USER_AGENT };
  if (endpoint.organization !== undefined) headers['openai-organization'] = endpoint.organization;
  if (endpoint.projectId !== undefined) headers['openai-project'] = endpoint.projectId;
  let body = null;
  if (request.body?.tag === 'json') {
    body = Buffer.from(request.body.val, 'utf8');
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
  } else if (request.body?.tag === 'multipart') {
    const parts = multipart(request.body.val, file, endpoint.timeoutMs);
    if (parts.err) return parts;
    headers['content-type'] = `multipart/form-data; boundary=${parts.boundary}`;
    headers['content-length'] = String(parts.length);
    body = parts.stream;
  } else if (request.method !== 'get') {
    headers['content-length'] = '0';
  }
  return exchange(endpoint, url, request.method.toUpperCase(), headers, body);
}

/**
 * Where a request goes, by its `target`: the configured base with the configured api-version, or
 * (`azure-dated`, Azure flavours only) the resource's dated API `{endpoint}/openai` with the
 * version the guest named. The resource endpoint is the base without its `/openai/v1` or
 * `/openai`. Returns `{base, query}` or `{denied}`.
 */
export function requestBase(endpoint, request) {
  const query = [...request.query];
  const target = request.target ?? { tag: 'api' };
  if (target.tag !== 'azure-dated') {
    if (endpoint.apiVersion !== undefined) query.push(['api-version', endpoint.apiVersion]);
    return { base: endpoint.base, query };
  }
  if (endpoint.flavor === 'openai') {
    return { denied: "the component asked for Azure's dated API, which the openai flavour does not have" };
  }
  const resource = endpoint.base.replace(/\/openai(\/v1)?$/, '');
  query.push(['api-version', target.val]);
  return { base: `${resource}/openai`, query };
}

function err(tag, val) {
  return { err: { tag, val } };
}

/**
 * Paths are relative to the base: no scheme or host, no dot segments that could climb out of the
 * base path, nothing that would end the path early.
 */
export function checkPath(path) {
  const allowed = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
  const dotSegment = path.split('/').some((seg) => {
    const decoded = seg.replaceAll('%2e', '.').replaceAll('%2E', '.');
    return decoded === '.' || decoded === '..';
  });
  if (!path.startsWith('/') || path.startsWith('//') || !allowed.test(path) || dotSegment) {
    return `the component asked for path ${debugQuote(path)}, which is not a plain path under the API base`;
  }
  return null;
}

/** Query parameters, percent-encoded except for RFC 3986's unreserved characters. */
export function encodeQuery(pairs) {
  const enc = (s) =>
    [...Buffer.from(s, 'utf8')]
      .map((b) =>
        /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b))
          ? String.fromCharCode(b)
          : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
      )
      .join('');
  return pairs.map(([k, v], i) => `${i === 0 ? '?' : '&'}${enc(k)}=${enc(v)}`).join('');
}

/** The slowest an upload may average, on top of one timeout (as the native host). */
const MIN_UPLOAD_BYTES_PER_SEC = 64 << 10;

/** Why an upload body stopped early: the WIT error it becomes. */
class BodyStop extends Error {
  constructor(tag, message) {
    super(message);
    this.tag = tag;
  }
}

/**
 * A streamed `multipart/form-data` body: text fields in memory, the granted file read from disk
 * as it is sent, so a large upload never sits in memory. Same framing as the native host. The
 * file's bytes are hashed as they go; if they are not the ones the guest validated (the digest
 * differs, or the file ends early), or the upload runs past its deadline, the stream fails before
 * the part's last line break and the closing boundary, so the server never gets a whole request.
 */
function multipart(fields, file, timeoutMs) {
  const seed = (process.hrtime.bigint() ^ (BigInt(process.pid) << 32n)) & 0xffffffffffffffffn;
  const boundary = `openai-ft-${seed.toString(16).padStart(16, '0')}`;
  const chunks = [];
  let length = 0;
  const text = (s) => {
    const b = Buffer.from(s, 'utf8');
    chunks.push(b);
    length += b.length;
  };
  for (const field of fields) {
    if (field.tag === 'text') {
      const [name, value] = field.val;
      text(
        `--${boundary}\r\ncontent-disposition: form-data; name="${escapeQuoted(name)}"\r\n\r\n${value}\r\n`,
      );
    } else {
      if (!file) {
        return err('denied', 'the component asked to upload a file, but no file was granted');
      }
      const { name, filename, sha256 } = field.val;
      text(
        `--${boundary}\r\ncontent-disposition: form-data; name="${escapeQuoted(name)}"; filename="${escapeQuoted(filename)}"\r\ncontent-type: application/octet-stream\r\n\r\n`,
      );
      chunks.push({ file, sha256: sha256.toLowerCase() });
      length += file.size;
      text('\r\n');
    }
  }
  text(`--${boundary}--\r\n`);
  const allowedSecs = Math.floor(timeoutMs / 1000) + Math.floor((file?.size ?? 0) / MIN_UPLOAD_BYTES_PER_SEC);
  const deadline = Date.now() + allowedSecs * 1000;
  async function* parts() {
    for (const c of chunks) {
      if (Buffer.isBuffer(c)) {
        yield c;
        continue;
      }
      const { file: f, sha256 } = c;
      const changed = (what) =>
        new BodyStop('file-changed', `${f.path} changed after it was validated (${what})`);
      const hash = createHash('sha256');
      let sent = 0;
      if (f.size > 0) {
        // A fresh positional stream per attempt: a retried upload starts from byte 0.
        for await (const chunk of createReadStream(null, { fd: f.fd, start: 0, end: f.size - 1, autoClose: false })) {
          if (Date.now() > deadline) {
            throw new BodyStop(
              'timeout',
              `the upload of ${f.path} took longer than ${allowedSecs} s (the timeout plus 1 s per 64 KiB); raise OPENAI_FT_TIMEOUT for a slow link`,
            );
          }
          hash.update(chunk);
          sent += chunk.length;
          yield chunk;
        }
      }
      if (sent < f.size) throw changed(`it ends at byte ${sent}, not at the ${f.size} validated`);
      const got = hash.digest('hex');
      if (got !== sha256) throw changed(`its SHA-256 is ${got}, not the ${sha256} validated`);
    }
  }
  return { boundary, length, stream: Readable.from(parts()) };
}

function escapeQuoted(s) {
  return s.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replace(/[\r\n]/g, ' ');
}

/** One exchange with the phase timeouts of the native host (connect, receive response, body). */
function exchange(endpoint, url, method, headers, body) {
  const base = endpoint.base;
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
    const phase = (which, ms) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        finish(
          err(
            'timeout',
            `no answer from ${base} within the timeout (${which}); raise OPENAI_FT_TIMEOUT or check the network`,
          ),
        );
        req.destroy();
      }, ms);
    };
    // An agent per request and no keep-alive: the guest sends one request at a time, and a
    // dropped connection must never be reused.
    const req = lib.request(url, { method, headers, agent: false });
    phase('connect', endpoint.connectTimeoutMs);
    req.on('socket', (socket) => {
      const connected = () => {
        if (!settled) clearTimeout(timer);
      };
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', connected);
    });
    req.on('finish', () => phase('receive response', endpoint.timeoutMs));
    req.on('error', (e) => finish(transportError(e, base)));
    req.on('response', (res) => {
      phase('receive body', endpoint.timeoutMs);
      const received = [];
      let size = 0;
      res.on('data', (chunk) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          finish(
            err(
              'transport',
              `request to ${base} failed: the response body is larger than request limit: ${MAX_RESPONSE_BYTES}`,
            ),
          );
          req.destroy();
          return;
        }
        received.push(chunk);
      });
      res.on('aborted', () => finish(err('transport', `request to ${base} failed: io: Peer disconnected`)));
      res.on('error', (e) => finish(transportError(e, base)));
      res.on('end', () => {
        // Whatever the server echoed of a key stops here: the guest never sees one.
        const { redactor } = endpoint;
        const headerPairs = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
          const value = res.rawHeaders[i + 1];
          // The native host drops values that are not visible ASCII, as `HeaderValue::to_str` does.
          if (/^[\t\x20-\x7e]*$/.test(value)) {
            headerPairs.push([res.rawHeaders[i].toLowerCase(), redactor.text(value)]);
          }
        }
        finish({
          ok: {
            status: res.statusCode,
            headers: headerPairs,
            body: new Uint8Array(redactor.bytes(Buffer.concat(received))),
          },
        });
      });
    });
    if (body === null) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      body.on('error', (e) => {
        finish(
          e instanceof BodyStop ? err(e.tag, e.message) : err('transport', `cannot read the granted file: ${e.message}`),
        );
        req.destroy();
      });
      body.pipe(req);
    }
  });
}

/**
 * A socket failure as the native host words it (HOST.md lists these lines): the cause and the
 * fix, naming the base URL, never a key.
 */
function transportError(e, base) {
  switch (e.code) {
    case 'ECONNREFUSED':
      return err(
        'transport',
        `cannot connect to ${base} (connection refused); check OPENAI_BASE_URL and that the server is running`,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return err('transport', `cannot resolve the host of ${base}; check OPENAI_BASE_URL and DNS`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return err(
        'transport',
        `cannot connect to ${base}; check OPENAI_BASE_URL, the network and any proxy settings`,
      );
    case 'ETIMEDOUT':
      return err(
        'timeout',
        `no answer from ${base} within the timeout; raise OPENAI_FT_TIMEOUT or check the network`,
      );
    case 'ECONNRESET':
      // Node words a close before any answer "socket hang up"; a reset is a reset.
      return err(
        'transport',
        e.message === 'socket hang up'
          ? `request to ${base} failed: io: Peer disconnected`
          : `request to ${base} failed: io: Connection reset by peer (os error 104)`,
      );
    default:
      return err('transport', `request to ${base} failed: ${e.message}`);
  }
}
