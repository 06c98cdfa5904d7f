// No member can break a room (issue 19) and quotas of the sync layer (issue 11): the hostile
// inputs found by hand — as a viewer and as an editor — against the real server, real LevelDB and
// a real kernel. After each: the server is up, the room accepts a join at once, execute and export
// work, the stored document is unchanged, and the room unloads once everyone left.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as Y from 'yjs';
import { SCHEMA_VERSION } from '../../server/sync/docSchema.ts';
import { CloseCode } from '../../shared/closeCodes.ts';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { cellSource, createCellMap, notebookOf, sharedDocToNotebook } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import { connectDoc } from '../helpers/clients.ts';
import type { DocClient } from '../helpers/clients.ts';
import { eventually } from '../helpers/eventually.ts';
import {
  authFrame,
  awarenessFrame,
  awarenessStates,
  queryAwarenessFrame,
  rawSync,
  updateFrame,
} from '../helpers/rawSync.ts';
import type { RawSync } from '../helpers/rawSync.ts';
import type { TestServer } from '../helpers/server.ts';
import { apiClient, spawnServer, startTestServer, tempDir } from '../helpers/server.ts';

type User = { id: string; token: string };
const DEEP = '['.repeat(5000) + ']'.repeat(5000);

/** The schema-breaking update of the report: `cells.insert(0, ['not a cell', 42])` on a synced copy. */
function notACellUpdate(state: Uint8Array): Uint8Array {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  const before = Y.encodeStateVector(doc);
  sharedDoc(doc).cells.insert(0, ['not a cell', 42] as never[]);
  return Y.encodeStateAsUpdate(doc, before);
}

