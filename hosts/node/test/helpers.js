// Test helpers: an emulator process on a free loopback port, the test component (runaway and
// introspection commands, never shipped) transpiled for this package, and paths to the
// repository's data.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { transpileComponent } from '../scripts/build.mjs';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const DATA = `${REPO}tests/data/`;
export const PROJECT_KEY = 'sk-proj-NODETEST-key-01';
export const ADMIN_KEY = 'sk-admin-NODETEST-key-01';

/**
 * Starts an emulator; resolves to `{url, env, fault(rule), stop()}`. It writes its address to a
 * ready file once it listens (`--ready-file`), polled here for at most 20 s.
 */
export async function startEmulator({ stepMs = 600000, flavor = 'openai' } = {}) {
  const bin = process.env.OPENAI_FT_EMULATOR_BIN ?? `${REPO}target/debug/openai-ft-emulator`;
  const folder = mkdtempSync(join(tmpdir(), 'openai-ft-emulator-'));
  const ready = join(folder, 'ready');
  const child = spawn(bin, ['--listen', '127.0.0.1:0', '--ready-file', ready, '--flavor', flavor,
    '--api-key', PROJECT_KEY, '--admin-key', ADMIN_KEY, '--step-ms', String(stepMs)], { stdio: 'ignore' });
  let failed = null;
  child.once('error', (e) => { failed = e; });
  child.once('exit', (code) => { failed ??= new Error(`${bin} exited with status ${code} before it listened`); });
  let root = null;
  try {
    for (const deadline = Date.now() + 20000; root === null; ) {
      if (failed) throw failed;
      if (existsSync(ready)) root = readFileSync(ready, 'utf8').trim();
      else if (Date.now() > deadline) throw new Error(`${bin} did not listen within 20 s`);
      else await new Promise((r) => setTimeout(r, 20));
    }
  } catch (e) {
    child.kill();
    throw e;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  const url = `${root}/v1`;
  return {
    url,
    env: { OPENAI_BASE_URL: url, OPENAI_API_KEY: PROJECT_KEY, OPENAI_ADMIN_KEY: ADMIN_KEY },
    async fault(rule) {
      await fetch(`${root}/_emulator/faults`, { method: 'POST', body: JSON.stringify(rule) });
    },
    stop() {
      child.kill();
    },
  };
}

let testComponent = null;

/**
 * The test component (`crates/test-component`: `selftest cpu|memory|env`) transpiled like the
 * package's own, for the `component` option; written out by the test-only native host that
 * `cargo test` (or tests/conformance/prepare) builds. Transpiled once per test process.
 */
export async function testComponentDir() {
  if (testComponent) return testComponent;
  const host = process.env.OPENAI_FT_TEST_HOST_BIN ?? `${REPO}target/debug/examples/openai-ft-test-host`;
  if (!existsSync(host)) {
    throw new Error(`${host} not found: run tests/conformance/prepare (or cargo build -p openai-ft --example openai-ft-test-host)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'openai-ft-test-component-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const wasm = join(dir, 'test-component.wasm');
  writeFileSync(wasm, execFileSync(host, ['component'], { maxBuffer: 64 << 20 }));
  await transpileComponent(wasm, join(dir, 'transpiled'));
  testComponent = join(dir, 'transpiled');
  return testComponent;
}
