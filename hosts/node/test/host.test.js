// The package against the emulator: the JS API (generic and typed), the bin's protocol, the
// sandbox's limits and grants, and the GitHub Action's entry with a runner's environment.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { main as action } from '../src/action.js';
import { OpenAiFtError, describe, files, jobs, permissions, run } from '../src/index.js';
import { ADMIN_KEY, DATA, PROJECT_KEY, startEmulator, testComponentDir } from './helpers.js';

const BIN = fileURLToPath(new URL('../bin/openai-ft-node.js', import.meta.url));
const PKG = fileURLToPath(new URL('..', import.meta.url));
let emulator;

before(async () => {
  emulator = await startEmulator({ stepMs: 20 });
});
after(() => emulator.stop());

const quiet = () => ({ env: emulator.env, onProgress: () => {} });

function noKeys(...texts) {
  for (const t of texts) for (const key of [PROJECT_KEY, ADMIN_KEY]) assert.ok(!t.includes(key), 'a key leaked');
}

test('run: upload, ensure with wait, read: the flat maps the protocol carries', async () => {
  const progress = [];
  const up = await run('file upload', { path: `${DATA}supervised.jsonl`, training_method: 'supervised' }, {
    env: emulator.env,
    onProgress: (l) => progress.push(l),
  });
  assert.match(up.id, /^file-/);
  assert.equal(up.examples, '12');
  const job = await run(
    'job ensure',
    { model: 'gpt-4o-mini', training_file: up.id, wait: 'true', poll_interval: '0.05' },
    { env: emulator.env, onProgress: (l) => progress.push(l) },
  );
  assert.equal(job.status, 'succeeded');
  assert.deepEqual(Object.keys(job), [...Object.keys(job)].sort());
  assert.ok(progress.some((l) => l.endsWith(`${job.id}: succeeded: ${job.fine_tuned_model}`)), progress.join('\n'));
  noKeys(JSON.stringify(job), progress.join('\n'));

  const typed = await jobs.read(job.id, quiet());
  assert.equal(typed.status, 'succeeded');
  assert.equal(typeof typed.createdAt, 'number');
  assert.equal(typed.fineTunedModel, job.fine_tuned_model);

  const granted = await permissions.grant(job.fine_tuned_model, ['proj_a', 'proj_b'], quiet());
  assert.deepEqual(granted.map((p) => p.projectId), ['proj_a', 'proj_b']);
  assert.deepEqual((await permissions.read(job.fine_tuned_model, quiet())).length, 2);
  assert.deepEqual(await permissions.revoke(job.fine_tuned_model, ['proj_a', 'proj_zzz'], quiet()), ['proj_a']);
});

test('typed errors carry the WIT case and its fields', async () => {
  await assert.rejects(jobs.read('ftjob-doesnotexist000000000', quiet()), (e) => {
    assert.ok(e instanceof OpenAiFtError);
    assert.equal(e.kind, 'api');
    assert.equal(e.status, 404);
    assert.equal(e.code, 'fine_tune_not_found');
    assert.match(e.requestId, /^req_/);
    return true;
  });
  await assert.rejects(run('job ensure', { model: 'gpt-4o-mini', training_file: 'file-x', wait: 'maybe' }, quiet()), {
    kind: 'invalid-input',
    field: 'wait',
    value: 'maybe',
    message: 'invalid wait "maybe": must be "true" or "false"',
  });
  await assert.rejects(run('permissions read', { checkpoint: 'ft:gpt-4o-mini:o::abc' }, { env: { ...emulator.env, OPENAI_ADMIN_KEY: '' } }), {
    kind: 'missing-credential',
  });
  await assert.rejects(run('job list', {}, { env: { OPENAI_BASE_URL: 'http://example.com/v1' } }), {
    kind: 'host',
    message: 'invalid OPENAI_BASE_URL "http://example.com/v1": must use https (plain http is allowed only for loopback addresses such as http://127.0.0.1:8080/v1)',
  });
});

