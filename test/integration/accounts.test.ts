// Admin account management and the links the server hands out, against the real server and
// LevelDB: list, disable (at once: sockets close, tokens stop), enable, delete (refused while the
// user owns notebooks unless they go too; the name is free again); share suggestions that never
// enumerate strangers; owners named, not identified by id; login and join links built from
// `--public-url`, or from the request's host without it.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { closedWith, connectDoc, type DocClient } from '../helpers/clients.ts';
import type { Api, TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';

interface Created {
  id: string;
  name: string;
  token: string;
  loginUrl: string;
}
interface Listed {
  id: string;
  name: string;
  admin: boolean;
  disabled: boolean;
  guest?: boolean;
}

describe('accounts', { timeout: 120_000 }, () => {
  let t: TestServer;
  let admin: Api;
  const clients: DocClient[] = [];
  const create = async (name: string) => {
    const res = await admin<Created>('POST', '/api/users', { name });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body;
  };
  const notebook = async (token: string, name: string) => {
    const res = await t.api(token)<{ id: string }>('POST', '/api/notebooks', { name });
    assert.equal(res.status, 201);
    return res.body.id;
  };

  before(async () => {
    t = await startTestServer();
    admin = t.api(t.adminToken);
  });
  after(async () => {
    for (const client of clients) client.destroy();
    await t.close();
  });

  it('creating a user answers a login link on the host the request came to', async () => {
    const ada = await create('Ada');
    assert.equal(ada.loginUrl, `${t.url}/login?token=${encodeURIComponent(ada.token)}`);
    // Opened by the person themselves (pasted into the address bar): signs in without a confirmation.
    const signedIn = await fetch(ada.loginUrl, { redirect: 'manual', headers: { 'sec-fetch-site': 'none' } });
    assert.equal(signedIn.status, 303);
    assert.match(signedIn.headers.get('set-cookie') ?? '', /cohort_session=/);
  });

  it('lists accounts for admins only, without guests unless asked', async () => {
    const bo = await create('Bo');
    const owned = await notebook(t.adminToken, 'Class');
    const session = await admin<{ code: string }>('POST', `/api/notebooks/${owned}/session`);
    const guest = await fetch(`${t.url}/api/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: session.body.code, name: 'Visitor' }),
    });
    assert.equal(guest.status, 200);
    // The page learns it is a guest's (and leaves out the kernels panel); members' answers say nothing of it.
    const guestToken = ((await guest.json()) as { token: string }).token;
    assert.deepEqual((await t.api(guestToken)<{ guest?: boolean }>('GET', '/api/me')).body.guest, true);
    assert.equal((await t.api(bo.token)<{ guest?: boolean }>('GET', '/api/me')).body.guest, undefined);
    const users = (await admin<{ users: Listed[] }>('GET', '/api/users')).body.users;
    assert.deepEqual(users.map((u) => u.name), ['admin', 'Ada', 'Bo']);
    assert.deepEqual(users[0], { ...users[0], admin: true, disabled: false });
    const withGuests = (await admin<{ users: Listed[] }>('GET', '/api/users?guests=true')).body.users;
    assert.equal(withGuests.find((u) => u.name === 'Visitor')?.guest, true);
    assert.equal((await t.api(bo.token)('GET', '/api/users')).status, 403);
    assert.equal((await t.api(bo.token)('PATCH', `/api/users/${bo.id}`, { disabled: true })).status, 403);
    await admin('DELETE', `/api/notebooks/${owned}/session`);
  });

  it('disabling cuts a user off at once; enabling lets them back', async () => {
    const cy = await create('Cy');
    const nb = await notebook(t.adminToken, 'Shared with Cy');
    await admin('PUT', `/api/notebooks/${nb}/members/${cy.id}`, { role: 'editor' });
    const socket = connectDoc(t.wsUrl, sharedRoom(nb), cy.token);
    clients.push(socket);
    await socket.synced();

    assert.equal((await admin('PATCH', `/api/users/${cy.id}`, { disabled: 'yes' })).status, 400);
    const disabled = await admin<Listed>('PATCH', `/api/users/${cy.id}`, { disabled: true });
    assert.equal(disabled.status, 200);
    assert.equal(disabled.body.disabled, true);
    assert.equal(await closedWith(socket), 4410);
    assert.match(socket.closes[0]!.reason, /disabled/);
    assert.equal((await t.api(cy.token)('GET', '/api/me')).status, 401);

    assert.equal((await admin('PATCH', `/api/users/${cy.id}`, { disabled: false })).status, 200);
    assert.equal((await t.api(cy.token)('GET', '/api/me')).status, 200);
    assert.equal((await t.api(cy.token)('GET', `/api/notebooks/${nb}`)).status, 200, 'membership survived');
  });

  it('deleting is refused while the user owns notebooks, unless they go too; the name is free again', async () => {
    const dee = await create('Dee');
    const theirs = await notebook(dee.token, 'Dee’s notes');
    const shared = await notebook(t.adminToken, 'Shared with Dee');
    await admin('PUT', `/api/notebooks/${shared}/members/${dee.id}`, { role: 'runner' });
    const privateSocket = connectDoc(t.wsUrl, privateRoom(shared, dee.id), dee.token);
    clients.push(privateSocket);
    await privateSocket.synced();

    const refused = await admin<{ error: { code: string; message: string } }>('DELETE', `/api/users/${dee.id}`);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'owns_notebooks');
    assert.match(refused.body.error.message, /Dee’s notes/);
    assert.equal((await t.api(dee.token)('GET', '/api/me')).status, 200, 'a refused deletion changed the account');

    const self = await t.server.users.byToken(t.adminToken);
    assert.equal((await admin('DELETE', `/api/users/${self!.id}`)).status, 409);

    const deleted = await admin<{ notebooksDeleted: number }>('DELETE', `/api/users/${dee.id}?notebooks=delete`);
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.equal(deleted.body.notebooksDeleted, 1);
    assert.equal(await closedWith(privateSocket), 4410);
    assert.equal((await t.api(dee.token)('GET', '/api/me')).status, 401);
    assert.equal((await admin('GET', `/api/notebooks/${theirs}`)).status, 404);
    const members = (await admin<{ members: Array<{ name: string }> }>('GET', `/api/notebooks/${shared}`)).body.members;
    assert.deepEqual(members.map((m) => m.name), ['admin']);
    assert.deepEqual(await t.server.store.docs.list(`${shared}/user/${dee.id}`), []);
    assert.ok(!(await admin<{ users: Listed[] }>('GET', '/api/users')).body.users.some((u) => u.id === dee.id));
    await create('Dee');
  });

  it('share suggestions: people I share a notebook with (all accounts for admins), never strangers', async () => {
    const eve = await create('Eve');
    const fay = await create('Fay');
    await create('Gus');
    const nb = await notebook(eve.token, 'Eve and Fay');
    await t.api(eve.token)('PUT', `/api/notebooks/${nb}/members/Fay`, { role: 'viewer' });
    const names = async (token: string, q = '') =>
      (await t.api(token)<{ users: Array<{ name: string }> }>('GET', `/api/users/suggest?q=${encodeURIComponent(q)}`)).body.users.map((u) => u.name);
    assert.deepEqual(await names(eve.token), ['Fay']);
    assert.deepEqual(await names(fay.token, 'e'), ['Eve']);
    assert.ok((await names(t.adminToken, 'g')).includes('Gus'));
    assert.deepEqual(await names(eve.token, 'gus'), []);
  });

  it('lists name owners, not ids', async () => {
    const hal = await create('Hal');
    const nb = await notebook(hal.token, 'Hal’s');
    const listed = (await t.api(hal.token)<{ notebooks: Array<{ id: string; owner: string; owner_name: string }> }>('GET', '/api/notebooks')).body.notebooks;
    assert.equal(listed.find((n) => n.id === nb)?.owner_name, 'Hal');
    const details = await t.api(hal.token)<{ owner_name: string }>('GET', `/api/notebooks/${nb}`);
    assert.equal(details.body.owner_name, 'Hal');
  });
});

describe('--public-url', { timeout: 60_000 }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ publicUrl: 'https://class.example.org/cohort' });
  });
  after(async () => {
    await t.close();
  });

  it('names the public address in login and join links', async () => {
    const admin = t.api(t.adminToken);
    const created = await admin<Created>('POST', '/api/users', { name: 'Ivy' });
    assert.equal(created.body.loginUrl, `https://class.example.org/cohort/login?token=${encodeURIComponent(created.body.token)}`);
    const nb = (await admin<{ id: string }>('POST', '/api/notebooks', { name: 'Lesson' })).body.id;
    const started = await admin<{ code: string; joinUrl: string }>('POST', `/api/notebooks/${nb}/session`);
    assert.equal(started.body.joinUrl, `https://class.example.org/cohort/#/join/${started.body.code}`);
    const fetched = await admin<{ joinUrl: string }>('GET', `/api/notebooks/${nb}/session`);
    assert.equal(fetched.body.joinUrl, started.body.joinUrl);
    await admin('DELETE', `/api/notebooks/${nb}/session`);
  });

  it('answers at the public address: its Host is served and its Origin may change state', async () => {
    // node:http, as fetch does not let one set Host.
    const asked = (host: string, origin: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: t.port,
            path: '/api/notebooks',
            method: 'POST',
            headers: { host, origin, authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
          },
          (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify({ name: `from ${host}` }));
      });
    const publicAnswer = await asked('class.example.org', 'https://class.example.org');
    assert.equal(publicAnswer.status, 201, publicAnswer.body);
    // Any other name is still refused (the DNS-rebinding defence is not widened beyond it).
    const other = await asked('elsewhere.example.org', 'https://elsewhere.example.org');
    assert.equal(other.status, 403);
    assert.equal((JSON.parse(other.body) as { error: { code: string } }).error.code, 'host_not_allowed');
  });
});
