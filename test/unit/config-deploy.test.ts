// The deployment options as Cohort reads them: --base-url normalized or refused, --trust-proxy as a
// hop count or an address list (never "trust everyone"), the metrics token from a file.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { normalizeBaseUrl, parseTrustProxy } from '../../server/configValues.ts';
import { loadConfig } from '../../server/loadConfig.ts';
import { trustFunction } from '../../server/http/site.ts';

test('--base-url: one spelling for the same prefix, plain path characters only', () => {
  for (const spelling of ['cohort', '/cohort', '/cohort/', 'cohort/', '//cohort//']) assert.equal(normalizeBaseUrl(spelling), '/cohort/');
  assert.equal(normalizeBaseUrl('/'), '/');
  assert.equal(normalizeBaseUrl(''), '/');
  assert.equal(normalizeBaseUrl('/a/b.c_d~e-f/'), '/a/b.c_d~e-f/');
  for (const bad of ['/a b/', '/a/../b/', '/a/./b', '/a?x/', '/a#b/', '/a//b/', '/%2e%2e/', '/"x/']) {
    assert.throws(() => normalizeBaseUrl(bad), /--base-url/, bad);
  }
  assert.equal(loadConfig([], { COHORT_BASE_URL: 'jupyter' }).baseUrl, '/jupyter/');
  assert.equal(loadConfig(['--base-url', '/flag/'], { COHORT_BASE_URL: '/env/' }).baseUrl, '/flag/');
  assert.equal(loadConfig([], {}).baseUrl, '/');
});

test('--trust-proxy: hops or addresses; nothing trusted by default; "true" refused', () => {
  assert.equal(parseTrustProxy('1'), 1);
  assert.deepEqual(parseTrustProxy('loopback, 10.0.0.0/8'), ['loopback', '10.0.0.0/8']);
  assert.throws(() => parseTrustProxy('true'), /hop count or addresses/);
  assert.throws(() => parseTrustProxy('not-an-address'), /--trust-proxy/);
  assert.equal(loadConfig([], {}).trustProxy, 0);
  assert.equal(loadConfig([], { COHORT_TRUST_PROXY: '2' }).trustProxy, 2);

  // Hop 0 is the socket's peer: with one hop trusted, the next address back is the client.
  const oneHop = trustFunction(1);
  assert.equal(oneHop('203.0.113.1', 0), true);
  assert.equal(oneHop('203.0.113.1', 1), false);
  assert.equal(trustFunction(0)('127.0.0.1', 0), false);
  const listed = trustFunction(['10.0.0.0/8']);
  assert.equal(listed('10.1.2.3', 0), true);
  assert.equal(listed('192.0.2.1', 0), false);
});

test('the metrics token from a file (trimmed), a missing or empty file refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-config-'));
  try {
    writeFileSync(join(dir, 'token'), 'from-file\n');
    writeFileSync(join(dir, 'empty'), '\n');
    assert.equal(loadConfig(['--metrics-token-file', join(dir, 'token')], {}).metricsToken, 'from-file');
    assert.equal(loadConfig([], { COHORT_METRICS_TOKEN_FILE: join(dir, 'token') }).metricsToken, 'from-file');
    assert.equal(loadConfig([], { COHORT_METRICS_TOKEN: 'from-env' }).metricsToken, 'from-env');
    assert.equal(loadConfig([], {}).metricsToken, undefined);
    assert.throws(() => loadConfig(['--metrics-token-file', join(dir, 'empty')], {}), /must hold one token on one line/);
    assert.throws(() => loadConfig(['--metrics-token-file', join(dir, 'missing')], {}), /cannot read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