describe('no member can break a room', { timeout: 240_000 }, () => {
  let t: TestServer;
  let owner: User;
  const members: Record<'viewer' | 'editor', User> = {} as never;
  let nb: string;
  const clients: DocClient[] = [];
  const sockets: RawSync[] = [];
  const open = (room: string, u: User) => {
    const c = connectDoc(t.wsUrl, room, u.token);
    clients.push(c);
    return c;
  };
  const raw = async (room: string, u: User) => {
    const s = await rawSync(t.wsUrl, room, u.token);
    sockets.push(s);
    return s;
  };

  /** The stored document, encoded: equal bytes, equal state. */
  const stored = async (room = sharedRoom(nb)) => {
    await (await t.server.rooms.loaded(room))?.flushed();
    const doc = new Y.Doc();
    const update = await t.server.store.docs.load(room);
    if (update) Y.applyUpdate(doc, update);
    return Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64');
  };

  /** A connection the server closed is out of the room at once, presence and all. */
  async function noTraceOf(user: User): Promise<void> {
    const room = (await t.server.rooms.loaded(sharedRoom(nb)))!;
    assert.ok(![...room.connections].some((c) => c.userId === user.id), 'the refused connection is out of the room');
    const users = [...room.awareness.getStates().values()].map((s) => (s as { user?: { id?: string } }).user?.id);
    assert.ok(!users.includes(user.id), 'and so is its presence');
  }

  /** Everything the report asks of a room after an attack. */
  async function roomStillServes(attacker: RawSync, before: string, watcher: DocClient): Promise<void> {
    const health = await fetch(`${t.url}/api/health`);
    assert.equal(health.status, 200, 'the server is up');
    // A join at once: not after a 30 s awareness timeout.
    const joiner = open(sharedRoom(nb), owner);
    await joiner.synced(5_000);
    assert.deepEqual(joiner.closes, []);
    // Execute and export work for everyone.
    const ran = await t.api(owner.token)<{ runs: Array<{ status: string; outputs: unknown[] }> }>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds: ['c1'] });
    assert.equal(ran.status, 200, JSON.stringify(ran.body));
    assert.equal(ran.body.runs[0]?.status, 'ok');
    const exported = await t.api(owner.token)<{ cells: Array<{ id: string }> }>('GET', `/api/notebooks/${nb}/export?format=ipynb&outputs=none`);
    assert.equal(exported.status, 200);
    assert.deepEqual(exported.body.cells.map((c) => c.id), ['c1']);
    assert.equal(await stored(), before, 'the stored document is unchanged');
    assert.deepEqual(watcher.closes, [], 'a healthy client was not disturbed');
    // Everyone leaves: the room unloads.
    attacker.close();
    await attacker.closed();
    joiner.destroy();
    watcher.destroy();
    await eventually(async () => (await t.server.rooms.loaded(sharedRoom(nb))) === undefined, { message: 'room was not unloaded' });
  }

  before(async () => {
    t = await startTestServer();
    owner = await t.createUser('owner');
    members.viewer = await t.createUser('viewer');
    members.editor = await t.createUser('editor');
    const created = await t.api(owner.token)<{ id: string }>('POST', '/api/notebooks', {
      name: 'safety',
      notebook: notebookOf([{ cell_type: 'code', id: 'c1', source: '1+1', metadata: {}, execution_count: null, outputs: [] }]),
    });
    nb = created.body.id;
    for (const role of ['viewer', 'editor'] as const) {
      assert.equal((await t.api(owner.token)('PUT', `/api/notebooks/${nb}/members/${members[role].id}`, { role })).status, 200);
    }
  });

  after(async () => {
    for (const c of clients) c.destroy();
    for (const s of sockets) s.close();
    await t.close();
  });

  for (const role of ['viewer', 'editor'] as const) {
    it(`${role}: awareness nested 5,000 deep, then a query — the sender is closed, the room serves on`, async () => {
      const watcher = open(sharedRoom(nb), owner);
      await watcher.synced();
      const before = await stored();
      const attacker = await raw(sharedRoom(nb), members[role]);
      attacker.send(awarenessFrame(777, 1, `{"user":{"id":"${members[role].id}"},"x":${DEEP}}`));
      attacker.send(queryAwarenessFrame());
      const closed = await attacker.closed();
      assert.equal(closed.code, CloseCode.MalformedMessage);
      assert.match(closed.reason, /awareness refused: an awareness state (of more than|nested deeper)/);
      await noTraceOf(members[role]);
      await roomStillServes(attacker, before, watcher);
    });

    it(`${role}: the same awareness frame alone leaves no trace and blocks no join`, async () => {
      const watcher = open(sharedRoom(nb), owner);
      await watcher.synced();
      const before = await stored();
      const attacker = await raw(sharedRoom(nb), members[role]);
      attacker.send(awarenessFrame(778, 1, `{"x":${DEEP}}`));
      assert.equal((await attacker.closed()).code, CloseCode.MalformedMessage);
      const room = (await t.server.rooms.loaded(sharedRoom(nb)))!;
      assert.equal(room.awareness.getStates().has(778), false);
      await noTraceOf(members[role]);
      await roomStillServes(attacker, before, watcher);
    });

    it(`${role}: an update putting plain values into cells is refused and never stored`, async () => {
      const watcher = open(sharedRoom(nb), owner);
      await watcher.synced();
      const before = await stored();
      const attacker = await raw(sharedRoom(nb), members[role]);
      const state = Y.encodeStateAsUpdate(watcher.doc);
      attacker.send(updateFrame(notACellUpdate(state)));
      if (role === 'editor') {
        const closed = await attacker.closed();
        assert.equal(closed.code, CloseCode.SchemaViolation);
        assert.match(closed.reason, /a string where a cell belongs/);
        await noTraceOf(members[role]);
      } else {
        assert.equal(await attacker.roundTrip(), true, 'a viewer is refused as read-only, then answered');
      }
      assert.equal(sharedDoc(watcher.doc).cells.length, 1, 'nothing reached the other client');
      await roomStillServes(attacker, before, watcher);
    });
  }

  it('a document stored with junk by an older server is repaired on load; execute and export work', async () => {
    await eventually(async () => (await t.server.rooms.loaded(sharedRoom(nb))) === undefined);
    const doc = new Y.Doc();
    Y.applyUpdate(doc, (await t.server.store.docs.load(sharedRoom(nb)))!);
    const junk = notACellUpdate(Y.encodeStateAsUpdate(doc));
    Y.applyUpdate(doc, junk);
    const sv = Y.encodeStateVector(doc);
    doc.getMap('stray').set('x', 1);
    await t.server.store.docs.append(sharedRoom(nb), junk);
    await t.server.store.docs.append(sharedRoom(nb), Y.encodeStateAsUpdate(doc, sv));
    // As an older server leaves it: not checked against this schema.
    await t.server.store.docs.markChecked(sharedRoom(nb), 0);
    const exported = await t.api(owner.token)<{ cells: Array<{ id: string }> }>('GET', `/api/notebooks/${nb}/export?format=ipynb`);
    assert.equal(exported.status, 200, JSON.stringify(exported.body));
    assert.deepEqual(exported.body.cells.map((c) => c.id), ['c1']);
    const ran = await t.api(owner.token)<{ runs: Array<{ status: string }> }>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds: ['c1'] });
    assert.equal(ran.body.runs[0]?.status, 'ok');
    // The repair was stored: a fresh load finds a clean document.
    await eventually(async () => (await t.server.rooms.loaded(sharedRoom(nb))) === undefined);
    const reloaded = new Y.Doc();
    Y.applyUpdate(reloaded, (await t.server.store.docs.load(sharedRoom(nb)))!);
    assert.deepEqual(sharedDoc(reloaded).cells.toArray().map((c) => (c instanceof Y.Map ? c.get('id') : c)), ['c1']);
    assert.equal(reloaded.getMap('stray').size, 0);
    assert.equal(await t.server.store.docs.checkedAgainst(sharedRoom(nb)), SCHEMA_VERSION);
  });

  it('an update with missing dependencies is refused, not kept pending and served', async () => {
    const before = await stored();
    const editor = await raw(sharedRoom(nb), members.editor);
    await editor.next('sync-step1');
    const doc = new Y.Doc();
    Y.applyUpdate(doc, (await t.server.store.docs.load(sharedRoom(nb)))!);
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    cellSource(sharedDoc(doc).cells.get(0)).insert(0, 'A');
    cellSource(sharedDoc(doc).cells.get(0)).insert(1, 'B');
    const from = editor.messages.length;
    editor.send(updateFrame(updates[1]!)); // B without A
    // The server asks for what it lacks instead of keeping B.
    await editor.next('sync-step1', from);
    const room = (await t.server.rooms.loaded(sharedRoom(nb)))!;
    assert.equal(room.doc.store.pendingStructs, null);
    const joiner = open(sharedRoom(nb), owner);
    await joiner.synced();
    assert.equal(cellSource(sharedDoc(joiner.doc).cells.get(0)).toString(), '1+1', 'nothing unstored was served');
    assert.equal(await stored(), before);
  });

  it('a client that sent an update with missing dependencies resyncs and converges', async () => {
    const writer = open(sharedRoom(nb), members.editor);
    const other = open(sharedRoom(nb), owner);
    await Promise.all([writer.synced(), other.synced()]);
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(writer.doc));
    const updates: Uint8Array[] = [];
    copy.on('update', (u: Uint8Array) => updates.push(u));
    cellSource(sharedDoc(copy).cells.get(0)).insert(0, '# A\n');
    cellSource(sharedDoc(copy).cells.get(0)).insert(4, '# B\n');
    // The writer's document gets both without its provider sending them (origin: the provider)...
    Y.applyUpdate(writer.doc, Y.mergeUpdates(updates), writer.provider);
    // ...and the provider's socket sends only the second, as a client that lost one would.
    writer.provider.ws!.send(updateFrame(updates[1]!));
    await eventually(() => cellSource(sharedDoc(other.doc).cells.get(0)).toString().startsWith('# A\n# B\n'), {
      message: 'the other client did not converge',
    });
    assert.equal(cellSource(sharedDoc(writer.doc).cells.get(0)).toString(), cellSource(sharedDoc(other.doc).cells.get(0)).toString());
    assert.deepEqual(writer.closes, []);
    const storedDoc = new Y.Doc();
    await (await t.server.rooms.loaded(sharedRoom(nb)))!.flushed();
    Y.applyUpdate(storedDoc, (await t.server.store.docs.load(sharedRoom(nb)))!);
    assert.equal(cellSource(sharedDoc(storedDoc).cells.get(0)).toString(), cellSource(sharedDoc(other.doc).cells.get(0)).toString());
  });

  it('an auth message with trailing bytes is refused; a whole one is ignored', async () => {
    const whole = await raw(sharedRoom(nb), members.viewer);
    whole.send(authFrame());
    assert.equal(await whole.roundTrip(), true);
    const trailing = await raw(sharedRoom(nb), members.viewer);
    trailing.send(authFrame([1, 2, 3]));
    assert.equal((await trailing.closed()).code, CloseCode.MalformedMessage);
  });

  it("presence carries the account's id and name; a claimed name, colour or extra field is replaced or dropped", async () => {
    const watcher = await raw(sharedRoom(nb), owner);
    const liar = await raw(sharedRoom(nb), members.viewer);
    const honest = await raw(sharedRoom(nb), members.editor);
    const from = watcher.messages.length;
    liar.send(
      awarenessFrame(
        4242,
        1,
        JSON.stringify({
          user: { id: owner.id, name: 'owner (teacher)', color: 'red;position:fixed', colorLight: 'url(x)', avatar: 'http://evil/' },
          cursor: { anchor: 1, head: 2 },
        }),
      ),
    );
    honest.send(awarenessFrame(4343, 1, JSON.stringify({ user: { id: members.editor.id, name: 'editor', color: '#A1B2C3' } })));
    const seen = await eventually(() => {
      const states = new Map<number, unknown>();
      for (const m of watcher.messages.slice(from)) if (m.type === 'awareness') for (const [k, v] of awarenessStates(m.payload)) states.set(k, v);
      return states.has(4242) && states.has(4343) ? states : undefined;
    });
    const lie = seen.get(4242) as { user: Record<string, unknown>; cursor: unknown };
    assert.deepEqual(Object.keys(lie.user).sort(), ['color', 'colorLight', 'id', 'name']);
    assert.equal(lie.user['id'], members.viewer.id);
    assert.equal(lie.user['name'], 'viewer');
    assert.match(String(lie.user['color']), /^#[0-9a-f]{6}$/);
    assert.equal(lie.user['colorLight'], `${String(lie.user['color'])}33`);
    assert.deepEqual(lie.cursor, { anchor: 1, head: 2 }, 'cursors stay the client’s');
    const truth = seen.get(4343) as { user: Record<string, unknown> };
    assert.deepEqual(truth.user, { id: members.editor.id, name: 'editor', color: '#a1b2c3', colorLight: '#a1b2c333' });
  });

  it("presence survives echoes, and a reconnected page of the same user takes its awareness client over", async () => {
    const room = async () => (await t.server.rooms.loaded(sharedRoom(nb)))!;
    const state = async (id: number) => (await room()).awareness.getStates().get(id) as { n?: number; user?: { id?: string } } | undefined;
    const editorConnections = async () => [...(await room()).connections].filter((c) => c.userId === members.editor.id).length;
    const old = await raw(sharedRoom(nb), members.editor);
    old.send(awarenessFrame(5000, 1, JSON.stringify({ n: 1 })));
    assert.equal(await old.roundTrip(), true);
    assert.equal((await state(5000))?.n, 1);
    // Another user's client echoes it back (stock y-websocket does), then leaves: no effect.
    const other = await raw(sharedRoom(nb), members.viewer);
    other.send(awarenessFrame(5000, 1, JSON.stringify({ n: 1 })));
    assert.equal(await other.roundTrip(), true);
    other.close();
    await other.closed();
    // A second tab of the same user echoes it too (same clock): still the first tab's.
    const baseline = await editorConnections();
    const tab = await raw(sharedRoom(nb), members.editor);
    tab.send(awarenessFrame(5000, 1, JSON.stringify({ n: 1 })));
    assert.equal(await tab.roundTrip(), true);
    tab.close();
    await tab.closed();
    await eventually(async () => (await editorConnections()) === baseline, { message: 'the tab is still in the room' });
    assert.equal((await state(5000))?.n, 1, "an echo took another connection's presence with it");
    // The page reconnects with a newer state before its old socket is gone: the new one owns it.
    const reconnected = await raw(sharedRoom(nb), members.editor);
    reconnected.send(awarenessFrame(5000, 2, JSON.stringify({ n: 2 })));
    assert.equal(await reconnected.roundTrip(), true);
    assert.equal((await state(5000))?.n, 2);
    old.close();
    await old.closed();
    await eventually(async () => (await editorConnections()) === baseline, { message: 'the old socket is still in the room' });
    assert.equal((await state(5000))?.user?.id, members.editor.id, 'the old socket closing did not remove the live page');
    reconnected.close();
    await reconnected.closed();
    await eventually(async () => (await state(5000)) === undefined, { message: 'presence outlived its connection' });
  });

  it('a room name longer than a close reason can hold is refused without harm', async () => {
    const long = 'x'.repeat(300);
    const s = await rawSync(t.wsUrl, long, owner.token).catch(() => undefined);
    if (s) assert.equal((await s.closed()).code, CloseCode.NotFound);
    assert.equal((await fetch(`${t.url}/api/health`)).status, 200);
  });
});

