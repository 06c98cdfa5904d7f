// ipywidgets 8 through the comm bridge, with real kernels and a Node Yjs client per user.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as Y from 'yjs';
import type { Output } from '../../shared/nbformat.ts';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { cellOutputs, findCell, outputsToJSON, widgetState } from '../../shared/schema.ts';
import { privateDoc, sharedDoc } from '../../shared/layout.ts';
import { connectDoc, handledSoFar, markerSeen } from '../helpers/clients.ts';
import type { DocClient } from '../helpers/clients.ts';
import { eventually } from '../helpers/eventually.ts';
import type { Api, TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';
import { codeCell as code } from '../helpers/cells.ts';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);


function modelsNamed(widgets: Y.Map<Y.Map<unknown>>, name: string): Array<[string, Y.Map<unknown>]> {
  return [...widgets.entries()].filter(([, m]) => m.get('model_name') === name);
}

const firstModel = (widgets: Y.Map<Y.Map<unknown>>, name: string) => modelsNamed(widgets, name)[0];

function plain(outputs: Output[]): string {
  return outputs.map((o) => ('data' in o ? String(o.data['text/plain'] ?? '') : o.output_type === 'stream' ? String(o.text) : '')).join('|');
}

describe('widgets', { timeout: 240_000 }, () => {
  let t: TestServer;
  let owner: { id: string; token: string };
  let editor: { id: string; token: string };
  let alice: { id: string; token: string };
  let bob: { id: string; token: string };
  let nb: string;
  const clients: DocClient[] = [];
  const as = (u: { token: string }): Api => t.api(u.token);
  const run = async (u: { token: string }, cellIds: string[]) => {
    const res = await as(u)<{ runs: Array<{ status: string; outputs: Output[] }> }>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    for (const r of res.body.runs) assert.equal(r.status, 'ok', JSON.stringify(r));
    return res.body.runs;
  };
  const open = async (room: string, u: { token: string }) => {
    const c = connectDoc(t.wsUrl, room, u.token);
    clients.push(c);
    await c.synced();
    return c;
  };

  before(async () => {
    t = await startTestServer();
    owner = await t.createUser('owner');
    editor = await t.createUser('editor');
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    const created = await as(owner)<{ id: string }>('POST', '/api/notebooks', {
      name: 'widgets',
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [
          code('interact', 'from ipywidgets import interact\ninteract(lambda x: x, x="Hello World")'),
          code('slider', 'import ipywidgets as w\ns = w.IntSlider(value=3, max=100)\ns', 'shared'),
          code('readslider', 'print("slider", s.value)', 'shared'),
          code('button', "import ipywidgets as w\nclicks = []\nb = w.Button(description='go')\nb.on_click(lambda _: (clicks.append(1), print('clicked', len(clicks))))\nb"),
          code('clicks', 'print(len(clicks))'),
          code('drag', "import ipywidgets as w\nseen = []\nd = w.IntSlider(max=1000)\nd.observe(lambda c: seen.append(c['new']), 'value')\nd"),
          code('seen', 'print(len(seen), seen[-1])'),
          code('image', `import ipywidgets as w, base64\nimg = w.Image(value=base64.b64decode('${PNG.toString('base64')}'), format='png')\nimg`),
        ],
      },
    });
    nb = created.body.id;
    for (const [u, role] of [[editor, 'editor'], [alice, 'runner'], [bob, 'runner']] as const) {
      await as(owner)('PUT', `/api/notebooks/${nb}/members/${u.id}`, { role });
    }
  });

  after(async () => {
    for (const c of clients) c.destroy();
    await t.close();
  });

  it('the seed scenario: interact values stay private to each user', async () => {
    await run(alice, ['interact']);
    await run(bob, ['interact']);
    const a = await open(privateRoom(nb, alice.id), alice);
    const b = await open(privateRoom(nb, bob.id), bob);
    const aWidgets = privateDoc(a.doc).widgets;
    const bWidgets = privateDoc(b.doc).widgets;
    const [, aText] = await eventually(() => firstModel(aWidgets, 'TextModel'));
    assert.equal(widgetState(aText).get('value'), 'Hello World');
    const aOut = () => widgetState(modelsNamed(aWidgets, 'OutputModel')[0]![1]).get('outputs') as Output[];
    await eventually(() => plain(aOut()) === "'Hello World'");
    // A's view of the cell output is the interact widget.
    const view = outputsToJSON(privateDoc(a.doc).outputs.get('interact'));
    assert.ok(view.some((o) => 'data' in o && 'application/vnd.jupyter.widget-view+json' in o.data));

    widgetState(aText).set('value', 'A');
    await eventually(() => plain(aOut()) === "'A'", { message: "A's interact output did not show 'A'" });

    const [, bText] = modelsNamed(bWidgets, 'TextModel')[0]!;
    assert.equal(widgetState(bText).get('value'), 'Hello World');
    assert.equal(plain(widgetState(modelsNamed(bWidgets, 'OutputModel')[0]![1]).get('outputs') as Output[]), "'Hello World'");
    assert.doesNotMatch(JSON.stringify(b.doc.toJSON()), /"'A'"/);
    for (const id of aWidgets.keys()) assert.equal(bWidgets.has(id), false, "B's document holds a model of A's");
  });

  it('a shared slider: everyone sees it, an editor moves it, a runner cannot', async () => {
    await run(owner, ['slider']);
    const ed = await open(sharedRoom(nb), editor);
    const runner = await open(sharedRoom(nb), alice);
    const sliderOf = (c: DocClient) => modelsNamed(sharedDoc(c.doc).widgets, 'IntSliderModel')[0]?.[1];
    await eventually(() => sliderOf(ed) && sliderOf(runner));
    assert.equal(widgetState(sliderOf(runner)!).get('value'), 3);
    widgetState(sliderOf(ed)!).set('value', 42);
    await eventually(() => widgetState(sliderOf(runner)!).get('value') === 42);
    const [read] = await run(owner, ['readslider']);
    assert.match(plain(read!.outputs), /slider 42/);

    widgetState(sliderOf(runner)!).set('value', 7);
    // Markers: the server has handled the runner's change (its answer to a sync step 1 sent after
    // it), then an owner's change after that reached the editor — the runner's would have come first.
    await handledSoFar(runner);
    const own = await open(sharedRoom(nb), owner);
    await markerSeen(own, [ed]);
    assert.equal(widgetState(sliderOf(ed)!).get('value'), 42, "a runner's change reached another member");
    const [again] = await run(owner, ['readslider']);
    assert.match(plain(again!.outputs), /slider 42/);
  });

  it("a Button click through the messages endpoint runs the handler in that user's kernel only", async () => {
    await run(alice, ['button']);
    await run(bob, ['button']);
    const a = await open(privateRoom(nb, alice.id), alice);
    const [buttonId] = await eventually(() => firstModel(privateDoc(a.doc).widgets, 'ButtonModel'));
    const denied = await as(bob)('POST', `/api/notebooks/${nb}/widgets/${buttonId}/messages`, { content: { event: 'click' } });
    assert.equal(denied.status, 404, "bob may not click alice's button");
    const res = await as(alice)('POST', `/api/notebooks/${nb}/widgets/${buttonId}/messages`, { content: { event: 'click' } });
    assert.equal(res.status, 202);
    await eventually(() => /clicked 1/.test(plain(outputsToJSON(privateDoc(a.doc).outputs.get('button')))), {
      message: 'the click handler output did not reach the button cell',
    });
    assert.equal(plain((await run(alice, ['clicks']))[0]!.outputs), '1\n');
    assert.equal(plain((await run(bob, ['clicks']))[0]!.outputs), '0\n');
  });

  it('coalesces a slider drag: the kernel gets the latest value without a backlog', async () => {
    await run(alice, ['drag']);
    const a = await open(privateRoom(nb, alice.id), alice);
    const [, slider] = await eventually(() => firstModel(privateDoc(a.doc).widgets, 'IntSliderModel'));
    for (let v = 1; v <= 200; v++) widgetState(slider).set('value', v); // 200 separate changes, as a drag makes
    await eventually(
      async () => {
        const [r] = await run(alice, ['seen']);
        return /^\d+ 200\n$/.test(plain(r!.outputs)) ? plain(r!.outputs) : undefined;
      },
      { timeoutMs: 20_000, message: 'the kernel never saw the last value' },
    ).then((line) => {
      const count = Number(line.split(' ')[0]);
      assert.ok(count < 200, `the kernel processed all ${count} intermediate values`);
    });
    assert.equal(widgetState(slider).get('value'), 200, 'an echo moved the slider back');
  });

  it('keeps binary widget state (Image PNG bytes) through the bridge', async () => {
    await run(alice, ['image']);
    const a = await open(privateRoom(nb, alice.id), alice);
    const [, image] = await eventually(() => firstModel(privateDoc(a.doc).widgets, 'ImageModel'));
    const value = widgetState(image).get('value');
    assert.ok(value instanceof Uint8Array, `value is ${typeof value}`);
    assert.deepEqual(Buffer.from(value), PNG);
  });

  it("a kernel restart removes that kernel's models and marks their outputs", async () => {
    const a = await open(privateRoom(nb, alice.id), alice);
    const b = await open(privateRoom(nb, bob.id), bob);
    assert.ok(privateDoc(a.doc).widgets.size > 0);
    const bobModels = privateDoc(b.doc).widgets.size;
    assert.equal((await as(alice)('POST', `/api/notebooks/${nb}/kernel/restart`)).status, 204);
    await eventually(() => privateDoc(a.doc).widgets.size === 0, { message: 'models were not removed' });
    const shown = outputsToJSON(privateDoc(a.doc).outputs.get('interact'));
    assert.match(plain(shown), /no longer exists/);
    assert.equal(privateDoc(b.doc).widgets.size, bobModels, "bob's widgets were touched");
    const shared = await t.server.rooms.acquire(sharedRoom(nb));
    assert.ok(sharedDoc(shared.room.doc).widgets.size > 0, 'shared widgets survive a private restart');
    assert.ok(cellOutputs(findCell(shared.room.doc, 'slider')!.cell)!.length > 0);
    shared.release();
  });
});
