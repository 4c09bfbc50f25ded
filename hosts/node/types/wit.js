// The typed API over the component's exports and its conversions from the values jco gives;
// generated from the WIT by crates/host-logic/tests/types.rs; do not edit (regenerate: OPENAI_FT_REGENERATE=1 cargo test -p openai-ft-host-logic --test types).

/**
 * The typed interfaces over `call(exportName, args, options, grant)`, which resolves to the WIT
 * value (`grant`: the path of the one file the call may read).
 */
export function interfaces(call) {
  return {
    jobs: {
      read: async (id, options = {}) => job(await call('jobs.read', [id], options)),
      cancel: async (id, options = {}) => job(await call('jobs.cancel', [id], options)),
      pause: async (id, options = {}) => job(await call('jobs.pause', [id], options)),
      resume: async (id, options = {}) => job(await call('jobs.resume', [id], options)),
    },
    files: {
      validate: async (path, method, options = {}) => report(await call('files.validate', [path, method], options, path)),
      upload: async (path, method, options = {}) => uploaded(await call('files.upload', [path, method], options, path)),
    },
    permissions: {
      grant: async (checkpoint, projectIds, options = {}) => (await call('permissions.grant', [checkpoint, projectIds], options)).map(permission),
      read: async (checkpoint, options = {}) => (await call('permissions.read', [checkpoint], options)).map(permission),
      revoke: async (checkpoint, projectIds, options = {}) => await call('permissions.revoke', [checkpoint, projectIds], options),
    },
  };
}

/** A WIT `error`'s message and fields, as `OpenAiFtError` carries them. */
export function errorFields(e) {
  switch (e.tag) {
    case 'invalid-input':
      return { message: e.val.message, field: e.val.field, value: e.val.value, rule: e.val.rule };
    case 'api':
      return { message: e.val.message, status: e.val.status, type: e.val.kind, code: e.val.code, param: e.val.param, requestId: e.val.requestId };
    default:
      return { message: e.val };
  }
}

export function jobStatus(v) {
  return v.tag === 'other' ? v.val : v.tag.replaceAll('-', '_');
}

export function jobError(v) {
  return { code: v.code, message: v.message, param: v.param };
}

export function job(v) {
  return { id: v.id, status: jobStatus(v.status), model: v.model, fineTunedModel: v.fineTunedModel, createdAt: Number(v.createdAt), finishedAt: v.finishedAt === undefined ? undefined : Number(v.finishedAt), trainedTokens: v.trainedTokens === undefined ? undefined : Number(v.trainedTokens), estimatedFinish: v.estimatedFinish === undefined ? undefined : Number(v.estimatedFinish), error: v.error === undefined ? undefined : jobError(v.error) };
}

export function report(v) {
  return { examples: Number(v.examples), estimatedTokens: Number(v.estimatedTokens), bytes: Number(v.bytes), sha256: v.sha256 };
}

export function uploaded(v) {
  return { id: v.id, filename: v.filename, report: report(v.report) };
}

export function permission(v) {
  return { projectId: v.projectId, permissionId: v.permissionId };
}

export function commandInfo(v) {
  return { name: v.name, summary: v.summary, inputs: v.inputs };
}
