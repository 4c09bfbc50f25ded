// The typed API's types, generated from the WIT by crates/host-logic/tests/types.rs; do not edit (regenerate: OPENAI_FT_REGENERATE=1 cargo test -p openai-ft-host-logic --test types).

import type { Options } from '../index.js';

/** A job's status, as the API spelled it. The API documents six values and returns more (`paused`, and on Azure `created`, `pending`, `pausing`, `resuming`); anything unknown arrives as `other`. */
export type JobStatus = 'validating_files' | 'queued' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled' | 'created' | 'pending' | 'pausing' | 'resuming' | (string & {});

/** Why a job failed, as the API reported it. */
export interface JobError {
  /** The API's error code. */
  code: string;
  /** The API's message. */
  message: string;
  /** The input the error concerns, when the API names one. */
  param?: string;
}

/** A fine-tuning job. */
export interface Job {
  /** `ftjob-...`. */
  id: string;
  /** The status. */
  status: JobStatus;
  /** The base model, as the API resolved it. */
  model: string;
  /** The resulting model, once the job succeeded. */
  fineTunedModel?: string;
  /** Creation time, Unix seconds. */
  createdAt: number;
  /** End time, Unix seconds, once terminal. */
  finishedAt?: number;
  /** Billable tokens, once known. */
  trainedTokens?: number;
  /** The API's estimate of the end time, Unix seconds, while running. */
  estimatedFinish?: number;
  /** Why the job failed, when it did. */
  error?: JobError;
}

/** The training methods, each with its own JSONL format. */
export type TrainingMethod = 'supervised' | 'dpo' | 'reinforcement';

/** What validation found in a file that passed. */
export interface Report {
  /** Examples (non-empty lines). */
  examples: number;
  /** The exact token count of the valid examples, with o200k_base and the formula of OpenAI's data-preparation notebook (docs/tokens-and-cost.md, "How tokens are counted"); the `file` commands of the generic entry take a `model` and give every figure. */
  estimatedTokens: number;
  /** The file's size. */
  bytes: number;
  /** Hex SHA-256 of the content. */
  sha256: string;
}

/** An uploaded training file. */
export interface Uploaded {
  /** `file-...`. */
  id: string;
  /** The name it was uploaded under: `{local stem}.{sha256}.jsonl`, the full content hash, by which a later upload of the same bytes finds it. */
  filename: string;
  /** The validation report of its content. */
  report: Report;
}

/** One project's grant on a checkpoint. */
export interface Permission {
  /** The project granted, `proj_...`. */
  projectId: string;
  /** The grant's id, `cp_...`; needed by nothing but support tickets, since revoke looks the grant up by project. */
  permissionId: string;
}

/** What a command is for and what it takes, for `--help`. */
export interface CommandInfo {
  /** `<noun> <verb>`, for example `job read`. */
  name: string;
  /** One line on what it does and when Terraform calls it. */
  summary: string;
  /** The input keys it accepts, required ones first. */
  inputs: string[];
}

/** The WIT error cases, and `host` for the host's own refusals (configuration, limits, traps). */
export type ErrorKind = 'invalid-input' | 'api' | 'denied' | 'timeout' | 'transport' | 'missing-credential' | 'failed' | 'host';

/** What an error carries besides its kind and message, by case. */
export interface ErrorFields {
  /** The input field, for example `hyperparameters.n_epochs`. */
  readonly field?: string;
  /** The offending value; absent when the field is missing. */
  readonly value?: string;
  /** The rule the value breaks, phrased as the fix. */
  readonly rule?: string;
  /** The HTTP status code. */
  readonly status?: number;
  /** `error.type` from the body, when present. */
  readonly type?: string;
  /** `error.code` from the body, when present. */
  readonly code?: string;
  /** `error.param` from the body, when present. */
  readonly param?: string;
  /** The request id the server gave, for support tickets. */
  readonly requestId?: string;
}

/** Fine-tuning jobs, typed. */
export declare const jobs: {
  /** Retrieves one job by id: one request. */
  read(id: string, options?: Options): Promise<Job>;
  /** Cancels a job unless it has finished (then returns it as it is). Never deletes the fine-tuned model. */
  cancel(id: string, options?: Options): Promise<Job>;
  /** Pauses a running job. */
  pause(id: string, options?: Options): Promise<Job>;
  /** Resumes a paused job. */
  resume(id: string, options?: Options): Promise<Job>;
};

/** Training files, typed. Both functions read the file the host granted through `input-file`. */
export declare const files: {
  /** Validates the granted file for `method` (absent: `supervised`); `path` is the file's path, as errors name it. A file with problems is an `invalid-input` error listing them by line. */
  validate(path: string, method?: TrainingMethod, options?: Options): Promise<Report>;
  /** Validates, then uploads the granted file unless the same content is already uploaded. Exactly the validated bytes are sent: a file that changes before the upload ends fails with `failed`, and whatever the server kept of it is deleted. */
  upload(path: string, method?: TrainingMethod, options?: Options): Promise<Uploaded>;
};

/** Checkpoint permissions, typed: which projects may use a fine-tuned model or checkpoint. Every call uses the admin key (`credential.admin`), handles one project at a time so projects not named are never touched, and paces its calls for the admin rate limit. */
export declare const permissions: {
  /** Grants `checkpoint` (`ft:...`) to each of `project-ids`, reusing a grant a project already has; never creates a second grant for a project, even when a create's answer is lost. Returns one permission per project, in the order given. */
  grant(checkpoint: string, projectIds: string[], options?: Options): Promise<Permission[]>;
  /** Every current grant of `checkpoint`, all pages, oldest first. No side effects. */
  read(checkpoint: string, options?: Options): Promise<Permission[]>;
  /** Revokes the grants of `project-ids` on `checkpoint`, each looked up fresh; a project without a grant is not an error. Returns the projects whose grant was removed. */
  revoke(checkpoint: string, projectIds: string[], options?: Options): Promise<string[]>;
};
