// `GET /api/kernels` and controlling kernels by id, with real ipykernel processes: a user sees
// their own kernels, an owner every kernel of their notebook, an admin all; nobody else learns a
// kernel exists. Also: a fresh kernel imports the scientific stack the set-up installs, and a
// run records a fingerprint of the source it ran (for stale-output marks).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sourceDigest } from '../../shared/schema.ts';
import { processEnded } from '../helpers/kernel.ts';
import { eventually } from '../helpers/eventually.ts';
import type { Api, TestServer } from '../helpers/server.ts';
import { startTestServer } from '../helpers/server.ts';
import { codeCell as code } from '../helpers/cells.ts';
import type { KernelListing as Listing } from '../../shared/kernels.ts';

interface RunAnswer {
  status: string;
  source_digest?: string;
  outputs: Array<{ output_type: string; text?: string; data?: Record<string, unknown> }>;
}

const SCIENCE = "import numpy, pandas, scipy, matplotlib\nprint('pandas', pandas.__version__, pandas.DataFrame({'a': [1, 2]}).a.sum())";

describe('running kernels', { timeout: 240_000 }, () => {
  let t: TestServer;
  let owner: { id: string; token: string };
  let alice: { id: string; token: string };
  let mallory: { id: string; token: string };
  let nb: string;
  const as = (u: { token: string }): Api => t.api(u.token);
  const run = async (u: { token: string }, cellIds: string[]) => {
    const res = await as(u)<{ runs: RunAnswer[] }>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.runs;
  };
  const list = async (u: { token: string }, query = '') => {
    const res = await as(u)<Listing>('GET', `/api/kernels${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };

  before(async () => {
    t = await startTestServer({ maxKernelsPerUser: 3 });
    owner = await t.createUser('owner');
    alice = await t.createUser('alice');
    mallory = await t.createUser('mallory');
    const created = await as(owner)<{ id: string }>('POST', '/api/notebooks', {
      name: 'Lesson 1',
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: {},
        cells: [code('science', SCIENCE), code('setx', 'x = 41'), code('printx', 'print(x + 1)')],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    nb = created.body.id;
    await as(owner)('PUT', `/api/notebooks/${nb}/members/${alice.id}`, { role: 'runner' });
  });

  after(async () => {
    const pids = t.server.kernels.list().map((k) => k.kernel.pid!);
    await t.close();
    for (const pid of pids) assert.ok(processEnded(pid), `kernel ${pid} outlived the server`);
  });

  it('a fresh kernel imports numpy, pandas, scipy and matplotlib; the run records what source ran', async () => {
    const [science] = await run(alice, ['science']);
    assert.equal(science!.status, 'ok', JSON.stringify(science!.outputs));
    assert.match(science!.outputs.map((o) => o.text ?? '').join(''), /^pandas \d+\.\d+\.\d+ 3\n$/);
    assert.equal(science!.source_digest, sourceDigest(SCIENCE));
    assert.notEqual(sourceDigest(SCIENCE), sourceDigest(`${SCIENCE} `));
  });

  it('each sees the kernels they may control, with names and memory', async () => {
    await run(owner, ['setx']);
    const mine = await list(alice);
    assert.equal(mine.kernels.length, 1);
    const [row] = mine.kernels;
    assert.equal(row!.notebookId, nb);
    assert.equal(row!.notebookName, 'Lesson 1');
    assert.equal(row!.scope, 'user');
    assert.equal(row!.userName, 'alice');
    assert.equal(row!.status, 'idle');
    // An ipykernel with pandas loaded holds tens of MiB; the figure must be the process's, not 0.
    assert.ok((row!.memoryBytes ?? 0) > 20 * 1024 * 1024, `memory ${row!.memoryBytes}`);
    assert.deepEqual(mine.limits, { perUser: 3, total: 64 });

    // The owner sees both kernels of the notebook, also narrowed to it; the admin sees all.
    const owners = await list(owner);
    assert.deepEqual(owners.kernels.map((k) => k.userName).sort(), ['alice', 'owner']);
    assert.deepEqual((await list(owner, `?notebook=${nb}`)).kernels.length, 2);
    assert.equal((await list({ token: t.adminToken })).kernels.length, 2);

    // A stranger learns nothing: no rows, 404 for the notebook, 404 for the kernel's id.
    assert.deepEqual((await list(mallory)).kernels, []);
    assert.equal((await as(mallory)('GET', `/api/kernels?notebook=${nb}`)).status, 404);
    assert.equal((await as(mallory)('DELETE', `/api/kernels/${row!.id}`)).status, 404);
    assert.equal((await as(mallory)('POST', `/api/kernels/${row!.id}/restart`)).status, 404);
    // Alice may not control the owner's kernel either.
    const ownersKernel = owners.kernels.find((k) => k.userName === 'owner')!;
    assert.equal((await as(alice)('DELETE', `/api/kernels/${ownersKernel.id}`)).status, 404);
    assert.equal((await list(owner)).kernels.length, 2, 'a refused shutdown stopped a kernel');
  });

  it("the owner restarts a student's kernel; the student shuts their own down", async () => {
    await run(alice, ['setx']);
    const [before] = (await list(alice)).kernels;
    assert.equal((await as(owner)('POST', `/api/kernels/${before!.id}/restart`)).status, 204);
    const [printed] = await run(alice, ['printx']);
    assert.equal(printed!.status, 'error', 'x survived a restart');

    const pid = t.server.kernels.list().find((k) => k.kernel.id === before!.id)!.kernel.pid!;
    assert.equal((await as(alice)('DELETE', `/api/kernels/${before!.id}`)).status, 204);
    assert.deepEqual((await list(alice)).kernels, []);
    await eventually(() => processEnded(pid), { timeoutMs: 10_000, message: 'the shut-down kernel still runs' });
    assert.equal((await as(alice)('DELETE', `/api/kernels/${before!.id}`)).status, 404);
  });
});
