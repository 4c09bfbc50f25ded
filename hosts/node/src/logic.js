// The host logic (HOST.md, "The host logic"): everything this host decides that is not a
// capability, from the Rust crate every host shares, loaded once on the main thread as the
// transpiled component in dist/host-logic. It imports nothing and never sees a secret.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A refusal by the host itself (configuration, input, limits): one line, as every host words it. */
export class HostError extends Error {
  constructor(message) {
    super(message);
    this.name = 'HostError';
  }
}

/** Where the build puts the transpiled components inside the package. */
export const DIST = new URL('../dist/', import.meta.url);

/**
 * A transpiled component's folder is missing (a git checkout without a build, or an Action ref
 * that is not a release; hosts/node/README.md): the one message the logic cannot give.
 */
export class MissingBuild extends HostError {
  constructor(manifest) {
    super(
      `the transpiled component is missing (no ${fileURLToPath(manifest)}): use a release of the package or the Action, which carries dist/, or run npm run build in hosts/node`,
    );
  }
}

/** The transpiled component in `dir`: its ES module's URL and its core modules' bytes. */
export function readComponent(dir) {
  const manifest = new URL('component.json', dir);
  if (!existsSync(manifest)) throw new MissingBuild(manifest);
  const { js, cores } = JSON.parse(readFileSync(manifest, 'utf8'));
  return { url: new URL(js, dir).href, cores: cores.map((name) => [name, readFileSync(new URL(name, dir))]) };
}

let loaded;
try {
  const { url, cores } = readComponent(new URL('host-logic/', DIST));
  const modules = Object.fromEntries(cores.map(([name, bytes]) => [name, new WebAssembly.Module(bytes)]));
  loaded = (await import(url)).instantiate((name) => modules[name], {}).hostLogic;
} catch (e) {
  loaded = e;
}

/** The host logic's functions (wit/host-logic.wit), camel-cased; a HostError if it is not built. */
export function logic() {
  if (loaded instanceof Error) throw loaded instanceof HostError ? loaded : new HostError(loaded.message);
  return loaded;
}

/** Runs a result-returning logic function; its refusal becomes a HostError. */
export function refusal(fn) {
  try {
    return fn();
  } catch (e) {
    throw e?.payload === undefined ? e : new HostError(e.payload);
  }
}

/** This host's binary, as the logic's command line names it. */
export const PROGRAM = { name: 'openai-ft-node', runtime: `node ${process.versions.node}`, native: false };
