// The package as a user gets it: `npm pack`, then `npm install ./openai-ft-*.tgz` in an empty
// folder, then the installed bin and API run `job read` against the emulator.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { startEmulator } from './helpers.js';

const PKG = fileURLToPath(new URL('..', import.meta.url));
let emulator;

before(async () => {
  emulator = await startEmulator();
});
after(() => emulator.stop());

function npm(args, cwd) {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });
  assert.equal(r.status, 0, `npm ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('the packed tarball installs and runs job read', async () => {
  const packs = mkdtempSync(join(tmpdir(), 'openai-ft-pack-'));
  npm(['pack', '--pack-destination', packs], PKG);
  const [tarball] = readdirSync(packs).filter((f) => /^openai-ft-.*\.tgz$/.test(f));
  assert.ok(tarball, readdirSync(packs).join(', '));
  const user = mkdtempSync(join(tmpdir(), 'openai-ft-user-'));
  npm(['install', '--no-audit', '--no-fund', join(packs, tarball)], user);

  // A job to read, made through the installed package's own API.
  const installed = await import(join(user, 'node_modules', 'openai-ft', 'src', 'index.js'));
  const file = await installed.run('file upload', { path: `${PKG}../../tests/data/supervised.jsonl` }, {
    env: emulator.env,
    onProgress: () => {},
  });
  const job = await installed.run('job ensure', { model: 'gpt-4o-mini', training_file: file.id }, {
    env: emulator.env,
    onProgress: () => {},
  });

  const read = spawnSync(join(user, 'node_modules', '.bin', 'openai-ft-node'), ['job', 'read'], {
    input: JSON.stringify({ id: job.id }),
    env: { PATH: process.env.PATH, ...emulator.env },
    encoding: 'utf8',
  });
  assert.equal(read.status, 0, read.stderr);
  const out = JSON.parse(read.stdout);
  assert.equal(out.id, job.id);
  assert.equal(out.status, 'validating_files');
});
