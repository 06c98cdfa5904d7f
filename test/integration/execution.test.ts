// Per-user kernels over REST with real ipykernel processes: each user's code runs in their own
// kernel and lands in their own private document; shared-scope cells run in the shared kernel.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as Y from 'yjs';
import type { Output } from '../../shared/nbformat.ts';
import { privateRoom, sharedRoom } from '../../shared/rooms.ts';
import { cellOutputs, findCell, outputsToJSON, setCellScope } from '../../shared/schema.ts';
import { privateDoc, sharedDoc } from '../../shared/layout.ts';
import { connectDoc } from '../helpers/clients.ts';
import type { DocClient } from '../helpers/clients.ts';
import { notebookHome, userHome } from '../../server/kernels/homes.ts';
import { processGone } from '../helpers/kernel.ts';
import { eventually } from '../helpers/eventually.ts';
import type { Api, TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';
import { codeCell as code } from '../helpers/cells.ts';

interface RunAnswer {
  cellId: string;
  status: string;
  execution_count: number | null;
  outputs: Output[];
  message?: string;
}

const text = (outputs: Output[]) =>
  outputs
    .map((o) => (o.output_type === 'stream' ? String(o.text) : o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : JSON.stringify('data' in o ? o.data['text/plain'] : '')))
    .join('');

const alive = (pid: number) => !processGone(pid);

describe('per-user kernels', { timeout: 240_000 }, () => {
  let t: TestServer;
  let owner: { id: string; token: string };
  let alice: { id: string; token: string };
  let bob: { id: string; token: string };
  let viewer: { id: string; token: string };
  let nb: string;
  const clients: DocClient[] = [];
  const as = (u: { token: string }): Api => t.api(u.token);
  const run = async (u: { token: string }, cellIds: string[]) => {
    const res = await as(u)<{ runs: RunAnswer[] }>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.runs;
  };
  const setSource = async (id: string, source: string) => {
    const lease = await t.server.rooms.acquire(sharedRoom(nb));
    lease.room.doc.transact(() => {
      const text = findCell(lease.room.doc, id)!.cell.get('source') as Y.Text;
      text.delete(0, text.length);
      text.insert(0, source);
    });
    lease.release();
  };
  const open = (room: string, u: { token: string }) => {
    const c = connectDoc(t.wsUrl, room, u.token);
    clients.push(c);
    return c;
  };

  before(async () => {
    t = await startTestServer({ maxOutputBytes: 20_000 });
    owner = await t.createUser('owner');
    alice = await t.createUser('alice');
    bob = await t.createUser('bob');
    viewer = await t.createUser('viewer');
    const created = await as(owner)<{ id: string }>('POST', '/api/notebooks', {
      name: 'kernels',
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
        cells: [
          code('setx', "x = 'A'"),
          code('printx', 'print(x)'),
          code('shared', "import os\nopen('ran-here', 'w').write('x')\nprint('shared kernel pid', os.getpid())"),
          code('ask', "name = input('Name? ')\nprint('hello', name)"),
          code('sleep', 'import time\ntime.sleep(60)'),
          code('sety', 'y = 5'),
          code('printy', 'print(y)'),
          code('loop', "for i in range(300):\n    print(i)"),
          code('cr', "import sys\nfor i in range(5):\n    sys.stdout.write(f'\\rprogress {i}')\nprint()\nprint('done')"),
          code('clear', "from IPython.display import clear_output\nprint('first')\nclear_output(wait=True)\nprint('second')"),
          code('display', "from IPython.display import display\nh = display('v1', display_id=True)"),
          code('update', "h.update('v2')"),
          code('flood', "print('x' * 100_000)"),
          code('pid', 'import os\nos.getpid()'),
          { ...code('sharedslow', "import time\ntime.sleep(0.5)\nprint('shared done')"), metadata: { cohort: { scope: 'shared' } } },
          { ...code('sharedfail', "raise ValueError('boom')"), metadata: { cohort: { scope: 'shared' } } },
          { cell_type: 'markdown', id: 'md', source: '# title', metadata: {} },
        ],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    nb = created.body.id;
    for (const [u, role] of [[alice, 'runner'], [bob, 'runner'], [viewer, 'viewer']] as const) {
      await as(owner)('PUT', `/api/notebooks/${nb}/members/${u.id}`, { role });
    }
  });

  after(async () => {
    for (const c of clients) c.destroy();
    const pids = t.server.kernels.list().flatMap((k) => t.kernelPid(k.key) ?? []);
    await t.close();
    for (const pid of pids) assert.equal(alive(pid), false, `kernel ${pid} outlived the server`);
  });

  it('the seed problem, solved: each user sees only their own x', async () => {
    await setSource('setx', "x = 'A'");
    assert.equal((await run(alice, ['setx']))[0]!.status, 'ok');
    await setSource('setx', "x = 'B'");
    assert.equal((await run(bob, ['setx']))[0]!.status, 'ok');
    const [a] = await run(alice, ['printx']);
    const [b] = await run(bob, ['printx']);
    assert.equal(text(a!.outputs), 'A\n');
    assert.equal(text(b!.outputs), 'B\n');
    assert.equal(a!.execution_count, 2);

    const bobsRoom = open(privateRoom(nb, bob.id), bob);
    const alicesRoom = open(privateRoom(nb, alice.id), alice);
    await Promise.all([bobsRoom.synced(), alicesRoom.synced()]);
    assert.equal(text(outputsToJSON(privateDoc(alicesRoom.doc).outputs.get('printx'))), 'A\n');
    assert.equal(text(outputsToJSON(privateDoc(bobsRoom.doc).outputs.get('printx'))), 'B\n');
    assert.doesNotMatch(JSON.stringify(bobsRoom.doc.toJSON()), /'A'|"A\\n"/);
    assert.equal(privateDoc(bobsRoom.doc).executions.get('printx')?.status, 'ok');
    const alicePid = t.kernelPid({ notebookId: nb, userId: alice.id });
    assert.equal(typeof alicePid, 'number');
    assert.notEqual(alicePid, t.kernelPid({ notebookId: nb, userId: bob.id }));
    // The shared document holds no user-scope output.
    const shared = await t.server.rooms.acquire(sharedRoom(nb));
    assert.equal(cellOutputs(findCell(shared.room.doc, 'printx')!.cell)!.length, 0);
    shared.release();
  });

  it('a shared-scope cell run by the owner writes to the shared document for every member', async () => {
    const lease = await t.server.rooms.acquire(sharedRoom(nb));
    lease.room.doc.transact(() => setCellScope(findCell(lease.room.doc, 'shared')!.cell, 'shared'));
    lease.release();
    const denied = await as(alice)<{ error: { code: string } }>('POST', `/api/notebooks/${nb}/execute`, { cellIds: ['shared'] });
    assert.equal(denied.status, 403);
    const [r] = await run(owner, ['shared']);
    assert.equal(r!.status, 'ok');
    assert.match(text(r!.outputs), /shared kernel pid \d+/);
    for (const u of [alice, viewer]) {
      const c = open(sharedRoom(nb), u);
      await c.synced();
      await eventually(() => text(outputsToJSON(cellOutputs(findCell(c.doc, 'shared')!.cell))) === text(r!.outputs));
      assert.equal(sharedDoc(c.doc).executions.get('shared')?.status, 'ok');
    }
    const sharedKernel = await as(owner)<{ status: string }>('GET', `/api/notebooks/${nb}/kernel?scope=shared`);
    assert.equal(sharedKernel.body.status, 'idle');
    const sharedPid = t.kernelPid({ notebookId: nb, shared: true });
    if (t.engine) {
      // A remote engine has no homes, but its kernels see their host pids: the cell printed the shared kernel's.
      assert.equal(text(r!.outputs), `shared kernel pid ${sharedPid}\n`, 'the cell did not run in the shared kernel');
      return;
    }
    assert.equal(typeof sharedPid, 'number');
    // It ran in the notebook's shared kernel, which works in the notebook's home (the owner's own
    // kernel works in the owner's). A sandboxed kernel does not know its host pid to print it.
    assert.ok(existsSync(join(notebookHome(t.dataDir, nb), 'ran-here')), 'the cell did not run in the shared kernel');
    assert.ok(!existsSync(join(userHome(t.dataDir, owner.id), 'ran-here')), 'the cell ran in the owner\'s own kernel');
  });

  it('refuses viewers, unknown cells and bad bodies', async () => {
    assert.equal((await as(viewer)('POST', `/api/notebooks/${nb}/execute`, { cellIds: ['setx'] })).status, 403);
    const missing = await as(alice)<{ error: { code: string } }>('POST', `/api/notebooks/${nb}/execute`, { cellIds: ['setx', 'nope'] });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'cell_not_found');
    assert.equal((await as(alice)('POST', `/api/notebooks/${nb}/execute`, { cellIds: 'setx' })).status, 400);
    const [md] = await run(alice, ['md', 'sety']);
    assert.equal(md!.cellId, 'sety', 'markdown cells are skipped');
  });

  it('input() round trip through the stdin endpoint, answered only by the asking user', async () => {
    const room = open(privateRoom(nb, alice.id), alice);
    await room.synced();
    const res = await as(alice)<{ runs: unknown[] }>('POST', `/api/notebooks/${nb}/execute`, { cellIds: ['ask'] });
    assert.equal(res.status, 202);
    const request = await eventually(() => privateDoc(room.doc).stdin.get('request'));
    assert.equal(request.prompt, 'Name? ');
    assert.equal(request.password, false);
    assert.equal((await as(bob)('POST', `/api/notebooks/${nb}/stdin`, { value: 'mallory' })).status, 409);
    assert.equal((await as(alice)('POST', `/api/notebooks/${nb}/stdin`, { value: 'alice' })).status, 204);
    await eventually(() => text(outputsToJSON(privateDoc(room.doc).outputs.get('ask'))) === 'hello alice\n');
    await eventually(() => privateDoc(room.doc).stdin.get('request') === undefined);
  });

  it('interrupt ends time.sleep(60) quickly with KeyboardInterrupt', async () => {
    const started = Date.now();
    const pending = run(alice, ['sleep']);
    const room = open(privateRoom(nb, alice.id), alice);
    await eventually(() => privateDoc(room.doc).executions.get('sleep')?.status === 'running');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await as(alice)('POST', `/api/notebooks/${nb}/kernel/interrupt`)).status, 204);
    const [r] = await pending;
    assert.equal(r!.status, 'error');
    assert.match(text(r!.outputs), /KeyboardInterrupt/);
    assert.ok(Date.now() - started < 20_000);
  });

  it('restart clears variables', async () => {
    await run(alice, ['sety']);
    assert.equal(text((await run(alice, ['printy']))[0]!.outputs), '5\n');
    assert.equal((await as(alice)('POST', `/api/notebooks/${nb}/kernel/restart`)).status, 204);
    const [r] = await run(alice, ['printy']);
    assert.equal(r!.status, 'error');
    assert.match(text(r!.outputs), /NameError/);
  });

  it('streams merge, \\r overwrites, clear_output waits, display ids update across cells', async () => {
    const [loop] = await run(alice, ['loop']);
    assert.equal(loop!.outputs.length, 1, 'consecutive stream chunks are one output');
    assert.equal(text(loop!.outputs), Array.from({ length: 300 }, (_, i) => `${i}\n`).join(''));
    const [cr] = await run(alice, ['cr']);
    assert.equal(text(cr!.outputs), 'progress 4\ndone\n');
    const [clear] = await run(alice, ['clear']);
    assert.equal(text(clear!.outputs), 'second\n');
    await run(alice, ['display', 'update']);
    const room = open(privateRoom(nb, alice.id), alice);
    await room.synced();
    await eventually(() => {
      const shown = outputsToJSON(privateDoc(room.doc).outputs.get('display'));
      return shown.length === 1 && 'data' in shown[0]! && shown[0].data['text/plain'] === "'v2'";
    });
  });

  it('caps a cell\'s output with a visible truncation marker', async () => {
    const [r] = await run(alice, ['flood']);
    assert.equal(r!.outputs.length, 1);
    const marker = r!.outputs[0]!;
    assert.equal(marker.output_type, 'display_data');
    assert.match(text([marker]), /Output truncated/);
  });

  it('a SIGKILLed kernel fails its run; the other user is untouched; the next run works', async () => {
    const bobPid = t.kernelPid({ notebookId: nb, userId: bob.id })!;
    const alicePid = t.kernelPid({ notebookId: nb, userId: alice.id })!;
    const pending = run(alice, ['sleep']);
    const room = open(privateRoom(nb, alice.id), alice);
    await eventually(() => privateDoc(room.doc).executions.get('sleep')?.status === 'running');
    process.kill(alicePid, 'SIGKILL');
    const [r] = await pending;
    assert.equal(r!.status, 'error');
    assert.match(r!.message ?? '', /kernel died/);
    assert.ok(alive(bobPid), "bob's kernel was touched");
    await eventually(() => privateDoc(room.doc).kernel.get('status') === 'dead');
    const [again] = await run(alice, ['pid']);
    assert.equal(again!.status, 'ok');
    assert.notEqual(text(again!.outputs), JSON.stringify(String(alicePid)));
    assert.equal(text((await run(bob, ['printx']))[0]!.outputs), 'B\n', "bob's variables survived");
  });

  it('a run mixing scopes goes in cell order across kernels and stops at an error', async () => {
    const ordered = await run(owner, ['sety', 'sharedslow', 'printy']);
    assert.deepEqual(ordered.map((r) => r.status), ['ok', 'ok', 'ok']);
    const room = open(privateRoom(nb, owner.id), owner);
    await room.synced();
    const shared = await t.server.rooms.acquire(sharedRoom(nb));
    const slow = sharedDoc(shared.room.doc).executions.get('sharedslow')!;
    shared.release();
    const after = privateDoc(room.doc).executions.get('printy')!;
    assert.ok(after.started_at! >= slow.finished_at!, 'the user cell started before the shared cell before it had finished');
    const stopped = await run(owner, ['sety', 'sharedfail', 'printy']);
    assert.deepEqual(stopped.map((r) => r.status), ['ok', 'error', 'aborted']);
  });

  it('exports my outputs, the shared ones, or none', async () => {
    const get = async (u: { token: string }, outputs: string) =>
      (await as(u)<{ cells: Array<{ id: string; outputs: Output[] }> }>('GET', `/api/notebooks/${nb}/export?format=ipynb&outputs=${outputs}`)).body;
    const cell = (n: { cells: Array<{ id: string; outputs: Output[] }> }, id: string) => n.cells.find((c) => c.id === id)!;
    assert.equal(text(cell(await get(bob, 'mine'), 'printx').outputs), 'B\n');
    assert.equal(cell(await get(bob, 'shared'), 'printx').outputs.length, 0);
    assert.match(text(cell(await get(bob, 'mine'), 'shared').outputs), /shared kernel pid/);
    assert.equal(cell(await get(bob, 'none'), 'shared').outputs.length, 0);
  });
});
