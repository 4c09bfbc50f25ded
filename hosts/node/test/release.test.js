// The release procedure (scripts/release-dist) in a scratch repository laid out like this one:
// the tag it makes carries hosts/node/dist/ with the transpiled component and the runtime
// dependencies (node_modules, without the development ones), the branch and the
// work tree are left as they were, and a tag that does not match the package version is refused.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { REPO } from './helpers.js';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1',
};

function git(cwd, ...args) {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' }).trim();
}

test('release-dist tags a commit carrying dist/ and leaves the branch alone', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'openai-ft-release-'));
  const repo = join(scratch, 'repo');
  const node = join(repo, 'hosts', 'node');
  mkdirSync(node, { recursive: true });
  for (const item of ['package.json', 'package-lock.json', '.gitignore', 'action.yml', 'src', 'types', 'scripts']) {
    cpSync(join(PKG, item), join(node, item), { recursive: true });
  }
  symlinkSync(join(PKG, 'node_modules'), join(node, 'node_modules'));
  git(repo, 'init', '--quiet', '--initial-branch=main');
  // .gitignore's `node_modules/` does not match a link: keep the link out of the scratch commits.
  writeFileSync(join(repo, '.git', 'info', 'exclude'), 'hosts/node/node_modules\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '--quiet', '-m', 'the main line, without dist/');
  const main = git(repo, 'rev-parse', 'HEAD');
  const wasm = join(scratch, 'openai-ft.wasm');
  const native = process.env.OPENAI_FT_BIN ?? `${REPO}target/debug/openai-ft`;
  writeFileSync(wasm, execFileSync(native, ['component'], { maxBuffer: 64 << 20 }));
  const hostLogic = join(scratch, 'openai-ft-host-logic.wasm');
  writeFileSync(hostLogic, execFileSync(native, ['component', 'host-logic']));
  const script = join(node, 'scripts', 'release-dist');
  const env = { ...GIT_ENV, OPENAI_FT_COMPONENT: wasm, OPENAI_FT_HOST_LOGIC: hostLogic };

  const wrong = spawnSync(script, ['v9.9.9'], { cwd: repo, env, encoding: 'utf8' });
  assert.equal(wrong.status, 1);
  assert.equal(
    wrong.stderr,
    'release-dist: error: tag "v9.9.9" does not match hosts/node/package.json version 0.1.0: use v0.1.0\n',
  );

  const r = spawnSync(script, ['v0.1.0'], { cwd: repo, env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /tagged v0\.1\.0 \([0-9a-f]+\) with hosts\/node\/dist; publish it with: git push origin v0\.1\.0\n$/);
  const files = git(repo, 'ls-tree', '-r', '--name-only', 'v0.1.0', '--', 'hosts/node/dist').split('\n');
  assert.ok(files.includes('hosts/node/dist/component/component.json'), files.join(', '));
  assert.ok(files.includes('hosts/node/dist/host-logic/component.json'), files.join(', '));
  assert.ok(files.some((f) => f.endsWith('.core.wasm')), files.join(', '));
  // The Action signs in with @azure/identity, which GitHub does not install: the tag carries it,
  // and no development dependency.
  const modules = git(repo, 'ls-tree', '--name-only', 'v0.1.0:hosts/node/node_modules/@azure').split('\n');
  assert.ok(modules.includes('identity'), modules.join(', '));
  const top = git(repo, 'ls-tree', '--name-only', 'v0.1.0:hosts/node/node_modules').split('\n');
  assert.ok(!top.includes('typescript') && !top.includes('@bytecodealliance'), top.join(', '));
  assert.equal(git(repo, 'rev-parse', 'v0.1.0^{commit}^'), main);
  assert.equal(git(repo, 'rev-parse', 'HEAD'), main);
  assert.equal(git(repo, 'status', '--porcelain'), '');
  assert.equal(git(repo, 'worktree', 'list').split('\n').length, 1);

  const again = spawnSync(script, ['v0.1.0'], { cwd: repo, env, encoding: 'utf8' });
  assert.equal(again.stderr, 'release-dist: error: tag "v0.1.0" exists already\n');
  rmSync(scratch, { recursive: true, force: true });
});
