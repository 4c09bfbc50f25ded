// The host's side of the configuration: the logic (Rust, tested there) decides, this host masks
// the secrets it hands over and completes the credential headers with them.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { configure } from '../src/config.js';
import { run } from '../src/index.js';
import { logic } from '../src/logic.js';

test('secrets reach the logic masked and come back trimmed into the header and the redactor', () => {
  const seen = [];
  const real = logic().configure;
  logic().configure = (env) => (seen.push(...env), real(env));
  try {
    const config = configure({ OPENAI_API_KEY: ' sk-proj-\u00e9123456\n', OPENAI_BASE_URL: 'https://gw.example/v1', HOME: '/x' });
    assert.deepEqual(seen, [['OPENAI_BASE_URL', 'https://gw.example/v1'], ['OPENAI_API_KEY', ` ${'*'.repeat(15)}\n`]]);
    assert.equal(config.endpoint.project.tag, 'header');
    assert.deepEqual(config.header(config.endpoint.project.val), ['authorization', 'Bearer sk-proj-\u00e9123456']);
    assert.equal(config.redactor.text('key sk-proj-\u00e9123456!'), 'key [redacted]!');
  } finally {
    logic().configure = real;
  }
});

test('a refusal never shows a secret that is set, wherever it was pasted', () => {
  const key = 'sk-proj-pasted-0123456789';
  assert.throws(() => configure({ OPENAI_API_KEY: key, OPENAI_FT_FLAVOR: key }), {
    name: 'HostError',
    message: 'invalid OPENAI_FT_FLAVOR "[redacted]": must be openai, azure or azure-classic (unset, it is azure when AZURE_OPENAI_ENDPOINT is set)',
  });
});

test('run() applies the bins\' input caps', async () => {
  const many = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, '']));
  await assert.rejects(run('job read', many, { env: {} }), {
    kind: 'host',
    message: "invalid input on run(): 257 keys, more than the 256 accepted; send only the command's inputs (openai-ft <noun> --help lists them)",
  });
  await assert.rejects(run('job read', { id: 'x'.repeat(1 << 20) }, { env: {} }), {
    kind: 'host',
    message: "invalid input on run(): larger than 1 MiB; send one JSON object of the command's inputs (a training file goes in by its path)",
  });
  await assert.rejects(run('job read', { id: 3 }, { env: {} }), {
    kind: 'host',
    message: 'invalid input "id" on run(): expected a string, got a number; pass structured values through jsonencode() and numbers as strings',
  });
});