test('files: only the granted file is readable, and a bad one names its lines', async () => {
  const report = await files.validate(`${DATA}dpo.jsonl`, 'dpo', quiet());
  assert.equal(typeof report.bytes, 'number');
  assert.match(report.sha256, /^[0-9a-f]{64}$/);
  await assert.rejects(files.validate(`${DATA}supervised_broken.jsonl`, 'supervised', quiet()), { kind: 'invalid-input' });
  await assert.rejects(files.validate(`${DATA}absent.jsonl`, 'supervised', quiet()), {
    kind: 'host',
    message: `invalid path "${DATA}absent.jsonl": cannot be read (No such file or directory (os error 2)); set path to a readable local JSONL file`,
  });
  await assert.rejects(files.validate(DATA, 'supervised', quiet()), {
    kind: 'host',
    message: `invalid path "${DATA}": cannot read ${DATA}: not a regular file; set path to a readable local JSONL file`,
  });
});

test('the guest is stopped past its CPU time and its memory, with the native messages', async () => {
  const lines = [];
  const env = { OPENAI_FT_CPU_LIMIT_SECS: '1', OPENAI_FT_MEMORY_LIMIT_MIB: '32', RUST_BACKTRACE: 'full' };
  const options = { env, component: await testComponentDir(), onProgress: (l) => lines.push(l) };
  await assert.rejects(run('selftest cpu', {}, options), {
    kind: 'host',
    message: 'the component used more than 1 s of CPU time and was stopped; raise OPENAI_FT_CPU_LIMIT_SECS if the input is legitimately this large',
  });
  await assert.rejects(run('selftest memory', {}, options), {
    kind: 'host',
    message: 'the component exceeded its memory limit of 32 MiB and was stopped; raise OPENAI_FT_MEMORY_LIMIT_MIB if the input is legitimately this large',
  });
  // Nothing from the guest: a guest that could see RUST_BACKTRACE would print a backtrace.
  assert.deepEqual(lines, []);
});

test('the guest sees no environment, arguments or folder, though the keys are in process.env', async () => {
  const saved = { ...process.env };
  Object.assign(process.env, emulator.env, { AZURE_OPENAI_API_KEY: ADMIN_KEY, RUST_BACKTRACE: 'full' });
  const lines = [];
  try {
    // Without the `env` option: the host reads process.env, as the bin and the Action do.
    const seen = await run('selftest env', {}, { component: await testComponentDir(), onProgress: (l) => lines.push(l) });
    assert.deepEqual(seen, { arguments: '', environment: '', initial_cwd: '' });
    noKeys(JSON.stringify(seen));
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
  assert.deepEqual(lines, []);
});

test('the packaged component has no runaway command', async () => {
  for (const which of ['cpu', 'memory', 'env']) {
    await assert.rejects(run(`selftest ${which}`, {}, quiet()), (e) => {
      assert.equal(e.kind, 'failed');
      assert.ok(e.message.startsWith(`unknown command "selftest ${which}": expected one of: job ensure, `), e.message);
      assert.ok(!e.message.slice(e.message.indexOf(':')).includes('selftest'), e.message);
      return true;
    });
  }
  assert.ok(!(await describe()).some((c) => c.name.startsWith('selftest')));
});

test('describe lists every command with its inputs', async () => {
  const names = (await describe()).map((c) => c.name);
  for (const name of ['job read', 'job ensure', 'file upload', 'permissions grant']) assert.ok(names.includes(name), name);
});

function bin(args, { input, env = {} } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    input,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  noKeys(r.stdout, r.stderr);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the bin speaks the protocol: stdin or OPENAI_FT_INPUT in, one line out, one line on error', () => {
  const list = bin(['job', 'list'], { input: '{"limit":"1"}', env: emulator.env });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^\{"count":"\d+","jobs":".*"\}\n$/);
  const local = bin(['job', 'list'], { env: { ...emulator.env, OPENAI_FT_INPUT: '{"limit":"1"}' } });
  assert.equal(local.stdout, list.stdout);
  const missing = bin(['job', 'read'], { input: '{"id":"ftjob-doesnotexist000000000"}', env: emulator.env });
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, '');
  assert.match(missing.stderr, /^openai-ft: api error 404 invalid_request_error \(fine_tune_not_found\): .*\(request id req_[0-9a-f]+\)\n$/);
  const usage = bin([]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /^usage: openai-ft-node/);
  assert.equal(bin(['nope', '--help']).stderr, 'openai-ft: unknown noun "nope"; run openai-ft --help for the commands\n');
  assert.match(bin(['--version']).stdout, /^openai-ft-node 0\.1\.0 \(wit openai:fine-tuning@0\.4\.0, node /);
});

