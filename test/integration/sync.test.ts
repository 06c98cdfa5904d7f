// Scoped sync over the real server, real LevelDB, stock y-websocket clients.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { CloseCode } from '../../shared/closeCodes.ts';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { cellSource } from '../../shared/schema.ts';
import { sharedDoc } from '../../shared/layout.ts';
import { closedWith, connectDoc, handledSoFar, markerSeen } from '../helpers/clients.ts';
import type { DocClient } from '../helpers/clients.ts';
import { eventually, sleep } from '../helpers/eventually.ts';
import type { TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';

const sourceOf = (client: DocClient, index = 0) => cellSource(sharedDoc(client.doc).cells.get(index)).toString();

describe('scoped sync', () => {
  let t: TestServer;
  let owner: { id: string; token: string };
  let editor: { id: string; token: string };
  let viewer: { id: string; token: string };
  let runner: { id: string; token: string };
  let notebookId: string;
  const clients: DocClient[] = [];
  const connect = (room: string, token: string) => {
    const c = connectDoc(t.wsUrl, room, token);
    clients.push(c);
    return c;
  };

  before(async () => {
    t = await startTestServer({ maxMessageBytes: 1024 * 1024 });
    owner = await t.createUser('owner');
    editor = await t.createUser('editor');
    viewer = await t.createUser('viewer');
    runner = await t.createUser('runner');
    const created = await t.api(owner.token)<{ id: string }>('POST', '/api/notebooks', { name: 'sync' });
    notebookId = created.body.id;
    for (const [user, role] of [[editor, 'editor'], [viewer, 'viewer'], [runner, 'runner']] as const) {
      const res = await t.api(owner.token)('PUT', `/api/notebooks/${notebookId}/members/${user.id}`, { role });
      assert.equal(res.status, 200);
    }
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await t.close();
  });

  it('two clients editing one cell converge, and a late joiner gets the full state', async () => {
    const a = connect(sharedRoom(notebookId), owner.token);
    const b = connect(sharedRoom(notebookId), editor.token);
    await Promise.all([a.synced(), b.synced()]);
    assert.equal(sharedDoc(a.doc).cells.length, 1, 'a new notebook has one cell');
    cellSource(sharedDoc(a.doc).cells.get(0)).insert(0, 'print(1)');
    cellSource(sharedDoc(b.doc).cells.get(0)).insert(0, '# from b\n');
    await eventually(() => sourceOf(a) === sourceOf(b) && sourceOf(a).length === 'print(1)# from b\n'.length);
    const c = connect(sharedRoom(notebookId), viewer.token);
    await c.synced();
    await eventually(() => sourceOf(c) === sourceOf(a));
    assert.match(sourceOf(c), /print\(1\)/);
    assert.match(sourceOf(c), /# from b/);
  });

  it("no other user — not even the notebook's owner — may open a private room", async () => {
    const mine = connect(privateRoom(notebookId, runner.id), runner.token);
    await mine.synced();
    privateDocWrite(mine.doc, 'secret of runner');
    const spy = connect(privateRoom(notebookId, runner.id), owner.token);
    assert.equal(await closedWith(spy), CloseCode.Forbidden);
    assert.equal(spy.doc.getMap('kernel').get('note'), undefined);
  });

  it("a viewer's edits reach neither other clients nor the store, and persistent writing closes it", async () => {
    const watcher = connect(sharedRoom(notebookId), owner.token);
    const v = connect(sharedRoom(notebookId), viewer.token);
    await Promise.all([watcher.synced(), v.synced()]);
    const before = sourceOf(watcher);
    for (let i = 0; i < 5; i++) {
      cellSource(sharedDoc(v.doc).cells.get(0)).insert(0, `VIEWER${i}`);
      await sleep(30);
    }
    assert.equal(await closedWith(v), CloseCode.Forbidden);
    // Marker: an editor's change after the refusals. The server forwards in the order it handled
    // updates, so a viewer edit it had forwarded would have reached the watcher before it.
    const marker = connect(sharedRoom(notebookId), editor.token);
    await marker.synced();
    await markerSeen(marker, [watcher]);
    assert.equal(sourceOf(watcher), before);
    assert.doesNotMatch(await storedSource(t, notebookId), /VIEWER/);
  });

  it('a runner may read the shared document but not write it', async () => {
    const r = connect(sharedRoom(notebookId), runner.token);
    await r.synced();
    assert.ok(sharedDoc(r.doc).cells.length >= 1);
    cellSource(sharedDoc(r.doc).cells.get(0)).insert(0, 'RUNNER');
    // Marker: the server's answer to a sync step 1 sent after the write, on the same socket.
    await handledSoFar(r);
    assert.doesNotMatch(await storedSource(t, notebookId), /RUNNER/);
  });

  it('refuses bad tokens (4401), unknown notebooks (4404) and foreign origins (4403)', async () => {
    assert.equal(await closedWith(connect(sharedRoom(notebookId), 'not-a-token')), CloseCode.Unauthorized);
    assert.equal(await closedWith(connect(sharedRoom('nosuchnotebook'), owner.token)), CloseCode.NotFound);
    assert.equal(await closedWith(connect('a/b/c/d', owner.token)), CloseCode.NotFound);
    const code = await rawClose(`${t.wsUrl}/${notebookId}?token=${owner.token}`, { origin: 'http://evil.example' });
    assert.equal(code, CloseCode.Forbidden);
  });

  it('garbage frames close only the offending connection; others go on and nothing is stored', async () => {
    const good = connect(sharedRoom(notebookId), editor.token);
    await good.synced();
    const storedBefore = await storedSource(t, notebookId);
    const garbage: Array<Buffer | string> = [
      Buffer.from([0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]), // update with a huge length varint
      Buffer.from([0, 1]), // truncated sync step 2
      Buffer.from([0, 2, 5, 1, 2, 3, 4, 5]), // update whose bytes are not a Yjs update
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), // varint overflow
      Buffer.from([9]), // unknown message type
      'hello', // text frame: not the protocol
      Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff)), // noise
    ];
    for (const frame of garbage) {
      const code = await rawClose(`${t.wsUrl}/${notebookId}?token=${editor.token}`, {}, frame);
      assert.equal(code, CloseCode.MalformedMessage, `frame ${JSON.stringify(frame)} should close with 4400`);
    }
    const tooBig = await rawClose(`${t.wsUrl}/${notebookId}?token=${editor.token}`, {}, Buffer.alloc(2 * 1024 * 1024));
    assert.equal(tooBig, 1009);
    cellSource(sharedDoc(good.doc).cells.get(0)).insert(0, 'still-alive ');
    await eventually(async () => (await storedSource(t, notebookId)).startsWith('still-alive '));
    assert.equal((await storedSource(t, notebookId)).replace('still-alive ', ''), storedBefore);
    assert.equal(good.closes.length, 0);
  });

  it("relays presence only under the connection's own user id", async () => {
    const watcher = connect(sharedRoom(notebookId), owner.token);
    const liar = connect(sharedRoom(notebookId), viewer.token);
    await Promise.all([watcher.synced(), liar.synced()]);
    liar.provider.awareness.setLocalStateField('user', { id: owner.id, name: 'owner' });
    liar.provider.awareness.setLocalStateField('presenter', { cellId: 'fake' });
    const honest = connect(sharedRoom(notebookId), editor.token);
    await honest.synced();
    honest.provider.awareness.setLocalStateField('user', { id: editor.id, name: 'editor' });
    await eventually(() => [...watcher.provider.awareness.getStates().values()].some((s) => s.user?.id === editor.id));
    const claimed = [...watcher.provider.awareness.getStates().entries()].filter(
      ([client, state]) => client !== watcher.doc.clientID && state.user?.id === owner.id,
    );
    assert.equal(claimed.length, 0, 'a viewer posed as the owner');
  });

  it('closes a connection when its access is revoked', async () => {
    const temp = await t.createUser('temp');
    await t.api(owner.token)('PUT', `/api/notebooks/${notebookId}/members/${temp.id}`, { role: 'editor' });
    const c = connect(sharedRoom(notebookId), temp.token);
    await c.synced();
    await t.api(owner.token)('DELETE', `/api/notebooks/${notebookId}/members/${temp.id}`);
    assert.equal(await closedWith(c), CloseCode.Revoked);
  });

  it('unloads a room after its last client leaves, with its state stored', async () => {
    const created = await t.api(owner.token)<{ id: string }>('POST', '/api/notebooks', { name: 'unload' });
    const id = created.body.id;
    const c = connectDoc(t.wsUrl, sharedRoom(id), owner.token);
    await c.synced();
    cellSource(sharedDoc(c.doc).cells.get(0)).insert(0, 'kept');
    await eventually(async () => (await t.server.rooms.loaded(sharedRoom(id))) !== undefined);
    c.destroy();
    await eventually(async () => (await t.server.rooms.loaded(sharedRoom(id))) === undefined, {
      message: 'room was not unloaded',
    });
    assert.equal(await storedSource(t, id), 'kept');
  });
});

function privateDocWrite(doc: Y.Doc, note: string) {
  doc.getMap('kernel').set('note', note);
}

/** The first cell's source as stored in LevelDB. */
async function storedSource(t: TestServer, notebookId: string): Promise<string> {
  const update = await t.server.store.docs.load(sharedRoom(notebookId));
  const doc = new Y.Doc();
  if (update) Y.applyUpdate(doc, update);
  const text = cellSource(sharedDoc(doc).cells.get(0)).toString();
  doc.destroy();
  return text;
}

/** Opens a raw socket, optionally sends one frame, and resolves with the close code. */
function rawClose(url: string, headers: Record<string, string>, frame?: Buffer | string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const timer = setTimeout(() => reject(new Error('socket was not closed')), 10_000);
    ws.on('open', () => {
      if (frame !== undefined) ws.send(frame, { binary: typeof frame !== 'string' });
    });
    ws.on('error', () => {});
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
