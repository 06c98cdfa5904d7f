// Cohort behind a real nginx (deploy/nginx/cohort.conf as shipped, TLS with a self-signed
// certificate made here by openssl, https://127.0.0.1:<port>/cohort/, Cohort started with
// --base-url /cohort/ --trust-proxy 1): the join rate limit counts per client address. Two clients
// connect to nginx from 127.0.0.1 and 127.0.0.2 (both this machine); one is limited, the other is
// not, and a client's own X-Forwarded-For changes nothing. The browser tests run through the same
// nginx in test/e2e/nginx-*.test.ts.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { httpsRequest, makeCertificate, reserveNginxAddress, startNginx, type Certificate, type Nginx } from '../helpers/nginx.ts';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.ts';

const work = tempDir('cohort-behind-nginx-');
const certificate: Certificate = makeCertificate(work);
after(() => rmSync(work, { recursive: true, force: true }));

describe('the join rate limit behind nginx', () => {
  let server: TestServer;
  let nginx: Nginx;
  const ca = readFileSync(certificate.cert);
  before(async () => {
    const address = await reserveNginxAddress();
    // The proxy's public origin is configured, as deploy/systemd/cohort.service does.
    server = await startTestServer({ baseUrl: '/cohort/', trustProxy: 1, allowedOrigins: [address.origin], joinAttemptsPerMinute: 2 });
    nginx = await startNginx({ address, upstreamPort: server.port, certificate, dir: work });
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