test('the Action runs a command from INPUT_* and writes every output to GITHUB_OUTPUT', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'openai-ft-action-'));
  const output = join(dir, 'output');
  const log = [];
  const env = {
    ...emulator.env,
    GITHUB_OUTPUT: output,
    INPUT_COMMAND: 'file validate',
    INPUT_INPUT: '{"training_method":"dpo"}',
    INPUT_PATH: `${DATA}dpo.jsonl`,
    INPUT_ID: '',
  };
  assert.equal(await action(env, (l) => log.push(l)), 0, log.join('\n'));
  const written = readFileSync(output, 'utf8');
  const outputs = Object.fromEntries(
    [...written.matchAll(/^([a-z0-9_]+)<<(ghadelimiter_[0-9a-f-]+)\n([\s\S]*?)\n\2\n/gm)].map((m) => [m[1], m[3]]),
  );
  assert.equal(outputs.training_method, 'dpo');
  assert.match(outputs.sha256, /^[0-9a-f]{64}$/);
  assert.equal(log.at(-1), `openai-ft: file validate: ${Object.keys(outputs).length} outputs`);
  assert.ok(Object.keys(outputs).length > 20, 'the token figures too');

  const failing = [];
  const code = await action({ ...emulator.env, GITHUB_OUTPUT: output, INPUT_COMMAND: 'job read', INPUT_ID: 'bad id' }, (l) =>
    failing.push(l),
  );
  assert.equal(code, 1);
  assert.match(failing.at(-1), /^::error::invalid id "bad id": /);
});

test('the Action run from a ref without dist/ fails with one ::error:: line saying why', () => {
  // What GitHub runs for `uses: owner/repo/hosts/node@ref`: the checkout as it is, no build step.
  const checkout = mkdtempSync(join(tmpdir(), 'openai-ft-checkout-'));
  for (const item of ['src', 'types', 'action.yml', 'package.json']) cpSync(join(PKG, item), join(checkout, item), { recursive: true });
  const r = spawnSync(process.execPath, [join(checkout, 'src', 'action.js')], {
    env: { PATH: process.env.PATH, ...emulator.env, GITHUB_OUTPUT: join(checkout, 'output'), INPUT_COMMAND: 'job list' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(
    r.stdout,
    `::error::the transpiled component is missing (no ${join(checkout, 'dist', 'host-logic', 'component.json')}): use a release of the package or the Action, which carries dist/, or run npm run build in hosts/node\n`,
  );
  noKeys(r.stdout, r.stderr);
});

test('action.yml declares exactly the inputs the commands take', async () => {
  const { declaredInputs } = await import('../src/action.js');
  const keys = new Set();
  for (const c of await describe()) {
    for (const i of c.inputs) for (const t of i.split(' | ')) if (/^[a-z_]+$/.test(t)) keys.add(t);
  }
  // `output` asks a bin for one summary line instead of the map; the Action always writes the map.
  keys.delete('output');
  assert.deepEqual(declaredInputs().sort(), [...keys].sort());
  assert.match(readFileSync(new URL('../action.yml', import.meta.url), 'utf8'), /^ {2}using: node24$/m);
});
