// openai-ft for Node: the same sandboxed component the native `openai-ft` runs, with the same
// promises (HOST.md): keys read here and never given to the guest, network only to the configured
// API base, one granted file, CPU and memory bounds. `run` is the generic entry Terraform's
// protocol uses; `jobs`, `files` and `permissions` are the typed exports with JS types.

import { closeSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { endpointFromEnv, limitsFromEnv } from './config.js';
import { HostError, byteOrder, renderOutput } from './protocol.js';
import { Redactor } from './redact.js';
import { Component, DEFAULT_COMPONENT_DIR, grantFile, runGuest } from './sandbox.js';

export { HostError, renderOutput };

/** Why a call failed: `kind` is the WIT error case, or `host` for the host's own refusals. */
export class OpenAiFtError extends Error {
  constructor(kind, message, detail = {}) {
    super(message);
    this.name = 'OpenAiFtError';
    this.kind = kind;
    Object.assign(this, detail);
  }
}

const components = new Map();

/** The transpiled component at `dir` (a URL or path to a build's component folder), loaded once. */
function component(dir = DEFAULT_COMPONENT_DIR) {
  const url = dir instanceof URL ? dir : pathToFileURL(`${resolve(dir)}/`);
  let c = components.get(url.href);
  if (!c) {
    c = new Component(url);
    components.set(url.href, c);
  }
  return c;
}

/**
 * Loads and compiles the component ahead of the first call (otherwise the first call does).
 * Options as for `run`.
 */
export function load(options = {}) {
  const env = options.env ?? process.env;
  component(options.component).modules(limitsFromEnv(env).memoryMiB);
}

/**
 * Calls one export of the component in a fresh sandbox. `grant` is the path of the one local
 * file the call may read, if any.
 */
async function call(exportName, args, options, grant) {
  const env = options.env ?? process.env;
  const onProgress = options.onProgress ?? ((line) => process.stderr.write(`${line}\n`));
  let file = null;
  // Until the configuration is read there is no secret to redact (and no answer to echo one).
  let redactor = new Redactor([]);
  try {
    if (grant !== undefined && grant !== '') file = grantFile(grant);
    const endpoint = endpointFromEnv(env);
    redactor = endpoint.redactor;
    const limits = limitsFromEnv(env);
    // Every string the caller gets (progress lines, values, error messages and fields) is
    // redacted, though the answers were already: the guest could assemble a key from pieces.
    const result = await runGuest(
      component(options.component),
      { export: exportName, args },
      { endpoint, limits, file, onStderr: (line) => onProgress(redactor.text(line)) },
    );
    if (result.err) throw guestError(redactor.deep(result.err));
    return redactor.deep(result.ok);
  } catch (e) {
    if (e instanceof HostError) throw new OpenAiFtError('host', redactor.text(e.message));
    throw e;
  } finally {
    if (file) closeSync(file.fd);
  }
}

function guestError(e) {
  switch (e.tag) {
    case 'invalid-input':
      return new OpenAiFtError(e.tag, e.val.message, {
        field: e.val.field,
        value: e.val.value,
        rule: e.val.rule,
      });
    case 'api':
      return new OpenAiFtError(e.tag, e.val.message, {
        status: e.val.status,
        type: e.val.kind,
        code: e.val.code,
        param: e.val.param,
        requestId: e.val.requestId,
      });
    default:
      return new OpenAiFtError(e.tag, e.val);
  }
}

/** Normalises an input map (an object or `[key, value]` pairs) as the protocol does. */
function pairsOf(input) {
  const entries = Array.isArray(input) ? input : Object.entries(input ?? {});
  const map = new Map();
  for (const [k, v] of entries) {
    if (v === null || v === undefined) continue;
    if (typeof v !== 'string') {
      throw new TypeError(`input ${JSON.stringify(k)} must be a string (pass structured values as JSON)`);
    }
    map.set(k, v);
  }
  return [...map.entries()].sort(([a], [b]) => byteOrder(a, b));
}

/**
 * Runs `<noun> <verb>` with a flat map of strings, as `openai-ft` does for Terraform, and
 * resolves to the output map (keys in byte order). The `file` commands are granted their `path`.
 */
export async function run(command, input = {}, options = {}) {
  const pairs = pairsOf(input);
  const path = command.startsWith('file ') ? pairs.find(([k]) => k === 'path')?.[1] : undefined;
  const out = await call('commands.run', [command, pairs], options, path);
  const map = new Map(out);
  return Object.fromEntries([...map.keys()].sort(byteOrder).map((k) => [k, map.get(k)]));
}

/** Every command the component offers: `{name, summary, inputs}`. */
export async function describe(options = {}) {
  return call('commands.describe', [], { ...options, env: {} });
}

const STATUS = {
  'validating-files': 'validating_files',
};

function job(j) {
  const status = j.status.tag === 'other' ? j.status.val : (STATUS[j.status.tag] ?? j.status.tag);
  return {
    id: j.id,
    status,
    model: j.model,
    fineTunedModel: j.fineTunedModel,
    createdAt: Number(j.createdAt),
    finishedAt: optionalNumber(j.finishedAt),
    trainedTokens: optionalNumber(j.trainedTokens),
    estimatedFinish: optionalNumber(j.estimatedFinish),
    error: j.error,
  };
}

function optionalNumber(n) {
  return n === undefined ? undefined : Number(n);
}

function report(r) {
  return {
    examples: Number(r.examples),
    estimatedTokens: Number(r.estimatedTokens),
    bytes: Number(r.bytes),
    sha256: r.sha256,
  };
}

/** Fine-tuning jobs, typed. */
export const jobs = {
  read: async (id, options = {}) => job(await call('jobs.read', [id], options)),
  cancel: async (id, options = {}) => job(await call('jobs.cancel', [id], options)),
  pause: async (id, options = {}) => job(await call('jobs.pause', [id], options)),
  resume: async (id, options = {}) => job(await call('jobs.resume', [id], options)),
};

/** Training files, typed; `path` is the one file the call is granted. */
export const files = {
  validate: async (path, method = 'supervised', options = {}) =>
    report(await call('files.validate', [path, method], options, path)),
  upload: async (path, method = 'supervised', options = {}) => {
    const u = await call('files.upload', [path, method], options, path);
    return { id: u.id, filename: u.filename, report: report(u.report) };
  },
};

/** Checkpoint permissions, typed; every call uses OPENAI_ADMIN_KEY. */
export const permissions = {
  grant: async (checkpoint, projectIds, options = {}) =>
    (await call('permissions.grant', [checkpoint, projectIds], options)).map(permission),
  read: async (checkpoint, options = {}) =>
    (await call('permissions.read', [checkpoint], options)).map(permission),
  revoke: async (checkpoint, projectIds, options = {}) =>
    call('permissions.revoke', [checkpoint, projectIds], options),
};

function permission(p) {
  return { projectId: p.projectId, permissionId: p.permissionId };
}
