// openai-ft for Node: the same sandboxed component the native `openai-ft` runs, with the same
// promises (HOST.md): keys read here and never given to the guest, network only to the configured
// API base, one granted file, CPU and memory bounds. `run` is the generic entry Terraform's
// protocol uses; `jobs`, `files` and `permissions` are the typed exports, whose types (wit.d.ts)
// and signatures (wit.js) are generated from the WIT.

import { closeSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { configure } from './config.js';
import { DIST, HostError, logic, refusal } from './logic.js';
import { Redactor } from './redact.js';
import { Component, grantFile, runGuest } from './sandbox.js';
import { INTERFACES } from './wit.js';

export { HostError };

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
function component(dir = new URL('component/', DIST)) {
  const url = dir instanceof URL ? dir : pathToFileURL(`${resolve(dir)}/`);
  if (!components.has(url.href)) components.set(url.href, new Component(url));
  return components.get(url.href);
}

/**
 * Loads and compiles the component ahead of the first call (otherwise the first call does).
 * Options as for `run`.
 */
export function load(options = {}) {
  component(options.component).modules(configure(options.env ?? process.env).limits.memoryMib);
}

/**
 * Calls one export of the component in a fresh sandbox. `grant` is the path of the one local
 * file the call may read, if any.
 */
async function call(exportName, args, options, grant) {
  const onProgress = options.onProgress ?? ((line) => process.stderr.write(`${line}\n`));
  let file = null;
  // Until the configuration is read there is no secret to redact (and no answer to echo one).
  let redactor = new Redactor([]);
  try {
    if (grant !== undefined) file = grantFile(grant);
    const config = configure(options.env ?? process.env);
    redactor = config.redactor;
    // Every string the caller gets (progress lines, values, error messages and fields) is
    // redacted, though the answers were already: the guest could assemble a key from pieces.
    const result = await runGuest(
      component(options.component),
      { export: exportName, args },
      { config, file, onStderr: (line) => onProgress(redactor.text(line)) },
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

/** A WIT `error` as an OpenAiFtError: its record's fields, `kind` as `type` (the case is `kind`). */
function guestError({ tag, val }) {
  if (typeof val === 'string') return new OpenAiFtError(tag, val);
  const { message, kind, ...fields } = val;
  return new OpenAiFtError(tag, message, kind === undefined ? fields : { ...fields, type: kind });
}

/** Parses `command`'s input bytes from `source` as every host does (the 1 MiB and 256-key caps). */
export function parse(command, bytes, source) {
  try {
    return refusal(() => logic().parseInput(command, bytes, source));
  } catch (e) {
    throw e instanceof HostError ? new OpenAiFtError('host', e.message) : e;
  }
}

/** Runs `command` with a parsed input; resolves to the logic's `finished` (pairs and line). */
export async function execute(command, parsed, options = {}) {
  const out = await call('commands.run', [command, parsed.pairs], options, parsed.grant);
  return logic().finish(out, parsed.summary);
}

/**
 * Runs `<noun> <verb>` with a flat map of strings, as `openai-ft` does for Terraform, and
 * resolves to the output map (keys in byte order). The `file` commands are granted their `path`.
 */
export async function run(command, input = {}, options = {}) {
  const map = Array.isArray(input) ? Object.fromEntries(input) : (input ?? {});
  const parsed = parse(command, Buffer.from(JSON.stringify(map), 'utf8'), 'run()');
  return Object.fromEntries((await execute(command, parsed, options)).pairs);
}

/** Every command the component offers: `{name, summary, inputs}`. */
export async function describe(options = {}) {
  return call('commands.describe', [], { ...options, env: {} });
}

/** Renders output pairs as the CLI prints them. */
export function renderOutput(pairs) {
  return logic().finish(pairs, false).line;
}

/**
 * A WIT value as the typed API gives it: numbers for u64s, and a variant of names (a job's
 * status) as the API spells it, `-` as `_`, or its `other` text.
 */
function plain(v) {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v === null || typeof v !== 'object') return v;
  if ('tag' in v) return v.tag === 'other' ? v.val : v.tag.replaceAll('-', '_');
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
}

/** The typed interfaces, one function per WIT function: its parameters, then the options. */
function typed(iface, functions) {
  const entry = ([name, params]) => [
    name,
    async (...args) => {
      const options = args[params.length] ?? {};
      const path = params.includes('path') ? args[params.indexOf('path')] : undefined;
      return plain(await call(`${iface}.${name}`, params.map((_, i) => args[i]), options, path));
    },
  ];
  return Object.fromEntries(Object.entries(functions).map(entry));
}

/** Fine-tuning jobs, typed. */
export const jobs = typed('jobs', INTERFACES.jobs);
/** Training files, typed; `path` is the one file the call is granted. */
export const files = typed('files', INTERFACES.files);
/** Checkpoint permissions, typed; every call uses OPENAI_ADMIN_KEY. */
export const permissions = typed('permissions', INTERFACES.permissions);
