// REST over the real server and LevelDB: auth, roles, notebooks, members, bad input.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Level } from 'level';
import { join } from 'node:path';
import type { Api, TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';

interface ErrorBody {
  error: { code: string; message: string };
}

describe('REST', () => {
  let t: TestServer;
  let admin: Api;
  let alice: { id: string; token: string };
  let bob: { id: string; token: string };

  before(async () => {
    t = await startTestServer({ maxBodyBytes: 64 * 1024 });
    admin = t.api(t.adminToken);
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
  });
  after(() => t.close());

  it('answers health without auth and me with it', async () => {
    assert.deepEqual((await fetch(`${t.url}/api/health`).then((r) => r.json())), { status: 'ok' });
    const me = await t.api(alice.token)<{ name: string; admin: boolean }>('GET', '/api/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.name, 'alice');
    assert.equal(me.body.admin, false);
    const anon = await fetch(`${t.url}/api/me`);
    assert.equal(anon.status, 401);
    assert.equal(((await anon.json()) as ErrorBody).error.code, 'unauthorized');
  });

  it('only admins create users; names are unique', async () => {
    const denied = await t.api(alice.token)<ErrorBody>('POST', '/api/users', { name: 'mallory' });
    assert.equal(denied.status, 403);
    const dup = await admin<ErrorBody>('POST', '/api/users', { name: 'alice' });
    assert.equal(dup.status, 409);
    const bad = await admin<ErrorBody>('POST', '/api/users', { name: '' });
    assert.equal(bad.status, 400);
  });

  it('signs in through the login URL with an httpOnly cookie, and refuses cross-site cookie writes', async () => {
    // As a browser sends it when the visitor opens the printed URL themselves.
    const login = await fetch(`${t.url}/login?token=${alice.token}`, { redirect: 'manual', headers: { 'sec-fetch-site': 'none' } });
    assert.equal(login.status, 303);
    const cookie = login.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);
    const session = cookie.split(';')[0]!;
    const me = await fetch(`${t.url}/api/me`, { headers: { cookie: session } });
    assert.equal(((await me.json()) as { name: string }).name, 'alice');
    const forged = await fetch(`${t.url}/api/notebooks`, {
      method: 'POST',
      headers: { cookie: session, origin: 'http://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'forged' }),
    });
    assert.equal(forged.status, 403);
    const sameSite = await fetch(`${t.url}/api/notebooks`, {
      method: 'POST',
      headers: { cookie: session, origin: t.url, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'fine' }),
    });
    assert.equal(sameSite.status, 201);
    const bad = await fetch(`${t.url}/login?token=wrong`, { redirect: 'manual' });
    assert.equal(bad.status, 401);
  });

  it('creates, lists, renames and deletes notebooks, with roles enforced', async () => {
    const a = t.api(alice.token);
    const b = t.api(bob.token);
    const created = await a<{ id: string; role: string; name: string }>('POST', '/api/notebooks', { name: 'Lesson 1' });
    assert.equal(created.status, 201);
    assert.equal(created.body.role, 'owner');
    const id = created.body.id;
    assert.equal((await b('GET', `/api/notebooks/${id}`)).status, 404, 'non-members do not see it');
    const list = await a<{ notebooks: Array<{ id: string }> }>('GET', '/api/notebooks');
    assert.ok(list.body.notebooks.some((n) => n.id === id));
    assert.ok(!(await b<{ notebooks: Array<{ id: string }> }>('GET', '/api/notebooks')).body.notebooks.some((n) => n.id === id));

    assert.equal((await a('PUT', `/api/notebooks/${id}/members/bob`, { role: 'viewer' })).status, 200, 'members by name');
    assert.equal((await b('PATCH', `/api/notebooks/${id}`, { name: 'x' })).status, 403, 'viewer cannot rename');
    assert.equal((await b('DELETE', `/api/notebooks/${id}`)).status, 403);
    assert.equal((await a('PUT', `/api/notebooks/${id}/members/${bob.id}`, { role: 'editor' })).status, 200);
    const renamed = await b<{ name: string }>('PATCH', `/api/notebooks/${id}`, { name: 'Lesson one' });
    assert.equal(renamed.body.name, 'Lesson one');
    assert.equal((await b('PUT', `/api/notebooks/${id}/members/${bob.id}`, { role: 'owner' })).status, 403, 'editors do not manage');
    assert.equal((await a('PUT', `/api/notebooks/${id}/members/${bob.id}`, { role: 'boss' })).status, 400);
    assert.equal((await a('PUT', `/api/notebooks/${id}/members/nobody`, { role: 'viewer' })).status, 404);
    assert.equal((await a('DELETE', `/api/notebooks/${id}/members/${alice.id}`)).status, 409, 'creator stays');
    const details = await a<{ members: Array<{ name: string; role: string }> }>('GET', `/api/notebooks/${id}`);
    assert.deepEqual(details.body.members.map((m) => `${m.name}:${m.role}`).sort(), ['alice:owner', 'bob:editor']);
    assert.equal((await a('DELETE', `/api/notebooks/${id}`)).status, 204);
    assert.equal((await a('GET', `/api/notebooks/${id}`)).status, 404);
    assert.equal((await t.server.store.docs.list(id)).length, 0, 'documents deleted');
  });

  it('gives clear errors for bad input and changes nothing', async () => {
    const a = t.api(alice.token);
    const before = (await a<{ notebooks: unknown[] }>('GET', '/api/notebooks')).body.notebooks.length;
    const badJson = await a<ErrorBody>('POST', '/api/notebooks', '{"name": "x",');
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body.error.code, 'invalid_json');
    const notNb = await a<ErrorBody>('POST', '/api/notebooks', {
      name: 'bad',
      notebook: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: 'code', source: 'x', metadata: {}, outputs: [{ output_type: 'nonsense' }], execution_count: null }] },
    });
    assert.equal(notNb.status, 400);
    assert.match(notNb.body.error.message, /cells\/0\/outputs\/0/);
    const huge = await a<ErrorBody>('POST', '/api/notebooks', { name: 'big', padding: 'x'.repeat(100 * 1024) });
    assert.equal(huge.status, 413);
    const noName = await a<ErrorBody>('POST', '/api/notebooks', { name: '' });
    assert.equal(noName.status, 400);
    const unknownRoute = await a<ErrorBody>('GET', '/api/nothing');
    assert.equal(unknownRoute.status, 404);
    assert.equal(unknownRoute.body.error.code, 'not_found');
    const after = (await a<{ notebooks: unknown[] }>('GET', '/api/notebooks')).body.notebooks.length;
    assert.equal(after, before);
  });

  it('stores tokens only as hashes', async () => {
    const carol = await t.createUser('carol');
    await t.server.close();
    const db = new Level<string, string>(join(t.dataDir, 'db'), { valueEncoding: 'utf8' });
    await db.open();
    try {
      for await (const [key, value] of db.iterator({ keyEncoding: 'utf8', valueEncoding: 'utf8' })) {
        assert.ok(!key.includes(carol.token) && !value.includes(carol.token), 'a raw token is stored');
        assert.ok(!key.includes(t.adminToken) && !value.includes(t.adminToken), 'the admin token is stored raw');
      }
    } finally {
      await db.close();
    }
  });
});
