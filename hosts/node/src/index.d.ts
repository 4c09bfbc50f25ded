// Types of the openai-ft Node API (src/index.js). Numbers where the WIT has u64: every value the
// component returns (Unix seconds, token and byte counts) is far below 2^53.

/** Where the guest's progress lines go; the default writes them to stderr. */
export interface Options {
  /** The environment the host reads its configuration and keys from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Called with each progress line the guest prints (`openai-ft: ...`). */
  onProgress?: (line: string) => void;
  /** A folder holding a transpiled component (default: the packaged one). */
  component?: string | URL;
}

/** The WIT error cases, and `host` for the host's own refusals (configuration, limits, traps). */
export type ErrorKind =
  | 'invalid-input'
  | 'api'
  | 'denied'
  | 'timeout'
  | 'transport'
  | 'missing-credential'
  | 'failed'
  | 'host';

/** Why a call failed; `message` is the one line the CLI prints after `openai-ft: `. */
export class OpenAiFtError extends Error {
  readonly kind: ErrorKind;
  /** invalid-input: the input field, its value and the rule it breaks. */
  readonly field?: string;
  readonly value?: string;
  readonly rule?: string;
  /** api: the HTTP status, `error.type`, `error.code`, `error.param` and the request id. */
  readonly status?: number;
  readonly type?: string;
  readonly code?: string;
  readonly param?: string;
  readonly requestId?: string;
}

/** A flat map of strings, as Terraform's protocol carries it; null and undefined mean absent. */
export type Input = Record<string, string | null | undefined> | Array<[string, string]>;

/** Runs `<noun> <verb>` and resolves to the output map (keys in byte order). */
export function run(command: string, input?: Input, options?: Options): Promise<Record<string, string>>;

/** Loads and compiles the component now rather than at the first call. */
export function load(options?: Options): void;

export interface CommandInfo {
  name: string;
  summary: string;
  inputs: string[];
}

/** Every command the component offers. */
export function describe(options?: Options): Promise<CommandInfo[]>;

/** A job's status as the API spells it; a status this version does not know arrives as is. */
export type JobStatus =
  | 'validating_files'
  | 'queued'
  | 'running'
  | 'paused'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'created'
  | 'pending'
  | 'pausing'
  | 'resuming'
  | (string & {});

export interface JobError {
  code: string;
  message: string;
  param?: string;
}

export interface Job {
  id: string;
  status: JobStatus;
  model: string;
  fineTunedModel?: string;
  /** Unix seconds. */
  createdAt: number;
  finishedAt?: number;
  trainedTokens?: number;
  estimatedFinish?: number;
  error?: JobError;
}

export const jobs: {
  read(id: string, options?: Options): Promise<Job>;
  cancel(id: string, options?: Options): Promise<Job>;
  pause(id: string, options?: Options): Promise<Job>;
  resume(id: string, options?: Options): Promise<Job>;
};

export type TrainingMethod = 'supervised' | 'dpo' | 'reinforcement';

export interface Report {
  examples: number;
  estimatedTokens: number;
  bytes: number;
  sha256: string;
}

export interface Uploaded {
  id: string;
  filename: string;
  report: Report;
}

/** `path` is the one local file the call is granted. */
export const files: {
  validate(path: string, method?: TrainingMethod, options?: Options): Promise<Report>;
  upload(path: string, method?: TrainingMethod, options?: Options): Promise<Uploaded>;
};

export interface Permission {
  projectId: string;
  permissionId: string;
}

/** Every call uses OPENAI_ADMIN_KEY. */
export const permissions: {
  grant(checkpoint: string, projectIds: string[], options?: Options): Promise<Permission[]>;
  read(checkpoint: string, options?: Options): Promise<Permission[]>;
  revoke(checkpoint: string, projectIds: string[], options?: Options): Promise<string[]>;
};

/** Renders output pairs as the CLI prints them. */
export function renderOutput(pairs: Array<[string, string]>): string;

/** A refusal by the host itself, before or around the guest. */
export class HostError extends Error {}
