// Options that take a value with a shape: `--public-url` is an absolute http(s) URL, kept without
// its trailing slash; the flag wins over the environment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../server/config.ts';

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
