// Cohort deployed as the README says: behind a real nginx (the shipped deploy/nginx/cohort.conf),
// TLS with a self-signed certificate made here by openssl, under https://127.0.0.1:<port>/cohort/,
// Cohort started with --base-url /cohort/ --trust-proxy 1.
//  - The browser tests of co-editing, running, widgets and live sessions run once more through it
//    (each file in its own test process, with COHORT_E2E_NGINX=1; see fixture.ts).
//  - The join rate limit counts per client address behind the proxy: two clients, connecting to
//    nginx from 127.0.0.1 and 127.0.0.2, are limited apart, and a client's own X-Forwarded-For
//    changes nothing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { projectRoot } from '../../server/config.ts';
import { httpsRequest, makeCertificate, startNginx, type Certificate, type Nginx } from '../helpers/nginx.ts';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.ts';

const work = tempDir('cohort-behind-nginx-');
const certificate: Certificate = makeCertificate(work);
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs one browser test file through nginx in its own test process; resolves with its report. */
function runBehindNginx(file: string): Promise<{ code: number | null; output: string }> {
  // The runner marks its test processes; without this, the child would think it is one and skip its file.
  const { NODE_TEST_CONTEXT: _runnerMark, ...env } = process.env;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=300000', file],
    {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...env,
        COHORT_E2E_NGINX: '1',
        COHORT_E2E_NGINX_CERT: certificate.cert,
        COHORT_E2E_NGINX_KEY: certificate.key,
        // Node's fetch in the tests (REST set-up through nginx) trusts the test certificate.
        NODE_EXTRA_CA_CERTS: certificate.cert,
      },
    },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

const BROWSER_TESTS = [
  ['test/e2e/collab.test.ts', 'sign-in and co-editing'],
  ['test/e2e/run.test.ts', 'running cells'],
  ['test/e2e/widgets.test.ts', 'widgets'],
  ['test/e2e/classroom.test.ts', 'live-session join and its rate limit'],
] as const;

for (const [file, what] of BROWSER_TESTS) {
  test(`behind nginx at https://127.0.0.1:<port>/cohort/: ${what} (${file})`, { timeout: 12 * 60_000 }, async () => {
    const { code, output } = await runBehindNginx(file);
    assert.equal(code, 0, `${file} failed behind nginx:\n${output}`);
    assert.match(output, /ℹ fail 0/, output);
    const passed = Number(/ℹ pass (\d+)/.exec(output)?.[1] ?? 0);
    assert.ok(passed > 0, `${file} ran no test behind nginx:\n${output}`);
    assert.match(output, /e2e through nginx: https:\/\/127\.0\.0\.1:\d+\/cohort\/ -> http:\/\/127\.0\.0\.1:\d+\/cohort\//, 'the tests did not go through nginx');
  });
}

describe('the join rate limit behind nginx', () => {
  let server: TestServer;
  let nginx: Nginx;
  const ca = readFileSync(certificate.cert);
  before(async () => {
    server = await startTestServer({ baseUrl: '/cohort/', trustProxy: 1, joinAttemptsPerMinute: 2 });
    nginx = await startNginx({ upstreamPort: server.port, certificate, dir: work });
  });
  after(async () => {
    await nginx?.close();
    await server?.close();
  });

  const join = (from: string, code: string, headers: Record<string, string> = {}) =>
    httpsRequest(`${nginx.url}/api/join`, {
      ca,
      localAddress: from,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ code, name: `Student at ${from}` }),
    });

  test('counts per client address, and a forged X-Forwarded-For does not escape it', async () => {
    const { body: nb } = await server.api(server.adminToken)<{ id: string }>('POST', '/api/notebooks', { name: 'Limited' });
    const { body: session } = await server.api(server.adminToken)<{ code: string; joinUrl: string }>('POST', `/api/notebooks/${nb.id}/session`);

    // The first client guesses until it is stopped.
    assert.equal((await join('127.0.0.1', 'WRONG01')).status, 404);
    assert.equal((await join('127.0.0.1', 'WRONG02')).status, 404);
    assert.equal((await join('127.0.0.1', 'WRONG03')).status, 429);
    // Claiming to be someone else does not help: nginx appends the address it saw.
    assert.equal((await join('127.0.0.1', session.code, { 'x-forwarded-for': '198.51.100.7' })).status, 429);

    // The second client, behind the same proxy, is not affected and joins.
    const other = await join('127.0.0.2', session.code);
    assert.equal(other.status, 200, other.body);
    const cookie = String(other.headers['set-cookie'] ?? '');
    assert.match(cookie, /Path=\/cohort\//);
    assert.match(cookie, /;\s*Secure/i, 'https at nginx: the cookie is Secure');
    // Join URLs name the public address: https, the proxy's host and the prefix.
    const { body: again } = await server.api(server.adminToken)<{ joinUrl: string }>('GET', `/api/notebooks/${nb.id}/session`);
    assert.ok(again.joinUrl.startsWith(`http://`), 'asked directly, the server says http');
    const viaProxy = await httpsRequest(`${nginx.url}/api/notebooks/${nb.id}/session`, { ca, headers: { authorization: `Bearer ${server.adminToken}` } });
    assert.equal((JSON.parse(viaProxy.body) as { joinUrl: string }).joinUrl, `${nginx.url}/#/join/${session.code}`);
  });
});