describe('the server process survives the awareness crash of the report', { timeout: 120_000 }, () => {
  it('viewer and editor: nested awareness then a query leave the process up and the room open', async () => {
    const dir = tempDir();
    const server = await spawnServer(dir);
    try {
      const wsUrl = `${server.url.replace(/^http/, 'ws')}/sync`;
      const admin = apiClient(server.url, 'admin-test-token');
      const owner = (await admin<User>('POST', '/api/users', { name: 'owner' })).body;
      const nb = (await apiClient(server.url, owner.token)<{ id: string }>('POST', '/api/notebooks', { name: 'crash' })).body.id;
      for (const role of ['viewer', 'editor'] as const) {
        const member = (await admin<User>('POST', '/api/users', { name: role })).body;
        await apiClient(server.url, owner.token)('PUT', `/api/notebooks/${nb}/members/${member.id}`, { role });
        const attacker = await rawSync(wsUrl, sharedRoom(nb), member.token);
        attacker.send(awarenessFrame(99, 1, DEEP));
        attacker.send(queryAwarenessFrame());
        await attacker.closed();
        const joiner = await rawSync(wsUrl, sharedRoom(nb), owner.token);
        await joiner.next('sync-step1');
        assert.equal(await joiner.roundTrip(), true, `a join after the ${role}'s attack works at once`);
        joiner.close();
      }
      assert.equal(server.child.exitCode, null, `the server exited:\n${server.output()}`);
      assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('exit', r));
    }
  });
});

