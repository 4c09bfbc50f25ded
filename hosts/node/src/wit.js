// The typed interfaces' functions and their parameters, in order; generated from the WIT by crates/host-logic/tests/types.rs; do not edit (regenerate: OPENAI_FT_REGENERATE=1 cargo test -p openai-ft-host-logic --test types).

export const INTERFACES = {
  jobs: {
    read: ['id'],
    cancel: ['id'],
    pause: ['id'],
    resume: ['id'],
  },
  files: {
    validate: ['path', 'method'],
    upload: ['path', 'method'],
  },
  permissions: {
    grant: ['checkpoint', 'projectIds'],
    read: ['checkpoint'],
    revoke: ['checkpoint', 'projectIds'],
  },
};
