// The redaction rule (src/redact.js) and the other phase-2 refusals, with the native host's words.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkBaseUrl, endpointFromEnv } from '../src/config.js';
import { parseInput } from '../src/protocol.js';
import { Redactor } from '../src/redact.js';

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

test('the configuration redacts the credentials in use', () => {
  const e = endpointFromEnv({ OPENAI_API_KEY: 'sk-project-0123456789', OPENAI_ADMIN_KEY: 'sk-admin-0123456789' });
  assert.equal(e.redactor.text('sk-project-0123456789 sk-admin-0123456789'), '[redacted] [redacted]');
  const azure = endpointFromEnv({ AZURE_OPENAI_ENDPOINT: 'https://r.openai.azure.com', AZURE_OPENAI_AD_TOKEN: 'entra-token-0123' });
  assert.equal(azure.redactor.text('Bearer entra-token-0123'), 'Bearer [redacted]');
});

test('a password in a base URL is never repeated', () => {
  assert.throws(() => checkBaseUrl('OPENAI_BASE_URL', 'https://user:hunter2-secret@x/v1'), {
    message:
      'invalid OPENAI_BASE_URL "https://user:[redacted]@x/v1": needs a host and no user, query or fragment; set it to the API base, for example https://api.openai.com/v1',
  });
});

test('input is capped in size and keys', () => {
  const message = (bytes) => {
    try {
      parseInput(Buffer.from(bytes), 'stdin');
    } catch (e) {
      return e.message;
    }
    return assert.fail('accepted');
  };
  assert.equal(
    message(`{"id":"${'x'.repeat(1 << 20)}"}`),
    "invalid input on stdin: larger than 1 MiB; send one JSON object of the command's inputs (a training file goes in by its path)",
  );
  const many = JSON.stringify(Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`k${i}`, ''])));
  assert.equal(
    message(many),
    "invalid input on stdin: 257 keys, more than the 256 accepted; send only the command's inputs (openai-ft <noun> --help lists them)",
  );
});
