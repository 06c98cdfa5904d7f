// A server that is not root (as the shipped systemd unit runs it) still sandboxes every kernel and
// keeps its warm pool: kernels run as the server's uid in user namespaces, a pooled kernel gets its
// user's home through the mount helper's own namespace, and nothing is mounted on the host.
import assert from 'node:assert/strict';
import { chownSync, readFileSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, it } from 'node:test';

import { userHome } from '../../server/kernels/homes.ts';
import { mountPointsUnder } from '../../server/kernels/mounts.ts';
import type { Output } from '../../shared/nbformat.ts';
import { eventually } from '../helpers/eventually.ts';
import { kernelProcessesUsing, removeDataDir } from '../helpers/kernel.ts';
import { apiClient, spawnServer, tempDir } from '../helpers/server.ts';

const UID = 65534;
const dataDir = tempDir('cohort-nonroot-');
chownSync(dataDir, UID, UID);
after(async () => {
  assert.deepEqual(kernelProcessesUsing([dataDir]), [], 'kernel processes of this file are still running');
  await removeDataDir(dataDir);
});

interface RunAnswer {
  status: string;
  outputs: Output[];
}

it('a server that is not root sandboxes its kernels as its own uid, and a pooled kernel works in its user\'s home', { timeout: 300_000 }, async () => {
  const server = await spawnServer(dataDir, ['--pool-size', '1'], {
    prefix: ['setpriv', `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', '--'],
    env: { HOME: dataDir },
  });
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  try {
    assert.match(server.output(), /every kernel runs in its own bubblewrap sandbox/);
    assert.doesNotMatch(server.output(), /warm pool is off/);
    // The pool kernel is up once its record names the kernel process.
    await eventually(
      async () => {
        const names = (await readdir(join(dataDir, 'kernels')).catch(() => [])).filter((n) => n.endsWith('.json'));
        const records = await Promise.all(names.map(async (n) => JSON.parse(await readFile(join(dataDir, 'kernels', n), 'utf8')) as { kernelPid?: number }));
        return records.some((r) => r.kernelPid !== undefined);
      },
      { timeoutMs: 120_000, message: 'the pool kernel did not start' },
    );
    const admin = apiClient(server.url, 'admin-test-token');
    const alice = (await admin<{ id: string; token: string }>('POST', '/api/users', { name: 'alice' })).body;
    const nb = (await admin<{ id: string }>('POST', '/api/notebooks', {
      name: 'nonroot',
      notebook: {
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
        cells: [{ cell_type: 'code', id: 'c', source: "import os, json\nopen('mine.txt', 'w').write('hi')\nprint(json.dumps([os.getuid(), os.getcwd(), sorted(os.listdir('.'))]))", metadata: {}, outputs: [], execution_count: null }],
      },
    })).body.id;
    await admin('PUT', `/api/notebooks/${nb}/members/${alice.id}`, { role: 'runner' });
    const api = apiClient(server.url, alice.token);
    const res = await api<{ runs: RunAnswer[] }>('POST', `/api/notebooks/${nb}/execute?wait=true`, { cellIds: ['c'] });
    const run = res.body.runs[0]!;
    assert.equal(run.status, 'ok', JSON.stringify(run));
    const text = run.outputs.map((o) => ('text' in o ? String(o.text) : '')).join('');
    assert.deepEqual(JSON.parse(text), [UID, '/home/cohort', ['mine.txt']]);
    assert.equal((await api<{ fromPool: boolean }>('GET', `/api/notebooks/${nb}/kernel`)).body.fromPool, true);
    const onHost = join(userHome(dataDir, alice.id), 'mine.txt');
    assert.equal(readFileSync(onHost, 'utf8'), 'hi');
    assert.equal(statSync(onHost).uid, UID);
    assert.deepEqual(await mountPointsUnder(dataDir), [], 'the server mounted something on the host');
  } finally {
    server.child.kill('SIGTERM');
    assert.equal(await exited, 0, server.output());
  }
});
