// Quotas, each with its clear error (status, code, the flag that sets it), against the real
// server with real kernels: kernels per user counting shared kernels they started, joins per
// session per minute, notebooks per user, published output size, widget state size.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as Y from 'yjs';
import type { Output } from '../../shared/nbformat.ts';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { outputsToJSON, widgetState } from '../../shared/schema.ts';
import { privateDoc, sharedDoc } from '../../shared/layout.ts';
import { connectDoc } from '../helpers/clients.ts';
import type { DocClient } from '../helpers/clients.ts';
import { eventually } from '../helpers/eventually.ts';
import type { Api, TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';
import { codeCell as code } from '../helpers/cells.ts';

interface ErrorBody {
  error: { code: string; message: string };
}

const WIDGET_STATE_BYTES = 16 * 1024;

const notebook = (...cells: unknown[]) => ({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells });
const text = (outputs: Output[]) => outputs.map((o) => (o.output_type === 'stream' ? String(o.text) : '')).join('');

describe('quotas', { timeout: 300_000 }, () => {
  let t: TestServer;
  const clients: DocClient[] = [];
  let users = 0;
  const newUser = async () => {
    const u = await t.createUser(`user${++users}`);
    return { ...u, api: t.api(u.token) };
  };
  const create = async (api: Api, name: string, nb?: unknown) => {
    const res = await api<{ id: string }>('POST', '/api/notebooks', { name, ...(nb ? { notebook: nb } : {}) });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.id;
  };
  const run = async (api: Api, nb: string, cellIds: string[]) =>
    api<{ runs: Array<{ status: string; outputs: Output[] }> } & ErrorBody>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds });

  before(async () => {
    t = await startTestServer({
      maxKernelsPerUser: 2,
      joinsPerSessionPerMinute: 3,
      maxNotebooksPerUser: 3,
      maxPublishedBytes: 10_000,
      maxWidgetStateBytes: WIDGET_STATE_BYTES,
      kernelStartTimeoutMs: 120_000,
    });
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await t.close();
  });

  it('kernels per user count the shared kernels that user started', async () => {
    const owner = await newUser();
    const other = await newUser();
    const nb = notebook(code('mine', 'x = 1'), code('ours', 'y = 2', 'shared'));
    const first = await create(owner.api, 'first', nb);
    const second = await create(owner.api, 'second', nb);
    assert.equal((await owner.api('PUT', `/api/notebooks/${first}/members/${other.id}`, { role: 'runner' })).status, 200);
    assert.equal((await run(owner.api, first, ['ours'])).status, 200, 'the shared kernel');
    assert.equal((await run(owner.api, first, ['mine'])).status, 200, 'a private kernel');
    const refused = await run(owner.api, second, ['mine']);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'kernel_limit');
    assert.match(refused.body.error.message, /at most 2 kernels per user, counting shared kernels/);
    assert.match(refused.body.error.message, /--max-kernels-per-user/);
    // The cap is the owner's alone: another member still gets a kernel.
    assert.equal((await run(other.api, first, ['mine'])).status, 200);
    // Freeing the shared kernel frees the owner's slot.
    assert.equal((await owner.api('DELETE', `/api/notebooks/${first}/kernel?scope=shared`)).status, 204);
    assert.equal((await run(owner.api, second, ['mine'])).status, 200);
    for (const [who, nbId] of [[owner, first], [owner, second], [other, first]] as const) await who.api('DELETE', `/api/notebooks/${nbId}/kernel`);
  });

  it('successful joins per session per minute; rejoining and other sessions are not held back', async () => {
    const teacher = await newUser();
    const nb = await create(teacher.api, 'class');
    const otherNb = await create(teacher.api, 'other class');
    const codeOf = async (id: string) => (await teacher.api<{ code: string }>('POST', `/api/notebooks/${id}/session`)).body.code;
    const [joinCode, otherCode] = [await codeOf(nb), await codeOf(otherNb)];
    const join = (c: string, name: string, token?: string) =>
      fetch(`${t.url}/api/join`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ code: c, name }),
      });
    const firstThree = [];
    for (const name of ['a', 'b', 'c']) {
      const res = await join(joinCode, name);
      assert.equal(res.status, 200);
      firstThree.push((await res.json()) as { token: string });
    }
    const fourth = await join(joinCode, 'd');
    assert.equal(fourth.status, 429);
    const body = (await fourth.json()) as ErrorBody;
    assert.equal(body.error.code, 'session_join_limit');
    assert.match(body.error.message, /at most 3 new participants per minute/);
    assert.ok(Number(fourth.headers.get('retry-after')) >= 1, 'Retry-After says when to try again');
    assert.equal((await join(joinCode, 'a', firstThree[0]!.token)).status, 200, 'a guest who joined already comes back');
    assert.equal((await join(otherCode, 'e')).status, 200, 'another session has its own quota');
  });

  it('notebooks per user, also when asked for at once; notebooks shared with them do not count', async () => {
    const user = await newUser();
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => user.api<ErrorBody>('POST', '/api/notebooks', { name: `n${i}` })));
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 201, 201, 403, 403]);
    const refused = results.find((r) => r.status === 403)!;
    assert.equal(refused.body.error.code, 'notebook_limit');
    assert.match(refused.body.error.message, /--max-notebooks-per-user 3/);
    const someone = await newUser();
    const theirs = await create(someone.api, 'theirs');
    assert.equal((await someone.api('PUT', `/api/notebooks/${theirs}/members/${user.id}`, { role: 'owner' })).status, 200);
    assert.equal((await user.api('POST', '/api/notebooks', { name: 'n6' })).status, 403, 'being made owner of another notebook frees nothing');
    const list = await user.api<{ notebooks: Array<{ id: string; owner: string }> }>('GET', '/api/notebooks');
    const mine = list.body.notebooks.find((n) => n.owner === user.id)!;
    assert.equal((await user.api('DELETE', `/api/notebooks/${mine.id}`)).status, 204);
    assert.equal((await user.api('POST', '/api/notebooks', { name: 'n7' })).status, 201, 'deleting one makes room');
  });

  it('published output size: a large output is refused whole, a small one published', async () => {
    const owner = await newUser();
    const nb = await create(owner.api, 'publish', notebook(code('big', "print('x' * 20000)"), code('small', "print('ok')")));
    assert.equal((await run(owner.api, nb, ['big', 'small'])).status, 200);
    const refused = await owner.api<ErrorBody>('POST', `/api/notebooks/${nb}/cells/big/publish`);
    assert.equal(refused.status, 413);
    assert.equal(refused.body.error.code, 'published_too_large');
    assert.match(refused.body.error.message, /at most 10000 can be published \(--max-published-bytes\)/);
    assert.equal((await owner.api('POST', `/api/notebooks/${nb}/cells/small/publish`)).status, 201);
    const lease = await t.server.rooms.acquire(sharedRoom(nb));
    try {
      const published = sharedDoc(lease.room.doc).published;
      assert.equal(published.get('big'), undefined, 'nothing of the refused output was published');
      assert.ok(published.get('small')?.get(owner.id));
    } finally {
      lease.release();
    }
    await owner.api('DELETE', `/api/notebooks/${nb}/kernel`);
  });

  it('widget state size: from the kernel, through the document and through REST', async () => {
    const owner = await newUser();
    const nb = await create(
      owner.api,
      'widgets',
      notebook(
        code('make', "import ipywidgets as w\nt = w.Text(value='small')\nt.observe(lambda ch: print('kernel got', len(ch['new'])), 'value')\nt"),
        code('grow', `t.value = 'y' * ${2 * WIDGET_STATE_BYTES}`),
        code('shrink', "t.value = 'fits'"),
        code('huge', `big = w.Text(value='z' * ${2 * WIDGET_STATE_BYTES})\nbig`),
      ),
    );
    const mine = connectDoc(t.wsUrl, privateRoom(nb, owner.id), owner.token);
    clients.push(mine);
    await mine.synced();
    const doc = privateDoc(mine.doc);
    const text0 = () => text(outputsToJSON(doc.outputs.get('make')));
    assert.equal((await run(owner.api, nb, ['make'])).status, 200);
    const widgets = mine.doc.getMap<Y.Map<unknown>>('widgets');
    const textModel = () => [...widgets.values()].find((m) => m.get('model_name') === 'TextModel');
    await eventually(() => textModel());
    const value = () => widgetState(textModel()!).get('value');

    // From the kernel: the update past the bound is refused (the widget keeps its last state)
    // and the cell says why; the next update that fits arrives.
    const grow = await run(owner.api, nb, ['grow']);
    assert.equal(grow.status, 200);
    assert.equal((await run(owner.api, nb, ['shrink'])).status, 200);
    await eventually(() => value() === 'fits', { timeoutMs: 30_000, message: 'the update that fits never arrived' });
    assert.match(text0(), /Widget update refused: .* more than the server keeps \(16384, --max-widget-state-bytes\)/);
    const huge = await run(owner.api, nb, ['huge']);
    assert.equal(huge.status, 200);
    await eventually(() => /Widget update refused/.test(text(outputsToJSON(doc.outputs.get('huge')))), { timeoutMs: 30_000, message: 'no note for the refused model' });
    assert.equal([...widgets.values()].filter((m) => m.get('model_name') === 'TextModel').length, 1, 'the oversized model was not created');

    // Through the document: a client's change past the bound does not reach the kernel; the
    // next change does (the kernel prints the length of what it got).
    const model = textModel()!;
    const modelId = [...widgets.entries()].find(([, m]) => m === model)![0];
    mine.doc.transact(() => widgetState(model).set('value', 'q'.repeat(2 * WIDGET_STATE_BYTES)));
    // The server has it (so it is not coalesced with the marker) before the marker is made.
    await eventually(async () => {
      const lease = await t.server.rooms.acquire(privateRoom(nb, owner.id));
      try {
        const server = lease.room.doc.getMap<Y.Map<unknown>>('widgets').get(modelId);
        return server && String(widgetState(server).get('value')).length === 2 * WIDGET_STATE_BYTES;
      } finally {
        lease.release();
      }
    });
    mine.doc.transact(() => widgetState(model).set('value', 'marker'));
    await eventually(() => text0().includes('kernel got 6'), { timeoutMs: 30_000, message: 'the change after the refused one never reached the kernel' });
    assert.doesNotMatch(text0(), new RegExp(`kernel got ${2 * WIDGET_STATE_BYTES}`));

    // Through REST: a custom message larger than a widget may hold.
    const tooLarge = await owner.api<ErrorBody>('POST', `/api/notebooks/${nb}/widgets/${modelId}/messages`, {
      content: { event: 'x'.repeat(2 * WIDGET_STATE_BYTES) },
    });
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.body.error.code, 'widget_message_too_large');
    await owner.api('DELETE', `/api/notebooks/${nb}/kernel`);
  });
});
