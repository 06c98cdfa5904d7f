// DNS-rebinding defence: requests and WebSocket upgrades whose `Host` is not this server's get a
// clear 403; the listening address, its localhost aliases (when bound to loopback) and the hosts
// of --allowed-origins pass.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { sharedRoom } from '../../shared/rooms.ts';
import { RoomProbe } from '../helpers/roomProbe.ts';
import type { TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';

/** A GET with an arbitrary Host header (fetch does not let one set it). */
function getWithHost(port: number, path: string, host: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'GET', headers: { host, ...(token ? { authorization: `Bearer ${token}` } : {}) } },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('Host header', () => {
  let t: TestServer;
  let nb: string;
  const probes: RoomProbe[] = [];

  before(async () => {
    t = await startTestServer({ allowedOrigins: ['https://cohort.example.org'] });
    nb = (await t.api(t.adminToken)<{ id: string }>('POST', '/api/notebooks', { name: 'n' })).body.id;
  });
  after(async () => {
    for (const p of probes) p.close();
    await t.close();
  });

  it('HTTP: foreign names get 403 host_not_allowed, on the API and on the page', async () => {
    const p = t.port;
    for (const host of [`evil.example:${p}`, 'evil.example', `127.0.0.1:${p + 1}`, `localhost.evil.example:${p}`, `user@127.0.0.1:${p}`]) {
      for (const path of ['/api/health', '/', `/api/notebooks/${nb}`]) {
        const res = await getWithHost(p, path, host, t.adminToken);
        assert.equal(res.status, 403, `${host} ${path}`);
        const body = JSON.parse(res.body) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'host_not_allowed');
        assert.match(body.error.message, /is not an address of this server.*--allowed-origins/);
      }
    }
  });

  it('HTTP: the listening address, its loopback aliases and allowed origins pass', async () => {
    const p = t.port;
    for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, `LOCALHOST:${p}`, `[::1]:${p}`, 'cohort.example.org']) {
      assert.equal((await getWithHost(p, `/api/notebooks/${nb}`, host, t.adminToken)).status, 200, host);
    }
  });

  it('WebSocket upgrades: a foreign Host is refused before the upgrade; ours connects', async () => {
    const refused = new RoomProbe(t.wsUrl, sharedRoom(nb), t.adminToken, { host: `evil.example:${t.port}` });
    probes.push(refused);
    assert.equal(await refused.settled(), '403');
    const ok = new RoomProbe(t.wsUrl, sharedRoom(nb), t.adminToken, { host: `localhost:${t.port}` });
    probes.push(ok);
    assert.equal(await ok.settled(), 'synced');
  });

  it('bound to every interface: the machine’s own addresses pass, foreign names do not', async () => {
    const all = await startTestServer({ host: '0.0.0.0' });
    try {
      assert.equal((await getWithHost(all.port, '/api/health', `127.0.0.1:${all.port}`)).status, 200);
      assert.equal((await getWithHost(all.port, '/api/health', `evil.example:${all.port}`)).status, 403);
    } finally {
      await all.close();
    }
  });
});
