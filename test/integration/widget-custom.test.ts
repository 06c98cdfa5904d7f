// Widget custom messages (ipywidgets protocol 2.1 `method: 'custom'`) both ways on the sync
// socket, with real kernels and stock y-websocket clients that read and write Cohort's widget
// frames (shared/widgetMessages.ts): a kernel's send() reaches the browsers of the model's
// document, a browser's send() reaches the kernel's on_msg — buffers included — in order with the
// model's state changes and only from those who may drive the kernel.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as Y from 'yjs';
import type { Output } from '../../shared/nbformat.ts';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { widgetState } from '../../shared/schema.ts';
import { privateDoc, sharedDoc } from '../../shared/layout.ts';
import type { WidgetMessage } from '../../shared/widgetMessages.ts';
import { encodeWidgetMessage, readWidgetMessage, WIDGET_MESSAGE } from '../../shared/widgetMessages.ts';
import { connectDoc } from '../helpers/clients.ts';
import type { DocClient } from '../helpers/clients.ts';
import { eventually } from '../helpers/eventually.ts';
import type { Api, TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';
import { codeCell as code } from '../helpers/cells.ts';


// A widget that answers every custom message with one of its own: what it got, how many so far,
// its buffers reversed, and the value of its `description` trait when the message arrived.
const ECHO = [
  'import ipywidgets as w',
  'got = []',
  "e = w.Button(description='echo')",
  'def answer(widget, content, buffers):',
  '    got.append((content, [bytes(b) for b in buffers]))',
  "    widget.send({'echo': content, 'n': len(got), 'description': widget.description}, [bytes(b)[::-1] for b in buffers])",
  'e.on_msg(answer)',
  'e',
].join('\n');

interface WidgetClient extends DocClient {
  received: WidgetMessage[];
  sendCustom(modelId: string, content: Record<string, unknown>, buffers?: Uint8Array[]): void;
}

function plain(outputs: Output[]): string {
  return outputs.map((o) => (o.output_type === 'stream' ? String(o.text) : 'data' in o ? String(o.data['text/plain'] ?? '') : '')).join('');
}

describe('widget custom messages', { timeout: 240_000 }, () => {
  let t: TestServer;
  let owner: { id: string; token: string };
  let editor: { id: string; token: string };
  let alice: { id: string; token: string };
  let viewer: { id: string; token: string };
  let nb: string;
  const clients: DocClient[] = [];
  const as = (u: { token: string }): Api => t.api(u.token);

  const run = async (u: { token: string }, cellId: string) => {
    const res = await as(u)<{ runs: Array<{ status: string; outputs: Output[] }> }>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds: [cellId] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.runs[0]!.status, 'ok', JSON.stringify(res.body.runs[0]));
    return plain(res.body.runs[0]!.outputs);
  };

  async function open(room: string, u: { token: string }): Promise<WidgetClient> {
    const client = connectDoc(t.wsUrl, room, u.token);
    clients.push(client);
    const received: WidgetMessage[] = [];
    client.provider.messageHandlers[WIDGET_MESSAGE] = (_encoder, decoder) => {
      received.push(readWidgetMessage(decoder));
    };
    await client.synced();
    return Object.assign(client, {
      received,
      sendCustom(modelId: string, content: Record<string, unknown>, buffers: Uint8Array[] = []) {
        client.provider.ws!.send(encodeWidgetMessage({ kind: 'custom', modelId, content, buffers }));
      },
    });
  }

  const modelNamed = (widgets: Y.Map<Y.Map<unknown>>, name: string) =>
    [...widgets.entries()].find(([, m]) => m.get('model_name') === name)?.[0];

  const customs = (c: WidgetClient, modelId: string) =>
    c.received.filter((m): m is Extract<WidgetMessage, { kind: 'custom' }> => m.kind === 'custom' && m.modelId === modelId);

  before(async () => {
    t = await startTestServer();
    owner = { id: '', token: t.adminToken };
    editor = await t.createUser('editor');
    alice = await t.createUser('alice');
    viewer = await t.createUser('viewer');
    const created = await as(owner)<{ id: string }>('POST', '/api/notebooks', {
      name: 'custom messages',
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          code('echo', ECHO),
          code('push', "e.send({'hello': 'from the kernel'}, [bytes([0, 1, 2])])"),
          code('got', 'print(len(got), got[-1] if got else None)'),
          code('shared-echo', ECHO, 'shared'),
          code('shared-push', "e.send({'to': 'everyone'})", 'shared'),
          code('shared-got', 'print(len(got), got[-1] if got else None)', 'shared'),
        ],
      },
    });
    nb = created.body.id;
    for (const [u, role] of [[editor, 'editor'], [alice, 'runner'], [viewer, 'viewer']] as const) {
      await as(owner)('PUT', `/api/notebooks/${nb}/members/${u.id}`, { role });
    }
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await t.close();
  });

  it("a kernel's send() reaches the model's on_msg in its user's browser, buffers included", async () => {
    const a = await open(privateRoom(nb, alice.id), alice);
    await run(alice, 'echo');
    const echo = await eventually(() => modelNamed(privateDoc(a.doc).widgets, 'ButtonModel'));
    await run(alice, 'push');
    const [message] = await eventually(() => customs(a, echo).length > 0 && customs(a, echo), { message: 'no custom message arrived' });
    assert.deepEqual(message!.content, { hello: 'from the kernel' });
    assert.deepEqual([...message!.buffers[0]!], [0, 1, 2]);
  });

  it("a browser's send() reaches the kernel's on_msg with its buffers, and the answer comes back", async () => {
    const a = await open(privateRoom(nb, alice.id), alice);
    const echo = modelNamed(privateDoc(a.doc).widgets, 'ButtonModel')!;
    a.sendCustom(echo, { ping: 1 }, [new Uint8Array([1, 2, 3])]);
    const answer = await eventually(() => customs(a, echo).find((m) => (m.content.echo as { ping?: number } | undefined)?.ping === 1), {
      message: 'the kernel did not answer',
    });
    assert.equal(answer.content.n, 1);
    assert.deepEqual([...answer.buffers[0]!], [3, 2, 1]);
    assert.match(await run(alice, 'got'), /^1 \(\{'ping': 1\}, \[b'\\x01\\x02\\x03'\]\)/);
  });

  it('a custom message sent right after a state change reaches the kernel after it', async () => {
    const a = await open(privateRoom(nb, alice.id), alice);
    const echo = modelNamed(privateDoc(a.doc).widgets, 'ButtonModel')!;
    for (const label of ['first', 'second', 'third']) {
      widgetState(privateDoc(a.doc).widgets.get(echo)!).set('description', label);
      a.sendCustom(echo, { after: label });
    }
    const answers = await eventually(() => {
      const found = customs(a, echo).filter((m) => typeof (m.content.echo as { after?: string } | undefined)?.after === 'string');
      return found.length === 3 && found;
    });
    assert.deepEqual(
      answers.map((m) => [(m.content.echo as { after: string }).after, m.content.description]),
      [['first', 'first'], ['second', 'second'], ['third', 'third']],
    );
  });

  it('a shared widget’s send() reaches every member watching, viewers included', async () => {
    await run(owner, 'shared-echo');
    const watchers = [await open(sharedRoom(nb), viewer), await open(sharedRoom(nb), alice), await open(sharedRoom(nb), editor)];
    const echo = await eventually(() => modelNamed(sharedDoc(watchers[0]!.doc).widgets, 'ButtonModel'));
    await run(owner, 'shared-push');
    for (const w of watchers) {
      await eventually(() => customs(w, echo).some((m) => m.content.to === 'everyone'), { message: 'a member did not get the shared message' });
    }
  });

  it("a viewer's (and a runner's) custom message to a shared widget is refused; an editor's goes through", async () => {
    const [v, r, e] = [await open(sharedRoom(nb), viewer), await open(sharedRoom(nb), alice), await open(sharedRoom(nb), editor)];
    const echo = await eventually(() => modelNamed(sharedDoc(e.doc).widgets, 'ButtonModel'));
    v.sendCustom(echo, { from: 'viewer' });
    r.sendCustom(echo, { from: 'runner' });
    for (const c of [v, r]) {
      const refusal = await eventually(() => c.received.find((m) => m.kind === 'refused'), { message: 'no refusal came back' });
      assert.equal(refusal.modelId, echo);
      assert.match((refusal as { reason: string }).reason, /role/);
    }
    // The marker: sent after the refused ones, it is the only message the kernel ever got.
    e.sendCustom(echo, { from: 'editor' });
    await eventually(() => customs(e, echo).some((m) => (m.content.echo as { from?: string } | undefined)?.from === 'editor'));
    assert.equal(await run(owner, 'shared-got'), "1 ({'from': 'editor'}, [])\n");
    assert.equal(v.closes.length + r.closes.length, 0, 'a refusal does not cost the connection');
  });

  it('a member demoted to viewer can no longer drive their own kernel through custom messages', async () => {
    const a = await open(privateRoom(nb, alice.id), alice);
    const echo = modelNamed(privateDoc(a.doc).widgets, 'ButtonModel')!;
    const before = customs(a, echo).length;
    await as(owner)('PUT', `/api/notebooks/${nb}/members/${alice.id}`, { role: 'viewer' });
    try {
      const stillOpen = await open(privateRoom(nb, alice.id), alice);
      stillOpen.sendCustom(echo, { from: 'demoted' });
      await eventually(() => stillOpen.received.find((m) => m.kind === 'refused'), { message: 'no refusal came back' });
    } finally {
      await as(owner)('PUT', `/api/notebooks/${nb}/members/${alice.id}`, { role: 'runner' });
    }
    const marker = await open(privateRoom(nb, alice.id), alice);
    marker.sendCustom(echo, { from: 'runner again' });
    await eventually(() => customs(marker, echo).some((m) => (m.content.echo as { from?: string } | undefined)?.from === 'runner again'));
    assert.equal(customs(a, echo).length - before, 1, 'only the marker was answered');
    assert.doesNotMatch(await run(alice, 'got'), /demoted/);
  });

  it('a custom message for a model the document does not hold is refused, the connection stays', async () => {
    const a = await open(privateRoom(nb, alice.id), alice);
    a.sendCustom('no-such-model', { x: 1 });
    const refusal = await eventually(() => a.received.find((m) => m.kind === 'refused' && m.modelId === 'no-such-model'));
    assert.match((refusal as { reason: string }).reason, /no widget/);
    assert.equal(a.closes.length, 0);
  });
});
