import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkPath, encodeQuery, requestBase } from '../src/http.js';

test('paths stay under the base', () => {
  assert.equal(checkPath('/fine_tuning/jobs/ftjob-1'), null);
  assert.equal(checkPath('/fine_tuning/checkpoints/ft:gpt-4o-mini:org:x:abc/permissions'), null);
  for (const bad of ['fine_tuning', '//evil.com/x', '/a/../b', '/a/%2e%2E/b', '/a?x=1', '/a#b', '/a b', '/a\\b']) {
    assert.match(checkPath(bad), /^the component asked for path ".*", which is not a plain path under the API base$/, bad);
  }
});

test('the query is percent-encoded except for unreserved characters', () => {
  assert.equal(
    encodeQuery([
      ['metadata[k]', 'a b&c'],
      ['limit', '10'],
      ['é', '~-._'],
    ]),
    '?metadata%5Bk%5D=a%20b%26c&limit=10&%C3%A9=~-._',
  );
});

test("a request reaches the configured base, or under Azure the resource's dated API", () => {
  const request = (target) => ({ query: [['limit', '1']], target });
  const classic = { flavor: 'azure-classic', base: 'https://r.openai.azure.com/openai', apiVersion: '2025-04-01-preview' };
  assert.deepEqual(requestBase(classic, request({ tag: 'api' })), {
    base: 'https://r.openai.azure.com/openai',
    query: [['limit', '1'], ['api-version', '2025-04-01-preview']],
  });
  const dated = request({ tag: 'azure-dated', val: '2024-10-21' });
  assert.deepEqual(requestBase(classic, dated), {
    base: 'https://r.openai.azure.com/openai',
    query: [['limit', '1'], ['api-version', '2024-10-21']],
  });
  const v1 = { flavor: 'azure', base: 'https://r.openai.azure.com/openai/v1' };
  assert.deepEqual(requestBase(v1, dated).base, 'https://r.openai.azure.com/openai');
  assert.deepEqual(requestBase(v1, request({ tag: 'api' })), {
    base: 'https://r.openai.azure.com/openai/v1',
    query: [['limit', '1']],
  });
  const openai = { flavor: 'openai', base: 'https://api.openai.com/v1' };
  assert.deepEqual(requestBase(openai, dated), {
    denied: "the component asked for Azure's dated API, which the openai flavour does not have",
  });
});
