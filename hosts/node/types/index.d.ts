// Types of the openai-ft Node API (src/index.js): the typed exports' types are generated from the
// WIT (wit.d.ts, beside this file); this file declares what the host adds around them.

import type { CommandInfo, ErrorFields, ErrorKind } from './wit.js';

export * from './wit.js';

/** Where the host reads its configuration and keys, and where the guest's progress lines go. */
export interface Options {
  /** The environment the host reads its configuration and keys from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Called with each progress line the guest prints (`openai-ft: ...`); default: stderr. */
  onProgress?: (line: string) => void;
  /** A folder holding a transpiled component (default: the packaged one). */
  component?: string | URL;
}

/** Why a call failed; `message` is the one line the CLI prints after `openai-ft: `. */
export interface OpenAiFtError extends ErrorFields {}
export class OpenAiFtError extends Error {
  readonly kind: ErrorKind;
}

/** A flat map of strings, as Terraform's protocol carries it; null and undefined mean absent. */
export type Input = Record<string, string | null | undefined> | Array<[string, string]>;

/** Runs `<noun> <verb>` and resolves to the output map (keys in byte order). */
export function run(command: string, input?: Input, options?: Options): Promise<Record<string, string>>;

/** Loads and compiles the component now rather than at the first call. */
export function load(options?: Options): void;

/** Every command the component offers. */
export function describe(options?: Options): Promise<CommandInfo[]>;

/** Renders output pairs as the CLI prints them. */
export function renderOutput(pairs: Array<[string, string]>): string;

/** A refusal by the host itself, before or around the guest. */
export class HostError extends Error {}