describe('sync-layer quotas', { timeout: 120_000 }, () => {
  let t: TestServer;
  let owner: User;
  let editor: User;
  let nb: string;
  const clients: DocClient[] = [];
  const open = (room: string, u: User) => {
    const c = connectDoc(t.wsUrl, room, u.token);
    clients.push(c);
    return c;
  };
  const storedSource = async (room: string) => {
    await (await t.server.rooms.loaded(room))?.flushed();
    const doc = new Y.Doc();
    Y.applyUpdate(doc, (await t.server.store.docs.load(room))!);
    return sharedDocToNotebook(doc).cells.map((c) => c.source).join('|');
  };

  before(async () => {
    t = await startTestServer({ maxWriteBytes: 64 * 1024, maxDocumentBytes: 256 * 1024, maxConnectionsPerUser: 4 });
    owner = await t.createUser('owner');
    editor = await t.createUser('editor');
    nb = (await t.api(owner.token)<{ id: string }>('POST', '/api/notebooks', { name: 'quotas' })).body.id;
    await t.api(owner.token)('PUT', `/api/notebooks/${nb}/members/${editor.id}`, { role: 'editor' });
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await t.close();
  });

  it('a write over the per-write limit is refused with the limit named; the document and others are unaffected', async () => {
    const writer = await rawSync(t.wsUrl, sharedRoom(nb), editor.token);
    const other = open(sharedRoom(nb), owner);
    await other.synced();
    cellSource(sharedDoc(other.doc).cells.get(0)).insert(0, 'kept');
    await eventually(async () => (await storedSource(sharedRoom(nb))) === 'kept');
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(other.doc));
    const sv = Y.encodeStateVector(copy);
    cellSource(sharedDoc(copy).cells.get(0)).insert(0, 'x'.repeat(100 * 1024));
    writer.send(updateFrame(Y.encodeStateAsUpdate(copy, sv)));
    const closed = await writer.closed();
    assert.equal(closed.code, CloseCode.TooLarge);
    assert.match(closed.reason, /over the limit of 64\.0 KiB per write/);
    assert.equal(await storedSource(sharedRoom(nb)), 'kept');
    // The other client goes on: it edits, and the edit is stored and served.
    cellSource(sharedDoc(other.doc).cells.get(0)).insert(4, '!');
    await eventually(async () => (await storedSource(sharedRoom(nb))) === 'kept!');
    assert.deepEqual(other.closes, []);
    assert.equal(cellSource(sharedDoc(other.doc).cells.get(0)).toString(), 'kept!');
  });

  it("a private document's writes are capped too (the 60 MB of the report)", async () => {
    const writer = await rawSync(t.wsUrl, privateRoom(nb, editor.id), editor.token);
    const doc = new Y.Doc();
    doc.getMap('kernel').set('blob', 'y'.repeat(200 * 1024));
    writer.send(updateFrame(Y.encodeStateAsUpdate(doc)));
    assert.equal((await writer.closed()).code, CloseCode.TooLarge);
    assert.equal(await t.server.store.docs.load(privateRoom(nb, editor.id)), null);
  });

  it('a document at its size limit refuses more content, accepts deletions', async () => {
    const c = open(sharedRoom(nb), editor);
    await c.synced();
    const text = cellSource(sharedDoc(c.doc).cells.get(0));
    // 60 KiB at a time (under the per-write limit): four fit in 256 KiB, a fifth does not.
    for (let i = 0; i < 4; i++) {
      text.insert(text.length, String(i).repeat(60 * 1024));
      await eventually(async () => (await storedSource(sharedRoom(nb))).length === text.length);
    }
    const storedBefore = await storedSource(sharedRoom(nb));
    text.insert(text.length, 'z'.repeat(60 * 1024));
    const code = await eventually(() => c.closes[0]?.code);
    assert.equal(code, CloseCode.DocumentFull);
    assert.match(c.closes[0]!.reason, /limit of 256\.0 KiB/);
    c.destroy();
    assert.equal(await storedSource(sharedRoom(nb)), storedBefore);
    // Deleting makes room, and is always accepted.
    const d = open(sharedRoom(nb), editor);
    await d.synced();
    cellSource(sharedDoc(d.doc).cells.get(0)).delete(0, 180 * 1024);
    await eventually(async () => (await storedSource(sharedRoom(nb))).length === storedBefore.length - 180 * 1024);
    sharedDoc(d.doc).cells.push([createCellMap({ cell_type: 'markdown', source: 'fits again' + 'w'.repeat(60 * 1024) })]);
    await eventually(async () => (await storedSource(sharedRoom(nb))).endsWith(`|fits again${'w'.repeat(60 * 1024)}`));
    assert.deepEqual(d.closes, []);
  });

  it('connections per user are capped; a closed one frees its place', async () => {
    for (const c of clients.splice(0)) c.destroy();
    await eventually(async () => ((await t.server.rooms.loaded(sharedRoom(nb)))?.connections.size ?? 0) === 0);
    const mine: RawSync[] = [];
    for (let i = 0; i < 4; i++) mine.push(await rawSync(t.wsUrl, sharedRoom(nb), owner.token));
    const extra = await rawSync(t.wsUrl, sharedRoom(nb), owner.token);
    const refused = await extra.closed();
    assert.equal(refused.code, CloseCode.TooManyConnections);
    assert.match(refused.reason, /limit 4 per user/);
    for (const s of mine) assert.equal(await s.roundTrip(), true, 'earlier connections stay open');
    mine[0]!.close();
    await mine[0]!.closed();
    const again = await rawSync(t.wsUrl, sharedRoom(nb), owner.token);
    assert.equal(await again.roundTrip(), true);
    // Another user is not affected by the owner's count.
    const theirs = await rawSync(t.wsUrl, sharedRoom(nb), editor.token);
    assert.equal(await theirs.roundTrip(), true);
    for (const s of [...mine, again, theirs]) s.close();
  });
});
