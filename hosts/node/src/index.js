// openai-ft for Node: the same sandboxed component the native `openai-ft` runs, with the same
// promises (HOST.md): keys read here and never given to the guest, network only to the configured
// API base, one granted file, CPU and memory bounds. `run` is the generic entry Terraform's
// protocol uses; `jobs`, `files` and `permissions` are the typed exports, whose types and
// signatures (types/wit.d.ts, types/wit.js) are generated from the WIT.

import { closeSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { Redactor, configure } from './config.js';
import { DIST, HostError, logic, refusal } from './logic.js';
import { Component, grantFile, runGuest } from './sandbox.js';
import { commandInfo, errorFields, interfaces } from '../types/wit.js';

export { HostError };

// The public API's documentation is its declarations, types/index.d.ts.

export class OpenAiFtError extends Error {
  constructor(kind, message, detail = {}) {
    super(message);
    Object.assign(this, { name: 'OpenAiFtError', kind, ...detail });
  }
}

const components = new Map();

/** The transpiled component at `dir` (a URL or path to a build's component folder), loaded once. */
function component(dir = new URL('component/', DIST)) {
  const url = dir instanceof URL ? dir : pathToFileURL(`${resolve(dir)}/`);
  if (!components.has(url.href)) components.set(url.href, new Component(url));
  return components.get(url.href);
}

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
  let redactor = new Redactor([]); // until the configuration is read there is no secret to redact
  try {
    if (grant !== undefined) file = grantFile(grant);
    const config = configure(options.env ?? process.env);
    redactor = config.redactor;
    config.signin?.listen((line) => onProgress(redactor.text(line)));
    // Every string the caller gets is redacted, though the answers were: the guest could
    // assemble a key from pieces.
    const result = await runGuest(
      component(options.component),
      { export: exportName, args },
      { config, file, onStderr: (line) => onProgress(redactor.text(line)) },
    );
    if (result.err) {
      const { message, ...fields } = errorFields(redactor.deep(result.err));
      throw new OpenAiFtError(result.err.tag, message, fields);
    }
    return redactor.deep(result.ok);
  } catch (e) {
    if (e instanceof HostError) throw new OpenAiFtError('host', redactor.text(e.message));
    throw e;
  } finally {
    if (file) closeSync(file.fd);
  }
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

export async function run(command, input = {}, options = {}) {
  const map = Array.isArray(input) ? Object.fromEntries(input) : (input ?? {});
  const parsed = parse(command, Buffer.from(JSON.stringify(map), 'utf8'), 'run()');
  return Object.fromEntries((await execute(command, parsed, options)).pairs);
}

export async function describe(options = {}) {
  return (await call('commands.describe', [], { ...options, env: {} })).map(commandInfo);
}

export function renderOutput(pairs) {
  return logic().finish(pairs, false).line;
}

export const { jobs, files, permissions } = interfaces(call);
