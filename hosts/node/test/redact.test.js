// The redaction rule (src/config.js): every secret, as it is and as JSON spells it.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Redactor, configure } from '../src/config.js';

test('every occurrence of every secret goes; short ones are left alone', () => {
  const r = new Redactor(['sk-proj-0123456789', 'sk-admin-abcdefgh', 'abc', '1234567']);
  assert.equal(
    r.text('Bearer sk-proj-0123456789 and sk-admin-abcdefgh, sk-proj-0123456789! abc 1234567'),
    'Bearer [redacted] and [redacted], [redacted]! abc 1234567',
  );
  assert.equal(r.bytes(Buffer.from('x sk-admin-abcdefgh y')).toString(), 'x [redacted] y');
  assert.deepEqual(r.deep([['k', 'v sk-proj-0123456789'], { m: ['sk-admin-abcdefgh'], n: 1n }]), [
    ['k', 'v [redacted]'],
    { m: ['[redacted]'], n: 1n },
  ]);
});

test('a secret JSON would escape is replaced in its escaped form and JSON stays valid', () => {
  const secret = 'key/with"quote\\and-é';
  const r = new Redactor([secret]);
  for (const body of [
    JSON.stringify({ error: { message: `bad key ${secret}` } }),
    '{"error":{"message":"bad key key\\/with\\"quote\\\\and-\\u00e9"}}',
  ]) {
    assert.equal(JSON.parse(r.text(body)).error.message, 'bad key [redacted]', body);
  }
});

test('the configuration redacts every credential set', () => {
  const e = configure({ OPENAI_API_KEY: 'sk-project-0123456789', OPENAI_ADMIN_KEY: 'sk-admin-0123456789', AZURE_OPENAI_AD_TOKEN: 'entra-token-0123' });
  assert.equal(e.redactor.text('sk-project-0123456789 sk-admin-0123456789 entra-token-0123'), '[redacted] [redacted] [redacted]');
});
