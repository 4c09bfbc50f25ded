import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkPath, encodeQuery } from '../src/http.js';

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
