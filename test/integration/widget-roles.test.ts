// Roles apply to widget changes made through a document as they do over REST, checked at the time
// of the change: a member demoted to viewer no longer drives their kernel through their private
// document, an editor demoted to runner no longer moves shared widgets. Each refused change is
// followed by a marker change through the same path that does arrive; the kernel prints every
// value it receives, in order, so the marker's arrival proves the refused value never came.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as Y from 'yjs';
import type { Output } from '../../shared/nbformat.ts';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { cellOutputs, findCell, outputsToJSON, widgetState } from '../../shared/schema.ts';
import { privateDoc } from '../../shared/layout.ts';
import { eventually } from '../helpers/eventually.ts';
import { RoomProbe } from '../helpers/roomProbe.ts';
import type { Api, TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';
import { codeCell as code } from '../helpers/cells.ts';

const SLIDER = "import ipywidgets as w\ns = w.IntSlider()\ns.observe(lambda ch: print('kernel got', ch['new']), 'value')\ns";
const text = (outputs: Output[]) => outputs.map((o) => (o.output_type === 'stream' ? String(o.text) : '')).join('');

describe('widget changes through documents follow roles', { timeout: 240_000 }, () => {
  let t: TestServer;
  let owner: { id: string; token: string };
  let alice: { id: string; token: string };
  let ed: { id: string; token: string };
  let nb: string;
  const probes: RoomProbe[] = [];
  const as = (u: { token: string }): Api => t.api(u.token);

  /** Reads a server-side document (what the kernel's session writes into). */
  async function inRoom<T>(room: string, read: (doc: Y.Doc) => T): Promise<T> {
    const lease = await t.server.rooms.acquire(room);
    try {
      return read(lease.room.doc);
    } finally {
      lease.release();
    }
  }
  const sliderId = (doc: Y.Doc) => [...doc.getMap<Y.Map<unknown>>('widgets').entries()].find(([, m]) => m.get('model_name') === 'IntSliderModel')?.[0];
  const setSlider = (value: number) => (doc: Y.Doc) => {
    const model = doc.getMap<Y.Map<unknown>>('widgets').get(sliderId(doc)!)!;
    widgetState(model).set('value', value);
  };
  const privateLog = () => inRoom(privateRoom(nb, alice.id), (doc) => text(outputsToJSON(privateDoc(doc).outputs.get('mine'))));
  const sharedLog = () => inRoom(sharedRoom(nb), (doc) => text(outputsToJSON(cellOutputs(findCell(doc, 'ours')!.cell))));
  const setRole = async (who: { id: string }, role: string) =>
    assert.equal((await as(owner)('PUT', `/api/notebooks/${nb}/members/${who.id}`, { role })).status, 200);

  before(async () => {
    t = await startTestServer({ kernelStartTimeoutMs: 120_000 });
    owner = await t.createUser('owner');
    alice = await t.createUser('alice');
    ed = await t.createUser('ed');
    const created = await as(owner)<{ id: string }>('POST', '/api/notebooks', {
      name: 'roles',
      notebook: { nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [code('mine', SLIDER), code('ours', SLIDER, 'shared')] },
    });
    nb = created.body.id;
    await setRole(alice, 'runner');
    await setRole(ed, 'editor');
    for (const [who, cell] of [[alice, 'mine'], [owner, 'ours']] as const) {
      const ran = await as(who)<{ runs: Array<{ status: string }> }>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds: [cell] });
      assert.equal(ran.body.runs[0]?.status, 'ok', JSON.stringify(ran.body));
    }
  });
  after(async () => {
    for (const p of probes) p.close();
    await t.close();
  });

  const probe = async (room: string, token: string) => {
    const p = new RoomProbe(t.wsUrl, room, token);
    probes.push(p);
    assert.equal(await p.settled(), 'synced');
    await eventually(() => sliderId(p.doc), { message: `no slider in ${room}` });
    return p;
  };

  it('a runner drives their own kernel through their private document (the path works)', async () => {
    const mine = await probe(privateRoom(nb, alice.id), alice.token);
    await mine.write(setSlider(3));
    await eventually(async () => (await privateLog()).includes('kernel got 3'), { timeoutMs: 30_000, message: 'the runner\'s change never reached the kernel' });
  });

  it('demoted to viewer: a change in their private document does not reach their kernel', async () => {
    const mine = await probe(privateRoom(nb, alice.id), alice.token);
    await setRole(alice, 'viewer');
    await mine.write(setSlider(55)); // stored or refused: the server has handled it when this resolves
    // Marker through the same document and model: a change by the server itself (always allowed),
    // queued behind whatever was decided about 55.
    await inRoom(privateRoom(nb, alice.id), (doc) => doc.transact(() => setSlider(7)(doc)));
    await eventually(async () => (await privateLog()).includes('kernel got 7'), { timeoutMs: 30_000, message: 'the marker never reached the kernel' });
    assert.doesNotMatch(await privateLog(), /kernel got 55/);
  });

  it('the bridge itself checks the role at the time of the change (a write that got past the sync layer)', async () => {
    // Alice is a viewer now. A change attributed to her connection, applied to the server's copy
    // as if it had arrived just before the sync layer learned of her demotion.
    const connectionOfAlice = { userId: alice.id };
    await inRoom(privateRoom(nb, alice.id), (doc) => doc.transact(() => setSlider(66)(doc), connectionOfAlice));
    await inRoom(privateRoom(nb, alice.id), (doc) => doc.transact(() => setSlider(8)(doc)));
    await eventually(async () => (await privateLog()).includes('kernel got 8'), { timeoutMs: 30_000, message: 'the marker never reached the kernel' });
    assert.doesNotMatch(await privateLog(), /kernel got 66/);
    // Promoted again, the same kind of change goes through.
    await setRole(alice, 'runner');
    await inRoom(privateRoom(nb, alice.id), (doc) => doc.transact(() => setSlider(9)(doc), connectionOfAlice));
    await eventually(async () => (await privateLog()).includes('kernel got 9'), { timeoutMs: 30_000 });
  });

  it('an editor demoted to runner no longer moves a shared widget; the owner still does', async () => {
    const shared = await probe(sharedRoom(nb), ed.token);
    await shared.write(setSlider(4));
    await eventually(async () => (await sharedLog()).includes('kernel got 4'), { timeoutMs: 30_000, message: "the editor's change never reached the shared kernel" });
    await setRole(ed, 'runner');
    // Past the sync layer (as in the race window) and through it: neither reaches the kernel.
    await inRoom(sharedRoom(nb), (doc) => doc.transact(() => setSlider(77)(doc), { userId: ed.id }));
    await shared.write(setSlider(78));
    const owners = await probe(sharedRoom(nb), owner.token);
    await owners.write(setSlider(10));
    await eventually(async () => (await sharedLog()).includes('kernel got 10'), { timeoutMs: 30_000, message: "the owner's marker never reached the shared kernel" });
    assert.doesNotMatch(await sharedLog(), /kernel got 7[78]/);
  });
});
