// Live-session guests are confined to their session's notebook, and ending the session is one
// step: nothing of a guest survives it, even what was under way while it ended — a run whose
// kernel was starting, runs requested during the end, joins, and sockets being opened.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { privateDoc } from '../../shared/layout.ts';
import { closedWith, connectDoc } from '../helpers/clients.ts';
import type { DocClient } from '../helpers/clients.ts';
import { eventually } from '../helpers/eventually.ts';
import { kernelProcesses } from '../helpers/processes.ts';
import { RoomProbe } from '../helpers/roomProbe.ts';
import type { Api, TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';
import { codeCell as code } from '../helpers/cells.ts';

interface Guest {
  id: string;
  token: string;
}

const LESSON = {
  nbformat: 4,
  nbformat_minor: 5,
  metadata: {},
  cells: [code('slow', "import time\nprint('started', flush=True)\ntime.sleep(120)"), code('quick', "print('hi')")],
};

describe('live-session guests', { timeout: 300_000 }, () => {
  let t: TestServer;
  let teacher: Api;
  let teacherId: string;
  let bob: { id: string; token: string };
  const clients: DocClient[] = [];
  const probes: RoomProbe[] = [];

  const join = async (joinCode: string, name: string): Promise<{ status: number; guest?: Guest }> => {
    const res = await fetch(`${t.url}/api/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: joinCode, name }),
    });
    if (res.status !== 200) return { status: res.status };
    const body = (await res.json()) as { user: { id: string }; token: string };
    return { status: 200, guest: { id: body.user.id, token: body.token } };
  };
  const mustJoin = async (joinCode: string, name: string): Promise<Guest> => {
    const joined = await join(joinCode, name);
    assert.equal(joined.status, 200);
    return joined.guest!;
  };
  const newLesson = async () => (await teacher<{ id: string }>('POST', '/api/notebooks', { name: 'Lesson', notebook: LESSON })).body.id;
  const startSession = async (nb: string) => (await teacher<{ code: string }>('POST', `/api/notebooks/${nb}/session`)).body.code;

  before(async () => {
    t = await startTestServer({ kernelStartTimeoutMs: 120_000, maxKernels: 20 });
    const teacherUser = await t.createUser('teacher');
    teacherId = teacherUser.id;
    teacher = t.api(teacherUser.token);
    bob = await t.createUser('bob');
  });

  after(async () => {
    for (const c of clients) c.destroy();
    for (const p of probes) p.close();
    await t.close();
  });

  it('a guest acts only on the session notebook: no notebooks of their own, no member changes, no other rooms', async () => {
    const nb = await newLesson();
    const guest = await mustJoin(await startSession(nb), 'Eve');
    const eve = t.api(guest.token);

    const created = await eve<{ error: { code: string } }>('POST', '/api/notebooks', { name: 'mine' });
    assert.equal(created.status, 403);
    assert.equal(created.body.error.code, 'guest_confined');
    // The attack of the issue: bring the admin into a notebook the guest controls.
    const adminAdded = await eve<{ error: { code: string } }>('PUT', `/api/notebooks/${nb}/members/admin`, { role: 'viewer' });
    assert.equal(adminAdded.status, 403);
    assert.equal(adminAdded.body.error.code, 'guest_confined');
    assert.equal((await eve('GET', '/api/users')).status, 403);

    // Nobody brings a guest elsewhere, nor makes one an owner.
    const bobsNb = (await t.api(bob.token)<{ id: string }>('POST', '/api/notebooks', { name: "bob's" })).body.id;
    const invited = await t.api(bob.token)<{ error: { code: string } }>('PUT', `/api/notebooks/${bobsNb}/members/${guest.id}`, { role: 'editor' });
    assert.equal(invited.status, 403);
    assert.equal(invited.body.error.code, 'guest_confined');
    assert.equal((await teacher('PUT', `/api/notebooks/${nb}/members/${guest.id}`, { role: 'owner' })).status, 403);
    assert.equal((await teacher('PUT', `/api/notebooks/${nb}/members/${guest.id}`, { role: 'viewer' })).status, 200, 'roles below owner stay possible');
    assert.equal((await teacher('PUT', `/api/notebooks/${nb}/members/${guest.id}`, { role: 'runner' })).status, 200);

    // Even a membership elsewhere that exists in the store (written before this rule) opens nothing.
    await t.server.store.meta.setMember(bobsNb, guest.id, 'editor');
    const elsewhere = await eve<{ error: { code: string } }>('GET', `/api/notebooks/${bobsNb}`);
    assert.equal(elsewhere.status, 403);
    assert.equal(elsewhere.body.error.code, 'guest_confined');
    const socket = new RoomProbe(t.wsUrl, sharedRoom(bobsNb), guest.token);
    probes.push(socket);
    assert.equal(await socket.settled(), '4403');
    // ... while their own notebook works as for a runner.
    const own = new RoomProbe(t.wsUrl, sharedRoom(nb), guest.token);
    probes.push(own);
    assert.equal(await own.settled(), 'synced');
    assert.equal((await eve('GET', `/api/notebooks/${nb}`)).status, 200);
  });

  it('ending a session while guests run, start kernels, join and connect leaves no guest kernel, socket or token', async () => {
    assert.deepEqual(kernelProcesses(), [], 'kernels left from before this test');
    const nb = await newLesson();
    const joinCode = await startSession(nb);
    const [a, b, c] = [await mustJoin(joinCode, 'A'), await mustJoin(joinCode, 'B'), await mustJoin(joinCode, 'C')];
    for (const g of [a, b, c]) {
      for (const room of [sharedRoom(nb), privateRoom(nb, g.id)]) {
        const client = connectDoc(t.wsUrl, room, g.token); // reconnects by itself, as a browser tab does
        clients.push(client);
        await client.synced(30_000);
      }
    }
    const mine = (g: Guest) => clients.find((cl) => cl.provider.roomname === privateRoom(nb, g.id))!;

    // A: a kernel in the middle of a long run.
    assert.equal((await t.api(a.token)('POST', `/api/notebooks/${nb}/execute`, { cellIds: ['slow'] })).status, 202);
    await eventually(() => JSON.stringify(privateDoc(mine(a).doc).outputs.get('slow')?.toJSON() ?? '').includes('started'), {
      timeoutMs: 120_000,
      message: "A's run did not start",
    });

    // B: its first run's kernel is starting at the moment the session ends.
    const bStarting = new Promise<void>((resolve) => {
      const off = t.server.kernels.on('status', (key, status) => {
        if (!key.shared && key.userId === b.id && status === 'starting') {
          off();
          resolve();
        }
      });
    });
    const bRun = t.api(b.token)<{ runs: Array<{ status: string; message?: string }> }>('POST', `/api/notebooks/${nb}/execute?wait=true`, {
      cellIds: ['quick'],
    });
    await bStarting;

    // C keeps asking for runs, newcomers keep joining, and C keeps opening sockets, all through the end.
    let ending = true;
    const cRuns = (async () => {
      const statuses: number[] = [];
      while (ending) statuses.push((await t.api(c.token)('POST', `/api/notebooks/${nb}/execute`, { cellIds: ['quick'] })).status);
      statuses.push((await t.api(c.token)('POST', `/api/notebooks/${nb}/execute`, { cellIds: ['quick'] })).status);
      return statuses;
    })();
    const joins = (async () => {
      const joined: Guest[] = [];
      const statuses: number[] = [];
      for (let i = 0; ending; i++) {
        const result = await join(joinCode, `late ${i}`);
        statuses.push(result.status);
        if (result.guest) joined.push(result.guest);
      }
      return { joined, statuses };
    })();
    const sockets = (async () => {
      const opened: RoomProbe[] = [];
      while (ending) {
        const p = new RoomProbe(t.wsUrl, privateRoom(nb, c.id), c.token);
        probes.push(p);
        opened.push(p);
        await p.settled(30_000);
      }
      return opened;
    })();

    const ended = await teacher('DELETE', `/api/notebooks/${nb}/session`);
    ending = false;
    assert.equal(ended.status, 204);

    // The moment End returned: no token of a guest works, no guest kernel is known, no guest socket is joined.
    const late = await joins;
    const guests = [a, b, c, ...late.joined];
    const guestIds = new Set(guests.map((g) => g.id));
    for (const g of guests) assert.equal((await t.api(g.token)('GET', '/api/me')).status, 401, `guest ${g.id}'s token still works`);
    assert.deepEqual(t.server.kernels.list().filter((k) => !k.key.shared && guestIds.has(k.key.userId)).map((k) => k.keyId), []);
    const joinedSockets = async () => {
      const found: string[] = [];
      for (const room of await t.server.rooms.roomsOf(nb)) for (const conn of room.connections) if (guestIds.has(conn.userId)) found.push(`${room.name}:${conn.userId}`);
      return found;
    };
    assert.deepEqual(await joinedSockets(), []);

    // What was under way settles without bringing anything back.
    const bResult = await bRun;
    assert.equal(bResult.status, 200, JSON.stringify(bResult.body));
    assert.equal(bResult.body.runs[0]!.status, 'error', JSON.stringify(bResult.body));
    const statuses = await cRuns;
    assert.equal(statuses.at(-1), 401, `C's last run request: ${statuses.join(',')}`);
    assert.ok(statuses.every((s) => s === 202 || s === 401 || s === 410), `C's run requests: ${statuses.join(',')}`);
    assert.ok(late.statuses.every((s) => s === 200 || s === 404), `joins: ${late.statuses.join(',')}`);
    assert.equal(late.statuses.at(-1), 404, 'a join after the end is refused');
    for (const p of await sockets) {
      const outcome = await p.closed;
      assert.ok([4401, 4410].includes(outcome), `a socket opened during the end closed with ${outcome}`);
    }
    for (const g of [a, b, c]) {
      assert.equal(await closedWith(mine(g)), 4410);
      assert.equal(mine(g).closes[0]!.reason, 'the live session has ended');
    }
    // A socket opened now is refused as unauthenticated.
    const again = new RoomProbe(t.wsUrl, privateRoom(nb, a.id), a.token);
    probes.push(again);
    assert.equal(await again.settled(), '4401');
    assert.deepEqual(await joinedSockets(), []);
    // And no kernel process of any guest remains (the teacher has none; the pool is off).
    assert.deepEqual(kernelProcesses(), []);
    assert.equal((await teacher<{ members: Array<{ userId: string }> }>('GET', `/api/notebooks/${nb}`)).body.members.map((m) => m.userId).join(), teacherId);
  });
});
