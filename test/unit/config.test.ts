// Options that take a value with a shape: `--public-url` is an absolute http(s) URL, kept without
// its trailing slash; the flag wins over the environment. A secret (the kernel gateway's token)
// never comes from the command line.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../server/loadConfig.ts';

test('--public-url: flag over environment, trailing slash dropped, nonsense refused', () => {
  assert.equal(loadConfig([], {}).publicUrl, undefined);
  assert.equal(loadConfig([], { COHORT_PUBLIC_URL: 'http://10.0.0.5:8888/' }).publicUrl, 'http://10.0.0.5:8888');
  assert.equal(
    loadConfig(['--public-url', 'https://class.example.org/cohort/'], { COHORT_PUBLIC_URL: 'http://other' }).publicUrl,
    'https://class.example.org/cohort',
  );
  assert.throws(() => loadConfig(['--public-url', 'class.example.org'], {}), /absolute http\(s\) URL/);
  assert.throws(() => loadConfig(['--public-url', 'ftp://class.example.org'], {}), /http\(s\) URL/);
  assert.throws(() => loadConfig(['--public-url', 'https://x.org/?a=1'], {}), /query/);
});

test('--kernel-gateway-url and its token: URL checked; token from the environment or a file, never the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-config-'));
  try {
    assert.equal(loadConfig([], {}).kernelGatewayUrl, undefined);
    assert.equal(loadConfig([], { COHORT_KERNEL_GATEWAY_URL: 'http://eg.example:8888/' }).kernelGatewayUrl, 'http://eg.example:8888');
    assert.equal(loadConfig(['--kernel-gateway-url', 'https://eg.example/gateway'], {}).kernelGatewayUrl, 'https://eg.example/gateway');
    assert.throws(() => loadConfig(['--kernel-gateway-url', 'eg.example'], {}), /absolute http\(s\) URL/);
    assert.equal(loadConfig([], { COHORT_KERNEL_GATEWAY_TOKEN: 's3cret' }).kernelGatewayToken, 's3cret');
    const file = join(dir, 'token');
    writeFileSync(file, 'from-file\n');
    assert.equal(loadConfig(['--kernel-gateway-token-file', file], {}).kernelGatewayToken, 'from-file');
    assert.throws(() => loadConfig(['--kernel-gateway-token', 's3cret'], {}), /not accepted on the command line.*COHORT_KERNEL_GATEWAY_TOKEN/);
    assert.throws(() => loadConfig(['--kernel-gateway-token=s3cret'], {}), /not accepted on the command line/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
