// Test helpers: an emulator process on a free loopback port, and paths to the repository's data.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const DATA = `${REPO}tests/data/`;
export const PROJECT_KEY = 'sk-proj-NODETEST-key-01';
export const ADMIN_KEY = 'sk-admin-NODETEST-key-01';

/** Starts an emulator; resolves to `{url, env, fault(rule), stop()}`. */
export async function startEmulator({ stepMs = 600000, flavor = 'openai' } = {}) {
  const bin = process.env.OPENAI_FT_EMULATOR_BIN ?? `${REPO}target/debug/openai-ft-emulator`;
  const child = spawn(bin, ['--listen', '127.0.0.1:0', '--flavor', flavor, '--api-key', PROJECT_KEY,
    '--admin-key', ADMIN_KEY, '--step-ms', String(stepMs)], { stdio: ['ignore', 'pipe', 'ignore'] });
  const first = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', resolve);
    child.once('error', reject);
    setTimeout(() => reject(new Error(`${bin} printed nothing in 20 s`)), 20000).unref();
  });
  const root = first.replace('listening on ', '');
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
