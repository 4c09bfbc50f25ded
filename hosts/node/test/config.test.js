import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkBaseUrl, endpointFromEnv, isLoopback, limitsFromEnv } from '../src/config.js';

const refusal = (f) => assert.throws(f, (e) => e.name === 'HostError') && null;
const message = (f) => {
  try {
    f();
  } catch (e) {
    return e.message;
  }
  assert.fail('accepted');
};

test('base URLs: https anywhere, http only to loopback', () => {
  assert.equal(checkBaseUrl('OPENAI_BASE_URL', 'https://api.openai.com/v1/'), 'https://api.openai.com/v1');
  for (const ok of ['http://127.0.0.1:9/v1', 'http://[::1]:9/v1', 'http://localhost/v1', 'http://127.1.2.3/v1']) {
    assert.equal(checkBaseUrl('OPENAI_BASE_URL', ok), ok);
  }
  assert.equal(
    message(() => checkBaseUrl('OPENAI_BASE_URL', 'http://example.com/v1')),
    'invalid OPENAI_BASE_URL "http://example.com/v1": must use https (plain http is allowed only for loopback addresses such as http://127.0.0.1:8080/v1)',
  );
  for (const bad of ['http://127.0.0.1.example.com/v1', 'ftp://x/v1', 'https://user:pw@x/v1', 'api.openai.com', 'http://0127.0.0.1/v1']) {
    refusal(() => checkBaseUrl('OPENAI_BASE_URL', bad));
  }
  assert.equal(isLoopback('[0:0:0:0:0:0:0:1]:80'), true);
  assert.equal(isLoopback('[::ffff:127.0.0.1]'), false);
});

test('flavours, credentials and their messages come from the environment', () => {
  const azure = endpointFromEnv({ AZURE_OPENAI_ENDPOINT: 'https://res.openai.azure.com/', AZURE_OPENAI_API_KEY: 'azkey' });
  assert.equal(azure.flavor, 'azure');
  assert.equal(azure.base, 'https://res.openai.azure.com/openai/v1');
  assert.deepEqual(azure.project, ['api-key', 'azkey']);
  assert.match(azure.admin.missing, /^checkpoint permissions do not exist on Azure OpenAI \(flavour azure\)/);

  const classic = endpointFromEnv({
    OPENAI_FT_FLAVOR: 'azure-classic',
    AZURE_OPENAI_ENDPOINT: 'https://res.openai.azure.com',
    AZURE_OPENAI_AD_TOKEN: 'jwt',
    OPENAI_API_VERSION: '2025-04-01-preview',
  });
  assert.equal(classic.base, 'https://res.openai.azure.com/openai');
  assert.equal(classic.apiVersion, '2025-04-01-preview');
  assert.deepEqual(classic.project, ['authorization', 'Bearer jwt']);

  assert.match(
    message(() => endpointFromEnv({ OPENAI_FT_FLAVOR: 'azure-classic', AZURE_OPENAI_ENDPOINT: 'https://r' })),
    /^OPENAI_API_VERSION is not set/,
  );
  assert.match(message(() => endpointFromEnv({ OPENAI_FT_FLAVOR: 'azure' })), /^AZURE_OPENAI_ENDPOINT is not set/);
  assert.match(message(() => endpointFromEnv({ OPENAI_FT_FLAVOR: 'bedrock' })), /^invalid OPENAI_FT_FLAVOR "bedrock"/);
  const openai = endpointFromEnv({ OPENAI_BASE_URL: 'https://gateway.example.com/v1', OPENAI_ORG_ID: ' org-1 ' });
  assert.equal(openai.flavor, 'openai');
  assert.equal(openai.organization, 'org-1');
  assert.match(openai.project.missing, /^OPENAI_API_KEY is not set/);
  assert.match(openai.admin.missing, /^OPENAI_ADMIN_KEY is not set/);
  assert.equal(endpointFromEnv({}).base, 'https://api.openai.com/v1');
});

test('the admin key is never the project key, nor the other way round', () => {
  const only = endpointFromEnv({ OPENAI_API_KEY: 'sk-proj' });
  assert.deepEqual(only.project, ['authorization', 'Bearer sk-proj']);
  assert.ok(only.admin.missing);
  const admin = endpointFromEnv({ OPENAI_ADMIN_KEY: 'sk-admin' });
  assert.ok(admin.project.missing);
});

test('timeouts and limits are whole numbers in range, parsed as Rust parses them', () => {
  assert.equal(
    message(() => endpointFromEnv({ OPENAI_FT_TIMEOUT: '0' })),
    'invalid OPENAI_FT_TIMEOUT "0": must be a whole number of seconds 1-86400',
  );
  assert.equal(endpointFromEnv({ OPENAI_FT_TIMEOUT: ' +30 ' }).timeoutMs, 30000);
  assert.equal(endpointFromEnv({ OPENAI_FT_CONNECT_TIMEOUT: '007' }).connectTimeoutMs, 7000);
  assert.deepEqual(limitsFromEnv({}), { memoryMiB: 256, cpuSecs: 300 });
  assert.equal(
    message(() => limitsFromEnv({ OPENAI_FT_MEMORY_LIMIT_MIB: '4097' })),
    'invalid OPENAI_FT_MEMORY_LIMIT_MIB "4097": must be a whole number 1-4096',
  );
  assert.match(message(() => limitsFromEnv({ OPENAI_FT_CPU_LIMIT_SECS: '1e3' })), /must be a whole number 1-86400/);
});
