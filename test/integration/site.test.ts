// Deploying behind a proxy: every route, the login URL, the session cookie and the sync socket live
// under --base-url; X-Forwarded-For/-Proto count only from a proxy --trust-proxy names (rate limit,
// cookies' Secure flag, WebSocket log lines); without it, spoofing them changes nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { createLogger } from '../../server/log.ts';
import { connectDoc } from '../helpers/clients.ts';
import { eventually } from '../helpers/eventually.ts';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.ts';

const madeDirs: string[] = [];
after(() => {
  for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true });
});

/** A client dir with a recognizable page, so the test does not need a client build. */
function fakeClient(): string {
  const parent = tempDir('cohort-fake-client-');
  madeDirs.push(parent);
  const dir = join(parent, 'client');
  mkdirSync(dir);
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>fake cohort page</title><script src="./assets/app.js"></script>');
  return dir;
}

/** Captures the server's pino lines. */
function logCapture(): { log: ReturnType<typeof createLogger>; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    log: createLogger('info', sink),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers, redirect: 'manual' });
const join_ = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/api/join`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ code: 'ZZZZZZZ', name: 'x' }) });

describe('--base-url /cohort/', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ baseUrl: '/cohort/', clientDir: fakeClient() });
  });
  after(() => s?.close());

  test('the REST API, the page and the login URL are under the prefix, nothing outside it', async () => {
    const origin = s.url.slice(0, -'/cohort'.length);
    assert.match(s.url, /\/cohort$/);
    assert.equal((await get(`${s.url}/api/health`)).status, 200);
    const outside = await get(`${origin}/api/health`);
    assert.equal(outside.status, 404);
    assert.match(((await outside.json()) as { error: { message: string } }).error.message, /under \/cohort\//);

    // The bare prefix gets its slash (the page's relative asset URLs need it), query kept.
    const bare = await get(`${origin}/cohort?x=1`);
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.get('location'), '/cohort/?x=1');
    assert.match(await (await get(`${s.url}/`)).text(), /fake cohort page/);

    // The login URL, opened by the visitor (typed or pasted: Sec-Fetch-Site none): a cookie for
    // the prefix only, then back to the page.
    const login = await get(`${s.url}/login?token=${s.adminToken}`, { 'sec-fetch-site': 'none' });
    assert.equal(login.status, 303);
    assert.equal(login.headers.get('location'), '/cohort/');
    const cookie = login.headers.get('set-cookie') ?? '';
    assert.match(cookie, /Path=\/cohort\//);
    assert.doesNotMatch(cookie, /Secure/i);
    const me = await get(`${s.url}/api/me`, { cookie: cookie.split(';')[0]! });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { name: string }).name, 'admin');

    // Live-session join URLs point into the prefix.
    const { body: nb } = await s.api(s.adminToken)<{ id: string }>('POST', '/api/notebooks', { name: 'Prefixed' });
    const { body: session } = await s.api(s.adminToken)<{ joinUrl: string; code: string }>('POST', `/api/notebooks/${nb.id}/session`);
    assert.equal(session.joinUrl, `${s.url}/#/join/${session.code}`);
  });

  test('the sync socket is <prefix>/sync; /sync outside the prefix is not answered', async () => {
    const { body: nb } = await s.api(s.adminToken)<{ id: string }>('POST', '/api/notebooks', { name: 'Socket' });
    assert.match(s.wsUrl, /\/cohort\/sync$/);
    const client = connectDoc(s.wsUrl, nb.id, s.adminToken);
    try {
      await client.synced();
      assert.ok(client.doc.getArray('cells').length > 0, 'the notebook document arrived');
    } finally {
      client.destroy();
    }
    const origin = s.url.slice(0, -'/cohort'.length).replace(/^http/, 'ws');
    const stray = new WebSocket(`${origin}/sync/${nb.id}?token=${s.adminToken}`);
    const outcome = await new Promise<string>((resolve) => {
      stray.on('open', () => resolve('open'));
      stray.on('error', (err) => resolve(`error: ${err.message}`));
    });
    assert.match(outcome, /^error/);
  });
});

describe('--trust-proxy', () => {
  test('X-Forwarded-Proto: https makes the session cookie Secure only from a trusted proxy', async () => {
    const trusted = await startTestServer({ trustProxy: 1 });
    const untrusted = await startTestServer();
    try {
      const cookieOf = async (s: TestServer, headers: Record<string, string>) =>
        (await get(`${s.url}/login?token=${s.adminToken}`, { 'sec-fetch-site': 'none', ...headers })).headers.get('set-cookie') ?? '';
      assert.match(await cookieOf(trusted, { 'x-forwarded-proto': 'https' }), /;\s*Secure/i);
      assert.doesNotMatch(await cookieOf(trusted, {}), /Secure/i);
      assert.doesNotMatch(await cookieOf(untrusted, { 'x-forwarded-proto': 'https' }), /Secure/i);
    } finally {
      await trusted.close();
      await untrusted.close();
    }
  });

  test('without --trust-proxy a spoofed X-Forwarded-For does not change the rate-limit address', async () => {
    const s = await startTestServer({ joinAttemptsPerMinute: 2 });
    try {
      const statuses = [];
      for (const spoofed of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) {
        statuses.push((await join_(s.url, { 'x-forwarded-for': spoofed })).status);
      }
      // Three "different" clients, one real address: the third attempt is refused.
      assert.deepEqual(statuses, [404, 404, 429]);
    } finally {
      await s.close();
    }
  });

  test('behind a trusted proxy the rate limit counts per forwarded client address', async () => {
    const s = await startTestServer({ joinAttemptsPerMinute: 2, trustProxy: 1 });
    try {
      const from = async (address: string) => (await join_(s.url, { 'x-forwarded-for': address })).status;
      assert.equal(await from('198.51.100.1'), 404);
      assert.equal(await from('198.51.100.2'), 404);
      assert.equal(await from('198.51.100.3'), 404);
      assert.equal(await from('198.51.100.1'), 404);
      assert.equal(await from('198.51.100.1'), 429);
      // The other clients are not affected; a client cannot hide behind a forged earlier hop:
      // with one trusted hop, the address is the one the proxy appended (the last).
      assert.equal(await from('198.51.100.2'), 404);
      assert.equal(await from('198.51.100.2, 198.51.100.1'), 429);
    } finally {
      await s.close();
    }
  });

  test('WebSocket upgrades log the client address by the same rule', async () => {
    const trustedLog = logCapture();
    const untrustedLog = logCapture();
    const trusted = await startTestServer({ trustProxy: 1, logLevel: 'info' }, { log: trustedLog.log });
    const untrusted = await startTestServer({ logLevel: 'info' }, { log: untrustedLog.log });
    try {
      const refusedAddress = async (s: TestServer, lines: () => Array<Record<string, unknown>>) => {
        const ws = new WebSocket(`${s.wsUrl}/some-room?token=wrong`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
        await new Promise((resolve) => ws.on('close', resolve));
        return eventually(() => lines().find((line) => line['msg'] === 'websocket refused: unauthorized')?.['address'], {
          message: 'no refusal logged',
        });
      };
      assert.equal(await refusedAddress(trusted, trustedLog.lines), '203.0.113.9');
      assert.match(String(await refusedAddress(untrusted, untrustedLog.lines)), /^(::ffff:)?127\.0\.0\.1$/);
    } finally {
      await trusted.close();
      await untrusted.close();
    }
  });
});
